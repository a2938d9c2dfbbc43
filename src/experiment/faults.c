/* faults.c - the fault schedule: resolved from the experiment, checked
 * against a workload's length, and asked which faults were active when. */
#include "experiment/faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fb_schedule_make(const struct fb_experiment *exp, struct fb_schedule *out)
{
    memset(out, 0, sizeof(*out));
    if (exp->n_faults == 0)
        return 0;
    if ((out->v = calloc((size_t)exp->n_faults, sizeof(*out->v))) == NULL)
        return FB_ENOMEM;
    for (int k = 0; k < exp->n_faults; k++) {
        const struct fb_fault_cfg *c = &exp->faults[k];
        struct fb_fault *f = &out->v[k];

        f->index = k;
        f->node = -1;
        for (int i = 0; i < exp->n_nodes && f->node < 0; i++)
            if (strcmp(exp->nodes[i].name, c->node) == 0)
                f->node = i;
        f->node_name = c->node;
        f->action = c->action;
        f->at_s = c->at_s;
        f->end_s = c->at_s + c->for_s;
        f->fraction = c->fraction;
        snprintf(f->name, sizeof(f->name), "f%d:%s:%s", k + 1, fb_fault_action_name(c->action),
                 c->node);
    }
    out->n = exp->n_faults;
    return 0;
}

void fb_schedule_free(struct fb_schedule *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int fb_schedule_check_length(const struct fb_experiment *exp, double length_s, const char *what,
                             struct fb_errbuf *eb)
{
    for (int k = 0; k < exp->n_faults; k++) {
        const struct fb_fault_cfg *f = &exp->faults[k];
        if (f->at_s + f->for_s <= length_s)
            continue;
        return fb_errf(eb, FB_ECONFIG,
                       "%s:%d: faults[%d].%s: the window %g-%g s ends past the end of the "
                       "workload (%s)",
                       exp->path, f->line, k, f->at_s >= length_s ? "at_s" : "for_s", f->at_s,
                       f->at_s + f->for_s, what);
    }
    return 0;
}

void fb_schedule_active(const struct fb_schedule *s, const struct fb_fault_window *w,
                        int64_t t_ms, char *buf, size_t n)
{
    size_t len = 0;

    if (n == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < s->n; k++) {
        if (w[k].begin_ms == 0 || w[k].begin_ms > t_ms || (w[k].end_ms != 0 && w[k].end_ms <= t_ms))
            continue;
        int m = snprintf(buf + len, n - len, "%s%s", len > 0 ? " " : "", s->v[k].name);
        if (m < 0 || (size_t)m >= n - len) {
            buf[len] = '\0'; /* a name that does not fit is left out whole */
            return;
        }
        len += (size_t)m;
    }
}

int fb_schedule_at(const struct fb_schedule *s, int node, double t)
{
    for (int k = 0; k < s->n; k++)
        if (s->v[k].node == node && s->v[k].at_s <= t && t < s->v[k].end_s)
            return k;
    return -1;
}
