/* poisson.c - open loop: arrivals at `rate` per second for `duration_s`, gaps
 * drawn exponential and functions by weight from one seeded generator, made
 * one at a time as they are asked for (nothing held per arrival). */
#include <math.h>
#include <stdlib.h>

#include "workload/workload.h"

struct poisson {
    struct fb_rng rng;
    double t;
};

static long poisson_count(const struct fb_experiment *exp, struct fb_trace_reader *trace)
{
    (void)trace;
    return (long)llround(exp->workload.rate * exp->workload.duration_s);
}

static int poisson_begin(struct fb_workload *w)
{
    struct poisson *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FB_ENOMEM;
    fb_rng_seed(&s->rng, w->seed);
    w->state = s;
    return 0;
}

static int poisson_next(struct fb_workload *w, int c, double now, struct fb_issue *out)
{
    struct poisson *s = w->state;
    double u = fb_rng_unit(&s->rng) + 0x1.0p-53; /* (0, 1] */

    (void)c;
    (void)now;
    s->t += -log(u) / w->exp->workload.rate;
    if (s->t >= w->exp->workload.duration_s)
        return 0;
    out->t_s = s->t;
    out->function = fb_workload_pick(w, &s->rng);
    return 1;
}

static void poisson_end(struct fb_workload *w)
{
    free(w->state);
}

const struct fb_workload_ops fb_workload_poisson = {
    .kind = FB_WORKLOAD_POISSON,
    .open_loop = true,
    .count = poisson_count,
    .begin = poisson_begin,
    .next = poisson_next,
    .end = poisson_end,
};
