/* greedy_dual.c - greedy-dual: FaasCache's keep-alive as caching. Every
 * idle instance has a priority, clock + frequency x cost / memory; a cold
 * start that needs room evicts the lowest, and the node's clock rises to
 * the priority of what it evicted, so instances not used for a while fall
 * behind newly used ones.
 *
 * Source: A. Fuerst and P. Sharma, "FaasCache: Keeping Serverless Computing
 * Alive with Greedy-Dual Caching", ASPLOS'21 (Greedy-Dual-Size-Frequency
 * applied to function instances), and the authors' simulator
 * (github.com/aFuerst/faascache-sim, LambdaScheduler.py) for the points the
 * paper leaves open.
 * Parameters: default_cost_s (default 1, [0, 3600]): the cold-start cost of
 * a function before any of its cold starts has been measured; ours, not
 * the paper's (every function alike, so the order is then frequency /
 * memory).
 * Variant pinned here:
 * - priority = clock(node) + frequency x cost / memory_mb, computed when a
 *   call ends (idle()) and kept in inst->score until the next one;
 *   memory_mb below 1 counts as 1.
 * - cost: the mean of the function's measured cold-start costs (cost():
 *   cold latency minus warm latency), a negative measurement counting as
 *   0; default_cost_s until the first.
 * - frequency: the calls served by the function's instances on that node
 *   that are still alive, the current call included. It therefore resets
 *   when the function has no instance left on the node, as in the authors'
 *   simulator, whose priority sums the use counts of the function's
 *   containers in the pool. An instance counts from the end of its first
 *   call (the policy learns of it through idle()).
 * - clock: one per node (each node is one cache), 0 until the node's
 *   first eviction under pressure, then the priority of the instance
 *   evicted (never lowered: an eviction out of order leaves it as it is).
 *   Expiry does not exist here: idle() returns INFINITY.
 * - victim: the lowest priority; ties to the least recently used, then the
 *   lowest id (fb_ka_least_recent's order). The simulator re-scores every
 *   container of a function at each call; here each instance keeps the
 *   priority of its own last call, so of two instances of one function
 *   the one used longer ago goes first. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "keepalive/keepalive.h"

static const struct fb_plugopt gd_options[] = {
    {"default_cost_s", FB_PLUGOPT_NUMBER, 1, 0, 3600,
     "cold-start cost of a function before one has been measured, seconds"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* An instance the policy has seen end a call and not yet seen go. */
struct gd_alive {
    int id, function, node;
    long calls;
};

struct gd_state {
    int n_functions;
    double default_cost;
    double *cost_sum; /* per function: measured costs, and their number */
    long *cost_n;
    double *clock; /* per node, grown on the node's first eviction */
    int n_clock;
    struct gd_alive *alive;
    int n_alive, cap_alive;
};

static void gd_free(void *state)
{
    struct gd_state *s = state;

    if (s == NULL)
        return;
    free(s->cost_sum);
    free(s->cost_n);
    free(s->clock);
    free(s->alive);
    free(s);
}

static int gd_init(void **state, int n_functions, uint64_t seed, const double *params)
{
    struct gd_state *s = calloc(1, sizeof(*s));
    size_t n = n_functions > 0 ? (size_t)n_functions : 1;

    (void)seed;
    if (s == NULL)
        return FB_ENOMEM;
    s->n_functions = n_functions > 0 ? n_functions : 0;
    s->default_cost = params != NULL ? params[0] : gd_options[0].def;
    s->cost_sum = calloc(n, sizeof(*s->cost_sum));
    s->cost_n = calloc(n, sizeof(*s->cost_n));
    if (s->cost_sum == NULL || s->cost_n == NULL) {
        gd_free(s);
        return FB_ENOMEM;
    }
    *state = s;
    return 0;
}

static void gd_arrival(void *state, int f, double now)
{
    /* Frequency is counted from the calls instances serve (idle()). */
    (void)state;
    (void)f;
    (void)now;
}

static void gd_cost(void *state, int f, double cost_s)
{
    struct gd_state *s = state;

    if (f < 0 || f >= s->n_functions || isnan(cost_s))
        return;
    s->cost_sum[f] += cost_s > 0 ? cost_s : 0;
    s->cost_n[f]++;
}

