/* pool.c - the instances of keep-alive cells: started by cold starts, reused
 * while idle, let go by a keep-alive policy when their time is up or when a
 * start needs their memory; their expiries and pre-warms on timers; and the
 * accounting of what the cell did. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decide/cluster_priv.h"

#define FB_ENUM_NAME(id, name) [id] = name,
static const char *const event_names[FB_INST_EVENT_N] = {FB_INST_EVENT_MAP(FB_ENUM_NAME)};
#undef FB_ENUM_NAME

const char *fb_inst_event_name(enum fb_inst_event ev)
{
    return (int)ev >= 0 && ev < FB_INST_EVENT_N ? event_names[ev] : "unknown";
}

void cl_emit(struct fb_cluster *c, const struct fb_inst *in, enum fb_inst_event ev, double now)
{
    if (c->o.event != NULL)
        c->o.event(c->o.event_ctx, in, ev, now);
}

void fb_cluster_inst_free(struct fb_inst *in)
{
    free(in);
}

void fb_cluster_inst_free_list(struct fb_inst *list)
{
    while (list != NULL) {
        struct fb_inst *next = list->next;
        free(list);
        list = next;
    }
}

/* ---- the expiry heap: idle instances by expire_at, then by push order ---- */

static bool exp_before(const struct fb_inst *a, const struct fb_inst *b)
{
    return a->expire_at < b->expire_at || (a->expire_at == b->expire_at && a->gen < b->gen);
}

static void exp_set(struct fb_cluster *c, size_t at, struct fb_inst *in)
{
    c->expiry[at] = in;
    in->heap_pos = (long)at;
}

static void exp_up(struct fb_cluster *c, size_t i)
{
    struct fb_inst *in = c->expiry[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!exp_before(in, c->expiry[up]))
            break;
        exp_set(c, i, c->expiry[up]);
        i = up;
    }
    exp_set(c, i, in);
}

static void exp_down(struct fb_cluster *c, size_t i)
{
    struct fb_inst *in = c->expiry[i];
    size_t n = c->n_expiry;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && exp_before(c->expiry[k + 1], c->expiry[k]))
            k++;
        if (!exp_before(c->expiry[k], in))
            break;
        exp_set(c, i, c->expiry[k]);
        i = k;
    }
    exp_set(c, i, in);
}

static int exp_push(struct fb_cluster *c, struct fb_inst *in)
{
    if (c->n_expiry == c->cap_expiry) {
        size_t cap = c->cap_expiry ? c->cap_expiry * 2 : 64;
        struct fb_inst **p = realloc(c->expiry, cap * sizeof(*p));
        if (p == NULL)
            return FB_ENOMEM;
        c->expiry = p;
        c->cap_expiry = cap;
    }
    in->gen = (uint32_t)++c->expiry_seq;
    c->expiry[c->n_expiry] = in;
    in->heap_pos = (long)c->n_expiry++;
    exp_up(c, (size_t)in->heap_pos);
    return 0;
}

static void exp_remove(struct fb_cluster *c, struct fb_inst *in)
{
    if (in->heap_pos < 0)
        return;
    size_t i = (size_t)in->heap_pos;
    struct fb_inst *last = c->expiry[--c->n_expiry];
    in->heap_pos = -1;
    if (i == c->n_expiry)
        return;
    c->expiry[i] = last;
    last->heap_pos = (long)i;
    if (i > 0 && exp_before(last, c->expiry[(i - 1) / 2]))
        exp_up(c, i);
    else
        exp_down(c, i);
}

/* ---- instances in the pool ---- */

static void idle_link(struct fb_cluster *c, struct fb_inst *in)
{
    struct nfn *x = &c->nodes[in->ka.node].fn[in->ka.function];
    struct fb_inst *prev = NULL, *next = x->idle;

    /* The most recently used first: the call just ended is the latest, so
     * it goes to the head; a pre-warmed instance may go further down. */
    while (next != NULL && next->ka.last_used_s > in->ka.last_used_s) {
        prev = next;
        next = next->idle_next;
    }
    in->idle_prev = prev;
    in->idle_next = next;
    if (prev != NULL)
        prev->idle_next = in;
    else
        x->idle = in;
    if (next != NULL)
        next->idle_prev = in;
    x->idle_n++;
    c->nodes[in->ka.node].idle_mb += in->ka.memory_mb;
    if (x->idle_n == 1)
        cl_warm_update(c, in->ka.node, in->ka.function);
}

