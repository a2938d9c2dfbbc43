/* ch_rlu.c - CH-RLU: consistent hashing with random load updates (Fuerst and
 * Sharma, "Locality-aware Load-Balancing For Serverless Clusters", HPDC'22),
 * as the balancer Iluvatar ships (its ch_rlu load balancer). */

/* Every function has a home: the first eligible node clockwise from its
 * name's position on a ring of the nodes (placement.h: vnodes points per
 * node, placed by the node's name). Unpopular functions always run at home,
 * whatever its load, for locality. A popular function tries the first
 * `chain` eligible nodes of its walk, its home first, and goes to the first
 * whose load is at most `bound` (Iluvatar's test, load <= bounded_ceil);
 * when none is, it stays at home. The load is the node's invocations in
 * flight (fb_node_view.inflight), the counterpart of Iluvatar's "running"
 * load metric.
 *
 * Popularity is refreshed every `period_s` seconds of the workload's clock
 * (fb_select_ctx.now_s): the clock is cut into windows [k period_s,
 * (k + 1) period_s), arrivals (selections with fb_select_ctx.arrival) are
 * counted per function in the current window, and at the first arrival in a
 * later window the popular functions become the top `share` of the
 * functions seen since the cell began, ranked by their arrivals in the last
 * full window (the most first, the lower function index on a tie); a
 * function with no arrival in it is never popular. The number taken is
 * round(share x functions seen), as Iluvatar rounds. Until the first window
 * closes no function is popular. With a clock that stands still (now_s
 * always 0, as when the caller has none) no window ever closes: no function
 * is popular and every function runs at home, which is plain consistent
 * hashing; likewise when no selection is an arrival.
 *
 * Iluvatar ranks functions by their mean inter-arrival time; arrivals in the
 * last window rank them by their rate over that window instead. Iluvatar
 * adds a random term to each node's load and to the chosen node's: its loads
 * come from periodic reports, and the random update stands in for the
 * placements made since the last one. Here the load is the engine's exact
 * count at the moment of selection, which already includes every placement,
 * so there is no stale load for the random update to correct and none is
 * added.
 *
 * Parameters, with Iluvatar's values: share 0.2 and bound 4 (the CH-RLU
 * experiments of its load scripts: popular_pct 0.2, bounded_ceil 4 with the
 * "running" metric), period_s 2 (their controller_thread_sleep_ms 2000, the
 * balancer's refresh), chain 4 and vnodes 3 (its ChRluConfig defaults
 * chain_len and vnodes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "policies/placement.h"

enum { OPT_SHARE, OPT_BOUND, OPT_PERIOD, OPT_CHAIN, OPT_VNODES };

static const struct fb_plugopt chrlu_options[] = {
    [OPT_SHARE] = {"share", FB_PLUGOPT_NUMBER, 0.2, 0, 1,
                   "share of the functions seen that is popular (by arrivals per period)"},
    [OPT_BOUND] = {"bound", FB_PLUGOPT_NUMBER, 4, 0, 10000,
                   "a popular function may go to a node with at most this many in flight"},
    [OPT_PERIOD] = {"period_s", FB_PLUGOPT_NUMBER, 2, 0.001, 86400,
                    "seconds between refreshes of the popular functions"},
    [OPT_CHAIN] = {"chain", FB_PLUGOPT_INT, 4, 1, 1000,
                   "nodes a popular function tries along the ring, its home first"},
    [OPT_VNODES] = {"vnodes", FB_PLUGOPT_INT, 3, 1, 1000, "points of each node on the ring"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* What is known of one function (by index). */
struct chrlu_fn {
    bool seen;     /* has arrived since the cell began */
    bool popular;
    long arrivals; /* in the current window */
};

struct chrlu_rank {
    long arrivals;
    int f;
};

struct chrlu_state {
    struct fb_ring ring;
    double share, bound, period;
    int chain;
    long long window;        /* the current window: [window, window + 1) x period */
    struct chrlu_fn *fn;
    int n_fn;                /* entries of fn */
    int n_seen;
    struct chrlu_rank *rank; /* scratch for a refresh, n_fn entries */
};

static double param(const double *params, int i)
{
    return params != NULL ? params[i] : chrlu_options[i].def;
}

