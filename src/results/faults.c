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
#define FB_FCOL_NAME_(name, kind, doc) #name,
#define FB_FCOL_PUT_(name, kind, doc) put_##kind(f, r->name, first), first = 0;

const char *const fb_fault_row_names[] = {FB_FAULTROW_COLUMNS(FB_FCOL_NAME_)};
const int fb_fault_row_ncolumns = (int)(sizeof(fb_fault_row_names) / sizeof(char *));
const char *const fb_node_row_names[] = {FB_NODEROW_COLUMNS(FB_FCOL_NAME_)};
const int fb_node_row_ncolumns = (int)(sizeof(fb_node_row_names) / sizeof(char *));
const char *const fb_faultsum_names[] = {FB_FAULTSUM_COLUMNS(FB_FCOL_NAME_)};
const int fb_faultsum_ncolumns = (int)(sizeof(fb_faultsum_names) / sizeof(char *));

static void header(FILE *f, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        fb_csv_field(f, names[i], i == 0);
    fputc('\n', f);
}

void fb_fault_row_header(FILE *f)
{
    header(f, fb_fault_row_names, fb_fault_row_ncolumns);
}

void fb_fault_row_write(FILE *f, const struct fb_fault_row *r)
{
    int first = 1;
    FB_FAULTROW_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}

void fb_node_row_header(FILE *f)
{
    header(f, fb_node_row_names, fb_node_row_ncolumns);
}

void fb_node_row_write(FILE *f, const struct fb_node_row *r)
{
    int first = 1;
    FB_NODEROW_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}

void fb_faultsum_header(FILE *f)
{
    header(f, fb_faultsum_names, fb_faultsum_ncolumns);
}

void fb_faultsum_write(FILE *f, const struct fb_faultsum_row *r)
{
    int first = 1;
    FB_FAULTSUM_COLUMNS(FB_FCOL_PUT_)
    fputc('\n', f);
}
