/* test_metrics.c - Check suite: fbm1 and testbed parsing, CPU % and RAM % arithmetic. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static int parse(enum fb_metrics_format f, const char *text, struct fb_counters *c,
                 struct fb_errbuf *eb)
{
    memset(c, 0xab, sizeof(*c)); /* untouched on failure, filled on success */
    eb->msg[0] = '\0';
    return fb_metrics_parse(f, text, c, eb);
}

START_TEST(test_fbm1_good)
{
    struct fb_counters c;
    struct fb_errbuf eb;

    ck_assert_int_eq(parse(FB_METRICS_FBNODE,
                           "fbm1 cpu_ns=123456789 clock_ns=987654321000 mem_used=1048576 "
                           "mem_limit=536870912 cpus=0.5 source=cgroup1\n",
                           &c, &eb),
                     0);
    ck_assert(c.cumulative);
    ck_assert_uint_eq(c.cpu_ns, 123456789u);
    ck_assert_uint_eq(c.clock_ns, 987654321000u);
    ck_assert_uint_eq(c.mem_used, 1048576u);
    ck_assert_uint_eq(c.mem_limit, 536870912u);
    ck_assert(NEAR(c.cpus, 0.5));
}
END_TEST

START_TEST(test_fbm1_order_unknown_keys_and_noise)
{
    struct fb_counters c;
    struct fb_errbuf eb;

    /* Any key order, extra keys, no source, a line before it, CRLF. */
    ck_assert_int_eq(parse(FB_METRICS_FBNODE,
                           "warning: something\n"
                           "fbm1 source=proc  cpus=2 mem_limit=0 future=x mem_used=7 "
                           "clock_ns=5 cpu_ns=18446744073709551615\r\n",
                           &c, &eb),
                     0);
    ck_assert_uint_eq(c.cpu_ns, UINT64_MAX);
    ck_assert_uint_eq(c.clock_ns, 5u);
    ck_assert_uint_eq(c.mem_used, 7u);
    ck_assert_uint_eq(c.mem_limit, 0u);
    ck_assert(NEAR(c.cpus, 2.0));
}
END_TEST

START_TEST(test_fbm1_bad)
{
    static const char *const bad[] = {
        "",
        "hello",
        "fbm2 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1",
        /* each required key missing in turn */
        "fbm1 clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=1 clock_ns=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 cpus=1",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1",
        /* bad values */
        "fbm1 cpu_ns=-1 clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=1x clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns= clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=18446744073709551616 clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=0",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=-2",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=nan",
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=two",
        /* a word without '=', a key twice */
        "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 mem_limit=1 cpus=1 junk",
        "fbm1 cpu_ns=1 cpu_ns=2 clock_ns=1 mem_used=1 mem_limit=1 cpus=1",
    };
    struct fb_counters c;
    struct fb_errbuf eb;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(FB_METRICS_FBNODE, bad[i], &c, &eb);
        ck_assert_msg(rc == FB_EMETRICS, "accepted: '%s'", bad[i]);
        ck_assert_msg(eb.msg[0] != '\0', "no message for '%s'", bad[i]);
    }
    ck_assert_int_eq(parse(FB_METRICS_FBNODE, NULL, &c, &eb), FB_EMETRICS);
}
END_TEST

START_TEST(test_fbm1_missing_key_named)
{
    struct fb_counters c;
    struct fb_errbuf eb;

    parse(FB_METRICS_FBNODE, "fbm1 cpu_ns=1 clock_ns=1 mem_used=1 cpus=1", &c, &eb);
    ck_assert(strstr(eb.msg, "mem_limit") != NULL);
}
END_TEST

