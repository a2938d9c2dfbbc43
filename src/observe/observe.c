/* observe.c - a run's live series and their rendering. */
#include "observe/observe.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

const double fb_obs_bounds[FB_OBS_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,      2.5,   5,    10,    25,   60};

/* What a row ran as: cold, pre-warmed, warmed, or none (no node). */
enum { M_COLD, M_PREWARMED, M_WARMED, M_NONE, M_N };
static const char *const mode_names[M_N] = {"cold", "pre-warmed", "warmed", "none"};

struct hist {
    atomic_uint_least64_t bucket[FB_OBS_BUCKETS + 1]; /* not cumulative; the last: > 60 s */
    atomic_uint_least64_t sum_ns;
};

struct fb_obs {
    int n_cells, n_fns;
    char **cell_labels;   /* per cell: repetition="1",policy="...",warming="..." */
    unsigned *cell_modes; /* per cell: bit per mode its rows may have */
    char **cell_info;     /* per cell: cell="3",... for the info series */
    char **fn_labels;     /* per function: function="..." */
    /* [cell][function][mode][ok, error] */
    atomic_uint_least64_t *counts;
    /* [cell][mode] */
    struct hist *hist;
    atomic_bool *begun;
    atomic_int current; /* the cell under way (or last), -1 before the first */
    atomic_long cell_expected;
    atomic_int faults;
    size_t label_max; /* the longest series labels of counts and histograms */
    double start_s;
    atomic_long expected;
    struct fb_engine *engine;
};

static atomic_uint_least64_t *count_at(struct fb_obs *ob, int cell, int f, int m, int bad)
{
    return &ob->counts[(((size_t)cell * (size_t)ob->n_fns + (size_t)f) * M_N + (size_t)m) * 2 +
                       (size_t)bad];
}

static struct hist *hist_at(struct fb_obs *ob, int cell, int m)
{
    return &ob->hist[(size_t)cell * M_N + (size_t)m];
}

static char *labels_dup(const struct fb_expo_label *l, int n)
{
    size_t len = fb_expo_labels(NULL, 0, l, n);
    char *s = malloc(len + 1);
    if (s != NULL)
        fb_expo_labels(s, len + 1, l, n);
    return s;
}

static unsigned modes_of(enum fb_warming w)
{
    switch (w) {
    case FB_WARM_PREWARMED:
        return 1u << M_PREWARMED | 1u << M_COLD;
    case FB_WARM_WARMED:
        return 1u << M_WARMED | 1u << M_COLD;
    case FB_WARM_KEEPALIVE:
        return 1u << M_COLD | 1u << M_PREWARMED | 1u << M_WARMED;
    default:
        return 1u << M_COLD;
    }
}

