/* stats.c - sample arrays, statistics, summary.csv / summary.txt and grid tables. */
#include "report/stats.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "results/columns.h"
#include "report/tabulate.h"

#define SAMPLE_MIN_CAP 64

int fb_sample_add(struct fb_sample *s, double x)
{
    int rc = 0;
    double d;

    if (s->seen == 0) {
        struct fb_rng r;
        fb_rng_seed(&r, 1);
        s->rng = r.s;
        s->mean = s->m2 = 0.0;
        s->min = s->max = x;
    }
    s->seen++;
    d = x - s->mean;
    s->mean += d / (double)s->seen;
    s->m2 += d * (x - s->mean);
    if (x < s->min)
        s->min = x;
    if (x > s->max)
        s->max = x;
    if (s->n >= FB_SAMPLE_KEEP) {
        /* Algorithm R: the seen-th value replaces a kept one with
         * probability KEEP / seen. */
        struct fb_rng r = {s->rng};
        uint64_t j = fb_rng_below(&r, s->seen);
        s->rng = r.s;
        if (j < FB_SAMPLE_KEEP)
            s->v[j] = x;
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap;
        double *v;

        if (s->cap > SIZE_MAX / 2 / sizeof(*v)) {
            rc = FB_ENOMEM;
            goto out;
        }
        cap = s->cap != 0 ? s->cap * 2 : SAMPLE_MIN_CAP;
        if (cap > FB_SAMPLE_KEEP)
            cap = FB_SAMPLE_KEEP;
        v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
out:
    return rc;
}

void fb_sample_free(struct fb_sample *s)
{
    if (s == NULL)
        return;
    free(s->v);
    memset(s, 0, sizeof(*s));
}

void fb_sample_clear(struct fb_sample *s)
{
    double *v = s->v;
    size_t cap = s->cap;

    memset(s, 0, sizeof(*s));
    s->v = v;
    s->cap = cap;
}

void fb_sample_summarize(struct fb_sample *s, struct fb_summary *out)
{
    fb_summarize(s->v, s->n, out);
    if (s->seen <= s->n)
        return;
    /* Sampled: what is exact over every value replaces the sample's. */
    out->n = s->seen;
    out->mean = s->mean;
    out->min = s->min;
    out->max = s->max;
    out->sd = sqrt(s->m2 / (double)(s->seen - 1));
    double half = fb_t95(s->seen - 1 > (size_t)INT_MAX ? INT_MAX : (int)(s->seen - 1)) *
                  out->sd / sqrt((double)s->seen);
    out->ci_lo = out->mean - half;
    out->ci_hi = out->mean + half;
}

double fb_quantile_sorted(const double *v, size_t n, double p)
{
    double h, lo_f;
    size_t lo;

    if (n == 0 || isnan(p))
        return NAN;
    if (p <= 0.0)
        return v[0];
    if (p >= 1.0)
        return v[n - 1];
    h = (double)(n - 1) * p;
    lo_f = floor(h);
    lo = (size_t)lo_f;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - lo_f) * (v[lo + 1] - v[lo]);
}

/* Total order for qsort: NANs (unmeasured values) sort last. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    if (isnan(x) || isnan(y))
        return (isnan(x) != 0) - (isnan(y) != 0);
    return (x > y) - (x < y);
}

/* The key of x whose unsigned order is x's: the sign bit flipped for x >= 0,
 * every bit for x < 0. */
static uint64_t sort_key(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof(u));
    return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

