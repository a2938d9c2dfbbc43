/* cfgtable.c - a libconfig file read into C structs through tables of keys:
 * parsing with @include, checks, suggestions, errors, freeing, writing, listing. */
#include "core/cfgtable.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CANDS 32 /* names a "did you mean" looks at */

struct fb_cfg_loader {
    const char *path;                  /* the file as given */
    char *dir;                         /* its directory: where includes are found */
    struct fb_errbuf *eb;              /* the first error */
    const struct fb_cfg_errlist *errs; /* every error kept, or NULL */
    int n_errors;                      /* configuration errors found so far */
    bool stop;                         /* more than FB_CFG_MAX_ERRORS: give up */
    const config_setting_t *dflt_at;   /* set while parsing a default: where it applies */
    bool defaults_only;                /* fb_cfg_defaults: required keys stay unset */
};

/* ---- messages ---- */

/* The name to show for a file libconfig recorded: included files are recorded
 * relative to the include directory. */
static void shown_file(const struct fb_cfg_loader *ld, const char *raw, char *buf, size_t n)
{
    if (raw == NULL || strcmp(raw, ld->path) == 0 || raw[0] == '/' || strcmp(ld->dir, ".") == 0)
        snprintf(buf, n, "%s", raw != NULL ? raw : ld->path);
    else
        snprintf(buf, n, "%s/%s", ld->dir, raw);
}

/* Where a message about setting s points: the setting, or while a default is
 * parsed, the group the default applies to. */
static const config_setting_t *pos(const struct fb_cfg_loader *ld, const config_setting_t *s)
{
    return ld->dflt_at != NULL ? ld->dflt_at : s;
}

static unsigned line_of(const config_setting_t *s)
{
    unsigned line = config_setting_source_line(s);
    return line > 0 ? line : 1;
}

static void vmessage(const struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                     char *out, size_t n, const char *fmt, va_list ap)
{
    char file[PATH_MAX];
    int len;
    s = pos(ld, s);
    shown_file(ld, config_setting_source_file(s), file, sizeof(file));
    len = snprintf(out, n, "%s:%u: %s: ", file, line_of(s), key);
    if (len >= 0 && (size_t)len < n)
        vsnprintf(out + len, n - (size_t)len, fmt, ap);
}

/* Keeps one configuration error, as a compiler does: the first goes to eb,
 * each to the list; one past FB_CFG_MAX_ERRORS stops the loader. */
static int record(struct fb_cfg_loader *ld, const char *text)
{
    const struct fb_cfg_errlist *errs = ld->errs;

    if (ld->n_errors == 0)
        fb_errf(ld->eb, FB_ECONFIG, "%s", text);
    if (ld->n_errors < FB_CFG_MAX_ERRORS) {
        if (errs != NULL) /* made safe for a terminal, as eb's is */
            fb_text_safe(text, strlen(text), errs->msg[(*errs->n)++], FB_ERRMSG_LEN);
    } else {
        ld->stop = true;
        if (errs != NULL)
            *errs->more = true;
    }
    ld->n_errors++;
    return FB_ECONFIG;
}

bool fb_cfg_go_on(const struct fb_cfg_loader *ld, int rc)
{
    return rc == FB_ECONFIG && !ld->stop;
}