int fb_obs_new(const struct fb_obs_opts *o, struct fb_obs **out)
{
    struct fb_obs *ob = calloc(1, sizeof(*ob));
    size_t n_counts = (size_t)o->n_cells * (size_t)o->n_functions * M_N * 2;

    *out = NULL;
    if (ob == NULL)
        return FB_ENOMEM;
    ob->n_cells = o->n_cells;
    ob->n_fns = o->n_functions;
    ob->start_s = (double)o->start_unix_ms / 1000.0;
    atomic_init(&ob->expected, o->expected);
    ob->engine = o->engine;
    atomic_init(&ob->current, -1);
    atomic_init(&ob->cell_expected, 0);
    atomic_init(&ob->faults, 0);
    ob->cell_labels = calloc((size_t)o->n_cells + 1, sizeof(char *));
    ob->cell_info = calloc((size_t)o->n_cells + 1, sizeof(char *));
    ob->cell_modes = calloc((size_t)o->n_cells + 1, sizeof(unsigned));
    ob->fn_labels = calloc((size_t)o->n_functions + 1, sizeof(char *));
    ob->counts = malloc((n_counts + 1) * sizeof(*ob->counts));
    ob->hist = malloc(((size_t)o->n_cells * M_N + 1) * sizeof(*ob->hist));
    ob->begun = malloc(((size_t)o->n_cells + 1) * sizeof(*ob->begun));
    if (ob->cell_labels == NULL || ob->cell_info == NULL || ob->cell_modes == NULL ||
        ob->fn_labels == NULL || ob->counts == NULL || ob->hist == NULL || ob->begun == NULL)
        goto nomem;
    for (size_t i = 0; i < n_counts; i++)
        atomic_init(&ob->counts[i], 0);
    for (size_t i = 0; i < (size_t)o->n_cells * M_N; i++) {
        for (int b = 0; b <= FB_OBS_BUCKETS; b++)
            atomic_init(&ob->hist[i].bucket[b], 0);
        atomic_init(&ob->hist[i].sum_ns, 0);
    }
    for (int c = 0; c < o->n_cells; c++) {
        const struct fb_obs_cell *cell = &o->cells[c];
        char rep[16], idx[16];
        snprintf(rep, sizeof(rep), "%d", cell->repetition);
        snprintf(idx, sizeof(idx), "%d", c + 1);
        struct fb_expo_label l[] = {
            {"cell", idx},
            {"repetition", rep},
            {"policy", cell->policy},
            {"warming", cell->warming},
        };
        atomic_init(&ob->begun[c], false);
        ob->cell_modes[c] = modes_of(cell->kind);
        if ((ob->cell_labels[c] = labels_dup(l + 1, 3)) == NULL ||
            (ob->cell_info[c] = labels_dup(l, 4)) == NULL)
            goto nomem;
    }
    size_t cmax = 0, fmax = 0;
    for (int c = 0; c < o->n_cells; c++)
        if (strlen(ob->cell_labels[c]) > cmax)
            cmax = strlen(ob->cell_labels[c]);
    for (int f = 0; f < o->n_functions; f++) {
        struct fb_expo_label l = {"function", o->functions[f]};
        if ((ob->fn_labels[f] = labels_dup(&l, 1)) == NULL)
            goto nomem;
        if (strlen(ob->fn_labels[f]) > fmax)
            fmax = strlen(ob->fn_labels[f]);
    }
    /* ,mode="pre-warmed",outcome="error" and a NUL */
    ob->label_max = cmax + fmax + 64;
    *out = ob;
    return 0;
nomem:
    fb_obs_free(ob);
    return FB_ENOMEM;
}

void fb_obs_free(struct fb_obs *ob)
{
    if (ob == NULL)
        return;
    for (int c = 0; ob->cell_labels != NULL && c < ob->n_cells; c++)
        free(ob->cell_labels[c]);
    for (int c = 0; ob->cell_info != NULL && c < ob->n_cells; c++)
        free(ob->cell_info[c]);
    for (int f = 0; ob->fn_labels != NULL && f < ob->n_fns; f++)
        free(ob->fn_labels[f]);
    free(ob->cell_labels);
    free(ob->cell_info);
    free(ob->cell_modes);
    free(ob->fn_labels);
    free(ob->counts);
    free(ob->hist);
    free((void *)ob->begun);
    free(ob);
}

void fb_obs_run_expected(struct fb_obs *ob, long expected)
{
    if (ob != NULL)
        atomic_store(&ob->expected, expected);
}

void fb_obs_cell_begin(struct fb_obs *ob, int cell, long expected)
{
    if (ob == NULL || cell < 0 || cell >= ob->n_cells)
        return;
    atomic_store(&ob->begun[cell], true);
    atomic_store(&ob->cell_expected, expected);
    atomic_store(&ob->current, cell);
}

void fb_obs_record(struct fb_obs *ob, int cell, int f, int mode, bool ok, double latency_s)
{
    if (ob == NULL || cell < 0 || cell >= ob->n_cells || f < 0 || f >= ob->n_fns)
        return;
    int m = mode == FB_WARM_COLD        ? M_COLD
            : mode == FB_WARM_PREWARMED ? M_PREWARMED
            : mode == FB_WARM_WARMED    ? M_WARMED
                                        : M_NONE;
    atomic_fetch_add_explicit(count_at(ob, cell, f, m, !ok), 1, memory_order_relaxed);
    if (!ok || !(latency_s >= 0))
        return;
    struct hist *h = hist_at(ob, cell, m);
    int b = 0;
    while (b < FB_OBS_BUCKETS && latency_s > fb_obs_bounds[b])
        b++;
    atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, (uint_least64_t)llround(latency_s * 1e9),
                              memory_order_relaxed);
}

void fb_obs_faults_set(struct fb_obs *ob, int active)
{
    if (ob != NULL)
        atomic_store(&ob->faults, active);
}

/* ---- rendering ---- */

/* The counters of every cell begun, each function, each mode the cell's
 * rows may have run as or did (so a cell's series are there from its
 * start, at 0), ok and error. Adds the current cell's rows to *current. */
