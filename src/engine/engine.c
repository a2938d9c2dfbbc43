/* engine.c - node sessions and state, warming, and one invocation end to end. */
#include "engine/engine.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine_priv.h"
#include "engine/metrics.h"
#include "core/template.h"
#include "transport/transport.h"

static bool stopping(const struct fb_engine *e)
{
    return e->o.stop != NULL && *e->o.stop;
}

/* A message for the operator, through the log callback. */
void eng_log(struct fb_engine *e, const char *fmt, ...)
{
    char raw[FB_ERRMSG_LEN + 128], msg[4 * sizeof(raw)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    fb_text_safe(raw, sizeof(raw), msg, sizeof(msg));
    if (e->o.log != NULL)
        e->o.log(e->o.log_ctx, msg);
    else
        fprintf(stderr, "faasbench: %s\n", msg);
}

/* ---- parallel work over nodes ---- */

typedef void (*node_task)(struct fb_engine *e, struct enode *nd);

struct task_arg {
    struct fb_engine *e;
    struct enode *nd;
    node_task fn;
};

static void *task_main(void *p)
{
    struct task_arg *a = p;
    a->fn(a->e, a->nd);
    return NULL;
}

void eng_for_each_node(struct fb_engine *e, node_task fn, bool all)
{
    pthread_mutex_lock(&e->lock);
    int n = e->n_nodes;
    struct enode **nodes = n > 0 ? malloc(sizeof(*nodes) * (size_t)n) : NULL;
    bool *run = n > 0 ? calloc((size_t)n, sizeof(*run)) : NULL;
    for (int i = 0; nodes != NULL && run != NULL && i < n; i++) {
        nodes[i] = e->nodes[i];
        run[i] = all || !nodes[i]->down;
        nodes[i]->task_rc = 0;
    }
    pthread_mutex_unlock(&e->lock);
    if (nodes == NULL || run == NULL) {
        free(nodes);
        free(run);
        return;
    }

    pthread_t *tid = calloc((size_t)n, sizeof(*tid));
    struct task_arg *arg = calloc((size_t)n, sizeof(*arg));
    bool *started = calloc((size_t)n, sizeof(*started));
    bool spawn = n > 1 && tid != NULL && arg != NULL && started != NULL;
    for (int i = 0; i < n; i++) {
        if (!run[i])
            continue;
        if (spawn) {
            arg[i] = (struct task_arg){e, nodes[i], fn};
            started[i] = pthread_create(&tid[i], NULL, task_main, &arg[i]) == 0;
        }
        if (!spawn || !started[i])
            fn(e, nodes[i]);
    }
    for (int i = 0; spawn && i < n; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
    free(tid);
    free(arg);
    free(started);
    free(nodes);
    free(run);
}

/* ---- steps ---- */

/* Under the engine's lock. */
void eng_mark_down_locked(struct fb_engine *e, struct enode *nd, const char *why)
{
    if (!nd->down)
        eng_log(e, "node %s marked down: %s", nd->cfg->name, why);
    nd->down = true;
    snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
    pthread_cond_broadcast(&e->changed);
}

static void mark_down(struct fb_engine *e, struct enode *nd, const char *why)
{
    pthread_mutex_lock(&e->lock);
    eng_mark_down_locked(e, nd, why);
    pthread_mutex_unlock(&e->lock);
}

/* Expands step s and runs it on session c of nd. timed: wrap it in the
 * node helper so the node reports the command's own time. Returns 0 when
 * the command exited 0; otherwise o->error says what happened. */
int eng_run_step(struct fb_engine *e, struct enode *nd, struct fb_conn *c, enum fb_step s,
                    const struct fb_tvars *v, bool timed, struct step_out *o)
{
    struct fb_errbuf eb = {{0}};
    struct fb_exec_result res = {0};
    char *cmd = NULL;
    int rc;

    o->node_ms = NAN;
    o->exit_status = -1;
    o->error[0] = '\0';
    rc = fb_template_expand(e->o.steps[s], v, &cmd, &eb);
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s: %s", fb_step_name(s), eb.msg);
        goto out;
    }
    rc = fb_conn_run(c, cmd,
                     timed && e->o.node_timing && (!nd->has_offer || nd->offer_timing)
                         ? FB_RUN_TIMED
                         : 0,
                     e->o.command_timeout_ms, &res, &eb);
    o->node_ms = res.node_ms;
    o->exit_status = res.exit_status;
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s on %s: %s", fb_step_name(s), nd->cfg->name,
                 eb.msg[0] ? eb.msg : fb_strerror(rc));
        goto out;
    }
    if (res.exit_status != 0) {
        char line[300];
        fb_last_line(res.err != NULL ? res.err : "", line, sizeof(line));
        if (line[0] == '\0')
            fb_last_line(res.out != NULL ? res.out : "", line, sizeof(line));
        snprintf(o->error, sizeof(o->error), "%s on %s: exit %d: %s", fb_step_name(s),
                 nd->cfg->name, res.exit_status, line);
        rc = FB_EEXIT;
    }
