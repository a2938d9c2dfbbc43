/* engine.c - node sessions and state, warming, and one invocation end to end. */
#include "engine.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "template.h"
#include "transport.h"

struct enode {
    const struct fb_node_cfg *cfg;
    struct fb_conn *conn;  /* runtime steps; held under step_lock */
    struct fb_conn *mconn; /* metrics polls, so a poll never waits behind a step */
    pthread_mutex_t step_lock;
    pthread_mutex_t poll_lock;
    /* under the engine's lock: */
    struct fb_counters prev;
    bool have_prev;
    double cpu_pct, ram_pct;
    bool down;
    char down_reason[FB_ERRMSG_LEN];
    bool *has_image; /* per function */
    bool *has_warm;  /* per function */
    int inflight;
    /* scratch of parallel tasks */
    int task_rc;
    struct fb_errbuf task_err;
};

struct fb_engine {
    const struct fb_experiment *set;
    pthread_mutex_t lock;
    struct enode **nodes;
    int n_nodes, cap_nodes;
    const struct fb_function_cfg **fns;
    int n_fns, cap_fns;
    unsigned long container_seq;
    char *images; /* every function image, space-separated, each once */
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

/* Runs fn on every node that is up, one thread each, and waits for all. */
static void for_each_node(struct fb_engine *e, node_task fn)
{
    int n = e->n_nodes;
    if (n == 0)
        return;
    pthread_t *tid = calloc((size_t)n, sizeof(*tid));
    struct task_arg *arg = calloc((size_t)n, sizeof(*arg));
    bool *started = calloc((size_t)n, sizeof(*started));
    bool spawn = n > 1 && tid != NULL && arg != NULL && started != NULL;

    for (int i = 0; i < n; i++) {
        struct enode *nd = e->nodes[i];
        nd->task_rc = 0;
        if (nd->down)
            continue;
        if (spawn) {
            arg[i] = (struct task_arg){e, nd, fn};
            started[i] = pthread_create(&tid[i], NULL, task_main, &arg[i]) == 0;
        }
        if (!spawn || !started[i])
            fn(e, nd);
    }
    for (int i = 0; spawn && i < n; i++)
        if (started[i])
            pthread_join(tid[i], NULL);
    free(tid);
    free(arg);
    free(started);
}

/* ---- steps ---- */

struct step_out {
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

static void mark_down(struct fb_engine *e, struct enode *nd, const char *why)
{
    pthread_mutex_lock(&e->lock);
    if (!nd->down)
        fprintf(stderr, "faasbench: node %s marked down: %s\n", nd->cfg->name, why);
    nd->down = true;
    snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
    pthread_mutex_unlock(&e->lock);
}

/* Expands step s and runs it on nd's step session. timed: wrap it in the
 * node helper so the node reports the command's own time. Returns 0 when
 * the command exited 0; otherwise o->error says what happened. */
static int run_step(struct fb_engine *e, struct enode *nd, enum fb_step s,
                    const struct fb_tvars *v, bool timed, struct step_out *o)
{
    struct fb_errbuf eb = {{0}};
    struct fb_exec_result res = {0};
    char *cmd = NULL, *wrapped = NULL, *q = NULL;
    int rc;

    o->node_ms = NAN;
    o->exit_status = -1;
    o->error[0] = '\0';
    rc = fb_template_expand(e->set->runtime.steps[s], v, &cmd, &eb);
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s: %s", fb_step_name(s), eb.msg);
        goto out;
    }
    if (timed && e->set->node_timing) {
        q = fb_shell_quote(cmd);
        wrapped = q != NULL ? strf("faasbench-node exec -c %s", q) : NULL;
        if (wrapped == NULL) {
            rc = FB_ENOMEM;
            snprintf(o->error, sizeof(o->error), "%s: out of memory", fb_step_name(s));
            goto out;
        }
    }
    pthread_mutex_lock(&nd->step_lock);
    rc = fb_conn_exec(nd->conn, wrapped != NULL ? wrapped : cmd,
                      e->set->command_timeout_ms, &res, &eb);
    pthread_mutex_unlock(&nd->step_lock);
    o->node_ms = res.node_ms;
    o->exit_status = res.exit_status;
    if (rc < 0) {
        snprintf(o->error, sizeof(o->error), "%s on %s: %s", fb_step_name(s), nd->cfg->name,
                 eb.msg[0] ? eb.msg : fb_strerror(rc));
        if (rc == FB_ESSH || rc == FB_ECONNECT)
            mark_down(e, nd, o->error);
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

/* ---- engine ---- */

int fb_engine_new(const struct fb_experiment *settings, struct fb_engine **out)
{
    struct fb_engine *e = calloc(1, sizeof(*e));
    *out = NULL;
    if (e == NULL)
        return FB_ENOMEM;
    e->set = settings;
    pthread_mutex_init(&e->lock, NULL);
    *out = e;
    return 0;
}

static struct enode *node_new(struct fb_engine *e, const struct fb_node_cfg *cfg)
{
    struct enode *nd = calloc(1, sizeof(*nd));
    if (nd == NULL)
        return NULL;
    nd->cfg = cfg;
    nd->cpu_pct = nd->ram_pct = 0;
    pthread_mutex_init(&nd->step_lock, NULL);
    pthread_mutex_init(&nd->poll_lock, NULL);
    size_t cap = (size_t)(e->cap_fns > 0 ? e->cap_fns : 1);
    nd->has_image = calloc(cap, sizeof(bool));
    nd->has_warm = calloc(cap, sizeof(bool));
    if (nd->has_image == NULL || nd->has_warm == NULL) {
        free(nd->has_image);
        free(nd->has_warm);
        free(nd);
        return NULL;
    }
    return nd;
}

static void node_free(struct enode *nd)
{
    if (nd == NULL)
        return;
    if (nd->conn != NULL)
        fb_conn_close(nd->conn);
    if (nd->mconn != NULL)
        fb_conn_close(nd->mconn);
    pthread_mutex_destroy(&nd->step_lock);
    pthread_mutex_destroy(&nd->poll_lock);
    free(nd->has_image);
    free(nd->has_warm);
    free(nd);
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
    rc = fb_conn_open(cfg, e->set->connect_timeout_ms, &nd->conn, eb);
    if (rc == 0 && e->set->metrics_format != FB_METRICS_NONE)
        rc = fb_conn_open(cfg, e->set->connect_timeout_ms, &nd->mconn, eb);
    if (rc == 0)
        rc = append_node(e, nd);
    if (rc < 0)
        node_free(nd);
    return rc;
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
        for (int i = 0; i < e->n_nodes; i++) {
            struct enode *nd = e->nodes[i];
            bool *a = realloc(nd->has_image, sizeof(bool) * (size_t)cap);
            if (a != NULL)
                nd->has_image = a;
            bool *b = realloc(nd->has_warm, sizeof(bool) * (size_t)cap);
            if (b != NULL)
                nd->has_warm = b;
            if (a == NULL || b == NULL) {
                rc = FB_ENOMEM;
                goto out;
            }
            for (int f = e->cap_fns; f < cap; f++)
                nd->has_image[f] = nd->has_warm[f] = false;
        }
        e->cap_fns = cap;
    }
    if ((rc = images_add(e, fn->image)) < 0)
        goto out;
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

/* ---- metrics ---- */

static void poll_task(struct fb_engine *e, struct enode *nd)
{
    struct fb_exec_result res = {0};
    struct fb_counters cur;

    pthread_mutex_lock(&nd->poll_lock);
    nd->task_rc = fb_conn_exec(nd->mconn, e->set->metrics_command, e->set->command_timeout_ms,
                               &res, &nd->task_err);
    pthread_mutex_unlock(&nd->poll_lock);
    if (nd->task_rc == 0 && res.exit_status != 0)
        nd->task_rc = fb_errf(&nd->task_err, FB_EMETRICS, "metrics command exited %d: %.200s",
                              res.exit_status, res.err != NULL ? res.err : "");
    if (nd->task_rc == 0)
        nd->task_rc = fb_metrics_parse(e->set->metrics_format, res.out != NULL ? res.out : "",
                                       &cur, &nd->task_err);
    if (nd->task_rc == 0) {
        pthread_mutex_lock(&e->lock);
        nd->cpu_pct = fb_metrics_cpu_pct(nd->have_prev ? &nd->prev : NULL, &cur);
        nd->ram_pct = fb_metrics_ram_pct(&cur);
        nd->prev = cur;
        nd->have_prev = true;
        pthread_mutex_unlock(&e->lock);
    }
    fb_exec_result_free(&res);
}

/* A node whose poll fails is marked down: a policy cannot place work on a
 * node it cannot see. */
void fb_engine_poll(struct fb_engine *e)
{
    if (e->set->metrics_format == FB_METRICS_NONE)
        return;
    for_each_node(e, poll_task);
    for (int i = 0; i < e->n_nodes; i++) {
        struct enode *nd = e->nodes[i];
        if (!nd->down && nd->task_rc < 0) {
            char why[FB_ERRMSG_LEN + 32];
            snprintf(why, sizeof(why), "metrics: %s", nd->task_err.msg);
            mark_down(e, nd, why);
        }
    }
}

/* ---- cell phases ---- */

static void reset_task(struct fb_engine *e, struct enode *nd)
{
    struct fb_tvars v = {.node = nd->cfg->name, .images = e->images};
    struct step_out o;
    if (e->images == NULL)
        return;
    nd->task_rc = run_step(e, nd, FB_STEP_RESET, &v, false, &o);
    if (nd->task_rc < 0)
        fb_errf(&nd->task_err, nd->task_rc, "%s", o.error);
    pthread_mutex_lock(&e->lock);
    for (int f = 0; f < e->n_fns; f++)
        nd->has_image[f] = nd->has_warm[f] = false;
    pthread_mutex_unlock(&e->lock);
}

void fb_engine_reset(struct fb_engine *e)
{
    for_each_node(e, reset_task);
    for (int i = 0; i < e->n_nodes; i++)
        if (!e->nodes[i]->down && e->nodes[i]->task_rc < 0)
            fprintf(stderr, "faasbench: reset of %s failed: %s\n", e->nodes[i]->cfg->name,
                    e->nodes[i]->task_err.msg);
}

/* Fills views[] (e->n_nodes of them) under the engine's lock. */
static void fill_views(struct fb_engine *e, int f, struct fb_node_view *views)
{
    for (int i = 0; i < e->n_nodes; i++) {
        const struct enode *nd = e->nodes[i];
        views[i] = (struct fb_node_view){
            .name = nd->cfg->name,
            .cpu_pct = nd->cpu_pct,
            .ram_pct = nd->ram_pct,
            .down = nd->down,
            .has_image = nd->has_image[f],
            .has_warm = nd->has_warm[f],
            .inflight = nd->inflight,
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

int fb_engine_prepare(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                      enum fb_warming w, struct fb_errbuf *eb)
{
    const struct fb_function_cfg *fn = e->fns[f];
    struct fb_select_ctx ctx = {f, fn->name, e->set->ram_threshold};
    struct fb_node_view *views = NULL;
    struct step_out o;
    char cname[96];
    int i;

    if (w == FB_WARM_COLD)
        return 0;
    views = calloc((size_t)(e->n_nodes > 0 ? e->n_nodes : 1), sizeof(*views));
    if (views == NULL)
        return FB_ENOMEM;
    pthread_mutex_lock(&e->lock);
    fill_views(e, f, views);
    i = p->ops.select(pstate, views, e->n_nodes, &ctx);
    pthread_mutex_unlock(&e->lock);
    free(views);
    if (i < 0)
        return fb_errf(eb, FB_ENONODE, "cannot make %s %s: no eligible node", fn->name,
                       fb_warming_name(w));

    struct enode *nd = e->nodes[i];
    warm_name(fn, cname, sizeof(cname));
    struct fb_tvars v = {.image = fn->image, .container = cname, .node = nd->cfg->name,
                         .function = fn->name, .network = network_arg(fn),
                         .command = fn->command};
    if (run_step(e, nd, FB_STEP_PULL, &v, false, &o) < 0)
        return fb_errf(eb, FB_EEXIT, "%s", o.error);
    pthread_mutex_lock(&e->lock);
    nd->has_image[f] = true;
    pthread_mutex_unlock(&e->lock);
    if (w == FB_WARM_WARMED) {
        if (run_step(e, nd, FB_STEP_START, &v, false, &o) < 0)
            return fb_errf(eb, FB_EEXIT, "%s", o.error);
        pthread_mutex_lock(&e->lock);
        nd->has_warm[f] = true;
        pthread_mutex_unlock(&e->lock);
    }
    return i;
}

static void teardown_task(struct fb_engine *e, struct enode *nd)
{
    for (int f = 0; f < e->n_fns; f++) {
        if (!nd->has_warm[f])
            continue;
        char cname[96];
        struct step_out o;
        warm_name(e->fns[f], cname, sizeof(cname));
        struct fb_tvars v = {.container = cname, .node = nd->cfg->name,
                             .function = e->fns[f]->name, .image = e->fns[f]->image};
        if (run_step(e, nd, FB_STEP_REMOVE_CONTAINER, &v, false, &o) < 0)
            fprintf(stderr, "faasbench: %s\n", o.error);
        pthread_mutex_lock(&e->lock);
        nd->has_warm[f] = false;
        pthread_mutex_unlock(&e->lock);
    }
}

void fb_engine_teardown(struct fb_engine *e)
{
    for_each_node(e, teardown_task);
}

int fb_engine_invoke(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                     struct fb_outcome *out)
{
    const struct fb_function_cfg *fn = e->fns[f];
    struct fb_select_ctx ctx = {f, fn->name, e->set->ram_threshold};
    enum fb_warming mode = FB_WARM_COLD;
    struct step_out o;
    char cname[96];
    double node_ms = 0, run_node_ms = NAN;
    struct fb_node_view *views = calloc((size_t)(e->n_nodes > 0 ? e->n_nodes : 1),
                                        sizeof(*views));

    memset(out, 0, sizeof(*out));
    out->node = -1;
    out->exit_status = -1;
    out->attempts = 1;
    out->node_exec_ms = out->cpu_pct = out->ram_pct = NAN;
    if (views == NULL)
        return FB_ENOMEM;

    out->start_ms = unix_ms();
    double t0 = mono_ms();
    fb_engine_poll(e);
    pthread_mutex_lock(&e->lock);
    fill_views(e, f, views);
    int i = fb_chain_select(p, pstate, views, e->n_nodes, &ctx, &mode);
    struct enode *nd = i >= 0 ? e->nodes[i] : NULL;
    if (nd != NULL) {
        nd->inflight++;
        out->cpu_pct = nd->cpu_pct;
        out->ram_pct = nd->ram_pct;
        if (mode == FB_WARM_WARMED)
            warm_name(fn, cname, sizeof(cname));
        else
            snprintf(cname, sizeof(cname), "faasbench-%s-%lu", fn->name, ++e->container_seq);
    }
    pthread_mutex_unlock(&e->lock);
    free(views);
    double t1 = mono_ms(), t2 = t1, t3 = t1, t4 = t1;

    if (nd == NULL) {
        snprintf(out->error, sizeof(out->error),
                 "no eligible node: every node is down or at or above the RAM threshold "
                 "(%.0f %%)", e->set->ram_threshold);
        goto done;
    }
    out->node = i;
    out->mode = mode;
    struct fb_tvars v = {.image = fn->image, .container = cname, .command = fn->command,
                         .node = nd->cfg->name, .function = fn->name,
                         .network = network_arg(fn)};

    if (mode == FB_WARM_COLD) {
        /* The pull is a step of its own so the row shows what it cost. */
        int rc = run_step(e, nd, FB_STEP_PULL, &v, true, &o);
        t2 = t3 = t4 = mono_ms();
        if (!isnan(o.node_ms))
            node_ms += o.node_ms;
        if (rc < 0) {
            snprintf(out->error, sizeof(out->error), "%s", o.error);
            goto release;
        }
    }
    int rc = run_step(e, nd, mode == FB_WARM_WARMED ? FB_STEP_EXEC : FB_STEP_RUN, &v, true, &o);
    t3 = t4 = mono_ms();
    out->exit_status = o.exit_status;
    run_node_ms = o.node_ms;
    if (rc < 0)
        snprintf(out->error, sizeof(out->error), "%s", o.error);
    if (mode == FB_WARM_COLD) {
        /* The next cold invocation on this node must pull again. */
        struct step_out c;
        if (run_step(e, nd, FB_STEP_REMOVE_IMAGE, &v, false, &c) < 0 && out->error[0] == '\0')
            snprintf(out->error, sizeof(out->error), "%s", c.error);
        t4 = mono_ms();
    }
    if (e->set->node_timing && !isnan(run_node_ms))
        out->node_exec_ms = node_ms + run_node_ms;
release:
    pthread_mutex_lock(&e->lock);
    nd->inflight--;
    pthread_mutex_unlock(&e->lock);
done:
    out->select_ms = t1 - t0;
    out->pull_ms = t2 - t1;
    out->run_ms = t3 - t2;
    out->cleanup_ms = t4 - t3;
    out->latency_ms = t3 - t0;
    out->total_ms = t4 - t0;
    return 0;
}

void fb_engine_free(struct fb_engine *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->n_nodes; i++)
        node_free(e->nodes[i]);
    free(e->nodes);
    free(e->fns);
    free(e->images);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
