/* trace.c - reads CSV and Azure Functions traces (2019 per-minute counts with their
 * percentile files, 2021 per invocation) and hands out their invocations in time
 * order, made or read as they are asked for: a first pass checks the whole file
 * and keeps what generating needs (a 2019 trace's counts), a second reads it
 * again as the replay goes (a CSV or 2021 trace in time order), so memory grows
 * with a minute's invocations, not with the trace's. A file out of order is
 * held in memory and sorted. */
#include "workload/trace.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvrow.h"
#include "core/heap.h"
#include "core/rng.h"
#include "core/strmap.h"

#define SHOWN 40 /* at most this many characters of a bad value in a message */

enum { AZ_FIXED = 4 }; /* the columns before the minutes */
static const char *const azure_fixed[AZ_FIXED] = {"HashOwner", "HashApp", "HashFunction",
                                                  "Trigger"};

enum { AZ21_COLS = 4 };
static const char *const azure2021_cols[AZ21_COLS] = {"app", "func", "end_timestamp",
                                                      "duration"};

/* A companion file of the 2019 trace: per key (a function or an app), the
 * values at a few percentiles, from which an invocation's work is drawn. */
enum { PCT_MAX = 9 };
struct pct_kind {
    const char *what;           /* in messages */
    int n_keys;                 /* HashOwner, HashApp [, HashFunction] */
    int n_pct;
    const char *const *columns; /* n_pct names */
    double at[PCT_MAX];         /* their percentiles, increasing, from 0 to 100 */
    bool first_below;           /* below at[0] the value is column 0's (memory: pct1) */
};

static const char *const duration_columns[] = {
    "percentile_Average_0",  "percentile_Average_1",  "percentile_Average_25",
    "percentile_Average_50", "percentile_Average_75", "percentile_Average_99",
    "percentile_Average_100"};
static const struct pct_kind durations_kind = {
    "durations", 3, 7, duration_columns, {0, 1, 25, 50, 75, 99, 100}, false};

static const char *const memory_columns[] = {
    "AverageAllocatedMb_pct1",  "AverageAllocatedMb_pct5",  "AverageAllocatedMb_pct25",
    "AverageAllocatedMb_pct50", "AverageAllocatedMb_pct75", "AverageAllocatedMb_pct95",
    "AverageAllocatedMb_pct99", "AverageAllocatedMb_pct100"};
static const struct pct_kind memory_kind = {
    "memory", 2, 8, memory_columns, {1, 5, 25, 50, 75, 95, 99, 100}, true};

struct pct_table {
    const struct pct_kind *kind;
    struct fb_strmap keys;      /* key -> row of v */
    double (*v)[PCT_MAX];
    size_t n, cap;
    int col[3 + PCT_MAX];       /* field index of each key column, then of each value */
};

/* What a pass over the file does with each invocation. */
enum pass {
    PASS_COLLECT, /* keep it in ev (a file out of order) */
    PASS_SCAN,    /* count it and note the order; a 2019 row's counts are kept */
    PASS_STREAM   /* hand it out (csv: through ev; 2021: through pending) */
};

/* A 2019 row's minutes with invocations, kept by the scan. */
struct azrow {
    uint32_t *minute, *count;
    size_t n, at;            /* minutes kept; the next one to make */
    int function;
    const double *dur, *mem; /* its companion tables' rows, or NULL */
};

struct loader {
    enum pass pass;
    size_t max_events;
    /* the scan's findings */
    size_t total;        /* invocations the replay gives */
    bool in_order;       /* csv: rows in time order */
    bool ends_in_order;  /* 2021: rows in the order of their ends */
    double last_t, last_end, min_start, max_duration;
    /* azure 2019 */
    struct azrow *rows;
    size_t n_rows, cap_rows;
    /* a streamed file */
    FILE *f;
    struct csv_parser parser;
    bool have_parser, eof;
    char *linebuf;
    size_t linecap;
    size_t head;               /* csv: next event of ev to hand out */
    struct fb_heap pending;    /* 2021: events by start, until no earlier one can come */
    bool to_pending;
    double shift, horizon;     /* 2021: what starts move by; the cut (INFINITY: none) */
    size_t minute;             /* 2019: the next minute to make */
    uint64_t draw;             /* 2019: which draw of the placement and work (0: the first) */
    const char *path;
    const struct fb_trace_opts *o;
    int (*on_header)(struct loader *L); /* the first record */
    int (*on_row)(struct loader *L);    /* each later one */
    struct fb_errbuf *eb;
    int rc;
    long line;          /* the physical line being parsed, from 1 */
    long rec_line;      /* the line the current record started on */
    bool rec_pending;   /* the next non-blank line starts a record */
    struct fb_csvrow row; /* the current record's fields */
    size_t nrec;        /* records done, the header included */
    size_t ncols;       /* columns of the header */
    size_t minutes;     /* azure: minute columns replayed */
    int csv_duration, csv_memory; /* csv: the columns duration_ms, memory_mb, or -1 */
    struct fb_trace_event *ev;
    size_t n, cap;
    struct fb_strmap fns;        /* azure 2021: app NUL func -> its number */
    struct pct_table *durations, *memory; /* azure: the companion files, or NULL */
    struct pct_table *table;     /* while reading a companion file: it */
    char *key;                   /* a compound key being built */
    size_t key_cap;
};

