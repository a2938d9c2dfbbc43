/* test_transport_ssh.c - the ssh transport against a real sshd this suite starts on
 * 127.0.0.1 (ports 2290-2299, its own config and keys in a temporary folder),
 * with a node helper of the test's choosing behind it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "transport/transport.h"
#include "transport/transport_priv.h"

#define SSHD "/usr/sbin/sshd"
#define SSHD_PRIVSEP "/run/sshd" /* Debian's compiled-in privilege separation folder */
#define SSH_KEYGEN "/usr/bin/ssh-keygen"

/* Set up once for the suite, in the runner's process (an unchecked
 * fixture), so the forked tests inherit it and the sshd is stopped even
 * when a test fails. */
static struct {
    char dir[256];
    int port;
    pid_t sshd;
    char host_pub[512]; /* "ssh-ed25519 AAAA..." of the sshd's key */
    char error[512];    /* why the fixture could not be set up, "" when it was */
} fx;

static void fx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fx_fail(const char *fmt, ...)
{
    va_list ap;

    if (fx.error[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(fx.error, sizeof(fx.error), fmt, ap);
    va_end(ap);
}

static void fx_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", fx.dir, name);
}

static bool fx_write(const char *name, mode_t mode, const char *text)
{
    char path[512];
    FILE *f;

    fx_path(path, sizeof(path), name);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0) {
        fx_fail("cannot write %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Runs argv to completion with stdout and stderr to /dev/null; its status. */
static int run_quiet(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool keygen(const char *name, const char *comment)
{
    char path[512];
    char *argv[] = {SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", (char *)comment, "-f",
                    path, NULL};

    fx_path(path, sizeof(path), name);
    if (run_quiet(argv) != 0) {
        fx_fail("ssh-keygen %s failed", path);
        return false;
    }
    return true;
}

/* The first line of a file (without its newline) into buf. */
static bool first_line(const char *name, char *buf, size_t n)
{
    char path[512];
    FILE *f;

    fx_path(path, sizeof(path), name);
    f = fopen(path, "r");
    if (f == NULL || fgets(buf, (int)n, f) == NULL) {
        if (f != NULL)
            fclose(f);
        fx_fail("cannot read %s", path);
        return false;
    }
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return true;
}

static bool port_free(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    bool ok;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool port_answers(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* The helper sshd runs for `exec faasbench-node serve` (ForceCommand): what
 * the file "mode" names. Other commands run as given. */
static const char fake_helper[] =
    "#!/bin/sh\n"
    "dir=$(dirname \"$0\")\n"
    "mode=$(cat \"$dir/mode\" 2>/dev/null)\n"
    "if [ \"$SSH_ORIGINAL_COMMAND\" != 'exec faasbench-node serve' ]; then\n"
    "    exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n"
    "fi\n"
    "case $mode in\n"
    "real) exec \"" FB_NODE_HELPER "\" serve ;;\n"
    /* Ready, then after the request an endless line: no '\n' ever. */
    "flood) printf 'fbs1 ready\\n'; read -r line; exec yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | tr -d '\\n' ;;\n"
    /* Ready, then a reply line with a NUL in it. */
    "nul) printf 'fbs1 ready\\n'; read -r line\n"
    "     printf 'fbr1 status=0 elapsed_ns=1 timed_out=0 out=0 err=0\\000junk\\n'; sleep 5 ;;\n"
    /* Ready, then a reply whose streams are longer than any capture. */
    "long) printf 'fbs1 ready\\n'; read -r line\n"
    "     printf 'fbr1 status=0 elapsed_ns=1 timed_out=0 out=1048577 err=0\\n'; sleep 5 ;;\n"
    "*) echo \"no mode\" >&2; exit 1 ;;\n"
    "esac\n";

static void suite_setup(void)
{
    char conf[4096], path[512], client_pub[512], line[1024];

    memset(&fx, 0, sizeof(fx));
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/faasbench-ssh-test.XXXXXX");
    if (mkdtemp(fx.dir) == NULL) {
        fx_fail("mkdtemp: %s", strerror(errno));
        return;
    }
    if (access(SSHD, X_OK) != 0 || access(SSH_KEYGEN, X_OK) != 0) {
        fx_fail("%s and %s are needed (package openssh-server)", SSHD, SSH_KEYGEN);
        return;
    }
    /* sshd will not start without its privilege separation folder, which is
     * on /run: a tmpfs, empty after a boot. Nothing else makes it for us. */
    if (mkdir(SSHD_PRIVSEP, 0755) != 0 && errno != EEXIST) {
        fx_fail("mkdir %s: %s", SSHD_PRIVSEP, strerror(errno));
        return;
    }
    if (!keygen("host_ed25519", "faasbench-test-host") || !keygen("id_ed25519", "client") ||
        !first_line("host_ed25519.pub", fx.host_pub, sizeof(fx.host_pub)) ||
        !first_line("id_ed25519.pub", client_pub, sizeof(client_pub)))
        return;
    /* Only the type and the key, without the comment. */
    *strrchr(fx.host_pub, ' ') = '\0';
    snprintf(line, sizeof(line), "%s\n", client_pub);
    if (!fx_write("authorized_keys", 0600, line) || !fx_write("fake", 0755, fake_helper) ||
        !fx_write("mode", 0644, "real\n"))
        return;
    for (fx.port = 2290; fx.port < 2300 && !port_free(fx.port); fx.port++) {
    }
    if (fx.port == 2300) {
        fx_fail("no free port in 2290-2299");
        return;
    }
    snprintf(conf, sizeof(conf),
             "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_ed25519\nPidFile %s/sshd.pid\n"
             "AuthorizedKeysFile %s/authorized_keys\nPermitRootLogin prohibit-password\n"
             "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
             "KbdInteractiveAuthentication no\nForceCommand %s/fake\nPrintMotd no\n"
             "UseDNS no\nMaxSessions 16\nLogLevel ERROR\n",
             fx.port, fx.dir, fx.dir, fx.dir, fx.dir);
    if (!fx_write("sshd_config", 0600, conf))
        return;
    fx_path(path, sizeof(path), "sshd_config");
    fx.sshd = fork();
    if (fx.sshd == 0) {
        char log[512];
        int fd;

        fx_path(log, sizeof(log), "sshd.log");
        fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDERR_FILENO);
        execl(SSHD, SSHD, "-D", "-e", "-f", path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        int status;
        if (waitpid(fx.sshd, &status, WNOHANG) == fx.sshd) {
            fx.sshd = 0;
            fx_fail("sshd exited at start (see %s/sshd.log)", fx.dir);
            return;
        }
        if (port_answers(fx.port))
            return;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    fx_fail("sshd does not answer on port %d", fx.port);
}

static void suite_teardown(void)
{
    if (fx.sshd > 0) {
        kill(fx.sshd, SIGTERM);
        waitpid(fx.sshd, NULL, 0);
        fx.sshd = 0;
    }
    if (fx.dir[0] != '\0' && strncmp(fx.dir, "/tmp/faasbench-ssh-test.", 24) == 0) {
        char *argv[] = {"/bin/rm", "-rf", fx.dir, NULL};
        run_quiet(argv);
    }
}

/* ---- helpers for the tests ---- */

static void need_fixture(void)
{
    ck_assert_msg(fx.error[0] == '\0', "test sshd: %s", fx.error);
}

static void set_mode(const char *mode)
{
    char text[64];

    snprintf(text, sizeof(text), "%s\n", mode);
    ck_assert(fx_write("mode", 0644, text));
}

/* A known_hosts file name in the fixture's folder, holding text. */
static void known_hosts(const char *name, const char *text)
{
    ck_assert(fx_write(name, 0644, text));
}

static struct fb_node_cfg node_cfg(const char *kh, bool agent, char *id, char *khpath)
{
    fx_path(id, 512, "id_ed25519");
    fx_path(khpath, 512, kh);
    return (struct fb_node_cfg){.name = "sshtest", .host = "127.0.0.1", .port = fx.port,
                                .user = "root", .identity = id, .known_hosts = khpath,
                                .transport = FB_TRANSPORT_SSH, .agent = agent};
}

static void plain_known_hosts(void)
{
    char text[1024];

    snprintf(text, sizeof(text), "[127.0.0.1]:%d %s\n", fx.port, fx.host_pub);
    known_hosts("kh_ok", text);
}

/* Opens a session with the node helper's server in the given mode. */
static struct fb_conn *open_agent(const char *mode)
{
    char id[512], kh[512];
    struct fb_node_cfg n;
    struct fb_conn *c = NULL;
    struct fb_errbuf eb = {{0}};
    int rc;

    need_fixture();
    set_mode(mode);
    plain_known_hosts();
    n = node_cfg("kh_ok", true, id, kh);
    rc = fb_conn_open(&n, 5000, &c, &eb);
    ck_assert_msg(rc == 0, "open: %s: %s", fb_err_name(rc), eb.msg);
    return c;
}

/* ---- the node helper's server over ssh ---- */

START_TEST(agent_runs_commands)
{
    struct fb_conn *c = open_agent("real");
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    int rc;

    for (int i = 0; i < 3; i++) {
        rc = fb_conn_exec(c, "echo hi; echo e >&2; exit 4", 5000, &res, &eb);
        ck_assert_msg(rc == 0, "%s: %s", fb_err_name(rc), eb.msg);
        ck_assert_int_eq(res.exit_status, 4);
        ck_assert_str_eq(res.out, "hi\n");
        ck_assert_str_eq(res.err, "e\n");
        ck_assert(!isnan(res.node_ms) && res.node_ms >= 0);
        fb_exec_result_free(&res);
    }
    rc = fb_conn_exec(c, "sleep 10", 200, &res, &eb);
    ck_assert_msg(rc == FB_ETIMEDOUT, "%s: %s", fb_err_name(rc), eb.msg);
    ck_assert_int_eq(res.exit_status, 143);
    fb_exec_result_free(&res);
    fb_conn_close(c);
}
END_TEST

/* A server that never ends its reply line: the client stops reading at the
 * line limit and gives the channel up, instead of buffering without end. */
START_TEST(agent_reply_line_without_end)
{
    struct fb_conn *c = open_agent("flood");
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    int rc = fb_conn_exec(c, "true", 5000, &res, &eb);

    ck_assert_msg(rc == FB_ESSH, "%s: %s", fb_err_name(rc), eb.msg);
    ck_assert_msg(strstr(eb.msg, "sent no reply line") != NULL, "%s", eb.msg);
    ck_assert_int_eq(res.exit_status, -1);
    fb_exec_result_free(&res);
    fb_conn_close(c);
}
END_TEST

START_TEST(agent_reply_line_with_nul)
{
    struct fb_conn *c = open_agent("nul");
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    int rc = fb_conn_exec(c, "true", 5000, &res, &eb);

    ck_assert_msg(rc == FB_ESSH, "%s: %s", fb_err_name(rc), eb.msg);
    ck_assert_msg(strstr(eb.msg, "sent no reply line") != NULL, "%s", eb.msg);
    ck_assert_int_eq(res.exit_status, -1);
    fb_exec_result_free(&res);
    fb_conn_close(c);
}
END_TEST

START_TEST(agent_reply_too_long)
{
    struct fb_conn *c = open_agent("long");
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    int rc = fb_conn_exec(c, "true", 5000, &res, &eb);

    ck_assert_msg(rc == FB_ESSH, "%s: %s", fb_err_name(rc), eb.msg);
    ck_assert_msg(strstr(eb.msg, "sent fbr1 status=0 elapsed_ns=1 timed_out=0 out=1048577") !=
                      NULL,
                  "%s", eb.msg);
    fb_exec_result_free(&res);
    fb_conn_close(c);
}
END_TEST

/* ---- host keys ---- */

static int open_with(const char *kh_text, struct fb_errbuf *eb)
{
    char id[512], kh[512];
    struct fb_node_cfg n;
    struct fb_conn *c = NULL;
    int rc;

    need_fixture();
    set_mode("real");
    known_hosts("kh_test", kh_text);
    n = node_cfg("kh_test", false, id, kh);
    rc = fb_conn_open(&n, 5000, &c, eb);
    if (rc == 0) {
        struct fb_exec_result res;
        ck_assert_int_eq(fb_conn_exec(c, "true", 5000, &res, eb), 0);
        ck_assert_int_eq(res.exit_status, 0);
        fb_exec_result_free(&res);
        fb_conn_close(c);
    }
    return rc;
}

START_TEST(hostkey_listed_is_accepted)
{
    struct fb_errbuf eb = {{0}};
    char text[1200];
    int rc;

    snprintf(text, sizeof(text), "# test\n[127.0.0.1]:%d %s\n", fx.port, fx.host_pub);
    rc = open_with(text, &eb);
    ck_assert_msg(rc == 0, "%s: %s", fb_err_name(rc), eb.msg);
}
END_TEST

/* OpenSSH refuses a key marked @revoked even when another line lists it. */
START_TEST(hostkey_revoked_is_refused)
{
    struct fb_errbuf eb = {{0}};
    char text[3][2400];
    int rc;

    snprintf(text[0], sizeof(text[0]), "@revoked [127.0.0.1]:%d %s\n[127.0.0.1]:%d %s\n",
             fx.port, fx.host_pub, fx.port, fx.host_pub);
    snprintf(text[1], sizeof(text[1]), "[127.0.0.1]:%d %s\n@revoked * %s revoked-key\n",
             fx.port, fx.host_pub, fx.host_pub);
    snprintf(text[2], sizeof(text[2]),
             "[127.0.0.1]:%d %s\n \t@revoked\t|1|c2FsdA==|aGFzaA== %s\r\n", fx.port,
             fx.host_pub, fx.host_pub);
    for (int i = 0; i < 3; i++) {
        eb.msg[0] = '\0';
        rc = open_with(text[i], &eb);
        ck_assert_msg(rc == FB_EHOSTKEY, "form %d: %s: %s", i, fb_err_name(rc), eb.msg);
        ck_assert_msg(strstr(eb.msg, "is marked @revoked in known_hosts") != NULL &&
                          strstr(eb.msg, "refusing to connect") != NULL,
                      "form %d: %s", i, eb.msg);
    }
}
END_TEST

START_TEST(hostkey_revoked_alone_is_refused)
{
    struct fb_errbuf eb = {{0}};
    char text[1200];
    int rc;

    snprintf(text, sizeof(text), "@revoked [127.0.0.1]:%d %s\n", fx.port, fx.host_pub);
    rc = open_with(text, &eb);
    ck_assert_msg(rc == FB_EHOSTKEY, "%s: %s", fb_err_name(rc), eb.msg);
    ck_assert_msg(strstr(eb.msg, "is marked @revoked in known_hosts") != NULL, "%s", eb.msg);
}
END_TEST

/* ---- @revoked lines read from fixture files ---- */

#define KH_DIR FB_TEST_DATA "/known_hosts"

/* The raw key of a .pub file (its base64 field decoded here, apart from
 * the code under test). */
static size_t pub_blob(const char *name, unsigned char *out, size_t cap)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char path[512], text[1024], *b64;
    FILE *f;
    size_t n = 0, bits = 0;
    unsigned acc = 0;

    snprintf(path, sizeof(path), KH_DIR "/%s", name);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
    fclose(f);
    b64 = strchr(text, ' ');
    ck_assert_ptr_nonnull(b64);
    for (b64++; *b64 != '\0' && *b64 != ' ' && *b64 != '='; b64++) {
        const char *d = strchr(digits, *b64);
        ck_assert_ptr_nonnull(d);
        acc = acc << 6 | (unsigned)(d - digits);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            ck_assert_uint_lt(n, cap);
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    ck_assert_uint_gt(n, 32);
    return n;
}

static int revoked_in(const char *file, const unsigned char *key, size_t len)
{
    char path[512];
    struct fb_errbuf eb = {{0}};

    snprintf(path, sizeof(path), KH_DIR "/%s", file);
    return fb_known_hosts_revoked(path, key, len, &eb);
}

START_TEST(revoked_lines)
{
    unsigned char key[256], other[256];
    size_t klen = pub_blob("key.pub", key, sizeof(key));
    size_t olen = pub_blob("other.pub", other, sizeof(other));
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(revoked_in("revoked_host.known_hosts", key, klen), 1);
    ck_assert_int_eq(revoked_in("revoked_any.known_hosts", key, klen), 1);
    ck_assert_int_eq(revoked_in("revoked_hashed.known_hosts", key, klen), 1);
    ck_assert_int_eq(revoked_in("revoked_other.known_hosts", key, klen), 0);
    ck_assert_int_eq(revoked_in("revoked_other.known_hosts", other, olen), 1);
    /* Comments, other markers, bad keys and short lines revoke nothing. */
    ck_assert_int_eq(revoked_in("not_revoked.known_hosts", key, klen), 0);
    ck_assert_int_eq(revoked_in("revoked_host.known_hosts", other, olen), 0);
    /* A key that is a prefix of the revoked one is another key. */
    ck_assert_int_eq(revoked_in("revoked_any.known_hosts", key, klen - 1), 0);
    ck_assert_int_eq(fb_known_hosts_revoked(KH_DIR "/absent", key, klen, &eb), FB_EHOSTKEY);
    ck_assert_msg(strstr(eb.msg, "cannot read known_hosts " KH_DIR "/absent") != NULL, "%s",
                  eb.msg);
}
END_TEST

static Suite *ssh_suite(void)
{
    Suite *s = suite_create("transport_ssh");
    TCase *agent = tcase_create("sshd");

    tcase_add_unchecked_fixture(agent, suite_setup, suite_teardown);
    tcase_set_timeout(agent, 15);
    tcase_add_test(agent, agent_runs_commands);
    tcase_add_test(agent, agent_reply_line_without_end);
    tcase_add_test(agent, agent_reply_line_with_nul);
    tcase_add_test(agent, agent_reply_too_long);
    tcase_add_test(agent, hostkey_listed_is_accepted);
    tcase_add_test(agent, hostkey_revoked_is_refused);
    tcase_add_test(agent, hostkey_revoked_alone_is_refused);
    suite_add_tcase(s, agent);

    TCase *files = tcase_create("known_hosts");
    tcase_add_test(files, revoked_lines);
    suite_add_tcase(s, files);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (fb_transport_global_init() < 0) {
        fprintf(stderr, "test_transport_ssh: cannot initialise libssh2\n");
        return EXIT_FAILURE;
    }
    sr = srunner_create(ssh_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    fb_transport_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
