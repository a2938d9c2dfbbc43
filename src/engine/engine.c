/* engine.c - the engine's life: nodes and their sessions, functions, the
 * cells' reset, warming and teardown. One invocation end to end is
 * invoke.c's; the parts it stands on are listed in engine_priv.h. */
#include "engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_priv.h"

/* ---- nodes and functions ---- */

static struct enode *node_new(const struct fb_node_cfg *cfg)
{
    struct enode *nd = calloc(1, sizeof(*nd));
    if (nd == NULL)
        return NULL;
    nd->cfg = cfg;
    nd->idx = -1;
    return nd;
}

static void node_free(struct enode *nd)
{
    if (nd == NULL)
        return;
    for (int k = 0; k < nd->slots; k++)
        if (nd->conns[k] != NULL)
            fb_conn_close(nd->conns[k]);
    if (nd->mconn != NULL)
        fb_conn_close(nd->mconn);
    if (nd->fconn != NULL)
        fb_conn_close(nd->fconn);
    free(nd->conns);
    free(nd->busy);
    free(nd->offer_command);
    free(nd);
}

/* Opens nd's sessions (step sessions, then the metrics one). */
static int node_connect(struct fb_engine *e, struct enode *nd, struct fb_errbuf *eb)
{
    int n = e->o.slots > 0 ? e->o.slots : 1;
    nd->conns = calloc((size_t)n, sizeof(*nd->conns));
    nd->busy = calloc((size_t)n, sizeof(*nd->busy));
    if (nd->conns == NULL || nd->busy == NULL)
        return FB_ENOMEM;
    nd->slots = n;
    for (int k = 0; k < n; k++) {
        int rc = fb_conn_open(nd->cfg, e->o.connect_timeout_ms, &nd->conns[k], eb);
        if (rc < 0)
            return rc;
    }
    if (e->o.metrics_format != FB_METRICS_NONE)
        return fb_conn_open(nd->cfg, e->o.connect_timeout_ms, &nd->mconn, eb);
    return 0;
}

/* Adds nd to the engine and its cluster, up, or down for why. Its index, or
 * FB_ENOMEM (nd is then the caller's). */
static int append_node(struct fb_engine *e, struct enode *nd, const char *why)
{
    int i = FB_ENOMEM;

    pthread_mutex_lock(&e->lock);
    if (e->n_nodes == e->cap_nodes) {
        int cap = e->cap_nodes ? e->cap_nodes * 2 : 8;
        struct enode **p = realloc(e->nodes, sizeof(*p) * (size_t)cap);
        if (p == NULL)
            goto out;
        e->nodes = p;
        e->cap_nodes = cap;
    }
    double capacity = nd->cfg->memory_mb > 0 ? nd->cfg->memory_mb : INFINITY;
    if ((i = fb_cluster_add_node(e->cl, nd->cfg->name, capacity, why != NULL)) < 0)
        goto out;
    nd->idx = i;
    if (why != NULL)
        snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
    e->nodes[e->n_nodes++] = nd;
out:
    pthread_mutex_unlock(&e->lock);
    return i;
}

int fb_engine_add_node(struct fb_engine *e, const struct fb_node_cfg *cfg,
                       struct fb_errbuf *eb)
{
    struct enode *nd = node_new(cfg);
    int rc;
    if (nd == NULL)
        return FB_ENOMEM;
    rc = node_connect(e, nd, eb);
    if (rc == 0)
        rc = append_node(e, nd, NULL);
    if (rc < 0)
        node_free(nd);
    return rc;
}

struct fb_engine_pending {
    struct enode *nd;
};

