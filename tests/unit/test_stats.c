/* test_stats.c - Check suite for samples, statistics, inference and table rendering. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "tabulate.h"

#define TOL 1e-9

/* Expected values in this file were computed independently with Python 3's
 * statistics module (exact rational arithmetic):
 *   statistics.quantiles(data, n=100, method="inclusive")  -- R type 7
 *   statistics.mean(data), statistics.stdev(data)
 * and the CI as mean +- 2.571 * stdev / sqrt(n) (t table value for df 5). */

/* A small sample, deliberately unsorted. */
static const double small[6] = {12.5, 15.0, 9.75, 11.0, 14.25, 10.5};
#define SMALL_MEAN 12.166666666666666
#define SMALL_SD 2.1193552478682443
#define SMALL_P50 11.75
#define SMALL_P90 14.625
#define SMALL_P95 14.8125
#define SMALL_P99 14.9625
#define SMALL_CI_LO 9.942177930462321
#define SMALL_CI_HI 14.39115540287101

START_TEST(test_sample_grows)
{
    struct fb_sample s = {0};

    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fb_sample_add(&s, i * 0.5), 0);
    ck_assert_uint_eq(s.n, 1000);
    ck_assert_uint_ge(s.cap, 1000);
    ck_assert_uint_lt(s.cap, 2000); /* doubling, not one slot at a time or worse */
    for (int i = 0; i < 1000; i++)
        ck_assert_double_eq(s.v[i], i * 0.5);
    fb_sample_free(&s);
    ck_assert_ptr_null(s.v);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_uint_eq(s.cap, 0);

    /* Reusable after free. */
    ck_assert_int_eq(fb_sample_add(&s, 7.0), 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_double_eq(s.v[0], 7.0);
    fb_sample_free(&s);
    fb_sample_free(&s);
}
END_TEST

/* Past FB_SAMPLE_KEEP values the memory stops growing: the kept values are
 * a uniform sample (the same one each time), the count, mean, sd, min and
 * max stay exact. */
START_TEST(test_sample_bounded)
{
    enum { N = 5 * FB_SAMPLE_KEEP };
    struct fb_sample s = {0}, t = {0};
    struct fb_summary sum;
    double m2 = 0, mean = (N + 1) / 2.0;

    /* 1..N in a scrambled order (a step coprime to N), so a sample that
     * favoured early or late values would show in its median. */
    for (long i = 0; i < N; i++) {
        double x = (double)((i * 7919) % N + 1);
        ck_assert_int_eq(fb_sample_add(&s, x), 0);
        ck_assert_int_eq(fb_sample_add(&t, x), 0);
        m2 += (x - mean) * (x - mean);
    }
    ck_assert_uint_eq(s.n, FB_SAMPLE_KEEP);
    ck_assert_uint_le(s.cap, FB_SAMPLE_KEEP);
    ck_assert_uint_eq(s.seen, N);
    ck_assert_mem_eq(s.v, t.v, FB_SAMPLE_KEEP * sizeof(double)); /* seeded */
    fb_sample_summarize(&s, &sum);
    ck_assert_uint_eq(sum.n, N);
    ck_assert_double_eq_tol(sum.mean, mean, 1e-6);
    ck_assert_double_eq_tol(sum.sd, sqrt(m2 / (N - 1)), 1e-6);
    ck_assert_double_eq(sum.min, 1);
    ck_assert_double_eq(sum.max, N);
    /* The sample's median and p90 of a uniform 1..N: within 2 % of N (the
     * standard error is about 0.35 % of N for 20000 draws). */
    ck_assert_double_eq_tol(sum.p50, N * 0.5, N * 0.02);
    ck_assert_double_eq_tol(sum.p90, N * 0.9, N * 0.02);
    ck_assert(sum.ci_lo < mean && mean < sum.ci_hi);

    /* Cleared, it starts over (exact again), keeping its buffer. */
    double *buf = s.v;
    fb_sample_clear(&s);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_uint_eq(s.seen, 0);
    ck_assert_ptr_eq(s.v, buf);
    ck_assert_int_eq(fb_sample_add(&s, 3.0), 0);
    ck_assert_int_eq(fb_sample_add(&s, 5.0), 0);
    fb_sample_summarize(&s, &sum);
    ck_assert_uint_eq(sum.n, 2);
    ck_assert_double_eq(sum.mean, 4.0);
    ck_assert_double_eq(sum.min, 3.0);
    fb_sample_free(&s);
    fb_sample_free(&t);
}
END_TEST