int fb_cfg_fail(struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                const char *fmt, ...)
{
    char text[FB_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vmessage(ld, s, key, text, sizeof(text), fmt, ap);
    va_end(ap);
    return record(ld, text);
}

void fb_cfg_warn(struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                 const char *fmt, ...)
{
    char text[FB_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vmessage(ld, s, key, text, sizeof(text), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", text);
}

int fb_cfg_nomem(struct fb_cfg_loader *ld)
{
    return fb_errf(ld->eb, FB_ENOMEM, "%s: out of memory", ld->path);
}

const char *fb_cfg_path(const struct fb_cfg_loader *ld)
{
    return ld->path;
}

bool fb_cfg_defaults_only(const struct fb_cfg_loader *ld)
{
    return ld->defaults_only;
}

const config_setting_t *fb_cfg_member(const config_setting_t *group, const char *name,
                                      const config_setting_t *fallback)
{
    const config_setting_t *m = group != NULL ? config_setting_get_member(group, name) : NULL;
    return m != NULL ? m : fallback;
}

void fb_cfg_key_path(char *buf, size_t n, const char *path, const char *name)
{
    snprintf(buf, n, "%s%s%s", path, path[0] != '\0' ? "." : "", name);
}

/* ---- suggestions ---- */

/* Edit distance, or INT_MAX for words too long to compare. */
static int distance(const char *a, const char *b)
{
    enum { MAXW = 64 };
    int row[MAXW + 1], la = (int)strlen(a), lb = (int)strlen(b);
    if (la > MAXW || lb > MAXW)
        return INT_MAX;
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate nearest to word within edit distance 2, or NULL. */
static const char *nearest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 3;
    for (int i = 0; i < n; i++) {
        int d = distance(word, cands[i]);
        if (d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

void fb_cfg_hint(const char *word, const char *const *cands, int n, char *buf, size_t size)
{
    const char *near = nearest(word, cands, n);
    size_t len;
    if (near != NULL) {
        snprintf(buf, size, "(did you mean '%s'?)", near);
        return;
    }
    len = (size_t)snprintf(buf, size, "(known:");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %s", i > 0 ? "," : "", cands[i]);
    if (len < size)
        snprintf(buf + len, size - len, ")");
}

/* ---- parsing ---- */

static const char *what_of(const struct fb_cfg_key *k)
{
    return k->what != NULL ? k->what : k->choices->what;
}

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "nothing";
    }
}

static const char *expected_name(enum fb_cfg_kind k)
{
    switch (k) {
    case FB_CFG_INT:
    case FB_CFG_UINT64:
        return "an integer";
    case FB_CFG_NUMBER:
    case FB_CFG_MS:
        return "a number";
    case FB_CFG_BOOL:
        return "true or false";
    case FB_CFG_STRINGS:
    case FB_CFG_ENUMS:
        return "an array of strings [ \"...\", ... ]";
    case FB_CFG_GROUP:
        return "a group { ... }";
    case FB_CFG_LIST:
        return "a list of groups ( { ... }, ... )";
    default:
        return "a string";
    }
}

static bool type_fits(const struct fb_cfg_key *key, const config_setting_t *s)
{
    enum fb_cfg_kind k = key->kind;
    int t = config_setting_type(s);
    if (k == FB_CFG_INT && key->zero_name != NULL && t == CONFIG_TYPE_STRING)
        return true;
    switch (k) {
    case FB_CFG_INT:
    case FB_CFG_UINT64:
        return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
    case FB_CFG_NUMBER:
    case FB_CFG_MS:
        return config_setting_is_number(s);
    case FB_CFG_BOOL:
        return t == CONFIG_TYPE_BOOL;
    case FB_CFG_STRINGS:
    case FB_CFG_ENUMS:
        return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
    case FB_CFG_GROUP:
        return t == CONFIG_TYPE_GROUP;
    case FB_CFG_LIST:
        return t == CONFIG_TYPE_LIST;
    default:
        return t == CONFIG_TYPE_STRING;
    }
}

static void put_enum(void *p, size_t size, int v)
{
    if (size == sizeof(bool)) {
        bool b = v != 0;
        memcpy(p, &b, sizeof(b));
    } else {
        memcpy(p, &v, sizeof(v));
    }
}

static int get_enum(const void *p, size_t size)
{
    if (size == sizeof(bool)) {
        bool b;
        memcpy(&b, p, sizeof(b));
        return b;
    }
    int v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Replaces the string in *slot (a secret is wiped first). */
static void put_string(char **slot, char *v, bool secret)
{
    if (*slot != NULL && secret)
        explicit_bzero(*slot, strlen(*slot));
    free(*slot);
    *slot = v;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Secrets taken out of the environment (FB_CFG_ENV): each variable is
 * removed once read, so no child of this process inherits it. Its value
 * stays here, so a later load in this process that names it again (a file
 * written back and read again, a second key naming the same variable)
 * still finds it. Kept for the process's lifetime. */
struct taken_env {
    struct taken_env *next;
    char *name;
    char *value;
};
static struct taken_env *taken_envs;
static pthread_mutex_t taken_lock = PTHREAD_MUTEX_INITIALIZER;

/* Keeps value as the one taken for name (a copy). False when out of memory. */
static bool taken_env_keep(struct taken_env **slot, const char *name, const char *value)
{
    struct taken_env *t = *slot;
    char *v = strdup(value);

    if (v == NULL)
        return false;
    if (t == NULL) {
        if ((t = calloc(1, sizeof(*t))) == NULL || (t->name = strdup(name)) == NULL) {
            free(t);
            free(v);
            return false;
        }
        t->next = taken_envs;
        taken_envs = t;
        *slot = t;
    }
    put_string(&t->value, v, true);
    return true;
}

/* The value of variable name (a copy, caller frees): from the environment,
 * which it then leaves, or as taken from it before. NULL when unset, or
 * with *nomem set when out of memory. An empty value is left in place (it
 * is refused anyway). */
static char *take_env(const char *name, bool *nomem)
{
    struct taken_env *t;
    const char *env, *v;
    char *copy = NULL;

    *nomem = false;
    pthread_mutex_lock(&taken_lock);
    for (t = taken_envs; t != NULL && strcmp(t->name, name) != 0; t = t->next) {
    }
    env = getenv(name);
    v = env != NULL ? env : t != NULL ? t->value : NULL;
    if (v != NULL && (copy = strdup(v)) == NULL)
        *nomem = true;
    if (copy != NULL && env != NULL && env[0] != '\0') {
        if (taken_env_keep(&t, name, env)) {
            unsetenv(name);
        } else {
            put_string(&copy, NULL, true);
            *nomem = true;
        }
    }
    pthread_mutex_unlock(&taken_lock);
    return copy;
}

/* value as written in the file holding s, made absolute. */
static int resolve_path(struct fb_cfg_loader *ld, const config_setting_t *s, const char *key,
                        const char *value, char **out)
{
    char file[PATH_MAX];
    char *dir = NULL, *real = NULL;
    int rc = 0;

    *out = NULL;
    if (value[0] == '/') {
        *out = strdup(value);
    } else {
        shown_file(ld, config_setting_source_file(pos(ld, s)), file, sizeof(file));
        if ((dir = dir_of(file)) == NULL) {
            rc = fb_cfg_nomem(ld);
            goto out;
        }
        if ((real = realpath(dir, NULL)) == NULL) {
            rc = fb_cfg_fail(ld, s, key, "cannot resolve '%s': %s", dir, strerror(errno));
            goto out;
        }
        size_t n = strlen(real) + 1 + strlen(value) + 1;
        if ((*out = malloc(n)) != NULL)
            snprintf(*out, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", value);
    }
    if (*out == NULL)
        rc = fb_cfg_nomem(ld);
out:
    free(dir);
    free(real);
    return rc;
}

static int check_range(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                       const config_setting_t *s, const char *key, double v)
{
    bool open = (k->flags & FB_CFG_MIN_OPEN) != 0;
    if (open ? v <= k->min : v < k->min)
        return fb_cfg_fail(ld, s, key, "must be %s %g (got %g)", open ? ">" : ">=", k->min, v);
    if (k->max > k->min && v > k->max)
        return fb_cfg_fail(ld, s, key, "must be <= %g (got %g)", k->max, v);
    return 0;
}

static int parse_section(struct fb_cfg_loader *ld, const struct fb_cfg_section *sec,
                         const config_setting_t *group, const config_setting_t *at,
                         const char *path, void *obj);

/* An array of distinct strings (FB_CFG_STRINGS) or names (FB_CFG_ENUMS). */
static int parse_strings(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                         const config_setting_t *val, const char *key, char *obj)
{
    int n = config_setting_length(val), before = ld->n_errors, rc = 0;
    char **arr = NULL;
    int *values = NULL;
    char ekey[256];
    struct fb_errbuf why = {{0}};

    if (n == 0)
        return fb_cfg_fail(ld, val, key, "must not be empty");
    if (k->kind == FB_CFG_STRINGS) {
        if ((arr = calloc((size_t)n, sizeof(*arr))) == NULL)
            return fb_cfg_nomem(ld);
        memcpy(obj + k->off, &arr, sizeof(arr));
    } else {
        if ((values = calloc((size_t)n, sizeof(*values))) == NULL)
            return fb_cfg_nomem(ld);
        memcpy(obj + k->off, &values, sizeof(values));
    }
    memcpy(obj + k->off_n, &n, sizeof(n));

    /* Each element's error is kept and the next one looked at. */
    for (int i = 0; i < n && (rc == 0 || fb_cfg_go_on(ld, rc)); i++) {
        const config_setting_t *e = config_setting_get_elem(val, (unsigned)i);
        const char *v;
        int j;
        snprintf(ekey, sizeof(ekey), "%s[%d]", key, i);
        rc = 0;
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            rc = fb_cfg_fail(ld, e, ekey, "expected a string (got %s)", type_name(e));
            continue;
        }
        v = config_setting_get_string(e);
        if (v[0] == '\0') {
            rc = fb_cfg_fail(ld, e, ekey, "must not be empty");
            continue;
        }
        for (j = 0; j < i; j++) {
            const char *w = config_setting_get_string_elem(val, j);
            if (w != NULL && strcmp(w, v) == 0)
                break;
        }
        if (j < i) {
            rc = fb_cfg_fail(ld, e, ekey, "duplicate entry '%s' (first at [%d])", v, j);
            continue;
        }
        if (k->kind == FB_CFG_STRINGS) {
            if (k->check != NULL && (rc = k->check(v, &why)) < 0) {
                rc = rc == FB_ENOMEM ? fb_cfg_nomem(ld) : fb_cfg_fail(ld, e, ekey, "%s", why.msg);
                continue;
            }
            if ((arr[i] = strdup(v)) == NULL)
                rc = fb_cfg_nomem(ld);
        } else if (fb_enum_parse(k->choices, v, &values[i]) < 0) {
            char h[256];
            fb_cfg_hint(v, k->choices->names, k->choices->n, h, sizeof(h));
            rc = fb_cfg_fail(ld, e, ekey, "unknown %s '%s' %s", what_of(k), v, h);
        }
    }
    if (rc < 0 && !fb_cfg_go_on(ld, rc))
        return rc;
    return ld->n_errors > before ? FB_ECONFIG : 0;
}

/* One element's value of a list's unique key, and its index. */
struct unique_entry {
    const char *value;
    int index;
};

static int unique_cmp(const void *a, const void *b)
{
    const struct unique_entry *x = a, *y = b;
    int c = strcmp(x->value, y->value);
    return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* A repeat of a list's unique value: element dup, first held by element first. */
struct unique_repeat {
    int dup, first;
};

static int repeat_cmp(const void *a, const void *b)
{
    const struct unique_repeat *x = a, *y = b;
    return (x->dup > y->dup) - (x->dup < y->dup);
}

/* The elements of list val (parsed into arr, n of them) whose unique key
 * uk repeats an earlier one's: sorted, so 100,000 elements take n log n, not
 * n^2. Each repeat is reported, in list order, with the first element
 * holding its value. */
static int check_unique(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                        const struct fb_cfg_key *uk, const config_setting_t *val, const char *key,
                        const char *arr, int n)
{
    const struct fb_cfg_section *sub = k->sub;
    struct unique_entry *e = malloc((size_t)(n > 0 ? n : 1) * sizeof(*e));
    struct unique_repeat *rep = NULL;
    int m = 0, n_rep = 0, rc = 0;

    if (e == NULL)
        return fb_cfg_nomem(ld);
    for (int i = 0; i < n; i++) {
        const char *v = *(char *const *)(arr + (size_t)i * sub->size + uk->off);
        if (v != NULL)
            e[m++] = (struct unique_entry){v, i};
    }
    qsort(e, (size_t)m, sizeof(*e), unique_cmp);
    for (int i = 1; i < m; i++)
        n_rep += strcmp(e[i].value, e[i - 1].value) == 0;
    if (n_rep > 0 && (rep = malloc((size_t)n_rep * sizeof(*rep))) == NULL) {
        free(e);
        return fb_cfg_nomem(ld);
    }
    n_rep = 0;
    /* In each run of equal values, sorted by index, the first holds it. */
    for (int g = 0, end; g < m; g = end) {
        for (end = g + 1; end < m && strcmp(e[end].value, e[g].value) == 0; end++)
            rep[n_rep++] = (struct unique_repeat){e[end].index, e[g].index};
    }
    free(e);
    if (n_rep > 0)
        qsort(rep, (size_t)n_rep, sizeof(*rep), repeat_cmp);

    for (int r = 0; r < n_rep && (rc == 0 || fb_cfg_go_on(ld, rc)); r++) {
        const config_setting_t *si =
            config_setting_get_member(config_setting_get_elem(val, (unsigned)rep[r].dup), uk->name);
        const config_setting_t *sj = config_setting_get_member(
            config_setting_get_elem(val, (unsigned)rep[r].first), uk->name);
        char fi[PATH_MAX], fj[PATH_MAX], where[PATH_MAX + 32], ekey[256];
        shown_file(ld, config_setting_source_file(si), fi, sizeof(fi));
        shown_file(ld, config_setting_source_file(sj), fj, sizeof(fj));
        if (strcmp(fi, fj) == 0)
            snprintf(where, sizeof(where), "line %u", line_of(sj));
        else
            snprintf(where, sizeof(where), "%s:%u", fj, line_of(sj));
        snprintf(ekey, sizeof(ekey), "%s[%d].%s", key, rep[r].dup, uk->name);
        rc = fb_cfg_fail(ld, si, ekey, "duplicate %s %s '%s' (first at %s)", sub->what, uk->name,
                         *(char *const *)(arr + (size_t)rep[r].dup * sub->size + uk->off), where);
    }
    free(rep);
    return rc;
}

/* The group's elements become an array of sub's struct. An element's
 * errors are kept and the next element parsed. */
static int parse_list(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                      const config_setting_t *val, const char *key, char *obj)
{
    const struct fb_cfg_section *sub = k->sub;
    int n = config_setting_length(val), rc = 0, before = ld->n_errors;
    char ekey[256], *arr;
    const struct fb_cfg_key *uk = NULL;

    if (n == 0)
        return fb_cfg_fail(ld, val, key, "must not be empty");
    if ((arr = calloc((size_t)n, sub->size)) == NULL)
        return fb_cfg_nomem(ld);
    memcpy(obj + k->off, &arr, sizeof(arr));
    memcpy(obj + k->off_n, &n, sizeof(n));
    for (int i = 0; i < n && (rc == 0 || fb_cfg_go_on(ld, rc)); i++) {
        const config_setting_t *e = config_setting_get_elem(val, (unsigned)i);
        snprintf(ekey, sizeof(ekey), "%s[%d]", key, i);
        if (!config_setting_is_group(e))
            rc = fb_cfg_fail(ld, e, ekey, "expected a group { ... } (got %s)", type_name(e));
        else
            rc = parse_section(ld, sub, e, e, ekey, arr + (size_t)i * sub->size);
    }
    if (rc < 0 && !fb_cfg_go_on(ld, rc))
        return rc;

    for (int i = 0; sub->unique != NULL && i < sub->n_keys; i++)
        if (strcmp(sub->keys[i].name, sub->unique) == 0)
            uk = &sub->keys[i];
    if (uk != NULL && (rc = check_unique(ld, k, uk, val, key, arr, n)) < 0 && !fb_cfg_go_on(ld, rc))
        return rc;
    return ld->n_errors > before ? FB_ECONFIG : 0;
}

/* Parses val for key k into obj's field; at is where val sits (or, for a
 * default, the group it applies to). */
static int parse_value(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                       const config_setting_t *val, const char *key, char *obj)
{
    char *p = obj + k->off, *copy = NULL;
    const char *s = NULL;
    struct fb_errbuf why = {{0}};
    int rc = 0;

    if (!type_fits(k, val))
        return fb_cfg_fail(ld, val, key, "expected %s (got %s)", expected_name(k->kind),
                           type_name(val));

    switch (k->kind) {
    case FB_CFG_STRING:
    case FB_CFG_PATH:
    case FB_CFG_ENV:
    case FB_CFG_ENUM:
        s = config_setting_get_string(val);
        if (s[0] == '\0')
            return fb_cfg_fail(ld, val, key, "must not be empty");
        break;
    default:
        break;
    }

    switch (k->kind) {
    case FB_CFG_STRING:
        if (k->check != NULL && (rc = k->check(s, &why)) < 0)
            return rc == FB_ENOMEM ? fb_cfg_nomem(ld) : fb_cfg_fail(ld, val, key, "%s", why.msg);
        if ((copy = strdup(s)) == NULL)
            return fb_cfg_nomem(ld);
        put_string((char **)p, copy, k->flags & FB_CFG_SECRET);
        return 0;
    case FB_CFG_PATH:
        if ((rc = resolve_path(ld, val, key, s, &copy)) < 0)
            return rc;
        if (access(copy, R_OK) != 0) {
            rc = fb_cfg_fail(ld, val, key, "cannot read '%s': %s", copy, strerror(errno));
            free(copy);
            return rc;
        }
        put_string((char **)p, copy, false);
        return 0;
    case FB_CFG_ENV: {
        bool oom;
        if ((copy = take_env(s, &oom)) == NULL)
            return oom ? fb_cfg_nomem(ld)
                       : fb_cfg_fail(ld, val, key, "environment variable '%s' is not set", s);
        if (copy[0] == '\0') {
            free(copy);
            return fb_cfg_fail(ld, val, key, "environment variable '%s' is empty", s);
        }
        put_string((char **)p, copy, true);
        return 0;
    }
    case FB_CFG_ENUM: {
        char h[256];
        int v;
        if (fb_enum_parse(k->choices, s, &v) == 0) {
            put_enum(p, k->size, v);
            return 0;
        }
        fb_cfg_hint(s, k->choices->names, k->choices->n, h, sizeof(h));
        return fb_cfg_fail(ld, val, key, "unknown %s '%s' %s", what_of(k), s, h);
    }
    case FB_CFG_INT: {
        if (config_setting_type(val) == CONFIG_TYPE_STRING) {
            /* The name of 0, e.g. "all". */
            s = config_setting_get_string(val);
            if (strcmp(k->zero_name, s) == 0) {
                *(int *)p = 0;
                return 0;
            }
            return fb_cfg_fail(ld, val, key, "expected an integer or \"%s\" (got '%s')",
                               k->zero_name, s);
        }
        long long v = config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, (double)v)) < 0)
            return rc;
        *(int *)p = (int)v;
        return 0;
    }
    case FB_CFG_UINT64: {
        long long v = config_setting_get_int64(val);
        if (v < (long long)k->min)
            return fb_cfg_fail(ld, val, key, "must be >= %g (got %lld)", k->min, v);
        *(uint64_t *)p = (uint64_t)v;
        return 0;
    }
    case FB_CFG_NUMBER: {
        double v = config_setting_get_float(val);
        if (config_setting_type(val) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, v)) < 0)
            return rc;
        *(double *)p = v;
        return 0;
    }
    case FB_CFG_MS: {
        double v = config_setting_get_float(val);
        if (config_setting_type(val) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, v)) < 0)
            return rc;
        long ms = lround(v * 1000.0);
        /* 0 itself may mean "none" (min 0, closed); anything else is >= 1 ms. */
        bool zero_ok = k->min == 0 && !(k->flags & FB_CFG_MIN_OPEN) && v == 0;
        if (ms < 1 && !zero_ok)
            return fb_cfg_fail(ld, val, key, "must be at least 0.001 s (got %g)", v);
        *(int *)p = (int)ms;
        return 0;
    }
    case FB_CFG_BOOL:
        *(bool *)p = config_setting_get_bool(val) != 0;
        return 0;
    case FB_CFG_STRINGS:
    case FB_CFG_ENUMS:
        return parse_strings(ld, k, val, key, obj);
    case FB_CFG_GROUP:
        return parse_section(ld, k->sub, val, val, key, p);
    case FB_CFG_LIST:
        return parse_list(ld, k, val, key, obj);
    }
    return 0;
}

