/* test_run.c - the run loop on local nodes with harmless steps: every workload
 * type, the rows and run folder they leave, a SIGINT mid-cell, and its resume;
 * the metrics endpoint of a run, scraped while it runs. */
#include <check.h>
#include <csv.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "experiment/config.h"
#include "core/csvrow.h"
#include "results/invocation.h"
#include "local_runtime.h"
#include "run/run.h"
#include "scrape.h"

/* ---- an experiment file over 3 local nodes ---- */

struct exp_file {
    struct lrt rt;
    char path[512];
    char results[512];
};

/* The folder of the experiment: its runtime, exp.cfg and results/. */
static void exp_init(struct exp_file *x)
{
    lrt_init(&x->rt);
    snprintf(x->path, sizeof(x->path), "%s/exp.cfg", x->rt.dir);
    snprintf(x->results, sizeof(x->results), "%s/results", x->rt.dir);
}

#define DEFAULT_FUNCTIONS                                                                      \
    "functions = ( { name = \"fa\"; image = \"registry.test/fb/a:1\"; command = \"true\"; },\n" \
    "              { name = \"fb\"; image = \"registry.test/fb/b:1\"; command = \"true\"; } );\n"

/* Writes exp.cfg: nodes n1..n3 (local), the functions (fa and fb unless
 * functions is given), the harmless runtime (run_extra, if any, appended to
 * the run step), then body (matrix, workload). */
static void exp_write_fns(struct exp_file *x, const char *functions, const char *run_extra,
                          const char *body)
{
    static const char *const step_keys[FB_STEP_N] = {
        [FB_STEP_PULL] = "pull", [FB_STEP_RUN] = "run", [FB_STEP_START] = "start",
        [FB_STEP_EXEC] = "exec", [FB_STEP_REMOVE_IMAGE] = "remove_image",
        [FB_STEP_REMOVE_CONTAINER] = "remove_container", [FB_STEP_RESET] = "reset",
        [FB_STEP_START_INSTANCE] = "start_instance", [FB_STEP_REMOVE_INSTANCE] = "remove_instance",
        [FB_STEP_KILL] = "kill", [FB_STEP_FAULT] = "fault", [FB_STEP_UNFAULT] = "unfault",
    };
    FILE *f = fopen(x->path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "name = \"unit\";\n"
               "nodes = ( { name = \"n1\"; transport = \"local\"; },\n"
               "          { name = \"n2\"; transport = \"local\"; },\n"
               "          { name = \"n3\"; transport = \"local\"; } );\n"
               "%s"
               "metrics = { format = \"none\"; };\n"
               "timeouts = { command_s = 5; };\n"
               "results = \"%s\";\n"
               "runtime = {\n",
            functions != NULL ? functions : DEFAULT_FUNCTIONS, x->results);
    for (int s = 0; s < FB_STEP_N; s++)
        fprintf(f, "  %s = \"%s%s\";\n", step_keys[s], x->rt.steps[s],
                s == FB_STEP_RUN && run_extra != NULL ? run_extra : "");
    fprintf(f, "};\n%s\n", body);
    ck_assert_int_eq(fclose(f), 0);
}

static void exp_write(struct exp_file *x, const char *run_extra, const char *body)
{
    exp_write_fns(x, NULL, run_extra, body);
}

/* ---- reading the rows back ---- */

struct rows {
    struct fb_csvrow row;
    struct fb_invocation_map map;
    bool have_header;
    int n;
    int by_cell_fn[16][2];   /* rows per (cell index, function) */
    int mode_mismatch;       /* rows whose mode is not the cell's warming */
    int errors;
    int bad;                 /* rows that did not read */
    long seq_sum[16][2];
    long intended_after_start; /* rows that started more than 1 ms before intended */
    int warmup[16][2];       /* rows flagged warmup per (cell, function) */
    long warmup_seq_max[16][2]; /* the last seq of those */
    char cells[16][64];      /* "policy/warming" in order of first appearance */
    int n_cells;
    char asked[32][48];      /* "function asked_duration_ms asked_memory_mb" per row (%g) */
};

static void on_field(void *s, size_t len, void *data)
{
    struct rows *r = data;
    ck_assert_int_eq(fb_csvrow_add(&r->row, s, len, 64), 0);
}

static void on_record(int c, void *data)
{
    struct rows *r = data;
    struct fb_invocation inv;
    char key[64];
    int cell = -1;

    (void)c;
    if (!r->have_header) {
        ck_assert_int_eq(fb_invocation_map_header(&r->map, &r->row, NULL), 0);
        r->have_header = true;
        fb_csvrow_next(&r->row);
        return;
    }
    if (fb_invocation_read(&r->map, &r->row, &inv, NULL) < 0) {
        r->bad++;
        fb_csvrow_next(&r->row);
        return;
    }
    snprintf(key, sizeof(key), "%d/%s/%s", inv.repetition, inv.policy, inv.warming);
    for (int i = 0; i < r->n_cells && cell < 0; i++)
        if (strcmp(r->cells[i], key) == 0)
            cell = i;
    if (cell < 0) {
        ck_assert_int_lt(r->n_cells, 16);
        cell = r->n_cells++;
        snprintf(r->cells[cell], sizeof(r->cells[cell]), "%s", key);
    }
    int fn = strcmp(inv.function, "fa") == 0 ? 0 : 1;
    if (r->n < 32)
        snprintf(r->asked[r->n], sizeof(r->asked[r->n]), "%s %g %g", inv.function,
                 inv.asked_duration_ms, inv.asked_memory_mb);
    r->n++;
    r->by_cell_fn[cell][fn]++;
    r->seq_sum[cell][fn] += inv.seq;
    if (inv.warmup) {
        r->warmup[cell][fn]++;
        if (inv.seq > r->warmup_seq_max[cell][fn])
            r->warmup_seq_max[cell][fn] = inv.seq;
    }
    if (strcmp(inv.mode, inv.warming) != 0)
        r->mode_mismatch++;
    if (inv.error[0] != '\0')
        r->errors++;
    if (inv.start_ms + 1 < inv.intended_start_ms)
        r->intended_after_start++;
    fb_csvrow_next(&r->row);
}

