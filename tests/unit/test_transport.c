/* test_transport.c - Check suite: the local transport run for real, capture, fbx1 trailer. */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/transport.h"
#include "transport/transport_priv.h"

static struct fb_node_cfg local_node = {
    .name = "local1",
    .transport = FB_TRANSPORT_LOCAL,
};

static struct fb_conn *conn;

static void setup(void)
{
    struct fb_errbuf eb = {""};
    ck_assert_int_eq(fb_conn_open(&local_node, 1000, &conn, &eb), 0);
    ck_assert_ptr_nonnull(conn);
}

static void teardown(void)
{
    fb_conn_close(conn);
    conn = NULL;
}

/* Runs cmd, expects a 0 return; res to be freed by the caller. */
static void run_ok(const char *cmd, struct fb_exec_result *res)
{
    struct fb_errbuf eb = {""};
    int rc = fb_conn_exec(conn, cmd, 10000, res, &eb);
    ck_assert_msg(rc == 0, "%s: %s: %s", cmd, fb_err_name(rc), eb.msg);
    ck_assert_ptr_nonnull(res->out);
    ck_assert_ptr_nonnull(res->err);
}

START_TEST(test_node_name)
{
    ck_assert_str_eq(fb_conn_node(conn), "local1");
}
END_TEST

START_TEST(test_exit_zero_and_capture)
{
    struct fb_exec_result res;
    run_ok("echo hello; echo oops >&2", &res);
    ck_assert_int_eq(res.exit_status, 0);
    ck_assert_str_eq(res.out, "hello\n");
    ck_assert_uint_eq(res.out_len, 6);
    ck_assert_str_eq(res.err, "oops\n");
    ck_assert_uint_eq(res.err_len, 5);
    ck_assert(isnan(res.node_ms));
    ck_assert(res.elapsed_ms >= 0);
    fb_exec_result_free(&res);
    ck_assert_ptr_null(res.out);
}
END_TEST

START_TEST(test_exit_nonzero)
{
    struct fb_exec_result res;
    run_ok("exit 3", &res);
    ck_assert_int_eq(res.exit_status, 3);
    ck_assert_str_eq(res.out, "");
    ck_assert_uint_eq(res.out_len, 0);
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_killed_by_signal)
{
    struct fb_exec_result res;
    run_ok("kill -9 $$", &res);
    ck_assert_int_eq(res.exit_status, 128 + 9);
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_stdin_is_dev_null)
{
    struct fb_exec_result res;
    /* Would block forever on an inherited terminal or pipe. */
    run_ok("cat; readlink /proc/$$/fd/0", &res);
    ck_assert_int_eq(res.exit_status, 0);
    ck_assert_str_eq(res.out, "/dev/null\n");
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_large_output_capped)
{
    struct fb_exec_result res;
    /* 3 MiB on each stream at once: a reader that drained one stream at a
     * time would deadlock on the other's full pipe. */
    run_ok("head -c 3145728 /dev/zero | tr '\\0' a & head -c 3145728 /dev/zero | tr '\\0' b >&2;"
           " wait; echo done >&2",
           &res);
    ck_assert_int_eq(res.exit_status, 0);
    ck_assert_uint_eq(res.out_len, FB_EXEC_CAPTURE);
    ck_assert_uint_eq(res.err_len, FB_EXEC_CAPTURE);
    ck_assert_uint_eq(strlen(res.out), FB_EXEC_CAPTURE);
    ck_assert_int_eq(res.out[0], 'a');
    ck_assert_int_eq(res.out[FB_EXEC_CAPTURE - 1], 'a');
    ck_assert_int_eq(res.err[FB_EXEC_CAPTURE - 1], 'b');
    fb_exec_result_free(&res);
}
END_TEST

/* Processes of group pgid that are not zombies, from /proc. */
static int live_members(long pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512], state = 0;
        const char *p;
        long pgrp = 0;
        FILE *f;
        size_t len;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        /* pid (comm) state ppid pgrp ...; comm may hold spaces. */
        p = strrchr(buf, ')');
        if (p != NULL && sscanf(p + 1, " %c %*d %ld", &state, &pgrp) == 2 && pgrp == pgid &&
            state != 'Z' && state != 'X')
            n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_timeout_kills_group)
{
    struct fb_exec_result res;
    struct fb_errbuf eb = {""};
    struct timespec pause = {0, 10 * 1000 * 1000};
    double t0 = fb_mono_ms(), took;
    long pgid;
    int rc, i;

    /* The background sleep is a second member of the group. */
    rc = fb_conn_exec(conn, "echo $$; sleep 5 & sleep 5", 200, &res, &eb);
    took = fb_mono_ms() - t0;
    ck_assert_msg(rc == FB_ETIMEDOUT, "got %s: %s", fb_err_name(rc), eb.msg);
    ck_assert(strstr(eb.msg, "timed out") != NULL);
    ck_assert(strstr(eb.msg, "local1") != NULL);
    ck_assert_msg(took < 3000, "took %.0f ms", took);
    ck_assert(took >= 190);
    ck_assert_ptr_nonnull(res.out);
    pgid = strtol(res.out, NULL, 10);
    ck_assert(pgid > 1);
    /* Every member got SIGKILL. The orphaned sleep is reaped by init in its
     * own time (slowly in some containers), so count members that are not
     * zombies, allowing a moment for the kill to land. */
    for (i = 0; i < 200 && live_members(pgid) > 0; i++)
        nanosleep(&pause, NULL);
    ck_assert_msg(live_members(pgid) == 0, "process group %ld still has live members", pgid);
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_trailer_stripped)
{
    struct fb_exec_result res;
    run_ok("echo out; echo 'real error' >&2; printf 'fbx1 elapsed_ns=12345678 status=0\\n' >&2",
           &res);
    ck_assert_str_eq(res.out, "out\n");
    ck_assert_str_eq(res.err, "real error\n");
    ck_assert_uint_eq(res.err_len, 11);
    ck_assert(fabs(res.node_ms - 12.345678) < 1e-9);
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_trailer_only_last_line)
{
    struct fb_exec_result res;
    /* A trailer that is not the last line is the command's own text. */
    run_ok("printf 'fbx1 elapsed_ns=5 status=0\\nlater\\n' >&2", &res);
    ck_assert_str_eq(res.err, "fbx1 elapsed_ns=5 status=0\nlater\n");
    ck_assert(isnan(res.node_ms));
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_trailer_after_big_stderr)
{
    struct fb_exec_result res;
    /* stderr runs past the cap: the trailer is still found in the tail. */
    run_ok("head -c 2000000 /dev/zero | tr '\\0' e >&2; printf '\\nfbx1 elapsed_ns=2000000 "
           "status=0\\n' >&2",
           &res);
    ck_assert_uint_eq(res.err_len, FB_EXEC_CAPTURE);
    ck_assert(fabs(res.node_ms - 2.0) < 1e-9);
    fb_exec_result_free(&res);
}
END_TEST