/* A default goes through parse_value like a value from the file. */
static int parse_default(struct fb_cfg_loader *ld, const struct fb_cfg_key *k,
                         const config_setting_t *at, const char *key, char *obj)
{
    config_t d;
    char text[512];
    int rc;

    config_init(&d);
    snprintf(text, sizeof(text), "v = %s;", k->def);
    if (!config_read_string(&d, text)) {
        rc = fb_cfg_fail(ld, at, key, "internal error: bad default %s: %s", k->def,
                         config_error_text(&d));
    } else {
        ld->dflt_at = at;
        rc = parse_value(ld, k, config_lookup(&d, "v"), key, obj);
        ld->dflt_at = NULL;
    }
    config_destroy(&d);
    return rc;
}

static int parse_section(struct fb_cfg_loader *ld, const struct fb_cfg_section *sec,
                         const config_setting_t *group, const config_setting_t *at,
                         const char *path, void *obj)
{
    char key[256];
    int rc = 0, before = ld->n_errors, n = group != NULL ? config_setting_length(group) : 0;
    int n_names = sec->n_keys < MAX_CANDS ? sec->n_keys : MAX_CANDS;
    uint64_t suggested = 0; /* keys an unknown key was taken for: not "missing" too */

    /* In file order, so errors come as the file holds them; each key's error
     * is kept and the next key parsed. */
    for (int i = 0; i < n && (rc == 0 || fb_cfg_go_on(ld, rc)); i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(m);
        const struct fb_cfg_key *k = NULL;
        for (int j = 0; j < sec->n_keys && k == NULL; j++)
            if (strcmp(sec->keys[j].name, name) == 0)
                k = &sec->keys[j];
        fb_cfg_key_path(key, sizeof(key), path, name);
        if (k == NULL) {
            const char *names[MAX_CANDS];
            char h[512];
            for (int j = 0; j < n_names; j++)
                names[j] = sec->keys[j].name;
            fb_cfg_hint(name, names, n_names, h, sizeof(h));
            rc = fb_cfg_fail(ld, m, key, "unknown key %s", h);
            const char *near = nearest(name, names, n_names);
            for (int j = 0; near != NULL && j < sec->n_keys && j < 64; j++)
                if (sec->keys[j].name == near)
                    suggested |= UINT64_C(1) << j;
            continue;
        }
        rc = parse_value(ld, k, m, key, obj);
    }

    for (int j = 0; j < sec->n_keys && (rc == 0 || fb_cfg_go_on(ld, rc)); j++) {
        const struct fb_cfg_key *k = &sec->keys[j];
        if (group != NULL && config_setting_get_member(group, k->name) != NULL)
            continue;
        fb_cfg_key_path(key, sizeof(key), path, k->name);
        if ((k->flags & FB_CFG_REQUIRED) && ld->defaults_only)
            rc = 0; /* fb_cfg_defaults: left unset */
        else if ((k->flags & FB_CFG_REQUIRED) && j < 64 && (suggested >> j & 1))
            rc = 0; /* "did you mean" already named it */
        else if (k->flags & FB_CFG_REQUIRED)
            rc = fb_cfg_fail(ld, at, key, "missing required key (%s)", k->help);
        else if (k->def != NULL)
            rc = parse_default(ld, k, at, key, obj);
        else if (k->kind == FB_CFG_GROUP)
            rc = parse_section(ld, k->sub, NULL, at, key, (char *)obj + k->off);
        else
            rc = 0;
    }
    if (rc < 0 && !fb_cfg_go_on(ld, rc))
        return rc;

    if (sec->has_line)
        *(int *)((char *)obj + sec->off_line) = (int)line_of(at);
    /* The cross-key checks need every key of the section valid: after an
     * error they would only report its consequences. */
    if (ld->n_errors > before)
        return FB_ECONFIG;
    return sec->finish != NULL ? sec->finish(ld, group, at, path, obj) : 0;
}

