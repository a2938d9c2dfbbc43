/* test_runfolder.c - a run folder's files are never opened through a symlink:
 * nodes.txt, cells.log and environment.txt on resume, experiment.cfg, the
 * keep-alive tables; and what those tables hold. */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "experiment/config.h"
#include "engine/engine.h"
#include "run/runfolder.h"

#define BAIT "the symlink's target, which the run folder must leave alone\n"

static char root[] = "/tmp/fb-test-runfolder.XXXXXX";
static char target[600];
static char expect[4096]; /* what the target holds */

static void setup(void)
{
    FILE *f;

    strcpy(root, "/tmp/fb-test-runfolder.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(target, sizeof(target), "%s/target", root);
    ck_assert_ptr_nonnull(f = fopen(target, "w"));
    fputs(BAIT, f);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(expect, sizeof(expect), "%s", BAIT);
}

static void teardown(void)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* The target still holds exactly what it held, and name in dir is still
 * the symlink to it. */
static void assert_untouched(const char *dir, const char *name)
{
    char buf[sizeof(expect)] = {0}, path[700], link[700] = {0};
    FILE *f = fopen(target, "r");
    size_t n;

    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    ck_assert_uint_eq(n, strlen(expect));
    ck_assert_str_eq(buf, expect);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_int_gt(readlink(path, link, sizeof(link) - 1), 0);
    ck_assert_str_eq(link, target);
}

/* Replaces name in dir (if there) by a symlink to the target. adopt: the
 * target takes the file's content first, so that reading through the link
 * would look right and only the open itself can refuse it. */
static void plant(const char *dir, const char *name, bool adopt)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (adopt) {
        FILE *in = fopen(path, "r"), *out;
        size_t n;
        ck_assert_ptr_nonnull(in);
        n = fread(expect, 1, sizeof(expect) - 1, in);
        expect[n] = '\0';
        fclose(in);
        ck_assert_ptr_nonnull(out = fopen(target, "w"));
        fputs(expect, out);
        ck_assert_int_eq(fclose(out), 0);
    }
    if (unlink(path) < 0)
        ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(symlink(target, path), 0);
}

/* A new folder under root; its path into dir. */
static struct fb_runfolder *new_folder(char *dir, size_t n)
{
    struct fb_runfolder *rf = NULL;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_runfolder_create(root, "rf", time(NULL), &rf, &eb), 0);
    snprintf(dir, n, "%s", fb_runfolder_dir(rf));
    return rf;
}

static void close_folder(struct fb_runfolder *rf)
{
    struct fb_report_opts ro = {.no_plots = true};
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(fb_runfolder_close(rf, NULL, &ro, &eb), 0);
}

START_TEST(nodes_txt)
{
    struct fb_engine_opts o;
    struct fb_engine *e = NULL;
    struct fb_errbuf eb = {{0}};
    char dir[600];
    struct fb_runfolder *rf = new_folder(dir, sizeof(dir));

    memset(&o, 0, sizeof(o));
    o.metrics_format = FB_METRICS_NONE;
    ck_assert_int_eq(fb_engine_new(&o, &e), 0);
    plant(dir, "nodes.txt", false);
    ck_assert_int_eq(fb_runfolder_write_nodes(rf, e, &eb), FB_EIO);
    ck_assert_ptr_nonnull(strstr(eb.msg, "nodes.txt"));
    assert_untouched(dir, "nodes.txt");
    fb_engine_free(e);
    close_folder(rf);
}
END_TEST

START_TEST(cells_log_on_resume)
{
    struct fb_runfolder *rf;
    struct fb_errbuf eb = {{0}};
    bool done[2];
    int n_done = -1;
    char dir[600];

    close_folder(new_folder(dir, sizeof(dir)));
    plant(dir, "cells.log", true);
    rf = NULL;
    ck_assert_int_eq(fb_runfolder_resume(dir, 2, done, &n_done, &rf, &eb), FB_EIO);
    ck_assert_ptr_null(rf);
    ck_assert_ptr_nonnull(strstr(eb.msg, "cells.log"));
    assert_untouched(dir, "cells.log");
}
END_TEST

START_TEST(environment_txt_on_resume)
{
    struct fb_experiment x;
    struct fb_runfolder *rf = NULL;
    struct fb_errbuf eb = {{0}};
    bool done[2];
    int n_done = -1;
    char dir[600];

    close_folder(new_folder(dir, sizeof(dir)));
    plant(dir, "environment.txt", false);
    ck_assert_int_eq(fb_runfolder_resume(dir, 2, done, &n_done, &rf, &eb), 0);
    ck_assert_int_eq(fb_config_defaults(&x, "rf", &eb), 0);
    ck_assert_int_eq(fb_runfolder_write_environment(rf, &x, NULL, time(NULL), NULL, &eb),
                     FB_EIO);
    ck_assert_ptr_nonnull(strstr(eb.msg, "environment.txt"));
    assert_untouched(dir, "environment.txt");
    fb_experiment_free(&x);
    close_folder(rf);
}
END_TEST

START_TEST(experiment_cfg)
{
    struct fb_experiment x;
    struct fb_errbuf eb = {{0}};
    char dir[600];
    struct fb_runfolder *rf = new_folder(dir, sizeof(dir));

    /* An experiment that would be written in full. */
    ck_assert_int_eq(fb_config_load(FB_TEST_DATA "/config/local.cfg", &x, &eb), 0);
    plant(dir, "experiment.cfg", false);
    ck_assert_int_eq(fb_runfolder_save_experiment(rf, &x, &eb), FB_EIO);
    ck_assert_ptr_nonnull(strstr(eb.msg, "experiment.cfg"));
    assert_untouched(dir, "experiment.cfg");
    fb_experiment_free(&x);
    close_folder(rf);
}
END_TEST

