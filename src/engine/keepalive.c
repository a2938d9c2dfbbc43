/* keepalive.c - keep-alive cells on real nodes: the keep-alive path of an
 * invocation (victims removed, an instance started by cold starts or reused
 * while idle), the timers' thread that removes expired instances and starts
 * pre-warms when the decision core says they are due, and the cell's begin
 * and end. Which instance, which victims and when are the core's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"

struct kacell {
    pthread_t timers;
    bool timers_on, timers_stop;
    pthread_cond_t cv;        /* CLOCK_MONOTONIC */
    void (*event)(void *ctx, const struct fb_ka_event *ev);
    void *event_ctx;
    struct fb_inst *left;     /* at the end: every instance left, for its node's task */
};

void eng_ka_name(const struct fb_engine *e, const struct fb_inst *in, char *buf, size_t n)
{
    snprintf(buf, n, "faasbench-ka-%s-%s-%d", e->fns[in->ka.function]->name, e->token,
             in->ka.id);
}

void eng_ka_event(void *ctx, const struct fb_inst *in, enum fb_inst_event ev, double t_s)
{
    struct fb_engine *e = ctx;
    char cname[96];

    if (e->ka == NULL || e->ka->event == NULL)
        return;
    eng_ka_name(e, in, cname, sizeof(cname));
    struct fb_ka_event row = {
        .t_s = t_s,
        .unix_ms = fb_unix_ms(),
        .node = e->nodes[in->ka.node]->cfg->name,
        .function = e->fns[in->ka.function]->name,
        .instance = cname,
        .event = fb_inst_event_name(ev),
        .memory_mb = in->ka.memory_mb,
    };
    e->ka->event(e->ka->event_ctx, &row);
}

void eng_ka_wake(struct fb_engine *e)
{
    if (e->ka != NULL)
        pthread_cond_signal(&e->ka->cv);
}

/* Removes instance in from nd on session k; logs a failure. */
static void remove_on(struct fb_engine *e, struct enode *nd, int k, const struct fb_inst *in)
{
    char cname[96], why[FB_ERRMSG_LEN];

    eng_ka_name(e, in, cname, sizeof(cname));
    if (eng_resident_remove_on(e, nd, nd->conns[k], in->ka.function, cname, why,
                               sizeof(why)) < 0)
        eng_log(e, "%s", why);
}

/* Removes the instances of list on nd's session k and frees them. */
static void remove_list(struct fb_engine *e, struct enode *nd, int k, struct fb_inst *list)
{
    while (list != NULL) {
        struct fb_inst *in = list;
        list = in->next;
        remove_on(e, nd, k, in);
        fb_cluster_inst_free(in);
    }
}

/* ---- the path ---- */

static void ka_name(struct fb_engine *e, struct call *c)
{
    eng_ka_name(e, c->t->inst, c->cname, sizeof(c->cname));
}

/* Room is made before the start: the evicted instances go now. */
static void ka_before(struct fb_engine *e, struct call *c)
{
    double t0 = fb_mono_ms();
    struct fb_inst *victims = c->t->victims;

    c->t->victims = NULL;
    remove_list(e, c->nd, c->k, victims);
    c->room_ms += fb_mono_ms() - t0;
}

static void ka_attempt(struct fb_engine *e, struct call *c, double t_start, struct attempt *a)
{
    double node_ms = 0;
    bool pull = c->t->fresh && c->t->mode == FB_WARM_COLD;

    if (eng_resident_steps(e, c->nd, c->nd->conns[c->k], c->f, c->cname, pull, c->t->fresh,
                           t_start, a, &node_ms) != RS_PULL_FAILED) {
        /* The image stays: the function's next start here is pre-warmed. */
        a->image_pulled = pull;
        if (e->o.node_timing && !isnan(node_ms))
            a->node_ms = node_ms;
    }
}

/* The instance idle again, or gone after the answer (cleanup). */
static void ka_after(struct fb_engine *e, struct call *c, struct attempt *a)
{
    struct fb_inst *gone = c->t->gone;

    c->t->gone = NULL;
    if (!eng_node_failure(a->rc))
        remove_list(e, c->nd, c->k, gone);
    else
        fb_cluster_inst_free_list(gone);
    a->t_clean = fb_mono_ms();
}

const struct eng_path eng_keepalive_path = {
    .name = ka_name,
    .before = ka_before,
    .attempt = ka_attempt,
    .after = ka_after,
};

/* ---- timers: expiries and pre-warms when the core says they are due ---- */

