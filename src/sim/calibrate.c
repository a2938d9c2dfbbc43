/* calibrate.c - a node model from real run folders: every successful row past
 * warm-up adds its phases to its function's and mode's samples; each phase's
 * samples become quantiles. */
#include "sim/calibrate.h"

#include <csv.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvrow.h"
#include "core/strmap.h"
#include "results/invocation.h"

#define READ_CHUNK 65536

struct samples {
    double *v;
    long n, cap;
};

struct cfn {
    char *name;         /* the function's, or the pool's pattern */
    bool pool;
    double memory_mb;
    long failed, warmup, used;
    struct samples s[FB_MODEL_MODES][FB_MPHASE_N];
};

struct cal {
    const char *path;
    struct fb_errbuf *eb;
    int rc;
    struct fb_csvrow row;
    bool have_header;
    struct fb_invocation_map map;
    int asked_col;      /* asked_duration_ms, when the file has it; -1 */
    struct cfn *fns;
    int n_fns, cap_fns;
    const struct fb_calibrate_opts *o;
    long rows, used;
    bool instances;     /* reading instances.csv: for the memory, or */
    bool evictions;     /* (before the rows) for the evictions */
    int ins_fn, ins_mem, ins_name, ins_event, ins_ms;
    /* The run's instances that expired, and when (unix ms): a row whose
     * instance left as its call ended measured a removal. */
    struct fb_strmap evicted;
    int64_t *evicted_ms;
    size_t evicted_cap;
};

