/* report.c - a run folder's summaries, comparisons and tables from invocations.csv. */
#include "report.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csvrow.h"
#include "results.h"

#ifndef FB_SOURCE_DIR
#define FB_SOURCE_DIR "."
#endif

extern char **environ;

#define READ_CHUNK 65536

static int cmp_finite(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void sort_sample(struct fb_sample *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_finite);
}

/* A number cell: 0 and *out = NAN when empty, 0 and the value when it is a
 * finite number, FB_EINVAL otherwise. */
static int parse_real(const char *s, double *out)
{
    char *end;
    double x;

    *out = NAN;
    if (s == NULL || *s == '\0')
        return 0;
    errno = 0;
    x = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(x))
        return FB_EINVAL;
    *out = x;
    return 0;
}

/* ---- reading invocations.csv ---- */

enum scan_col {
    SC_RUN_ID, SC_REP, SC_POLICY, SC_WARMING, SC_FUNCTION, SC_NODE, SC_MODE,
    SC_SELECT, SC_PULL, SC_RUN, SC_CLEANUP, SC_LATENCY, SC_NODE_EXEC, SC_ERROR,
    SC_NCOLS
};

static const struct {
    const char *name;
    bool required;
} scan_cols[SC_NCOLS] = {
    [SC_RUN_ID] = {"run_id", false},       [SC_REP] = {"repetition", true},
    [SC_POLICY] = {"policy", true},        [SC_WARMING] = {"warming", true},
    [SC_FUNCTION] = {"function", true},    [SC_NODE] = {"node", false},
    [SC_MODE] = {"mode", false},           [SC_SELECT] = {"select_ms", false},
    [SC_PULL] = {"pull_ms", false},        [SC_RUN] = {"run_ms", false},
    [SC_CLEANUP] = {"cleanup_ms", false},  [SC_LATENCY] = {"latency_ms", true},
    [SC_NODE_EXEC] = {"node_exec_ms", false}, [SC_ERROR] = {"error", true},
};

/* The phase each column feeds (overhead is derived). */
static const enum scan_col phase_cols[FB_PHASE_OVERHEAD] = {
    [FB_PHASE_SELECT] = SC_SELECT, [FB_PHASE_PULL] = SC_PULL,
    [FB_PHASE_RUN] = SC_RUN,       [FB_PHASE_CLEANUP] = SC_CLEANUP,
};

/* One function's rows within the current cell. */
struct acc {
    char *function;
    size_t rows, errors, mode_count[3];
    struct fb_sample lat, phase[FB_NPHASES];
    size_t *per_node;
    size_t n_per_node;
};

struct scan {
    const char *path;
    fb_cellfn_cb cb;
    void *ctx;
    struct fb_errbuf *eb;
    int rc;
    /* the record being read */
    struct fb_csvrow row;
    size_t record;            /* 1-based, the header is record 1 */
    bool have_header;
    size_t header_fields;
    int col[SC_NCOLS];        /* field index, or -1 */
    size_t short_rows;        /* rows with fewer fields than the header: skipped */
    /* the current cell */
    bool in_cell;
    int rep;
    char *run_id, *policy, *warming;
    struct acc *accs;
    size_t n_accs, accs_cap;
    /* every node seen */
    char **nodes;
    size_t n_nodes, nodes_cap;
};

static void on_field(void *s, size_t len, void *data)
{
    struct scan *sc = data;

    if (sc->rc == 0 && fb_csvrow_add(&sc->row, s, len, SIZE_MAX) < 0)
        sc->rc = FB_ENOMEM;
}

/* The text of column c in the current record ("" when the file has none). */
static const char *cell(const struct scan *sc, enum scan_col c)
{
    int i = sc->col[c];

    return i >= 0 ? fb_csvrow_get(&sc->row, (size_t)i) : "";
}

static int map_header(struct scan *sc)
{
    int rc = 0;

    for (int c = 0; c < SC_NCOLS; c++)
        sc->col[c] = -1;
    for (size_t i = 0; i < sc->row.n; i++) {
        for (int c = 0; c < SC_NCOLS; c++) {
            if (sc->col[c] < 0 && strcmp(fb_csvrow_get(&sc->row, i), scan_cols[c].name) == 0) {
                sc->col[c] = (int)i;
                break;
            }
        }
    }
    for (int c = 0; c < SC_NCOLS; c++) {
        if (scan_cols[c].required && sc->col[c] < 0) {
            rc = fb_errf(sc->eb, FB_EINVAL, "%s: no column '%s' in the header", sc->path,
                         scan_cols[c].name);
            goto out;
        }
    }
    sc->header_fields = sc->row.n;
    sc->have_header = true;
out:
    return rc;
}

