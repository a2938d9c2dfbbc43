/* run.c - the run loop: reset, prepare, invoke and tear down every cell. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libconfig.h>
#include <libssh2.h>

#include "engine.h"
#include "matrix.h"
#include "policy.h"
#include "report.h"
#include "results.h"
#include "trace.h"

volatile sig_atomic_t fb_run_stop = 0;

static const char *const workload_names[] = {"sequential", "closed", "poisson", "trace"};

struct run {
    const struct fb_experiment *exp;
    const struct fb_run_opts *opts;
    struct fb_engine *eng;
    struct fb_trace trace;   /* trace workload: the events, loaded once */
    double weight_sum;       /* of the functions' weights */
    char run_id[160];
    char *dir;
    struct fb_results *res;
    FILE *cells_log;   /* cells.log: which cells are complete, and file sizes */
    bool *cell_done;   /* resume: cells already complete */
    /* progress */
    double t_start;
    long done, errors, total;
    int cell_i, n_cells;
    bool tty;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct run *r, const char *policy, const char *warming, bool final)
{
    if (r->opts->quiet || (!r->tty && !final))
        return;
    fprintf(stderr, "%s[cell %d/%d %s %s] %ld/%ld invocations, %ld errors, %.1f s%s",
            r->tty ? "\r" : "", r->cell_i + 1, r->n_cells, policy, warming, r->done, r->total,
            r->errors, mono_s() - r->t_start, final ? "\n" : "");
    fflush(stderr);
}

/* Writes one outcome as a row (callers serialize). intended_ms: when the
 * workload meant it to start (unix ms), or 0 for "when it did". */