/* FB_EINVAL with "PATH:LINE: message" (the line of the current record). */
static int bad(struct loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct loader *L, const char *fmt, ...)
{
    char msg[FB_ERRMSG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fb_errf(L->eb, FB_EINVAL, "%s:%ld: %s", L->path, L->rec_line, msg);
}

static const char *field(const struct loader *L, size_t i)
{
    return fb_csvrow_get(&L->row, i);
}

/* ---- events ---- */

static int push(struct loader *L, double t, int function, double duration_ms,
                double memory_mb)
{
    if (L->pass == PASS_SCAN) {
        if (L->total > 0 && t < L->last_t)
            L->in_order = false;
        L->last_t = t;
        if (t < L->min_start)
            L->min_start = t;
        L->total++;
        return 0;
    }
    if (L->pass == PASS_STREAM && L->to_pending) {
        struct fb_trace_event *e = malloc(sizeof(*e));
        if (e == NULL)
            return FB_ENOMEM;
        *e = (struct fb_trace_event){t, function, duration_ms, memory_mb};
        if (fb_heap_push(&L->pending, t, e, 0) < 0) {
            free(e);
            return FB_ENOMEM;
        }
        return 0;
    }
    if (L->n == L->cap) {
        size_t cap = L->cap == 0 ? 256 : L->cap * 2;
        struct fb_trace_event *ev = realloc(L->ev, cap * sizeof(*ev));
        if (ev == NULL)
            return FB_ENOMEM;
        L->ev = ev;
        L->cap = cap;
    }
    L->ev[L->n++] = (struct fb_trace_event){t, function, duration_ms, memory_mb};
    return 0;
}

/* Seconds from the start of minute (from 0) plus frac (in [0, 1)) of it,
 * kept below the next minute when rounding would reach it. */
static double in_minute(size_t minute, double frac)
{
    double start = 60.0 * (double)minute, end = 60.0 * (double)(minute + 1);
    double t = start + 60.0 * frac;
    return t < end ? t : nextafter(end, start);
}

/* A value of table row v drawn at percentile u (in [0, 100)): linear between
 * the listed percentiles. */
static double pct_draw(const struct pct_kind *k, const double *v, double u)
{
    if (u <= k->at[0])
        return k->first_below || k->at[0] <= 0 ? v[0] : v[0] * u / k->at[0];
    for (int i = 1; i < k->n_pct; i++)
        if (u <= k->at[i])
            return v[i - 1] + (v[i] - v[i - 1]) * (u - k->at[i - 1]) / (k->at[i] - k->at[i - 1]);
    return v[k->n_pct - 1];
}

/* A generator for (row, minute) of stream `stream`: the seed's first output
 * mixed with all three, so no cell's draws depend on another's count. */
static void cell_rng(struct fb_rng *r, uint64_t seed, uint64_t stream, size_t row, size_t minute)
{
    fb_rng_seed(r, seed);
    fb_rng_seed(r, fb_rng_next(r) ^ ((uint64_t)row << 32 | (uint64_t)minute) ^
                       stream * 0x9E3779B97F4A7C15ull);
}

/* count invocations of function in minute (from 0) of azure row `row`,
 * with work drawn from the rows dur and mem of the companion tables (NULL:
 * none). */
static int spread_minute(struct loader *L, size_t row, size_t minute, unsigned long long count,
                         int function, const double *dur, const double *mem)
{
    struct fb_rng r, rd, rm;
    int rc = 0;

    /* The times' stream is the one the spread always used (stream 0); a
     * later draw seeds all three afresh. */
    uint64_t seed = L->o->seed + L->draw * 0x9E3779B97F4A7C15ull;
    cell_rng(&r, seed, 0, row, minute);
    cell_rng(&rd, seed, 1, row, minute);
    cell_rng(&rm, seed, 2, row, minute);
    for (unsigned long long j = 0; j < count && rc == 0; j++) {
        double frac = L->o->spread == FB_SPREAD_POISSON
                          ? fb_rng_unit(&r)
                          : ((double)j + 0.5) / (double)count;
        double d = dur != NULL ? pct_draw(&durations_kind, dur, 100.0 * fb_rng_unit(&rd)) : NAN;
        double m = mem != NULL ? pct_draw(&memory_kind, mem, 100.0 * fb_rng_unit(&rm)) : NAN;
        rc = push(L, in_minute(minute, frac), function, d, m);
    }
    return rc;
}

/* ---- a stable sort ---- */

/* Events sorted with a buffer as large as they are (32 MB). */
#define BUFFERED_SORT_MAX ((size_t)1 << 20)

/* Merge sort: with a buffer of n events when one can be had (a minute's
 * events, a file of moderate size), else in place by rotations (a file held
 * in memory whose events are the one large allocation). Equal times keep
 * their order. */
static void reverse(struct fb_trace_event *a, size_t lo, size_t hi)
{
    while (lo + 1 < hi) {
        struct fb_trace_event t = a[lo];
        a[lo++] = a[--hi];
        a[hi] = t;
    }
}

/* [lo, mid) [mid, hi) -> [mid, hi) [lo, mid) */
static void rotate(struct fb_trace_event *a, size_t lo, size_t mid, size_t hi)
{
    reverse(a, lo, mid);
    reverse(a, mid, hi);
    reverse(a, lo, hi);
}

/* The first index in [lo, hi) whose time is >= t (strict: > t). */
static size_t bound(const struct fb_trace_event *a, size_t lo, size_t hi, double t, bool strict)
{
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (a[m].t_s < t || (strict && a[m].t_s == t))
            lo = m + 1;
        else
            hi = m;
    }
    return lo;
}

/* Merges the sorted runs [lo, mid) and [mid, hi) without a buffer: split
 * the longer run in half, find where its middle goes in the other, rotate,
 * and merge both sides. Equal times keep left before right. */
static void merge_in_place(struct fb_trace_event *a, size_t lo, size_t mid, size_t hi)
{
    while (lo < mid && mid < hi && a[mid].t_s < a[mid - 1].t_s) {
        size_t cut1, cut2, joint;
        if (hi - lo == 2) {
            rotate(a, lo, mid, hi);
            break;
        }
        if (mid - lo > hi - mid) {
            cut1 = lo + (mid - lo) / 2;
            cut2 = bound(a, mid, hi, a[cut1].t_s, false);
        } else {
            cut2 = mid + (hi - mid) / 2;
            cut1 = bound(a, lo, mid, a[cut2].t_s, true);
        }
        rotate(a, cut1, mid, cut2);
        joint = cut1 + (cut2 - mid);
        merge_in_place(a, lo, cut1, joint);
        lo = joint;
        mid = cut2;
    }
}

static void merge_runs(struct fb_trace_event *a, struct fb_trace_event *b, size_t lo, size_t mid,
                       size_t hi)
{
    size_t i = lo, j = mid, k = lo;

    while (i < mid && j < hi)
        b[k++] = a[j].t_s < a[i].t_s ? a[j++] : a[i++];
    while (i < mid)
        b[k++] = a[i++];
    while (j < hi)
        b[k++] = a[j++];
    memcpy(a + lo, b + lo, (hi - lo) * sizeof(*a));
}

