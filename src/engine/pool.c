/* pool.c - instance pools of keep-alive cells: resident instances started by
 * cold starts, reused while idle, evicted by a keep-alive policy when their
 * time is up or when a cold start needs their memory. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_priv.h"

double eng_now_s(const struct fb_engine *e)
{
    return (fb_mono_ms() - e->cell_t0) / 1000.0 / (e->time_scale > 0 ? e->time_scale : 1.0);
}

/* The mono ms at which workload time t falls. */
static double mono_at(const struct fb_engine *e, double t)
{
    return e->cell_t0 + t * 1000.0 * (e->time_scale > 0 ? e->time_scale : 1.0);
}

/* Memory node nd offers instances: its setting, else its metrics' limit. */
static double capacity_mb(const struct enode *nd)
{
    if (nd->cfg->memory_mb > 0)
        return nd->cfg->memory_mb;
    if (nd->have_prev && nd->prev.cumulative && nd->prev.mem_limit > 0)
        return (double)nd->prev.mem_limit / (1024.0 * 1024.0);
    return INFINITY;
}

static double fn_memory(const struct fb_engine *e, int f)
{
    return e->fns[f]->memory_mb > 0 ? e->fns[f]->memory_mb : 128;
}

/* Under the lock. */
static void emit(struct fb_engine *e, const struct enode *nd, const struct kinst *in,
                 const char *event, double now)
{
    struct kapool *ka = e->ka;

    if (ka->event == NULL)
        return;
    struct fb_ka_event ev = {
        .t_s = now,
        .unix_ms = fb_unix_ms(),
        .node = nd->cfg->name,
        .function = e->fns[in->ka.function]->name,
        .instance = in->cname,
        .event = event,
        .memory_mb = in->ka.memory_mb,
    };
    ka->event(ka->event_ctx, &ev);
}

/* Idle memory accounting: in stops being idle at now (the time its event
 * carries too, so instances.csv adds up to idle_mb_s exactly). */
static void idle_ends(struct fb_engine *e, struct kinst *in, double now)
{
    if (in->state == KI_IDLE && now > in->idle_from)
        e->ka->out.idle_mb_s += in->ka.memory_mb * (now - in->idle_from);
}

/* Takes in out of nd's list and frees its memory. Under the lock. */
static void unlink_inst(struct enode *nd, struct kinst *in)
{
    for (struct kinst **pp = &nd->inst; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == in) {
            *pp = in->next;
            in->next = NULL;
            break;
        }
    }
    nd->n_inst--;
    nd->mem_used_mb -= in->ka.memory_mb;
    if (nd->mem_used_mb < 0.001)
        nd->mem_used_mb = 0;
}

/* Why an instance leaves the pool: its instances.csv event and its
 * keepalive.csv count. */
enum cause { GONE_PRESSURE, GONE_EXPIRED, GONE_UNLOAD, GONE_FAILED, GONE_END };

static const char *const cause_event[] = {
    [GONE_PRESSURE] = "evict-pressure", [GONE_EXPIRED] = "evict-expired",
    [GONE_UNLOAD] = "evict-unload",     [GONE_FAILED] = "evict-failed",
    [GONE_END] = "evict-end",
};

/* in leaves the pool for cause (under the lock): counted, its policy told,
 * the event written; it is to be removed from its node by the caller. */
static void evict(struct fb_engine *e, struct enode *nd, struct kinst *in, enum cause cause)
{
    struct kapool *ka = e->ka;
    long *const count[] = {
        [GONE_PRESSURE] = &ka->out.evicted_pressure, [GONE_EXPIRED] = &ka->out.evicted_expired,
        [GONE_UNLOAD] = &ka->out.evicted_unload,     [GONE_FAILED] = &ka->out.evicted_failed,
        [GONE_END] = &ka->out.evicted_end,
    };
    double now = eng_now_s(e);

    idle_ends(e, in, now);
    unlink_inst(nd, in);
    (*count[cause])++;
    if (ka->k->ops.evicted != NULL && cause != GONE_FAILED)
        ka->k->ops.evicted(ka->kstate, &in->ka, now, cause == GONE_PRESSURE);
    emit(e, nd, in, cause_event[cause], now);
    pthread_cond_broadcast(&e->changed);
    pthread_cond_signal(&ka->reaper_cv);
}

