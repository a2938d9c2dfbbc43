/* random.c - Random: a uniformly chosen eligible node, from a seeded generator. */
#include <stdlib.h>

#include "core/error.h"
#include "core/rng.h"
#include "policies/policy.h"

static int random_init(void **state, uint64_t seed, const double *params)
{
    (void)params;
    struct fb_rng *r = malloc(sizeof(*r));
    if (r == NULL)
        return FB_ENOMEM;
    fb_rng_seed(r, seed);
    *state = r;
    return 0;
}

/* Counts the eligible nodes, draws k in [0, count) and returns the k-th:
 * one draw per selection, so a seed fixes the whole sequence. */
static int random_select(void *state, const struct fb_node_view *nodes, int n,
                         const struct fb_select_ctx *ctx)
{
    int eligible = 0, k;

    for (int i = 0; i < n; i++)
        if (fb_node_eligible(&nodes[i], ctx->ram_threshold))
            eligible++;
    if (eligible == 0)
        return FB_ENONODE;
    k = (int)fb_rng_below(state, (uint64_t)eligible);
    for (int i = 0; i < n; i++)
        if (fb_node_eligible(&nodes[i], ctx->ram_threshold) && k-- == 0)
            return i;
    return FB_ENONODE; /* not reached */
}

static void random_free(void *state)
{
    free(state);
}

const struct fb_policy fb_policy_random = {
    .name = "random",
    .summary = "an eligible node chosen uniformly at random (seeded)",
    .ops = {.init = random_init, .select = random_select, .free = random_free},
};
