/* faultrun.c - a live cell's faults (docs/faults.md): one thread on the
 * cell's clock begins each fault of the schedule at its at_s and ends it
 * at_s + for_s later, through the engine; a stop (a signal, the cell's end,
 * an error) ends every fault still on at once. Each fault is armed on its
 * node to end by itself a little after its window (GRACE_S), so a node
 * heals even when faasbench dies; faasbench's own end comes first. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "run/run_priv.h"

/* How long a fault's node waits past its window before ending it itself. */
#define GRACE_S 2.0
/* Tries to end a fault the node did not answer for, spaced this far. */
#define END_TRIES 3

enum fstate { F_PENDING, F_ON, F_FAILED, F_DONE };

struct ftrans {
    double at;   /* workload s of the cell */
    int k;
    bool end;
};

struct faultrun {
    struct cell *c;
    struct fb_engine *e;
    const struct fb_schedule *s;
    double scale;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    bool stop;
    struct ftrans *tr;
    int n_tr;
    enum fstate *st;
    struct fb_fault_done *began; /* what each fault's begin said */
    char (*id)[64];
    bool *watch;                 /* per node: a down or partition fault of it ended */
    int n_nodes;
    double next_watch;           /* mono s */
};

/* How often a node whose down or partition fault has ended is tried again
 * when a call it had stalled marked it down after the fault. */
#define WATCH_S 1.0

static int cmp_trans(const void *a, const void *b)
{
    const struct ftrans *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->end != y->end)
        return x->end ? -1 : 1; /* a window that ends frees its node for the next */
    return x->k - y->k;
}

static struct fb_fault_do fault_do(const struct faultrun *fr, int k, double seconds)
{
    const struct fb_fault *f = &fr->s->v[k];
    return (struct fb_fault_do){.id = fr->id[k],
                                .action = f->action,
                                .seconds = seconds,
                                .fraction = f->fraction};
}

static void report_end(struct faultrun *fr, int k, const struct fb_fault_done *d, int rc,
                       const char *extra)
{
    const struct fb_fault_done *b = &fr->began[k];
    char err[2 * FB_ERRMSG_LEN + 64] = "";

    if (b->error[0] != '\0' && rc < 0)
        snprintf(err, sizeof(err), "begin: %s; end: %s", b->error, d->error);
    else if (b->error[0] != '\0')
        snprintf(err, sizeof(err), "begin: %s", b->error);
    else if (rc < 0)
        snprintf(err, sizeof(err), "end: %s%s", d->error, extra != NULL ? extra : "");
    struct fault_report rep = {
        .begin_ms = d->begin_ms > 0 ? d->begin_ms : b->begin_ms,
        .end_ms = d->end_ms,
        .ended_by = d->by[0] != '\0' ? d->by : NULL,
        .killed = b->killed,
        .lost = fr->s->v[k].action == FB_FAULT_KILL ? b->lost : -1,
        .error = err,
    };
    fb_cell_fault_ended(fr->c, k, &rep);
}

static void begin(struct faultrun *fr, int k)
{
    const struct fb_fault *f = &fr->s->v[k];
    double seconds = (f->end_s - f->at_s) * fr->scale + GRACE_S;
    struct fb_fault_do d = fault_do(fr, k, seconds);
    int rc = fb_engine_fault_begin(fr->e, f->node, &d, &fr->began[k]);

    if (rc < 0)
        fprintf(stderr, "faasbench: fault %s did not begin: %s\n", f->name,
                fr->began[k].error);
    /* A fault whose tool did not answer may be on all the same: ended as
     * one that is, unless its command ran and said no. */
    if (rc == FB_EEXIT) {
        fr->st[k] = F_FAILED;
        return;
    }
    fr->st[k] = F_ON;
    if (rc == 0)
        fb_cell_fault_began(fr->c, k, fr->began[k].begin_ms);
}

/* Ends fault k now; when its node does not answer, tries again (up to
 * END_TRIES, past the node's own deadline) unless stopping. */
static void end(struct faultrun *fr, int k, bool stopping)
{
    const struct fb_fault *f = &fr->s->v[k];
    struct fb_fault_do d = fault_do(fr, k, 0);
    struct fb_fault_done done;
    int rc = 0;

    if (fr->st[k] == F_FAILED) {
        done = (struct fb_fault_done){.killed = -1};
        report_end(fr, k, &done, 0, NULL);
        fr->st[k] = F_DONE;
        return;
    }
    for (int t = 0; t < END_TRIES; t++) {
        rc = fb_engine_fault_end(fr->e, f->node, &d, &done);
        if (rc == 0 || stopping)
            break;
        fprintf(stderr, "faasbench: fault %s: %s; trying again\n", f->name, done.error);
        /* The node ends it by itself GRACE_S past the window. */
        struct timespec ts = {(time_t)GRACE_S, 500000000};
        nanosleep(&ts, NULL);
        if (fb_run_stop)
            stopping = true;
    }
    report_end(fr, k, &done, rc,
               rc < 0 ? "; the node ends it by itself at its deadline" : NULL);
    fr->st[k] = F_DONE;
    if (f->action == FB_FAULT_DOWN || f->action == FB_FAULT_PARTITION)
        fr->watch[f->node] = true;
}

/* Nodes whose down or partition fault has ended and that are marked down
 * (a call stalled in the fault timed out after it): up again if they
 * answer. */