static void read_rows(const char *dir, struct rows *r)
{
    char *path = fb_strf("%s/invocations.csv", dir), buf[4096];
    struct csv_parser p;
    size_t n;

    memset(r, 0, sizeof(*r));
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(csv_init(&p, CSV_APPEND_NULL), 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_uint_eq(csv_parse(&p, buf, n, on_field, on_record, r), n);
    csv_fini(&p, on_field, on_record, r);
    csv_free(&p);
    fclose(f);
    fb_csvrow_free(&r->row);
    free(path);
}

static bool exists_in(const char *dir, const char *name)
{
    struct stat st;
    char *path = fb_strf("%s/%s", dir, name);
    bool ok = stat(path, &st) == 0;
    free(path);
    return ok;
}

/* Runs the experiment at x->path with the options o (resume, the metrics
 * endpoint); returns fb_run's code, the folder in *dir. */
static int run_exp_opts(struct exp_file *x, struct fb_run_opts o, char **dir)
{
    struct fb_experiment exp;
    struct fb_errbuf eb = {{0}};
    const char *resume = o.resume;
    char *cfg = resume != NULL ? fb_strf("%s/experiment.cfg", resume) : strdup(x->path);

    o.quiet = o.no_plots = true;
    ck_assert_int_eq(fb_config_load(cfg, &exp, &eb), 0);
    int rc = fb_run(&exp, &o, dir, &eb);
    fb_experiment_free(&exp);
    free(cfg);
    return rc;
}

/* Runs the experiment at x->path; returns fb_run's code, the folder in *dir. */
static int run_exp(struct exp_file *x, const char *resume, char **dir)
{
    return run_exp_opts(x, (struct fb_run_opts){.resume = resume}, dir);
}

/* Nothing left on the nodes: every warm container started was removed, and
 * the log ends with a reset of every node (images gone) after the last
 * other step. */
static void check_clean(const struct lrt *rt)
{
    char *path = fb_strf("%s/log", rt->dir), line[1024];
    int trailing_resets = 0;
    FILE *f = fopen(path, "r");

    ck_assert_int_eq(lrt_count(rt, "start "), lrt_count(rt, "rm "));
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        trailing_resets = strncmp(line, "reset ", 6) == 0 ? trailing_resets + 1 : 0;
    fclose(f);
    free(path);
    ck_assert_int_eq(trailing_resets, 3);
}

/* Writes text to x's folder as name; returns its path (caller frees). */
static char *write_in(const struct exp_file *x, const char *name, const char *text)
{
    char *path = fb_strf("%s/%s", x->rt.dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* Runs the two-cell trace experiment written and reads its rows: fa 3 and
 * fb 2 in each cell, as both trace tests' files have it. */
static void run_two_cells(struct exp_file *x, char **dir, struct rows *r)
{
    ck_assert_int_eq(run_exp(x, NULL, dir), 0);
    read_rows(*dir, r);
    ck_assert_int_eq(r->n, 10);
    ck_assert_int_eq(r->n_cells, 2);
    for (int c = 0; c < 2; c++) {
        ck_assert_int_eq(r->by_cell_fn[c][0], 3);
        ck_assert_int_eq(r->by_cell_fn[c][1], 2);
    }
}

/* ---- workloads ---- */

START_TEST(sequential_matrix)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL;

    exp_init(&x);
    exp_write(&x, NULL,
              "matrix = { policies = [\"round-robin\", \"least-used\"];\n"
              "  warming = [\"cold\", \"pre-warmed\", \"warmed\"]; invocations = 3; };");
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);
    read_rows(dir, &r);
    ck_assert_int_eq(r.bad, 0);
    ck_assert_int_eq(r.n, 2 * 3 * 2 * 3);
    ck_assert_int_eq(r.n_cells, 6);
    for (int c = 0; c < 6; c++)
        for (int fn = 0; fn < 2; fn++) {
            ck_assert_int_eq(r.by_cell_fn[c][fn], 3);
            ck_assert_int_eq(r.seq_sum[c][fn], 1 + 2 + 3);
        }
    ck_assert_int_eq(r.mode_mismatch, 0);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_str_eq(r.cells[0], "1/round-robin/cold");
    ck_assert_str_eq(r.cells[5], "1/least-used/warmed");
    /* 2 cold cells x 2 functions x 3: each pulled and removed its image. */
    ck_assert_int_eq(lrt_count(&x.rt, "rmi "), 12);
    /* Warm containers: one node per function in each warmed cell, removed. */
    ck_assert_int_eq(lrt_count(&x.rt, "start "), 4);
    ck_assert_int_eq(lrt_count(&x.rt, "rm "), 4);
    ck_assert_int_eq(lrt_count(&x.rt, "exec "), 12);
    /* A reset of every node before each cell and one at the end. */
    ck_assert_int_eq(lrt_count(&x.rt, "reset "), 3 * (6 + 1));
    check_clean(&x.rt);
    for (const char *const *f = (const char *const[]){"experiment.cfg", "environment.txt",
                                                        "cells.log", "nodes.txt", "metrics.csv",
                                                        "summary.csv", "comparison.csv", NULL};
         *f != NULL; f++)
        ck_assert_msg(exists_in(dir, *f), "%s/%s is missing", dir, *f);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

START_TEST(closed_workload)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL;

    exp_init(&x);
    exp_write(&x, " && sleep 0.01",
              "matrix = { policies = [\"round-robin\"]; warming = [\"pre-warmed\"]; "
              "invocations = 1; };\n"
              "warm = { nodes = \"all\"; };\n"
              "workload = { type = \"closed\"; clients = 4; per_node = 2; invocations = 24; };");
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);
    read_rows(dir, &r);
    ck_assert_int_eq(r.n, 24);
    ck_assert_int_eq(r.by_cell_fn[0][0] + r.by_cell_fn[0][1], 24);
    ck_assert_int_gt(r.by_cell_fn[0][0], 0);
    ck_assert_int_gt(r.by_cell_fn[0][1], 0);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_int_eq(r.mode_mismatch, 0);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

START_TEST(poisson_workload)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL;

    exp_init(&x);
    exp_write(&x, NULL,
              "matrix = { policies = [\"random\"]; warming = [\"warmed\"]; invocations = 1; };\n"
              "warm = { nodes = \"all\"; };\n"
              "workload = { type = \"poisson\"; rate = 100; duration_s = 0.4; clients = 4; };");
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);
    read_rows(dir, &r);
    /* 40 expected; the seeded arrivals give a fixed count near it. */
    ck_assert_int_ge(r.n, 20);
    ck_assert_int_le(r.n, 60);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_int_eq(r.intended_after_start, 0);
    int first = r.n;
    /* The same seed, the same arrivals. */
    free(dir);
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);
    read_rows(dir, &r);
    ck_assert_int_eq(r.n, first);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

