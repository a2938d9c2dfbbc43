/* faultsum.c - faults.csv read back, and each cell's calls before, during
 * and after each of its faults. */
#include "report/faultsum.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/scan.h"
#include "report/stats.h"
#include "report/tabulate.h"

#define FB_ENUM_NAME(id, name) [id] = name,
static const char *const fphase_names[FB_FPHASE_N] = {FB_FPHASE_MAP(FB_ENUM_NAME)};
#undef FB_ENUM_NAME

const char *fb_fphase_name(enum fb_fphase p)
{
    return (int)p >= 0 && p < FB_FPHASE_N ? fphase_names[p] : "unknown";
}

int fb_fphase_parse(const char *name, enum fb_fphase *out)
{
    for (int p = 0; name != NULL && p < FB_FPHASE_N; p++)
        if (strcmp(name, fphase_names[p]) == 0) {
            *out = (enum fb_fphase)p;
            return 0;
        }
    return FB_EINVAL;
}

/* ---- faults.csv ---- */

enum { K_REP, K_POLICY, K_WARMING, K_FAULT, K_NODE, K_ACTION, K_BEGIN, K_END, K_START,
       K_SCALE, K_RUN, K_N };
static const char *const wanted[K_N] = {"repetition", "policy", "warming", "fault", "node",
                                        "action", "begin_ms", "end_ms", "cell_start_ms",
                                        "time_scale", "run_id"};
/* Columns a file may lack (written before them). */
#define OPTIONAL(k) ((k) == K_SCALE || (k) == K_RUN)

struct loader {
    const char *path;
    struct fb_fwins *w;
    size_t cap;
    int field_of[K_N];  /* the header's place of each, -1: absent */
    char *text[K_N];    /* this record's */
    int field;          /* in the record being read */
    long record;
    bool header_done;
    int rc;
    struct fb_errbuf *eb;
};

static void on_field(void *s, size_t len, void *data)
{
    struct loader *L = data;

    if (L->rc == 0 && !L->header_done) {
        for (int k = 0; k < K_N; k++)
            if (strlen(wanted[k]) == len && memcmp(s, wanted[k], len) == 0)
                L->field_of[k] = L->field;
    } else if (L->rc == 0) {
        for (int k = 0; k < K_N; k++)
            if (L->field_of[k] == L->field &&
                (L->text[k] = strndup(s != NULL ? s : "", len)) == NULL)
                L->rc = FB_ENOMEM;
    }
    L->field++;
}

