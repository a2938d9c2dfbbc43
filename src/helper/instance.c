/* instance.c - requests to a resident runtime, and the helper's own runtime. */
#define _GNU_SOURCE
#include "helper/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A runtime that cannot start leaves its reason in this file of its folder. */
#define FBN_FAILED_FILE "failed"
/* How long the runtime waits for a request's bytes once a client connected. */
#define FBN_REQUEST_WAIT_MS 10000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left until deadline (ns, 0: none) for poll: -1 for none. */
static int left_ms(uint64_t deadline)
{
    uint64_t t = now_ns();
    if (deadline == 0)
        return -1;
    if (t >= deadline)
        return 0;
    uint64_t ms = (deadline - t + 999999) / 1000000;
    return ms > 2000000000u ? 2000000000 : (int)ms;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads exactly n bytes before deadline (0: none). 1 done, 0 EOF first,
 * -1 timeout, -2 error. */
static int recv_exact(int fd, char *p, size_t n, uint64_t deadline)
{
    while (n > 0) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, left_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -1;
        if (r < 0)
            return -2;
        ssize_t got = recv(fd, p, n, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0)
            return -2;
        if (got == 0)
            return 0;
        p += got;
        n -= (size_t)got;
    }
    return 1;
}

/* Reads a line (at most max bytes with its '\n') into buf, byte by byte so
 * that nothing after it is taken. Returns its length without '\n', or -1
 * timeout, -2 error or too long, -3 EOF first. */
static long recv_line(int fd, char *buf, size_t max, uint64_t deadline)
{
    for (size_t n = 0; n < max; n++) {
        int r = recv_exact(fd, buf + n, 1, deadline);
        if (r != 1)
            return r == 0 ? -3 : r;
        if (buf[n] == '\n') {
            buf[n] = '\0';
            return (long)n;
        }
        if (buf[n] == '\0')
            return -2;
    }
    return -2;
}

