/* test_sim.c - the simulator on virtual time, in milliseconds and with no
 * nodes: keep-alive cells on designed arrivals (the outcomes the real
 * suites get), the keep-alive accounting on random arrivals, the same rows
 * for the same seed, the node model's checks, and calibration from fixture
 * run folders. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment/config.h"
#include "experiment/matrix.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"
#include "sim/calibrate.h"
#include "sim/sim.h"
#include "workload/trace.h"
#include "workload/workload.h"

#define EPS 1e-6
#define MAX_ROWS 4096
#define MAX_EVENTS 16384

/* ---- files ---- */

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/faasbench-sim-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *path_of(const char *name)
{
    static char p[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static void write_file(const char *name, const char *fmt, ...)
{
    FILE *f = fopen(path_of(name), "w");
    va_list ap;

    ck_assert_ptr_nonnull(f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- a cell and what it reported ---- */

struct row {
    int f;
    enum fb_warming mode;
    double latency_ms, select_ms;
    int64_t start_ms;
    bool failed;
};

struct capture {
    struct row rows[MAX_ROWS];
    int n;
    struct fb_ka_event ev[MAX_EVENTS];
    char names[MAX_EVENTS][64];
    int n_ev;
    char text[1 << 18]; /* every row as text, for byte-for-byte checks */
    size_t text_len;
};

static int cap_record(void *ctx, int f, const struct fb_outcome *o, int64_t intended_ms,
                      bool warmup)
{
    struct capture *c = ctx;

    (void)warmup;
    ck_assert_int_lt(c->n, MAX_ROWS);
    c->rows[c->n++] = (struct row){f, o->mode, o->latency_ms, o->select_ms, o->start_ms,
                                   o->error[0] != '\0'};
    int w = snprintf(c->text + c->text_len, sizeof(c->text) - c->text_len,
                     "%d,%s,%d,%s,%lld,%lld,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s\n", f,
                     o->node_name ? o->node_name : "", (int)o->mode, o->instance,
                     (long long)intended_ms, (long long)o->start_ms, o->select_ms, o->pull_ms,
                     o->run_ms, o->cleanup_ms, o->latency_ms, o->error,
                     isnan(o->handler_ms) ? "" : "h");
    ck_assert(w > 0 && (size_t)w < sizeof(c->text) - c->text_len);
    c->text_len += (size_t)w;
    return 0;
}

static bool cap_warmup(void *ctx, bool open_loop, double t_s, int64_t start_ms)
{
    (void)ctx;
    (void)open_loop;
    (void)t_s;
    (void)start_ms;
    return false;
}

static void cap_event(void *ctx, const struct fb_ka_event *ev)
{
    struct capture *c = ctx;

    ck_assert_int_lt(c->n_ev, MAX_EVENTS);
    c->ev[c->n_ev] = *ev;
    snprintf(c->names[c->n_ev], sizeof(c->names[0]), "%s", ev->instance);
    c->ev[c->n_ev].instance = c->names[c->n_ev];
    c->n_ev++;
}

struct setup {
    struct fb_experiment exp;
    struct fb_sim *sim;
    struct fb_trace_reader *trace;
};

/* Loads experiment.cfg and model.cfg of the test's folder. */
static void load(struct setup *s)
{
    struct fb_errbuf eb = {{0}};
    struct fb_sim_opts so = {.model = path_of("model.cfg")};

    memset(s, 0, sizeof(*s));
    ck_assert_msg(fb_config_load(path_of("experiment.cfg"), &s->exp, &eb) == 0, "%s", eb.msg);
    ck_assert_msg(fb_sim_new(&s->exp, &so, &s->sim, &eb) == 0, "%s", eb.msg);
    if (s->exp.workload.kind == FB_WORKLOAD_TRACE) {
        const char *names[8];
        for (int f = 0; f < s->exp.n_functions; f++)
            names[f] = s->exp.functions[f].name;
        struct fb_trace_opts to = {.format = s->exp.workload.trace_format,
                                   .functions = names,
                                   .n_functions = s->exp.n_functions,
                                   .spread = s->exp.workload.spread,
                                   .time_scale = s->exp.workload.time_scale,
                                   .seed = s->exp.seed};
        ck_assert_msg(fb_trace_open(s->exp.workload.trace, &to, &s->trace, &eb) == 0, "%s",
                      eb.msg);
    }
}

static void unload(struct setup *s)
{
    fb_trace_close(s->trace);
    fb_sim_free(s->sim);
    fb_experiment_free(&s->exp);
}

/* Runs the cell of node policy pspec and keep-alive policy kspec (NULL: a
 * warming cell of mode w) with seed; c gets what it reported. */
static void run_cell(struct setup *s, const char *pspec, const char *kspec, enum fb_warming w,
                     uint64_t seed, struct capture *c, struct fb_ka_outcome *ko)
{
    struct fb_plugspec ps, ks;
    struct fb_errbuf eb = {{0}};
    const struct fb_policy *p = fb_policy_find_spec(pspec, &ps, &eb);
    const struct fb_keepalive *k = kspec != NULL ? fb_keepalive_find_spec(kspec, &ks, &eb) : NULL;
    void *pstate = NULL;
    double end = 0;

    ck_assert_msg(p != NULL, "%s", eb.msg);
    ck_assert_msg(kspec == NULL || k != NULL, "%s", eb.msg);
    if (p->ops.init != NULL)
        ck_assert_int_eq(p->ops.init(&pstate, seed, ps.values), 0);
    memset(c, 0, sizeof(*c));
    struct fb_sim_cell sc = {.p = p,
                             .pstate = pstate,
                             .k = k,
                             .kparams = k != NULL ? ks.values : NULL,
                             .warming = w,
                             .seed = seed,
                             .trace = s->trace,
                             .t0_unix_ms = FB_SIM_EPOCH_MS,
                             .ctx = c,
                             .record = cap_record,
                             .warmup = cap_warmup,
                             .event = cap_event};
    ck_assert_int_eq(fb_sim_run_cell(s->sim, &sc, ko, &end), 0);
    if (p->ops.free != NULL)
        p->ops.free(pstate);
}

/* The modes of c's rows as a string: c, p, w. */
static const char *modes(const struct capture *c)
{
    static char m[MAX_ROWS + 1];
    for (int i = 0; i < c->n; i++)
        m[i] = c->rows[i].failed                        ? 'x'
               : c->rows[i].mode == FB_WARM_COLD       ? 'c'
               : c->rows[i].mode == FB_WARM_PREWARMED  ? 'p'
                                                       : 'w';
    m[c->n] = '\0';
    return m;
}

/* One node of mb MB, functions f0..f(n-1) of 128 MB (the first called
 * "slow" when slow), a trace of the given rows, keep-alive cells. The model:
 * a start costs cold_ms (10 s for "slow"), a warm call 100 ms. */
static void keepalive_files(int mb, int n, bool slow, const char *trace_rows,
                            const char *keepalive)
{
    char fns[2048] = "", mfns[2048] = "";
    size_t a = 0, b = 0;

    for (int f = 0; f < n; f++) {
        char name[16];
        snprintf(name, sizeof(name), f == 0 && slow ? "slow" : "f%d", f);
        a += (size_t)snprintf(fns + a, sizeof(fns) - a,
                              "%s{ name = \"%s\"; image = \"r/x:1\"; handler = \"m:h\"; "
                              "memory_mb = 128; }",
                              f ? ", " : "", name);
        b += (size_t)snprintf(mfns + b, sizeof(mfns) - b,
                              "%s{ name = \"%s\"; cold_ms = %g; warm_ms = 100.0; }", f ? ", " : "",
                              name, f == 0 && slow ? 10000.0 : 1000.0);
    }
    write_file("trace.csv", "time_s,function\n%s", trace_rows);
    write_file("experiment.cfg",
               "nodes = ( { name = \"n1\"; host = \"127.0.0.1\"; transport = \"local\"; "
               "memory_mb = %d; } );\n"
               "functions = ( %s );\n"
               "matrix = { policies = [ \"round-robin\" ]; warming = [ \"keep-alive\" ]; "
               "keepalive = [ %s ]; };\n"
               "workload = { type = \"trace\"; trace = \"trace.csv\"; trace_format = \"csv\"; "
               "clients = 4; };\n",
               mb, fns, keepalive);
    write_file("model.cfg", "model = { version = 1; functions = ( %s ); };\n", mfns);
}

/* ---- keepalive.sh's designed arrivals ---- */

START_TEST(ttl_cold_then_warm_then_prewarmed)
{
    struct setup s;
    struct capture c;
    struct fb_ka_outcome ko;

    make_dir();
    /* ttl 10 s; calls at 0, 5 and 40 s: the instance is there at 5, gone at
     * 40, and its image stays. */
    keepalive_files(1024, 1, false, "0,f0\n5,f0\n40,f0\n", "\"ttl:ttl_s=10\"");
    load(&s);
    run_cell(&s, "round-robin", "ttl:ttl_s=10", FB_WARM_KEEPALIVE, 1, &c, &ko);
    ck_assert_str_eq(modes(&c), "cwp");
    ck_assert_int_eq(ko.started, 2);
    ck_assert_int_eq(ko.evicted_expired, 1);
    ck_assert_int_eq(ko.evicted_end, 1);
    ck_assert_int_eq(ko.cold, 1);
    ck_assert_int_eq(ko.warm, 1);
    ck_assert_int_eq(ko.prewarmed, 1);
    /* A start costs 1 s of its latency; a warm call 100 ms. */
    ck_assert_double_eq_tol(c.rows[0].latency_ms, 1000, EPS);
    ck_assert_double_eq_tol(c.rows[1].latency_ms, 100, EPS);
    unload(&s);
    remove_dir();
}
END_TEST

/* Three functions in turn, nine calls 10 s apart, under lru with room for
 * `room` of them: the outcomes test_pool gets on a local node. */
static void lru_in_turn(int room, const char *want, int starts, int pressure)
{
    struct setup s;
    struct capture c;
    struct fb_ka_outcome ko;
    char rows[512] = "";
    size_t n = 0;

    make_dir();
    for (int i = 0; i < 9; i++)
        n += (size_t)snprintf(rows + n, sizeof(rows) - n, "%d,f%d\n", 10 * i, i % 3);
    keepalive_files(room * 128, 3, false, rows, "\"lru\"");
    load(&s);
    run_cell(&s, "round-robin", "lru", FB_WARM_KEEPALIVE, 1, &c, &ko);
    ck_assert_str_eq(modes(&c), want);
    ck_assert_int_eq(ko.started, starts);
    ck_assert_int_eq(ko.evicted_pressure, pressure);
    ck_assert_int_le(ko.peak_instances, room);
    unload(&s);
    remove_dir();
}

START_TEST(lru_with_room_for_two_of_three_is_always_cold)
{
    lru_in_turn(2, "cccpppppp", 9, 7);
}
END_TEST

/* A start that evicts waits for its victims' removal, as the engine removes
 * them before it starts: each the model's remove time (250 ms here); a
 * start with room waits for nothing. */
START_TEST(a_start_waits_for_its_victims_removal)
{
    struct setup s;
    struct capture c;
    struct fb_ka_outcome ko;
    char rows[512] = "";
    size_t n = 0;

    make_dir();
    for (int i = 0; i < 9; i++)
        n += (size_t)snprintf(rows + n, sizeof(rows) - n, "%d,f%d\n", 10 * i, i % 3);
    keepalive_files(2 * 128, 3, false, rows, "\"lru\"");
    write_file("model.cfg",
               "model = { version = 1; functions = ( { name = \"f*\"; cold_ms = 1000.0; "
               "warm_ms = 100.0; prewarmed = { remove = { ms = 250.0; }; }; } ); };\n");
    load(&s);
    run_cell(&s, "round-robin", "lru", FB_WARM_KEEPALIVE, 1, &c, &ko);
    ck_assert_str_eq(modes(&c), "cccpppppp");
    ck_assert_int_eq(ko.evicted_pressure, 7);
    for (int i = 0; i < c.n; i++) {
        double wait = i < 2 ? 0 : 250;
        ck_assert_double_eq_tol(c.rows[i].select_ms, wait, EPS);
        ck_assert_double_eq_tol(c.rows[i].latency_ms, 1000 + wait, EPS);
    }
    unload(&s);
    remove_dir();
}
END_TEST

START_TEST(lru_with_room_for_three_is_cold_three_times)
{
    lru_in_turn(3, "cccwwwwww", 3, 0);
}
END_TEST

/* Room for two; "slow" costs 10 s to start, the others 1 s. Calls slow,
 * slow, f1, f1, f2, slow: greedy-dual evicts f1 for f2 and finds slow warm;
 * lru evicts slow. */
static char slow_again(const char *spec)
{
    struct setup s;
    struct capture c;
    struct fb_ka_outcome ko;
    char q[64];

    make_dir();
    keepalive_files(256, 3, true, "0,slow\n20,slow\n40,f1\n60,f1\n80,f2\n100,slow\n", "\"lru\"");
    load(&s);
    run_cell(&s, "round-robin", spec, FB_WARM_KEEPALIVE, 1, &c, &ko);
    snprintf(q, sizeof(q), "%s", modes(&c));
    ck_assert_int_ge(ko.evicted_pressure, 1);
    unload(&s);
    remove_dir();
    return q[5];
}

START_TEST(greedy_dual_keeps_the_costly_function)
{
    ck_assert_int_eq(slow_again("greedy-dual"), 'w');
    ck_assert_int_ne(slow_again("lru"), 'w');
}
END_TEST

/* Arrivals every 60 s: hybrid-histogram learns the gap (bins of 10 s, 3
 * samples, pre-warmed 30 % early) and pre-warms ahead of it; ttl keeps the
 * instance the whole gap. Both then find it warm; hybrid holds less idle
 * memory. */
static void every_minute(const char *spec, struct fb_ka_outcome *ko, int *warm_tail)
{
    struct setup s;
    struct capture c;
    char rows[512] = "";
    size_t n = 0;

    make_dir();
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(rows + n, sizeof(rows) - n, "%d,f0\n", 60 * i);
    keepalive_files(1024, 1, false, rows, "\"lru\"");
    load(&s);
    run_cell(&s, "round-robin", spec, FB_WARM_KEEPALIVE, 1, &c, ko);
    *warm_tail = 0;
    for (int i = 6; i < c.n; i++)
        *warm_tail += c.rows[i].mode == FB_WARM_WARMED;
    unload(&s);
    remove_dir();
}

START_TEST(hybrid_histogram_prewarms_and_holds_less_than_ttl)
{
    struct fb_ka_outcome hh, ttl;
    int hh_warm, ttl_warm;

    every_minute("hybrid-histogram:bin_s=10,prewarm_margin=0.3,min_samples=3", &hh, &hh_warm);
    every_minute("ttl:ttl_s=600", &ttl, &ttl_warm);
    ck_assert_int_eq(hh_warm, 4);
    ck_assert_int_eq(ttl_warm, 4);
    ck_assert_int_ge(hh.prewarms, 3);
    ck_assert_msg(hh.idle_mb_s < 0.75 * ttl.idle_mb_s, "idle MB x s: hybrid %g, ttl %g",
                  hh.idle_mb_s, ttl.idle_mb_s);
}
END_TEST

/* ---- the accounting, on random arrivals ---- */

/* Poisson arrivals of 4 functions on 3 nodes of 384 MB, 6 a second for
 * 120 s, under policy spec: every instance started leaves the pool once,
 * and the idle memory-time is what the instance timeline adds up to. */
static void accounting(const char *spec, uint64_t seed)
{
    struct setup s;
    static struct capture c;
    struct fb_ka_outcome ko;
    double idle_from[1024], timeline = 0;
    int starts = 0, gone = 0;

    make_dir();
    write_file("experiment.cfg",
               "nodes = ( { name = \"n1\"; host = \"127.0.0.1\"; transport = \"local\"; "
               "memory_mb = 384; }, { name = \"n2\"; host = \"127.0.0.1\"; transport = "
               "\"local\"; memory_mb = 384; }, { name = \"n3\"; host = \"127.0.0.1\"; "
               "transport = \"local\"; memory_mb = 384; } );\n"
               "functions = ( { name = \"a\"; image = \"r/x:1\"; handler = \"m:h\"; }, "
               "{ name = \"b\"; image = \"r/x:1\"; handler = \"m:h\"; weight = 2; }, "
               "{ name = \"c\"; image = \"r/x:1\"; handler = \"m:h\"; memory_mb = 256; }, "
               "{ name = \"d\"; image = \"r/x:1\"; handler = \"m:h\"; } );\n"
               "matrix = { policies = [ \"round-robin\" ]; warming = [ \"keep-alive\" ]; "
               "keepalive = [ \"lru\" ]; };\n"
               "workload = { type = \"poisson\"; rate = 6.0; duration_s = 120.0; clients = 16; "
               "per_node = 2; };\n");
    write_file("model.cfg",
               "model = { version = 1; functions = ( "
               "{ name = \"a\"; cold_ms = 800.0; warm_ms = 150.0; }, "
               "{ name = \"b\"; cold_ms = 500.0; warm_ms = 300.0; }, "
               "{ name = \"c\"; cold_ms = 2500.0; warm_ms = 50.0; }, "
               "{ name = \"d\"; cold = { select = { n = 3; q = [ 0.5, 1.0, 2.0 ]; }; "
               "pull = { ms = 300.0; }; create = { n = 3; q = [ 100.0, 200.0, 400.0 ]; }; "
               "ready = { ms = 50.0; }; init = { ms = 40.0; }; call = { ms = 2.0; }; "
               "handler = { n = 3; q = [ 100.0, 150.0, 900.0 ]; }; ka_cleanup = { ms = 0.0; }; "
               "overhead = { ms = 1.0; }; }; "
               "prewarmed = { select = { ms = 1.0; }; create = { ms = 150.0; }; "
               "ready = { ms = 50.0; }; init = { ms = 40.0; }; call = { ms = 2.0; }; "
               "handler = { n = 3; q = [ 100.0, 150.0, 900.0 ]; }; ka_cleanup = { ms = 0.0; }; "
               "overhead = { ms = 1.0; }; }; "
               "warmed = { select = { ms = 1.0; }; call = { ms = 2.0; }; "
               "handler = { n = 3; q = [ 100.0, 150.0, 900.0 ]; }; ka_cleanup = { ms = 0.0; }; "
               "overhead = { ms = 1.0; }; }; } ); };\n");
    load(&s);
    run_cell(&s, "round-robin", spec, FB_WARM_KEEPALIVE, seed, &c, &ko);
    ck_assert_int_gt(c.n, 500);
    ck_assert_int_eq(ko.invocations, c.n);
    ck_assert_int_eq(ko.cold + ko.prewarmed + ko.warm + ko.failed, ko.invocations);
    /* started = evicted (by every cause, the end of the cell included). */
    ck_assert_int_eq(ko.started, ko.evicted_pressure + ko.evicted_expired + ko.evicted_unload +
                                     ko.evicted_failed + ko.evicted_end);
    /* The timeline: every start and every eviction is an event; idle spans
     * run from "idle" to "busy" or an eviction. */
    for (int i = 0; i < (int)(sizeof(idle_from) / sizeof(idle_from[0])); i++)
        idle_from[i] = NAN;
    for (int i = 0; i < c.n_ev; i++) {
        const struct fb_ka_event *e = &c.ev[i];
        int id = atoi(strrchr(e->instance, '-') + 1);
        ck_assert_int_lt(id, 1024);
        if (strcmp(e->event, "start") == 0 || strcmp(e->event, "prewarm") == 0)
            starts++;
        if (strncmp(e->event, "evict-", 6) == 0)
            gone++;
        if (strcmp(e->event, "idle") == 0) {
            idle_from[id] = e->t_s;
        } else if (!isnan(idle_from[id]) &&
                   (strcmp(e->event, "busy") == 0 || strncmp(e->event, "evict-", 6) == 0)) {
            timeline += e->memory_mb * (e->t_s - idle_from[id]);
            idle_from[id] = NAN;
        }
    }
    ck_assert_int_eq(starts, ko.started);
    ck_assert_int_eq(gone, ko.started);
    ck_assert_msg(fabs(timeline - ko.idle_mb_s) <= 1e-6 * (1 + ko.idle_mb_s),
                  "%s: idle MB x s %g, timeline %g", spec, ko.idle_mb_s, timeline);
    unload(&s);
    remove_dir();
}

START_TEST(accounting_adds_up_on_random_arrivals)
{
    static const char *const specs[] = {"lru", "ttl:ttl_s=15", "greedy-dual",
                                        "hybrid-histogram:bin_s=1,min_samples=3", "none"};
    for (int i = 0; i < 5; i++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            accounting(specs[i], seed);
}
END_TEST

/* ---- the same rows for the same seed ---- */

START_TEST(same_seed_same_rows)
{
    static struct capture a, b, d;
    struct fb_ka_outcome ko;
    struct setup s;

    make_dir();
    write_file("experiment.cfg",
               "nodes = ( { name = \"n1\"; host = \"127.0.0.1\"; transport = \"local\"; "
               "memory_mb = 512; }, { name = \"n2\"; host = \"127.0.0.1\"; transport = "
               "\"local\"; memory_mb = 512; } );\n"
               "functions = ( { name = \"slow\"; image = \"r/x:1\"; handler = \"m:h\"; }, "
               "{ name = \"f1\"; image = \"r/x:1\"; handler = \"m:h\"; }, "
               "{ name = \"f2\"; image = \"r/x:1\"; handler = \"m:h\"; } );\n"
               "matrix = { policies = [ \"power-of-two\" ]; warming = [ \"keep-alive\" ]; "
               "keepalive = [ \"ttl\" ]; };\n"
               "workload = { type = \"poisson\"; rate = 20.0; duration_s = 60.0; clients = 8; "
               "per_node = 2; };\n");
    write_file("model.cfg",
               "model = { version = 1; functions = ( "
               "{ name = \"slow\"; cold = { select = { n = 2; q = [ 0.1, 3.0 ]; }; "
               "pull = { n = 2; q = [ 100.0, 900.0 ]; }; create = { n = 2; q = [ 10.0, 90.0 ]; }; "
               "ready = { ms = 5.0; }; init = { ms = 1.0; }; call = { ms = 1.0; }; "
               "handler = { n = 2; q = [ 5.0, 500.0 ]; }; ka_cleanup = { ms = 1.0; }; "
               "overhead = { ms = 1.0; }; }; "
               "prewarmed = { select = { ms = 1.0; }; create = { n = 2; q = [ 10.0, 90.0 ]; }; "
               "ready = { ms = 5.0; }; init = { ms = 1.0; }; call = { ms = 1.0; }; "
               "handler = { n = 2; q = [ 5.0, 500.0 ]; }; ka_cleanup = { ms = 1.0; }; "
               "overhead = { ms = 1.0; }; }; "
               "warmed = { select = { n = 2; q = [ 0.1, 3.0 ]; }; call = { ms = 1.0; }; "
               "handler = { n = 2; q = [ 5.0, 500.0 ]; }; ka_cleanup = { ms = 1.0; }; "
               "overhead = { ms = 1.0; }; }; }, "
               "{ name = \"f1\"; cold_ms = 600.0; warm_ms = 30.0; }, "
               "{ name = \"f2\"; cold_ms = 900.0; warm_ms = 60.0; } ); };\n");
    load(&s);
    run_cell(&s, "power-of-two", "ttl", FB_WARM_KEEPALIVE, 42, &a, &ko);
    run_cell(&s, "power-of-two", "ttl", FB_WARM_KEEPALIVE, 42, &b, &ko);
    run_cell(&s, "power-of-two", "ttl", FB_WARM_KEEPALIVE, 43, &d, &ko);
    ck_assert_int_gt(a.n, 900);
    ck_assert_uint_eq(a.text_len, b.text_len);
    ck_assert_int_eq(memcmp(a.text, b.text, a.text_len), 0);
    ck_assert(a.text_len != d.text_len || memcmp(a.text, d.text, a.text_len) != 0);
    unload(&s);
    remove_dir();
}
END_TEST

/* A function larger than every node can never start: each of its calls
 * fails at once with the reason (not a wait for room that never comes),
 * and the other function's calls run. The nodes' memory is the model's
 * here, so the file could not be refused when read. */
START_TEST(a_function_larger_than_every_node_fails_at_once)
{
    struct setup s;
    struct capture *c = calloc(1, sizeof(*c));
    struct fb_ka_outcome ko;

    ck_assert_ptr_nonnull(c);
    make_dir();
    write_file("trace.csv", "time_s,function\n0,big\n1,ok\n2,big\n3,ok\n");
    write_file("experiment.cfg",
               "nodes = ( { name = \"n1\"; host = \"127.0.0.1\"; transport = \"local\"; } );\n"
               "functions = ( { name = \"big\"; image = \"r/x:1\"; handler = \"m:h\"; "
               "memory_mb = 1024; }, { name = \"ok\"; image = \"r/x:1\"; handler = \"m:h\"; "
               "memory_mb = 128; } );\n"
               "matrix = { policies = [ \"round-robin\" ]; warming = [ \"keep-alive\" ]; "
               "keepalive = [ \"lru\" ]; };\n"
               "workload = { type = \"trace\"; trace = \"trace.csv\"; trace_format = \"csv\"; "
               "clients = 4; };\n");
    write_file("model.cfg", "model = { version = 1; node = { memory_mb = 512.0; }; functions = ( "
                            "{ name = \"big\"; cold_ms = 1000.0; warm_ms = 100.0; }, "
                            "{ name = \"ok\"; cold_ms = 1000.0; warm_ms = 100.0; } ); };\n");
    load(&s);
    run_cell(&s, "round-robin", "lru", FB_WARM_KEEPALIVE, 1, c, &ko);
    ck_assert_int_eq(c->n, 4);
    int failed = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->rows[i].f == 0) {
            ck_assert(c->rows[i].failed);
            ck_assert_double_lt(c->rows[i].latency_ms, 1.0);
            failed++;
        } else {
            ck_assert(!c->rows[i].failed);
        }
    }
    ck_assert_int_eq(failed, 2);
    ck_assert_msg(strstr(c->text, "larger than every node's capacity") != NULL, "%s", c->text);
    unload(&s);
    remove_dir();
    free(c);
}
END_TEST

/* ---- the model ---- */

static void model_error(const char *model, const char *want)
{
    struct fb_experiment exp;
    struct fb_sim *sim = NULL;
    struct fb_errbuf eb = {{0}};
    struct fb_sim_opts so = {.model = path_of("model.cfg")};

    make_dir();
    keepalive_files(1024, 2, false, "0,f0\n", "\"lru\"");
    write_file("model.cfg", "%s", model);
    ck_assert_msg(fb_config_load(path_of("experiment.cfg"), &exp, &eb) == 0, "%s", eb.msg);
    ck_assert_int_eq(fb_sim_new(&exp, &so, &sim, &eb), FB_ECONFIG);
    ck_assert_ptr_null(sim);
    ck_assert_msg(strstr(eb.msg, want) != NULL, "'%s' does not say '%s'", eb.msg, want);
    ck_assert_msg(strncmp(eb.msg, path_of("model.cfg"), strlen(path_of("model.cfg"))) == 0,
                  "'%s' does not name the file", eb.msg);
    fb_experiment_free(&exp);
    remove_dir();
}

START_TEST(a_model_that_does_not_fit_is_refused)
{
    /* A function the experiment has and the model lacks. */
    model_error("model = { version = 1; functions = ( { name = \"f0\"; cold_ms = 1.0; "
                "warm_ms = 1.0; } ); };\n",
                ":1: model.functions: no function 'f1'");
    /* A phase the cells need with no samples. */
    model_error("model = { version = 1;\n functions = ( { name = \"f0\"; cold_ms = 1.0; "
                "warm_ms = 1.0; },\n { name = \"f1\"; warmed = { select = { ms = 1.0; }; }; "
                "} ); };\n",
                ":3: model.functions.[f1].cold.select: no samples");
    /* Quantiles that decrease, on the line of the value. */
    model_error("model = { version = 1; functions = (\n { name = \"f0\"; cold = { pull = { n = "
                "3; q = [ 1.0, 3.0,\n 2.0 ]; }; }; } ); };\n",
                ":3: model.functions.[f0].cold.pull: quantiles must not decrease");
    /* An unknown key, a phase with no samples said so. */
    model_error("model = { version = 1; functions = ( { name = \"f0\"; cold_ms = 1.0; "
                "warm_ms = 1.0; speed = 2; } ); };\n",
                "model.functions.[f0].speed: unknown key");
    model_error("model = { version = 1; functions = ( { name = \"f0\"; warmed = {\n handler = "
                "{ n = 0; q = [ 1.0, 2.0 ]; }; }; } ); };\n",
                ":2: model.functions.[f0].warmed.handler: a phase with no samples");
    model_error("model = { version = 2; functions = (); };\n", "model.version: must be 1");
}
END_TEST

/* A function the trace never calls needs no model (a real run's idle
 * function leaves nothing to calibrate from); one it calls does. A model
 * entry named by a pattern models every function it matches. */
START_TEST(a_function_never_called_needs_no_model_and_a_pattern_many)
{
    struct fb_experiment exp;
    struct fb_trace_reader *tr = NULL;
    struct fb_sim *sim = NULL;
    struct fb_errbuf eb = {{0}};
    struct fb_sim_opts so = {.model = path_of("model.cfg")};
    size_t calls[3] = {9, 9, 9};

    make_dir();
    keepalive_files(1024, 3, false, "0,f0\n1,f2\n2,f0\n", "\"lru\"");
    write_file("model.cfg", "model = { version = 1; functions = ( { name = \"f0\"; cold_ms = 1.0; "
                            "warm_ms = 1.0; }, { name = \"f2\"; cold_ms = 1.0; warm_ms = 1.0; } ); };\n");
    ck_assert_msg(fb_config_load(path_of("experiment.cfg"), &exp, &eb) == 0, "%s", eb.msg);
    ck_assert_msg(fb_workload_open_trace(&exp, &tr, &eb) == 0, "%s", eb.msg);
    ck_assert_int_eq(fb_trace_calls(tr, calls), 0);
    ck_assert_uint_eq(calls[0], 2);
    ck_assert_uint_eq(calls[1], 0);
    ck_assert_uint_eq(calls[2], 1);
    /* The replay is at its start again. */
    struct fb_trace_event ev;
    ck_assert_int_eq(fb_trace_next(tr, &ev), 1);
    ck_assert_int_eq(ev.function, 0);
    fb_trace_close(tr);
    /* Without the counts every function is taken as called. */
    ck_assert_int_eq(fb_sim_new(&exp, &so, &sim, &eb), FB_ECONFIG);
    ck_assert_msg(strstr(eb.msg, "no function 'f1'") != NULL, "%s", eb.msg);
    so.calls = calls;
    ck_assert_msg(fb_sim_new(&exp, &so, &sim, &eb) == 0, "%s", eb.msg);
    fb_sim_free(sim);
    sim = NULL;
    calls[1] = 1;
    ck_assert_int_eq(fb_sim_new(&exp, &so, &sim, &eb), FB_ECONFIG);
    fb_experiment_free(&exp);
    /* A pattern stands for every function it matches; a name of its own wins. */
    write_file("model.cfg", "model = { version = 1; functions = ( { name = \"f[0-9]*\"; "
                            "memory_mb = 64.0; cold_ms = 1.0; warm_ms = 1.0; }, { name = \"f2\"; "
                            "memory_mb = 32.0; cold_ms = 1.0; warm_ms = 1.0; } ); };\n");
    struct fb_model m;
    ck_assert_msg(fb_model_load(path_of("model.cfg"), &m, &eb) == 0, "%s", eb.msg);
    ck_assert_double_eq(fb_model_find(&m, "f1")->memory_mb, 64.0);
    ck_assert_double_eq(fb_model_find(&m, "f2")->memory_mb, 32.0);
    ck_assert_ptr_null(fb_model_find(&m, "g1"));
    fb_model_free(&m);
    ck_assert_msg(fb_config_load(path_of("experiment.cfg"), &exp, &eb) == 0, "%s", eb.msg);
    so.calls = NULL;
    so.model = path_of("model.cfg");
    ck_assert_msg(fb_sim_new(&exp, &so, &sim, &eb) == 0, "%s", eb.msg);
    fb_sim_free(sim);
    fb_experiment_free(&exp);
    remove_dir();
}
END_TEST

/* ---- calibration ---- */

/* The median of a fixture's successful cold pulls of function fn, read
 * with no faasbench code. */
static double fixture_median_pull(const char *run, const char *fn, int *count)
{
    char p[512], line[4096];
    double v[512];
    int n = 0;

    snprintf(p, sizeof(p), "%s/runs/%s/invocations.csv", FB_TEST_DATA, run);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f)); /* the header */
    while (fgets(line, sizeof(line), f) != NULL && n < 512) {
        char *field[32];
        int k = 0;
        for (char *s = line, *t; k < 32 && (t = strsep(&s, ",\n")) != NULL;)
            field[k++] = t;
        /* function 4, mode 7, pull_ms 11, error 21 */
        if (k > 21 && strcmp(field[4], fn) == 0 && strcmp(field[7], "cold") == 0 &&
            field[21][0] == '\0')
            v[n++] = atof(field[11]);
    }
    fclose(f);
    ck_assert_int_gt(n, 3);
    *count = n;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

START_TEST(calibrate_fixture_runs)
{
    char run[512], notes[8192] = "";
    const char *runs[1] = {run};
    struct fb_model m;
    struct fb_errbuf eb = {{0}};
    FILE *nf = fmemopen(notes, sizeof(notes) - 1, "w");
    struct fb_calibrate_opts o = {.node_mb = 512, .node_cpus = 0.5, .min_samples = 30,
                                  .notes = nf};

    snprintf(run, sizeof(run), "%s/runs/basic", FB_TEST_DATA);
    ck_assert_msg(fb_calibrate(runs, 1, &o, &m, &eb) == 0, "%s", eb.msg);
    fclose(nf);
    ck_assert_int_eq(m.n_fns, 2);
    const struct fb_model_fn *fl = fb_model_find(&m, "fib-light");
    ck_assert_ptr_nonnull(fl);
    /* The median the model draws around is the rows' median. */
    int n_pulls;
    double want = fixture_median_pull("basic", "fib-light", &n_pulls);
    ck_assert_double_eq_tol(fb_dist_median(&fl->d[FB_WARM_COLD][FB_PH_PULL]), want, 1e-6);
    ck_assert(!fl->d[FB_WARM_WARMED][FB_PH_PULL].set); /* warm calls pull nothing */
    ck_assert(fl->d[FB_WARM_WARMED][FB_PH_RUN].set);   /* exec-based: run, not handler */
    ck_assert_double_eq(m.memory_mb, 512);
    ck_assert_double_eq(m.cpus, 0.5);
    /* It says what it left out and what is thin, with the counts. */
    ck_assert_msg(strstr(notes, "fib-light: 1 failed row left out") != NULL, "%s", notes);
    char thin[128];
    snprintf(thin, sizeof(thin), "fib-light: cold: pull: only %d samples (fewer than 30)",
             n_pulls);
    ck_assert_msg(strstr(notes, thin) != NULL, "%s", notes);
    /* Written and loaded again: the same model. */
    FILE *f = fopen("/tmp/faasbench-sim-test-model.cfg", "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fb_model_write(&m, f), 0);
    fclose(f);
    struct fb_model back;
    ck_assert_msg(fb_model_load("/tmp/faasbench-sim-test-model.cfg", &back, &eb) == 0, "%s",
                  eb.msg);
    unlink("/tmp/faasbench-sim-test-model.cfg");
    const struct fb_model_fn *bl = fb_model_find(&back, "fib-light");
    ck_assert_ptr_nonnull(bl);
    for (int k = 0; k < FB_MODEL_QUANTILES; k++)
        ck_assert_double_eq_tol(bl->d[FB_WARM_COLD][FB_PH_PULL].q[k],
                                fl->d[FB_WARM_COLD][FB_PH_PULL].q[k], 1e-5);
    ck_assert_int_eq(back.n_uncalibrated, m.n_uncalibrated);
    fb_model_free(&back);
    fb_model_free(&m);

    /* A mode the run never reached: fib-light's warmed rows left out, its
     * warm calls' phases are its pre-warmed calls' (the nearest mode), and
     * the model says so. */
    make_dir();
    char src[512], line[4096];
    snprintf(src, sizeof(src), "%s/runs/basic/invocations.csv", FB_TEST_DATA);
    FILE *in = fopen(src, "r"), *out = fopen(path_of("invocations.csv"), "w");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    int left = 0;
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strstr(line, ",fib-light,") != NULL && strstr(line, ",warmed,") != NULL) {
            left++;
            continue;
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    ck_assert_int_eq(left, 24);
    snprintf(run, sizeof(run), "%s", path_of(""));
    char notes2[8192] = "";
    o.notes = fmemopen(notes2, sizeof(notes2) - 1, "w");
    ck_assert_msg(fb_calibrate(runs, 1, &o, &m, &eb) == 0, "%s", eb.msg);
    fclose(o.notes);
    fl = fb_model_find(&m, "fib-light");
    ck_assert_ptr_nonnull(fl);
    ck_assert(fl->d[FB_WARM_WARMED][FB_PH_RUN].set);
    ck_assert(!fl->d[FB_WARM_WARMED][FB_PH_PULL].set); /* a pull is never stood in for */
    ck_assert_double_eq_tol(fb_dist_median(&fl->d[FB_WARM_WARMED][FB_PH_RUN]),
                            fb_dist_median(&fl->d[FB_WARM_PREWARMED][FB_PH_RUN]), 1e-9);
    ck_assert_msg(strstr(notes2, "fib-light: warmed: no rows ran warmed") != NULL, "%s", notes2);
    ck_assert_msg(strstr(notes2, "fib-light: warmed: select, run") != NULL &&
                      strstr(notes2, "its prewarmed rows' stand in") != NULL,
                  "%s", notes2);
    /* fib-heavy ran warm: nothing stood in for it. */
    ck_assert_msg(strstr(notes2, "fib-heavy: warmed: select, ") == NULL, "%s", notes2);
    fb_model_free(&m);
    remove_dir();

    /* A pool: both functions' rows make one entry, which models both. */
    static const char *const pools[] = {"fib-*"};
    struct fb_calibrate_opts po = {.node_mb = 512, .node_cpus = 0.5, .pools = pools,
                                   .n_pools = 1};
    snprintf(run, sizeof(run), "%s/runs/basic", FB_TEST_DATA);
    ck_assert_msg(fb_calibrate(runs, 1, &po, &m, &eb) == 0, "%s", eb.msg);
    ck_assert_int_eq(m.n_fns, 1);
    ck_assert_str_eq(m.fns[0].name, "fib-*");
    ck_assert_ptr_eq(fb_model_find(&m, "fib-heavy"), &m.fns[0]);
    ck_assert_double_eq(m.fns[0].memory_mb, 0); /* each function keeps its own */
    int light_pulls, heavy_pulls;
    fixture_median_pull("basic", "fib-light", &light_pulls);
    fixture_median_pull("basic", "fib-heavy", &heavy_pulls);
    ck_assert_int_eq(m.fns[0].d[FB_WARM_COLD][FB_PH_PULL].n, light_pulls + heavy_pulls);
    fb_model_free(&m);

    /* A run whose every row failed gives nothing to calibrate from. */
    snprintf(run, sizeof(run), "%s/runs/all-failed", FB_TEST_DATA);
    o.notes = NULL;
    ck_assert_int_eq(fb_calibrate(runs, 1, &o, &m, &eb), FB_EINVAL);
    ck_assert_msg(strstr(eb.msg, "no row of 1 run folder can be used") != NULL, "%s", eb.msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim");
    TCase *ka = tcase_create("keep-alive on virtual time");
    TCase *core = tcase_create("core");

    tcase_add_test(ka, ttl_cold_then_warm_then_prewarmed);
    tcase_add_test(ka, lru_with_room_for_two_of_three_is_always_cold);
    tcase_add_test(ka, lru_with_room_for_three_is_cold_three_times);
    tcase_add_test(ka, greedy_dual_keeps_the_costly_function);
    tcase_add_test(ka, hybrid_histogram_prewarms_and_holds_less_than_ttl);
    tcase_add_test(ka, accounting_adds_up_on_random_arrivals);
    tcase_set_timeout(ka, 60);
    suite_add_tcase(s, ka);
    tcase_add_test(core, same_seed_same_rows);
    tcase_add_test(core, a_function_larger_than_every_node_fails_at_once);
    tcase_add_test(core, a_model_that_does_not_fit_is_refused);
    tcase_add_test(core, a_function_never_called_needs_no_model_and_a_pattern_many);
    tcase_add_test(core, calibrate_fixture_runs);
    tcase_add_test(core, a_start_waits_for_its_victims_removal);
    suite_add_tcase(s, core);
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
