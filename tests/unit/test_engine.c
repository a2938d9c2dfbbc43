/* test_engine.c - the engine on local nodes with harmless steps: selection,
 * warming, the three modes, retry on a failing node, mark down, revive, teardown. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "local_runtime.h"
#include "policies/policy.h"

#define N_NODES 3

struct fixture {
    struct lrt rt;
    struct fb_node_cfg nodes[N_NODES];
    struct fb_function_cfg fn;
    struct fb_engine_opts o;
    struct fb_engine *e;
    const struct fb_policy *p;
    void *pstate;
    /* what the engine logged */
    pthread_mutex_t log_lock;
    char log[4096];
};

static void capture(void *ctx, const char *msg)
{
    struct fixture *fx = ctx;
    pthread_mutex_lock(&fx->log_lock);
    size_t len = strlen(fx->log);
    snprintf(fx->log + len, sizeof(fx->log) - len, "%s\n", msg);
    pthread_mutex_unlock(&fx->log_lock);
}

static const char *const node_names[N_NODES] = {"n1", "n2", "n3"};

/* An engine over N_NODES local nodes with function "f", round-robin. */
static void setup(struct fixture *fx, const char *command)
{
    memset(fx, 0, sizeof(*fx));
    pthread_mutex_init(&fx->log_lock, NULL);
    lrt_init(&fx->rt);
    for (int s = 0; s < FB_STEP_N; s++)
        fx->o.steps[s] = fx->rt.steps[s];
    fx->o.metrics_format = FB_METRICS_NONE;
    fx->o.ram_threshold = 90;
    fx->o.command_timeout_ms = 400;
    fx->o.connect_timeout_ms = 1000;
    fx->o.slots = 1;
    fx->o.warm_nodes = 1;
    fx->o.retries = 1;
    fx->o.log = capture;
    fx->o.log_ctx = fx;
    for (int i = 0; i < N_NODES; i++) {
        fx->nodes[i].name = (char *)node_names[i];
        fx->nodes[i].transport = FB_TRANSPORT_LOCAL;
    }
    fx->fn.name = "f";
    fx->fn.image = "registry.test/fb/f:1";
    fx->fn.command = (char *)command;
    fx->fn.network = true;
    fx->fn.weight = 1;
    fx->p = fb_policy_find("round-robin");
    ck_assert_ptr_nonnull(fx->p);
}

/* Creates the engine from fx->o with every node added. */
static void start(struct fixture *fx)
{
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(fb_engine_new(&fx->o, &fx->e), 0);
    for (int i = 0; i < N_NODES; i++)
        ck_assert_int_eq(fb_engine_add_node(fx->e, &fx->nodes[i], &eb), i);
    ck_assert_int_eq(fb_engine_add_function(fx->e, &fx->fn), 0);
    ck_assert_int_eq(fx->p->ops.init(&fx->pstate, 1, NULL), 0);
}

static void teardown(struct fixture *fx)
{
    fb_engine_free(fx->e);
    fx->p->ops.free(fx->pstate);
    lrt_free(&fx->rt);
    pthread_mutex_destroy(&fx->log_lock);
}

/* Phases add up to the latency, and latency + cleanup to the total. */
static void check_phases(const struct fb_outcome *o)
{
    ck_assert(fabs(o->select_ms + o->pull_ms + o->run_ms - o->latency_ms) < 1.0);
    ck_assert(fabs(o->latency_ms + o->cleanup_ms - o->total_ms) < 1.0);
    ck_assert(o->select_ms >= 0 && o->pull_ms >= 0 && o->run_ms >= 0 && o->cleanup_ms >= 0);
}

