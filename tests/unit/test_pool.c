/* test_pool.c - keep-alive cells through the engine on a local node: instances
 * are the node helper's runtime as host processes, the clock is the cell's,
 * scaled down so that workload seconds pass in milliseconds. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "keepalive/keepalive.h"
#include "local_runtime.h"
#include "policies/policy.h"

#define NFN 3

struct fixture {
    struct lrt rt;
    struct fb_node_cfg node;
    struct fb_function_cfg fn[NFN];
    char names[NFN][8];
    struct fb_engine_opts o;
    struct fb_engine *e;
    const struct fb_policy *p;
    void *pstate;
    char root[300];
    char *start, *remove;
    double scale;     /* wall seconds per workload second */
    struct timespec t0;
    /* the events, counted */
    int starts, evicts, idles;
    double idle_from[64];
    double idle_mb_s; /* recomputed from the events */
};

static double wall_s(const struct fixture *fx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - fx->t0.tv_sec) + (double)(ts.tv_nsec - fx->t0.tv_nsec) / 1e9;
}

/* Waits until workload time t of the cell. */
static void at(const struct fixture *fx, double t)
{
    double left = t * fx->scale - wall_s(fx);
    if (left > 0) {
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Instances serve their function's command with the helper's runtime; the
 * function "slow" takes 0.3 s (wall) more to start. memory_mb: the node's. */
static void setup(struct fixture *fx, int node_mb, double scale)
{
    memset(fx, 0, sizeof(*fx));
    lrt_init(&fx->rt);
    snprintf(fx->root, sizeof(fx->root), "%s/inst", fx->rt.dir);
    fx->start = fb_strf("echo start_instance {node} {function} >>%s/log; "
                        "test {function} != slow || sleep 0.3; "
                        "umask 077 && mkdir -p {instance_dir} && "
                        "(faasbench-node runtime {instance_dir} -- {command} </dev/null "
                        ">/dev/null 2>&1 & echo $! >{instance_dir}/pid)",
                        fx->rt.dir);
    fx->remove = fb_strf("echo remove_instance {node} {function} >>%s/log; "
                         "kill -9 $(cat {instance_dir}/pid) 2>/dev/null; rm -rf {instance_dir}",
                         fx->rt.dir);
    lrt_resident_opts(&fx->rt, &fx->o, fx->root, fx->start, fx->remove);
    fx->o.slots = 4;
    fx->node.name = "n1";
    fx->node.transport = FB_TRANSPORT_LOCAL;
    fx->node.memory_mb = node_mb;
    for (int f = 0; f < NFN; f++) {
        snprintf(fx->names[f], sizeof(fx->names[f]), "f%d", f);
        fx->fn[f] = (struct fb_function_cfg){.name = fx->names[f],
                                             .image = "registry.test/fb/f:1",
                                             .command = "echo hi",
                                             .resident = true,
                                             .network = true,
                                             .weight = 1,
                                             .memory_mb = 128};
    }
    fx->p = fb_policy_find("round-robin");
    fx->scale = scale;
}

static void on_event(void *ctx, const struct fb_ka_event *ev)
{
    struct fixture *fx = ctx;
    int id = atoi(strrchr(ev->instance, '-') + 1) % 64;

    if (strcmp(ev->event, "start") == 0 || strcmp(ev->event, "prewarm") == 0)
        fx->starts++;
    else if (strncmp(ev->event, "evict-", 6) == 0)
        fx->evicts++;
    if (strcmp(ev->event, "idle") == 0) {
        fx->idles++;
        fx->idle_from[id] = ev->t_s;
    } else if (!isnan(fx->idle_from[id]) && fx->idle_from[id] > 0 &&
               (strcmp(ev->event, "busy") == 0 || strncmp(ev->event, "evict-", 6) == 0)) {
        fx->idle_mb_s += ev->memory_mb * (ev->t_s - fx->idle_from[id]);
        fx->idle_from[id] = 0;
    }
}

/* The cell begins: nodes and functions added, keep-alive policy spec;
 * with prepull, the images pulled ahead (returns the nodes that failed). */
static int begin_pulled(struct fixture *fx, const char *spec, bool prepull)
{
    int failed = 0;
    struct fb_errbuf eb = {{0}};
    struct fb_plugspec ps;
    const struct fb_keepalive *k = fb_keepalive_find_spec(spec, &ps, &eb);

    ck_assert_msg(k != NULL, "%s", eb.msg);
    ck_assert_int_eq(fb_engine_new(&fx->o, &fx->e), 0);
    ck_assert_int_eq(fb_engine_add_node(fx->e, &fx->node, &eb), 0);
    for (int f = 0; f < NFN; f++)
        ck_assert_int_eq(fb_engine_add_function(fx->e, &fx->fn[f]), f);
    ck_assert_int_eq(fx->p->ops.init(&fx->pstate, 1, NULL), 0);
    fb_engine_reset(fx->e);
    if (prepull)
        failed = fb_engine_pull_all(fx->e);
    clock_gettime(CLOCK_MONOTONIC, &fx->t0);
    fb_engine_cell_begin(fx->e, fx->scale);
    ck_assert_int_eq(fb_engine_ka_begin(fx->e, k, ps.values, 1, on_event, fx), 0);
    return failed;
}

static void begin(struct fixture *fx, const char *spec)
{
    begin_pulled(fx, spec, false);
}

/* Ends the cell: the accounting is exact and nothing is left. */
static void end(struct fixture *fx, struct fb_ka_outcome *ko)
{
    fb_engine_ka_end(fx->e, ko);
    long gone = ko->evicted_pressure + ko->evicted_expired + ko->evicted_unload +
                ko->evicted_failed + ko->evicted_end;
    ck_assert_int_eq(ko->started - gone, 0);
    ck_assert_int_eq(fx->starts, ko->started);
    ck_assert_int_eq(fx->evicts, gone);
    ck_assert_int_eq(lrt_count(&fx->rt, "start_instance "), ko->started);
    ck_assert_int_eq(lrt_count(&fx->rt, "remove_instance "), ko->started);
    /* The wasted memory is what the timeline says, to rounding. */
    ck_assert_msg(fabs(fx->idle_mb_s - ko->idle_mb_s) <= 0.01 * ko->idle_mb_s + 1e-6,
                  "idle MB x s %g, timeline %g", ko->idle_mb_s, fx->idle_mb_s);
    fb_engine_teardown(fx->e);
    fb_engine_free(fx->e);
    fx->p->ops.free(fx->pstate);
    char *cmd = fb_strf("test -z \"$(find %s -mindepth 2 2>/dev/null)\"", fx->root);
    ck_assert_msg(system(cmd) == 0, "instance folders are left in %s", fx->root);
    free(cmd);
    lrt_free(&fx->rt);
    free(fx->start);
    free(fx->remove);
}

static enum fb_warming call(struct fixture *fx, int f)
{
    struct fb_outcome o;
    ck_assert_int_eq(fb_engine_invoke(fx->e, fx->p, fx->pstate, f, &o), 0);
    ck_assert_msg(o.error[0] == '\0', "%s", o.error);
    ck_assert_str_eq(o.node_name, "n1");
    ck_assert(!isnan(o.room_ms) && o.room_ms >= 0);
    return o.mode;
}

START_TEST(ttl_keeps_an_instance_for_its_time)
{
    struct fixture fx;
    struct fb_ka_outcome ko;

    /* 1 workload s = 50 ms: ttl 10 s is half a second of wall time. */
    setup(&fx, 1024, 0.05);
    begin(&fx, "ttl:ttl_s=10");
    ck_assert_int_eq(call(&fx, 0), FB_WARM_COLD);      /* t = 0: pulls, starts */
    at(&fx, 5);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_WARMED);    /* t = 5: still idle */
    at(&fx, 20);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_PREWARMED); /* t = 20: gone; the image stays */
    end(&fx, &ko);
    ck_assert_int_eq(ko.invocations, 3);
    ck_assert_int_eq(ko.cold, 1);
    ck_assert_int_eq(ko.warm, 1);
    ck_assert_int_eq(ko.prewarmed, 1);
    ck_assert_int_eq(ko.started, 2);
    ck_assert_int_eq(ko.evicted_expired, 1);
    ck_assert_int_eq(ko.evicted_end, 1);
}
END_TEST

