/* policy.h - scheduling policies: the plug-in interface and the lookup table. */
#ifndef FB_POLICY_H
#define FB_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "types.h"

/* What a policy sees of one node at selection time. */
struct fb_node_view {
    const char *name;
    double cpu_pct;   /* of the node's capacity, 0..100 */
    double ram_pct;   /* of the node's limit, 0..100 */
    bool down;        /* unreachable: never eligible */
    bool has_image;   /* the function's image is present (pre-warmed) */
    bool has_warm;    /* a warm container of the function runs there */
    int inflight;     /* invocations running there now */
};

struct fb_select_ctx {
    int function;              /* index in the experiment's functions */
    const char *function_name;
    double ram_threshold;      /* percent: nodes at or above it are skipped */
};

struct fb_policy_ops {
    /* Allocates per-cell state in *state (may stay NULL). 0 or FB_ENOMEM. */
    int (*init)(void **state, uint64_t seed);
    /* Index in nodes[0..n) of the chosen node, or FB_ENONODE. */
    int (*select)(void *state, const struct fb_node_view *nodes, int n,
                  const struct fb_select_ctx *ctx);
    void (*free)(void *state);
};

struct fb_policy {
    const char *name;    /* as written in experiment files */
    const char *summary; /* one line, for --help and the README */
    struct fb_policy_ops ops;
};

/* Every policy, in the order of the table in registry.c. */
extern const struct fb_policy fb_policy_round_robin;
extern const struct fb_policy fb_policy_least_used;
extern const struct fb_policy fb_policy_most_used;
extern const struct fb_policy fb_policy_random;
extern const struct fb_policy fb_policy_power_of_two;
extern const struct fb_policy fb_policy_hash_affinity;
extern const struct fb_policy fb_policy_warm_aware;

/* The policy called name, or NULL. */
const struct fb_policy *fb_policy_find(const char *name);
/* The i-th policy of the table, or NULL past the end (for listings). */
const struct fb_policy *fb_policy_at(int i);
/* Checks every table entry has its hooks; 0 or FB_EINVAL naming the policy. */
int fb_policy_table_check(struct fb_errbuf *eb);

/* A node a policy may choose: up and under the RAM threshold. */
static inline bool fb_node_eligible(const struct fb_node_view *v, double ram_threshold)
{
    return !v->down && v->ram_pct < ram_threshold;
}

/* The selection chain: a node holding a warm container of the function,
 * else one holding its image, else the base policy's pick (cold). Within a
 * tier the base policy chooses among that tier's eligible nodes. Sets
 * *mode to what will run there. Returns the node index or FB_ENONODE. */
int fb_chain_select(const struct fb_policy *p, void *state,
                    const struct fb_node_view *nodes, int n,
                    const struct fb_select_ctx *ctx, enum fb_warming *mode);

#endif
