/* test_trace.c - loading CSV and Azure Functions traces (2019, 2021, percentile files): placement,
 * order, work, options, errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "workload/trace.h"

#define DIR FB_TEST_DATA "/trace/"
#define SAMPLE FB_TEST_DATA "/../../experiments/traces/azure-sample.csv"
#define PLAIN_SAMPLE FB_TEST_DATA "/../../experiments/traces/sample.csv"

static const char *const abc[] = {"a", "b", "c"};
static const char *const fg[] = {"f", "g"};
static const char *const six[] = {"f0", "f1", "f2", "f3", "f4", "f5"};

/* Counts of experiments/traces/azure-sample.csv per row (= function when
 * there are 6) and minute, summed from the file by python's csv module
 * apart from this code (make-sample prints the same table):
 *   row 0 http    37  row 1 timer 10  row 2 queue 55
 *   row 3 http    15  row 4 event  0  row 5 storage 6     total 123 */
static const int sample_counts[6][10] = {
    {2, 1, 1, 1, 3, 6, 8, 4, 4, 7},  {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {25, 0, 0, 0, 0, 30, 0, 0, 0, 0}, {9, 1, 0, 1, 0, 0, 1, 1, 1, 1},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},  {1, 1, 0, 0, 1, 0, 1, 1, 0, 1},
};
#define SAMPLE_TOTAL 123

static struct fb_trace_opts opts(enum fb_trace_format format, const char *const *fns, int n)
{
    return (struct fb_trace_opts){.format = format, .functions = fns, .n_functions = n,
                                  .spread = FB_SPREAD_UNIFORM, .time_scale = 1.0, .seed = 1};
}

static void load_ok(const char *path, const struct fb_trace_opts *o, struct fb_trace *t)
{
    struct fb_errbuf eb = {{0}};
    int rc = fb_trace_load(path, o, t, &eb);
    ck_assert_msg(rc == 0, "%s: %s (%s)", path, eb.msg, fb_err_name(rc));
    ck_assert_ptr_nonnull(t->ev);
}

static void assert_sorted(const struct fb_trace *t)
{
    for (size_t i = 1; i < t->n; i++)
        ck_assert_msg(t->ev[i - 1].t_s <= t->ev[i].t_s, "event %zu before %zu", i, i - 1);
}

static void assert_event(const struct fb_trace *t, size_t i, double when, int function)
{
    ck_assert_msg(fabs(t->ev[i].t_s - when) < 1e-9, "event %zu at %.9g, expected %.9g", i,
                  t->ev[i].t_s, when);
    ck_assert_int_eq(t->ev[i].function, function);
}

/* Same events in the same order (fields compared: the struct has padding). */
static int same_events(const struct fb_trace_event *a, const struct fb_trace_event *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].t_s != b[i].t_s || a[i].function != b[i].function)
            return 0;
    return 1;
}

/* Counts events per (function, minute of unscaled time), checking every
 * event lies in [0, minutes) minutes. */
static void per_minute(const struct fb_trace *t, double scale, int minutes, int out[6][10])
{
    memset(out, 0, sizeof(int) * 6 * 10);
    for (size_t i = 0; i < t->n; i++) {
        double s = t->ev[i].t_s / scale;
        int m = (int)floor(s / 60.0);
        ck_assert_msg(s >= 0 && m < minutes, "event %zu at %g s is outside the trace", i, s);
        ck_assert_int_ge(t->ev[i].function, 0);
        ck_assert_int_lt(t->ev[i].function, 6);
        out[t->ev[i].function][m]++;
    }
}