/* Images pulled ahead: every start is pre-warmed and nothing is pulled in
 * the cell; where the pull ahead failed, the first start pulls (cold). */
START_TEST(pulled_ahead_starts_are_prewarmed)
{
    struct fixture fx;
    struct fb_ka_outcome ko;

    setup(&fx, 1024, 0.05);
    ck_assert_int_eq(begin_pulled(&fx, "ttl:ttl_s=10", true), 0);
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), NFN);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_PREWARMED);
    ck_assert_int_eq(call(&fx, 1), FB_WARM_PREWARMED);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_WARMED);
    ck_assert_int_eq(lrt_count(&fx.rt, "pull "), NFN);
    end(&fx, &ko);
    ck_assert_int_eq(ko.cold, 0);
    ck_assert_int_eq(ko.prewarmed, 2);
    ck_assert_int_eq(ko.started, 2);

    setup(&fx, 1024, 0.05);
    lrt_mark(&fx.rt, "n1.fail-pull", true);
    ck_assert_int_eq(begin_pulled(&fx, "ttl:ttl_s=10", true), 1);
    lrt_mark(&fx.rt, "n1.fail-pull", false);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_COLD);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_WARMED);
    end(&fx, &ko);
    ck_assert_int_eq(ko.cold, 1);
}
END_TEST

