/* run_priv.h - what the run loop's files share: the run, one cell under way,
 * and how an executor reports to it. Not for other modules.
 *
 *   cell.c     a cell's bookkeeping: rows, keep-alive events and outcome, progress,
 *              faults and node polls
 *   live.c     a cell on real nodes: the engine, with threads for the workload
 *   faultrun.c a live cell's faults: a thread on the cell's clock
 *   simcell.c  a cell in simulation: the simulator on virtual time
 *   run.c      the run: the matrix, the run folder, the executor, every cell */
#ifndef FB_RUN_PRIV_H
#define FB_RUN_PRIV_H

#include <pthread.h>
#include <stdio.h>

#include "engine/engine.h"
#include "experiment/faults.h"
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
    /* faults and node polls (docs/faults.md) */
    struct fb_schedule sched;  /* the experiment's fault schedule (n = 0: none) */
    pthread_mutex_t poll_lock; /* cur, and nodes.csv's rows */
    struct cell *cur;          /* the cell under way, or NULL */
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
    FILE *events;              /* instances.csv rows, gathered until the end (scratch file) */
    struct fb_sample lat;      /* latencies of the rows that succeeded, past warm-up */
    struct fb_ka_outcome ko;   /* what the cell did, set by the executor */
    /* faults (under lock): each fault's actual window so far, and whether
     * its faults.csv row is written */
    struct fb_fault_window *fw;
    bool *fault_row;
    double time_scale;         /* wall seconds per workload second */
    int fault_busy;            /* faults beginning or ending now: rows are held */
    void *held;                /* those rows (cell.c) */
    size_t n_held, cap_held;
};

/* What an executor tells of a fault of the cell's schedule as it ends. */
struct fault_report {
    int64_t begin_ms, end_ms;  /* its actual window, unix ms; 0: it did not begin / end */
    const char *ended_by;      /* "faasbench", "deadline", ...; NULL: none */
    long killed, lost;         /* kill-instances; -1: not said */
    const char *error;         /* NULL or "": nothing went wrong */
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
/* A fault begins or ends now, and when exactly is known once its node
 * answers: rows are held until then (fb_cell_fault_settled), so that each
 * names the windows its call started in. */
void fb_cell_fault_busy(struct cell *c);
void fb_cell_fault_settled(struct cell *c);
/* Fault k of the schedule began at begin_ms (unix ms): rows of calls that
 * start from then on name it, until it ends. Any thread. */
void fb_cell_fault_began(struct cell *c, int k, int64_t begin_ms);
/* Fault k ended (or failed, or never began): its window closes and its
 * faults.csv row is written. Any thread; once per fault. */
void fb_cell_fault_ended(struct cell *c, int k, const struct fault_report *rep);
/* At the cell's end: a row for each fault that got none (it never began:
 * the cell ended first). */
void fb_cell_faults_close(struct cell *c);
/* A metrics poll of a node (the engine's polled hook; ctx: the run). */
void fb_run_node_polled(void *ctx, const struct fb_node_sample *s);

/* A live cell's faults, on the cell's clock (faultrun.c). */
struct faultrun;
/* Starts the thread that begins and ends the cell's faults, on the cell's
 * clock (c->t0_unix_ms: when it began issuing). NULL when the schedule is
 * empty (or no thread could start: said on stderr). */
struct faultrun *fb_faultrun_start(struct cell *c);
/* Stops it: every fault still on is ended now (the node's own deadline
 * ends one faasbench cannot reach), each gets its row; frees fr. NULL-safe. */
void fb_faultrun_stop(struct faultrun *fr);
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
