/* run.c - the run loop: reset, prepare, invoke and tear down every cell. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libconfig.h>
#include <libssh2.h>

#include "matrix.h"
#include "metrics.h"
#include "policy.h"
#include "results.h"
#include "stats.h"
#include "template.h"
#include "transport.h"

volatile sig_atomic_t fb_run_stop = 0;

/* One node as the run sees it. */
struct node_rt {
    const struct fb_node_cfg *cfg;
    struct fb_conn *conn;  /* runtime steps */
    struct fb_conn *mconn; /* metrics polls, so a poll never waits behind a step */
    struct fb_counters prev;
    bool have_prev;
    double cpu_pct, ram_pct;
    bool down;
    char down_reason[FB_ERRMSG_LEN];
    bool *has_image; /* per function */
    bool *has_warm;  /* per function */
    int cell_count;  /* invocations placed here in the current cell */
    /* per-task scratch for parallel work */
    int task_rc;
    struct fb_errbuf task_err;
};

/* Accumulates one cell x function for its summary row. */
struct cell_acc {
    struct fb_sample lat;
    size_t errors;
    size_t mode_count[3];
    int *per_node;
};

struct run {
    const struct fb_experiment *exp;
    const struct fb_run_opts *opts;
    struct node_rt *nodes;
    int n_nodes;
    char *images;          /* every function image, space-separated */
    char run_id[160];
    struct fb_results *res;
    unsigned long container_seq;
    /* progress */
    double t_start;
    long done, errors, total;
    int cell_i, n_cells;
    bool tty;
    /* summaries */
    struct fb_summary_row *rows;
    size_t n_rows;
};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A newly allocated formatted string, or NULL. */
static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* ---- parallel work over nodes ---- */

typedef void (*node_task)(struct run *r, struct node_rt *nd);

struct task_arg {
    struct run *r;
    struct node_rt *nd;
    node_task fn;
};

static void *task_main(void *p)
{
    struct task_arg *a = p;
    a->fn(a->r, a->nd);
    return NULL;
}

/* Runs fn on every node that is up, one thread each, and waits for all. */
static void for_each_node(struct run *r, node_task fn)
{
    pthread_t tid[r->n_nodes];
    struct task_arg arg[r->n_nodes];
    bool started[r->n_nodes];

    for (int i = 0; i < r->n_nodes; i++) {
        started[i] = false;
        if (r->nodes[i].down)
            continue;
        arg[i] = (struct task_arg){r, &r->nodes[i], fn};
        if (r->n_nodes > 1 && pthread_create(&tid[i], NULL, task_main, &arg[i]) == 0)
            started[i] = true;
        else
            fn(r, &r->nodes[i]);
    }
    for (int i = 0; i < r->n_nodes; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
}

/* ---- steps ---- */

struct step_out {
    double ms;      /* harness-side wall time */
    double node_ms; /* node-side time, NAN when unknown */
    int exit_status;
    char error[FB_ERRMSG_LEN];
};

/* The last non-empty line of text, trimmed, for an error cell. */
static void last_line(const char *text, char *out, size_t outlen)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

static void mark_down(struct node_rt *nd, const char *why)
{
    if (!nd->down)
        fprintf(stderr, "faasbench: node %s marked down: %s\n", nd->cfg->name, why);
    nd->down = true;
    snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
}

/* Expands step s and runs it on nd's step session. timed: wrap it in the
 * node helper so the node reports the command's own time. Returns 0 when
 * the command exited 0; otherwise o->error says what happened. */
static int run_step(struct run *r, struct node_rt *nd, enum fb_step s,
                    const struct fb_tvars *v, bool timed, struct step_out *o)
{
    struct fb_errbuf eb = {{0}};
    struct fb_exec_result res = {0};
    char *cmd = NULL, *wrapped = NULL, *q = NULL;
    int rc;

    o->ms = 0;
    o->node_ms = NAN;
    o->exit_status = -1;
    o->error[0] = '\0';
    rc = fb_template_expand(r->exp->runtime.steps[s], v, &cmd, &eb);
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s: %s", fb_step_name(s), eb.msg);
        goto out;
    }
    if (timed && r->exp->node_timing) {
        q = fb_shell_quote(cmd);
        wrapped = q != NULL ? strf("faasbench-node exec -c %s", q) : NULL;
        if (wrapped == NULL) {
            rc = FB_ENOMEM;
            snprintf(o->error, sizeof(o->error), "%s: out of memory", fb_step_name(s));
            goto out;
        }
    }
    rc = fb_conn_exec(nd->conn, wrapped != NULL ? wrapped : cmd,
                      r->exp->command_timeout_ms, &res, &eb);
    o->ms = res.elapsed_ms;
    o->node_ms = res.node_ms;
    o->exit_status = res.exit_status;
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s on %s: %s", fb_step_name(s), nd->cfg->name,
                 eb.msg[0] ? eb.msg : fb_strerror(rc));
        if (rc == FB_ESSH || rc == FB_ECONNECT)
            mark_down(nd, o->error);
        goto out;
    }
    if (res.exit_status != 0) {
        char line[300];
        last_line(res.err != NULL ? res.err : "", line, sizeof(line));
        if (line[0] == '\0')
            last_line(res.out != NULL ? res.out : "", line, sizeof(line));
        snprintf(o->error, sizeof(o->error), "%s on %s: exit %d: %s", fb_step_name(s),
                 nd->cfg->name, res.exit_status, line);
        rc = FB_EEXIT;
    }