static void set_why(struct fbn_call *c, enum fbn_call_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_why(struct fbn_call *c, enum fbn_call_state st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
    c->state = st;
}

/* ------------------------------------------------------------------ */
/* the instance folder                                                 */

/* The folders at the end of an instance folder's path that are faasbench's
 * own: the instance root, the node's folder and the instance's. */
#define FBN_PRIVATE_DEPTH 3

static int path_error(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int path_error(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* One folder of the path (its first len bytes: shown in messages), opened
 * as fd: checked as fbn_instance_open says. */
static int check_folder(int fd, const char *path, size_t len, bool private, char *why, size_t n)
{
    struct stat st;
    uid_t me = geteuid();

    if (fstat(fd, &st) != 0)
        return path_error(why, n, "%.*s: %s", (int)len, path, strerror(errno));
    if (private && (st.st_uid != me || (st.st_mode & 077) != 0))
        return path_error(why, n,
                          "%.*s must be this user's own (uid %u) with mode 0700; it is uid %u, "
                          "mode %04o",
                          (int)len, path, (unsigned)me, (unsigned)st.st_uid,
                          (unsigned)(st.st_mode & 07777));
    if (st.st_uid != me && st.st_uid != 0)
        return path_error(why, n, "%.*s belongs to uid %u, neither this user (%u) nor root",
                          (int)len, path, (unsigned)st.st_uid, (unsigned)me);
    /* Others may rename nothing on the way: a folder they can write to
     * only when sticky (its entries, being ours or root's, stay put). */
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
        return path_error(why, n, "%.*s is writable by others (mode %04o)", (int)len, path,
                          (unsigned)(st.st_mode & 07777));
    return 0;
}

int fbn_instance_open(const char *dir, bool create, char *why, size_t n)
{
    char path[4096];
    const char *home = getenv("HOME");
    size_t depth = 0, at = 0;
    int fd, next;

    if (strncmp(dir, "~/", 2) == 0) {
        if (home == NULL || home[0] != '/')
            return path_error(why, n, "instance folder %s: HOME is not an absolute path", dir);
        if ((size_t)snprintf(path, sizeof(path), "%s%s", home, dir + 1) >= sizeof(path))
            return path_error(why, n, "instance folder path too long: %s", dir);
    } else if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path)) {
        return path_error(why, n, "instance folder path too long: %s", dir);
    }
    if (path[0] != '/')
        return path_error(why, n, "instance folder %s is not an absolute path", dir);
    for (const char *p = path; *p != '\0';) {
        p += strspn(p, "/");
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return path_error(why, n, "instance folder %s holds '.' or '..'", path);
        depth++;
        p += len;
    }
    if (depth < FBN_PRIVATE_DEPTH)
        return path_error(why, n, "instance folder %s is not ROOT/NODE/INSTANCE", path);
    if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return path_error(why, n, "/: %s", strerror(errno));
    if (check_folder(fd, "/", 1, false, why, n) != 0)
        goto fail;
    for (size_t k = 0; k < depth; k++) {
        char name[NAME_MAX + 1];
        at += strspn(path + at, "/");
        size_t len = strcspn(path + at, "/");
        if (len > NAME_MAX) {
            path_error(why, n, "instance folder %s: a name is too long", path);
            goto fail;
        }
        memcpy(name, path + at, len);
        name[len] = '\0';
        at += len;
        /* O_NOFOLLOW: a link anywhere on the way is refused, not followed. */
        next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, name, 0700) != 0 && errno != EEXIST) {
                path_error(why, n, "cannot make %.*s: %s", (int)at, path, strerror(errno));
                goto fail;
            }
            next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            path_error(why, n, "%.*s: %s", (int)at, path,
                       errno == ENOTDIR || errno == ELOOP ? "not a folder (a link?)"
                                                          : strerror(errno));
            goto fail;
        }
        close(fd);
        fd = next;
        if (check_folder(fd, path, at, k + FBN_PRIVATE_DEPTH >= depth, why, n) != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* ------------------------------------------------------------------ */
/* the client: one request                                             */

/* The reason a runtime that could not start left in the folder dirfd: 1
 * with why filled, 0 when there is none. Only a regular file is read, and
 * its open never waits (a FIFO there would hold the helper). */
static int read_failed(int dirfd, char *why, size_t n)
{
    struct stat st;
    int fd = openat(dirfd, FBN_FAILED_FILE, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        snprintf(why, n,
                 "the instance folder's '" FBN_FAILED_FILE "' is not a readable regular file");
        return 1;
    }
    ssize_t got = read(fd, why, n - 1);
    close(fd);
    got = got < 0 ? 0 : got;
    while (got > 0 && (why[got - 1] == '\n' || why[got - 1] == '\r'))
        got--;
    why[got] = '\0';
    for (ssize_t i = 0; i < got; i++)
        if ((unsigned char)why[i] < 0x20)
            why[i] = ' ';
    return 1;
}

/* Connects to the socket of the folder dirfd. The socket file itself is
 * opened without following a link and must be a socket; the connection goes
 * through /proc/self/fd to that very file, so nothing put in its place
 * meanwhile is reached. Returns the connected fd, or -1 with errno (ENOENT:
 * no socket yet; ECONNREFUSED: nobody listens; ENOTSOCK: something else is
 * there). */
static int connect_sock(int dirfd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int file, fd, e;

    if ((file = openat(dirfd, FB_INSTPROTO_SOCKET, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(file, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        close(file);
        errno = ENOTSOCK;
        return -1;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", file);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    e = errno;
    close(file);
    errno = e;
    return fd;
}

/* Connects to the runtime of the folder dirfd (dir: its name in messages);
 * a ping waits for it to appear. -1 with c set. */
static int connect_runtime(int dirfd, const char *dir, enum fb_instproto_kind kind,
                           uint64_t deadline, struct fbn_call *c)
{
    char self[64];
    int watch = -1, fd = -1;

    if (kind == FB_INST_PING) {
        /* Watch first, then try: a socket made in between is not missed. */
        snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
        watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (watch < 0 || inotify_add_watch(watch, self, IN_CREATE | IN_MOVED_TO |
                                                            IN_DELETE_SELF) < 0) {
            set_why(c, FBN_CALL_GONE, "instance folder %s: %s", dir, strerror(errno));
            goto fail;
        }
    }
    for (;;) {
        if ((fd = connect_sock(dirfd)) >= 0)
            break;
        int e = errno;
        if (e == ENOTSOCK) {
            set_why(c, FBN_CALL_GONE, "%s/" FB_INSTPROTO_SOCKET " is not a socket", dir);
            goto fail;
        }
        if (kind != FB_INST_PING || (e != ENOENT && e != ECONNREFUSED)) {
            set_why(c, FBN_CALL_GONE, "no runtime at %s/" FB_INSTPROTO_SOCKET ": %s", dir,
                    strerror(e));
            goto fail;
        }
        if (read_failed(dirfd, c->why, sizeof(c->why))) {
            c->state = FBN_CALL_GONE;
            goto fail;
        }
        struct pollfd pf = {.fd = watch, .events = POLLIN};
        /* The socket is renamed into place once it listens; a refused
         * connect can only be an older runtime's leftover. */
        int t = left_ms(deadline);
        int r = poll(&pf, 1, e == ECONNREFUSED && (t < 0 || t > 5) ? 5 : t);
        if (r < 0 && errno != EINTR) {
            set_why(c, FBN_CALL_GONE, "waiting for the runtime: %s", strerror(errno));
            goto fail;
        }
        if (r > 0) {
            char evbuf[4096];
            while (read(watch, evbuf, sizeof(evbuf)) > 0)
                ;
        }
        if (deadline != 0 && now_ns() >= deadline) {
            set_why(c, FBN_CALL_TIMEOUT, "the runtime was not ready in time");
            goto fail;
        }
    }
    if (watch >= 0)
        close(watch);
    return fd;
fail:
    if (watch >= 0)
        close(watch);
    return -1;
}

static char *take(size_t n)
{
    return n > 0 ? malloc(n) : NULL;
}

void fbn_call_run(const char *dir, enum fb_instproto_kind kind, const char *args, size_t len,
                  uint32_t timeout_ms, struct fbn_call *c)
{
    uint64_t t0 = now_ns(), deadline = timeout_ms > 0 ? t0 + (uint64_t)timeout_ms * 1000000u : 0;
    struct fb_instproto_request q = {kind, timeout_ms, kind == FB_INST_CALL ? len : 0};
    char line[FB_INSTPROTO_LINE_MAX];
    long n;
    int fd = -1, dirfd = -1, r;

    memset(c, 0, sizeof(*c));
    if ((dirfd = fbn_instance_open(dir, false, c->why, sizeof(c->why))) < 0) {
        c->state = FBN_CALL_GONE;
        goto out;
    }
    if ((fd = connect_runtime(dirfd, dir, kind, deadline, c)) < 0)
        goto out;
    if ((r = fb_instproto_request_format(line, sizeof(line), &q)) < 0) {
        set_why(c, FBN_CALL_GONE, "arguments past the protocol's limit (%zu bytes)", len);
        goto out;
    }
    if (!send_all(fd, line, (size_t)r) || (q.len > 0 && !send_all(fd, args, q.len))) {
        set_why(c, FBN_CALL_GONE, "the runtime closed its socket: %s", strerror(errno));
        goto out;
    }
    n = recv_line(fd, line, sizeof(line), deadline);
    if (n == -1) {
        set_why(c, FBN_CALL_TIMEOUT, "no reply within %" PRIu32 " ms", timeout_ms);
        goto out;
    }
    if (n < 0 || fb_instproto_reply_parse(line, (size_t)n, &c->r) != FB_NODEPROTO_OK) {
        set_why(c, FBN_CALL_GONE, n == -3 ? "the runtime ended without a reply (it exited?)"
                                          : "the runtime's reply is not of the protocol");
        goto out;
    }
    c->out = take(c->r.out_len);
    c->err = take(c->r.err_len);
    if ((c->r.out_len > 0 && c->out == NULL) || (c->r.err_len > 0 && c->err == NULL)) {
        set_why(c, FBN_CALL_GONE, "out of memory for the runtime's reply");
        goto out;
    }
    r = recv_exact(fd, c->out, c->r.out_len, deadline);
    if (r == 1)
        r = recv_exact(fd, c->err, c->r.err_len, deadline);
    if (r != 1) {
        set_why(c, r == -1 ? FBN_CALL_TIMEOUT : FBN_CALL_GONE,
                r == -1 ? "the reply did not arrive in time" : "the reply was cut short");
        goto out;
    }
    c->state = FBN_CALL_OK;
out:
    if (c->state != FBN_CALL_OK) {
        free(c->out);
        free(c->err);
        c->out = c->err = NULL;
        c->r.out_len = c->r.err_len = 0;
    }
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    c->elapsed_ns = now_ns() - t0;
}

void fbn_call_free(struct fbn_call *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

/* ------------------------------------------------------------------ */
/* the helper's runtime                                                */

static volatile sig_atomic_t runtime_stop;

static void on_runtime_stop(int sig)
{
    (void)sig;
    runtime_stop = 1;
}

/* Leaves the reason the runtime cannot start where a waiting ping finds it. */
static int runtime_fail(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int runtime_fail(const char *dir, const char *fmt, ...)
{
    char msg[512], path[4200], tmp[4200];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    n = n < 0 ? 0 : n >= (int)sizeof(msg) ? (int)sizeof(msg) - 1 : n;
    fprintf(stderr, "faasbench-node runtime: %s\n", msg);
    /* Written beside and renamed: a waiting ping never reads half of it. */
    snprintf(tmp, sizeof(tmp), "%s/.failed.%ld", dir, (long)getpid());
    snprintf(path, sizeof(path), "%s/" FBN_FAILED_FILE, dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
        bool ok = write(fd, msg, (size_t)n) == (ssize_t)n;
        close(fd);
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    return 2;
}

/* One output stream of the command being run. */
struct capture {
    int fd;
    char *buf;
    size_t len;
};

static void capture_read(struct capture *s)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = read(s->fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        if (n == 0) {
            close(s->fd);
            s->fd = -1;
            return;
        }
        size_t keep = FB_INSTPROTO_CAPTURE - s->len;
        keep = keep < (size_t)n ? keep : (size_t)n;
        memcpy(s->buf + s->len, chunk, keep);
        s->len += keep;
    }
}

/* Runs argv; fills out and err, returns the exit status (128 + signal). */
static int run_command(char **argv, struct capture out[2])
{
    int p[2][2], status = 0;
    pid_t pid;

    if (pipe2(p[0], O_CLOEXEC) != 0 || pipe2(p[1], O_CLOEXEC) != 0)
        return 125;
    pid = fork();
    if (pid < 0) {
        close(p[0][0]), close(p[0][1]), close(p[1][0]), close(p[1][1]);
        return 125;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (null < 0 || dup2(null, 0) < 0 || dup2(p[0][1], 1) < 0 || dup2(p[1][1], 2) < 0)
            _exit(126);
        execvp(argv[0], argv);
        fprintf(stderr, "faasbench-node runtime: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[0][1]);
    close(p[1][1]);
    for (int s = 0; s < 2; s++) {
        out[s].fd = p[s][0];
        out[s].len = 0;
        fcntl(out[s].fd, F_SETFL, O_NONBLOCK);
    }
    while (out[0].fd >= 0 || out[1].fd >= 0) {
        struct pollfd pf[2];
        int k = 0;
        for (int s = 0; s < 2; s++)
            if (out[s].fd >= 0)
                pf[k++] = (struct pollfd){.fd = out[s].fd, .events = POLLIN};
        if (poll(pf, (nfds_t)k, -1) < 0 && errno != EINTR)
            break;
        for (int s = 0; s < 2; s++)
            if (out[s].fd >= 0)
                capture_read(&out[s]);
    }
    for (int s = 0; s < 2; s++)
        if (out[s].fd >= 0)
            close(out[s].fd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status)
           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                 : 125;
}

/* Reads one request on fd; serves it. */
static void runtime_serve(int fd, char **cmd, int ncmd, uint64_t init_ns, uint64_t *count,
                          struct capture cap[2])
{
    uint64_t deadline = now_ns() + (uint64_t)FBN_REQUEST_WAIT_MS * 1000000u;
    struct fb_instproto_request q;
    struct fb_instproto_reply r = {.init_ns = init_ns, .pid = (uint32_t)getpid()};
    char line[FB_INSTPROTO_LINE_MAX], *args = NULL, **argv = NULL;
    long n = recv_line(fd, line, sizeof(line), deadline);
    int k;

    if (n < 0 || fb_instproto_request_parse(line, (size_t)n, &q) != FB_NODEPROTO_OK)
        return;
    if (q.kind == FB_INST_CALL) {
        size_t nargs = 0;
        if ((args = malloc(q.len + 1)) == NULL ||
            recv_exact(fd, args, q.len, deadline) != 1 || (q.len > 0 && args[q.len - 1] != '\0'))
            goto out;
        for (size_t i = 0; i < q.len; i++)
            nargs += args[i] == '\0';
        if ((argv = calloc((size_t)ncmd + nargs + 1, sizeof(*argv))) == NULL)
            goto out;
        for (int i = 0; i < ncmd; i++)
            argv[i] = cmd[i];
        for (size_t i = 0, a = (size_t)ncmd; i < q.len; a++) {
            argv[a] = args + i;
            i += strlen(args + i) + 1;
        }
        (*count)++;
        uint64_t t = now_ns();
        r.status = run_command(argv, cap);
        r.handler_ns = now_ns() - t;
        r.out_len = cap[0].len;
        r.err_len = cap[1].len;
    }
    r.count = *count;
    if ((k = fb_instproto_reply_format(line, sizeof(line), &r)) > 0 &&
        send_all(fd, line, (size_t)k) && send_all(fd, cap[0].buf, r.out_len))
        send_all(fd, cap[1].buf, r.err_len);
out:
    free(args);
    free(argv);
}

/* The socket tmp only for the owner of the folder dir, the node user, who
 * is the runtime's own user or, for a runtime run as root, gets it. */
static bool socket_owner(const char *dir, const char *tmp)
{
    struct stat st;

    if (stat(dir, &st) != 0 || chmod(tmp, 0600) != 0)
        return false;
    return st.st_uid == geteuid() || chown(tmp, st.st_uid, st.st_gid) == 0;
}

int fbn_cmd_runtime(int argc, char **argv)
{
    uint64_t t0 = now_ns(), count = 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char tmp[sizeof(sa.sun_path)], path[sizeof(sa.sun_path)];
    struct capture cap[2] = {{-1, NULL, 0}, {-1, NULL, 0}};
    int srv, first = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: faasbench-node runtime DIR [--] COMMAND [ARG...]\n");
        return 2;
    }
    const char *dir = argv[0];
    if (strcmp(argv[1], "--") == 0)
        first = 2;
    if (first >= argc)
        return runtime_fail(dir, "no command to serve");
    if ((size_t)snprintf(path, sizeof(path), "%s/" FB_INSTPROTO_SOCKET, dir) >= sizeof(path) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/.sock.%ld", dir, (long)getpid()) >= sizeof(tmp))
        return runtime_fail(dir, "folder path too long: %s", dir);
    for (int s = 0; s < 2; s++)
        if ((cap[s].buf = malloc(FB_INSTPROTO_CAPTURE)) == NULL)
            return runtime_fail(dir, "out of memory");
    struct sigaction sa_stop = {.sa_handler = on_runtime_stop};
    sigaction(SIGTERM, &sa_stop, NULL);
    sigaction(SIGINT, &sa_stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    unlink(tmp);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp);
    if ((srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(srv, (struct sockaddr *)&sa, sizeof(sa)) != 0 || !socket_owner(dir, tmp) ||
        listen(srv, 64) != 0 || rename(tmp, path) != 0)
        return runtime_fail(dir, "cannot listen on %s: %s", path, strerror(errno));
    uint64_t init_ns = now_ns() - t0;

    while (!runtime_stop) {
        int fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break;
        }
        /* A client that stops reading cannot hold the runtime: the reply
         * has as long as the request had. */
        struct timeval tv = {.tv_sec = FBN_REQUEST_WAIT_MS / 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        runtime_serve(fd, argv + first, argc - first, init_ns, &count, cap);
        close(fd);
        /* Orphans of the command (its background children) end with us as
         * their reaper when we are the container's first process. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    unlink(path);
    close(srv);
    free(cap[0].buf);
    free(cap[1].buf);
    return 0;
}

/* ------------------------------------------------------------------ */
/* the reply as the helper's server sends it                           */

static bool write_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool fbn_call_write(int fd, const struct fbn_call *c)
{
    static const enum fb_nodeproto_state states[] = {
        [FBN_CALL_OK] = FB_NODEPROTO_CALL_OK,
        [FBN_CALL_TIMEOUT] = FB_NODEPROTO_CALL_TIMEOUT,
        [FBN_CALL_GONE] = FB_NODEPROTO_CALL_GONE,
    };
    bool ok = c->state == FBN_CALL_OK;
    struct fb_nodeproto_call_reply r = {
        .state = states[c->state],
        .status = c->r.status,
        .elapsed_ns = c->elapsed_ns,
        .handler_ns = c->r.handler_ns,
        .init_ns = c->r.init_ns,
        .count = c->r.count,
        .pid = c->r.pid,
        .out_len = ok ? c->r.out_len : 0,
        .err_len = ok ? c->r.err_len : strlen(c->why),
    };
    const char *err = ok ? c->err : c->why;
    char head[FB_NODEPROTO_LINE_MAX];
    int n = fb_nodeproto_call_reply_format(head, sizeof(head), &r);

    if (n < 0) {
        err = "the runtime's reply is outside the protocol's limits";
        r = (struct fb_nodeproto_call_reply){.state = FB_NODEPROTO_CALL_GONE,
                                             .err_len = strlen(err)};
        n = fb_nodeproto_call_reply_format(head, sizeof(head), &r);
    }
    return write_fd(fd, head, (size_t)n) && write_fd(fd, c->out, r.out_len) &&
           write_fd(fd, err, r.err_len);
}

int fbn_cmd_call(int argc, char **argv)
{
    struct fbn_call c;
    char *args = NULL, *end;
    size_t len = 0;
    unsigned long t;

    if (argc < 3 || (strcmp(argv[1], "ping") != 0 && strcmp(argv[1], "call") != 0)) {
        fprintf(stderr, "usage: faasbench-node call DIR ping|call TIMEOUT_MS [ARG...]\n");
        return 2;
    }
    errno = 0;
    t = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || errno != 0 || t > FB_NODEPROTO_TIMEOUT_MAX) {
        fprintf(stderr, "faasbench-node call: bad timeout '%s'\n", argv[2]);
        return 2;
    }
    for (int i = 3; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (len > 0 && (args = malloc(len)) == NULL)
        return 125;
    for (int i = 3, off = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        memcpy(args + off, argv[i], n);
        off += (int)n;
    }
    fbn_call_run(argv[0], argv[1][0] == 'p' ? FB_INST_PING : FB_INST_CALL, args, len,
                 (uint32_t)t, &c);
    free(args);
    bool ok = fbn_call_write(STDOUT_FILENO, &c);
    fbn_call_free(&c);
    return ok ? 0 : 1;
}

int fbn_cmd_folder(int argc, char **argv)
{
    char why[512];
    int fd;

    if (argc != 1) {
        fprintf(stderr, "usage: faasbench-node folder DIR\n");
        return 2;
    }
    struct stat st;

    if ((fd = fbn_instance_open(argv[0], true, why, sizeof(why))) < 0) {
        fprintf(stderr, "faasbench-node folder: %s\n", why);
        return 1;
    }
    int rc = fstat(fd, &st) == 0 ? 0 : 1;
    close(fd);
    if (rc == 0)
        printf("%u:%u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
    return rc != 0 || fflush(stdout) != 0 ? 1 : 0;
}
