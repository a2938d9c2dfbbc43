/* exec.c - the exec-based path of an invocation: the older testbed's steps,
 * `docker run` for a cold or pre-warmed call (a cold one pulls first and
 * removes the image after), `docker exec` in the warm container. */
#include <stdio.h>

#include "engine/engine_priv.h"

/* The steps of the call's mode on its session. Fills the phase times and
 * returns the first step's error code (0 on success) in a->rc. */
static void exec_attempt(struct fb_engine *e, struct call *cl, double t_start, struct attempt *a)
{
    const struct fb_function_cfg *fn = e->fns[cl->f];
    struct enode *nd = cl->nd;
    struct fb_conn *c = nd->conns[cl->k];
    enum fb_warming mode = cl->t->mode;
    struct fb_tvars v = {.image = fn->image, .container = cl->cname, .command = a->command,
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

const struct eng_path eng_exec_path = {
    .name = eng_call_name,
    .attempt = exec_attempt,
};