/* A unix ms as faasbench writes it: digits, or empty for 0. */
static bool read_ms(const char *s, int64_t *out)
{
    char *end;

    *out = 0;
    if (s == NULL || *s == '\0')
        return true;
    for (const char *p = s; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    *out = (int64_t)v;
    return errno == 0;
}

static int bad(struct loader *L, const char *col, const char *what)
{
    return fb_errf(L->eb, FB_EINVAL, "%s: row %ld: %s: %s", L->path, L->record, col, what);
}

static void on_record(int c, void *data)
{
    struct loader *L = data;

    (void)c;
    L->record++;
    if (L->rc == 0 && !L->header_done) {
        L->header_done = true;
        for (int k = 0; k < K_N && L->rc == 0; k++)
            if (L->field_of[k] < 0 && !OPTIONAL(k))
                L->rc = fb_errf(L->eb, FB_EINVAL, "%s: no column '%s' in the header", L->path,
                                wanted[k]);
    } else if (L->rc == 0) {
        struct fb_fwin f = {0};
        char *end;

        if (L->w->n == L->cap) {
            size_t cap = L->cap ? L->cap * 2 : 16;
            struct fb_fwin *v = realloc(L->w->v, cap * sizeof(*v));
            if (v == NULL) {
                L->rc = FB_ENOMEM;
                goto out;
            }
            L->w->v = v;
            L->cap = cap;
        }
        for (int k = 0; k < K_N; k++)
            if (L->text[k] == NULL && !OPTIONAL(k)) {
                L->rc = bad(L, wanted[k], "missing (a row cut short)");
                goto out;
            }
        f.repetition = (int)strtol(L->text[K_REP], &end, 10);
        if (*L->text[K_REP] == '\0' || *end != '\0') {
            L->rc = bad(L, "repetition", "not a whole number");
            goto out;
        }
        if (!read_ms(L->text[K_BEGIN], &f.begin_ms) || !read_ms(L->text[K_END], &f.end_ms) ||
            !read_ms(L->text[K_START], &f.cell_start_ms)) {
            L->rc = bad(L, "begin_ms, end_ms or cell_start_ms", "not a unix time in ms");
            goto out;
        }
        f.time_scale = 1.0;
        if (L->text[K_SCALE] != NULL && *L->text[K_SCALE] != '\0') {
            f.time_scale = strtod(L->text[K_SCALE], &end);
            if (*end != '\0' || !(f.time_scale > 0) || !isfinite(f.time_scale)) {
                L->rc = bad(L, "time_scale", "not a positive number");
                goto out;
            }
        }
        f.policy = L->text[K_POLICY];
        f.warming = L->text[K_WARMING];
        f.fault = L->text[K_FAULT];
        f.node = L->text[K_NODE];
        f.action = L->text[K_ACTION];
        f.run_id = L->text[K_RUN];
        L->text[K_POLICY] = L->text[K_WARMING] = L->text[K_FAULT] = NULL;
        L->text[K_NODE] = L->text[K_ACTION] = L->text[K_RUN] = NULL;
        L->w->v[L->w->n++] = f;
    }
out:
    for (int k = 0; k < K_N; k++) {
        free(L->text[k]);
        L->text[k] = NULL;
    }
    L->field = 0;
}

int fb_fwins_load(const char *run_dir, struct fb_fwins *out, struct fb_errbuf *eb)
{
    struct loader L = {.w = out, .eb = eb};
    struct csv_parser p;
    char *path = fb_strf("%s/faults.csv", run_dir), buf[65536];
    FILE *f;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (path == NULL)
        return FB_ENOMEM;
    for (int k = 0; k < K_N; k++)
        L.field_of[k] = -1;
    L.path = path;
    if ((f = fopen(path, "r")) == NULL) {
        int rc = errno == ENOENT ? 0 : fb_errf(eb, FB_EIO, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(f);
        free(path);
        return FB_ENOMEM;
    }
    while (L.rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_record, &L) != n && L.rc == 0)
            L.rc = fb_errf(eb, FB_EINVAL, "%s: %s", path, csv_strerror(csv_error(&p)));
    if (L.rc == 0)
        csv_fini(&p, on_field, on_record, &L);
    csv_free(&p);
    fclose(f);
    for (int k = 0; k < K_N; k++)
        free(L.text[k]);
    if (L.rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, FB_ENOMEM, "%s: out of memory", path);
    free(path);
    if (L.rc < 0)
        fb_fwins_free(out);
    return L.rc;
}

void fb_fwins_free(struct fb_fwins *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].policy);
        free(w->v[i].warming);
        free(w->v[i].fault);
        free(w->v[i].node);
        free(w->v[i].action);
        free(w->v[i].run_id);
    }
    free(w->v);
    memset(w, 0, sizeof(*w));
}

int fb_fwin_phase(const struct fb_fwin *w, int64_t t_ms)
{
    if (w->begin_ms <= 0)
        return -1;
    if (t_ms < w->begin_ms)
        return FB_FPHASE_BEFORE;
    if (w->end_ms <= 0 || t_ms < w->end_ms)
        return FB_FPHASE_DURING;
    return FB_FPHASE_AFTER;
}

static bool same_cell(const struct fb_fwin *w, const struct fb_invocation *row)
{
    return w->repetition == row->repetition && strcmp(w->policy, row->policy) == 0 &&
           strcmp(w->warming, row->warming) == 0;
}

/* ---- the summary ---- */

struct facc {
    long calls, failures, retries, ran, cold;
    struct fb_sample lat;
    double p50, p99;
};

struct sum {
    const struct fb_fwins *w;
    struct facc (*acc)[FB_FPHASE_N]; /* per window */
    int64_t *last_start;             /* per window: the cell's last call */
    /* the cell being read: its windows */
    size_t *cur;
    size_t n_cur;
    bool have_cell;
    int rep;
    char *policy, *warming;
};

