/* stats.h - descriptive and inferential statistics, summary rendering, grid tables. */
#ifndef FB_STATS_H
#define FB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/* The values of one statistic (latencies of one cell x function), in
 * bounded memory: up to FB_SAMPLE_KEEP values are all kept; past that, v
 * holds a uniform random sample of FB_SAMPLE_KEEP of them (reservoir
 * sampling with a fixed seed: the same rows give the same sample), while
 * the count, mean, variance, min and max stay exact over every value.
 * Zero-initialise. */
#define FB_SAMPLE_KEEP 20000
struct fb_sample {
    double *v;                 /* the kept values */
    size_t n, cap;             /* kept, allocated */
    size_t seen;               /* values added */
    double mean, m2, min, max; /* over every value added (Welford) */
    uint64_t rng;              /* the reservoir's draws (splitmix64 state) */
};
int fb_sample_add(struct fb_sample *s, double x); /* 0 or FB_ENOMEM */
void fb_sample_free(struct fb_sample *s);         /* leaves s empty, reusable */
void fb_sample_clear(struct fb_sample *s);        /* empty, keeps its buffer */

struct fb_summary {
    size_t n;          /* values */
    double mean, sd;   /* sd: sample standard deviation (n-1); NAN when n < 2 */
    double min, p50, p90, p95, p99, max; /* percentiles: linear interpolation
                                            between order statistics (R type 7) */
    double ci_lo, ci_hi; /* 95 % CI of the mean, Student t; NAN when n < 2 */
};

/* Sorts v[0..n) ascending, NANs last (a radix sort: linear in n). */
void fb_sort_doubles(double *v, size_t n);

/* Summarizes v[0..n) (sorted in place). n == 0 gives every field NAN. */
void fb_summarize(double *v, size_t n, struct fb_summary *out);

/* Summarizes s, sorting its kept values in place: n, mean, sd, min, max and
 * the CI of the mean over every value added; the percentiles from the kept
 * values (all of them, or the uniform sample past FB_SAMPLE_KEEP). */
void fb_sample_summarize(struct fb_sample *s, struct fb_summary *out);

/* The p-quantile (0..1) of sorted v[0..n), R type 7; NAN when n == 0. */
double fb_quantile_sorted(const double *v, size_t n, double p);

/* The p-quantile of Student's t with df degrees of freedom, not
 * necessarily whole: t with P(T <= t) = p. NAN unless 0 < p < 1 and
 * df >= 0.5 (INFINITY: the normal quantile). To double precision: within
 * DBL_EPSILON / 2 relative of values computed independently to 25 digits
 * (tests/data/runs/t-quantiles), for p from 0.6 to 0.9995 and df from 0.5
 * to 1e9. Below 5000 df: Newton's method on the tail, the regularized
 * incomplete beta function by its continued fraction in long double;
 * from 5000 on, the Cornish-Fisher expansion, there exact to double. */
double fb_t_quantile(double p, double df);

/* Two-sided 95 % Student t critical value for df degrees of freedom:
 * fb_t_quantile(0.975, df); NAN when df < 1. */
double fb_t95(int df);

/* Phases of an invocation whose medians the summary shows. OVERHEAD is
 * latency_ms - node_exec_ms: the harness's own share. The resident ones
 * (create .. handler) are measured for resident functions only.
 *
 * The last two are measured in open-loop cells only (see struct fb_cellfn):
 * QUEUE is start_ms - intended_start_ms, the wait in front of the workers
 * (whole ms, so within 1 ms either way; latency_ms starts after it), and
 * CLIENT is QUEUE + latency_ms, the latency from the intended start: what
 * an open-loop client waits for. */
enum fb_phase {
    FB_PHASE_SELECT,
    FB_PHASE_PULL,
    FB_PHASE_RUN,
    FB_PHASE_CLEANUP,
    FB_PHASE_OVERHEAD,
    FB_PHASE_CREATE,
    FB_PHASE_READY,
    FB_PHASE_INIT,
    FB_PHASE_INVOKE,
    FB_PHASE_HANDLER,
    FB_PHASE_QUEUE,
    FB_PHASE_CLIENT,
    FB_NPHASES
};
#define FB_PHASE_FIRST_RESIDENT FB_PHASE_CREATE
#define FB_PHASE_FIRST_OPEN_LOOP FB_PHASE_QUEUE
/* "select", "pull", "run", "cleanup", "overhead", "create", "ready", "init",
 * "invoke", "handler", "queue", "client". */
const char *fb_phase_name(enum fb_phase p);
/* 0 and *out set, or FB_EINVAL for an unknown name. */
int fb_phase_parse(const char *name, enum fb_phase *out);

/* One row of summary.csv / summary.txt. */
struct fb_summary_row {
    const char *run_id;
    int repetition;
    const char *policy;
    const char *warming;
    const char *function;
    size_t errors;           /* rows with an error */
    struct fb_summary lat;   /* latency_ms of the successful rows */
    double p50_ci_lo, p50_ci_hi; /* 95 % CI of the median (fb_median_ci95); NAN if none */
    size_t mode_count[3];    /* rows by mode that ran: cold, pre-warmed, warmed */
    char *per_node;          /* "node1=3 node2=0 ..." (owned by the row) */
    double phase_p50[FB_NPHASES]; /* medians of the successful rows' phases; NAN if none */
    /* Open loop (struct fb_cellfn's rule): the queue in front of the workers
     * and the latency from the intended start of the successful rows; n == 0
     * (closed loop, or no success) shows as empty cells. */
    bool open_loop;
    struct fb_summary queue, client;
    /* Asked work (struct fb_cellfn's asked, measured and slip): the median
     * asked duration, the median time the work took and the median of the
     * rows' (measured - asked) / asked in %; NAN when no successful row was
     * asked for a duration (resp. none of those measured it). */
    double asked_p50, measured_p50, slip_p50;
};

