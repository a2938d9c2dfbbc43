/* none.c - none: an instance goes as soon as its call ends, so every
 * invocation starts an instance (every call is a cold start, or pre-warmed
 * when the image is already on the node).
 *
 * Source: no keep-alive, the bound keep-alive policies are measured
 * against (every call pays the start of an instance).
 * Parameters: none.
 * Variant: idle() returns the call's end, so the instance is evicted then
 * (not under pressure). No instance is ever idle, so victim() only sees
 * one if the engine keeps an instance for reasons of its own; it then
 * takes the least recently used (fb_ka_least_recent). */
#include <stddef.h>

#include "keepalive/keepalive.h"

static int none_init(void **state, int n_functions, uint64_t seed, const double *params)
{
    (void)n_functions;
    (void)seed;
    (void)params;
    *state = NULL;
    return 0;
}

static void none_arrival(void *state, int f, double now)
{
    (void)state;
    (void)f;
    (void)now;
}

static double none_idle(void *state, struct fb_ka_instance *inst, double now,
                        double *prewarm_at)
{
    (void)state;
    (void)inst;
    (void)prewarm_at;
    return now;
}

static int none_victim(void *state, const struct fb_ka_instance *idle, int n, double now)
{
    (void)state;
    (void)now;
    return fb_ka_least_recent(idle, n);
}

static void none_free(void *state)
{
    (void)state;
}

const struct fb_keepalive fb_keepalive_none = {
    .name = "none",
    .summary = "evict an instance as soon as its call ends: every invocation starts one",
    .source = "no keep-alive: the bound keep-alive policies are measured against",
    .options = NULL,
    .ops = {.init = none_init,
            .arrival = none_arrival,
            .idle = none_idle,
            .victim = none_victim,
            .free = none_free},
};