START_TEST(trace_workload)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL, *trace;

    exp_init(&x);
    trace = write_in(&x, "trace.csv", "time_s,function\n0,fa\n0.05,fb\n0.10,fa\n0.10,fa\n0.20,fb\n");
    exp_write(&x, NULL,
              "matrix = { policies = [\"round-robin\"]; warming = [\"cold\", \"warmed\"]; "
              "invocations = 1; };\n"
              "workload = { type = \"trace\"; trace = \"trace.csv\"; trace_format = \"csv\"; "
              "clients = 2; };");
    run_two_cells(&x, &dir, &r);
    ck_assert_int_eq(r.mode_mismatch, 0);
    ck_assert_int_eq(r.intended_after_start, 0);
    free(trace);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

/* A 2021 trace drives the work placeholders: fa's command gets each row's
 * duration and its own work_memory_mb (the format has no memory); fb's has
 * none and runs as written. The invocations of the first 2.5 workload
 * seconds (time_scale 0.1: 0.25 s) are flagged warmup in every cell. */
START_TEST(trace_work_and_warmup)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL, *trace, *fns, *log, line[256];
    int lines = 0, got[4] = {0};

    exp_init(&x);
    log = fb_strf("%s/work.log", x.rt.dir);
    /* starts 0, 1, 2, 3, 5 s: (A,f1) -> fa, (A,f2) -> fb */
    trace = write_in(&x, "az21.csv",
                     "app,func,end_timestamp,duration\n"
                     "A,f1,0.25,0.25\nA,f2,1.5,0.5\nA,f1,2.0125,0.0125\nA,f1,4.0,1.0\n"
                     "A,f2,5.1,0.1\n");
    fns = fb_strf("functions = ( { name = \"fa\"; image = \"registry.test/fb/a:1\"; "
                  "work_memory_mb = 48; work_duration_ms = 9;\n"
                  "  command = \"sh -c 'echo fa $0 $1 >>%s' {duration_ms} {memory_mb}\"; },\n"
                  "  { name = \"fb\"; image = \"registry.test/fb/b:1\"; command = \"true\"; } );\n",
                  log);
    exp_write_fns(&x, fns,
                  NULL,
                  "matrix = { policies = [\"round-robin\"]; warming = [\"cold\", \"warmed\"]; "
                  "invocations = 1; };\n"
                  "workload = { type = \"trace\"; trace = \"az21.csv\"; "
                  "trace_format = \"azure2021\"; time_scale = 0.1; warmup_s = 2.5; };");
    run_two_cells(&x, &dir, &r);
    ck_assert_int_eq(r.errors, 0);
    for (int c = 0; c < 2; c++) {
        /* t = 0 (fa) and 1 s (fb) and 2 s (fa) are warm-up; 3 s and 5 s not */
        ck_assert_int_eq(r.warmup[c][0], 2);
        ck_assert_int_eq(r.warmup[c][1], 1);
    }
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        lines++;
        got[0] += strcmp(line, "fa 250 48\n") == 0;
        got[1] += strcmp(line, "fa 12.5 48\n") == 0;
        got[2] += strcmp(line, "fa 1000 48\n") == 0;
    }
    fclose(f);
    ck_assert_int_eq(lines, 6);
    ck_assert_int_eq(got[0], 2);
    ck_assert_int_eq(got[1], 2);
    ck_assert_int_eq(got[2], 2);
    /* Each row says what work it asked: fa its event's duration and the
     * function's memory; fb (no placeholder) nothing. */
    memset(got, 0, sizeof(got));
    for (int i = 0; i < r.n; i++) {
        got[0] += strcmp(r.asked[i], "fa 250 48") == 0;
        got[1] += strcmp(r.asked[i], "fa 12.5 48") == 0;
        got[2] += strcmp(r.asked[i], "fa 1000 48") == 0;
        got[3] += strcmp(r.asked[i], "fb nan nan") == 0;
    }
    ck_assert_int_eq(got[0], 2);
    ck_assert_int_eq(got[1], 2);
    ck_assert_int_eq(got[2], 2);
    ck_assert_int_eq(got[3], 4);

    /* The summaries leave warm-up rows out: 1 fa and 1 fb row per cell. */
    char *sum = fb_strf("%s/summary.csv", dir);
    FILE *s = fopen(sum, "r");
    ck_assert_ptr_nonnull(s);
    int fa_rows = 0;
    while (fgets(line, sizeof(line), s) != NULL)
        fa_rows += strstr(line, ",fa,1,0,") != NULL; /* n = 1, no errors */
    fclose(s);
    ck_assert_int_eq(fa_rows, 2);
    /* and show what was asked of fa, whose one steady row asked for 1000 ms
     * (the local runtime measures no node time: nothing to show beside it);
     * nothing for fb */
    s = fopen(sum, "r");
    ck_assert_ptr_nonnull(s);
    fa_rows = 0;
    while (fgets(line, sizeof(line), s) != NULL) {
        if (strstr(line, ",fa,1,0,") != NULL) {
            char *last = strrchr(line, ','), *before;
            *last = '\0';
            before = strrchr(line, ',');
            ck_assert_str_eq(last + 1, "\n");      /* no slip, */
            ck_assert_str_eq(before, ",");         /* no measured time, */
            *before = '\0';
            ck_assert_str_eq(strrchr(line, ','), ",1000.000"); /* the asked one */
            fa_rows++;
        } else if (strstr(line, ",fb,") != NULL) {
            ck_assert_msg(strstr(line, ",,\n") != NULL, "%s", line);
        }
    }
    fclose(s);
    ck_assert_int_eq(fa_rows, 2);
    free(sum);
    free(fns);
    free(log);
    free(trace);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

