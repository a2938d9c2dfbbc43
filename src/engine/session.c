/* session.c - what every part of the engine stands on: a node's sessions and
 * their slots, one step on a node, parallel work over the nodes, messages for
 * the operator, and the cell's clock. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"

bool eng_stopping(const struct fb_engine *e)
{
    return e->o.stop != NULL && *e->o.stop;
}

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

/* ---- the cell's clock ---- */

double eng_now_s(const struct fb_engine *e)
{
    return (fb_mono_ms() - e->cell_t0) / 1000.0 / (e->time_scale > 0 ? e->time_scale : 1.0);
}

double eng_mono_at(const struct fb_engine *e, double t)
{
    return e->cell_t0 + t * 1000.0 * (e->time_scale > 0 ? e->time_scale : 1.0);
}

void eng_warm_name(const struct fb_engine *e, const struct fb_function_cfg *fn, char *buf,
                   size_t n)
{
    snprintf(buf, n, "faasbench-warm-%s-%s", fn->name, e->token);
}

void eng_call_name(struct fb_engine *e, struct call *c)
{
    const struct fb_function_cfg *fn = e->fns[c->f];

    if (c->t->mode == FB_WARM_WARMED)
        eng_warm_name(e, fn, c->cname, sizeof(c->cname));
    else
        snprintf(c->cname, sizeof(c->cname), "faasbench-%s-%s-%lu", fn->name, e->token,
                 ++e->container_seq);
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
        run[i] = all || !fb_cluster_down(e->cl, i);
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

/* ---- down ---- */

void eng_mark_down_locked(struct fb_engine *e, struct enode *nd, const char *why)
{
    if (!fb_cluster_down(e->cl, nd->idx))
        eng_log(e, "node %s marked down: %s", nd->cfg->name, why);
    fb_cluster_set_down(e->cl, nd->idx, true);
    snprintf(nd->down_reason, sizeof(nd->down_reason), "%s", why);
    pthread_cond_broadcast(&e->changed);
}

void eng_mark_down(struct fb_engine *e, struct enode *nd, const char *why)
{
    pthread_mutex_lock(&e->lock);
    eng_mark_down_locked(e, nd, why);
    pthread_mutex_unlock(&e->lock);
}

/* ---- steps ---- */

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

/* ---- slots ---- */

int eng_claim_session(struct enode *nd)
{
    for (int j = 0; j < nd->slots; j++)
        if (!nd->busy[j]) {
            nd->busy[j] = true;
            return j;
        }
    return -1; /* not reached: the cluster counted a free one */
}

int eng_take_slot(struct fb_engine *e, struct enode *nd)
{
    int k = -1;

    pthread_mutex_lock(&e->lock);
    while (nd->conns != NULL && !fb_cluster_slot_take(e->cl, nd->idx))
        pthread_cond_wait(&e->changed, &e->lock);
    if (nd->conns != NULL)
        k = eng_claim_session(nd);
    pthread_mutex_unlock(&e->lock);
    return k;
}

void eng_give_slot(struct fb_engine *e, struct enode *nd, int k)
{
    pthread_mutex_lock(&e->lock);
    nd->busy[k] = false;
    fb_cluster_slot_give(e->cl, nd->idx);
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

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
        eng_mark_down(e, nd, o->error);
    return rc;
}
