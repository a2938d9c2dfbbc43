/* test_stats.c - Check suite for samples, statistics, inference and table rendering. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "report/stats.h"
#include "report/tabulate.h"

#define TOL 1e-9

/* Expected values in this file were computed independently with Python 3's
 * statistics module (exact rational arithmetic):
 *   statistics.quantiles(data, n=100, method="inclusive")  -- R type 7
 *   statistics.mean(data), statistics.stdev(data)
 * and the CI as mean +- t * stdev / sqrt(n), t = 2.570581835636315... for df 5
 * (tests/data/runs/reference-values, with t from tests/data/runs/t-quantiles). */

/* A small sample, deliberately unsorted. */
static const double small[6] = {12.5, 15.0, 9.75, 11.0, 14.25, 10.5};
#define SMALL_MEAN 12.166666666666666
#define SMALL_SD 2.1193552478682443
#define SMALL_P50 11.75
#define SMALL_P90 14.625
#define SMALL_P95 14.8125
#define SMALL_P99 14.9625
#define SMALL_CI_LO 9.942539735953142
#define SMALL_CI_HI 14.39079359738019

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

    /* 1..N in order: a reservoir that stopped taking values, or favoured
     * early or late ones, keeps other than a fifth of its values from the
     * last fifth (a binomial share: its standard error is 0.28 %). */
    struct fb_sample u = {0};
    for (long i = 1; i <= N; i++)
        ck_assert_int_eq(fb_sample_add(&u, (double)i), 0);
    long last = 0;
    for (size_t i = 0; i < u.n; i++)
        last += u.v[i] > 0.8 * N;
    ck_assert_uint_eq(u.n, FB_SAMPLE_KEEP);
    ck_assert_double_eq_tol((double)last / FB_SAMPLE_KEEP, 0.2, 0.015);
    fb_sample_summarize(&u, &sum);
    ck_assert_double_eq_tol(sum.p50, N * 0.5, N * 0.02);
    fb_sample_free(&u);

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
     * e-Handbook, 1.3.6.7.2), printed with 3 decimals: the exact values
     * round to them (test_t95_exact checks every digit). */
#define T95_3(df) (round(fb_t95(df) * 1000.0) / 1000.0)
    ck_assert_double_eq(T95_3(1), 12.706);
    ck_assert_double_eq(T95_3(2), 4.303);
    ck_assert_double_eq(T95_3(3), 3.182);
    ck_assert_double_eq(T95_3(4), 2.776);
    ck_assert_double_eq(T95_3(5), 2.571);
    ck_assert_double_eq(T95_3(10), 2.228);
    ck_assert_double_eq(T95_3(20), 2.086);
    ck_assert_double_eq(T95_3(30), 2.042);
#undef T95_3
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

/* Student t quantiles: p, df, the quantile to 25 digits, as printed by
 * tests/data/runs/t-quantiles, which computes each by two methods unlike the
 * C code's and checks that they agree to 1e-25: Abramowitz & Stegun's closed
 * forms 26.7.3-4 in 50-digit decimal arithmetic (whole df up to 2000) and
 * mpmath's regularized incomplete beta function at 40 digits (every df). For
 * df 1 and 2 they are also cot(pi (1 - p)) and (2p - 1) / sqrt(2p (1 - p)).
 * p is the double the literal gives, taken exactly (1 - 0.9995 is not 0.0005
 * in doubles: that alone moves the quantile by 5e-14). */
