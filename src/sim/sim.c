/* sim.c - the simulated executor's event loop: arrivals and clients, picks by
 * the decision core, each phase's time from the model, handlers sharing a
 * node's CPUs, keep-alive timers, and a row per invocation. */
#include "sim/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/heap.h"
#include "core/rng.h"
#include "core/template.h"
#include "experiment/matrix.h"
#include "workload/workload.h"

struct fb_sim {
    const struct fb_experiment *exp;
    struct fb_model model;
    const struct fb_model_fn **mfn; /* per experiment function; NULL: never called */
    const size_t *calls;            /* while checking the model: fb_sim_opts' */
    const struct fb_dist **select;  /* per function: its select time (before a mode is known) */
    double *fn_memory;
    struct fb_work_use *work_use;   /* per function: the placeholders it holds */
    int n_nodes;
    char **names;
    double capacity;                /* each node's MB for instances */
    int slots;
};

/* ---- the simulator ---- */

int fb_sim_n_nodes(const struct fb_sim *s)
{
    return s->n_nodes;
}

const char *fb_sim_node_name(const struct fb_sim *s, int i)
{
    return s->names[i];
}

const struct fb_model *fb_sim_model(const struct fb_sim *s)
{
    return &s->model;
}

void fb_sim_describe_nodes(const struct fb_sim *s, char *buf, size_t n)
{
    char mem[32] = "unbounded";
    char cpu[64] = "CPUs not shared (node.cpus unset)";

    if (isfinite(s->capacity))
        snprintf(mem, sizeof(mem), "%g MB", s->capacity);
    if (s->model.cpus > 0)
        snprintf(cpu, sizeof(cpu), "%g CPUs (times measured on %g)", s->model.cpus,
                 s->model.calibrated_cpus);
    snprintf(buf, n, "%d simulated nodes, %s each for instances, %d slots, %s", s->n_nodes, mem,
             s->slots, cpu);
}

/* The phases a function's rows need in mode m of a cell kind. */
static bool needs(const struct fb_function_cfg *fn, int m, int p, bool ka, bool work)
{
    bool resident = fn->resident || ka;
    bool started = m != FB_WARM_WARMED;

    switch (p) {
    case FB_PH_SELECT:
    case FB_PH_OVERHEAD:
        return true;
    case FB_PH_PULL:
        return m == FB_WARM_COLD;
    case FB_PH_CREATE:
    case FB_PH_READY:
    case FB_PH_INIT:
        return resident && started;
    case FB_PH_CALL:
        return resident;
    case FB_PH_HANDLER:
        return resident && !work;
    case FB_PH_RUN:
        return !resident;
    case FB_PH_CLEANUP:
        return !ka;
    case FB_PH_KA_CLEANUP:
        return ka;
    default:
        return false; /* the extras: 0 when not calibrated, and the model says so */
    }
}

/* Checks that the model has every phase the experiment's cells can need. */
static int check_model(struct fb_sim *s, struct fb_errbuf *eb)
{
    const struct fb_experiment *exp = s->exp;
    const struct fb_matrix_cfg *mx = &exp->matrix;
    bool work = exp->workload.kind == FB_WORKLOAD_TRACE;
    bool modes[2][FB_MODEL_MODES] = {{false}};

    for (int w = 0; w < mx->n_warmings; w++) {
        enum fb_warming m = mx->warmings[w];
        if (m < FB_MODEL_MODES)
            modes[0][m] = true;
    }
    if (fb_matrix_has_keepalive(mx)) {
        modes[1][FB_WARM_PREWARMED] = modes[1][FB_WARM_WARMED] = true;
        modes[1][FB_WARM_COLD] = !mx->prepull;
    }
    for (int f = 0; f < exp->n_functions; f++) {
        const struct fb_function_cfg *fn = &exp->functions[f];
        const struct fb_model_fn *mf = fb_model_find(&s->model, fn->name);
        if (mf == NULL && s->calls != NULL && s->calls[f] == 0)
            continue; /* never called: nothing to model */
        if (mf == NULL)
            return fb_errf(eb, FB_ECONFIG,
                           "%s:1: model.functions: no function '%s' (the experiment's %s:%d)",
                           s->model.path, fn->name, exp->path, fn->line);
        s->mfn[f] = mf;
        if (s->calls != NULL && s->calls[f] == 0)
            continue;
        for (int ka = 0; ka < 2; ka++)
            for (int m = 0; m < FB_MODEL_MODES; m++)
                for (int p = 0; m < FB_MODEL_MODES && modes[ka][m] && p < FB_MPHASE_N; p++) {
                    bool w = work && fn->resident ? true : false;
                    if (!needs(fn, m, p, ka == 1, w) || mf->d[m][p].set)
                        continue;
                    return fb_errf(eb, FB_ECONFIG,
                                   "%s:%d: model.functions.[%s].%s.%s: no samples, and the "
                                   "experiment's %s cells need them",
                                   s->model.path, mf->line, fn->name, fb_model_mode_name(m),
                                   fb_model_phase_name(p), ka ? "keep-alive" : fb_warming_name(m));
                }
    }
    return 0;
}

