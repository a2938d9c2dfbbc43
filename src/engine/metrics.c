/* metrics.c - node load: fbm1 counter lines, the testbed's JSON, CPU % from counter deltas. */
#include "engine/metrics.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* fbm1 keys that must all be present. */
enum { K_CPU_NS, K_CLOCK_NS, K_MEM_USED, K_MEM_LIMIT, K_CPUS, K_N };
static const char *const fbm1_keys[K_N] = {"cpu_ns", "clock_ns", "mem_used", "mem_limit",
                                           "cpus"};

/* Unsigned decimal filling the whole of [p, end); no sign, no overflow. */
static bool parse_u64(const char *p, const char *end, uint64_t *out)
{
    uint64_t v = 0;

    if (p == end)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return true;
}

/* A finite number filling the whole of [p, end). */
static bool parse_double(const char *p, const char *end, double *out)
{
    char buf[64];
    char *stop;
    size_t n = (size_t)(end - p);
    double v;

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    v = strtod(buf, &stop);
    if (stop != buf + n || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The last line of text that starts with "fbm1" and a blank; NULL if none. */
static const char *fbm1_line(const char *text, const char **end)
{
    const char *found = NULL, *p = text;

    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        const char *le = nl ? nl : p + strlen(p);
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (le - s > 4 && memcmp(s, "fbm1", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
            found = s;
            *end = le;
        }
        p = nl ? nl + 1 : le;
    }
    return found;
}

static int parse_fbm1(const char *text, struct fb_counters *out, struct fb_errbuf *eb)
{
    const char *end = NULL, *p = fbm1_line(text, &end);
    bool seen[K_N] = {false};
    int k;

    if (p == NULL)
        return fb_errf(eb, FB_EMETRICS, "no fbm1 line in metrics output");
    p += 4;
    while (p < end) {
        const char *w, *eq, *we;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        w = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        we = p;
        eq = memchr(w, '=', (size_t)(we - w));
        if (eq == NULL || eq == w)
            return fb_errf(eb, FB_EMETRICS, "fbm1: bad word '%.*s'", (int)(we - w), w);
        for (k = 0; k < K_N; k++) {
            if ((size_t)(eq - w) == strlen(fbm1_keys[k]) &&
                memcmp(w, fbm1_keys[k], (size_t)(eq - w)) == 0)
                break;
        }
        if (k == K_N)
            continue; /* unknown keys (source=, newer ones) are ignored */
        if (seen[k])
            return fb_errf(eb, FB_EMETRICS, "fbm1: %s given twice", fbm1_keys[k]);
        seen[k] = true;
        if (k == K_CPUS) {
            if (!parse_double(eq + 1, we, &out->cpus) || out->cpus <= 0)
                return fb_errf(eb, FB_EMETRICS, "fbm1: cpus: not a positive number: '%.*s'",
                               (int)(we - eq - 1), eq + 1);
            continue;
        }
        uint64_t *dst = k == K_CPU_NS     ? &out->cpu_ns
                        : k == K_CLOCK_NS ? &out->clock_ns
                        : k == K_MEM_USED ? &out->mem_used
                                          : &out->mem_limit;
        if (!parse_u64(eq + 1, we, dst))
            return fb_errf(eb, FB_EMETRICS, "fbm1: %s: not an unsigned integer: '%.*s'",
                           fbm1_keys[k], (int)(we - eq - 1), eq + 1);
    }
    for (k = 0; k < K_N; k++) {
        if (!seen[k])
            return fb_errf(eb, FB_EMETRICS, "fbm1: missing %s", fbm1_keys[k]);
    }
    out->cumulative = true;
    return 0;
}

/* A tiny JSON reader: enough to find two numeric members of one object. */
struct json {
    const char *p;
};

static void json_ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

/* A string: *s, *n point into the text, escapes left as they are. */
static bool json_string(struct json *j, const char **s, size_t *n)
{
    const char *p = j->p;

    if (*p != '"')
        return false;
    p++;
    *s = p;
    while (*p != '"') {
        if (*p == '\0')
            return false;
        if (*p == '\\') {
            p++;
            if (*p == '\0')
                return false;
        }
        p++;
    }
    *n = (size_t)(p - *s);
    j->p = p + 1;
    return true;
}

/* Skips any value: string, object or array (nesting counted, strings
 * respected), or a bare word (number, true, false, null). */
static bool json_skip(struct json *j)
{
    const char *s;
    size_t n;
    int depth = 0;

    do {
        json_ws(j);
        if (*j->p == '"') {
            if (!json_string(j, &s, &n))
                return false;
        } else if (*j->p == '{' || *j->p == '[') {
            depth++;
            j->p++;
        } else if (*j->p == '}' || *j->p == ']') {
            if (depth == 0)
                return false;
            depth--;
            j->p++;
        } else if (*j->p == ',' || *j->p == ':') {
            if (depth == 0)
                return false;
            j->p++;
        } else if (*j->p != '\0') {
            const char *b = j->p;
            while (*j->p != '\0' && strchr(" \t\r\n,:{}[]\"", *j->p) == NULL)
                j->p++;
            if (j->p == b)
                return false;
        } else {
            return false;
        }
    } while (depth > 0);
    return true;
}

/* A number, bare or inside a string ("12.5", " 12.5 % "). */
static bool json_number(struct json *j, double *v)
{
    const char *s, *e;
    size_t n;

    json_ws(j);
    if (*j->p == '"') {
        if (!json_string(j, &s, &n))
            return false;
        e = s + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s && e[-1] == '%')
            e--;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        return parse_double(s, e, v);
    }
    s = j->p;
    while (*j->p != '\0' && strchr("+-.0123456789eE", *j->p) != NULL)
        j->p++;
    return parse_double(s, j->p, v);
}

static int parse_testbed(const char *text, struct fb_counters *out, struct fb_errbuf *eb)
{
    struct json j = {text};
    bool have_cpu = false, have_ram = false;

    json_ws(&j);
    if (*j.p != '{')
        return fb_errf(eb, FB_EMETRICS, "testbed metrics: expected a JSON object");
    j.p++;
    json_ws(&j);
    if (*j.p == '}')
        j.p++;
    else {
        for (;;) {
            const char *k;
            size_t kn;
            double *dst = NULL;
            bool *have = NULL;

            json_ws(&j);
            if (!json_string(&j, &k, &kn))
                return fb_errf(eb, FB_EMETRICS, "testbed metrics: expected a member name");
            json_ws(&j);
            if (*j.p != ':')
                return fb_errf(eb, FB_EMETRICS, "testbed metrics: expected ':' after \"%.*s\"",
                               (int)kn, k);
            j.p++;
            if (kn == 9 && memcmp(k, "cpu_usage", 9) == 0) {
                dst = &out->cpu_pct;
                have = &have_cpu;
            } else if (kn == 9 && memcmp(k, "ram_usage", 9) == 0) {
                dst = &out->ram_pct;
                have = &have_ram;
            }
            if (dst != NULL) {
                if (!json_number(&j, dst))
                    return fb_errf(eb, FB_EMETRICS, "testbed metrics: %.*s is not a number",
                                   (int)kn, k);
                *have = true;
            } else if (!json_skip(&j)) {
                return fb_errf(eb, FB_EMETRICS, "testbed metrics: bad value for \"%.*s\"",
                               (int)kn, k);
            }
            json_ws(&j);
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p == '}') {
                j.p++;
                break;
            }
            return fb_errf(eb, FB_EMETRICS, "testbed metrics: expected ',' or '}'");
        }
    }
    json_ws(&j);
    if (*j.p != '\0')
        return fb_errf(eb, FB_EMETRICS, "testbed metrics: text after the JSON object");
    if (!have_cpu || !have_ram)
        return fb_errf(eb, FB_EMETRICS, "testbed metrics: missing %s",
                       !have_cpu ? "cpu_usage" : "ram_usage");
    out->cumulative = false;
    return 0;
}