START_TEST(csv_rows_are_sorted_stably)
{
    struct fb_trace_opts o = opts(FB_TRACE_CSV, abc, 3);
    struct fb_trace t;

    load_ok(DIR "csv_ok.csv", &o, &t);
    ck_assert_uint_eq(t.n, 7);
    /* The three rows at 1.0 s keep their file order: b, a, c. */
    assert_event(&t, 0, 0.0, 0);
    assert_event(&t, 1, 0.5, 0);
    assert_event(&t, 2, 1.0, 1);
    assert_event(&t, 3, 1.0, 0);
    assert_event(&t, 4, 1.0, 2);
    assert_event(&t, 5, 2.5, 1);
    assert_event(&t, 6, 3.25, 2);
    fb_trace_free(&t);
    ck_assert_ptr_null(t.ev);
    ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(csv_header_variants)
{
    struct fb_trace_opts o = opts(FB_TRACE_CSV, abc, 3);
    struct fb_trace t;

    /* offset_s, a byte order mark, CRLF line ends, spaces around values. */
    load_ok(DIR "csv_offset_crlf.csv", &o, &t);
    ck_assert_uint_eq(t.n, 2);
    assert_event(&t, 0, 1.5, 0);
    assert_event(&t, 1, 4.0, 1);
    fb_trace_free(&t);
    /* time, and no newline after the last row. */
    load_ok(DIR "csv_time_no_final_newline.csv", &o, &t);
    ck_assert_uint_eq(t.n, 2);
    assert_event(&t, 0, 0.125, 0);
    assert_event(&t, 1, 0.25, 2);
    fb_trace_free(&t);
}
END_TEST

/* A csv trace's optional work columns, in either order: an empty field
 * (or no column) is NAN, the function's own work; time_scale keeps them. */
START_TEST(csv_carries_work)
{
    struct fb_trace_opts o = opts(FB_TRACE_CSV, abc, 3);
    struct fb_trace t;

    o.time_scale = 0.5;
    load_ok(DIR "csv_work.csv", &o, &t);
    ck_assert_uint_eq(t.n, 4);
    assert_event(&t, 0, 0.0, 0);
    ck_assert_double_eq(t.ev[0].duration_ms, 1000);
    ck_assert_double_eq(t.ev[0].memory_mb, 64);
    assert_event(&t, 1, 0.5, 2);
    ck_assert(isnan(t.ev[1].duration_ms) && isnan(t.ev[1].memory_mb));
    assert_event(&t, 2, 1.0, 1);
    ck_assert_double_eq(t.ev[2].duration_ms, 250.5);
    ck_assert(isnan(t.ev[2].memory_mb));
    assert_event(&t, 3, 1.5, 0);
    ck_assert(isnan(t.ev[3].duration_ms));
    ck_assert_double_eq(t.ev[3].memory_mb, 512);
    fb_trace_free(&t);
    /* Without the columns, no work. */
    load_ok(DIR "csv_ok.csv", &o, &t);
    for (size_t i = 0; i < t.n; i++)
        ck_assert(isnan(t.ev[i].duration_ms) && isnan(t.ev[i].memory_mb));
    fb_trace_free(&t);
}
END_TEST

START_TEST(csv_time_scale)
{
    struct fb_trace_opts o = opts(FB_TRACE_CSV, abc, 3);
    struct fb_trace t;

    o.time_scale = 0.5;
    load_ok(DIR "csv_ok.csv", &o, &t);
    ck_assert_uint_eq(t.n, 7);
    assert_event(&t, 1, 0.25, 0);
    assert_event(&t, 5, 1.25, 1);
    assert_event(&t, 6, 1.625, 2);
    fb_trace_free(&t);
    o.time_scale = 4;
    load_ok(DIR "csv_ok.csv", &o, &t);
    assert_event(&t, 6, 13.0, 2);
    fb_trace_free(&t);
}
END_TEST

START_TEST(shipped_plain_sample_loads)
{
    static const char *const fns[] = {"fib-light", "fib-heavy"};
    struct fb_trace_opts o = opts(FB_TRACE_CSV, fns, 2);
    struct fb_trace t;
    int per[2] = {0};

    load_ok(PLAIN_SAMPLE, &o, &t);
    ck_assert_uint_eq(t.n, 8);
    assert_sorted(&t);
    for (size_t i = 0; i < t.n; i++)
        per[t.ev[i].function]++;
    ck_assert_int_eq(per[0], 5); /* fib-light rows in sample.csv */
    ck_assert_int_eq(per[1], 3);
    ck_assert_double_le(t.ev[t.n - 1].t_s, 10.0);
    fb_trace_free(&t);
}
END_TEST

START_TEST(azure_uniform_places_exactly)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, fg, 2);
    struct fb_trace t;

    /* Rows 0 and 2 replay as f, row 1 as g (row k -> functions[k mod 2]).
     * Minute 1: 2 of f at 15, 45 and 1 of f at 30; minute 2: 4 of g at
     * 67.5, 82.5, 97.5, 112.5 and 1 of f at 90; minute 3: one from each
     * row at 150, in row order f, g, f. */
    load_ok(DIR "azure_small.csv", &o, &t);
    ck_assert_uint_eq(t.n, 11);
    assert_event(&t, 0, 15, 0);
    assert_event(&t, 1, 30, 0);
    assert_event(&t, 2, 45, 0);
    assert_event(&t, 3, 67.5, 1);
    assert_event(&t, 4, 82.5, 1);
    assert_event(&t, 5, 90, 0);
    assert_event(&t, 6, 97.5, 1);
    assert_event(&t, 7, 112.5, 1);
    assert_event(&t, 8, 150, 0);
    assert_event(&t, 9, 150, 1);
    assert_event(&t, 10, 150, 0);
    fb_trace_free(&t);
}
END_TEST

