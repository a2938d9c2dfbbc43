/* faults.c - headers and writers of faults.csv, nodes.csv and
 * faults_summary.csv, made from their column tables. */
#include "results/faults.h"

#include <inttypes.h>
#include <math.h>

#include "results/invocation.h"

static void put_STR(FILE *f, const char *s, int first)
{
    fb_csv_field(f, s, first);
}

static void put_INT(FILE *f, int v, int first)
{
    fprintf(f, "%s%d", first ? "" : ",", v);
}

static void put_LONG(FILE *f, long v, int first)
{
    if (!first)
        fputc(',', f);
    if (v >= 0)
        fprintf(f, "%ld", v);
}

static void put_I64(FILE *f, int64_t v, int first)
{
    if (!first)
        fputc(',', f);
    if (v > 0)
        fprintf(f, "%" PRId64, v);
}

static void put_fixed(FILE *f, double v, int first, int decimals)
{
    if (!first)
        fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.*f", decimals, v);
}

static void put_SEC(FILE *f, double v, int first)
{
    put_fixed(f, v, first, 3);
}

static void put_MS(FILE *f, double v, int first)
{
    put_fixed(f, v, first, 3);
}

static void put_PCT(FILE *f, double v, int first)
{
    put_fixed(f, v, first, 2);
}

static void put_NUM(FILE *f, double v, int first)
{
    if (!first)
        fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.6g", v);
}

/* The first column of every table is run_id: it alone has no comma before. */
#define FB_FCOL_COLUMN_(name, kind, doc) {#name, FB_FCOLKIND_##kind, 0, false, doc},
#define FB_FCOL_PUT_(name, kind, doc) put_##kind(f, r->name, first), first = 0;

const struct fb_column fb_fault_columns[] = {FB_FAULTROW_COLUMNS(FB_FCOL_COLUMN_)};
const struct fb_column fb_node_columns[] = {FB_NODEROW_COLUMNS(FB_FCOL_COLUMN_)};
const struct fb_column fb_faultsum_columns[] = {FB_FAULTSUM_COLUMNS(FB_FCOL_COLUMN_)};

void fb_fault_row_header(FILE *f)
{
    fb_col_write_header(f, fb_fault_columns, FB_FAULT_NCOLUMNS);
}

void fb_fault_row_write(FILE *f, const struct fb_fault_row *r)
{
    int first = 1;
    FB_FAULTROW_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}

void fb_node_row_header(FILE *f)
{
    fb_col_write_header(f, fb_node_columns, FB_NODE_NCOLUMNS);
}

void fb_node_row_write(FILE *f, const struct fb_node_row *r)
{
    int first = 1;
    FB_NODEROW_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}

void fb_faultsum_header(FILE *f)
{
    fb_col_write_header(f, fb_faultsum_columns, FB_FAULTSUM_NCOLUMNS);
}

void fb_faultsum_write(FILE *f, const struct fb_faultsum_row *r)
{
    int first = 1;
    FB_FAULTSUM_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}
