/*
 * faasbench-node: the helper every execution node carries in its PATH.
 *
 *   faasbench-node metrics
 *       One line of cumulative counters for the node's cgroup (or the whole
 *       host when no limit applies), read without sleeping or forking:
 *       fbm1 cpu_ns=N clock_ns=N mem_used=N mem_limit=N cpus=F source=S
 *   faasbench-node exec -c 'COMMAND'
 *       Runs COMMAND with /bin/sh -c, passes stdin and stdout through, relays
 *       stderr, then writes as the last stderr line
 *       fbx1 elapsed_ns=N status=N
 *       and exits with the command's status (128+signal when killed).
 *   faasbench-node serve
 *       Runs commands for one client, one after another, on stdin/stdout,
 *       framed as nodeproto.h says (its grammar and limits are there):
 *         at start   fbs1 ready
 *         request    fbq1 TIMEOUT_MS LEN   then LEN bytes: the command
 *         reply      fbr1 status=N elapsed_ns=N timed_out=0|1 out=N err=N
 *                    then N bytes of stdout, then N bytes of stderr
 *       A request line outside the grammar ends the server (exit 2).
 *       Each command runs as /bin/sh -c COMMAND in a process group of its
 *       own, with stdin from /dev/null; at most FBN_CAPTURE bytes of each
 *       stream are sent back (the rest is read and dropped). At its timeout
 *       (0: none) the group gets SIGTERM, and SIGKILL FBN_KILL_GRACE_MS
 *       later. EOF on stdin ends the server; during a command it first kills
 *       the command's group, so a client that goes away leaves nothing
 *       running. One ssh channel then carries any number of commands: no
 *       sshd fork and no login shell per command.
 *       The command "faasbench-node metrics" is answered by the server
 *       itself, as that command would (no process started).
 *       A request "fbc1 TIMEOUT_MS LEN" goes instead to a resident
 *       instance's runtime over its Unix socket, in this process: warm
 *       invocations cost no fork (instance.c, instproto.h).
 *   faasbench-node call DIR ping|call TIMEOUT_MS [ARG...]
 *       The same request from the command line, answered as serve does.
 *   faasbench-node folder DIR
 *       Makes a resident instance's folder DIR (ROOT/NODE/INSTANCE, "~/"
 *       for the home folder), private to the node user, and checks the way
 *       to it as call does: no link, no folder others may write to.
 *       Prints the folder's owner as UID:GID (for the runtime's --user).
 *   faasbench-node runtime DIR [--] COMMAND [ARG...]
 *       A resident runtime, the main process of a function's container,
 *       serving COMMAND per call on DIR/sock (built static so that it runs
 *       in any image: nodes/up mounts it into containers).
 *   faasbench-node work DURATION_MS [MEMORY_MB]
 *       Synthetic work (work.c): touches MEMORY_MB, then keeps a CPU busy
 *       until DURATION_MS have passed; a trace's durations replayed as
 *       `runtime DIR -- /run/faasbench-node work` with per-call args.
 *   faasbench-node version
 *
 * CPU % of a node is the delta of cpu_ns over the delta of clock_ns, divided
 * by cpus, between two polls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper/instance.h"
#include "helper/nodeproto.h"
#include "helper/work.h"

#define FBN_VERSION "1.2.0"
#define FBN_CAPTURE FB_NODEPROTO_CAPTURE /* bytes kept per stream and command */
/* What stdin may hold unconsumed: one request, line and command. */
#define FBN_INBUF_MAX (FB_NODEPROTO_LINE_MAX + FB_NODEPROTO_COMMAND_MAX)
#define FBN_KILL_GRACE_MS 2000
/* The metrics command runs call at each poll: serve answers it itself. */
#define FBN_METRICS_COMMAND "faasbench-node metrics"
#ifndef CGROUP_ROOT /* overridable for tests against a fake tree */
#define CGROUP_ROOT "/sys/fs/cgroup"
#endif
#ifndef PROC_SELF_CGROUP
#define PROC_SELF_CGROUP "/proc/self/cgroup"
#endif

/* ------------------------------------------------------------------ */
/* small file helpers                                                  */

/* Reads up to size-1 bytes of a file into buf, NUL-terminated. */
static bool read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return false;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return true;
}

static bool read_u64(const char *path, uint64_t *out)
{
    char buf[64];
    if (!read_small(path, buf, sizeof buf))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno != 0 || end == buf)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* Finds "key value" (space separated, key at line start) in a stat-like text. */