/* Three functions in turn, nine calls, under lru with room for n. */
static void lru_in_turn(int room, int want_cold_starts)
{
    struct fixture fx;
    struct fb_ka_outcome ko;
    int starts = 0;

    setup(&fx, room * 128, 0.05);
    begin(&fx, "lru");
    for (int i = 0; i < 9; i++) {
        enum fb_warming m = call(&fx, i % NFN);
        starts += m != FB_WARM_WARMED;
        if (room == 3)
            ck_assert_int_eq(m, i < 3 ? FB_WARM_COLD : FB_WARM_WARMED);
    }
    end(&fx, &ko);
    ck_assert_int_eq(starts, want_cold_starts);
    ck_assert_int_eq(ko.cold + ko.prewarmed, want_cold_starts);
    ck_assert_int_eq(ko.evicted_pressure, want_cold_starts - room);
    ck_assert_int_le(ko.peak_instances, room);
}

START_TEST(lru_with_room_for_two_of_three_is_always_cold)
{
    lru_in_turn(2, 9);
}
END_TEST

START_TEST(lru_with_room_for_three_is_cold_three_times)
{
    lru_in_turn(3, 3);
}
END_TEST

/* Room for two; "slow" costs 0.3 s more to start. Calls slow, f1, f2, slow:
 * greedy-dual evicts f1 for f2 and finds slow warm; lru evicts slow. */
static enum fb_warming slow_again(const char *spec)
{
    struct fixture fx;
    struct fb_ka_outcome ko;
    enum fb_warming m;

    setup(&fx, 256, 0.05);
    snprintf(fx.names[0], sizeof(fx.names[0]), "slow");
    begin(&fx, spec);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_COLD);
    ck_assert_int_eq(call(&fx, 0), FB_WARM_WARMED); /* a warm latency to weigh against */
    ck_assert_int_eq(call(&fx, 1), FB_WARM_COLD);
    ck_assert_int_eq(call(&fx, 1), FB_WARM_WARMED);
    ck_assert_int_eq(call(&fx, 2), FB_WARM_COLD);  /* evicts one */
    m = call(&fx, 0);
    end(&fx, &ko);
    ck_assert_int_ge(ko.evicted_pressure, 1);
    return m;
}

START_TEST(greedy_dual_keeps_the_costly_function)
{
    ck_assert_int_eq(slow_again("greedy-dual"), FB_WARM_WARMED);
    ck_assert_int_ne(slow_again("lru"), FB_WARM_WARMED);
}
END_TEST

/* Arrivals every 60 s of workload time: hybrid-histogram learns the gap
 * (bins of 10 s, 3 samples, pre-warmed 30 % early) and pre-warms ahead of it; ttl keeps the
 * instance the whole gap. Both then find it warm; hybrid holds less idle
 * memory. */
static void every_minute(const char *spec, struct fb_ka_outcome *ko, int *warm_tail)
{
    struct fixture fx;

    setup(&fx, 1024, 0.02); /* 60 s = 1.2 s: room for a loaded machine */
    begin(&fx, spec);
    *warm_tail = 0;
    for (int i = 0; i < 10; i++) {
        at(&fx, 60.0 * i);
        enum fb_warming m = call(&fx, 0);
        *warm_tail += i >= 6 && m == FB_WARM_WARMED;
    }
    end(&fx, ko);
}

START_TEST(hybrid_histogram_learns_and_holds_less)
{
    struct fb_ka_outcome hh, ttl;
    int hh_warm, ttl_warm;

    every_minute("hybrid-histogram:bin_s=10,prewarm_margin=0.3,min_samples=3", &hh, &hh_warm);
    every_minute("ttl:ttl_s=600", &ttl, &ttl_warm);
    ck_assert_int_eq(hh_warm, 4); /* learned: the last calls find a pre-warmed instance */
    ck_assert_int_eq(ttl_warm, 4);
    ck_assert_int_ge(hh.prewarms, 3);
    ck_assert_msg(hh.idle_mb_s < 0.75 * ttl.idle_mb_s, "idle MB x s: hybrid %g, ttl %g",
                  hh.idle_mb_s, ttl.idle_mb_s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("keep-alive cells");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ttl_keeps_an_instance_for_its_time);
    tcase_add_test(tc, pulled_ahead_starts_are_prewarmed);
    tcase_add_test(tc, lru_with_room_for_two_of_three_is_always_cold);
    tcase_add_test(tc, lru_with_room_for_three_is_cold_three_times);
    tcase_add_test(tc, greedy_dual_keeps_the_costly_function);
    tcase_add_test(tc, hybrid_histogram_learns_and_holds_less);
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
