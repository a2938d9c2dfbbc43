/* replay.c - open loop: the arrivals of a trace file (trace.h), with the work
 * each event gives, read as the replay goes. */
#include <stdlib.h>

#include "workload/workload.h"

static long replay_count(const struct fb_experiment *exp, struct fb_trace_reader *trace)
{
    (void)exp;
    return trace != NULL ? (long)fb_trace_events(trace) : 0;
}

/* Each cell replays the trace from its first invocation, as its
 * repetition's draw: the cells of one repetition see the same arrivals,
 * each repetition a draw of its own. */
static int replay_begin(struct fb_workload *w)
{
    return w->trace != NULL ? fb_trace_rewind_draw(w->trace, w->draw) : FB_EINVAL;
}

static int replay_next(struct fb_workload *w, int c, double now, struct fb_issue *out)
{
    struct fb_trace_event ev;
    int rc;

    (void)c;
    (void)now;
    if ((rc = fb_trace_next(w->trace, &ev)) != 1)
        return rc;
    *out = (struct fb_issue){ev.function, ev.t_s, ev.duration_ms, ev.memory_mb};
    return 1;
}

const struct fb_workload_ops fb_workload_trace = {
    .kind = FB_WORKLOAD_TRACE,
    .open_loop = true,
    .count = replay_count,
    .begin = replay_begin,
    .next = replay_next,
};
