/* test_plugopt.c - plug-in parameters: "NAME:KEY=VALUE,..." against a table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/plugopt.h"

static const struct fb_plugopt table[] = {
    {"epsilon", FB_PLUGOPT_NUMBER, 0.25, 0, 10, "load bound over the mean"},
    {"vnodes", FB_PLUGOPT_INT, 100, 1, 10000, "points per node on the ring"},
    {NULL, 0, 0, 0, 0, NULL},
};

START_TEST(defaults_and_values)
{
    struct fb_plugspec s;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_plugspec_parse("ch-bl", table, &s, &eb), 0);
    ck_assert_str_eq(s.name, "ch-bl");
    ck_assert_int_eq(s.n_values, 2);
    ck_assert(s.values[0] == 0.25 && s.values[1] == 100);
    ck_assert_int_eq(fb_plugspec_parse("ch-bl:vnodes=7,epsilon=1.5", table, &s, &eb), 0);
    ck_assert(s.values[0] == 1.5 && s.values[1] == 7);
    ck_assert_int_eq(fb_plugspec_parse("ttl", NULL, &s, &eb), 0);
    ck_assert_int_eq(s.n_values, 0);
}
END_TEST

START_TEST(errors_say_what)
{
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"ch-bl:eps=1", "ch-bl: unknown parameter 'eps' (known: epsilon, vnodes)"},
        {"ch-bl:epsilon=x", "ch-bl: epsilon: 'x' is not a number"},
        {"ch-bl:epsilon=11", "ch-bl: epsilon: 11 is outside [0, 10]"},
        {"ch-bl:vnodes=2.5", "ch-bl: vnodes: 2.5 is not a whole number"},
        {"ch-bl:epsilon=1,epsilon=2", "ch-bl: epsilon given twice"},
        {"ch-bl:epsilon", "ch-bl: 'epsilon' is not KEY=VALUE"},
        {"ch-bl:", "ch-bl: '' is not KEY=VALUE"},
        {":x=1", "':x=1': no name before ':'"},
        {"lru:x=1", "lru: unknown parameter 'x' (it takes none)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fb_plugspec s;
        struct fb_errbuf eb = {{0}};
        const struct fb_plugopt *t = strncmp(bad[i].spec, "lru", 3) == 0 ? NULL : table;
        ck_assert_int_eq(fb_plugspec_parse(bad[i].spec, t, &s, &eb), FB_EINVAL);
        ck_assert_str_eq(eb.msg, bad[i].msg);
    }
}
END_TEST

/* A table's own mistakes, named with the kind of plug-in (the registries'
 * table checks run this on every shipped policy). */
START_TEST(tables_are_checked)
{
    static const struct fb_plugopt out_of_range[] = {
        {"eps", FB_PLUGOPT_NUMBER, 5, 0, 1, "a share"}, {NULL, 0, 0, 0, 0, NULL}};
    static const struct fb_plugopt twice[] = {
        {"n", FB_PLUGOPT_INT, 1, 0, 9, "a count"},
        {"n", FB_PLUGOPT_INT, 2, 0, 9, "again"},
        {NULL, 0, 0, 0, 0, NULL}};
    static const struct fb_plugopt fraction[] = {
        {"n", FB_PLUGOPT_INT, 1.5, 0, 9, "a count"}, {NULL, 0, 0, 0, 0, NULL}};
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_plugopt_table_check("policy", "p", NULL, &eb), 0);
    ck_assert_int_eq(fb_plugopt_table_check("policy", "p", out_of_range, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "policy 'p': eps: default 5 outside [0, 1]");
    ck_assert_int_eq(fb_plugopt_table_check("keep-alive policy", "k", twice, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "keep-alive policy 'k': n is listed twice");
    ck_assert_int_eq(fb_plugopt_table_check("policy", "p", fraction, &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "policy 'p': n is an integer with a fractional bound");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugopt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_and_values);
    tcase_add_test(tc, errors_say_what);
    tcase_add_test(tc, tables_are_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
