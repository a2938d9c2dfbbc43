/* keepalive.h - keep-alive policies: how long an idle instance stays, and
 * which idle instance goes when a cold start needs room. The plug-in
 * interface and its lookup table (keepalive_table.c), the same shape as the node
 * policies of policies/. A policy sees instances and a clock, never a node's
 * transport: times are the workload's seconds (a trace replayed at
 * time_scale 0.1 runs ten times faster, and so do the policies' windows).
 *
 * Adding one: a file in keepalive/ with at least its idle hook, a line in
 * keepalive_table.c's table, a unit test on a simulated clock
 * (tests/unit/test_keepalive.c). */
#ifndef FB_KEEPALIVE_H
#define FB_KEEPALIVE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/plugopt.h"

/* One instance (a resident container of one function) as a policy sees it. */
struct fb_ka_instance {
    int id;             /* unique within a cell */
    int function;       /* index in the experiment's functions */
    int node;           /* index of its node */
    double memory_mb;   /* what it holds of its node's capacity */
    double created_s;   /* when it was started */
    double last_used_s; /* when its last call ended (created_s before any) */
    long uses;          /* calls it has served */
    double score;       /* the policy's own figure, kept with the instance:
                           set by idle(), read back in victim() */
};

/* The hooks of a policy. idle is the policy; every other hook is optional
 * (NULL), and the decision core then does without it. */
struct fb_keepalive_ops {
    /* Per-cell state for n_functions functions; params: the values of the
     * policy's options table (struct fb_plugspec), NULL when it has none.
     * 0 or FB_ENOMEM. NULL: no state (free must then be NULL too). */
    int (*init)(void **state, int n_functions, uint64_t seed, const double *params);
    /* Function f is invoked at now, whether an idle instance takes it or
     * not. NULL: arrivals do not matter to the policy. */
    void (*arrival)(void *state, int f, double now);
    /* inst's call ended at now and it is idle (called once at the end of
     * every call). Returns until when it may stay idle: INFINITY, until
     * memory is needed; <= now, it goes at once.
     * A policy that wants a pre-warm sets *prewarm_at to a time after now:
     * the instance then goes now, and a new instance of the function is
     * started at *prewarm_at and stays idle until the time returned (unless
     * the function is invoked before *prewarm_at: the pre-warm is then
     * dropped, and the call's own end asks again).
     * *prewarm_at is NAN on entry. The policy may set inst->score. */
    double (*idle)(void *state, struct fb_ka_instance *inst, double now, double *prewarm_at);
    /* A cold start needs room on a node: one of the n idle instances there
     * (index into idle[]) to evict, or -1 for none (the cold start then
     * waits for a call to end). Called again while room is short. NULL: the
     * least recently used (fb_ka_least_recent). */
    int (*victim)(void *state, const struct fb_ka_instance *idle, int n, double now);
    /* inst is gone at now: evicted under pressure (pressure true), at the
     * end of its keep-alive, unloaded for a pre-warm, at the end of the cell,
     * or because its call or its node failed. NULL: nothing to note. */
    void (*evicted)(void *state, const struct fb_ka_instance *inst, double now, bool pressure);
    /* A cold start of f was measured to cost cost_s more than a warm call
     * (its latency minus the function's warm latency so far); called before
     * that call's idle(). NULL: unused. */
    void (*cost)(void *state, int f, double cost_s);
    void (*free)(void *state);
};

struct fb_keepalive {
    const char *name;       /* as written in experiment files */
    const char *summary;    /* one line, for listings and the README */
    const char *source;     /* where the policy comes from */
    const struct fb_plugopt *options; /* its parameters, or NULL */
    struct fb_keepalive_ops ops;
};

/* Every keep-alive policy, in the order of the table in keepalive_table.c. */
extern const struct fb_keepalive fb_keepalive_none;
extern const struct fb_keepalive fb_keepalive_ttl;
extern const struct fb_keepalive fb_keepalive_lru;
extern const struct fb_keepalive fb_keepalive_greedy_dual;
extern const struct fb_keepalive fb_keepalive_hybrid_histogram;

/* The policy called name (without parameters), or NULL. */
const struct fb_keepalive *fb_keepalive_find(const char *name);
/* The policy of spec "NAME[:KEY=VALUE,...]" with its parameters parsed into
 * *out (the defaults where unset), or NULL with eb saying why. */
const struct fb_keepalive *fb_keepalive_find_spec(const char *spec, struct fb_plugspec *out,
                                                  struct fb_errbuf *eb);
/* The i-th policy of the table, or NULL past the end. */
const struct fb_keepalive *fb_keepalive_at(int i);
/* Checks one entry: a name, a summary, a source, its idle hook (and free
 * when it has init) and a valid options table (each parameter named and
 * described once, its default inside its range, whole numbers for an
 * integer, at most FB_PLUGOPT_MAX). 0 or FB_EINVAL naming it. */
int fb_keepalive_check(const struct fb_keepalive *k, struct fb_errbuf *eb);
/* fb_keepalive_check on every entry of the table, and no name twice. */
int fb_keepalive_table_check(struct fb_errbuf *eb);

/* The index of the instance in idle[0..n) used longest ago (the lowest
 * last_used_s, then the lowest id), or -1 when n is 0: the eviction order
 * of policies that have none of their own. */
int fb_ka_least_recent(const struct fb_ka_instance *idle, int n);

#endif
