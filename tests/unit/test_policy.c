/* test_policy.c - each policy, the registry, and the chain's precedence. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/policy.h"
#include "core/rng.h"

#define T 90.0 /* RAM threshold */

static struct fb_select_ctx ctx = {.function = 0, .function_name = "fib", .ram_threshold = T};

static void *init(const struct fb_policy *p)
{
    void *st = NULL;
    if (p->ops.init != NULL)
        ck_assert_int_eq(p->ops.init(&st, 1, NULL), 0);
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

/* A policy that records what the chain asked it: refuses the warm and the
 * image tiers (views where every node holds the image), takes the first
 * node of the whole list. */
struct asked {
    int calls, arrivals;
    int sizes[4];
    double now[4];
};

static int record_select(void *state, const struct fb_node_view *nodes, int n,
                         const struct fb_select_ctx *c)
{
    struct asked *a = state;
    bool all_image = true;

    if (a->calls < 4) {
        a->sizes[a->calls] = n;
        a->now[a->calls] = c->now_s;
    }
    a->calls++;
    a->arrivals += c->arrival;
    for (int i = 0; i < n; i++)
        all_image = all_image && nodes[i].has_image;
    return all_image ? FB_ENONODE : 0;
}

static const struct fb_policy recorder = {
    .name = "recorder",
    .summary = "test",
    .ops = {.select = record_select},
};

START_TEST(chain_passes_the_arrival_to_the_first_call_only)
{
    struct fb_node_view n[3] = {{.name = "a"},
                                {.name = "b", .has_image = true},
                                {.name = "c", .has_image = true, .has_warm = true}};
    struct fb_select_ctx c = {.function = 0, .function_name = "fib", .ram_threshold = T,
                              .now_s = 12.5, .arrival = true};
    struct asked a = {0};
    enum fb_warming mode;

    /* Warm tier (c), image tier (b, c), then the whole list: three calls,
     * one arrival, the same clock in each. */
    ck_assert_int_eq(fb_chain_select(&recorder, &a, n, 3, &c, &mode), 0);
    ck_assert_int_eq(mode, FB_WARM_COLD);
    ck_assert_int_eq(a.calls, 3);
    ck_assert_int_eq(a.arrivals, 1);
    ck_assert_int_eq(a.sizes[0], 1);
    ck_assert_int_eq(a.sizes[1], 2);
    ck_assert_int_eq(a.sizes[2], 3);
    for (int k = 0; k < 3; k++)
        ck_assert(a.now[k] == 12.5);
    ck_assert(c.arrival); /* the caller's context is left as it was */

    /* No warm node: the image tier is the first call and gets the arrival. */
    n[2].has_warm = false;
    memset(&a, 0, sizeof(a));
    ck_assert_int_eq(fb_chain_select(&recorder, &a, n, 3, &c, &mode), 0);
    ck_assert_int_eq(a.calls, 2);
    ck_assert_int_eq(a.arrivals, 1);

    /* A re-selection for the same invocation is no arrival. */
    c.arrival = false;
    memset(&a, 0, sizeof(a));
    ck_assert_int_eq(fb_chain_select(&recorder, &a, n, 3, &c, &mode), 0);
    ck_assert_int_eq(a.arrivals, 0);
}
END_TEST

/* ---- random, power-of-two, hash-affinity, warm-aware ---- */

static void *init_seeded(const struct fb_policy *p, uint64_t seed)
{
    void *st = NULL;
    ck_assert_int_eq(p->ops.init(&st, seed, NULL), 0);
    return st;
}

/* Fills out[0..k) with k selections of p over nodes, from a state seeded with seed. */
static void draw_sequence(const struct fb_policy *p, uint64_t seed,
                          const struct fb_node_view *nodes, int n, int *out, int k)
{
    void *st = init_seeded(p, seed);
    for (int i = 0; i < k; i++) {
        out[i] = p->ops.select(st, nodes, n, &ctx);
        ck_assert_int_ge(out[i], 0);
        ck_assert_int_lt(out[i], n);
    }
    fini(p, st);
}

static int same_sequence(const int *a, const int *b, int k)
{
    for (int i = 0; i < k; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

START_TEST(registry_finds_the_added_policies)
{
    ck_assert_ptr_eq(fb_policy_find("random"), &fb_policy_random);
    ck_assert_ptr_eq(fb_policy_find("power-of-two"), &fb_policy_power_of_two);
    ck_assert_ptr_eq(fb_policy_find("hash-affinity"), &fb_policy_hash_affinity);
    ck_assert_ptr_eq(fb_policy_find("warm-aware"), &fb_policy_warm_aware);
    ck_assert_ptr_eq(fb_policy_find("least-connections"), &fb_policy_least_connections);
    ck_assert_ptr_eq(fb_policy_find("ch-bl"), &fb_policy_ch_bl);
    ck_assert_ptr_eq(fb_policy_find("ch-rlu"), &fb_policy_ch_rlu);
    ck_assert_ptr_eq(fb_policy_find("pull-based"), &fb_policy_pull_based);
    int n = 0;
    while (fb_policy_at(n) != NULL)
        n++;
    ck_assert_int_ge(n, 11);
    ck_assert_int_eq(fb_policy_table_check(NULL), 0);
}
END_TEST

START_TEST(seeded_policies_repeat_with_a_seed)
{
    enum { K = 64 };
    struct fb_node_view n[5] = {{.name = "a", .cpu_pct = 10}, {.name = "b", .cpu_pct = 20},
                                {.name = "c", .cpu_pct = 30}, {.name = "d", .cpu_pct = 40},
                                {.name = "e", .cpu_pct = 50}};
    const struct fb_policy *ps[] = {&fb_policy_random, &fb_policy_power_of_two};
    int a[K], b[K], c[K];

    for (int i = 0; i < 2; i++) {
        draw_sequence(ps[i], 42, n, 5, a, K);
        draw_sequence(ps[i], 42, n, 5, b, K);
        draw_sequence(ps[i], 43, n, 5, c, K);
        ck_assert_msg(same_sequence(a, b, K), "%s: same seed, other sequence", ps[i]->name);
        ck_assert_msg(!same_sequence(a, c, K), "%s: other seed, same sequence", ps[i]->name);
    }
}
END_TEST

START_TEST(random_spreads_evenly_over_eligible_nodes)
{
    enum { DRAWS = 60000 };
    struct fb_node_view n[5] = {{.name = "a"}, {.name = "b"}, {.name = "c", .ram_pct = 95},
                                {.name = "d"}, {.name = "e", .down = true}};
    const struct fb_policy *p = &fb_policy_random;
    int count[5] = {0};
    void *st = init_seeded(p, 9);

    for (int k = 0; k < DRAWS; k++)
        count[p->ops.select(st, n, 5, &ctx)]++;
    fini(p, st);
    ck_assert_int_eq(count[2], 0);
    ck_assert_int_eq(count[4], 0);
    /* 20000 expected each; sd about 115, so +-5 % is over 8 sd. */
    static const int eligible[3] = {0, 1, 3};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_gt(count[eligible[k]], 19000);
        ck_assert_int_lt(count[eligible[k]], 21000);
    }
}
END_TEST

START_TEST(power_of_two_with_two_nodes_takes_the_lower_cpu)
{
    struct fb_node_view n[2] = {{.name = "a", .cpu_pct = 30}, {.name = "b", .cpu_pct = 10}};
    const struct fb_policy *p = &fb_policy_power_of_two;
    void *st = init_seeded(p, 3);

    for (int k = 0; k < 200; k++)
        ck_assert_int_eq(p->ops.select(st, n, 2, &ctx), 1);
    n[0].cpu_pct = 5;
    for (int k = 0; k < 200; k++)
        ck_assert_int_eq(p->ops.select(st, n, 2, &ctx), 0);
    /* Equal CPU: fewer invocations in flight. */
    n[0].cpu_pct = n[1].cpu_pct = 20;
    n[0].inflight = 2;
    n[1].inflight = 1;
    for (int k = 0; k < 200; k++)
        ck_assert_int_eq(p->ops.select(st, n, 2, &ctx), 1);
    fini(p, st);
}
END_TEST

START_TEST(power_of_two_never_picks_the_most_loaded)
{
    enum { DRAWS = 20000 };
    struct fb_node_view n[6] = {{.name = "a", .cpu_pct = 40}, {.name = "b", .cpu_pct = 80},
                                {.name = "c", .cpu_pct = 10}, {.name = "d", .cpu_pct = 60},
                                {.name = "e", .cpu_pct = 1, .ram_pct = 99},
                                {.name = "f", .cpu_pct = 20}};
    const struct fb_policy *p = &fb_policy_power_of_two;
    int count[6] = {0};
    void *st = init_seeded(p, 11);

    for (int k = 0; k < DRAWS; k++)
        count[p->ops.select(st, n, 6, &ctx)]++;
    fini(p, st);
    ck_assert_int_eq(count[1], 0); /* the most loaded loses every pair */
    ck_assert_int_eq(count[4], 0); /* over the RAM threshold */
    /* Of 5 eligible nodes, the least loaded is in 4 of the 10 pairs: 40 %;
     * the second in 3 (30 %), then 20 %, 10 %. */
    ck_assert_int_gt(count[2], DRAWS * 37 / 100);
    ck_assert_int_lt(count[2], DRAWS * 43 / 100);
    ck_assert_int_gt(count[5], DRAWS * 27 / 100);
    ck_assert_int_lt(count[5], DRAWS * 33 / 100);
    ck_assert_int_gt(count[0], DRAWS * 17 / 100);
    ck_assert_int_lt(count[0], DRAWS * 23 / 100);
    ck_assert_int_gt(count[3], DRAWS * 8 / 100);
    ck_assert_int_lt(count[3], DRAWS * 12 / 100);
}
END_TEST

START_TEST(power_of_two_with_one_eligible_node)
{
    struct fb_node_view n[3] = {{.name = "a", .down = true},
                                {.name = "b", .cpu_pct = 99},
                                {.name = "c", .ram_pct = 90}};
    const struct fb_policy *p = &fb_policy_power_of_two;
    void *st = init_seeded(p, 5);

    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(p->ops.select(st, n, 3, &ctx), 1);
    fini(p, st);
}
END_TEST

static int ha_pick(const struct fb_node_view *n, int count, const char *function)
{
    struct fb_select_ctx c = {.function = 0, .function_name = function, .ram_threshold = T};
    return fb_policy_hash_affinity.ops.select(NULL, n, count, &c);
}

START_TEST(hash_affinity_follows_the_documented_hash)
{
    /* FNV-1a 64 test vectors: "a" -> 0xaf63dc4c8601ec8c, "foobar" ->
     * 0x85944171f73967e8. "a", n = 7: home = h mod 7 = 5; all of [1,7) is
     * coprime to 7 and (h / 7) mod 6 = 5, so step = 6: 5, 4, 3, 2, 1, 0, 6.
     * "foobar", n = 5: home = 3; (h / 5) mod 4 = 1, step 2: 3, 0, 2, 4, 1. */
    static const int want_a[7] = {5, 4, 3, 2, 1, 0, 6};
    static const int want_foobar[5] = {3, 0, 2, 4, 1};
    struct fb_node_view n[7] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"},
                                {.name = "e"}, {.name = "f"}, {.name = "g"}};

    for (int k = 0; k < 7; k++) {
        ck_assert_int_eq(ha_pick(n, 7, "a"), want_a[k]);
        n[want_a[k]].cpu_pct = 95;
    }
    for (int i = 0; i < 7; i++)
        n[i].cpu_pct = 0;
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(ha_pick(n, 5, "foobar"), want_foobar[k]);
        n[want_foobar[k]].inflight = 4;
    }
}
END_TEST

