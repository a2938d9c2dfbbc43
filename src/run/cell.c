/* cell.c - one cell's bookkeeping, the same whichever executor runs it: a row
 * per invocation, the keep-alive events and latencies, the progress line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "run/run_priv.h"

volatile sig_atomic_t fb_run_stop = 0;

/* "1 h 02 min", "3 min 05 s", "12 s". */
static void human_time(double s, char *buf, size_t n)
{
    long t = s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld h %02ld min", t / 3600, t % 3600 / 60);
    else if (t >= 60)
        snprintf(buf, n, "%ld min %02ld s", t / 60, t % 60);
    else
        snprintf(buf, n, "%ld s", t);
}

void fb_run_progress(struct run *r, const char *policy, const char *warming, bool final)
{
    char left[48] = "";

    if (r->opts->quiet || (!r->tty && !final))
        return;
    double elapsed = fb_mono_s() - r->t_start;
    /* Time left at the pace of this run so far (its resumed part only). */
    if (r->total > 0 && r->done > 0 && r->done < r->total) {
        char t[32];
        human_time(elapsed / (double)r->done * (double)(r->total - r->done), t, sizeof(t));
        snprintf(left, sizeof(left), ", about %s left", t);
    }
    fprintf(stderr, "%s[cell %d/%d %s %s] %ld/%ld invocations, %ld errors, %.1f s%s%s",
            r->tty ? "\r" : "", r->cell_i + 1, r->n_cells, policy, warming, r->done, r->total,
            r->errors, elapsed, left, final ? "\n" : (r->tty ? "\033[K" : ""));
    fflush(stderr);
}

bool fb_cell_warmup(const struct cell *c, bool open_loop, double t_s, int64_t start_ms)
{
    const struct fb_workload_cfg *w = &c->r->exp->workload;
    double scale = w->kind == FB_WORKLOAD_TRACE ? w->time_scale : 1.0;

    if (open_loop)
        return t_s < w->warmup_s * scale;
    return (double)(start_ms - c->t0_unix_ms) < w->warmup_s * 1000.0;
}

/* Writes the row of o (under c->lock), naming the fault windows its call
 * started in. */
static int write_row(struct cell *c, const struct fb_rowkey *key, const struct fb_outcome *o,
                     int64_t intended_ms)
{
    struct run *r = c->r;
    struct fb_errbuf eb = {{0}};
    struct fb_rowkey k = *key;
    char active[4096] = ""; /* one fault per node at a time: room for dozens */

    if (c->fw != NULL)
        fb_schedule_active(&r->sched, c->fw, o->start_ms, active, sizeof(active));
    k.faults = active;
    if (fb_runfolder_record(r->rf, &k, o, intended_ms, &eb) < 0) {
        fprintf(stderr, "faasbench: %s\n", eb.msg);
        return FB_EIO;
    }
    return 0;
}

/* A row held while a fault begins or ends: which windows its call started
 * in is known once the node has said when. */
struct held_row {
    struct fb_outcome o;
    struct fb_rowkey k;
    int64_t intended_ms;
};

/* Writes the rows held (under c->lock). */
static int flush_held(struct cell *c)
{
    int rc = 0;

    for (size_t i = 0; i < c->n_held; i++) {
        struct held_row *h = &((struct held_row *)c->held)[i];
        if (rc == 0)
            rc = write_row(c, &h->k, &h->o, h->intended_ms);
    }
    c->n_held = 0;
    if (rc < 0 && c->rc == 0)
        c->rc = rc;
    return rc;
}

/* The row of o (under c->lock), held while a fault begins or ends. */
static int record_locked(struct cell *c, int f, const struct fb_outcome *o, int64_t intended_ms,
                         bool warmup)
{
    struct run *r = c->r;
    int rc = 0;

    struct fb_rowkey k = {
        .repetition = c->cell->repetition,
        .policy = c->pname,
        .warming = c->wname,
        .function = r->exp->functions[f].name,
        .seq = ++c->seq[f],
        .warmup = warmup,
    };
    r->done++;
    if (o->error[0] != '\0')
        r->errors++;
    if (c->fault_busy > 0) {
        if (c->n_held == c->cap_held) {
            size_t cap = c->cap_held ? c->cap_held * 2 : 16;
            void *p = realloc(c->held, cap * sizeof(struct held_row));
            if (p == NULL) {
                rc = FB_ENOMEM;
                goto out;
            }
            c->held = p;
            c->cap_held = cap;
        }
        ((struct held_row *)c->held)[c->n_held++] = (struct held_row){*o, k, intended_ms};
    } else {
        rc = write_row(c, &k, o, intended_ms);
    }
    if (rc == 0) {
        fb_obs_record(r->obs, r->cell_i, f, o->node_name != NULL ? (int)o->mode : -1,
                      o->error[0] == '\0', o->latency_ms / 1000.0);
    }
    /* keepalive.csv's latencies: steady state, as the summaries. */
    if (rc == 0 && o->error[0] == '\0' && !warmup && fb_sample_add(&c->lat, o->latency_ms) < 0)
        rc = FB_ENOMEM;
out:
    if (rc < 0 && c->rc == 0)
        c->rc = rc;
    fb_run_progress(r, c->pname, c->wname, false);
    return rc;
}