/* ---- loading ---- */

/* For "cannot open include file": the name in the @include at file:line. */
static bool include_name(const char *file, int line, char *out, size_t n)
{
    FILE *f = fopen(file, "r");
    char *buf = NULL;
    size_t cap = 0;
    bool found = false;

    if (f == NULL)
        return false;
    for (int i = 1; getline(&buf, &cap, f) != -1; i++) {
        if (i != line)
            continue;
        const char *p = strstr(buf, "@include");
        const char *q = p != NULL ? strchr(p, '"') : NULL;
        const char *e = q != NULL ? strchr(q + 1, '"') : NULL;
        if (e != NULL) {
            snprintf(out, n, "%.*s", (int)(e - q - 1), q + 1);
            found = true;
        }
        break;
    }
    free(buf);
    fclose(f);
    return found;
}

static int syntax_error(struct fb_cfg_loader *ld, const config_t *cf)
{
    const char *text = config_error_text(cf) != NULL ? config_error_text(cf) : "unreadable";
    char file[PATH_MAX], inc[PATH_MAX], tried[PATH_MAX + PATH_MAX];
    int line = config_error_line(cf);

    shown_file(ld, config_error_file(cf), file, sizeof(file));
    if (strcmp(text, "cannot open include file") == 0 &&
        include_name(file, line, inc, sizeof(inc))) {
        if (inc[0] == '/')
            return fb_errf(ld->eb, FB_ECONFIG,
                           "%s:%d: @include: cannot open '%s': include paths must be "
                           "relative to '%s'",
                           file, line, inc, ld->dir);
        if (strcmp(ld->dir, ".") == 0)
            snprintf(tried, sizeof(tried), "%s", inc);
        else
            snprintf(tried, sizeof(tried), "%s/%s", ld->dir, inc);
        return fb_errf(ld->eb, FB_ECONFIG, "%s:%d: @include: cannot open '%s': %s", file, line,
                       tried, access(tried, R_OK) != 0 ? strerror(errno) : "unreadable");
    }
    return fb_errf(ld->eb, FB_ECONFIG, "%s:%d: syntax error: %s", file, line, text);
}