static void render_counts(struct fb_obs *ob, struct fb_expo *x, char *labels, int cur,
                          uint64_t *current)
{
    static const char *const outcome[2] = {"ok", "error"};

    fb_expo_family(x, "faasbench_invocations", FB_EXPO_COUNTER, NULL,
                   "Invocations recorded (rows of invocations.csv), by cell (repetition, "
                   "policy, warming), function, mode run and outcome (ok: no error).");
    for (int c = 0; c < ob->n_cells; c++) {
        if (!atomic_load(&ob->begun[c]))
            continue;
        for (int f = 0; f < ob->n_fns; f++)
            for (int m = 0; m < M_N; m++) {
                uint64_t v[2];
                for (int bad = 0; bad < 2; bad++)
                    v[bad] = atomic_load_explicit(count_at(ob, c, f, m, bad), memory_order_relaxed);
                if (!(ob->cell_modes[c] & 1u << m) && v[0] == 0 && v[1] == 0)
                    continue;
                for (int bad = 0; bad < 2; bad++) {
                    snprintf(labels, ob->label_max, "%s,%s,mode=\"%s\",outcome=\"%s\"",
                             ob->cell_labels[c], ob->fn_labels[f], mode_names[m], outcome[bad]);
                    fb_expo_counter(x, labels, v[bad]);
                    if (c == cur)
                        *current += v[bad];
                }
            }
    }
}

static void render_hist(struct fb_obs *ob, struct fb_expo *x, char *labels)
{
    fb_expo_family(x, "faasbench_invocation_latency_seconds", FB_EXPO_HISTOGRAM, "seconds",
                   "Latency of the invocations that succeeded (what the caller waits for: "
                   "latency_ms), by cell and mode run.");
    for (int c = 0; c < ob->n_cells; c++) {
        if (!atomic_load(&ob->begun[c]))
            continue;
        for (int m = 0; m < M_N; m++) {
            struct hist *h = hist_at(ob, c, m);
            uint64_t counts[FB_OBS_BUCKETS + 1], n = 0;
            for (int b = 0; b <= FB_OBS_BUCKETS; b++)
                n += counts[b] = atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
            if (!(ob->cell_modes[c] & 1u << m) && n == 0)
                continue;
            double sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
            snprintf(labels, ob->label_max, "%s,mode=\"%s\"", ob->cell_labels[c], mode_names[m]);
            fb_expo_histogram(x, labels, fb_obs_bounds, FB_OBS_BUCKETS, counts, sum);
        }
    }
}

/* The nodes' gauges: one family each, its value read from a snapshot. */
static double node_up(const struct fb_node_snapshot *s)
{
    return s->up;
}
static double node_inflight(const struct fb_node_snapshot *s)
{
    return s->inflight;
}
static double node_cpu(const struct fb_node_snapshot *s)
{
    return s->cpu_pct / 100.0;
}
static double node_ram(const struct fb_node_snapshot *s)
{
    return s->ram_pct / 100.0;
}
static double node_instances(const struct fb_node_snapshot *s)
{
    return s->instances;
}
static double node_idle(const struct fb_node_snapshot *s)
{
    return s->idle;
}
static double node_idle_bytes(const struct fb_node_snapshot *s)
{
    return s->idle_mb * 1024.0 * 1024.0;
}

static const struct {
    const char *name, *unit, *help;
    double (*value)(const struct fb_node_snapshot *s);
    bool when_up; /* a down node's figure is not known: no sample */
} node_families[] = {
    {"faasbench_node_up", NULL, "1 when the node is up, 0 when it is marked down.", node_up, false},
    {"faasbench_node_invocations_in_flight", NULL, "Invocations running on the node now.",
     node_inflight, false},
    {"faasbench_node_cpu_usage_ratio", "ratio",
     "The node's CPU use as last polled, 0..1 of what its cgroup may use (CPU % / 100).", node_cpu,
     true},
    {"faasbench_node_memory_usage_ratio", "ratio",
     "The node's memory use as last polled, 0..1 of its limit (RAM % / 100).", node_ram, true},
    {"faasbench_node_instances", NULL,
     "Instances alive on the node in a keep-alive cell (starting, busy or idle).", node_instances,
     false},
    {"faasbench_node_idle_instances", NULL, "Idle instances on the node in a keep-alive cell.",
     node_idle, false},
    {"faasbench_node_idle_memory_bytes", "bytes",
     "Memory held by the node's idle instances in a keep-alive cell.", node_idle_bytes, false},
};

