/* test_cluster.c - the decision core by itself, on a clock the test sets:
 * a node losing its instances (fault kill-instances) and the accounting
 * that must still add up. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decide/cluster.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"

struct events {
    int n[FB_INST_EVENT_N];
};

static void count_event(void *ctx, const struct fb_inst *in, enum fb_inst_event ev, double t)
{
    struct events *e = ctx;
    (void)in;
    (void)t;
    e->n[ev]++;
}

struct fx {
    struct fb_cluster *c;
    const struct fb_policy *p;
    void *pstate;
    struct fb_plugspec kspec;
    const struct fb_keepalive *k;
    struct events ev;
};

static void fx_setup(struct fx *fx, bool keepalive)
{
    struct fb_plugspec pspec;
    struct fb_cluster_opts o = {.ram_threshold = 90, .slots = 4, .event = count_event};

    memset(fx, 0, sizeof(*fx));
    o.event_ctx = &fx->ev;
    ck_assert_int_eq(fb_cluster_new(&o, &fx->c), 0);
    ck_assert_int_eq(fb_cluster_add_node(fx->c, "n1", 1000, false), 0);
    ck_assert_int_eq(fb_cluster_add_function(fx->c, "f", 100), 0);
    fx->p = fb_policy_find_spec("round-robin", &pspec, NULL);
    ck_assert_ptr_nonnull(fx->p);
    ck_assert_int_eq(fx->p->ops.init(&fx->pstate, 1, pspec.values), 0);
    if (keepalive) {
        fx->k = fb_keepalive_find_spec("ttl:ttl_s=60", &fx->kspec, NULL);
        ck_assert_ptr_nonnull(fx->k);
    }
    ck_assert_int_eq(fb_cluster_cell_begin(fx->c, fx->k, fx->kspec.values, 1), 0);
}

static void fx_teardown(struct fx *fx)
{
    if (fx->p->ops.free != NULL)
        fx->p->ops.free(fx->pstate);
    fb_cluster_free(fx->c);
}

static void pick(struct fx *fx, struct fb_ticket *t, double now, enum fb_warming want)
{
    memset(t, 0, sizeof(*t));
    t->t_arrival = now;
    ck_assert_int_eq(fb_cluster_pick(fx->c, fx->p, fx->pstate, t, now), FB_PICK_OK);
    ck_assert_int_eq(t->mode, want);
}

/* The call of t ends at now; the instances to remove are freed. */
static void end(struct fx *fx, struct fb_ticket *t, double now, bool failed)
{
    struct fb_attempt_end r = {.failed = failed,
                               .image_pulled = t->fresh && t->mode == FB_WARM_COLD,
                               .run_ms = 10};

    fb_cluster_release(fx->c, t, now, &r);
    fb_cluster_inst_free_list(t->gone);
    t->gone = NULL;
    fb_cluster_finish(fx->c, fx->p, fx->pstate, t, now, &r);
}

START_TEST(a_lost_node_gives_up_its_instances_and_the_counts_add_up)
{
    struct fx fx;
    struct fb_ticket a, b, c, d;
    struct fb_ka_outcome out;
    int idle;

    fx_setup(&fx, true);
    pick(&fx, &a, 0, FB_WARM_COLD);
    pick(&fx, &b, 0, FB_WARM_COLD);
    end(&fx, &a, 1, false);
    end(&fx, &b, 1, false);
    ck_assert_int_eq(fb_cluster_instances(fx.c, 0, &idle, NULL), 2);
    ck_assert_int_eq(idle, 2);
    pick(&fx, &c, 2, FB_WARM_WARMED); /* one idle instance serves c */
    pick(&fx, &d, 2, FB_WARM_WARMED); /* the other d */
    struct fb_ticket e;
    pick(&fx, &e, 2, FB_WARM_PREWARMED); /* and a third starts for e (the image is there) */
    end(&fx, &d, 3, false);           /* d's instance is idle again */
    ck_assert_int_eq(fb_cluster_instances(fx.c, 0, &idle, NULL), 3);
    ck_assert_int_eq(idle, 1);

    /* The node's containers are killed at 5: the idle one leaves at once,
     * the two under a call when their call ends. */
    struct fb_inst *gone = fb_cluster_node_lost(fx.c, 0, 5);
    ck_assert_ptr_nonnull(gone);
    ck_assert_ptr_null(gone->next);
    ck_assert(!gone->in_pool);
    fb_cluster_inst_free_list(gone);
    ck_assert_int_eq(fx.ev.n[FB_EV_EVICT_FAILED], 1);
    ck_assert_int_eq(fb_cluster_instances(fx.c, 0, &idle, NULL), 2);
    ck_assert_int_eq(idle, 0);
    ck_assert(!fb_cluster_has_warm(fx.c, 0, 0)); /* nothing idle left to be warm on */

    end(&fx, &c, 6, false); /* answered before the kill reached it: a success */
    end(&fx, &e, 6, true);  /* its container killed under it */
    ck_assert_int_eq(fx.ev.n[FB_EV_EVICT_FAILED], 3);
    ck_assert_int_eq(fb_cluster_instances(fx.c, 0, &idle, NULL), 0);

    /* The node itself is fine: the next call starts a new instance there. */
    pick(&fx, &a, 7, FB_WARM_PREWARMED); /* the image stayed */
    end(&fx, &a, 8, false);

    fb_cluster_inst_free_list(fb_cluster_cell_end(fx.c, 10, &out));
    ck_assert_int_eq(out.invocations, 6);
    ck_assert_int_eq(out.failed, 1);
    ck_assert_int_eq(out.cold, 2);
    ck_assert_int_eq(out.warm, 2);
    ck_assert_int_eq(out.prewarmed, 1);
    ck_assert_int_eq(out.started, 4);
    ck_assert_int_eq(out.evicted_failed, 3);
    ck_assert_int_eq(out.evicted_end, 1);
    ck_assert_int_eq(out.started, out.evicted_pressure + out.evicted_expired +
                                      out.evicted_unload + out.evicted_failed + out.evicted_end);
    ck_assert_int_eq(fx.ev.n[FB_EV_START], 4);
    ck_assert_int_eq(fx.ev.n[FB_EV_EVICT_FAILED] + fx.ev.n[FB_EV_EVICT_END], 4);
    fx_teardown(&fx);
}
END_TEST

