/* workload.c - the table of workload types and what they share. */
#include "workload/workload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct fb_workload_ops *const table[FB_WORKLOAD_N] = {
    [FB_WORKLOAD_SEQUENTIAL] = &fb_workload_sequential,
    [FB_WORKLOAD_CLOSED] = &fb_workload_closed,
    [FB_WORKLOAD_POISSON] = &fb_workload_poisson,
    [FB_WORKLOAD_TRACE] = &fb_workload_trace,
};

const struct fb_workload_ops *fb_workload_ops(enum fb_workload_kind kind)
{
    return (int)kind >= 0 && kind < FB_WORKLOAD_N ? table[kind] : NULL;
}

long fb_workload_count(const struct fb_experiment *exp, struct fb_trace_reader *trace)
{
    return fb_workload_ops(exp->workload.kind)->count(exp, trace);
}

int fb_workload_begin(const struct fb_experiment *exp, struct fb_trace_reader *trace,
                      uint64_t seed, unsigned draw, struct fb_workload *w)
{
    memset(w, 0, sizeof(*w));
    w->draw = draw;
    w->ops = fb_workload_ops(exp->workload.kind);
    w->exp = exp;
    w->trace = trace;
    w->seed = seed;
    w->clients = exp->workload.kind == FB_WORKLOAD_SEQUENTIAL ? 1
                 : exp->workload.clients > 0              ? exp->workload.clients
                                                          : 1;
    for (int f = 0; f < exp->n_functions; f++)
        w->weight_sum += exp->functions[f].weight;
    /* Client i draws from seed + 7919 i, as it always has. */
    if ((w->rng = calloc((size_t)w->clients, sizeof(*w->rng))) == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < w->clients; i++)
        fb_rng_seed(&w->rng[i], seed + (uint64_t)i * 7919);
    int rc = w->ops->begin != NULL ? w->ops->begin(w) : 0;
    if (rc < 0) {
        free(w->rng);
        w->rng = NULL;
    }
    return rc;
}

int fb_workload_next(struct fb_workload *w, int client, double now, struct fb_issue *out)
{
    out->duration_ms = out->memory_mb = NAN;
    out->t_s = now;
    return w->ops->next(w, client, now, out);
}

void fb_workload_end(struct fb_workload *w)
{
    if (w->ops != NULL && w->ops->end != NULL)
        w->ops->end(w);
    free(w->rng);
    memset(w, 0, sizeof(*w));
}

int fb_workload_open_trace(const struct fb_experiment *exp, struct fb_trace_reader **out,
                           struct fb_errbuf *eb)
{
    const char **names = calloc((size_t)exp->n_functions, sizeof(*names));
    int rc;

    if (names == NULL)
        return FB_ENOMEM;
    for (int f = 0; f < exp->n_functions; f++)
        names[f] = exp->functions[f].name;
    struct fb_trace_opts to = {
        .format = exp->workload.trace_format,
        .functions = names,
        .n_functions = exp->n_functions,
        .spread = exp->workload.spread,
        .time_scale = exp->workload.time_scale,
        .seed = exp->seed,
        .max_minutes = exp->workload.max_minutes,
        .max_events = (size_t)exp->workload.max_events,
        .durations = exp->workload.durations,
        .memory = exp->workload.memory,
    };
    rc = fb_trace_open(exp->workload.trace, &to, out, eb);
    free(names);
    return rc;
}
