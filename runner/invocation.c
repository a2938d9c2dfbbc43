/* invocation.c - the invocations.csv column table, its writer and its reader. */
#include "invocation.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const struct fb_column fb_invocation_columns[] = {
#define FB_INV_ENTRY_(name, kind, needed, doc)                                               \
    {#name, FB_COL_##kind, offsetof(struct fb_invocation, name), needed, doc},
    FB_INVOCATION_COLUMNS(FB_INV_ENTRY_)
#undef FB_INV_ENTRY_
};
const int fb_invocation_ncolumns = FB_IC_N;

_Static_assert(sizeof(fb_invocation_columns) / sizeof(fb_invocation_columns[0]) == FB_IC_N,
               "one table entry per column");

/* ---- writing ---- */

/* libcsv's reader trims unquoted leading and trailing blanks (space, tab), so
 * a field starting or ending with one is quoted to survive a round trip. */
static bool is_csv_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return false;
    if (is_csv_blank(s[0]) || is_csv_blank(s[len - 1]))
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void fb_csv_field(FILE *f, const char *s, int first)
{
    size_t len;

    if (!first)
        fputc(',', f);
    if (s == NULL)
        return;
    len = strlen(s);
    if (needs_quotes(s, len))
        csv_fwrite(f, s, len);
    else
        fwrite(s, 1, len, f);
}

/* A number with a fixed count of decimals; not-a-number (and infinities,
 * which no measurement produces) become an empty cell. */
static void put_real(FILE *f, double x, int decimals)
{
    if (isfinite(x))
        fprintf(f, "%.*f", decimals, x);
}

void fb_invocation_write_header(FILE *f)
{
    for (int i = 0; i < FB_IC_N; i++)
        fb_csv_field(f, fb_invocation_columns[i].name, i == 0);
    fputc('\n', f);
}

void fb_invocation_write(FILE *f, const struct fb_invocation *inv)
{
    const char *base = (const char *)inv;

    for (int i = 0; i < FB_IC_N; i++) {
        const struct fb_column *c = &fb_invocation_columns[i];
        const void *p = base + c->off;

        if (c->kind == FB_COL_STR) {
            fb_csv_field(f, *(const char *const *)p, i == 0);
            continue;
        }
        if (i > 0)
            fputc(',', f);
        switch (c->kind) {
        case FB_COL_INT:
            fprintf(f, "%d", *(const int *)p);
            break;
        case FB_COL_LONG:
            fprintf(f, "%ld", *(const long *)p);
            break;
        case FB_COL_I64:
            fprintf(f, "%lld", (long long)*(const int64_t *)p);
            break;
        case FB_COL_MS:
            put_real(f, *(const double *)p, 3);
            break;
        case FB_COL_PCT:
            put_real(f, *(const double *)p, 2);
            break;
        case FB_COL_STR:
            break;
        }
    }
    fputc('\n', f);
}

/* ---- reading ---- */

int fb_invocation_map_header(struct fb_invocation_map *m, const struct fb_csvrow *header,
                             const char **missing)
{
    for (int c = 0; c < FB_IC_N; c++)
        m->field[c] = -1;
    for (size_t i = 0; i < header->n && i < (size_t)INT_MAX; i++) {
        const char *name = fb_csvrow_get(header, i);
        for (int c = 0; c < FB_IC_N; c++) {
            if (m->field[c] < 0 && strcmp(name, fb_invocation_columns[c].name) == 0) {
                m->field[c] = (int)i;
                break;
            }
        }
    }
    m->header_fields = header->n;
    for (int c = 0; c < FB_IC_N; c++) {
        if (fb_invocation_columns[c].needed && m->field[c] < 0) {
            if (missing != NULL)
                *missing = fb_invocation_columns[c].name;
            return FB_EINVAL;
        }
    }
    return 0;
}

const char *fb_invocation_text(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                               enum fb_inv_column c)
{
    int i = m->field[c];

    return i >= 0 ? fb_csvrow_get(row, (size_t)i) : "";
}

/* A whole number in [lo, hi]. */
static int parse_whole(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || x < lo || x > hi)
        return FB_EINVAL;
    *out = x;
    return 0;
}

int fb_invocation_read(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                       struct fb_invocation *inv, enum fb_inv_column *bad)
{
    char *base = (char *)inv;

    for (int i = 0; i < FB_IC_N; i++) {
        const struct fb_column *c = &fb_invocation_columns[i];
        const char *s = fb_invocation_text(m, row, (enum fb_inv_column)i);
        bool absent = m->field[i] < 0;
        void *p = base + c->off;
        long long w = 0;
        int rc = 0;

        switch (c->kind) {
        case FB_COL_STR:
            *(const char **)p = s;
            break;
        case FB_COL_INT:
            if (!absent)
                rc = parse_whole(s, INT_MIN, INT_MAX, &w);
            *(int *)p = (int)w;
            break;
        case FB_COL_LONG:
            if (!absent)
                rc = parse_whole(s, LONG_MIN, LONG_MAX, &w);
            *(long *)p = (long)w;
            break;
        case FB_COL_I64:
            if (!absent)
                rc = parse_whole(s, INT64_MIN, INT64_MAX, &w);
            *(int64_t *)p = (int64_t)w;
            break;
        case FB_COL_MS:
        case FB_COL_PCT:
            rc = fb_csv_real(s, (double *)p);
            break;
        }
        if (rc < 0) {
            if (bad != NULL)
                *bad = (enum fb_inv_column)i;
            return FB_EINVAL;
        }
    }
    return 0;
}
