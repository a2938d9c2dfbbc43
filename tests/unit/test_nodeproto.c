/* test_nodeproto.c - the node helper's session protocol: its parser and formatter
 * (src/helper/nodeproto.h), and the built `faasbench-node serve` run over pipes. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/nodeproto.h"

/* ---- the helper over pipes ---- */

struct served {
    char out[8192]; /* what the server wrote to stdout */
    size_t out_len;
    char err[4096]; /* its own stderr */
    int status;     /* from waitpid */
};

/* Reads fd to EOF into buf (keeping the first size-1 bytes, NUL-terminated). */
static size_t drain(int fd, char *buf, size_t size)
{
    size_t len = 0;
    char chunk[4096];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        size_t take = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
        memcpy(buf + len, chunk, take);
        len += take;
    }
    buf[len] = '\0';
    return len;
}

/* Whole replies at the start of text (after the ready line), counted with
 * this test's own reading of the framing. */
static int replies_in(const char *text, size_t len)
{
    static const char ready[] = "fbs1 ready\n";
    size_t at = sizeof(ready) - 1;
    int n = 0;

    if (len < at || memcmp(text, ready, at) != 0)
        return 0;
    for (;;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t out, err;
        int used = 0;

        if (nl == NULL || sscanf(text + at, "fbr1 status=%*d elapsed_ns=%*u timed_out=%*d "
                                            "out=%zu err=%zu%n",
                                 &out, &err, &used) != 2 ||
            text + at + used != nl)
            return n;
        at = (size_t)(nl - text) + 1;
        if (len - at < out + err)
            return n;
        at += out + err;
        n++;
    }
}

/* Runs `faasbench-node serve` and writes input (n bytes) to its stdin in one
 * write. Once `replies` replies came (the server kills a command whose client
 * is gone, so stdin stays open until then), closes stdin and collects both
 * streams and the exit status. */
