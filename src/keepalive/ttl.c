/* ttl.c - ttl: a fixed keep-alive after last use; under memory pressure
 * the least recently used idle instance goes first.
 *
 * Source: the fixed keep-alive of the production platforms. OpenWhisk's
 * invoker keeps an idle action container 10 minutes by default
 * (whisk.container-proxy.timeouts.idle-container = 10 minutes in
 * core/invoker/src/main/resources/application.conf, the ContainerProxy's
 * unused timeout), hence the default; Serverless in the Wild (Shahrad et
 * al., USENIX ATC'20, section 4) reports 10 minutes for AWS Lambda and 20
 * for Azure Functions, and evaluates fixed keep-alive as its baseline.
 * Parameters: ttl_s (default 600, [0, 1e9] s of workload time).
 * Variant: idle() returns the call's end + ttl_s: an instance idle for
 * ttl_s since its last call goes then (an arrival exactly at that time
 * finds it gone); ttl_s = 0 behaves as none. The clock restarts at the end
 * of every call. Under pressure: fb_ka_least_recent, whatever the time
 * left. */
#include <stdlib.h>

#include "core/error.h"
#include "keepalive/keepalive.h"

static const struct fb_plugopt ttl_options[] = {
    {"ttl_s", FB_PLUGOPT_NUMBER, 600, 0, 1e9,
     "seconds an idle instance is kept after its last call"},
    {NULL, 0, 0, 0, 0, NULL},
};

struct ttl_state {
    double ttl_s;
};

static int ttl_init(void **state, int n_functions, uint64_t seed, const double *params)
{
    struct ttl_state *s = malloc(sizeof(*s));

    (void)n_functions;
    (void)seed;
    if (s == NULL)
        return FB_ENOMEM;
    s->ttl_s = params != NULL ? params[0] : ttl_options[0].def;
    *state = s;
    return 0;
}

static void ttl_arrival(void *state, int f, double now)
{
    (void)state;
    (void)f;
    (void)now;
}

static double ttl_idle(void *state, struct fb_ka_instance *inst, double now, double *prewarm_at)
{
    const struct ttl_state *s = state;

    (void)inst;
    (void)prewarm_at;
    return now + s->ttl_s;
}

static int ttl_victim(void *state, const struct fb_ka_instance *idle, int n, double now)
{
    (void)state;
    (void)now;
    return fb_ka_least_recent(idle, n);
}

static void ttl_free(void *state)
{
    free(state);
}

const struct fb_keepalive fb_keepalive_ttl = {
    .name = "ttl",
    .summary = "keep an idle instance ttl_s after its last call; under pressure, least recent first",
    .source = "fixed keep-alive: OpenWhisk's idle-container timeout, 10 minutes by default",
    .options = ttl_options,
    .ops = {.init = ttl_init,
            .arrival = ttl_arrival,
            .idle = ttl_idle,
            .victim = ttl_victim,
            .free = ttl_free},
};
