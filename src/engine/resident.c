/* resident.c - resident instances: a container whose main process is a runtime
 * serving invocations on a Unix socket; starting one, waiting until it is
 * ready, calling its handler, replacing and removing it; and the resident
 * path of warming cells' invocations. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_priv.h"

/* Below the node user's home: a folder of that user alone (no other user
 * can reach the instances' sockets or swap their folders, as anyone could
 * under a world-writable /tmp). */
#define DEFAULT_INSTANCE_ROOT "~/.faasbench/instances"

void eng_instances_dir(const struct fb_engine *e, const struct enode *nd, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s",
             e->o.instance_root != NULL ? e->o.instance_root : DEFAULT_INSTANCE_ROOT,
             nd->cfg->name);
}

/* The container's name after "faasbench-" names its folder: unique per run
 * and node, as the container is. */
static void instance_dir(const struct fb_engine *e, const struct enode *nd, const char *cname,
                         char *buf, size_t n)
{
    char root[1100];
    const char *id = strncmp(cname, "faasbench-", 10) == 0 ? cname + 10 : cname;

    eng_instances_dir(e, nd, root, sizeof(root));
    snprintf(buf, n, "%s/%s", root, id);
}

static int fn_timeout(const struct fb_engine *e, const struct fb_function_cfg *fn)
{
    return fn->timeout_ms > 0 ? fn->timeout_ms : e->o.command_timeout_ms;
}

static void vars(const struct fb_engine *e, const struct enode *nd, int f, const char *cname,
                 const char *dir, struct fb_tvars *v)
{
    const struct fb_function_cfg *fn = e->fns[f];

    *v = (struct fb_tvars){.image = fn->image, .container = cname, .command = fn->command,
                           .node = nd->cfg->name, .function = fn->name,
                           .network = eng_network_arg(fn), .instance_dir = dir,
                           .memory = e->fx[f].memory, .handler = fn->handler};
}

/* What a runtime's answer means for the row: 0, the transport's code (a
 * node failure), or FB_EEXIT with error set (the function failed: its
 * instance is not to be used again). */
static int call_outcome(const struct enode *nd, enum fb_call_kind kind, int rc,
                        const struct fb_errbuf *eb, const struct fb_exec_result *res,
                        int timeout_ms, char *error, size_t n)
{
    const char *what = kind == FB_CALL_PING ? "ready" : "invoke";
    char line[300];

    if (rc < 0) {
        snprintf(error, n, "%s on %s: %s", what, nd->cfg->name,
                 eb->msg[0] ? eb->msg : fb_strerror(rc));
        return rc;
    }
    if (res->call_state == FB_CALL_TIMEOUT) {
        snprintf(error, n, "%s on %s: %s after %d ms; the instance is removed", what,
                 nd->cfg->name, kind == FB_CALL_PING ? "the runtime was not ready"
                                                     : "the handler timed out",
                 timeout_ms);
        return FB_EEXIT;
    }
    if (res->call_state == FB_CALL_GONE) {
        fb_last_line(res->err != NULL ? res->err : "", line, sizeof(line));
        snprintf(error, n, "%s on %s: the runtime is gone: %s", what, nd->cfg->name, line);
        return FB_EEXIT;
    }
    if (kind == FB_CALL_INVOKE && res->exit_status != 0) {
        fb_last_line(res->err != NULL && res->err[0] ? res->err : res->out, line, sizeof(line));
        snprintf(error, n, "invoke on %s: the handler failed with status %d: %s",
                 nd->cfg->name, res->exit_status, line);
        return FB_EEXIT;
    }
    return 0;
}

int eng_resident_start(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                          const char *cname, double *t_created, double *node_ms,
                          double *init_ms, char *error, size_t n)
{
    struct fb_tvars v;
    struct step_out o;
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    char dir[1200];
    /* Starting is not the invocation: its wait is the command timeout's, the
     * function's own timeout bounds its calls. */
    int rc, timeout = e->o.command_timeout_ms;

    instance_dir(e, nd, cname, dir, sizeof(dir));
    vars(e, nd, f, cname, dir, &v);
    rc = eng_run_step(e, nd, c, FB_STEP_START_INSTANCE, &v, true, &o);
    *t_created = fb_mono_ms();
    *node_ms += o.node_ms;
    if (rc < 0) {
        snprintf(error, n, "%s", o.error);
        return rc;
    }
    rc = fb_conn_call(c, dir, FB_CALL_PING, NULL, 0, timeout, &res, &eb);
    rc = call_outcome(nd, FB_CALL_PING, rc, &eb, &res, timeout, error, n);
    *node_ms += res.node_ms;
    if (rc == 0)
        *init_ms = res.init_ms;
    fb_exec_result_free(&res);
    return rc;
}