static const struct {
    double p, df, t;
} t_ref[] = {
    {0.975, 1, 12.70620473617469331410164},
    {0.975, 2, 4.302652729749461789420376},
    {0.975, 3, 3.182446305283708435883998},
    {0.975, 4, 2.776445105197793489790962},
    {0.975, 5, 2.570581835636314782788546},
    {0.975, 6, 2.446911851144969317113309},
    {0.975, 7, 2.364624251592784737871787},
    {0.975, 8, 2.306004135204166114328037},
    {0.975, 9, 2.262157162798204999202853},
    {0.975, 10, 2.228138851986274224519862},
    {0.975, 11, 2.200985160091639359395741},
    {0.975, 12, 2.178812829667228370284753},
    {0.975, 13, 2.160368656462792015746731},
    {0.975, 14, 2.144786687917803351488449},
    {0.975, 15, 2.131449545559775212276314},
    {0.975, 16, 2.119905299221254210882088},
    {0.975, 17, 2.109815577833316627830496},
    {0.975, 18, 2.100922040241038034765975},
    {0.975, 19, 2.093024054408309320131921},
    {0.975, 20, 2.085963447265864397457406},
    {0.975, 21, 2.079613844727679953255009},
    {0.975, 22, 2.073873067904025727038803},
    {0.975, 23, 2.068657610419048215472508},
    {0.975, 24, 2.063898561628025415732704},
    {0.975, 25, 2.059538552753297317686034},
    {0.975, 26, 2.055529438642872784451354},
    {0.975, 27, 2.051830516480285129010166},
    {0.975, 28, 2.048407141795244734552323},
    {0.975, 29, 2.045229642132703874520504},
    {0.975, 30, 2.042272456301237887834999},
    {0.975, 31, 2.039513446396408067171607},
    {0.975, 35, 2.030107928250342763863785},
    {0.975, 40, 2.021075390306273010222057},
    {0.975, 50, 2.008559112100760700876097},
    {0.975, 60, 2.000297822014260104132778},
    {0.975, 80, 1.990063421254445772247269},
    {0.975, 100, 1.983971518523551894556437},
    {0.975, 120, 1.979930405082440456743577},
    {0.975, 200, 1.971896223633908996301675},
    {0.975, 500, 1.964719837467367411047848},
    {0.975, 1000, 1.962339080826408103886647},
    {0.975, 2000, 1.961150826099437650029348},
    {0.975, 10000, 1.960201239890625877799337},
    {0.975, 99999, 1.959987707771844399143218},
    {0.975, 100000, 1.959987707534609258659823},
    {0.975, 1000000, 1.959966356814106655337607},
    {0.975, 1000000000, 1.959963986912325088725491},
    {0.995, 1, 63.65674116287152444715737},
    {0.995, 2, 9.924843200918288640334206},
    {0.995, 3, 5.840909309733355411261167},
    {0.995, 5, 4.032142983555227179275848},
    {0.995, 10, 3.169272672616950711781712},
    {0.995, 30, 2.749995653567224966393475},
    {0.995, 100, 2.625890521438017606977045},
    {0.995, 1000, 2.580754698065950770613262},
    {0.995, 100000, 2.575878469908374996339579},
    {0.9, 1, 3.077683537175254133078953},
    {0.9, 4, 1.533206274058944098917414},
    {0.9, 9, 1.383028738396632458674828},
    {0.9, 30, 1.310415025391395711218388},
    {0.9, 1000, 1.282398721460924564038782},
    {0.6, 1, 0.3249196962329062490340200},
    {0.6, 3, 0.2766706623326898470109062},
    {0.6, 25, 0.2560596848271514182435942},
    {0.9995, 2, 31.59905457644536341298157},
    {0.9995, 7, 5.407882520861828053861448},
    {0.9995, 60, 3.460200469196391587553608},
    {0.975, 0.5, 164.5576734804882407993760},
    {0.975, 2.5, 3.574654842003681760677201},
    {0.975, 7.25, 2.348194849105371605863933},
};

/* Relative error allowed: a few units in the last place (the code is within
 * half of DBL_EPSILON of every value here on x86-64). */
#define T_REL_TOL (4 * DBL_EPSILON)

START_TEST(test_t_quantile)
{
    for (size_t i = 0; i < sizeof(t_ref) / sizeof(t_ref[0]); i++) {
        double want = t_ref[i].t, got = fb_t_quantile(t_ref[i].p, t_ref[i].df);

        ck_assert_msg(fabs(got - want) <= T_REL_TOL * want, "t(%g, %g) = %.17g, want %.17g",
                      t_ref[i].p, t_ref[i].df, got, want);
        /* The lower tail mirrors the upper one (1 - p is exact for p >= 1/2). */
        ck_assert_double_eq(fb_t_quantile(1.0 - t_ref[i].p, t_ref[i].df), -got);
    }
    ck_assert_double_eq(fb_t_quantile(0.5, 7), 0.0);
    ck_assert(isnan(fb_t_quantile(0.0, 5)));
    ck_assert(isnan(fb_t_quantile(1.0, 5)));
    ck_assert(isnan(fb_t_quantile(-0.1, 5)));
    ck_assert(isnan(fb_t_quantile(NAN, 5)));
    ck_assert(isnan(fb_t_quantile(0.975, 0)));
    ck_assert(isnan(fb_t_quantile(0.975, -1)));
    ck_assert(isnan(fb_t_quantile(0.975, 0.25)));
    ck_assert(isnan(fb_t_quantile(0.975, NAN)));
    /* No df: the normal quantile, 1.959963984540054235524594... */
    ck_assert_double_eq_tol(fb_t_quantile(0.975, INFINITY), 1.9599639845400542, 4e-16);
}
END_TEST

