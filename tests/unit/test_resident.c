/* test_resident.c - resident instances through the engine on local nodes: the
 * node helper's runtime and nodes/images/runtime.py run as host processes in
 * place of containers, reached with `faasbench-node call` as on a node. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "local_runtime.h"
#include "policies/policy.h"

#define RUNTIME_PY FB_TEST_DATA "/../../nodes/images/runtime.py"
#define HANDLERS FB_TEST_DATA "/handlers"

struct fixture {
    struct lrt rt;
    struct fb_node_cfg nodes[2];
    struct fb_function_cfg fn;
    struct fb_engine_opts o;
    struct fb_engine *e;
    const struct fb_policy *p;
    void *pstate;
    char root[300];
    char *start, *remove;
};

/* The instance's runtime as a background host process that records its pid
 * in its folder; removal kills it. handler NULL: the helper's runtime
 * serving the function's command. */
static void setup(struct fixture *fx, const char *handler, const char *command)
{
    memset(fx, 0, sizeof(*fx));
    lrt_init(&fx->rt);
    snprintf(fx->root, sizeof(fx->root), "%s/inst", fx->rt.dir);
    if (handler != NULL)
        fx->start = fb_strf("echo start_instance {node} {container} >>%s/log; faasbench-node "
                            "folder {instance_dir} >/dev/null && cd %s && (python3 %s "
                            "{instance_dir} %s </dev/null >/dev/null 2>&1 & echo $! "
                            ">{instance_dir}/pid)",
                            fx->rt.dir, HANDLERS, RUNTIME_PY, handler);
    else
        fx->start = fb_strf("echo start_instance {node} {container} >>%s/log; faasbench-node "
                            "folder {instance_dir} >/dev/null && (faasbench-node runtime "
                            "{instance_dir} -- {command} </dev/null >/dev/null 2>&1 & echo $! "
                            ">{instance_dir}/pid)",
                            fx->rt.dir);
    fx->remove = fb_strf("echo remove_instance {node} {container} >>%s/log; "
                         "kill -9 $(cat {instance_dir}/pid) 2>/dev/null; rm -rf {instance_dir}",
                         fx->rt.dir);
    lrt_resident_opts(&fx->rt, &fx->o, fx->root, fx->start, fx->remove);
    for (int i = 0; i < 2; i++) {
        fx->nodes[i].name = i == 0 ? "n1" : "n2";
        fx->nodes[i].transport = FB_TRANSPORT_LOCAL;
    }
    fx->fn.name = "f";
    fx->fn.image = "registry.test/fb/f:1";
    fx->fn.command = (char *)command;
    fx->fn.handler = (char *)handler;
    fx->fn.resident = true;
    fx->fn.network = true;
    fx->fn.weight = 1;
    fx->fn.memory_mb = 128;
    fx->p = fb_policy_find("round-robin");
}