int eng_resident_remove_on(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                           const char *cname, char *error, size_t n)
{
    struct fb_tvars v;
    struct step_out o;
    char dir[1200];
    int rc;

    instance_dir(e, nd, cname, dir, sizeof(dir));
    vars(e, nd, f, cname, dir, &v);
    rc = eng_run_step(e, nd, c, FB_STEP_REMOVE_INSTANCE, &v, false, &o);
    if (rc < 0)
        snprintf(error, n, "%s", o.error);
    return rc;
}

/* Calls instance cname of f on session c with a's args: the transport's
 * code, FB_EEXIT (the function failed: error set) or 0; res filled, caller
 * frees. */
static int resident_call(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                         const char *cname, const struct attempt *a, struct fb_exec_result *res,
                         char *error, size_t n)
{
    struct fb_errbuf eb = {{0}};
    char dir[1200];
    int timeout = fn_timeout(e, e->fns[f]);
    int rc;

    instance_dir(e, nd, cname, dir, sizeof(dir));
    rc = fb_conn_call(c, dir, FB_CALL_INVOKE, a->args, a->args_len, timeout, res, &eb);
    return call_outcome(nd, FB_CALL_INVOKE, rc, &eb, res, timeout, error, n);
}

/* A phase the runtime reports (its clock, its word) lies within the phase
 * the harness measured around it. One that does not is not believed: it is
 * left empty (NAN), and the log says so. */
static void bound_reported(struct fb_engine *e, const struct enode *nd, const char *cname,
                           const char *what, double *ms, double within, const char *phase)
{
    if (isnan(*ms) || *ms <= within)
        return;
    eng_log(e,
            "%s on %s: the runtime reported %s %.6g ms, longer than the %s it lies within "
            "(%.3f ms); left empty",
            cname, nd->cfg->name, what, *ms, phase, within);
    *ms = NAN;
}

enum rstage eng_resident_steps(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                               const char *cname, bool pull, bool start, double t_start,
                               struct attempt *a, double *node_ms)
{
    struct fb_exec_result res;
    char dir[1200];

    a->rc = 0;
    a->exit_status = -1;
    a->error[0] = '\0';
    a->node_ms = a->init_ms = a->handler_ms = NAN;
    a->runtime_pid = 0;
    a->runtime_count = 0;
    a->t_pull = a->t_create = a->t_ready = a->t_run = a->t_clean = t_start;
    if (pull) {
        struct fb_tvars v;
        struct step_out o;
        instance_dir(e, nd, cname, dir, sizeof(dir));
        vars(e, nd, f, cname, dir, &v);
        a->rc = eng_run_step(e, nd, c, FB_STEP_PULL, &v, true, &o);
        a->t_pull = a->t_create = a->t_ready = a->t_run = a->t_clean = fb_mono_ms();
        *node_ms += o.node_ms;
        if (a->rc < 0) {
            snprintf(a->error, sizeof(a->error), "%s", o.error);
            return RS_PULL_FAILED;
        }
    }
    if (start) {
        a->rc = eng_resident_start(e, nd, c, f, cname, &a->t_create, node_ms, &a->init_ms,
                                   a->error, sizeof(a->error));
        a->t_ready = a->t_run = a->t_clean = fb_mono_ms();
        if (a->rc < 0)
            return RS_START_FAILED;
        bound_reported(e, nd, cname, "init", &a->init_ms, a->t_ready - a->t_pull,
                       "create and ready phases");
    } else {
        a->init_ms = 0; /* no start-up in this invocation */
    }
    a->rc = resident_call(e, nd, c, f, cname, a, &res, a->error, sizeof(a->error));
    a->t_run = a->t_clean = fb_mono_ms();
    a->exit_status = res.call_state == FB_CALL_OK ? res.exit_status : -1;
    a->handler_ms = res.handler_ms;
    bound_reported(e, nd, cname, "handler", &a->handler_ms, a->t_run - a->t_ready,
                   "invoke phase");
    a->runtime_pid = res.runtime_pid;
    a->runtime_count = res.call_count;
    *node_ms += res.node_ms;
    fb_exec_result_free(&res);
    return RS_CALLED;
}

