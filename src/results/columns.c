/* columns.c - the result files' column tables and how each kind is written. */
#include "results/columns.h"

#include <csv.h>
#include <math.h>
#include <string.h>

#define FB_COL_ENTRY_(name, kind, doc) {#name, FB_COL_##kind, 0, false, doc},
const struct fb_column fb_summary_columns[FB_SC_N] = {FB_SUMMARY_COLUMNS(FB_COL_ENTRY_)};
const struct fb_column fb_comparison_columns[FB_CC_N] = {FB_COMPARISON_COLUMNS(FB_COL_ENTRY_)};
const struct fb_column fb_findings_columns[FB_FC_N] = {FB_FINDINGS_COLUMNS(FB_COL_ENTRY_)};
const struct fb_column fb_keepalive_columns[FB_KC_N] = {FB_KEEPALIVE_COLUMNS(FB_COL_ENTRY_)};
const struct fb_column fb_instances_columns[FB_EC_N] = {FB_INSTANCES_COLUMNS(FB_COL_ENTRY_)};
#undef FB_COL_ENTRY_
#define FB_MC_ENTRY_(id, name, kind, doc) {name, FB_COL_##kind, 0, false, doc},
const struct fb_column fb_metrics_columns[FB_MC_N] = {FB_METRICS_COLUMNS(FB_MC_ENTRY_)};
#undef FB_MC_ENTRY_

const char *fb_col_kind_name(enum fb_col_kind k)
{
    switch (k) {
    case FB_COL_STR:
        return "text";
    case FB_COL_INT:
    case FB_COL_LONG:
        return "integer";
    case FB_COL_I64:
        return "unix ms";
    case FB_COL_MS:
        return "ms";
    case FB_COL_PCT:
        return "%";
    case FB_COL_RATIO:
        return "ratio";
    case FB_COL_HALF:
        return "count";
    case FB_COL_P:
        return "p";
    case FB_COL_SECONDS:
    case FB_COL_SECONDS4:
        return "s";
    case FB_COL_REAL:
        return "number";
    case FB_COL_MB:
        return "MB";
    }
    return "?";
}

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

void fb_col_put(FILE *f, enum fb_col_kind kind, struct fb_value v, bool first)
{
    if (kind == FB_COL_STR) {
        fb_csv_field(f, v.s, first);
        return;
    }
    if (!first)
        fputc(',', f);
    switch (kind) {
    case FB_COL_INT:
    case FB_COL_LONG:
    case FB_COL_I64:
        fprintf(f, "%lld", v.i);
        return;
    default:
        break;
    }
    /* Not measured (NAN), and infinities, which no measurement gives: empty. */
    if (!isfinite(v.x))
        return;
    switch (kind) {
    case FB_COL_MS:
        fprintf(f, "%.3f", v.x);
        break;
    case FB_COL_PCT:
        fprintf(f, "%.2f", v.x);
        break;
    case FB_COL_MB:
        fprintf(f, "%.0f", v.x);
        break;
    case FB_COL_RATIO:
    case FB_COL_SECONDS4:
        fprintf(f, "%.4f", v.x);
        break;
    case FB_COL_HALF:
        fprintf(f, "%.1f", v.x);
        break;
    case FB_COL_P:
        fprintf(f, "%.6g", v.x);
        break;
    case FB_COL_SECONDS:
        fprintf(f, "%.6f", v.x);
        break;
    case FB_COL_REAL:
        fprintf(f, "%g", v.x);
        break;
    default:
        break;
    }
}

void fb_col_write_header(FILE *f, const struct fb_column *cols, int n)
{
    for (int i = 0; i < n; i++)
        fb_csv_field(f, cols[i].name, i == 0);
    fputc('\n', f);
}

void fb_col_write_row(FILE *f, const struct fb_column *cols, int n, fb_col_value_fn value,
                      const void *row)
{
    for (int i = 0; i < n; i++)
        fb_col_put(f, cols[i].kind, value(row, i), i == 0);
    fputc('\n', f);
}
