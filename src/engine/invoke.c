/* invoke.c - one invocation end to end, in three steps per attempt: decide
 * (the decision core picks the node, the mode and in a keep-alive cell the
 * instance, waiting while it says wait), execute (the path of the call's
 * kind runs its steps on the node), report back (the core hears how it went;
 * a node that failed is marked down and the invocation retried elsewhere). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"

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

/* Decide, under the lock: the core's pick, waiting while it says wait (for
 * a free session, another cold start, room), until the run stops. *waited_ms
 * gets the time spent waiting. FB_PICK_OK with the session taken in c, or
 * why not. */
static int decide(struct fb_engine *e, const struct fb_policy *p, void *pstate,
                  struct fb_ticket *t, struct call *c, double *waited_ms)
{
    for (;;) {
        int rc = fb_cluster_pick(e->cl, p, pstate, t, eng_now_s(e));
        if (rc != FB_PICK_WAIT) {
            if (rc == FB_PICK_OK) {
                c->nd = e->nodes[t->node];
                c->k = eng_claim_session(c->nd);
            }
            return rc;
        }
        if (eng_stopping(e))
            return FB_PICK_NONE;
        double t0 = fb_mono_ms();
        pthread_cond_wait(&e->changed, &e->lock);
        *waited_ms += fb_mono_ms() - t0;
    }
}

/* The outcome of an invocation that found no node. */
static void no_node(struct fb_engine *e, struct fb_outcome *out, int why, double t0)
{
    double t1 = fb_mono_ms();

    out->node = -1;
    out->node_name = NULL;
    if (why == FB_ENOMEM)
        snprintf(out->error, sizeof(out->error), "selecting a node: out of memory");
    else if (why == FB_PICK_TOO_BIG)
        snprintf(out->error, sizeof(out->error),
                 "the function's memory is larger than every node's capacity: it can never "
                 "start");
    else if (eng_stopping(e) && why == FB_PICK_NONE && e->ka != NULL)
        snprintf(out->error, sizeof(out->error), "stopped while waiting for room");
    else if (out->attempts == 1 || out->error[0] == '\0')
        snprintf(out->error, sizeof(out->error),
                 "no eligible node: every node is down or at or above the RAM "
                 "threshold (%g %%)%s",
                 e->o.ram_threshold,
                 e->ka != NULL ? ", or has no room for the function's memory" : "");
    out->pull_ms = out->run_ms = out->cleanup_ms = 0;
    out->select_ms = out->latency_ms = out->total_ms = t1 - t0;
}

/* The row's figures from attempt a on the call's node. */
static void fill(struct fb_engine *e, const struct call *c, const struct attempt *a, double t0,
                 double t1, struct fb_outcome *out)
{
    out->node = c->nd->idx;
    out->node_name = c->nd->cfg->name;
    out->mode = c->t->mode;
    out->exit_status = a->exit_status;
    out->node_exec_ms = a->node_ms;
    snprintf(out->error, sizeof(out->error), "%s", a->error);
    out->select_ms = t1 - t0;
    out->pull_ms = a->t_pull - t1;
    out->run_ms = a->t_run - a->t_pull;
    out->cleanup_ms = a->t_clean - a->t_run;
    out->latency_ms = a->t_run - t0;
    out->total_ms = a->t_clean - t0;
    snprintf(out->instance, sizeof(out->instance), "%s", c->cname);
    if (e->fns[c->f]->resident) {
        out->create_ms = a->t_create - a->t_pull;
        out->ready_ms = a->t_ready - a->t_create;
        out->invoke_ms = a->t_run - a->t_ready;
        out->init_ms = a->init_ms;
        out->handler_ms = a->handler_ms;
        out->runtime_pid = a->runtime_pid;
        out->runtime_count = a->runtime_count;
    }
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
    /* The cell's kind and clock change between cells only. */
    const struct eng_path *path = e->ka != NULL ? &eng_keepalive_path
                                  : fn->resident ? &eng_resident_path
                                                 : &eng_exec_path;
    struct fb_ticket t = {.f = f, .t_arrival = eng_now_s(e)};
    struct attempt words;
    char *wcmd = NULL, *wargs = NULL;
    double t0, t1;
    int rc;

    fb_outcome_none(out, "");
    out->attempts = 0;
    fb_work_asked(fn->command, fn->args,
                  &(struct fb_work){fn->work_duration_ms, fn->work_memory_mb}, work,
                  &out->asked_duration_ms, &out->asked_memory_mb);
    if ((rc = work_words(e, f, work, &words, &wcmd, &wargs)) < 0) {
        free(wcmd);
        free(wargs);
        if (rc == FB_EINVAL)
            snprintf(out->error, sizeof(out->error), "the function's args with the work "
                                                     "filled in are not words");
        return rc == FB_EINVAL ? 0 : FB_ENOMEM;
    }
    out->start_ms = fb_unix_ms();
    t0 = fb_mono_ms();
    if (e->ka != NULL)
        out->room_ms = 0;

    for (;;) {
        struct call c = {.f = f, .t = &t};
        struct attempt a = {.command = words.command, .args = words.args,
                            .args_len = words.args_len};
        double waited = 0;

        out->attempts++;
        if (e->o.metrics_interval_ms <= 0)
            fb_engine_poll(e);

        /* Decide. */
        pthread_mutex_lock(&e->lock);
        rc = decide(e, p, pstate, &t, &c, &waited);
        if (rc != FB_PICK_OK) {
            pthread_mutex_unlock(&e->lock);
            no_node(e, out, rc, t0);
            rc = rc == FB_ENOMEM ? FB_ENOMEM : 0;
            break;
        }
        fb_cluster_load(e->cl, c.nd->idx, &out->cpu_pct, &out->ram_pct);
        path->name(e, &c);
        pthread_mutex_unlock(&e->lock);

        /* Execute. */
        if (path->before != NULL)
            path->before(e, &c);
        if (e->ka != NULL)
            out->room_ms += waited + c.room_ms;
        t1 = fb_mono_ms();
        path->attempt(e, &c, t1, &a);

        /* Report back. */
        struct fb_attempt_end end = {.failed = a.rc < 0,
                                     .node_failed = eng_node_failure(a.rc),
                                     .image_pulled = a.image_pulled,
                                     .run_ms = a.t_run - a.t_pull};
        pthread_mutex_lock(&e->lock);
        fb_cluster_release(e->cl, &t, eng_now_s(e), &end);
        eng_ka_wake(e);
        pthread_mutex_unlock(&e->lock);
        if (path->after != NULL)
            path->after(e, &c, &a);
        pthread_mutex_lock(&e->lock);
        c.nd->busy[c.k] = false;
        if (end.node_failed)
            eng_mark_down_locked(e, c.nd, a.error);
        fb_cluster_finish(e->cl, p, pstate, &t, eng_now_s(e), &end);
        pthread_cond_broadcast(&e->changed);
        pthread_mutex_unlock(&e->lock);

        fill(e, &c, &a, t0, t1, out);
        if (!end.node_failed || out->attempts > e->o.retries || !fb_cluster_retry(&t))
            break;
        /* The node failed, not the function: try another node. */
        append_word(out->failed_nodes, sizeof(out->failed_nodes), c.nd->cfg->name);
        snprintf(out->retry_error, sizeof(out->retry_error), "%s", a.error);
    }
    free(wcmd);
    free(wargs);
    return rc;
}
