/* ch_bl.c - CH-BL: consistent hashing with bounded loads (Mirrokni, Thorup and
 * Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA'18). */

/* The nodes sit on a ring, vnodes points each, placed by the node's name
 * (placement.h), so a node keeps its points whatever subset of the nodes a
 * tier of the chain passes. A function's home is the first node clockwise
 * from its name's position. The walk starts there and goes on, node after
 * node in ring order, past every node that is not eligible or whose load is
 * at its capacity
 *
 *     c = ceil((1 + epsilon) * m / e)
 *
 * and the first other node takes the invocation. The load of a node is its
 * invocations in flight (fb_node_view.inflight); e is the number of
 * eligible nodes in the view and m the invocations in flight on them plus
 * the one being placed. The mean m / e counts the new arrival, as HAProxy's
 * bounded-load hashing counts the request being placed: with every node
 * idle, m = 1 and c >= 1, so an idle home takes it (without the arrival the
 * capacity would be 0; lafikl/consistent instead holds the mean at 1 or
 * more). A node takes the invocation while its load is below c, so with it
 * the load is at most c; since the e eligible nodes hold m - 1 < e * c
 * invocations, one of them is always below c: the walk always ends, and no
 * node is given an invocation that takes it over c while another eligible
 * node is below c.
 *
 * Parameters: epsilon (default 0.25, in [0, 10]) and vnodes (default 10, in
 * [1, 1000]). The paper leaves epsilon free (its bounds hold for any
 * epsilon > 0; 0 allows no imbalance at all); the defaults are those of
 * lafikl/consistent, the CH-BL implementation Hiku (Akbari and Hauswirth,
 * CCGrid'25) compares against: a load factor of 1.25 and 10 points per
 * node. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "policies/placement.h"

enum { OPT_EPSILON, OPT_VNODES };

static const struct fb_plugopt chbl_options[] = {
    [OPT_EPSILON] = {"epsilon", FB_PLUGOPT_NUMBER, 0.25, 0, 10,
                     "with an invocation, a node runs at most ceil((1 + epsilon) x the "
                     "mean in flight), the mean counting that invocation"},
    [OPT_VNODES] = {"vnodes", FB_PLUGOPT_INT, 10, 1, 1000, "points of each node on the ring"},
    {NULL, 0, 0, 0, 0, NULL},
};

struct chbl_state {
    struct fb_ring ring;
    double epsilon;
};

static int chbl_init(void **state, uint64_t seed, const double *params)
{
    struct chbl_state *s = malloc(sizeof(*s));

    (void)seed;
    if (s == NULL)
        return FB_ENOMEM;
    s->epsilon = params != NULL ? params[OPT_EPSILON] : chbl_options[OPT_EPSILON].def;
    fb_ring_init(&s->ring, (int)(params != NULL ? params[OPT_VNODES]
                                                : chbl_options[OPT_VNODES].def));
    *state = s;
    return 0;
}

/* ceil((1 + epsilon) * m / e), with a margin so that a quotient that is a
 * whole number in exact arithmetic is not rounded up past it. */
static long capacity(double epsilon, long m, int e)
{
    double c = (1.0 + epsilon) * (double)m / (double)e;
    return (long)ceil(c * (1.0 - 1e-12));
}

static int chbl_select(void *state, const struct fb_node_view *nodes, int n,
                       const struct fb_select_ctx *ctx)
{
    struct chbl_state *s = state;
    long m = 1, cap;
    int e = 0, i, fallback = FB_ENONODE, rc;

    for (i = 0; i < n; i++) {
        if (fb_node_eligible(&nodes[i], ctx->ram_threshold)) {
            e++;
            m += nodes[i].inflight > 0 ? nodes[i].inflight : 0;
        }
    }
    if (e == 0)
        return FB_ENONODE;
    cap = capacity(s->epsilon, m, e);
    if ((rc = fb_ring_walk(&s->ring, nodes, n, ctx->function_name)) < 0)
        return rc;
    while ((i = fb_ring_next(&s->ring)) >= 0) {
        if (!fb_node_eligible(&nodes[i], ctx->ram_threshold))
            continue;
        if (nodes[i].inflight < cap)
            return i;
        /* Not reached by the argument above; kept so that a rounding
         * surprise still places the invocation: the least loaded seen. */
        if (fallback < 0 || nodes[i].inflight < nodes[fallback].inflight)
            fallback = i;
    }
    return fallback;
}

static void chbl_free(void *state)
{
    struct chbl_state *s = state;

    if (s == NULL)
        return;
    fb_ring_free(&s->ring);
    free(s);
}

const struct fb_policy fb_policy_ch_bl = {
    .name = "ch-bl",
    .summary = "consistent hashing with bounded loads: the function's node on a ring, else "
               "the next clockwise under (1 + epsilon) x the mean load",
    .ops = {.init = chbl_init, .select = chbl_select, .free = chbl_free},
    .options = chbl_options,
};
