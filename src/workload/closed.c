/* closed.c - closed loop: `clients` clients, each invoking back to back, a
 * function drawn by weight from its own generator, for `invocations` in all
 * (default matrix.invocations x functions) or for `duration_s`. */
#include <stdlib.h>

#include "workload/workload.h"

struct closed {
    long remaining; /* < 0: until the deadline */
    double deadline;
};

static long closed_count(const struct fb_experiment *exp, struct fb_trace_reader *trace)
{
    const struct fb_workload_cfg *wl = &exp->workload;
    (void)trace;
    if (wl->duration_s > 0)
        return 0;
    return wl->invocations > 0 ? wl->invocations
                               : (long)exp->matrix.invocations * exp->n_functions;
}

static int closed_begin(struct fb_workload *w)
{
    struct closed *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FB_ENOMEM;
    s->deadline = w->exp->workload.duration_s;
    s->remaining = s->deadline > 0 ? -1 : closed_count(w->exp, NULL);
    w->state = s;
    return 0;
}

static int closed_next(struct fb_workload *w, int c, double now, struct fb_issue *out)
{
    struct closed *s = w->state;

    if (s->deadline > 0 ? now >= s->deadline : s->remaining <= 0)
        return 0;
    if (s->deadline <= 0)
        s->remaining--;
    out->function = fb_workload_pick(w, &w->rng[c]);
    return 1;
}

static void closed_end(struct fb_workload *w)
{
    free(w->state);
}

const struct fb_workload_ops fb_workload_closed = {
    .kind = FB_WORKLOAD_CLOSED,
    .count = closed_count,
    .begin = closed_begin,
    .next = closed_next,
    .end = closed_end,
};