static void watch(struct faultrun *fr)
{
    double now = fb_mono_s();

    if (now < fr->next_watch)
        return;
    fr->next_watch = now + WATCH_S;
    for (int i = 0; i < fr->n_nodes; i++)
        if (fr->watch[i])
            fb_engine_fault_revive(fr->e, i);
}

/* Wall seconds since the cell began issuing, by the cell's own start (an
 * open loop takes its start when its dispatcher begins, a moment after
 * this thread). */
static double cell_now(const struct faultrun *fr)
{
    pthread_mutex_lock(&fr->c->lock);
    int64_t t0 = fr->c->t0_unix_ms;
    pthread_mutex_unlock(&fr->c->lock);
    return (double)(fb_unix_ms() - t0) / 1000.0;
}

static void *fault_main(void *arg)
{
    struct faultrun *fr = arg;
    int i = 0;

    pthread_mutex_lock(&fr->lock);
    while (!fr->stop) {
        double now = cell_now(fr), at = i < fr->n_tr ? fr->tr[i].at * fr->scale : INFINITY;
        if (fb_run_stop) {
            fr->stop = true;
            break;
        }
        pthread_mutex_unlock(&fr->lock);
        watch(fr);
        pthread_mutex_lock(&fr->lock);
        if (fr->stop)
            break;
        if (now < at) {
            /* Wakes at least every 100 ms to notice a signal (it may go to
             * another thread). */
            double wait = at - now > 0.1 ? 0.1 : at - now;
            struct timespec ts = fb_mono_timespec((fb_mono_s() + wait) * 1000.0);
            pthread_cond_timedwait(&fr->cv, &fr->lock, &ts);
            continue;
        }
        struct ftrans t = fr->tr[i++];
        pthread_mutex_unlock(&fr->lock);
        fb_cell_fault_busy(fr->c);
        if (!t.end)
            begin(fr, t.k);
        else if (fr->st[t.k] == F_ON || fr->st[t.k] == F_FAILED)
            end(fr, t.k, false);
        fb_cell_fault_settled(fr->c);
        pthread_mutex_lock(&fr->lock);
    }
    pthread_mutex_unlock(&fr->lock);
    /* Stopped, or every window is over: what is still on ends now. */
    for (int k = 0; k < fr->s->n; k++)
        if (fr->st[k] == F_ON || fr->st[k] == F_FAILED) {
            fb_cell_fault_busy(fr->c);
            end(fr, k, true);
            fb_cell_fault_settled(fr->c);
        }
    return NULL;
}

static void faultrun_free(struct faultrun *fr)
{
    if (fr == NULL)
        return;
    pthread_cond_destroy(&fr->cv);
    pthread_mutex_destroy(&fr->lock);
    free(fr->tr);
    free(fr->st);
    free(fr->began);
    free(fr->id);
    free(fr->watch);
    free(fr);
}

struct faultrun *fb_faultrun_start(struct cell *c)
{
    const struct fb_schedule *s = &c->r->sched;
    struct faultrun *fr;
    pthread_condattr_t ca;

    if (s->n == 0 || c->r->eng == NULL)
        return NULL;
    if ((fr = calloc(1, sizeof(*fr))) == NULL)
        goto nomem;
    fr->c = c;
    fr->e = c->r->eng;
    fr->s = s;
    fr->scale = c->time_scale;
    pthread_mutex_init(&fr->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fr->cv, &ca);
    pthread_condattr_destroy(&ca);
    fr->tr = calloc((size_t)s->n * 2, sizeof(*fr->tr));
    fr->st = calloc((size_t)s->n, sizeof(*fr->st));
    fr->began = calloc((size_t)s->n, sizeof(*fr->began));
    fr->id = calloc((size_t)s->n, sizeof(*fr->id));
    fr->n_nodes = fb_engine_node_count(fr->e);
    fr->watch = calloc((size_t)(fr->n_nodes > 0 ? fr->n_nodes : 1), sizeof(bool));
    if (fr->tr == NULL || fr->st == NULL || fr->began == NULL || fr->id == NULL ||
        fr->watch == NULL)
        goto nomem;
    for (int k = 0; k < s->n; k++) {
        fr->tr[fr->n_tr++] = (struct ftrans){s->v[k].at_s, k, false};
        fr->tr[fr->n_tr++] = (struct ftrans){s->v[k].end_s, k, true};
        /* Unique on the node across runs: the node keeps each fault's state. */
        snprintf(fr->id[k], sizeof(fr->id[k]), "fb%lx-%x-c%d-f%d",
                 (unsigned long)time(NULL), (unsigned)getpid() & 0xfffffu, c->r->cell_i, k + 1);
        fr->began[k].killed = -1;
    }
    qsort(fr->tr, (size_t)fr->n_tr, sizeof(*fr->tr), cmp_trans);
    if (pthread_create(&fr->tid, NULL, fault_main, fr) != 0) {
        fprintf(stderr, "faasbench: cannot start the faults' thread: %s\n", strerror(errno));
        faultrun_free(fr);
        return NULL;
    }
    return fr;
nomem:
    fprintf(stderr, "faasbench: the faults' thread: out of memory\n");
    faultrun_free(fr);
    return NULL;
}

void fb_faultrun_stop(struct faultrun *fr)
{
    if (fr == NULL)
        return;
    pthread_mutex_lock(&fr->lock);
    fr->stop = true;
    pthread_cond_broadcast(&fr->cv);
    pthread_mutex_unlock(&fr->lock);
    pthread_join(fr->tid, NULL);
    faultrun_free(fr);
}