out:
    fb_exec_result_free(&res);
    free(cmd);
    free(wrapped);
    free(q);
    return rc;
}

/* ---- metrics ---- */

static void poll_task(struct run *r, struct node_rt *nd)
{
    struct fb_exec_result res = {0};
    struct fb_counters cur;
    nd->task_rc = fb_conn_exec(nd->mconn, r->exp->metrics_command,
                               r->exp->command_timeout_ms, &res, &nd->task_err);
    if (nd->task_rc == 0 && res.exit_status != 0)
        nd->task_rc = fb_errf(&nd->task_err, FB_EMETRICS, "metrics command exited %d: %.200s",
                              res.exit_status, res.err != NULL ? res.err : "");
    if (nd->task_rc == 0)
        nd->task_rc = fb_metrics_parse(r->exp->metrics_format, res.out != NULL ? res.out : "",
                                       &cur, &nd->task_err);
    if (nd->task_rc == 0) {
        nd->cpu_pct = fb_metrics_cpu_pct(nd->have_prev ? &nd->prev : NULL, &cur);
        nd->ram_pct = fb_metrics_ram_pct(&cur);
        nd->prev = cur;
        nd->have_prev = true;
    }
    fb_exec_result_free(&res);
}

/* Refreshes every node's CPU % and RAM % in parallel. A node whose poll
 * fails is marked down: a policy cannot place work on a node it cannot see. */
static void poll_metrics(struct run *r)
{
    if (r->exp->metrics_format == FB_METRICS_NONE)
        return;
    for_each_node(r, poll_task);
    for (int i = 0; i < r->n_nodes; i++) {
        struct node_rt *nd = &r->nodes[i];
        if (!nd->down && nd->task_rc < 0) {
            char why[FB_ERRMSG_LEN + 32];
            snprintf(why, sizeof(why), "metrics: %s", nd->task_err.msg);
            mark_down(nd, why);
        }
    }
}

/* ---- cell phases ---- */

static void reset_task(struct run *r, struct node_rt *nd)
{
    struct fb_tvars v = {.node = nd->cfg->name, .images = r->images};
    struct step_out o;
    nd->task_rc = run_step(r, nd, FB_STEP_RESET, &v, false, &o);
    if (nd->task_rc < 0)
        fb_errf(&nd->task_err, nd->task_rc, "%s", o.error);
    for (int f = 0; f < r->exp->n_functions; f++)
        nd->has_image[f] = nd->has_warm[f] = false;
    nd->cell_count = 0;
}