static void idle_unlink(struct fb_cluster *c, struct fb_inst *in)
{
    struct nfn *x = &c->nodes[in->ka.node].fn[in->ka.function];

    if (in->idle_prev != NULL)
        in->idle_prev->idle_next = in->idle_next;
    else
        x->idle = in->idle_next;
    if (in->idle_next != NULL)
        in->idle_next->idle_prev = in->idle_prev;
    in->idle_prev = in->idle_next = NULL;
    x->idle_n--;
    struct cnode *nd = &c->nodes[in->ka.node];
    nd->idle_mb -= in->ka.memory_mb;
    if (nd->idle_mb < 0.001)
        nd->idle_mb = 0;
    if (x->idle_n == 0)
        cl_warm_update(c, in->ka.node, in->ka.function);
}

/* in stops being idle at now: its idle memory-time is counted up to now
 * (the time its event carries, so instances.csv adds up to idle_mb_s). */
static void idle_ends(struct fb_cluster *c, struct fb_inst *in, double now)
{
    if (in->state != FB_INST_IDLE)
        return;
    if (now > in->idle_from)
        c->out.idle_mb_s += in->ka.memory_mb * (now - in->idle_from);
    idle_unlink(c, in);
    exp_remove(c, in);
}

struct fb_inst *cl_inst_new(struct fb_cluster *c, int i, int f, double now)
{
    struct cnode *nd = &c->nodes[i];
    struct fb_inst *in = calloc(1, sizeof(*in));

    if (in == NULL)
        return NULL;
    in->ka.id = ++c->next_id;
    in->ka.function = f;
    in->ka.node = i;
    in->ka.memory_mb = c->fns[f].memory_mb;
    in->ka.created_s = in->ka.last_used_s = now;
    in->state = FB_INST_STARTING;
    in->expire_at = INFINITY;
    in->heap_pos = -1;
    in->in_pool = true;
    in->node_next = nd->inst;
    if (nd->inst != NULL)
        nd->inst->node_prev = in;
    nd->inst = in;
    nd->n_inst++;
    nd->used_mb += in->ka.memory_mb;
    if (nd->n_inst > c->out.peak_instances)
        c->out.peak_instances = nd->n_inst;
    c->out.started++;
    return in;
}

static long *evict_count(struct fb_cluster *c, enum fb_inst_event ev)
{
    switch (ev) {
    case FB_EV_EVICT_PRESSURE:
        return &c->out.evicted_pressure;
    case FB_EV_EVICT_EXPIRED:
        return &c->out.evicted_expired;
    case FB_EV_EVICT_UNLOAD:
        return &c->out.evicted_unload;
    case FB_EV_EVICT_FAILED:
        return &c->out.evicted_failed;
    default:
        return &c->out.evicted_end;
    }
}

void cl_evict(struct fb_cluster *c, struct fb_inst *in, enum fb_inst_event ev, double now)
{
    struct cnode *nd = &c->nodes[in->ka.node];

    idle_ends(c, in, now);
    if (in->node_prev != NULL)
        in->node_prev->node_next = in->node_next;
    else
        nd->inst = in->node_next;
    if (in->node_next != NULL)
        in->node_next->node_prev = in->node_prev;
    in->node_prev = in->node_next = NULL;
    in->in_pool = false;
    nd->n_inst--;
    nd->used_mb -= in->ka.memory_mb;
    if (nd->used_mb < 0.001)
        nd->used_mb = 0;
    (*evict_count(c, ev))++;
    /* Every instance that goes is the policy's to know of, a failed one too. */
    if (c->k->ops.evicted != NULL)
        c->k->ops.evicted(c->kstate, &in->ka, now, ev == FB_EV_EVICT_PRESSURE);
    cl_emit(c, in, ev, now);
}