/* One warmed round-robin cell of functions fns with workload w, invocations
 * N per function: its rows in *r, n of them. */
static void run_warmed(struct exp_file *x, const char *fns, int n, const char *w, struct rows *r)
{
    char *dir = NULL, *body = fb_strf("matrix = { policies = [\"round-robin\"]; "
                                      "warming = [\"warmed\"]; invocations = %d; };\n"
                                      "workload = %s;", n, w);
    exp_write_fns(x, fns, NULL, body);
    ck_assert_int_eq(run_exp(x, NULL, &dir), 0);
    read_rows(dir, r);
    ck_assert_int_eq(r->n, n);
    free(body);
    free(dir);
}

/* Without a trace the work is the function's own; warmup_s counts from the
 * cell's start: a long one flags every row, none with 0. */
START_TEST(closed_work_defaults_and_warmup)
{
    struct exp_file x;
    struct rows r;
    char *fns, *log, line[256];
    int lines = 0;

    exp_init(&x);
    log = fb_strf("%s/work.log", x.rt.dir);
    fns = fb_strf("functions = ( { name = \"fa\"; image = \"registry.test/fb/a:1\"; "
                  "work_memory_mb = 16.5; work_duration_ms = 120;\n"
                  "  command = \"sh -c 'echo $0 $1 >>%s' {duration_ms} {memory_mb}\"; } );\n",
                  log);
    run_warmed(&x, fns, 3, "{ type = \"closed\"; invocations = 3; warmup_s = 1000; }", &r);
    ck_assert_int_eq(r.warmup[0][0], 3);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        ck_assert_str_eq(line, "120 17\n");
        lines++;
    }
    fclose(f);
    ck_assert_int_eq(lines, 3);
    for (int i = 0; i < r.n; i++)
        ck_assert_str_eq(r.asked[i], "fa 120 17"); /* the function's defaults */

    run_warmed(&x, fns, 2, "{ type = \"sequential\"; }", &r);
    ck_assert_int_eq(r.warmup[0][0], 0);
    free(fns);
    free(log);
    lrt_free(&x.rt);
}
END_TEST

/* ---- a stop mid-cell, and the resume ---- */

static void on_sigint(int sig)
{
    fb_run_stop = sig;
}

