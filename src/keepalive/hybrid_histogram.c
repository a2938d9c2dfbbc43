/* hybrid_histogram.c - hybrid-histogram: per-function windows learned from
 * a histogram of the function's idle times. After a call the instance is
 * unloaded, re-loaded (pre-warmed) shortly before the next call is likely,
 * and kept until the next call is unlikely; a fixed keep-alive while the
 * histogram says nothing useful.
 *
 * Source: M. Shahrad et al., "Serverless in the Wild: Characterizing and
 * Optimizing the Serverless Workload at a Large Cloud Provider", USENIX
 * ATC'20, section 4.2 (the hybrid histogram policy).
 *
 * Parameters (defaults are the paper's unless said otherwise):
 *   bin_s            60      histogram bin width (1-minute bins)
 *   range_s          14400   idle times the histogram covers (4 hours)
 *   head_pct         5       percentile for the pre-warm window
 *   tail_pct         99      percentile for the keep-alive window
 *   prewarm_margin   0.1     the pre-warm window is shortened by 10 %
 *   keepalive_margin 0.1     the keep-alive window is lengthened by 10 %
 *   cv_min           2       below this coefficient of variation of the bin
 *                            counts the histogram is not representative
 *   min_samples      10      idle times seen before the histogram is used
 *                            (ours: the paper gives no number)
 *   fixed_s          14400   the keep-alive when the histogram is not used:
 *                            the paper's fallback is the standard keep-alive
 *                            with no pre-warm over the histogram's range, so
 *                            the default is the default range
 *   oob_max          0.5     share of idle times beyond range_s above which
 *                            the histogram is not used (ours, as dslab's
 *                            reproduction of the paper; the paper switches
 *                            to ARIMA when "too many" are out of bounds)
 *
 * Variant pinned here:
 * - Idle time: from the latest end of a call of the function to its next
 *   arrival. An arrival when no call of the function has ended since the
 *   previous arrival (every instance busy) gives no sample. Samples are
 *   kept for the whole cell (the paper's histograms are per application
 *   over the trace; no ageing).
 * - Bins: sample t goes to bin floor(t / bin_s); t >= range_s is out of
 *   bounds and only counted. The number of bins is ceil(range_s / bin_s).
 * - Percentile p: the first bin whose cumulative count reaches p % of the
 *   in-range samples. Pre-warm window = the lower edge of the head bin x
 *   (1 - prewarm_margin) (rounded down, as the paper); keep-alive window =
 *   the upper edge of the tail bin x (1 + keepalive_margin) (rounded up).
 *   Both are measured from the end of the call, so the instance is held
 *   over the part of the idle-time distribution between the two
 *   percentiles, widened by the margins. (The paper's keep-alive window
 *   starts when the instance is loaded; re-implementations read it either
 *   way, and this one keeps the tail as the instance's end.)
 * - Coefficient of variation: population standard deviation of the
 *   ceil(range_s / bin_s) bin counts over their mean (0 with no in-range
 *   sample). Representative when CV >= cv_min.
 * - The histogram is used when there are min_samples idle times or more,
 *   at most oob_max of them out of bounds, and CV >= cv_min; otherwise no
 *   pre-warm and fixed_s of keep-alive after the call.
 * - Out-of-bounds idle times: the paper predicts them with ARIMA; that is
 *   left out here (no time-series model in the core), and such functions
 *   get the fixed keep-alive.
 * - Pre-warm: when the pre-warm window is above 0, idle() sets *prewarm_at
 *   = end + pre-warm window and returns end + keep-alive window: the
 *   instance is unloaded at the end of the call and a new one is loaded at
 *   *prewarm_at. A pre-warm window of 0 keeps the instance from the end.
 * - Under memory pressure: the least recently used idle instance goes
 *   (fb_ka_least_recent; the paper's policy has no eviction order of its
 *   own). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "keepalive/keepalive.h"

enum {
    P_BIN,
    P_RANGE,
    P_HEAD,
    P_TAIL,
    P_PREWARM_MARGIN,
    P_KEEPALIVE_MARGIN,
    P_CV_MIN,
    P_MIN_SAMPLES,
    P_FIXED,
    P_OOB_MAX,
    P_N
};

static const struct fb_plugopt hh_options[] = {
    [P_BIN] = {"bin_s", FB_PLUGOPT_NUMBER, 60, 1, 3600, "width of a histogram bin, seconds"},
    [P_RANGE] = {"range_s", FB_PLUGOPT_NUMBER, 14400, 60, 86400,
                 "idle times the histogram covers, seconds; longer ones are out of bounds"},
    [P_HEAD] = {"head_pct", FB_PLUGOPT_NUMBER, 5, 0, 50,
                "percentile of idle times that sets the pre-warm window"},
    [P_TAIL] = {"tail_pct", FB_PLUGOPT_NUMBER, 99, 50, 100,
                "percentile of idle times that sets the keep-alive window"},
    [P_PREWARM_MARGIN] = {"prewarm_margin", FB_PLUGOPT_NUMBER, 0.1, 0, 1,
                          "share the pre-warm window is shortened by"},
    [P_KEEPALIVE_MARGIN] = {"keepalive_margin", FB_PLUGOPT_NUMBER, 0.1, 0, 10,
                            "share the keep-alive window is lengthened by"},
    [P_CV_MIN] = {"cv_min", FB_PLUGOPT_NUMBER, 2, 0, 1000,
                  "coefficient of variation of the bin counts a histogram needs to be used"},
    [P_MIN_SAMPLES] = {"min_samples", FB_PLUGOPT_INT, 10, 1, 1000000,
                       "idle times seen before the histogram is used"},
    [P_FIXED] = {"fixed_s", FB_PLUGOPT_NUMBER, 14400, 0, 1e9,
                 "keep-alive, seconds, while the histogram is not used"},
    [P_OOB_MAX] = {"oob_max", FB_PLUGOPT_NUMBER, 0.5, 0, 1,
                   "share of idle times beyond range_s above which the histogram is not used"},
    [P_N] = {NULL, 0, 0, 0, 0, NULL},
};

/* One function's idle times. */
struct hh_function {
    uint32_t *bins;     /* n_bins counts */
    long n_in, n_oob;   /* samples inside and beyond the range */
    uint64_t sumsq;     /* sum of the squared bin counts, for the CV */
    double last_end;    /* latest end of a call (NAN before any) */
    bool end_pending;   /* a call ended since the last arrival */
};

