/* hash_affinity.c - HashAffinity: a home node per function by name hash (OpenWhisk's scheme). */

/* Each function has a home node and a fixed probe order past it:
 *
 * h    = FNV-1a 64-bit of the function name (offset basis 14695981039346656037,
 *        prime 1099511628211, over the name's bytes without the NUL);
 * home = h mod n;
 * step = the ((h / n) mod c)-th (from 0) of the c integers in [1, n)
 *        coprime to n, in increasing order (1 when n = 1): the quotient is
 *        the second hash, the part of h that the home did not use.
 * The probe visits home, home + step, home + 2 step, ... (mod n): because
 * step is coprime to n, that is every node exactly once. The first eligible
 * node that is not overloaded wins. Overloaded: cpu_pct >= 90, or
 * inflight >= 4 (four invocations running there already). When every
 * eligible node is overloaded, the eligible node with the lowest cpu_pct,
 * the earliest in the probe order on a tie. No eligible node: FB_ENONODE.
 * The same function keeps its home as long as n stays the same (the chain
 * calls this on its warm and pre-warmed tiers too, each with its own n). */
#include <stdint.h>

#include "core/error.h"
#include "policies/policy.h"

#define HA_CPU_OVERLOADED 90.0 /* percent: at or above, the node is overloaded */
#define HA_MAX_INFLIGHT 4      /* invocations in flight: at or above, overloaded */

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static int gcd(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The pick-th (mod their count) integer in [1, n) coprime to n; 1 if none. */
static int coprime_step(int n, uint64_t pick)
{
    int count = 0, k;

    for (int s = 1; s < n; s++)
        if (gcd(n, s) == 1)
            count++;
    if (count == 0)
        return 1;
    k = (int)(pick % (uint64_t)count);
    for (int s = 1; s < n; s++)
        if (gcd(n, s) == 1 && k-- == 0)
            return s;
    return 1; /* not reached */
}

static bool overloaded(const struct fb_node_view *v)
{
    return v->cpu_pct >= HA_CPU_OVERLOADED || v->inflight >= HA_MAX_INFLIGHT;
}

static int ha_select(void *state, const struct fb_node_view *nodes, int n,
                     const struct fb_select_ctx *ctx)
{
    uint64_t h;
    int i, step, fallback = FB_ENONODE;

    (void)state;
    if (n <= 0)
        return FB_ENONODE;
    h = fnv1a64(ctx->function_name != NULL ? ctx->function_name : "");
    i = (int)(h % (uint64_t)n);
    step = coprime_step(n, h / (uint64_t)n);
    for (int k = 0; k < n; k++, i = (i + step) % n) {
        if (!fb_node_eligible(&nodes[i], ctx->ram_threshold))
            continue;
        if (!overloaded(&nodes[i]))
            return i;
        if (fallback < 0 || nodes[i].cpu_pct < nodes[fallback].cpu_pct)
            fallback = i;
    }
    return fallback;
}

const struct fb_policy fb_policy_hash_affinity = {
    .name = "hash-affinity",
    .summary = "the function's home node (name hash), else the next in its probe order "
               "that is not overloaded",
    .ops = {.select = ha_select},
};