/* Makes a's per-node tally n long (new slots zero). */
static int acc_nodes(struct acc *a, size_t n)
{
    size_t *p;

    if (n <= a->n_per_node)
        return 0;
    p = realloc(a->per_node, n * sizeof(*p));
    if (p == NULL)
        return FB_ENOMEM;
    memset(p + a->n_per_node, 0, (n - a->n_per_node) * sizeof(*p));
    a->per_node = p;
    a->n_per_node = n;
    return 0;
}

/* Index of node name in the node list, added when new; negative on ENOMEM. */
static long node_index(struct scan *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i], name) == 0)
            return (long)i;
    if (sc->n_nodes == sc->nodes_cap) {
        size_t cap = sc->nodes_cap != 0 ? sc->nodes_cap * 2 : 8;
        char **p = realloc(sc->nodes, cap * sizeof(*p));

        if (p == NULL)
            return FB_ENOMEM;
        sc->nodes = p;
        sc->nodes_cap = cap;
    }
    if ((sc->nodes[sc->n_nodes] = strdup(name)) == NULL)
        return FB_ENOMEM;
    return (long)sc->n_nodes++;
}

static void acc_reset(struct acc *a)
{
    free(a->function);
    a->function = NULL;
    a->rows = a->errors = 0;
    memset(a->mode_count, 0, sizeof(a->mode_count));
    fb_sample_clear(&a->lat);
    for (int p = 0; p < FB_NPHASES; p++)
        fb_sample_clear(&a->phase[p]);
    if (a->per_node != NULL)
        memset(a->per_node, 0, a->n_per_node * sizeof(*a->per_node));
}

static void acc_free(struct acc *a)
{
    free(a->function);
    fb_sample_free(&a->lat);
    for (int p = 0; p < FB_NPHASES; p++)
        fb_sample_free(&a->phase[p]);
    free(a->per_node);
}

/* Hands every function of the finished cell to the callback. */
static int flush_cell(struct scan *sc)
{
    int rc = 0;

    for (size_t i = 0; i < sc->n_accs && rc == 0; i++) {
        struct acc *a = &sc->accs[i];
        struct fb_cellfn c = {0};

        if ((rc = acc_nodes(a, sc->n_nodes)) < 0)
            break;
        sort_sample(&a->lat);
        for (int p = 0; p < FB_NPHASES; p++)
            sort_sample(&a->phase[p]);
        c.run_id = sc->run_id;
        c.repetition = sc->rep;
        c.policy = sc->policy;
        c.warming = sc->warming;
        c.function = a->function;
        c.rows = a->rows;
        c.errors = a->errors;
        memcpy(c.mode_count, a->mode_count, sizeof(c.mode_count));
        c.lat = a->lat;
        memcpy(c.phase, a->phase, sizeof(c.phase));
        c.per_node = a->per_node;
        c.nodes = (const char *const *)sc->nodes;
        c.n_nodes = sc->n_nodes;
        rc = sc->cb(sc->ctx, &c, sc->eb);
        a->lat = c.lat; /* {0} when the callback took it */
    }
    for (size_t i = 0; i < sc->n_accs; i++)
        acc_reset(&sc->accs[i]);
    sc->n_accs = 0;
    free(sc->run_id);
    free(sc->policy);
    free(sc->warming);
    sc->run_id = sc->policy = sc->warming = NULL;
    sc->in_cell = false;
    return rc;
}

static int start_cell(struct scan *sc, int rep)
{
    sc->rep = rep;
    sc->run_id = strdup(cell(sc, SC_RUN_ID));
    sc->policy = strdup(cell(sc, SC_POLICY));
    sc->warming = strdup(cell(sc, SC_WARMING));
    sc->in_cell = true;
    if (sc->run_id == NULL || sc->policy == NULL || sc->warming == NULL)
        return FB_ENOMEM;
    return 0;
}

static struct acc *find_acc(struct scan *sc, const char *function)
{
    struct acc *a;