int fb_sim_new(const struct fb_experiment *exp, const struct fb_sim_opts *o, struct fb_sim **out,
               struct fb_errbuf *eb)
{
    struct fb_sim *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (s == NULL)
        return FB_ENOMEM;
    s->exp = exp;
    if (o->model == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "a simulation needs a node model (--model FILE; "
                                    "`faasbench calibrate` writes one from real runs)");
        goto fail;
    }
    if ((rc = fb_model_load(o->model, &s->model, eb)) < 0)
        goto fail;
    s->mfn = calloc((size_t)exp->n_functions, sizeof(*s->mfn));
    s->fn_memory = calloc((size_t)exp->n_functions, sizeof(double));
    s->work_use = calloc((size_t)exp->n_functions, sizeof(*s->work_use));
    s->select = calloc((size_t)exp->n_functions, sizeof(*s->select));
    if (s->mfn == NULL || s->fn_memory == NULL || s->select == NULL || s->work_use == NULL) {
        rc = FB_ENOMEM;
        goto fail;
    }
    s->calls = o->calls;
    rc = check_model(s, eb);
    s->calls = NULL; /* borrowed for the check only */
    if (rc < 0)
        goto fail;
    for (int f = 0; f < exp->n_functions; f++) {
        s->work_use[f] = fb_work_use_of(exp->functions[f].command, exp->functions[f].args);
        if (s->mfn[f] == NULL) { /* never called */
            s->fn_memory[f] = exp->functions[f].memory_mb > 0 ? exp->functions[f].memory_mb : 128;
            continue;
        }
        double mm = s->mfn[f]->memory_mb;
        /* The choice of a node comes before its mode: the select times of
         * warm calls, the most of them, else of any mode calibrated. */
        static const int order[] = {FB_WARM_WARMED, FB_WARM_PREWARMED, FB_WARM_COLD};
        s->select[f] = &s->mfn[f]->d[FB_WARM_WARMED][FB_PH_SELECT];
        for (int k = 0; k < 3; k++)
            if (s->mfn[f]->d[order[k]][FB_PH_SELECT].set) {
                s->select[f] = &s->mfn[f]->d[order[k]][FB_PH_SELECT];
                break;
            }
        s->fn_memory[f] = mm > 0                                 ? mm
                          : exp->functions[f].memory_mb > 0 ? exp->functions[f].memory_mb
                                                            : 128;
    }
    s->n_nodes = o->nodes > 0 ? o->nodes : exp->n_nodes;
    s->slots = exp->workload.per_node > 0 ? exp->workload.per_node : 1;
    /* A node's memory: the experiment's (its first node's setting), else the
     * model's, else unbounded. */
    s->capacity = exp->n_nodes > 0 && exp->nodes[0].memory_mb > 0 ? exp->nodes[0].memory_mb
                  : s->model.memory_mb > 0                       ? s->model.memory_mb
                                                                 : INFINITY;
    if (fb_matrix_has_keepalive(&exp->matrix) && !isfinite(s->capacity)) {
        rc = fb_errf(eb, FB_ECONFIG,
                     "%s: keep-alive cells need the simulated nodes' memory: memory_mb of the "
                     "experiment's nodes, or node.memory_mb in the model",
                     s->model.path);
        goto fail;
    }
    if ((s->names = calloc((size_t)s->n_nodes, sizeof(char *))) == NULL) {
        rc = FB_ENOMEM;
        goto fail;
    }
    for (int i = 0; i < s->n_nodes; i++) {
        s->names[i] = o->nodes > 0 || i >= exp->n_nodes ? fb_strf("sim%d", i + 1)
                                                         : strdup(exp->nodes[i].name);
        if (s->names[i] == NULL) {
            rc = FB_ENOMEM;
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    fb_sim_free(s);
    return rc;
}

void fb_sim_free(struct fb_sim *s)
{
    if (s == NULL)
        return;
    for (int i = 0; s->names != NULL && i < s->n_nodes; i++)
        free(s->names[i]);
    free(s->names);
    free(s->mfn);
    free(s->select);
    free(s->fn_memory);
    free(s->work_use);
    fb_model_free(&s->model);
    free(s);
}

/* ---- a cell ---- */

enum evk {
    EV_ISSUE,   /* closed loop: client x issues its next invocation */
    EV_ARRIVAL, /* open loop: the next arrival */
    EV_PICK,    /* invocation p picks a node after its select time */
    EV_HANDLER, /* invocation p's handler starts (shared CPUs) */
    EV_ANSWER,  /* invocation p has its answer */
    EV_CLEAN,   /* invocation p's cleanup is done */
    EV_SHARE,   /* node x's next handler may be done (generation in the payload) */
    EV_TIMER,   /* keep-alive expiries and pre-warms due */
    EV_PREWARM, /* pre-warm instance p is ready */
    EV_FAULT    /* fault x / 2 begins (x even) or ends (odd) */
};

struct inv {
    uint64_t gen;         /* kept over reuse: an event of an older generation is stale */
    int f, client;        /* client: closed loop's, or -1 (an open-loop worker) */
    struct fb_issue is;
    double t_take;        /* wall s: a client issued it, or a worker took it */
    double t_ok;          /* its pick succeeded */
    double t_run;         /* its answer */
    double pull, create, ready, init, call, handler, cleanup, overhead; /* ms */
    double wv;            /* shared CPUs: the node's work clock at which its handler ends */
    struct fb_ticket t;
    int inst_id;          /* keep-alive: its instance's (which may go before the row) */
    bool waiting;
    struct inv *next;     /* wait list, queue, free list */
    /* From its start to its answer it runs on its node (a fault there
     * fails it): a list per node. */
    bool running, in_share;
    struct inv *run_prev, *run_next;
    int attempts;         /* 1 + retries after a node failure */
    char failed_nodes[128];
    char retry_error[160];
};

/* A node's handlers sharing its CPUs (processor sharing). */
struct share {
    double factor;        /* a slow fault's fraction, else 1 */
    int active;
    double work;          /* units of handler time done per handler so far */
    double at;            /* wall s the work clock was read */
    uint32_t gen;
    struct fb_heap ends;  /* handlers by the work clock at which they end */
};

struct run {
    struct fb_sim *s;
    const struct fb_sim_cell *c;
    struct fb_cluster *cl;
    struct fb_workload wl;
    struct fb_heap ev;
    struct fb_rng rng;
    double T;             /* wall s since the cell began */
    double scale;         /* wall s per workload s */
    int rc;
    long seq_name;
    struct share *share;  /* per node, when the model shares CPUs */
    struct inv *free_inv;
    struct inv *wait_head, *wait_tail;   /* picks that must wait, in order */
    struct inv *q_head, *q_tail;         /* open loop: arrivals no worker has taken */
    int idle_workers;
    double timer_at;      /* wall s of the timer event scheduled, INFINITY: none */
    long live;            /* invocations not done, queued, or still to be issued: the cell
                             ends when none is left (timers due later do not run) */
    long n_events;
    /* faults */
    struct inv **running; /* per node: invocations between start and answer */
    bool *fault_on;       /* per fault */
    long *fault_lost;
};

/* The generation an event of v carries (the queue's x keeps 40 bits). */
#define GEN(v) ((int64_t)((v)->gen & 0xffffffffffULL))

static void schedule(struct run *r, double t, enum evk k, void *p, int64_t x)
{
    if (k == EV_ISSUE || k == EV_ARRIVAL)
        r->live++;
    if (r->rc == 0 && fb_heap_push(&r->ev, t, p, ((int64_t)k << 40) | (x & 0xffffffffffLL)) < 0)
        r->rc = FB_ENOMEM;
}

static struct inv *inv_new(struct run *r)
{
    struct inv *v = r->free_inv;
    uint64_t gen = 0;
    if (v != NULL) {
        r->free_inv = v->next;
        gen = v->gen;
    } else if ((v = malloc(sizeof(*v))) == NULL) {
        return NULL;
    }
    memset(v, 0, sizeof(*v));
    v->gen = gen + 1;
    v->attempts = 1;
    return v;
}

static void inv_free(struct run *r, struct inv *v)
{
    v->gen++; /* any event still naming it is stale */
    v->next = r->free_inv;
    r->free_inv = v;
}

static double now_w(const struct run *r)
{
    return r->T / r->scale;
}

/* The node's load as a policy sees it: CPU % from its calls in flight over
 * its slots. RAM % is not modelled (0): a real node's is what its processes
 * use, which reservations (the instances' memory_mb) do not say. */
static void load_update(struct run *r, int i)
{
    double cpu = 100.0 * fb_cluster_inflight(r->cl, i) / (double)r->s->slots;

    fb_cluster_set_load(r->cl, i, cpu > 100 ? 100 : cpu, 0);
}

/* The keep-alive timers: an event at the cluster's next due time when it is
 * earlier than the one already scheduled. */
static void timer_check(struct run *r)
{
    double due = fb_cluster_next_due(r->cl);
    if (isinf(due))
        return;
    double t = due * r->scale;
    if (t < r->T)
        t = r->T;
    if (t < r->timer_at) {
        r->timer_at = t;
        schedule(r, t, EV_TIMER, NULL, 0);
    }
}

static void ka_event(void *ctx, const struct fb_inst *in, enum fb_inst_event ev, double t_s)
{
    struct run *r = ctx;
    char name[128];

    if (r->c->event == NULL)
        return;
    snprintf(name, sizeof(name), "faasbench-ka-%s-sim-%d",
             r->s->exp->functions[in->ka.function].name, in->ka.id);
    struct fb_ka_event row = {
        .t_s = t_s,
        .unix_ms = r->c->t0_unix_ms + (int64_t)llround(t_s * r->scale * 1000.0),
        .node = r->s->names[in->ka.node],
        .function = r->s->exp->functions[in->ka.function].name,
        .instance = name,
        .event = fb_inst_event_name(ev),
        .memory_mb = in->ka.memory_mb,
    };
    r->c->event(r->c->ctx, &row);
}

/* ---- an invocation ---- */

static void issue_next(struct run *r, int client);
static void dispatch(struct run *r);
static void done_counted(struct run *r, struct inv *v, const struct fb_sim_result *res);

/* v is done: its client issues again, or its worker takes the next arrival. */
static void next_after(struct run *r, struct inv *v)
{
    r->live--;
    if (r->wl.ops->open_loop) {
        r->idle_workers++;
        dispatch(r);
    } else {
        schedule(r, r->T, EV_ISSUE, NULL, v->client);
    }
    inv_free(r, v);
}

/* The row of v, then its end. */
static void done(struct run *r, struct inv *v, const struct fb_outcome *o)
{
    bool open = r->wl.ops->open_loop;
    int64_t intended = open ? r->c->t0_unix_ms + (int64_t)llround(v->is.t_s * 1000.0) : 0;

    if (r->rc == 0) {
        bool warm = r->c->warmup(r->c->ctx, open, v->is.t_s, o->start_ms);
        int rc = r->c->record(r->c->ctx, v->f, o, intended, warm);
        if (rc < 0)
            r->rc = rc;
    }
    next_after(r, v);
}

/* The work v asked of its function, as the engine says it (fb_work_asked). */
static void asked_of(const struct run *r, const struct inv *v, double *duration_ms,
                     double *memory_mb)
{
    const struct fb_function_cfg *fn = &r->s->exp->functions[v->f];

    fb_work_asked_by(r->s->work_use[v->f],
                     &(struct fb_work){fn->work_duration_ms, fn->work_memory_mb},
                     &(struct fb_work){v->is.duration_ms, v->is.memory_mb}, duration_ms,
                     memory_mb);
}

static void outcome_base(struct run *r, const struct inv *v, struct fb_outcome *o)
{
    fb_outcome_none(o, "");
    asked_of(r, v, &o->asked_duration_ms, &o->asked_memory_mb);
    o->start_ms = r->c->t0_unix_ms + (int64_t)llround(v->t_take * 1000.0);
    o->attempts = v->attempts;
    snprintf(o->failed_nodes, sizeof(o->failed_nodes), "%s", v->failed_nodes);
    snprintf(o->retry_error, sizeof(o->retry_error), "%s", v->retry_error);
}

/* v found no node: its row says why. */
static void no_node(struct run *r, struct inv *v, int why)
{
    struct fb_outcome o;

    if (r->c->want_row != NULL && !r->c->want_row(r->c->ctx)) {
        struct fb_sim_result res = {.function = v->f, .node = -1, .mode = -1, .failed = true};
        res.start_ms = r->c->t0_unix_ms + (int64_t)llround(v->t_take * 1000.0);
        res.intended_ms = r->wl.ops->open_loop
                              ? r->c->t0_unix_ms + (int64_t)llround(v->is.t_s * 1000.0)
                              : res.start_ms;
        res.select_ms = res.latency_ms = (r->T - v->t_take) * 1000.0;
        res.node_exec_ms = res.create_ms = res.ready_ms = res.init_ms = res.invoke_ms =
            res.handler_ms = NAN;
        done_counted(r, v, &res);
        return;
    }
    outcome_base(r, v, &o);
    snprintf(o.error, sizeof(o.error), "%s",
             why == FB_PICK_TOO_BIG
                 ? "the function's memory is larger than every node's capacity: it can never "
                   "start"
                 : "no eligible node: every node is down or at or above the RAM threshold, or "
                   "has no room for the function's memory");
    o.select_ms = o.latency_ms = o.total_ms = (r->T - v->t_take) * 1000.0;
    o.pull_ms = o.run_ms = o.cleanup_ms = 0;
    if (r->c->k != NULL)
        o.room_ms = o.select_ms;
    done(r, v, &o);
}

/* The phases of v, drawn from the model, once it has a node and a mode. */
static void draw(struct run *r, struct inv *v)
{
    const struct fb_model_fn *mf = r->s->mfn[v->f];
    const struct fb_function_cfg *fn = &r->s->exp->functions[v->f];
    int m = v->t.mode;
    bool ka = r->c->k != NULL, resident = fn->resident || ka;
    bool fresh = ka ? v->t.fresh : m != FB_WARM_WARMED;
    const struct fb_dist *d = mf->d[m];

    v->pull = m == FB_WARM_COLD && (!ka || v->t.fresh) ? fb_dist_draw(&d[FB_PH_PULL], &r->rng)
                                                        : 0;
    v->create = v->ready = v->init = 0;
    if (resident && fresh) {
        v->create = fb_dist_draw(&d[FB_PH_CREATE], &r->rng);
        v->ready = fb_dist_draw(&d[FB_PH_READY], &r->rng);
        v->init = fb_dist_draw(&d[FB_PH_INIT], &r->rng);
    }
    if (resident) {
        v->call = fb_dist_draw(&d[FB_PH_CALL], &r->rng);
        v->handler = isfinite(v->is.duration_ms)
                         ? v->is.duration_ms + fb_dist_draw(&d[FB_PH_HANDLER_EXTRA], &r->rng)
                         : fb_dist_draw(&d[FB_PH_HANDLER], &r->rng);
    } else {
        v->call = 0;
        v->handler = isfinite(v->is.duration_ms)
                         ? v->is.duration_ms + fb_dist_draw(&d[FB_PH_RUN_EXTRA], &r->rng)
                         : fb_dist_draw(&d[FB_PH_RUN], &r->rng);
    }
    v->cleanup = fb_dist_draw(&d[ka ? FB_PH_KA_CLEANUP : FB_PH_CLEANUP], &r->rng);
    v->overhead = fb_dist_draw(&d[FB_PH_OVERHEAD], &r->rng);
}

/* ---- handlers sharing a node's CPUs ---- */

/* The rate of a handler on a node with n running, against the rate of one
 * alone on the nodes its time was measured on: the node's CPUs shared when
 * the model gives them, times a slow fault's fraction. */
static double share_rate(const struct run *r, const struct share *sh, int n)
{
    const struct fb_model *m = &r->s->model;
    double now = 1.0;
    if (m->cpus > 0)
        now = (n > 0 ? fmin(1.0, m->cpus / (double)n) : 1.0) / fmin(1.0, m->calibrated_cpus);
    return now * sh->factor;
}

static void share_advance(struct run *r, struct share *sh)
{
    if (sh->active > 0)
        sh->work += (r->T - sh->at) * share_rate(r, sh, sh->active);
    else
        sh->work = 0; /* idle: the clock starts again, small and exact */
    sh->at = r->T;
}

/* Whether a handler ending at work clock t has ended: within a few ulps of
 * a clock that may have run for a day (an end left that close could not be
 * scheduled later than now). */
static bool share_ended(const struct share *sh, double t)
{
    return t <= sh->work + 1e-9 * fmax(1.0, fabs(sh->work));
}

/* The first handler still sharing the node (those a fault failed are dropped). */
static const struct fb_heap_entry *share_top(struct share *sh)
{
    const struct fb_heap_entry *e;
    while ((e = fb_heap_top(&sh->ends)) != NULL && e->x != GEN((struct inv *)e->p))
        fb_heap_pop(&sh->ends, NULL);
    return e;
}

static void share_reschedule(struct run *r, int node, struct share *sh)
{
    const struct fb_heap_entry *e = share_top(sh);
    sh->gen++;
    if (e == NULL)
        return;
    double left = e->t - sh->work;
    schedule(r, r->T + (left > 0 ? left : 0) / share_rate(r, sh, sh->active), EV_SHARE,
             (void *)(intptr_t)sh->gen, node);
}

static void handler_start(struct run *r, struct inv *v)
{
    struct share *sh = &r->share[v->t.node];
    share_advance(r, sh);
    sh->active++;
    v->in_share = true;
    if (fb_heap_push(&sh->ends, sh->work + v->handler / 1000.0, v, GEN(v)) < 0)
        r->rc = FB_ENOMEM;
    share_reschedule(r, v->t.node, sh);
}

static void answer(struct run *r, struct inv *v);

static void share_due(struct run *r, int node, uint32_t gen)
{
    struct share *sh = &r->share[node];
    const struct fb_heap_entry *top;
    struct fb_heap_entry e;

    if (gen != sh->gen)
        return; /* a later change rescheduled it */
    share_advance(r, sh);
    while ((top = share_top(sh)) != NULL && share_ended(sh, top->t)) {
        fb_heap_pop(&sh->ends, &e);
        sh->active--;
        ((struct inv *)e.p)->in_share = false;
        answer(r, e.p);
    }
    share_reschedule(r, node, sh);
}

/* ---- steps ---- */

static void wait_add(struct run *r, struct inv *v)
{
    v->waiting = true;
    v->next = NULL;
    if (r->wait_tail != NULL)
        r->wait_tail->next = v;
    else
        r->wait_head = v;
    r->wait_tail = v;
}

static void run_link(struct run *r, struct inv *v)
{
    struct inv **head = &r->running[v->t.node];
    v->running = true;
    v->run_prev = NULL;
    v->run_next = *head;
    if (*head != NULL)
        (*head)->run_prev = v;
    *head = v;
}

static void run_unlink(struct run *r, struct inv *v)
{
    if (!v->running)
        return;
    if (v->run_prev != NULL)
        v->run_prev->run_next = v->run_next;
    else
        r->running[v->t.node] = v->run_next;
    if (v->run_next != NULL)
        v->run_next->run_prev = v->run_prev;
    v->run_prev = v->run_next = NULL;
    v->running = false;
}

/* How long removing the instances of list takes, one after the other as the
 * engine removes them: each its function's `remove` time, from whichever
 * mode has one (0 when the model has none). */
static double removal_ms(struct run *r, const struct fb_inst *list)
{
    static const int modes[] = {FB_WARM_PREWARMED, FB_WARM_COLD, FB_WARM_WARMED};
    double ms = 0;

    for (const struct fb_inst *in = list; in != NULL; in = in->next) {
        const struct fb_model_fn *mf = r->s->mfn[in->ka.function];
        for (int k = 0; k < 3; k++)
            if (mf->d[modes[k]][FB_PH_REMOVE].set) {
                ms += fb_dist_draw(&mf->d[modes[k]][FB_PH_REMOVE], &r->rng);
                break;
            }
    }
    return ms;
}

/* v has its node: the instances it evicted are removed (its room wait),
 * then (t_ok) its steps to the answer. */
static void start(struct run *r, struct inv *v)
{
    v->t_ok = r->T;
    v->inst_id = v->t.inst != NULL ? v->t.inst->ka.id : 0;
    run_link(r, v);
    if (r->c->k != NULL && v->t.victims != NULL) {
        v->t_ok += removal_ms(r, v->t.victims) / 1000.0;
        fb_cluster_inst_free_list(v->t.victims);
        v->t.victims = NULL;
    }
    load_update(r, v->t.node);
    draw(r, v);
    double pre = (v->pull + v->create + v->ready + v->call) / 1000.0;
    if (r->share != NULL) {
        schedule(r, v->t_ok + pre, EV_HANDLER, v, GEN(v));
        return;
    }
    schedule(r, v->t_ok + pre + v->handler / 1000.0, EV_ANSWER, v, GEN(v));
}

/* A pick of v now: started, waiting, or a row of why not. */
static void pick(struct run *r, struct inv *v)
{
    int rc = fb_cluster_pick(r->cl, r->c->p, r->c->pstate, &v->t, now_w(r));

    if (rc == FB_PICK_OK) {
        v->waiting = false;
        start(r, v);
    } else if (rc == FB_PICK_WAIT) {
        wait_add(r, v);
    } else if (rc == FB_ENOMEM) {
        r->rc = FB_ENOMEM;
        r->live--;
        inv_free(r, v);
    } else {
        v->waiting = false;
        no_node(r, v, rc);
    }
    timer_check(r);
}

/* Something finished: every waiting pick tries again, in order. */
static void wake(struct run *r)
{
    struct inv *list = r->wait_head;

    r->wait_head = r->wait_tail = NULL;
    while (list != NULL) {
        struct inv *v = list;
        list = v->next;
        pick(r, v);
    }
}

/* v's answer: a keep-alive cell's instance goes idle or leaves, the
 * cleanup follows. */
static void answer(struct run *r, struct inv *v)
{
    struct fb_attempt_end end = {.image_pulled = v->t.fresh && v->t.mode == FB_WARM_COLD,
                                 .run_ms = v->create + v->ready + v->call + v->handler};

    v->t_run = r->T;
    run_unlink(r, v);
    if (r->c->k != NULL) {
        fb_cluster_release(r->cl, &v->t, now_w(r), &end);
        fb_cluster_inst_free_list(v->t.gone);
        v->t.gone = NULL;
        timer_check(r);
        wake(r);
    }
    schedule(r, r->T + v->cleanup / 1000.0, EV_CLEAN, v, 0);
}

/* The end of v with no row: its numbers handed over. */
static void done_counted(struct run *r, struct inv *v, const struct fb_sim_result *res)
{
    if (r->rc == 0) {
        bool warm = r->c->warmup(r->c->ctx, r->wl.ops->open_loop, v->is.t_s, res->start_ms);
        int rc = r->c->count(r->c->ctx, res, warm);
        if (rc < 0)
            r->rc = rc;
    }
    next_after(r, v);
}

/* v's numbers: its phases from its times. */
static void result_of(const struct run *r, const struct inv *v, struct fb_sim_result *res)
{
    const struct fb_function_cfg *fn = &r->s->exp->functions[v->f];
    bool resident = fn->resident || r->c->k != NULL;
    bool open = r->wl.ops->open_loop;

    double mb;
    res->function = v->f;
    asked_of(r, v, &res->asked_duration_ms, &mb);
    res->node = v->t.node;
    res->mode = (int)v->t.mode;
    res->failed = false;
    res->start_ms = r->c->t0_unix_ms + (int64_t)llround(v->t_take * 1000.0);
    res->intended_ms = open ? r->c->t0_unix_ms + (int64_t)llround(v->is.t_s * 1000.0)
                            : res->start_ms;
    res->select_ms = (v->t_ok - v->t_take) * 1000.0;
    res->pull_ms = v->pull;
    res->run_ms = (v->t_run - v->t_ok) * 1000.0 - v->pull;
    res->cleanup_ms = v->cleanup;
    res->latency_ms = res->select_ms + res->pull_ms + res->run_ms;
    res->node_exec_ms = res->latency_ms - v->overhead;
    if (res->node_exec_ms < 0)
        res->node_exec_ms = 0;
    res->create_ms = res->ready_ms = res->init_ms = res->invoke_ms = res->handler_ms = NAN;
    if (resident) {
        res->create_ms = v->create;
        res->ready_ms = v->ready;
        res->init_ms = v->init;
        res->invoke_ms = res->run_ms - v->create - v->ready;
        res->handler_ms = v->handler;
    }
}

static void clean(struct run *r, struct inv *v)
{
    struct fb_attempt_end end = {0};
    const struct fb_function_cfg *fn = &r->s->exp->functions[v->f];
    struct fb_sim_result res;
    struct fb_outcome o;

    fb_cluster_finish(r->cl, r->c->p, r->c->pstate, &v->t, now_w(r), &end);
    load_update(r, v->t.node);
    result_of(r, v, &res);
    wake(r);
    if (r->c->want_row != NULL && !r->c->want_row(r->c->ctx)) {
        done_counted(r, v, &res);
        return;
    }
    outcome_base(r, v, &o);
    o.node = res.node;
    o.node_name = r->s->names[res.node];
    o.mode = v->t.mode;
    o.exit_status = 0;
    o.select_ms = res.select_ms;
    o.pull_ms = res.pull_ms;
    o.run_ms = res.run_ms;
    o.cleanup_ms = res.cleanup_ms;
    o.latency_ms = res.latency_ms;
    o.total_ms = res.latency_ms + res.cleanup_ms;
    o.node_exec_ms = res.node_exec_ms;
    o.cpu_pct = o.ram_pct = NAN;
    if (r->c->k != NULL)
        o.room_ms = o.select_ms;
    o.create_ms = res.create_ms;
    o.ready_ms = res.ready_ms;
    o.init_ms = res.init_ms;
    o.invoke_ms = res.invoke_ms;
    o.handler_ms = res.handler_ms;
    if (r->c->k != NULL)
        snprintf(o.instance, sizeof(o.instance), "faasbench-ka-%s-sim-%d", fn->name, v->inst_id);
    else if (v->t.mode == FB_WARM_WARMED)
        snprintf(o.instance, sizeof(o.instance), "faasbench-warm-%s-sim", fn->name);
    else
        snprintf(o.instance, sizeof(o.instance), "faasbench-%s-sim-%ld", fn->name,
                 ++r->seq_name);
    done(r, v, &o);
}

/* The name of v's container, as the rows have it. */
static void inv_cname(struct run *r, const struct inv *v, char *buf, size_t n)
{
    const struct fb_function_cfg *fn = &r->s->exp->functions[v->f];
    if (r->c->k != NULL && v->t.inst != NULL)
        snprintf(buf, n, "faasbench-ka-%s-sim-%d", fn->name, v->t.inst->ka.id);
    else if (v->t.mode == FB_WARM_WARMED)
        snprintf(buf, n, "faasbench-warm-%s-sim", fn->name);
    else
        snprintf(buf, n, "faasbench-%s-sim-%ld", fn->name, ++r->seq_name);
}

/* ---- faults ---- */

static void append_word(char *buf, size_t n, const char *w)
{
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len > 0 ? " " : "", w);
}