START_TEST(interrupt_then_resume)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL, *again = NULL, *extra;
    struct sigaction sa = {0}, old;

    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGINT, &sa, &old), 0);
    fb_run_stop = 0;
    /* The 8th run step (in the second cell: 2 functions x 3 per cell) sends
     * this process SIGINT, once: the marker goes with it. */
    exp_init(&x);
    extra = fb_strf("; s=$?; if [ -e %s/interrupt ] && [ $(grep -c '^run ' %s/log) -ge 8 ]; "
                    "then rm %s/interrupt; kill -INT $PPID; fi; exit $s",
                    x.rt.dir, x.rt.dir, x.rt.dir);
    exp_write(&x, extra, "matrix = { policies = [\"round-robin\"]; "
                         "warming = [\"pre-warmed\", \"cold\", \"warmed\"]; invocations = 3; };");
    free(extra);
    lrt_mark(&x.rt, "interrupt", true);

    ck_assert_int_eq(run_exp(&x, NULL, &dir), FB_EINTR);
    ck_assert(!exists_in(x.rt.dir, "interrupt"));
    read_rows(dir, &r);
    /* The first cell is complete; the second stopped after its 2nd row. */
    ck_assert_int_eq(r.n, 8);
    ck_assert_int_eq(r.by_cell_fn[0][0] + r.by_cell_fn[0][1], 6);
    ck_assert_int_eq(r.by_cell_fn[1][0] + r.by_cell_fn[1][1], 2);
    /* Nothing left: every image pulled was removed at the end. */
    check_clean(&x.rt);
    ck_assert_int_eq(lrt_count(&x.rt, "reset "), 3 * 3); /* cells 1, 2, and the end */

    fb_run_stop = 0;
    ck_assert_int_eq(run_exp(&x, dir, &again), 0);
    ck_assert_str_eq(again, dir);
    read_rows(dir, &r);
    /* The cut cell ran again from its start: 3 cells x 2 functions x 3. */
    ck_assert_int_eq(r.bad, 0);
    ck_assert_int_eq(r.n, 18);
    ck_assert_int_eq(r.n_cells, 3);
    for (int c = 0; c < 3; c++)
        for (int fn = 0; fn < 2; fn++) {
            ck_assert_int_eq(r.by_cell_fn[c][fn], 3);
            ck_assert_int_eq(r.seq_sum[c][fn], 6);
        }
    ck_assert_int_eq(r.mode_mismatch, 0);
    check_clean(&x.rt);
    free(again);
    free(dir);
    lrt_free(&x.rt);
    sigaction(SIGINT, &old, NULL);
}
END_TEST

/* A stop reaches jobs already queued for the open loop's workers: 30
 * calls arrive at once for one worker, the first call's run step sends
 * SIGINT, and no queued job is taken up after it (each would take 0.1 s). */
START_TEST(a_stop_drops_the_queued_open_loop_jobs)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL, *extra, *trace, text[2048] = "time_s,function\n";
    struct sigaction sa = {0}, old;

    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGINT, &sa, &old), 0);
    fb_run_stop = 0;
    exp_init(&x);
    for (int i = 0; i < 30; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "0,%s\n", i % 2 ? "fb" : "fa");
    trace = write_in(&x, "t.csv", text);
    extra = fb_strf("; s=$?; if [ -e %s/interrupt ]; then rm %s/interrupt; kill -INT $PPID; fi; "
                    "sleep 0.1; exit $s",
                    x.rt.dir, x.rt.dir);
    exp_write(&x, extra,
              "matrix = { policies = [\"round-robin\"]; warming = [\"cold\"]; invocations = 1; };\n"
              "workload = { type = \"trace\"; trace = \"t.csv\"; trace_format = \"csv\"; "
              "clients = 1; };");
    lrt_mark(&x.rt, "interrupt", true);
    ck_assert_int_eq(run_exp(&x, NULL, &dir), FB_EINTR);
    read_rows(dir, &r);
    /* The call under way ends; at most one more was past the check. */
    ck_assert_int_ge(r.n, 1);
    ck_assert_int_le(r.n, 2);
    ck_assert_int_le(lrt_count(&x.rt, "run "), 2);
    check_clean(&x.rt);
    free(extra);
    free(trace);
    free(dir);
    lrt_free(&x.rt);
    sigaction(SIGINT, &old, NULL);
    fb_run_stop = 0;
}
END_TEST

/* ---- the metrics endpoint ---- */

/* Scrapes 127.0.0.1:port every 20 ms while go is set (and, with
 * until_stop, fb_run_stop is not): the last answer's body is kept. */
struct scraper {
    int port;
    bool until_stop;
    volatile bool go;
    int answers;
    double max_in_flight;
    char *last;
    pthread_t tid;
};

static void *scrape_main(void *arg)
{
    struct scraper *sc = arg;
    while (sc->go && !(sc->until_stop && fb_run_stop)) {
        struct scrape r;
        if (scrape_get(sc->port, "GET", "/metrics", "application/openmetrics-text", &r)) {
            ck_assert_int_eq(r.status, 200);
            double f = scrape_sum(r.body, "faasbench_node_invocations_in_flight", NULL, NULL);
            if (f > sc->max_in_flight)
                sc->max_in_flight = f;
            free(sc->last);
            sc->last = r.body;
            sc->answers++;
        }
        usleep(20 * 1000);
    }
    return NULL;
}

/* Threads of this process now. */
static int threads_now(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        sscanf(line, "Threads: %d", &n);
    fclose(f);
    return n;
}

/* Scraped while it runs, the endpoint counts every row written, shows the
 * invocations in flight, and answers one more scrape after the last row
 * before the run returns; then nothing listens and no thread is left. */