static struct kinst *new_inst(struct fb_engine *e, struct enode *nd, int node, int f)
{
    struct kapool *ka = e->ka;
    struct kinst *in = calloc(1, sizeof(*in));

    if (in == NULL)
        return NULL;
    in->ka.id = ++ka->next_id;
    in->ka.function = f;
    in->ka.node = node;
    in->ka.memory_mb = fn_memory(e, f);
    in->ka.created_s = in->ka.last_used_s = eng_now_s(e);
    in->state = KI_STARTING;
    in->expire_at = INFINITY;
    snprintf(in->cname, sizeof(in->cname), "faasbench-ka-%s-%s-%d", e->fns[f]->name, e->token,
             in->ka.id);
    in->next = nd->inst;
    nd->inst = in;
    nd->n_inst++;
    nd->mem_used_mb += in->ka.memory_mb;
    if (nd->n_inst > nd->peak_inst)
        nd->peak_inst = nd->n_inst;
    if (nd->n_inst > ka->out.peak_instances)
        ka->out.peak_instances = nd->n_inst;
    ka->out.started++;
    return in;
}

static int node_index(const struct fb_engine *e, const struct enode *nd)
{
    for (int i = 0; i < e->n_nodes; i++)
        if (e->nodes[i] == nd)
            return i;
    return -1;
}

/* ---- selection ---- */

bool eng_ka_has_idle(const struct enode *nd, int f)
{
    for (const struct kinst *in = nd->inst; in != NULL; in = in->next)
        if (in->ka.function == f && in->state == KI_IDLE)
            return true;
    return false;
}

bool eng_ka_could_fit(const struct fb_engine *e, const struct enode *nd, int f)
{
    double idle = 0;

    for (const struct kinst *in = nd->inst; in != NULL; in = in->next)
        if (in->state == KI_IDLE)
            idle += in->ka.memory_mb;
    return capacity_mb(nd) - nd->mem_used_mb + idle >= fn_memory(e, f) - 1e-9;
}

int eng_ka_claim(struct fb_engine *e, struct enode *nd, int f, enum fb_warming mode,
                 struct kclaim *c)
{
    struct kapool *ka = e->ka;
    double need = fn_memory(e, f), now = eng_now_s(e);
    int node = node_index(e, nd);

    if (mode == FB_WARM_WARMED) {
        /* The instance idle longest: the others may still expire. */
        struct kinst *pick = NULL;
        for (struct kinst *in = nd->inst; in != NULL; in = in->next)
            if (in->ka.function == f && in->state == KI_IDLE &&
                (pick == NULL || in->ka.last_used_s > pick->ka.last_used_s))
                pick = in;
        if (pick == NULL)
            return 1;
        idle_ends(e, pick, now);
        pick->state = KI_BUSY;
        c->inst = pick;
        c->fresh = false;
        emit(e, nd, pick, "busy", now);
        return 0;
    }
    /* Room, evicting idle instances as the policy gives them up. */
    while (capacity_mb(nd) - nd->mem_used_mb < need - 1e-9) {
        struct fb_ka_instance idle[64];
        struct kinst *map[64];
        int n = 0, v;
        for (struct kinst *in = nd->inst; in != NULL && n < 64; in = in->next)
            if (in->state == KI_IDLE) {
                idle[n] = in->ka;
                map[n++] = in;
            }
        v = n > 0 ? ka->k->ops.victim(ka->kstate, idle, n, now) : -1;
        if (v < 0 || v >= n)
            return 1;
        evict(e, nd, map[v], GONE_PRESSURE);
        map[v]->next = c->victims;
        c->victims = map[v];
    }
    if ((c->inst = new_inst(e, nd, node, f)) == NULL)
        return 1;
    c->fresh = true;
    emit(e, nd, c->inst, "start", now);
    return 0;
}

/* ---- the steps ---- */

void eng_ka_attempt(struct fb_engine *e, struct enode *nd, int k, int f, enum fb_warming mode,
                    struct kclaim *c, double t_start, struct attempt *a)
{
    double node_ms = 0;
    bool pull = c->fresh && mode == FB_WARM_COLD;

