/* fault.c - faults on a node (docs/faults.md): kill-instances through the
 * runtime's kill step and the decision core, which loses the node's
 * instances; down, partition and slow through the node's fault tool
 * (the fault and unfault steps), which arms each fault's end on the node
 * before it begins. A node a fault had cut off is up again when the
 * fault ends. Each node's faults go over a session of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_priv.h"

/* nd's fault session, opened at its first use. */
static int fault_conn(struct fb_engine *e, struct enode *nd, struct fb_fault_done *d)
{
    struct fb_errbuf eb = {{0}};
    int rc;

    if (nd->fconn != NULL)
        return 0;
    if ((rc = fb_conn_open(nd->cfg, e->o.connect_timeout_ms, &nd->fconn, &eb)) < 0)
        snprintf(d->error, sizeof(d->error), "%s", eb.msg);
    return rc;
}

/* Runs step s with v on nd's fault session: 0 and the first line of its
 * output in line, or the code with d->error set. A session that broke is
 * dropped: the next fault opens another. */
static int fault_step(struct fb_engine *e, struct enode *nd, enum fb_step s,
                      const struct fb_tvars *v, char *line, size_t n, struct fb_fault_done *d)
{
    struct fb_errbuf eb = {{0}};
    struct fb_exec_result res = {0};
    char *cmd = NULL;
    int rc;

    line[0] = '\0';
    if ((rc = fault_conn(e, nd, d)) < 0)
        return rc;
    if ((rc = fb_template_expand(e->o.steps[s], v, &cmd, &eb)) < 0) {
        snprintf(d->error, sizeof(d->error), "%s: %s", fb_step_name(s), eb.msg);
        return rc;
    }
    rc = fb_conn_exec(nd->fconn, cmd, e->o.command_timeout_ms, &res, &eb);
    if (rc < 0) {
        snprintf(d->error, sizeof(d->error), "%s on %s: %s", fb_step_name(s), nd->cfg->name,
                 eb.msg[0] ? eb.msg : fb_strerror(rc));
        if (eng_node_failure(rc)) {
            fb_conn_close(nd->fconn);
            nd->fconn = NULL;
        }
    } else if (res.exit_status != 0) {
        char last[300];
        fb_last_line(res.err != NULL ? res.err : "", last, sizeof(last));
        snprintf(d->error, sizeof(d->error), "%s on %s: exit %d: %s", fb_step_name(s),
                 nd->cfg->name, res.exit_status, last);
        rc = FB_EEXIT;
    } else if (res.out != NULL) {
        size_t len = strcspn(res.out, "\n");
        snprintf(line, n, "%.*s", (int)(len < n ? len : n - 1), res.out);
    }
    fb_exec_result_free(&res);
    free(cmd);
    return rc;
}

/* kill-instances: the containers die first, as in a crash: a call under
 * way on one fails on its own and its instance goes with it (evict-failed).
 * Then the core hears what the runtime saw: every instance it still holds
 * there is lost (d->lost counts them), and the remains of the idle ones
 * are removed. */
static int kill_instances(struct fb_engine *e, struct enode *nd, struct fb_fault_done *d)
{
    struct fb_tvars v = {.node = nd->cfg->name};
    char line[128], why[FB_ERRMSG_LEN];
    char *end;

    d->begin_ms = fb_unix_ms();
    int rc = fault_step(e, nd, FB_STEP_KILL, &v, line, sizeof(line), d);
    if (rc < 0)
        return rc;
    long killed = strtol(line, &end, 10);
    if (end != line && killed >= 0)
        d->killed = killed;
    pthread_mutex_lock(&e->lock);
    d->lost = fb_cluster_instances(e->cl, nd->idx, NULL, NULL);
    for (int f = 0; !fb_cluster_keepalive(e->cl) && f < e->n_fns; f++)
        d->lost += fb_cluster_has_warm(e->cl, nd->idx, f);
    struct fb_inst *gone = fb_cluster_node_lost(e->cl, nd->idx, eng_now_s(e));
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
    while (gone != NULL) {
        struct fb_inst *in = gone;
        char cname[96];
        gone = in->next;
        eng_ka_name(e, in, cname, sizeof(cname));
        if (eng_resident_remove_on(e, nd, nd->fconn, in->ka.function, cname, why,
                                   sizeof(why)) < 0)
            eng_log(e, "%s", why);
        fb_cluster_inst_free(in);
    }
    return rc;
}

int fb_engine_fault_begin(struct fb_engine *e, int i, const struct fb_fault_do *f,
                          struct fb_fault_done *d)
{
    char secs[32], frac[32], line[256], id[128];
    long long applied;

