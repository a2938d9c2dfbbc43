/* scan.c - invocations.csv streamed back, one cell x function at a time. */
#include "scan.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvrow.h"
#include "invocation.h"
#include "types.h"

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

/* ---- reading invocations.csv ---- */

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
    struct fb_invocation_map map;
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

static int map_header(struct scan *sc)
{
    const char *missing = NULL;

    if (fb_invocation_map_header(&sc->map, &sc->row, &missing) < 0)
        return fb_errf(sc->eb, FB_EINVAL, "%s: no column '%s' in the header", sc->path,
                       missing);
    sc->have_header = true;
    return 0;
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

static int start_cell(struct scan *sc, const struct fb_invocation *inv)
{
    sc->rep = inv->repetition;
    sc->run_id = strdup(inv->run_id);
    sc->policy = strdup(inv->policy);
    sc->warming = strdup(inv->warming);
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

static int bad_number(struct scan *sc, enum fb_inv_column c)
{
    return fb_errf(sc->eb, FB_EINVAL, "%s: row %zu: %s: '%.40s' is not a number", sc->path,
                   sc->record, fb_invocation_columns[c].name,
                   fb_invocation_text(&sc->map, &sc->row, c));
}

static int add_row(struct scan *sc)
{
    struct fb_invocation inv;
    enum fb_inv_column bad;
    struct acc *a;
    int rc = 0;

    if (sc->row.n < sc->map.header_fields) {
        /* A row cut short (the run was killed mid-write): not data. */
        sc->short_rows++;
        goto out;
    }
    if (fb_invocation_read(&sc->map, &sc->row, &inv, &bad) < 0) {
        rc = bad_number(sc, bad);
        goto out;
    }
    if (inv.repetition < 0) {
        rc = bad_number(sc, FB_IC_repetition);
        goto out;
    }
    if (sc->in_cell && (inv.repetition != sc->rep || strcmp(sc->policy, inv.policy) != 0 ||
                        strcmp(sc->warming, inv.warming) != 0)) {
        if ((rc = flush_cell(sc)) < 0)
            goto out;
    }
    if (!sc->in_cell && (rc = start_cell(sc, &inv)) < 0)
        goto out;
    if ((a = find_acc(sc, inv.function)) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    a->rows++;
    if (*inv.node != '\0') {
        long k = node_index(sc, inv.node);

        if (k < 0 || acc_nodes(a, (size_t)k + 1) < 0) {
            rc = FB_ENOMEM;
            goto out;
        }
        a->per_node[k]++;
    }
    for (int m = 0; m < 3; m++)
        if (strcmp(inv.mode, fb_warming_name((enum fb_warming)m)) == 0)
            a->mode_count[m]++;

    if (*inv.error != '\0' || isnan(inv.latency_ms)) {
        a->errors++;
        goto out;
    }
    if (fb_sample_add(&a->lat, inv.latency_ms) < 0) {
        rc = FB_ENOMEM;
        goto out;
    }
    /* The phases each column feeds (overhead is derived). */
    const double phase[FB_PHASE_OVERHEAD] = {
        [FB_PHASE_SELECT] = inv.select_ms, [FB_PHASE_PULL] = inv.pull_ms,
        [FB_PHASE_RUN] = inv.run_ms,       [FB_PHASE_CLEANUP] = inv.cleanup_ms,
    };
    for (int p = 0; p < FB_PHASE_OVERHEAD; p++) {
        if (!isnan(phase[p]) && fb_sample_add(&a->phase[p], phase[p]) < 0) {
            rc = FB_ENOMEM;
            goto out;
        }
    }
    if (!isnan(inv.node_exec_ms) &&
        fb_sample_add(&a->phase[FB_PHASE_OVERHEAD], inv.latency_ms - inv.node_exec_ms) < 0)
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