    if (eng_resident_steps(e, nd, nd->conns[k], f, c->inst->cname, pull, c->fresh, t_start, a,
                           &node_ms) != RS_PULL_FAILED) {
        if (pull) {
            /* The image stays: the function's next start here is pre-warmed. */
            pthread_mutex_lock(&e->lock);
            nd->has_image[f] = true;
            pthread_mutex_unlock(&e->lock);
        }
        if (e->o.node_timing && !isnan(node_ms))
            a->node_ms = node_ms;
    }
}

/* What a cold start cost beyond a warm call of f, for policies that weigh
 * it; and the warm latencies they are measured against. Under the lock. */
static void note_cost(struct fb_engine *e, int f, enum fb_warming mode, const struct attempt *a,
                      double t_start)
{
    struct kapool *ka = e->ka;
    double lat = a->t_run - t_start;

    if (mode == FB_WARM_WARMED) {
        ka->warm_ms[f] = isnan(ka->warm_ms[f])
                             ? lat
                             : ka->warm_ms[f] + (lat - ka->warm_ms[f]) / (double)(ka->warm_n[f] + 1);
        ka->warm_n[f]++;
        return;
    }
    if (ka->k->ops.cost != NULL)
        ka->k->ops.cost(ka->kstate, f, (lat - (isnan(ka->warm_ms[f]) ? 0 : ka->warm_ms[f])) / 1000.0);
}

void eng_ka_release(struct fb_engine *e, struct enode *nd, int f, enum fb_warming mode,
                    struct kclaim *c, const struct attempt *a)
{
    struct kapool *ka = e->ka;
    struct kinst *in = c->inst;
    double now = eng_now_s(e), prewarm = NAN, until;

    ka->out.invocations++;
    if (a->rc < 0) {
        /* Failed (or its node did): the instance is not used again. */
        ka->out.failed++;
        evict(e, nd, in, GONE_FAILED);
        in->next = c->gone;
        c->gone = in;
        return;
    }
    if (mode == FB_WARM_WARMED)
        ka->out.warm++;
    else if (mode == FB_WARM_PREWARMED)
        ka->out.prewarmed++;
    else
        ka->out.cold++;
    note_cost(e, f, mode, a, a->t_pull);
    if (c->fresh)
        emit(e, nd, in, "ready", now);
    in->ka.uses++;
    in->ka.last_used_s = now;
    in->state = KI_IDLE;
    in->idle_from = now;
    emit(e, nd, in, "idle", now);
    until = ka->k->ops.idle(ka->kstate, &in->ka, now, &prewarm);
    if (!isnan(prewarm) && prewarm > now) {
        struct kprewarm *pw = calloc(1, sizeof(*pw));
        if (pw != NULL) {
            *pw = (struct kprewarm){.f = f, .node = in->ka.node, .at = prewarm,
                                    .keep_until = until, .next = ka->prewarms};
            ka->prewarms = pw;
        }
        evict(e, nd, in, GONE_UNLOAD);
    } else if (until <= now) {
        evict(e, nd, in, GONE_EXPIRED);
    } else {
        in->expire_at = until;
        pthread_cond_signal(&ka->reaper_cv);
        return;
    }
    in->next = c->gone;
    c->gone = in;
}

void eng_ka_remove_gone(struct fb_engine *e, struct enode *nd, int k, struct kclaim *c)
{
    char why[FB_ERRMSG_LEN];

    for (struct kinst **list = &c->victims;; list = &c->gone) {
        while (*list != NULL) {
            struct kinst *in = *list;
            *list = in->next;
            if (eng_resident_remove_on(e, nd, nd->conns[k], in->ka.function, in->cname, why,
                                       sizeof(why)) < 0)
                eng_log(e, "%s", why);
            free(in);
        }
        if (list == &c->gone)
            break;
    }
}

void eng_ka_drop_gone(struct kclaim *c)
{
    for (struct kinst **list = &c->victims;; list = &c->gone) {
        while (*list != NULL) {
            struct kinst *in = *list;
            *list = in->next;
            free(in);
        }
        if (list == &c->gone)
            break;
    }
}