START_TEST(azure_sample_counts_per_function)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, six, 6);
    struct fb_trace t;
    int got[6][10];

    load_ok(SAMPLE, &o, &t);
    ck_assert_uint_eq(t.n, SAMPLE_TOTAL);
    assert_sorted(&t);
    per_minute(&t, 1.0, 10, got);
    for (int f = 0; f < 6; f++)
        for (int m = 0; m < 10; m++)
            ck_assert_msg(got[f][m] == sample_counts[f][m], "function %d minute %d: %d, not %d",
                          f, m + 1, got[f][m], sample_counts[f][m]);
    fb_trace_free(&t);

    /* Fewer functions: rows wrap round. 2: rows 0,2,4 and 1,3,5. 4: rows
     * 0,4 / 1,5 / 2 / 3. */
    static const int want2[2] = {37 + 55 + 0, 10 + 15 + 6};
    static const int want4[4] = {37 + 0, 10 + 6, 55, 15};
    for (int nf = 2; nf <= 4; nf += 2) {
        int per[4] = {0};
        o = opts(FB_TRACE_AZURE, six, nf);
        load_ok(SAMPLE, &o, &t);
        ck_assert_uint_eq(t.n, SAMPLE_TOTAL);
        for (size_t i = 0; i < t.n; i++)
            per[t.ev[i].function]++;
        for (int f = 0; f < nf; f++)
            ck_assert_int_eq(per[f], nf == 2 ? want2[f] : want4[f]);
        fb_trace_free(&t);
    }
}
END_TEST

START_TEST(azure_poisson_is_seeded_and_stays_in_its_minutes)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, six, 6);
    struct fb_trace a, b, c, u;
    int got[6][10];

    o.spread = FB_SPREAD_POISSON;
    o.seed = 7;
    load_ok(SAMPLE, &o, &a);
    load_ok(SAMPLE, &o, &b);
    o.seed = 8;
    load_ok(SAMPLE, &o, &c);
    ck_assert_uint_eq(a.n, SAMPLE_TOTAL);
    ck_assert_uint_eq(b.n, SAMPLE_TOTAL);
    ck_assert_uint_eq(c.n, SAMPLE_TOTAL);
    ck_assert(same_events(a.ev, b.ev, a.n));
    ck_assert(!same_events(a.ev, c.ev, a.n));
    const struct fb_trace *each[2] = {&a, &c};
    for (int k = 0; k < 2; k++) {
        /* Strictly increasing: every row and minute draws its own points
         * (rows with one call in the same minute do not coincide). */
        for (size_t i = 1; i < each[k]->n; i++)
            ck_assert_double_lt(each[k]->ev[i - 1].t_s, each[k]->ev[i].t_s);
        per_minute(each[k], 1.0, 10, got);
        for (int f = 0; f < 6; f++)
            for (int m = 0; m < 10; m++)
                ck_assert_int_eq(got[f][m], sample_counts[f][m]);
    }
    /* Not the uniform placement. */
    o.spread = FB_SPREAD_UNIFORM;
    load_ok(SAMPLE, &o, &u);
    ck_assert(!same_events(a.ev, u.ev, a.n));
    fb_trace_free(&a);
    fb_trace_free(&b);
    fb_trace_free(&c);
    fb_trace_free(&u);
}
END_TEST

/* The replay of reader r as draw `draw`, into t (its events malloc'd). */
static void read_draw(struct fb_trace_reader *r, unsigned draw, struct fb_trace *t)
{
    struct fb_trace_event ev;
    size_t cap = 0;
    int rc;

    memset(t, 0, sizeof(*t));
    ck_assert_int_eq(fb_trace_rewind_draw(r, draw), 0);
    while ((rc = fb_trace_next(r, &ev)) == 1) {
        if (t->n == cap) {
            cap = cap ? 2 * cap : 256;
            t->ev = realloc(t->ev, cap * sizeof(*t->ev));
            ck_assert_ptr_nonnull(t->ev);
        }
        t->ev[t->n++] = ev;
    }
    ck_assert_int_eq(rc, 0);
}

/* Each repetition replays a draw of its own: the same counts per minute,
 * new places in the minute and new work; draw 0 is the trace as loaded,
 * and a draw is the same whenever it is made again. */
START_TEST(azure_draws_place_the_same_counts_afresh)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, six, 6);
    struct fb_trace_reader *r = NULL;
    struct fb_errbuf eb = {{0}};
    struct fb_trace loaded, d0, d1, d1again, d0again;
    int got[6][10];

    o.spread = FB_SPREAD_POISSON;
    o.seed = 7;
    load_ok(SAMPLE, &o, &loaded);
    ck_assert_msg(fb_trace_open(SAMPLE, &o, &r, &eb) == 0, "%s", eb.msg);
    read_draw(r, 0, &d0);
    read_draw(r, 1, &d1);
    read_draw(r, 1, &d1again);
    read_draw(r, 0, &d0again);
    ck_assert_uint_eq(d0.n, SAMPLE_TOTAL);
    ck_assert_uint_eq(d1.n, SAMPLE_TOTAL);
    ck_assert(same_events(loaded.ev, d0.ev, d0.n));
    ck_assert(same_events(d0.ev, d0again.ev, d0.n));
    ck_assert(same_events(d1.ev, d1again.ev, d1.n));
    ck_assert(!same_events(d0.ev, d1.ev, d0.n));
    per_minute(&d1, 1.0, 10, got);
    for (int f = 0; f < 6; f++)
        for (int m = 0; m < 10; m++)
            ck_assert_int_eq(got[f][m], sample_counts[f][m]);
    fb_trace_close(r);
    fb_trace_free(&loaded);
    free(d0.ev);
    free(d1.ev);
    free(d1again.ev);
    free(d0again.ev);
}
END_TEST