/* The nodes' gauges, from one snapshot of the engine. */
static int render_nodes(struct fb_obs *ob, struct fb_expo *x)
{
    enum { LABEL_MAX = 300 }; /* node="NAME": names are at most 64 safe characters */
    struct fb_node_snapshot *s = NULL;
    char *labels = NULL;
    int n = 0;

    if (ob->engine != NULL && (n = fb_engine_snapshot(ob->engine, NULL, 0)) > 0) {
        s = calloc((size_t)n, sizeof(*s));
        labels = calloc((size_t)n, LABEL_MAX);
        if (s == NULL || labels == NULL) {
            free(s);
            free(labels);
            return FB_ENOMEM;
        }
        /* Nodes added since the count are left for the next scrape. */
        int now = fb_engine_snapshot(ob->engine, s, n);
        n = now < n ? now : n;
    }
    for (int i = 0; i < n; i++) {
        struct fb_expo_label l = {"node", s[i].name};
        fb_expo_labels(labels + (size_t)i * LABEL_MAX, LABEL_MAX, &l, 1);
    }
    for (size_t k = 0; k < sizeof(node_families) / sizeof(node_families[0]); k++) {
        fb_expo_family(x, node_families[k].name, FB_EXPO_GAUGE, node_families[k].unit,
                       node_families[k].help);
        for (int i = 0; i < n; i++) {
            double v = node_families[k].value(&s[i]);
            if (node_families[k].when_up && (!s[i].up || isnan(v)))
                continue;
            fb_expo_gauge(x, labels + (size_t)i * LABEL_MAX, v);
        }
    }
    free(s);
    free(labels);
    return 0;
}

int fb_obs_render(struct fb_obs *ob, enum fb_expo_format fmt, FILE *f)
{
    struct fb_expo x;
    char version[96];
    int cur = atomic_load(&ob->current);
    uint64_t current = 0;
    struct fb_expo_label vl = {"version", FB_VERSION};

    char *labels = malloc(ob->label_max);
    if (labels == NULL)
        return FB_ENOMEM;
    fb_expo_init(&x, f, fmt);
    fb_expo_labels(version, sizeof(version), &vl, 1);
    fb_expo_family(&x, "faasbench_build", FB_EXPO_INFO, NULL, "The faasbench that runs.");
    fb_expo_info(&x, version);
    fb_expo_family(&x, "faasbench_run_start_time_seconds", FB_EXPO_GAUGE, "seconds",
                   "When the run started, in seconds since the Unix epoch.");
    fb_expo_gauge(&x, "", ob->start_s);
    long expected = atomic_load(&ob->expected);
    if (expected > 0) {
        fb_expo_family(&x, "faasbench_run_invocations_expected", FB_EXPO_GAUGE, NULL,
                       "Invocations the run expects in all (absent for a timed workload).");
        fb_expo_gauge(&x, "", (double)expected);
    }
    fb_expo_family(&x, "faasbench_cells", FB_EXPO_GAUGE, NULL, "Cells of the run's matrix.");
    fb_expo_gauge(&x, "", ob->n_cells);
    fb_expo_family(&x, "faasbench_cell_index", FB_EXPO_GAUGE, NULL,
                   "The cell under way (or the last one), 1-based in matrix order; 0 "
                   "before the first.");
    fb_expo_gauge(&x, "", cur + 1);
    if (cur >= 0) {
        fb_expo_family(&x, "faasbench_cell", FB_EXPO_INFO, NULL,
                       "The cell under way (or the last one): its index and labels.");
        fb_expo_info(&x, ob->cell_info[cur]);
    }
    render_counts(ob, &x, labels, cur, &current);
    if (cur >= 0) {
        long exp = atomic_load(&ob->cell_expected);
        fb_expo_family(&x, "faasbench_cell_invocations", FB_EXPO_GAUGE, NULL,
                       "Invocations recorded in the cell under way (or the last one).");
        fb_expo_gauge(&x, "", (double)current);
        if (exp > 0) {
            fb_expo_family(&x, "faasbench_cell_invocations_expected", FB_EXPO_GAUGE, NULL,
                           "Invocations the cell under way expects (absent when timed).");
            fb_expo_gauge(&x, "", (double)exp);
        }
    }
    render_hist(ob, &x, labels);
    free(labels);
    fb_expo_family(&x, "faasbench_faults_active", FB_EXPO_GAUGE, NULL,
                   "Faults injected and active now.");
    fb_expo_gauge(&x, "", atomic_load(&ob->faults));
    int rc = render_nodes(ob, &x);
    if (rc < 0)
        return rc;
    return fb_expo_end(&x);
}
