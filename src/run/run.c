/* run.c - the run loop: the matrix's cells one after another, each run by the
 * real engine on the experiment's nodes or by the simulator, into one run
 * folder. */
#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "run/run_priv.h"

static int run_cell(struct run *r, const struct fb_cell *cell)
{
    const struct fb_experiment *exp = r->exp;
    struct cell c = {.r = r, .cell = cell};
    struct fb_plugspec spec;
    int rc = 0;

    c.seed = exp->seed + (uint64_t)r->cell_i * 1000003;
    c.pname = exp->matrix.policies[cell->policy];
    c.wname = fb_warming_name(cell->warming);
    c.p = fb_policy_find_spec(c.pname, &spec, NULL); /* checked when loaded */
    if (cell->warming == FB_WARM_KEEPALIVE) {
        const char *ks = exp->matrix.keepalive[cell->keepalive];
        c.k = fb_keepalive_find_spec(ks, &c.kspec, NULL); /* checked when loaded */
        snprintf(c.wbuf, sizeof(c.wbuf), "keep-alive:%s", ks);
        c.wname = c.wbuf;
        c.kkey = (struct fb_ka_cellkey){cell->repetition, c.pname, ks};
    }
    fb_obs_cell_begin(r->obs, r->cell_i, fb_workload_count(exp, r->trace));
    pthread_mutex_init(&c.lock, NULL);
    if ((c.seq = calloc((size_t)exp->n_functions, sizeof(*c.seq))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    c.time_scale = exp->workload.kind == FB_WORKLOAD_TRACE && exp->workload.time_scale > 0
                       ? exp->workload.time_scale
                       : 1.0;
    if (r->sched.n > 0 && ((c.fw = calloc((size_t)r->sched.n, sizeof(*c.fw))) == NULL ||
                           (c.fault_row = calloc((size_t)r->sched.n, sizeof(bool))) == NULL)) {
        rc = FB_ENOMEM;
        goto out;
    }
    pthread_mutex_lock(&r->poll_lock);
    r->cur = &c;
    pthread_mutex_unlock(&r->poll_lock);
    if (c.p->ops.init != NULL && (rc = c.p->ops.init(&c.pstate, c.seed, spec.values)) < 0)
        goto out;
    /* Nothing prepared in a keep-alive cell: instances start as invocations
     * find none idle; their events wait in a scratch file (a day of them
     * may not fit in memory) until the cell is complete. */
    if (c.k != NULL) {
        struct fb_errbuf seb = {{0}};
        if ((c.events = fb_runfolder_scratch(r->rf, &seb)) == NULL) {
            fprintf(stderr, "faasbench: %s\n", seb.msg);
            rc = FB_EIO;
            goto out;
        }
    }

    rc = r->sim != NULL ? fb_sim_cell(&c) : fb_live_cell(&c);
    fb_cell_faults_close(&c);
    if (rc == 0)
        rc = c.rc;
    if (c.k != NULL) {
        fflush(c.events);
        /* Complete cells only, as cells.log counts them. */
        if (!fb_run_stop && rc == 0) {
            struct fb_summary sm;
            struct fb_errbuf eb = {{0}};
            fb_sample_summarize(&c.lat, &sm);
            struct fb_ka_latency lat = {sm.p50, sm.p99};
            if (fb_runfolder_keepalive_cell(r->rf, &c.kkey, c.events, &c.ko, &lat, &eb) < 0) {
                fprintf(stderr, "faasbench: %s\n", eb.msg);
                rc = FB_EIO;
            }
        }
    }
    fb_run_progress(r, c.pname, c.wname, true);
out:
    pthread_mutex_lock(&r->poll_lock);
    r->cur = NULL;
    pthread_mutex_unlock(&r->poll_lock);
    free(c.fw);
    free(c.fault_row);
    if (c.events != NULL)
        fclose(c.events);
    fb_sample_free(&c.lat);
    if (c.p->ops.free != NULL)
        c.p->ops.free(c.pstate);
    free(c.seq);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

/* The run's series and their endpoint at opts->metrics_listen. */
static int observe_start(struct run *r, const struct fb_cell *cells, struct fb_errbuf *eb)
{
    const struct fb_experiment *exp = r->exp;
    struct fb_obs_cell *oc = calloc((size_t)r->n_cells + 1, sizeof(*oc));
    char **ka = calloc((size_t)r->n_cells + 1, sizeof(*ka));
    const char **fns = calloc((size_t)exp->n_functions + 1, sizeof(*fns));
    int rc = FB_ENOMEM;

    if (oc == NULL || ka == NULL || fns == NULL)
        goto out;
    for (int i = 0; i < r->n_cells; i++) {
        const struct fb_cell *cell = &cells[i];
        oc[i] = (struct fb_obs_cell){cell->repetition, exp->matrix.policies[cell->policy],
                                     fb_warming_name(cell->warming), cell->warming};
        /* As the rows name it (run_cell). */
        if (cell->warming == FB_WARM_KEEPALIVE) {
            if ((ka[i] = fb_strf("keep-alive:%s", exp->matrix.keepalive[cell->keepalive])) == NULL)
                goto out;
            oc[i].warming = ka[i];
        }
    }
    for (int f = 0; f < exp->n_functions; f++)
        fns[f] = exp->functions[f].name;
    struct fb_obs_opts oo = {
        .cells = oc,
        .n_cells = r->n_cells,
        .functions = fns,
        .n_functions = exp->n_functions,
        .start_unix_ms = fb_unix_ms(),
        .expected = r->total,
        .engine = r->eng, /* NULL in simulation: no node series */
    };
    if ((rc = fb_obs_new(&oo, &r->obs)) < 0)
        goto out;
    if ((rc = fb_obs_server_start(r->obs, r->opts->metrics_listen, &r->obs_server, eb)) < 0) {
        char why[FB_ERRMSG_LEN];
        snprintf(why, sizeof(why), "%s", eb->msg);
        rc = fb_errf(eb, rc, "--metrics-listen %s", why);
        goto out;
    }
    char url[128];
    fb_obs_server_url(r->obs_server, url, sizeof(url));
    fprintf(stderr, "faasbench: metrics at %s\n", url);
    if (!fb_obs_server_loopback(r->obs_server))
        fprintf(stderr,
                "faasbench: warning: the metrics endpoint listens beyond this machine "
                "(%s) and has no authentication\n",
                r->opts->metrics_listen);
out:
    for (int i = 0; ka != NULL && i < r->n_cells; i++)
        free(ka[i]);
    free(ka);
    free(oc);
    free(fns);
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

/* The engine and its nodes, or the simulator and its nodes. */
static int executor_begin(struct run *r, struct fb_errbuf *eb)
{
    const struct fb_experiment *exp = r->exp;
    int rc;

    if (r->opts->simulate != NULL) {
        struct fb_sim_opts so = *r->opts->simulate;
        size_t *calls = NULL;
        if (r->trace != NULL && so.calls == NULL) {
            if ((calls = calloc((size_t)exp->n_functions, sizeof(*calls))) == NULL)
                return FB_ENOMEM;
            if ((rc = fb_trace_calls(r->trace, calls)) < 0) {
                free(calls);
                return fb_errf(eb, rc, "%s", fb_trace_error(r->trace));
            }
            so.calls = calls;
        }
        rc = fb_sim_new(exp, &so, &r->sim, eb);
        free(calls);
        return rc;
    }
    struct fb_engine_opts eo;
    fb_engine_opts_init(&eo, exp);
    eo.stop = &fb_run_stop;
    eo.polled = fb_run_node_polled;
    eo.polled_ctx = r;
    if ((rc = fb_engine_new(&eo, &r->eng)) < 0)
        return rc;
    for (int f = 0; f < exp->n_functions; f++)
        if ((rc = fb_engine_add_function(r->eng, &exp->functions[f])) < 0)
            return rc;
    return 0;
}

/* nodes.txt and the nodes down at the end. */
static void nodes_at_end(struct run *r)
{
    struct fb_errbuf web = {{0}};

    if (r->sim != NULL) {
        char line[256];
        if (fb_sim_write_nodes(r->sim, r->rf, &web) < 0)
            fprintf(stderr, "faasbench: %s\n", web.msg);
        /* How fast it went (wall time in the simulator; the summaries and
         * the report not counted). */
        snprintf(line, sizeof(line), "simulation_wall %.3f s for %ld invocations: %.0f per second\n",
                 r->sim_wall_s, r->sim_done,
                 r->sim_wall_s > 0 ? (double)r->sim_done / r->sim_wall_s : 0.0);
        if (fb_runfolder_append_environment(r->rf, line, &web) < 0)
            fprintf(stderr, "faasbench: %s\n", web.msg);
        return;
    }
    if (fb_runfolder_write_nodes(r->rf, r->eng, &web) < 0)
        fprintf(stderr, "faasbench: %s\n", web.msg);
    for (int i = 0; !r->opts->quiet && i < fb_engine_node_count(r->eng); i++) {
        const char *why = NULL;
        if (fb_engine_node_down(r->eng, i, &why))
            fprintf(stderr, "faasbench: node %s was down at the end: %s\n",
                    fb_engine_node(r->eng, i)->name, why);
    }
}

int fb_run_check_trace_faults(const struct fb_experiment *exp, struct fb_trace_reader *t,
                              struct fb_errbuf *eb)
{
    double scale = exp->workload.time_scale > 0 ? exp->workload.time_scale : 1.0;
    double last = 0;
    char what[128];
    int rc = fb_trace_last(t, &last);

    if (rc < 0)
        return fb_errf(eb, rc, "%s", fb_trace_error(t));
    /* Offsets are wall seconds after time_scale; faults are on the trace's clock. */
    snprintf(what, sizeof(what), "its trace's last invocation is at %g s", last / scale);
    return fb_schedule_check_length(exp, last / scale, what, eb);
}

int fb_run(const struct fb_experiment *exp, const struct fb_run_opts *opts, char **run_dir,
           struct fb_errbuf *eb)
{
    struct run r = {.exp = exp, .opts = opts};
    struct fb_cell *cells = NULL;
    struct fb_errbuf web = {{0}};
    int rc, n_cells = 0;
    time_t started = time(NULL);
    bool simulate = opts->simulate != NULL;

    *run_dir = NULL;
    pthread_mutex_init(&r.poll_lock, NULL);
    if ((rc = fb_schedule_make(exp, &r.sched)) < 0)
        goto out;
    r.tty = isatty(STDERR_FILENO);
    r.sim_clock_ms = FB_SIM_EPOCH_MS;
    r.t_start = fb_mono_s();
    if ((rc = fb_matrix_expand(&exp->matrix, exp->seed, &cells, &n_cells)) < 0)
        goto out;
    r.n_cells = n_cells;
    if (exp->workload.kind == FB_WORKLOAD_TRACE &&
        ((rc = fb_workload_open_trace(exp, &r.trace, eb)) < 0 ||
         (exp->n_faults > 0 && (rc = fb_run_check_trace_faults(exp, r.trace, eb)) < 0)))
        goto out;
    r.total = fb_workload_count(exp, r.trace) * n_cells;
    if ((rc = executor_begin(&r, eb)) < 0)
        goto out;
    if (simulate && (rc = fb_sim_gathering_new(&r)) < 0)
        goto out;
    /* Before the run folder: an address that cannot be served stops the
     * run before it has begun. */
    if (opts->metrics_listen != NULL && (rc = observe_start(&r, cells, eb)) < 0)
        goto out;
    if (opts->resume != NULL) {
        int done = 0;
        if ((r.cell_done = calloc((size_t)n_cells, sizeof(bool))) == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        if ((rc = fb_runfolder_resume(opts->resume, n_cells, r.cell_done, &done, &r.rf, eb)) < 0)
            goto out;
        /* The faults and polls of the cells to run again go, as their rows do. */
        if ((rc = fb_runfolder_keep_cells(r.rf, r.cell_done, n_cells, eb)) < 0)
            goto out;
        if (!opts->quiet)
            fprintf(stderr, "faasbench: resuming %s: %d of %d cells complete\n",
                    fb_runfolder_dir(r.rf), done, n_cells);
        /* What is left to do: the progress and its estimate count that. */
        r.total = r.total / n_cells * (n_cells - done);
        fb_obs_run_expected(r.obs, r.total);
    } else {
        const char *root = opts->results_root != NULL ? opts->results_root : exp->results_dir;
        rc = simulate ? fb_sim_runfolder(r.sim, root, exp->name, &r.rf, eb)
                      : fb_runfolder_create(root, exp->name, started, &r.rf, eb);
        if (rc < 0)
            goto out;
        /* First, so even a run no node answered says what it tried. */
        if (fb_runfolder_save_experiment(r.rf, exp, &web) < 0)
            fprintf(stderr, "faasbench: %s\n", web.msg);
    }
    if (!simulate && (rc = connect_nodes(&r, eb)) < 0)
        goto out;
    rc = simulate ? fb_sim_write_environment(r.sim, r.rf, exp, started, &web)
                  : fb_runfolder_write_environment(r.rf, exp, r.eng, started, NULL, &web);
    if (rc < 0)
        fprintf(stderr, "faasbench: cannot write the environment file: %s\n", web.msg);
    rc = 0;
    if (!opts->quiet)
        fprintf(stderr, "faasbench: %s%s: %d cells x %d functions, %s workload, %s%ld invocations -> %s\n",
                simulate ? "SIMULATED " : "", exp->name, n_cells, exp->n_functions,
                fb_workload_name(exp->workload.kind), r.total > 0 ? "" : "timed, ", r.total,
                fb_runfolder_dir(r.rf));

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
    nodes_at_end(&r);

out:
    if (r.rf != NULL) {
        struct fb_report_opts ro = {.no_plots = opts->no_plots,
                                    .echo = opts->quiet ? NULL : stdout,
                                    .summaries = r.summaries};
        struct fb_errbuf ceb = {{0}};
        char *dir = strdup(fb_runfolder_dir(r.rf));
        /* Leaves every node clean: warm containers and pulled images go. */
        if (fb_runfolder_close(r.rf, r.eng, &ro, &ceb) < 0 && rc == 0)
            rc = fb_errf(eb, FB_EIO, "%s", ceb.msg);
        else if (ceb.msg[0] != '\0')
            fprintf(stderr, "faasbench: %s\n", ceb.msg);
        *run_dir = dir;
    }
    /* Someone is watching: the last rows are theirs too, with one more
     * scrape (not after a signal: that stops now). */
    if (r.obs_server != NULL && !fb_run_stop && opts->metrics_linger_s > 0 &&
        fb_obs_server_scrapes(r.obs_server) > 0)
        fb_obs_server_wait_scrape(r.obs_server, opts->metrics_linger_s, &fb_run_stop);
    fb_obs_server_stop(r.obs_server);
    fb_obs_free(r.obs);
    fb_engine_free(r.eng);
    fb_sim_gathering_free(&r);
    fb_sim_free(r.sim);
    fb_schedule_free(&r.sched);
    pthread_mutex_destroy(&r.poll_lock);
    free(r.cell_done);
    fb_trace_close(r.trace);
    free(cells);
    return rc;
}
