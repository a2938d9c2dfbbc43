/* invocation.c - the invocations.csv column table, its writer and its reader. */
#include "results/invocation.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

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

void fb_invocation_write_header(FILE *f)
{
    fb_col_write_header(f, fb_invocation_columns, FB_IC_N);
}

/* Column c of the row *inv, as fb_col_put takes it. */
static struct fb_value invocation_value(const void *row, int c)
{
    const struct fb_column *col = &fb_invocation_columns[c];
    const void *p = (const char *)row + col->off;

    switch (col->kind) {
    case FB_COL_STR:
        return FB_VSTR(*(const char *const *)p);
    case FB_COL_INT:
        return FB_VINT(*(const int *)p);
    case FB_COL_LONG:
        return FB_VINT(*(const long *)p);
    case FB_COL_I64:
        return FB_VINT(*(const int64_t *)p);
    case FB_COL_MS:
    case FB_COL_PCT:
    case FB_COL_MB:
        return FB_VREAL(*(const double *)p);
    default: /* no such column in this table */
        break;
    }
    return FB_VSTR(NULL);
}

void fb_invocation_write(FILE *f, const struct fb_invocation *inv)
{
    fb_col_write_row(f, fb_invocation_columns, FB_IC_N, invocation_value, inv);
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

size_t fb_invocation_text_len(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                              enum fb_inv_column c)
{
    int i = m->field[c];

    return i >= 0 ? fb_csvrow_len(row, (size_t)i) : 0;
}

/* What can be wrong with a field, by the rules of invocation.h. */
enum problem {
    P_NONE,
    P_NUL,
    P_WHOLE,
    P_DECIMAL,
    P_NEGATIVE_MS,
    P_NEGATIVE_MB,
    P_NEGATIVE_TIME,
    P_RANGE
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The end of a run of digits from s (s itself when there is none). */
static const char *skip_digits(const char *s)
{
    while (is_digit(*s))
        s++;
    return s;
}

/* A whole number in [lo, hi]: digits, with '-' before them when signed. */
static enum problem parse_whole(const char *s, bool sign, long long lo, long long hi,
                                long long *out)
{
    const char *p = s;
    char *end;
    long long x;

    if (*p == '-') {
        if (!sign)
            return is_digit(p[1]) && *skip_digits(p + 1) == '\0' ? P_NEGATIVE_TIME : P_WHOLE;
        p++;
    }
    if (!is_digit(*p) || *skip_digits(p) != '\0')
        return P_WHOLE;
    /* Only digits left: strtoll's leniencies (blanks, '+', 0x) cannot apply. */
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || x < lo || x > hi)
        return P_RANGE;
    *out = x;
    return P_NONE;
}

/* A plain decimal (digits, optionally a point and digits), '-' before it
 * when sign; empty is NAN. */
static enum problem parse_decimal(const char *s, bool sign, double *out)
{
    const char *p = s;
    char *end;
    double x;
    bool negative = false;

    *out = NAN;
    if (*s == '\0')
        return P_NONE;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (!is_digit(*p))
        return P_DECIMAL;
    p = skip_digits(p);
    if (*p == '.') {
        if (!is_digit(p[1]))
            return P_DECIMAL;
        p = skip_digits(p + 1);
    }
    if (*p != '\0')
        return P_DECIMAL;
    if (negative && !sign)
        return P_NEGATIVE_MS;
    /* The grammar above is a subset of strtod's, read the same in the C
     * locale; only an overflow to infinity is left to refuse. */
    errno = 0;
    x = strtod(s, &end);
    if (errno == ERANGE && !isfinite(x))
        return P_RANGE;
    *out = x;
    return P_NONE;
}

/* Reads column c of row into *inv (a column the file lacks: "", 0, NAN). */
static enum problem read_column(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                                enum fb_inv_column c, struct fb_invocation *inv)
{
    const struct fb_column *col = &fb_invocation_columns[c];
    const char *s = fb_invocation_text(m, row, c);
    bool absent = m->field[c] < 0;
    void *p = (char *)inv + col->off;
    enum problem pr = P_NONE;
    long long w = 0;

    if (!absent && strlen(s) != fb_invocation_text_len(m, row, c))
        return P_NUL;
    switch (col->kind) {
    case FB_COL_STR:
        *(const char **)p = s;
        break;
    case FB_COL_INT:
        if (!absent)
            pr = parse_whole(s, true, INT_MIN, INT_MAX, &w);
        *(int *)p = (int)w;
        break;
    case FB_COL_LONG:
        if (!absent)
            pr = parse_whole(s, true, LONG_MIN, LONG_MAX, &w);
        *(long *)p = (long)w;
        break;
    case FB_COL_I64:
        if (!absent)
            pr = parse_whole(s, false, 0, INT64_MAX, &w);
        *(int64_t *)p = (int64_t)w;
        break;
    case FB_COL_MS:
        pr = parse_decimal(s, false, (double *)p);
        break;
    case FB_COL_MB:
        pr = parse_decimal(s, false, (double *)p);
        if (pr == P_NEGATIVE_MS)
            pr = P_NEGATIVE_MB;
        break;
    case FB_COL_PCT:
        pr = parse_decimal(s, true, (double *)p);
        break;
    default: /* the kinds of the other files' tables: none here */
        break;
    }
    return pr;
}

const char *fb_invocation_problem(const struct fb_invocation_map *m,
                                  const struct fb_csvrow *row, enum fb_inv_column c)
{
    struct fb_invocation scratch;

    if ((unsigned)c >= FB_IC_N)
        return NULL;
    switch (read_column(m, row, c, &scratch)) {
    case P_NONE:
        return NULL;
    case P_NUL:
        return "holds a NUL byte (no run writes one)";
    case P_WHOLE:
        return "is not a number as faasbench writes one (a whole number: digits, "
               "'-' before them when negative)";
    case P_DECIMAL:
        return "is not a number as faasbench writes one (a plain decimal: digits, "
               "optionally a point and more digits; empty when not measured)";
    case P_NEGATIVE_MS:
        return "is negative (a duration never is)";
    case P_NEGATIVE_MB:
        return "is negative (an amount of memory never is)";
    case P_NEGATIVE_TIME:
        return "is negative (a unix time in ms never is)";
    case P_RANGE:
        return "is out of range";
    }
    return NULL;
}

int fb_invocation_read(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                       struct fb_invocation *inv, enum fb_inv_column *bad)
{
    for (int i = 0; i < FB_IC_N; i++) {
        if (read_column(m, row, (enum fb_inv_column)i, inv) != P_NONE) {
            if (bad != NULL)
                *bad = (enum fb_inv_column)i;
            return FB_EINVAL;
        }
    }
    return 0;
}