static bool find_key_u64(const char *text, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    const char *p = text;
    while (*p) {
        if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == ':')) {
            const char *v = p + klen + 1;
            while (*v == ' ')
                v++;
            char *end;
            unsigned long long n = strtoull(v, &end, 10);
            if (end == v)
                return false;
            *out = (uint64_t)n;
            return true;
        }
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return false;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Cuts the last component of a cgroup path; returns false at the root. */
static bool cgroup_parent(char *path)
{
    if (strcmp(path, "/") == 0 || path[0] == '\0')
        return false;
    char *slash = strrchr(path, '/');
    if (!slash)
        return false;
    if (slash == path)
        path[1] = '\0';
    else
        *slash = '\0';
    return true;
}

/* ------------------------------------------------------------------ */
/* host-wide figures                                                   */

static uint64_t host_mem_total(void)
{
    char buf[4096];
    uint64_t kb = 0;
    if (read_small("/proc/meminfo", buf, sizeof buf))
        find_key_u64(buf, "MemTotal", &kb);
    return kb * 1024u;
}

static bool host_mem(uint64_t *used, uint64_t *limit)
{
    char buf[4096];
    uint64_t total, avail;
    if (!read_small("/proc/meminfo", buf, sizeof buf) ||
        !find_key_u64(buf, "MemTotal", &total) ||
        !find_key_u64(buf, "MemAvailable", &avail))
        return false;
    *limit = total * 1024u;
    *used = (total > avail ? total - avail : 0) * 1024u;
    return true;
}

static bool host_cpu(uint64_t *cpu_ns, double *cpus)
{
    char buf[512];
    if (!read_small("/proc/stat", buf, sizeof buf) || strncmp(buf, "cpu ", 4) != 0)
        return false;
    /* user nice system idle iowait irq softirq steal */
    unsigned long long f[8] = {0};
    if (sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu",
               &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) < 4)
        return false;
    unsigned long long busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    *cpu_ns = (uint64_t)busy * (1000000000u / (uint64_t)hz);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    *cpus = n > 0 ? (double)n : 1.0;
    return true;
}

/* ------------------------------------------------------------------ */
/* cgroup figures                                                      */

struct cg_paths {
    bool v2;
    char unified[1024]; /* v2: path of the "0::" line */
    char cpu[1024];     /* v1 paths per controller, "" when absent */
    char cpuacct[1024];
    char memory[1024];
    char cpu_mnt[256];
    char cpuacct_mnt[256];
    char memory_mnt[256];
};

/* Does a comma separated controller list contain name? */
static bool has_controller(const char *list, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = list, *end = list + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if ((size_t)(stop - p) == nlen && strncmp(p, name, nlen) == 0)
            return true;
        p = stop + 1;
    }
    return false;
}

/*
 * Where the cgroup file systems are mounted: FAASBENCH_CGROUP_ROOT, else
 * /sys/fs/cgroup. The node's cgroup is the one FAASBENCH_CGROUP names (a path
 * below that root, the same in every v1 hierarchy), else this process's own
 * from /proc/self/cgroup. Both let a host whose sessions do not run inside
 * the node's cgroup (a remote node) name it, and tests read fake trees.
 */
static const char *cg_root(void)
{
    const char *r = getenv("FAASBENCH_CGROUP_ROOT");
    return r != NULL && r[0] != '\0' ? r : CGROUP_ROOT;
}

/* v1 controllers are mounted as /sys/fs/cgroup/<list> (e.g. "cpu,cpuacct"),
 * usually with a link per controller name; try both. */
static void v1_mount(char *out, size_t size, const char *list, size_t len, const char *name)
{
    snprintf(out, size, "%s/%.*s", cg_root(), (int)len, list);
    if (access(out, F_OK) != 0)
        snprintf(out, size, "%s/%s", cg_root(), name);
}

/* The node's cgroup given by FAASBENCH_CGROUP: v1 hierarchies are found by
 * name (cpu and cpuacct separately, or co-mounted either way round). */