START_TEST(test_t95_exact)
{
    for (size_t i = 0; i < sizeof(t_ref) / sizeof(t_ref[0]); i++) {
        double want = t_ref[i].t, got;

        if (t_ref[i].p != 0.975 || t_ref[i].df != floor(t_ref[i].df))
            continue;
        got = fb_t95((int)t_ref[i].df);
        ck_assert_msg(fabs(got - want) <= T_REL_TOL * want, "t95(%g) = %.17g, want %.17g",
                      t_ref[i].df, got, want);
    }
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
        .phase_p50 = {1.5, 3000.25, 350.0, 410.75, 2.5, NAN, NAN, NAN, NAN, NAN},
        .asked_p50 = NAN, .measured_p50 = NAN, .slip_p50 = NAN,
    };
    fb_summarize(small_v, 6, &rows[0].lat);
    fb_median_ci95(small_v, 6, &rows[0].p50_ci_lo, &rows[0].p50_ci_hi);
    rows[1] = (struct fb_summary_row){
        .run_id = "r1", .repetition = 1, .policy = "LeastUsed", .warming = "warmed",
        .function = "fib", .errors = 0, .mode_count = {0, 0, 1},
        .per_node = "node2=1",
        .phase_p50 = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN},
        .asked_p50 = NAN, .measured_p50 = NAN, .slip_p50 = NAN,
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
    "run_p50_ms,cleanup_p50_ms,overhead_p50_ms,create_p50_ms,ready_p50_ms,init_p50_ms," \
    "invoke_p50_ms,handler_p50_ms,open_loop,queue_mean_ms,queue_p50_ms,queue_p95_ms,"  \
    "queue_p99_ms,queue_max_ms,client_mean_ms,client_p50_ms,client_p95_ms,client_p99_ms," \
    "client_max_ms,asked_duration_p50_ms,measured_duration_p50_ms,slip_p50_pct\n"

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
        "14.963,15.000,9.943,14.391,7,0,0,node1=4 node2=3,9.750,15.000,1.500,"
        "3000.250,350.000,410.750,2.500,,,,,,0,,,,,,,,,,,,,\n"
        "r1,1,LeastUsed,warmed,fib,1,0,42.000,,42.000,42.000,42.000,42.000,42.000,"
        "42.000,,,0,0,1,node2=1,,,,,,,,,,,,,0,,,,,,,,,,,,,\n");
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

/* Open-loop rows: the queue and the latency from the intended start, in
 * summary.csv's last columns and a table of their own (open-loop rows only);
 * an open-loop cell without a successful row shows its flag and no numbers.
 * Numbers: R type 7 quantiles and means of the values below, with Python's
 * statistics module. */
START_TEST(test_summary_open_loop)
{
    struct fb_summary_row rows[2];
    double sv[6], ov[1], queue[4] = {250, 0, 12, 2}, client[4] = {351, 100, 113, 101};
    char *text;

    make_rows(rows, sv, ov);
    rows[0].open_loop = true;
    fb_summarize(queue, 4, &rows[0].queue);
    fb_summarize(client, 4, &rows[0].client);
    rows[1].open_loop = true; /* every invocation failed: no numbers */
    fb_summarize(NULL, 0, &rows[1].queue);
    fb_summarize(NULL, 0, &rows[1].client);
    text = render(fb_summary_write_csv, rows, 2);
    ck_assert_msg(strstr(text, ",2.500,,,,,,1,66.000,7.000,214.300,242.860,250.000,166.250,"
                               "107.000,315.300,343.860,351.000,,,\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, ",node2=1,,,,,,,,,,,,,1,,,,,,,,,,,,,\n") != NULL, "%s", text);
    free(text);

    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "\nOpen-loop cells") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "| RoundRobin | cold    | fib      | 4 |       66.0 |       7.0 |"
                               "     214.3 |     242.9 |     250.0 |        11.8 |      107.0 |"
                               "      315.3 |      343.9 |      351.0 |\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "| LeastUsed  | warmed  | fib      | 0 |          - |         - |")
                  != NULL, "%s", text);
    free(text);

    /* Not open loop: no such table. */
    rows[0].open_loop = rows[1].open_loop = false;
    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "Open-loop") == NULL, "%s", text);
    free(text);
}
END_TEST

