/* policy.h - scheduling policies: the plug-in interface and the lookup table. */
#ifndef FB_POLICY_H
#define FB_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/plugopt.h"
#include "core/types.h"

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

/* What a policy is told about the invocation being placed. A caller that
 * leaves now_s and arrival out of a designated initialiser gets 0 and
 * false: no clock, and not an arrival (as for a warming pick). */
struct fb_select_ctx {
    int function;              /* index in the experiment's functions */
    const char *function_name;
    double ram_threshold;      /* percent: nodes at or above it are skipped */
    /* Seconds since the cell began on the workload's clock (monotonic,
     * never decreasing within a cell). 0 when the caller has no clock:
     * policies that need time (ch-rlu's arrival rates) then behave as
     * documented for a clock that stands still. */
    double now_s;
    /* True exactly once per invocation: on the engine's first selection for
     * it. False when the engine selects again for the same invocation
     * (after waiting for a busy node, or for a retry on another node) and
     * for picks that place no invocation (warming nodes at the start of a
     * cell). fb_chain_select passes it to the first policy call only, so a
     * policy that counts arrivals counts each once whatever tiers it is
     * asked about. */
    bool arrival;
};

struct fb_policy_ops {
    /* Allocates per-cell state in *state (may stay NULL). params: the
     * values of the policy's options table, in its order; NULL when it has
     * none, and taken as the table's defaults when it has some. 0 or
     * FB_ENOMEM. */
    int (*init)(void **state, uint64_t seed, const double *params);
    /* Index in nodes[0..n) of the chosen node, or FB_ENONODE; FB_ENOMEM
     * when state the policy keeps cannot grow. */
    int (*select)(void *state, const struct fb_node_view *nodes, int n,
                  const struct fb_select_ctx *ctx);
    void (*free)(void *state);
    /* Optional (NULL when the policy does not need it): an invocation of
     * function (index, as in fb_select_ctx) has ended on the node called
     * node (fb_node_view.name: views hand a policy different subsets of the
     * nodes, so a node is known by its name, not its index), at now_s (as
     * in fb_select_ctx). The engine calls it once for each attempt that ran
     * on a node, success or not, after that node's in-flight count has gone
     * down, and not for an attempt whose node failed (it is marked down).
     * A policy with done needs state: init and free are set too. */
    void (*done)(void *state, const char *node, int function, double now_s);
};

/* Calls of select and done on one state never overlap: the engine makes
 * them under its lock. A policy's state needs no locking of its own. */

struct fb_policy {
    const char *name;    /* as written in experiment files */
    const char *summary; /* one line, for --help and the README */
    struct fb_policy_ops ops;
    const struct fb_plugopt *options; /* its parameters ("name:key=value"), or NULL */
};

/* Every policy, in the order of the table in policy_table.c. */
extern const struct fb_policy fb_policy_round_robin;
extern const struct fb_policy fb_policy_least_used;
extern const struct fb_policy fb_policy_most_used;
extern const struct fb_policy fb_policy_random;
extern const struct fb_policy fb_policy_power_of_two;
extern const struct fb_policy fb_policy_hash_affinity;
extern const struct fb_policy fb_policy_warm_aware;
extern const struct fb_policy fb_policy_least_connections;
extern const struct fb_policy fb_policy_ch_bl;
extern const struct fb_policy fb_policy_ch_rlu;
extern const struct fb_policy fb_policy_pull_based;

/* The policy called name, or NULL. */
const struct fb_policy *fb_policy_find(const char *name);
/* The policy of spec "NAME[:KEY=VALUE,...]" with its parameters parsed into
 * *out (the defaults where unset), or NULL with eb saying why (an unknown
 * name gets FB_EINVAL's "unknown policy" from the caller). */
const struct fb_policy *fb_policy_find_spec(const char *spec, struct fb_plugspec *out,
                                            struct fb_errbuf *eb);
/* The i-th policy of the table, or NULL past the end (for listings). */
const struct fb_policy *fb_policy_at(int i);
/* Checks every table entry has its hooks; 0 or FB_EINVAL naming the policy. */
int fb_policy_table_check(struct fb_errbuf *eb);
/* Writes every policy to f, one a line with its summary, then each of its
 * parameters on a line of its own: name=default, kind, range and help
 * (faasbench --list-policies). */
void fb_policy_list(FILE *f);

/* A node a policy may choose: up and under the RAM threshold. */
static inline bool fb_node_eligible(const struct fb_node_view *v, double ram_threshold)
{
    return !v->down && v->ram_pct < ram_threshold;
}

/* The selection chain: a node holding a warm container of the function,
 * else one holding its image, else the base policy's pick (cold). Within a
 * tier the base policy chooses among that tier's eligible nodes, in the
 * order of nodes[]. Sets *mode to what will run there. Returns the node
 * index, FB_ENONODE or FB_ENOMEM. ctx->now_s reaches every call of the
 * policy, ctx->arrival only the first. */
int fb_chain_select(const struct fb_policy *p, void *state,
                    const struct fb_node_view *nodes, int n,
                    const struct fb_select_ctx *ctx, enum fb_warming *mode);

/* The tiers of the chain given as node indices, for a caller that keeps
 * them (the decision core): warm[] the nodes with a warm instance or
 * container of the function, image[] those with its image, each ascending.
 * nodes[] must carry the same has_warm/has_image flags (the cold tier's
 * policy sees the whole list). view and map are scratch of n entries each. */
struct fb_chain_tiers {
    const int *warm;
    int n_warm;
    const int *image;
    int n_image;
    struct fb_node_view *view;
    int *map;
    /* Called (when set) once the warm tier has no eligible node, before the
     * image and cold tiers: the caller may then fill image and mark nodes
     * in nodes[] down (the warm tier never needs them). */
    void (*before_image)(void *ctx, struct fb_chain_tiers *t);
    void *ctx;
};

/* fb_chain_select over tiers t. */
int fb_chain_select_tiers(const struct fb_policy *p, void *state,
                          const struct fb_node_view *nodes, int n,
                          const struct fb_chain_tiers *t, const struct fb_select_ctx *ctx,
                          enum fb_warming *mode);

#endif
