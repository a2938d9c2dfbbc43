/* warm_aware.c - WarmAware: prefer nodes holding a warm container, then the image. */

/* The least-loaded eligible node holding a warm container of the function,
 * else the least-loaded holding its image, else the least-loaded eligible.
 * Least-loaded: the lowest cpu_pct; on a tie the fewer invocations in
 * flight; then the first listed. Stateless. */
#include "core/error.h"
#include "policies/policy.h"

/* True when a is less loaded than b. */
static bool less_loaded(const struct fb_node_view *a, const struct fb_node_view *b)
{
    if (a->cpu_pct != b->cpu_pct)
        return a->cpu_pct < b->cpu_pct;
    return a->inflight < b->inflight;
}

/* The least-loaded eligible node with the wanted holding, or FB_ENONODE. */
static int least_loaded(const struct fb_node_view *nodes, int n, double ram_threshold,
                        bool want_warm, bool want_image)
{
    int best = FB_ENONODE;

    for (int i = 0; i < n; i++) {
        if (!fb_node_eligible(&nodes[i], ram_threshold))
            continue;
        if ((want_warm && !nodes[i].has_warm) || (want_image && !nodes[i].has_image))
            continue;
        if (best < 0 || less_loaded(&nodes[i], &nodes[best]))
            best = i;
    }
    return best;
}

static int warm_select(void *state, const struct fb_node_view *nodes, int n,
                       const struct fb_select_ctx *ctx)
{
    int i;

    (void)state;
    i = least_loaded(nodes, n, ctx->ram_threshold, true, false);
    if (i < 0)
        i = least_loaded(nodes, n, ctx->ram_threshold, false, true);
    if (i < 0)
        i = least_loaded(nodes, n, ctx->ram_threshold, false, false);
    return i;
}

const struct fb_policy fb_policy_warm_aware = {
    .name = "warm-aware",
    .summary = "the least-loaded eligible node holding a warm container, else the image, "
               "else any",
    .ops = {.select = warm_select},
};