START_TEST(test_quantiles_1_to_10)
{
    double v[10];

    for (int i = 0; i < 10; i++)
        v[i] = i + 1;
    ck_assert_double_eq(fb_quantile_sorted(v, 10, 0.0), 1.0);
    ck_assert_double_eq(fb_quantile_sorted(v, 10, 1.0), 10.0);
    ck_assert_double_eq_tol(fb_quantile_sorted(v, 10, 0.50), 5.5, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(v, 10, 0.90), 9.1, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(v, 10, 0.95), 9.55, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(v, 10, 0.99), 9.91, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(v, 10, 0.25), 3.25, TOL);
}
END_TEST

START_TEST(test_quantiles_small_n)
{
    const double one[1] = {42.0};
    const double two[2] = {3.0, 8.0};

    ck_assert(isnan(fb_quantile_sorted(one, 0, 0.5)));
    ck_assert(isnan(fb_quantile_sorted(NULL, 0, 0.5)));
    ck_assert(isnan(fb_quantile_sorted(two, 2, NAN)));
    ck_assert_double_eq(fb_quantile_sorted(one, 1, 0.0), 42.0);
    ck_assert_double_eq(fb_quantile_sorted(one, 1, 0.5), 42.0);
    ck_assert_double_eq(fb_quantile_sorted(one, 1, 0.99), 42.0);
    ck_assert_double_eq(fb_quantile_sorted(one, 1, 1.0), 42.0);
    ck_assert_double_eq_tol(fb_quantile_sorted(two, 2, 0.50), 5.5, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(two, 2, 0.90), 7.5, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(two, 2, 0.95), 7.75, TOL);
    ck_assert_double_eq_tol(fb_quantile_sorted(two, 2, 0.99), 7.95, TOL);
}
END_TEST

START_TEST(test_summarize_small)
{
    double v[6];
    struct fb_summary s;

    memcpy(v, small, sizeof(v));
    fb_summarize(v, 6, &s);
    for (int i = 1; i < 6; i++)
        ck_assert(v[i - 1] <= v[i]); /* sorted in place */
    ck_assert_uint_eq(s.n, 6);
    ck_assert_double_eq_tol(s.mean, SMALL_MEAN, TOL);
    ck_assert_double_eq_tol(s.sd, SMALL_SD, TOL);
    ck_assert_double_eq(s.min, 9.75);
    ck_assert_double_eq(s.max, 15.0);
    ck_assert_double_eq_tol(s.p50, SMALL_P50, TOL);
    ck_assert_double_eq_tol(s.p90, SMALL_P90, TOL);
    ck_assert_double_eq_tol(s.p95, SMALL_P95, TOL);
    ck_assert_double_eq_tol(s.p99, SMALL_P99, TOL);
    ck_assert_double_eq_tol(s.ci_lo, SMALL_CI_LO, TOL);
    ck_assert_double_eq_tol(s.ci_hi, SMALL_CI_HI, TOL);
}
END_TEST

START_TEST(test_summarize_stable)
{
    /* Spread of a few units on top of 1e9: a one-pass sum of squares loses
     * it; statistics.stdev gives 5.477225575051661 (= sqrt(30)). */
    double v[4] = {1e9 + 16, 1e9 + 4, 1e9 + 13, 1e9 + 7};
    struct fb_summary s;

    fb_summarize(v, 4, &s);
    ck_assert_double_eq_tol(s.mean, 1e9 + 10, 1e-6);
    ck_assert_double_eq_tol(s.sd, 5.477225575051661, 1e-6);
}
END_TEST

START_TEST(test_summarize_n0_n1)
{
    double one[1] = {42.0};
    struct fb_summary s;

    fb_summarize(NULL, 0, &s);
    ck_assert_uint_eq(s.n, 0);
    ck_assert(isnan(s.mean) && isnan(s.sd) && isnan(s.min) && isnan(s.max));
    ck_assert(isnan(s.p50) && isnan(s.p90) && isnan(s.p95) && isnan(s.p99));
    ck_assert(isnan(s.ci_lo) && isnan(s.ci_hi));

    fb_summarize(one, 1, &s);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_double_eq(s.mean, 42.0);
    ck_assert_double_eq(s.min, 42.0);
    ck_assert_double_eq(s.max, 42.0);
    ck_assert_double_eq(s.p50, 42.0);
    ck_assert_double_eq(s.p99, 42.0);
    ck_assert(isnan(s.sd));
    ck_assert(isnan(s.ci_lo) && isnan(s.ci_hi));
}
END_TEST