/* ---- keep-alive tables ---- */

static char *slurp(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *buf = calloc(1, 65536);
    ck_assert_ptr_nonnull(buf);
    fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

/* Two cells: each file gets its header once, the events as buffered, and
 * a row per cell with the ratio of calls that started an instance. */
START_TEST(keepalive_tables)
{
    struct fb_errbuf eb = {{0}};
    char dir[600], *ev, *ka, want[1024];
    struct fb_runfolder *rf = new_folder(dir, sizeof(dir));
    struct fb_ka_cellkey k1 = {1, "round-robin", "ttl:ttl_s=60"}, k2 = {1, "warm-aware", "lru"};
    struct fb_ka_event e1 = {.t_s = 0.5, .unix_ms = 1700000000123, .node = "n1",
                             .function = "fib", .instance = "faasbench-ka-fib-x-1",
                             .event = "start", .memory_mb = 128};
    struct fb_ka_outcome o1 = {.invocations = 4, .cold = 1, .prewarmed = 1, .warm = 2,
                               .started = 2, .evicted_expired = 1, .evicted_end = 1,
                               .idle_mb_s = 1234.5, .peak_instances = 1};
    struct fb_ka_outcome o2 = {.invocations = 1, .failed = 1};
    struct fb_ka_latency l1 = {12.5, 900.25}, l2 = {NAN, NAN};
    /* The events wait in a scratch file of the folder's, unnamed there. */
    FILE *buf = fb_runfolder_scratch(rf, &eb), *none = fb_runfolder_scratch(rf, &eb);

    ck_assert_ptr_nonnull(buf);
    ck_assert_ptr_nonnull(none);
    fb_runfolder_format_event(rf, buf, &k1, &e1);
    e1.event = "evict-end";
    e1.t_s = 70.25;
    fb_runfolder_format_event(rf, buf, &k1, &e1);
    ck_assert_int_eq(fb_runfolder_keepalive_cell(rf, &k1, buf, &o1, &l1, &eb), 0);
    ck_assert_int_eq(fb_runfolder_keepalive_cell(rf, &k2, none, &o2, &l2, &eb), 0);
    fclose(buf);
    fclose(none);
    char *ls = fb_strf("ls -A '%s' | grep -c '^.events-'", dir);
    ck_assert_int_ne(system(ls), 0); /* grep found none: nothing named is left */
    free(ls);
    ev = slurp(dir, "instances.csv");
    ka = slurp(dir, "keepalive.csv");
    const char *id = fb_runfolder_id(rf);
    snprintf(want, sizeof(want),
             "run_id,repetition,policy,keepalive,t_s,unix_ms,node,function,instance,event,"
             "memory_mb\n"
             "%s,1,round-robin,ttl:ttl_s=60,0.500000,1700000000123,n1,fib,faasbench-ka-fib-x-1,"
             "start,128\n"
             "%s,1,round-robin,ttl:ttl_s=60,70.250000,1700000000123,n1,fib,faasbench-ka-fib-x-1,"
             "evict-end,128\n",
             id, id);
    ck_assert_str_eq(ev, want);
    snprintf(want, sizeof(want),
             "run_id,repetition,policy,keepalive,invocations,cold,prewarmed,warm,failed,"
             "cold_start_ratio,started,prewarms,evicted_pressure,evicted_expired,evicted_unload,"
             "evicted_failed,alive_end,room_waits,idle_mb_s,peak_instances,latency_p50_ms,"
             "latency_p99_ms\n"
             "%s,1,round-robin,ttl:ttl_s=60,4,1,1,2,0,0.5000,2,0,0,1,0,0,1,0,1234.500,1,12.500,"
             "900.250\n"
             "%s,1,warm-aware,lru,1,0,0,0,1,,0,0,0,0,0,0,0,0,0.000,0,,\n",
             id, id);
    ck_assert_str_eq(ka, want);
    free(ev);
    free(ka);
    close_folder(rf);
}
END_TEST

START_TEST(keepalive_tables_not_through_symlinks)
{
    struct fb_errbuf eb = {{0}};
    struct fb_ka_cellkey k = {1, "round-robin", "ttl"};
    struct fb_ka_outcome o = {0};
    struct fb_ka_latency l = {NAN, NAN};
    char dir[600];
    struct fb_runfolder *rf = new_folder(dir, sizeof(dir));

    plant(dir, "instances.csv", false);
    ck_assert_int_eq(fb_runfolder_keepalive_cell(rf, &k, NULL, &o, &l, &eb), FB_EIO);
    ck_assert_ptr_nonnull(strstr(eb.msg, "instances.csv"));
    assert_untouched(dir, "instances.csv");
    close_folder(rf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("runfolder");
    TCase *tc = tcase_create("symlinks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nodes_txt);
    tcase_add_test(tc, cells_log_on_resume);
    tcase_add_test(tc, environment_txt_on_resume);
    tcase_add_test(tc, experiment_cfg);
    tcase_add_test(tc, keepalive_tables_not_through_symlinks);
    suite_add_tcase(s, tc);
    tc = tcase_create("keep-alive tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, keepalive_tables);
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
