/* power_of_two.c - PowerOfTwo: the less loaded of two random eligible nodes. */

/* Two distinct eligible nodes are drawn (seeded); the one with the lower CPU %
 * wins. With a single eligible node, that one. */
#include <stdlib.h>

#include "core/error.h"
#include "core/rng.h"
#include "policies/policy.h"

static int p2_init(void **state, uint64_t seed, const double *params)
{
    (void)params;
    struct fb_rng *r = malloc(sizeof(*r));
    if (r == NULL)
        return FB_ENOMEM;
    fb_rng_seed(r, seed);
    *state = r;
    return 0;
}

/* Index in nodes of the k-th eligible node (k counts from 0). */
static int kth_eligible(const struct fb_node_view *nodes, int n, double ram_threshold, int k)
{
    for (int i = 0; i < n; i++)
        if (fb_node_eligible(&nodes[i], ram_threshold) && k-- == 0)
            return i;
    return FB_ENONODE;
}

/* Draws a, then b among the other eligible nodes, so the two are distinct
 * and each unordered pair is equally likely. The winner has the lower
 * CPU %; on a tie the fewer invocations in flight; then the first drawn. */
static int p2_select(void *state, const struct fb_node_view *nodes, int n,
                     const struct fb_select_ctx *ctx)
{
    int eligible = 0, ka, kb, a, b;

    for (int i = 0; i < n; i++)
        if (fb_node_eligible(&nodes[i], ctx->ram_threshold))
            eligible++;
    if (eligible == 0)
        return FB_ENONODE;
    if (eligible == 1)
        return kth_eligible(nodes, n, ctx->ram_threshold, 0);
    ka = (int)fb_rng_below(state, (uint64_t)eligible);
    kb = (int)fb_rng_below(state, (uint64_t)eligible - 1);
    if (kb >= ka)
        kb++;
    a = kth_eligible(nodes, n, ctx->ram_threshold, ka);
    b = kth_eligible(nodes, n, ctx->ram_threshold, kb);
    if (nodes[b].cpu_pct < nodes[a].cpu_pct)
        return b;
    if (nodes[b].cpu_pct == nodes[a].cpu_pct && nodes[b].inflight < nodes[a].inflight)
        return b;
    return a;
}

static void p2_free(void *state)
{
    free(state);
}

const struct fb_policy fb_policy_power_of_two = {
    .name = "power-of-two",
    .summary = "of two distinct eligible nodes drawn at random, the one with the lower CPU %",
    .ops = {.init = p2_init, .select = p2_select, .free = p2_free},
};