void cl_inst_idle(struct fb_cluster *c, struct fb_inst *in, double now, double until)
{
    in->state = FB_INST_IDLE;
    in->idle_from = now;
    in->expire_at = until;
    idle_link(c, in);
    if (!isinf(until))
        exp_push(c, in);
}

struct fb_inst *cl_take_idle(struct fb_cluster *c, int i, int f, double now)
{
    struct fb_inst *in = c->nodes[i].fn[f].idle;

    if (in == NULL)
        return NULL;
    idle_ends(c, in, now);
    in->state = FB_INST_BUSY;
    cl_emit(c, in, FB_EV_BUSY, now);
    return in;
}

bool cl_make_room(struct fb_cluster *c, int i, double need, double now, struct fb_inst **victims)
{
    struct cnode *nd = &c->nodes[i];

    while (nd->capacity - nd->used_mb < need - 1e-9) {
        int n = 0, v;
        for (struct fb_inst *in = nd->inst; in != NULL; in = in->node_next) {
            if (in->state != FB_INST_IDLE)
                continue;
            if (n == c->vcap) {
                int cap = c->vcap ? 2 * c->vcap : 64;
                struct fb_ka_instance *b = realloc(c->vbuf, sizeof(*b) * (size_t)cap);
                if (b == NULL)
                    return false;
                c->vbuf = b;
                struct fb_inst **m = realloc(c->vmap, sizeof(*m) * (size_t)cap);
                if (m == NULL)
                    return false;
                c->vmap = m;
                c->vcap = cap;
            }
            c->vbuf[n] = in->ka;
            c->vmap[n++] = in;
        }
        if (n == 0)
            return false;
        v = c->k->ops.victim != NULL ? c->k->ops.victim(c->kstate, c->vbuf, n, now)
                                     : fb_ka_least_recent(c->vbuf, n);
        if (v < 0 || v >= n)
            return false;
        struct fb_inst *in = c->vmap[v];
        cl_evict(c, in, FB_EV_EVICT_PRESSURE, now);
        in->next = *victims;
        *victims = in;
    }
    return true;
}

/* What a cold start cost beyond a warm call of f, for policies that weigh
 * it; and the warm run times it is measured against. */
static void note_cost(struct fb_cluster *c, int f, enum fb_warming mode, double run_ms)
{
    struct cfn *fn = &c->fns[f];

    if (mode == FB_WARM_WARMED) {
        fn->warm_ms = isnan(fn->warm_ms)
                          ? run_ms
                          : fn->warm_ms + (run_ms - fn->warm_ms) / (double)(fn->warm_n + 1);
        fn->warm_n++;
        return;
    }
    if (c->k->ops.cost != NULL)
        c->k->ops.cost(c->kstate, f, (run_ms - (isnan(fn->warm_ms) ? 0 : fn->warm_ms)) / 1000.0);
}

/* A pre-warm for later: the policy asked to start one of f on node i at
 * `at`, kept idle until keep_until. */
static void prewarm_later(struct fb_cluster *c, int f, int i, double at, double keep_until)
{
    struct prewarm *pw = malloc(sizeof(*pw));

    if (pw == NULL)
        return;
    *pw = (struct prewarm){.f = f, .node = i, .keep_until = keep_until};
    if (fb_heap_push(&c->prewarms, at, pw, 0) < 0)
        free(pw);
    else
        c->fns[f].prewarms++;
}

void cl_prewarm_moot(struct fb_cluster *c, int f)
{
    struct cfn *fn = &c->fns[f];

    if (fn->prewarms > fn->cancelled)
        fn->cancelled++;
}

/* A call's end as keepalive.csv counts it: once per call, whatever its
 * attempts; a failed attempt counts until a retry ends (then its end counts
 * instead). */
void cl_count_end(struct fb_cluster *c, struct fb_ticket *t, bool failed)
{
    if (t->counted_failed) {
        c->out.invocations--;
        c->out.failed--;
    }
    c->out.invocations++;
    if (failed)
        c->out.failed++;
    t->counted_failed = failed;
}