static void start(struct fixture *fx)
{
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(fb_engine_new(&fx->o, &fx->e), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(fb_engine_add_node(fx->e, &fx->nodes[i], &eb), i);
    ck_assert_int_eq(fb_engine_add_function(fx->e, &fx->fn), 0);
    ck_assert_int_eq(fx->p->ops.init(&fx->pstate, 1, NULL), 0);
}

static void teardown(struct fixture *fx)
{
    fb_engine_teardown(fx->e);
    fb_engine_free(fx->e);
    fx->p->ops.free(fx->pstate);
    /* Nothing of any instance is left. */
    char *cmd = fb_strf("test -z \"$(find %s -mindepth 2 2>/dev/null)\"", fx->root);
    ck_assert_msg(system(cmd) == 0, "instance folders are left in %s", fx->root);
    free(cmd);
    lrt_free(&fx->rt);
    free(fx->start);
    free(fx->remove);
}

/* The resident phases partition run_ms; init lies within ready. */
static void check_phases(const struct fb_outcome *o)
{
    ck_assert(fabs(o->create_ms + o->ready_ms + o->invoke_ms - o->run_ms) < 1.0);
    ck_assert(fabs(o->select_ms + o->pull_ms + o->run_ms - o->latency_ms) < 1.0);
    ck_assert(fabs(o->latency_ms + o->cleanup_ms - o->total_ms) < 1.0);
    ck_assert(o->init_ms <= o->create_ms + o->ready_ms + 0.5);
    ck_assert(o->handler_ms <= o->invoke_ms + 0.5);
}

static void invoke(struct fixture *fx, struct fb_outcome *o)
{
    ck_assert_int_eq(fb_engine_invoke(fx->e, fx->p, fx->pstate, 0, o), 0);
}

START_TEST(warm_calls_reach_the_same_process)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;
    int pid = 0;

    setup(&fx, "handlers:echo", NULL);
    fx.fn.args = "a b";
    start(&fx);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "start_instance n1 faasbench-warm-f-"), 1);
    for (long k = 1; k <= 3; k++) {
        invoke(&fx, &o);
        ck_assert_msg(o.error[0] == '\0', "%s", o.error);
        ck_assert_int_eq(o.mode, FB_WARM_WARMED);
        ck_assert_str_eq(o.node_name, "n1");
        ck_assert_int_eq(o.runtime_count, k); /* the counter of one process */
        if (k == 1)
            pid = o.runtime_pid;
        ck_assert_int_eq(o.runtime_pid, pid);
        ck_assert(o.create_ms == 0 && o.ready_ms == 0 && o.init_ms == 0 && o.pull_ms == 0);
        ck_assert(o.invoke_ms > 0 && o.handler_ms >= 0);
        ck_assert_int_eq(o.exit_status, 0);
        check_phases(&o);
    }
    ck_assert_int_gt(pid, 0);
    /* No new instance for warm calls. */
    ck_assert_int_eq(lrt_count(&fx.rt, "start_instance "), 1);
    teardown(&fx);
}
END_TEST

START_TEST(cold_and_prewarmed_start_a_process_each)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;
    int pids[4] = {0};

    setup(&fx, NULL, "echo hi");
    start(&fx);
    for (int k = 0; k < 2; k++) {
        invoke(&fx, &o);
        ck_assert_msg(o.error[0] == '\0', "%s", o.error);
        ck_assert_int_eq(o.mode, FB_WARM_COLD);
        ck_assert_int_eq(o.runtime_count, 1);
        ck_assert(o.pull_ms > 0 && o.create_ms > 0 && o.ready_ms > 0 && o.invoke_ms > 0);
        ck_assert(!isnan(o.init_ms) && o.init_ms >= 0);
        ck_assert(o.cleanup_ms > 0);
        check_phases(&o);
        pids[k] = o.runtime_pid;
    }
    ck_assert_int_ne(pids[0], pids[1]);
    ck_assert_int_eq(lrt_count(&fx.rt, "remove_instance "), 2);
    ck_assert_int_eq(lrt_count(&fx.rt, "rmi "), 2);
    /* Pre-warmed: the image is there, each invocation starts its instance. */
    fb_engine_reset(fx.e);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_PREWARMED, &eb), 1);
    for (int k = 2; k < 4; k++) {
        invoke(&fx, &o);
        ck_assert_msg(o.error[0] == '\0', "%s", o.error);
        ck_assert_int_eq(o.mode, FB_WARM_PREWARMED);
        ck_assert(o.pull_ms == 0 && o.create_ms > 0 && o.invoke_ms > 0);
        ck_assert_int_eq(o.runtime_count, 1);
        check_phases(&o);
        pids[k] = o.runtime_pid;
    }
    ck_assert_int_ne(pids[2], pids[3]);
    ck_assert_int_eq(lrt_count(&fx.rt, "remove_instance "), 4);
    teardown(&fx);
}
END_TEST

/* A warm instance whose call failed is replaced: the next call is served
 * by a new process (count 1), never by the broken one. */