/* libconfig 1.5 ends the whole process (flex: "input in flex scanner
 * failed", exit 2) when an @include names a directory, and waits forever
 * when it names a FIFO without a writer. So before a file is
 * handed to it, the includes it would open are looked at: lines starting
 * with @include "name" (its pattern; also inside a comment or a string,
 * where it would not follow them), in the file and in the regular files it
 * includes, each name read as its scanner reads it and resolved against
 * ld->dir as it does. A directory or another file that is not a regular
 * one is an error here; the rest (missing files, nesting too deep) is left
 * to libconfig. A file already being scanned is not scanned again. */
enum { INCLUDE_DEPTH_MAX = 10 }; /* libconfig's MAX_INCLUDE_DEPTH */

struct file_id {
    dev_t dev;
    ino_t ino;
};

/* The include name starting at p (after the opening quote), up to the
 * closing quote, which may be lines further on: \\ and \" stand for \
 * and ", another backslash is dropped, and each run of other bytes counts
 * up to its first NUL (libconfig appends it as a C string). false when the
 * quote is not closed or the name does not fit. */
static bool include_target(const char *p, const char *end, char *name, size_t n)
{
    size_t len = 0;
    bool cut = false; /* a NUL ended the current run */

    for (; p < end && *p != '"'; p++) {
        if (*p == '\\') {
            cut = false;
            if (p + 1 == end || (p[1] != '\\' && p[1] != '"'))
                continue;
            p++;
        } else if (*p == '\0' || cut) {
            cut = true;
            continue;
        }
        if (len + 1 >= n)
            return false;
        name[len++] = *p;
    }
    name[len] = '\0';
    return p < end;
}