START_TEST(hash_affinity_keeps_a_function_home_and_spreads_functions)
{
    struct fb_node_view n[4] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"}};
    int homes[4] = {0};
    char name[32];

    for (int f = 0; f < 64; f++) {
        snprintf(name, sizeof(name), "fn-%d", f);
        int home = ha_pick(n, 4, name);
        ck_assert_int_ge(home, 0);
        for (int k = 0; k < 10; k++)
            ck_assert_int_eq(ha_pick(n, 4, name), home);
        /* Load below the overload mark does not move it. */
        n[home].cpu_pct = 89.9;
        n[home].inflight = 3;
        ck_assert_int_eq(ha_pick(n, 4, name), home);
        n[home].cpu_pct = 0;
        n[home].inflight = 0;
        homes[home]++;
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_ge(homes[i], 8); /* 16 expected */
}
END_TEST

START_TEST(hash_affinity_probe_visits_every_node_once)
{
    struct fb_node_view n[6];
    char name[32];

    for (int size = 4; size <= 6; size++) {
        int steps_seen = 0; /* bit s set: step s was used */
        for (int f = 0; f < 24; f++) {
            int order[6], seen[6] = {0};
            snprintf(name, sizeof(name), "function-%d", f);
            for (int i = 0; i < size; i++)
                n[i] = (struct fb_node_view){.name = "x"};
            /* Overload each pick in turn (by CPU or by invocations in
             * flight): the next pick is the next node of the probe. */
            for (int k = 0; k < size; k++) {
                order[k] = ha_pick(n, size, name);
                ck_assert_int_ge(order[k], 0);
                ck_assert_int_eq(seen[order[k]], 0);
                seen[order[k]] = 1;
                if (k % 2 == 0)
                    n[order[k]].cpu_pct = 90;
                else
                    n[order[k]].inflight = 4;
            }
            int step = ((order[1] - order[0]) % size + size) % size;
            for (int k = 1; k < size; k++)
                ck_assert_int_eq(((order[k] - order[k - 1]) % size + size) % size, step);
            steps_seen |= 1 << step;
            /* All overloaded: the lowest CPU % among the eligible. */
            for (int i = 0; i < size; i++)
                n[i].cpu_pct = 90 + i;
            ck_assert_int_eq(ha_pick(n, size, name), 0);
            n[0].ram_pct = 95;
            ck_assert_int_eq(ha_pick(n, size, name), 1);
        }
        /* More than one step in use: the probe is not always i + 1. */
        ck_assert_int_ne(steps_seen & (steps_seen - 1), 0);
    }
}
END_TEST

START_TEST(hash_affinity_skips_ineligible_nodes)
{
    struct fb_node_view n[5] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"},
                                {.name = "e"}};
    int home = ha_pick(n, 5, "fib"), second;

    n[home].cpu_pct = 95;
    second = ha_pick(n, 5, "fib");
    ck_assert_int_ne(second, home);
    n[home].cpu_pct = 0;
    n[home].ram_pct = 90; /* at the RAM threshold: not eligible */
    ck_assert_int_eq(ha_pick(n, 5, "fib"), second);
    n[home].ram_pct = 0;
    n[home].down = true;
    ck_assert_int_eq(ha_pick(n, 5, "fib"), second);
    /* Every other node overloaded: an ineligible home is still never taken. */
    for (int i = 0; i < 5; i++)
        if (i != home)
            n[i].cpu_pct = 99 - i;
    int lowest = home == 4 ? 3 : 4;
    ck_assert_int_eq(ha_pick(n, 5, "fib"), lowest);
    for (int i = 0; i < 5; i++)
        n[i].down = true;
    ck_assert_int_eq(ha_pick(n, 5, "fib"), FB_ENONODE);
}
END_TEST