void cl_release(struct fb_cluster *c, struct fb_ticket *t, double now,
                const struct fb_attempt_end *r)
{
    struct fb_inst *in = t->inst;
    double prewarm = NAN, until;

    cl_count_end(c, t, r->failed || r->node_failed);
    if (r->failed || r->node_failed) {
        /* Failed (or its node did): the instance is not used again. */
        cl_evict(c, in, FB_EV_EVICT_FAILED, now);
        in->next = t->gone;
        t->gone = in;
        return;
    }
    if (t->mode == FB_WARM_WARMED)
        c->out.warm++;
    else if (t->mode == FB_WARM_PREWARMED)
        c->out.prewarmed++;
    else
        c->out.cold++;
    if (in->lost) {
        /* The call got its answer, but its container is gone. */
        cl_evict(c, in, FB_EV_EVICT_FAILED, now);
        in->next = t->gone;
        t->gone = in;
        return;
    }
    note_cost(c, t->f, t->mode, r->run_ms);
    if (t->fresh)
        cl_emit(c, in, FB_EV_READY, now);
    in->ka.uses++;
    in->ka.last_used_s = now;
    until = c->k->ops.idle(c->kstate, &in->ka, now, &prewarm);
    in->state = FB_INST_IDLE;
    in->idle_from = now;
    cl_emit(c, in, FB_EV_IDLE, now);
    if (!isnan(prewarm) && prewarm > now) {
        prewarm_later(c, t->f, in->ka.node, prewarm, until);
        in->state = FB_INST_BUSY; /* never counted idle: it goes now */
        cl_evict(c, in, FB_EV_EVICT_UNLOAD, now);
    } else if (until <= now) {
        in->state = FB_INST_BUSY;
        cl_evict(c, in, FB_EV_EVICT_EXPIRED, now);
    } else {
        in->state = FB_INST_STARTING; /* cl_inst_idle links it */
        cl_inst_idle(c, in, now, until);
        return;
    }
    in->next = t->gone;
    t->gone = in;
}

/* ---- timers ---- */

double fb_cluster_next_due(struct fb_cluster *c)
{
    double t = INFINITY;
    const struct fb_heap_entry *pw = fb_heap_top(&c->prewarms);

    if (c->n_expiry > 0)
        t = c->expiry[0]->expire_at;
    if (pw != NULL && pw->t < t)
        t = pw->t;
    return t;
}

enum fb_due fb_cluster_due(struct fb_cluster *c, double now, struct fb_inst **out)
{
    *out = NULL;
    for (;;) {
        const struct fb_heap_entry *top = fb_heap_top(&c->prewarms);
        double t_exp = c->n_expiry > 0 ? c->expiry[0]->expire_at : INFINITY;
        double t_pw = top != NULL ? top->t : INFINITY;

        if (t_exp <= now && t_exp <= t_pw) {
            struct fb_inst *in = c->expiry[0];
            cl_evict(c, in, FB_EV_EVICT_EXPIRED, now);
            *out = in;
            return FB_DUE_REMOVE;
        }
        if (t_pw > now)
            return FB_DUE_NONE;
        struct fb_heap_entry e;
        fb_heap_pop(&c->prewarms, &e);
        struct prewarm pw = *(struct prewarm *)e.p;
        free(e.p);
        struct cfn *fn = &c->fns[pw.f];
        fn->prewarms--;
        if (fn->cancelled > 0) {
            fn->cancelled--; /* an arrival came before it */
            continue;
        }
        struct cnode *nd = &c->nodes[pw.node];
        /* A pre-warm needs its node up and room; otherwise it is dropped. */
        if (nd->down || nd->capacity - nd->used_mb < c->fns[pw.f].memory_mb - 1e-9)
            continue;
        struct fb_inst *in = cl_inst_new(c, pw.node, pw.f, now);
        if (in == NULL)
            continue;
        in->expire_at = pw.keep_until;
        c->out.prewarms++;
        cl_emit(c, in, FB_EV_PREWARM, now);
        *out = in;
        return FB_DUE_PREWARM;
    }
}