START_TEST(metrics_endpoint_follows_the_run)
{
    struct exp_file x;
    struct rows r;
    char *dir = NULL, listen[32];
    struct scraper sc = {.port = scrape_free_port(), .go = true};

    exp_init(&x);
    exp_write(&x, " && sleep 0.02",
              "matrix = { policies = [\"round-robin\", \"least-used\"]; warming = [\"warmed\"]; "
              "invocations = 1; };\n"
              "workload = { type = \"closed\"; clients = 3; invocations = 30; };");
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", sc.port);
    ck_assert_int_eq(threads_now(), 1);
    ck_assert_int_eq(pthread_create(&sc.tid, NULL, scrape_main, &sc), 0);
    ck_assert_int_eq(
        run_exp_opts(&x, (struct fb_run_opts){.metrics_listen = listen, .metrics_linger_s = 30},
                     &dir),
        0);
    int answers = sc.answers;
    sc.go = false;
    pthread_join(sc.tid, NULL);
    read_rows(dir, &r);
    ck_assert_int_eq(r.n, 60);
    ck_assert_int_gt(answers, 0);
    ck_assert_ptr_nonnull(sc.last);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_invocations_total", NULL, NULL), r.n);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_invocations_total", "outcome=\"ok\"", NULL),
                        r.n - r.errors);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_cell_index", NULL, NULL), 2);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_cell_invocations", NULL, NULL), 30);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_run_invocations_expected", NULL, NULL), 60);
    ck_assert_double_eq(scrape_sum(sc.last, "faasbench_node_up", NULL, NULL), 3);
    /* Three clients: calls were seen in flight at some scrape. */
    ck_assert_double_gt(sc.max_in_flight, 0);
    struct scrape after;
    ck_assert(!scrape_get(sc.port, "GET", "/metrics", NULL, &after));
    ck_assert_int_eq(threads_now(), 1);
    free(sc.last);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

/* A run stopped by SIGINT stops its endpoint at once: no wait for another
 * scrape, however long the linger (this test's timeout is shorter). */
START_TEST(metrics_endpoint_stops_on_interrupt)
{
    struct exp_file x;
    char *dir = NULL, *extra, listen[32];
    struct sigaction sa = {0}, old;
    struct scraper sc = {.port = scrape_free_port(), .go = true, .until_stop = true};

    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGINT, &sa, &old), 0);
    fb_run_stop = 0;
    exp_init(&x);
    /* The 10th run step sends SIGINT, after 0.3 s of scrapes. */
    extra = fb_strf("; s=$?; if [ $(grep -c '^run ' %s/log) -eq 10 ]; then sleep 0.3; "
                    "kill -INT $PPID; fi; exit $s",
                    x.rt.dir);
    exp_write(&x, extra,
              "matrix = { policies = [\"round-robin\"]; warming = [\"cold\"]; "
              "invocations = 20; };");
    free(extra);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", sc.port);
    ck_assert_int_eq(pthread_create(&sc.tid, NULL, scrape_main, &sc), 0);
    ck_assert_int_eq(
        run_exp_opts(&x, (struct fb_run_opts){.metrics_listen = listen, .metrics_linger_s = 600},
                     &dir),
        FB_EINTR);
    pthread_join(sc.tid, NULL);
    ck_assert_int_gt(sc.answers, 0);
    struct scrape after;
    ck_assert(!scrape_get(sc.port, "GET", "/metrics", NULL, &after));
    ck_assert_int_eq(threads_now(), 1);
    free(sc.last);
    free(dir);
    lrt_free(&x.rt);
    sigaction(SIGINT, &old, NULL);
    fb_run_stop = 0;
}
END_TEST

/* An address that cannot be served stops the run before anything runs. */
START_TEST(metrics_endpoint_bad_address)
{
    struct exp_file x;
    char *dir = NULL;

    exp_init(&x);
    exp_write(&x, NULL,
              "matrix = { policies = [\"round-robin\"]; warming = [\"cold\"]; "
              "invocations = 1; };");
    ck_assert_int_eq(
        run_exp_opts(&x, (struct fb_run_opts){.metrics_listen = "127.0.0.1:99999"}, &dir),
        FB_EINVAL);
    ck_assert_ptr_null(dir);
    ck_assert_int_eq(lrt_count(&x.rt, "run "), 0);
    lrt_free(&x.rt);
}
END_TEST

/* ---- faults (docs/faults.md) ---- */

/* A whole CSV file in memory: table[r][c], the header as row 0. */
#define CSV_ROWS 2048
#define CSV_COLS 40
struct table {
    char *cell[CSV_ROWS][CSV_COLS];
    int rows, cols;
    int col_now;
};

static void t_field(void *s, size_t len, void *data)
{
    struct table *t = data;
    ck_assert_int_lt(t->rows, CSV_ROWS);
    ck_assert_int_lt(t->col_now, CSV_COLS);
    t->cell[t->rows][t->col_now++] = strndup(s != NULL ? s : "", len);
}

static void t_record(int c, void *data)
{
    struct table *t = data;
    (void)c;
    if (t->rows == 0)
        t->cols = t->col_now;
    ck_assert_int_eq(t->col_now, t->cols);
    t->rows++;
    t->col_now = 0;
}