static double key_value(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~(UINT64_C(1) << 63) : ~k;
    double x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

void fb_sort_doubles(double *v, size_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = (64 + BITS - 1) / BITS };
    uint64_t *a, *b;
    size_t (*count)[BUCKETS];

    for (size_t i = 0; i < n; i++)
        if (isnan(v[i])) {
            qsort(v, n, sizeof(*v), cmp_double); /* NANs last, as always */
            return;
        }
    if (n < 64) { /* insertion: stable, and quickest this small */
        for (size_t i = 1; i < n; i++) {
            double x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1] > x; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    a = malloc(2 * n * sizeof(*a));
    count = calloc(PASSES, sizeof(*count));
    if (a == NULL || count == NULL) {
        free(a);
        free(count);
        qsort(v, n, sizeof(*v), cmp_double);
        return;
    }
    b = a + n;
    /* LSD radix, 11 bits a pass, every pass's counts in one read; a pass
     * whose digit is the same for every key is skipped. */
    for (size_t i = 0; i < n; i++) {
        a[i] = sort_key(v[i]);
        for (int p = 0; p < PASSES; p++)
            count[p][(a[i] >> (p * BITS)) & (BUCKETS - 1)]++;
    }
    for (int p = 0; p < PASSES; p++) {
        size_t sum = 0;
        if (count[p][(a[0] >> (p * BITS)) & (BUCKETS - 1)] == n)
            continue;
        for (int d = 0; d < BUCKETS; d++) {
            size_t c = count[p][d];
            count[p][d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            b[count[p][(a[i] >> (p * BITS)) & (BUCKETS - 1)]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = key_value(a[i]);
    free(a < b ? a : b);
    free(count);
}

void fb_summarize(double *v, size_t n, struct fb_summary *out)
{
    double mean = 0.0, m2 = 0.0;

    out->n = n;
    out->mean = out->sd = NAN;
    out->min = out->p50 = out->p90 = out->p95 = out->p99 = out->max = NAN;
    out->ci_lo = out->ci_hi = NAN;
    if (n == 0)
        return;

    fb_sort_doubles(v, n);
    /* Welford's update: no catastrophic cancellation when the spread is small
     * against the mean (latencies of 300 ms varying by microseconds). */
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - mean;
        mean += d / (double)(i + 1);
        m2 += d * (v[i] - mean);
    }
    out->mean = mean;
    out->min = v[0];
    out->max = v[n - 1];
    out->p50 = fb_quantile_sorted(v, n, 0.50);
    out->p90 = fb_quantile_sorted(v, n, 0.90);
    out->p95 = fb_quantile_sorted(v, n, 0.95);
    out->p99 = fb_quantile_sorted(v, n, 0.99);
    if (n >= 2) {
        double half;

        out->sd = sqrt(m2 / (double)(n - 1));
        half = fb_t95(n - 1 > (size_t)INT_MAX ? INT_MAX : (int)(n - 1)) * out->sd /
               sqrt((double)n);
        out->ci_lo = mean - half;
        out->ci_hi = mean + half;
    }
}

/* ---- Student t quantiles ---- */

/* The tail below is computed in long double: near x = (a + 1) / (a + b + 2)
 * the continued fraction's value is small against its terms (its first
 * partial numerator is about -x), so it loses about a units in the last
 * place, 1e-13 in double at 5000 degrees of freedom; the 11 more bits of
 * x86-64's long double (113 of aarch64's) absorb that. */

/* lgamma(x) less Stirling's (x - 1/2) ln x - x + ln(2 pi) / 2, for x >= 10:
 * the asymptotic series sum B_2k / (2k (2k - 1) x^(2k - 1)) to x^-13, whose
 * first omitted term is below 4e-17 there. */
static long double stirling_rest(long double x)
{
    long double r = 1.0L / x, r2 = r * r;

    return r * (1.0L / 12.0L +
                r2 * (-1.0L / 360.0L +
                      r2 * (1.0L / 1260.0L +
                            r2 * (-1.0L / 1680.0L +
                                  r2 * (1.0L / 1188.0L +
                                        r2 * (-691.0L / 360360.0L + r2 * (1.0L / 156.0L)))))));
}

/* ln B(a, b) for b <= a with b small (1/2 here). For a >= 10, lgamma(a) -
 * lgamma(a + b) comes from Stirling's series, where the large terms cancel
 * on paper instead of in floating point: lgamma(5e4) is about 5e5, whose
 * last digit in double is worth 1e-10, a relative error of 1e-10 in every
 * density. */
static long double log_beta(long double a, long double b)
{
    if (a < 10.0L)
        return lgammal(a) + lgammal(b) - lgammal(a + b);
    return lgammal(b) - (a - 0.5L) * log1pl(b / a) - b * logl(a + b) + b + stirling_rest(a) -
           stirling_rest(a + b);
}

/* K = 1 + d1 / (1 + d2 / (1 + ...)), the continued fraction of the
 * regularized incomplete beta function, I_x(a, b) = x^a (1 - x)^b /
 * (a B(a, b) K), with d_2m+1 = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
 * and d_2m = m (b - m) x / ((a + 2m - 1)(a + 2m)); by Lentz's method (each
 * convergent from the last, with zero denominators nudged). It converges
 * quickly for x < (a + 1) / (a + b + 2): about 100 terms here. */
static long double beta_fraction(long double a, long double b, long double x)
{
    const long double tiny = 1e-300L;
    long double f = 1.0L, c = 1.0L, d = 0.0L;

    for (int k = 1; k <= 100000; k++) {
        int m = k / 2;
        long double dk, step;

        if (k % 2 == 1)
            dk = -(a + m) * (a + b + m) * x / ((a + 2.0L * m) * (a + 2.0L * m + 1.0L));
        else
            dk = m * (b - m) * x / ((a + 2.0L * m - 1.0L) * (a + 2.0L * m));
        d = 1.0L + dk * d;
        c = 1.0L + dk / c;
        if (fabsl(d) < tiny)
            d = tiny;
        if (fabsl(c) < tiny)
            c = tiny;
        d = 1.0L / d;
        step = c * d;
        f *= step;
        if (fabsl(step - 1.0L) <= LDBL_EPSILON)
            break;
    }
    return f;
}

/* P(T > t) for t >= 0, T Student t with nu degrees of freedom:
 * I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2), or 1 - I_y(1/2, nu/2) halved
 * with y = t^2 / (nu + t^2) = 1 - x (formed directly) where the fraction
 * converges slowly for x. Logarithms through log1p keep their digits when
 * t^2 is small against nu. */
static long double t_upper_tail(double t, double nu_d)
{
    long double nu = nu_d, a = nu / 2.0L, b = 0.5L, t2 = (long double)t * t;
    long double x = nu / (nu + t2), y = t2 / (nu + t2);
    long double front;

    if (t2 == 0.0L)
        return 0.5L;
    front = expl(-a * log1pl(t2 / nu) + b * logl(y) - log_beta(a, b));
    if (x < (a + 1.0L) / (a + b + 2.0L))
        return front / (a * beta_fraction(a, b, x)) / 2.0L;
    return (1.0L - front / (b * beta_fraction(b, a, y))) / 2.0L;
}

/* The density of Student t at t (Newton's steps need no more than double). */
static double t_density(double t, double nu)
{
    return (double)expl(-(nu + 1.0L) / 2.0L * log1pl((long double)t * t / nu) -
                        log_beta(nu / 2.0L, 0.5L)) /
           sqrt(nu);
}

/* z with P(Z > z) = q, 0 < q <= 1/2, Z standard normal: Abramowitz & Stegun
 * 26.2.23 (within 4.5e-4), then Newton's method on erfc, which libm gives
 * to an ulp or so. */
static double normal_upper_quantile(double q)
{
    double w = sqrt(-2.0 * log(q));
    double z = w - (2.515517 + w * (0.802853 + w * 0.010328)) /
                       (1.0 + w * (1.432788 + w * (0.189269 + w * 0.001308)));

    for (int i = 0; i < 8; i++) {
        double g = 0.5 * erfc(z / M_SQRT2) - q;
        double step = g / (exp(-0.5 * z * z) / sqrt(2.0 * M_PI));

        z += step;
        if (fabs(step) <= DBL_EPSILON * z)
            break;
    }
    return z;
}

/* Cornish-Fisher expansion of the t quantile in powers of 1/nu around the
 * normal one z (Abramowitz & Stegun 26.7.5), four terms. */
static double cornish_fisher(double z, double nu)
{
    double z2 = z * z;
    double g1 = z * (z2 + 1.0) / 4.0;
    double g2 = z * (3.0 + z2 * (16.0 + z2 * 5.0)) / 96.0;
    double g3 = z * (-15.0 + z2 * (17.0 + z2 * (19.0 + z2 * 3.0))) / 384.0;
    double g4 = z * (-945.0 + z2 * (-1920.0 + z2 * (1482.0 + z2 * (776.0 + z2 * 79.0)))) /
                92160.0;

    return z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu;
}

/* From this many degrees of freedom on, the expansion is exact to double
 * precision: its first omitted term is O(nu^-5), within 0.05 units in the
 * last place for p up to 0.9995 at 5000 (checked against 40-digit values). */
#define T_EXPANSION_DF 5000.0

/* t with P(T > t) = q, 0 < q < 1/2. */
static double t_upper_quantile(double q, double nu)
{
    double z = normal_upper_quantile(q), lo = z, hi = INFINITY, t;

    if (nu >= T_EXPANSION_DF)
        return cornish_fisher(z, nu);
    if (nu == 1.0)
        t = 1.0 / tan(M_PI * q); /* Cauchy: exact but for rounding */
    else if (nu == 2.0)
        t = (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));
    else
        t = cornish_fisher(z, nu);
    /* Newton's method on the tail, kept inside a bracket: the normal quantile
     * is below the root (t's tails are heavier), and each step narrows it. */
    if (!(t > lo))
        t = lo;
    for (int i = 0; i < 100; i++) {
        double g = (double)(t_upper_tail(t, nu) - q), step, next;

        if (g == 0.0)
            break;
        if (g > 0.0)
            lo = t;
        else
            hi = t;
        step = g / t_density(t, nu);
        next = t + step;
        if (fabs(step) <= DBL_EPSILON * t) {
            t = next; /* converged: the step is within rounding of t */
            break;
        }
        if (!(next > lo && next < hi))
            next = isfinite(hi) ? lo + (hi - lo) / 2.0 : 2.0 * t;
        t = next;
    }
    return t;
}

double fb_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df >= 0.5))
        return NAN;
    if (p == 0.5)
        return 0.0;
    /* 1 - p is exact for p in [1/2, 1); below 1/2, p is the upper tail of -t. */
    if (p < 0.5)
        return -t_upper_quantile(p, df);
    return t_upper_quantile(1.0 - p, df);
}