int fb_engine_connect(struct fb_engine *e, const struct fb_node_cfg *cfg,
                      const struct fb_node_offer *offer, struct fb_engine_pending **out,
                      struct fb_errbuf *eb)
{
    struct fb_engine_pending *p = calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (p == NULL || (p->nd = node_new(cfg)) == NULL) {
        free(p);
        return fb_errf(eb, FB_ENOMEM, "out of memory");
    }
    if (offer != NULL) {
        p->nd->has_offer = true;
        p->nd->offer_format = offer->metrics_format;
        p->nd->offer_timing = offer->node_timing;
        if (offer->metrics_command != NULL &&
            (p->nd->offer_command = strdup(offer->metrics_command)) == NULL) {
            fb_engine_pending_free(p);
            return fb_errf(eb, FB_ENOMEM, "out of memory");
        }
    }
    if ((rc = node_connect(e, p->nd, eb)) < 0) {
        fb_engine_pending_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int fb_engine_attach(struct fb_engine *e, struct fb_engine_pending *p)
{
    struct enode *nd = p->nd;
    int rc = append_node(e, nd, NULL);
    if (rc < 0)
        node_free(nd);
    free(p);
    return rc;
}

void fb_engine_pending_free(struct fb_engine_pending *p)
{
    if (p == NULL)
        return;
    node_free(p->nd);
    free(p);
}

bool fb_engine_node_out(struct fb_engine *e, int i, char *buf, size_t n)
{
    bool out = true;

    pthread_mutex_lock(&e->lock);
    if (i < 0 || i >= e->n_nodes)
        snprintf(buf, n, "no such node");
    else if (fb_cluster_down(e->cl, i))
        snprintf(buf, n, "down: %s", e->nodes[i]->down_reason);
    else if (fb_cluster_over_ram(e->cl, i)) {
        double cpu, ram;
        fb_cluster_load(e->cl, i, &cpu, &ram);
        snprintf(buf, n, "RAM %.1f %% at or above the threshold (%g %%)", ram,
                 e->o.ram_threshold);
    }
    else {
        buf[0] = '\0';
        out = false;
    }
    pthread_mutex_unlock(&e->lock);
    return out;
}

/* The parallel connect of fb_engine_add_nodes: workers take nodes in turn. */
struct connect_job {
    struct fb_engine *e;
    const struct fb_node_cfg *cfgs;
    struct enode **made;
    int *rc;
    struct fb_errbuf *ebs;
    int n, next;
    pthread_mutex_t lock;
};

static void *connect_worker(void *arg)
{
    struct connect_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next < j->n ? j->next++ : -1;
        pthread_mutex_unlock(&j->lock);
        if (i < 0)
            return NULL;
        j->made[i] = node_new(&j->cfgs[i]);
        j->rc[i] = j->made[i] == NULL ? FB_ENOMEM : node_connect(j->e, j->made[i], &j->ebs[i]);
    }
}

int fb_engine_add_nodes(struct fb_engine *e, const struct fb_node_cfg *cfgs, int n,
                        struct fb_errbuf *ebs)
{
    enum { WORKERS_MAX = 16 };
    struct connect_job j = {.e = e, .cfgs = cfgs, .ebs = ebs, .n = n};
    pthread_t tid[WORKERS_MAX];
    int workers = n < WORKERS_MAX ? n : WORKERS_MAX, started = 0, up = 0, rc = 0;