START_TEST(azure_max_minutes)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, six, 6);
    struct fb_trace full, part;
    struct fb_errbuf eb = {{0}};
    int got[6][10];

    o.max_minutes = 3;
    load_ok(SAMPLE, &o, &part);
    ck_assert_uint_eq(part.n, 4 + 3 + 25 + 10 + 0 + 2);
    per_minute(&part, 1.0, 3, got);
    for (int f = 0; f < 6; f++)
        for (int m = 0; m < 3; m++)
            ck_assert_int_eq(got[f][m], sample_counts[f][m]);
    fb_trace_free(&part);

    /* More minutes than the file has: all of them. */
    o.max_minutes = 1440;
    load_ok(SAMPLE, &o, &part);
    ck_assert_uint_eq(part.n, SAMPLE_TOTAL);
    fb_trace_free(&part);

    /* Poisson: the first minutes are the same events as in the full trace. */
    o.spread = FB_SPREAD_POISSON;
    o.seed = 99;
    o.max_minutes = 0;
    load_ok(SAMPLE, &o, &full);
    o.max_minutes = 6;
    load_ok(SAMPLE, &o, &part);
    size_t k = 0;
    while (k < full.n && full.ev[k].t_s < 360.0)
        k++;
    ck_assert_uint_eq(part.n, k);
    ck_assert(same_events(part.ev, full.ev, k));
    fb_trace_free(&full);
    fb_trace_free(&part);

    /* Idle in the kept minutes: nothing to replay is an error. */
    o = opts(FB_TRACE_AZURE, fg, 2);
    load_ok(DIR "azure_idle_start.csv", &o, &part);
    ck_assert_uint_eq(part.n, 5);
    fb_trace_free(&part);
    o.max_minutes = 2;
    ck_assert_int_eq(fb_trace_load(DIR "azure_idle_start.csv", &o, &part, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, DIR "azure_idle_start.csv:3: no invocations in the trace "
                             "(within max_minutes)");
    ck_assert_ptr_null(part.ev);
}
END_TEST

START_TEST(azure_time_scale)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, six, 6);
    struct fb_trace one, half;
    int got[6][10];

    o.spread = FB_SPREAD_POISSON;
    load_ok(SAMPLE, &o, &one);
    o.time_scale = 0.5;
    load_ok(SAMPLE, &o, &half);
    ck_assert_uint_eq(one.n, half.n);
    for (size_t i = 0; i < one.n; i++) {
        ck_assert_double_eq(half.ev[i].t_s, one.ev[i].t_s * 0.5);
        ck_assert_int_eq(half.ev[i].function, one.ev[i].function);
    }
    ck_assert_double_lt(half.ev[half.n - 1].t_s, 300.0);
    per_minute(&half, 0.5, 10, got);
    ck_assert_int_eq(got[2][5], 30);
    fb_trace_free(&one);
    fb_trace_free(&half);
}
END_TEST

/* One cap for every format (workload.max_events): a trace that would give
 * more invocations is refused while it is checked, before any is held, the
 * message naming the file and line; a 2019 row's huge count costs nothing
 * before the refusal. */
