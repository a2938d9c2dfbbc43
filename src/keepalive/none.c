/* none.c - none: an instance goes as soon as its call ends, so every
 * invocation starts an instance (every call is a cold start, or pre-warmed
 * when the image is already on the node).
 *
 * Source: no keep-alive, the bound keep-alive policies are measured
 * against (every call pays the start of an instance).
 * Parameters: none.
 * Variant: idle() returns the call's end, so the instance is evicted then
 * (not under pressure). No instance is ever idle, so no victim is ever
 * asked for. */
#include "keepalive/keepalive.h"

static double none_idle(void *state, struct fb_ka_instance *inst, double now,
                        double *prewarm_at)
{
    (void)state;
    (void)inst;
    (void)prewarm_at;
    return now;
}

const struct fb_keepalive fb_keepalive_none = {
    .name = "none",
    .summary = "evict an instance as soon as its call ends: every invocation starts one",
    .source = "no keep-alive: the bound keep-alive policies are measured against",
    .ops = {.idle = none_idle},
};
