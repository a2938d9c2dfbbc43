/* report.c - a run folder's summaries, comparisons and tables, rebuilt from its rows. */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/columns.h"
#include "results/invocation.h"
#include "report/faultsum.h"
#include "report/scan.h"
#include "report/tabulate.h"

#ifndef FB_SOURCE_DIR
#define FB_SOURCE_DIR "."
#endif

extern char **environ;

/* ---- the report ---- */

/* Interned strings: a report names a few policies, modes, functions and
 * nodes many times. */
struct pool {
    char **v;
    size_t n, cap;
};

static const char *pool_get(struct pool *p, const char *s)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i], s) == 0)
            return p->v[i];
    if (p->n == p->cap) {
        size_t cap = p->cap != 0 ? p->cap * 2 : 16;
        char **v = realloc(p->v, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        p->v = v;
        p->cap = cap;
    }
    if ((p->v[p->n] = strdup(s)) == NULL)
        return NULL;
    return p->v[p->n++];
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

/* A function's reference cell, held for the whole report. */
struct ref {
    const char *function;
    int repetition;
    const char *policy, *warming;
    struct fb_sample lat;
};

struct crow {
    int repetition;
    const char *policy, *warming, *function;
    size_t ref_i; /* in refs, which may move as they grow */
    bool is_ref;
    struct fb_cmp cmp;
};

/* A comparison row and its reference, as the comparison.csv writer takes it. */
struct crow_ref {
    const struct crow *c;
    const struct ref *ref;
};

/* One node policy's latencies in one function and warming mode, every
 * repetition pooled (in bounded memory: struct fb_sample). */
struct pooled {
    const char *function, *warming, *policy; /* interned */
    struct fb_sample lat;
};

/* Two policies of one function and warming mode compared (findings.csv). */
struct finding {
    const char *function, *warming, *faster, *slower;
    struct fb_cmp cmp; /* base: the faster one */
    double p_holm;
    bool significant;
};

struct report {
    struct pool pool;
    bool simulated; /* the run folder is a simulation's: its text files say so */
    const char *want_policy, *want_warming; /* explicit reference, or NULL */
    struct ref *refs;
    size_t n_refs, refs_cap;
    struct fb_summary_row *rows;
    size_t **row_nodes; /* per row: count by node index */
    size_t *row_n_nodes;
    size_t n_rows, rows_cap;
    struct crow *crows;
    size_t n_crows, crows_cap;
    const char **nodes; /* pooled */
    size_t n_nodes;
    struct pooled *pools;
    size_t n_pools, pools_cap;
    struct finding *finds;
    size_t n_finds, finds_cap;
    struct fb_faultsum faults; /* before / during / after each fault (faultsum.h) */
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *q;

    if (n < *cap)
        return 0;
    ncap = *cap != 0 ? *cap * 2 : 16;
    q = realloc(*p, ncap * size);
    if (q == NULL)
        return FB_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

static struct ref *find_ref(struct report *r, const char *function)
{
    for (size_t i = 0; i < r->n_refs; i++)
        if (strcmp(r->refs[i].function, function) == 0)
            return &r->refs[i];
    return NULL;
}

/* Takes c's latencies as the function's reference. */
static int add_ref(struct report *r, struct fb_cellfn *c)
{
    struct ref *ref;
    int rc;

    if ((rc = grow((void **)&r->refs, &r->refs_cap, r->n_refs, sizeof(*r->refs))) < 0)
        return rc;
    ref = &r->refs[r->n_refs];
    ref->function = pool_get(&r->pool, c->function);
    ref->policy = pool_get(&r->pool, c->policy);
    ref->warming = pool_get(&r->pool, c->warming);
    if (ref->function == NULL || ref->policy == NULL || ref->warming == NULL)
        return FB_ENOMEM;
    ref->repetition = c->repetition;
    ref->lat = c->lat;
    c->lat = (struct fb_sample){0};
    r->n_refs++;
    return 0;
}

/* Pass 1 with an explicit reference: hold each function's reference cell. */
static int collect_ref(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct report *r = ctx;

    (void)eb;
    if (strcmp(c->policy, r->want_policy) != 0 || strcmp(c->warming, r->want_warming) != 0 ||
        find_ref(r, c->function) != NULL)
        return 0;
    return add_ref(r, c);
}

static int add_summary(struct report *r, struct fb_cellfn *c)
{
    struct fb_summary_row *row;
    size_t *counts = NULL;
    int rc;

    if ((rc = grow((void **)&r->rows, &r->rows_cap, r->n_rows, sizeof(*r->rows))) < 0)
        goto out;
    /* The parallel arrays grow with rows_cap. */
    {
        size_t **rn = realloc(r->row_nodes, r->rows_cap * sizeof(*rn));
        size_t *rl;

        if (rn == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        r->row_nodes = rn;
        rl = realloc(r->row_n_nodes, r->rows_cap * sizeof(*rl));
        if (rl == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        r->row_n_nodes = rl;
    }
    /* Nodes as the scan knows them now; later cells may add more. */
    for (size_t i = r->n_nodes; i < c->n_nodes; i++) {
        const char **nodes = realloc(r->nodes, (i + 1) * sizeof(*nodes));

        if (nodes == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        r->nodes = nodes;
        if ((r->nodes[i] = pool_get(&r->pool, c->nodes[i])) == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        r->n_nodes = i + 1;
    }
    if (c->n_nodes > 0) {
        counts = malloc(c->n_nodes * sizeof(*counts));
        if (counts == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        memcpy(counts, c->per_node, c->n_nodes * sizeof(*counts));
    }
    row = &r->rows[r->n_rows];
    memset(row, 0, sizeof(*row));
    row->run_id = pool_get(&r->pool, c->run_id);
    row->policy = pool_get(&r->pool, c->policy);
    row->warming = pool_get(&r->pool, c->warming);
    row->function = pool_get(&r->pool, c->function);
    if (row->run_id == NULL || row->policy == NULL || row->warming == NULL ||
        row->function == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    row->repetition = c->repetition;
    row->errors = c->errors;
    memcpy(row->mode_count, c->mode_count, sizeof(row->mode_count));
    fb_sample_summarize(&c->lat, &row->lat); /* already sorted: order kept */
    fb_median_ci95(c->lat.v, c->lat.n, &row->p50_ci_lo, &row->p50_ci_hi);
    for (int p = 0; p < FB_NPHASES; p++)
        row->phase_p50[p] = fb_quantile_sorted(c->phase[p].v, c->phase[p].n, 0.5);
    row->open_loop = c->open_loop;
    fb_sample_summarize(&c->phase[FB_PHASE_QUEUE], &row->queue);
    fb_sample_summarize(&c->phase[FB_PHASE_CLIENT], &row->client);
    row->asked_p50 = fb_quantile_sorted(c->asked.v, c->asked.n, 0.5);
    row->measured_p50 = fb_quantile_sorted(c->measured.v, c->measured.n, 0.5);
    row->slip_p50 = fb_quantile_sorted(c->slip.v, c->slip.n, 0.5);
    r->row_nodes[r->n_rows] = counts;
    r->row_n_nodes[r->n_rows] = c->n_nodes;
    counts = NULL;
    r->n_rows++;
out:
    free(counts);
    return rc;
}

/* Adds c's latencies to its policy's in the function and warming mode. */
static int add_pooled(struct report *r, const struct fb_cellfn *c)
{
    struct pooled *p = NULL;
    int rc = 0;

    for (size_t i = 0; i < r->n_pools && p == NULL; i++)
        if (strcmp(r->pools[i].function, c->function) == 0 &&
            strcmp(r->pools[i].warming, c->warming) == 0 &&
            strcmp(r->pools[i].policy, c->policy) == 0)
            p = &r->pools[i];
    if (p == NULL) {
        if ((rc = grow((void **)&r->pools, &r->pools_cap, r->n_pools, sizeof(*r->pools))) < 0)
            return rc;
        p = &r->pools[r->n_pools];
        memset(p, 0, sizeof(*p));
        p->function = pool_get(&r->pool, c->function);
        p->warming = pool_get(&r->pool, c->warming);
        p->policy = pool_get(&r->pool, c->policy);
        if (p->function == NULL || p->warming == NULL || p->policy == NULL)
            return FB_ENOMEM;
        r->n_pools++;
    }
    for (size_t i = 0; i < c->lat.n && rc == 0; i++)
        rc = fb_sample_add(&p->lat, c->lat.v[i]);
    return rc;
}

/* Holm's step-down adjustment of the p-values of findings f[0..n): the k-th
 * smallest p (from 0) times n - k, never below an earlier one, at most 1.
 * A finding without a p keeps NAN. */
static void holm(struct finding *f, size_t n)
{
    double running = 0.0;
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        f[i].p_holm = NAN;
        if (isfinite(f[i].cmp.p))
            m++;
    }
    for (size_t k = 0; k < m; k++) {
        size_t best = n;

        for (size_t i = 0; i < n; i++)
            if (isfinite(f[i].cmp.p) && isnan(f[i].p_holm) &&
                (best == n || f[i].cmp.p < f[best].cmp.p))
                best = i;
        double adj = (double)(m - k) * f[best].cmp.p;
        running = fmax(running, fmin(1.0, adj));
        f[best].p_holm = running;
    }
}

/* The findings of the function of pool fi, one mode after another. */
static int find_in_function(struct report *r, size_t fi)
{
    int rc = 0;

    for (size_t i = fi; i < r->n_pools; i++) {
        bool seen = false;
        size_t first = r->n_finds;

        /* Each mode once, at its first policy. */
        if (r->pools[i].function != r->pools[fi].function)
            continue;
        for (size_t k = fi; k < i && !seen; k++)
            seen = r->pools[k].function == r->pools[i].function &&
                   r->pools[k].warming == r->pools[i].warming;
        if (seen)
            continue;
        for (size_t a = i; a < r->n_pools; a++) {
            for (size_t b = a + 1; b < r->n_pools; b++) {
                struct pooled *x = &r->pools[a], *y = &r->pools[b];
                struct finding *f;

                if (x->function != r->pools[i].function || x->warming != r->pools[i].warming ||
                    y->function != x->function || y->warming != x->warming)
                    continue;
                if (fb_stat_sorted(FB_STAT_P50, y->lat.v, y->lat.n) <
                    fb_stat_sorted(FB_STAT_P50, x->lat.v, x->lat.n)) {
                    struct pooled *t = x;
                    x = y;
                    y = t;
                }
                if ((rc = grow((void **)&r->finds, &r->finds_cap, r->n_finds,
                               sizeof(*r->finds))) < 0)
                    return rc;
                f = &r->finds[r->n_finds];
                memset(f, 0, sizeof(*f));
                f->function = x->function;
                f->warming = x->warming;
                f->faster = x->policy;
                f->slower = y->policy;
                if ((rc = fb_compare_sorted(x->lat.v, x->lat.n, y->lat.v, y->lat.n, FB_STAT_P50,
                                            &f->cmp)) < 0)
                    return rc;
                r->n_finds++;
            }
        }
        holm(r->finds + first, r->n_finds - first);
        for (size_t k = first; k < r->n_finds; k++)
            r->finds[k].significant = r->finds[k].p_holm < FB_FINDING_ALPHA &&
                                      r->finds[k].cmp.ci_lo > 1.0;
    }
    return rc;
}

/* findings: every pair of policies within each function and warming mode,
 * the faster (lower median) one as the base. */
static int find_differences(struct report *r)
{
    struct fb_summary scratch;
    int rc = 0;

    /* Sorts every pooled sample (the comparisons take sorted values). */
    for (size_t i = 0; i < r->n_pools; i++)
        fb_sample_summarize(&r->pools[i].lat, &scratch);
    /* Functions in the order they first ran, each one's modes likewise. */
    for (size_t fi = 0; fi < r->n_pools; fi++) {
        bool seen = false;

        for (size_t k = 0; k < fi && !seen; k++)
            seen = r->pools[k].function == r->pools[fi].function;
        if (!seen && (rc = find_in_function(r, fi)) < 0)
            return rc;
    }
    return rc;
}

/* Pass 2: a summary row and a comparison row for every cell x function. */
static int report_cell(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb)
{
    struct report *r = ctx;
    struct ref *ref;
    struct crow *cr;
    bool is_ref;
    int rc;

    (void)eb;
    if ((rc = add_summary(r, c)) < 0 || (rc = add_pooled(r, c)) < 0)
        goto out;
    ref = find_ref(r, c->function);
    if (ref == NULL && r->want_policy != NULL)
        goto out; /* this function never ran the reference cell */
    is_ref = ref == NULL || (ref->repetition == c->repetition &&
                             strcmp(ref->policy, c->policy) == 0 &&
                             strcmp(ref->warming, c->warming) == 0);
    if ((rc = grow((void **)&r->crows, &r->crows_cap, r->n_crows, sizeof(*r->crows))) < 0)
        goto out;
    cr = &r->crows[r->n_crows];
    memset(cr, 0, sizeof(*cr));
    if (ref == NULL)
        rc = fb_compare_sorted(c->lat.v, c->lat.n, c->lat.v, c->lat.n, FB_STAT_P50,
                               &cr->cmp);
    else
        rc = fb_compare_sorted(ref->lat.v, ref->lat.n, c->lat.v, c->lat.n, FB_STAT_P50,
                               &cr->cmp);
    if (rc < 0)
        goto out;
    if (ref == NULL) {
        if ((rc = add_ref(r, c)) < 0)
            goto out;
        ref = &r->refs[r->n_refs - 1];
    }
    cr->repetition = c->repetition;
    cr->policy = pool_get(&r->pool, c->policy);
    cr->warming = pool_get(&r->pool, c->warming);
    cr->function = pool_get(&r->pool, c->function);
    if (cr->policy == NULL || cr->warming == NULL || cr->function == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    cr->ref_i = (size_t)(ref - r->refs);
    cr->is_ref = is_ref;
    r->n_crows++;
out:
    return rc;
}

/* "node1=3 node2=0 ..." for every row, over the final node list. */
static int fill_per_node(struct report *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        size_t len = 1, off = 0;
        char *s;

        for (size_t k = 0; k < r->n_nodes; k++)
            len += strlen(r->nodes[k]) + 24;
        if ((s = malloc(len)) == NULL)
            return FB_ENOMEM;
        s[0] = '\0';
        for (size_t k = 0; k < r->n_nodes; k++) {
            size_t count = k < r->row_n_nodes[i] ? r->row_nodes[i][k] : 0;

            off += (size_t)snprintf(s + off, len - off, "%s%s=%zu", k ? " " : "",
                                    r->nodes[k], count);
        }
        r->rows[i].per_node = s;
    }
    return 0;
}

static void report_free(struct report *r)
{
    for (size_t i = 0; i < r->n_refs; i++)
        fb_sample_free(&r->refs[i].lat);
    free(r->refs);
    for (size_t i = 0; i < r->n_rows; i++) {
        free(r->rows[i].per_node);
        free(r->row_nodes[i]);
    }
    free(r->rows);
    free(r->row_nodes);
    free(r->row_n_nodes);
    free(r->crows);
    free(r->nodes);
    for (size_t i = 0; i < r->n_pools; i++)
        fb_sample_free(&r->pools[i].lat);
    free(r->pools);
    free(r->finds);
    pool_free(&r->pool);
}

/* ---- writers ---- */

/* Column c of comparison.csv for the row. */
static struct fb_value comparison_value(const void *row, int c)
{
    const struct crow_ref *cr = row;
    const struct crow *x = cr->c;
    const struct ref *ref = cr->ref;

    switch ((enum fb_comparison_column)c) {
    case FB_CC_repetition:
        return FB_VINT(x->repetition);
    case FB_CC_policy:
        return FB_VSTR(x->policy);
    case FB_CC_warming:
        return FB_VSTR(x->warming);
    case FB_CC_function:
        return FB_VSTR(x->function);
    case FB_CC_ref_repetition:
        return FB_VINT(ref->repetition);
    case FB_CC_ref_policy:
        return FB_VSTR(ref->policy);
    case FB_CC_ref_warming:
        return FB_VSTR(ref->warming);
    case FB_CC_n:
        return FB_VINT(x->cmp.n_new);
    case FB_CC_ref_n:
        return FB_VINT(x->cmp.n_base);
    case FB_CC_p50_ms:
        return FB_VREAL(x->cmp.new_);
    case FB_CC_ref_p50_ms:
        return FB_VREAL(x->cmp.base);
    case FB_CC_ratio:
        return FB_VREAL(x->cmp.ratio);
    case FB_CC_ratio_ci95_lo:
        return FB_VREAL(x->cmp.ci_lo);
    case FB_CC_ratio_ci95_hi:
        return FB_VREAL(x->cmp.ci_hi);
    case FB_CC_mw_u:
        return FB_VREAL(x->cmp.u);
    case FB_CC_mw_p:
        return FB_VREAL(x->cmp.p);
    case FB_CC_N:
        break;
    }
    return FB_VSTR(NULL);
}

static int comparison_csv(FILE *f, void *arg)
{
    const struct report *r = arg;

    fb_col_write_header(f, fb_comparison_columns, FB_CC_N);
    for (size_t i = 0; i < r->n_crows; i++) {
        struct crow_ref cr = {&r->crows[i], &r->refs[r->crows[i].ref_i]};

        fb_col_write_row(f, fb_comparison_columns, FB_CC_N, comparison_value, &cr);
    }
    return fflush(f) != 0 || ferror(f) ? FB_EIO : 0;
}

/* Column c of findings.csv for the row. */
static struct fb_value finding_value(const void *row, int c)
{
    const struct finding *x = row;

    switch ((enum fb_findings_column)c) {
    case FB_FC_function:
        return FB_VSTR(x->function);
    case FB_FC_warming:
        return FB_VSTR(x->warming);
    case FB_FC_faster:
        return FB_VSTR(x->faster);
    case FB_FC_slower:
        return FB_VSTR(x->slower);
    case FB_FC_n_faster:
        return FB_VINT(x->cmp.n_base);
    case FB_FC_n_slower:
        return FB_VINT(x->cmp.n_new);
    case FB_FC_p50_faster_ms:
        return FB_VREAL(x->cmp.base);
    case FB_FC_p50_slower_ms:
        return FB_VREAL(x->cmp.new_);
    case FB_FC_ratio:
        return FB_VREAL(x->cmp.ratio);
    case FB_FC_ratio_ci95_lo:
        return FB_VREAL(x->cmp.ci_lo);
    case FB_FC_ratio_ci95_hi:
        return FB_VREAL(x->cmp.ci_hi);
    case FB_FC_mw_p:
        return FB_VREAL(x->cmp.p);
    case FB_FC_p_holm:
        return FB_VREAL(x->p_holm);
    case FB_FC_significant:
        return FB_VINT(x->significant ? 1 : 0);
    case FB_FC_N:
        break;
    }
    return FB_VSTR(NULL);
}

static int findings_csv(FILE *f, void *arg)
{
    const struct report *r = arg;

    fb_col_write_header(f, fb_findings_columns, FB_FC_N);
    for (size_t i = 0; i < r->n_finds; i++)
        fb_col_write_row(f, fb_findings_columns, FB_FC_N, finding_value, &r->finds[i]);
    return fflush(f) != 0 || ferror(f) ? FB_EIO : 0;
}

void fb_cmp_format(const struct fb_cmp *c, char *ratio, char *ci, char *p, size_t len)
{
    if (isfinite(c->ratio))
        snprintf(ratio, len, "%.3f", c->ratio);
    else
        snprintf(ratio, len, "-");
    if (isfinite(c->ci_lo) && isfinite(c->ci_hi))
        snprintf(ci, len, "[%.3f, %.3f]", c->ci_lo, c->ci_hi);
    else
        snprintf(ci, len, "-");
    if (!isfinite(c->p))
        snprintf(p, len, "-");
    else if (c->p < 0.0001)
        snprintf(p, len, "<0.0001");
    else
        snprintf(p, len, "%.4f", c->p);
}

void fb_table_add_cmp(struct fb_table *t, const struct fb_cmp *c)
{
    char ratio[64], ci[64], p[64];

    fb_cmp_format(c, ratio, ci, p, sizeof(ratio));
    fb_table_addf(t, "%s", ratio);
    fb_table_addf(t, "%s", ci);
    fb_table_addf(t, "%s", p);
}

/* The first lines of a simulated run's text files. */
#define SIMULATED_LINE                                                                          \
    "SIMULATED, not measured: every figure here is the simulator's, drawn from its node\n"      \
    "model (environment.txt says which).\n\n"

static int comparison_txt(FILE *f, void *arg)
{
    if (((const struct report *)arg)->simulated)
        fputs(SIMULATED_LINE, f);
    /* The repetition column only shows when there is more than one. */
    static const char *const titles[] = {"rep", "policy", "warming", "function", "reference",
                                         "n", "p50", "ref p50", "ratio", "ratio 95% CI", "p"};
    static const int right[] = {1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1};
    const struct report *r = arg;
    struct fb_table t = {0};
    int reps = 0, rc;

    for (size_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].repetition > 1)
            reps = 1;
    for (size_t i = 0; i < r->n_crows; i++) {
        const struct crow *c = &r->crows[i];
        const struct ref *ref = &r->refs[c->ref_i];

        if (reps)
            fb_table_addf(&t, "%d", c->repetition);
        fb_table_addf(&t, "%s", c->policy);
        fb_table_addf(&t, "%s", c->warming);
        fb_table_addf(&t, "%s", c->function);
        if (c->is_ref)
            fb_table_addf(&t, "(this cell)");
        else if (reps)
            fb_table_addf(&t, "%d %s/%s", ref->repetition, ref->policy, ref->warming);
        else
            fb_table_addf(&t, "%s/%s", ref->policy, ref->warming);
        fb_table_addf(&t, "%zu", c->cmp.n_new);
        fb_table_add_ms(&t, c->cmp.new_);
        fb_table_add_ms(&t, c->cmp.base);
        fb_table_add_cmp(&t, &c->cmp);
    }
    fprintf(f,
            "Each cell against its function's reference cell (%s).\n"
            "p50 in ms over successful invocations; ratio = p50 / reference p50, its 95%% CI\n"
            "by percentile bootstrap (%d resamples, seed %u), or from order statistics when\n"
            "both cells have over %d values; p: Mann-Whitney U test, two-sided, normal\n"
            "approximation with tie correction and continuity correction.\n",
            r->want_policy != NULL ? "the one given" : "the function's first cell in the file",
            FB_BOOT_RESAMPLES, FB_BOOT_SEED, FB_BOOT_MAX_N);
    rc = fb_table_write(f, &t, 11 - !reps, titles + !reps, right + !reps);
    fb_table_free(&t);
    return rc;
}

static int summary_csv(FILE *f, void *arg)
{
    const struct report *r = arg;

    return fb_summary_write_csv(f, r->rows, r->n_rows);
}

static int summary_txt(FILE *f, void *arg)
{
    const struct report *r = arg;
    int rc;

    if (r->simulated)
        fputs(SIMULATED_LINE, f);
    rc = fb_summary_write_table(f, r->rows, r->n_rows);
    if (rc == 0)
        rc = fb_faultsum_write_table(f, &r->faults);
    return rc;
}

/* summary.txt on the terminal, unless it is longer than anyone reads there
 * (a study of hundreds of functions over dozens of cells): then where it is. */
#define ECHO_MAX_ROWS 100

static void echo_summary(FILE *f, const struct report *r, const char *run_dir)
{
    if (r->n_rows <= ECHO_MAX_ROWS) {
        summary_txt(f, (void *)r);
        return;
    }
    if (r->simulated)
        fputs(SIMULATED_LINE, f);
    fprintf(f,
            "summary: %zu rows (cell x function), more than %d: not printed here; "
            "%s/summary.txt has them, report.html what was found.\n",
            r->n_rows, ECHO_MAX_ROWS, run_dir);
}

static int faults_csv(FILE *f, void *arg)
{
    return fb_faultsum_write_csv(f, arg);
}

/* Whether run_dir's environment.txt says the run was simulated. */
static bool run_simulated(const char *run_dir)
{
    char *path = fb_strf("%s/environment.txt", run_dir), line[256];
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    bool yes = false;

    while (f != NULL && !yes && fgets(line, sizeof(line), f) != NULL)
        yes = strncmp(line, "simulated yes", 13) == 0;
    if (f != NULL)
        fclose(f);
    free(path);
    return yes;
}

struct metrics_arg {
    const char *csv_path;
    struct fb_errbuf *eb;
};

static int metrics_txt(FILE *f, void *arg)
{
    const struct metrics_arg *m = arg;

    return fb_metrics_table_write(m->csv_path, f, m->eb);
}

typedef int (*write_fn)(FILE *f, void *arg);

/* Writes dir/name through fn into a file beside it, then renames it into
 * place: a reader never sees half a file, and a failure keeps the old one. */
static int replace_file(const char *dir, const char *name, write_fn fn, void *arg,
                        struct fb_errbuf *eb)
{
    char *path = fb_strf("%s/%s", dir, name), *tmp = fb_strf("%s/.%s.%ld.tmp", dir, name,
                                                         (long)getpid());
    FILE *f = NULL;
    int fd, rc = 0;

    if (path == NULL || tmp == NULL) {
        rc = fb_errf(eb, FB_ENOMEM, "%s/%s: out of memory", dir, name);
        goto out;
    }
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        rc = fb_errf(eb, FB_EIO, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    rc = fn(f, arg);
    if (fclose(f) != 0 && rc == 0)
        rc = FB_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = fb_errf(eb, FB_EIO, "%s: %s", path, strerror(errno));
    if (rc < 0) {
        unlink(tmp);
        if (eb != NULL && eb->msg[0] == '\0')
            fb_errf(eb, rc, "cannot write %s: %s", path, fb_strerror(rc));
    }
out:
    free(path);
    free(tmp);
    return rc;
}

/* Runs the plot script on run_dir; every failure is a warning. */
static void run_plots(const char *run_dir)
{
    const char *script = getenv("FAASBENCH_PLOT");
    char *argv[3];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0, err;

    if (script != NULL && *script == '\0')
        return;
    if (script == NULL)
        script = FB_SOURCE_DIR "/scripts/plot";
    if (access(script, X_OK) != 0) {
        fprintf(stderr, "faasbench: warning: plots not drawn: %s: %s\n", script,
                strerror(errno));
        return;
    }
    argv[0] = (char *)script;
    argv[1] = (char *)run_dir;
    argv[2] = NULL;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        fprintf(stderr, "faasbench: warning: plots not drawn: out of memory\n");
        return;
    }
    /* Standard output stays the caller's (a quiet run prints only its
     * folder there); the script talks on stderr. */
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    err = posix_spawn(&pid, script, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        fprintf(stderr, "faasbench: warning: plots not drawn: %s: %s\n", script,
                strerror(err));
        return;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "faasbench: warning: plots: %s\n", strerror(errno));
            return;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "faasbench: warning: plots not drawn: %s %s\n", script,
                WIFEXITED(status) ? "failed" : "was killed");
}

/* ---- summaries gathered as a run goes ---- */

struct fb_summaries {
    struct report r;
    bool filled;
};

int fb_summaries_new(struct fb_summaries **out)
{
    return (*out = calloc(1, sizeof(**out))) != NULL ? 0 : FB_ENOMEM;
}

int fb_summaries_add(struct fb_summaries *s, struct fb_cellfn *c)
{
    return report_cell(&s->r, c, NULL);
}

size_t fb_summaries_count(const struct fb_summaries *s)
{
    return s->r.n_rows;
}

void fb_summaries_free(struct fb_summaries *s)
{
    if (s == NULL)
        return;
    report_free(&s->r);
    fb_faultsum_free(&s->r.faults);
    free(s);
}

int fb_report_write(const char *run_dir, const struct fb_report_opts *o, struct fb_errbuf *eb)
{
    static const struct fb_report_opts defaults = {0};
    struct report r = {0};
    struct fb_fwins fwins = {0};
    struct metrics_arg m = {0};
    char *want = NULL, *metrics = NULL, *slash;
    struct stat st;
    int rc = 0;

    if (o == NULL)
        o = &defaults;
    if (run_dir == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "no run folder given");
        goto out;
    }
    if (o->reference != NULL) {
        want = strdup(o->reference);
        if (want == NULL) {
            rc = FB_ENOMEM;
            goto out;
        }
        slash = strchr(want, '/');
        if (slash == NULL || slash == want || slash[1] == '\0' || strchr(slash + 1, '/')) {
            rc = fb_errf(eb, FB_EINVAL, "reference '%s': expected policy/warming",
                         o->reference);
            goto out;
        }
        *slash = '\0';
        r.want_policy = want;
        r.want_warming = slash + 1;
        if ((rc = fb_invocations_scan(run_dir, collect_ref, &r, eb)) < 0)
            goto out;
        if (r.n_refs == 0) {
            rc = fb_errf(eb, FB_EINVAL, "reference cell %s not found in %s/invocations.csv",
                         o->reference, run_dir);
            goto out;
        }
    }
    struct report *rep = &r;
    if (o->summaries != NULL) {
        /* Cells gathered as the run went, in place of invocations.csv's. */
        struct fb_summaries *s = (struct fb_summaries *)o->summaries;
        rep = &s->r;
        if (!s->filled && ((rc = fill_per_node(rep)) < 0 || (rc = find_differences(rep)) < 0))
            goto out;
        s->filled = true;
    } else if ((rc = fb_invocations_scan(run_dir, report_cell, &r, eb)) < 0 ||
               (rc = fill_per_node(&r)) < 0 || (rc = find_differences(&r)) < 0) {
        goto out;
    }
    /* What each fault did, when the run had faults (from the rows written). */
    fb_faultsum_free(&rep->faults);
    if ((rc = fb_fwins_load(run_dir, &fwins, eb)) < 0 ||
        (rc = fb_faultsum_compute(run_dir, &fwins, &rep->faults, eb)) < 0 ||
        (fwins.n > 0 && (rc = replace_file(run_dir, "faults_summary.csv", faults_csv,
                                          &rep->faults, eb)) < 0))
        goto out;
    rep->simulated = run_simulated(run_dir);
    if ((rc = replace_file(run_dir, "summary.csv", summary_csv, rep, eb)) < 0 ||
        (rc = replace_file(run_dir, "summary.txt", summary_txt, rep, eb)) < 0 ||
        (rc = replace_file(run_dir, "comparison.csv", comparison_csv, rep, eb)) < 0 ||
        (rc = replace_file(run_dir, "comparison.txt", comparison_txt, rep, eb)) < 0 ||
        (rc = replace_file(run_dir, "findings.csv", findings_csv, rep, eb)) < 0)
        goto out;
    if ((metrics = fb_strf("%s/metrics.csv", run_dir)) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if (stat(metrics, &st) == 0) {
        m.csv_path = metrics;
        m.eb = eb;
        if ((rc = replace_file(run_dir, "metrics_table.txt", metrics_txt, &m, eb)) < 0)
            goto out;
    }
    if (o->echo != NULL && rep->n_rows > 0)
        echo_summary(o->echo, rep, run_dir);
    if (!o->no_plots)
        run_plots(run_dir);
out:
    if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, rc, "%s: out of memory", run_dir != NULL ? run_dir : "report");
    report_free(&r);
    fb_faultsum_free(&r.faults);
    fb_fwins_free(&fwins);
    free(want);
    free(metrics);
    return rc;
}