/* ---- the resident path: a warming cell's invocation of a resident function ---- */

static void resident_attempt(struct fb_engine *e, struct call *cl, double t_start,
                             struct attempt *a)
{
    struct enode *nd = cl->nd;
    struct fb_conn *c = nd->conns[cl->k];
    enum fb_warming mode = cl->t->mode;
    int f = cl->f;
    struct fb_tvars v;
    struct step_out o;
    char dir[1200], why[FB_ERRMSG_LEN];
    double node_ms = 0;
    bool started = mode != FB_WARM_WARMED;
    /* As for exec-based functions: the pull is this invocation's own. */
    enum rstage got = eng_resident_steps(e, nd, c, f, cl->cname, mode == FB_WARM_COLD, started,
                                         t_start, a, &node_ms);
    bool broken = got == RS_CALLED && a->rc < 0;

    if (got == RS_PULL_FAILED)
        return;
    instance_dir(e, nd, cl->cname, dir, sizeof(dir));
    vars(e, nd, f, cl->cname, dir, &v);
    if (eng_node_failure(a->rc))
        goto out; /* the node is gone: nothing to clean there now */
    if (started) {
        /* A cold or pre-warmed instance serves one invocation. */
        if (eng_resident_remove_on(e, nd, c, f, cl->cname, why, sizeof(why)) < 0 && a->rc == 0) {
            a->rc = FB_EEXIT;
            snprintf(a->error, sizeof(a->error), "%s", why);
        }
    } else if (broken) {
        /* A warm instance that failed is replaced, never used again broken:
         * after the answer, so it counts as cleanup. */
        double t, init = NAN, ms = 0;
        eng_resident_remove_on(e, nd, c, f, cl->cname, why, sizeof(why));
        if (eng_resident_start(e, nd, c, f, cl->cname, &t, &ms, &init, why, sizeof(why)) < 0) {
            eng_log(e, "%s of %s not replaced: %s", cl->cname, nd->cfg->name, why);
            eng_resident_remove_on(e, nd, c, f, cl->cname, why, sizeof(why));
            pthread_mutex_lock(&e->lock);
            fb_cluster_set_warm(e->cl, nd->idx, f, false);
            pthread_mutex_unlock(&e->lock);
        }
    }
    if (mode == FB_WARM_COLD) {
        if (eng_run_step(e, nd, c, FB_STEP_REMOVE_IMAGE, &v, false, &o) < 0 && a->rc == 0) {
            a->rc = o.rc;
            snprintf(a->error, sizeof(a->error), "%s", o.error);
        }
    }
    a->t_clean = fb_mono_ms();
out:
    if (e->o.node_timing && !isnan(node_ms))
        a->node_ms = node_ms;
}

const struct eng_path eng_resident_path = {
    .name = eng_call_name,
    .attempt = resident_attempt,
};

int eng_resident_warm(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                      char *error, size_t n)
{
    double t, node_ms = 0, init = NAN;
    int k = eng_take_slot(e, nd), rc;

    if (k < 0) {
        snprintf(error, n, "start_instance on %s: no session", nd->cfg->name);
        return FB_ESSH;
    }
    rc = eng_resident_start(e, nd, nd->conns[k], f, cname, &t, &node_ms, &init, error, n);
    if (rc == FB_EEXIT) {
        char why[FB_ERRMSG_LEN];
        eng_resident_remove_on(e, nd, nd->conns[k], f, cname, why, sizeof(why));
    }
    eng_give_slot(e, nd, k);
    if (eng_node_failure(rc))
        eng_mark_down(e, nd, error);
    return rc;
}

int eng_resident_remove(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                        char *error, size_t n)
{
    struct fb_tvars v;
    struct step_out o;
    char dir[1200];
    int rc;

    instance_dir(e, nd, cname, dir, sizeof(dir));
    vars(e, nd, f, cname, dir, &v);
    rc = eng_node_step(e, nd, FB_STEP_REMOVE_INSTANCE, &v, &o);
    if (rc < 0)
        snprintf(error, n, "%s", o.error);
    return rc;
}