START_TEST(chain_with_hash_affinity_keeps_the_warm_tier)
{
    struct fb_node_view n[4] = {{.name = "a"},
                                {.name = "b", .has_image = true},
                                {.name = "c", .has_image = true, .has_warm = true},
                                {.name = "d"}};
    enum fb_warming mode;
    const struct fb_policy *p = &fb_policy_hash_affinity;

    ck_assert_int_eq(fb_chain_select(p, NULL, n, 4, &ctx, &mode), 2);
    ck_assert_int_eq(mode, FB_WARM_WARMED);
    n[2].has_warm = false;
    int i = fb_chain_select(p, NULL, n, 4, &ctx, &mode);
    ck_assert(i == 1 || i == 2);
    ck_assert_int_eq(mode, FB_WARM_PREWARMED);
}
END_TEST

START_TEST(warm_aware_prefers_warm_then_image_then_least_loaded)
{
    struct fb_node_view n[5] = {{.name = "a", .cpu_pct = 5},
                                {.name = "b", .cpu_pct = 50, .has_image = true},
                                {.name = "c", .cpu_pct = 70, .has_image = true, .has_warm = true},
                                {.name = "d", .cpu_pct = 60, .has_warm = true},
                                {.name = "e", .cpu_pct = 40, .has_image = true}};
    const struct fb_policy *p = &fb_policy_warm_aware;

    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 3);   /* least-loaded warm */
    n[3].ram_pct = 95;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 2);   /* the other warm */
    n[2].down = true;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 4);   /* least-loaded image */
    n[4].has_image = false;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 1);
    n[1].has_image = false;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 0);   /* least-loaded of all */
    /* Ties: fewer in flight, then the first listed. */
    n[0].cpu_pct = n[4].cpu_pct = 5;
    n[0].inflight = 2;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 4);
    n[0].inflight = 0;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 0);
    /* A warm node wins over an idler node with only the image. */
    n[1].has_warm = true;
    n[1].cpu_pct = 85;
    n[4].has_image = true;
    ck_assert_int_eq(p->ops.select(NULL, n, 5, &ctx), 1);
}
END_TEST

/* ---- least-connections ---- */

START_TEST(least_connections_takes_the_fewest_in_flight)
{
    struct fb_node_view n[5] = {{.name = "a", .inflight = 3},
                                {.name = "b", .inflight = 1, .cpu_pct = 99},
                                {.name = "c", .inflight = 0, .ram_pct = 95},
                                {.name = "d", .inflight = 2},
                                {.name = "e", .inflight = 0, .down = true}};
    const struct fb_policy *p = &fb_policy_least_connections;
    void *st = init_seeded(p, 4);

    /* c and e have none in flight but are not eligible; CPU % plays no part. */
    for (int k = 0; k < 50; k++)
        ck_assert_int_eq(p->ops.select(st, n, 5, &ctx), 1);
    n[1].inflight = 5;
    for (int k = 0; k < 50; k++)
        ck_assert_int_eq(p->ops.select(st, n, 5, &ctx), 3);
    fini(p, st);
}
END_TEST

