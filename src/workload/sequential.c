/* sequential.c - the older testbed's client: for i in 1..N, each function in
 * turn, one at a time (N: matrix.invocations). */
#include <stdlib.h>

#include "workload/workload.h"

struct seq {
    long next, total;
};

static long seq_count(const struct fb_experiment *exp, struct fb_trace_reader *trace)
{
    (void)trace;
    return (long)exp->matrix.invocations * exp->n_functions;
}

static int seq_begin(struct fb_workload *w)
{
    struct seq *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return FB_ENOMEM;
    s->total = seq_count(w->exp, NULL);
    w->state = s;
    return 0;
}

static int seq_next(struct fb_workload *w, int c, double now, struct fb_issue *out)
{
    struct seq *s = w->state;
    (void)c;
    (void)now;
    if (s->next >= s->total)
        return 0;
    out->function = (int)(s->next++ % w->exp->n_functions);
    return 1;
}

static void seq_end(struct fb_workload *w)
{
    free(w->state);
}

const struct fb_workload_ops fb_workload_sequential = {
    .kind = FB_WORKLOAD_SEQUENTIAL,
    .count = seq_count,
    .begin = seq_begin,
    .next = seq_next,
    .end = seq_end,
};