static void sort_events(struct fb_trace_event *a, size_t n)
{
    enum { RUN = 16 };
    size_t i = 1;

    while (i < n && a[i - 1].t_s <= a[i].t_s)
        i++;
    if (i >= n)
        return; /* already in order: the usual case for a CSV trace */
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t k = lo + 1; k < hi; k++) {
            struct fb_trace_event t = a[k];
            size_t j = k;
            for (; j > lo && t.t_s < a[j - 1].t_s; j--)
                a[j] = a[j - 1];
            a[j] = t;
        }
    }
    struct fb_trace_event *b = n <= BUFFERED_SORT_MAX ? malloc(n * sizeof(*b)) : NULL;
    for (size_t w = RUN; w < n; w *= 2)
        for (size_t lo = 0; lo + w < n; lo += 2 * w) {
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            if (b != NULL)
                merge_runs(a, b, lo, lo + w, hi);
            else
                merge_in_place(a, lo, lo + w, hi);
        }
    free(b);
}

/* ---- values ---- */

/* Seconds: a finite number >= 0, at most a year (a replay waits for it).
 * 0 or FB_EINVAL naming the value. */
static int parse_time(struct loader *L, const char *s, double *t)
{
    char *end;

    *t = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(*t))
        return bad(L, "time '%.*s' is not a number", SHOWN, s);
    if (*t < 0)
        return bad(L, "negative time '%.*s'", SHOWN, s);
    if (*t > FB_TRACE_MAX_SECONDS)
        return bad(L, "time '%.*s' is more than a year", SHOWN, s);
    return 0;
}

/* An invocation count: a whole number >= 0 (written 12 or 12.0), at most
 * FB_TRACE_MAX_EVENTS. 0 or FB_EINVAL naming the minute (from 1). */
static int parse_count(struct loader *L, const char *s, size_t minute, unsigned long long *c)
{
    char *end;
    double d;

    if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
        errno = 0;
        *c = strtoull(s, &end, 10);
        if (errno == ERANGE || *c > FB_TRACE_MAX_EVENTS)
            return bad(L, "minute %zu: count '%.*s' is too large", minute, SHOWN, s);
        return 0;
    }
    d = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(d))
        return bad(L, "minute %zu: count '%.*s' is not a number", minute, SHOWN, s);
    if (d < 0)
        return bad(L, "minute %zu: negative count '%.*s'", minute, SHOWN, s);
    if (d != floor(d))
        return bad(L, "minute %zu: count '%.*s' is not a whole number", minute, SHOWN, s);
    if (d > FB_TRACE_MAX_EVENTS)
        return bad(L, "minute %zu: count '%.*s' is too large", minute, SHOWN, s);
    *c = (unsigned long long)d;
    return 0;
}

/* A duration or an amount: a finite number >= 0, at most max. 0 or
 * FB_EINVAL naming the field. */
static int parse_amount(struct loader *L, const char *name, const char *s, double max,
                        const char *max_text, double *v)
{
    char *end;

    *v = strtod(s, &end);
    if (s[0] == '\0' || end == s || *end != '\0' || !isfinite(*v))
        return bad(L, "%s '%.*s' is not a number", name, SHOWN, s);
    if (*v < 0)
        return bad(L, "%s '%.*s' is negative", name, SHOWN, s);
    if (*v > max)
        return bad(L, "%s '%.*s' is more than %s", name, SHOWN, s, max_text);
    return 0;
}

/* L->key = the first n fields joined by NUL bytes; its length in *len. */
static int build_key(struct loader *L, const int *cols, int n, size_t *len)
{
    size_t need = 0;

    for (int i = 0; i < n; i++)
        need += strlen(field(L, (size_t)cols[i])) + 1;
    if (need > L->key_cap) {
        char *k = realloc(L->key, need);
        if (k == NULL)
            return FB_ENOMEM;
        L->key = k;
        L->key_cap = need;
    }
    *len = 0;
    for (int i = 0; i < n; i++) {
        const char *f = field(L, (size_t)cols[i]);
        size_t fl = strlen(f) + 1;
        memcpy(L->key + *len, f, fl);
        *len += fl;
    }
    return 0;
}

/* The values of the companion table's row for the current azure row, or NULL. */
static const double *pct_lookup(struct loader *L, const struct pct_table *t)
{
    static const int cols[3] = {0, 1, 2};
    size_t len;
    long i;

    if (t == NULL || build_key(L, cols, t->kind->n_keys, &len) < 0)
        return NULL;
    i = fb_strmap_get(&t->keys, L->key, len);
    return i >= 0 ? t->v[i] : NULL;
}

/* ---- records ---- */

/* The largest memory a trace row may give, in MB (1 TiB, as work_memory_mb). */
#define CSV_MAX_MEMORY_MB 1048576.0

static int csv_header(struct loader *L)
{
    const char *t;

    L->csv_duration = L->csv_memory = -1;
    if (L->row.n < 2 || L->row.n > 4)
        return bad(L, "header has %zu column%s, expected 2 to 4: "
                      "time_s,function[,duration_ms][,memory_mb]",
                   L->row.n, L->row.n == 1 ? "" : "s");
    t = field(L, 0);
    if (strcmp(t, "time_s") != 0 && strcmp(t, "offset_s") != 0 && strcmp(t, "time") != 0)
        return bad(L, "header column 1 is '%.*s', expected time_s (or offset_s, time)", SHOWN,
                   t);
    if (strcmp(field(L, 1), "function") != 0)
        return bad(L, "header column 2 is '%.*s', expected function", SHOWN, field(L, 1));
    for (size_t i = 2; i < L->row.n; i++) {
        int *col = strcmp(field(L, i), "duration_ms") == 0 ? &L->csv_duration
                 : strcmp(field(L, i), "memory_mb") == 0   ? &L->csv_memory
                                                           : NULL;
        if (col == NULL)
            return bad(L, "header column %zu is '%.*s', expected duration_ms or memory_mb",
                       i + 1, SHOWN, field(L, i));
        if (*col >= 0)
            return bad(L, "header column %zu repeats %s", i + 1, field(L, i));
        *col = (int)i;
    }
    L->ncols = L->row.n;
    return 0;
}