    j.made = calloc((size_t)(n > 0 ? n : 1), sizeof(*j.made));
    j.rc = calloc((size_t)(n > 0 ? n : 1), sizeof(*j.rc));
    if (j.made == NULL || j.rc == NULL) {
        free(j.made);
        free(j.rc);
        return FB_ENOMEM;
    }
    pthread_mutex_init(&j.lock, NULL);
    for (int w = 0; w < workers; w++)
        if (pthread_create(&tid[started], NULL, connect_worker, &j) == 0)
            started++;
    if (started == 0)
        connect_worker(&j); /* no thread to be had: one after another here */
    for (int w = 0; w < started; w++)
        pthread_join(tid[w], NULL);
    pthread_mutex_destroy(&j.lock);
    /* In the order given, whatever order they answered in. */
    for (int i = 0; i < n && rc == 0; i++) {
        if (j.rc[i] == 0 && append_node(e, j.made[i], NULL) >= 0) {
            j.made[i] = NULL;
            up++;
            continue;
        }
        node_free(j.made[i]);
        j.made[i] = NULL;
        if (j.rc[i] == FB_ENOMEM || fb_engine_add_down_node(e, &cfgs[i], ebs[i].msg) < 0)
            rc = FB_ENOMEM;
    }
    for (int i = 0; i < n; i++)
        node_free(j.made[i]);
    free(j.made);
    free(j.rc);
    return rc < 0 ? rc : up;
}

int fb_engine_add_down_node(struct fb_engine *e, const struct fb_node_cfg *cfg,
                            const char *why)
{
    struct enode *nd = node_new(cfg);
    if (nd == NULL)
        return FB_ENOMEM;
    int rc = append_node(e, nd, why != NULL ? why : "");
    if (rc < 0)
        node_free(nd);
    return rc;
}

static int images_add(struct fb_engine *e, const char *image)
{
    size_t have = e->images != NULL ? strlen(e->images) : 0, n = strlen(image);
    for (const char *p = e->images; p != NULL && *p != '\0';) {
        size_t w = strcspn(p, " ");
        if (w == n && memcmp(p, image, n) == 0)
            return 0;
        p += w + (p[w] == ' ');
    }
    char *s = realloc(e->images, have + n + 2);
    if (s == NULL)
        return FB_ENOMEM;
    if (have > 0)
        s[have++] = ' ';
    memcpy(s + have, image, n + 1);
    e->images = s;
    return 0;
}

int fb_engine_add_function(struct fb_engine *e, const struct fb_function_cfg *fn)
{
    int rc = 0;
    pthread_mutex_lock(&e->lock);
    if (e->n_fns == e->cap_fns) {
        int cap = e->cap_fns ? e->cap_fns * 2 : 8;
        const struct fb_function_cfg **p = realloc(e->fns, sizeof(*p) * (size_t)cap);
        if (p == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        e->fns = p;
        struct efn *x = realloc(e->fx, sizeof(*x) * (size_t)cap);
        if (x == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        e->fx = x;
        e->cap_fns = cap;
    }
    if ((rc = images_add(e, fn->image)) < 0)
        goto out;
    struct efn *x = &e->fx[e->n_fns];
    memset(x, 0, sizeof(*x));
    snprintf(x->memory, sizeof(x->memory), "--memory %dm", fn->memory_mb > 0 ? fn->memory_mb : 128);
    if (fn->args != NULL && fb_command_words(fn->args, &x->args, &x->args_len, NULL) < 0) {
        rc = FB_EINVAL;
        goto out;
    }
    rc = fb_cluster_add_function(e->cl, fn->name, fn->memory_mb > 0 ? fn->memory_mb : 128);
    if (rc < 0) {
        free(x->args);
        goto out;
    }
    e->fns[e->n_fns++] = fn;
out:
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int fb_engine_node_count(const struct fb_engine *e)
{
    return e->n_nodes;
}

const struct fb_node_cfg *fb_engine_node(const struct fb_engine *e, int i)
{
    return i >= 0 && i < e->n_nodes ? e->nodes[i]->cfg : NULL;
}

bool fb_engine_node_down(const struct fb_engine *e, int i, const char **why)
{
    if (i < 0 || i >= e->n_nodes)
        return true;
    if (why != NULL)
        *why = e->nodes[i]->down_reason;
    return fb_cluster_down(e->cl, i);
}

int fb_engine_max_inflight(const struct fb_engine *e)
{
    return fb_cluster_max_inflight(e->cl);
}


/* ---- cell phases ---- */

/* A node marked down gets a new chance at the start of a cell: its sessions
 * reconnect on their next command. */
static void reset_task(struct fb_engine *e, struct enode *nd)
{
    char instances[1100];
    struct fb_tvars v = {.node = nd->cfg->name, .images = e->images, .instances = instances};
    struct step_out o;
    if (e->images == NULL || nd->conns == NULL)
        return;
    eng_instances_dir(e, nd, instances, sizeof(instances));
    int rc = eng_run_step(e, nd, nd->conns[0], FB_STEP_RESET, &v, false, &o);
    pthread_mutex_lock(&e->lock);
    if (rc == 0 && fb_cluster_down(e->cl, nd->idx)) {
        eng_log(e, "node %s is back", nd->cfg->name);
        fb_cluster_set_down(e->cl, nd->idx, false);
        nd->down_reason[0] = '\0';
        nd->have_prev = false;
    } else if (rc < 0) {
        nd->task_rc = rc;
        fb_errf(&nd->task_err, rc, "%s", o.error);
        if (eng_node_failure(rc))
            eng_mark_down_locked(e, nd, o.error);
    }
    fb_cluster_node_clear(e->cl, nd->idx);
    pthread_mutex_unlock(&e->lock);
}

bool fb_engine_revive(struct fb_engine *e, int i)
{
    struct fb_exec_result res;
    struct fb_errbuf eb = {{0}};
    struct enode *nd;
    int k, rc;

    if (i < 0 || i >= e->n_nodes)
        return false;
    nd = e->nodes[i];
    pthread_mutex_lock(&e->lock);
    bool down = fb_cluster_down(e->cl, i);
    pthread_mutex_unlock(&e->lock);
    if (!down)
        return true;
    if ((k = eng_take_slot(e, nd)) < 0)
        return false;
    rc = fb_conn_exec(nd->conns[k], "true", e->o.connect_timeout_ms, &res, &eb);
    if (rc == 0 && res.exit_status != 0)
        rc = FB_EEXIT;
    fb_exec_result_free(&res);
    eng_give_slot(e, nd, k);
    if (rc != 0)
        return false;
    pthread_mutex_lock(&e->lock);
    eng_log(e, "node %s is back", nd->cfg->name);
    fb_cluster_set_down(e->cl, i, false);
    nd->down_reason[0] = '\0';
    nd->have_prev = false;
    for (int f = 0; f < e->n_fns; f++) {
        fb_cluster_set_image(e->cl, i, f, false);
        fb_cluster_set_warm(e->cl, i, f, false);
    }
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    return true;
}

void fb_engine_reset(struct fb_engine *e)
{
    eng_poller_start(e);
    eng_for_each_node(e, reset_task, true);
    for (int i = 0; i < e->n_nodes; i++)
        if (e->nodes[i]->task_rc < 0 && !eng_node_failure(e->nodes[i]->task_rc))
            eng_log(e, "reset of %s failed: %s", e->nodes[i]->cfg->name,
                 e->nodes[i]->task_err.msg);
}

void fb_engine_cell_begin(struct fb_engine *e, double time_scale)
{
    pthread_mutex_lock(&e->lock);
    e->cell_t0 = fb_mono_ms();
    e->time_scale = time_scale > 0 ? time_scale : 1.0;
    pthread_mutex_unlock(&e->lock);
}

/* Pulls every function's image on nd that it does not hold yet; a failed
 * pull is kept in nd->task_err (the cell's first start there pulls). */
static void pull_task(struct fb_engine *e, struct enode *nd)
{
    for (int f = 0; f < e->n_fns && !eng_stopping(e); f++) {
        const struct fb_function_cfg *fn = e->fns[f];
        struct fb_tvars v = {.image = fn->image, .node = nd->cfg->name, .function = fn->name,
                             .network = eng_network_arg(fn)};
        struct step_out o;

        pthread_mutex_lock(&e->lock);
        bool skip = fb_cluster_down(e->cl, nd->idx) || fb_cluster_has_image(e->cl, nd->idx, f);
        pthread_mutex_unlock(&e->lock);
        if (skip)
            continue;
        if (eng_node_step(e, nd, FB_STEP_PULL, &v, &o) < 0) {
            nd->task_rc = o.rc;
            fb_errf(&nd->task_err, o.rc, "%s", o.error);
            continue;
        }
        pthread_mutex_lock(&e->lock);
        fb_cluster_set_image(e->cl, nd->idx, f, true);
        pthread_mutex_unlock(&e->lock);
    }
}

int fb_engine_pull_all(struct fb_engine *e)
{
    int failed = 0;

    eng_for_each_node(e, pull_task, false);
    for (int i = 0; i < e->n_nodes; i++)
        if (e->nodes[i]->task_rc < 0) {
            eng_log(e, "pull ahead on %s failed: %s", e->nodes[i]->cfg->name,
                    e->nodes[i]->task_err.msg);
            failed++;
        }
    return failed;
}

int fb_engine_prepare(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                      enum fb_warming w, struct fb_errbuf *eb)
{
    const struct fb_function_cfg *fn = e->fns[f];
    int n = e->n_nodes, want = e->o.warm_nodes > 0 ? e->o.warm_nodes : n, done = 0;
    bool *taken = calloc((size_t)(n > 0 ? n : 1), sizeof(*taken));
    char cname[96];
    int rc = 0, last = 0;

    if (w == FB_WARM_COLD)
        goto out;
    if (taken == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int round = 0; round < n && done < want && !eng_stopping(e); round++) {
        struct step_out o;
        pthread_mutex_lock(&e->lock);
        int i = fb_cluster_prepare_pick(e->cl, p, pstate, f, taken);
        pthread_mutex_unlock(&e->lock);
        if (i < 0)
            break;
        taken[i] = true;
        struct enode *nd = e->nodes[i];
        eng_warm_name(e, fn, cname, sizeof(cname));
        struct fb_tvars v = {.image = fn->image, .container = cname, .node = nd->cfg->name,
                             .function = fn->name, .network = eng_network_arg(fn),
                             .command = fn->command};
        if (eng_node_step(e, nd, FB_STEP_PULL, &v, &o) < 0) {
            last = fb_errf(eb, o.rc, "%s", o.error);
            continue;
        }
        pthread_mutex_lock(&e->lock);
        fb_cluster_set_image(e->cl, i, f, true);
        pthread_mutex_unlock(&e->lock);
        if (w == FB_WARM_WARMED && fn->resident) {
            int src = eng_resident_warm(e, nd, f, cname, o.error, sizeof(o.error));
            if (src < 0) {
                last = fb_errf(eb, src, "%s", o.error);
                continue;
            }
        } else if (w == FB_WARM_WARMED) {
            if (eng_node_step(e, nd, FB_STEP_START, &v, &o) < 0) {
                last = fb_errf(eb, o.rc, "%s", o.error);
                continue;
            }
        }
        if (w == FB_WARM_WARMED) {
            pthread_mutex_lock(&e->lock);
            fb_cluster_set_warm(e->cl, i, f, true);
            pthread_mutex_unlock(&e->lock);
        }
        done++;
    }
    if (done == 0)
        rc = last < 0 ? last
                      : fb_errf(eb, FB_ENONODE, "cannot make %s %s: no eligible node",
                                fn->name, fb_warming_name(w));
    else
        rc = done;
out:
    free(taken);
    return rc;
}

static void teardown_task(struct fb_engine *e, struct enode *nd)
{
    for (int f = 0; f < e->n_fns; f++) {
        pthread_mutex_lock(&e->lock);
        bool warm = fb_cluster_has_warm(e->cl, nd->idx, f);
        pthread_mutex_unlock(&e->lock);
        if (!warm)
            continue;
        char cname[96];
        struct step_out o;
        eng_warm_name(e, e->fns[f], cname, sizeof(cname));
        struct fb_tvars v = {.container = cname, .node = nd->cfg->name,
                             .function = e->fns[f]->name, .image = e->fns[f]->image};
        if (e->fns[f]->resident) {
            if (eng_resident_remove(e, nd, f, cname, o.error, sizeof(o.error)) < 0)
                eng_log(e, "%s", o.error);
        } else if (eng_node_step(e, nd, FB_STEP_REMOVE_CONTAINER, &v, &o) < 0)
            eng_log(e, "%s", o.error);
        pthread_mutex_lock(&e->lock);
        fb_cluster_set_warm(e->cl, nd->idx, f, false);
        pthread_mutex_unlock(&e->lock);
    }
}

void fb_engine_teardown(struct fb_engine *e)
{
    eng_for_each_node(e, teardown_task, false);
}

/* ---- life cycle ---- */

void fb_engine_opts_init(struct fb_engine_opts *o, const struct fb_experiment *exp)
{
    memset(o, 0, sizeof(*o));
    for (int s = 0; s < FB_STEP_N; s++)
        o->steps[s] = exp->runtime.steps[s];
    o->metrics_format = exp->metrics_format;
    o->metrics_command = exp->metrics_command;
    o->metrics_interval_ms = exp->metrics_interval_ms;
    o->node_timing = exp->node_timing;
    o->ram_threshold = exp->ram_threshold;
    o->command_timeout_ms = exp->command_timeout_ms;
    o->connect_timeout_ms = exp->connect_timeout_ms;
    o->metrics_timeout_ms = exp->metrics_timeout_ms;
    o->slots = exp->workload.per_node;
    o->warm_nodes = exp->warm_nodes;
    o->retries = exp->retries;
    o->instance_root = exp->runtime.instance_root;
}

int fb_engine_new(const struct fb_engine_opts *opts, struct fb_engine **out)
{
    struct fb_engine *e = calloc(1, sizeof(*e));
    *out = NULL;
    if (e == NULL)
        return FB_ENOMEM;
    e->o = *opts;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(e->token, sizeof(e->token), "%x%03x", (unsigned)getpid() & 0xfffff,
             (unsigned)(ts.tv_nsec >> 20) & 0xfff);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->changed, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->poller_cv, &ca);
    pthread_condattr_destroy(&ca);
    struct fb_cluster_opts co = {.ram_threshold = opts->ram_threshold,
                                 .slots = opts->slots > 0 ? opts->slots : 1,
                                 .event = eng_ka_event,
                                 .event_ctx = e};
    if (fb_cluster_new(&co, &e->cl) < 0) {
        fb_engine_free(e);
        return FB_ENOMEM;
    }
    *out = e;
    return 0;
}

void fb_engine_free(struct fb_engine *e)
{
    if (e == NULL)
        return;
    eng_poller_stop(e);
    for (int i = 0; i < e->n_nodes; i++)
        node_free(e->nodes[i]);
    free(e->nodes);
    for (int f = 0; f < e->n_fns; f++)
        free(e->fx[f].args);
    free(e->fx);
    free(e->fns);
    free(e->images);
    fb_cluster_free(e->cl);
    pthread_cond_destroy(&e->poller_cv);
    pthread_cond_destroy(&e->changed);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
