/* live.c - a cell on real nodes: the engine resets and prepares the nodes,
 * the workload's clients (closed loop) or its dispatcher and workers (open
 * loop) issue the invocations on threads of their own, and the engine tears
 * the cell down. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "run/run_priv.h"

/* What the threads of a cell's workload share. */
struct livecell {
    struct cell *c;
    struct fb_workload wl;
    double t0;                 /* mono s: the cell began issuing */
    pthread_mutex_t lock;      /* the workload, the open-loop queue */
    pthread_cond_t ready;      /* open loop: an arrival was released, or the end */
    struct fb_issue *q;        /* open loop: released arrivals no worker has taken */
    size_t q_head, q_n, q_cap;
    bool closing;
};

struct client {
    struct livecell *lc;
    int id;
    pthread_t tid;
};

static bool stopped(const struct livecell *lc)
{
    return fb_run_stop || lc->c->rc != 0;
}

/* Invokes is (its function, its work) and records it; intended_ms as for
 * fb_cell_record. */
static int invoke(struct livecell *lc, const struct fb_issue *is, int64_t intended_ms)
{
    struct cell *c = lc->c;
    struct fb_outcome o;
    struct fb_work work = {is->duration_ms, is->memory_mb};
    int rc = fb_engine_invoke_work(c->r->eng, c->p, c->pstate, is->function, &work, &o);
    bool open = lc->wl.ops->open_loop;

    if (rc < 0) {
        pthread_mutex_lock(&c->lock);
        if (c->rc == 0)
            c->rc = rc;
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    return fb_cell_record(c, is->function, &o, intended_ms,
                          fb_cell_warmup(c, open, is->t_s, o.start_ms));
}

/* A closed-loop client: the workload's next invocation for it, back to
 * back, until the workload says it is done. */
static void *closed_client(void *arg)
{
    struct client *cl = arg;
    struct livecell *lc = cl->lc;

    for (;;) {
        struct fb_issue is;
        pthread_mutex_lock(&lc->lock);
        bool go = !stopped(lc) && fb_workload_next(&lc->wl, cl->id, fb_mono_s() - lc->t0, &is) == 1;
        pthread_mutex_unlock(&lc->lock);
        if (!go || invoke(lc, &is, 0) < 0)
            return NULL;
    }
}

/* An open-loop worker: takes released arrivals in order. A stop is checked
 * before each is taken, so what is queued is not run after a signal. */
static void *open_worker(void *arg)
{
    struct client *cl = arg;
    struct livecell *lc = cl->lc;

    for (;;) {
        pthread_mutex_lock(&lc->lock);
        while (lc->q_n == 0 && !lc->closing && !stopped(lc))
            pthread_cond_wait(&lc->ready, &lc->lock);
        if (lc->q_n == 0 || stopped(lc)) {
            pthread_mutex_unlock(&lc->lock);
            return NULL;
        }
        struct fb_issue is = lc->q[lc->q_head];
        lc->q_head = (lc->q_head + 1) % lc->q_cap;
        lc->q_n--;
        pthread_mutex_unlock(&lc->lock);
        int64_t intended = lc->c->t0_unix_ms + (int64_t)llround(is.t_s * 1000.0);
        if (invoke(lc, &is, intended) < 0)
            return NULL;
    }
}

/* The load generator's clock: waits until t (monotonic seconds), waking at
 * least every 100 ms to notice a stop (the signal may go to another thread). */
static void sleep_until(double t_mono_s)
{
    while (!fb_run_stop) {
        double now = fb_mono_s();
        if (now >= t_mono_s)
            return;
        double t = t_mono_s - now > 0.1 ? now + 0.1 : t_mono_s;
        struct timespec ts = {.tv_sec = (time_t)t, .tv_nsec = (long)((t - floor(t)) * 1e9)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

/* Appends is to the queue (under the lock): 0 or FB_ENOMEM. */
static int enqueue(struct livecell *lc, const struct fb_issue *is)
{
    if (lc->q_n == lc->q_cap) {
        size_t cap = lc->q_cap ? lc->q_cap * 2 : 64;
        struct fb_issue *q = malloc(cap * sizeof(*q));
        if (q == NULL)
            return FB_ENOMEM;
        for (size_t i = 0; i < lc->q_n; i++)
            q[i] = lc->q[(lc->q_head + i) % lc->q_cap];
        free(lc->q);
        lc->q = q;
        lc->q_head = 0;
        lc->q_cap = cap;
    }
    lc->q[(lc->q_head + lc->q_n) % lc->q_cap] = *is;
    lc->q_n++;
    return 0;
}

/* Releases each arrival at its time; workers take them up. */
static void open_dispatch(struct livecell *lc)
{
    struct fb_issue is;
    int rc;

    lc->t0 = fb_mono_s();
    pthread_mutex_lock(&lc->c->lock); /* the faults' thread reads it */
    lc->c->t0_unix_ms = fb_unix_ms();
    pthread_mutex_unlock(&lc->c->lock);
    while (!stopped(lc) && (rc = fb_workload_next(&lc->wl, 0, 0, &is)) != 0) {
        if (rc < 0) {
            pthread_mutex_lock(&lc->lock);
            if (lc->c->rc == 0)
                lc->c->rc = rc;
            pthread_mutex_unlock(&lc->lock);
            break;
        }
        sleep_until(lc->t0 + is.t_s);
        if (fb_run_stop)
            break;
        pthread_mutex_lock(&lc->lock);
        if (enqueue(lc, &is) < 0 && lc->c->rc == 0)
            lc->c->rc = FB_ENOMEM;
        pthread_cond_signal(&lc->ready);
        pthread_mutex_unlock(&lc->lock);
    }
    pthread_mutex_lock(&lc->lock);
    lc->closing = true;
    pthread_cond_broadcast(&lc->ready);
    pthread_mutex_unlock(&lc->lock);
}

/* The workload's threads: clients or workers, and the dispatcher here. */
static int run_workload(struct livecell *lc)
{
    int n = lc->wl.clients, started = 0;
    bool open = lc->wl.ops->open_loop;
    struct client *cl = calloc((size_t)n, sizeof(*cl));

    if (cl == NULL)
        return FB_ENOMEM;
    lc->t0 = fb_mono_s();
    if (!open && n == 1) {
        /* One client (sequential): here, no thread. */
        cl[0] = (struct client){.lc = lc};
        closed_client(&cl[0]);
        free(cl);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        cl[i] = (struct client){.lc = lc, .id = i};
        if (pthread_create(&cl[i].tid, NULL, open ? open_worker : closed_client, &cl[i]) != 0)
            break;
        started++;
    }
    if (open)
        open_dispatch(lc);
    for (int i = 0; i < started; i++)
        pthread_join(cl[i].tid, NULL);
    free(cl);
    return started == n ? 0 : FB_ENOMEM;
}

int fb_live_cell(struct cell *c)
{
    struct run *r = c->r;
    const struct fb_experiment *exp = r->exp;
    const struct fb_workload_cfg *w = &exp->workload;
    struct livecell lc = {.c = c};
    int rc;

    fb_engine_reset(r->eng);
    if (c->k != NULL && exp->matrix.prepull)
        fb_engine_pull_all(r->eng);
    /* A first poll after the reset, so CPU % has a baseline (and a
     * keep-alive cell its nodes' memory limits). */
    fb_engine_poll(r->eng);
    fb_engine_cell_begin(r->eng, w->kind == FB_WORKLOAD_TRACE ? w->time_scale : 1.0);
    if (c->k != NULL &&
        (rc = fb_engine_ka_begin(r->eng, c->k, c->kspec.values, c->seed, fb_cell_ka_event, c)) <
            0)
        return rc;
    for (int f = 0; c->k == NULL && f < exp->n_functions && !fb_run_stop; f++) {
        struct fb_errbuf eb = {{0}};
        if (fb_engine_prepare(r->eng, c->p, c->pstate, f, c->cell->warming, &eb) < 0)
            fprintf(stderr, "faasbench: %s\n", eb.msg);
    }

    pthread_mutex_init(&lc.lock, NULL);
    pthread_cond_init(&lc.ready, NULL);
    c->t0_unix_ms = fb_unix_ms(); /* open loops take theirs when they start */
    rc = fb_workload_begin(exp, r->trace, c->seed, (unsigned)(c->cell->repetition - 1), &lc.wl);
    if (rc == 0) {
        /* The faults run on the workload's clock, from its start. */
        struct faultrun *fr = fb_faultrun_start(c);
        rc = run_workload(&lc);
        fb_faultrun_stop(fr);
    }
    fb_workload_end(&lc.wl);
    free(lc.q);
    pthread_cond_destroy(&lc.ready);
    pthread_mutex_destroy(&lc.lock);
    if (c->k != NULL)
        fb_engine_ka_end(r->eng, &c->ko);
    fb_engine_teardown(r->eng);
    return rc;
}