START_TEST(least_connections_ties_spread_over_seeds)
{
    enum { SEEDS = 3000 };
    struct fb_node_view n[5] = {{.name = "a", .inflight = 1},
                                {.name = "b", .inflight = 2},
                                {.name = "c", .inflight = 1},
                                {.name = "d", .inflight = 1, .ram_pct = 90},
                                {.name = "e", .inflight = 1}};
    const struct fb_policy *p = &fb_policy_least_connections;
    int count[5] = {0}, a[64], b[64];

    /* The first pick of each cell (seed): a, c and e tie, d is over the
     * RAM threshold. 1000 expected each, sd about 26. */
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        void *st = init_seeded(p, seed);
        count[p->ops.select(st, n, 5, &ctx)]++;
        fini(p, st);
    }
    ck_assert_int_eq(count[1], 0);
    ck_assert_int_eq(count[3], 0);
    for (int i = 0; i < 5; i += 2) {
        ck_assert_int_gt(count[i], 880);
        ck_assert_int_lt(count[i], 1120);
    }
    /* A seed fixes the sequence of tie-breaks. */
    draw_sequence(p, 77, n, 5, a, 64);
    draw_sequence(p, 77, n, 5, b, 64);
    ck_assert(same_sequence(a, b, 64));
    draw_sequence(p, 78, n, 5, b, 64);
    ck_assert(!same_sequence(a, b, 64));
}
END_TEST

START_TEST(least_connections_in_the_chain_spreads_a_tier)
{
    /* Two warm nodes with none in flight: the warm tier is chosen and the
     * tie goes either way across cells, never to the idle cold node. */
    struct fb_node_view n[3] = {{.name = "a", .has_warm = true, .has_image = true},
                                {.name = "b"},
                                {.name = "c", .has_warm = true, .has_image = true}};
    const struct fb_policy *p = &fb_policy_least_connections;
    int count[3] = {0};
    enum fb_warming mode;

    for (uint64_t seed = 1; seed <= 400; seed++) {
        void *st = init_seeded(p, seed);
        int i = fb_chain_select(p, st, n, 3, &ctx, &mode);
        ck_assert_int_eq(mode, FB_WARM_WARMED);
        count[i]++;
        fini(p, st);
    }
    ck_assert_int_eq(count[1], 0);
    ck_assert_int_gt(count[0], 150);
    ck_assert_int_gt(count[2], 150);
}
END_TEST

/* ---- ch-bl ---- */

static void *init_params(const struct fb_policy *p, uint64_t seed, const double *params)
{
    void *st = NULL;
    ck_assert_int_eq(p->ops.init(&st, seed, params), 0);
    return st;
}

/* The documented ring, computed here from its definition: FNV-1a 64 of a
 * name seeds splitmix64; a node's points are its first outputs, a key's
 * position the first. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* order[0..n): the nodes of names[] in ring order from key, vnodes points
 * each: by the clockwise distance from the key to a node's nearest point. */
static void ring_order(const char *const *names, int n, const char *key, int vnodes,
                       int *order)
{
    uint64_t dist[16], seed = fnv1a(key), at = splitmix(&seed);
    bool used[16] = {false};

    for (int i = 0; i < n; i++) {
        seed = fnv1a(names[i]);
        dist[i] = UINT64_MAX;
        for (int k = 0; k < vnodes; k++) {
            uint64_t d = splitmix(&seed) - at;
            dist[i] = d < dist[i] ? d : dist[i];
        }
    }
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!used[i] && (best < 0 || dist[i] < dist[best]))
                best = i;
        used[best] = true;
        order[k] = best;
    }
}

START_TEST(ch_bl_follows_the_documented_ring)
{
    static const char *const names[6] = {"n1", "n2", "n3", "n4", "n5", "n6"};
    static const char *const keys[4] = {"fib", "resize", "thumbnail", "a"};
    const double params[2] = {0.25, 1}; /* one point per node */
    struct fb_node_view n[6];
    int want[6];

    for (int f = 0; f < 4; f++) {
        struct fb_select_ctx c = {.function = f, .function_name = keys[f], .ram_threshold = T};
        void *st = init_params(&fb_policy_ch_bl, 1, params);
        ring_order(names, 6, keys[f], 1, want);
        for (int i = 0; i < 6; i++)
            n[i] = (struct fb_node_view){.name = names[i]};
        /* Idle: the home. Each pick taken down in turn: the next clockwise. */
        for (int k = 0; k < 6; k++) {
            ck_assert_int_eq(fb_policy_ch_bl.ops.select(st, n, 6, &c), want[k]);
            n[want[k]].down = true;
        }
        ck_assert_int_eq(fb_policy_ch_bl.ops.select(st, n, 6, &c), FB_ENONODE);
        fini(&fb_policy_ch_bl, st);
    }
}
END_TEST

/* ceil((1 + eps) * m / e) for the eps used below (exact in binary). */
static int bound_of(double eps, int m, int e)
{
    return (int)ceil((1.0 + eps) * m / e);
}