/* A row's optional work column col (-1: none) into *v: NAN when the
 * header has no such column or the field is empty. */
static int csv_work(struct loader *L, int col, const char *name, double max,
                    const char *max_text, double *v)
{
    *v = NAN;
    if (col < 0 || field(L, (size_t)col)[0] == '\0')
        return 0;
    return parse_amount(L, name, field(L, (size_t)col), max, max_text, v);
}

static int csv_row(struct loader *L)
{
    const char *ts, *name;
    double t, duration, memory;
    int rc, fn = -1;

    if (L->row.n != L->ncols)
        return bad(L, "%zu column%s, expected %zu (as the header)", L->row.n,
                   L->row.n == 1 ? "" : "s", L->ncols);
    ts = field(L, 0);
    name = field(L, 1);
    if ((rc = parse_time(L, ts, &t)) < 0)
        return rc;
    for (int i = 0; i < L->o->n_functions && fn < 0; i++)
        if (strcmp(L->o->functions[i], name) == 0)
            fn = i;
    if (fn < 0)
        return bad(L, "unknown function '%.*s' (not among the experiment's functions)", SHOWN,
                   name);
    if ((rc = csv_work(L, L->csv_duration, "duration_ms", FB_TRACE_MAX_SECONDS * 1000.0,
                       "a year", &duration)) < 0 ||
        (rc = csv_work(L, L->csv_memory, "memory_mb", CSV_MAX_MEMORY_MB, "1 TiB", &memory)) < 0)
        return rc;
    if (L->pass == PASS_SCAN && L->total >= L->max_events)
        return bad(L, "more than %zu invocations in the trace (workload.max_events)",
                   L->max_events);
    return push(L, t, fn, duration, memory);
}

static int azure_header(struct loader *L)
{
    size_t minutes;

    for (size_t i = 0; i < AZ_FIXED && i < L->row.n; i++)
        if (strcmp(field(L, i), azure_fixed[i]) != 0)
            return bad(L, "header column %zu is '%.*s', expected %s", i + 1, SHOWN,
                       field(L, i), azure_fixed[i]);
    if (L->row.n <= AZ_FIXED)
        return bad(L, "header has no minute columns: expected "
                      "HashOwner,HashApp,HashFunction,Trigger,1,2,...");
    for (size_t i = AZ_FIXED; i < L->row.n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "%zu", i - AZ_FIXED + 1);
        if (strcmp(field(L, i), want) != 0)
            return bad(L, "header column %zu is '%.*s', expected minute %s", i + 1, SHOWN,
                       field(L, i), want);
    }
    L->ncols = L->row.n;
    minutes = L->row.n - AZ_FIXED;
    if (L->o->max_minutes > 0 && (size_t)L->o->max_minutes < minutes)
        minutes = (size_t)L->o->max_minutes;
    L->minutes = minutes;
    return 0;
}

/* The scan keeps row's count c of minute (a row's minutes come in order). */
static int keep_count(struct loader *L, int fn, size_t minute, unsigned long long c,
                      const double *dur, const double *mem)
{
    size_t row = L->nrec - 1;

    while (L->n_rows <= row) {
        if (L->n_rows == L->cap_rows) {
            size_t cap = L->cap_rows ? 2 * L->cap_rows : 64;
            struct azrow *p = realloc(L->rows, cap * sizeof(*p));
            if (p == NULL)
                return FB_ENOMEM;
            L->rows = p;
            L->cap_rows = cap;
        }
        L->rows[L->n_rows++] = (struct azrow){.function = fn, .dur = dur, .mem = mem};
    }
    struct azrow *r = &L->rows[row];
    if ((r->n & (r->n - 1)) == 0) { /* 0, 1, 2, 4, ...: room for twice as many */
        size_t cap = r->n ? 2 * r->n : 1;
        uint32_t *m = realloc(r->minute, cap * sizeof(*m));
        if (m == NULL)
            return FB_ENOMEM;
        r->minute = m;
        uint32_t *k = realloc(r->count, cap * sizeof(*k));
        if (k == NULL)
            return FB_ENOMEM;
        r->count = k;
    }
    r->minute[r->n] = (uint32_t)minute;
    r->count[r->n++] = (uint32_t)c;
    L->total += c;
    return 0;
}

static int azure_row(struct loader *L)
{
    size_t row = L->nrec - 1; /* data rows before this one */
    int fn = (int)(row % (size_t)L->o->n_functions), rc = 0;
    const double *dur, *mem;

    if (L->row.n != L->ncols)
        return bad(L, "%zu column%s, expected %zu as in the header", L->row.n,
                   L->row.n == 1 ? "" : "s", L->ncols);
    if (field(L, 2)[0] == '\0')
        return bad(L, "empty HashFunction");
    dur = pct_lookup(L, L->durations);
    mem = pct_lookup(L, L->memory);
    /* Every count is checked, also past max_minutes: a bad file is bad. */
    for (size_t i = AZ_FIXED; i < L->row.n && rc == 0; i++) {
        const char *s = field(L, i);
        size_t minute = i - AZ_FIXED;
        unsigned long long c = 0;

        if ((rc = parse_count(L, s, minute + 1, &c)) < 0)
            break;
        if (minute >= L->minutes || c == 0)
            continue;
        if (c > L->max_events - L->total)
            rc = bad(L, "more than %zu invocations in the trace (workload.max_events; "
                        "max_minutes shortens it)",
                     L->max_events);
        else
            rc = keep_count(L, fn, minute, c, dur, mem);
    }
    return rc;
}

static int azure2021_header(struct loader *L)
{
    if (L->row.n != AZ21_COLS)
        return bad(L, "header has %zu column%s, expected 4: app,func,end_timestamp,duration",
                   L->row.n, L->row.n == 1 ? "" : "s");
    for (size_t i = 0; i < AZ21_COLS; i++)
        if (strcmp(field(L, i), azure2021_cols[i]) != 0)
            return bad(L, "header column %zu is '%.*s', expected %s", i + 1, SHOWN,
                       field(L, i), azure2021_cols[i]);
    L->ncols = AZ21_COLS;
    return 0;
}