/* The current cell's samples summarized and let go. */
static void finish_cell(struct sum *s)
{
    for (size_t i = 0; i < s->n_cur; i++)
        for (int p = 0; p < FB_FPHASE_N; p++) {
            struct facc *a = &s->acc[s->cur[i]][p];
            struct fb_summary sm;
            fb_sample_summarize(&a->lat, &sm);
            a->p50 = sm.p50;
            a->p99 = sm.p99;
            fb_sample_free(&a->lat);
        }
    s->n_cur = 0;
}

static int sum_row(void *ctx, const struct fb_invocation *row, struct fb_errbuf *eb)
{
    struct sum *s = ctx;

    (void)eb;
    if (!s->have_cell || s->rep != row->repetition || strcmp(s->policy, row->policy) != 0 ||
        strcmp(s->warming, row->warming) != 0) {
        finish_cell(s);
        free(s->policy);
        free(s->warming);
        s->policy = strdup(row->policy);
        s->warming = strdup(row->warming);
        if (s->policy == NULL || s->warming == NULL)
            return FB_ENOMEM;
        s->rep = row->repetition;
        s->have_cell = true;
        for (size_t i = 0; i < s->w->n; i++)
            if (same_cell(&s->w->v[i], row))
                s->cur[s->n_cur++] = i;
    }
    if (row->warmup != 0)
        return 0;
    for (size_t i = 0; i < s->n_cur; i++) {
        size_t k = s->cur[i];
        int p = fb_fwin_phase(&s->w->v[k], row->start_ms);
        if (row->start_ms > s->last_start[k])
            s->last_start[k] = row->start_ms;
        if (p < 0)
            continue;
        struct facc *a = &s->acc[k][p];
        bool ok = row->error[0] == '\0' && !isnan(row->latency_ms);
        a->calls++;
        a->failures += !ok;
        a->retries += row->attempts > 1 ? row->attempts - 1 : 0;
        if (row->node[0] != '\0') {
            a->ran++;
            a->cold += strcmp(row->mode, "cold") == 0 || strcmp(row->mode, "pre-warmed") == 0;
        }
        if (ok && fb_sample_add(&a->lat, row->latency_ms) < 0)
            return FB_ENOMEM;
    }
    return 0;
}

static double secs(const struct fb_fwin *w, int64_t t)
{
    return t > 0 ? (double)(t - w->cell_start_ms) / 1000.0 / w->time_scale : NAN;
}

