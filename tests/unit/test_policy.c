/* test_policy.c - each policy, the registry, and the chain's precedence. */
#include <check.h>
#include <stdlib.h>

#include "policy.h"

#define T 90.0 /* RAM threshold */

static struct fb_select_ctx ctx = {0, "fib", T};

static void *init(const struct fb_policy *p)
{
    void *st = NULL;
    if (p->ops.init != NULL)
        ck_assert_int_eq(p->ops.init(&st, 1), 0);
    return st;
}

static void fini(const struct fb_policy *p, void *st)
{
    if (p->ops.free != NULL)
        p->ops.free(st);
}

START_TEST(registry_finds_every_policy)
{
    ck_assert_ptr_eq(fb_policy_find("round-robin"), &fb_policy_round_robin);
    ck_assert_ptr_eq(fb_policy_find("least-used"), &fb_policy_least_used);
    ck_assert_ptr_eq(fb_policy_find("most-used"), &fb_policy_most_used);
    ck_assert_ptr_null(fb_policy_find("RoundRobin"));
    ck_assert_ptr_null(fb_policy_find(NULL));
    ck_assert_int_eq(fb_policy_table_check(NULL), 0);
    int n = 0;
    while (fb_policy_at(n) != NULL)
        n++;
    ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(round_robin_cycles)
{
    struct fb_node_view n[4] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"}};
    const struct fb_policy *p = &fb_policy_round_robin;
    void *st = init(p);
    for (int k = 0; k < 9; k++)
        ck_assert_int_eq(p->ops.select(st, n, 4, &ctx), k % 4);
    fini(p, st);
}
END_TEST

START_TEST(round_robin_skips_a_node_over_the_threshold)
{
    struct fb_node_view n[3] = {{.name = "a"}, {.name = "b", .ram_pct = 90.0}, {.name = "c"}};
    const struct fb_policy *p = &fb_policy_round_robin;
    void *st = init(p);
    int want[] = {0, 2, 0, 2, 0};
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(p->ops.select(st, n, 3, &ctx), want[k]);
    /* Below the threshold it takes its turn again. */
    n[1].ram_pct = 89.99;
    ck_assert_int_eq(p->ops.select(st, n, 3, &ctx), 1);
    fini(p, st);
}
END_TEST

START_TEST(least_and_most_used_pick_by_cpu)
{
    struct fb_node_view n[4] = {{.name = "a", .cpu_pct = 40},
                                {.name = "b", .cpu_pct = 10},
                                {.name = "c", .cpu_pct = 5, .ram_pct = 95},
                                {.name = "d", .cpu_pct = 70}};
    ck_assert_int_eq(fb_policy_least_used.ops.select(NULL, n, 4, &ctx), 1);
    ck_assert_int_eq(fb_policy_most_used.ops.select(NULL, n, 4, &ctx), 3);
    n[3].down = true;
    ck_assert_int_eq(fb_policy_most_used.ops.select(NULL, n, 4, &ctx), 0);
}
END_TEST

START_TEST(ties_go_to_the_first_listed)
{
    struct fb_node_view n[3] = {{.name = "a", .cpu_pct = 20},
                                {.name = "b", .cpu_pct = 20},
                                {.name = "c", .cpu_pct = 20}};
    ck_assert_int_eq(fb_policy_least_used.ops.select(NULL, n, 3, &ctx), 0);
    ck_assert_int_eq(fb_policy_most_used.ops.select(NULL, n, 3, &ctx), 0);
    n[0].ram_pct = 99;
    ck_assert_int_eq(fb_policy_least_used.ops.select(NULL, n, 3, &ctx), 1);
}
END_TEST

START_TEST(no_eligible_node)
{
    struct fb_node_view n[2] = {{.name = "a", .ram_pct = 90}, {.name = "b", .down = true}};
    for (int i = 0; fb_policy_at(i) != NULL; i++) {
        const struct fb_policy *p = fb_policy_at(i);
        void *st = init(p);
        ck_assert_int_eq(p->ops.select(st, n, 2, &ctx), FB_ENONODE);
        ck_assert_int_eq(p->ops.select(st, n, 0, &ctx), FB_ENONODE);
        fini(p, st);
    }
}
END_TEST

START_TEST(chain_prefers_warm_then_image_then_policy)
{
    struct fb_node_view n[4] = {{.name = "a", .cpu_pct = 1},
                                {.name = "b", .cpu_pct = 50, .has_image = true},
                                {.name = "c", .cpu_pct = 80, .has_image = true, .has_warm = true},
                                {.name = "d", .cpu_pct = 2}};
    enum fb_warming mode;
    const struct fb_policy *p = &fb_policy_least_used;
    ck_assert_int_eq(fb_chain_select(p, NULL, n, 4, &ctx, &mode), 2);
    ck_assert_int_eq(mode, FB_WARM_WARMED);
    n[2].ram_pct = 95; /* the warm node is over the threshold: fall through */
    ck_assert_int_eq(fb_chain_select(p, NULL, n, 4, &ctx, &mode), 1);
    ck_assert_int_eq(mode, FB_WARM_PREWARMED);
    n[1].down = true;
    ck_assert_int_eq(fb_chain_select(p, NULL, n, 4, &ctx, &mode), 0);
    ck_assert_int_eq(mode, FB_WARM_COLD);
    n[0].ram_pct = n[3].ram_pct = 90;
    ck_assert_int_eq(fb_chain_select(p, NULL, n, 4, &ctx, &mode), FB_ENONODE);
}
END_TEST

START_TEST(chain_uses_the_base_policy_within_a_tier)
{
    struct fb_node_view n[3] = {{.name = "a", .cpu_pct = 60, .has_image = true},
                                {.name = "b", .cpu_pct = 10},
                                {.name = "c", .cpu_pct = 30, .has_image = true}};
    enum fb_warming mode;
    ck_assert_int_eq(fb_chain_select(&fb_policy_least_used, NULL, n, 3, &ctx, &mode), 2);
    ck_assert_int_eq(mode, FB_WARM_PREWARMED);
    ck_assert_int_eq(fb_chain_select(&fb_policy_most_used, NULL, n, 3, &ctx, &mode), 0);
    ck_assert_int_eq(mode, FB_WARM_PREWARMED);
}
END_TEST

START_TEST(chain_with_many_nodes)
{
    enum { N = 200 };
    struct fb_node_view *n = calloc(N, sizeof(*n));
    for (int i = 0; i < N; i++)
        n[i].cpu_pct = 100.0 - i * 0.1;
    n[150].has_warm = n[150].has_image = true;
    n[170].has_warm = n[170].has_image = true;
    enum fb_warming mode;
    ck_assert_int_eq(fb_chain_select(&fb_policy_least_used, NULL, n, N, &ctx, &mode), 170);
    ck_assert_int_eq(mode, FB_WARM_WARMED);
    free(n);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, registry_finds_every_policy);
    tcase_add_test(tc, round_robin_cycles);
    tcase_add_test(tc, round_robin_skips_a_node_over_the_threshold);
    tcase_add_test(tc, least_and_most_used_pick_by_cpu);
    tcase_add_test(tc, ties_go_to_the_first_listed);
    tcase_add_test(tc, no_eligible_node);
    tcase_add_test(tc, chain_prefers_warm_then_image_then_policy);
    tcase_add_test(tc, chain_uses_the_base_policy_within_a_tier);
    tcase_add_test(tc, chain_with_many_nodes);
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