    for (size_t i = 0; i < sc->n_accs; i++)
        if (strcmp(sc->accs[i].function, function) == 0)
            return &sc->accs[i];
    if (sc->n_accs == sc->accs_cap) {
        size_t cap = sc->accs_cap != 0 ? sc->accs_cap * 2 : 4;
        struct acc *p = realloc(sc->accs, cap * sizeof(*p));

        if (p == NULL)
            return NULL;
        memset(p + sc->accs_cap, 0, (cap - sc->accs_cap) * sizeof(*p));
        sc->accs = p;
        sc->accs_cap = cap;
    }
    a = &sc->accs[sc->n_accs];
    if ((a->function = strdup(function)) == NULL)
        return NULL;
    sc->n_accs++;
    return a;
}

static int bad_number(struct scan *sc, enum scan_col c)
{
    return fb_errf(sc->eb, FB_EINVAL, "%s: row %zu: %s: '%.40s' is not a number", sc->path,
                   sc->record, scan_cols[c].name, cell(sc, c));
}

static int add_row(struct scan *sc)
{
    const char *s = cell(sc, SC_REP), *mode, *node;
    char *end;
    double lat, x, exec;
    long rep;
    struct acc *a;
    int rc = 0;

    if (sc->row.n < sc->header_fields) {
        /* A row cut short (the run was killed mid-write): not data. */
        sc->short_rows++;
        goto out;
    }
    errno = 0;
    rep = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || rep < 0 || rep > INT32_MAX) {
        rc = bad_number(sc, SC_REP);
        goto out;
    }
    if (sc->in_cell && (rep != sc->rep || strcmp(sc->policy, cell(sc, SC_POLICY)) != 0 ||
                        strcmp(sc->warming, cell(sc, SC_WARMING)) != 0)) {
        if ((rc = flush_cell(sc)) < 0)
            goto out;
    }
    if (!sc->in_cell && (rc = start_cell(sc, (int)rep)) < 0)
        goto out;
    if ((a = find_acc(sc, cell(sc, SC_FUNCTION))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    a->rows++;
    node = cell(sc, SC_NODE);
    if (*node != '\0') {
        long k = node_index(sc, node);

        if (k < 0 || acc_nodes(a, (size_t)k + 1) < 0) {
            rc = FB_ENOMEM;
            goto out;
        }
        a->per_node[k]++;
    }
    mode = cell(sc, SC_MODE);
    if (strcmp(mode, "cold") == 0)
        a->mode_count[0]++;
    else if (strcmp(mode, "pre-warmed") == 0)
        a->mode_count[1]++;
    else if (strcmp(mode, "warmed") == 0)
        a->mode_count[2]++;

    if (parse_real(cell(sc, SC_LATENCY), &lat) < 0) {
        rc = bad_number(sc, SC_LATENCY);
        goto out;
    }
    if (*cell(sc, SC_ERROR) != '\0' || isnan(lat)) {
        a->errors++;
        goto out;
    }
    if (fb_sample_add(&a->lat, lat) < 0) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int p = 0; p < FB_PHASE_OVERHEAD; p++) {
        if (parse_real(cell(sc, phase_cols[p]), &x) < 0) {
            rc = bad_number(sc, phase_cols[p]);
            goto out;
        }
        if (!isnan(x) && fb_sample_add(&a->phase[p], x) < 0) {
            rc = FB_ENOMEM;
            goto out;
        }
    }
    if (parse_real(cell(sc, SC_NODE_EXEC), &exec) < 0) {
        rc = bad_number(sc, SC_NODE_EXEC);
        goto out;
    }
    if (!isnan(exec) && fb_sample_add(&a->phase[FB_PHASE_OVERHEAD], lat - exec) < 0)
        rc = FB_ENOMEM;
out:
    return rc;
}

static void on_record(int c, void *data)
{
    struct scan *sc = data;

    (void)c;
    if (sc->rc == 0) {
        sc->record++;
        sc->rc = sc->have_header ? add_row(sc) : map_header(sc);
    }
    fb_csvrow_next(&sc->row);
}

/* Seeds the node list with the run's nodes, in order, from environment.txt
 * ("node NAME ..." lines), so that idle nodes show with 0. */