/* v, running on its node, fails now for why: the node failed (a node
 * failure: retried elsewhere, as the engine does, while retries last) or
 * its container was killed (the call fails). */
static void fail_running(struct run *r, struct inv *v, bool node_failed, const char *why)
{
    struct fb_attempt_end end = {.failed = true, .node_failed = node_failed};
    int node = v->t.node;
    double now = now_w(r);
    char cname[96];

    inv_cname(r, v, cname, sizeof(cname)); /* before its instance goes */
    run_unlink(r, v);
    if (v->in_share) {
        struct share *sh = &r->share[node];
        share_advance(r, sh);
        sh->active--;
        v->in_share = false;
    }
    v->gen++; /* its handler or answer event is stale now */
    v->t_run = r->T;
    if (v->t_ok > r->T)
        v->t_ok = r->T; /* failed while its victims were being removed */
    if (r->c->k != NULL) {
        fb_cluster_release(r->cl, &v->t, now, &end);
        fb_cluster_inst_free_list(v->t.gone);
        v->t.gone = NULL;
        v->t.inst = NULL;
    }
    fb_cluster_finish(r->cl, r->c->p, r->c->pstate, &v->t, now, &end);
    load_update(r, node);
    if (node_failed && v->attempts <= r->s->exp->retries && fb_cluster_retry(&v->t)) {
        append_word(v->failed_nodes, sizeof(v->failed_nodes), r->s->names[node]);
        snprintf(v->retry_error, sizeof(v->retry_error), "%s", why);
        v->attempts++;
        double sel = fb_dist_draw(r->s->select[v->f], &r->rng);
        schedule(r, r->T + sel / 1000.0, EV_PICK, v, 0);
        return;
    }
    struct fb_outcome o;
    double ran = (v->t_run - v->t_ok) * 1000.0;
    outcome_base(r, v, &o);
    o.node = node;
    o.node_name = r->s->names[node];
    o.mode = v->t.mode;
    o.exit_status = -1;
    snprintf(o.error, sizeof(o.error), "%s", why);
    o.select_ms = (v->t_ok - v->t_take) * 1000.0;
    o.pull_ms = fmin(v->pull, ran);
    o.run_ms = ran - o.pull_ms;
    o.cleanup_ms = 0;
    o.latency_ms = o.total_ms = o.select_ms + o.pull_ms + o.run_ms;
    o.cpu_pct = o.ram_pct = NAN;
    if (r->c->k != NULL)
        o.room_ms = o.select_ms;
    snprintf(o.instance, sizeof(o.instance), "%s", cname);
    done(r, v, &o);
}

