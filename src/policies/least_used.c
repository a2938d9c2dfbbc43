/* least_used.c - LeastUsed and MostUsed: the eligible node with the lowest
 * (highest) CPU %, ties to the first listed. */
#include "core/error.h"
#include "policies/policy.h"

static int pick_by_cpu(const struct fb_node_view *nodes, int n,
                       const struct fb_select_ctx *ctx, int sign)
{
    int best = FB_ENONODE;
    for (int i = 0; i < n; i++) {
        if (!fb_node_eligible(&nodes[i], ctx->ram_threshold))
            continue;
        if (best < 0 || sign * (nodes[i].cpu_pct - nodes[best].cpu_pct) < 0)
            best = i;
    }
    return best;
}

static int least_select(void *state, const struct fb_node_view *nodes, int n,
                        const struct fb_select_ctx *ctx)
{
    (void)state;
    return pick_by_cpu(nodes, n, ctx, 1);
}

static int most_select(void *state, const struct fb_node_view *nodes, int n,
                       const struct fb_select_ctx *ctx)
{
    (void)state;
    return pick_by_cpu(nodes, n, ctx, -1);
}

const struct fb_policy fb_policy_least_used = {
    .name = "least-used",
    .summary = "the eligible node with the lowest CPU %",
    .ops = {.select = least_select},
};

const struct fb_policy fb_policy_most_used = {
    .name = "most-used",
    .summary = "the eligible node with the highest CPU %",
    .ops = {.select = most_select},
};