int fb_faultsum_compute(const char *run_dir, const struct fb_fwins *w, struct fb_faultsum *out,
                        struct fb_errbuf *eb)
{
    struct sum s = {.w = w};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (w->n == 0)
        return 0;
    s.acc = calloc(w->n, sizeof(*s.acc));
    s.last_start = calloc(w->n, sizeof(*s.last_start));
    s.cur = calloc(w->n, sizeof(*s.cur));
    out->rows = calloc(w->n * FB_FPHASE_N, sizeof(*out->rows));
    if (s.acc == NULL || s.last_start == NULL || s.cur == NULL || out->rows == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if ((rc = fb_invocations_scan_rows(run_dir, sum_row, &s, NULL, NULL, eb)) < 0)
        goto out;
    finish_cell(&s);
    for (size_t k = 0; k < w->n; k++) {
        const struct fb_fwin *f = &w->v[k];
        if (f->begin_ms <= 0)
            continue; /* it never began: nothing to be before or after */
        double edges[FB_FPHASE_N + 1] = {0, secs(f, f->begin_ms), secs(f, f->end_ms),
                                         secs(f, s.last_start[k])};
        for (int p = 0; p < FB_FPHASE_N; p++) {
            const struct facc *a = &s.acc[k][p];
            out->rows[out->n++] = (struct fb_faultsum_row){
                .run_id = f->run_id,
                .repetition = f->repetition,
                .policy = f->policy,
                .warming = f->warming,
                .fault = f->fault,
                .node = f->node,
                .action = f->action,
                .phase = fb_fphase_name((enum fb_fphase)p),
                .from_s = edges[p],
                .to_s = p == FB_FPHASE_AFTER && a->calls == 0 ? NAN : edges[p + 1],
                .calls = a->calls,
                .failures = a->failures,
                .retries = a->retries,
                .cold_start_ratio = a->ran > 0 ? (double)a->cold / (double)a->ran : NAN,
                .p50_ms = a->p50,
                .p99_ms = a->p99,
            };
        }
    }
out:
    if (rc < 0)
        fb_faultsum_free(out);
    for (size_t k = 0; s.acc != NULL && k < w->n; k++)
        for (int p = 0; p < FB_FPHASE_N; p++)
            fb_sample_free(&s.acc[k][p].lat);
    free(s.acc);
    free(s.last_start);
    free(s.cur);
    free(s.policy);
    free(s.warming);
    if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
        fb_errf(eb, rc, "%s: faults summary: out of memory", run_dir);
    return rc;
}

void fb_faultsum_free(struct fb_faultsum *s)
{
    free(s->rows);
    memset(s, 0, sizeof(*s));
}

int fb_faultsum_write_csv(FILE *f, const struct fb_faultsum *s)
{
    fb_faultsum_header(f);
    for (size_t i = 0; i < s->n; i++)
        fb_faultsum_write(f, &s->rows[i]);
    return fflush(f) != 0 || ferror(f) ? FB_EIO : 0;
}

int fb_faultsum_write_table(FILE *f, const struct fb_faultsum *s)
{
    static const char *const titles[] = {"rep",   "policy",  "warming", "fault", "phase",
                                         "from-to s", "calls", "failed", "retries",
                                         "cold %", "p50",     "p99"};
    static const int right[] = {1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
    struct fb_table t = {0};
    int reps = 0, rc;

    if (s->n == 0)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->rows[i].repetition > 1)
            reps = 1;
    for (size_t i = 0; i < s->n; i++) {
        const struct fb_faultsum_row *r = &s->rows[i];
        if (reps)
            fb_table_addf(&t, "%d", r->repetition);
        fb_table_addf(&t, "%s", r->policy);
        fb_table_addf(&t, "%s", r->warming);
        fb_table_addf(&t, "%s", r->fault);
        fb_table_addf(&t, "%s", r->phase);
        if (isnan(r->to_s))
            fb_table_addf(&t, "%.1f-", r->from_s);
        else
            fb_table_addf(&t, "%.1f-%.1f", r->from_s, r->to_s);
        fb_table_addf(&t, "%ld", r->calls);
        fb_table_addf(&t, "%ld", r->failures);
        fb_table_addf(&t, "%ld", r->retries);
        if (isnan(r->cold_start_ratio))
            fb_table_addf(&t, "-");
        else
            fb_table_addf(&t, "%.1f", 100.0 * r->cold_start_ratio);
        fb_table_add_ms(&t, r->p50_ms);
        fb_table_add_ms(&t, r->p99_ms);
    }
    fprintf(f, "\nFaults (faults.csv): each cell's calls before, during and after each fault's\n"
               "actual window, by when they started (warm-up left out); failed: with an error;\n"
               "retries: attempts past the first after a node failure; cold %%: of the calls\n"
               "that ran, those that started an instance or container; p50 and p99 (ms) of the\n"
               "calls that succeeded. Times are workload seconds after the cell began issuing.\n");
    rc = fb_table_write(f, &t, 12 - !reps, titles + !reps, right + !reps);
    fb_table_free(&t);
    return rc;
}

/* ---- compare --phase ---- */

int fb_phase_filter_row(void *ctx, const struct fb_invocation *row, struct fb_errbuf *eb)
{
    const struct fb_phase_filter *pf = ctx;
    bool any = false, all = true, began = false;

    (void)eb;
    for (size_t i = 0; i < pf->w->n; i++) {
        const struct fb_fwin *w = &pf->w->v[i];
        if (!same_cell(w, row) || (pf->fault != NULL && strcmp(w->fault, pf->fault) != 0))
            continue;
        int p = fb_fwin_phase(w, row->start_ms);
        if (p < 0)
            continue;
        began = true;
        any = any || p == (int)pf->phase;
        all = all && p == (int)pf->phase;
    }
    if (!began)
        return 0;
    return pf->phase == FB_FPHASE_DURING ? any : all;
}
