/* sim.h - the simulated executor: an experiment's cells run against simulated
 * nodes on virtual time, by the same decision core (decide/cluster.h), the
 * same policies and the same workloads as on real nodes, with each step's
 * time drawn from a node model (sim/model.h).
 *
 * A discrete-event loop: one binary heap of timed events (core/heap.h; ties
 * in the order they were scheduled), the clock moving only to the next
 * event. Single-threaded and deterministic: the same experiment, model and
 * seed give the same rows, byte for byte.
 *
 * What it models: memory capacity and slots (per_node) per node, as the core
 * keeps them; each phase of an invocation (select, pull, create, ready, call,
 * handler, run, cleanup) drawn from the model per function and mode; a
 * trace's asked duration in place of the handler's time (plus the handler's
 * own overhead, when calibrated); handlers sharing a node's CPUs
 * processor-sharing style when the model gives node.cpus; the experiment's
 * faults (docs/faults.md): down and partition as the node down in the
 * cluster for the window, the calls running there failing at its start and
 * retried elsewhere per retries (detected at once: a real engine takes a
 * command's timeout), slow as the node's handlers running at the fraction,
 * kill-instances as the cluster losing the node's instances, the calls
 * running there failing. What it does not: contention between pulls,
 * removals of instances (instantaneous), the metrics poll (its time is
 * within select). docs/simulation.md. */
#ifndef FB_SIM_H
#define FB_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "decide/cluster.h"
#include "experiment/config.h"
#include "experiment/faults.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"
#include "results/outcome.h"
#include "sim/model.h"
#include "workload/trace.h"

struct fb_sim_opts {
    const char *model; /* the node model's file */
    int nodes;         /* simulated nodes, shaped like the experiment's; 0: its own nodes */
    enum fb_sim_rows rows; /* which invocations get a row (core/types.h) */
    double sample;     /* FB_SIM_ROWS_SAMPLE: the share of invocations with a row, (0, 1] */
    /* Each function's invocations in the workload (a trace's counts), or
     * NULL: every function is called. A function never called needs no
     * model (a trace's idle rows leave nothing to calibrate from). */
    const size_t *calls;
};

struct fb_sim;

/* A simulator of experiment exp (borrowed) with options o: the model loaded
 * and checked against the experiment (every function called and every
 * phase its cells can need), the simulated nodes made. FB_ECONFIG with file, line and
 * key for a model that does not fit, FB_ENOMEM. */
int fb_sim_new(const struct fb_experiment *exp, const struct fb_sim_opts *o, struct fb_sim **out,
               struct fb_errbuf *eb);
void fb_sim_free(struct fb_sim *s);

int fb_sim_n_nodes(const struct fb_sim *s);
const char *fb_sim_node_name(const struct fb_sim *s, int i);
const struct fb_model *fb_sim_model(const struct fb_sim *s);
/* What the simulated nodes are like, one line of text. */
void fb_sim_describe_nodes(const struct fb_sim *s, char *buf, size_t n);

/* The virtual clock's epoch: unix ms of a simulated run's time 0
 * (2000-01-01T00:00:00Z), so that its rows do not depend on when it ran. */
#define FB_SIM_EPOCH_MS 946684800000LL

/* What one simulated invocation did, for an invocation that gets no row:
 * the numbers of its row without its strings. */
struct fb_sim_result {
    int function;
    int node, mode;       /* -1: it ran nowhere */
    bool failed;
    int64_t start_ms, intended_ms; /* intended: start when it had no arrival time */
    double select_ms, pull_ms, run_ms, cleanup_ms, latency_ms, node_exec_ms;
    double create_ms, ready_ms, init_ms, invoke_ms, handler_ms; /* NAN: not resident */
    double asked_duration_ms; /* the work asked ({duration_ms}); NAN: none */
};

/* One cell: what it runs and where its results go. */
struct fb_sim_cell {
    const struct fb_policy *p;
    void *pstate;
    const struct fb_keepalive *k; /* NULL: a warming cell */
    const double *kparams;
    enum fb_warming warming;      /* a warming cell's mode */
    uint64_t seed;
    unsigned draw;                 /* the trace's draw: the repetition - 1 */
    struct fb_trace_reader *trace; /* the trace workload's events, or NULL */
    int64_t t0_unix_ms;           /* virtual unix ms of the cell's start */
    const volatile sig_atomic_t *stop;
    void *ctx;
    /* A finished invocation of function f: its row. 0 or an error that ends
     * the cell. */
    int (*record)(void *ctx, int f, const struct fb_outcome *o, int64_t intended_ms,
                  bool warmup);
    /* Whether the next finished invocation gets a row (NULL: every one);
     * one that does not is handed over as its numbers. */
    bool (*want_row)(void *ctx);
    int (*count)(void *ctx, const struct fb_sim_result *res, bool warmup);
    bool (*warmup)(void *ctx, bool open_loop, double t_s, int64_t start_ms);
    void (*event)(void *ctx, const struct fb_ka_event *ev);
    /* The faults (NULL or n = 0: none), their nodes the experiment's by
     * index: a fault on a node past the simulated ones strikes nothing.
     * fault (may be NULL) hears each one begin and end (unix ms of the
     * virtual clock; lost: kill-instances, the instances and warm
     * containers the cell lost). */
    const struct fb_schedule *faults;
    void (*fault)(void *ctx, int k, bool end, int64_t unix_ms, long lost);
};

/* Runs one cell; *ko gets a keep-alive cell's outcome. *end_s: the virtual
 * seconds it lasted. 0, FB_EINTR when stopped, or an error. */
int fb_sim_run_cell(struct fb_sim *s, const struct fb_sim_cell *c, struct fb_ka_outcome *ko,
                    double *end_s);

#endif
