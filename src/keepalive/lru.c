/* lru.c - lru: no expiry; when a cold start needs room, the idle instance
 * used longest ago goes.
 *
 * Source: least-recently-used replacement as a keep-alive policy, one of
 * the baselines FaasCache (Fuerst and Sharma, ASPLOS'21, section 4)
 * compares greedy-dual against: keep-alive treated as caching, the node's
 * memory as the cache.
 * Parameters: none.
 * Variant: idle() returns INFINITY (an instance stays until memory is
 * needed, or the cell ends); the victim is the decision core's default,
 * fb_ka_least_recent: the lowest last_used_s, ties to the lowest id.
 * Recency is per instance, so of two idle instances of one function the
 * one used longer ago goes first. */
#include <math.h>

#include "keepalive/keepalive.h"

static double lru_idle(void *state, struct fb_ka_instance *inst, double now, double *prewarm_at)
{
    (void)state;
    (void)inst;
    (void)now;
    (void)prewarm_at;
    return INFINITY;
}

const struct fb_keepalive fb_keepalive_lru = {
    .name = "lru",
    .summary = "no expiry; under memory pressure the least recently used idle instance goes",
    .source = "LRU keep-alive, a baseline of FaasCache (Fuerst and Sharma, ASPLOS'21)",
    .ops = {.idle = lru_idle},
};