static bool given_cgroup_paths(struct cg_paths *cg, const char *path)
{
    static const char *const lists[] = {"cpu", "cpuacct", "memory", "cpu,cpuacct", "cpuacct,cpu"};
    if (path[0] != '/' || strlen(path) >= sizeof cg->unified)
        return false;
    snprintf(cg->unified, sizeof cg->unified, "%s", path);
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        char mnt[sizeof cg->cpu_mnt];
        snprintf(mnt, sizeof mnt, "%s/%s", cg_root(), lists[i]);
        if (access(mnt, F_OK) != 0)
            continue;
        size_t len = strlen(lists[i]);
        if (!cg->cpu[0] && has_controller(lists[i], len, "cpu")) {
            snprintf(cg->cpu, sizeof cg->cpu, "%s", path);
            snprintf(cg->cpu_mnt, sizeof cg->cpu_mnt, "%s", mnt);
        }
        if (!cg->cpuacct[0] && has_controller(lists[i], len, "cpuacct")) {
            snprintf(cg->cpuacct, sizeof cg->cpuacct, "%s", path);
            snprintf(cg->cpuacct_mnt, sizeof cg->cpuacct_mnt, "%s", mnt);
        }
        if (!cg->memory[0] && has_controller(lists[i], len, "memory")) {
            snprintf(cg->memory, sizeof cg->memory, "%s", path);
            snprintf(cg->memory_mnt, sizeof cg->memory_mnt, "%s", mnt);
        }
    }
    return true;
}

