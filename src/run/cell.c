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

/* The row of o (under c->lock). */
static int record_locked(struct cell *c, int f, const struct fb_outcome *o, int64_t intended_ms,
                         bool warmup)
{
    struct run *r = c->r;
    struct fb_errbuf eb = {{0}};
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
    if (fb_runfolder_record(r->rf, &k, o, intended_ms, &eb) < 0) {
        fprintf(stderr, "faasbench: %s\n", eb.msg);
        rc = FB_EIO;
    } else {
        fb_obs_record(r->obs, r->cell_i, f, o->node_name != NULL ? (int)o->mode : -1,
                      o->error[0] == '\0', o->latency_ms / 1000.0);
    }
    /* keepalive.csv's latencies: steady state, as the summaries. */
    if (rc == 0 && o->error[0] == '\0' && !warmup && fb_sample_add(&c->lat, o->latency_ms) < 0)
        rc = FB_ENOMEM;
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
