/* test_runfolder.c - a run folder's files are never opened through a symlink:
 * nodes.txt, cells.log and environment.txt on resume, experiment.cfg. */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "runfolder.h"

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

static Suite *suite(void)
{
    Suite *s = suite_create("runfolder");
    TCase *tc = tcase_create("symlinks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nodes_txt);
    tcase_add_test(tc, cells_log_on_resume);
    tcase_add_test(tc, environment_txt_on_resume);
    tcase_add_test(tc, experiment_cfg);
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
