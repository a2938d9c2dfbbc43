/* run.c - the run loop: reset, prepare, invoke and tear down every cell. */
#include "run.h"

#include <errno.h>
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

volatile sig_atomic_t fb_run_stop = 0;

struct run {
    const struct fb_experiment *exp;
    const struct fb_run_opts *opts;
    struct fb_engine *eng;
    char run_id[160];
    char *dir;
    struct fb_results *res;
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

/* Writes one outcome as a row. */
static int record(struct run *r, const struct fb_cell *cell, int f, long seq,
                  const struct fb_outcome *o)
{
    const struct fb_node_cfg *node = o->node >= 0 ? fb_engine_node(r->eng, o->node) : NULL;
    struct fb_invocation inv = {
        .run_id = r->run_id,
        .repetition = cell->repetition,
        .policy = r->exp->matrix.policies[cell->policy],
        .warming = fb_warming_name(cell->warming),
        .function = r->exp->functions[f].name,
        .seq = seq,
        .node = node != NULL ? node->name : "",
        .mode = node != NULL ? fb_warming_name(o->mode) : "",
        .intended_start_ms = o->start_ms,
        .start_ms = o->start_ms,
        .select_ms = o->select_ms,
        .pull_ms = o->pull_ms,
        .run_ms = o->run_ms,
        .cleanup_ms = o->cleanup_ms,
        .latency_ms = o->latency_ms,
        .total_ms = o->total_ms,
        .node_exec_ms = o->node_exec_ms,
        .cpu_pct = o->cpu_pct,
        .ram_pct = o->ram_pct,
        .exit_status = o->exit_status,
        .attempts = o->attempts,
        .error = o->error,
    };
    r->done++;
    if (o->error[0] != '\0')
        r->errors++;
    if (fb_results_write(r->res, &inv) < 0) {
        fprintf(stderr, "faasbench: cannot write to %s: %s\n", r->dir, strerror(errno));
        return FB_EIO;
    }
    return 0;
}

static int run_cell(struct run *r, const struct fb_cell *cell)
{
    const char *pname = r->exp->matrix.policies[cell->policy];
    const char *wname = fb_warming_name(cell->warming);
    const struct fb_policy *p = fb_policy_find(pname);
    void *pstate = NULL;
    int rc = 0;

    if (p->ops.init != NULL &&
        (rc = p->ops.init(&pstate, r->exp->seed + (uint64_t)r->cell_i)) < 0)
        return rc;

    fb_engine_reset(r->eng);
    /* A first poll after the reset, so CPU % has a baseline. */
    fb_engine_poll(r->eng);
    for (int f = 0; f < r->exp->n_functions && !fb_run_stop; f++) {
        struct fb_errbuf eb = {{0}};
        if (fb_engine_prepare(r->eng, p, pstate, f, cell->warming, &eb) < 0)
            fprintf(stderr, "faasbench: %s\n", eb.msg);
    }
    for (long seq = 1; seq <= r->exp->matrix.invocations && !fb_run_stop; seq++) {
        for (int f = 0; f < r->exp->n_functions && !fb_run_stop; f++) {
            struct fb_outcome o;
            if ((rc = fb_engine_invoke(r->eng, p, pstate, f, &o)) < 0 ||
                (rc = record(r, cell, f, seq, &o)) < 0)
                goto out;
            progress(r, pname, wname, false);
        }
    }
    fb_engine_teardown(r->eng);
    progress(r, pname, wname, true);
out:
    if (p->ops.free != NULL)
        p->ops.free(pstate);
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
        return 0;
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
    r.total = (long)n_cells * exp->matrix.invocations * exp->n_functions;
    if ((rc = fb_engine_new(exp, &r.eng)) < 0)
        goto out;
    for (int f = 0; f < exp->n_functions; f++)
        if ((rc = fb_engine_add_function(r.eng, &exp->functions[f])) < 0)
            goto out;
    if ((rc = open_results(&r, eb)) < 0)
        goto out;
    if ((rc = connect_nodes(&r, eb)) < 0)
        goto out;
    {
        char path[4096];
        snprintf(path, sizeof(path), "%s/experiment.cfg", r.dir);
        if (fb_config_write(exp, path) < 0)
            fprintf(stderr, "faasbench: cannot write %s\n", path);
        if (write_environment(&r, started) < 0)
            fprintf(stderr, "faasbench: cannot write the environment file in %s\n", r.dir);
    }
    if (!opts->quiet)
        fprintf(stderr, "faasbench: %s: %d cells x %d functions x %d invocations -> %s\n",
                exp->name, n_cells, exp->n_functions, exp->matrix.invocations, r.dir);

    for (r.cell_i = 0; r.cell_i < n_cells && !fb_run_stop; r.cell_i++)
        if ((rc = run_cell(&r, &cells[r.cell_i])) < 0)
            break;
    if (fb_run_stop && rc == 0)
        rc = FB_EINTR;

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
    free(cells);
    return rc;
}