static int read_env_nodes(struct scan *sc, const char *run_dir)
{
    char *path = fb_strf("%s/environment.txt", run_dir), *line = NULL;
    size_t cap = 0;
    FILE *f;
    int rc = 0;

    if (path == NULL)
        return FB_ENOMEM;
    f = fopen(path, "r");
    if (f == NULL)
        goto out; /* optional */
    while (getline(&line, &cap, f) > 0) {
        char *name, *save = NULL;

        if (strncmp(line, "node ", 5) != 0)
            continue;
        name = strtok_r(line + 5, " \t\r\n", &save);
        if (name != NULL && node_index(sc, name) < 0) {
            rc = FB_ENOMEM;
            break;
        }
    }
    fclose(f);
out:
    free(line);
    free(path);
    return rc;
}

static void scan_free(struct scan *sc)
{
    fb_csvrow_free(&sc->row);
    for (size_t i = 0; i < sc->accs_cap; i++)
        acc_free(&sc->accs[i]);
    free(sc->accs);
    for (size_t i = 0; i < sc->n_nodes; i++)
        free(sc->nodes[i]);
    free(sc->nodes);
    free(sc->run_id);
    free(sc->policy);
    free(sc->warming);
}

int fb_invocations_scan(const char *run_dir, fb_cellfn_cb cb, void *ctx, struct fb_errbuf *eb)
{
    struct scan sc = {.cb = cb, .ctx = ctx, .eb = eb};
    struct csv_parser p;
    bool parser = false;
    char *path = NULL, *buf = NULL;
    FILE *f = NULL;
    size_t n;
    int rc = 0;

    if (run_dir == NULL || cb == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "no run folder given");
        goto out;
    }
    path = fb_strf("%s/invocations.csv", run_dir);
    buf = malloc(READ_CHUNK);
    if (path == NULL || buf == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    sc.path = path;
    if ((rc = read_env_nodes(&sc, run_dir)) < 0)
        goto out;
    f = fopen(path, "r");
    if (f == NULL) {
        rc = fb_errf(eb, FB_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        rc = FB_ENOMEM;
        goto out;
    }
    parser = true;
    while (sc.rc == 0 && (n = fread(buf, 1, READ_CHUNK, f)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_record, &sc) != n && sc.rc == 0)
            sc.rc = fb_errf(eb, FB_EINVAL, "%s: %s", path, csv_strerror(csv_error(&p)));
    }
    if (sc.rc == 0 && ferror(f))
        sc.rc = fb_errf(eb, FB_EIO, "%s: read error", path);
    if (sc.rc == 0)
        csv_fini(&p, on_field, on_record, &sc);
    if (sc.rc == 0 && !sc.have_header)
        sc.rc = fb_errf(eb, FB_EINVAL, "%s: empty file (no header)", path);
    if (sc.rc == 0 && sc.in_cell)
        sc.rc = flush_cell(&sc);
    rc = sc.rc;
    if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, rc, "%s: out of memory", path);
    if (rc == 0 && sc.short_rows > 0)
        fprintf(stderr, "faasbench: warning: %s: %zu incomplete row(s) skipped\n", path,
                sc.short_rows);
out:
    if (parser)
        csv_free(&p);
    if (f != NULL)
        fclose(f);
    scan_free(&sc);
    free(buf);
    free(path);
    return rc;
}

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

    return fb_summary_write_table(f, r->rows, r->n_rows);
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
    if (o->echo != NULL && r.n_rows > 0)
        fb_summary_write_table(o->echo, r.rows, r.n_rows);
    if (!o->no_plots)
        run_plots(run_dir);
out:
    if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, rc, "%s: out of memory", run_dir != NULL ? run_dir : "report");
    report_free(&r);
    free(want);
    free(metrics);
    return rc;
}

/* ---- metrics_table.txt: the older testbed's tabulate "grid" table ---- */

/* tabulate pads every column to at least its header + 2. */
#define TABULATE_MIN_PADDING 2
#define MT_MAXCOLS 64
#define NUM_LEN 48

struct mt {
    struct fb_errbuf *eb;
    int pass;                  /* 1: measure, 2: print */
    size_t data_rows;          /* counted in pass 1 */
    FILE *out;
    int rc;
    size_t record;
    int ncols;                 /* from the header */
    char *cells[MT_MAXCOLS];   /* the current record's texts */
    size_t cell_cap[MT_MAXCOLS];
    int nfields;
    /* per column, from pass 1: tabulate's column types */
    bool numeric[MT_MAXCOLS];  /* data rows, each cell a number (an empty one is text) */
    bool all_int[MT_MAXCOLS];  /* ... and each an integer: printed as one */
    size_t raw_w[MT_MAXCOLS];  /* widest text as it stands */
    size_t ilen_w[MT_MAXCOLS]; /* widest integer as printed */
    size_t int_w[MT_MAXCOLS];  /* as floats: widest part before the point */
    size_t frac_w[MT_MAXCOLS]; /* as floats: widest part from the point on */
    size_t width[MT_MAXCOLS];
    char *header[MT_MAXCOLS];
};