double fb_t95(int df)
{
    return df < 1 ? NAN : fb_t_quantile(0.975, (double)df);
}

/* ---- inference ---- */

/* log P(B = k) for B ~ Binomial(n, 1/2). */
static double log_binom_half(size_t n, size_t k)
{
    double dn = (double)n, dk = (double)k;

    return lgamma(dn + 1.0) - lgamma(dk + 1.0) - lgamma(dn - dk + 1.0) - dn * M_LN2;
}

int fb_median_ci_ranks(size_t n, size_t *lo, size_t *hi)
{
    double cdf = 0.0;
    size_t k = 0;
    int rc = 0;

    if (n < 6) {
        rc = FB_EINVAL;
        goto out;
    }
    /* Walk the lower tail: k ends as the largest rank with 2 P(B <= k) <= 0.05.
     * The tail is symmetric, so the upper bound mirrors the lower one. The
     * loop stops before n / 2, so it costs O(n) lgamma calls at most. */
    cdf = exp(log_binom_half(n, 0));
    for (size_t j = 1; j < n / 2; j++) {
        double next = cdf + exp(log_binom_half(n, j));

        if (2.0 * next > 0.05)
            break;
        cdf = next;
        k = j;
    }
    *lo = k;
    *hi = n - 1 - k;
out:
    return rc;
}