static void read_table(const char *dir, const char *name, struct table *t)
{
    char *path = fb_strf("%s/%s", dir, name), buf[4096];
    struct csv_parser p;
    size_t n;
    FILE *f = fopen(path, "r");

    memset(t, 0, sizeof(*t));
    ck_assert_msg(f != NULL, "%s", path);
    ck_assert_int_eq(csv_init(&p, CSV_APPEND_NULL), 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_uint_eq(csv_parse(&p, buf, n, t_field, t_record, t), n);
    csv_fini(&p, t_field, t_record, t);
    csv_free(&p);
    fclose(f);
    free(path);
}

static void free_table(struct table *t)
{
    for (int r = 0; r < t->rows; r++)
        for (int c = 0; c < t->cols; c++)
            free(t->cell[r][c]);
}

static int col(const struct table *t, const char *name)
{
    for (int c = 0; c < t->cols; c++)
        if (strcmp(t->cell[0][c], name) == 0)
            return c;
    ck_abort_msg("no column %s", name);
    return -1;
}

/* Lines of the runtime's log holding text. */
static int log_lines_with(const struct lrt *rt, const char *text)
{
    char *path = fb_strf("%s/log", rt->dir), line[1024];
    FILE *f = fopen(path, "r");
    int n = 0;

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, text) != NULL;
    fclose(f);
    free(path);
    return n;
}

/* Faults on the cell's clock, in every cell: each begins and ends on its
 * node when the schedule says (the fault and unfault steps, the kill step),
 * faults.csv holds its actual window, and each row names the windows its
 * call started in. */
START_TEST(faults_on_the_cells_clock)
{
    struct exp_file x;
    struct table ft, it;
    char *dir = NULL;

    exp_init(&x);
    exp_write(&x, "; sleep 0.05",
              "matrix = { policies = [\"round-robin\", \"random\"]; warming = [\"cold\"]; };\n"
              "workload = { type = \"closed\"; clients = 2; duration_s = 2.5; };\n"
              "faults = ( { at_s = 0.5; node = \"n2\"; action = \"down\"; for_s = 0.6; },\n"
              "           { at_s = 1.2; node = \"n3\"; action = \"slow\"; for_s = 0.5;\n"
              "             fraction = 0.5; },\n"
              "           { at_s = 1.5; node = \"n1\"; action = \"kill-instances\"; for_s = 0.5; } );");
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);

    /* Each cell: the fault step for down and slow (their node ends them 2 s
     * past the window by itself), the kill step, an unfault for each. */
    ck_assert_int_eq(lrt_count(&x.rt, "fault n2 fb"), 2);
    ck_assert_int_eq(lrt_count(&x.rt, "unfault n2 fb"), 2);
    ck_assert_int_eq(lrt_count(&x.rt, "fault n3 fb"), 2);
    ck_assert_int_eq(lrt_count(&x.rt, "kill n1 -"), 2);
    ck_assert_int_eq(log_lines_with(&x.rt, " down 2.600 1.0000\n"), 2);
    ck_assert_int_eq(log_lines_with(&x.rt, " slow 2.500 0.5000\n"), 2);

    read_table(dir, "faults.csv", &ft);
    ck_assert_int_eq(ft.rows, 1 + 2 * 3);
    int c_fault = col(&ft, "fault"), c_b = col(&ft, "begin_s"), c_e = col(&ft, "end_s");
    int c_bm = col(&ft, "begin_ms"), c_em = col(&ft, "end_ms"), c_by = col(&ft, "ended_by");
    int c_cell = col(&ft, "cell"), c_pol = col(&ft, "policy"), c_err = col(&ft, "error");
    static const char *const names[] = {"f1:down:n2", "f2:slow:n3", "f3:kill-instances:n1"};
    static const double at[] = {0.5, 1.2, 1.5}, len[] = {0.6, 0.5, 0.5};
    for (int r = 1; r < ft.rows; r++) {
        int k = (r - 1) % 3;
        ck_assert_str_eq(ft.cell[r][c_fault], names[k]);
        ck_assert_str_eq(ft.cell[r][c_cell], r <= 3 ? "0" : "1");
        ck_assert_str_eq(ft.cell[r][c_by], "faasbench");
        ck_assert_str_eq(ft.cell[r][c_err], "");
        double b = atof(ft.cell[r][c_b]), e = atof(ft.cell[r][c_e]);
        ck_assert_msg(b >= at[k] && b < at[k] + 0.8, "%s begins at %.3f s", names[k], b);
        /* It ends when planned (kill-instances: its window from its begin). */
        double end_at = k == 2 ? b + len[k] : at[k] + len[k];
        ck_assert_msg(e >= end_at - 0.001 && e < end_at + 0.8, "%s ends at %.3f s", names[k], e);
    }

    /* Every row names exactly the windows its call started in. */
    read_table(dir, "invocations.csv", &it);
    int c_start = col(&it, "start_ms"), c_faults = col(&it, "faults");
    int c_ipol = col(&it, "policy");
    int named = 0;
    ck_assert_int_gt(it.rows, 20);
    for (int r = 1; r < it.rows; r++) {
        long long t = atoll(it.cell[r][c_start]);
        char want[256] = "";
        for (int q = 1; q < ft.rows; q++) {
            if (strcmp(ft.cell[q][c_pol], it.cell[r][c_ipol]) != 0)
                continue;
            long long b = atoll(ft.cell[q][c_bm]), e = atoll(ft.cell[q][c_em]);
            if (b <= t && t < e)
                snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
                         want[0] ? " " : "", ft.cell[q][c_fault]);
        }
        ck_assert_str_eq(it.cell[r][c_faults], want);
        named += want[0] != '\0';
    }
    ck_assert_int_gt(named, 5);
    free_table(&ft);
    free_table(&it);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