/* Every call running on node i fails. */
static void fail_node(struct run *r, int i, bool node_failed, const char *why)
{
    while (r->running[i] != NULL)
        fail_running(r, r->running[i], node_failed, why);
    if (r->share != NULL)
        share_reschedule(r, i, &r->share[i]);
}

static void fault_event(struct run *r, int k, bool end)
{
    const struct fb_fault *f = &r->c->faults->v[k];
    int i = f->node;
    char why[FB_ERRMSG_LEN];
    long lost = -1;

    if (i < 0 || i >= r->s->n_nodes)
        return; /* no such simulated node: it strikes nothing */
    switch (f->action) {
    case FB_FAULT_DOWN:
    case FB_FAULT_PARTITION:
        fb_cluster_set_down(r->cl, i, !end);
        if (!end) {
            snprintf(why, sizeof(why), "%s on %s: node %s %s (fault %s)",
                     r->c->k != NULL ? "invoke" : "run", r->s->names[i], r->s->names[i],
                     f->action == FB_FAULT_DOWN ? "stopped answering" : "cut off", f->name);
            fail_node(r, i, true, why);
        }
        break;
    case FB_FAULT_SLOW:
        share_advance(r, &r->share[i]);
        r->share[i].factor = end ? 1.0 : f->fraction;
        share_reschedule(r, i, &r->share[i]);
        break;
    case FB_FAULT_KILL:
        if (end)
            break;
        lost = fb_cluster_instances(r->cl, i, NULL, NULL);
        for (int g = 0; r->c->k == NULL && g < r->s->exp->n_functions; g++)
            lost += fb_cluster_has_warm(r->cl, i, g);
        fb_cluster_inst_free_list(fb_cluster_node_lost(r->cl, i, now_w(r)));
        snprintf(why, sizeof(why), "%s on %s: its container was killed (fault %s)",
                 r->c->k != NULL ? "invoke" : "run", r->s->names[i], f->name);
        fail_node(r, i, false, why);
        r->fault_lost[k] = lost;
        break;
    default:
        break;
    }
    r->fault_on[k] = !end;
    if (r->c->fault != NULL)
        r->c->fault(r->c->ctx, k, end, r->c->t0_unix_ms + (int64_t)llround(r->T * 1000.0),
                    r->fault_lost[k]);
    load_update(r, i);
    timer_check(r);
    wake(r);
}