/* Removes faasbench containers and function images on every node. */
static void reset_nodes(struct run *r)
{
    for_each_node(r, reset_task);
    for (int i = 0; i < r->n_nodes; i++)
        if (!r->nodes[i].down && r->nodes[i].task_rc < 0)
            fprintf(stderr, "faasbench: reset of %s failed: %s\n", r->nodes[i].cfg->name,
                    r->nodes[i].task_err.msg);
}

static void fill_views(struct run *r, int f, struct fb_node_view *views)
{
    for (int i = 0; i < r->n_nodes; i++) {
        const struct node_rt *nd = &r->nodes[i];
        views[i] = (struct fb_node_view){
            .name = nd->cfg->name,
            .cpu_pct = nd->cpu_pct,
            .ram_pct = nd->ram_pct,
            .down = nd->down,
            .has_image = nd->has_image[f],
            .has_warm = nd->has_warm[f],
        };
    }
}

static void warm_name(const struct fb_function_cfg *fn, char *buf, size_t n)
{
    snprintf(buf, n, "faasbench-warm-%s", fn->name);
}

static const char *network_arg(const struct fb_function_cfg *fn)
{
    return fn->network ? "" : "--network none";
}

/* Pre-warmed: pull on the node the base policy picks. Warmed: also start a
 * long-running container there. What fails is reported and the function
 * falls back to the next tier at invocation time (the row says so). */
static void prepare(struct run *r, const struct fb_policy *p, void *pstate,
                    enum fb_warming w)
{
    if (w == FB_WARM_COLD)
        return;
    poll_metrics(r);
    for (int f = 0; f < r->exp->n_functions && !fb_run_stop; f++) {
        const struct fb_function_cfg *fn = &r->exp->functions[f];
        struct fb_node_view views[r->n_nodes];
        struct fb_select_ctx ctx = {f, fn->name, r->exp->ram_threshold};
        char cname[96];
        struct step_out o;

        fill_views(r, f, views);
        int i = p->ops.select(pstate, views, r->n_nodes, &ctx);
        if (i < 0) {
            fprintf(stderr, "faasbench: cannot %s %s: no eligible node\n",
                    fb_warming_name(w), fn->name);
            continue;
        }
        struct node_rt *nd = &r->nodes[i];
        warm_name(fn, cname, sizeof(cname));
        struct fb_tvars v = {.image = fn->image, .container = cname, .node = nd->cfg->name,
                             .function = fn->name, .network = network_arg(fn),
                             .command = fn->command};
        if (run_step(r, nd, FB_STEP_PULL, &v, false, &o) < 0) {
            fprintf(stderr, "faasbench: %s\n", o.error);
            continue;
        }
        nd->has_image[f] = true;
        if (w == FB_WARM_WARMED) {
            if (run_step(r, nd, FB_STEP_START, &v, false, &o) < 0)
                fprintf(stderr, "faasbench: %s\n", o.error);
            else
                nd->has_warm[f] = true;
        }
    }
}

/* Removes the cell's warm containers. */
static void teardown_task(struct run *r, struct node_rt *nd)
{
    nd->task_rc = 0;
    for (int f = 0; f < r->exp->n_functions; f++) {
        if (!nd->has_warm[f])
            continue;
        char cname[96];
        struct step_out o;
        warm_name(&r->exp->functions[f], cname, sizeof(cname));
        struct fb_tvars v = {.container = cname, .node = nd->cfg->name,
                             .function = r->exp->functions[f].name,
                             .image = r->exp->functions[f].image};
        if (run_step(r, nd, FB_STEP_REMOVE_CONTAINER, &v, false, &o) < 0)
            fprintf(stderr, "faasbench: %s\n", o.error);
        nd->has_warm[f] = false;
    }
}