START_TEST(ch_bl_never_exceeds_its_bound_while_another_node_is_under_it)
{
    static const double eps[4] = {0, 0.25, 0.5, 1};
    static const char *const names[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    struct fb_rng g;
    int checked = 0, moved = 0;

    fb_rng_seed(&g, 2024);
    for (int trial = 0; trial < 3000; trial++) {
        double params[2] = {eps[trial % 4], (double)(1 + trial % 7)};
        struct fb_node_view n[8], idle[8];
        char fname[16];
        int size = 1 + (int)fb_rng_below(&g, 8), e = 0, m = 1;

        snprintf(fname, sizeof(fname), "fn%d", (int)fb_rng_below(&g, 12));
        struct fb_select_ctx c = {.function = 0, .function_name = fname, .ram_threshold = T};
        for (int i = 0; i < size; i++) {
            n[i] = (struct fb_node_view){.name = names[i],
                                         .inflight = (int)fb_rng_below(&g, 7),
                                         .down = fb_rng_below(&g, 8) == 0,
                                         .ram_pct = fb_rng_below(&g, 8) == 0 ? 95 : 10};
            idle[i] = n[i];
            idle[i].inflight = 0;
            if (fb_node_eligible(&n[i], T)) {
                e++;
                m += n[i].inflight;
            }
        }
        void *st = init_params(&fb_policy_ch_bl, 1, params);
        int pick = fb_policy_ch_bl.ops.select(st, n, size, &c);
        int home = fb_policy_ch_bl.ops.select(st, idle, size, &c);
        fini(&fb_policy_ch_bl, st);
        if (e == 0) {
            ck_assert_int_eq(pick, FB_ENONODE);
            continue;
        }
        int cap = bound_of(params[0], m, e);
        ck_assert_int_ge(pick, 0);
        ck_assert(fb_node_eligible(&n[pick], T));
        /* With the new invocation the node is at most at the bound... */
        ck_assert_int_le(n[pick].inflight + 1, cap);
        /* ...and the home keeps it whenever the home is under the bound. */
        if (n[home].inflight < cap)
            ck_assert_int_eq(pick, home);
        else
            moved++;
        checked++;
    }
    ck_assert_int_gt(checked, 2000);
    ck_assert_int_gt(moved, 200); /* the walk past a full home was exercised */
}
END_TEST

START_TEST(ch_bl_spreads_a_hot_function_within_the_bound)
{
    static const double eps[3] = {0.25, 1, 0};
    struct fb_select_ctx c = {.function = 0, .function_name = "hot", .ram_threshold = T};

    for (int k = 0; k < 3; k++) {
        const double params[2] = {eps[k], 10};
        struct fb_node_view n[4] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"}};
        void *st = init_params(&fb_policy_ch_bl, 1, params);
        int most = 0, least = 1 << 30;

        /* 200 arrivals of one function, none finishing. */
        for (int placed = 0; placed < 200; placed++) {
            int i = fb_policy_ch_bl.ops.select(st, n, 4, &c);
            ck_assert_int_ge(i, 0);
            n[i].inflight++;
            for (int j = 0; j < 4; j++)
                ck_assert_int_le(n[j].inflight, bound_of(eps[k], placed + 1, 4));
        }
        for (int j = 0; j < 4; j++) {
            most = n[j].inflight > most ? n[j].inflight : most;
            least = n[j].inflight < least ? n[j].inflight : least;
        }
        if (eps[k] == 0) {
            ck_assert_int_le(most - least, 1); /* no imbalance allowed */
        } else {
            ck_assert_int_le(most, bound_of(eps[k], 200, 4));
            ck_assert_int_eq(most, bound_of(eps[k], 200, 4)); /* the home fills first */
        }
        fini(&fb_policy_ch_bl, st);
    }
}
END_TEST

START_TEST(ch_bl_with_many_nodes)
{
    enum { N = 300 };
    static char names[N][16];
    struct fb_node_view *n = calloc(N, sizeof(*n));
    struct fb_select_ctx c = {.function = 0, .function_name = "hot", .ram_threshold = T};
    void *st = init_params(&fb_policy_ch_bl, 1, NULL);
    enum fb_warming mode;
    int used = 0;

    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "node-%d", i);
        n[i].name = names[i];
    }
    for (int placed = 0; placed < 3000; placed++) {
        int i = fb_chain_select(&fb_policy_ch_bl, st, n, N, &c, &mode);
        ck_assert_int_ge(i, 0);
        used += n[i].inflight == 0;
        n[i].inflight++;
        ck_assert_int_le(n[i].inflight, bound_of(0.25, placed + 1, N));
    }
    /* At most ceil(1.25 x 3000 / 300) = 13 each: 231 nodes at least. */
    ck_assert_int_ge(used, 231);
    fini(&fb_policy_ch_bl, st);
    free(n);
}
END_TEST

START_TEST(ch_bl_keeps_a_node_on_the_ring_whatever_subset_it_sees)
{
    static const char *const names[6] = {"w1", "w2", "w3", "w4", "w5", "w6"};
    struct fb_node_view full[6], sub[6];
    char fname[32];
    void *st = init_params(&fb_policy_ch_bl, 1, NULL);
    int homes[6] = {0};

    for (int f = 0; f < 60; f++) {
        int order[6];
        snprintf(fname, sizeof(fname), "function-%d", f);
        struct fb_select_ctx c = {.function = f, .function_name = fname, .ram_threshold = T};
        for (int i = 0; i < 6; i++)
            full[i] = (struct fb_node_view){.name = names[i]};
        for (int k = 0; k < 6; k++) {
            order[k] = fb_policy_ch_bl.ops.select(st, full, 6, &c);
            full[order[k]].down = true;
        }
        homes[order[0]]++;
        /* A subset in another order (every third node left out, the rest
         * reversed): the first node of the full order present in it. */
        int m = 0, want = -1;
        for (int i = 5; i >= 0; i--)
            if ((i + f) % 3 != 0)
                sub[m++] = (struct fb_node_view){.name = names[i]};
        for (int k = 0; k < 6 && want < 0; k++)
            for (int j = 0; j < m; j++)
                if (strcmp(sub[j].name, names[order[k]]) == 0)
                    want = j;
        ck_assert_int_eq(fb_policy_ch_bl.ops.select(st, sub, m, &c), want);
    }
    fini(&fb_policy_ch_bl, st);
    for (int i = 0; i < 6; i++)
        ck_assert_int_gt(homes[i], 0); /* functions spread over the nodes */
}
END_TEST

START_TEST(ch_bl_in_the_chain_bounds_the_warm_tier_by_its_own_mean)
{
    /* Two warm nodes among four: the warm tier's mean is over those two. */
    struct fb_node_view n[4] = {{.name = "a", .has_warm = true, .has_image = true},
                                {.name = "b"},
                                {.name = "c", .has_warm = true, .has_image = true},
                                {.name = "d"}};
    struct fb_select_ctx c = {.function = 0, .function_name = "fib", .ram_threshold = T};
    void *st = init_params(&fb_policy_ch_bl, 1, NULL);
    enum fb_warming mode;
    int count[4] = {0};

    for (int k = 0; k < 40; k++) {
        int i = fb_chain_select(&fb_policy_ch_bl, st, n, 4, &c, &mode);
        ck_assert_int_eq(mode, FB_WARM_WARMED);
        n[i].inflight++;
        count[i]++;
        ck_assert_int_le(n[i].inflight, bound_of(0.25, k + 1, 2));
    }
    ck_assert_int_eq(count[1] + count[3], 0);
    ck_assert_int_ge(count[0], 15);
    ck_assert_int_ge(count[2], 15);
    fini(&fb_policy_ch_bl, st);
}
END_TEST

/* ---- ch-rlu ---- */

/* An arrival of function f (named name) at now. */
static int arrive(void *st, const struct fb_node_view *n, int count, int f, const char *name,
                  double now)
{
    struct fb_select_ctx c = {.function = f, .function_name = name, .ram_threshold = T,
                              .now_s = now, .arrival = true};
    return fb_policy_ch_rlu.ops.select(st, n, count, &c);
}

