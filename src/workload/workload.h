/* workload.h - how a cell issues its invocations, the same for the real engine
 * and the simulator: a table of workload types (one file each), each saying
 * what the next invocation is. A closed-loop type (sequential, closed) names
 * the next invocation of a client that has become free; an open-loop type
 * (poisson, trace) hands out arrivals in time order, which workers take up
 * as they become free. Times are wall seconds since the cell began issuing
 * (a trace's offsets after its time_scale).
 *
 * Adding a workload type: a file here with its ops, a line in the table of
 * workload.c, its name in core/types.h's FB_WORKLOAD_MAP, a unit test. */
#ifndef FB_WORKLOAD_H
#define FB_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "core/types.h"
#include "experiment/config.h"
#include "workload/trace.h"

/* One invocation to issue. */
struct fb_issue {
    int function;
    double t_s;         /* open loop: when it arrives; closed loop: when it was asked for */
    double duration_ms; /* its work, NAN where the workload gives none */
    double memory_mb;
};

struct fb_workload;

struct fb_workload_ops {
    enum fb_workload_kind kind;
    bool open_loop;
    /* Invocations a cell issues, for progress; 0 when it is timed. */
    long (*count)(const struct fb_experiment *exp, struct fb_trace_reader *trace);
    /* Per-cell state; trace: the trace workload's events (else NULL). */
    int (*begin)(struct fb_workload *w);
    /* Closed loop: the next invocation of client c, free at now: 1 and *out,
     * or 0 when the client is done. Open loop: the next arrival (c and now
     * unused): 1 and *out, or 0 at the end. A negative FB_E* when the
     * arrivals cannot be read (a trace file gone). */
    int (*next)(struct fb_workload *w, int c, double now, struct fb_issue *out);
    void (*end)(struct fb_workload *w);
};

/* One cell's workload: what its type's ops share. */
struct fb_workload {
    const struct fb_workload_ops *ops;
    const struct fb_experiment *exp;
    struct fb_trace_reader *trace;
    uint64_t seed;
    unsigned draw;           /* a trace's draw: the cell's repetition - 1 */
    int clients;             /* issuing at once: closed-loop clients, open-loop workers */
    double weight_sum;
    struct fb_rng *rng;      /* closed loop: one per client; open loop: one */
    void *state;             /* the type's own */
};

/* The ops of workload type kind (never NULL for a valid kind). */
const struct fb_workload_ops *fb_workload_ops(enum fb_workload_kind kind);

/* Starts a cell's workload of exp with seed (trace: the loaded trace of a
 * trace workload, borrowed, replayed as its draw `draw`: the cell's
 * repetition - 1, see fb_trace_rewind_draw). 0 or FB_ENOMEM. */
int fb_workload_begin(const struct fb_experiment *exp, struct fb_trace_reader *trace,
                      uint64_t seed, unsigned draw, struct fb_workload *w);
/* The next invocation (see next in the ops). */
int fb_workload_next(struct fb_workload *w, int client, double now, struct fb_issue *out);
void fb_workload_end(struct fb_workload *w);

/* Opens the trace of exp's trace workload with the experiment's settings
 * (format, spread, time scale, seed, cuts, companion files): see
 * fb_trace_open. */
int fb_workload_open_trace(const struct fb_experiment *exp, struct fb_trace_reader **out,
                           struct fb_errbuf *eb);

/* Invocations a cell of exp issues (0: timed). */
long fb_workload_count(const struct fb_experiment *exp, struct fb_trace_reader *trace);

/* A function drawn by weight with rng (the closed and poisson types). */
static inline int fb_workload_pick(const struct fb_workload *w, struct fb_rng *rng)
{
    const struct fb_experiment *exp = w->exp;
    double x = fb_rng_unit(rng) * w->weight_sum;

    for (int f = 0; f < exp->n_functions; f++) {
        x -= exp->functions[f].weight;
        if (x < 0)
            return f;
    }
    return exp->n_functions - 1;
}

extern const struct fb_workload_ops fb_workload_sequential, fb_workload_closed,
    fb_workload_poisson, fb_workload_trace;

#endif
