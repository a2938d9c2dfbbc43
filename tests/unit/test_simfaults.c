/* test_simfaults.c - the simulator under a fault schedule (docs/faults.md): a
 * down window fails the calls running on its node, which are retried
 * elsewhere, and no call goes there until it ends; slow stretches the
 * handlers there by the fraction; kill-instances loses the node's
 * instances and fails the calls running on them; all of it the same for
 * the same seed. Fixed times from tests/data/sim/fixed.model. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/config.h"
#include "experiment/faults.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"
#include "sim/sim.h"

#define DIR FB_TEST_DATA "/sim"
#define MAX_ROWS 2048
#define T0 FB_SIM_EPOCH_MS

struct row {
    int f;
    struct fb_outcome o;
};

struct sink {
    struct row rows[MAX_ROWS];
    int n;
    int64_t began[8], ended[8];
    long lost[8];
    int n_fault_calls;
};

static int record(void *ctx, int f, const struct fb_outcome *o, int64_t intended_ms, bool warmup)
{
    struct sink *s = ctx;
    (void)intended_ms;
    (void)warmup;
    ck_assert_int_lt(s->n, MAX_ROWS);
    s->rows[s->n].f = f;
    s->rows[s->n].o = *o;
    s->n++;
    return 0;
}

static bool no_warmup(void *ctx, bool open_loop, double t_s, int64_t start_ms)
{
    (void)ctx;
    (void)open_loop;
    (void)t_s;
    (void)start_ms;
    return false;
}

static void on_fault(void *ctx, int k, bool end, int64_t unix_ms, long lost)
{
    struct sink *s = ctx;
    if (end) {
        s->ended[k] = unix_ms;
        s->lost[k] = lost;
    } else {
        s->began[k] = unix_ms;
    }
    s->n_fault_calls++;
}

struct simfx {
    struct fb_experiment exp;
    struct fb_schedule sched;
    struct fb_sim *sim;
};

static void fx_setup(struct simfx *fx)
{
    struct fb_errbuf eb = {{0}};
    struct fb_sim_opts so = {.model = DIR "/fixed.model"};

    ck_assert_msg(fb_config_load(DIR "/faults.cfg", &fx->exp, &eb) == 0, "%s", eb.msg);
    ck_assert_int_eq(fb_schedule_make(&fx->exp, &fx->sched), 0);
    ck_assert_msg(fb_sim_new(&fx->exp, &so, &fx->sim, &eb) == 0, "%s", eb.msg);
}

static void fx_teardown(struct simfx *fx)
{
    fb_sim_free(fx->sim);
    fb_schedule_free(&fx->sched);
    fb_experiment_free(&fx->exp);
}

/* One cell of the experiment: pre-warmed (a warming cell) or keep-alive. */
static void run_cell(struct simfx *fx, bool keepalive, struct sink *s, struct fb_ka_outcome *ko)
{
    struct fb_plugspec pspec, kspec;
    const struct fb_policy *p = fb_policy_find_spec("round-robin", &pspec, NULL);
    const struct fb_keepalive *k =
        keepalive ? fb_keepalive_find_spec("ttl:ttl_s=60", &kspec, NULL) : NULL;
    void *pstate = NULL;
    double end_s = 0;

    ck_assert_int_eq(p->ops.init(&pstate, 7, pspec.values), 0);
    memset(s, 0, sizeof(*s));
    struct fb_sim_cell c = {
        .p = p,
        .pstate = pstate,
        .k = k,
        .kparams = k != NULL ? kspec.values : NULL,
        .warming = keepalive ? FB_WARM_KEEPALIVE : FB_WARM_PREWARMED,
        .seed = 7,
        .t0_unix_ms = T0,
        .ctx = s,
        .record = record,
        .warmup = no_warmup,
        .faults = &fx->sched,
        .fault = on_fault,
    };
    ck_assert_int_eq(fb_sim_run_cell(fx->sim, &c, ko, &end_s), 0);
    if (p->ops.free != NULL)
        p->ops.free(pstate);
}

static double at_s(const struct fb_outcome *o)
{
    return (double)(o->start_ms - T0) / 1000.0;
}

START_TEST(a_down_window_sends_calls_elsewhere)
{
    struct simfx fx;
    static struct sink s;
    struct fb_ka_outcome ko;
    int retried = 0, on2_during = 0, on2_after = 0, on2_before = 0;

    fx_setup(&fx);
    run_cell(&fx, false, &s, &ko);
    ck_assert_int_gt(s.n, 200); /* 10 a second for 30 s */
    ck_assert_int_eq(s.began[0], T0 + 5000);
    ck_assert_int_eq(s.ended[0], T0 + 10000);
    for (int i = 0; i < s.n; i++) {
        const struct fb_outcome *o = &s.rows[i].o;
        double t = at_s(o);
        bool on2 = o->node_name != NULL && strcmp(o->node_name, "node2") == 0;
        /* Two nodes up, one retry: every call ends well somewhere (but
         * those the kill at 22 s hits). */
        if (strstr(o->error, "fault f3:kill-instances:node1") != NULL) {
            ck_assert(t <= 22.0 && t + o->latency_ms / 1000.0 >= 22.0 - 1e-9);
            continue;
        }
        ck_assert_msg(o->error[0] == '\0', "call at %.3f s: %s", t, o->error);
        if (o->attempts == 2) {
            /* Running on node2 when it went down: retried on node1. */
            ck_assert_str_eq(o->failed_nodes, "node2");
            ck_assert_str_eq(o->node_name, "node1");
            ck_assert(t < 5.0 && t + o->latency_ms / 1000.0 > 5.0);
            ck_assert_ptr_nonnull(strstr(o->retry_error, "fault f1:down:node2"));
            retried++;
        } else {
            ck_assert_int_eq(o->attempts, 1);
        }
        if (on2 && t >= 5.0 && t < 10.0)
            on2_during++;
        on2_after += on2 && t >= 10.0;
        on2_before += on2 && t < 5.0;
    }
    ck_assert_int_gt(retried, 0);
    ck_assert_int_eq(on2_during, 0);
    ck_assert_int_gt(on2_before, 20);
    ck_assert_int_gt(on2_after, 20);
    fx_teardown(&fx);
}
END_TEST