void fb_median_ci95(const double *v, size_t n, double *lo, double *hi)
{
    size_t a, b;

    *lo = *hi = NAN;
    if (v == NULL || fb_median_ci_ranks(n, &a, &b) < 0)
        return;
    *lo = v[a];
    *hi = v[b];
}

const char *fb_phase_name(enum fb_phase p)
{
    static const char *const names[FB_NPHASES] = {
        [FB_PHASE_SELECT] = "select",   [FB_PHASE_PULL] = "pull",
        [FB_PHASE_RUN] = "run",         [FB_PHASE_CLEANUP] = "cleanup",
        [FB_PHASE_OVERHEAD] = "overhead", [FB_PHASE_CREATE] = "create",
        [FB_PHASE_READY] = "ready",       [FB_PHASE_INIT] = "init",
        [FB_PHASE_INVOKE] = "invoke",     [FB_PHASE_HANDLER] = "handler",
        [FB_PHASE_QUEUE] = "queue",       [FB_PHASE_CLIENT] = "client",
    };

    return (unsigned)p < FB_NPHASES ? names[p] : "?";
}

int fb_phase_parse(const char *name, enum fb_phase *out)
{
    for (int p = 0; name != NULL && p < FB_NPHASES; p++)
        if (strcmp(fb_phase_name((enum fb_phase)p), name) == 0) {
            *out = (enum fb_phase)p;
            return 0;
        }
    return FB_EINVAL;
}

const char *fb_stat_name(enum fb_stat s)
{
    switch (s) {
    case FB_STAT_P50:
        return "p50";
    case FB_STAT_P95:
        return "p95";
    case FB_STAT_MEAN:
        return "mean";
    }
    return "?";
}

int fb_stat_parse(const char *name, enum fb_stat *out)
{
    int rc = 0;

    if (name == NULL)
        rc = FB_EINVAL;
    else if (strcmp(name, "p50") == 0 || strcmp(name, "median") == 0)
        *out = FB_STAT_P50;
    else if (strcmp(name, "p95") == 0)
        *out = FB_STAT_P95;
    else if (strcmp(name, "mean") == 0)
        *out = FB_STAT_MEAN;
    else
        rc = FB_EINVAL;
    return rc;
}

double fb_stat_sorted(enum fb_stat s, const double *v, size_t n)
{
    double sum = 0.0;

    if (n == 0 || v == NULL)
        return NAN;
    switch (s) {
    case FB_STAT_P50:
        return fb_quantile_sorted(v, n, 0.50);
    case FB_STAT_P95:
        return fb_quantile_sorted(v, n, 0.95);
    case FB_STAT_MEAN:
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        return sum / (double)n;
    }
    return NAN;
}

int fb_mann_whitney_sorted(const double *a, size_t na, const double *b, size_t nb,
                           double *u, double *p)
{
    double rank_b = 0.0, ties = 0.0, pos = 0.0, n1, n2, n, mu, var, z;
    size_t i = 0, j = 0;
    int rc = 0;

    *u = *p = NAN;
    if (a == NULL || b == NULL || na == 0 || nb == 0) {
        rc = FB_EINVAL;
        goto out;
    }
    /* Merge the two sorted samples; a run of equal values (from either
     * sample) shares the average of the ranks it spans. */
    while (i < na || j < nb) {
        double x, t, mid;
        size_t ca = 0, cb = 0;

        if (j >= nb || (i < na && a[i] <= b[j]))
            x = a[i];
        else
            x = b[j];
        while (i < na && a[i] == x) {
            i++;
            ca++;
        }
        while (j < nb && b[j] == x) {
            j++;
            cb++;
        }
        t = (double)(ca + cb);
        mid = pos + (t + 1.0) / 2.0;
        rank_b += (double)cb * mid;
        ties += t * t * t - t;
        pos += t;
    }
    n1 = (double)na;
    n2 = (double)nb;
    n = n1 + n2;
    *u = rank_b - n2 * (n2 + 1.0) / 2.0;
    mu = n1 * n2 / 2.0;
    var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if (!(var > 0.0)) {
        *p = 1.0; /* every value tied: no evidence of a difference */
        goto out;
    }
    z = (fabs(*u - mu) - 0.5) / sqrt(var);
    if (z < 0.0)
        z = 0.0;
    *p = erfc(z / M_SQRT2);
out:
    return rc;
}

/* fb_rng_below(rng, n), draw for draw, with its rejection limit
 * (UINT64_MAX - UINT64_MAX % n) computed once per sample instead of per draw:
 * the bootstrap's inner loop. */
static size_t draw_below(struct fb_rng *rng, uint64_t n, uint64_t limit)
{
    uint64_t x;

    do
        x = fb_rng_next(rng);
    while (x >= limit);
    return (size_t)(x % n);
}

/* The statistic of one bootstrap resample of sorted v[0..n): n draws with
 * replacement, tallied in counts[] (n slots, zeroed here), so a quantile is
 * a walk over the tally in O(n) instead of a sort. */