START_TEST(ch_rlu_keeps_an_unpopular_function_home_and_spills_a_popular_one)
{
    static const char *const names[5] = {"a", "b", "c", "d", "e"};
    /* share 0.5 of two functions: one popular; bound 4, period 2 s, chain
     * 4, 3 points per node. */
    const double params[5] = {0.5, 4, 2, 4, 3};
    struct fb_node_view n[5];
    int hot[5], cold[5];
    void *st = init_params(&fb_policy_ch_rlu, 1, params);

    for (int i = 0; i < 5; i++)
        n[i] = (struct fb_node_view){.name = names[i]};
    ring_order(names, 5, "hot", 3, hot);
    ring_order(names, 5, "cold", 3, cold);
    ck_assert_int_ne(hot[0], cold[0]); /* so that their loads can differ */

    /* First window [0, 2): nothing is popular yet, both stay home even
     * with their homes far over the bound. */
    n[hot[0]].inflight = n[cold[0]].inflight = 10;
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 0.1 * (k + 1)), hot[0]);
    ck_assert_int_eq(arrive(st, n, 5, 1, "cold", 1.5), cold[0]);

    /* Second window: "hot" (10 arrivals against 1) is popular and spills to
     * the next node of its walk; "cold" stays home. */
    n[cold[0]].inflight = 0;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 2.5), hot[1]);
    n[cold[0]].inflight = 10;
    ck_assert_int_eq(arrive(st, n, 5, 1, "cold", 2.6), cold[0]);
    n[cold[0]].inflight = 0;
    /* The bound takes a node with as many in flight as it... */
    n[hot[1]].inflight = 4;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 2.7), hot[1]);
    /* ...not one over it: the next one then. */
    n[hot[1]].inflight = 5;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 2.8), hot[2]);
    /* A popular function's home under the bound keeps it. */
    n[hot[0]].inflight = 2;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 2.9), hot[0]);
    /* The chain is 4 nodes: with all four over the bound it stays home,
     * though the fifth is idle. */
    for (int k = 0; k < 4; k++)
        n[hot[k]].inflight = 5;
    n[hot[4]].inflight = 0;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 3.0), hot[0]);
    /* Nodes that are not eligible are passed over and not counted. */
    n[hot[1]].down = true;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 3.1), hot[4]);
    n[hot[1]].down = false;

    /* In [2, 4) "cold" arrives more often than "hot" (8 against 6): from
     * 4 s on the roles swap. */
    for (int k = 0; k < 7; k++)
        ck_assert_int_eq(arrive(st, n, 5, 1, "cold", 3.2 + 0.1 * k), cold[0]);
    for (int i = 0; i < 5; i++)
        n[i].inflight = 0;
    n[hot[0]].inflight = 10;
    ck_assert_int_eq(arrive(st, n, 5, 0, "hot", 4.1), hot[0]);
    n[hot[0]].inflight = 0;
    n[cold[0]].inflight = 10;
    ck_assert_int_eq(arrive(st, n, 5, 1, "cold", 4.2), cold[1]);

    /* A quiet spell longer than a period: the window before now saw no
     * arrival, so nothing is popular. */
    ck_assert_int_eq(arrive(st, n, 5, 1, "cold", 9.0), cold[0]);
    fini(&fb_policy_ch_rlu, st);
}
END_TEST

START_TEST(ch_rlu_without_a_clock_is_plain_consistent_hashing)
{
    static const char *const names[4] = {"n1", "n2", "n3", "n4"};
    struct fb_node_view n[4];
    int order[4];
    void *st = init_params(&fb_policy_ch_rlu, 1, NULL);

    for (int i = 0; i < 4; i++)
        n[i] = (struct fb_node_view){.name = names[i]};
    ring_order(names, 4, "hot", 3, order); /* the default: 3 points per node */
    n[order[0]].inflight = 50;
    /* now_s stays 0: no window closes, nothing becomes popular. */
    for (int k = 0; k < 1000; k++)
        ck_assert_int_eq(arrive(st, n, 4, 0, "hot", 0), order[0]);
    fini(&fb_policy_ch_rlu, st);

    /* A clock but no arrivals (warming picks, re-selections): the same. */
    st = init_params(&fb_policy_ch_rlu, 1, NULL);
    for (int k = 0; k < 1000; k++) {
        struct fb_select_ctx c = {.function = 0, .function_name = "hot", .ram_threshold = T,
                                  .now_s = 0.01 * k};
        ck_assert_int_eq(fb_policy_ch_rlu.ops.select(st, n, 4, &c), order[0]);
    }
    /* A clock that cannot be read as time (NaN, negative) stands still; one
     * far past any cell is held at a limit. Neither makes "hot" popular. */
    ck_assert_int_eq(arrive(st, n, 4, 0, "hot", NAN), order[0]);
    ck_assert_int_eq(arrive(st, n, 4, 0, "hot", -1), order[0]);
    ck_assert_int_eq(arrive(st, n, 4, 0, "hot", 1e300), order[0]);
    /* An ineligible home: the next eligible node of the walk. */
    n[order[0]].ram_pct = 95;
    ck_assert_int_eq(arrive(st, n, 4, 0, "hot", 20), order[1]);
    n[order[1]].down = true;
    ck_assert_int_eq(arrive(st, n, 4, 0, "hot", 21), order[2]);
    fini(&fb_policy_ch_rlu, st);
}
END_TEST

START_TEST(ch_rlu_takes_a_rounded_share_of_the_functions_seen)
{
    static const char *const names[3] = {"x", "y", "z"};
    static const char *const fns[4] = {"f0", "f1", "f2", "f3"};
    struct fb_node_view n[3];
    int order[3];

    for (int i = 0; i < 3; i++)
        n[i] = (struct fb_node_view){.name = names[i], .inflight = 9};
    /* The default share 0.2: of two functions round(0.4) = 0 are popular,
     * of four round(0.8) = 1, the one with the most arrivals. */
    for (int seen = 2; seen <= 4; seen += 2) {
        void *st = init_params(&fb_policy_ch_rlu, 1, NULL);
        for (int f = 0; f < seen; f++)
            for (int k = 0; k <= f; k++) /* f_k arrives k + 1 times */
                arrive(st, n, 3, f, fns[f], 0.5);
        for (int f = 0; f < seen; f++) {
            ring_order(names, 3, fns[f], 3, order);
            n[order[1]].inflight = 0; /* under the bound: where a popular one goes */
            int want = seen == 4 && f == 3 ? order[1] : order[0];
            ck_assert_int_eq(arrive(st, n, 3, f, fns[f], 2.5), want);
            n[order[1]].inflight = 9;
        }
        fini(&fb_policy_ch_rlu, st);
    }
}
END_TEST