START_TEST(test_t95)
{
    /* Table: two-sided 95 % Student t critical values (NIST/SEMATECH
     * e-Handbook, 1.3.6.7.2). */
    ck_assert_double_eq(fb_t95(1), 12.706);
    ck_assert_double_eq(fb_t95(2), 4.303);
    ck_assert_double_eq(fb_t95(3), 3.182);
    ck_assert_double_eq(fb_t95(4), 2.776);
    ck_assert_double_eq(fb_t95(5), 2.571);
    ck_assert_double_eq(fb_t95(10), 2.228);
    ck_assert_double_eq(fb_t95(20), 2.086);
    ck_assert_double_eq(fb_t95(30), 2.042);
    ck_assert(isnan(fb_t95(0)));
    ck_assert(isnan(fb_t95(-3)));

    /* Beyond the table: printed table values ... */
    ck_assert_double_eq_tol(fb_t95(40), 2.021, 0.001);
    ck_assert_double_eq_tol(fb_t95(60), 2.000, 0.001);
    ck_assert_double_eq_tol(fb_t95(120), 1.980, 0.001);
    /* ... and exact quantiles (bisection on the t CDF via the regularized
     * incomplete beta function, in Python): 2.0395134 (31), 2.0210754 (40),
     * 1.9623391 (1000). */
    ck_assert_double_eq_tol(fb_t95(31), 2.0395134, 1e-5);
    ck_assert_double_eq_tol(fb_t95(40), 2.0210754, 1e-5);
    ck_assert_double_eq_tol(fb_t95(1000), 1.9623391, 1e-5);
    ck_assert_double_eq_tol(fb_t95(1000000000), 1.959964, 1e-6);

    /* Decreasing in df, across the table edge too. */
    for (int df = 2; df <= 2000; df++)
        ck_assert_msg(fb_t95(df) < fb_t95(df - 1), "t95(%d) >= t95(%d)", df, df - 1);
}
END_TEST

/* Two summary rows for the rendering tests: the small sample and a single value. */
static void make_rows(struct fb_summary_row rows[2], double *small_v, double *one_v)
{
    memcpy(small_v, small, sizeof(small));
    one_v[0] = 42.0;
    memset(rows, 0, 2 * sizeof(*rows));
    rows[0] = (struct fb_summary_row){
        .run_id = "r1", .repetition = 1, .policy = "RoundRobin", .warming = "cold",
        .function = "fib", .errors = 1, .mode_count = {7, 0, 0},
        .per_node = "node1=4 node2=3",
        .phase_p50 = {1.5, 3000.25, 350.0, 410.75, 2.5},
    };
    fb_summarize(small_v, 6, &rows[0].lat);
    fb_median_ci95(small_v, 6, &rows[0].p50_ci_lo, &rows[0].p50_ci_hi);
    rows[1] = (struct fb_summary_row){
        .run_id = "r1", .repetition = 1, .policy = "LeastUsed", .warming = "warmed",
        .function = "fib", .errors = 0, .mode_count = {0, 0, 1},
        .per_node = "node2=1",
        .phase_p50 = {NAN, NAN, NAN, NAN, NAN},
    };
    fb_summarize(one_v, 1, &rows[1].lat);
    fb_median_ci95(one_v, 1, &rows[1].p50_ci_lo, &rows[1].p50_ci_hi);
}

/* Check truncates long failure messages: show both texts on stderr instead. */
static void expect_text(const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got);
    ck_assert_msg(strcmp(got, want) == 0, "text differs (both printed on stderr)");
}

static char *render(int (*fn)(FILE *, const struct fb_summary_row *, size_t),
                    const struct fb_summary_row *rows, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fn(f, rows, n), 0);
    fclose(f);
    return buf;
}