static bool read_cgroup_paths(struct cg_paths *cg)
{
    memset(cg, 0, sizeof *cg);
    char buf[8192];
    snprintf(buf, sizeof buf, "%s/cgroup.controllers", cg_root());
    cg->v2 = access(buf, F_OK) == 0;
    const char *given = getenv("FAASBENCH_CGROUP");
    if (given != NULL && given[0] != '\0')
        return given_cgroup_paths(cg, given);
    if (!read_small(PROC_SELF_CGROUP, buf, sizeof buf))
        return false;
    char *line = buf;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2) {
            const char *list = c1 + 1;
            size_t len = (size_t)(c2 - list);
            const char *path = c2 + 1;
            if (len == 0 && strncmp(line, "0:", 2) == 0) {
                snprintf(cg->unified, sizeof cg->unified, "%s", path);
            } else {
                if (has_controller(list, len, "cpu")) {
                    snprintf(cg->cpu, sizeof cg->cpu, "%s", path);
                    v1_mount(cg->cpu_mnt, sizeof cg->cpu_mnt, list, len, "cpu");
                }
                if (has_controller(list, len, "cpuacct")) {
                    snprintf(cg->cpuacct, sizeof cg->cpuacct, "%s", path);
                    v1_mount(cg->cpuacct_mnt, sizeof cg->cpuacct_mnt, list, len, "cpuacct");
                }
                if (has_controller(list, len, "memory")) {
                    snprintf(cg->memory, sizeof cg->memory, "%s", path);
                    v1_mount(cg->memory_mnt, sizeof cg->memory_mnt, list, len, "memory");
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return true;
}

/*
 * The node's cgroup is the nearest one, walking up from this process's own,
 * that carries a limit: nodes/up puts sshd (and so every command) in a child
 * of the limited node cgroup, containers in siblings of it.
 */

static bool v1_cpu(const struct cg_paths *cg, uint64_t *cpu_ns, double *cpus)
{
    if (!cg->cpu[0] || !cg->cpuacct[0])
        return false;
    char rel[1024], file[1400];
    snprintf(rel, sizeof rel, "%s", cg->cpu);
    do {
        if (strcmp(rel, "/") == 0)
            return false;
        uint64_t quota, period;
        char qbuf[64];
        snprintf(file, sizeof file, "%s%s/cpu.cfs_quota_us", cg->cpu_mnt, rel);
        if (!read_small(file, qbuf, sizeof qbuf))
            continue;
        long long q = strtoll(qbuf, NULL, 10);
        if (q <= 0)
            continue;
        quota = (uint64_t)q;
        snprintf(file, sizeof file, "%s%s/cpu.cfs_period_us", cg->cpu_mnt, rel);
        if (!read_u64(file, &period) || period == 0)
            return false;
        /* same level in the cpuacct hierarchy, else this process's own */
        snprintf(file, sizeof file, "%s%s/cpuacct.usage", cg->cpuacct_mnt, rel);
        if (!read_u64(file, cpu_ns)) {
            snprintf(file, sizeof file, "%s%s/cpuacct.usage", cg->cpuacct_mnt, cg->cpuacct);
            if (!read_u64(file, cpu_ns))
                return false;
        }
        *cpus = (double)quota / (double)period;
        return true;
    } while (cgroup_parent(rel));
    return false;
}

static bool v1_mem(const struct cg_paths *cg, uint64_t host_total, uint64_t *used, uint64_t *limit)
{
    if (!cg->memory[0])
        return false;
    char rel[1024], file[1400];
    snprintf(rel, sizeof rel, "%s", cg->memory);
    do {
        if (strcmp(rel, "/") == 0)
            return false;
        uint64_t lim, usage;
        snprintf(file, sizeof file, "%s%s/memory.limit_in_bytes", cg->memory_mnt, rel);
        if (!read_u64(file, &lim) || (host_total && lim >= host_total))
            continue;
        snprintf(file, sizeof file, "%s%s/memory.usage_in_bytes", cg->memory_mnt, rel);
        if (!read_u64(file, &usage))
            return false;
        char stat[8192];
        uint64_t inactive = 0;
        snprintf(file, sizeof file, "%s%s/memory.stat", cg->memory_mnt, rel);
        if (read_small(file, stat, sizeof stat))
            find_key_u64(stat, "total_inactive_file", &inactive);
        *used = usage > inactive ? usage - inactive : 0;
        *limit = lim;
        return true;
    } while (cgroup_parent(rel));
    return false;
}

static bool v2_cpu(const struct cg_paths *cg, uint64_t *cpu_ns, double *cpus)
{
    char rel[1024], file[1400], buf[4096];
    snprintf(rel, sizeof rel, "%s", cg->unified);
    if (!rel[0])
        return false;
    do {
        if (strcmp(rel, "/") == 0)
            return false;
        snprintf(file, sizeof file, "%s%s/cpu.max", cg_root(), rel);
        if (!read_small(file, buf, sizeof buf) || strncmp(buf, "max", 3) == 0)
            continue;
        unsigned long long quota, period;
        if (sscanf(buf, "%llu %llu", &quota, &period) != 2 || period == 0)
            continue;
        uint64_t usec;
        snprintf(file, sizeof file, "%s%s/cpu.stat", cg_root(), rel);
        if (!read_small(file, buf, sizeof buf) || !find_key_u64(buf, "usage_usec", &usec))
            return false;
        *cpu_ns = usec * 1000u;
        *cpus = (double)quota / (double)period;
        return true;
    } while (cgroup_parent(rel));
    return false;
}

static bool v2_mem(const struct cg_paths *cg, uint64_t host_total, uint64_t *used, uint64_t *limit)
{
    char rel[1024], file[1400], buf[8192];
    snprintf(rel, sizeof rel, "%s", cg->unified);
    if (!rel[0])
        return false;
    do {
        if (strcmp(rel, "/") == 0)
            return false;
        uint64_t lim, current, inactive = 0;
        snprintf(file, sizeof file, "%s%s/memory.max", cg_root(), rel);
        if (!read_u64(file, &lim) || (host_total && lim >= host_total))
            continue; /* "max" does not parse: no limit here */
        snprintf(file, sizeof file, "%s%s/memory.current", cg_root(), rel);
        if (!read_u64(file, &current))
            return false;
        snprintf(file, sizeof file, "%s%s/memory.stat", cg_root(), rel);
        if (read_small(file, buf, sizeof buf))
            find_key_u64(buf, "inactive_file", &inactive);
        *used = current > inactive ? current - inactive : 0;
        *limit = lim;
        return true;
    } while (cgroup_parent(rel));
    return false;
}

/* The metrics line into buf (with its '\n'): its length, or -1 with the
 * reason in buf. No fork, no sleep: a few reads of cgroup and proc files. */
static int metrics_line(char *buf, size_t size)
{
    uint64_t cpu_ns = 0, now = 0, used = 0, limit = 0;
    double cpus = 1.0;
    bool cg_cpu = false, cg_mem = false;
    struct cg_paths cg;
    bool have_cg = read_cgroup_paths(&cg);
    uint64_t host_total = host_mem_total();

    if (have_cg) {
        cg_cpu = cg.v2 ? v2_cpu(&cg, &cpu_ns, &cpus) : v1_cpu(&cg, &cpu_ns, &cpus);
        if (cg_cpu)
            now = clock_ns(CLOCK_MONOTONIC);
        cg_mem = cg.v2 ? v2_mem(&cg, host_total, &used, &limit)
                       : v1_mem(&cg, host_total, &used, &limit);
    }
    if (!cg_cpu) {
        if (!host_cpu(&cpu_ns, &cpus)) {
            snprintf(buf, size, "faasbench-node: cannot read CPU usage\n");
            return -1;
        }
        now = clock_ns(CLOCK_MONOTONIC);
    }
    if (!cg_mem && !host_mem(&used, &limit)) {
        snprintf(buf, size, "faasbench-node: cannot read memory usage\n");
        return -1;
    }
    const char *source = (cg_cpu || cg_mem) ? (cg.v2 ? "cgroup2" : "cgroup1") : "proc";
    return snprintf(buf, size,
                    "fbm1 cpu_ns=%" PRIu64 " clock_ns=%" PRIu64 " mem_used=%" PRIu64
                    " mem_limit=%" PRIu64 " cpus=%.2f source=%s\n",
                    cpu_ns, now, used, limit, cpus, source);
}

static int cmd_metrics(void)
{
    char line[256];
    int n = metrics_line(line, sizeof line);

    if (n < 0) {
        fputs(line, stderr);
        return 1;
    }
    fputs(line, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* exec                                                                */

static volatile sig_atomic_t child_pid;
static int wake_fd = -1, wake_fd_read = -1;

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    char c = 0;
    if (write(wake_fd, &c, 1) < 0) {
        /* pipe full: a wake-up is already pending */
    }
    errno = saved;
}

static void on_forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

/* SIGCHLD wakes the main loop; TERM, INT and HUP go to on_stop; SIGPIPE
 * is ignored (a closed stream shows as a write error). */
static void handle_signals(void (*on_stop)(int), int stop_flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_flags = stop_flags;
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* stderr gone: keep running, drop the output */
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Copies what the command wrote to stderr; remembers the last byte. */
static bool relay(int from, char *last, bool *any)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN; /* still open, nothing more for now */
        }
        if (n == 0)
            return false; /* EOF */
        write_all(STDERR_FILENO, buf, (size_t)n);
        *last = buf[n - 1];
        *any = true;
    }
}

static int cmd_exec(const char *command)
{
    int errp[2], wake[2];
    if (pipe2(errp, O_CLOEXEC) != 0 || pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        perror("faasbench-node: pipe");
        return 125;
    }
    wake_fd = wake[1];
    handle_signals(on_forward, SA_RESTART);

    uint64_t start = clock_ns(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) {
        perror("faasbench-node: fork");
        return 125;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (dup2(errp[1], STDERR_FILENO) < 0)
            _exit(126);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    child_pid = pid;
    close(errp[1]);

    char last = '\n';
    bool any = false, err_open = true;
    int status = 0;
    uint64_t end = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            end = clock_ns(CLOCK_MONOTONIC);
            break;
        }
        if (r < 0 && errno != EINTR) {
            perror("faasbench-node: waitpid");
            return 125;
        }
        struct pollfd fds[2] = {
            {.fd = wake[0], .events = POLLIN},
            {.fd = err_open ? errp[0] : -1, .events = POLLIN},
        };
        if (poll(fds, 2, -1) < 0 && errno != EINTR) {
            perror("faasbench-node: poll");
            return 125;
        }
        if (fds[0].revents) {
            char drain[64];
            while (read(wake[0], drain, sizeof drain) > 0) {
            }
        }
        if (err_open && fds[1].revents) {
            if (!relay(errp[0], &last, &any))
                err_open = false;
        }
    }
    child_pid = 0;

    /* whatever the command left in the pipe; background processes that keep
     * stderr open after it exits are not waited for */
    if (err_open) {
        fcntl(errp[0], F_SETFL, O_NONBLOCK);
        relay(errp[0], &last, &any);
    }
    close(errp[0]);

    int code;
    if (WIFEXITED(status))
        code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        code = 128 + WTERMSIG(status);
    else
        code = 125;

    char line[128];
    int n = snprintf(line, sizeof line, "%sfbx1 elapsed_ns=%" PRIu64 " status=%d\n",
                     any && last != '\n' ? "\n" : "", end - start, code);
    write_all(STDERR_FILENO, line, (size_t)n);
    return code;
}

