/* stats.h - descriptive statistics of one sample, and summary rendering. */
#ifndef FB_STATS_H
#define FB_STATS_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* A growable array of doubles (latencies of one cell x function). */
struct fb_sample {
    double *v;
    size_t n, cap;
};
int fb_sample_add(struct fb_sample *s, double x); /* 0 or FB_ENOMEM */
void fb_sample_free(struct fb_sample *s);         /* leaves s empty, reusable */

struct fb_summary {
    size_t n;          /* values */
    double mean, sd;   /* sd: sample standard deviation (n-1); NAN when n < 2 */
    double min, p50, p90, p95, p99, max; /* percentiles: linear interpolation
                                            between order statistics (R type 7) */
    double ci_lo, ci_hi; /* 95 % CI of the mean, Student t; NAN when n < 2 */
};

/* Summarizes v[0..n) (sorted in place). n == 0 gives every field NAN. */
void fb_summarize(double *v, size_t n, struct fb_summary *out);

/* The p-quantile (0..1) of sorted v[0..n), R type 7; NAN when n == 0. */
double fb_quantile_sorted(const double *v, size_t n, double p);

/* Two-sided 95 % Student t critical value for df degrees of freedom. */
double fb_t95(int df);

/* One row of summary.csv / summary.txt. */
struct fb_summary_row {
    const char *run_id;
    int repetition;
    const char *policy;
    const char *warming;
    const char *function;
    size_t errors;           /* rows with an error */
    struct fb_summary lat;   /* latency_ms of the successful rows */
    size_t mode_count[3];    /* rows by mode that ran: cold, pre-warmed, warmed */
    char *per_node;          /* "node1=3 node2=0 ..." (owned by the row) */
};

/* summary.csv header + rows, and a readable grid table of the same rows. */
int fb_summary_write_csv(FILE *f, const struct fb_summary_row *rows, size_t n);
int fb_summary_write_table(FILE *f, const struct fb_summary_row *rows, size_t n);

#endif
