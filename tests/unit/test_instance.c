/* test_instance.c - the node helper's side of resident instances
 * (src/helper/instance.c) as a node runs it: the built `faasbench-node`
 * making instance folders, runtimes (its own and nodes/images/runtime.py)
 * as host processes, and calls to them, alone and through `serve`. What a
 * runtime or another local user may put in the way is refused: a link in
 * place of the socket, a FIFO in place of the reason file, a folder others
 * can reach or change, a client that connects and says nothing. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define RUNTIME_PY FB_TEST_DATA "/../../nodes/images/runtime.py"
#define HANDLERS FB_TEST_DATA "/handlers"

static char top[256];  /* a private temporary folder per test */
static char root[300]; /* top/inst: the instance root */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void setup(void)
{
    snprintf(top, sizeof(top), "/tmp/fb-inst-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
    snprintf(root, sizeof(root), "%s/inst", top);
}

static void teardown(void)
{
    sh("rm -rf '%s'", top);
}

/* The helper's answer to `faasbench-node ARGS...` (stdout and stderr), and
 * its exit status. */
struct ran {
    char out[4096];
    int status;
};

static void helper(struct ran *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void helper(struct ran *r, const char *fmt, ...)
{
    char args[1024], cmd[1400];
    va_list ap;
    size_t len = 0;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", FB_NODE_HELPER, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while (len < sizeof(r->out) - 1 && fgets(r->out + len, (int)(sizeof(r->out) - len), p))
        len = strlen(r->out);
    r->status = pclose(p);
}

/* `faasbench-node folder DIR` makes DIR; 0 on success. */
static int folder(const char *dir)
{
    struct ran r;
    helper(&r, "folder '%s'", dir);
    return r.status;
}

/* dir and the folders above it that are missing, private (0700), made here
 * as `faasbench-node folder` would. */
static void make_dir(const char *dir)
{
    sh("umask 077 && mkdir -p '%s'", dir);
}

/* A runtime in dir: the helper's serving `echo NAME` (py NULL) or
 * runtime.py serving handlers:py; its pid. */
static pid_t start_runtime(const char *dir, const char *name, const char *py)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (py == NULL) {
            execl(FB_NODE_HELPER, "faasbench-node", "runtime", dir, "--", "echo", name,
                  (char *)NULL);
        } else {
            char target[64];
            snprintf(target, sizeof(target), "handlers:%s", py);
            if (chdir(HANDLERS) == 0)
                execlp("python3", "python3", RUNTIME_PY, dir, target, (char *)NULL);
        }
        _exit(127);
    }
    return pid;
}