#define SUMMARY_HEADER                                                             \
    "run_id,repetition,policy,warming,function,n,errors,mean_ms,sd_ms,min_ms,"    \
    "p50_ms,p90_ms,p95_ms,p99_ms,max_ms,ci95_lo_ms,ci95_hi_ms,cold,pre_warmed,"   \
    "warmed,per_node,p50_ci95_lo_ms,p50_ci95_hi_ms,select_p50_ms,pull_p50_ms,"    \
    "run_p50_ms,cleanup_p50_ms,overhead_p50_ms\n"

START_TEST(test_summary_csv)
{
    struct fb_summary_row rows[2];
    double sv[6], ov[1];
    char *text;

    make_rows(rows, sv, ov);
    text = render(fb_summary_write_csv, rows, 2);
    /* Numbers: Python "%.3f" of the statistics-module values above; the
     * median CI of 6 values is [min, max] (ranks 0 and 5, see below). */
    ck_assert_str_eq(text,
        SUMMARY_HEADER
        "r1,1,RoundRobin,cold,fib,6,1,12.167,2.119,9.750,11.750,14.625,14.812,"
        "14.963,15.000,9.942,14.391,7,0,0,node1=4 node2=3,9.750,15.000,1.500,"
        "3000.250,350.000,410.750,2.500\n"
        "r1,1,LeastUsed,warmed,fib,1,0,42.000,,42.000,42.000,42.000,42.000,42.000,"
        "42.000,,,0,0,1,node2=1,,,,,,,\n");
    free(text);

    /* No rows: the header alone. */
    text = render(fb_summary_write_csv, rows, 0);
    ck_assert_str_eq(text, SUMMARY_HEADER);
    free(text);
}
END_TEST

#define LAT_RULE                                                                   \
    "+------------+---------+----------+---+-----+------+-----+------+------+"    \
    "------+------+------+------+-------------+-------------+\n"
#define PLACE_RULE                                                                 \
    "+------------+---------+----------+-------------+--------+--------+-------+" \
    "---------+----------+-----------------+\n"

START_TEST(test_summary_table)
{
    struct fb_summary_row rows[2];
    double sv[6], ov[1];
    char *text;

    make_rows(rows, sv, ov);
    text = render(fb_summary_write_table, rows, 2);
    expect_text(text,
        "Latency (ms) of successful invocations. 95% CI of the mean: Student t; of the\n"
        "median: exact order statistics from the binomial distribution (n >= 6).\n"
        LAT_RULE
        "| policy     | warming | function | n | err | mean |  sd |  min |  p50 |"
        "  p90 |  p95 |  p99 |  max | mean 95% CI | p50 95% CI  |\n"
        "+============+=========+==========+===+=====+======+=====+======+======+"
        "======+======+======+======+=============+=============+\n"
        "| RoundRobin | cold    | fib      | 6 |   1 | 12.2 | 2.1 |  9.8 | 11.8 |"
        " 14.6 | 14.8 | 15.0 | 15.0 | [9.9, 14.4] | [9.8, 15.0] |\n"
        LAT_RULE
        "| LeastUsed  | warmed  | fib      | 1 |   0 | 42.0 |   - | 42.0 | 42.0 |"
        " 42.0 | 42.0 | 42.0 | 42.0 | -           | -           |\n"
        LAT_RULE
        "\n"
        "Modes that ran (cold/pre-warmed/warmed), phase medians (ms) of successful\n"
        "invocations (overhead = latency - node_exec), invocations per node.\n"
        PLACE_RULE
        "| policy     | warming | function | modes c/p/w | select |   pull |   run |"
        " cleanup | overhead | per node        |\n"
        "+============+=========+==========+=============+========+========+=======+"
        "=========+==========+=================+\n"
        "| RoundRobin | cold    | fib      | 7/0/0       |    1.5 | 3000.2 | 350.0 |"
        "   410.8 |      2.5 | node1=4 node2=3 |\n"
        PLACE_RULE
        "| LeastUsed  | warmed  | fib      | 0/0/1       |      - |      - |     - |"
        "       - |        - | node2=1         |\n"
        PLACE_RULE);
    free(text);
}
END_TEST

