/* test_matrix.c - cell expansion in listed and seeded shuffled order. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/matrix.h"
#include "core/rng.h"

static char *pol[] = {"round-robin", "least-used", "most-used"};
static enum fb_warming warm[] = {FB_WARM_COLD, FB_WARM_PREWARMED, FB_WARM_WARMED};

START_TEST(listed_order)
{
    struct fb_matrix_cfg m = {pol, 3, warm, 3, 5, 2, false, NULL, 0, false};
    struct fb_cell *c;
    int n;
    ck_assert_int_eq(fb_matrix_expand(&m, 1, &c, &n), 0);
    ck_assert_int_eq(n, 18);
    ck_assert_int_eq(c[0].repetition, 1);
    ck_assert_int_eq(c[0].policy, 0);
    ck_assert_int_eq(c[0].warming, FB_WARM_COLD);
    ck_assert_int_eq(c[1].warming, FB_WARM_PREWARMED);
    ck_assert_int_eq(c[3].policy, 1);
    ck_assert_int_eq(c[9].repetition, 2);
    ck_assert_int_eq(c[17].policy, 2);
    ck_assert_int_eq(c[17].warming, FB_WARM_WARMED);
    free(c);
}
END_TEST

START_TEST(shuffled_is_a_seeded_permutation)
{
    struct fb_matrix_cfg m = {pol, 3, warm, 3, 1, 3, true, NULL, 0, false};
    struct fb_cell *a, *b, *d;
    int n;
    ck_assert_int_eq(fb_matrix_expand(&m, 42, &a, &n), 0);
    ck_assert_int_eq(fb_matrix_expand(&m, 42, &b, &n), 0);
    ck_assert_int_eq(fb_matrix_expand(&m, 43, &d, &n), 0);
    ck_assert_int_eq(memcmp(a, b, sizeof(*a) * (size_t)n), 0);
    ck_assert_int_ne(memcmp(a, d, sizeof(*a) * (size_t)n), 0);
    int seen[3][3][3] = {{{0}}};
    for (int i = 0; i < n; i++)
        seen[a[i].repetition - 1][a[i].policy][a[i].warming]++;
    for (int r = 0; r < 3; r++)
        for (int p = 0; p < 3; p++)
            for (int w = 0; w < 3; w++)
                ck_assert_int_eq(seen[r][p][w], 1);
    free(a);
    free(b);
    free(d);
}
END_TEST

START_TEST(rng_below_is_in_range_and_spread)
{
    struct fb_rng r;
    int count[5] = {0};
    fb_rng_seed(&r, 7);
    for (int i = 0; i < 5000; i++) {
        uint64_t x = fb_rng_below(&r, 5);
        ck_assert_uint_lt(x, 5);
        count[x]++;
    }
    for (int i = 0; i < 5; i++)
        ck_assert_int_gt(count[i], 800);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("matrix");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, listed_order);
    tcase_add_test(tc, shuffled_is_a_seeded_permutation);
    tcase_add_test(tc, rng_below_is_in_range_and_spread);
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