START_TEST(every_format_is_capped)
{
    static const struct {
        enum fb_trace_format format;
        const char *text;
        const char *line; /* where the cap is passed */
    } cases[] = {
        {FB_TRACE_CSV, "time_s,function\n0,f0\n1,f1\n2,f0\n3,f1\n", ":4:"},
        {FB_TRACE_AZURE, "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,100000000\n",
         ":2:"},
        {FB_TRACE_AZURE2021, "app,func,end_timestamp,duration\na,f,1.0,0.5\na,f,2.0,0.5\n"
                             "a,g,3.0,0.5\na,g,4.0,0.5\n", ":4:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[] = "/tmp/fb-trace-XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        struct fb_trace_reader *r = NULL;
        struct fb_errbuf eb = {{0}};

        ck_assert_ptr_nonnull(f);
        fputs(cases[i].text, f);
        fclose(f);
        struct fb_trace_opts o = opts(cases[i].format, six, 2);
        o.max_events = 2;
        ck_assert_int_eq(fb_trace_open(path, &o, &r, &eb), FB_EINVAL);
        ck_assert_ptr_null(r);
        ck_assert_msg(strstr(eb.msg, "more than 2 invocations") != NULL &&
                          strstr(eb.msg, cases[i].line) != NULL &&
                          strncmp(eb.msg, path, strlen(path)) == 0,
                      "case %zu: %s", i, eb.msg);
        /* At the cap exactly, it opens. */
        if (cases[i].format != FB_TRACE_AZURE) {
            o.max_events = 4;
            ck_assert_msg(fb_trace_open(path, &o, &r, &eb) == 0, "case %zu: %s", i, eb.msg);
            ck_assert_uint_eq(fb_trace_events(r), 4);
            fb_trace_close(r);
        }
        unlink(path);
    }
}
END_TEST

START_TEST(large_unsorted_csv_sorts_stably)
{
    enum { ROWS = 5000 };
    char path[] = "/tmp/fb-trace-XXXXXX";
    const char **names = calloc(ROWS, sizeof(*names));
    char (*buf)[16] = calloc(ROWS, sizeof(*buf));
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct fb_trace t;

    ck_assert_ptr_nonnull(f);
    fprintf(f, "time_s,function\n");
    /* Row k is function k at one of 37 times in a scrambled order: many
     * ties, so function order within a time shows the sort is stable. */
    for (int k = 0; k < ROWS; k++) {
        snprintf(buf[k], sizeof(buf[k]), "f%d", k);
        names[k] = buf[k];
        fprintf(f, "%d.5,f%d\n", (k * 7919) % 37, k);
    }
    fclose(f);
    struct fb_trace_opts o = opts(FB_TRACE_CSV, names, ROWS);
    load_ok(path, &o, &t);
    unlink(path);
    ck_assert_uint_eq(t.n, ROWS);
    for (size_t i = 1; i < t.n; i++) {
        ck_assert(t.ev[i - 1].t_s <= t.ev[i].t_s);
        if (t.ev[i - 1].t_s == t.ev[i].t_s)
            ck_assert_int_lt(t.ev[i - 1].function, t.ev[i].function);
    }
    fb_trace_free(&t);
    free(names);
    free(buf);
}
END_TEST

START_TEST(bad_options)
{
    struct fb_trace_opts o = opts(FB_TRACE_CSV, abc, 3);
    struct fb_trace t = {(void *)&o, 99};
    struct fb_errbuf eb = {{0}};

    o.time_scale = 0;
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", &o, &t, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, DIR "csv_ok.csv: time_scale must be a number > 0");
    ck_assert_ptr_null(t.ev);
    ck_assert_uint_eq(t.n, 0);
    o.time_scale = -1;
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", &o, &t, &eb), FB_EINVAL);
    o.time_scale = NAN;
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", &o, &t, &eb), FB_EINVAL);
    o = opts(FB_TRACE_CSV, abc, 0);
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", &o, &t, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, DIR "csv_ok.csv: the experiment has no functions");
    o = opts(FB_TRACE_AZURE, abc, 3);
    o.max_minutes = -1;
    ck_assert_int_eq(fb_trace_load(SAMPLE, &o, &t, &eb), FB_EINVAL);
    o = opts(FB_TRACE_CSV, abc, 3);
    ck_assert_int_eq(fb_trace_load(DIR "no-such-file.csv", &o, &t, &eb), FB_EIO);
    ck_assert_str_eq(eb.msg, DIR "no-such-file.csv: No such file or directory");
    ck_assert_int_eq(fb_trace_load(FB_TEST_DATA "/trace", &o, &t, &eb), FB_EIO);
    ck_assert_int_eq(fb_trace_load(NULL, &o, &t, NULL), FB_EINVAL);
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", NULL, &t, NULL), FB_EINVAL);
    ck_assert_int_eq(fb_trace_load(DIR "csv_ok.csv", &o, NULL, NULL), FB_EINVAL);
    fb_trace_free(NULL);
    fb_trace_free(&t);
}
END_TEST

/* Each malformed file and the exact message: FILE:LINE: text. */
static const struct bad_case {
    const char *file;
    enum fb_trace_format format;
    int line;
    const char *msg;
} bad_cases[] = {
    {"bad_empty.csv", FB_TRACE_CSV, 1, "empty file: expected the header time_s,function"},
    {"bad_blank_only.csv", FB_TRACE_CSV, 1, "empty file: expected the header time_s,function"},
    {"bad_empty.csv", FB_TRACE_AZURE, 1,
     "empty file: expected the header HashOwner,HashApp,HashFunction,Trigger,1,2,..."},
    {"bad_header_name.csv", FB_TRACE_CSV, 1,
     "header column 1 is 'when', expected time_s (or offset_s, time)"},
    {"bad_header_function.csv", FB_TRACE_CSV, 1, "header column 2 is 'fn', expected function"},
    {"bad_no_header.csv", FB_TRACE_CSV, 1,
     "header column 1 is '0.5', expected time_s (or offset_s, time)"},
    {"bad_header_columns.csv", FB_TRACE_CSV, 1,
     "header column 3 is 'node', expected duration_ms or memory_mb"},
    {"bad_header_wide.csv", FB_TRACE_CSV, 1,
     "header has 5 columns, expected 2 to 4: time_s,function[,duration_ms][,memory_mb]"},
    {"bad_header_repeat.csv", FB_TRACE_CSV, 1, "header column 4 repeats duration_ms"},
    {"bad_work_duration.csv", FB_TRACE_CSV, 3, "duration_ms '12ms' is not a number"},
    {"bad_work_memory.csv", FB_TRACE_CSV, 2, "memory_mb '-64' is negative"},
    {"bad_work_far.csv", FB_TRACE_CSV, 2, "duration_ms '4e13' is more than a year"},
    {"bad_work_columns.csv", FB_TRACE_CSV, 3, "2 columns, expected 3 (as the header)"},
    {"bad_header_only.csv", FB_TRACE_CSV, 1, "no invocations in the trace"},
    {"bad_columns.csv", FB_TRACE_CSV, 3, "3 columns, expected 2 (as the header)"},
    {"bad_time.csv", FB_TRACE_CSV, 5, "time 'abc' is not a number"},
    {"bad_nan_time.csv", FB_TRACE_CSV, 3, "time 'nan' is not a number"},
    {"bad_negative_time.csv", FB_TRACE_CSV, 2, "negative time '-1.5'"},
    {"bad_far_time.csv", FB_TRACE_CSV, 3, "time '40000000' is more than a year"},
    {"bad_function.csv", FB_TRACE_CSV, 3,
     "unknown function 'zzz' (not among the experiment's functions)"},
    {"bad_empty_function.csv", FB_TRACE_CSV, 4,
     "unknown function '' (not among the experiment's functions)"},
    {"bad_quote.csv", FB_TRACE_CSV, 3,
     "malformed CSV: a quote inside an unquoted field or after a closing quote"},
    {"bad_unclosed_quote.csv", FB_TRACE_CSV, 3, "malformed CSV: a quoted field is not closed"},
    {"csv_ok.csv", FB_TRACE_AZURE, 1, "header column 1 is 'time_s', expected HashOwner"},
    {"azure_small.csv", FB_TRACE_CSV, 1,
     "header has 7 columns, expected 2 to 4: time_s,function[,duration_ms][,memory_mb]"},
    {"azure_bad_header.csv", FB_TRACE_AZURE, 1,
     "header column 3 is 'Function', expected HashFunction"},
    {"azure_bad_minutes.csv", FB_TRACE_AZURE, 1, "header column 7 is '4', expected minute 3"},
    {"azure_no_minutes.csv", FB_TRACE_AZURE, 1,
     "header has no minute columns: expected HashOwner,HashApp,HashFunction,Trigger,1,2,..."},
    {"azure_short_row.csv", FB_TRACE_AZURE, 3, "5 columns, expected 6 as in the header"},
    {"azure_long_row.csv", FB_TRACE_AZURE, 2, "7 columns, expected 6 as in the header"},
    {"azure_bad_count.csv", FB_TRACE_AZURE, 2, "minute 2: count 'x' is not a number"},
    {"azure_negative_count.csv", FB_TRACE_AZURE, 5, "minute 1: negative count '-3'"},
    {"azure_fraction.csv", FB_TRACE_AZURE, 3, "minute 1: count '2.5' is not a whole number"},
    {"azure_empty_hash.csv", FB_TRACE_AZURE, 2, "empty HashFunction"},
    {"bad_empty.csv", FB_TRACE_AZURE2021, 1,
     "empty file: expected the header app,func,end_timestamp,duration"},
    {"csv_ok.csv", FB_TRACE_AZURE2021, 1,
     "header has 2 columns, expected 4: app,func,end_timestamp,duration"},
    {"az21_bad_header_columns.csv", FB_TRACE_AZURE2021, 1,
     "header has 3 columns, expected 4: app,func,end_timestamp,duration"},
    {"az21_bad_header_name.csv", FB_TRACE_AZURE2021, 1,
     "header column 2 is 'function', expected func"},
    {"az21_header_only.csv", FB_TRACE_AZURE2021, 1, "no invocations in the trace"},
    {"az21_short_row.csv", FB_TRACE_AZURE2021, 3,
     "3 columns, expected 4 (app,func,end_timestamp,duration)"},
    {"az21_long_row.csv", FB_TRACE_AZURE2021, 4,
     "5 columns, expected 4 (app,func,end_timestamp,duration)"},
    {"az21_bad_end.csv", FB_TRACE_AZURE2021, 4, "end_timestamp 'x' is not a number"},
    {"az21_far_end.csv", FB_TRACE_AZURE2021, 2,
     "end_timestamp '40000000' is more than a year"},
    {"az21_negative_duration.csv", FB_TRACE_AZURE2021, 3, "duration '-0.5' is negative"},
    {"az21_nan_duration.csv", FB_TRACE_AZURE2021, 2, "duration 'nan' is not a number"},
    {"az21_empty_duration.csv", FB_TRACE_AZURE2021, 2, "duration '' is not a number"},
    {"az21_empty_app.csv", FB_TRACE_AZURE2021, 3, "empty app"},
    {"az21_empty_func.csv", FB_TRACE_AZURE2021, 4, "empty func"},
    {"az21_unclosed_quote.csv", FB_TRACE_AZURE2021, 3,
     "malformed CSV: a quoted field is not closed"},
};

/* Each (app, func) by first appearance, k mod n; start = end - duration;
 * the duration carried in ms, no memory. */
START_TEST(azure2021_rows)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE2021, fg, 2);
    struct fb_trace t;
    static const struct {
        double t, ms;
        int fn;
    } want[] = {{0.0, 750, 1},  {1.0, 500, 0},  {2.0, 1000, 1},
                {2.0, 250, 0},  {8.0, 2000, 0}, {60.5, 500, 0}};

    load_ok(DIR "az21_ok.csv", &o, &t);
    ck_assert_uint_eq(t.n, 6);
    for (size_t i = 0; i < t.n; i++) {
        assert_event(&t, i, want[i].t, want[i].fn);
        ck_assert_double_eq_tol(t.ev[i].duration_ms, want[i].ms, 1e-9);
        ck_assert(isnan(t.ev[i].memory_mb));
    }
    fb_trace_free(&t);

    /* Four pairs over four functions: each its own. */
    o = opts(FB_TRACE_AZURE2021, six, 6);
    load_ok(DIR "az21_ok.csv", &o, &t);
    ck_assert_int_eq(t.ev[0].function, 3); /* C,f9: the fourth pair */
    ck_assert_int_eq(t.ev[2].function, 1); /* A,f2 */
    ck_assert_int_eq(t.ev[3].function, 2); /* B,f1 */
    fb_trace_free(&t);

    /* time_scale moves the starts, not the durations; max_minutes keeps
     * what starts in the first minute. */
    o = opts(FB_TRACE_AZURE2021, fg, 2);
    o.time_scale = 0.5;
    o.max_minutes = 1;
    load_ok(DIR "az21_ok.csv", &o, &t);
    ck_assert_uint_eq(t.n, 5);
    assert_event(&t, 4, 4.0, 0);
    ck_assert_double_eq_tol(t.ev[4].duration_ms, 2000, 1e-9);
    fb_trace_free(&t);
}
END_TEST

