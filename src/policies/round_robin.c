/* round_robin.c - RoundRobin: the next node in turn that is eligible. */
#include <stdlib.h>

#include "core/error.h"
#include "policies/policy.h"

struct rr_state {
    unsigned next; /* position of the next turn, over all selections */
};

static int rr_init(void **state, uint64_t seed, const double *params)
{
    (void)params;
    (void)seed;
    *state = calloc(1, sizeof(struct rr_state));
    return *state != NULL ? 0 : FB_ENOMEM;
}

/* Like the older testbed: one counter for every function; a node over the
 * RAM threshold is passed over and the turn moves on past it. */
static int rr_select(void *state, const struct fb_node_view *nodes, int n,
                     const struct fb_select_ctx *ctx)
{
    struct rr_state *s = state;
    for (int k = 0; k < n; k++) {
        int i = (int)((s->next + (unsigned)k) % (unsigned)n);
        if (fb_node_eligible(&nodes[i], ctx->ram_threshold)) {
            s->next += (unsigned)k + 1;
            return i;
        }
    }
    return FB_ENONODE;
}

static void rr_free(void *state)
{
    free(state);
}

const struct fb_policy fb_policy_round_robin = {
    .name = "round-robin",
    .summary = "each node in turn, skipping nodes at or over the RAM threshold",
    .ops = {.init = rr_init, .select = rr_select, .free = rr_free},
};