/* ------------------------------------------------------------------ */
/* serve                                                               */

/* Bytes received from the client and not yet consumed. */
struct inbuf {
    char *p;
    size_t len, cap;
    bool eof;
};

/* A full buffer is not read into until a request is consumed: a client
 * sending ahead of its replies cannot make the server grow without end. */
static bool inbuf_full(const struct inbuf *in)
{
    return in->len >= FBN_INBUF_MAX;
}

/* Reads what stdin has (blocking when wait is set), never past
 * FBN_INBUF_MAX bytes held. False on a read error. */
static bool inbuf_fill(struct inbuf *in, bool wait)
{
    if (inbuf_full(in))
        return true;
    if (in->cap - in->len < 65536) {
        size_t cap = in->cap ? in->cap * 2 : 131072;
        char *p = realloc(in->p, cap);
        if (p == NULL)
            return false;
        in->p = p;
        in->cap = cap;
    }
    for (;;) {
        size_t room = in->cap - in->len;
        if (room > FBN_INBUF_MAX - in->len)
            room = FBN_INBUF_MAX - in->len;
        if (!wait) {
            struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
            if (poll(&pf, 1, 0) <= 0)
                return true;
        }
        ssize_t n = read(STDIN_FILENO, in->p + in->len, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            in->eof = true;
        in->len += (size_t)n;
        return true;
    }
}

static void inbuf_consume(struct inbuf *in, size_t n)
{
    memmove(in->p, in->p + n, in->len - n);
    in->len -= n;
}

/* One output stream of the running command. */
struct stream {
    int fd;            /* -1 once at EOF */
    char *buf;         /* the first FBN_CAPTURE bytes */
    size_t len;
};

static void stream_read(struct stream *s)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = read(s->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: nothing more for now */
        if (n == 0) {
            close(s->fd);
            s->fd = -1;
            return;
        }
        size_t take = FBN_CAPTURE - s->len;
        if (take > (size_t)n)
            take = (size_t)n;
        memcpy(s->buf + s->len, chunk, take);
        s->len += take;
    }
}

