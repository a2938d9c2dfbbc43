/* simcell.c - the run loop's side of a simulated run: its run folder (named
 * and described as simulated), and each cell handed to the simulator with
 * the cell's bookkeeping as its sink. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "report/scan.h"
#include "run/run_priv.h"

int fb_sim_runfolder(struct fb_sim *s, const char *root, const char *name,
                     struct fb_runfolder **out, struct fb_errbuf *eb)
{
    char *sim_name = fb_strf("%s-sim", name);
    int rc;

    (void)s;
    if (sim_name == NULL)
        return FB_ENOMEM;
    /* Stamped with the virtual epoch: the same run again has the same name
     * (and so the same rows), and the name says it is simulated. */
    rc = fb_runfolder_create(root, sim_name, (time_t)(FB_SIM_EPOCH_MS / 1000), out, eb);
    free(sim_name);
    return rc;
}

int fb_sim_write_environment(struct fb_sim *s, struct fb_runfolder *rf,
                             const struct fb_experiment *exp, time_t started,
                             struct fb_errbuf *eb)
{
    const struct fb_model *m = fb_sim_model(s);
    char nodes[512], when[64];
    struct tm tm;
    char *extra = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&extra, &len);
    int rc;

    if (f == NULL)
        return FB_ENOMEM;
    gmtime_r(&started, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fb_sim_describe_nodes(s, nodes, sizeof(nodes));
    fprintf(f, "simulated yes: every figure of this run is simulated, not measured\n");
    fprintf(f, "simulated_at %s\nmodel %s\n", when, m->path != NULL ? m->path : "-");
    for (int i = 0; i < m->n_runs; i++)
        fprintf(f, "model_calibrated_from %s\n", m->runs[i]);
    for (int i = 0; i < m->n_uncalibrated; i++)
        fprintf(f, "model_uncalibrated %s\n", m->uncalibrated[i]);
    fprintf(f, "simulated_nodes %s\n", nodes);
    fclose(f);
    rc = fb_runfolder_write_environment(rf, exp, NULL, (time_t)(FB_SIM_EPOCH_MS / 1000), extra,
                                        eb);
    free(extra);
    return rc;
}

int fb_sim_write_nodes(struct fb_sim *s, struct fb_runfolder *rf, struct fb_errbuf *eb)
{
    int n = fb_sim_n_nodes(s);
    const char **names = calloc((size_t)(n > 0 ? n : 1), sizeof(*names));
    int rc;

    if (names == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < n; i++)
        names[i] = fb_sim_node_name(s, i);
    rc = fb_runfolder_write_node_list(rf, names, n, eb);
    free(names);
    return rc;
}

/* Whether invocation number k of a cell with seed gets a row: every one,
 * none, or a seeded share (the same invocations for the same seed). */
static bool keep_row(const struct fb_sim_opts *so, uint64_t seed, uint64_t k)
{
    if (so->rows == FB_SIM_ROWS_ALL)
        return true;
    if (so->rows == FB_SIM_ROWS_NONE)
        return false;
    struct fb_rng g;
    fb_rng_seed(&g, seed ^ (k * 0x9E3779B97F4A7C15ull));
    return fb_rng_unit(&g) < so->sample;
}

static bool sink_want_row(void *ctx)
{
    struct cell *c = ctx;
    return keep_row(c->r->opts->simulate, c->seed, (uint64_t)c->r->done);
}

/* ---- the summaries of a run whose invocations do not all get a row ----
 * Every invocation, with a row or not, adds to its function's summary of the
 * cell, as the row reader (report/scan.c) would have from its row; at the
 * cell's end each becomes a summary row (bounded memory: report/stats.h's
 * samples) and the report writes summary.csv from them. */

struct gather {
    struct fb_cellacc acc;
    size_t *per_node;
};

struct gathering {
    struct gather *fn;   /* per function */
    int *order;          /* the cell's functions in the order they first ended */
    int n_order, n_fns, n_nodes;
    bool open;           /* some invocation's start is not its arrival */
};

/* A figure as its row holds it (invocations.csv writes ms to 3 decimals):
 * otherwise sums' rounding noise would split the ties the tests count. */
static double as_written(double ms)
{
    return round(ms * 1000.0) / 1000.0;
}