int fb_cell_record(struct cell *c, int f, const struct fb_outcome *o, int64_t intended_ms,
                   bool warmup)
{
    pthread_mutex_lock(&c->lock);
    int rc = record_locked(c, f, o, intended_ms, warmup);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int fb_cell_count(struct cell *c, int f, int mode, double latency_ms, bool warmup)
{
    struct run *r = c->r;
    int rc = 0;

    pthread_mutex_lock(&c->lock);
    c->seq[f]++;
    r->done++;
    if (isnan(latency_ms))
        r->errors++;
    else if (!warmup && fb_sample_add(&c->lat, latency_ms) < 0)
        rc = FB_ENOMEM;
    fb_obs_record(r->obs, r->cell_i, f, mode, !isnan(latency_ms), latency_ms / 1000.0);
    if (rc < 0 && c->rc == 0)
        c->rc = rc;
    fb_run_progress(r, c->pname, c->wname, false);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void fb_cell_ka_event(void *ctx, const struct fb_ka_event *ev)
{
    struct cell *c = ctx;

    if (c->events != NULL)
        fb_runfolder_format_event(c->r->rf, c->events, &c->kkey, ev);
}

/* ---- faults and node polls ---- */

void fb_cell_fault_busy(struct cell *c)
{
    pthread_mutex_lock(&c->lock);
    c->fault_busy++;
    pthread_mutex_unlock(&c->lock);
}

void fb_cell_fault_settled(struct cell *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->fault_busy > 0 && --c->fault_busy == 0)
        flush_held(c);
    pthread_mutex_unlock(&c->lock);
}

void fb_cell_fault_began(struct cell *c, int k, int64_t begin_ms)
{
    pthread_mutex_lock(&c->lock);
    if (c->fw != NULL && k >= 0 && k < c->r->sched.n)
        c->fw[k].begin_ms = begin_ms > 0 ? begin_ms : 1;
    pthread_mutex_unlock(&c->lock);
}

/* Workload seconds of unix ms t in the cell; NAN for 0. */
static double cell_s(const struct cell *c, int64_t t)
{
    if (t <= 0)
        return NAN;
    return (double)(t - c->t0_unix_ms) / 1000.0 / c->time_scale;
}

void fb_cell_fault_ended(struct cell *c, int k, const struct fault_report *rep)
{
    struct run *r = c->r;
    struct fb_errbuf eb = {{0}};

    pthread_mutex_lock(&c->lock);
    if (c->fw == NULL || k < 0 || k >= r->sched.n || c->fault_row[k]) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    const struct fb_fault *f = &r->sched.v[k];
    const struct fb_fault_cfg *fc = &r->exp->faults[k];
    int64_t begin = rep->begin_ms > 0 ? rep->begin_ms : c->fw[k].begin_ms;
    int64_t end = rep->end_ms;
    /* kill-instances is over at once; its window is what the summaries
     * look at, for_s from when it struck. */
    if (f->action == FB_FAULT_KILL && begin > 0)
        end = begin + (int64_t)llround(fc->for_s * c->time_scale * 1000.0);
    if (begin > 0) {
        c->fw[k].begin_ms = begin;
        c->fw[k].end_ms = end > 0 ? end : 0;
    }
    c->fault_row[k] = true;
    struct fb_fault_row row = {
        .cell = r->cell_i,
        .repetition = c->cell->repetition,
        .policy = c->pname,
        .warming = c->wname,
        .fault = f->name,
        .node = f->node_name,
        .action = fb_fault_action_name(f->action),
        .fraction = f->action == FB_FAULT_SLOW ? f->fraction : NAN,
        .at_s = fc->at_s,
        .for_s = fc->for_s,
        .begin_s = cell_s(c, begin),
        .end_s = cell_s(c, end),
        .begin_ms = begin,
        .end_ms = end,
        .cell_start_ms = c->t0_unix_ms,
        .ended_by = rep->ended_by,
        .killed = rep->killed,
        .lost = rep->lost,
        .error = rep->error,
        .time_scale = c->time_scale,
    };
    if (fb_runfolder_fault(r->rf, &row, &eb) < 0) {
        fprintf(stderr, "faasbench: %s\n", eb.msg);
        if (c->rc == 0)
            c->rc = FB_EIO;
    }
    pthread_mutex_unlock(&c->lock);
}

void fb_cell_faults_close(struct cell *c)
{
    struct fault_report none = {.killed = -1, .lost = -1, .ended_by = "not-reached",
                                .error = "the cell ended before it"};

    for (int k = 0; c->fw != NULL && k < c->r->sched.n; k++)
        fb_cell_fault_ended(c, k, &none);
    pthread_mutex_lock(&c->lock);
    c->fault_busy = 0;
    flush_held(c);
    pthread_mutex_unlock(&c->lock);
    free(c->held);
    c->held = NULL;
    c->cap_held = 0;
}

void fb_run_node_polled(void *ctx, const struct fb_node_sample *s)
{
    struct run *r = ctx;
    struct fb_errbuf eb = {{0}};

    pthread_mutex_lock(&r->poll_lock);
    struct cell *c = r->cur;
    if (c != NULL && r->rf != NULL) {
        struct fb_node_row row = {
            .cell = r->cell_i,
            .repetition = c->cell->repetition,
            .policy = c->pname,
            .warming = c->wname,
            .t_s = c->t0_unix_ms > 0 ? cell_s(c, s->unix_ms) : NAN,
            .unix_ms = s->unix_ms,
            .node = s->name,
            .up = s->up,
            .cpu_pct = s->cpu_pct,
            .ram_pct = s->ram_pct,
            .inflight = s->inflight,
            .instances = s->instances,
            .used_mb = s->used_mb,
        };
        if (fb_runfolder_node_poll(r->rf, &row, &eb) < 0)
            fprintf(stderr, "faasbench: %s\n", eb.msg);
    }
    pthread_mutex_unlock(&r->poll_lock);
}