static pid_t serve_group; /* the running command's process group, 0: none */

static void on_serve_signal(int sig)
{
    if (serve_group > 0)
        kill(-serve_group, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* In the child: its own group, stdin /dev/null, the pipes as stdout/stderr. */
static void serve_child(const char *command, int out, int err)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(err, STDERR_FILENO) < 0)
        _exit(126);
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
}

/* Runs one command; fills the streams, *status, *elapsed, *timed_out.
 * Returns false when the client went away meanwhile (the group is killed). */
static bool serve_one(const char *command, long timeout_ms, struct inbuf *in,
                      struct stream st[2], int *status, uint64_t *elapsed, bool *timed_out)
{
    int outp[2], errp[2], raw = 0;
    bool client_gone = false;

    *timed_out = false;
    *status = 125;
    *elapsed = 0;
    st[0].fd = st[1].fd = -1;
    if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        st[1].len = (size_t)snprintf(st[1].buf, FBN_CAPTURE, "faasbench-node: pipe: %s\n",
                                     strerror(errno));
        return true;
    }
    uint64_t start = clock_ns(CLOCK_MONOTONIC);
    uint64_t term_at = timeout_ms > 0 ? start + (uint64_t)timeout_ms * 1000000u : 0;
    uint64_t kill_at = 0;
    pid_t pid = fork();
    if (pid == 0)
        serve_child(command, outp[1], errp[1]);
    close(outp[1]);
    close(errp[1]);
    if (pid < 0) {
        close(outp[0]);
        close(errp[0]);
        st[1].len = (size_t)snprintf(st[1].buf, FBN_CAPTURE, "faasbench-node: fork: %s\n",
                                     strerror(errno));
        return true;
    }
    setpgid(pid, pid); /* also here: no window before the child's own call */
    serve_group = pid;
    st[0].fd = outp[0];
    st[1].fd = errp[0];
    fcntl(st[0].fd, F_SETFL, O_NONBLOCK);
    fcntl(st[1].fd, F_SETFL, O_NONBLOCK);

    for (;;) {
        pid_t r = waitpid(pid, &raw, WNOHANG);
        if (r == pid) {
            *elapsed = clock_ns(CLOCK_MONOTONIC) - start;
            break;
        }
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (term_at != 0 && now >= term_at && kill_at == 0) {
            *timed_out = true;
            kill(-pid, SIGTERM);
            kill_at = now + (uint64_t)FBN_KILL_GRACE_MS * 1000000u;
        } else if (kill_at != 0 && now >= kill_at) {
            kill(-pid, SIGKILL);
            kill_at = UINT64_MAX;
        }
        uint64_t next = kill_at != 0 ? kill_at : term_at;
        int wait_ms = -1;
        if (next != 0 && next != UINT64_MAX)
            wait_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        struct pollfd fds[4] = {
            {.fd = wake_fd_read, .events = POLLIN},
            {.fd = st[0].fd, .events = POLLIN},
            {.fd = st[1].fd, .events = POLLIN},
            {.fd = in->eof || inbuf_full(in) ? -1 : STDIN_FILENO, .events = POLLIN},
        };
        if (poll(fds, 4, wait_ms) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char drain[64];
            while (read(wake_fd_read, drain, sizeof drain) > 0) {
            }
        }
        for (int i = 0; i < 2; i++)
            if (st[i].fd >= 0 && fds[i + 1].revents)
                stream_read(&st[i]);
        if (fds[3].revents) {
            if (!inbuf_fill(in, false) || in->eof) {
                /* The client is gone: nobody is left to read the result. */
                client_gone = true;
                kill(-pid, SIGKILL);
            }
        }
    }
    serve_group = 0;
    if (*timed_out)
        kill(-pid, SIGKILL); /* what the shell left behind goes too */
    /* Whatever is already in the pipes; background processes that keep them
     * open are not waited for. */
    for (int i = 0; i < 2; i++) {
        if (st[i].fd >= 0) {
            stream_read(&st[i]);
            if (st[i].fd >= 0)
                close(st[i].fd);
            st[i].fd = -1;
        }
    }
    if (WIFEXITED(raw))
        *status = WEXITSTATUS(raw);
    else if (WIFSIGNALED(raw))
        *status = 128 + WTERMSIG(raw);
    return !client_gone;
}

