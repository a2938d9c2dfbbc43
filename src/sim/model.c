/* model.c - the node model: loaded from its file with every key checked, written
 * back, and sampled. */
#include "sim/model.h"

#include <fnmatch.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FB_ENUM_NAME(id, name) [id] = name,
static const char *const phase_names[FB_MPHASE_N] = {FB_MPHASE_MAP(FB_ENUM_NAME)};
#undef FB_ENUM_NAME

static const char *const mode_names[FB_MODEL_MODES] = {"cold", "prewarmed", "warmed"};

const char *fb_model_phase_name(enum fb_model_phase p)
{
    return (int)p >= 0 && p < FB_MPHASE_N ? phase_names[p] : "unknown";
}

const char *fb_model_mode_name(enum fb_warming m)
{
    return (int)m >= 0 && m < FB_MODEL_MODES ? mode_names[m] : "unknown";
}

/* ---- sampling ---- */

double fb_dist_draw(const struct fb_dist *d, struct fb_rng *rng)
{
    if (!d->set)
        return 0;
    if (d->nq == 0)
        return d->fixed;
    double x = fb_rng_unit(rng) * (double)(d->nq - 1);
    int i = (int)x;
    if (i >= d->nq - 1)
        return d->q[d->nq - 1];
    return d->q[i] + (d->q[i + 1] - d->q[i]) * (x - (double)i);
}

double fb_dist_median(const struct fb_dist *d)
{
    if (!d->set)
        return NAN;
    if (d->nq == 0)
        return d->fixed;
    double x = 0.5 * (double)(d->nq - 1);
    int i = (int)x;
    return i >= d->nq - 1 ? d->q[d->nq - 1] : d->q[i] + (d->q[i + 1] - d->q[i]) * (x - i);
}

int fb_dist_from_sorted(struct fb_dist *d, const double *v, long n)
{
    memset(d, 0, sizeof(*d));
    if (n <= 0)
        return 0;
    if ((d->q = malloc(sizeof(double) * FB_MODEL_QUANTILES)) == NULL)
        return FB_ENOMEM;
    /* R type 7: linear between order statistics. */
    for (int k = 0; k < FB_MODEL_QUANTILES; k++) {
        double h = (double)(n - 1) * (double)k / (FB_MODEL_QUANTILES - 1);
        long lo = (long)floor(h);
        long hi = lo + 1 < n ? lo + 1 : lo;
        d->q[k] = v[lo] + (v[hi] - v[lo]) * (h - (double)lo);
    }
    d->set = true;
    d->n = n;
    d->nq = FB_MODEL_QUANTILES;
    return 0;
}

/* ---- loading ---- */

struct loader {
    const char *path;
    struct fb_errbuf *eb;
};