static void progress(struct run *r, const char *policy, const char *warming, bool final)
{
    if (r->opts->quiet || (!r->tty && !final))
        return;
    fprintf(stderr, "%s[cell %d/%d %s %s] %ld/%ld invocations, %ld errors, %.1f s%s",
            r->tty ? "\r" : "", r->cell_i + 1, r->n_cells, policy, warming, r->done, r->total,
            r->errors, (mono_ms() - r->t_start) / 1e3, final ? "\n" : "");
    fflush(stderr);
}

/* One invocation of function f, start to row. */
static int invoke(struct run *r, const struct fb_cell *cell, const struct fb_policy *p,
                  void *pstate, int f, long seq, struct cell_acc *acc)
{
    const struct fb_function_cfg *fn = &r->exp->functions[f];
    struct fb_node_view views[r->n_nodes];
    struct fb_select_ctx ctx = {f, fn->name, r->exp->ram_threshold};
    enum fb_warming mode = FB_WARM_COLD;
    struct step_out o = {.exit_status = -1, .node_ms = NAN};
    char cname[96], error[FB_ERRMSG_LEN] = "";
    double pull_ms = 0, cleanup_ms = 0, node_ms = 0, run_node_ms = NAN;
    int exit_status = -1;

    int64_t start_unix = unix_ms();
    double t0 = mono_ms();
    poll_metrics(r);
    fill_views(r, f, views);
    int i = fb_chain_select(p, pstate, views, r->n_nodes, &ctx, &mode);
    double t1 = mono_ms(), t2 = t1, t3 = t1, t4 = t1;
    struct node_rt *nd = i >= 0 ? &r->nodes[i] : NULL;

    if (nd == NULL) {
        snprintf(error, sizeof(error), "no eligible node: every node is down or at or above "
                 "the RAM threshold (%.0f %%)", r->exp->ram_threshold);
        goto record;
    }
    nd->cell_count++;
    if (mode == FB_WARM_WARMED)
        warm_name(fn, cname, sizeof(cname));
    else
        snprintf(cname, sizeof(cname), "faasbench-%s-%lu", fn->name, ++r->container_seq);
    struct fb_tvars v = {.image = fn->image, .container = cname, .command = fn->command,
                         .node = nd->cfg->name, .function = fn->name,
                         .network = network_arg(fn)};

    if (mode == FB_WARM_COLD) {
        /* The pull is a step of its own so the row shows what it cost. */
        int rc = run_step(r, nd, FB_STEP_PULL, &v, true, &o);
        t2 = mono_ms();
        pull_ms = t2 - t1;
        if (!isnan(o.node_ms))
            node_ms += o.node_ms;
        if (rc < 0) {
            snprintf(error, sizeof(error), "%s", o.error);
            t3 = t4 = t2;
            goto record;
        }
        nd->has_image[f] = true;
    }
    int rc = run_step(r, nd, mode == FB_WARM_WARMED ? FB_STEP_EXEC : FB_STEP_RUN, &v, true,
                      &o);
    t3 = mono_ms();
    exit_status = o.exit_status;
    run_node_ms = o.node_ms;
    if (rc < 0)
        snprintf(error, sizeof(error), "%s", o.error);
    if (mode == FB_WARM_COLD) {
        /* The next cold invocation on this node must pull again. */
        struct step_out c;
        if (run_step(r, nd, FB_STEP_REMOVE_IMAGE, &v, false, &c) < 0 && error[0] == '\0')
            snprintf(error, sizeof(error), "%s", c.error);
        nd->has_image[f] = false;
    }
    t4 = mono_ms();
    cleanup_ms = t4 - t3;

record:;
    bool timed = r->exp->node_timing && nd != NULL && !isnan(run_node_ms);
    struct fb_invocation inv = {
        .run_id = r->run_id,
        .repetition = cell->repetition,
        .policy = r->exp->matrix.policies[cell->policy],
        .warming = fb_warming_name(cell->warming),
        .function = fn->name,
        .seq = seq,
        .node = nd != NULL ? nd->cfg->name : "",
        .mode = nd != NULL ? fb_warming_name(mode) : "",
        .intended_start_ms = start_unix,
        .start_ms = start_unix,
        .select_ms = t1 - t0,
        .pull_ms = pull_ms,
        .run_ms = t3 - t2,
        .cleanup_ms = cleanup_ms,
        .latency_ms = t3 - t0,
        .total_ms = t4 - t0,
        .node_exec_ms = timed ? node_ms + run_node_ms : NAN,
        .cpu_pct = nd != NULL ? nd->cpu_pct : NAN,
        .ram_pct = nd != NULL ? nd->ram_pct : NAN,
        .exit_status = exit_status,
        .attempts = 1,
        .error = error,
    };
    r->done++;
    if (error[0] != '\0') {
        r->errors++;
        acc->errors++;
    } else if (fb_sample_add(&acc->lat, inv.latency_ms) < 0) {
        return FB_ENOMEM;
    }
    if (nd != NULL) {
        acc->mode_count[mode]++;
        acc->per_node[i]++;
    }
    if (fb_results_write(r->res, &inv) < 0) {
        fprintf(stderr, "faasbench: cannot write to %s: %s\n", fb_results_dir(r->res),
                strerror(errno));
        return FB_EIO;
    }
    return 0;
}