/* ---- pull-based ---- */

static int pb_pick(void *st, const struct fb_node_view *n, int count, int f)
{
    struct fb_select_ctx c = {.function = f, .function_name = f == 0 ? "fib" : "resize",
                              .ram_threshold = T};
    return fb_policy_pull_based.ops.select(st, n, count, &c);
}

static void pb_done(void *st, const char *node, int f)
{
    fb_policy_pull_based.ops.done(st, node, f, 1.0);
}

START_TEST(pull_based_picks_the_node_that_just_finished_the_function)
{
    struct fb_node_view n[3] = {{.name = "a"}, {.name = "b", .inflight = 2}, {.name = "c"}};
    void *st = init_seeded(&fb_policy_pull_based, 1);

    /* b is busier than a and c, but it has just finished fib. */
    pb_done(st, "b", 0);
    ck_assert_int_eq(pb_pick(st, n, 3, 0), 1);
    /* Its entry is used: next time, least connections (a or c). */
    int i = pb_pick(st, n, 3, 0);
    ck_assert(i == 0 || i == 2);
    /* Another function's queue is its own. */
    n[0].inflight = 5;
    pb_done(st, "a", 1);
    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(pb_pick(st, n, 3, 0), 2);
    ck_assert_int_eq(pb_pick(st, n, 3, 1), 0);
    fini(&fb_policy_pull_based, st);
}
END_TEST

START_TEST(pull_based_takes_the_least_loaded_finished_node_first)
{
    struct fb_node_view n[4] = {{.name = "a", .inflight = 3},
                                {.name = "b", .inflight = 1},
                                {.name = "c", .inflight = 2},
                                {.name = "d"}};
    void *st = init_seeded(&fb_policy_pull_based, 1);

    pb_done(st, "a", 0);
    pb_done(st, "b", 0);
    pb_done(st, "c", 0);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 1);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 2);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 0);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 3); /* queue empty: the idle d */
    /* The load is the view's at selection time, not the one when queued;
     * equal loads: the entry queued first. */
    pb_done(st, "c", 0);
    pb_done(st, "a", 0);
    pb_done(st, "b", 0);
    n[0].inflight = n[1].inflight = n[2].inflight = 1;
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 2);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 0);
    n[1].inflight = 7;
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 1); /* still queued, though busy */
    /* Two finished invocations on one node: two entries. */
    pb_done(st, "a", 0);
    pb_done(st, "a", 0);
    n[3].inflight = 9;
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 0);
    ck_assert_int_eq(pb_pick(st, n, 4, 0), 0);
    fini(&fb_policy_pull_based, st);
}
END_TEST