START_TEST(cold_cell)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "true");
    start(&fx);
    fb_engine_reset(fx.e);
    ck_assert_int_eq(lrt_count(&fx.rt, "reset "), N_NODES);
    /* Nothing prepared: each invocation pulls, runs and removes the image,
     * and round-robin spreads them. */
    for (int k = 0; k < N_NODES; k++) {
        ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
        ck_assert_str_eq(o.error, "");
        ck_assert_int_eq(o.mode, FB_WARM_COLD);
        ck_assert_int_eq(o.node, k);
        ck_assert_str_eq(o.node_name, node_names[k]);
        ck_assert_int_eq(o.exit_status, 0);
        ck_assert_int_eq(o.attempts, 1);
        ck_assert(o.pull_ms > 0 && o.cleanup_ms > 0);
        check_phases(&o);
        ck_assert_int_eq(lrt_count(&fx.rt, "pull %s registry.test/fb/f:1", node_names[k]), 1);
        ck_assert_int_eq(lrt_count(&fx.rt, "run %s faasbench-f-", node_names[k]), 1);
        ck_assert_int_eq(lrt_count(&fx.rt, "rmi %s registry.test/fb/f:1", node_names[k]), 1);
    }
    ck_assert_int_eq(fb_engine_max_inflight(fx.e), 1);
    teardown(&fx);
}
END_TEST

START_TEST(prewarmed_cell)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;

    setup(&fx, "true");
    start(&fx);
    /* One node gets the image; every invocation then runs there, no pull. */
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_PREWARMED, &eb), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "start "), 0);
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
        ck_assert_str_eq(o.error, "");
        ck_assert_int_eq(o.mode, FB_WARM_PREWARMED);
        ck_assert_str_eq(o.node_name, "n1");
        ck_assert(o.pull_ms == 0 && o.cleanup_ms == 0);
        check_phases(&o);
    }
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "run n1 faasbench-f-"), 4);
    ck_assert_int_eq(lrt_count(&fx.rt, "rmi "), 0);
    teardown(&fx);
}
END_TEST

START_TEST(warm_cell)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;

    setup(&fx, "true");
    fx.o.warm_nodes = 2;
    start(&fx);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), 2);
    ck_assert_int_eq(lrt_count(&fx.rt, "start n1 faasbench-warm-f-"), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "start n2 faasbench-warm-f-"), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "start n3 "), 0);
    /* Invocations go to the warm containers only, by round-robin among them. */
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
        ck_assert_str_eq(o.error, "");
        ck_assert_int_eq(o.mode, FB_WARM_WARMED);
        ck_assert(o.node == 0 || o.node == 1);
        check_phases(&o);
    }
    ck_assert_int_eq(lrt_count(&fx.rt, "exec n1 faasbench-warm-f-"), 2);
    ck_assert_int_eq(lrt_count(&fx.rt, "exec n2 faasbench-warm-f-"), 2);
    ck_assert_int_eq(lrt_count(&fx.rt, "run "), 0);
    /* Teardown removes exactly the warm containers. */
    fb_engine_teardown(fx.e);
    ck_assert_int_eq(lrt_count(&fx.rt, "rm n1 faasbench-warm-f-"), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "rm n2 faasbench-warm-f-"), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "rm "), 2);
    /* With nothing warm left, the next invocation is cold. */
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_int_ne(o.mode, FB_WARM_WARMED);
    teardown(&fx);
}
END_TEST

START_TEST(function_failure_is_not_a_node_failure)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "false");
    start(&fx);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_int_eq(o.exit_status, 1);
    ck_assert_ptr_nonnull(strstr(o.error, "run on n1: exit 1"));
    ck_assert_int_eq(o.attempts, 1);
    ck_assert(!fb_engine_node_down(fx.e, 0, NULL));
    /* The image is still removed after a failed cold run. */
    ck_assert_int_eq(lrt_count(&fx.rt, "rmi n1 "), 1);
    teardown(&fx);
}
END_TEST

/* What a node or container prints reaches the operator's terminal only with
 * its control characters escaped: no colours, no window title. */
START_TEST(node_output_cannot_command_the_terminal)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "sh -c 'printf \"\\033[32mall cells passed\\033]0;owned\\007\\302\\233\\n\" >&2; exit 1'");
    start(&fx);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_msg(strstr(o.error, "\\x1b[32mall cells passed\\x1b]0;owned\\x07\\xc2\\x9b") != NULL,
                  "%s", o.error);
    for (const char *c = o.error; *c != '\0'; c++)
        ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "raw control byte 0x%02x in %s",
                      (unsigned char)*c, o.error);
    teardown(&fx);
}
END_TEST

