/* transport_local.c - the "local" transport: node commands run with fork/exec on this host. */
/* pipe2(): pipes that are close-on-exec from birth, so a fork in another
 * thread cannot inherit them and hold our streams open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/transport_priv.h"

extern char **environ;

static int local_open(const struct fb_node_cfg *node, int connect_timeout_ms,
                      struct fb_conn **out, struct fb_errbuf *eb)
{
    int rc = 0;
    struct fb_conn *c = NULL;

    (void)connect_timeout_ms;
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", node->name ? node->name : "?");
        goto out;
    }
    c->ops = &fb_transport_local;
    c->node_name = strdup(node->name ? node->name : "local");
    if (c->node_name == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", node->name ? node->name : "?");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    if (c != NULL) {
        free(c->node_name);
        free(c);
    }
    return rc;
}

static void local_close(struct fb_conn *c)
{
    free(c->node_name);
    free(c);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void child_run(const char *cmd, int in, int out, int err)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    struct sigaction sa;
    sigset_t none;
    int sig;

    setpgid(0, 0);
    /* Move the three descriptors above stdio first, so the dup2 calls below
     * cannot overwrite one another when the parent had 0..2 closed. */
    in = fcntl(in, F_DUPFD, 3);
    out = fcntl(out, F_DUPFD, 3);
    err = fcntl(err, F_DUPFD, 3);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(err, 2) < 0)
        _exit(127);
    close(in);
    close(out);
    close(err);
    /* Ignored signals and the mask survive exec; the command gets defaults. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve("/bin/sh", argv, environ);
    _exit(127);
}

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Reads what is available on *fd into cap; closes it at EOF. */
static int drain(int *fd, struct fb_capture *cap)
{
    char buf[65536];

    for (;;) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n > 0) {
            if (fb_capture_add(cap, buf, (size_t)n) != 0)
                return FB_ENOMEM;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        /* EOF, or an error that will not go away: the stream is over. */
        close(*fd);
        *fd = -1;
        return 0;
    }
}

/* Collects pid if it has exited. A process that set SIGCHLD to SIG_IGN has
 * its children reaped by the kernel: the status is then unknown. */
static bool reap(pid_t pid, int *ws)
{
    pid_t w = waitpid(pid, ws, WNOHANG);

    if (w < 0 && errno == ECHILD) {
        *ws = -1;
        return true;
    }
    return w == pid;
}

static int wait_status_code(int ws)
{
    if (ws == -1)
        return -1;
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws))
        return 128 + WTERMSIG(ws);
    return -1;
}

static int local_exec(struct fb_conn *c, const char *cmd, int timeout_ms,
                      struct fb_exec_result *res, struct fb_errbuf *eb)
{
    int rc = 0, ws = 0, devnull = -1, pidfd = -1;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    pid_t pid = -1;
    bool reaped = false, timed_out = false;
    struct fb_capture out = {0}, err = {0};
    double t0 = fb_mono_ms();
    double deadline = timeout_ms > 0 ? t0 + timeout_ms : INFINITY;

    fb_exec_result_init(res);
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        rc = fb_errf(eb, FB_EIO, "node %s: pipe: %s", c->node_name, strerror(errno));
        goto out;
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        rc = fb_errf(eb, FB_EIO, "node %s: /dev/null: %s", c->node_name, strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        rc = fb_errf(eb, FB_EIO, "node %s: fork: %s", c->node_name, strerror(errno));
        goto out;
    }
    if (pid == 0)
        child_run(cmd, devnull, outp[1], errp[1]);
    /* Also here, so the group exists before any kill(-pid) below. */
    setpgid(pid, pid);
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    fcntl(outp[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);
    pidfd = pidfd_for(pid);

    /* Done when both streams hit EOF and the shell has exited. */
    while (outp[0] >= 0 || errp[0] >= 0 || !reaped) {
        struct pollfd pf[3];
        int n = 0, tmo = fb_poll_timeout(deadline), r;
        int io = -1, ie = -1, ip = -1;

        if (fb_mono_ms() >= deadline) {
            timed_out = true;
            break;
        }
        if (outp[0] >= 0) {
            io = n;
            pf[n++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
        }
        if (errp[0] >= 0) {
            ie = n;
            pf[n++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
        }
        if (!reaped && pidfd >= 0) {
            ip = n;
            pf[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        }
        if (!reaped && pidfd < 0 && n == 0) {
            /* No pidfd (old kernel) and the streams are closed: check for
             * the exit in short steps until the deadline. */
            reaped = reap(pid, &ws);
            if (reaped)
                continue;
            if (tmo < 0 || tmo > 5)
                tmo = 5;
        }
        r = poll(pf, (nfds_t)n, tmo);
        if (r < 0 && errno != EINTR) {
            rc = fb_errf(eb, FB_EIO, "node %s: poll: %s", c->node_name, strerror(errno));
            goto out;
        }
        if (r <= 0)
            continue;
        if (io >= 0 && pf[io].revents != 0 && drain(&outp[0], &out) != 0) {
            rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
            goto out;
        }
        if (ie >= 0 && pf[ie].revents != 0 && drain(&errp[0], &err) != 0) {
            rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
            goto out;
        }
        if (ip >= 0 && pf[ip].revents != 0)
            reaped = reap(pid, &ws);
    }
    if (timed_out) {
        rc = fb_errf(eb, FB_ETIMEDOUT, "node %s: command timed out after %d ms: %s",
                     c->node_name, timeout_ms, cmd);
        goto out;
    }
    res->exit_status = wait_status_code(ws);
out:
    if (pid > 0 && !reaped) {
        /* Timed out or failed on our side: the whole group goes. */
        kill(-pid, SIGKILL);
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
    } else if (pid > 0 && rc != 0) {
        /* The shell is gone but something of its group kept the streams. */
        kill(-pid, SIGKILL);
    }
    res->elapsed_ms = fb_mono_ms() - t0;
    if (fb_exec_result_take(res, &out, &err) != 0 && rc == 0)
        rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    fb_capture_free(&out);
    fb_capture_free(&err);
    if (pidfd >= 0)
        close(pidfd);
    if (devnull >= 0)
        close(devnull);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return rc;
}

const struct fb_transport fb_transport_local = {
    .name = "local",
    .open = local_open,
    .exec = local_exec,
    .close = local_close,
};