/* summary.csv header + rows, and a readable grid table of the same rows:
 * latencies first, then placement and phase medians, then (when a row is
 * open loop) the open-loop rows' queue and latency from the intended start,
 * then (when a row was asked for work) the asked duration against the
 * measured one.
 * Return 0, FB_EINVAL or FB_EIO. */
int fb_summary_write_csv(FILE *f, const struct fb_summary_row *rows, size_t n);
int fb_summary_write_table(FILE *f, const struct fb_summary_row *rows, size_t n);

/* ---- inference ---- */

/* The 95 % CI of the median of n values by exact order statistics: with
 * B ~ Binomial(n, 1/2), *lo is the largest 0-based rank k with
 * 2 P(B <= k) <= 0.05 and *hi = n - 1 - *lo, so [v[lo], v[hi]] of the sorted
 * values covers the median with probability 1 - 2 P(B <= k) >= 95 %
 * (distribution-free). Needs n >= 6 (below that even [min, max] covers less
 * than 95 %): returns FB_EINVAL then. */
int fb_median_ci_ranks(size_t n, size_t *lo, size_t *hi);
/* The same bounds as values of sorted v[0..n); NAN, NAN when n < 6. */
void fb_median_ci95(const double *v, size_t n, double *lo, double *hi);

/* A statistic that comparisons use. */
enum fb_stat {
    FB_STAT_P50,
    FB_STAT_P95,
    FB_STAT_MEAN,
};
const char *fb_stat_name(enum fb_stat s); /* "p50", "p95", "mean" */
/* Parses "p50" / "median", "p95", "mean"; 0 or FB_EINVAL. */
int fb_stat_parse(const char *name, enum fb_stat *out);
/* The statistic of sorted v[0..n) (quantiles: R type 7); NAN when n == 0. */
double fb_stat_sorted(enum fb_stat s, const double *v, size_t n);

/* Mann-Whitney U test of two samples, each sorted ascending (finite values).
 * *u is U of b: the pairs (x in a, y in b) with y > x, ties counting 1/2.
 * *p is the two-sided p-value by the normal approximation, with the
 * variance corrected for ties and a continuity correction of 1/2; 1 when
 * every value is tied. Returns FB_EINVAL when either sample is empty
 * (*u and *p are NAN then). */
int fb_mann_whitney_sorted(const double *a, size_t na, const double *b, size_t nb,
                           double *u, double *p);

/* Resamples and seed of every bootstrap: a fixed seed makes reports
 * reproducible, byte for byte. */
#define FB_BOOT_RESAMPLES 2000
#define FB_BOOT_SEED 1u

/* 95 % percentile bootstrap CI of stat(b) / stat(a), a and b sorted
 * ascending: each of the resamples draws len(a) values of a, then len(b)
 * values of b, with replacement, from the generator of matrix.h seeded with
 * seed; the bounds are the 2.5 % and 97.5 % quantiles (R type 7) of the
 * resampled ratios. NAN, NAN when a sample has fewer than 2 values or a
 * resampled ratio is not finite. Returns 0, FB_EINVAL or FB_ENOMEM. */
int fb_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                          enum fb_stat stat, int resamples, uint64_t seed, double *lo,
                          double *hi);

/* 95 % CI of stat(b) / stat(a) from order statistics, on the log scale
 * (Price and Bonett 2002, for any quantile; the mean by its standard
 * error): for a p-quantile of n values, ln v at the ranks n p -+ 2
 * sqrt(n p (1 - p)) give the spread of ln of the estimate, the two samples'
 * add, and the interval is the ratio times exp(-+1.96 of it). O(1) on
 * sorted samples; what the percentile bootstrap converges to as samples
 * grow. NAN, NAN (FB_EINVAL) with fewer than FB_ORDERSTAT_MIN values a side
 * or a value at those ranks (the statistic, for the mean) not above 0. */
#define FB_ORDERSTAT_MIN 30
int fb_orderstat_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
                          enum fb_stat stat, double *lo, double *hi);

/* Above this many values on both sides, comparisons take the ratio's CI
 * from order statistics (fb_orderstat_ratio_ci) instead of the bootstrap,
 * whose cost grows with the samples: a run of hundreds of functions over
 * a day of calls is reported in seconds. */
#define FB_BOOT_MAX_N 100

/* One sample against a baseline. */
struct fb_cmp {
    size_t n_base, n_new;
    double base, new_;       /* the statistic of each sample */
    double ratio;            /* new_ / base; NAN when base is 0 or missing */
    double ci_lo, ci_hi;     /* 95 % CI of the ratio: bootstrap (FB_BOOT_*), or from
                                order statistics past FB_BOOT_MAX_N values a side */
    double u, p;             /* Mann-Whitney U of the new sample, two-sided p */
};
/* Fills *out from two sorted samples (either may be empty: fields NAN).
 * Returns 0 or FB_ENOMEM. */
int fb_compare_sorted(const double *base, size_t nb, const double *x, size_t nx,
                      enum fb_stat stat, struct fb_cmp *out);

#endif