START_TEST(node_failure_mid_cell_retries_elsewhere)
{
    struct fixture fx;
    struct fb_outcome o;
    const char *why = NULL;

    setup(&fx, "true");
    start(&fx);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_str_eq(o.node_name, "n1");
    /* n2 stops answering: its step runs past the command timeout. */
    lrt_mark(&fx.rt, "n2.dead", true);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_str_eq(o.error, "");
    ck_assert_int_eq(o.attempts, 2);
    ck_assert_str_eq(o.failed_nodes, "n2");
    ck_assert_ptr_nonnull(strstr(o.retry_error, "timed out"));
    ck_assert_str_ne(o.node_name, "n2");
    ck_assert(o.latency_ms >= fx.o.command_timeout_ms); /* the failed attempt counts */
    const char *why_down = NULL;
    ck_assert(fb_engine_node_down(fx.e, 1, &why_down));
    ck_assert_ptr_nonnull(strstr(why_down, "timed out"));
    ck_assert_ptr_nonnull(strstr(fx.log, "node n2 marked down"));
    /* A node marked down gets no more work. */
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
        ck_assert_str_ne(o.node_name, "n2");
        ck_assert_int_eq(o.attempts, 1);
    }
    /* The next reset tries it again; it is back once it answers. */
    lrt_mark(&fx.rt, "n2.dead", false);
    fb_engine_reset(fx.e);
    ck_assert(!fb_engine_node_down(fx.e, 1, &why));
    ck_assert_ptr_nonnull(strstr(fx.log, "node n2 is back"));
    teardown(&fx);
}
END_TEST

START_TEST(no_retry_left)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "true");
    fx.o.retries = 0;
    start(&fx);
    lrt_mark(&fx.rt, "n1.dead", true);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_int_eq(o.attempts, 1);
    ck_assert_str_eq(o.node_name, "n1");
    ck_assert_ptr_nonnull(strstr(o.error, "timed out"));
    ck_assert(fb_engine_node_down(fx.e, 0, NULL));
    teardown(&fx);
}
END_TEST

START_TEST(every_node_down)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "true");
    fx.o.retries = 5;
    start(&fx);
    for (int i = 0; i < N_NODES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s.dead", node_names[i]);
        lrt_mark(&fx.rt, name, true);
    }
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    /* Each node failed once; then nothing was left. */
    ck_assert_int_eq(o.attempts, N_NODES + 1);
    ck_assert_int_eq(o.node, -1);
    ck_assert_ptr_null(o.node_name);
    ck_assert_str_eq(o.failed_nodes, "n1 n2 n3");
    ck_assert_ptr_nonnull(strstr(o.retry_error, "timed out"));
    teardown(&fx);
}
END_TEST

START_TEST(ram_threshold_leaves_no_node)
{
    struct fixture fx;
    struct fb_outcome o;

    setup(&fx, "true");
    fx.o.metrics_format = FB_METRICS_TESTBED;
    fx.o.metrics_command = "echo '{\"cpu_usage\": 12.5, \"ram_usage\": 95}'";
    start(&fx);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_int_eq(o.node, -1);
    ck_assert_ptr_nonnull(strstr(o.error, "no eligible node"));
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), 0);
    teardown(&fx);
}
END_TEST

static void count_poll(void *ctx, const struct fb_node_sample *s)
{
    struct fixture *fx = ctx;
    char line[128];
    snprintf(line, sizeof(line), "polled %s up=%d", s->name, s->up);
    capture(fx, line);
}

/* A node whose metrics do not come within metrics_timeout_ms is marked
 * down then, not at the (long) command timeout: the poll of every node
 * waits for it. Each poll is told to the polled hook. */