/* ---- the workload ---- */

/* A new invocation of is, taken up now: its select time, then its pick. */
static void take(struct run *r, const struct fb_issue *is, int client)
{
    struct inv *v = inv_new(r);

    if (v == NULL) {
        r->rc = FB_ENOMEM;
        return;
    }
    r->live++;
    v->f = is->function;
    v->client = client;
    v->is = *is;
    v->t_take = r->T;
    v->t.f = is->function;
    v->t.t_arrival = now_w(r);
    double sel = fb_dist_draw(r->s->select[v->f], &r->rng);
    schedule(r, r->T + sel / 1000.0, EV_PICK, v, 0);
}

static void issue_next(struct run *r, int client)
{
    struct fb_issue is;
    if (fb_workload_next(&r->wl, client, r->T, &is) == 1)
        take(r, &is, client);
}

static void dispatch(struct run *r)
{
    while (r->idle_workers > 0 && r->q_head != NULL) {
        struct inv *q = r->q_head;
        r->q_head = q->next;
        if (r->q_head == NULL)
            r->q_tail = NULL;
        r->idle_workers--;
        r->live--; /* no longer queued: taken up */
        struct fb_issue is = q->is;
        inv_free(r, q);
        take(r, &is, -1);
    }
}

static void arrival(struct run *r, struct inv *q)
{
    struct fb_issue next;

    r->live++; /* queued */
    q->next = NULL;
    if (r->q_tail != NULL)
        r->q_tail->next = q;
    else
        r->q_head = q;
    r->q_tail = q;
    int rc = fb_workload_next(&r->wl, 0, 0, &next);
    if (rc < 0)
        r->rc = rc;
    if (rc == 1) {
        struct inv *n = inv_new(r);
        if (n == NULL) {
            r->rc = FB_ENOMEM;
            return;
        }
        n->is = next;
        schedule(r, next.t_s, EV_ARRIVAL, n, 0);
    }
    dispatch(r);
}