/* Rows asked for work: the median asked duration, the measured one and the
 * median slip in summary.csv's last three columns and a table of their own
 * (those rows only); no row asked, no table. */
START_TEST(test_summary_asked)
{
    struct fb_summary_row rows[2];
    double sv[6], ov[1];
    char *text;

    make_rows(rows, sv, ov);
    rows[0].asked_p50 = 100.0;
    rows[0].measured_p50 = 104.5004;
    rows[0].slip_p50 = 3.25;
    text = render(fb_summary_write_csv, rows, 2);
    ck_assert_msg(strstr(text, ",2.500,,,,,,0,,,,,,,,,,,100.000,104.500,3.25\n") != NULL, "%s",
                  text);
    ck_assert_msg(strstr(text, ",node2=1,,,,,,,,,,,,,0,,,,,,,,,,,,,\n") != NULL, "%s", text);
    free(text);

    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "\nAsked work: medians (ms)") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\n| policy     | warming | function | asked p50 | measured p50 |"
                               " slip p50 |\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\n| RoundRobin | cold    | fib      |     100.0 |        104.5 |"
                               "   +3.2 % |\n") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "| LeastUsed  | warmed  | fib      |     ") == NULL, "%s", text);
    free(text);

    /* Asked for nothing (0 ms): no slip to show. */
    rows[0].asked_p50 = 0.0;
    rows[0].measured_p50 = 0.3;
    rows[0].slip_p50 = NAN;
    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "|       0.0 |          0.3 |        - |\n") != NULL, "%s", text);
    free(text);

    rows[0].asked_p50 = rows[0].measured_p50 = rows[0].slip_p50 = NAN;
    text = render(fb_summary_write_table, rows, 2);
    ck_assert_msg(strstr(text, "Asked work") == NULL, "%s", text);
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
    ck_assert_str_eq(fb_phase_name(FB_PHASE_QUEUE), "queue");
    ck_assert_str_eq(fb_phase_name(FB_PHASE_CLIENT), "client");
    {
        enum fb_phase ph;

        ck_assert_int_eq(fb_phase_parse("queue", &ph), 0);
        ck_assert_int_eq(ph, FB_PHASE_QUEUE);
        ck_assert_int_eq(fb_phase_parse("client", &ph), 0);
        ck_assert_int_eq(ph, FB_PHASE_CLIENT);
    }
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

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n log-normal values (median m, sigma 0.5), sorted. */
static double *lognormal(struct fb_rng *r, size_t n, double m)
{
    double *v = malloc(n * sizeof(*v));
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++) {
        double u1 = fb_rng_unit(r), u2 = fb_rng_unit(r);
        double z = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-300)) * cos(2.0 * M_PI * u2);
        v[i] = m * exp(0.5 * z);
    }
    qsort(v, n, sizeof(*v), cmp_d);
    return v;
}

/* The radix sort gives qsort's order: negatives, zeros, duplicates, tiny
 * and huge values, every size around its cut-over; NANs go last. */
START_TEST(test_sort_doubles)
{
    struct fb_rng r;
    static const size_t sizes[] = {0, 1, 2, 63, 64, 65, 1000, 50000};

    fb_rng_seed(&r, 7);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        double *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b));
        ck_assert(a != NULL && b != NULL);
        for (size_t i = 0; i < n; i++) {
            double u = fb_rng_unit(&r);
            a[i] = i % 7 == 0 ? (double)(i % 3)           /* duplicates */
                   : i % 5 == 0 ? -u * 1e6                /* negatives */
                   : i % 11 == 0 ? u * 1e-300            /* tiny */
                                 : u * pow(10, (double)(i % 13));
            b[i] = a[i];
        }
        fb_sort_doubles(a, n);
        qsort(b, n, sizeof(*b), cmp_d);
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(a[i] == b[i], "n %zu at %zu: %g, not %g", n, i, a[i], b[i]);
        free(a);
        free(b);
    }
    double v[5] = {3.0, NAN, -1.0, 2.0, 0.5};
    fb_sort_doubles(v, 5);
    ck_assert(v[0] == -1.0 && v[1] == 0.5 && v[2] == 2.0 && v[3] == 3.0 && isnan(v[4]));
}
END_TEST