/* A start before 0 moves every start by the same amount. */
START_TEST(azure2021_start_before_zero)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE2021, fg, 2);
    struct fb_trace t;

    load_ok(DIR "az21_early.csv", &o, &t);
    ck_assert_uint_eq(t.n, 2);
    assert_event(&t, 0, 0.0, 0);
    assert_event(&t, 1, 6.0, 0);
    ck_assert_double_eq_tol(t.ev[0].duration_ms, 3000, 1e-9);
    fb_trace_free(&t);
}
END_TEST

/* 2019 with its percentile files: h1 always 100 ms, h2 within [200, 400],
 * h3 not listed (NAN); memory per app. The times are those without the
 * files, and the draws are seeded. */
START_TEST(azure_percentile_draws)
{
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, abc, 3);
    struct fb_trace plain, t, again, other;

    load_ok(DIR "azure_small.csv", &o, &plain);
    o.durations = DIR "azure_small_durations.csv";
    o.memory = DIR "azure_small_memory.csv";
    load_ok(DIR "azure_small.csv", &o, &t);
    load_ok(DIR "azure_small.csv", &o, &again);
    o.seed = 2;
    load_ok(DIR "azure_small.csv", &o, &other);
    ck_assert_uint_eq(t.n, plain.n);
    ck_assert(same_events(t.ev, plain.ev, t.n));
    int differ = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct fb_trace_event *e = &t.ev[i];
        if (e->function == 0) {
            ck_assert_double_eq_tol(e->duration_ms, 100, 1e-9);
            ck_assert(e->memory_mb >= 20 && e->memory_mb <= 40);
        } else if (e->function == 1) {
            ck_assert(e->duration_ms >= 200 && e->duration_ms <= 400);
            ck_assert(e->memory_mb >= 20 && e->memory_mb <= 40);
        } else {
            ck_assert(isnan(e->duration_ms));
            ck_assert_double_eq_tol(e->memory_mb, 64, 1e-9);
        }
        ck_assert(e->duration_ms == again.ev[i].duration_ms || isnan(e->duration_ms));
        ck_assert(e->memory_mb == again.ev[i].memory_mb);
        differ += e->function == 1 && e->duration_ms != other.ev[i].duration_ms;
    }
    ck_assert_int_gt(differ, 0);
    fb_trace_free(&plain);
    fb_trace_free(&t);
    fb_trace_free(&again);
    fb_trace_free(&other);
}
END_TEST