/* Closes a cell x function accumulator into a summary row. */
static int add_summary_row(struct run *r, const struct fb_cell *cell, int f,
                           struct cell_acc *acc)
{
    struct fb_summary_row *rows = realloc(r->rows, (r->n_rows + 1) * sizeof(*rows));
    if (rows == NULL)
        return FB_ENOMEM;
    r->rows = rows;
    struct fb_summary_row *row = &rows[r->n_rows];
    memset(row, 0, sizeof(*row));
    row->run_id = r->run_id;
    row->repetition = cell->repetition;
    row->policy = r->exp->matrix.policies[cell->policy];
    row->warming = fb_warming_name(cell->warming);
    row->function = r->exp->functions[f].name;
    row->errors = acc->errors;
    memcpy(row->mode_count, acc->mode_count, sizeof(row->mode_count));
    fb_summarize(acc->lat.v, acc->lat.n, &row->lat);

    size_t len = 1;
    for (int i = 0; i < r->n_nodes; i++)
        len += strlen(r->nodes[i].cfg->name) + 24;
    row->per_node = malloc(len);
    if (row->per_node == NULL)
        return FB_ENOMEM;
    row->per_node[0] = '\0';
    size_t off = 0;
    for (int i = 0; i < r->n_nodes; i++)
        off += (size_t)snprintf(row->per_node + off, len - off, "%s%s=%d", i ? " " : "",
                                r->nodes[i].cfg->name, acc->per_node[i]);
    r->n_rows++;
    return 0;
}