START_TEST(metrics_poll_has_its_own_timeout)
{
    struct fixture fx;
    struct fb_outcome o;
    struct timespec t0, t1;

    setup(&fx, "true");
    fx.o.command_timeout_ms = 8000;
    fx.o.metrics_timeout_ms = 300;
    fx.o.metrics_format = FB_METRICS_TESTBED;
    fx.o.metrics_command = "sleep 3; echo '{\"cpu_usage\": 1, \"ram_usage\": 1}'";
    fx.o.polled = count_poll;
    fx.o.polled_ctx = &fx;
    start(&fx);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(o.node, -1);
    ck_assert_ptr_nonnull(strstr(o.error, "no eligible node"));
    ck_assert_double_lt((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, 2.5);
    for (int i = 0; i < N_NODES; i++) {
        char want[64];
        snprintf(want, sizeof(want), "polled %s up=0", node_names[i]);
        ck_assert_msg(strstr(fx.log, want) != NULL, "%s", fx.log);
        snprintf(want, sizeof(want), "node %s marked down: metrics: ", node_names[i]);
        ck_assert_msg(strstr(fx.log, want) != NULL, "%s", fx.log);
    }
    teardown(&fx);
}
END_TEST

START_TEST(prepare_reports_the_step_error)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    struct fb_outcome o;

    setup(&fx, "true");
    fx.o.warm_nodes = 0; /* all */
    start(&fx);
    for (int i = 0; i < N_NODES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s.fail-start", node_names[i]);
        lrt_mark(&fx.rt, name, true);
    }
    /* A start that exits 1 everywhere: FB_EEXIT, and nothing is warm. */
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb),
                     FB_EEXIT);
    ck_assert_ptr_nonnull(strstr(eb.msg, "start on n"));
    ck_assert_int_eq(fb_engine_invoke(fx.e, fx.p, fx.pstate, 0, &o), 0);
    ck_assert_int_eq(o.mode, FB_WARM_PREWARMED); /* the pulls did happen */
    /* A node that times out: the transport's code, and the node is down. */
    fb_engine_reset(fx.e);
    for (int i = 0; i < N_NODES; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s.dead", node_names[i]);
        lrt_mark(&fx.rt, name, true);
    }
    memset(&eb, 0, sizeof(eb));
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_PREWARMED, &eb),
                     FB_ETIMEDOUT);
    ck_assert(fb_engine_node_down(fx.e, 0, NULL));
    teardown(&fx);
}
END_TEST

START_TEST(stop_flag_ends_preparation)
{
    struct fixture fx;
    struct fb_errbuf eb = {{0}};
    volatile sig_atomic_t stop = 1;

    setup(&fx, "true");
    fx.o.warm_nodes = 0;
    fx.o.stop = &stop;
    start(&fx);
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb),
                     FB_ENONODE);
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), 0);
    stop = 0;
    ck_assert_int_eq(fb_engine_prepare(fx.e, fx.p, fx.pstate, 0, FB_WARM_WARMED, &eb), N_NODES);
    teardown(&fx);
}
END_TEST

/* Several invocations at once: sessions per node bound what runs there, and
 * a second cold start of the function on a node waits for the first. */
struct par {
    struct fixture *fx;
    int rc;
    struct fb_outcome o;
};

static void *par_invoke(void *arg)
{
    struct par *p = arg;
    p->rc = fb_engine_invoke(p->fx->e, p->fx->p, p->fx->pstate, 0, &p->o);
    return NULL;
}

START_TEST(concurrent_invocations_respect_slots)
{
    struct fixture fx;
    struct par p[8];
    pthread_t t[8];

    setup(&fx, "sleep 0.05");
    fx.o.slots = 2;
    start(&fx);
    for (int i = 0; i < 8; i++) {
        p[i] = (struct par){.fx = &fx};
        ck_assert_int_eq(pthread_create(&t[i], NULL, par_invoke, &p[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(p[i].rc, 0);
        ck_assert_str_eq(p[i].o.error, "");
        check_phases(&p[i].o);
    }
    /* One cold start of f per node at a time: never 2 in flight on a node. */
    ck_assert_int_eq(fb_engine_max_inflight(fx.e), 1);
    ck_assert_int_eq(lrt_count(&fx.rt, "run "), 8);
    teardown(&fx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("local nodes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, cold_cell);
    tcase_add_test(tc, prewarmed_cell);
    tcase_add_test(tc, warm_cell);
    tcase_add_test(tc, function_failure_is_not_a_node_failure);
    tcase_add_test(tc, node_output_cannot_command_the_terminal);
    tcase_add_test(tc, node_failure_mid_cell_retries_elsewhere);
    tcase_add_test(tc, no_retry_left);
    tcase_add_test(tc, every_node_down);
    tcase_add_test(tc, ram_threshold_leaves_no_node);
    tcase_add_test(tc, metrics_poll_has_its_own_timeout);
    tcase_add_test(tc, prepare_reports_the_step_error);
    tcase_add_test(tc, stop_flag_ends_preparation);
    tcase_add_test(tc, concurrent_invocations_respect_slots);
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