static void mt_field(void *s, size_t len, void *data)
{
    struct mt *m = data;
    int i = m->nfields++;

    if (m->rc < 0 || i >= MT_MAXCOLS)
        return;
    if (len + 1 > m->cell_cap[i]) {
        char *p = realloc(m->cells[i], len + 1);

        if (p == NULL) {
            m->rc = FB_ENOMEM;
            return;
        }
        m->cells[i] = p;
        m->cell_cap[i] = len + 1;
    }
    if (len > 0)
        memcpy(m->cells[i], s, len);
    m->cells[i][len] = '\0';
}

/* An integer cell as tabulate prints an int column; false if text is not one. */
static bool mt_int(const char *text, char *buf)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0)
        return false;
    snprintf(buf, NUM_LEN, "%lld", x);
    return true;
}

/* A number as tabulate shows a float (Python's format(x, "g"), which is C's
 * %g), split at the decimal point; false when text is not a number. */
static bool mt_float(const char *text, char *buf, size_t *int_len)
{
    double x;
    char *dot;

    if (*text == '\0' || parse_real(text, &x) < 0)
        return false;
    snprintf(buf, NUM_LEN, "%g", x);
    dot = strchr(buf, '.');
    *int_len = dot != NULL ? (size_t)(dot - buf) : strlen(buf);
    return true;
}

static void mt_measure(struct mt *m)
{
    char num[NUM_LEN];
    size_t il;

    for (int i = 0; i < m->ncols; i++) {
        const char *t = i < m->nfields ? m->cells[i] : "";
        size_t len = strlen(t);

        if (len > m->raw_w[i])
            m->raw_w[i] = len;
        if (!mt_float(t, num, &il)) {
            m->numeric[i] = m->all_int[i] = false;
            continue;
        }
        if (il > m->int_w[i])
            m->int_w[i] = il;
        if (strlen(num) - il > m->frac_w[i])
            m->frac_w[i] = strlen(num) - il;
        if (!mt_int(t, num))
            m->all_int[i] = false;
        else if (strlen(num) > m->ilen_w[i])
            m->ilen_w[i] = strlen(num);
    }
}

static void mt_print(struct mt *m)
{
    char text[MT_MAXCOLS][NUM_LEN];
    const char *cells[MT_MAXCOLS];
    int right[MT_MAXCOLS];
    size_t il;

    for (int i = 0; i < m->ncols; i++) {
        const char *t = i < m->nfields ? m->cells[i] : "";
        char num[NUM_LEN];

        right[i] = m->numeric[i];
        cells[i] = t;
        if (m->all_int[i] && mt_int(t, text[i])) {
            cells[i] = text[i];
        } else if (m->numeric[i] && mt_float(t, num, &il)) {
            /* Decimal alignment: pad the fraction side so the points line up. */
            size_t frac = strlen(num) - il;

            snprintf(text[i], NUM_LEN, "%s%*s", num, (int)(m->frac_w[i] - frac), "");
            cells[i] = text[i];
        }
    }
    fb_grid_line(m->out, m->width, right, m->ncols, cells);
    fb_grid_rule(m->out, m->width, m->ncols, '-');
}

static void mt_record(int c, void *data)
{
    struct mt *m = data;

    (void)c;
    if (m->rc < 0)
        goto out;
    m->record++;
    if (m->record == 1) {
        m->ncols = m->nfields < MT_MAXCOLS ? m->nfields : MT_MAXCOLS;
        if (m->pass == 1) {
            for (int i = 0; i < m->ncols; i++) {
                m->numeric[i] = m->all_int[i] = true;
                if ((m->header[i] = strdup(m->cells[i])) == NULL)
                    m->rc = FB_ENOMEM;
            }
        }
        goto out;
    }
    if (m->pass == 1) {
        m->data_rows++;
        mt_measure(m);
    }
    else
        mt_print(m);
out:
    m->nfields = 0;
}