/* x as the row reader would read its row, added as it would add it. */
static int gather_add(struct cell *c, const struct fb_sim_result *x, bool warmup)
{
    struct gathering *g = c->r->gathering;
    struct gather *a = &g->fn[x->function];

    if (x->intended_ms != x->start_ms)
        g->open = true;
    if (a->acc.rows + a->acc.warmup == 0)
        g->order[g->n_order++] = x->function;
    if (!warmup && x->node >= 0)
        a->per_node[x->node]++;
    struct fb_invocation inv = {
        .mode = x->mode >= 0 ? fb_warming_name((enum fb_warming)x->mode) : "",
        .error = x->failed ? "failed" : "",
        .warmup = warmup,
        .intended_start_ms = x->intended_ms,
        .start_ms = x->start_ms,
        .latency_ms = x->failed ? NAN : as_written(x->latency_ms),
        .select_ms = as_written(x->select_ms),
        .pull_ms = as_written(x->pull_ms),
        .run_ms = as_written(x->run_ms),
        .cleanup_ms = as_written(x->cleanup_ms),
        .node_exec_ms = as_written(x->node_exec_ms),
        .create_ms = as_written(x->create_ms),
        .ready_ms = as_written(x->ready_ms),
        .init_ms = as_written(x->init_ms),
        .invoke_ms = as_written(x->invoke_ms),
        .handler_ms = as_written(x->handler_ms),
        .asked_duration_ms = as_written(x->asked_duration_ms),
    };
    return fb_cellacc_add(&a->acc, &inv, true);
}

/* The cell's summaries, one row per function that ran, then cleared. */
static int gather_flush(struct cell *c)
{
    struct run *r = c->r;
    struct gathering *g = r->gathering;
    const char **nodes = calloc((size_t)g->n_nodes, sizeof(*nodes));
    int rc = 0;

    if (nodes == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < g->n_nodes; i++)
        nodes[i] = fb_sim_node_name(r->sim, i);
    /* In the order invocations.csv would list them: as each first ended. */
    for (int k = 0; k < g->n_order; k++) {
        int f = g->order[k];
        struct gather *a = &g->fn[f];
        if (rc == 0) {
            struct fb_cellfn cf = {0};
            fb_cellacc_lend(&a->acc, g->open, &cf);
            cf.run_id = fb_runfolder_id(r->rf);
            cf.repetition = c->cell->repetition;
            cf.policy = c->pname;
            cf.warming = c->wname;
            cf.function = r->exp->functions[f].name;
            cf.per_node = a->per_node;
            cf.nodes = nodes;
            cf.n_nodes = (size_t)g->n_nodes;
            rc = fb_summaries_add(r->summaries, &cf);
            fb_cellacc_back(&a->acc, &cf); /* the first cell's lat stays the reference */
        }
        fb_cellacc_free(&a->acc);
        memset(a->per_node, 0, sizeof(size_t) * (size_t)g->n_nodes);
    }
    g->n_order = 0;
    g->open = false;
    free(nodes);
    return rc;
}

int fb_sim_gathering_new(struct run *r)
{
    struct gathering *g;
    int n = fb_sim_n_nodes(r->sim);

    if (r->opts->simulate->rows == FB_SIM_ROWS_ALL)
        return 0;
    if ((g = calloc(1, sizeof(*g))) == NULL ||
        (g->fn = calloc((size_t)r->exp->n_functions, sizeof(*g->fn))) == NULL ||
        (g->order = calloc((size_t)r->exp->n_functions, sizeof(*g->order))) == NULL) {
        if (g != NULL)
            free(g->fn);
        free(g);
        return FB_ENOMEM;
    }
    g->n_fns = r->exp->n_functions;
    g->n_nodes = n;
    r->gathering = g;
    for (int f = 0; f < g->n_fns; f++)
        if ((g->fn[f].per_node = calloc((size_t)(n > 0 ? n : 1), sizeof(size_t))) == NULL)
            return FB_ENOMEM;
    return fb_summaries_new(&r->summaries);
}

void fb_sim_gathering_free(struct run *r)
{
    struct gathering *g = r->gathering;

    if (g != NULL) {
        for (int f = 0; f < g->n_fns; f++) {
            fb_cellacc_free(&g->fn[f].acc);
            free(g->fn[f].per_node);
        }
        free(g->fn);
        free(g->order);
        free(g);
    }
    r->gathering = NULL;
    fb_summaries_free(r->summaries);
    r->summaries = NULL;
}

/* ---- the sink ---- */