static int azure2021_row(struct loader *L)
{
    static const int cols[2] = {0, 1};
    double end, duration;
    size_t len;
    long k;
    int rc;

    if (L->row.n != L->ncols)
        return bad(L, "%zu column%s, expected 4 (app,func,end_timestamp,duration)", L->row.n,
                   L->row.n == 1 ? "" : "s");
    if (field(L, 0)[0] == '\0')
        return bad(L, "empty app");
    if (field(L, 1)[0] == '\0')
        return bad(L, "empty func");
    if ((rc = parse_amount(L, "end_timestamp", field(L, 2), FB_TRACE_MAX_SECONDS, "a year",
                           &end)) < 0 ||
        (rc = parse_amount(L, "duration", field(L, 3), FB_TRACE_MAX_SECONDS, "a year",
                           &duration)) < 0)
        return rc;
    if (L->pass == PASS_SCAN) {
        if (L->total >= L->max_events)
            return bad(L, "more than %zu invocations in the trace (workload.max_events)",
                       L->max_events);
        if (L->total > 0 && end < L->last_end)
            L->ends_in_order = false;
        if (duration > L->max_duration)
            L->max_duration = duration;
    }
    L->last_end = end;
    if ((rc = build_key(L, cols, 2, &len)) < 0 ||
        (rc = fb_strmap_intern(&L->fns, L->key, len, &k)) < 0)
        return rc;
    return push(L, end - duration, (int)(k % L->o->n_functions), duration * 1000.0, NAN);
}

/* A companion file's header: every key and value column, found by name. */
static int pct_header(struct loader *L)
{
    struct pct_table *t = L->table;
    const struct pct_kind *k = t->kind;
    int n = k->n_keys + k->n_pct;

    for (int c = 0; c < n; c++) {
        const char *want = c < k->n_keys ? azure_fixed[c] : k->columns[c - k->n_keys];
        t->col[c] = -1;
        for (size_t i = 0; i < L->row.n && t->col[c] < 0; i++)
            if (strcmp(field(L, i), want) == 0)
                t->col[c] = (int)i;
        if (t->col[c] < 0)
            return bad(L, "header has no column %s", want);
    }
    L->ncols = L->row.n;
    return 0;
}

static int pct_row(struct loader *L)
{
    struct pct_table *t = L->table;
    const struct pct_kind *k = t->kind;
    double v[PCT_MAX];
    size_t len;
    long i;
    int rc;

    if (L->row.n != L->ncols)
        return bad(L, "%zu column%s, expected %zu as in the header", L->row.n,
                   L->row.n == 1 ? "" : "s", L->ncols);
    for (int c = 0; c < k->n_keys; c++)
        if (field(L, (size_t)t->col[c])[0] == '\0')
            return bad(L, "empty %s", azure_fixed[c]);
    for (int c = 0; c < k->n_pct; c++) {
        const char *name = k->columns[c];
        if ((rc = parse_amount(L, name, field(L, (size_t)t->col[k->n_keys + c]),
                               k == &durations_kind ? 1000.0 * FB_TRACE_MAX_SECONDS : 1e9,
                               k == &durations_kind ? "a year" : "1e9 MB", &v[c])) < 0)
            return rc;
        if (c > 0 && v[c] < v[c - 1])
            return bad(L, "%s is less than %s: percentiles never decrease", name,
                       k->columns[c - 1]);
    }
    if ((rc = build_key(L, t->col, k->n_keys, &len)) < 0 ||
        (rc = fb_strmap_intern(&t->keys, L->key, len, &i)) < 0)
        return rc;
    if (rc == 0)
        return bad(L, "a second row for the same %s", k->n_keys == 3
                                                          ? "HashOwner,HashApp,HashFunction"
                                                          : "HashOwner,HashApp");
    if (t->n == t->cap) {
        size_t cap = t->cap == 0 ? 64 : t->cap * 2;
        double(*p)[PCT_MAX] = realloc(t->v, cap * sizeof(*p));
        if (p == NULL)
            return FB_ENOMEM;
        t->v = p;
        t->cap = cap;
    }
    memcpy(t->v[t->n++], v, sizeof(v));
    return 0;
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data)
{
    struct loader *L = data;

    /* A data row's fields past the header's count are only counted. */
    if (L->rc == 0 && fb_csvrow_add(&L->row, s, len, L->nrec > 0 ? L->ncols : SIZE_MAX) < 0)
        L->rc = FB_ENOMEM;
}

static void on_record(int c, void *data)
{
    struct loader *L = data;

    (void)c;
    if (L->rc == 0) {
        L->rc = L->nrec == 0 ? L->on_header(L) : L->on_row(L);
        L->nrec++;
    }
    fb_csvrow_next(&L->row);
    L->rec_pending = true;
}

/* ---- loading ---- */