/* A warming cell holds prepared warm containers, not instances: they are
 * gone, the image is not. */
START_TEST(a_lost_node_of_a_warming_cell_has_no_warm_container)
{
    struct fx fx;
    struct fb_ticket t;

    fx_setup(&fx, false);
    fb_cluster_set_image(fx.c, 0, 0, true);
    fb_cluster_set_warm(fx.c, 0, 0, true);
    pick(&fx, &t, 0, FB_WARM_WARMED);
    end(&fx, &t, 1, false);
    ck_assert_ptr_null(fb_cluster_node_lost(fx.c, 0, 2));
    ck_assert(!fb_cluster_has_warm(fx.c, 0, 0));
    ck_assert(fb_cluster_has_image(fx.c, 0, 0));
    pick(&fx, &t, 3, FB_WARM_PREWARMED);
    end(&fx, &t, 4, false);
    fx_teardown(&fx);
}
END_TEST

/* An instance still starting when its node loses its instances leaves once
 * its call ends, even when the call went well (answered before the kill). */
START_TEST(a_start_under_way_is_lost_too)
{
    struct fb_cluster *c;
    struct fb_cluster_opts o = {.ram_threshold = 90, .slots = 2};
    struct fb_plugspec spec;
    const struct fb_keepalive *k = fb_keepalive_find_spec("ttl:ttl_s=60", &spec, NULL);
    struct fb_ka_outcome out;

    ck_assert_int_eq(fb_cluster_new(&o, &c), 0);
    ck_assert_int_eq(fb_cluster_add_node(c, "n1", 1000, false), 0);
    ck_assert_int_eq(fb_cluster_add_function(c, "f", 100), 0);
    ck_assert_int_eq(fb_cluster_cell_begin(c, k, spec.values, 1), 0);
    struct fb_ticket t = {.t_arrival = 0};
    struct fb_plugspec pspec;
    const struct fb_policy *p = fb_policy_find_spec("round-robin", &pspec, NULL);
    void *ps = NULL;
    ck_assert_int_eq(p->ops.init(&ps, 1, pspec.values), 0);
    ck_assert_int_eq(fb_cluster_pick(c, p, ps, &t, 0), FB_PICK_OK);
    ck_assert_ptr_null(fb_cluster_node_lost(c, 0, 0.5)); /* starting: lost, not gone yet */
    ck_assert(t.inst->lost);
    struct fb_attempt_end r = {.run_ms = 5};
    fb_cluster_release(c, &t, 1, &r);
    ck_assert_ptr_nonnull(t.gone);
    fb_cluster_inst_free_list(t.gone);
    fb_cluster_finish(c, p, ps, &t, 1, &r);
    fb_cluster_inst_free_list(fb_cluster_cell_end(c, 2, &out));
    ck_assert_int_eq(out.started, 1);
    ck_assert_int_eq(out.evicted_failed, 1);
    ck_assert_int_eq(out.failed, 0);
    if (p->ops.free != NULL)
        p->ops.free(ps);
    fb_cluster_free(c);
}
END_TEST

static Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("faults");
    tcase_add_test(tc, a_lost_node_gives_up_its_instances_and_the_counts_add_up);
    tcase_add_test(tc, a_lost_node_of_a_warming_cell_has_no_warm_container);
    tcase_add_test(tc, a_start_under_way_is_lost_too);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cluster_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