START_TEST(test_testbed_variants)
{
    static const struct {
        const char *text;
        double cpu, ram;
    } good[] = {
        {"{\"cpu_usage\": 12.5, \"ram_usage\": 40.1}", 12.5, 40.1},
        {"  \n{\"ram_usage\":40,\"cpu_usage\":3}\n\n", 3, 40},
        {"{\"cpu_usage\": \"12.50\", \"ram_usage\": \"7\"}", 12.5, 7},
        {"{\"cpu_usage\": \" 1e1 % \", \"ram_usage\": -0}", 10, 0},
        {"{\"node\": \"n1\", \"cpu_usage\": 99.9, \"extra\": {\"a\": [1, \"}\", {\"b\": null}]},"
         " \"ok\": true, \"ram_usage\": 50.25, \"z\": null}",
         99.9, 50.25},
        {"{\"k\\\"ey\": 1, \"cpu_usage\": 1, \"ram_usage\": 2}", 1, 2},
    };
    struct fb_counters c;
    struct fb_errbuf eb;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int rc = parse(FB_METRICS_TESTBED, good[i].text, &c, &eb);
        ck_assert_msg(rc == 0, "rejected '%s': %s", good[i].text, eb.msg);
        ck_assert(!c.cumulative);
        ck_assert_msg(NEAR(c.cpu_pct, good[i].cpu), "cpu %f for '%s'", c.cpu_pct, good[i].text);
        ck_assert_msg(NEAR(c.ram_pct, good[i].ram), "ram %f for '%s'", c.ram_pct, good[i].text);
    }
}
END_TEST

START_TEST(test_testbed_bad)
{
    static const char *const bad[] = {
        "",
        "   ",
        "12.5",
        "[1, 2]",
        "{}",
        "{\"cpu_usage\": 1}",
        "{\"ram_usage\": 1}",
        "{\"cpu_usage\": \"high\", \"ram_usage\": 1}",
        "{\"cpu_usage\": null, \"ram_usage\": 1}",
        "{\"cpu_usage\": 1, \"ram_usage\": 1",
        "{\"cpu_usage\": 1 \"ram_usage\": 1}",
        "{\"cpu_usage\" 1, \"ram_usage\": 1}",
        "{\"cpu_usage\": 1, \"ram_usage\": 1} trailing",
        "{\"cpu_usage\": 1, \"ram_usage\": 1, \"x\": {\"unclosed\": 1}",
        "{cpu_usage: 1, ram_usage: 1}",
        "{\"cpu_usage\": 1e999, \"ram_usage\": 1}",
    };
    struct fb_counters c;
    struct fb_errbuf eb;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(FB_METRICS_TESTBED, bad[i], &c, &eb);
        ck_assert_msg(rc == FB_EMETRICS, "accepted: '%s'", bad[i]);
        ck_assert_msg(eb.msg[0] != '\0', "no message for '%s'", bad[i]);
    }
}
END_TEST

START_TEST(test_none_format)
{
    struct fb_counters c;
    struct fb_errbuf eb;

    ck_assert_int_eq(parse(FB_METRICS_NONE, NULL, &c, &eb), 0);
    ck_assert(NEAR(fb_metrics_cpu_pct(NULL, &c), 0));
    ck_assert(NEAR(fb_metrics_ram_pct(&c), 0));
}
END_TEST

static struct fb_counters counters(uint64_t cpu_ns, uint64_t clock_ns, double cpus)
{
    struct fb_counters c;
    memset(&c, 0, sizeof(c));
    c.cumulative = true;
    c.cpu_ns = cpu_ns;
    c.clock_ns = clock_ns;
    c.cpus = cpus;
    return c;
}

START_TEST(test_cpu_pct_math)
{
    struct fb_counters a = counters(1000000000, 10000000000, 2);
    struct fb_counters b = counters(1500000000, 11000000000, 2);
    struct fb_counters half = counters(1250000000, 11000000000, 0.5);

    /* 0.5 s of CPU over 1 s of clock on 2 cores = 25 %. */
    ck_assert(NEAR(fb_metrics_cpu_pct(&a, &b), 25.0));
    /* 0.25 s over 1 s on half a core = 50 %. */
    ck_assert(NEAR(fb_metrics_cpu_pct(&a, &half), 50.0));
    /* No earlier reading, or a clock that did not advance. */
    ck_assert(NEAR(fb_metrics_cpu_pct(NULL, &b), 0));
    ck_assert(NEAR(fb_metrics_cpu_pct(&b, &b), 0));
    ck_assert(NEAR(fb_metrics_cpu_pct(&b, &a), 0));
}
END_TEST