static int run_cell(struct run *r, const struct fb_cell *cell)
{
    const char *pname = r->exp->matrix.policies[cell->policy];
    const struct fb_policy *p = fb_policy_find(pname);
    void *pstate = NULL;
    int nf = r->exp->n_functions, rc = 0;
    struct cell_acc *acc = calloc((size_t)nf, sizeof(*acc));

    if (acc == NULL)
        return FB_ENOMEM;
    for (int f = 0; f < nf; f++) {
        acc[f].per_node = calloc((size_t)r->n_nodes, sizeof(int));
        if (acc[f].per_node == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
    }
    if (p->ops.init != NULL && (rc = p->ops.init(&pstate, r->exp->seed + (uint64_t)r->cell_i)) < 0)
        goto out;

    reset_nodes(r);
    /* A first poll after the reset, so CPU % has a baseline. */
    poll_metrics(r);
    prepare(r, p, pstate, cell->warming);

    for (long seq = 1; seq <= r->exp->matrix.invocations && !fb_run_stop; seq++) {
        for (int f = 0; f < nf && !fb_run_stop; f++) {
            rc = invoke(r, cell, p, pstate, f, seq, &acc[f]);
            if (rc < 0)
                goto out;
            progress(r, pname, fb_warming_name(cell->warming), false);
        }
    }
    for_each_node(r, teardown_task);
    for (int f = 0; f < nf && !fb_run_stop; f++)
        if ((rc = add_summary_row(r, cell, f, &acc[f])) < 0)
            goto out;
    progress(r, pname, fb_warming_name(cell->warming), true);
out:
    if (p->ops.free != NULL)
        p->ops.free(pstate);
    for (int f = 0; f < nf; f++) {
        fb_sample_free(&acc[f].lat);
        free(acc[f].per_node);
    }
    free(acc);
    return rc;
}

/* ---- run folder ---- */

static int write_environment(struct run *r, const char *dir, time_t started)
{
    char path[4096];
    struct utsname u;
    char when[64];
    snprintf(path, sizeof(path), "%s/environment.txt", dir);
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
    for (int i = 0; i < r->n_nodes; i++) {
        const struct fb_node_cfg *c = r->nodes[i].cfg;
        fprintf(f, "node %s %s %s@%s:%d%s%s\n", c->name,
                c->transport == FB_TRANSPORT_LOCAL ? "local" : "ssh", c->user ? c->user : "-",
                c->host ? c->host : "-", c->port, r->nodes[i].down ? " down: " : "",
                r->nodes[i].down ? r->nodes[i].down_reason : "");
    }
    return fclose(f) == 0 ? 0 : FB_EIO;
}

/* results/<name>-<UTC timestamp>[-k] */
static int open_results(struct run *r, char **run_dir, struct fb_errbuf *eb)
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
        char *dir = strf("%s/%s", root, r->run_id);
        if (dir == NULL)
            return FB_ENOMEM;
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
        *run_dir = dir;
        return 0;
    }
    return fb_errf(eb, FB_EIO, "too many runs named %s-%s in %s", r->exp->name, stamp, root);
}

static int write_summaries(struct run *r, const char *dir)
{
    char path[4096];
    int rc = 0;
    snprintf(path, sizeof(path), "%s/summary.csv", dir);
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return FB_EIO;
    rc = fb_summary_write_csv(f, r->rows, r->n_rows);
    if (fclose(f) != 0 && rc == 0)
        rc = FB_EIO;
    snprintf(path, sizeof(path), "%s/summary.txt", dir);
    f = fopen(path, "wx");
    if (f == NULL)
        return FB_EIO;
    int rc2 = fb_summary_write_table(f, r->rows, r->n_rows);
    if (fclose(f) != 0 && rc2 == 0)
        rc2 = FB_EIO;
    if (!r->opts->quiet && r->n_rows > 0)
        fb_summary_write_table(stdout, r->rows, r->n_rows);
    return rc < 0 ? rc : rc2;
}

/* ---- the run ---- */

static void open_task(struct run *r, struct node_rt *nd)
{
    nd->task_rc = fb_conn_open(nd->cfg, r->exp->connect_timeout_ms, &nd->conn, &nd->task_err);
    if (nd->task_rc == 0 && r->exp->metrics_format != FB_METRICS_NONE)
        nd->task_rc =
            fb_conn_open(nd->cfg, r->exp->connect_timeout_ms, &nd->mconn, &nd->task_err);
}

static int connect_nodes(struct run *r, struct fb_errbuf *eb)
{
    int up = 0;
    for_each_node(r, open_task);
    for (int i = 0; i < r->n_nodes; i++) {
        struct node_rt *nd = &r->nodes[i];
        if (nd->task_rc < 0)
            mark_down(nd, nd->task_err.msg);
        else
            up++;
    }
    if (up == 0)
        return fb_errf(eb, FB_ECONNECT, "no node could be reached");
    return 0;
}

