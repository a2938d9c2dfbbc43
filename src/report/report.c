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

struct report {
    struct pool pool;
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
    r->row_nodes[r->n_rows] = counts;
    r->row_n_nodes[r->n_rows] = c->n_nodes;
    counts = NULL;
    r->n_rows++;
out:
    free(counts);
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
    if ((rc = add_summary(r, c)) < 0)
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
    pool_free(&r->pool);
}

/* ---- writers ---- */

static const char *const comparison_columns[] = {
    "repetition", "policy", "warming", "function", "ref_repetition", "ref_policy",
    "ref_warming", "n", "ref_n", "p50_ms", "ref_p50_ms", "ratio", "ratio_ci95_lo",
    "ratio_ci95_hi", "mw_u", "mw_p",
};
#define COMPARISON_NCOLUMNS ((int)(sizeof(comparison_columns) / sizeof(comparison_columns[0])))

/* ",x" with the given decimals (negative: 6 significant digits), or "," when x
 * is not a number. */
static void put_num(FILE *f, int decimals, double x)
{
    fputc(',', f);
    if (!isfinite(x))
        return;
    if (decimals >= 0)
        fprintf(f, "%.*f", decimals, x);
    else
        fprintf(f, "%.6g", x);
}

static int comparison_csv(FILE *f, void *arg)
{
    const struct report *r = arg;

    for (int i = 0; i < COMPARISON_NCOLUMNS; i++)
        fb_csv_field(f, comparison_columns[i], i == 0);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_crows; i++) {
        const struct crow *c = &r->crows[i];
        const struct ref *ref = &r->refs[c->ref_i];

        fprintf(f, "%d", c->repetition);
        fb_csv_field(f, c->policy, 0);
        fb_csv_field(f, c->warming, 0);
        fb_csv_field(f, c->function, 0);
        fprintf(f, ",%d", ref->repetition);
        fb_csv_field(f, ref->policy, 0);
        fb_csv_field(f, ref->warming, 0);
        fprintf(f, ",%zu,%zu", c->cmp.n_new, c->cmp.n_base);
        put_num(f, 3, c->cmp.new_);
        put_num(f, 3, c->cmp.base);
        put_num(f, 4, c->cmp.ratio);
        put_num(f, 4, c->cmp.ci_lo);
        put_num(f, 4, c->cmp.ci_hi);
        put_num(f, 1, c->cmp.u);
        put_num(f, -1, c->cmp.p);
        fputc('\n', f);
    }
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

static int comparison_txt(FILE *f, void *arg)
{
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
            "by percentile bootstrap (%d resamples, seed %u); p: Mann-Whitney U test,\n"
            "two-sided, normal approximation with tie correction and continuity correction.\n",
            r->want_policy != NULL ? "the one given" : "the function's first cell in the file",
            FB_BOOT_RESAMPLES, FB_BOOT_SEED);
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
    int rc = fb_summary_write_table(f, r->rows, r->n_rows);

    if (rc == 0)
        rc = fb_faultsum_write_table(f, &r->faults);
    return rc;
}

static int faults_csv(FILE *f, void *arg)
{
    return fb_faultsum_write_csv(f, arg);
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
    if ((rc = fb_invocations_scan(run_dir, report_cell, &r, eb)) < 0)
        goto out;
    if ((rc = fill_per_node(&r)) < 0)
        goto out;
    /* What each fault did, when the run had faults. */
    if ((rc = fb_fwins_load(run_dir, &fwins, eb)) < 0 ||
        (rc = fb_faultsum_compute(run_dir, &fwins, &r.faults, eb)) < 0 ||
        (fwins.n > 0 && (rc = replace_file(run_dir, "faults_summary.csv", faults_csv, &r.faults,
                                          eb)) < 0))
        goto out;
    if ((rc = replace_file(run_dir, "summary.csv", summary_csv, &r, eb)) < 0 ||
        (rc = replace_file(run_dir, "summary.txt", summary_txt, &r, eb)) < 0 ||
        (rc = replace_file(run_dir, "comparison.csv", comparison_csv, &r, eb)) < 0 ||
        (rc = replace_file(run_dir, "comparison.txt", comparison_txt, &r, eb)) < 0)
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
    if (o->echo != NULL && r.n_rows > 0) {
        fb_summary_write_table(o->echo, r.rows, r.n_rows);
        fb_faultsum_write_table(o->echo, &r.faults);
    }
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