START_TEST(slow_stretches_the_handlers_by_the_fraction)
{
    struct simfx fx;
    static struct sink s;
    struct fb_ka_outcome ko;
    int slow = 0, normal = 0;

    fx_setup(&fx);
    run_cell(&fx, false, &s, &ko);
    for (int i = 0; i < s.n; i++) {
        const struct fb_outcome *o = &s.rows[i].o;
        double t = at_s(o);
        if (o->node_name == NULL || strcmp(o->node_name, "node2") != 0 || o->attempts != 1)
            continue;
        /* pre-warmed: 300 ms of start, then the 200 ms handler */
        if (t >= 15.0 && t + 0.3 < 20.0 - 0.4) {
            ck_assert_msg(fabs(o->latency_ms - 700.0) < 1e-6, "at %.3f s: %.3f ms", t,
                          o->latency_ms);
            ck_assert(fabs(o->handler_ms - 200.0) < 1e-6); /* drawn: the time it asked */
            slow++;
        } else if (t >= 10.5 && t < 14.4) {
            ck_assert_msg(fabs(o->latency_ms - 500.0) < 1e-6, "at %.3f s: %.3f ms", t,
                          o->latency_ms);
            normal++;
        }
    }
    ck_assert_int_gt(slow, 10);
    ck_assert_int_gt(normal, 10);
    fx_teardown(&fx);
}
END_TEST

START_TEST(kill_instances_loses_them_and_fails_their_calls)
{
    struct simfx fx;
    static struct sink s;
    struct fb_ka_outcome ko;
    int killed = 0;

    fx_setup(&fx);
    run_cell(&fx, true, &s, &ko);
    for (int i = 0; i < s.n; i++) {
        const struct fb_outcome *o = &s.rows[i].o;
        if (o->error[0] == '\0' || strstr(o->error, "killed") == NULL)
            continue;
        ck_assert_str_eq(o->node_name, "node1");
        ck_assert_ptr_nonnull(strstr(o->error, "fault f3:kill-instances:node1"));
        ck_assert_int_eq(o->attempts, 1); /* not a node failure: no retry */
        double t = at_s(o);
        ck_assert(t <= 22.0 && t + o->latency_ms / 1000.0 >= 22.0 - 1e-9);
        killed++;
    }
    ck_assert_int_gt(killed, 0);
    ck_assert_int_gt(s.lost[2], 0);
    ck_assert_int_ge(ko.evicted_failed, s.lost[2]);
    ck_assert_int_eq(ko.started, ko.evicted_pressure + ko.evicted_expired + ko.evicted_unload +
                                     ko.evicted_failed + ko.evicted_end);
    ck_assert_int_eq(s.n_fault_calls, 6);
    fx_teardown(&fx);
}
END_TEST

START_TEST(the_same_seed_gives_the_same_rows)
{
    struct simfx fx;
    static struct sink a, b;
    struct fb_ka_outcome ko;

    fx_setup(&fx);
    for (int ka = 0; ka < 2; ka++) {
        run_cell(&fx, ka, &a, &ko);
        run_cell(&fx, ka, &b, &ko);
        ck_assert_int_eq(a.n, b.n);
        for (int i = 0; i < a.n; i++) {
            const struct fb_outcome *x = &a.rows[i].o, *y = &b.rows[i].o;
            ck_assert_int_eq(x->start_ms, y->start_ms);
            ck_assert(x->latency_ms == y->latency_ms);
            ck_assert_int_eq(x->attempts, y->attempts);
            ck_assert_str_eq(x->error, y->error);
            ck_assert_str_eq(x->instance, y->instance);
            ck_assert((x->node_name == NULL) == (y->node_name == NULL));
            if (x->node_name != NULL)
                ck_assert_str_eq(x->node_name, y->node_name);
        }
    }
    fx_teardown(&fx);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim faults");
    TCase *tc = tcase_create("faults");
    tcase_add_test(tc, a_down_window_sends_calls_elsewhere);
    tcase_add_test(tc, slow_stretches_the_handlers_by_the_fraction);
    tcase_add_test(tc, kill_instances_loses_them_and_fails_their_calls);
    tcase_add_test(tc, the_same_seed_gives_the_same_rows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