struct fb_inst *fb_cluster_prewarm_done(struct fb_cluster *c, struct fb_inst *in, double now,
                                        bool ok)
{
    if (!ok || in->lost) {
        cl_evict(c, in, FB_EV_EVICT_FAILED, now);
        return in;
    }
    cl_emit(c, in, FB_EV_READY, now);
    cl_inst_idle(c, in, now, in->expire_at);
    cl_emit(c, in, FB_EV_IDLE, now);
    return NULL;
}

/* ---- faults ---- */

struct fb_inst *fb_cluster_node_lost(struct fb_cluster *c, int i, double now)
{
    struct cnode *nd = &c->nodes[i];
    struct fb_inst *gone = NULL, *next;

    for (int f = 0; f < c->n_fns; f++)
        if (nd->fn[f].has_warm) {
            nd->fn[f].has_warm = false;
            cl_warm_update(c, i, f);
        }
    if (c->k == NULL)
        return NULL;
    for (struct fb_inst *in = nd->inst; in != NULL; in = next) {
        next = in->node_next;
        if (in->state != FB_INST_IDLE) {
            in->lost = true;
            continue;
        }
        cl_evict(c, in, FB_EV_EVICT_FAILED, now);
        in->next = gone;
        gone = in;
    }
    return gone;
}

/* ---- the cell ---- */

bool fb_cluster_keepalive(const struct fb_cluster *c)
{
    return c->k != NULL;
}

int fb_cluster_cell_begin(struct fb_cluster *c, const struct fb_keepalive *k,
                          const double *kparams, uint64_t seed)
{
    cl_pool_free(c);
    memset(&c->out, 0, sizeof(c->out));
    c->next_id = 0;
    for (int f = 0; f < c->n_fns; f++) {
        c->fns[f].warm_ms = NAN;
        c->fns[f].warm_n = 0;
        c->fns[f].prewarms = c->fns[f].cancelled = 0;
    }
    if (k == NULL)
        return 0;
    if (k->ops.init != NULL && k->ops.init(&c->kstate, c->n_fns, seed, kparams) < 0)
        return FB_ENOMEM;
    c->k = k;
    return 0;
}

struct fb_inst *fb_cluster_cell_end(struct fb_cluster *c, double now, struct fb_ka_outcome *out)
{
    struct fb_inst *gone = NULL;

    if (c->k == NULL) {
        memset(out, 0, sizeof(*out));
        return NULL;
    }
    for (int i = 0; i < c->n_nodes; i++) {
        while (c->nodes[i].inst != NULL) {
            struct fb_inst *in = c->nodes[i].inst;
            cl_evict(c, in, FB_EV_EVICT_END, now);
            in->next = gone;
            gone = in;
        }
    }
    *out = c->out;
    cl_pool_free(c);
    return gone;
}

/* Drops the keep-alive cell's state: timers, the policy, instances still in
 * the pool (freed without events: only when the cell is abandoned). */
void cl_pool_free(struct fb_cluster *c)
{
    struct fb_heap_entry e;

    while (fb_heap_pop(&c->prewarms, &e))
        free(e.p);
    fb_heap_free(&c->prewarms);
    c->n_expiry = 0;
    for (int i = 0; i < c->n_nodes; i++) {
        struct cnode *nd = &c->nodes[i];
        while (nd->inst != NULL) {
            struct fb_inst *in = nd->inst;
            nd->inst = in->node_next;
            free(in);
        }
        nd->n_inst = 0;
        nd->used_mb = nd->idle_mb = 0;
        for (int f = 0; f < c->n_fns; f++) {
            nd->fn[f].idle = NULL;
            nd->fn[f].idle_n = 0;
            cl_warm_update(c, i, f);
        }
    }
    free(c->expiry);
    c->expiry = NULL;
    c->cap_expiry = 0;
    free(c->vbuf);
    free(c->vmap);
    c->vbuf = NULL;
    c->vmap = NULL;
    c->vcap = 0;
    if (c->k != NULL && c->k->ops.free != NULL)
        c->k->ops.free(c->kstate);
    c->k = NULL;
    c->kstate = NULL;
}