static int record(struct run *r, const struct fb_cell *cell, int f, long seq,
                  int64_t intended_ms, const struct fb_outcome *o)
{
    struct fb_invocation inv = {
        .run_id = r->run_id,
        .repetition = cell->repetition,
        .policy = r->exp->matrix.policies[cell->policy],
        .warming = fb_warming_name(cell->warming),
        .function = r->exp->functions[f].name,
        .seq = seq,
    };
    fb_outcome_row(r->eng, o, intended_ms, &inv);
    r->done++;
    if (o->error[0] != '\0')
        r->errors++;
    if (fb_results_write(r->res, &inv) < 0) {
        fprintf(stderr, "faasbench: cannot write to %s: %s\n", r->dir, strerror(errno));
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
};

/* Invokes function f and records it; intended_ms as for record(). */
static int invoke_one(struct cellrun *c, int f, int64_t intended_ms)
{
    struct fb_outcome o;
    int rc = fb_engine_invoke(c->r->eng, c->p, c->pstate, f, &o);
    pthread_mutex_lock(&c->lock);
    long seq = ++c->seq[f];
    if (rc == 0)
        rc = record(c->r, c->cell, f, seq, intended_ms, &o);
    if (rc < 0 && c->rc == 0)
        c->rc = rc;
    progress(c->r, c->pname, c->wname, false);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* A function drawn by weight. */
static int pick_function(const struct run *r, struct fb_rng *rng)
{
    double x = (double)(fb_rng_next(rng) >> 11) * 0x1.0p-53 * r->weight_sum;
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
            if (invoke_one(c, f, 0) < 0)
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
                  (c->deadline > 0 ? mono_s() < c->deadline : c->remaining > 0);
        if (go && c->deadline <= 0)
            c->remaining--;
        pthread_mutex_unlock(&c->lock);
        if (!go || invoke_one(c, pick_function(c->r, &cl->rng), 0) < 0)
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
        if (invoke_one(c, ev->function, intended) < 0)
            return NULL;
    }
}

/* The load generator's clock: waits until t (monotonic seconds), waking at
 * least every 100 ms to notice a stop (the signal may go to another thread). */
static void sleep_until(double t_mono_s)
{
    while (!fb_run_stop) {
        double now = mono_s();
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
        double u = ((double)(fb_rng_next(rng) >> 11) + 1.0) * 0x1.0p-53; /* (0, 1] */
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
        ev[k++] = (struct fb_trace_event){t, pick_function(r, rng)};
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
    struct timespec ts;
    double t0 = mono_s();
    clock_gettime(CLOCK_REALTIME, &ts);
    c->t0_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    c.p = fb_policy_find(c.pname);
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.ready, NULL);
    if ((c.seq = calloc((size_t)exp->n_functions, sizeof(*c.seq))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if (c.p->ops.init != NULL && (rc = c.p->ops.init(&c.pstate, seed)) < 0)
        goto out;

    fb_engine_reset(r->eng);
    /* A first poll after the reset, so CPU % has a baseline. */
    fb_engine_poll(r->eng);
    for (int f = 0; f < exp->n_functions && !fb_run_stop; f++) {
        struct fb_errbuf eb = {{0}};
        if (fb_engine_prepare(r->eng, c.p, c.pstate, f, cell->warming, &eb) < 0)
            fprintf(stderr, "faasbench: %s\n", eb.msg);
    }

    switch (w->kind) {
    case FB_WORKLOAD_CLOSED:
        c.remaining = w->invocations > 0 ? w->invocations
                                         : (long)exp->matrix.invocations * exp->n_functions;
        c.deadline = w->duration_s > 0 ? mono_s() + w->duration_s : 0;
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
    fb_engine_teardown(r->eng);
    progress(r, c.pname, c.wname, true);
out:
    if (c.p->ops.free != NULL)
        c.p->ops.free(c.pstate);
    free(c.seq);
    free(own_ev);
    pthread_cond_destroy(&c.ready);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

/* ---- run folder ---- */

static int write_environment(struct run *r, time_t started)
{
    char path[4096];
    struct utsname u;
    char when[64];
    snprintf(path, sizeof(path), "%s/environment.txt", r->dir);
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return FB_EIO;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
    fprintf(f, "faasbench %s\n", FB_VERSION);
    fprintf(f, "run_id %s\nstarted %s\n", r->run_id, when);
    if (uname(&u) == 0)
        fprintf(f, "host %s %s %s %s\n", u.nodename, u.sysname, u.release, u.machine);
    fprintf(f, "libssh2 %s\nlibconfig %d.%d.%d\n", libssh2_version(0), LIBCONFIG_VER_MAJOR,
            LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION);
    fprintf(f, "runtime %s\nmetrics %s\nnode_timing %s\n", r->exp->runtime.preset,
            r->exp->metrics_command != NULL ? r->exp->metrics_command : "none",
            r->exp->node_timing ? "yes" : "no");
    for (int i = 0; i < fb_engine_node_count(r->eng); i++) {
        const struct fb_node_cfg *c = fb_engine_node(r->eng, i);
        const char *why = NULL;
        bool down = fb_engine_node_down(r->eng, i, &why);
        fprintf(f, "node %s %s %s@%s:%d%s%s\n", c->name,
                c->transport == FB_TRANSPORT_LOCAL ? "local" : "ssh", c->user ? c->user : "-",
                c->host ? c->host : "-", c->port, down ? " down: " : "", down ? why : "");
    }
    return fclose(f) == 0 ? 0 : FB_EIO;
}

/* cells.log lines: "start INV MET", then "done CELL INV MET" after each
 * complete cell, INV and MET being the sizes of invocations.csv and
 * metrics.csv then. */
static int log_cell(struct run *r, const char *what, int cell)
{
    long inv, met;
    if (fb_results_tell(r->res, &inv, &met) < 0)
        return FB_EIO;
    if (cell >= 0)
        fprintf(r->cells_log, "%s %d %ld %ld\n", what, cell, inv, met);
    else
        fprintf(r->cells_log, "%s %ld %ld\n", what, inv, met);
    return fflush(r->cells_log) == 0 ? 0 : FB_EIO;
}

static int open_cells_log(struct run *r, struct fb_errbuf *eb)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/cells.log", r->dir);
    r->cells_log = fopen(path, "a");
    if (r->cells_log == NULL)
        return fb_errf(eb, FB_EIO, "%s: %s", path, strerror(errno));
    return 0;
}

/* Continues the run folder opts->resume. */
static int reopen_results(struct run *r, int n_cells, struct fb_errbuf *eb)
{
    const char *dir = r->opts->resume;
    char path[4096], what[16];
    long inv = -1, met = -1, a, b;
    int cell, done = 0;

    snprintf(path, sizeof(path), "%s/cells.log", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fb_errf(eb, FB_EIO, "%s: %s (not a faasbench run folder?)", path,
                       strerror(errno));
    r->cell_done = calloc((size_t)n_cells, sizeof(bool));
    if (r->cell_done == NULL) {
        fclose(f);
        return FB_ENOMEM;
    }
    while (fscanf(f, "%15s", what) == 1) {
        if (strcmp(what, "start") == 0 && fscanf(f, "%ld %ld", &a, &b) == 2) {
            inv = a;
            met = b;
        } else if (strcmp(what, "done") == 0 && fscanf(f, "%d %ld %ld", &cell, &a, &b) == 3 &&
                   cell >= 0 && cell < n_cells) {
            r->cell_done[cell] = true;
            inv = a;
            met = b;
            done++;
        } else {
            break;
        }
    }
    fclose(f);
    if (inv < 0)
        return fb_errf(eb, FB_EIO, "%s: no start line", path);
    if ((r->dir = strdup(dir)) == NULL)
        return FB_ENOMEM;
    size_t len = strlen(r->dir);
    while (len > 1 && r->dir[len - 1] == '/') /* "run/" names the same folder */
        r->dir[--len] = '\0';
    const char *base = strrchr(r->dir, '/');
    snprintf(r->run_id, sizeof(r->run_id), "%s", base != NULL ? base + 1 : r->dir);
    int rc = fb_results_reopen(r->dir, inv, met, &r->res, eb);
    if (rc < 0)
        return rc;
    if (!r->opts->quiet)
        fprintf(stderr, "faasbench: resuming %s: %d of %d cells complete\n", r->dir, done,
                n_cells);
    return open_cells_log(r, eb);
}

/* nodes.txt: every node, up or down (with why) at the end of the run. */
static void write_node_status(struct run *r)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/nodes.txt", r->dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    for (int i = 0; i < fb_engine_node_count(r->eng); i++) {
        const char *why = NULL;
        bool down = fb_engine_node_down(r->eng, i, &why);
        fprintf(f, "%s %s%s%s\n", fb_engine_node(r->eng, i)->name, down ? "down" : "up",
                down ? ": " : "", down ? why : "");
        if (down && !r->opts->quiet)
            fprintf(stderr, "faasbench: node %s was down at the end: %s\n",
                    fb_engine_node(r->eng, i)->name, why);
    }
    fclose(f);
}

/* results/<name>-<UTC timestamp>[-k] */
static int open_results(struct run *r, struct fb_errbuf *eb)
{
    const char *root = r->opts->results_root != NULL ? r->opts->results_root
                                                     : r->exp->results_dir;
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
    if (mkdir(root, 0777) < 0 && errno != EEXIST)
        return fb_errf(eb, FB_EIO, "cannot create %s: %s", root, strerror(errno));
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(r->run_id, sizeof(r->run_id), "%s-%s", r->exp->name, stamp);
        else
            snprintf(r->run_id, sizeof(r->run_id), "%s-%s-%d", r->exp->name, stamp, k);
        size_t len = strlen(root) + strlen(r->run_id) + 2;
        char *dir = malloc(len);
        if (dir == NULL)
            return FB_ENOMEM;
        snprintf(dir, len, "%s/%s", root, r->run_id);
        struct stat st;
        if (lstat(dir, &st) == 0) {
            free(dir);
            continue;
        }
        int rc = fb_results_open(dir, &r->res, eb);
        if (rc < 0) {
            free(dir);
            return rc;
        }
        r->dir = dir;
        if ((rc = open_cells_log(r, eb)) < 0)
            return rc;
        return log_cell(r, "start", -1);
    }
    return fb_errf(eb, FB_EIO, "too many runs named %s-%s in %s", r->exp->name, stamp, root);
}

/* Connects to every node; an unreachable node is listed as down. */
static int connect_nodes(struct run *r, struct fb_errbuf *eb)
{
    int up = 0;
    for (int i = 0; i < r->exp->n_nodes; i++) {
        struct fb_errbuf neb = {{0}};
        if (fb_engine_add_node(r->eng, &r->exp->nodes[i], &neb) >= 0) {
            up++;
            continue;
        }
        fprintf(stderr, "faasbench: node %s is down: %s\n", r->exp->nodes[i].name, neb.msg);
        if (fb_engine_add_down_node(r->eng, &r->exp->nodes[i], neb.msg) < 0)
            return FB_ENOMEM;
    }
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
    r.t_start = mono_s();
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
            .format = (enum fb_trace_format)exp->workload.trace_format,
            .functions = names,
            .n_functions = exp->n_functions,
            .spread = (enum fb_trace_spread)exp->workload.spread,
            .time_scale = exp->workload.time_scale,
            .seed = exp->seed,
            .max_minutes = exp->workload.max_minutes,
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
    if ((rc = fb_engine_new(exp, &r.eng)) < 0)
        goto out;
    fb_engine_set_stop(r.eng, &fb_run_stop);
    for (int f = 0; f < exp->n_functions; f++)
        if ((rc = fb_engine_add_function(r.eng, &exp->functions[f])) < 0)
            goto out;
    if ((rc = opts->resume != NULL ? reopen_results(&r, n_cells, eb) : open_results(&r, eb)) < 0)
        goto out;
    if (opts->resume == NULL) {
        /* First, so even a run no node answered says what it tried. */
        char path[4096];
        snprintf(path, sizeof(path), "%s/experiment.cfg", r.dir);
        if (fb_config_write(exp, path) < 0)
            fprintf(stderr, "faasbench: cannot write %s\n", path);
    }
    if ((rc = connect_nodes(&r, eb)) < 0)
        goto out;
    if (opts->resume != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/environment.txt", r.dir);
        FILE *f = fopen(path, "a");
        if (f != NULL) {
            char when[64];
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
            fprintf(f, "resumed %s\n", when);
            fclose(f);
        }
    } else {
        if (write_environment(&r, started) < 0)
            fprintf(stderr, "faasbench: cannot write the environment file in %s\n", r.dir);
    }
    if (!opts->quiet)
        fprintf(stderr, "faasbench: %s: %d cells x %d functions, %s workload, %s%ld invocations -> %s\n",
                exp->name, n_cells, exp->n_functions, workload_names[exp->workload.kind],
                r.total > 0 ? "" : "timed, ", r.total, r.dir);

    for (r.cell_i = 0; r.cell_i < n_cells && !fb_run_stop; r.cell_i++) {
        if (r.cell_done != NULL && r.cell_done[r.cell_i])
            continue;
        if ((rc = run_cell(&r, &cells[r.cell_i])) < 0)
            break;
        /* A cell cut short by a signal is not complete: a resume reruns it. */
        if (!fb_run_stop && (rc = log_cell(&r, "done", r.cell_i)) < 0)
            break;
    }
    if (fb_run_stop && rc == 0)
        rc = FB_EINTR;
    if (r.dir != NULL)
        write_node_status(&r);

out:
    /* Leave every node clean: warm containers and pulled images go. */
    if (r.eng != NULL && r.res != NULL) {
        fb_engine_teardown(r.eng);
        fb_engine_reset(r.eng);
    }
    fb_engine_free(r.eng);
    if (r.res != NULL) {
        if (fb_results_close(r.res) < 0 && rc == 0)
            rc = fb_errf(eb, FB_EIO, "cannot write the results in %s", r.dir);
        struct fb_report_opts ro = {.no_plots = opts->no_plots,
                                    .echo = opts->quiet ? NULL : stdout};
        struct fb_errbuf reb = {{0}};
        if (fb_report_write(r.dir, &ro, &reb) < 0) {
            fprintf(stderr, "faasbench: cannot write the summaries in %s: %s\n", r.dir,
                    reb.msg);
            if (rc == 0)
                rc = fb_errf(eb, FB_EIO, "cannot write the summaries in %s", r.dir);
        }
    }
    *run_dir = r.dir;
    if (r.cells_log != NULL)
        fclose(r.cells_log);
    free(r.cell_done);
    fb_trace_free(&r.trace);
    free(cells);
    return rc;
}