/* One fbc1 request: "DIR\0KIND\0ARGS" of len bytes, to the instance's
 * runtime, in this process (no fork on the warm path). */
static void serve_call(const char *payload, size_t len, uint32_t timeout_ms)
{
    struct fbn_call c = {0};
    size_t dlen = strnlen(payload, len), klen;
    const char *kind = payload + dlen + 1;

    if (dlen == 0 || dlen >= len) {
        snprintf(c.why, sizeof c.why, "faasbench-node: a call names no instance folder");
        c.state = FBN_CALL_GONE;
    } else if ((klen = strnlen(kind, len - dlen - 1)) >= len - dlen - 1 ||
               (strcmp(kind, "ping") != 0 && strcmp(kind, "call") != 0)) {
        snprintf(c.why, sizeof c.why, "faasbench-node: a call is ping or call");
        c.state = FBN_CALL_GONE;
    } else {
        const char *args = kind + klen + 1;
        fbn_call_run(payload, kind[0] == 'p' ? FB_INST_PING : FB_INST_CALL, args,
                     len - (size_t)(args - payload), timeout_ms, &c);
    }
    fbn_call_write(STDOUT_FILENO, &c);
    fbn_call_free(&c);
}

static int cmd_serve(void)
{
    struct inbuf in = {0};
    struct stream st[2] = {{.fd = -1}, {.fd = -1}};
    char *command = NULL;
    int wake[2] = {-1, -1}, rc = 0;

    st[0].buf = malloc(FBN_CAPTURE);
    st[1].buf = malloc(FBN_CAPTURE);
    if (st[0].buf == NULL || st[1].buf == NULL ||
        pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        perror("faasbench-node serve");
        rc = 125;
        goto out;
    }
    wake_fd = wake[1];
    wake_fd_read = wake[0];
    handle_signals(on_serve_signal, 0);

    /* What a killed command's shell leaves behind is reparented here and
     * reaped, not left as a zombie for an init that may not reap. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    write_all(STDOUT_FILENO, FB_NODEPROTO_READY, sizeof(FB_NODEPROTO_READY) - 1);
    for (;;) {
        struct fb_nodeproto_request q;
        size_t llen = 0, hlen;
        int r;

        while ((r = fb_nodeproto_line(in.p, in.len, &llen)) == FB_NODEPROTO_MORE) {
            if (in.eof)
                goto out; /* the client closed the channel: done */
            if (!inbuf_fill(&in, true)) {
                perror("faasbench-node serve: read");
                rc = 2;
                goto out;
            }
        }
        /* No '\n' and no NUL within the longest line there can be. */
        if (r != FB_NODEPROTO_OK &&
            memchr(in.p, '\0', in.len < FB_NODEPROTO_LINE_MAX ? in.len
                                                               : FB_NODEPROTO_LINE_MAX) == NULL) {
            fputs("faasbench-node serve: request line too long\n", stderr);
            rc = 2;
            goto out;
        }
        if (r != FB_NODEPROTO_OK || fb_nodeproto_request_parse(in.p, llen, &q) != 0) {
            size_t shown = strnlen(in.p, r == FB_NODEPROTO_OK ? llen : in.len);
            fprintf(stderr, "faasbench-node serve: bad request line: %.*s\n",
                    (int)(shown < 64 ? shown : 64), in.p);
            rc = 2;
            goto out;
        }
        hlen = llen + 1;
        while (in.len < hlen + q.len) {
            if (in.eof) {
                fputs("faasbench-node serve: request cut short\n", stderr);
                rc = 2;
                goto out;
            }
            if (!inbuf_fill(&in, true)) {
                perror("faasbench-node serve: read");
                rc = 2;
                goto out;
            }
        }
        if ((command = malloc(q.len + 1)) == NULL) {
            perror("faasbench-node serve");
            rc = 125;
            goto out;
        }
        memcpy(command, in.p + hlen, q.len);
        command[q.len] = '\0';
        inbuf_consume(&in, hlen + q.len);
        st[0].len = st[1].len = 0;
        if (q.kind == FB_NODEPROTO_CALL) {
            serve_call(command, q.len, q.timeout_ms);
            free(command);
            command = NULL;
            continue;
        }

        int status;
        uint64_t elapsed;
        bool timed_out;
        if (strlen(command) != q.len) {
            st[1].len = (size_t)snprintf(st[1].buf, FBN_CAPTURE,
                                         "faasbench-node: the command holds a NUL byte\n");
            status = 125;
            elapsed = 0;
            timed_out = false;
        } else if (strcmp(command, FBN_METRICS_COMMAND) == 0) {
            /* The poll a run makes at every selection: answered here, no
             * fork, so it costs a quota-limited node next to nothing. */
            uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
            int n = metrics_line(st[0].buf, 256);
            status = n < 0 ? 1 : 0;
            if (n < 0) {
                st[1].len = strlen(st[0].buf);
                memcpy(st[1].buf, st[0].buf, st[1].len);
                n = 0;
            }
            st[0].len = (size_t)n;
            elapsed = clock_ns(CLOCK_MONOTONIC) - t0;
            timed_out = false;
        } else if (!serve_one(command, (long)q.timeout_ms, &in, st, &status, &elapsed,
                              &timed_out)) {
            goto out; /* the client went away during the command */
        }
        free(command);
        command = NULL;
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        char head[FB_NODEPROTO_LINE_MAX];
        struct fb_nodeproto_reply rep = {.status = status, .elapsed_ns = elapsed,
                                         .timed_out = timed_out, .out_len = st[0].len,
                                         .err_len = st[1].len};
        int n = fb_nodeproto_reply_format(head, sizeof head, &rep);
        if (n < 0) {
            fputs("faasbench-node serve: reply outside the protocol's limits\n", stderr);
            rc = 125;
            goto out;
        }
        write_all(STDOUT_FILENO, head, (size_t)n);
        write_all(STDOUT_FILENO, st[0].buf, st[0].len);
        write_all(STDOUT_FILENO, st[1].buf, st[1].len);
    }