static double clock_of(const struct gd_state *s, int node)
{
    return node >= 0 && node < s->n_clock ? s->clock[node] : 0;
}

static struct gd_alive *find_alive(struct gd_state *s, int id)
{
    for (int i = 0; i < s->n_alive; i++)
        if (s->alive[i].id == id)
            return &s->alive[i];
    return NULL;
}

/* inst's entry, added when new; NULL only when memory runs out. */
static struct gd_alive *track(struct gd_state *s, const struct fb_ka_instance *inst)
{
    struct gd_alive *a = find_alive(s, inst->id);

    if (a != NULL)
        return a;
    if (s->n_alive == s->cap_alive) {
        int cap = s->cap_alive > 0 ? 2 * s->cap_alive : 16;
        struct gd_alive *p = realloc(s->alive, (size_t)cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        s->alive = p;
        s->cap_alive = cap;
    }
    a = &s->alive[s->n_alive++];
    *a = (struct gd_alive){inst->id, inst->function, inst->node, 0};
    return a;
}

static double gd_idle(void *state, struct fb_ka_instance *inst, double now, double *prewarm_at)
{
    struct gd_state *s = state;
    struct gd_alive *a = track(s, inst);
    int f = inst->function;
    double freq = 0, cost = s->default_cost;
    double mem = inst->memory_mb >= 1 ? inst->memory_mb : 1;

    (void)now;
    (void)prewarm_at;
    if (a != NULL)
        a->calls++;
    else
        freq = 1; /* out of memory: this call alone */
    for (int i = 0; i < s->n_alive; i++)
        if (s->alive[i].function == f && s->alive[i].node == inst->node)
            freq += (double)s->alive[i].calls;
    if (f >= 0 && f < s->n_functions && s->cost_n[f] > 0)
        cost = s->cost_sum[f] / (double)s->cost_n[f];
    inst->score = clock_of(s, inst->node) + freq * cost / mem;
    return INFINITY;
}

static int gd_victim(void *state, const struct fb_ka_instance *idle, int n, double now)
{
    int best = -1;

    (void)state;
    (void)now;
    for (int i = 0; i < n; i++) {
        const struct fb_ka_instance *a = &idle[i], *b = best >= 0 ? &idle[best] : NULL;
        if (b == NULL || a->score < b->score ||
            (a->score == b->score &&
             (a->last_used_s < b->last_used_s ||
              (a->last_used_s == b->last_used_s && a->id < b->id))))
            best = i;
    }
    return best;
}

/* Raises node's clock to at least v; growing the table may fail, and the
 * node's clock then stays 0 (its priorities are not inflated). */
static void raise_clock(struct gd_state *s, int node, double v)
{
    if (node < 0)
        return;
    if (node >= s->n_clock) {
        int n = node + 1 > 2 * s->n_clock ? node + 1 : 2 * s->n_clock;
        double *p = realloc(s->clock, (size_t)n * sizeof(*p));
        if (p == NULL)
            return;
        for (int i = s->n_clock; i < n; i++)
            p[i] = 0;
        s->clock = p;
        s->n_clock = n;
    }
    if (v > s->clock[node])
        s->clock[node] = v;
}

static void gd_evicted(void *state, const struct fb_ka_instance *inst, double now, bool pressure)
{
    struct gd_state *s = state;
    struct gd_alive *a = find_alive(s, inst->id);

    (void)now;
    if (pressure)
        raise_clock(s, inst->node, inst->score);
    if (a != NULL)
        *a = s->alive[--s->n_alive];
}

const struct fb_keepalive fb_keepalive_greedy_dual = {
    .name = "greedy-dual",
    .summary = "FaasCache: evict the lowest clock + frequency x cold-start cost / memory",
    .source = "Fuerst and Sharma, FaasCache, ASPLOS'21 (Greedy-Dual-Size-Frequency)",
    .options = gd_options,
    .ops = {.init = gd_init,
            .arrival = gd_arrival,
            .idle = gd_idle,
            .victim = gd_victim,
            .evicted = gd_evicted,
            .cost = gd_cost,
            .free = gd_free},
};