struct hh_state {
    double p[P_N];
    int n_functions, n_bins;
    struct hh_function *fn;
    uint32_t *bins; /* n_functions x n_bins, one allocation */
};

static void hh_free(void *state)
{
    struct hh_state *s = state;

    if (s == NULL)
        return;
    free(s->bins);
    free(s->fn);
    free(s);
}

static int hh_init(void **state, int n_functions, uint64_t seed, const double *params)
{
    struct hh_state *s = calloc(1, sizeof(*s));
    size_t nf, nb;

    (void)seed;
    if (s == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < P_N; i++)
        s->p[i] = params != NULL ? params[i] : hh_options[i].def;
    s->n_functions = n_functions > 0 ? n_functions : 0;
    s->n_bins = (int)ceil(s->p[P_RANGE] / s->p[P_BIN]);
    nf = s->n_functions > 0 ? (size_t)s->n_functions : 1;
    nb = (size_t)s->n_bins;
    s->fn = calloc(nf, sizeof(*s->fn));
    s->bins = nb <= SIZE_MAX / sizeof(uint32_t) / nf ? calloc(nf * nb, sizeof(uint32_t)) : NULL;
    if (s->fn == NULL || s->bins == NULL) {
        hh_free(s);
        return FB_ENOMEM;
    }
    for (size_t f = 0; f < nf; f++) {
        s->fn[f].bins = s->bins + f * nb;
        s->fn[f].last_end = NAN;
    }
    *state = s;
    return 0;
}