static void stop_runtime(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* A ping of dir that must succeed. */
static void ready(const char *dir)
{
    struct ran r;
    helper(&r, "call '%s' ping 10000", dir);
    ck_assert_msg(strncmp(r.out, "fbd1 state=ok ", 14) == 0, "ping %s: %s", dir, r.out);
}

/* The count= of a reply. */
static long count_of(const char *out)
{
    const char *c = strstr(out, " count=");
    ck_assert_ptr_nonnull(c);
    return strtol(c + 7, NULL, 10);
}

START_TEST(folder_makes_private_folders)
{
    char dir[400];
    struct stat st;
    struct ran r;

    snprintf(dir, sizeof(dir), "%s/n1/a", root);
    helper(&r, "folder '%s'", dir);
    ck_assert_msg(r.status == 0, "%s", r.out);
    /* It prints the owner, the user a runtime is to run as. */
    char want[64];
    snprintf(want, sizeof(want), "%u:%u\n", (unsigned)geteuid(), (unsigned)getegid());
    ck_assert_str_eq(r.out, want);
    const char *made[] = {root, NULL, dir};
    char n1[400];
    snprintf(n1, sizeof(n1), "%s/n1", root);
    made[1] = n1;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(lstat(made[i], &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_int_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(st.st_uid, geteuid());
    }
    /* Made again: it is there, nothing changes. */
    ck_assert_int_eq(folder(dir), 0);
}
END_TEST

/* Refused: a folder of the three with a mode others can use, a link on the
 * way, a folder above writable by others, another user's folder. */
START_TEST(folders_others_can_reach_are_refused)
{
    char dir[400], open_root[400], linked[400], shared[400];
    struct ran r;

    snprintf(dir, sizeof(dir), "%s/n1/a", root);
    ck_assert_int_eq(folder(dir), 0);

    sh("chmod 755 '%s'", root);
    helper(&r, "call '%s' ping 1000", dir);
    ck_assert_msg(strstr(r.out, "state=gone") && strstr(r.out, "must be this user's own"),
                  "%s", r.out);
    ck_assert_int_ne(folder(dir), 0);
    sh("chmod 700 '%s'", root);

    sh("chmod 711 '%s/n1/a'", root);
    helper(&r, "call '%s' ping 1000", dir);
    ck_assert_msg(strstr(r.out, "mode 0711"), "%s", r.out);
    sh("chmod 700 '%s/n1/a'", root);

    /* A link anywhere on the way. */
    sh("ln -s inst '%s/link'", top);
    snprintf(linked, sizeof(linked), "%s/link/n1/a", top);
    helper(&r, "call '%s' ping 1000", linked);
    ck_assert_msg(strstr(r.out, "not a folder (a link?)"), "%s", r.out);

    /* A folder above the root that others may write to (not sticky). */
    snprintf(shared, sizeof(shared), "%s/shared", top);
    snprintf(open_root, sizeof(open_root), "%s/shared/inst/n1/a", top);
    ck_assert_int_eq(folder(open_root), 0);
    sh("chmod 777 '%s'", shared);
    helper(&r, "call '%s' ping 1000", open_root);
    ck_assert_msg(strstr(r.out, "is writable by others"), "%s", r.out);
    ck_assert_int_ne(folder(open_root), 0);
    /* Sticky, as /tmp is: others cannot move what is ours in it. */
    sh("chmod 1777 '%s'", shared);
    ck_assert_int_eq(folder(open_root), 0);

    /* Another user's folder (only root can make one). */
    if (geteuid() == 0) {
        sh("chown 65534 '%s/n1'", root);
        helper(&r, "call '%s' ping 1000", dir);
        ck_assert_msg(strstr(r.out, "it is uid 65534"), "%s", r.out);
        sh("chown 0 '%s/n1'", root);
        sh("chown 65534 '%s'", top);
        helper(&r, "call '%s' ping 1000", dir);
        ck_assert_msg(strstr(r.out, "belongs to uid 65534"), "%s", r.out);
        sh("chown 0 '%s'", top);
    }
    /* Not of the layout ROOT/NODE/INSTANCE, or not absolute. */
    helper(&r, "call inst/n1/a ping 1000");
    ck_assert_msg(strstr(r.out, "not an absolute path"), "%s", r.out);
    helper(&r, "call '%s/n1/../n1/a' ping 1000", root);
    ck_assert_msg(strstr(r.out, "'.' or '..'"), "%s", r.out);
}
END_TEST

/* "~/" is the home folder, as the node's shell expands it in templates. */
START_TEST(a_root_under_home)
{
    struct ran r;
    char dir[400];

    setenv("HOME", top, 1);
    helper(&r, "folder '~/inst/n1/a'");
    ck_assert_msg(r.status == 0, "%s", r.out);
    snprintf(dir, sizeof(dir), "%s/n1/a", root);
    pid_t pid = start_runtime(dir, "home", NULL);
    helper(&r, "call '~/inst/n1/a' ping 10000");
    ck_assert_msg(strstr(r.out, "state=ok"), "%s", r.out);
    stop_runtime(pid);
    setenv("HOME", "relative", 1);
    helper(&r, "call '~/inst/n1/a' ping 1000");
    ck_assert_msg(strstr(r.out, "HOME is not an absolute path"), "%s", r.out);
}
END_TEST

/* A runtime cannot have its instance's calls served by another: a link in
 * place of its socket is not followed, so B serves none of A's calls. */
START_TEST(a_socket_link_reaches_no_other_instance)
{
    char a[400], b[400];
    struct ran r;
    struct stat st;

    snprintf(a, sizeof(a), "%s/n1/a", root);
    snprintf(b, sizeof(b), "%s/n1/b", root);
    make_dir(a);
    make_dir(b);
    pid_t pa = start_runtime(a, "A", NULL), pb = start_runtime(b, "B", NULL);
    ready(a);
    ready(b);
    helper(&r, "call '%s' call 5000", b);
    ck_assert_msg(strstr(r.out, "state=ok") && count_of(r.out) == 1, "%s", r.out);
    sh("rm '%s/sock' && ln -s ../b/sock '%s/sock'", a, a);
    for (int i = 0; i < 2; i++) {
        helper(&r, "call '%s' call 5000", a);
        ck_assert_msg(strstr(r.out, "state=gone") && strstr(r.out, "sock is not a socket"),
                      "%s", r.out);
    }
    helper(&r, "call '%s' ping 2000", a);
    ck_assert_msg(strstr(r.out, "sock is not a socket"), "%s", r.out);
    /* B served its own call and nothing else. */
    helper(&r, "call '%s' ping 5000", b);
    ck_assert_msg(strstr(r.out, "state=ok") && count_of(r.out) == 1, "%s", r.out);
    /* The socket is the node user's alone. */
    char sock[420];
    snprintf(sock, sizeof(sock), "%s/sock", b);
    ck_assert_int_eq(lstat(sock, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    stop_runtime(pa);
    stop_runtime(pb);
}
END_TEST

/* A FIFO named "failed" (the file where a runtime that cannot start says
 * why) does not hold a ping past its deadline: it is no regular file. */
START_TEST(a_fifo_named_failed_holds_no_ping)
{
    char dir[400];
    struct ran r;

    snprintf(dir, sizeof(dir), "%s/n1/f", root);
    make_dir(dir);
    sh("mkfifo '%s/failed'", dir);
    double t0 = now_s();
    helper(&r, "call '%s' ping 3000", dir);
    ck_assert_msg(now_s() - t0 < 2.5, "the ping took %.1f s", now_s() - t0);
    ck_assert_msg(strstr(r.out, "state=gone") && strstr(r.out, "'failed' is not a readable "
                                                                "regular file"),
                  "%s", r.out);
}
END_TEST

/* The same through the server a session runs: it answers, and ends at the
 * client's EOF, leaving no process behind. */
START_TEST(a_fifo_named_failed_leaves_no_server_behind)
{
    char dir[400], req[600], reply[512] = "";
    int in[2], out[2];
    size_t len = 0;

    snprintf(dir, sizeof(dir), "%s/n1/f", root);
    make_dir(dir);
    sh("mkfifo '%s/failed'", dir);
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(in[0], 0), dup2(out[1], 1);
        close(in[1]), close(out[0]);
        execl(FB_NODE_HELPER, "faasbench-node", "serve", (char *)NULL);
        _exit(127);
    }
    close(in[0]), close(out[1]);
    size_t plen = strlen(dir) + 1 + 5;
    int n = snprintf(req, sizeof(req), "fbc1 500 %zu\n", plen);
    memcpy(req + n, dir, strlen(dir) + 1);
    memcpy(req + n + strlen(dir) + 1, "ping", 5);
    ck_assert_int_eq(write(in[1], req, (size_t)n + plen), (ssize_t)((size_t)n + plen));
    close(in[1]); /* the client goes away after its request */
    double t0 = now_s();
    int status = -1;
    while (now_s() - t0 < 5) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(20000);
    }
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ck_abort_msg("serve is still running 5 s after its client left");
    }
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ssize_t got;
    while (len < sizeof(reply) - 1 &&
           (got = read(out[0], reply + len, sizeof(reply) - 1 - len)) > 0)
        len += (size_t)got;
    reply[len] = '\0';
    close(out[0]);
    ck_assert_msg(strstr(reply, "fbd1 state=gone") && strstr(reply, "'failed'"), "%s", reply);
}
END_TEST

/* A client that connects to runtime.py and says nothing is dropped after
 * the runtime's per-connection timeout: the next call is served. */
START_TEST(a_silent_client_holds_no_python_runtime)
{
    char dir[400];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct ran r;

    snprintf(dir, sizeof(dir), "%s/n1/p", root);
    make_dir(dir);
    pid_t pid = start_runtime(dir, NULL, "echo");
    ready(dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
    ck_assert_int_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    double t0 = now_s();
    helper(&r, "call '%s' call 20000 x", dir);
    ck_assert_msg(strstr(r.out, "state=ok") && strstr(r.out, "echo x"), "%s", r.out);
    ck_assert_msg(now_s() - t0 < 15, "served after %.1f s", now_s() - t0);
    /* The silent client was let go. */
    char c;
    ck_assert_int_eq(recv(s, &c, 1, 0), 0);
    close(s);
    stop_runtime(pid);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("instance");
    TCase *tc = tcase_create("helper");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, folder_makes_private_folders);
    tcase_add_test(tc, folders_others_can_reach_are_refused);
    tcase_add_test(tc, a_root_under_home);
    tcase_add_test(tc, a_socket_link_reaches_no_other_instance);
    tcase_add_test(tc, a_fifo_named_failed_holds_no_ping);
    tcase_add_test(tc, a_fifo_named_failed_leaves_no_server_behind);
    tcase_add_test(tc, a_silent_client_holds_no_python_runtime);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
