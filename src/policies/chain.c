/* chain.c - the selection chain: warmed node, else pre-warmed node, else cold. */
#include <stdlib.h>

#include "core/error.h"
#include "policies/policy.h"

enum { STACK_NODES = 64 };

/* Runs the base policy over the eligible nodes of one tier; index in nodes
 * or FB_ENONODE. want_warm/want_image select the tier. Once the policy has
 * been asked, ctx->arrival is false: the later tiers place the same
 * invocation. */
static int select_tier(const struct fb_policy *p, void *state,
                       const struct fb_node_view *nodes, int n,
                       struct fb_select_ctx *ctx, bool want_warm, bool want_image)
{
    struct fb_node_view stack_view[STACK_NODES];
    int stack_map[STACK_NODES];
    struct fb_node_view *view = stack_view;
    int *map = stack_map;
    int m = 0, pick = FB_ENONODE;

    if (n > STACK_NODES) {
        view = malloc(sizeof(*view) * (size_t)n);
        map = malloc(sizeof(*map) * (size_t)n);
        if (view == NULL || map == NULL) {
            pick = FB_ENOMEM;
            goto out;
        }
    }
    for (int i = 0; i < n; i++) {
        if (want_warm && !nodes[i].has_warm)
            continue;
        if (want_image && !nodes[i].has_image)
            continue;
        if (!fb_node_eligible(&nodes[i], ctx->ram_threshold))
            continue;
        view[m] = nodes[i];
        map[m++] = i;
    }
    if (m > 0) {
        pick = p->ops.select(state, view, m, ctx);
        ctx->arrival = false;
        if (pick >= 0)
            pick = map[pick];
    }
out:
    if (view != stack_view)
        free(view);
    if (map != stack_map)
        free(map);
    return pick;
}

int fb_chain_select(const struct fb_policy *p, void *state,
                    const struct fb_node_view *nodes, int n,
                    const struct fb_select_ctx *ctx, enum fb_warming *mode)
{
    struct fb_select_ctx c = *ctx;
    int i = select_tier(p, state, nodes, n, &c, true, false);
    if (i >= 0) {
        *mode = FB_WARM_WARMED;
        return i;
    }
    if (i == FB_ENOMEM)
        return i;
    i = select_tier(p, state, nodes, n, &c, false, true);
    if (i >= 0) {
        *mode = FB_WARM_PREWARMED;
        return i;
    }
    if (i == FB_ENOMEM)
        return i;
    /* Cold: any eligible node. One holding the image was already preferred,
     * so the base policy sees the whole list. */
    i = p->ops.select(state, nodes, n, &c);
    if (i >= 0)
        *mode = nodes[i].has_image ? FB_WARM_PREWARMED : FB_WARM_COLD;
    return i;
}