/* Many draws of one row follow its percentiles (linear between them). */
START_TEST(azure_percentile_distribution)
{
    char dir[] = "/tmp/fbtrace.XXXXXX", inv[64], dur[64];
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, abc, 1);
    struct fb_trace t;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(inv, sizeof(inv), "%s/inv.csv", dir);
    snprintf(dur, sizeof(dur), "%s/dur.csv", dir);
    f = fopen(inv, "w");
    fprintf(f, "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,h,http,5000,5000\n");
    fclose(f);
    f = fopen(dur, "w");
    fprintf(f, "HashFunction,HashOwner,HashApp,percentile_Average_100,percentile_Average_0,"
               "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
               "percentile_Average_75,percentile_Average_99\nh,o,a,60,0,10,20,30,40,50\n");
    fclose(f);
    o.durations = dur;
    load_ok(inv, &o, &t);
    ck_assert_uint_eq(t.n, 10000);
    long below[4] = {0}; /* under 10, 20, 30, 50 */
    for (size_t i = 0; i < t.n; i++) {
        double d = t.ev[i].duration_ms;
        ck_assert(d >= 0 && d <= 60);
        below[0] += d < 10;
        below[1] += d < 20;
        below[2] += d < 30;
        below[3] += d < 50;
    }
    /* 1 %, 25 %, 50 %, 99 %, within sampling noise (sd at most 0.5 %). */
    ck_assert_msg(below[0] > 50 && below[0] < 160, "%ld under 10", below[0]);
    ck_assert_msg(below[1] > 2350 && below[1] < 2650, "%ld under 20", below[1]);
    ck_assert_msg(below[2] > 4850 && below[2] < 5150, "%ld under 30", below[2]);
    ck_assert_msg(below[3] > 9850 && below[3] < 9950, "%ld under 50", below[3]);
    fb_trace_free(&t);
    unlink(inv);
    unlink(dur);
    rmdir(dir);
}
END_TEST