static double resample_stat(enum fb_stat s, const double *v, size_t n, size_t *counts,
                            struct fb_rng *rng)
{
    double p, h, frac, x_lo = NAN, x_hi = NAN, sum = 0.0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)n;
    size_t lo, hi, cum = 0;
    int got_lo = 0;

    if (s == FB_STAT_MEAN) {
        for (size_t k = 0; k < n; k++)
            sum += v[draw_below(rng, n, limit)];
        return sum / (double)n;
    }
    memset(counts, 0, n * sizeof(*counts));
    for (size_t k = 0; k < n; k++)
        counts[draw_below(rng, n, limit)]++;
    /* R type 7, as fb_quantile_sorted: between order statistics lo and lo+1. */
    p = s == FB_STAT_P95 ? 0.95 : 0.50;
    h = (double)(n - 1) * p;
    lo = (size_t)floor(h);
    frac = h - floor(h);
    hi = lo + 1 < n ? lo + 1 : lo;
    for (size_t k = 0; k < n; k++) {
        cum += counts[k];
        if (!got_lo && cum > lo) {
            x_lo = v[k];
            got_lo = 1;
        }
        if (cum > hi) {
            x_hi = v[k];
            break;
        }
    }
    return x_lo + frac * (x_hi - x_lo);
}

int fb_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                          enum fb_stat stat, int resamples, uint64_t seed, double *lo,
                          double *hi)
{
    struct fb_rng rng;
    double *ratio = NULL;
    size_t *counts = NULL;
    int rc = 0;

    *lo = *hi = NAN;
    if (resamples < 2 || (na > 0 && a == NULL) || (nb > 0 && b == NULL)) {
        rc = FB_EINVAL;
        goto out;
    }
    if (na < 2 || nb < 2)
        goto out;
    ratio = malloc((size_t)resamples * sizeof(*ratio));
    counts = malloc((na > nb ? na : nb) * sizeof(*counts));
    if (ratio == NULL || counts == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    fb_rng_seed(&rng, seed);
    for (int r = 0; r < resamples; r++) {
        double sa = resample_stat(stat, a, na, counts, &rng);
        double sb = resample_stat(stat, b, nb, counts, &rng);

        ratio[r] = sb / sa;
        if (!isfinite(ratio[r]))
            goto out; /* a zero baseline: no ratio to bound */
    }
    qsort(ratio, (size_t)resamples, sizeof(*ratio), cmp_double);
    *lo = fb_quantile_sorted(ratio, (size_t)resamples, 0.025);
    *hi = fb_quantile_sorted(ratio, (size_t)resamples, 0.975);
out:
    free(ratio);
    free(counts);
    return rc;
}

/* ln of stat over sorted v[0..n) and the standard error of that ln. */
static int log_stat_se(enum fb_stat stat, const double *v, size_t n, double *ln, double *se)
{
    double est = fb_stat_sorted(stat, v, n);

    if (n < FB_ORDERSTAT_MIN || !(est > 0))
        return FB_EINVAL;
    *ln = log(est);
    if (stat == FB_STAT_MEAN) {
        double mean = 0, m2 = 0;
        for (size_t i = 0; i < n; i++) {
            double d = v[i] - mean;
            mean += d / (double)(i + 1);
            m2 += d * (v[i] - mean);
        }
        *se = sqrt(m2 / (double)(n - 1)) / sqrt((double)n) / est;
        return 0;
    }
    /* The ranks 2 sd of the binomial count either side of the quantile's:
     * between them lies about 95 % of where the estimate can fall, so half
     * their ln distance over 2 sd (in ranks) is one sd of ln of it. */
    double p = stat == FB_STAT_P95 ? 0.95 : 0.50;
    double sd = sqrt((double)n * p * (1.0 - p));
    double at = (double)n * p;
    long l = lround(at - 2.0 * sd), u = lround(at + 2.0 * sd);
    if (l < 1)
        l = 1;
    if (u > (long)n)
        u = (long)n;
    if (u <= l || !(v[l - 1] > 0))
        return FB_EINVAL;
    double z = (double)(u - l) / (2.0 * sd); /* the ranks' distance in sds, halved */
    *se = (log(v[u - 1]) - log(v[l - 1])) / (2.0 * z);
    return 0;
}

int fb_orderstat_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                          enum fb_stat stat, double *lo, double *hi)
{
    double la, sa, lb, sb;

    *lo = *hi = NAN;
    if (log_stat_se(stat, a, na, &la, &sa) < 0 || log_stat_se(stat, b, nb, &lb, &sb) < 0)
        return FB_EINVAL;
    double half = 1.959963984540054 * sqrt(sa * sa + sb * sb);
    *lo = exp(lb - la - half);
    *hi = exp(lb - la + half);
    return 0;
}

int fb_compare_sorted(const double *base, size_t nb, const double *x, size_t nx,
                      enum fb_stat stat, struct fb_cmp *out)
{
    int rc;