static int mt_pass(struct mt *m, const char *path)
{
    struct csv_parser p;
    char buf[8192];
    FILE *f;
    size_t n;
    int rc = 0;

    f = fopen(path, "r");
    if (f == NULL)
        return fb_errf(m->eb, FB_EIO, "%s: %s", path, strerror(errno));
    if (csv_init(&p, 0) != 0) {
        fclose(f);
        return FB_ENOMEM;
    }
    m->record = 0;
    m->nfields = 0;
    while (m->rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (csv_parse(&p, buf, n, mt_field, mt_record, m) != n && m->rc == 0)
            m->rc = fb_errf(m->eb, FB_EINVAL, "%s: %s", path, csv_strerror(csv_error(&p)));
    }
    if (m->rc == 0 && ferror(f))
        m->rc = fb_errf(m->eb, FB_EIO, "%s: read error", path);
    if (m->rc == 0)
        csv_fini(&p, mt_field, mt_record, m);
    csv_free(&p);
    fclose(f);
    rc = m->rc;
    return rc;
}

int fb_metrics_table_write(const char *csv_path, FILE *out, struct fb_errbuf *eb)
{
    struct mt *m = calloc(1, sizeof(*m));
    int rc = 0;

    if (m == NULL)
        return FB_ENOMEM;
    m->eb = eb;
    m->out = out;
    m->pass = 1;
    if ((rc = mt_pass(m, csv_path)) < 0)
        goto out;
    if (m->ncols == 0) {
        rc = fb_errf(eb, FB_EINVAL, "%s: empty file (no header)", csv_path);
        goto out;
    }
    for (int i = 0; i < m->ncols; i++) {
        size_t w;

        if (m->data_rows == 0)
            m->numeric[i] = m->all_int[i] = false; /* no rows: text columns */
        w = m->all_int[i] ? m->ilen_w[i] : m->numeric[i] ? m->int_w[i] + m->frac_w[i]
                                                         : m->raw_w[i];
        size_t hw = strlen(m->header[i]) + TABULATE_MIN_PADDING;

        m->width[i] = w > hw ? w : hw;
    }
    fb_grid_rule(out, m->width, m->ncols, '-');
    {
        int right[MT_MAXCOLS];

        for (int i = 0; i < m->ncols; i++)
            right[i] = m->numeric[i];
        fb_grid_line(out, m->width, right, m->ncols, (const char *const *)m->header);
    }
    /* tabulate's grid: '=' under the header, a rule under every row; with
     * no rows, a rule under the '=' one. */
    fb_grid_rule(out, m->width, m->ncols, '=');
    m->pass = 2;
    if ((rc = mt_pass(m, csv_path)) < 0)
        goto out;
    if (m->data_rows == 0)
        fb_grid_rule(out, m->width, m->ncols, '-');
    if (fflush(out) != 0 || ferror(out))
        rc = FB_EIO;
out:
    for (int i = 0; i < MT_MAXCOLS; i++) {
        free(m->cells[i]);
        free(m->header[i]);
    }
    free(m);
    return rc;
}

/* ---- faasbench report ---- */

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: faasbench report RUN_DIR [--no-plots] [--reference POLICY/WARMING] [-q]\n"
            "\n"
            "Rebuilds a run folder's summary.csv/.txt, comparison.csv/.txt,\n"
            "metrics_table.txt, plots/ and report.html from its invocations.csv,\n"
            "without running anything.\n"
            "\n"
            "      --no-plots         tables only\n"
            "      --reference P/W    compare every cell against cell P/W (default: each\n"
            "                         function's first cell in the file)\n"
            "  -q, --quiet            do not print the summary table\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 written, 1 failed, 2 bad usage or reference.\n");
}

int fb_cli_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"no-plots", no_argument, NULL, 'P'}, {"reference", required_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fb_report_opts o = {.echo = stdout};
    struct fb_errbuf eb = {{0}};
    int c, rc;

    argv[0] = (char *)"faasbench report"; /* getopt's messages name the command */
    optind = 0;                   /* glibc: a full rescan, also when called again */
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'P':
            o.no_plots = true;
            break;
        case 'R':
            o.reference = optarg;
            break;
        case 'q':
            o.echo = NULL;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default:
            report_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        report_usage(stderr);
        return 2;
    }
    rc = fb_report_write(argv[optind], &o, &eb);
    if (rc < 0) {
        fprintf(stderr, "faasbench report: %s\n", eb.msg[0] ? eb.msg : fb_strerror(rc));
        return rc == FB_EINVAL ? 2 : 1;
    }
    return 0;
}