START_TEST(test_summary_table_repetitions)
{
    struct fb_summary_row rows[2];
    double sv[6], ov[1];
    char *text;

    make_rows(rows, sv, ov);
    rows[1].repetition = 2;
    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "\n+-----+----") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\n| rep | policy     | warming |") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\n|   1 | RoundRobin | cold    |") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\n|   2 | LeastUsed  | warmed  |") != NULL, "%s", text);
    free(text);

    /* No rows: closed tables of headers. */
    text = render(fb_summary_write_table, rows, 0);
    ck_assert_msg(strstr(text, "\n| policy | warming | function | n | err |") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "\n| policy | warming | function | modes c/p/w |") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "+=") == NULL, "%s", text);
    free(text);
}
END_TEST

START_TEST(test_summary_bad_args)
{
    ck_assert_int_eq(fb_summary_write_csv(NULL, NULL, 0), FB_EINVAL);
    ck_assert_int_eq(fb_summary_write_csv(stdout, NULL, 1), FB_EINVAL);
    ck_assert_int_eq(fb_summary_write_table(NULL, NULL, 0), FB_EINVAL);
    ck_assert_int_eq(fb_summary_write_table(stdout, NULL, 1), FB_EINVAL);
}
END_TEST

/* Expected values below come from tests/data/runs/reference-values (Python
 * standard library only): exact binomial tails in rational arithmetic, ranks
 * of the pooled sample with math.erfc, and a direct bootstrap resampler over
 * a reimplementation of splitmix64. */

START_TEST(test_median_ci_ranks)
{
    static const struct {
        size_t n, lo, hi;
    } want[] = {
        {6, 0, 5},   {7, 0, 6},    {8, 0, 7},     {9, 1, 7},       {10, 1, 8},
        {11, 1, 9},  {20, 5, 14},  {50, 17, 32},  {100, 39, 60},   {1000, 468, 531},
    };
    size_t lo = 99, hi = 99;

    for (size_t n = 0; n < 6; n++)
        ck_assert_int_eq(fb_median_ci_ranks(n, &lo, &hi), FB_EINVAL);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_int_eq(fb_median_ci_ranks(want[i].n, &lo, &hi), 0);
        ck_assert_msg(lo == want[i].lo && hi == want[i].hi, "n=%zu: got %zu..%zu", want[i].n,
                      lo, hi);
    }
    /* Large n stays close to the normal approximation n/2 -+ 0.98 sqrt(n). */
    ck_assert_int_eq(fb_median_ci_ranks(1000000, &lo, &hi), 0);
    ck_assert_uint_ge(lo, 499000);
    ck_assert_uint_le(lo, 499030);
    ck_assert_uint_eq(hi, 1000000 - 1 - lo);
}
END_TEST

START_TEST(test_median_ci_values)
{
    double v[10] = {7.0, 3.0, 9.5, 1.0, 4.0, 8.0, 2.5, 6.0, 10.0, 5.0};
    double lo, hi;
    struct fb_summary s;

    fb_summarize(v, 10, &s); /* sorts */
    fb_median_ci95(v, 10, &lo, &hi);
    ck_assert_double_eq(lo, 2.5);
    ck_assert_double_eq(hi, 9.5);
    fb_median_ci95(v, 5, &lo, &hi);
    ck_assert(isnan(lo) && isnan(hi));
    fb_median_ci95(NULL, 0, &lo, &hi);
    ck_assert(isnan(lo) && isnan(hi));
}
END_TEST

START_TEST(test_mann_whitney)
{
    const double a[6] = {1.0, 2.0, 2.0, 3.0, 5.0, 8.0};
    const double b[7] = {2.0, 3.0, 3.0, 6.0, 9.0, 9.0, 12.0};
    const double c[8] = {10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0};
    const double d[8] = {15.5, 16.5, 17.5, 18.5, 19.5, 20.5, 21.5, 22.5};
    const double same[4] = {3.0, 3.0, 3.0, 3.0};
    double u, p;

    /* Ties across and within the samples. */
    ck_assert_int_eq(fb_mann_whitney_sorted(a, 6, b, 7, &u, &p), 0);
    ck_assert_double_eq(u, 32.0);
    ck_assert_double_eq_tol(p, 0.128788908519793, 1e-12);
    /* Swapped: U of the other sample, same p. */
    ck_assert_int_eq(fb_mann_whitney_sorted(b, 7, a, 6, &u, &p), 0);
    ck_assert_double_eq(u, 10.0);
    ck_assert_double_eq_tol(p, 0.128788908519793, 1e-12);
    /* A clear shift, no ties. */
    ck_assert_int_eq(fb_mann_whitney_sorted(c, 8, d, 8, &u, &p), 0);
    ck_assert_double_eq(u, 61.0);
    ck_assert_double_eq_tol(p, 0.0027616044178274796, 1e-12);
    /* Identical samples: U at its mean, p = 1. Every value tied: p = 1. */
    ck_assert_int_eq(fb_mann_whitney_sorted(c, 8, c, 8, &u, &p), 0);
    ck_assert_double_eq(u, 32.0);
    ck_assert_double_eq(p, 1.0);
    ck_assert_int_eq(fb_mann_whitney_sorted(same, 4, same, 2, &u, &p), 0);
    ck_assert_double_eq(p, 1.0);
    /* Empty samples. */
    ck_assert_int_eq(fb_mann_whitney_sorted(a, 0, b, 7, &u, &p), FB_EINVAL);
    ck_assert(isnan(u) && isnan(p));
    ck_assert_int_eq(fb_mann_whitney_sorted(a, 6, NULL, 0, &u, &p), FB_EINVAL);
}
END_TEST