/* The keep-alive timers due now: removals (instantaneous) and pre-warms. */
static void timers(struct run *r)
{
    struct fb_inst *in;
    enum fb_due d;

    r->timer_at = INFINITY;
    while ((d = fb_cluster_due(r->cl, now_w(r), &in)) != FB_DUE_NONE) {
        if (d == FB_DUE_REMOVE) {
            fb_cluster_inst_free(in);
            continue;
        }
        const struct fb_dist *dd = r->s->mfn[in->ka.function]->d[FB_WARM_PREWARMED];
        double t = (fb_dist_draw(&dd[FB_PH_CREATE], &r->rng) +
                    fb_dist_draw(&dd[FB_PH_READY], &r->rng)) /
                   1000.0;
        schedule(r, r->T + t, EV_PREWARM, in, 0);
    }
    timer_check(r);
    wake(r);
}

/* ---- the loop ---- */

static int setup(struct run *r)
{
    struct fb_sim *s = r->s;
    const struct fb_experiment *exp = s->exp;
    struct fb_cluster_opts co = {.ram_threshold = exp->ram_threshold,
                                 .slots = s->slots,
                                 .event = ka_event,
                                 .event_ctx = r};
    int rc;

    if ((rc = fb_cluster_new(&co, &r->cl)) < 0)
        return rc;
    for (int i = 0; i < s->n_nodes; i++)
        if ((rc = fb_cluster_add_node(r->cl, s->names[i], s->capacity, false)) < 0)
            return rc;
    for (int f = 0; f < exp->n_functions; f++)
        if ((rc = fb_cluster_add_function(r->cl, exp->functions[f].name, s->fn_memory[f])) < 0)
            return rc;
    bool slow = false;
    const struct fb_schedule *fs = r->c->faults;
    for (int k = 0; fs != NULL && k < fs->n; k++)
        slow = slow || fs->v[k].action == FB_FAULT_SLOW;
    /* A slow fault changes the handlers' rate mid-run: they share the node. */
    if ((s->model.cpus > 0 || slow) &&
        (r->share = calloc((size_t)s->n_nodes, sizeof(*r->share))) == NULL)
        return FB_ENOMEM;
    for (int i = 0; r->share != NULL && i < s->n_nodes; i++)
        r->share[i].factor = 1.0;
    if ((r->running = calloc((size_t)s->n_nodes, sizeof(*r->running))) == NULL)
        return FB_ENOMEM;
    if (fs != NULL && fs->n > 0 &&
        ((r->fault_on = calloc((size_t)fs->n, sizeof(bool))) == NULL ||
         (r->fault_lost = calloc((size_t)fs->n, sizeof(long))) == NULL))
        return FB_ENOMEM;
    for (int k = 0; fs != NULL && k < fs->n; k++) {
        r->fault_lost[k] = -1;
        if (fs->v[k].node < 0 || fs->v[k].node >= s->n_nodes)
            continue;
        schedule(r, fs->v[k].at_s * r->scale, EV_FAULT, NULL, 2 * k);
        schedule(r, fs->v[k].end_s * r->scale, EV_FAULT, NULL, 2 * k + 1);
    }
    return r->rc;
}