static void check_replaced(const char *handler, const char *error_part, int timeout_ms)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;

    setup(&fx, handler, NULL);
    fx.fn.timeout_ms = timeout_ms;
    start(&fx);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), 1);
    invoke(&fx, &o);
    ck_assert_msg(strstr(o.error, error_part) != NULL, "%s: %s", handler, o.error);
    ck_assert_int_eq(o.attempts, 1); /* the function failed, not the node */
    ck_assert(!fb_engine_node_down(fx.e, 0, NULL));
    int first = o.runtime_pid;
    ck_assert_int_eq(lrt_count(&fx.rt, "remove_instance n1 "), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "start_instance n1 "), 2);
    /* The replacement answers; its handler fails the same way, but it is a
     * new process that served one call. */
    invoke(&fx, &o);
    ck_assert_int_eq(o.mode, FB_WARM_WARMED);
    if (o.runtime_pid != 0) {
        ck_assert_int_eq(o.runtime_count, 1);
        ck_assert_int_ne(o.runtime_pid, first);
    }
    teardown(&fx);
}

START_TEST(a_raising_handler_is_replaced)
{
    check_replaced("handlers:fails", "the handler failed with status 1: ValueError: bad input", 0);
}
END_TEST

START_TEST(an_exiting_handler_is_replaced)
{
    check_replaced("handlers:quits", "the handler failed with status 3", 0);
}
END_TEST

START_TEST(an_exit_past_255_is_a_status)
{
    check_replaced("handlers:exits300", "the handler failed with status 44", 0);
}
END_TEST

/* A runtime's own figures are bounded by the harness's: a handler time
 * longer than the invoke phase around it, or a start-up longer than create
 * and ready, is left empty, and the invocation is not failed for it. */
START_TEST(runtime_figures_past_the_harness_are_left_empty)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;

    setup(&fx, NULL, "true");
    free(fx.start);
    fx.start = fb_strf("echo start_instance {node} {container} >>%s/log; faasbench-node folder "
                       "{instance_dir} >/dev/null && (python3 %s/liar.py {instance_dir} "
                       "</dev/null >/dev/null 2>&1 & echo $! >{instance_dir}/pid)",
                       fx.rt.dir, HANDLERS);
    fx.o.steps[FB_STEP_START_INSTANCE] = fx.start;
    start(&fx);
    invoke(&fx, &o); /* cold: a start and a call */
    ck_assert_msg(o.error[0] == '\0', "%s", o.error);
    ck_assert_int_eq(o.mode, FB_WARM_COLD);
    ck_assert(o.create_ms > 0 && o.ready_ms > 0 && o.invoke_ms > 0);
    ck_assert_msg(isnan(o.init_ms), "init %g ms within create %g + ready %g", o.init_ms,
                  o.create_ms, o.ready_ms);
    ck_assert_msg(isnan(o.handler_ms), "handler %g ms within invoke %g", o.handler_ms,
                  o.invoke_ms);
    fb_engine_reset(fx.e);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), 1);
    invoke(&fx, &o); /* warm: the call alone */
    ck_assert_msg(o.error[0] == '\0', "%s", o.error);
    ck_assert_int_eq(o.mode, FB_WARM_WARMED);
    ck_assert(o.init_ms == 0 && isnan(o.handler_ms));
    teardown(&fx);
}
END_TEST

START_TEST(a_dying_runtime_is_replaced)
{
    check_replaced("handlers:dies", "the runtime is gone", 0);
}
END_TEST

START_TEST(a_handler_past_its_timeout_is_killed)
{
    check_replaced("handlers:naps", "the handler timed out after 300 ms", 300);
}
END_TEST

START_TEST(a_runtime_that_cannot_load_fails_fast)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};

    setup(&fx, "handlers:missing", NULL);
    start(&fx);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), FB_EEXIT);
    ck_assert_msg(strstr(eb.msg, "cannot load handlers:missing") != NULL, "%s", eb.msg);
    teardown(&fx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("resident");
    TCase *tc = tcase_create("local nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, warm_calls_reach_the_same_process);
    tcase_add_test(tc, cold_and_prewarmed_start_a_process_each);
    tcase_add_test(tc, a_raising_handler_is_replaced);
    tcase_add_test(tc, an_exiting_handler_is_replaced);
    tcase_add_test(tc, an_exit_past_255_is_a_status);
    tcase_add_test(tc, runtime_figures_past_the_harness_are_left_empty);
    tcase_add_test(tc, a_dying_runtime_is_replaced);
    tcase_add_test(tc, a_handler_past_its_timeout_is_killed);
    tcase_add_test(tc, a_runtime_that_cannot_load_fails_fast);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