static int fail(struct loader *L, const config_setting_t *s, const char *key, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(struct loader *L, const config_setting_t *s, const char *key, const char *fmt,
                ...)
{
    char msg[FB_ERRMSG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fb_errf(L->eb, FB_ECONFIG, "%s:%d: %s: %s", L->path,
                   s != NULL ? config_setting_source_line(s) : 0, key, msg);
}

static bool is_number(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

/* A number >= min at s (key names it): 0 and *out, or an error. */
static int number(struct loader *L, const config_setting_t *s, const char *key, double min,
                  double *out)
{
    if (!is_number(s))
        return fail(L, s, key, "not a number");
    double v = config_setting_get_float(s);
    if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
        v = (double)config_setting_get_int64(s);
    if (!isfinite(v) || v < min)
        return fail(L, s, key, "%g is out of range (at least %g)", v, min);
    *out = v;
    return 0;
}

/* Every member of group g is one of names[] (NULL-ended). */
static int known_keys(struct loader *L, const config_setting_t *g, const char *where,
                      const char *const *names)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (int k = 0; names[k] != NULL && !ok; k++)
            ok = n != NULL && strcmp(n, names[k]) == 0;
        if (!ok) {
            char key[300];
            snprintf(key, sizeof(key), "%s.%s", where, n != NULL ? n : "?");
            return fail(L, s, key, "unknown key");
        }
    }
    return 0;
}

static int strings(struct loader *L, const config_setting_t *s, const char *key, char ***out,
                   int *n)
{
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
        return fail(L, s, key, "not a list of strings");
    int len = config_setting_length(s);
    if ((*out = calloc((size_t)(len > 0 ? len : 1), sizeof(char *))) == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < len; i++) {
        const char *v = config_setting_get_string_elem(s, (unsigned)i);
        if (v == NULL)
            return fail(L, config_setting_get_elem(s, (unsigned)i), key, "not a string");
        if (((*out)[i] = strdup(v)) == NULL)
            return FB_ENOMEM;
        (*n)++;
    }
    return 0;
}

/* One phase: { n = N; q = [ ... ]; } or { ms = T; }. */
static int load_dist(struct loader *L, const config_setting_t *g, const char *key,
                     struct fb_dist *d)
{
    static const char *const keys[] = {"n", "q", "ms", NULL};
    const config_setting_t *q = config_setting_get_member(g, "q");
    const config_setting_t *ms = config_setting_get_member(g, "ms");
    const config_setting_t *n = config_setting_get_member(g, "n");
    int rc;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(L, g, key, "not a group: { n = N; q = [ ... ]; } or { ms = T; }");
    if ((rc = known_keys(L, g, key, keys)) < 0)
        return rc;
    d->line = config_setting_source_line(g);
    if ((q == NULL) == (ms == NULL))
        return fail(L, g, key, "needs either q (quantiles) or ms (a fixed time), not %s",
                    q == NULL ? "neither" : "both");
    if (n != NULL) {
        double v;
        if ((rc = number(L, n, key, 0, &v)) < 0)
            return rc;
        d->n = (long)v;
    }
    if (ms != NULL) {
        d->set = true;
        return number(L, ms, key, 0, &d->fixed);
    }
    if (config_setting_type(q) != CONFIG_TYPE_ARRAY || config_setting_length(q) < 2)
        return fail(L, q, key, "q is not an array of 2 or more quantiles (p0 .. p100)");
    if (n != NULL && d->n == 0)
        return fail(L, n, key, "a phase with no samples cannot be sampled from");
    d->nq = config_setting_length(q);
    if ((d->q = malloc(sizeof(double) * (size_t)d->nq)) == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < d->nq; i++) {
        const config_setting_t *e = config_setting_get_elem(q, (unsigned)i);
        if ((rc = number(L, e, key, 0, &d->q[i])) < 0)
            return rc;
        if (i > 0 && d->q[i] < d->q[i - 1])
            return fail(L, e, key, "quantiles must not decrease (%g after %g)", d->q[i],
                        d->q[i - 1]);
    }
    d->set = true;
    return 0;
}

/* Fixed cold and warm times, as FaasCache's and Iluvatar's simulators take
 * them: a warm call takes warm_ms, a start adds cold_ms - warm_ms. */
static void fixed_times(struct fb_model_fn *fn, double cold, double warm, int line)
{
    for (int m = 0; m < FB_MODEL_MODES; m++)
        for (int p = 0; p < FB_MPHASE_N; p++)
            fn->d[m][p] = (struct fb_dist){.set = true, .fixed = 0, .line = line};
    for (int m = 0; m < FB_MODEL_MODES; m++) {
        fn->d[m][FB_PH_HANDLER].fixed = warm;
        fn->d[m][FB_PH_RUN].fixed = m == FB_WARM_WARMED ? warm : cold;
    }
    fn->d[FB_WARM_COLD][FB_PH_CREATE].fixed = cold - warm;
    fn->d[FB_WARM_PREWARMED][FB_PH_CREATE].fixed = cold - warm;
}

static int load_function(struct loader *L, const config_setting_t *g, int i,
                         struct fb_model_fn *fn)
{
    static const char *const keys[] = {"name", "memory_mb", "cold_ms", "warm_ms",
                                       "cold", "prewarmed", "warmed", NULL};
    char where[200], key[300];
    const char *name;
    const config_setting_t *s;
    int rc;

    snprintf(where, sizeof(where), "model.functions.[%d]", i);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(L, g, where, "not a group");
    fn->line = config_setting_source_line(g);
    if (!config_setting_lookup_string(g, "name", &name) || name[0] == '\0')
        return fail(L, g, where, "no name");
    if ((fn->name = strdup(name)) == NULL)
        return FB_ENOMEM;
    snprintf(where, sizeof(where), "model.functions.[%s]", name);
    if ((rc = known_keys(L, g, where, keys)) < 0)
        return rc;
    if ((s = config_setting_get_member(g, "memory_mb")) != NULL) {
        snprintf(key, sizeof(key), "%s.memory_mb", where);
        if ((rc = number(L, s, key, 0, &fn->memory_mb)) < 0)
            return rc;
    }
    const config_setting_t *cs = config_setting_get_member(g, "cold_ms");
    const config_setting_t *ws = config_setting_get_member(g, "warm_ms");
    if ((cs == NULL) != (ws == NULL)) {
        snprintf(key, sizeof(key), "%s.%s", where, cs == NULL ? "cold_ms" : "warm_ms");
        return fail(L, cs != NULL ? cs : ws, key, "cold_ms and warm_ms go together");
    }
    if (cs != NULL) {
        double cold, warm;
        snprintf(key, sizeof(key), "%s.cold_ms", where);
        if ((rc = number(L, cs, key, 0, &cold)) < 0)
            return rc;
        snprintf(key, sizeof(key), "%s.warm_ms", where);
        if ((rc = number(L, ws, key, 0, &warm)) < 0)
            return rc;
        if (cold < warm)
            return fail(L, cs, key, "cold_ms (%g) is below warm_ms (%g)", cold, warm);
        fixed_times(fn, cold, warm, config_setting_source_line(cs));
    }
    for (int m = 0; m < FB_MODEL_MODES; m++) {
        const config_setting_t *mg = config_setting_get_member(g, mode_names[m]);
        if (mg == NULL)
            continue;
        snprintf(key, sizeof(key), "%s.%s", where, mode_names[m]);
        if (config_setting_type(mg) != CONFIG_TYPE_GROUP)
            return fail(L, mg, key, "not a group of phases");
        for (int k = 0; k < config_setting_length(mg); k++) {
            const config_setting_t *ps = config_setting_get_elem(mg, (unsigned)k);
            const char *pn = config_setting_name(ps);
            int p = 0;
            while (p < FB_MPHASE_N && strcmp(phase_names[p], pn) != 0)
                p++;
            char pkey[400];
            snprintf(pkey, sizeof(pkey), "%s.%s", key, pn);
            if (p == FB_MPHASE_N)
                return fail(L, ps, pkey, "unknown phase");
            free(fn->d[m][p].q);
            fn->d[m][p] = (struct fb_dist){0};
            if ((rc = load_dist(L, ps, pkey, &fn->d[m][p])) < 0)
                return rc;
        }
    }
    return 0;
}

int fb_model_load(const char *path, struct fb_model *m, struct fb_errbuf *eb)
{
    static const char *const model_keys[] = {"version", "runs", "node", "functions",
                                             "uncalibrated", "note", NULL};
    static const char *const node_keys[] = {"cpus", "calibrated_cpus", "memory_mb", NULL};
    struct loader L = {.path = path, .eb = eb};
    config_t cfg;
    const config_setting_t *root, *s;
    int rc = 0, version;

    memset(m, 0, sizeof(*m));
    config_init(&cfg);
    if (!config_read_file(&cfg, path)) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            rc = fb_errf(eb, FB_EIO, "%s: cannot read the model file", path);
        else
            rc = fb_errf(eb, FB_ECONFIG, "%s:%d: %s", path, config_error_line(&cfg),
                         config_error_text(&cfg));
        goto out;
    }
    if ((m->path = strdup(path)) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    if ((root = config_lookup(&cfg, "model")) == NULL ||
        config_setting_type(root) != CONFIG_TYPE_GROUP) {
        rc = fb_errf(eb, FB_ECONFIG, "%s:1: model: no model group (is it a model file?)", path);
        goto out;
    }
    if ((rc = known_keys(&L, root, "model", model_keys)) < 0)
        goto out;
    if (!config_setting_lookup_int(root, "version", &version) || version != 1) {
        rc = fail(&L, root, "model.version", "must be 1");
        goto out;
    }
    if ((s = config_setting_get_member(root, "runs")) != NULL &&
        (rc = strings(&L, s, "model.runs", &m->runs, &m->n_runs)) < 0)
        goto out;
    if ((s = config_setting_get_member(root, "uncalibrated")) != NULL &&
        (rc = strings(&L, s, "model.uncalibrated", &m->uncalibrated, &m->n_uncalibrated)) < 0)
        goto out;
    m->calibrated_cpus = NAN;
    if ((s = config_setting_get_member(root, "node")) != NULL) {
        const config_setting_t *v;
        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
            rc = fail(&L, s, "model.node", "not a group");
            goto out;
        }
        if ((rc = known_keys(&L, s, "model.node", node_keys)) < 0)
            goto out;
        if ((v = config_setting_get_member(s, "cpus")) != NULL &&
            (rc = number(&L, v, "model.node.cpus", 0, &m->cpus)) < 0)
            goto out;
        if ((v = config_setting_get_member(s, "calibrated_cpus")) != NULL &&
            (rc = number(&L, v, "model.node.calibrated_cpus", 1e-6, &m->calibrated_cpus)) < 0)
            goto out;
        if ((v = config_setting_get_member(s, "memory_mb")) != NULL &&
            (rc = number(&L, v, "model.node.memory_mb", 0, &m->memory_mb)) < 0)
            goto out;
        if (m->cpus > 0 && isnan(m->calibrated_cpus)) {
            rc = fail(&L, s, "model.node.calibrated_cpus",
                      "cpus shares handlers' time, measured on nodes of how many CPUs?");
            goto out;
        }
    }
    if ((s = config_setting_get_member(root, "functions")) == NULL ||
        config_setting_type(s) != CONFIG_TYPE_LIST) {
        rc = fail(&L, s != NULL ? s : root, "model.functions", "not a list of functions");
        goto out;
    }
    m->n_fns = config_setting_length(s);
    if ((m->fns = calloc((size_t)(m->n_fns > 0 ? m->n_fns : 1), sizeof(*m->fns))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int i = 0; i < m->n_fns && rc == 0; i++) {
        rc = load_function(&L, config_setting_get_elem(s, (unsigned)i), i, &m->fns[i]);
        for (int j = 0; rc == 0 && j < i; j++)
            if (strcmp(m->fns[j].name, m->fns[i].name) == 0)
                rc = fail(&L, config_setting_get_elem(s, (unsigned)i), "model.functions",
                          "function '%s' is listed twice", m->fns[i].name);
    }
out:
    config_destroy(&cfg);
    if (rc < 0)
        fb_model_free(m);
    return rc;
}

/* ---- writing ---- */

static void write_dist(FILE *f, const char *name, const struct fb_dist *d)
{
    if (d->nq == 0) {
        fprintf(f, "        %s = { ms = %.6g; };\n", name, d->fixed);
        return;
    }
    fprintf(f, "        %s = { n = %ld; q = [", name, d->n);
    for (int i = 0; i < d->nq; i++)
        fprintf(f, "%s%.6f", i == 0 ? " " : ", ", d->q[i]);
    fprintf(f, " ]; };\n");
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int fb_model_write(const struct fb_model *m, FILE *f)
{
    fprintf(f, "# faasbench node model: what the simulator draws each phase's time from.\n"
               "# Written by faasbench calibrate; docs/simulation.md describes it.\n"
               "model = {\n  version = 1;\n  runs = [");
    for (int i = 0; i < m->n_runs; i++) {
        fputs(i == 0 ? " " : ", ", f);
        write_string(f, m->runs[i]);
    }
    fprintf(f, " ];\n");
    if (m->cpus > 0 || m->memory_mb > 0 || !isnan(m->calibrated_cpus)) {
        fprintf(f, "  node = {");
        if (m->cpus > 0)
            fprintf(f, " cpus = %.6g;", m->cpus);
        if (!isnan(m->calibrated_cpus) && m->calibrated_cpus > 0)
            fprintf(f, " calibrated_cpus = %.6g;", m->calibrated_cpus);
        if (m->memory_mb > 0)
            fprintf(f, " memory_mb = %.6g;", m->memory_mb);
        fprintf(f, " };\n");
    }
    fprintf(f, "  functions = (\n");
    for (int i = 0; i < m->n_fns; i++) {
        const struct fb_model_fn *fn = &m->fns[i];
        fprintf(f, "    { name = ");
        write_string(f, fn->name);
        fprintf(f, ";");
        if (fn->memory_mb > 0)
            fprintf(f, " memory_mb = %.6g;", fn->memory_mb);
        fprintf(f, "\n");
        for (int md = 0; md < FB_MODEL_MODES; md++) {
            bool any = false;
            for (int p = 0; p < FB_MPHASE_N; p++)
                any = any || fn->d[md][p].set;
            if (!any)
                continue;
            fprintf(f, "      %s = {\n", mode_names[md]);
            for (int p = 0; p < FB_MPHASE_N; p++)
                if (fn->d[md][p].set)
                    write_dist(f, phase_names[p], &fn->d[md][p]);
            fprintf(f, "      };\n");
        }
        fprintf(f, "    }%s\n", i + 1 < m->n_fns ? "," : "");
    }
    fprintf(f, "  );\n  uncalibrated = [");
    for (int i = 0; i < m->n_uncalibrated; i++) {
        fputs(i == 0 ? "\n    " : ",\n    ", f);
        write_string(f, m->uncalibrated[i]);
    }
    fprintf(f, "%s];\n};\n", m->n_uncalibrated > 0 ? "\n  " : " ");
    return ferror(f) ? FB_EIO : 0;
}

const struct fb_model_fn *fb_model_find(const struct fb_model *m, const char *name)
{
    for (int i = 0; i < m->n_fns; i++)
        if (strcmp(m->fns[i].name, name) == 0)
            return &m->fns[i];
    for (int i = 0; i < m->n_fns; i++)
        if (strpbrk(m->fns[i].name, "*?[") != NULL && fnmatch(m->fns[i].name, name, 0) == 0)
            return &m->fns[i];
    return NULL;
}

void fb_model_free(struct fb_model *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n_fns; i++) {
        free(m->fns[i].name);
        for (int md = 0; md < FB_MODEL_MODES; md++)
            for (int p = 0; p < FB_MPHASE_N; p++)
                free(m->fns[i].d[md][p].q);
    }
    free(m->fns);
    for (int i = 0; i < m->n_runs; i++)
        free(m->runs[i]);
    free(m->runs);
    for (int i = 0; i < m->n_uncalibrated; i++)
        free(m->uncalibrated[i]);
    free(m->uncalibrated);
    free(m->path);
    memset(m, 0, sizeof(*m));
}