static void add_sample(const struct hh_state *s, struct hh_function *h, double t)
{
    double b = floor(t / s->p[P_BIN]);

    if (t >= s->p[P_RANGE] || b >= s->n_bins) {
        h->n_oob++;
        return;
    }
    uint32_t *c = &h->bins[(int)b];
    h->sumsq += 2 * (uint64_t)*c + 1; /* (c + 1)^2 - c^2 */
    (*c)++;
    h->n_in++;
}

static void hh_arrival(void *state, int f, double now)
{
    struct hh_state *s = state;
    struct hh_function *h;

    if (f < 0 || f >= s->n_functions)
        return;
    h = &s->fn[f];
    if (h->end_pending) {
        add_sample(s, h, now > h->last_end ? now - h->last_end : 0);
        h->end_pending = false;
    }
}

static double cv_of(const struct hh_state *s, const struct hh_function *h)
{
    double mean = (double)h->n_in / s->n_bins;
    double var = (double)h->sumsq / s->n_bins - mean * mean;

    if (mean <= 0)
        return 0;
    return sqrt(var > 0 ? var : 0) / mean;
}

/* The first bin where the cumulative count reaches pct % of the in-range
 * samples (n_in > 0). */
static int percentile_bin(const struct hh_state *s, const struct hh_function *h, double pct)
{
    uint64_t cum = 0;

    for (int i = 0; i < s->n_bins; i++) {
        cum += h->bins[i];
        if (cum > 0 && (double)cum * 100.0 >= pct * (double)h->n_in)
            return i;
    }
    return s->n_bins - 1;
}

/* Function h's windows, seconds after the end of a call. */
static void windows(const struct hh_state *s, const struct hh_function *h, double *prewarm,
                    double *keep)
{
    long n = h->n_in + h->n_oob;

    *prewarm = 0;
    *keep = s->p[P_FIXED];
    if (n < (long)s->p[P_MIN_SAMPLES] || (double)h->n_oob > s->p[P_OOB_MAX] * (double)n ||
        cv_of(s, h) < s->p[P_CV_MIN])
        return;
    int head = percentile_bin(s, h, s->p[P_HEAD]);
    int tail = percentile_bin(s, h, s->p[P_TAIL]);
    *prewarm = head * s->p[P_BIN] * (1 - s->p[P_PREWARM_MARGIN]);
    *keep = (tail + 1) * s->p[P_BIN] * (1 + s->p[P_KEEPALIVE_MARGIN]);
}

static double hh_idle(void *state, struct fb_ka_instance *inst, double now, double *prewarm_at)
{
    struct hh_state *s = state;
    struct hh_function *h;
    double prewarm, keep;

    if (inst->function < 0 || inst->function >= s->n_functions)
        return now + s->p[P_FIXED];
    h = &s->fn[inst->function];
    if (isnan(h->last_end) || now > h->last_end)
        h->last_end = now;
    h->end_pending = true;
    windows(s, h, &prewarm, &keep);
    if (prewarm > 0)
        *prewarm_at = now + prewarm;
    return now + keep;
}

static int hh_victim(void *state, const struct fb_ka_instance *idle, int n, double now)
{
    (void)state;
    (void)now;
    return fb_ka_least_recent(idle, n);
}

const struct fb_keepalive fb_keepalive_hybrid_histogram = {
    .name = "hybrid-histogram",
    .summary = "per-function idle-time histogram: pre-warm at its 5th percentile, keep to its 99th",
    .source = "Shahrad et al., Serverless in the Wild, USENIX ATC'20, section 4.2",
    .options = hh_options,
    .ops = {.init = hh_init,
            .arrival = hh_arrival,
            .idle = hh_idle,
            .victim = hh_victim,
            .free = hh_free},
};
