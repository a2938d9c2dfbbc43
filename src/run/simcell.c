/* simcell.c - the run loop's side of a simulated run: its run folder (named
 * and described as simulated), and each cell handed to the simulator with
 * the cell's bookkeeping as its sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int sink_record(void *ctx, int f, const struct fb_outcome *o, int64_t intended_ms,
                       bool warmup)
{
    struct cell *c = ctx;
    const struct fb_sim_opts *so = c->r->opts->simulate;

    if (keep_row(so, c->seed, (uint64_t)c->r->done))
        return fb_cell_record(c, f, o, intended_ms, warmup);
    return fb_cell_count(c, f, o, warmup);
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
        .trace = &r->trace,
        .t0_unix_ms = r->sim_clock_ms,
        .stop = &fb_run_stop,
        .ctx = c,
        .record = sink_record,
        .warmup = sink_warmup,
        .event = fb_cell_ka_event,
        .faults = &r->sched,
        .fault = sink_fault,
    };
    c->t0_unix_ms = sc.t0_unix_ms;
    int rc = fb_sim_run_cell(r->sim, &sc, &c->ko, &end_s);
    r->sim_clock_ms += (int64_t)(end_s * 1000.0) + gap_ms;
    return rc;
}