/* A warming cell: the base policy picks the nodes each function is prepared
 * on, as the engine does; preparing takes no time of the cell's. */
static void prepare(struct run *r)
{
    const struct fb_experiment *exp = r->s->exp;
    enum fb_warming w = r->c->warming;
    int n = r->s->n_nodes, want = exp->warm_nodes > 0 ? exp->warm_nodes : n;
    bool *taken = calloc((size_t)n, sizeof(bool));

    if (w == FB_WARM_COLD || taken == NULL) {
        free(taken);
        return;
    }
    for (int f = 0; f < exp->n_functions; f++) {
        memset(taken, 0, sizeof(bool) * (size_t)n);
        for (int k = 0; k < want && k < n; k++) {
            int i = fb_cluster_prepare_pick(r->cl, r->c->p, r->c->pstate, f, taken);
            if (i < 0)
                break;
            taken[i] = true;
            fb_cluster_set_image(r->cl, i, f, true);
            if (w == FB_WARM_WARMED)
                fb_cluster_set_warm(r->cl, i, f, true);
        }
    }
    free(taken);
}

static void step(struct run *r, const struct fb_heap_entry *e)
{
    enum evk k = (enum evk)(e->x >> 40);
    int64_t x = e->x & 0xffffffffffLL;

    r->T = e->t;
    if (k == EV_ISSUE || k == EV_ARRIVAL)
        r->live--;
    switch (k) {
    case EV_ISSUE:
        issue_next(r, (int)x);
        break;
    case EV_ARRIVAL:
        arrival(r, e->p);
        break;
    case EV_PICK:
        pick(r, e->p);
        break;
    case EV_HANDLER:
        if (x == GEN((struct inv *)e->p))
            handler_start(r, e->p);
        break;
    case EV_ANSWER:
        if (x == GEN((struct inv *)e->p))
            answer(r, e->p);
        break;
    case EV_CLEAN:
        clean(r, e->p);
        break;
    case EV_SHARE:
        share_due(r, (int)x, (uint32_t)(intptr_t)e->p);
        break;
    case EV_TIMER:
        if (r->T >= r->timer_at)
            timers(r);
        break;
    case EV_PREWARM: {
        struct fb_inst *pw = e->p;
        /* A start on a node that went down meanwhile did not answer. */
        bool ok = !fb_cluster_down(r->cl, pw->ka.node);
        struct fb_inst *in = fb_cluster_prewarm_done(r->cl, pw, now_w(r), ok);
        fb_cluster_inst_free(in);
        timer_check(r);
        wake(r);
        break;
    }
    case EV_FAULT:
        fault_event(r, (int)(x / 2), x % 2 == 1);
        break;
    }
}