out:
    free(command);
    free(in.p);
    free(st[0].buf);
    free(st[1].buf);
    for (int i = 0; i < 2; i++)
        if (wake[i] >= 0)
            close(wake[i]);
    return rc;
}

/* ------------------------------------------------------------------ */

static int usage(void)
{
    fputs("usage: faasbench-node metrics\n"
          "       faasbench-node work DURATION_MS [MEMORY_MB]\n"
          "       faasbench-node exec -c 'COMMAND'\n"
          "       faasbench-node serve\n"
          "       faasbench-node call DIR ping|call TIMEOUT_MS [ARG...]\n"
          "       faasbench-node folder DIR\n"
          "       faasbench-node runtime DIR [--] COMMAND [ARG...]\n"
          "       faasbench-node version\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "metrics") == 0 && argc == 2)
        return cmd_metrics();
    if (strcmp(argv[1], "exec") == 0 && argc == 4 && strcmp(argv[2], "-c") == 0)
        return cmd_exec(argv[3]);
    if (strcmp(argv[1], "serve") == 0 && argc == 2)
        return cmd_serve();
    if (strcmp(argv[1], "call") == 0)
        return fbn_cmd_call(argc - 2, argv + 2);
    if (strcmp(argv[1], "work") == 0)
        return fbn_work(argc - 2, argv + 2);
    if (strcmp(argv[1], "folder") == 0)
        return fbn_cmd_folder(argc - 2, argv + 2);
    if (strcmp(argv[1], "runtime") == 0)
        return fbn_cmd_runtime(argc - 2, argv + 2);
    if (strcmp(argv[1], "version") == 0 && argc == 2) {
        printf("faasbench-node " FBN_VERSION "\n");
        return 0;
    }
    return usage();
}