/* Sorted as the callers pass them. */
static const double boot_base[10] = {97.0, 98.0, 99.0, 100.0, 100.5,
                                     101.0, 102.0, 103.0, 104.0, 105.0};
static const double boot_new[8] = {108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 115.0, 118.0};

START_TEST(test_bootstrap_reproducible)
{
    double lo, hi, lo2, hi2;

    /* The resampler's draws are fixed by the seed, so the bounds are exact:
     * the Python replica gives the same doubles. */
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_P50, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert_double_eq_tol(lo, 1.0728155339805825, 1e-12);
    ck_assert_double_eq_tol(hi, 1.1414392059553349, 1e-12);
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_P50, 2000, 1,
                                           &lo2, &hi2), 0);
    ck_assert_double_eq(lo, lo2);
    ck_assert_double_eq(hi, hi2);

    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_P95, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert_double_eq_tol(lo, 1.0761904761904761, 1e-12);
    ck_assert_double_eq_tol(hi, 1.1506582155046319, 1e-12);
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_MEAN, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert_double_eq_tol(lo, 1.0834945176107196, 1e-12);
    ck_assert_double_eq_tol(hi, 1.1372648667006957, 1e-12);
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_P50, 500, 42,
                                           &lo, &hi), 0);
    ck_assert_double_eq_tol(lo, 1.0684382323401405, 1e-12);
    ck_assert_double_eq_tol(hi, 1.1461150449215776, 1e-12);
}
END_TEST

START_TEST(test_bootstrap_edges)
{
    const double zero[3] = {0.0, 0.0, 0.0};
    double lo, hi;

    /* Fewer than 2 values: no interval. */
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 1, boot_new, 8, FB_STAT_P50, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert(isnan(lo) && isnan(hi));
    /* A zero baseline: ratios are not finite. */
    ck_assert_int_eq(fb_bootstrap_ratio_ci(zero, 3, boot_new, 8, FB_STAT_P50, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert(isnan(lo) && isnan(hi));
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_new, 8, FB_STAT_P50, 1, 1,
                                           &lo, &hi), FB_EINVAL);
    ck_assert_int_eq(fb_bootstrap_ratio_ci(NULL, 3, boot_new, 8, FB_STAT_P50, 100, 1,
                                           &lo, &hi), FB_EINVAL);
    /* Identical samples: every resampled ratio brackets 1. */
    ck_assert_int_eq(fb_bootstrap_ratio_ci(boot_base, 10, boot_base, 10, FB_STAT_P50, 2000, 1,
                                           &lo, &hi), 0);
    ck_assert(lo < 1.0 && hi > 1.0);
}
END_TEST

START_TEST(test_compare_sorted)
{
    struct fb_cmp c;

    ck_assert_int_eq(fb_compare_sorted(boot_base, 10, boot_new, 8, FB_STAT_P50, &c), 0);
    ck_assert_uint_eq(c.n_base, 10);
    ck_assert_uint_eq(c.n_new, 8);
    ck_assert_double_eq_tol(c.base, 100.75, TOL);
    ck_assert_double_eq_tol(c.new_, 111.5, TOL);
    ck_assert_double_eq_tol(c.ratio, 111.5 / 100.75, TOL);
    ck_assert_double_eq_tol(c.ci_lo, 1.0728155339805825, 1e-12);
    ck_assert_double_eq_tol(c.ci_hi, 1.1414392059553349, 1e-12);
    ck_assert_double_eq(c.u, 80.0); /* every new value is above every base value */
    ck_assert(c.p < 0.001);

    ck_assert_int_eq(fb_compare_sorted(boot_base, 10, NULL, 0, FB_STAT_MEAN, &c), 0);
    ck_assert_double_eq_tol(c.base, 100.95, TOL);
    ck_assert(isnan(c.new_) && isnan(c.ratio) && isnan(c.ci_lo) && isnan(c.p));
}
END_TEST