int fb_metrics_parse(enum fb_metrics_format f, const char *text,
                     struct fb_counters *out, struct fb_errbuf *eb)
{
    int rc;
    struct fb_counters c;

    memset(&c, 0, sizeof(c));
    if (text == NULL && f != FB_METRICS_NONE)
        return fb_errf(eb, FB_EMETRICS, "no metrics output");
    switch (f) {
    case FB_METRICS_FBNODE:
        rc = parse_fbm1(text, &c, eb);
        break;
    case FB_METRICS_TESTBED:
        rc = parse_testbed(text, &c, eb);
        break;
    case FB_METRICS_NONE:
        rc = 0;
        break;
    default:
        rc = fb_errf(eb, FB_EINVAL, "unknown metrics format %d", (int)f);
        break;
    }
    if (rc == 0)
        *out = c;
    return rc;
}

static double clamp_pct(double v)
{
    if (!(v > 0)) /* also NaN */
        return 0;
    return v > 100 ? 100 : v;
}

double fb_metrics_cpu_pct(const struct fb_counters *prev, const struct fb_counters *cur)
{
    double busy, wall;

    if (cur == NULL)
        return 0;
    if (!cur->cumulative)
        return clamp_pct(cur->cpu_pct);
    if (prev == NULL || !prev->cumulative || cur->clock_ns <= prev->clock_ns ||
        cur->cpu_ns < prev->cpu_ns || !(cur->cpus > 0))
        return 0;
    busy = (double)(cur->cpu_ns - prev->cpu_ns);
    wall = (double)(cur->clock_ns - prev->clock_ns);
    return clamp_pct(busy / wall / cur->cpus * 100.0);
}

double fb_metrics_ram_pct(const struct fb_counters *cur)
{
    if (cur == NULL)
        return 0;
    if (!cur->cumulative)
        return clamp_pct(cur->ram_pct);
    if (cur->mem_limit == 0)
        return 0;
    return clamp_pct((double)cur->mem_used / (double)cur->mem_limit * 100.0);
}