/* Starts pre-warm instance in on its node (off the lock). */
static void prewarm(struct fb_engine *e, struct fb_inst *in)
{
    struct enode *nd = e->nodes[in->ka.node];
    char cname[96], why[FB_ERRMSG_LEN];
    double t, node_ms = 0, init = NAN;
    int k = eng_take_slot(e, nd), rc = FB_ESSH;

    eng_ka_name(e, in, cname, sizeof(cname));
    if (k >= 0)
        rc = eng_resident_start(e, nd, nd->conns[k], in->ka.function, cname, &t, &node_ms,
                                &init, why, sizeof(why));
    pthread_mutex_lock(&e->lock);
    if (k >= 0 && rc < 0)
        eng_log(e, "pre-warm of %s on %s: %s", cname, nd->cfg->name, why);
    struct fb_inst *gone = fb_cluster_prewarm_done(e->cl, in, eng_now_s(e), rc == 0);
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    if (gone != NULL && k >= 0)
        remove_on(e, nd, k, gone);
    fb_cluster_inst_free(gone);
    if (k >= 0)
        eng_give_slot(e, nd, k);
}

static void *timers_main(void *arg)
{
    struct fb_engine *e = arg;
    struct kacell *ka = e->ka;

    pthread_mutex_lock(&e->lock);
    while (!ka->timers_stop) {
        struct fb_inst *in;
        enum fb_due due = fb_cluster_due(e->cl, eng_now_s(e), &in);

        if (due == FB_DUE_NONE) {
            double next = fb_cluster_next_due(e->cl);
            if (isinf(next)) {
                pthread_cond_wait(&ka->cv, &e->lock);
            } else {
                struct timespec ts = fb_mono_timespec(eng_mono_at(e, next));
                pthread_cond_timedwait(&ka->cv, &e->lock, &ts);
            }
            continue;
        }
        pthread_cond_broadcast(&e->changed); /* memory freed, or reserved */
        pthread_mutex_unlock(&e->lock);
        if (due == FB_DUE_PREWARM) {
            prewarm(e, in);
        } else {
            struct enode *nd = e->nodes[in->ka.node];
            int k = eng_take_slot(e, nd);
            if (k >= 0) {
                remove_on(e, nd, k, in);
                eng_give_slot(e, nd, k);
            }
            fb_cluster_inst_free(in);
        }
        pthread_mutex_lock(&e->lock);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* ---- the cell ---- */

int fb_engine_ka_begin(struct fb_engine *e, const struct fb_keepalive *k, const double *params,
                       uint64_t seed, void (*event)(void *ctx, const struct fb_ka_event *ev),
                       void *ctx)
{
    struct kacell *ka = calloc(1, sizeof(*ka));
    pthread_condattr_t ca;
    int rc;

    if (ka == NULL)
        return FB_ENOMEM;
    ka->event = event;
    ka->event_ctx = ctx;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ka->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_lock(&e->lock);
    rc = fb_cluster_cell_begin(e->cl, k, params, seed);
    if (rc == 0)
        e->ka = ka;
    pthread_mutex_unlock(&e->lock);
    if (rc < 0) {
        pthread_cond_destroy(&ka->cv);
        free(ka);
        return rc;
    }
    ka->timers_on = pthread_create(&ka->timers, NULL, timers_main, e) == 0;
    return 0;
}

/* Removes nd's instances of the cell's last list, one after another. */
static void end_task(struct fb_engine *e, struct enode *nd)
{
    int k = -1;

    for (struct fb_inst *in = e->ka->left; in != NULL; in = in->next) {
        if (in->ka.node != nd->idx)
            continue;
        if (k < 0 && (k = eng_take_slot(e, nd)) < 0)
            return;
        remove_on(e, nd, k, in);
    }
    if (k >= 0)
        eng_give_slot(e, nd, k);
}

void fb_engine_ka_end(struct fb_engine *e, struct fb_ka_outcome *out)
{
    struct kacell *ka = e->ka;

    if (ka == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    pthread_mutex_lock(&e->lock);
    ka->timers_stop = true;
    pthread_cond_signal(&ka->cv);
    pthread_mutex_unlock(&e->lock);
    if (ka->timers_on)
        pthread_join(ka->timers, NULL);
    pthread_mutex_lock(&e->lock);
    ka->left = fb_cluster_cell_end(e->cl, eng_now_s(e), out);
    pthread_mutex_unlock(&e->lock);
    eng_for_each_node(e, end_task, true);
    pthread_mutex_lock(&e->lock);
    e->ka = NULL;
    pthread_mutex_unlock(&e->lock);
    fb_cluster_inst_free_list(ka->left);
    pthread_cond_destroy(&ka->cv);
    free(ka);
}
