/* chain.c - the selection chain: warmed node, else pre-warmed node, else cold. */
#include <stdlib.h>

#include "core/error.h"
#include "policies/policy.h"

/* Runs the base policy over the eligible nodes of one tier, the nodes at
 * idx[0..k) (ascending); index in nodes or FB_ENONODE. Once the policy has
 * been asked, ctx->arrival is false: the later tiers place the same
 * invocation. */
static int select_tier(const struct fb_policy *p, void *state, const struct fb_node_view *nodes,
                       const int *idx, int k, struct fb_node_view *view, int *map,
                       struct fb_select_ctx *ctx)
{
    int m = 0, pick = FB_ENONODE;

    for (int j = 0; j < k; j++) {
        if (!fb_node_eligible(&nodes[idx[j]], ctx->ram_threshold))
            continue;
        view[m] = nodes[idx[j]];
        map[m++] = idx[j];
    }
    if (m > 0) {
        pick = p->ops.select(state, view, m, ctx);
        ctx->arrival = false;
        if (pick >= 0)
            pick = map[pick];
    }
    return pick;
}

int fb_chain_select_tiers(const struct fb_policy *p, void *state,
                          const struct fb_node_view *nodes, int n,
                          const struct fb_chain_tiers *t, const struct fb_select_ctx *ctx,
                          enum fb_warming *mode)
{
    struct fb_select_ctx c = *ctx;
    struct fb_chain_tiers tiers = *t;
    int i = select_tier(p, state, nodes, t->warm, t->n_warm, t->view, t->map, &c);

    if (i >= 0) {
        *mode = FB_WARM_WARMED;
        return i;
    }
    if (i == FB_ENOMEM)
        return i;
    if (tiers.before_image != NULL)
        tiers.before_image(tiers.ctx, &tiers);
    i = select_tier(p, state, nodes, tiers.image, tiers.n_image, t->view, t->map, &c);
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

enum { STACK_NODES = 64 };

int fb_chain_select(const struct fb_policy *p, void *state,
                    const struct fb_node_view *nodes, int n,
                    const struct fb_select_ctx *ctx, enum fb_warming *mode)
{
    int stack_idx[2 * STACK_NODES], stack_map[STACK_NODES];
    struct fb_node_view stack_view[STACK_NODES];
    int *idx = stack_idx, *map = stack_map;
    struct fb_node_view *view = stack_view;
    struct fb_chain_tiers t = {0};
    int rc;

    if (n > STACK_NODES) {
        idx = malloc(sizeof(*idx) * 2 * (size_t)n);
        map = malloc(sizeof(*map) * (size_t)n);
        view = malloc(sizeof(*view) * (size_t)n);
        if (idx == NULL || map == NULL || view == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
    }
    t.warm = idx;
    t.image = idx + n;
    t.view = view;
    t.map = map;
    for (int i = 0; i < n; i++) {
        if (nodes[i].has_warm)
            idx[t.n_warm++] = i;
        if (nodes[i].has_image)
            idx[n + t.n_image++] = i;
    }
    rc = fb_chain_select_tiers(p, state, nodes, n, &t, ctx, mode);
out:
    if (idx != stack_idx)
        free(idx);
    if (map != stack_map)
        free(map);
    if (view != stack_view)
        free(view);
    return rc;
}