/* A bad percentile file: its own name and line, and which column. */
START_TEST(azure_percentile_errors)
{
    static const struct {
        const char *file;
        int line;
        const char *msg;
    } cases[] = {
        {"pct_missing_column.csv", 1, "header has no column percentile_Average_100"},
        {"pct_decreasing.csv", 3,
         "percentile_Average_75 is less than percentile_Average_50: percentiles never "
         "decrease"},
        {"pct_duplicate.csv", 3, "a second row for the same HashOwner,HashApp,HashFunction"},
        {"pct_bad_value.csv", 2, "percentile_Average_50 'abc' is not a number"},
        {"azure_small_memory.csv", 1, "header has no column HashFunction"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fb_trace_opts o = opts(FB_TRACE_AZURE, abc, 3);
        struct fb_trace t;
        struct fb_errbuf eb = {{0}};
        char path[512], want[FB_ERRMSG_LEN];

        snprintf(path, sizeof(path), "%s%s", DIR, cases[i].file);
        snprintf(want, sizeof(want), "%s:%d: %s", path, cases[i].line, cases[i].msg);
        o.durations = path;
        ck_assert_int_eq(fb_trace_load(DIR "azure_small.csv", &o, &t, &eb), FB_EINVAL);
        ck_assert_str_eq(eb.msg, want);
        ck_assert_ptr_null(t.ev);
    }
    struct fb_trace_opts o = opts(FB_TRACE_AZURE, abc, 3);
    struct fb_trace t;
    struct fb_errbuf eb = {{0}};
    o.memory = DIR "azure_small_durations.csv";
    ck_assert_int_eq(fb_trace_load(DIR "azure_small.csv", &o, &t, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, DIR "azure_small_durations.csv:1: header has no column "
                                 "AverageAllocatedMb_pct1");
    o.memory = DIR "no-such.csv";
    ck_assert_int_eq(fb_trace_load(DIR "azure_small.csv", &o, &t, &eb), FB_EIO);
}
END_TEST

START_TEST(malformed_files_name_file_and_line)
{
    const struct bad_case *c = &bad_cases[_i];
    struct fb_trace_opts o = opts(c->format, abc, 3);
    struct fb_trace t;
    struct fb_errbuf eb = {{0}};
    char want[FB_ERRMSG_LEN], path[512];

    snprintf(want, sizeof(want), "%s%s:%d: %s", DIR, c->file, c->line, c->msg);
    snprintf(path, sizeof(path), "%s%s", DIR, c->file);
    ck_assert_int_eq(fb_trace_load(path, &o, &t, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, want);
    ck_assert_ptr_null(t.ev);
    ck_assert_uint_eq(t.n, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, csv_rows_are_sorted_stably);
    tcase_add_test(tc, csv_header_variants);
    tcase_add_test(tc, csv_time_scale);
    tcase_add_test(tc, csv_carries_work);
    tcase_add_test(tc, shipped_plain_sample_loads);
    tcase_add_test(tc, azure_uniform_places_exactly);
    tcase_add_test(tc, azure_sample_counts_per_function);
    tcase_add_test(tc, azure_poisson_is_seeded_and_stays_in_its_minutes);
    tcase_add_test(tc, azure_draws_place_the_same_counts_afresh);
    tcase_add_test(tc, every_format_is_capped);
    tcase_add_test(tc, azure_max_minutes);
    tcase_add_test(tc, azure_time_scale);
    tcase_add_test(tc, large_unsorted_csv_sorts_stably);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, azure2021_rows);
    tcase_add_test(tc, azure2021_start_before_zero);
    tcase_add_test(tc, azure_percentile_draws);
    tcase_add_test(tc, azure_percentile_distribution);
    tcase_add_test(tc, azure_percentile_errors);
    tcase_add_loop_test(tc, malformed_files_name_file_and_line, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
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