START_TEST(test_stat_names)
{
    enum fb_stat s;
    const double v[4] = {1.0, 2.0, 3.0, 10.0};

    ck_assert_int_eq(fb_stat_parse("p50", &s), 0);
    ck_assert_int_eq(s, FB_STAT_P50);
    ck_assert_int_eq(fb_stat_parse("median", &s), 0);
    ck_assert_int_eq(s, FB_STAT_P50);
    ck_assert_int_eq(fb_stat_parse("p95", &s), 0);
    ck_assert_int_eq(s, FB_STAT_P95);
    ck_assert_int_eq(fb_stat_parse("mean", &s), 0);
    ck_assert_int_eq(s, FB_STAT_MEAN);
    ck_assert_int_eq(fb_stat_parse("p99", &s), FB_EINVAL);
    ck_assert_int_eq(fb_stat_parse(NULL, &s), FB_EINVAL);
    ck_assert_str_eq(fb_stat_name(FB_STAT_P95), "p95");
    ck_assert_str_eq(fb_phase_name(FB_PHASE_OVERHEAD), "overhead");
    ck_assert_double_eq_tol(fb_stat_sorted(FB_STAT_P50, v, 4), 2.5, TOL);
    ck_assert_double_eq_tol(fb_stat_sorted(FB_STAT_P95, v, 4), 8.95, TOL);
    ck_assert_double_eq_tol(fb_stat_sorted(FB_STAT_MEAN, v, 4), 4.0, TOL);
    ck_assert(isnan(fb_stat_sorted(FB_STAT_MEAN, v, 0)));
}
END_TEST

START_TEST(test_grid_write)
{
    const char *titles[3] = {"name", "n", "note"};
    const int right[3] = {0, 1, 0};
    const char *cells[6] = {"alpha", "7", "x", "b", "1234", NULL};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_int_eq(fb_grid_write(f, 3, titles, right, 2, cells), 0);
    fclose(f);
    ck_assert_str_eq(buf,
        "+-------+------+------+\n"
        "| name  |    n | note |\n"
        "+=======+======+======+\n"
        "| alpha |    7 | x    |\n"
        "+-------+------+------+\n"
        "| b     | 1234 |      |\n"
        "+-------+------+------+\n");
    free(buf);
    ck_assert_int_eq(fb_grid_write(NULL, 3, titles, right, 0, NULL), FB_EINVAL);
    ck_assert_int_eq(fb_grid_write(stdout, 0, titles, right, 0, NULL), FB_EINVAL);
    ck_assert_int_eq(fb_grid_write(stdout, 3, titles, right, 1, NULL), FB_EINVAL);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_sample_grows);
    tcase_add_test(tc, test_sample_bounded);
    tcase_add_test(tc, test_quantiles_1_to_10);
    tcase_add_test(tc, test_quantiles_small_n);
    tcase_add_test(tc, test_summarize_small);
    tcase_add_test(tc, test_summarize_stable);
    tcase_add_test(tc, test_summarize_n0_n1);
    tcase_add_test(tc, test_t95);
    tcase_add_test(tc, test_summary_csv);
    tcase_add_test(tc, test_summary_table);
    tcase_add_test(tc, test_summary_table_repetitions);
    tcase_add_test(tc, test_summary_bad_args);
    tcase_add_test(tc, test_median_ci_ranks);
    tcase_add_test(tc, test_median_ci_values);
    tcase_add_test(tc, test_mann_whitney);
    tcase_add_test(tc, test_bootstrap_reproducible);
    tcase_add_test(tc, test_bootstrap_edges);
    tcase_add_test(tc, test_compare_sorted);
    tcase_add_test(tc, test_stat_names);
    tcase_add_test(tc, test_grid_write);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
