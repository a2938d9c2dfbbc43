/* least_connections.c - LeastConnections: the eligible node with the fewest
 * invocations in flight, ties drawn at random (seeded). */

/* The load is fb_node_view.inflight, the engine's count of invocations
 * running on the node, exact at selection time (no poll involved). Among the
 * nodes with the fewest, one is drawn uniformly from the cell's seeded
 * generator, so equal nodes share the work instead of the first listed
 * taking it all; the generator is drawn from only when there is a tie, so a
 * seed fixes the sequence of choices for a given sequence of views. This is
 * the least-connections balancer that Hiku (Akbari and Hauswirth, CCGrid'25)
 * compares against and falls back to; it takes no parameters. */
#include <stdlib.h>

#include "core/error.h"
#include "policies/placement.h"
#include "core/rng.h"

int fb_least_connections(const struct fb_node_view *nodes, int n, double ram_threshold,
                         struct fb_rng *rng)
{
    int best = -1, ties = 0, k;

    for (int i = 0; i < n; i++) {
        if (!fb_node_eligible(&nodes[i], ram_threshold))
            continue;
        if (best < 0 || nodes[i].inflight < best) {
            best = nodes[i].inflight;
            ties = 1;
        } else if (nodes[i].inflight == best) {
            ties++;
        }
    }
    if (ties == 0)
        return FB_ENONODE;
    k = ties > 1 ? (int)fb_rng_below(rng, (uint64_t)ties) : 0;
    for (int i = 0; i < n; i++)
        if (fb_node_eligible(&nodes[i], ram_threshold) && nodes[i].inflight == best &&
            k-- == 0)
            return i;
    return FB_ENONODE; /* not reached */
}

static int lc_init(void **state, uint64_t seed, const double *params)
{
    struct fb_rng *r = malloc(sizeof(*r));

    (void)params;
    if (r == NULL)
        return FB_ENOMEM;
    fb_rng_seed(r, seed);
    *state = r;
    return 0;
}

static int lc_select(void *state, const struct fb_node_view *nodes, int n,
                     const struct fb_select_ctx *ctx)
{
    return fb_least_connections(nodes, n, ctx->ram_threshold, state);
}

static void lc_free(void *state)
{
    free(state);
}

const struct fb_policy fb_policy_least_connections = {
    .name = "least-connections",
    .summary = "the eligible node with the fewest invocations in flight, ties drawn at "
               "random (seeded)",
    .ops = {.init = lc_init, .select = lc_select, .free = lc_free},
};
