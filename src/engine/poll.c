/* poll.c - node metrics: every node's CPU % and RAM % polled in parallel, at
 * each selection or from a background thread at an interval, and told to the
 * decision core; a node that cannot be polled goes down. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "engine/engine_priv.h"

/* The memory a node offers instances: its setting, else its metrics' limit,
 * else unbounded. Under the lock. */
static double capacity_mb(const struct enode *nd)
{
    if (nd->cfg->memory_mb > 0)
        return nd->cfg->memory_mb;
    if (nd->have_prev && nd->prev.cumulative && nd->prev.mem_limit > 0)
        return (double)nd->prev.mem_limit / (1024.0 * 1024.0);
    return INFINITY;
}

/* One poll of nd; concurrent callers share the one under way. */
static void poll_task(struct fb_engine *e, struct enode *nd)
{
    struct fb_exec_result res = {0};
    struct fb_counters cur;
    enum fb_metrics_format format = nd->has_offer ? nd->offer_format : e->o.metrics_format;
    const char *command = nd->has_offer ? nd->offer_command : e->o.metrics_command;

    if (format == FB_METRICS_NONE || command == NULL || nd->mconn == NULL)
        return; /* a node with nothing to report reads 0 % */
    pthread_mutex_lock(&e->lock);
    if (nd->polling) {
        unsigned long gen = nd->poll_gen;
        while (nd->polling && nd->poll_gen == gen)
            pthread_cond_wait(&e->changed, &e->lock);
        pthread_mutex_unlock(&e->lock);
        return;
    }
    nd->polling = true;
    pthread_mutex_unlock(&e->lock);

    /* A node that does not answer holds up the poll of every node. */
    int timeout = e->o.metrics_timeout_ms > 0 ? e->o.metrics_timeout_ms : e->o.command_timeout_ms;
    int rc = fb_conn_exec(nd->mconn, command, timeout, &res, &nd->task_err);
    if (rc == 0 && res.exit_status != 0)
        rc = fb_errf(&nd->task_err, FB_EMETRICS, "metrics command exited %d: %.200s",
                     res.exit_status, res.err != NULL ? res.err : "");
    if (rc == 0)
        rc = fb_metrics_parse(format, res.out != NULL ? res.out : "", &cur, &nd->task_err);

    struct fb_node_sample sample = {.node = nd->idx, .name = nd->cfg->name, .up = rc == 0,
                                    .cpu_pct = NAN, .ram_pct = NAN};
    pthread_mutex_lock(&e->lock);
    if (rc == 0) {
        fb_cluster_set_load(e->cl, nd->idx,
                            fb_metrics_cpu_pct(nd->have_prev ? &nd->prev : NULL, &cur),
                            fb_metrics_ram_pct(&cur));
        fb_cluster_load(e->cl, nd->idx, &sample.cpu_pct, &sample.ram_pct);
        nd->prev = cur;
        nd->have_prev = true;
        fb_cluster_set_capacity(e->cl, nd->idx, capacity_mb(nd));
    } else {
        /* A policy cannot place work on a node it cannot see. */
        char why[FB_ERRMSG_LEN + 32];
        snprintf(why, sizeof(why), "metrics: %s", nd->task_err.msg);
        eng_mark_down_locked(e, nd, why);
    }
    nd->task_rc = rc;
    nd->polling = false;
    nd->poll_gen++;
    sample.inflight = fb_cluster_inflight(e->cl, nd->idx);
    sample.instances = fb_cluster_instances(e->cl, nd->idx, NULL, NULL);
    for (int f = 0; !fb_cluster_keepalive(e->cl) && f < e->n_fns; f++)
        sample.instances += fb_cluster_has_warm(e->cl, nd->idx, f);
    sample.used_mb = fb_cluster_used_mb(e->cl, nd->idx);
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    fb_exec_result_free(&res);
    if (e->o.polled != NULL) {
        sample.unix_ms = fb_unix_ms();
        e->o.polled(e->o.polled_ctx, &sample);
    }
}

void fb_engine_poll(struct fb_engine *e)
{
    if (e->o.metrics_format == FB_METRICS_NONE)
        return;
    eng_for_each_node(e, poll_task, false);
}

static void *poller_main(void *p)
{
    struct fb_engine *e = p;
    double due = fb_mono_ms();
    for (;;) {
        fb_engine_poll(e);
        due += e->o.metrics_interval_ms;
        struct timespec next = fb_mono_timespec(due);
        pthread_mutex_lock(&e->lock);
        int rc = 0;
        while (!e->poller_stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&e->poller_cv, &e->lock, &next);
        bool stop = e->poller_stop;
        pthread_mutex_unlock(&e->lock);
        if (stop)
            return NULL;
    }
}

void eng_poller_start(struct fb_engine *e)
{
    if (e->poller_on || e->o.metrics_interval_ms <= 0 ||
        e->o.metrics_format == FB_METRICS_NONE)
        return;
    e->poller_stop = false;
    e->poller_on = pthread_create(&e->poller, NULL, poller_main, e) == 0;
}

void eng_poller_stop(struct fb_engine *e)
{
    if (!e->poller_on)
        return;
    pthread_mutex_lock(&e->lock);
    e->poller_stop = true;
    pthread_cond_broadcast(&e->poller_cv);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->poller, NULL);
    e->poller_on = false;
}
