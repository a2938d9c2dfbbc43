/* scan.c - invocations.csv streamed back, one cell x function at a time. */
#include "report/scan.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvrow.h"
#include "results/invocation.h"
#include "core/types.h"

#define READ_CHUNK 65536

/* ---- reading invocations.csv ---- */

/* One function's rows within the current cell. */
struct acc {
    char *function;
    struct fb_cellacc c;
    size_t *per_node;
    size_t n_per_node;
};

/* Up to 40 bytes of field text for a message: printable ASCII as it is,
 * every other byte (a NUL, an escape sequence) as \xNN. */
static void quote_text(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < len && i < 40 && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
    }
    if (len > 40 && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* A finished cell, kept to refuse its key if it comes back. */
struct done_cell {
    char *policy, *warming; /* NULL: an empty slot */
    int rep;
    size_t first, last;     /* its rows (records) in the file */
};

struct scan {
    const char *path;
    fb_cellfn_cb cb;            /* NULL: only filter sees the rows */
    void *ctx;
    fb_row_filter filter;       /* NULL: every row counts */
    void *fctx;
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
    size_t cell_first, cell_last; /* the current cell's rows */
    bool cell_open;               /* a row of it has intended_start_ms != start_ms */
    bool have_starts;             /* the file has intended_start_ms and start_ms */
    /* every finished cell: an open-addressing set, a power of two of slots */
    struct done_cell *done;
    size_t n_done, done_cap;
    const struct done_cell *last_done; /* the cell before the current one */
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
    sc->have_starts =
        sc->map.field[FB_IC_intended_start_ms] >= 0 && sc->map.field[FB_IC_start_ms] >= 0;
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
    fb_cellacc_clear(&a->c);
    if (a->per_node != NULL)
        memset(a->per_node, 0, a->n_per_node * sizeof(*a->per_node));
}

static void acc_free(struct acc *a)
{
    free(a->function);
    fb_cellacc_free(&a->c);
    free(a->per_node);
}

static uint64_t cell_hash(int rep, const char *policy, const char *warming)
{
    uint64_t h = 0xcbf29ce484222325u ^ (uint32_t)rep;

    /* FNV-1a over both names with their terminating NULs: unambiguous. */
    for (const char *p = policy;; p++) {
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
        if (*p == '\0')
            break;
    }
    for (const char *p = warming; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
    return h;
}

/* The slot of the key in done[], or the empty slot where it would go. */
static struct done_cell *done_slot(struct done_cell *done, size_t cap, int rep,
                                   const char *policy, const char *warming)
{
    size_t i = (size_t)cell_hash(rep, policy, warming) & (cap - 1);

    while (done[i].policy != NULL && (done[i].rep != rep || strcmp(done[i].policy, policy) != 0 ||
                                      strcmp(done[i].warming, warming) != 0))
        i = (i + 1) & (cap - 1);
    return &done[i];
}

static const struct done_cell *done_find(const struct scan *sc, int rep, const char *policy,
                                         const char *warming)
{
    const struct done_cell *d;

    if (sc->done_cap == 0)
        return NULL;
    d = done_slot(sc->done, sc->done_cap, rep, policy, warming);
    return d->policy != NULL ? d : NULL;
}

/* Moves the current cell's key into the set of finished cells; on ENOMEM it
 * stays the current cell's, which flush_cell frees. */
static int done_add(struct scan *sc)
{
    struct done_cell *d;

    if ((sc->n_done + 1) * 2 > sc->done_cap) {
        size_t cap = sc->done_cap != 0 ? sc->done_cap * 2 : 64;
        struct done_cell *v = calloc(cap, sizeof(*v));

        if (v == NULL)
            return FB_ENOMEM;
        for (size_t i = 0; i < sc->done_cap; i++)
            if (sc->done[i].policy != NULL)
                *done_slot(v, cap, sc->done[i].rep, sc->done[i].policy,
                           sc->done[i].warming) = sc->done[i];
        free(sc->done);
        sc->done = v;
        sc->done_cap = cap;
    }
    d = done_slot(sc->done, sc->done_cap, sc->rep, sc->policy, sc->warming);
    /* A key is never added twice: start_cell refuses one seen before. */
    *d = (struct done_cell){sc->policy, sc->warming, sc->rep, sc->cell_first, sc->cell_last};
    sc->policy = sc->warming = NULL;
    sc->n_done++;
    sc->last_done = d;
    return 0;
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
        fb_cellacc_lend(&a->c, sc->cell_open, &c);
        c.run_id = sc->run_id;
        c.repetition = sc->rep;
        c.policy = sc->policy;
        c.warming = sc->warming;
        c.function = a->function;
        c.per_node = a->per_node;
        c.nodes = (const char *const *)sc->nodes;
        c.n_nodes = sc->n_nodes;
        if (sc->cb != NULL)
            rc = sc->cb(sc->ctx, &c, sc->eb);
        fb_cellacc_back(&a->c, &c);
    }
    for (size_t i = 0; i < sc->n_accs; i++)
        acc_reset(&sc->accs[i]);
    sc->n_accs = 0;
    if (rc == 0)
        rc = done_add(sc);
    free(sc->run_id);
    free(sc->policy);
    free(sc->warming);
    sc->run_id = sc->policy = sc->warming = NULL;
    sc->in_cell = false;
    return rc;
}

/* s as message text (quote_text), in a buffer of cap bytes. */
static const char *msg_text(char *buf, size_t cap, const char *s)
{
    quote_text(buf, cap, s, strlen(s));
    return buf;
}

/* A cell's rows are contiguous: cells run one after another, and a resumed
 * run rewrites the cell it cut short whole. A key that comes back after
 * another cell began is refused; grouping such rows would mean holding
 * every cell at once (or a pass over the file per cell), for a file that no
 * run wrote (two files joined, rows sorted by something else). */
static int interleaved(struct scan *sc, const struct done_cell *d)
{
    const struct done_cell *p = sc->last_done;
    char a[200], b[200], c[200], e[200], rows[64];

    if (d->first == d->last)
        snprintf(rows, sizeof(rows), "row %zu", d->first);
    else
        snprintf(rows, sizeof(rows), "rows %zu-%zu", d->first, d->last);
    return fb_errf(sc->eb, FB_EINVAL,
                   "%s: row %zu: cell %d %s/%s (%s) comes back after cell %d %s/%s began "
                   "(row %zu); a run writes each cell's rows together, so this file was "
                   "joined or reordered",
                   sc->path, sc->record, d->rep, msg_text(a, sizeof(a), d->policy),
                   msg_text(b, sizeof(b), d->warming), rows, p->rep,
                   msg_text(c, sizeof(c), p->policy), msg_text(e, sizeof(e), p->warming),
                   p->first);
}

static int start_cell(struct scan *sc, const struct fb_invocation *inv)
{
    const struct done_cell *d = done_find(sc, inv->repetition, inv->policy, inv->warming);

    if (d != NULL)
        return interleaved(sc, d);
    sc->cell_first = sc->record;
    sc->cell_open = false;
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

static int bad_field(struct scan *sc, enum fb_inv_column c, const char *why)
{
    char text[200];

    quote_text(text, sizeof(text), fb_invocation_text(&sc->map, &sc->row, c),
               fb_invocation_text_len(&sc->map, &sc->row, c));
    /* A NUL byte's text only shows escaped: the problem first, then it. */
    if (strncmp(why, "holds a NUL", 11) == 0)
        return fb_errf(sc->eb, FB_EINVAL, "%s: row %zu: %s: %s: '%s'", sc->path, sc->record,
                       fb_invocation_columns[c].name, why, text);
    return fb_errf(sc->eb, FB_EINVAL, "%s: row %zu: %s: '%s' %s", sc->path, sc->record,
                   fb_invocation_columns[c].name, text, why);
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
        rc = bad_field(sc, bad, fb_invocation_problem(&sc->map, &sc->row, bad));
        goto out;
    }
    if (inv.repetition < 0) {
        rc = bad_field(sc, FB_IC_repetition, "is negative (repetitions count from 1)");
        goto out;
    }
    if (sc->in_cell && (inv.repetition != sc->rep || strcmp(sc->policy, inv.policy) != 0 ||
                        strcmp(sc->warming, inv.warming) != 0)) {
        if ((rc = flush_cell(sc)) < 0)
            goto out;
    }
    if (!sc->in_cell && (rc = start_cell(sc, &inv)) < 0)
        goto out;
    sc->cell_last = sc->record;
    if ((a = find_acc(sc, inv.function)) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if (sc->have_starts && inv.intended_start_ms != inv.start_ms)
        sc->cell_open = true;
    if (sc->filter != NULL) {
        int keep = sc->filter(sc->fctx, &inv, sc->eb);
        if (keep <= 0) {
            rc = keep;
            goto out;
        }
    }
    if (inv.warmup == 0 && *inv.node != '\0') {
        long k = node_index(sc, inv.node);

        if (k < 0 || acc_nodes(a, (size_t)k + 1) < 0) {
            rc = FB_ENOMEM;
            goto out;
        }
        a->per_node[k]++;
    }
    rc = fb_cellacc_add(&a->c, &inv, sc->have_starts);
out:
    return rc;
}

/* ---- what a cell's rows add up to ---- */

int fb_cellacc_add(struct fb_cellacc *a, const struct fb_invocation *inv, bool starts)
{
    int rc = 0;

    if (inv->warmup != 0) {
        /* Issued in the cell's warm-up: not steady state, not summarized. */
        a->warmup++;
        return 0;
    }
    a->rows++;
    for (int m = 0; m < 3; m++)
        if (strcmp(inv->mode, fb_warming_name((enum fb_warming)m)) == 0)
            a->mode_count[m]++;
    if (*inv->error != '\0' || isnan(inv->latency_ms)) {
        a->errors++;
        return 0;
    }
    rc |= fb_sample_add(&a->lat, inv->latency_ms);
    /* The phases each column feeds (overhead, queue and client are derived).
     * Both starts are whole ms in [0, INT64_MAX] (the reader refuses negative
     * ones), so their difference cannot overflow. */
    double queue = starts ? (double)(inv->start_ms - inv->intended_start_ms) : NAN;
    const double phase[FB_NPHASES] = {
        [FB_PHASE_SELECT] = inv->select_ms, [FB_PHASE_PULL] = inv->pull_ms,
        [FB_PHASE_RUN] = inv->run_ms,       [FB_PHASE_CLEANUP] = inv->cleanup_ms,
        [FB_PHASE_OVERHEAD] = isnan(inv->node_exec_ms) ? NAN
                                                       : inv->latency_ms - inv->node_exec_ms,
        [FB_PHASE_CREATE] = inv->create_ms, [FB_PHASE_READY] = inv->ready_ms,
        [FB_PHASE_INIT] = inv->init_ms,     [FB_PHASE_INVOKE] = inv->invoke_ms,
        [FB_PHASE_HANDLER] = inv->handler_ms, [FB_PHASE_QUEUE] = queue,
        [FB_PHASE_CLIENT] = queue + inv->latency_ms,
    };
    for (int p = 0; p < FB_NPHASES; p++)
        if (!isnan(phase[p]))
            rc |= fb_sample_add(&a->phase[p], phase[p]);
    /* Asked against measured: the handler's time, else the command's. */
    double measured = isnan(inv->handler_ms) ? inv->node_exec_ms : inv->handler_ms;
    if (!isnan(inv->asked_duration_ms)) {
        rc |= fb_sample_add(&a->asked, inv->asked_duration_ms);
        if (!isnan(measured))
            rc |= fb_sample_add(&a->measured, measured);
        if (!isnan(measured) && inv->asked_duration_ms > 0)
            rc |= fb_sample_add(&a->slip, 100.0 * (measured - inv->asked_duration_ms) /
                                              inv->asked_duration_ms);
    }
    return rc < 0 ? FB_ENOMEM : 0;
}

void fb_cellacc_lend(struct fb_cellacc *a, bool open, struct fb_cellfn *c)
{
    if (!open) {
        /* start - intended is 0 throughout: no queue, nothing to show. */
        fb_sample_clear(&a->phase[FB_PHASE_QUEUE]);
        fb_sample_clear(&a->phase[FB_PHASE_CLIENT]);
    }
    fb_sort_doubles(a->lat.v, a->lat.n);
    for (int p = 0; p < FB_NPHASES; p++)
        fb_sort_doubles(a->phase[p].v, a->phase[p].n);
    fb_sort_doubles(a->asked.v, a->asked.n);
    fb_sort_doubles(a->measured.v, a->measured.n);
    fb_sort_doubles(a->slip.v, a->slip.n);
    c->rows = a->rows;
    c->errors = a->errors;
    c->warmup = a->warmup;
    memcpy(c->mode_count, a->mode_count, sizeof(c->mode_count));
    c->lat = a->lat;
    memcpy(c->phase, a->phase, sizeof(c->phase));
    c->asked = a->asked;
    c->measured = a->measured;
    c->slip = a->slip;
    c->open_loop = open;
}

void fb_cellacc_back(struct fb_cellacc *a, const struct fb_cellfn *c)
{
    /* {0} where the callback took a sample. */
    a->lat = c->lat;
    memcpy(a->phase, c->phase, sizeof(a->phase));
    a->asked = c->asked;
    a->measured = c->measured;
    a->slip = c->slip;
}

void fb_cellacc_clear(struct fb_cellacc *a)
{
    a->rows = a->errors = a->warmup = 0;
    memset(a->mode_count, 0, sizeof(a->mode_count));
    fb_sample_clear(&a->lat);
    for (int p = 0; p < FB_NPHASES; p++)
        fb_sample_clear(&a->phase[p]);
    fb_sample_clear(&a->asked);
    fb_sample_clear(&a->measured);
    fb_sample_clear(&a->slip);
}

void fb_cellacc_free(struct fb_cellacc *a)
{
    fb_sample_free(&a->lat);
    for (int p = 0; p < FB_NPHASES; p++)
        fb_sample_free(&a->phase[p]);
    fb_sample_free(&a->asked);
    fb_sample_free(&a->measured);
    fb_sample_free(&a->slip);
    memset(a, 0, sizeof(*a));
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
    for (size_t i = 0; i < sc->done_cap; i++) {
        free(sc->done[i].policy);
        free(sc->done[i].warming);
    }
    free(sc->done);
    free(sc->run_id);
    free(sc->policy);
    free(sc->warming);
}

int fb_invocations_scan(const char *run_dir, fb_cellfn_cb cb, void *ctx, struct fb_errbuf *eb)
{
    return fb_invocations_scan_rows(run_dir, NULL, NULL, cb, ctx, eb);
}

int fb_invocations_scan_rows(const char *run_dir, fb_row_filter filter, void *fctx,
                             fb_cellfn_cb cb, void *ctx, struct fb_errbuf *eb)
{
    struct scan sc = {.cb = cb, .ctx = ctx, .filter = filter, .fctx = fctx, .eb = eb};
    struct csv_parser p;
    bool parser = false;
    char *path = NULL, *buf = NULL;
    FILE *f = NULL;
    size_t n;
    int rc = 0;

    if (run_dir == NULL || (cb == NULL && filter == NULL)) {
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