static int sink_record(void *ctx, int f, const struct fb_outcome *o, int64_t intended_ms,
                       bool warmup)
{
    struct cell *c = ctx;
    int rc;

    if (c->r->gathering != NULL) {
        struct fb_sim_result x = {
            .function = f, .node = o->node_name != NULL ? o->node : -1,
            .mode = o->node_name != NULL ? (int)o->mode : -1, .failed = o->error[0] != '\0',
            .start_ms = o->start_ms, .intended_ms = intended_ms > 0 ? intended_ms : o->start_ms,
            .select_ms = o->select_ms, .pull_ms = o->pull_ms, .run_ms = o->run_ms,
            .cleanup_ms = o->cleanup_ms, .latency_ms = o->latency_ms,
            .node_exec_ms = o->node_exec_ms, .create_ms = o->create_ms,
            .ready_ms = o->ready_ms, .init_ms = o->init_ms, .invoke_ms = o->invoke_ms,
            .handler_ms = o->handler_ms, .asked_duration_ms = o->asked_duration_ms};
        if ((rc = gather_add(c, &x, warmup)) < 0)
            return rc;
    }
    return fb_cell_record(c, f, o, intended_ms, warmup);
}

static int sink_count(void *ctx, const struct fb_sim_result *x, bool warmup)
{
    struct cell *c = ctx;
    int rc = gather_add(c, x, warmup);

    if (rc < 0)
        return rc;
    return fb_cell_count(c, x->function, x->mode, x->failed ? NAN : x->latency_ms, warmup);
}

/* instances.csv follows --rows: every instance's events, none, or those of a
 * seeded share of the instances (each kept whole). */
static void sink_event(void *ctx, const struct fb_ka_event *ev)
{
    struct cell *c = ctx;
    const struct fb_sim_opts *so = c->r->opts->simulate;

    if (so->rows == FB_SIM_ROWS_NONE)
        return;
    if (so->rows == FB_SIM_ROWS_SAMPLE) {
        uint64_t h = 1469598103934665603ull;
        for (const char *p = ev->instance; *p != '\0'; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        if (!keep_row(so, c->seed, h))
            return;
    }
    fb_cell_ka_event(ctx, ev);
}

static bool sink_warmup(void *ctx, bool open_loop, double t_s, int64_t start_ms)
{
    return fb_cell_warmup(ctx, open_loop, t_s, start_ms);
}

/* A simulated fault begins and ends when the schedule says. */
static void sink_fault(void *ctx, int k, bool end, int64_t unix_ms, long lost)
{
    struct cell *c = ctx;

    if (!end) {
        fb_cell_fault_began(c, k, unix_ms);
        return;
    }
    struct fault_report rep = {.end_ms = unix_ms, .ended_by = "schedule", .killed = -1,
                               .lost = lost};
    fb_cell_fault_ended(c, k, &rep);
}

int fb_sim_cell(struct cell *c)
{
    struct run *r = c->r;
    double end_s = 0;
    /* Cells follow one another on the virtual clock, from its epoch. */
    static const int64_t gap_ms = 1000;
    struct fb_sim_cell sc = {
        .p = c->p,
        .pstate = c->pstate,
        .k = c->k,
        .kparams = c->k != NULL ? c->kspec.values : NULL,
        .warming = c->cell->warming,
        .seed = c->seed,
        .draw = (unsigned)(c->cell->repetition - 1),
        .trace = r->trace,
        .t0_unix_ms = r->sim_clock_ms,
        .stop = &fb_run_stop,
        .ctx = c,
        .record = sink_record,
        .want_row = sink_want_row,
        .count = sink_count,
        .warmup = sink_warmup,
        .event = r->opts->simulate->rows == FB_SIM_ROWS_NONE ? NULL : sink_event,
        .faults = &r->sched,
        .fault = sink_fault,
    };
    c->t0_unix_ms = sc.t0_unix_ms;
    long before = r->done;
    double t0 = fb_mono_s();
    int rc = fb_sim_run_cell(r->sim, &sc, &c->ko, &end_s);
    r->sim_wall_s += fb_mono_s() - t0;
    r->sim_done += r->done - before;
    r->sim_clock_ms += (int64_t)(end_s * 1000.0) + gap_ms;
    /* A cell cut short is not summarized: a resume runs it again. */
    if (rc == 0 && r->gathering != NULL && !fb_run_stop)
        rc = gather_flush(c);
    return rc;
}