static int images_list(struct run *r)
{
    size_t len = 1;
    for (int f = 0; f < r->exp->n_functions; f++)
        len += strlen(r->exp->functions[f].image) + 1;
    r->images = calloc(1, len);
    if (r->images == NULL)
        return FB_ENOMEM;
    for (int f = 0; f < r->exp->n_functions; f++) {
        /* Two functions may share an image; name it once. */
        bool seen = false;
        for (int g = 0; g < f; g++)
            seen |= strcmp(r->exp->functions[g].image, r->exp->functions[f].image) == 0;
        if (seen)
            continue;
        if (r->images[0] != '\0')
            strcat(r->images, " ");
        strcat(r->images, r->exp->functions[f].image);
    }
    return 0;
}

int fb_run(const struct fb_experiment *exp, const struct fb_run_opts *opts, char **run_dir,
           struct fb_errbuf *eb)
{
    struct run r = {.exp = exp, .opts = opts, .n_nodes = exp->n_nodes};
    struct fb_cell *cells = NULL;
    int rc, n_cells = 0;
    time_t started = time(NULL);

    *run_dir = NULL;
    r.tty = isatty(STDERR_FILENO);
    r.t_start = mono_ms();
    if ((rc = fb_matrix_expand(&exp->matrix, exp->seed, &cells, &n_cells)) < 0)
        goto out;
    r.n_cells = n_cells;
    r.total = (long)n_cells * exp->matrix.invocations * exp->n_functions;
    if ((rc = images_list(&r)) < 0)
        goto out;
    r.nodes = calloc((size_t)exp->n_nodes, sizeof(*r.nodes));
    if (r.nodes == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int i = 0; i < exp->n_nodes; i++) {
        r.nodes[i].cfg = &exp->nodes[i];
        r.nodes[i].has_image = calloc((size_t)exp->n_functions, sizeof(bool));
        r.nodes[i].has_warm = calloc((size_t)exp->n_functions, sizeof(bool));
        if (r.nodes[i].has_image == NULL || r.nodes[i].has_warm == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
    }
    if ((rc = open_results(&r, run_dir, eb)) < 0)
        goto out;
    if ((rc = connect_nodes(&r, eb)) < 0)
        goto out;
    {
        char path[4096];
        snprintf(path, sizeof(path), "%s/experiment.cfg", *run_dir);
        if (fb_config_write(exp, path) < 0)
            fprintf(stderr, "faasbench: cannot write %s\n", path);
        if (write_environment(&r, *run_dir, started) < 0)
            fprintf(stderr, "faasbench: cannot write the environment file in %s\n", *run_dir);
    }
    if (!opts->quiet)
        fprintf(stderr, "faasbench: %s: %d cells x %d functions x %d invocations -> %s\n",
                exp->name, n_cells, exp->n_functions, exp->matrix.invocations, *run_dir);

    for (r.cell_i = 0; r.cell_i < n_cells && !fb_run_stop; r.cell_i++) {
        rc = run_cell(&r, &cells[r.cell_i]);
        if (rc < 0)
            break;
    }
    if (fb_run_stop && rc == 0)
        rc = FB_EINTR;

out:
    /* Leave every node clean: warm containers and pulled images go. */
    if (r.nodes != NULL) {
        if (r.res != NULL) {
            for_each_node(&r, teardown_task);
            reset_nodes(&r);
        }
        for (int i = 0; i < exp->n_nodes; i++) {
            if (r.nodes[i].conn != NULL)
                fb_conn_close(r.nodes[i].conn);
            if (r.nodes[i].mconn != NULL)
                fb_conn_close(r.nodes[i].mconn);
            free(r.nodes[i].has_image);
            free(r.nodes[i].has_warm);
        }
    }
    if (r.res != NULL) {
        if (fb_results_close(r.res) < 0 && rc == 0)
            rc = fb_errf(eb, FB_EIO, "cannot write the results in %s", *run_dir);
        if (write_summaries(&r, *run_dir) < 0 && rc == 0)
            rc = fb_errf(eb, FB_EIO, "cannot write the summaries in %s", *run_dir);
    }
    for (size_t i = 0; i < r.n_rows; i++)
        free(r.rows[i].per_node);
    free(r.rows);
    free(r.nodes);
    free(r.images);
    free(cells);
    return rc;
}