START_TEST(test_cpu_pct_clamped)
{
    struct fb_counters a = counters(0, 0, 1);
    struct fb_counters over = counters(3000000000, 1000000000, 1);
    struct fb_counters reset = counters(0, 2000000000, 1);
    struct fb_counters tb;

    /* 3 s of CPU in 1 s on one core: capped at 100. */
    ck_assert(NEAR(fb_metrics_cpu_pct(&a, &over), 100.0));
    /* A counter that went backwards (node restarted) reads as 0, not huge. */
    ck_assert(NEAR(fb_metrics_cpu_pct(&over, &reset), 0.0));

    memset(&tb, 0, sizeof(tb));
    tb.cpu_pct = 150;
    tb.ram_pct = -3;
    ck_assert(NEAR(fb_metrics_cpu_pct(NULL, &tb), 100.0));
    ck_assert(NEAR(fb_metrics_ram_pct(&tb), 0.0));
    tb.cpu_pct = 42.5;
    tb.ram_pct = 61;
    ck_assert(NEAR(fb_metrics_cpu_pct(&a, &tb), 42.5));
    ck_assert(NEAR(fb_metrics_ram_pct(&tb), 61));
}
END_TEST

START_TEST(test_ram_pct)
{
    struct fb_counters c = counters(0, 0, 1);

    c.mem_used = 128u << 20;
    c.mem_limit = 512u << 20;
    ck_assert(NEAR(fb_metrics_ram_pct(&c), 25.0));
    c.mem_limit = 0;
    ck_assert(NEAR(fb_metrics_ram_pct(&c), 0.0));
}
END_TEST

START_TEST(test_parsed_then_math)
{
    struct fb_counters a, b;
    struct fb_errbuf eb;

    ck_assert_int_eq(parse(FB_METRICS_FBNODE,
                           "fbm1 cpu_ns=100000000 clock_ns=1000000000 mem_used=461373440 "
                           "mem_limit=536870912 cpus=0.5 source=cgroup1",
                           &a, &eb),
                     0);
    ck_assert_int_eq(parse(FB_METRICS_FBNODE,
                           "fbm1 cpu_ns=200000000 clock_ns=1400000000 mem_used=483183820 "
                           "mem_limit=536870912 cpus=0.5 source=cgroup1",
                           &b, &eb),
                     0);
    /* 0.1 s over 0.4 s on half a core = 50 %; 483183820 / 512 MiB = 90 %. */
    ck_assert(NEAR(fb_metrics_cpu_pct(&a, &b), 50.0));
    ck_assert(fabs(fb_metrics_ram_pct(&b) - 90.0) < 1e-6);
}
END_TEST

START_TEST(test_default_commands)
{
    ck_assert_str_eq(fb_metrics_default_command(FB_METRICS_FBNODE), "faasbench-node metrics");
    ck_assert_str_eq(fb_metrics_default_command(FB_METRICS_TESTBED),
                     "/usr/local/bin/get_node_metrics.sh");
    ck_assert_ptr_null(fb_metrics_default_command(FB_METRICS_NONE));
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_fbm1_good);
    tcase_add_test(tc, test_fbm1_order_unknown_keys_and_noise);
    tcase_add_test(tc, test_fbm1_bad);
    tcase_add_test(tc, test_fbm1_missing_key_named);
    tcase_add_test(tc, test_testbed_variants);
    tcase_add_test(tc, test_testbed_bad);
    tcase_add_test(tc, test_none_format);
    tcase_add_test(tc, test_cpu_pct_math);
    tcase_add_test(tc, test_cpu_pct_clamped);
    tcase_add_test(tc, test_ram_pct);
    tcase_add_test(tc, test_parsed_then_math);
    tcase_add_test(tc, test_default_commands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(metrics_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
