/* plugopt.c - "NAME:KEY=VALUE,..." against a plug-in's parameter table. */
#include "core/plugopt.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fb_plugspec_name(const char *spec, char *name, size_t n)
{
    size_t len = strcspn(spec, ":");

    if (len == 0 || len >= n)
        return FB_EINVAL;
    memcpy(name, spec, len);
    name[len] = '\0';
    return 0;
}

static int table_len(const struct fb_plugopt *t)
{
    int n = 0;
    while (t != NULL && t[n].name != NULL)
        n++;
    return n;
}

/* "known: a, b" of the table into buf. */
static void known(const struct fb_plugopt *t, char *buf, size_t n)
{
    size_t o = 0;
    int k = table_len(t);

    if (k == 0) {
        snprintf(buf, n, "it takes none");
        return;
    }
    o += (size_t)snprintf(buf, n, "known:");
    for (int i = 0; i < k && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s %s", i > 0 ? "," : "", t[i].name);
}

int fb_plugspec_parse(const char *spec, const struct fb_plugopt *table, struct fb_plugspec *out,
                      struct fb_errbuf *eb)
{
    const char *p = strchr(spec, ':');
    bool set[FB_PLUGOPT_MAX] = {false};
    int n = table_len(table);
    char k[64];

    memset(out, 0, sizeof(*out));
    if (fb_plugspec_name(spec, out->name, sizeof(out->name)) < 0)
        return fb_errf(eb, FB_EINVAL, "'%s': no name before ':'", spec);
    if (n > FB_PLUGOPT_MAX)
        return fb_errf(eb, FB_EINVAL, "%s: too many parameters in its table", out->name);
    out->n_values = n;
    for (int i = 0; i < n; i++)
        out->values[i] = table[i].def;
    if (p == NULL)
        return 0;
    for (p++;;) {
        const char *eq = strchr(p, '='), *end = p + strcspn(p, ",");
        char *num_end;
        int i;

        if (eq == NULL || eq > end || eq == p || (size_t)(eq - p) >= sizeof(k))
            return fb_errf(eb, FB_EINVAL, "%s: '%.*s' is not KEY=VALUE", out->name,
                           (int)(end - p), p);
        memcpy(k, p, (size_t)(eq - p));
        k[eq - p] = '\0';
        for (i = 0; i < n && strcmp(table[i].name, k) != 0; i++)
            ;
        if (i == n) {
            char names[256];
            known(table, names, sizeof(names));
            return fb_errf(eb, FB_EINVAL, "%s: unknown parameter '%s' (%s)", out->name, k,
                           names);
        }
        if (set[i])
            return fb_errf(eb, FB_EINVAL, "%s: %s given twice", out->name, k);
        errno = 0;
        double v = strtod(eq + 1, &num_end);
        if (num_end == eq + 1 || num_end != end || errno != 0 || !isfinite(v))
            return fb_errf(eb, FB_EINVAL, "%s: %s: '%.*s' is not a number", out->name, k,
                           (int)(end - eq - 1), eq + 1);
        if (table[i].kind == FB_PLUGOPT_INT && v != floor(v))
            return fb_errf(eb, FB_EINVAL, "%s: %s: %g is not a whole number", out->name, k, v);
        if (v < table[i].min || v > table[i].max)
            return fb_errf(eb, FB_EINVAL, "%s: %s: %g is outside [%g, %g]", out->name, k, v,
                           table[i].min, table[i].max);
        out->values[i] = v;
        set[i] = true;
        if (*end == '\0')
            return 0;
        p = end + 1;
    }
}

void fb_plugopt_list(FILE *f, const char *name, const char *summary,
                     const struct fb_plugopt *table)
{
    fprintf(f, "%-18s %s\n", name, summary);
    for (const struct fb_plugopt *o = table; o != NULL && o->name != NULL; o++) {
        char kv[80];
        snprintf(kv, sizeof(kv), "%s=%g", o->name, o->def);
        fprintf(f, "    %-16s %s in [%g, %g]: %s\n", kv,
                o->kind == FB_PLUGOPT_INT ? "integer" : "number", o->min, o->max, o->help);
    }
}

static bool whole(double v)
{
    return v == floor(v);
}

int fb_plugopt_table_check(const char *what, const char *name, const struct fb_plugopt *t,
                           struct fb_errbuf *eb)
{
    int n = 0;

    for (; t != NULL && t[n].name != NULL; n++) {
        const struct fb_plugopt *o = &t[n];
        if (n == FB_PLUGOPT_MAX)
            return fb_errf(eb, FB_EINVAL, "%s '%s': more than %d parameters",
                           what, name, FB_PLUGOPT_MAX);
        if (o->name[0] == '\0' || o->help == NULL || o->help[0] == '\0')
            return fb_errf(eb, FB_EINVAL,
                           "%s '%s': parameter %d needs a name and help", what, name, n);
        if (o->kind != FB_PLUGOPT_NUMBER && o->kind != FB_PLUGOPT_INT)
            return fb_errf(eb, FB_EINVAL, "%s '%s': %s has no valid kind", what,
                           name, o->name);
        if (!isfinite(o->min) || !isfinite(o->max) || !isfinite(o->def) || o->min > o->max ||
            o->def < o->min || o->def > o->max)
            return fb_errf(eb, FB_EINVAL,
                           "%s '%s': %s: default %g outside [%g, %g]", what,
                           name, o->name, o->def, o->min, o->max);
        if (o->kind == FB_PLUGOPT_INT && !(whole(o->def) && whole(o->min) && whole(o->max)))
            return fb_errf(eb, FB_EINVAL,
                           "%s '%s': %s is an integer with a fractional bound",
                           what, name, o->name);
        for (int j = 0; j < n; j++)
            if (strcmp(t[j].name, o->name) == 0)
                return fb_errf(eb, FB_EINVAL, "%s '%s': %s is listed twice",
                               what, name, o->name);
    }
    return 0;
}

