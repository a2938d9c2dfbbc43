/* run_priv.h - what the run loop's files share: the run, one cell under way,
 * and how an executor reports to it. Not for other modules.
 *
 *   cell.c     a cell's bookkeeping: rows, keep-alive events and outcome, progress
 *   live.c     a cell on real nodes: the engine, with threads for the workload
 *   simcell.c  a cell in simulation: the simulator on virtual time
 *   run.c      the run: the matrix, the run folder, the executor, every cell */
#ifndef FB_RUN_PRIV_H
#define FB_RUN_PRIV_H

#include <pthread.h>
#include <stdio.h>

#include "engine/engine.h"
#include "experiment/matrix.h"
#include "keepalive/keepalive.h"
#include "observe/observe.h"
#include "observe/server.h"
#include "policies/policy.h"
#include "report/stats.h"
#include "run/run.h"
#include "run/runfolder.h"
#include "sim/sim.h"
#include "workload/trace.h"
#include "workload/workload.h"

struct run {
    const struct fb_experiment *exp;
    const struct fb_run_opts *opts;
    struct fb_engine *eng;   /* real nodes; NULL in simulation */
    struct fb_sim *sim;      /* simulated nodes; NULL on real ones */
    int64_t sim_clock_ms;    /* simulation: the virtual unix ms the next cell starts at */
    double sim_wall_s;       /* simulation: wall s inside the simulator, summaries excluded */
    long sim_done;           /* ... and the invocations it ended */
    struct gathering *gathering;     /* simulation without every row: the cell's summaries */
    struct fb_summaries *summaries;  /* ... and every finished cell's, for summary.csv */
    struct fb_trace_reader *trace; /* trace workload: the file, checked once, replayed per cell */
    struct fb_runfolder *rf;
    bool *cell_done;         /* resume: cells already complete */
    /* progress */
    double t_start;
    long done, errors, total;
    int cell_i, n_cells;
    bool tty;
    /* the metrics endpoint, when asked for (NULL: none) */
    struct fb_obs *obs;
    struct fb_obs_server *obs_server;
};

/* One cell under way: what the executors report to. */
struct cell {
    struct run *r;
    const struct fb_cell *cell;
    uint64_t seed;
    const struct fb_policy *p;
    void *pstate;
    const char *pname, *wname;
    char wbuf[FB_ERRMSG_LEN];  /* keep-alive cells: "keep-alive:SPEC" */
    const struct fb_keepalive *k; /* keep-alive cells: the policy and its values */
    struct fb_plugspec kspec;
    pthread_mutex_t lock;      /* rows, counters */
    long *seq;                 /* per function */
    int rc;                    /* first fatal error */
    int64_t t0_unix_ms;        /* when the cell began issuing: intended times, warm-up */
    /* keep-alive cells */
    struct fb_ka_cellkey kkey;
    FILE *events;              /* instances.csv rows, gathered until the end */
    char *events_text;
    size_t events_len;
    struct fb_sample lat;      /* latencies of the rows that succeeded, past warm-up */
    struct fb_ka_outcome ko;   /* what the cell did, set by the executor */
};

/* Records invocation o of function f (any thread): its row, its latency for
 * keepalive.csv, the progress line. intended_ms: when the workload meant it
 * to start (unix ms), 0 for "when it did"; warmup: within the cell's
 * warmup_s. 0, or the first fatal error (also kept in c->rc). */
int fb_cell_record(struct cell *c, int f, const struct fb_outcome *o, int64_t intended_ms,
                   bool warmup);
/* fb_cell_record without the row: counted (mode -1: it ran nowhere), its
 * latency kept (NAN: it failed), the progress. */
int fb_cell_count(struct cell *c, int f, int mode, double latency_ms, bool warmup);
/* An instance event of a keep-alive cell: a row for instances.csv, kept
 * until the cell is complete. (The executors call it one at a time.) */
void fb_cell_ka_event(void *ctx, const struct fb_ka_event *ev);
/* Whether an invocation of the cell is warm-up: by its arrival's workload
 * time when it has one (open loop: t_s, wall seconds after time_scale),
 * else by its start. */
bool fb_cell_warmup(const struct cell *c, bool open_loop, double t_s, int64_t start_ms);
void fb_run_progress(struct run *r, const char *policy, const char *warming, bool final);

/* A cell on real nodes (live.c) and in simulation (simcell.c): the workload
 * issued, rows recorded; a keep-alive cell's outcome in c->ko. */
int fb_live_cell(struct cell *c);
int fb_sim_cell(struct cell *c);

/* A simulated run's folder, environment.txt (saying it is simulated, and
 * with what model) and nodes.txt. */
int fb_sim_runfolder(struct fb_sim *s, const char *root, const char *name,
                     struct fb_runfolder **out, struct fb_errbuf *eb);
int fb_sim_write_environment(struct fb_sim *s, struct fb_runfolder *rf,
                             const struct fb_experiment *exp, time_t started,
                             struct fb_errbuf *eb);
int fb_sim_write_nodes(struct fb_sim *s, struct fb_runfolder *rf, struct fb_errbuf *eb);
/* A simulated run whose invocations do not all get a row gathers every
 * invocation's figures into summaries (the report's summary.csv): made
 * before the first cell, freed after the report. 0 or FB_ENOMEM. */
int fb_sim_gathering_new(struct run *r);
void fb_sim_gathering_free(struct run *r);

#endif