static int check_includes(struct fb_cfg_loader *ld, const char *file, int depth,
                          struct file_id *open)
{
    FILE *f = fopen(file, "r");
    char *text = NULL, name[PATH_MAX], full[PATH_MAX];
    size_t len = 0, cap = 0, got;
    int rc = 0, line = 1;

    if (f == NULL)
        return 0; /* libconfig says why */
    do {
        if (len + 4096 > cap) {
            char *t = realloc(text, cap = 2 * (len + 4096));
            if (t == NULL) {
                free(text);
                fclose(f);
                return fb_cfg_nomem(ld);
            }
            text = t;
        }
        got = fread(text + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    fclose(f);

    for (const char *p = text, *end = text + len; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
        struct stat st;
        bool seen = false;

        p = nl != NULL ? nl + 1 : end;
        while (q < p && (*q == ' ' || *q == '\t'))
            q++;
        if (p - q < 10 || memcmp(q, "@include", 8) != 0 || (q[8] != ' ' && q[8] != '\t'))
            continue;
        for (q += 8; q < end && (*q == ' ' || *q == '\t');)
            q++;
        if (q == end || *q != '"' || !include_target(q + 1, end, name, sizeof(name)) ||
            (size_t)snprintf(full, sizeof(full), "%s/%s", ld->dir, name) >= sizeof(full) ||
            stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = fb_errf(ld->eb, FB_ECONFIG, "%s:%d: @include: cannot open '%s': it is a directory",
                         file, line, full);
        else if (!S_ISREG(st.st_mode)) /* a FIFO would block libconfig's open */
            rc = fb_errf(ld->eb, FB_ECONFIG,
                         "%s:%d: @include: cannot open '%s': not a regular file", file, line, full);
        if (rc < 0 || !S_ISREG(st.st_mode) || depth >= INCLUDE_DEPTH_MAX)
            continue;
        for (int i = 0; i <= depth; i++)
            seen = seen || (open[i].dev == st.st_dev && open[i].ino == st.st_ino);
        if (seen)
            continue;
        open[depth + 1] = (struct file_id){st.st_dev, st.st_ino};
        rc = check_includes(ld, full, depth + 1, open);
    }
    free(text);
    return rc;
}

int fb_cfg_load(const struct fb_cfg_section *root, const char *path, void *obj,
                struct fb_errbuf *eb, const struct fb_cfg_errlist *errs)
{
    struct fb_cfg_loader ld = {.path = path, .eb = eb, .errs = errs};
    struct file_id open_files[INCLUDE_DEPTH_MAX + 1];
    struct stat st;
    const config_setting_t *top;
    config_t cf;
    bool cf_open = false;
    FILE *f;
    int rc = 0;

    /* Only a regular file, looked at before anything opens it: opening a
     * FIFO waits for a writer, and a device or a folder is no configuration
     * file. (libconfig opens it again by name; a file swapped for another
     * kind in between is not caught.) libconfig also reports a missing or
     * unreadable file without saying why. */
    if (stat(path, &st) != 0 || (S_ISREG(st.st_mode) && (f = fopen(path, "r")) == NULL)) {
        rc = fb_errf(eb, FB_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = fb_errf(eb, FB_ECONFIG, "%s: cannot open: %s", path,
                     S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
        goto out;
    }
    fclose(f);
    if ((ld.dir = dir_of(path)) == NULL) {
        rc = fb_cfg_nomem(&ld);
        goto out;
    }
    open_files[0] = (struct file_id){st.st_dev, st.st_ino};
    if ((rc = check_includes(&ld, path, 0, open_files)) < 0)
        goto out;

    config_init(&cf);
    cf_open = true;
    /* Includes resolve against the file's directory. libconfig 1.5 prefixes
     * this directory to every include, nested ones and absolute paths too,
     * so includes are written relative to the file. */
    config_set_include_dir(&cf, ld.dir);
    if (!config_read_file(&cf, path)) {
        rc = syntax_error(&ld, &cf);
        goto out;
    }
    top = config_root_setting(&cf);
    rc = parse_section(&ld, root, top, top, "", obj);
out:
    if (cf_open)
        config_destroy(&cf);
    free(ld.dir);
    /* An error found before the keys (the file, its syntax, an include) or
     * out of memory is the only one. */
    if (rc < 0 && errs != NULL && *errs->n == 0 && eb != NULL)
        snprintf(errs->msg[(*errs->n)++], FB_ERRMSG_LEN, "%s", eb->msg);
    return rc;
}

int fb_cfg_defaults(const struct fb_cfg_section *sec, const char *name, const char *path, void *obj,
                    struct fb_errbuf *eb)
{
    struct fb_cfg_loader ld = {.path = name, .eb = eb, .defaults_only = true};
    config_t cf;
    int rc;

    if ((ld.dir = strdup(".")) == NULL)
        return fb_cfg_nomem(&ld);
    config_init(&cf);
    if (!config_read_string(&cf, ""))
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
    else
        rc = parse_section(&ld, sec, config_root_setting(&cf), config_root_setting(&cf), path, obj);
    config_destroy(&cf);
    free(ld.dir);
    return rc;
}

/* ---- freeing ---- */

void fb_cfg_free(const struct fb_cfg_section *sec, void *obj_)
{
    char *obj = obj_;

    for (int j = 0; j < sec->n_keys; j++) {
        const struct fb_cfg_key *k = &sec->keys[j];
        char *p = obj + k->off;
        int n;
        if (k->flags & FB_CFG_ALIAS)
            continue;
        switch (k->kind) {
        case FB_CFG_STRING:
        case FB_CFG_PATH:
        case FB_CFG_ENV:
            put_string((char **)p, NULL, k->flags & FB_CFG_SECRET);
            break;
        case FB_CFG_STRINGS: {
            char **arr = *(char ***)p;
            memcpy(&n, obj + k->off_n, sizeof(n));
            for (int i = 0; arr != NULL && i < n; i++)
                free(arr[i]);
            free(arr);
            *(char ***)p = NULL;
            break;
        }
        case FB_CFG_ENUMS:
            free(*(int **)p);
            *(int **)p = NULL;
            break;
        case FB_CFG_GROUP:
            fb_cfg_free(k->sub, p);
            break;
        case FB_CFG_LIST: {
            char *arr;
            memcpy(&arr, p, sizeof(arr));
            memcpy(&n, obj + k->off_n, sizeof(n));
            for (int i = 0; arr != NULL && i < n; i++)
                fb_cfg_free(k->sub, arr + (size_t)i * k->sub->size);
            free(arr);
            arr = NULL;
            memcpy(p, &arr, sizeof(arr));
            break;
        }
        default:
            break;
        }
    }
}

/* ---- writing ---- */

void fb_cfg_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\x%02x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void write_section(FILE *f, const struct fb_cfg_section *sec, const char *obj, int indent);

static void write_key(FILE *f, const struct fb_cfg_key *k, const char *obj, int indent)
{
    const char *p = obj + k->off, *as, *as_value = NULL;
    int n;

    switch (k->kind) {
    case FB_CFG_STRING:
    case FB_CFG_PATH:
    case FB_CFG_ENV:
        if (*(char *const *)p == NULL)
            return;
        break;
    default:
        break;
    }
    if (k->write_as != NULL && (as = k->write_as(obj, &as_value)) != NULL) {
        fprintf(f, "%*s%s = ", indent, "", as);
        fb_cfg_write_string(f, as_value);
        fputs(";\n", f);
        return;
    }
    fprintf(f, "%*s%s = ", indent, "", k->name);
    switch (k->kind) {
    case FB_CFG_STRING:
    case FB_CFG_PATH:
    case FB_CFG_ENV:
        fb_cfg_write_string(f, (k->flags & FB_CFG_SECRET) ? "********" : *(char *const *)p);
        break;
    case FB_CFG_INT: {
        int v = *(const int *)p;
        if (k->zero_name != NULL && v == 0)
            fb_cfg_write_string(f, k->zero_name);
        else
            fprintf(f, "%d", v);
        break;
    }
    case FB_CFG_UINT64: {
        uint64_t v = *(const uint64_t *)p;
        fprintf(f, "%llu%s", (unsigned long long)v, v > INT_MAX ? "L" : "");
        break;
    }
    case FB_CFG_NUMBER:
        fprintf(f, "%.17g", *(const double *)p);
        break;
    case FB_CFG_MS: {
        int ms = *(const int *)p;
        char frac[16];
        size_t len = (size_t)snprintf(frac, sizeof(frac), "%03d", ms % 1000);
        while (len > 0 && frac[len - 1] == '0')
            frac[--len] = '\0';
        fprintf(f, "%d%s%s", ms / 1000, len > 0 ? "." : "", frac);
        break;
    }
    case FB_CFG_BOOL:
        fputs(*(const bool *)p ? "true" : "false", f);
        break;
    case FB_CFG_ENUM: {
        int v = get_enum(p, k->size);
        fb_cfg_write_string(f, k->choices->names[v >= 0 && v < k->choices->n ? v : 0]);
        break;
    }
    case FB_CFG_STRINGS:
    case FB_CFG_ENUMS:
        memcpy(&n, obj + k->off_n, sizeof(n));
        fputs("[", f);
        for (int i = 0; i < n; i++) {
            fputs(i > 0 ? ", " : " ", f);
            if (k->kind == FB_CFG_STRINGS)
                fb_cfg_write_string(f, (*(char **const *)p)[i]);
            else
                fb_cfg_write_string(f, fb_enum_name(k->choices, (*(int *const *)p)[i]));
        }
        fputs(" ]", f);
        break;
    case FB_CFG_GROUP:
        fputs("{\n", f);
        write_section(f, k->sub, p, indent + 2);
        fprintf(f, "%*s}", indent, "");
        break;
    case FB_CFG_LIST: {
        const char *arr;
        memcpy(&arr, p, sizeof(arr));
        memcpy(&n, obj + k->off_n, sizeof(n));
        fputs("(\n", f);
        for (int i = 0; i < n; i++) {
            fprintf(f, "%*s{\n", indent + 2, "");
            write_section(f, k->sub, arr + (size_t)i * k->sub->size, indent + 4);
            fprintf(f, "%*s}%s\n", indent + 2, "", i + 1 < n ? "," : "");
        }
        fprintf(f, "%*s)", indent, "");
        break;
    }
    }
    fputs(";\n", f);
}

static void write_section(FILE *f, const struct fb_cfg_section *sec, const char *obj, int indent)
{
    int kind = 0;

    if (sec->has_kind)
        memcpy(&kind, obj + sec->off_kind, sizeof(kind));
    for (int j = 0; j < sec->n_keys; j++) {
        const struct fb_cfg_key *k = &sec->keys[j];
        if (k->flags & FB_CFG_ALIAS)
            continue;
        if (sec->has_kind && k->used_by != 0 &&
            (kind < 0 || kind >= 32 || !(k->used_by >> kind & 1u)))
            continue;
        if (k->kind == FB_CFG_LIST) {
            /* An optional list left empty is left out: the loader refuses
             * an empty one. */
            int n;
            memcpy(&n, obj + k->off_n, sizeof(n));
            if (n == 0)
                continue;
        }
        if (indent == 0)
            fprintf(f, "\n# %s\n", k->help);
        write_key(f, k, obj, indent);
    }
}

void fb_cfg_write(FILE *f, const struct fb_cfg_section *sec, const void *obj)
{
    write_section(f, sec, obj, 0);
}

/* ---- listing ---- */

static const char *list_type(const struct fb_cfg_key *k)
{
    switch (k->kind) {
    case FB_CFG_STRING:
    case FB_CFG_ENUM:
        return "string";
    case FB_CFG_PATH:
        return "file (relative to the file setting it)";
    case FB_CFG_ENV:
        return "environment variable name";
    case FB_CFG_INT:
    case FB_CFG_UINT64:
        return "integer";
    case FB_CFG_NUMBER:
        return "number";
    case FB_CFG_MS:
        return "seconds";
    case FB_CFG_BOOL:
        return "boolean";
    case FB_CFG_STRINGS:
    case FB_CFG_ENUMS:
        return "array of strings";
    case FB_CFG_GROUP:
        return "group";
    case FB_CFG_LIST:
        return "list of groups";
    }
    return "?";
}

/* "\"a\", \"b\" or \"c\"" from the names of an enum, or of a names hook. */
static void list_names(FILE *f, const struct fb_enum *e, const char *(*names)(int i))
{
    int n = 0;
    if (e != NULL)
        n = e->n;
    else
        while (names(n) != NULL)
            n++;
    for (int i = 0; i < n; i++) {
        const char *sep = i == n - 1 ? " or " : ", ";
        fprintf(f, "%s\"%s\"", i == 0 ? "" : sep, e != NULL ? e->names[i] : names(i));
    }
}

static void list_section(FILE *f, const struct fb_cfg_section *sec, const char *path)
{
    const struct fb_cfg_key *kind_key = NULL;
    char key[256], sub[260];

    for (int j = 0; sec->has_kind && j < sec->n_keys; j++)
        if (sec->keys[j].kind == FB_CFG_ENUM && sec->keys[j].off == sec->off_kind)
            kind_key = &sec->keys[j];
    for (int j = 0; j < sec->n_keys; j++) {
        const struct fb_cfg_key *k = &sec->keys[j];
        bool ranged = k->kind == FB_CFG_INT || k->kind == FB_CFG_NUMBER || k->kind == FB_CFG_MS;

        fb_cfg_key_path(key, sizeof(key), path, k->name);
        fprintf(f, "%s: %s", key, list_type(k));
        if (k->zero_name != NULL)
            fprintf(f, " or \"%s\"", k->zero_name);
        if (k->flags & FB_CFG_REQUIRED)
            fputs("; required", f);
        if (k->def != NULL)
            fprintf(f, "; default %s", k->def);
        if (ranged || k->kind == FB_CFG_UINT64)
            fprintf(f, "; range %c%.15g, %s", (k->flags & FB_CFG_MIN_OPEN) ? '(' : '[', k->min,
                    k->max > k->min ? "" : "...)");
        if (ranged && k->max > k->min)
            fprintf(f, "%.15g]", k->max);
        if (k->kind == FB_CFG_ENUM || k->kind == FB_CFG_ENUMS) {
            fputs(k->kind == FB_CFG_ENUM ? "; one of " : "; each one of ", f);
            list_names(f, k->choices, NULL);
        } else if (k->names != NULL) {
            fputs("; known: ", f);
            list_names(f, NULL, k->names);
        }
        if (kind_key != NULL && k->used_by != 0) {
            bool first = true;
            fb_cfg_key_path(sub, sizeof(sub), path, kind_key->name);
            fprintf(f, "; used with %s", sub);
            for (int v = 0; v < kind_key->choices->n && v < 32; v++)
                if (k->used_by >> v & 1u) {
                    fprintf(f, "%s \"%s\"", first ? "" : ",", kind_key->choices->names[v]);
                    first = false;
                }
        }
        if (k->flags & FB_CFG_SECRET)
            fputs("; secret", f);
        fprintf(f, "\n    %s\n", k->help);
        if (k->kind == FB_CFG_GROUP)
            list_section(f, k->sub, key);
        else if (k->kind == FB_CFG_LIST) {
            snprintf(sub, sizeof(sub), "%s[]", key);
            list_section(f, k->sub, sub);
        }
    }
}

void fb_cfg_list(FILE *f, const struct fb_cfg_section *sec)
{
    list_section(f, sec, "");
}