    out->n_base = nb;
    out->n_new = nx;
    out->base = fb_stat_sorted(stat, base, nb);
    out->new_ = fb_stat_sorted(stat, x, nx);
    out->ratio = out->base != 0.0 ? out->new_ / out->base : NAN;
    if (!isfinite(out->ratio))
        out->ratio = NAN;
    fb_mann_whitney_sorted(base, nb, x, nx, &out->u, &out->p);
    if (nb > FB_BOOT_MAX_N && nx > FB_BOOT_MAX_N &&
        fb_orderstat_ratio_ci(base, nb, x, nx, stat, &out->ci_lo, &out->ci_hi) == 0)
        return 0;
    rc = fb_bootstrap_ratio_ci(base, nb, x, nx, stat, FB_BOOT_RESAMPLES, FB_BOOT_SEED,
                               &out->ci_lo, &out->ci_hi);
    if (rc == FB_EINVAL)
        rc = 0; /* empty samples: the fields say NAN */
    return rc;
}

static void add_interval(struct fb_table *t, double lo, double hi)
{
    if (isfinite(lo) && isfinite(hi))
        fb_table_addf(t, "[%.1f, %.1f]", lo, hi);
    else
        fb_table_addf(t, "-");
}

_Static_assert(FB_SC_N == 23 + FB_PHASE_FIRST_OPEN_LOOP + 1 + 2 * 5 + 3,
               "a summary column per phase, then the open-loop and asked-work columns");
_Static_assert(FB_SC_select_p50_ms + FB_PHASE_FIRST_OPEN_LOOP == FB_SC_open_loop,
               "the phase columns in the order of enum fb_phase");

/* An open-loop statistic: empty without values. */
static struct fb_value open_loop_value(const struct fb_summary *s, double x)
{
    return FB_VREAL(s->n > 0 ? x : NAN);
}

/* Column c of summary.csv for the row. */
static struct fb_value summary_value(const void *row, int c)
{
    const struct fb_summary_row *r = row;
    const struct fb_summary *s = &r->lat;

    switch ((enum fb_summary_column)c) {
    case FB_SC_run_id:
        return FB_VSTR(r->run_id);
    case FB_SC_repetition:
        return FB_VINT(r->repetition);
    case FB_SC_policy:
        return FB_VSTR(r->policy);
    case FB_SC_warming:
        return FB_VSTR(r->warming);
    case FB_SC_function:
        return FB_VSTR(r->function);
    case FB_SC_n:
        return FB_VINT(s->n);
    case FB_SC_errors:
        return FB_VINT(r->errors);
    case FB_SC_mean_ms:
        return FB_VREAL(s->mean);
    case FB_SC_sd_ms:
        return FB_VREAL(s->sd);
    case FB_SC_min_ms:
        return FB_VREAL(s->min);
    case FB_SC_p50_ms:
        return FB_VREAL(s->p50);
    case FB_SC_p90_ms:
        return FB_VREAL(s->p90);
    case FB_SC_p95_ms:
        return FB_VREAL(s->p95);
    case FB_SC_p99_ms:
        return FB_VREAL(s->p99);
    case FB_SC_max_ms:
        return FB_VREAL(s->max);
    case FB_SC_ci95_lo_ms:
        return FB_VREAL(s->ci_lo);
    case FB_SC_ci95_hi_ms:
        return FB_VREAL(s->ci_hi);
    case FB_SC_cold:
        return FB_VINT(r->mode_count[0]);
    case FB_SC_pre_warmed:
        return FB_VINT(r->mode_count[1]);
    case FB_SC_warmed:
        return FB_VINT(r->mode_count[2]);
    case FB_SC_per_node:
        return FB_VSTR(r->per_node);
    case FB_SC_p50_ci95_lo_ms:
        return FB_VREAL(r->p50_ci_lo);
    case FB_SC_p50_ci95_hi_ms:
        return FB_VREAL(r->p50_ci_hi);
    case FB_SC_select_p50_ms:
    case FB_SC_pull_p50_ms:
    case FB_SC_run_p50_ms:
    case FB_SC_cleanup_p50_ms:
    case FB_SC_overhead_p50_ms:
    case FB_SC_create_p50_ms:
    case FB_SC_ready_p50_ms:
    case FB_SC_init_p50_ms:
    case FB_SC_invoke_p50_ms:
    case FB_SC_handler_p50_ms:
        return FB_VREAL(r->phase_p50[c - FB_SC_select_p50_ms]);
    case FB_SC_open_loop:
        return FB_VINT(r->open_loop ? 1 : 0);
    case FB_SC_queue_mean_ms:
        return open_loop_value(&r->queue, r->queue.mean);
    case FB_SC_queue_p50_ms:
        return open_loop_value(&r->queue, r->queue.p50);
    case FB_SC_queue_p95_ms:
        return open_loop_value(&r->queue, r->queue.p95);
    case FB_SC_queue_p99_ms:
        return open_loop_value(&r->queue, r->queue.p99);
    case FB_SC_queue_max_ms:
        return open_loop_value(&r->queue, r->queue.max);
    case FB_SC_client_mean_ms:
        return open_loop_value(&r->client, r->client.mean);
    case FB_SC_client_p50_ms:
        return open_loop_value(&r->client, r->client.p50);
    case FB_SC_client_p95_ms:
        return open_loop_value(&r->client, r->client.p95);
    case FB_SC_client_p99_ms:
        return open_loop_value(&r->client, r->client.p99);
    case FB_SC_client_max_ms:
        return open_loop_value(&r->client, r->client.max);
    case FB_SC_asked_duration_p50_ms:
        return FB_VREAL(r->asked_p50);
    case FB_SC_measured_duration_p50_ms:
        return FB_VREAL(r->measured_p50);
    case FB_SC_slip_p50_pct:
        return FB_VREAL(r->slip_p50);
    case FB_SC_N:
        break;
    }
    return FB_VSTR(NULL);
}