static int add(struct samples *s, double v)
{
    if (!isfinite(v))
        return 0;
    if (v < 0)
        v = 0;
    if (s->n == s->cap) {
        long cap = s->cap ? s->cap * 2 : 64;
        double *p = realloc(s->v, sizeof(double) * (size_t)cap);
        if (p == NULL)
            return FB_ENOMEM;
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

static struct cfn *fn_of(struct cal *c, const char *name)
{
    bool pool = false;

    /* A function of a pool counts as the pool. */
    for (int i = 0; i < c->o->n_pools && !pool; i++)
        if (fnmatch(c->o->pools[i], name, 0) == 0) {
            name = c->o->pools[i];
            pool = true;
        }
    for (int i = 0; i < c->n_fns; i++)
        if (strcmp(c->fns[i].name, name) == 0)
            return &c->fns[i];
    if (c->n_fns == c->cap_fns) {
        int cap = c->cap_fns ? 2 * c->cap_fns : 8;
        struct cfn *p = realloc(c->fns, sizeof(*p) * (size_t)cap);
        if (p == NULL)
            return NULL;
        c->fns = p;
        c->cap_fns = cap;
    }
    struct cfn *f = &c->fns[c->n_fns];
    memset(f, 0, sizeof(*f));
    if ((f->name = strdup(name)) == NULL)
        return NULL;
    f->pool = pool;
    c->n_fns++;
    return f;
}

static int mode_of(const char *mode)
{
    enum fb_warming w;
    if (fb_warming_parse(mode, &w) < 0 || w >= FB_MODEL_MODES)
        return -1;
    return (int)w;
}

/* Whether inv's instance expired as its call ended (its event between the
 * answer and the end of the cleanup, give or take a few ms of the two
 * clocks' rounding): the cleanup then removed it. (An instance evicted for
 * room is removed by the start that needed it; one expired later, by the
 * keep-alive timers.) */
static bool left_after(const struct cal *c, const struct fb_invocation *inv)
{
    if (inv->instance == NULL || inv->instance[0] == '\0' || isnan(inv->total_ms))
        return false;
    long k = fb_strmap_get(&c->evicted, inv->instance, strlen(inv->instance));
    if (k < 0)
        return false;
    double at = (double)(c->evicted_ms[k] - inv->start_ms);
    return at >= inv->latency_ms - 5.0 && at <= inv->total_ms + 5.0;
}

/* One event of instances.csv: an expiry is kept. */
static int use_eviction(struct cal *c)
{
    const struct fb_csvrow *row = &c->row;
    double ms;
    long k;

    if (c->ins_name < 0 || c->ins_event < 0 || c->ins_ms < 0 ||
        strcmp(fb_csvrow_get(row, (size_t)c->ins_event), "evict-expired") != 0 ||
        fb_csv_real(fb_csvrow_get(row, (size_t)c->ins_ms), &ms) < 0 || !isfinite(ms))
        return 0;
    const char *name = fb_csvrow_get(row, (size_t)c->ins_name);
    if (fb_strmap_intern(&c->evicted, name, strlen(name), &k) < 0)
        return FB_ENOMEM;
    if ((size_t)k >= c->evicted_cap) {
        size_t cap = c->evicted_cap ? 2 * c->evicted_cap : 256;
        int64_t *p = realloc(c->evicted_ms, cap * sizeof(*p));
        if (p == NULL)
            return FB_ENOMEM;
        c->evicted_ms = p;
        c->evicted_cap = cap;
    }
    c->evicted_ms[k] = (int64_t)ms;
    return 0;
}

/* One row of invocations.csv. */
static int use_row(struct cal *c, const struct fb_invocation *inv, double asked)
{
    struct cfn *f = fn_of(c, inv->function);
    int m = mode_of(inv->mode), rc = 0;

    if (f == NULL)
        return FB_ENOMEM;
    if (inv->error != NULL && inv->error[0] != '\0') {
        f->failed++;
        return 0;
    }
    if (inv->warmup) {
        f->warmup++;
        return 0;
    }
    if (m < 0 || isnan(inv->latency_ms))
        return 0;
    bool ka = strncmp(inv->warming, "keep-alive", 10) == 0;
    bool resident = !isnan(inv->create_ms);
    struct samples *s = f->s[m];
    double room = isnan(inv->room_ms) ? 0 : inv->room_ms;

    f->used++;
    c->used++;
    rc |= add(&s[FB_PH_SELECT], inv->select_ms - room);
    if (m == FB_WARM_COLD)
        rc |= add(&s[FB_PH_PULL], inv->pull_ms);
    if (resident) {
        if (m != FB_WARM_WARMED) {
            rc |= add(&s[FB_PH_CREATE], inv->create_ms);
            rc |= add(&s[FB_PH_READY], inv->ready_ms);
            rc |= add(&s[FB_PH_INIT], inv->init_ms);
        }
        rc |= add(&s[FB_PH_HANDLER], inv->handler_ms);
        rc |= add(&s[FB_PH_CALL], inv->invoke_ms - inv->handler_ms);
        rc |= add(&s[FB_PH_HANDLER_EXTRA], inv->handler_ms - asked);
    } else {
        rc |= add(&s[FB_PH_RUN], inv->run_ms);
        rc |= add(&s[FB_PH_RUN_EXTRA], inv->run_ms - asked);
    }
    rc |= add(&s[ka ? FB_PH_KA_CLEANUP : FB_PH_CLEANUP], inv->cleanup_ms);
    if (ka && left_after(c, inv))
        rc |= add(&s[FB_PH_REMOVE], inv->cleanup_ms);
    rc |= add(&s[FB_PH_OVERHEAD], inv->latency_ms - inv->node_exec_ms);
    return rc < 0 ? FB_ENOMEM : 0;
}

static void on_field(void *s, size_t len, void *data)
{
    struct cal *c = data;
    if (c->rc == 0 && fb_csvrow_add(&c->row, s, len, SIZE_MAX) < 0)
        c->rc = FB_ENOMEM;
}

static int header(struct cal *c)
{
    const char *missing = NULL;

    c->have_header = true;
    if (c->instances) {
        c->ins_fn = c->ins_mem = c->ins_name = c->ins_event = c->ins_ms = -1;
        for (size_t i = 0; i < c->row.n; i++) {
            const char *h = fb_csvrow_get(&c->row, i);
            if (strcmp(h, "function") == 0)
                c->ins_fn = (int)i;
            if (strcmp(h, "memory_mb") == 0)
                c->ins_mem = (int)i;
            if (strcmp(h, "instance") == 0)
                c->ins_name = (int)i;
            if (strcmp(h, "event") == 0)
                c->ins_event = (int)i;
            if (strcmp(h, "unix_ms") == 0)
                c->ins_ms = (int)i;
        }
        return 0;
    }
    if (fb_invocation_map_header(&c->map, &c->row, &missing) < 0)
        return fb_errf(c->eb, FB_EINVAL, "%s: no column '%s' in the header", c->path, missing);
    c->asked_col = -1;
    for (size_t i = 0; i < c->row.n; i++)
        if (strcmp(fb_csvrow_get(&c->row, i), "asked_duration_ms") == 0)
            c->asked_col = (int)i;
    return 0;
}

static void on_record(int ch, void *data)
{
    struct cal *c = data;
    (void)ch;

    if (c->rc == 0) {
        if (!c->have_header) {
            c->rc = header(c);
        } else if (c->evictions) {
            c->rc = use_eviction(c);
        } else if (c->instances) {
            double mb;
            if (c->ins_fn >= 0 && c->ins_mem >= 0 &&
                fb_csv_real(fb_csvrow_get(&c->row, (size_t)c->ins_mem), &mb) == 0 &&
                isfinite(mb)) {
                struct cfn *f = fn_of(c, fb_csvrow_get(&c->row, (size_t)c->ins_fn));
                if (f == NULL)
                    c->rc = FB_ENOMEM;
                else
                    f->memory_mb = mb;
            }
        } else {
            struct fb_invocation inv;
            enum fb_inv_column bad;
            double asked = NAN;
            c->rows++;
            if (fb_invocation_read(&c->map, &c->row, &inv, &bad) < 0) {
                c->rc = fb_errf(c->eb, FB_EINVAL, "%s: row %ld: %s: %s", c->path, c->rows,
                                fb_invocation_columns[bad].name,
                                fb_invocation_problem(&c->map, &c->row, bad));
            } else {
                if (c->asked_col >= 0 &&
                    fb_csv_real(fb_csvrow_get(&c->row, (size_t)c->asked_col), &asked) < 0)
                    asked = NAN;
                c->rc = use_row(c, &inv, asked);
            }
        }
    }
    fb_csvrow_next(&c->row);
}

/* Reads one CSV file through the callbacks; a missing optional file is fine. */
static int read_csv(struct cal *c, const char *path, bool optional)
{
    struct csv_parser p;
    char *buf = malloc(READ_CHUNK);
    FILE *f;
    size_t n;

    if (buf == NULL)
        return FB_ENOMEM;
    if ((f = fopen(path, "r")) == NULL) {
        free(buf);
        if (optional && errno == ENOENT)
            return 0;
        return fb_errf(c->eb, FB_EIO, "%s: %s", path, strerror(errno));
    }
    c->path = path;
    c->have_header = false;
    c->rc = 0;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(f);
        free(buf);
        return FB_ENOMEM;
    }
    while (c->rc == 0 && (n = fread(buf, 1, READ_CHUNK, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_record, c) != n && c->rc == 0)
            c->rc = fb_errf(c->eb, FB_EINVAL, "%s: %s", path, csv_strerror(csv_error(&p)));
    if (c->rc == 0)
        csv_fini(&p, on_field, on_record, c);
    csv_free(&p);
    fclose(f);
    free(buf);
    if (c->rc == 0 && !c->have_header && !optional)
        c->rc = fb_errf(c->eb, FB_EINVAL, "%s: empty file (no header)", path);
    return c->rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int note(struct fb_model *m, FILE *notes, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line of what was not calibrated: in the model and in the notes. */
static int note(struct fb_model *m, FILE *notes, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    char **p = realloc(m->uncalibrated, sizeof(char *) * (size_t)(m->n_uncalibrated + 1));
    if (p == NULL)
        return FB_ENOMEM;
    m->uncalibrated = p;
    if ((p[m->n_uncalibrated] = strdup(line)) == NULL)
        return FB_ENOMEM;
    m->n_uncalibrated++;
    if (notes != NULL)
        fprintf(notes, "calibrate: %s\n", line);
    return 0;
}

/* The phases a function's rows of mode m hold, by what ran. */
static bool expected(const struct cfn *f, int m, int p)
{
    bool resident = f->s[FB_WARM_COLD][FB_PH_CREATE].n + f->s[FB_WARM_PREWARMED][FB_PH_CREATE].n +
                        f->s[m][FB_PH_HANDLER].n >
                    0;
    switch (p) {
    case FB_PH_PULL:
        return m == FB_WARM_COLD;
    case FB_PH_CREATE:
    case FB_PH_READY:
    case FB_PH_INIT:
        return resident && m != FB_WARM_WARMED;
    case FB_PH_HANDLER:
    case FB_PH_CALL:
        return resident;
    case FB_PH_RUN:
        return !resident;
    case FB_PH_HANDLER_EXTRA:
        return resident;
    case FB_PH_RUN_EXTRA:
        return !resident;
    case FB_PH_CLEANUP:
    case FB_PH_KA_CLEANUP:
        return false; /* one or the other, by the cells measured */
    case FB_PH_REMOVE:
        return false; /* per function, below */
    default:
        return true;
    }
}

/* A phase of mode md with no samples of its own taken from another mode's
 * rows of the function, nearest first: the call's phases from any mode, a
 * start's (create, ready, init) only between the two modes that start an
 * instance, a pull from none. So that a mode the real run never reached (a
 * rare function never found warm) can still be simulated; each one taken is
 * listed in the model's uncalibrated notes. */
static int stand_in(struct cfn *f, struct fb_model_fn *mf, int md, const struct fb_calibrate_opts *o,
                    struct fb_model *m)
{
    static const int nearest[FB_MODEL_MODES][2] = {
        [FB_WARM_COLD] = {FB_WARM_PREWARMED, FB_WARM_WARMED},
        [FB_WARM_PREWARMED] = {FB_WARM_WARMED, FB_WARM_COLD},
        [FB_WARM_WARMED] = {FB_WARM_PREWARMED, FB_WARM_COLD},
    };
    char taken[2][200] = {"", ""};
    int rc = 0;

    for (int p = 0; p < FB_MPHASE_N && rc == 0; p++) {
        bool start = p == FB_PH_CREATE || p == FB_PH_READY || p == FB_PH_INIT;
        if (mf->d[md][p].set || p == FB_PH_PULL || (start && md == FB_WARM_WARMED))
            continue;
        for (int k = 0; k < 2; k++) {
            int src = nearest[md][k];
            if (f->s[src][p].n == 0 || (start && src == FB_WARM_WARMED))
                continue;
            if ((rc = fb_dist_from_sorted(&mf->d[md][p], f->s[src][p].v, f->s[src][p].n)) < 0)
                return rc;
            size_t len = strlen(taken[k]);
            snprintf(taken[k] + len, sizeof(taken[k]) - len, "%s%s", len ? ", " : "",
                     fb_model_phase_name(p));
            break;
        }
    }
    for (int k = 0; k < 2 && rc == 0; k++)
        if (taken[k][0] != '\0')
            rc = note(m, o->notes, "%s: %s: %s: no samples of its own; its %s rows' stand in",
                      f->name, fb_model_mode_name(md), taken[k],
                      fb_model_mode_name(nearest[md][k]));
    return rc;
}

static int build(struct cal *c, const struct fb_calibrate_opts *o, struct fb_model *m)
{
    int min = o->min_samples > 0 ? o->min_samples : 10, rc = 0;

    if ((m->fns = calloc((size_t)(c->n_fns > 0 ? c->n_fns : 1), sizeof(*m->fns))) == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < c->n_fns && rc == 0; i++) {
        struct cfn *f = &c->fns[i];
        struct fb_model_fn *mf = &m->fns[m->n_fns++];
        if ((mf->name = strdup(f->name)) == NULL)
            return FB_ENOMEM;
        /* A pool's functions keep the experiment's memory each. */
        mf->memory_mb = f->pool ? 0 : f->memory_mb;
        if (f->failed > 0)
            rc = note(m, o->notes, "%s: %ld failed row%s left out", f->name, f->failed,
                      f->failed == 1 ? "" : "s");
        if (rc == 0 && f->used == 0)
            rc = note(m, o->notes, "%s: no successful row past warm-up: nothing calibrated",
                      f->name);
        for (int md = 0; md < FB_MODEL_MODES && rc == 0; md++) {
            bool ran = f->s[md][FB_PH_SELECT].n > 0;
            if (!ran) {
                rc = note(m, o->notes, "%s: %s: no rows ran %s", f->name,
                          fb_model_mode_name(md), fb_warming_name(md));
                continue;
            }
            for (int p = 0; p < FB_MPHASE_N && rc == 0; p++) {
                struct samples *s = &f->s[md][p];
                if (s->n == 0) {
                    if (expected(f, md, p))
                        rc = note(m, o->notes, "%s: %s: %s: no samples%s", f->name,
                                  fb_model_mode_name(md), fb_model_phase_name(p),
                                  p == FB_PH_HANDLER_EXTRA
                                      ? " (the rows say no asked work): a trace's asked "
                                        "duration is taken as the whole handler time"
                                  : p == FB_PH_RUN_EXTRA
                                      ? " (the rows say no asked work): a trace's asked "
                                        "duration is taken as the whole run step"
                                      : "");
                    continue;
                }
                if (s->n < min &&
                    (rc = note(m, o->notes, "%s: %s: %s: only %ld sample%s (fewer than %d)",
                               f->name, fb_model_mode_name(md), fb_model_phase_name(p), s->n,
                               s->n == 1 ? "" : "s", min)) < 0)
                    break;
                qsort(s->v, (size_t)s->n, sizeof(double), cmp_double);
                rc = fb_dist_from_sorted(&mf->d[md][p], s->v, s->n);
            }
        }
        long removals = 0, ka = 0;
        for (int md = 0; md < FB_MODEL_MODES; md++) {
            removals += f->s[md][FB_PH_REMOVE].n;
            ka += f->s[md][FB_PH_KA_CLEANUP].n;
        }
        if (rc == 0 && ka > 0 && removals == 0)
            rc = note(m, o->notes, "%s: remove: no samples (no instance left as its call "
                                   "ended): an evicted instance goes at once in simulation",
                      f->name);
        for (int md = 0; md < FB_MODEL_MODES && rc == 0 && f->used > 0; md++)
            rc = stand_in(f, mf, md, o, m);
    }
    if (rc == 0 && o->node_mb <= 0)
        rc = note(m, o->notes, "node.memory_mb: the rows do not say the nodes' memory "
                               "(calibrate --node-mb MB): the experiment's node memory_mb "
                               "is needed for keep-alive cells");
    if (rc == 0 && o->node_cpus <= 0)
        rc = note(m, o->notes, "node.cpus: the rows do not say the nodes' CPUs (calibrate "
                               "--node-cpus C): handlers do not share CPUs in simulation");
    m->memory_mb = o->node_mb > 0 ? o->node_mb : 0;
    m->cpus = o->node_cpus > 0 ? o->node_cpus : 0;
    m->calibrated_cpus = o->node_cpus > 0 ? o->node_cpus : NAN;
    return rc;
}

int fb_calibrate(const char *const *runs, int n, const struct fb_calibrate_opts *o,
                 struct fb_model *m, struct fb_errbuf *eb)
{
    struct cal c = {.eb = eb, .o = o};
    int rc = 0;

    memset(m, 0, sizeof(*m));
    m->calibrated_cpus = NAN;
    for (int i = 0; i < n && rc == 0; i++) {
        char *inv = fb_strf("%s/invocations.csv", runs[i]);
        char *ins = fb_strf("%s/instances.csv", runs[i]);
        if (inv == NULL || ins == NULL)
            rc = FB_ENOMEM;
        /* The instances' evictions first, for the rows; their memory after,
         * so that the functions keep the rows' order. */
        if (rc == 0) {
            c.instances = c.evictions = true;
            rc = read_csv(&c, ins, true);
        }
        if (rc == 0) {
            c.instances = c.evictions = false;
            rc = read_csv(&c, inv, false);
        }
        if (rc == 0) {
            c.instances = true;
            rc = read_csv(&c, ins, true);
        }
        fb_strmap_free(&c.evicted);
        free(inv);
        free(ins);
    }
    if (rc == 0 && c.used == 0)
        rc = fb_errf(eb, FB_EINVAL, "no row of %d run folder%s can be used: every one failed, "
                                    "is warm-up or ran nowhere",
                     n, n == 1 ? "" : "s");
    if (rc == 0 && (m->runs = calloc((size_t)n, sizeof(char *))) == NULL)
        rc = FB_ENOMEM;
    for (int i = 0; rc == 0 && i < n; i++) {
        if ((m->runs[i] = strdup(runs[i])) == NULL)
            rc = FB_ENOMEM;
        m->n_runs = i + 1;
    }
    if (rc == 0)
        rc = build(&c, o, m);
    for (int i = 0; i < c.n_fns; i++) {
        free(c.fns[i].name);
        for (int md = 0; md < FB_MODEL_MODES; md++)
            for (int p = 0; p < FB_MPHASE_N; p++)
                free(c.fns[i].s[md][p].v);
    }
    free(c.fns);
    free(c.evicted_ms);
    fb_strmap_free(&c.evicted);
    fb_csvrow_free(&c.row);
    if (rc < 0)
        fb_model_free(m);
    return rc;
}