/* Past FB_BOOT_MAX_N values a side, the ratio's CI comes from order
 * statistics: close to the bootstrap's on the same samples (what it
 * stands in for), holding the true ratio, in O(1). */
START_TEST(test_orderstat_ci)
{
    struct fb_rng r;
    fb_rng_seed(&r, 99);
    const size_t na = 3000, nb = 4000;
    double *a = lognormal(&r, na, 100.0), *b = lognormal(&r, nb, 130.0);
    const enum fb_stat stats[] = {FB_STAT_P50, FB_STAT_P95, FB_STAT_MEAN};

    for (int k = 0; k < 3; k++) {
        double blo, bhi, olo, ohi;
        ck_assert_int_eq(fb_bootstrap_ratio_ci(a, na, b, nb, stats[k], 2000, 1, &blo, &bhi), 0);
        ck_assert_int_eq(fb_orderstat_ratio_ci(a, na, b, nb, stats[k], &olo, &ohi), 0);
        /* The bounds agree within 1.5 % and the widths within 20 %. */
        ck_assert_msg(fabs(olo / blo - 1) < 0.015 && fabs(ohi / bhi - 1) < 0.015,
                      "%s: order statistics [%g, %g], bootstrap [%g, %g]",
                      fb_stat_name(stats[k]), olo, ohi, blo, bhi);
        ck_assert_double_lt(fabs((ohi - olo) / (bhi - blo) - 1), 0.20);
        ck_assert_double_lt(olo, 1.3);
        ck_assert_double_gt(ohi, 1.3);
        /* fb_compare_sorted takes it past FB_BOOT_MAX_N values a side. */
        struct fb_cmp c;
        ck_assert_int_eq(fb_compare_sorted(a, na, b, nb, stats[k], &c), 0);
        ck_assert_double_eq(c.ci_lo, olo);
        ck_assert_double_eq(c.ci_hi, ohi);
    }
    /* At FB_BOOT_MAX_N or fewer on a side, the bootstrap. */
    struct fb_cmp c;
    double blo, bhi;
    ck_assert_int_eq(fb_compare_sorted(a, FB_BOOT_MAX_N, b, nb, FB_STAT_P50, &c), 0);
    ck_assert_int_eq(fb_bootstrap_ratio_ci(a, FB_BOOT_MAX_N, b, nb, FB_STAT_P50,
                                           FB_BOOT_RESAMPLES, FB_BOOT_SEED, &blo, &bhi), 0);
    ck_assert_double_eq(c.ci_lo, blo);
    ck_assert_double_eq(c.ci_hi, bhi);
    /* Too few values, or a value not above 0 at a rank it needs: none. */
    double lo, hi;
    ck_assert_int_eq(fb_orderstat_ratio_ci(a, 10, b, nb, FB_STAT_P50, &lo, &hi), FB_EINVAL);
    ck_assert(isnan(lo) && isnan(hi));
    double *z = calloc(na, sizeof(*z));
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(fb_orderstat_ratio_ci(z, na, b, nb, FB_STAT_P50, &lo, &hi), FB_EINVAL);
    free(z);
    free(a);
    free(b);
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
    tcase_add_test(tc, test_t95_exact);
    tcase_add_test(tc, test_t_quantile);
    tcase_add_test(tc, test_summary_csv);
    tcase_add_test(tc, test_summary_table);
    tcase_add_test(tc, test_summary_asked);
    tcase_add_test(tc, test_summary_table_repetitions);
    tcase_add_test(tc, test_summary_open_loop);
    tcase_add_test(tc, test_summary_bad_args);
    tcase_add_test(tc, test_median_ci_ranks);
    tcase_add_test(tc, test_median_ci_values);
    tcase_add_test(tc, test_mann_whitney);
    tcase_add_test(tc, test_bootstrap_reproducible);
    tcase_add_test(tc, test_bootstrap_edges);
    tcase_add_test(tc, test_compare_sorted);
    tcase_add_test(tc, test_orderstat_ci);
    tcase_add_test(tc, test_sort_doubles);
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