static int check_opts(const char *path, const struct fb_trace_opts *o, struct fb_errbuf *eb)
{
    if (path == NULL || o == NULL)
        return fb_errf(eb, FB_EINVAL, "trace: no file or options given");
    if (o->format != FB_TRACE_CSV && o->format != FB_TRACE_AZURE &&
        o->format != FB_TRACE_AZURE2021)
        return fb_errf(eb, FB_EINVAL, "%s: unknown trace format %d", path, (int)o->format);
    if (o->spread != FB_SPREAD_UNIFORM && o->spread != FB_SPREAD_POISSON)
        return fb_errf(eb, FB_EINVAL, "%s: unknown spread %d", path, (int)o->spread);
    if (o->functions == NULL || o->n_functions < 1)
        return fb_errf(eb, FB_EINVAL, "%s: the experiment has no functions", path);
    for (int i = 0; i < o->n_functions; i++)
        if (o->functions[i] == NULL)
            return fb_errf(eb, FB_EINVAL, "%s: function %d has no name", path, i);
    if (!(o->time_scale > 0) || !isfinite(o->time_scale))
        return fb_errf(eb, FB_EINVAL, "%s: time_scale must be a number > 0", path);
    if (o->max_minutes < 0)
        return fb_errf(eb, FB_EINVAL, "%s: max_minutes must be >= 0", path);
    return 0;
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* Feeds one line of f to libcsv (the callbacks see its records): 1 when
 * the file has ended (the parser finished), 0 after a line, or FB_E*. A
 * record's first line is known for messages. */
static int pump_line(struct loader *L, FILE *f, struct csv_parser *p)
{
    ssize_t len;

    if (L->rc == 0 && (len = getline(&L->linebuf, &L->linecap, f)) > 0) {
        char *s = L->linebuf;
        L->line++;
        if (L->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (L->rec_pending && !blank(s)) {
            L->rec_line = L->line;
            L->rec_pending = false;
        }
        if (csv_parse(p, s, (size_t)len, on_field, on_record, L) != (size_t)len && L->rc == 0) {
            L->rec_line = L->line;
            L->rc = csv_error(p) == CSV_ENOMEM
                        ? FB_ENOMEM
                        : bad(L, "malformed CSV: a quote inside an unquoted field or after "
                                 "a closing quote");
        }
        return L->rc;
    }
    if (L->rc == 0 && ferror(f))
        L->rc = fb_errf(L->eb, FB_EIO, "%s: read error: %s", L->path, strerror(errno));
    if (L->rc == 0 && csv_fini(p, on_field, on_record, L) != 0 && L->rc == 0)
        L->rc = bad(L, "malformed CSV: a quoted field is not closed");
    return L->rc < 0 ? L->rc : 1;
}

/* Feeds the whole file to libcsv. */
static int parse_file(struct loader *L, FILE *f, struct csv_parser *p)
{
    int rc;

    while ((rc = pump_line(L, f, p)) == 0) {
    }
    return rc < 0 ? rc : 0;
}

/* Reads L->path through L->header and L->row. 0, or FB_E* with eb set. */
static int read_file(struct loader *L, const char *expected)
{
    struct csv_parser p;
    bool parser = false;
    FILE *f = fopen(L->path, "r");
    int rc;

    if (f == NULL) {
        rc = fb_errf(L->eb, FB_EIO, "%s: %s", L->path, strerror(errno));
        goto out;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        rc = FB_ENOMEM;
        goto out;
    }
    parser = true;
    if ((rc = parse_file(L, f, &p)) < 0)
        goto out;
    if (L->nrec == 0) {
        L->rec_line = 1;
        rc = bad(L, "empty file: expected the header %s", expected);
    }
out:
    if (rc == FB_ENOMEM)
        fb_errf(L->eb, rc, "%s: out of memory", L->path);
    if (parser)
        csv_free(&p);
    if (f != NULL)
        fclose(f);
    fb_csvrow_free(&L->row);
    free(L->linebuf);
    L->linebuf = NULL;
    L->linecap = 0;
    return rc;
}

static void pct_free(struct pct_table *t)
{
    if (t == NULL)
        return;
    fb_strmap_free(&t->keys);
    free(t->v);
    free(t);
}

/* Reads a companion file of kind k into a new *out. */
static int pct_load(const char *path, const struct pct_kind *k, const struct fb_trace_opts *o,
                    struct pct_table **out, struct fb_errbuf *eb)
{
    struct loader L = {.path = path, .o = o, .eb = eb, .rec_line = 1, .rec_pending = true,
                       .on_header = pct_header, .on_row = pct_row};
    int rc;

    if ((L.table = calloc(1, sizeof(*L.table))) == NULL)
        return fb_errf(eb, FB_ENOMEM, "%s: out of memory", path);
    L.table->kind = k;
    rc = read_file(&L, k == &durations_kind ? "HashOwner,HashApp,HashFunction,...,"
                                              "percentile_Average_0,..."
                                            : "HashOwner,HashApp,...,AverageAllocatedMb_pct1,...");
    free(L.key);
    if (rc < 0) {
        pct_free(L.table);
        return rc;
    }
    *out = L.table;
    return 0;
}

/* ---- the reader ---- */

enum source {
    SRC_ARRAY,   /* held in memory, sorted (a file out of order) */
    SRC_MINUTES, /* 2019: made a minute at a time from the counts */
    SRC_CSV,     /* csv in time order: read as the replay goes */
    SRC_2021     /* 2021 with ends in order: read as the replay goes, reordered by start */
};

struct fb_trace_reader {
    struct loader L;
    struct fb_trace_opts o;
    const char **names;   /* o.functions, copied */
    char *path;
    enum source src;
    size_t next;          /* SRC_ARRAY: the next event */
    struct fb_errbuf eb;  /* what went wrong while streaming */
};

static void reader_reset(struct loader *L)
{
    L->line = 0;
    L->rec_line = 1;
    L->rec_pending = true;
    L->nrec = 0;
    L->rc = 0;
    L->n = L->head = 0;
    L->eof = false;
}

/* Opens the file again from its start for a streamed pass. */
static int stream_start(struct fb_trace_reader *r)
{
    struct loader *L = &r->L;

    if (L->have_parser) {
        csv_free(&L->parser);
        L->have_parser = false;
    }
    if (L->f == NULL && (L->f = fopen(r->path, "r")) == NULL)
        return fb_errf(&r->eb, FB_EIO, "%s: %s", r->path, strerror(errno));
    rewind(L->f);
    if (csv_init(&L->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return FB_ENOMEM;
    L->have_parser = true;
    reader_reset(L);
    L->eb = &r->eb;
    L->pass = PASS_STREAM;
    return 0;
}

/* The next minute of a 2019 trace with invocations into L->ev, sorted (the
 * same events, in the same order, as the whole trace made at once). */
static int make_minute(struct loader *L)
{
    int rc = 0;

    L->n = L->head = 0;
    while (L->n == 0 && L->minute < L->minutes && rc == 0) {
        size_t m = L->minute++;
        for (size_t i = 0; i < L->n_rows && rc == 0; i++) {
            struct azrow *row = &L->rows[i];
            if (row->at < row->n && row->minute[row->at] == m) {
                rc = spread_minute(L, i, m, row->count[row->at], row->function, row->dur,
                                   row->mem);
                row->at++;
            }
        }
        sort_events(L->ev, L->n);
    }
    return rc;
}

/* 2021: whether the earliest pending event can go: no row still to come
 * starts before it (rows end in order, none runs longer than the longest). */
static bool pending_ready(const struct loader *L)
{
    const struct fb_heap_entry *e = fb_heap_top(&L->pending);
    return e != NULL && (L->eof || e->t <= L->last_end - L->max_duration);
}

int fb_trace_next(struct fb_trace_reader *r, struct fb_trace_event *ev)
{
    struct loader *L = &r->L;
    int rc;

    for (;;) {
        switch (r->src) {
        case SRC_ARRAY:
            if (r->next >= L->n)
                return 0;
            *ev = L->ev[r->next++];
            return 1;
        case SRC_MINUTES:
            if (L->head >= L->n && (rc = make_minute(L)) < 0)
                return rc;
            if (L->head >= L->n)
                return 0;
            *ev = L->ev[L->head++];
            ev->t_s *= r->o.time_scale;
            return 1;
        case SRC_CSV:
            if (L->head < L->n) {
                *ev = L->ev[L->head++];
                ev->t_s *= r->o.time_scale;
                return 1;
            }
            if (L->eof)
                return 0;
            L->n = L->head = 0;
            if ((rc = pump_line(L, L->f, &L->parser)) < 0)
                return rc;
            L->eof = rc == 1;
            break;
        case SRC_2021:
            if (pending_ready(L)) {
                struct fb_heap_entry e;
                fb_heap_pop(&L->pending, &e);
                *ev = *(struct fb_trace_event *)e.p;
                free(e.p);
                ev->t_s += L->shift;
                if (ev->t_s >= L->horizon)
                    continue;
                ev->t_s *= r->o.time_scale;
                return 1;
            }
            if (L->eof)
                return 0;
            if ((rc = pump_line(L, L->f, &L->parser)) < 0)
                return rc;
            L->eof = rc == 1;
            break;
        }
    }
}

int fb_trace_rewind_draw(struct fb_trace_reader *r, unsigned draw)
{
    r->L.draw = draw;
    return fb_trace_rewind(r);
}

int fb_trace_rewind(struct fb_trace_reader *r)
{
    struct loader *L = &r->L;
    struct fb_heap_entry e;

    switch (r->src) {
    case SRC_ARRAY:
        r->next = 0;
        return 0;
    case SRC_MINUTES:
        L->minute = 0;
        L->n = L->head = 0;
        for (size_t i = 0; i < L->n_rows; i++)
            L->rows[i].at = 0;
        return 0;
    default:
        while (fb_heap_pop(&L->pending, &e))
            free(e.p);
        return stream_start(r);
    }
}

size_t fb_trace_events(const struct fb_trace_reader *r)
{
    return r->L.total;
}

int fb_trace_calls(struct fb_trace_reader *r, size_t *calls)
{
    struct fb_trace_event ev;
    int rc;

    memset(calls, 0, sizeof(*calls) * (size_t)r->o.n_functions);
    switch (r->src) {
    case SRC_MINUTES: /* the kept counts */
        for (size_t i = 0; i < r->L.n_rows; i++)
            for (size_t k = 0; k < r->L.rows[i].n; k++)
                calls[r->L.rows[i].function] += r->L.rows[i].count[k];
        return 0;
    case SRC_ARRAY:
        for (size_t i = 0; i < r->L.n; i++)
            calls[r->L.ev[i].function]++;
        return 0;
    default: /* a pass over the file */
        if ((rc = fb_trace_rewind(r)) < 0)
            return rc;
        while ((rc = fb_trace_next(r, &ev)) == 1)
            calls[ev.function]++;
        return rc < 0 ? rc : fb_trace_rewind(r);
    }
}

int fb_trace_last(struct fb_trace_reader *r, double *t_s)
{
    struct fb_trace_event ev;
    int rc;

    *t_s = 0;
    if ((rc = fb_trace_rewind(r)) < 0)
        return rc;
    while ((rc = fb_trace_next(r, &ev)) == 1)
        if (ev.t_s > *t_s)
            *t_s = ev.t_s;
    return rc < 0 ? rc : fb_trace_rewind(r);
}

bool fb_trace_in_memory(const struct fb_trace_reader *r)
{
    return r->src == SRC_ARRAY;
}

const char *fb_trace_error(const struct fb_trace_reader *r)
{
    return r->eb.msg;
}

void fb_trace_close(struct fb_trace_reader *r)
{
    struct fb_heap_entry e;

    if (r == NULL)
        return;
    struct loader *L = &r->L;
    while (fb_heap_pop(&L->pending, &e))
        free(e.p);
    fb_heap_free(&L->pending);
    if (L->have_parser)
        csv_free(&L->parser);
    if (L->f != NULL)
        fclose(L->f);
    for (size_t i = 0; i < L->n_rows; i++) {
        free(L->rows[i].minute);
        free(L->rows[i].count);
    }
    free(L->rows);
    fb_strmap_free(&L->fns);
    pct_free(L->durations);
    pct_free(L->memory);
    fb_csvrow_free(&L->row);
    free(L->linebuf);
    free(L->key);
    free(L->ev);
    free(r->names);
    free(r->path);
    free(r);
}

/* Azure 2021 held in memory: starts moved so the first is at 0 when one is
 * before it, and only the first max_minutes kept. */
static void azure2021_finish(struct loader *L)
{
    size_t k = 0;

    for (size_t i = 0; i < L->n; i++) {
        struct fb_trace_event e = L->ev[i];
        e.t_s += L->shift;
        if (e.t_s < L->horizon)
            L->ev[k++] = e;
    }
    L->n = k;
}

/* A file out of order: every event read into memory and sorted. */
static int collect(struct fb_trace_reader *r, struct fb_errbuf *eb, const char *expected)
{
    struct loader *L = &r->L;
    int rc;

    reader_reset(L);
    L->pass = PASS_COLLECT;
    if ((rc = read_file(L, expected)) < 0)
        return rc;
    if (r->o.format == FB_TRACE_AZURE2021)
        azure2021_finish(L);
    L->total = L->n;
    for (size_t i = 0; i < L->n; i++)
        L->ev[i].t_s *= r->o.time_scale;
    sort_events(L->ev, L->n);
    if (L->n < L->cap) {
        struct fb_trace_event *shrunk = realloc(L->ev, L->n * sizeof(*shrunk));
        if (shrunk != NULL) {
            L->ev = shrunk;
            L->cap = L->n;
        }
    }
    (void)eb;
    r->src = SRC_ARRAY;
    return 0;
}

/* 2021 cut to max_minutes after a move: how many starts fall before the cut
 * (a streamed pass that only counts). */
static int count_2021(struct fb_trace_reader *r)
{
    struct fb_trace_event ev;
    size_t n = 0;
    int rc;

    while ((rc = fb_trace_next(r, &ev)) == 1)
        n++;
    if (rc < 0)
        return rc;
    r->L.total = n;
    return fb_trace_rewind(r);
}

int fb_trace_open(const char *path, const struct fb_trace_opts *o, struct fb_trace_reader **out,
                  struct fb_errbuf *eb)
{
    static const char *const expected[] = {
        [FB_TRACE_CSV] = "time_s,function",
        [FB_TRACE_AZURE] = "HashOwner,HashApp,HashFunction,Trigger,1,2,...",
        [FB_TRACE_AZURE2021] = "app,func,end_timestamp,duration"};
    struct fb_trace_reader *r = NULL;
    struct loader *L;
    int rc;

    *out = NULL;
    if ((rc = check_opts(path, o, eb)) < 0)
        return rc;
    if ((r = calloc(1, sizeof(*r))) == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return fb_errf(eb, FB_ENOMEM, "%s: out of memory", path);
    }
    r->o = *o;
    /* The names are borrowed (they outlive the reader); the array is copied. */
    if ((r->names = malloc(sizeof(char *) * (size_t)o->n_functions)) == NULL) {
        free(r->path);
        free(r);
        return fb_errf(eb, FB_ENOMEM, "%s: out of memory", path);
    }
    memcpy(r->names, o->functions, sizeof(char *) * (size_t)o->n_functions);
    r->o.functions = r->names;
    L = &r->L;
    L->path = r->path;
    L->o = &r->o;
    L->eb = eb;
    L->max_events = o->max_events > 0 ? o->max_events : FB_TRACE_MAX_EVENTS;
    L->in_order = L->ends_in_order = true;
    L->horizon = o->max_minutes > 0 ? 60.0 * o->max_minutes : INFINITY;
    if (o->format == FB_TRACE_AZURE && o->durations != NULL &&
        (rc = pct_load(o->durations, &durations_kind, o, &L->durations, eb)) < 0)
        goto fail;
    if (o->format == FB_TRACE_AZURE && o->memory != NULL &&
        (rc = pct_load(o->memory, &memory_kind, o, &L->memory, eb)) < 0)
        goto fail;
    L->on_header = o->format == FB_TRACE_AZURE       ? azure_header
                   : o->format == FB_TRACE_AZURE2021 ? azure2021_header
                                                     : csv_header;
    L->on_row = o->format == FB_TRACE_AZURE       ? azure_row
                : o->format == FB_TRACE_AZURE2021 ? azure2021_row
                                                  : csv_row;
    /* The first pass: every row checked, counted, and what comes next chosen. */
    L->pass = PASS_SCAN;
    reader_reset(L);
    if ((rc = read_file(L, expected[o->format])) < 0)
        goto fail;
    if (L->total == 0) {
        rc = fb_errf(eb, FB_EINVAL, "%s:%ld: no invocations in the trace%s", path, L->line,
                     o->format != FB_TRACE_CSV && o->max_minutes > 0 ? " (within max_minutes)"
                                                                     : "");
        goto fail;
    }
    if (o->format == FB_TRACE_AZURE) {
        r->src = SRC_MINUTES;
        L->pass = PASS_STREAM; /* the minutes made go to ev */
    } else if (o->format == FB_TRACE_CSV && L->in_order) {
        r->src = SRC_CSV;
    } else if (o->format == FB_TRACE_AZURE2021 && L->ends_in_order) {
        r->src = SRC_2021;
        L->to_pending = true;
        L->shift = L->min_start < 0 ? -L->min_start : 0;
    } else {
        L->shift = L->min_start < 0 ? -L->min_start : 0;
        if ((rc = collect(r, eb, expected[o->format])) < 0)
            goto fail;
    }
    if (r->src == SRC_CSV || r->src == SRC_2021) {
        if ((rc = stream_start(r)) < 0) {
            fb_errf(eb, rc, "%s", r->eb.msg[0] ? r->eb.msg : fb_strerror(rc));
            goto fail;
        }
        if (r->src == SRC_2021 && isfinite(L->horizon) && (rc = count_2021(r)) < 0) {
            fb_errf(eb, rc, "%s", r->eb.msg[0] ? r->eb.msg : fb_strerror(rc));
            goto fail;
        }
    }
    if (L->total == 0) {
        /* 2021 cut to max_minutes: what is left after the move. */
        rc = fb_errf(eb, FB_EINVAL, "%s: no invocations in the trace (within max_minutes)",
                     path);
        goto fail;
    }
    L->eb = &r->eb;
    *out = r;
    return 0;
fail:
    if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, rc, "%s: out of memory", path);
    fb_trace_close(r);
    return rc;
}

int fb_trace_load(const char *path, const struct fb_trace_opts *o, struct fb_trace *out,
                  struct fb_errbuf *eb)
{
    struct fb_trace_reader *r;
    struct fb_trace_event ev;
    size_t cap = 0;
    int rc;

    if (out == NULL)
        return fb_errf(eb, FB_EINVAL, "trace: nowhere to put the events");
    *out = (struct fb_trace){0};
    if ((rc = fb_trace_open(path, o, &r, eb)) < 0)
        return rc;
    while ((rc = fb_trace_next(r, &ev)) == 1) {
        if (out->n == cap) {
            size_t c = cap ? 2 * cap : 256;
            struct fb_trace_event *p = realloc(out->ev, c * sizeof(*p));
            if (p == NULL) {
                rc = FB_ENOMEM;
                break;
            }
            out->ev = p;
            cap = c;
        }
        out->ev[out->n++] = ev;
    }
    if (rc < 0) {
        fb_errf(eb, rc, "%s", r->eb.msg[0] ? r->eb.msg : fb_strerror(rc));
        fb_trace_free(out);
    }
    fb_trace_close(r);
    return rc < 0 ? rc : 0;
}

void fb_trace_free(struct fb_trace *t)
{
    if (t == NULL)
        return;
    free(t->ev);
    *t = (struct fb_trace){0};
}