START_TEST(pull_based_knows_nodes_by_name_in_any_view)
{
    struct fb_node_view all[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
    struct fb_node_view tier[2] = {{.name = "c", .inflight = 4}, {.name = "b", .inflight = 4}};
    struct fb_node_view other[3] = {{.name = "c"}, {.name = "b"}, {.name = "a", .inflight = 3}};
    void *st = init_seeded(&fb_policy_pull_based, 1);

    pb_done(st, "a", 0);
    /* A view without a: a's entry stays for later. */
    int i = pb_pick(st, tier, 2, 0);
    ck_assert(i == 0 || i == 1);
    /* a, wherever it is listed. */
    ck_assert_int_eq(pb_pick(st, other, 3, 0), 2);
    /* A queued node that is not eligible is passed over, and stays. */
    pb_done(st, "b", 0);
    all[1].ram_pct = 95;
    all[0].inflight = 1;
    ck_assert_int_eq(pb_pick(st, all, 3, 0), 2);
    all[1].ram_pct = 0;
    all[1].inflight = 6;
    ck_assert_int_eq(pb_pick(st, all, 3, 0), 1);
    fini(&fb_policy_pull_based, st);
}
END_TEST

START_TEST(pull_based_keeps_the_newest_entries_of_a_full_queue)
{
    struct fb_node_view n[3] = {{.name = "a", .inflight = 5}, {.name = "b"}, {.name = "c"}};
    void *st = init_seeded(&fb_policy_pull_based, 1);

    pb_done(st, "a", 0);
    for (int k = 0; k < 1024; k++)
        pb_done(st, "b", 0);
    /* a's entry, the oldest, made room: with b down, least connections
     * takes the idle c over the queued-then-dropped a. */
    n[1].down = true;
    ck_assert_int_eq(pb_pick(st, n, 3, 0), 2);
    n[1].down = false;
    n[1].inflight = 3;
    for (int k = 0; k < 1024; k++)
        ck_assert_int_eq(pb_pick(st, n, 3, 0), 1);
    ck_assert_int_eq(pb_pick(st, n, 3, 0), 2); /* all used */
    fini(&fb_policy_pull_based, st);
}
END_TEST

START_TEST(pull_based_without_completions_is_least_connections)
{
    enum { K = 64 };
    struct fb_node_view n[5] = {{.name = "a", .inflight = 1}, {.name = "b"}, {.name = "c"},
                                {.name = "d", .inflight = 2}, {.name = "e"}};
    int a[K], b[K];

    draw_sequence(&fb_policy_pull_based, 9, n, 5, a, K);
    draw_sequence(&fb_policy_least_connections, 9, n, 5, b, K);
    ck_assert(same_sequence(a, b, K));
}
END_TEST

START_TEST(pull_based_in_the_chain_takes_the_warm_node_that_finished)
{
    /* Keep-alive: a and b hold warm instances of fib; b has just finished
     * one. The warm tier is asked first and b's entry is in it. */
    struct fb_node_view n[3] = {{.name = "a", .has_warm = true, .has_image = true},
                                {.name = "b", .has_warm = true, .has_image = true,
                                 .inflight = 1},
                                {.name = "c"}};
    void *st = init_seeded(&fb_policy_pull_based, 1);
    enum fb_warming mode;

    pb_done(st, "b", 0);
    ck_assert_int_eq(fb_chain_select(&fb_policy_pull_based, st, n, 3, &ctx, &mode), 1);
    ck_assert_int_eq(mode, FB_WARM_WARMED);
    /* Then the warm tier by least connections: a. */
    ck_assert_int_eq(fb_chain_select(&fb_policy_pull_based, st, n, 3, &ctx, &mode), 0);
    fini(&fb_policy_pull_based, st);
}
END_TEST

/* ---- parameters ---- */

START_TEST(policies_take_their_parameters_from_the_spec)
{
    struct fb_plugspec spec;
    struct fb_errbuf eb = {{0}};
    struct fb_node_view n[4] = {{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "d"}};
    struct fb_select_ctx c = {.function = 0, .function_name = "hot", .ram_threshold = T};
    const struct fb_policy *p;

    /* The published defaults, as the README gives them. */
    ck_assert_ptr_eq(fb_policy_find_spec("ch-bl", &spec, &eb), &fb_policy_ch_bl);
    ck_assert_int_eq(spec.n_values, 2);
    ck_assert(spec.values[0] == 0.25 && spec.values[1] == 10);
    ck_assert_ptr_eq(fb_policy_find_spec("ch-rlu", &spec, &eb), &fb_policy_ch_rlu);
    ck_assert_int_eq(spec.n_values, 5);
    ck_assert(spec.values[0] == 0.2 && spec.values[1] == 4 && spec.values[2] == 2 &&
              spec.values[3] == 4 && spec.values[4] == 3);
    ck_assert_ptr_eq(fb_policy_find_spec("pull-based", &spec, &eb), &fb_policy_pull_based);
    ck_assert_int_eq(spec.n_values, 0);

    /* epsilon=0 from the spec reaches the policy: 9 invocations over 4
     * nodes, no node more than one ahead of another. */
    p = fb_policy_find_spec("ch-bl:epsilon=0", &spec, &eb);
    ck_assert_ptr_eq(p, &fb_policy_ch_bl);
    void *st = init_params(p, 1, spec.values);
    for (int k = 0; k < 9; k++)
        n[p->ops.select(st, n, 4, &c)].inflight++;
    for (int i = 0; i < 4; i++)
        ck_assert_int_ge(n[i].inflight, 2);
    fini(p, st);

    /* A bad value is refused with the policy's name. */
    ck_assert_ptr_null(fb_policy_find_spec("ch-rlu:share=2", &spec, &eb));
    ck_assert_str_eq(eb.msg, "ch-rlu: share: 2 is outside [0, 1]");
}
END_TEST

START_TEST(the_listing_shows_each_policy_and_its_parameters)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const struct fb_policy *p;

    ck_assert_ptr_nonnull(f);
    fb_policy_list(f);
    fclose(f);
    for (int i = 0; (p = fb_policy_at(i)) != NULL; i++) {
        char line[256];
        snprintf(line, sizeof(line), "%-18s %s\n", p->name, p->summary);
        ck_assert_msg(strstr(text, line) != NULL, "%s is not listed", p->name);
    }
    ck_assert_ptr_nonnull(strstr(text, "\n    epsilon=0.25     number in [0, 10]: "));
    ck_assert_ptr_nonnull(strstr(text, "\n    vnodes=10        integer in [1, 1000]: "));
    ck_assert_ptr_nonnull(strstr(text, "\n    period_s=2       number in [0.001, 86400]: "));
    /* Parameters follow their own policy's line: ch-rlu's vnodes (3) comes
     * after "ch-rlu", ch-bl's (10) before it. */
    char *rlu = strstr(text, "\nch-rlu ");
    ck_assert_ptr_nonnull(rlu);
    ck_assert_ptr_nonnull(strstr(rlu, "    vnodes=3 "));
    ck_assert(strstr(text, "    vnodes=10 ") < rlu);
    free(text);
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
    tcase_add_test(tc, chain_passes_the_arrival_to_the_first_call_only);
    tcase_add_test(tc, registry_finds_the_added_policies);
    tcase_add_test(tc, seeded_policies_repeat_with_a_seed);
    tcase_add_test(tc, random_spreads_evenly_over_eligible_nodes);
    tcase_add_test(tc, power_of_two_with_two_nodes_takes_the_lower_cpu);
    tcase_add_test(tc, power_of_two_never_picks_the_most_loaded);
    tcase_add_test(tc, power_of_two_with_one_eligible_node);
    tcase_add_test(tc, hash_affinity_follows_the_documented_hash);
    tcase_add_test(tc, hash_affinity_keeps_a_function_home_and_spreads_functions);
    tcase_add_test(tc, hash_affinity_probe_visits_every_node_once);
    tcase_add_test(tc, hash_affinity_skips_ineligible_nodes);
    tcase_add_test(tc, chain_with_hash_affinity_keeps_the_warm_tier);
    tcase_add_test(tc, warm_aware_prefers_warm_then_image_then_least_loaded);
    tcase_add_test(tc, least_connections_takes_the_fewest_in_flight);
    tcase_add_test(tc, least_connections_ties_spread_over_seeds);
    tcase_add_test(tc, least_connections_in_the_chain_spreads_a_tier);
    tcase_add_test(tc, ch_bl_follows_the_documented_ring);
    tcase_add_test(tc, ch_bl_never_exceeds_its_bound_while_another_node_is_under_it);
    tcase_add_test(tc, ch_bl_spreads_a_hot_function_within_the_bound);
    tcase_add_test(tc, ch_bl_with_many_nodes);
    tcase_add_test(tc, ch_bl_keeps_a_node_on_the_ring_whatever_subset_it_sees);
    tcase_add_test(tc, ch_bl_in_the_chain_bounds_the_warm_tier_by_its_own_mean);
    tcase_add_test(tc, ch_rlu_keeps_an_unpopular_function_home_and_spills_a_popular_one);
    tcase_add_test(tc, ch_rlu_without_a_clock_is_plain_consistent_hashing);
    tcase_add_test(tc, ch_rlu_takes_a_rounded_share_of_the_functions_seen);
    tcase_add_test(tc, pull_based_picks_the_node_that_just_finished_the_function);
    tcase_add_test(tc, pull_based_takes_the_least_loaded_finished_node_first);
    tcase_add_test(tc, pull_based_knows_nodes_by_name_in_any_view);
    tcase_add_test(tc, pull_based_keeps_the_newest_entries_of_a_full_queue);
    tcase_add_test(tc, pull_based_without_completions_is_least_connections);
    tcase_add_test(tc, pull_based_in_the_chain_takes_the_warm_node_that_finished);
    tcase_add_test(tc, policies_take_their_parameters_from_the_spec);
    tcase_add_test(tc, the_listing_shows_each_policy_and_its_parameters);
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