/* ---- the reaper: keep-alive ends and pre-warms on time ---- */

/* One instance to remove, or one pre-warm to start, off the lock. */
struct reap {
    struct enode *nd;
    struct kinst *in;
    bool start;          /* a pre-warm: start in, else remove it */
    double keep_until;
    struct reap *next;
};

static void reap_run(struct fb_engine *e, struct reap *r)
{
    char why[FB_ERRMSG_LEN];
    int k = eng_take_slot(e, r->nd);

    if (k < 0) {
        if (r->start) {
            pthread_mutex_lock(&e->lock);
            evict(e, r->nd, r->in, GONE_FAILED);
            pthread_mutex_unlock(&e->lock);
        }
        free(r->in);
        return;
    }
    if (!r->start) {
        if (eng_resident_remove_on(e, r->nd, r->nd->conns[k], r->in->ka.function, r->in->cname,
                                   why, sizeof(why)) < 0)
            eng_log(e, "%s", why);
        eng_give_slot(e, r->nd, k);
        free(r->in);
        return;
    }
    double t, node_ms = 0, init = NAN;
    int rc = eng_resident_start(e, r->nd, r->nd->conns[k], r->in->ka.function, r->in->cname,
                                &t, &node_ms, &init, why, sizeof(why));
    pthread_mutex_lock(&e->lock);
    if (rc < 0) {
        eng_log(e, "pre-warm of %s on %s: %s", r->in->cname, r->nd->cfg->name, why);
        evict(e, r->nd, r->in, GONE_FAILED);
    } else {
        double now = eng_now_s(e);
        emit(e, r->nd, r->in, "ready", now);
        r->in->state = KI_IDLE;
        r->in->idle_from = now;
        r->in->expire_at = r->keep_until;
        emit(e, r->nd, r->in, "idle", now);
        pthread_cond_broadcast(&e->changed);
        pthread_cond_signal(&e->ka->reaper_cv);
    }
    pthread_mutex_unlock(&e->lock);
    if (rc < 0) {
        eng_resident_remove_on(e, r->nd, r->nd->conns[k], r->in->ka.function, r->in->cname,
                               why, sizeof(why));
        free(r->in);
    }
    eng_give_slot(e, r->nd, k);
}