static void serve(const char *input, size_t n, int replies, struct served *s)
{
    int in[2], out[2], err[2];
    pid_t pid;

    memset(s, 0, sizeof(*s));
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    /* The whole input must fit the pipe, so one read of the server gets it. */
    ck_assert_int_ge(fcntl(in[1], F_SETPIPE_SZ, 1 << 20), (int)n);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(in[1]);
        close(out[0]);
        close(err[0]);
        execl(FB_NODE_HELPER, "faasbench-node", "serve", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    if (n > 0)
        ck_assert_int_eq(write(in[1], input, n), (ssize_t)n);
    while (replies_in(s->out, s->out_len) < replies) {
        ssize_t got = read(out[0], s->out + s->out_len, sizeof(s->out) - 1 - s->out_len);
        ck_assert_msg(got > 0, "the server's stdout ended after: %.*s", (int)s->out_len,
                      s->out);
        s->out_len += (size_t)got;
    }
    close(in[1]);
    s->out_len += drain(out[0], s->out + s->out_len, sizeof(s->out) - s->out_len);
    drain(err[0], s->err, sizeof(s->err));
    close(out[0]);
    close(err[0]);
    ck_assert_int_eq(waitpid(pid, &s->status, 0), pid);
}

static void assert_exit(const struct served *s, int code)
{
    ck_assert_msg(WIFEXITED(s->status), "the server died of signal %d; stderr: %s",
                  WIFSIGNALED(s->status) ? WTERMSIG(s->status) : -1, s->err);
    ck_assert_msg(WEXITSTATUS(s->status) == code, "exit %d, want %d; stderr: %s",
                  WEXITSTATUS(s->status), code, s->err);
}

START_TEST(serve_starts_and_ends_at_eof)
{
    struct served s;

    serve("", 0, 0, &s);
    assert_exit(&s, 0);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_str_eq(s.err, "");
}
END_TEST

START_TEST(serve_runs_commands_in_turn)
{
    static const char req[] = "fbq1 10000 27\necho hi; echo e >&2; exit 3"
                              "fbq1 0 10\nprintf abc";
    struct served s;
    unsigned long long ns;
    int used = 0;

    serve(req, sizeof(req) - 1, 2, &s);
    assert_exit(&s, 0);
    ck_assert_msg(sscanf(s.out, "fbs1 ready\nfbr1 status=3 elapsed_ns=%llu timed_out=0 out=3 "
                                "err=2\nhi\ne\n%n",
                         &ns, &used) == 1 && used > 0,
                  "got %s", s.out);
    ck_assert_msg(ns > 0, "elapsed_ns %llu", ns);
    const char *second = s.out + used;
    used = 0;
    ck_assert_msg(sscanf(second, "fbr1 status=0 elapsed_ns=%llu timed_out=0 out=3 err=0\nabc%n",
                         &ns, &used) == 1 && used > 0 && second[used] == '\0',
                  "got %s", second);
    ck_assert_str_eq(s.err, "");
}
END_TEST

/* The metrics poll of every selection is answered by the server itself: it
 * works with no faasbench-node on the PATH, where `sh -c` would find none. */
START_TEST(serve_answers_metrics_itself)
{
    static const char req[] = "fbq1 5000 22\nfaasbench-node metrics";
    const char *path = getenv("PATH");
    char *saved = path != NULL ? strdup(path) : NULL;
    struct served s;
    int used = 0;

    setenv("PATH", "/nonexistent", 1);
    serve(req, sizeof(req) - 1, 1, &s);
    if (saved != NULL)
        setenv("PATH", saved, 1);
    free(saved);
    assert_exit(&s, 0);
    ck_assert_msg(sscanf(s.out, "fbs1 ready\nfbr1 status=0 elapsed_ns=%*u timed_out=0 out=%*u "
                                "err=0\nfbm1 cpu_ns=%*u clock_ns=%*u mem_used=%*u%n",
                         &used) == 0 && used > 0,
                  "got %s", s.out);
}
END_TEST

/* A header longer than any valid one, its '\n' in the same read: refused
 * as too long, not copied anywhere. */
START_TEST(serve_refuses_a_long_request_line)
{
    char req[5100];
    struct served s;
    size_t n = (size_t)snprintf(req, sizeof(req), "fbq1 0 ");

    memset(req + n, '1', 5000);
    n += 5000;
    req[n++] = '\n';
    serve(req, n, 0, &s);
    assert_exit(&s, 2);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_str_eq(s.err, "faasbench-node serve: request line too long\n");
}
END_TEST

START_TEST(serve_refuses_a_long_line_without_newline)
{
    char req[300];
    struct served s;

    memset(req, 'x', sizeof(req));
    serve(req, sizeof(req), 0, &s);
    assert_exit(&s, 2);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_str_eq(s.err, "faasbench-node serve: request line too long\n");
}
END_TEST

/* Header lines outside the grammar end the server before anything runs. */
static const char *const bad_requests[] = {
    "fbq1 -1 5\ntrue!",
    "fbq1 0 0\n",
    "fbq1 0 1048577\ntrue",
    "fbq1 +5 4\ntrue",
    "fbq1 0 4 x\ntrue",
    "fbq1 00 4\ntrue",
    "fbq1 0 04\ntrue",
    "fbq1  0 4\ntrue",
    "fbq1 0 4 \ntrue",
    "fbq1 2147483648 4\ntrue",
    "fbq1 99999999999999999999999 4\ntrue",
    "fbq1 0\ntrue",
    "fbq2 0 4\ntrue",
    "fbq1 0 4\r\ntrue",
    "FBQ1 0 4\ntrue",
};

START_TEST(serve_refuses_a_bad_request_line)
{
    const char *req = bad_requests[_i];
    struct served s;

    serve(req, strlen(req), 0, &s);
    assert_exit(&s, 2);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_msg(strncmp(s.err, "faasbench-node serve: bad request line: ", 40) == 0,
                  "%s: stderr %s", req, s.err);
}
END_TEST

START_TEST(serve_refuses_a_nul_in_the_request_line)
{
    static const char req[] = "fbq1 0\0 4\ntrue";
    struct served s;

    serve(req, sizeof(req) - 1, 0, &s);
    assert_exit(&s, 2);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_msg(strncmp(s.err, "faasbench-node serve: bad request line", 38) == 0, "stderr %s",
                  s.err);
}
END_TEST

START_TEST(serve_command_cut_short)
{
    static const char req[] = "fbq1 0 100\necho";
    struct served s;

    serve(req, sizeof(req) - 1, 0, &s);
    assert_exit(&s, 2);
    ck_assert_str_eq(s.out, "fbs1 ready\n");
    ck_assert_str_eq(s.err, "faasbench-node serve: request cut short\n");
}
END_TEST

START_TEST(serve_command_with_nul)
{
    static const char req[] = "fbq1 0 6\nab\0cde";
    static const char msg[] = "faasbench-node: the command holds a NUL byte\n";
    char want[256];
    struct served s;

    serve(req, sizeof(req) - 1, 1, &s);
    assert_exit(&s, 0);
    snprintf(want, sizeof(want),
             "fbs1 ready\nfbr1 status=125 elapsed_ns=0 timed_out=0 out=0 err=%zu\n%s",
             sizeof(msg) - 1, msg);
    ck_assert_str_eq(s.out, want);
}
END_TEST

START_TEST(serve_timeout_stops_the_command)
{
    static const char req[] = "fbq1 100 8\nsleep 30";
    struct served s;
    unsigned long long ns;
    int used = 0;

    serve(req, sizeof(req) - 1, 1, &s);
    assert_exit(&s, 0);
    ck_assert_msg(sscanf(s.out, "fbs1 ready\nfbr1 status=143 elapsed_ns=%llu timed_out=1 out=0 "
                                "err=0\n%n",
                         &ns, &used) == 1 && used > 0 && s.out[used] == '\0',
                  "got %s", s.out);
    ck_assert_msg(ns >= 100000000ull && ns < 5000000000ull, "elapsed_ns %llu", ns);
}
END_TEST

/* ---- the parser and formatter ---- */

START_TEST(line_bounds)
{
    char buf[FB_NODEPROTO_LINE_MAX + 10];
    size_t n = 99;

    ck_assert_int_eq(fb_nodeproto_line(NULL, 0, &n), FB_NODEPROTO_MORE);
    ck_assert_int_eq(fb_nodeproto_line("fbq1", 4, &n), FB_NODEPROTO_MORE);
    ck_assert_int_eq(fb_nodeproto_line("ab\ncd\n", 6, &n), FB_NODEPROTO_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(fb_nodeproto_line("\n", 1, &n), FB_NODEPROTO_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(fb_nodeproto_line("a\0b\n", 4, &n), FB_NODEPROTO_BAD);
    /* The '\n' may be the limit's last byte, not past it. */
    memset(buf, 'x', sizeof(buf));
    buf[FB_NODEPROTO_LINE_MAX - 1] = '\n';
    ck_assert_int_eq(fb_nodeproto_line(buf, sizeof(buf), &n), FB_NODEPROTO_OK);
    ck_assert_uint_eq(n, FB_NODEPROTO_LINE_MAX - 1);
    buf[FB_NODEPROTO_LINE_MAX - 1] = 'x';
    buf[FB_NODEPROTO_LINE_MAX] = '\n';
    ck_assert_int_eq(fb_nodeproto_line(buf, sizeof(buf), &n), FB_NODEPROTO_BAD);
    ck_assert_int_eq(fb_nodeproto_line(buf, FB_NODEPROTO_LINE_MAX - 1, &n), FB_NODEPROTO_MORE);
    ck_assert_int_eq(fb_nodeproto_line(buf, FB_NODEPROTO_LINE_MAX, &n), FB_NODEPROTO_BAD);
}
END_TEST

START_TEST(request_lines)
{
    struct fb_nodeproto_request q;

#define REQ_OK(s, t, l)                                                                     \
    do {                                                                                    \
        ck_assert_int_eq(fb_nodeproto_request_parse(s, strlen(s), &q), FB_NODEPROTO_OK);    \
        ck_assert_uint_eq(q.timeout_ms, t);                                                 \
        ck_assert_uint_eq(q.len, l);                                                        \
    } while (0)
    REQ_OK("fbq1 0 1", 0, 1);
    REQ_OK("fbq1 600000 42", 600000, 42);
    REQ_OK("fbq1 2147483647 1048576", 2147483647u, 1048576);
#undef REQ_OK
    for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
        const char *s = bad_requests[i], *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
        ck_assert_msg(fb_nodeproto_request_parse(s, n, &q) == FB_NODEPROTO_BAD, "%s", s);
    }
    ck_assert_int_eq(fb_nodeproto_request_parse("fbq1 0 4", 7, &q), FB_NODEPROTO_BAD);
    ck_assert_int_eq(fb_nodeproto_request_parse("", 0, &q), FB_NODEPROTO_BAD);
}
END_TEST

START_TEST(reply_lines)
{
    struct fb_nodeproto_reply r;
    static const char ok[] =
        "fbr1 status=255 elapsed_ns=18446744073709551615 timed_out=1 out=1048576 err=0";
    static const char *const bad[] = {
        "fbr1 status=256 elapsed_ns=1 timed_out=0 out=0 err=0",
        "fbr1 status=-1 elapsed_ns=1 timed_out=0 out=0 err=0",
        "fbr1 status=0 elapsed_ns=18446744073709551616 timed_out=0 out=0 err=0",
        "fbr1 status=0 elapsed_ns=1 timed_out=2 out=0 err=0",
        "fbr1 status=0 elapsed_ns=1 timed_out=0 out=1048577 err=0",
        "fbr1 status=0 elapsed_ns=1 timed_out=0 out=0 err=1048577",
        "fbr1 status=0 elapsed_ns=1 timed_out=0 out=0 err=0 ",
        "fbr1 status=0 elapsed_ns=1 timed_out=0 out=0",
        "fbr1 status=0 elapsed_ns=01 timed_out=0 out=0 err=0",
        "fbr1 status= 0 elapsed_ns=1 timed_out=0 out=0 err=0",
        "fbr1 status=0 elapsed_ns=1 timed_out=0 err=0 out=0",
        "fbs1 ready",
        "",
    };

    ck_assert_int_eq(fb_nodeproto_reply_parse(ok, sizeof(ok) - 1, &r), FB_NODEPROTO_OK);
    ck_assert_int_eq(r.status, 255);
    ck_assert(r.elapsed_ns == UINT64_MAX);
    ck_assert(r.timed_out);
    ck_assert_uint_eq(r.out_len, 1048576);
    ck_assert_uint_eq(r.err_len, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(fb_nodeproto_reply_parse(bad[i], strlen(bad[i]), &r) == FB_NODEPROTO_BAD,
                      "%s", bad[i]);
    /* A NUL inside the line's bytes ends nothing: the line is refused. */
    ck_assert_int_eq(fb_nodeproto_reply_parse("fbr1 status=0 elapsed_ns=1 timed_out=0 out=0 "
                                              "err=0\0x",
                                              51, &r),
                     FB_NODEPROTO_BAD);
}
END_TEST

START_TEST(format_parses_back)
{
    char buf[FB_NODEPROTO_LINE_MAX];
    struct fb_nodeproto_request q = {.timeout_ms = FB_NODEPROTO_TIMEOUT_MAX,
                                     .len = FB_NODEPROTO_COMMAND_MAX},
                                q2;
    struct fb_nodeproto_reply r = {.status = 255, .elapsed_ns = UINT64_MAX, .timed_out = true,
                                   .out_len = FB_NODEPROTO_CAPTURE,
                                   .err_len = FB_NODEPROTO_CAPTURE},
                              r2;
    size_t n;
    int len;

    len = fb_nodeproto_request_format(buf, sizeof(buf), &q);
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(fb_nodeproto_line(buf, (size_t)len, &n), FB_NODEPROTO_OK);
    ck_assert_uint_eq(n + 1, (size_t)len);
    ck_assert_int_eq(fb_nodeproto_request_parse(buf, n, &q2), FB_NODEPROTO_OK);
    ck_assert(q2.timeout_ms == q.timeout_ms && q2.len == q.len);

    len = fb_nodeproto_reply_format(buf, sizeof(buf), &r);
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(fb_nodeproto_line(buf, (size_t)len, &n), FB_NODEPROTO_OK);
    ck_assert_int_eq(fb_nodeproto_reply_parse(buf, n, &r2), FB_NODEPROTO_OK);
    ck_assert(r2.status == r.status && r2.elapsed_ns == r.elapsed_ns &&
              r2.timed_out == r.timed_out && r2.out_len == r.out_len &&
              r2.err_len == r.err_len);

    q.len = 0;
    ck_assert_int_eq(fb_nodeproto_request_format(buf, sizeof(buf), &q), FB_NODEPROTO_BAD);
    q.len = FB_NODEPROTO_COMMAND_MAX + 1;
    ck_assert_int_eq(fb_nodeproto_request_format(buf, sizeof(buf), &q), FB_NODEPROTO_BAD);
    r.status = 256;
    ck_assert_int_eq(fb_nodeproto_reply_format(buf, sizeof(buf), &r), FB_NODEPROTO_BAD);
    r.status = 0;
    ck_assert_int_eq(fb_nodeproto_reply_format(buf, 10, &r), FB_NODEPROTO_BAD);
}
END_TEST

static Suite *nodeproto_suite(void)
{
    Suite *s = suite_create("nodeproto");
    TCase *srv = tcase_create("serve");
    TCase *parse = tcase_create("parse");

    tcase_set_timeout(srv, 20);
    tcase_add_test(srv, serve_starts_and_ends_at_eof);
    tcase_add_test(srv, serve_runs_commands_in_turn);
    tcase_add_test(srv, serve_answers_metrics_itself);
    tcase_add_test(srv, serve_refuses_a_long_request_line);
    tcase_add_test(srv, serve_refuses_a_long_line_without_newline);
    tcase_add_loop_test(srv, serve_refuses_a_bad_request_line, 0,
                        (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
    tcase_add_test(srv, serve_refuses_a_nul_in_the_request_line);
    tcase_add_test(srv, serve_command_cut_short);
    tcase_add_test(srv, serve_command_with_nul);
    tcase_add_test(srv, serve_timeout_stops_the_command);
    suite_add_tcase(s, srv);

    tcase_add_test(parse, line_bounds);
    tcase_add_test(parse, request_lines);
    tcase_add_test(parse, reply_lines);
    tcase_add_test(parse, format_parses_back);
    suite_add_tcase(s, parse);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nodeproto_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