int fb_summary_write_csv(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    int rc = 0;

    if (f == NULL || (rows == NULL && n > 0)) {
        rc = FB_EINVAL;
        goto out;
    }
    fb_col_write_header(f, fb_summary_columns, FB_SC_N);
    for (size_t i = 0; i < n; i++)
        fb_col_write_row(f, fb_summary_columns, FB_SC_N, summary_value, &rows[i]);
    if (fflush(f) != 0 || ferror(f))
        rc = FB_EIO;
out:
    return rc;
}

/* The leading key columns of both summary tables. */
static int key_titles(const char **titles, int *right, const struct fb_summary_row *rows,
                      size_t n)
{
    int k = 0, reps = 0;

    /* A repetition column only when there is more than one repetition. */
    for (size_t i = 0; i < n; i++)
        if (rows[i].repetition > 1)
            reps = 1;
    if (reps) {
        right[k] = 1;
        titles[k++] = "rep";
    }
    titles[k++] = "policy";
    titles[k++] = "warming";
    titles[k++] = "function";
    return k;
}

static void key_cells(struct fb_table *t, const struct fb_summary_row *r, int reps)
{
    if (reps)
        fb_table_addf(t, "%d", r->repetition);
    fb_table_addf(t, "%s", r->policy != NULL ? r->policy : "");
    fb_table_addf(t, "%s", r->warming != NULL ? r->warming : "");
    fb_table_addf(t, "%s", r->function != NULL ? r->function : "");
}

#define TABLE_MAXCOLS 20

static int latency_table(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    static const char *const stat_titles[] = {
        "n", "err", "mean", "sd", "min", "p50", "p90", "p95", "p99", "max",
        "mean 95% CI", "p50 95% CI",
    };
    const char *titles[TABLE_MAXCOLS];
    int right[TABLE_MAXCOLS] = {0};
    struct fb_table t = {0};
    int nk = key_titles(titles, right, rows, n), ncols = nk, rc;

    for (size_t i = 0; i < sizeof(stat_titles) / sizeof(stat_titles[0]); i++) {
        right[ncols] = i < 10; /* numbers right, intervals left */
        titles[ncols++] = stat_titles[i];
    }
    for (size_t i = 0; i < n; i++) {
        const struct fb_summary *s = &rows[i].lat;

        key_cells(&t, &rows[i], nk == 4);
        fb_table_addf(&t, "%zu", s->n);
        fb_table_addf(&t, "%zu", rows[i].errors);
        fb_table_add_ms(&t, s->mean);
        fb_table_add_ms(&t, s->sd);
        fb_table_add_ms(&t, s->min);
        fb_table_add_ms(&t, s->p50);
        fb_table_add_ms(&t, s->p90);
        fb_table_add_ms(&t, s->p95);
        fb_table_add_ms(&t, s->p99);
        fb_table_add_ms(&t, s->max);
        add_interval(&t, s->ci_lo, s->ci_hi);
        add_interval(&t, rows[i].p50_ci_lo, rows[i].p50_ci_hi);
    }
    fputs("Latency (ms) of successful invocations. 95% CI of the mean: Student t; of the\n"
          "median: exact order statistics from the binomial distribution (n >= 6).\n",
          f);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].open_loop) {
            fputs("Latency starts when a worker took the invocation up: in open-loop cells the\n"
                  "wait before that is in the open-loop table below.\n",
                  f);
            break;
        }
    }
    rc = fb_table_write(f, &t, ncols, titles, right);
    fb_table_free(&t);
    return rc;
}

static int placement_table(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    const char *titles[TABLE_MAXCOLS];
    int right[TABLE_MAXCOLS] = {0};
    struct fb_table t = {0};
    int nk = key_titles(titles, right, rows, n), ncols = nk, rc;

    /* The resident phases show when some row measured them; the open-loop
     * ones have a table of their own. */
    int np = FB_PHASE_FIRST_RESIDENT;
    for (size_t i = 0; i < n && np < FB_PHASE_FIRST_OPEN_LOOP; i++)
        for (int p = FB_PHASE_FIRST_RESIDENT; p < FB_PHASE_FIRST_OPEN_LOOP; p++)
            if (!isnan(rows[i].phase_p50[p]))
                np = FB_PHASE_FIRST_OPEN_LOOP;
    titles[ncols++] = "modes c/p/w";
    for (int p = 0; p < np; p++) {
        right[ncols] = 1;
        titles[ncols++] = fb_phase_name((enum fb_phase)p);
    }
    titles[ncols++] = "per node";
    for (size_t i = 0; i < n; i++) {
        const struct fb_summary_row *r = &rows[i];

        key_cells(&t, r, nk == 4);
        fb_table_addf(&t, "%zu/%zu/%zu", r->mode_count[0], r->mode_count[1], r->mode_count[2]);
        for (int p = 0; p < np; p++)
            fb_table_add_ms(&t, r->phase_p50[p]);
        fb_table_addf(&t, "%s", r->per_node != NULL ? r->per_node : "");
    }
    fputs("Modes that ran (cold/pre-warmed/warmed), phase medians (ms) of successful\n"
          "invocations (overhead = latency - node_exec), invocations per node.\n",
          f);
    if (np == FB_PHASE_FIRST_OPEN_LOOP)
        fputs("Resident functions: run = create + ready + invoke; init (the runtime's own\n"
              "start-up) and handler are runtime-reported, bounded by create + ready and by\n"
              "invoke (a figure past its bound is left out).\n",
              f);
    rc = fb_table_write(f, &t, ncols, titles, right);
    fb_table_free(&t);
    return rc;
}