out:
    o->rc = rc;
    fb_exec_result_free(&res);
    free(cmd);
    return rc;
}

/* Takes a free session of nd, waiting for one (for set-up steps outside
 * invocations). Returns the slot, or -1 when the node went down. */
int eng_take_slot(struct fb_engine *e, struct enode *nd)
{
    int k = -1;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        for (int j = 0; j < nd->slots && k < 0; j++)
            if (!nd->busy[j])
                k = j;
        if (k >= 0 || nd->conns == NULL)
            break;
        pthread_cond_wait(&e->changed, &e->lock);
    }
    if (k >= 0)
        nd->busy[k] = true;
    pthread_mutex_unlock(&e->lock);
    return k;
}

void eng_give_slot(struct fb_engine *e, struct enode *nd, int k)
{
    pthread_mutex_lock(&e->lock);
    nd->busy[k] = false;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

/* run_step on any free session of nd; a node failure marks it down. */
int eng_node_step(struct fb_engine *e, struct enode *nd, enum fb_step s,
                     const struct fb_tvars *v, struct step_out *o)
{
    int k = eng_take_slot(e, nd);
    if (k < 0) {
        snprintf(o->error, sizeof(o->error), "%s on %s: no session", fb_step_name(s),
                 nd->cfg->name);
        return o->rc = FB_ESSH;
    }
    int rc = eng_run_step(e, nd, nd->conns[k], s, v, false, o);
    eng_give_slot(e, nd, k);
    if (eng_node_failure(rc))
        mark_down(e, nd, o->error);
    return rc;
}

/* ---- nodes and functions ---- */

static struct enode *node_new(struct fb_engine *e, const struct fb_node_cfg *cfg)
{
    struct enode *nd = calloc(1, sizeof(*nd));
    if (nd == NULL)
        return NULL;
    nd->cfg = cfg;
    size_t cap = (size_t)(e->cap_fns > 0 ? e->cap_fns : 1);
    nd->has_image = calloc(cap, sizeof(bool));
    nd->has_warm = calloc(cap, sizeof(bool));
    nd->cold_busy = calloc(cap, sizeof(bool));
    if (nd->has_image == NULL || nd->has_warm == NULL || nd->cold_busy == NULL) {
        free(nd->has_image);
        free(nd->has_warm);
        free(nd->cold_busy);
        free(nd);
        return NULL;
    }
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
    free(nd->conns);
    free(nd->busy);
    free(nd->has_image);
    free(nd->has_warm);
    free(nd->cold_busy);
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

static int append_node(struct fb_engine *e, struct enode *nd)
{
    pthread_mutex_lock(&e->lock);
    if (e->n_nodes == e->cap_nodes) {
        int cap = e->cap_nodes ? e->cap_nodes * 2 : 8;
        struct enode **p = realloc(e->nodes, sizeof(*p) * (size_t)cap);
        if (p == NULL) {
            pthread_mutex_unlock(&e->lock);
            return FB_ENOMEM;
        }
        e->nodes = p;
        e->cap_nodes = cap;
    }
    int i = e->n_nodes;
    e->nodes[e->n_nodes++] = nd;
    pthread_mutex_unlock(&e->lock);
    return i;
}

int fb_engine_add_node(struct fb_engine *e, const struct fb_node_cfg *cfg,
                       struct fb_errbuf *eb)
{
    struct enode *nd = node_new(e, cfg);
    int rc;
    if (nd == NULL)
        return FB_ENOMEM;
    rc = node_connect(e, nd, eb);
    if (rc == 0)
        rc = append_node(e, nd);
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
    if (p == NULL || (p->nd = node_new(e, cfg)) == NULL) {
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
    int rc;

    /* Functions added since the connect: the flags follow the engine's size. */
    pthread_mutex_lock(&e->lock);
    size_t cap = (size_t)(e->cap_fns > 0 ? e->cap_fns : 1);
    pthread_mutex_unlock(&e->lock);
    bool *a = calloc(cap, sizeof(bool)), *b = calloc(cap, sizeof(bool)),
         *c = calloc(cap, sizeof(bool));
    if (a == NULL || b == NULL || c == NULL) {
        free(a);
        free(b);
        free(c);
        fb_engine_pending_free(p);
        return FB_ENOMEM;
    }
    free(nd->has_image);
    free(nd->has_warm);
    free(nd->cold_busy);
    nd->has_image = a;
    nd->has_warm = b;
    nd->cold_busy = c;
    rc = append_node(e, nd);
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
    else if (e->nodes[i]->down)
        snprintf(buf, n, "down: %s", e->nodes[i]->down_reason);
    else if (e->nodes[i]->ram_pct >= e->o.ram_threshold)
        snprintf(buf, n, "RAM %.1f %% at or above the threshold (%g %%)", e->nodes[i]->ram_pct,
                 e->o.ram_threshold);
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
        j->made[i] = node_new(j->e, &j->cfgs[i]);
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
        if (j.rc[i] == 0 && append_node(e, j.made[i]) >= 0) {
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
    struct enode *nd = node_new(e, cfg);
    if (nd == NULL)
        return FB_ENOMEM;
    nd->down = true;
    snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
    int rc = append_node(e, nd);
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

static int grow_flags(bool **a, int old, int cap)
{
    bool *p = realloc(*a, sizeof(bool) * (size_t)cap);
    if (p == NULL)
        return FB_ENOMEM;
    for (int f = old; f < cap; f++)
        p[f] = false;
    *a = p;
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
        for (int i = 0; i < e->n_nodes; i++) {
            struct enode *nd = e->nodes[i];
            int old = e->cap_fns > 0 ? e->cap_fns : 1;
            if (grow_flags(&nd->has_image, old, cap) < 0 ||
                grow_flags(&nd->has_warm, old, cap) < 0 ||
                grow_flags(&nd->cold_busy, old, cap) < 0) {
                rc = FB_ENOMEM;
                goto out;
            }
        }
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
    rc = e->n_fns;
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
    return e->nodes[i]->down;
}

int fb_engine_max_inflight(const struct fb_engine *e)
{
    return e->max_inflight;
}

/* ---- metrics ---- */

/* One poll of nd; concurrent callers share the one under way. */
static void poll_task(struct fb_engine *e, struct enode *nd)
{
    struct fb_exec_result res = {0};
    struct fb_counters cur;
    enum fb_metrics_format format = nd->has_offer ? nd->offer_format : e->o.metrics_format;
    const char *command = nd->has_offer ? nd->offer_command : e->o.metrics_command;

    if (format == FB_METRICS_NONE || command == NULL || nd->mconn == NULL)
        return; /* a node with nothing to report reads 0 % */
    pthread_mutex_lock(&e->lock);
    if (nd->polling) {
        unsigned long gen = nd->poll_gen;
        while (nd->polling && nd->poll_gen == gen)
            pthread_cond_wait(&e->changed, &e->lock);
        pthread_mutex_unlock(&e->lock);
        return;
    }
    nd->polling = true;
    pthread_mutex_unlock(&e->lock);

    int rc = fb_conn_exec(nd->mconn, command, e->o.command_timeout_ms, &res, &nd->task_err);
    if (rc == 0 && res.exit_status != 0)
        rc = fb_errf(&nd->task_err, FB_EMETRICS, "metrics command exited %d: %.200s",
                     res.exit_status, res.err != NULL ? res.err : "");
    if (rc == 0)
        rc = fb_metrics_parse(format, res.out != NULL ? res.out : "", &cur,
                              &nd->task_err);

    pthread_mutex_lock(&e->lock);
    if (rc == 0) {
        nd->cpu_pct = fb_metrics_cpu_pct(nd->have_prev ? &nd->prev : NULL, &cur);
        nd->ram_pct = fb_metrics_ram_pct(&cur);
        nd->prev = cur;
        nd->have_prev = true;
    } else {
        /* A policy cannot place work on a node it cannot see. */
        char why[FB_ERRMSG_LEN + 32];
        snprintf(why, sizeof(why), "metrics: %s", nd->task_err.msg);
        eng_mark_down_locked(e, nd, why);
    }
    nd->task_rc = rc;
    nd->polling = false;
    nd->poll_gen++;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    fb_exec_result_free(&res);
}

void fb_engine_poll(struct fb_engine *e)
{
    if (e->o.metrics_format == FB_METRICS_NONE)
        return;
    eng_for_each_node(e, poll_task, false);
}

static void *poller_main(void *p)
{
    struct fb_engine *e = p;
    double due = fb_mono_ms();
    for (;;) {
        fb_engine_poll(e);
        due += e->o.metrics_interval_ms;
        struct timespec next = fb_mono_timespec(due);
        pthread_mutex_lock(&e->lock);
        int rc = 0;
        while (!e->poller_stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&e->poller_cv, &e->lock, &next);
        bool stop = e->poller_stop;
        pthread_mutex_unlock(&e->lock);
        if (stop)
            return NULL;
    }
}

/* Polls from the background when an interval is set (after the nodes are
 * added: the first add starts it). */
static void poller_start(struct fb_engine *e)
{
    if (e->poller_on || e->o.metrics_interval_ms <= 0 ||
        e->o.metrics_format == FB_METRICS_NONE)
        return;
    e->poller_stop = false;
    e->poller_on = pthread_create(&e->poller, NULL, poller_main, e) == 0;
}

static void poller_stop(struct fb_engine *e)
{
    if (!e->poller_on)
        return;
    pthread_mutex_lock(&e->lock);
    e->poller_stop = true;
    pthread_cond_broadcast(&e->poller_cv);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->poller, NULL);
    e->poller_on = false;
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
    if (rc == 0 && nd->down) {
        eng_log(e, "node %s is back", nd->cfg->name);
        nd->down = false;
        nd->down_reason[0] = '\0';
        nd->have_prev = false;
    } else if (rc < 0) {
        nd->task_rc = rc;
        fb_errf(&nd->task_err, rc, "%s", o.error);
        if (eng_node_failure(rc))
            eng_mark_down_locked(e, nd, o.error);
    }
    for (int f = 0; f < e->n_fns; f++)
        nd->has_image[f] = nd->has_warm[f] = nd->cold_busy[f] = false;
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
    bool down = nd->down;
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
    nd->down = false;
    nd->down_reason[0] = '\0';
    nd->have_prev = false;
    for (int f = 0; f < e->n_fns; f++)
        nd->has_image[f] = nd->has_warm[f] = false;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    return true;
}

void fb_engine_reset(struct fb_engine *e)
{
    poller_start(e);
    eng_for_each_node(e, reset_task, true);
    for (int i = 0; i < e->n_nodes; i++)
        if (e->nodes[i]->task_rc < 0 && !eng_node_failure(e->nodes[i]->task_rc))
            eng_log(e, "reset of %s failed: %s", e->nodes[i]->cfg->name,
                 e->nodes[i]->task_err.msg);
}

/* Fills views[] (e->n_nodes of them) under the engine's lock; nodes in
 * skip[] (may be NULL) show as down. */
static void fill_views(struct fb_engine *e, int f, const bool *skip, struct fb_node_view *views)
{
    for (int i = 0; i < e->n_nodes; i++) {
        const struct enode *nd = e->nodes[i];
        views[i] = (struct fb_node_view){
            .name = nd->cfg->name,
            .cpu_pct = nd->cpu_pct,
            .ram_pct = nd->ram_pct,
            .down = nd->down || (skip != NULL && skip[i]),
            .has_image = nd->has_image[f],
            .has_warm = nd->has_warm[f],
            .inflight = nd->inflight,
        };
        if (e->ka != NULL) {
            /* Warm: an idle instance there. A node that has none and no
             * room for one, even by evicting, is not a choice now. */
            views[i].has_warm = eng_ka_has_idle(nd, f);
            if (!views[i].has_warm && !eng_ka_could_fit(e, nd, f))
                views[i].down = true;
        }
    }
}

/* In a keep-alive cell, whether an invocation finding no node should wait
 * for room rather than fail: some node up holds instances that will end. */
static bool room_will_come(const struct fb_engine *e, const bool *failed)
{
    for (int i = 0; e->ka != NULL && i < e->n_nodes; i++)
        if (!e->nodes[i]->down && !failed[i] && e->nodes[i]->n_inst > 0)
            return true;
    return false;
}

void fb_engine_cell_begin(struct fb_engine *e, double time_scale)
{
    pthread_mutex_lock(&e->lock);
    e->cell_t0 = fb_mono_ms();
    e->time_scale = time_scale > 0 ? time_scale : 1.0;
    pthread_mutex_unlock(&e->lock);
}

static void warm_name(const struct fb_engine *e, const struct fb_function_cfg *fn, char *buf,
                      size_t n)
{
    snprintf(buf, n, "faasbench-warm-%s-%s", fn->name, e->token);
}

/* Pulls every function's image on nd that it does not hold yet; a failed
 * pull is kept in nd->task_err (the cell's first start there pulls). */
static void pull_task(struct fb_engine *e, struct enode *nd)
{
    for (int f = 0; f < e->n_fns && !stopping(e); f++) {
        const struct fb_function_cfg *fn = e->fns[f];
        struct fb_tvars v = {.image = fn->image, .node = nd->cfg->name, .function = fn->name,
                             .network = eng_network_arg(fn)};
        struct step_out o;

        pthread_mutex_lock(&e->lock);
        bool skip = nd->down || nd->has_image[f];
        pthread_mutex_unlock(&e->lock);
        if (skip)
            continue;
        if (eng_node_step(e, nd, FB_STEP_PULL, &v, &o) < 0) {
            nd->task_rc = o.rc;
            fb_errf(&nd->task_err, o.rc, "%s", o.error);
            continue;
        }
        pthread_mutex_lock(&e->lock);
        nd->has_image[f] = true;
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
    struct fb_select_ctx ctx = {.function = f, .function_name = fn->name,
                                .ram_threshold = e->o.ram_threshold};
    int n = e->n_nodes, want = e->o.warm_nodes > 0 ? e->o.warm_nodes : n, done = 0;
    struct fb_node_view *views = calloc((size_t)(n > 0 ? n : 1), sizeof(*views));
    bool *taken = calloc((size_t)(n > 0 ? n : 1), sizeof(*taken));
    char cname[96];
    int rc = 0, last = 0;

    if (w == FB_WARM_COLD)
        goto out;
    if (views == NULL || taken == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int round = 0; round < n && done < want && !stopping(e); round++) {
        struct step_out o;
        pthread_mutex_lock(&e->lock);
        fill_views(e, f, taken, views);
        int i = p->ops.select(pstate, views, n, &ctx);
        pthread_mutex_unlock(&e->lock);
        if (i < 0)
            break;
        taken[i] = true;
        struct enode *nd = e->nodes[i];
        warm_name(e, fn, cname, sizeof(cname));
        struct fb_tvars v = {.image = fn->image, .container = cname, .node = nd->cfg->name,
                             .function = fn->name, .network = eng_network_arg(fn),
                             .command = fn->command};
        if (eng_node_step(e, nd, FB_STEP_PULL, &v, &o) < 0) {
            last = fb_errf(eb, o.rc, "%s", o.error);
            continue;
        }
        pthread_mutex_lock(&e->lock);
        nd->has_image[f] = true;
        pthread_mutex_unlock(&e->lock);
        if (w == FB_WARM_WARMED && fn->resident) {
            int src = eng_resident_warm(e, nd, f, cname, o.error, sizeof(o.error));
            if (src < 0) {
                last = fb_errf(eb, src, "%s", o.error);
                continue;
            }
            pthread_mutex_lock(&e->lock);
            nd->has_warm[f] = true;
            pthread_mutex_unlock(&e->lock);
        } else if (w == FB_WARM_WARMED) {
            if (eng_node_step(e, nd, FB_STEP_START, &v, &o) < 0) {
                last = fb_errf(eb, o.rc, "%s", o.error);
                continue;
            }
            pthread_mutex_lock(&e->lock);
            nd->has_warm[f] = true;
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
    free(views);
    free(taken);
    return rc;
}

static void teardown_task(struct fb_engine *e, struct enode *nd)
{
    for (int f = 0; f < e->n_fns; f++) {
        if (!nd->has_warm[f])
            continue;
        char cname[96];
        struct step_out o;
        warm_name(e, e->fns[f], cname, sizeof(cname));
        struct fb_tvars v = {.container = cname, .node = nd->cfg->name,
                             .function = e->fns[f]->name, .image = e->fns[f]->image};
        if (e->fns[f]->resident) {
            if (eng_resident_remove(e, nd, f, cname, o.error, sizeof(o.error)) < 0)
                eng_log(e, "%s", o.error);
        } else if (eng_node_step(e, nd, FB_STEP_REMOVE_CONTAINER, &v, &o) < 0)
            eng_log(e, "%s", o.error);
        pthread_mutex_lock(&e->lock);
        nd->has_warm[f] = false;
        pthread_mutex_unlock(&e->lock);
    }
}

void fb_engine_teardown(struct fb_engine *e)
{
    eng_for_each_node(e, teardown_task, false);
}

/* One attempt of an exec-based function: the steps of mode on node nd,
 * session k. Fills the phase times and returns the first step's error code
 * (0 on success) in a->rc. */
static void attempt_steps(struct fb_engine *e, struct enode *nd, int k, int f,
                          enum fb_warming mode, const char *cname, double t_start,
                          struct attempt *a)
{
    const struct fb_function_cfg *fn = e->fns[f];
    struct fb_conn *c = nd->conns[k];
    struct fb_tvars v = {.image = fn->image, .container = cname, .command = a->command,
                         .node = nd->cfg->name, .function = fn->name,
                         .network = eng_network_arg(fn)};
    struct step_out o;
    double node_ms = 0;

    a->exit_status = -1;
    a->error[0] = '\0';
    a->node_ms = NAN;
    a->t_pull = t_start; /* no pull: the phase is exactly 0 */
    if (mode == FB_WARM_COLD) {
        /* The pull is a step of its own so the row shows what it cost. */
        a->rc = eng_run_step(e, nd, c, FB_STEP_PULL, &v, true, &o);
        a->t_pull = a->t_run = a->t_clean = fb_mono_ms();
        node_ms += o.node_ms;
        if (a->rc < 0) {
            snprintf(a->error, sizeof(a->error), "%s", o.error);
            return;
        }
        /* The image stays this invocation's own: others do not see it as
         * pre-warmed, so its removal below never pulls it from under them. */
    }
    a->rc = eng_run_step(e, nd, c, mode == FB_WARM_WARMED ? FB_STEP_EXEC : FB_STEP_RUN, &v, true,
                     &o);
    a->t_run = a->t_clean = fb_mono_ms();
    a->exit_status = o.exit_status;
    node_ms += o.node_ms;
    if (a->rc < 0)
        snprintf(a->error, sizeof(a->error), "%s", o.error);
    if (mode == FB_WARM_COLD && !eng_node_failure(a->rc)) {
        /* The next cold invocation on this node must pull again. */
        struct step_out r;
        int rc = eng_run_step(e, nd, c, FB_STEP_REMOVE_IMAGE, &v, false, &r);
        if (rc < 0 && a->rc == 0) {
            a->rc = rc;
            snprintf(a->error, sizeof(a->error), "%s", r.error);
        }
        a->t_clean = fb_mono_ms();
    }
    if (e->o.node_timing && !isnan(node_ms))
        a->node_ms = node_ms;
}

static void append_word(char *buf, size_t n, const char *w)
{
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len > 0 ? " " : "", w);
}

/* The command and args of one invocation of f with work w (NULL: the
 * function's defaults): the function's own when they hold no placeholder,
 * else filled in *cmd and *args (caller frees). 0, FB_EINVAL or FB_ENOMEM. */
static int work_words(const struct fb_engine *e, int f, const struct fb_work *w,
                      struct attempt *a, char **cmd, char **args)
{
    const struct fb_function_cfg *fn = e->fns[f];
    struct fb_work v = {fn->work_duration_ms, fn->work_memory_mb};
    char *text = NULL;
    int rc = 0;

    *cmd = *args = NULL;
    a->command = fn->command;
    a->args = e->fx[f].args;
    a->args_len = e->fx[f].args_len;
    if (w != NULL && isfinite(w->duration_ms))
        v.duration_ms = w->duration_ms;
    if (w != NULL && isfinite(w->memory_mb))
        v.memory_mb = w->memory_mb;
    if (fb_work_used(fn->command)) {
        if ((rc = fb_work_expand(fn->command, &v, cmd)) < 0)
            return rc;
        a->command = *cmd;
    }
    if (fb_work_used(fn->args)) {
        if ((rc = fb_work_expand(fn->args, &v, &text)) == 0 &&
            (rc = fb_command_words(text, args, &a->args_len, NULL)) == 0)
            a->args = *args;
        free(text);
    }
    return rc;
}

int fb_engine_invoke(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                     struct fb_outcome *out)
{
    return fb_engine_invoke_work(e, p, pstate, f, NULL, out);
}

int fb_engine_invoke_work(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                          const struct fb_work *work, struct fb_outcome *out)
{
    const struct fb_function_cfg *fn = e->fns[f];
    struct fb_select_ctx ctx = {.function = f, .function_name = fn->name,
                                .ram_threshold = e->o.ram_threshold, .arrival = true};
    int n = e->n_nodes;
    struct fb_node_view *views = calloc((size_t)(n > 0 ? n : 1), sizeof(*views));
    bool *failed = calloc((size_t)(n > 0 ? n : 1), sizeof(*failed));
    double t0, t1;
    int rc = 0;
    struct attempt words;
    char *wcmd = NULL, *wargs = NULL;

    fb_outcome_none(out, "");
    out->attempts = 0;
    fb_work_asked(fn->command, fn->args,
                  &(struct fb_work){fn->work_duration_ms, fn->work_memory_mb}, work,
                  &out->asked_duration_ms, &out->asked_memory_mb);
    if (views == NULL || failed == NULL ||
        (rc = work_words(e, f, work, &words, &wcmd, &wargs)) < 0) {
        free(views);
        free(failed);
        free(wcmd);
        free(wargs);
        if (rc == FB_EINVAL)
            snprintf(out->error, sizeof(out->error), "the function's args with the work "
                                                     "filled in are not words");
        return rc == FB_EINVAL ? 0 : FB_ENOMEM;
    }
    out->start_ms = fb_unix_ms();
    t0 = t1 = fb_mono_ms();
    /* e->ka and the cell's clock change between cells only. */
    double t_arrival = eng_now_s(e);
    if (e->ka != NULL)
        out->room_ms = 0;

    for (;;) {
        enum fb_warming mode = FB_WARM_COLD;
        struct kclaim claim = {0};
        struct attempt a;
        char cname[96];
        int i, k = -1;

        out->attempts++;
        if (e->o.metrics_interval_ms <= 0)
            fb_engine_poll(e);

        /* Select, and wait for a free session there: a busy node queues; in
         * a keep-alive cell, an invocation with no room anywhere waits for
         * an instance to end or to be let go. */
        pthread_mutex_lock(&e->lock);
        if (e->ka != NULL && out->attempts == 1)
            e->ka->k->ops.arrival(e->ka->kstate, f, t_arrival);
        for (;;) {
            double t_wait = 0;
            fill_views(e, f, failed, views);
            ctx.now_s = eng_now_s(e);
            i = fb_chain_select(p, pstate, views, n, &ctx, &mode);
            ctx.arrival = false;
            if (i < 0 && i != FB_ENOMEM && room_will_come(e, failed)) {
                t_wait = fb_mono_ms();
                pthread_cond_wait(&e->changed, &e->lock);
                claim.t_waited += fb_mono_ms() - t_wait;
                continue;
            }
            if (i < 0)
                break;
            struct enode *nd = e->nodes[i];
            k = -1;
            for (int j = 0; j < nd->slots && k < 0; j++)
                if (!nd->busy[j])
                    k = j;
            bool ok = k >= 0 && (e->ka != NULL || !(mode == FB_WARM_COLD && nd->cold_busy[f]));
            if (ok && e->ka != NULL && eng_ka_claim(e, nd, f, mode, &claim) != 0)
                ok = false;
            if (ok)
                break;
            t_wait = fb_mono_ms();
            pthread_cond_wait(&e->changed, &e->lock);
            if (e->ka != NULL)
                claim.t_waited += fb_mono_ms() - t_wait;
        }
        if (i < 0 && e->ka != NULL) {
            e->ka->out.invocations++;
            e->ka->out.failed++;
        }
        if (i >= 0 && e->ka != NULL && claim.t_waited > 0)
            e->ka->out.room_waits++;
        if (i < 0) {
            pthread_mutex_unlock(&e->lock);
            out->node = -1;
            out->node_name = NULL;
            t1 = fb_mono_ms();
            if (i == FB_ENOMEM) {
                snprintf(out->error, sizeof(out->error), "selecting a node: out of memory");
                rc = FB_ENOMEM;
            } else if (out->attempts == 1 || out->error[0] == '\0')
                snprintf(out->error, sizeof(out->error),
                         "no eligible node: every node is down or at or above the RAM "
                         "threshold (%g %%)%s",
                         e->o.ram_threshold,
                         e->ka != NULL ? ", or has no room for the function's memory" : "");
            out->pull_ms = out->run_ms = out->cleanup_ms = 0;
            out->select_ms = out->latency_ms = out->total_ms = t1 - t0;
            break;
        }
        struct enode *nd = e->nodes[i];
        nd->busy[k] = true;
        nd->inflight++;
        if (nd->inflight > e->max_inflight)
            e->max_inflight = nd->inflight;
        if (mode == FB_WARM_COLD && e->ka == NULL)
            nd->cold_busy[f] = true;
        out->cpu_pct = nd->cpu_pct;
        out->ram_pct = nd->ram_pct;
        if (e->ka != NULL)
            snprintf(cname, sizeof(cname), "%s", claim.inst->cname);
        else if (mode == FB_WARM_WARMED)
            warm_name(e, fn, cname, sizeof(cname));
        else
            snprintf(cname, sizeof(cname), "faasbench-%s-%s-%lu", fn->name, e->token,
                     ++e->container_seq);
        pthread_mutex_unlock(&e->lock);
        if (e->ka != NULL) {
            /* Room is made before the start: the evicted instances go now. */
            double t_evict = fb_mono_ms();
            struct kclaim victims = {.victims = claim.victims};
            claim.victims = NULL;
            eng_ka_remove_gone(e, nd, k, &victims);
            out->room_ms += claim.t_waited + (fb_mono_ms() - t_evict);
        }
        t1 = fb_mono_ms();

        a.command = words.command;
        a.args = words.args;
        a.args_len = words.args_len;
        if (e->ka != NULL)
            eng_ka_attempt(e, nd, k, f, mode, &claim, t1, &a);
        else if (fn->resident)
            eng_resident_attempt(e, nd, k, f, mode, cname, t1, &a);
        else
            attempt_steps(e, nd, k, f, mode, cname, t1, &a);

        if (e->ka != NULL) {
            /* The instance idle again, or gone after the answer (cleanup). */
            pthread_mutex_lock(&e->lock);
            eng_ka_release(e, nd, f, mode, &claim, &a);
            pthread_mutex_unlock(&e->lock);
            if (!eng_node_failure(a.rc))
                eng_ka_remove_gone(e, nd, k, &claim);
            else
                eng_ka_drop_gone(&claim);
            a.t_clean = fb_mono_ms();
        }

        pthread_mutex_lock(&e->lock);
        nd->busy[k] = false;
        nd->inflight--;
        if (mode == FB_WARM_COLD && e->ka == NULL)
            nd->cold_busy[f] = false;
        if (eng_node_failure(a.rc))
            eng_mark_down_locked(e, nd, a.error);
        else if (p->ops.done != NULL)
            p->ops.done(pstate, nd->cfg->name, f, eng_now_s(e));
        pthread_cond_broadcast(&e->changed);
        pthread_mutex_unlock(&e->lock);

        out->node = i;
        out->node_name = nd->cfg->name;
        out->mode = mode;
        out->exit_status = a.exit_status;
        out->node_exec_ms = a.node_ms;
        snprintf(out->error, sizeof(out->error), "%s", a.error);
        out->select_ms = t1 - t0;
        out->pull_ms = a.t_pull - t1;
        out->run_ms = a.t_run - a.t_pull;
        out->cleanup_ms = a.t_clean - a.t_run;
        out->latency_ms = a.t_run - t0;
        out->total_ms = a.t_clean - t0;
        snprintf(out->instance, sizeof(out->instance), "%s", cname);
        if (fn->resident) {
            out->create_ms = a.t_create - a.t_pull;
            out->ready_ms = a.t_ready - a.t_create;
            out->invoke_ms = a.t_run - a.t_ready;
            out->init_ms = a.init_ms;
            out->handler_ms = a.handler_ms;
            out->runtime_pid = a.runtime_pid;
            out->runtime_count = a.runtime_count;
        }
        if (!eng_node_failure(a.rc) || out->attempts > e->o.retries)
            break;
        /* The node failed, not the function: try another node. */
        failed[i] = true;
        append_word(out->failed_nodes, sizeof(out->failed_nodes), nd->cfg->name);
        snprintf(out->retry_error, sizeof(out->retry_error), "%s", a.error);
    }
    free(views);
    free(failed);
    free(wcmd);
    free(wargs);
    return rc;
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
    o->slots = exp->workload.per_node;
    o->warm_nodes = exp->warm_nodes;
    o->retries = exp->retries;
    o->instance_root = exp->runtime.instance_root;
}

void fb_outcome_none(struct fb_outcome *o, const char *why)
{
    memset(o, 0, sizeof(*o));
    o->node = -1;
    o->exit_status = -1;
    o->attempts = 1;
    o->start_ms = fb_unix_ms();
    o->node_exec_ms = o->cpu_pct = o->ram_pct = NAN;
    o->create_ms = o->ready_ms = o->init_ms = o->invoke_ms = o->handler_ms = NAN;
    o->room_ms = NAN;
    o->asked_duration_ms = o->asked_memory_mb = NAN;
    snprintf(o->error, sizeof(o->error), "%s", why);
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
    *out = e;
    return 0;
}

void fb_engine_free(struct fb_engine *e)
{
    if (e == NULL)
        return;
    poller_stop(e);
    for (int i = 0; i < e->n_nodes; i++)
        node_free(e->nodes[i]);
    free(e->nodes);
    for (int f = 0; f < e->n_fns; f++)
        free(e->fx[f].args);
    free(e->fx);
    free(e->fns);
    free(e->images);
    pthread_cond_destroy(&e->poller_cv);
    pthread_cond_destroy(&e->changed);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