static int chrlu_init(void **state, uint64_t seed, const double *params)
{
    struct chrlu_state *s = calloc(1, sizeof(*s));

    (void)seed;
    if (s == NULL)
        return FB_ENOMEM;
    s->share = param(params, OPT_SHARE);
    s->bound = param(params, OPT_BOUND);
    s->period = param(params, OPT_PERIOD);
    s->chain = (int)param(params, OPT_CHAIN);
    fb_ring_init(&s->ring, (int)param(params, OPT_VNODES));
    *state = s;
    return 0;
}

static void chrlu_free(void *state)
{
    struct chrlu_state *s = state;

    if (s == NULL)
        return;
    fb_ring_free(&s->ring);
    free(s->fn);
    free(s->rank);
    free(s);
}

/* Makes room for function f (>= 0). 0 or FB_ENOMEM. */
static int want_fn(struct chrlu_state *s, int f)
{
    int n = s->n_fn > 0 ? s->n_fn : 8;

    if (f < s->n_fn)
        return 0;
    while (n <= f)
        n *= 2;
    struct chrlu_fn *fn = realloc(s->fn, (size_t)n * sizeof(*fn));
    if (fn == NULL)
        return FB_ENOMEM;
    memset(fn + s->n_fn, 0, (size_t)(n - s->n_fn) * sizeof(*fn));
    s->fn = fn;
    struct chrlu_rank *rank = realloc(s->rank, (size_t)n * sizeof(*rank));
    if (rank == NULL)
        return FB_ENOMEM;
    s->rank = rank;
    s->n_fn = n;
    return 0;
}

/* For the ranking: the most arrivals first, then the lower index. */
static int rank_cmp(const void *a, const void *b)
{
    const struct chrlu_rank *x = a, *y = b;

    if (x->arrivals != y->arrivals)
        return x->arrivals > y->arrivals ? -1 : 1;
    return (x->f > y->f) - (x->f < y->f);
}

/* The popular set from the window that just closed; empty when it lies more
 * than one period back (no arrival since). */
static void refresh(struct chrlu_state *s, bool last_window_empty)
{
    int m = 0, take = (int)round(s->share * (double)s->n_seen);

    for (int f = 0; f < s->n_fn; f++) {
        s->fn[f].popular = false;
        if (!last_window_empty && s->fn[f].arrivals > 0)
            s->rank[m++] = (struct chrlu_rank){s->fn[f].arrivals, f};
        s->fn[f].arrivals = 0;
    }
    qsort(s->rank, (size_t)m, sizeof(*s->rank), rank_cmp);
    for (int k = 0; k < m && k < take; k++)
        s->fn[s->rank[k].f].popular = true;
}

/* Moves to the window holding now, refreshing when it is a later one. */
static void advance(struct chrlu_state *s, double now)
{
    double k = now >= 0 ? floor(now / s->period) : 0;

    if (k > 1e15) /* past any clock a cell has: kept representable */
        k = 1e15;
    if (!(k > (double)s->window))
        return;
    refresh(s, k - (double)s->window >= 2);
    s->window = (long long)k;
}

static int chrlu_select(void *state, const struct fb_node_view *nodes, int n,
                        const struct fb_select_ctx *ctx)
{
    struct chrlu_state *s = state;
    int f = ctx->function, home = FB_ENONODE, tried = 0, i, rc;
    bool popular = false;

    if (f >= 0) {
        if ((rc = want_fn(s, f)) < 0)
            return rc;
        if (ctx->arrival) {
            advance(s, ctx->now_s);
            if (!s->fn[f].seen) {
                s->fn[f].seen = true;
                s->n_seen++;
            }
            s->fn[f].arrivals++;
        }
        popular = s->fn[f].popular;
    }
    if ((rc = fb_ring_walk(&s->ring, nodes, n, ctx->function_name)) < 0)
        return rc;
    while ((i = fb_ring_next(&s->ring)) >= 0) {
        if (!fb_node_eligible(&nodes[i], ctx->ram_threshold))
            continue;
        if (home < 0)
            home = i;
        if (!popular)
            break;
        if ((double)nodes[i].inflight <= s->bound)
            return i;
        if (++tried == s->chain)
            break;
    }
    return home;
}

const struct fb_policy fb_policy_ch_rlu = {
    .name = "ch-rlu",
    .summary = "consistent hashing with random load updates: the function's node on a ring; "
               "popular functions on to the next under a load bound",
    .ops = {.init = chrlu_init, .select = chrlu_select, .free = chrlu_free},
    .options = chrlu_options,
};
