/* run.c - the run loop: reset, prepare, invoke and tear down every cell. */
#include "core/clock.h"
#include "run/run.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "keepalive/keepalive.h"
#include "experiment/matrix.h"
#include "policies/policy.h"
#include "report/report.h"
#include "core/rng.h"
#include "run/runfolder.h"
#include "report/stats.h"
#include "workload/trace.h"

volatile sig_atomic_t fb_run_stop = 0;

struct run {
    const struct fb_experiment *exp;
    const struct fb_run_opts *opts;
    struct fb_engine *eng;
    struct fb_trace trace;   /* trace workload: the events, loaded once */
    double weight_sum;       /* of the functions' weights */
    struct fb_runfolder *rf;
    bool *cell_done;   /* resume: cells already complete */
    /* progress */
    double t_start;
    long done, errors, total;
    int cell_i, n_cells;
    bool tty;
};

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

static void progress(struct run *r, const char *policy, const char *warming, bool final)
{
    char left[48] = "";
    double elapsed = fb_mono_s() - r->t_start;

    if (r->opts->quiet || (!r->tty && !final))
        return;
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

/* Writes one outcome as a row (callers serialize). intended_ms: when the
 * workload meant it to start (unix ms), or 0 for "when it did". */
static int record(struct run *r, const struct fb_cell *cell, const char *warming, int f,
                  long seq, int64_t intended_ms, bool warmup, const struct fb_outcome *o)
{
    struct fb_rowkey k = {
        .repetition = cell->repetition,
        .policy = r->exp->matrix.policies[cell->policy],
        .warming = warming,
        .function = r->exp->functions[f].name,
        .seq = seq,
        .warmup = warmup,
    };
    struct fb_errbuf eb = {{0}};
    r->done++;
    if (o->error[0] != '\0')
        r->errors++;
    if (fb_runfolder_record(r->rf, &k, o, intended_ms, &eb) < 0) {
        fprintf(stderr, "faasbench: %s\n", eb.msg);
        return FB_EIO;
    }
    return 0;
}

/* ---- workloads ---- */

/* What the threads of one cell share. */
struct cellrun {
    struct run *r;
    const struct fb_cell *cell;
    const struct fb_policy *p;
    void *pstate;
    const char *pname, *wname;
    char wbuf[FB_ERRMSG_LEN];  /* keep-alive cells: "keep-alive:SPEC" */
    pthread_mutex_t lock;      /* rows, counters, the open-loop queue */
    pthread_cond_t ready;      /* open loop: a job was released, or the end */
    long *seq;                 /* per function */
    int rc;                    /* first fatal error */
    /* closed */
    long remaining;            /* invocations left; < 0: until the deadline */
    double deadline;           /* mono seconds, 0: none */
    /* open loop */
    const struct fb_trace_event *ev;
    size_t n_ev, released, next;
    bool closing;
    int64_t t0_unix_ms;        /* the cell's start, for intended times */
    /* keep-alive cells */
    struct fb_ka_cellkey kkey;
    FILE *events;              /* instances.csv rows, gathered until the end */
    char *events_text;
    size_t events_len;
    struct fb_sample lat;      /* latencies of the rows that succeeded */
};

/* An instance event of a keep-alive cell (engine threads, one at a time). */
static void ka_event(void *ctx, const struct fb_ka_event *ev)
{
    struct cellrun *c = ctx;

    if (c->events != NULL)
        fb_runfolder_format_event(c->r->rf, c->events, &c->kkey, ev);
}

/* Invokes function f and records it; intended_ms as for record(); ev: its
 * event (open loop), with its work and workload time, or NULL. */
static int invoke_one(struct cellrun *c, int f, int64_t intended_ms,
                      const struct fb_trace_event *ev)
{
    const struct fb_workload_cfg *w = &c->r->exp->workload;
    struct fb_outcome o;
    struct fb_work work = {ev != NULL ? ev->duration_ms : NAN, ev != NULL ? ev->memory_mb : NAN};
    int rc = fb_engine_invoke_work(c->r->eng, c->p, c->pstate, f, &work, &o);
    /* Warm-up by workload time: an event's own, else since the cell began. */
    double scale = w->kind == FB_WORKLOAD_TRACE ? w->time_scale : 1.0;
    bool warmup = ev != NULL ? ev->t_s < w->warmup_s * scale
                             : (double)(o.start_ms - c->t0_unix_ms) < w->warmup_s * 1000.0;
    pthread_mutex_lock(&c->lock);
    long seq = ++c->seq[f];
    if (rc == 0)
        rc = record(c->r, c->cell, c->wname, f, seq, intended_ms, warmup, &o);
    /* keepalive.csv's latencies: steady state, as the summaries. */
    if (rc == 0 && o.error[0] == '\0' && !warmup && fb_sample_add(&c->lat, o.latency_ms) < 0)
        rc = FB_ENOMEM;
    if (rc < 0 && c->rc == 0)
        c->rc = rc;
    progress(c->r, c->pname, c->wname, false);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* A function drawn by weight. */
static int pick_function(const struct run *r, struct fb_rng *rng)
{
    double x = fb_rng_unit(rng) * r->weight_sum;
    for (int f = 0; f < r->exp->n_functions; f++) {
        x -= r->exp->functions[f].weight;
        if (x < 0)
            return f;
    }
    return r->exp->n_functions - 1;
}

/* The older testbed's client: for i in 1..N, each function in turn. */
static void run_sequential(struct cellrun *c)
{
    for (long i = 1; i <= c->r->exp->matrix.invocations && !fb_run_stop; i++)
        for (int f = 0; f < c->r->exp->n_functions && !fb_run_stop; f++)
            if (invoke_one(c, f, 0, NULL) < 0)
                return;
}

struct client {
    struct cellrun *c;
    struct fb_rng rng;
    pthread_t tid;
};

/* Closed loop: back to back until the count or the deadline is reached. */
static void *closed_client(void *arg)
{
    struct client *cl = arg;
    struct cellrun *c = cl->c;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        bool go = !fb_run_stop && c->rc == 0 &&
                  (c->deadline > 0 ? fb_mono_s() < c->deadline : c->remaining > 0);
        if (go && c->deadline <= 0)
            c->remaining--;
        pthread_mutex_unlock(&c->lock);
        if (!go || invoke_one(c, pick_function(c->r, &cl->rng), 0, NULL) < 0)
            return NULL;
    }
}

/* Open loop worker: takes released jobs in order. */
static void *open_worker(void *arg)
{
    struct client *cl = arg;
    struct cellrun *c = cl->c;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (c->next == c->released && !c->closing)
            pthread_cond_wait(&c->ready, &c->lock);
        if (c->next == c->released || c->rc < 0) {
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        const struct fb_trace_event *ev = &c->ev[c->next++];
        pthread_mutex_unlock(&c->lock);
        int64_t intended = c->t0_unix_ms + (int64_t)llround(ev->t_s * 1000.0);
        if (invoke_one(c, ev->function, intended, ev) < 0)
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

/* Poisson arrivals over the duration, functions by weight (seeded). */
static int poisson_schedule(struct run *r, struct fb_rng *rng, struct fb_trace_event **out,
                            size_t *n)
{
    const struct fb_workload_cfg *w = &r->exp->workload;
    size_t cap = (size_t)(w->rate * w->duration_s * 1.5) + 16, k = 0;
    struct fb_trace_event *ev = malloc(cap * sizeof(*ev));
    double t = 0;
    if (ev == NULL)
        return FB_ENOMEM;
    for (;;) {
        double u = fb_rng_unit(rng) + 0x1.0p-53; /* (0, 1] */
        t += -log(u) / w->rate;
        if (t >= w->duration_s)
            break;
        if (k == cap) {
            struct fb_trace_event *p = realloc(ev, 2 * cap * sizeof(*ev));
            if (p == NULL) {
                free(ev);
                return FB_ENOMEM;
            }
            ev = p;
            cap *= 2;
        }
        ev[k++] = (struct fb_trace_event){t, pick_function(r, rng), NAN, NAN};
    }
    *out = ev;
    *n = k;
    return 0;
}

static int run_threads(struct cellrun *c, int n, void *(*fn)(void *), uint64_t seed,
                       void (*drive)(struct cellrun *c))
{
    struct client *cl = calloc((size_t)n, sizeof(*cl));
    int started = 0;
    if (cl == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < n; i++) {
        cl[i].c = c;
        fb_rng_seed(&cl[i].rng, seed + (uint64_t)i * 7919);
        if (pthread_create(&cl[i].tid, NULL, fn, &cl[i]) != 0)
            break;
        started++;
    }
    if (drive != NULL)
        drive(c);
    for (int i = 0; i < started; i++)
        pthread_join(cl[i].tid, NULL);
    free(cl);
    return started == n ? 0 : FB_ENOMEM;
}

/* Releases each job at its time; workers pick them up. */
static void open_dispatch(struct cellrun *c)
{
    double t0 = fb_mono_s();
    c->t0_unix_ms = fb_unix_ms();
    for (size_t i = 0; i < c->n_ev && !fb_run_stop && c->rc == 0; i++) {
        sleep_until(t0 + c->ev[i].t_s);
        if (fb_run_stop)
            break;
        pthread_mutex_lock(&c->lock);
        c->released = i + 1;
        pthread_cond_signal(&c->ready);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    c->closing = true;
    pthread_cond_broadcast(&c->ready);
    pthread_mutex_unlock(&c->lock);
}

static int run_cell(struct run *r, const struct fb_cell *cell)
{
    const struct fb_experiment *exp = r->exp;
    const struct fb_workload_cfg *w = &exp->workload;
    struct cellrun c = {.r = r, .cell = cell};
    struct fb_trace_event *own_ev = NULL;
    uint64_t seed = exp->seed + (uint64_t)r->cell_i * 1000003;
    int rc = 0;

    c.pname = exp->matrix.policies[cell->policy];
    c.wname = fb_warming_name(cell->warming);
    struct fb_plugspec spec, kspec;
    const struct fb_keepalive *k = NULL;
    c.p = fb_policy_find_spec(c.pname, &spec, NULL); /* checked when loaded */
    if (cell->warming == FB_WARM_KEEPALIVE) {
        const char *ks = exp->matrix.keepalive[cell->keepalive];
        k = fb_keepalive_find_spec(ks, &kspec, NULL); /* checked when loaded */
        snprintf(c.wbuf, sizeof(c.wbuf), "keep-alive:%s", ks);
        c.wname = c.wbuf;
        c.kkey = (struct fb_ka_cellkey){cell->repetition, c.pname, ks};
    }
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.ready, NULL);
    if ((c.seq = calloc((size_t)exp->n_functions, sizeof(*c.seq))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if (c.p->ops.init != NULL && (rc = c.p->ops.init(&c.pstate, seed, spec.values)) < 0)
        goto out;

    fb_engine_reset(r->eng);
    if (k != NULL && exp->matrix.prepull)
        fb_engine_pull_all(r->eng);
    /* A first poll after the reset, so CPU % has a baseline (and a
     * keep-alive cell its nodes' memory limits). */
    fb_engine_poll(r->eng);
    fb_engine_cell_begin(r->eng, w->kind == FB_WORKLOAD_TRACE ? w->time_scale : 1.0);
    if (k != NULL) {
        /* Nothing prepared: instances start as invocations find none idle. */
        if ((c.events = open_memstream(&c.events_text, &c.events_len)) == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        if ((rc = fb_engine_ka_begin(r->eng, k, kspec.values, seed, ka_event, &c)) < 0)
            goto out;
    }
    for (int f = 0; k == NULL && f < exp->n_functions && !fb_run_stop; f++) {
        struct fb_errbuf eb = {{0}};
        if (fb_engine_prepare(r->eng, c.p, c.pstate, f, cell->warming, &eb) < 0)
            fprintf(stderr, "faasbench: %s\n", eb.msg);
    }

    c.t0_unix_ms = fb_unix_ms(); /* open loops take theirs when they start */
    switch (w->kind) {
    case FB_WORKLOAD_CLOSED:
        c.remaining = w->invocations > 0 ? w->invocations
                                         : (long)exp->matrix.invocations * exp->n_functions;
        c.deadline = w->duration_s > 0 ? fb_mono_s() + w->duration_s : 0;
        rc = run_threads(&c, w->clients, closed_client, seed, NULL);
        break;
    case FB_WORKLOAD_POISSON: {
        struct fb_rng rng;
        fb_rng_seed(&rng, seed);
        if ((rc = poisson_schedule(r, &rng, &own_ev, &c.n_ev)) < 0)
            break;
        c.ev = own_ev;
        rc = run_threads(&c, w->clients, open_worker, seed, open_dispatch);
        break;
    }
    case FB_WORKLOAD_TRACE:
        c.ev = r->trace.ev;
        c.n_ev = r->trace.n;
        rc = run_threads(&c, w->clients, open_worker, seed, open_dispatch);
        break;
    default:
        run_sequential(&c);
        break;
    }
    if (rc == 0)
        rc = c.rc;
    if (k != NULL) {
        struct fb_ka_outcome ko;
        fb_engine_ka_end(r->eng, &ko);
        fflush(c.events);
        /* Complete cells only, as cells.log counts them. */
        if (!fb_run_stop && rc == 0) {
            struct fb_summary sm;
            struct fb_errbuf eb = {{0}};
            fb_sample_summarize(&c.lat, &sm);
            struct fb_ka_latency lat = {sm.p50, sm.p99};
            if (fb_runfolder_keepalive_cell(r->rf, &c.kkey, c.events_text, c.events_len, &ko,
                                            &lat, &eb) < 0) {
                fprintf(stderr, "faasbench: %s\n", eb.msg);
                rc = FB_EIO;
            }
        }
    }
    fb_engine_teardown(r->eng);
    progress(r, c.pname, c.wname, true);
out:
    if (c.events != NULL)
        fclose(c.events);
    free(c.events_text);
    fb_sample_free(&c.lat);
    if (c.p->ops.free != NULL)
        c.p->ops.free(c.pstate);
    free(c.seq);
    free(own_ev);
    pthread_cond_destroy(&c.ready);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

/* Connects to every node; an unreachable node is listed as down. */
static int connect_nodes(struct run *r, struct fb_errbuf *eb)
{
    int n = r->exp->n_nodes, up;
    struct fb_errbuf *nebs = calloc((size_t)(n > 0 ? n : 1), sizeof(*nebs));

    if (nebs == NULL)
        return FB_ENOMEM;
    /* All at once: start-up does not grow with the number of nodes. */
    up = fb_engine_add_nodes(r->eng, r->exp->nodes, n, nebs);
    for (int i = 0; up >= 0 && i < n; i++)
        if (fb_engine_node_down(r->eng, i, NULL))
            fprintf(stderr, "faasbench: node %s is down: %s\n", r->exp->nodes[i].name,
                    nebs[i].msg);
    free(nebs);
    if (up < 0)
        return up;
    if (up == 0)
        return fb_errf(eb, FB_ECONNECT, "no node could be reached");
    return 0;
}

int fb_run(const struct fb_experiment *exp, const struct fb_run_opts *opts, char **run_dir,
           struct fb_errbuf *eb)
{
    struct run r = {.exp = exp, .opts = opts};
    struct fb_cell *cells = NULL;
    int rc, n_cells = 0;
    time_t started = time(NULL);

    *run_dir = NULL;
    r.tty = isatty(STDERR_FILENO);
    r.t_start = fb_mono_s();
    if ((rc = fb_matrix_expand(&exp->matrix, exp->seed, &cells, &n_cells)) < 0)
        goto out;
    r.n_cells = n_cells;
    for (int f = 0; f < exp->n_functions; f++)
        r.weight_sum += exp->functions[f].weight;
    if (exp->workload.kind == FB_WORKLOAD_TRACE) {
        const char **names = calloc((size_t)exp->n_functions, sizeof(*names));
        if (names == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        for (int f = 0; f < exp->n_functions; f++)
            names[f] = exp->functions[f].name;
        struct fb_trace_opts to = {
            .format = exp->workload.trace_format,
            .functions = names,
            .n_functions = exp->n_functions,
            .spread = exp->workload.spread,
            .time_scale = exp->workload.time_scale,
            .seed = exp->seed,
            .max_minutes = exp->workload.max_minutes,
            .durations = exp->workload.durations,
            .memory = exp->workload.memory,
        };
        rc = fb_trace_load(exp->workload.trace, &to, &r.trace, eb);
        free(names);
        if (rc < 0)
            goto out;
    }
    switch (exp->workload.kind) {
    case FB_WORKLOAD_CLOSED:
        r.total = exp->workload.duration_s > 0 ? 0
                  : exp->workload.invocations > 0
                      ? (long)exp->workload.invocations * n_cells
                      : (long)n_cells * exp->matrix.invocations * exp->n_functions;
        break;
    case FB_WORKLOAD_POISSON:
        r.total = (long)llround(exp->workload.rate * exp->workload.duration_s) * n_cells;
        break;
    case FB_WORKLOAD_TRACE:
        r.total = (long)r.trace.n * n_cells;
        break;
    default:
        r.total = (long)n_cells * exp->matrix.invocations * exp->n_functions;
    }
    struct fb_engine_opts eo;
    fb_engine_opts_init(&eo, exp);
    eo.stop = &fb_run_stop;
    if ((rc = fb_engine_new(&eo, &r.eng)) < 0)
        goto out;
    for (int f = 0; f < exp->n_functions; f++)
        if ((rc = fb_engine_add_function(r.eng, &exp->functions[f])) < 0)
            goto out;
    if (opts->resume != NULL) {
        int done = 0;
        if ((r.cell_done = calloc((size_t)n_cells, sizeof(bool))) == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        if ((rc = fb_runfolder_resume(opts->resume, n_cells, r.cell_done, &done, &r.rf, eb)) < 0)
            goto out;
        if (!opts->quiet)
            fprintf(stderr, "faasbench: resuming %s: %d of %d cells complete\n",
                    fb_runfolder_dir(r.rf), done, n_cells);
        /* What is left to do: the progress and its estimate count that. */
        r.total = r.total / n_cells * (n_cells - done);
    } else {
        const char *root = opts->results_root != NULL ? opts->results_root : exp->results_dir;
        if ((rc = fb_runfolder_create(root, exp->name, started, &r.rf, eb)) < 0)
            goto out;
        /* First, so even a run no node answered says what it tried. */
        struct fb_errbuf web = {{0}};
        if (fb_runfolder_save_experiment(r.rf, exp, &web) < 0)
            fprintf(stderr, "faasbench: %s\n", web.msg);
    }
    if ((rc = connect_nodes(&r, eb)) < 0)
        goto out;
    struct fb_errbuf web = {{0}};
    if (fb_runfolder_write_environment(r.rf, exp, r.eng, started, NULL, &web) < 0)
        fprintf(stderr, "faasbench: cannot write the environment file: %s\n", web.msg);
    if (!opts->quiet)
        fprintf(stderr, "faasbench: %s: %d cells x %d functions, %s workload, %s%ld invocations -> %s\n",
                exp->name, n_cells, exp->n_functions, fb_workload_name(exp->workload.kind),
                r.total > 0 ? "" : "timed, ", r.total, fb_runfolder_dir(r.rf));

    for (r.cell_i = 0; r.cell_i < n_cells && !fb_run_stop; r.cell_i++) {
        if (r.cell_done != NULL && r.cell_done[r.cell_i])
            continue;
        if ((rc = run_cell(&r, &cells[r.cell_i])) < 0)
            break;
        /* A cell cut short by a signal is not complete: a resume reruns it. */
        if (!fb_run_stop && (rc = fb_runfolder_cell_done(r.rf, r.cell_i, eb)) < 0)
            break;
    }
    if (fb_run_stop && rc == 0)
        rc = FB_EINTR;
    if (fb_runfolder_write_nodes(r.rf, r.eng, &web) < 0)
        fprintf(stderr, "faasbench: %s\n", web.msg);
    for (int i = 0; !opts->quiet && i < fb_engine_node_count(r.eng); i++) {
        const char *why = NULL;
        if (fb_engine_node_down(r.eng, i, &why))
            fprintf(stderr, "faasbench: node %s was down at the end: %s\n",
                    fb_engine_node(r.eng, i)->name, why);
    }

out:
    if (r.rf != NULL) {
        struct fb_report_opts ro = {.no_plots = opts->no_plots,
                                    .echo = opts->quiet ? NULL : stdout};
        struct fb_errbuf ceb = {{0}};
        char *dir = strdup(fb_runfolder_dir(r.rf));
        /* Leaves every node clean: warm containers and pulled images go. */
        if (fb_runfolder_close(r.rf, r.eng, &ro, &ceb) < 0 && rc == 0)
            rc = fb_errf(eb, FB_EIO, "%s", ceb.msg);
        else if (ceb.msg[0] != '\0')
            fprintf(stderr, "faasbench: %s\n", ceb.msg);
        *run_dir = dir;
    }
    fb_engine_free(r.eng);
    free(r.cell_done);
    fb_trace_free(&r.trace);
    free(cells);
    return rc;
}