/* A statistic of the open-loop table: "-" without values. */
static void add_open_ms(struct fb_table *t, const struct fb_summary *s, double x)
{
    fb_table_add_ms(t, s->n > 0 ? x : NAN);
}

static int open_loop_table(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    static const char *const stat_titles[] = {
        "n",         "queue mean", "queue p50",  "queue p95",  "queue p99",  "queue max",
        "latency p50", "client p50", "client p95", "client p99", "client max",
    };
    const char *titles[TABLE_MAXCOLS];
    int right[TABLE_MAXCOLS] = {0};
    struct fb_table t = {0};
    int nk = key_titles(titles, right, rows, n), ncols = nk, rc;

    for (size_t i = 0; i < sizeof(stat_titles) / sizeof(stat_titles[0]); i++) {
        right[ncols] = 1;
        titles[ncols++] = stat_titles[i];
    }
    for (size_t i = 0; i < n; i++) {
        const struct fb_summary_row *r = &rows[i];

        if (!r->open_loop)
            continue;
        key_cells(&t, r, nk == 4);
        fb_table_addf(&t, "%zu", r->queue.n);
        add_open_ms(&t, &r->queue, r->queue.mean);
        add_open_ms(&t, &r->queue, r->queue.p50);
        add_open_ms(&t, &r->queue, r->queue.p95);
        add_open_ms(&t, &r->queue, r->queue.p99);
        add_open_ms(&t, &r->queue, r->queue.max);
        fb_table_add_ms(&t, r->lat.p50);
        add_open_ms(&t, &r->client, r->client.p50);
        add_open_ms(&t, &r->client, r->client.p95);
        add_open_ms(&t, &r->client, r->client.p99);
        add_open_ms(&t, &r->client, r->client.max);
    }
    fputs("Open-loop cells (a row's start_ms differs from its intended_start_ms), ms of\n"
          "successful invocations: queue = start_ms - intended_start_ms, the wait in front\n"
          "of the workers (whole ms: within 1 ms either way), which latency does not count;\n"
          "client = queue + latency, the latency from the intended start: what an open-loop\n"
          "client waits for.\n",
          f);
    rc = fb_table_write(f, &t, ncols, titles, right);
    fb_table_free(&t);
    return rc;
}

/* Rows asked for work: the median asked duration against the measured one. */
static int asked_table(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    const char *titles[TABLE_MAXCOLS];
    int right[TABLE_MAXCOLS] = {0};
    struct fb_table t = {0};
    int nk = key_titles(titles, right, rows, n), ncols = nk, rc;

    right[ncols] = 1;
    titles[ncols++] = "asked p50";
    right[ncols] = 1;
    titles[ncols++] = "measured p50";
    right[ncols] = 1;
    titles[ncols++] = "slip p50";
    for (size_t i = 0; i < n; i++) {
        const struct fb_summary_row *r = &rows[i];

        if (isnan(r->asked_p50))
            continue;
        key_cells(&t, r, nk == 4);
        fb_table_add_ms(&t, r->asked_p50);
        fb_table_add_ms(&t, r->measured_p50);
        if (!isnan(r->slip_p50))
            fb_table_addf(&t, "%+.1f %%", r->slip_p50);
        else
            fb_table_addf(&t, "-");
    }
    fputs("Asked work: medians (ms) of the successful invocations asked for a duration\n"
          "({duration_ms}): the duration asked, and the time it took as measured (the\n"
          "handler's own time; for a function that is not resident, its command's time\n"
          "on the node, start-up included); slip: the median of each invocation's\n"
          "(measured - asked) / asked.\n",
          f);
    rc = fb_table_write(f, &t, ncols, titles, right);
    fb_table_free(&t);
    return rc;
}

int fb_summary_write_table(FILE *f, const struct fb_summary_row *rows, size_t n)
{
    bool open = false, asked = false;
    int rc = 0;

    if (f == NULL || (rows == NULL && n > 0)) {
        rc = FB_EINVAL;
        goto out;
    }
    rc = latency_table(f, rows, n);
    if (rc < 0)
        goto out;
    fputc('\n', f);
    rc = placement_table(f, rows, n);
    for (size_t i = 0; i < n; i++)
        open = open || rows[i].open_loop;
    if (rc == 0 && open) {
        fputc('\n', f);
        rc = open_loop_table(f, rows, n);
    }
    /* asked work */
    for (size_t i = 0; i < n; i++)
        asked = asked || !isnan(rows[i].asked_p50);
    if (rc == 0 && asked) {
        fputc('\n', f);
        rc = asked_table(f, rows, n);
    }
out:
    return rc;
}