START_TEST(test_trailer_find)
{
    double ms = 0;
    size_t at = 99;
    const char *t;

    t = "fbx1 elapsed_ns=1000000 status=0\n";
    ck_assert(fb_trailer_find(t, strlen(t), true, &ms, &at));
    ck_assert_uint_eq(at, 0);
    ck_assert(fabs(ms - 1.0) < 1e-12);

    t = "x\nfbx1 status=7 elapsed_ns=500";
    ck_assert(fb_trailer_find(t, strlen(t), true, &ms, &at));
    ck_assert_uint_eq(at, 2);
    ck_assert(fabs(ms - 0.0005) < 1e-12);

    /* Stderr without a final newline before the trailer. */
    t = "partialfbx1 elapsed_ns=1 status=0\n";
    ck_assert(fb_trailer_find(t, strlen(t), true, &ms, &at));
    ck_assert_uint_eq(at, 7);

    t = "fbx1 elapsed_ns=12x status=0\n";
    ck_assert(!fb_trailer_find(t, strlen(t), true, &ms, &at));
    t = "fbx1 status=0\n";
    ck_assert(!fb_trailer_find(t, strlen(t), true, &ms, &at));
    t = "fbx1 elapsed_ns= status=0\n";
    ck_assert(!fb_trailer_find(t, strlen(t), true, &ms, &at));
    t = "";
    ck_assert(!fb_trailer_find(t, 0, true, &ms, &at));
    /* A partial view that may have cut the line's start. */
    t = "fbx1 elapsed_ns=1 status=0\n";
    ck_assert(!fb_trailer_find(t, strlen(t), false, &ms, &at));
}
END_TEST

START_TEST(test_capture_tail)
{
    struct fb_capture c = {0};
    char chunk[1000];
    int i;

    memset(chunk, 'z', sizeof(chunk));
    for (i = 0; i < 1100; i++)
        ck_assert_int_eq(fb_capture_add(&c, chunk, sizeof(chunk)), 0);
    ck_assert_uint_eq(c.len, FB_EXEC_CAPTURE);
    ck_assert_uint_eq(c.total, 1100u * 1000u);
    ck_assert_uint_eq(c.tail_len, FB_CAPTURE_TAIL);
    ck_assert_int_eq(fb_capture_add(&c, "ab", 2), 0);
    ck_assert_int_eq(c.tail[FB_CAPTURE_TAIL - 2], 'a');
    ck_assert_int_eq(c.tail[FB_CAPTURE_TAIL - 1], 'b');
    ck_assert_int_eq(c.tail[FB_CAPTURE_TAIL - 3], 'z');
    fb_capture_free(&c);
}
END_TEST

START_TEST(test_conn_sequential)
{
    struct fb_exec_result res;
    char cmd[32];
    int i;

    /* One connection, many commands. */
    for (i = 0; i < 20; i++) {
        snprintf(cmd, sizeof(cmd), "echo %d", i);
        run_ok(cmd, &res);
        ck_assert_int_eq(atoi(res.out), i);
        fb_exec_result_free(&res);
    }
}
END_TEST

START_TEST(test_bad_args)
{
    struct fb_exec_result res;
    struct fb_errbuf eb = {""};
    struct fb_conn *c = (struct fb_conn *)1;

    ck_assert_int_eq(fb_conn_exec(conn, NULL, 100, &res, &eb), FB_EINVAL);
    ck_assert_int_eq(fb_conn_open(NULL, 100, &c, &eb), FB_EINVAL);
    ck_assert_ptr_null(c);
    fb_conn_close(NULL);
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("transport");
    TCase *tc = tcase_create("local");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_node_name);
    tcase_add_test(tc, test_exit_zero_and_capture);
    tcase_add_test(tc, test_exit_nonzero);
    tcase_add_test(tc, test_killed_by_signal);
    tcase_add_test(tc, test_stdin_is_dev_null);
    tcase_add_test(tc, test_large_output_capped);
    tcase_add_test(tc, test_timeout_kills_group);
    tcase_add_test(tc, test_trailer_stripped);
    tcase_add_test(tc, test_trailer_only_last_line);
    tcase_add_test(tc, test_trailer_after_big_stderr);
    tcase_add_test(tc, test_trailer_find);
    tcase_add_test(tc, test_capture_tail);
    tcase_add_test(tc, test_conn_sequential);
    tcase_add_test(tc, test_bad_args);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transport_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