/* A call stalled by a down fault may time out after the fault ended and
 * mark its node down then: the node is tried again and, answering, gets
 * calls again in the same cell. Here n2's steps hang (its "dead" marker,
 * past the 5 s command timeout) for 2 s from the end of its reset, which
 * makes the marker itself once it has passed its own check (a marker made
 * from outside, after the first call, missed n2's few early calls on a
 * loaded machine), and its down fault is 0.5-0.9 s. n2's first call hangs
 * and times out at about 5 s, after the fault; the node is back within a
 * second, and the cell lasts 10 s. */
START_TEST(a_node_marked_down_after_its_fault_comes_back)
{
    struct exp_file x;
    struct table it;
    char *dir = NULL;
    int late_on_n2 = 0, failed_on_n2 = 0;

    exp_init(&x);
    free(x.rt.steps[FB_STEP_RESET]);
    x.rt.steps[FB_STEP_RESET] =
        fb_strf("echo reset {node} {images} >>%s/log; test ! -e %s/{node}.dead || exec sleep 6; "
                "test {node} != n2 || { touch %s/n2.dead; "
                "(sleep 2; rm -f %s/n2.dead) >/dev/null 2>&1 </dev/null & }",
                x.rt.dir, x.rt.dir, x.rt.dir, x.rt.dir);
    ck_assert_ptr_nonnull(x.rt.steps[FB_STEP_RESET]);
    exp_write(&x, "; sleep 0.05",
              "matrix = { policies = [\"round-robin\"]; warming = [\"cold\"]; };\n"
              "workload = { type = \"closed\"; clients = 2; duration_s = 10.0; };\n"
              "retries = 2;\n"
              "faults = ( { at_s = 0.5; node = \"n2\"; action = \"down\"; for_s = 0.4; } );");
    ck_assert_int_eq(run_exp(&x, NULL, &dir), 0);
    read_table(dir, "invocations.csv", &it);
    int c_node = col(&it, "node"), c_start = col(&it, "start_ms"), c_fn = col(&it, "failed_nodes");
    long long t0 = atoll(it.cell[1][c_start]);
    for (int r = 1; r < it.rows; r++) {
        failed_on_n2 += strstr(it.cell[r][c_fn], "n2") != NULL;
        if (strcmp(it.cell[r][c_node], "n2") == 0 && atoll(it.cell[r][c_start]) - t0 > 6800)
            late_on_n2++;
    }
    ck_assert_int_gt(failed_on_n2, 0); /* it was marked down, after its fault */
    ck_assert_int_gt(late_on_n2, 0);   /* and came back */
    free_table(&it);
    free(dir);
    lrt_free(&x.rt);
}
END_TEST

/* A trace's length is known once it is read: a fault past its last
 * invocation (on the trace's clock, before time_scale) is refused then,
 * naming the file, the fault's line and the key, before any node is used. */
START_TEST(faults_past_a_traces_end)
{
    struct exp_file x;
    struct fb_experiment exp;
    struct fb_errbuf eb = {{0}};
    struct fb_run_opts o = {.quiet = true, .no_plots = true};
    char *trace, *body, *dir = NULL, want[1024];

    exp_init(&x);
    trace = write_in(&x, "t.csv", "time_s,function\n0.0,fa\n20.0,fb\n");
    body = fb_strf("workload = { type = \"trace\"; trace = \"%s\"; trace_format = \"csv\";\n"
                   "             time_scale = 0.5; };\n"
                   "faults = ( { at_s = 15.0; node = \"n2\"; action = \"down\"; for_s = 5.0; },\n"
                   "           { at_s = 15.0; node = \"n1\"; action = \"slow\"; for_s = 6.0; } );",
                   trace);
    exp_write(&x, NULL, body);
    ck_assert_int_eq(fb_config_load(x.path, &exp, &eb), 0);
    ck_assert_int_eq(fb_run(&exp, &o, &dir, &eb), FB_ECONFIG);
    snprintf(want, sizeof(want),
             "%s:%d: faults[1].for_s: the window 15-21 s ends past the end of the workload (its "
             "trace's last invocation is at 20 s)",
             x.path, exp.faults[1].line);
    ck_assert_str_eq(eb.msg, want);
    ck_assert_ptr_null(dir);
    ck_assert_int_eq(lrt_count(&x.rt, "reset "), 0);
    fb_experiment_free(&exp);
    free(trace);
    free(body);
    lrt_free(&x.rt);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("local nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sequential_matrix);
    tcase_add_test(tc, closed_workload);
    tcase_add_test(tc, poisson_workload);
    tcase_add_test(tc, trace_workload);
    tcase_add_test(tc, trace_work_and_warmup);
    tcase_add_test(tc, closed_work_defaults_and_warmup);
    tcase_add_test(tc, interrupt_then_resume);
    tcase_add_test(tc, a_stop_drops_the_queued_open_loop_jobs);
    tcase_add_test(tc, metrics_endpoint_follows_the_run);
    tcase_add_test(tc, metrics_endpoint_stops_on_interrupt);
    tcase_add_test(tc, metrics_endpoint_bad_address);
    tcase_add_test(tc, faults_on_the_cells_clock);
    tcase_add_test(tc, faults_past_a_traces_end);
    tcase_add_test(tc, a_node_marked_down_after_its_fault_comes_back);
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