    memset(d, 0, sizeof(*d));
    d->killed = -1;
    if (i < 0 || i >= e->n_nodes) {
        snprintf(d->error, sizeof(d->error), "no node %d", i);
        return FB_EINVAL;
    }
    struct enode *nd = e->nodes[i];
    if (f->action == FB_FAULT_KILL)
        return kill_instances(e, nd, d);
    snprintf(secs, sizeof(secs), "%.3f", f->seconds > 0 ? f->seconds : 0.001);
    snprintf(frac, sizeof(frac), "%.4f", f->action == FB_FAULT_SLOW ? f->fraction : 1.0);
    struct fb_tvars v = {.node = nd->cfg->name,
                         .fault = f->id,
                         .action = fb_fault_action_name(f->action),
                         .seconds = secs,
                         .fraction = frac};
    int rc = fault_step(e, nd, FB_STEP_FAULT, &v, line, sizeof(line), d);
    /* "applied ID APPLIED_MS DEADLINE_MS": the node's own time of it. */
    if (rc == 0 && sscanf(line, "applied %127s %lld", id, &applied) == 2 && applied > 0)
        d->begin_ms = (int64_t)applied;
    else
        d->begin_ms = fb_unix_ms();
    return rc;
}

/* nd is up again (under no lock): it answered, and only lost its network. */
static void back_up(struct fb_engine *e, struct enode *nd, const char *why)
{
    pthread_mutex_lock(&e->lock);
    if (fb_cluster_down(e->cl, nd->idx)) {
        eng_log(e, "node %s is back (%s)", nd->cfg->name, why);
        fb_cluster_set_down(e->cl, nd->idx, false);
        nd->down_reason[0] = '\0';
        nd->have_prev = false;
        pthread_cond_broadcast(&e->changed);
    }
    pthread_mutex_unlock(&e->lock);
}

bool fb_engine_fault_revive(struct fb_engine *e, int i)
{
    struct fb_fault_done d = {0};
    struct fb_exec_result res = {0};
    struct fb_errbuf eb = {{0}};

    if (i < 0 || i >= e->n_nodes)
        return false;
    struct enode *nd = e->nodes[i];
    pthread_mutex_lock(&e->lock);
    bool down = fb_cluster_down(e->cl, i);
    pthread_mutex_unlock(&e->lock);
    if (!down)
        return true;
    if (fault_conn(e, nd, &d) < 0)
        return false;
    int rc = fb_conn_exec(nd->fconn, "true", e->o.connect_timeout_ms, &res, &eb);
    bool ok = rc == 0 && res.exit_status == 0;
    fb_exec_result_free(&res);
    if (rc < 0 && eng_node_failure(rc)) {
        fb_conn_close(nd->fconn);
        nd->fconn = NULL;
    }
    if (ok)
        back_up(e, nd, "answers again after its fault");
    return ok;
}

int fb_engine_fault_end(struct fb_engine *e, int i, const struct fb_fault_do *f,
                        struct fb_fault_done *d)
{
    char line[256], id[128], by[32];
    long long applied, reverted;

    memset(d, 0, sizeof(*d));
    d->killed = -1;
    if (i < 0 || i >= e->n_nodes) {
        snprintf(d->error, sizeof(d->error), "no node %d", i);
        return FB_EINVAL;
    }
    struct enode *nd = e->nodes[i];
    if (f->action == FB_FAULT_KILL) {
        d->end_ms = fb_unix_ms();
        snprintf(d->by, sizeof(d->by), "faasbench");
        return 0;
    }
    struct fb_tvars v = {.node = nd->cfg->name, .fault = f->id};
    int rc = fault_step(e, nd, FB_STEP_UNFAULT, &v, line, sizeof(line), d);
    if (rc < 0)
        return rc;
    /* "reverted ID APPLIED_MS REVERTED_MS BY" */
    if (sscanf(line, "reverted %127s %lld %lld %31s", id, &applied, &reverted, by) == 4 &&
        reverted > 0) {
        d->begin_ms = applied > 0 ? (int64_t)applied : 0;
        d->end_ms = (int64_t)reverted;
        snprintf(d->by, sizeof(d->by), "%s", by);
    } else {
        d->end_ms = fb_unix_ms();
        snprintf(d->by, sizeof(d->by), "faasbench");
    }
    if (f->action == FB_FAULT_DOWN || f->action == FB_FAULT_PARTITION) {
        /* The node only lost its network: what it held is still there. */
        char why[160];
        snprintf(why, sizeof(why), "fault %s ended", f->id);
        back_up(e, nd, why);
    }
    return 0;
}