static void *reaper_main(void *arg)
{
    struct fb_engine *e = arg;
    struct kapool *ka = e->ka;

    pthread_mutex_lock(&e->lock);
    while (!ka->reaper_stop) {
        double now = eng_now_s(e), next = INFINITY;
        struct reap *todo = NULL;

        for (int i = 0; i < e->n_nodes; i++) {
            struct enode *nd = e->nodes[i];
            for (struct kinst *in = nd->inst, *nx; in != NULL; in = nx) {
                nx = in->next;
                if (in->state != KI_IDLE)
                    continue;
                if (in->expire_at > now) {
                    next = fmin(next, in->expire_at);
                    continue;
                }
                evict(e, nd, in, GONE_EXPIRED);
                struct reap *r = calloc(1, sizeof(*r));
                if (r == NULL) {
                    free(in);
                    continue;
                }
                *r = (struct reap){.nd = nd, .in = in, .next = todo};
                todo = r;
            }
        }
        for (struct kprewarm **pp = &ka->prewarms; *pp != NULL;) {
            struct kprewarm *pw = *pp;
            if (pw->at > now) {
                next = fmin(next, pw->at);
                pp = &pw->next;
                continue;
            }
            *pp = pw->next;
            struct enode *nd = e->nodes[pw->node];
            /* A pre-warm needs room and a node up; otherwise it is dropped. */
            if (!nd->down && capacity_mb(nd) - nd->mem_used_mb >= fn_memory(e, pw->f) - 1e-9) {
                struct kinst *in = new_inst(e, nd, pw->node, pw->f);
                struct reap *r = in != NULL ? calloc(1, sizeof(*r)) : NULL;
                if (r != NULL) {
                    ka->out.prewarms++;
                    emit(e, nd, in, "prewarm", now);
                    *r = (struct reap){.nd = nd, .in = in, .start = true,
                                       .keep_until = pw->keep_until, .next = todo};
                    todo = r;
                } else if (in != NULL) {
                    unlink_inst(nd, in);
                    free(in);
                }
            }
            free(pw);
        }
        if (todo != NULL) {
            pthread_mutex_unlock(&e->lock);
            while (todo != NULL) {
                struct reap *r = todo;
                todo = r->next;
                reap_run(e, r);
                free(r);
            }
            pthread_mutex_lock(&e->lock);
            continue;
        }
        if (isinf(next)) {
            pthread_cond_wait(&ka->reaper_cv, &e->lock);
        } else {
            double at = mono_at(e, next);
            struct timespec ts = fb_mono_timespec(at);
            pthread_cond_timedwait(&ka->reaper_cv, &e->lock, &ts);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* ---- the cell ---- */

int fb_engine_ka_begin(struct fb_engine *e, const struct fb_keepalive *k, const double *params,
                       uint64_t seed, void (*event)(void *ctx, const struct fb_ka_event *ev),
                       void *ctx)
{
    struct kapool *ka = calloc(1, sizeof(*ka));
    pthread_condattr_t ca;
    int rc;

    if (ka == NULL)
        return FB_ENOMEM;
    ka->k = k;
    ka->event = event;
    ka->event_ctx = ctx;
    ka->warm_ms = malloc(sizeof(double) * (size_t)(e->n_fns > 0 ? e->n_fns : 1));
    ka->warm_n = calloc((size_t)(e->n_fns > 0 ? e->n_fns : 1), sizeof(long));
    if (ka->warm_ms == NULL || ka->warm_n == NULL ||
        (rc = k->ops.init(&ka->kstate, e->n_fns, seed, params)) < 0) {
        free(ka->warm_ms);
        free(ka->warm_n);
        free(ka);
        return FB_ENOMEM;
    }
    for (int f = 0; f < e->n_fns; f++)
        ka->warm_ms[f] = NAN;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ka->reaper_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_lock(&e->lock);
    e->ka = ka;
    for (int i = 0; i < e->n_nodes; i++)
        e->nodes[i]->peak_inst = 0;
    pthread_mutex_unlock(&e->lock);
    ka->reaper_on = pthread_create(&ka->reaper, NULL, reaper_main, e) == 0;
    return 0;
}

/* Removes every instance of nd, in parallel over the nodes. */
static void end_task(struct fb_engine *e, struct enode *nd)
{
    char why[FB_ERRMSG_LEN];

    for (;;) {
        pthread_mutex_lock(&e->lock);
        struct kinst *in = nd->inst;
        if (in != NULL)
            evict(e, nd, in, GONE_END);
        pthread_mutex_unlock(&e->lock);
        if (in == NULL)
            return;
        int k = eng_take_slot(e, nd);
        if (k >= 0) {
            if (eng_resident_remove_on(e, nd, nd->conns[k], in->ka.function, in->cname, why,
                                       sizeof(why)) < 0)
                eng_log(e, "%s", why);
            eng_give_slot(e, nd, k);
        }
        free(in);
    }
}

void fb_engine_ka_end(struct fb_engine *e, struct fb_ka_outcome *out)
{
    struct kapool *ka = e->ka;

    if (ka == NULL) {
        memset(out, 0, sizeof(*out));
        return;
    }
    pthread_mutex_lock(&e->lock);
    ka->reaper_stop = true;
    pthread_cond_signal(&ka->reaper_cv);
    pthread_mutex_unlock(&e->lock);
    if (ka->reaper_on)
        pthread_join(ka->reaper, NULL);
    eng_for_each_node(e, end_task, true);
    pthread_mutex_lock(&e->lock);
    *out = ka->out;
    e->ka = NULL;
    while (ka->prewarms != NULL) {
        struct kprewarm *pw = ka->prewarms;
        ka->prewarms = pw->next;
        free(pw);
    }
    pthread_mutex_unlock(&e->lock);
    ka->k->ops.free(ka->kstate);
    pthread_cond_destroy(&ka->reaper_cv);
    free(ka->warm_ms);
    free(ka->warm_n);
    free(ka);
}