int fb_sim_run_cell(struct fb_sim *s, const struct fb_sim_cell *c, struct fb_ka_outcome *ko,
                    double *end_s)
{
    const struct fb_experiment *exp = s->exp;
    struct run r = {.s = s, .c = c, .timer_at = INFINITY};
    struct fb_heap_entry e;
    int rc;

    memset(ko, 0, sizeof(*ko));
    r.scale = exp->workload.kind == FB_WORKLOAD_TRACE && exp->workload.time_scale > 0
                  ? exp->workload.time_scale
                  : 1.0;
    fb_rng_seed(&r.rng, c->seed ^ 0x51ed5eedULL);
    if ((rc = setup(&r)) < 0)
        goto out;
    if ((rc = fb_cluster_cell_begin(r.cl, c->k, c->kparams, c->seed)) < 0)
        goto out;
    if (c->k != NULL && exp->matrix.prepull)
        for (int i = 0; i < s->n_nodes; i++)
            for (int f = 0; f < exp->n_functions; f++)
                fb_cluster_set_image(r.cl, i, f, true);
    if (c->k == NULL)
        prepare(&r);
    if ((rc = fb_workload_begin(exp, c->trace, c->seed, c->draw, &r.wl)) < 0)
        goto out;
    if (r.wl.ops->open_loop) {
        struct fb_issue is;
        r.idle_workers = r.wl.clients;
        if (fb_workload_next(&r.wl, 0, 0, &is) == 1) {
            struct inv *q = inv_new(&r);
            if (q == NULL) {
                rc = FB_ENOMEM;
                goto out;
            }
            q->is = is;
            schedule(&r, is.t_s, EV_ARRIVAL, q, 0);
        }
    } else {
        for (int i = 0; i < r.wl.clients; i++)
            schedule(&r, 0, EV_ISSUE, NULL, i);
    }
    /* The cell is over when its last invocation is: keep-alive timers and
     * faults still to come change nothing a call saw. */
    while (r.rc == 0 && r.live > 0 && fb_heap_pop(&r.ev, &e)) {
        step(&r, &e);
        if ((++r.n_events & 0xfff) == 0 && c->stop != NULL && *c->stop) {
            r.rc = FB_EINTR;
            break;
        }
    }
    rc = r.rc;
    /* Faults still on end with the cell. */
    for (int k = 0; rc == 0 && c->faults != NULL && k < c->faults->n; k++)
        if (r.fault_on[k] && c->fault != NULL)
            c->fault(c->ctx, k, true, c->t0_unix_ms + (int64_t)llround(r.T * 1000.0),
                     r.fault_lost[k]);
    if (rc == 0 && c->k != NULL) {
        struct fb_inst *left = fb_cluster_cell_end(r.cl, now_w(&r), ko);
        fb_cluster_inst_free_list(left);
    }
    *end_s = r.T;
out:
    /* Whatever is still in flight (a stop): its memory. */
    while (fb_heap_pop(&r.ev, &e)) {
        enum evk k = (enum evk)(e.x >> 40);
        int64_t x = e.x & 0xffffffffffLL;
        if ((k == EV_HANDLER || k == EV_ANSWER) && x != GEN((struct inv *)e.p))
            continue; /* stale: its invocation is elsewhere (the free list) */
        if (k == EV_PICK || k == EV_HANDLER || k == EV_ANSWER || k == EV_CLEAN ||
            k == EV_ARRIVAL) {
            struct inv *v = e.p;
            fb_cluster_inst_free_list(v->t.victims);
            fb_cluster_inst_free_list(v->t.gone);
            free(v);
        }
    }
    /* Handlers sharing a node when the run stopped. */
    for (int i = 0; r.share != NULL && i < s->n_nodes; i++) {
        while (fb_heap_pop(&r.share[i].ends, &e))
            if (e.x == GEN((struct inv *)e.p))
                free(e.p);
    }
    for (struct inv *v = r.wait_head; v != NULL;) {
        struct inv *n = v->next;
        free(v);
        v = n;
    }
    for (struct inv *v = r.q_head; v != NULL;) {
        struct inv *n = v->next;
        free(v);
        v = n;
    }
    while (r.free_inv != NULL) {
        struct inv *n = r.free_inv->next;
        free(r.free_inv);
        r.free_inv = n;
    }
    for (int i = 0; r.share != NULL && i < s->n_nodes; i++)
        fb_heap_free(&r.share[i].ends);
    free(r.share);
    free(r.running);
    free(r.fault_on);
    free(r.fault_lost);
    fb_heap_free(&r.ev);
    fb_workload_end(&r.wl);
    fb_cluster_free(r.cl);
    return rc;
}
