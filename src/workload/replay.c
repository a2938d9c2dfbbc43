/* replay.c - open loop: the arrivals of a trace file (trace.h), with the work
 * each event gives. */
#include <stdlib.h>

#include "workload/workload.h"

struct replay {
    size_t next;
};

static long replay_count(const struct fb_experiment *exp, const struct fb_trace *trace)
{
    (void)exp;
    return trace != NULL ? (long)trace->n : 0;
}

static int replay_begin(struct fb_workload *w)
{
    if ((w->state = calloc(1, sizeof(struct replay))) == NULL)
        return FB_ENOMEM;
    return 0;
}

static int replay_next(struct fb_workload *w, int c, double now, struct fb_issue *out)
{
    struct replay *s = w->state;
    (void)c;
    (void)now;
    if (w->trace == NULL || s->next >= w->trace->n)
        return 0;
    const struct fb_trace_event *ev = &w->trace->ev[s->next++];
    *out = (struct fb_issue){ev->function, ev->t_s, ev->duration_ms, ev->memory_mb};
    return 1;
}

static void replay_end(struct fb_workload *w)
{
    free(w->state);
}

const struct fb_workload_ops fb_workload_trace = {
    .kind = FB_WORKLOAD_TRACE,
    .open_loop = true,
    .count = replay_count,
    .begin = replay_begin,
    .next = replay_next,
    .end = replay_end,
};
