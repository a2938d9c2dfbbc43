/* expo.c - OpenMetrics 1.0.0 and Prometheus text 0.0.4 exposition. */
#include "observe/expo.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

const char *fb_expo_content_type(enum fb_expo_format f)
{
    return f == FB_EXPO_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                    : "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- Accept ---- */

/* s[0..n) with surrounding blanks dropped, into buf (lower-case). */
static void trimmed(const char *s, size_t n, char *buf, size_t cap)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
}

/* One media range of an Accept header: its type, its q (1 when absent) and
 * its version parameter ("" when absent). */
static void media_range(const char *s, size_t n, char *type, size_t tcap, double *q, char *version,
                        size_t vcap)
{
    const char *end = s + n, *semi = memchr(s, ';', n);
    trimmed(s, (size_t)((semi != NULL ? semi : end) - s), type, tcap);
    *q = 1;
    version[0] = '\0';
    while (semi != NULL) {
        const char *p = semi + 1;
        semi = memchr(p, ';', (size_t)(end - p));
        char param[64];
        trimmed(p, (size_t)((semi != NULL ? semi : end) - p), param, sizeof(param));
        char *eq = strchr(param, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char name[16], value[48];
        trimmed(param, strlen(param), name, sizeof(name));
        trimmed(eq + 1, strlen(eq + 1), value, sizeof(value));
        if (strcmp(name, "q") == 0) {
            char *e;
            double v = strtod(value, &e);
            *q = (e != value && *e == '\0' && v >= 0 && v <= 1) ? v : 0;
        } else if (strcmp(name, "version") == 0) {
            snprintf(version, vcap, "%s", value);
        }
    }
}

enum fb_expo_format fb_expo_negotiate(const char *accept)
{
    double q_om = 0, q_other = 0;

    for (const char *s = accept; s != NULL && *s != '\0';) {
        const char *comma = strchr(s, ',');
        size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);
        char type[96], version[48];
        double q;
        media_range(s, n, type, sizeof(type), &q, version, sizeof(version));
        if (strcmp(type, "application/openmetrics-text") == 0) {
            if ((version[0] == '\0' || strcmp(version, "1.0.0") == 0) && q > q_om)
                q_om = q;
        } else if (type[0] != '\0' && q > q_other) {
            q_other = q;
        }
        s = comma != NULL ? comma + 1 : NULL;
    }
    return q_om > 0 && q_om >= q_other ? FB_EXPO_OPENMETRICS : FB_EXPO_TEXT;
}

/* ---- writing ---- */

const char *fb_expo_number(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "NaN");
    else if (isinf(v))
        snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, n, "%.0f", v);
    else {
        /* The shortest of 15, 16, 17 digits that reads back as v. */
        for (int p = 15; p <= 17; p++) {
            snprintf(buf, n, "%.*g", p, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return buf;
}

size_t fb_expo_labels(char *buf, size_t n_buf, const struct fb_expo_label *l, int n)
{
    size_t k = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (k + 1 < n_buf)                                                                         \
            buf[k] = (c);                                                                          \
        k++;                                                                                       \
    } while (0)
    for (int i = 0; i < n; i++) {
        if (i > 0)
            PUT(',');
        for (const char *p = l[i].name; *p != '\0'; p++)
            PUT(*p);
        PUT('=');
        PUT('"');
        for (const char *p = l[i].value != NULL ? l[i].value : ""; *p != '\0'; p++) {
            if (*p == '\\' || *p == '"') {
                PUT('\\');
                PUT(*p);
            } else if (*p == '\n') {
                PUT('\\');
                PUT('n');
            } else {
                PUT(*p);
            }
        }
        PUT('"');
    }
#undef PUT
    if (n_buf > 0)
        buf[k < n_buf ? k : n_buf - 1] = '\0';
    return k;
}

void fb_expo_init(struct fb_expo *x, FILE *f, enum fb_expo_format fmt)
{
    *x = (struct fb_expo){.f = f, .fmt = fmt};
}

/* HELP text escaped for the format: \\ and \n in both, \" in OpenMetrics. */
static void put_help(const struct fb_expo *x, const char *help)
{
    for (const char *p = help; *p != '\0'; p++) {
        if (*p == '\\')
            fputs("\\\\", x->f);
        else if (*p == '\n')
            fputs("\\n", x->f);
        else if (*p == '"' && x->fmt == FB_EXPO_OPENMETRICS)
            fputs("\\\"", x->f);
        else
            fputc(*p, x->f);
    }
}

void fb_expo_family(struct fb_expo *x, const char *name, enum fb_expo_type t, const char *unit,
                    const char *help)
{
    static const char *const om[] = {"counter", "gauge", "histogram", "info"};
    static const char *const text[] = {"counter", "gauge", "histogram", "gauge"};
    const char *suffix = "";

    x->family = name;
    x->type = t;
    if (x->fmt == FB_EXPO_TEXT)
        suffix = t == FB_EXPO_COUNTER ? "_total" : t == FB_EXPO_INFO ? "_info" : "";
    fprintf(x->f, "# TYPE %s%s %s\n", name, suffix, (x->fmt == FB_EXPO_OPENMETRICS ? om : text)[t]);
    if (x->fmt == FB_EXPO_OPENMETRICS && unit != NULL)
        fprintf(x->f, "# UNIT %s %s\n", name, unit);
    fprintf(x->f, "# HELP %s%s ", name, suffix);
    put_help(x, help);
    fputc('\n', x->f);
}

static void sample(struct fb_expo *x, const char *suffix, const char *labels, const char *extra,
                   const char *value)
{
    bool braces = labels[0] != '\0' || extra != NULL;
    fprintf(x->f, "%s%s%s%s%s%s%s %s\n", x->family, suffix, braces ? "{" : "", labels,
            labels[0] != '\0' && extra != NULL ? "," : "", extra != NULL ? extra : "",
            braces ? "}" : "", value);
}

void fb_expo_gauge(struct fb_expo *x, const char *labels, double v)
{
    char num[40];
    sample(x, "", labels, NULL, fb_expo_number(v, num, sizeof(num)));
}

void fb_expo_counter(struct fb_expo *x, const char *labels, uint64_t count)
{
    char num[24];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)count);
    sample(x, "_total", labels, NULL, num);
}

void fb_expo_info(struct fb_expo *x, const char *labels)
{
    sample(x, "_info", labels, NULL, "1");
}

void fb_expo_histogram(struct fb_expo *x, const char *labels, const double *bounds, int n,
                       const uint64_t *counts, double sum)
{
    char le[56], num[40], count[24];
    uint64_t cum = 0;

    for (int i = 0; i <= n; i++) {
        cum += counts[i];
        if (i < n)
            snprintf(le, sizeof(le), "le=\"%s\"", fb_expo_number(bounds[i], num, sizeof(num)));
        else
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        snprintf(count, sizeof(count), "%llu", (unsigned long long)cum);
        sample(x, "_bucket", labels, le, count);
    }
    sample(x, "_count", labels, NULL, count);
    sample(x, "_sum", labels, NULL, fb_expo_number(sum, num, sizeof(num)));
}

int fb_expo_end(struct fb_expo *x)
{
    if (x->fmt == FB_EXPO_OPENMETRICS)
        fputs("# EOF\n", x->f);
    return ferror(x->f) ? FB_EIO : 0;
}
