/* tabulate.c - grid tables as tabulate's "grid" format prints them. */
#include "report/tabulate.h"

#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvrow.h"
/* ---- grid tables ---- */

void fb_grid_rule(FILE *f, const size_t *width, int ncols, char fill)
{
    fputc('+', f);
    for (int c = 0; c < ncols; c++) {
        for (size_t i = 0; i < width[c] + 2; i++)
            fputc(fill, f);
        fputc('+', f);
    }
    fputc('\n', f);
}

void fb_grid_line(FILE *f, const size_t *width, const int *right, int ncols,
                  const char *const *cells)
{
    fputc('|', f);
    for (int c = 0; c < ncols; c++) {
        const char *t = cells[c] != NULL ? cells[c] : "";
        size_t len = strlen(t), pad = width[c] > len ? width[c] - len : 0;

        fputc(' ', f);
        if (right != NULL && right[c])
            fprintf(f, "%*s%s", (int)pad, "", t);
        else
            fprintf(f, "%s%*s", t, (int)pad, "");
        fputs(" |", f);
    }
    fputc('\n', f);
}

int fb_grid_write(FILE *f, int ncols, const char *const *titles, const int *right,
                  size_t nrows, const char *const *cells)
{
    size_t *width = NULL;
    int rc = 0;

    if (f == NULL || ncols <= 0 || titles == NULL || (nrows > 0 && cells == NULL)) {
        rc = FB_EINVAL;
        goto out;
    }
    width = calloc((size_t)ncols, sizeof(*width));
    if (width == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    for (int c = 0; c < ncols; c++)
        width[c] = titles[c] != NULL ? strlen(titles[c]) : 0;
    for (size_t r = 0; r < nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            const char *t = cells[r * (size_t)ncols + (size_t)c];
            size_t len = t != NULL ? strlen(t) : 0;

            if (len > width[c])
                width[c] = len;
        }
    }
    /* printf paddings are ints; a cell wider than that is not sensible. */
    for (int c = 0; c < ncols; c++) {
        if (width[c] > INT_MAX / 2) {
            rc = FB_EINVAL;
            goto out;
        }
    }
    fb_grid_rule(f, width, ncols, '-');
    fb_grid_line(f, width, right, ncols, titles);
    /* An empty table still gets its closing border. */
    fb_grid_rule(f, width, ncols, nrows > 0 ? '=' : '-');
    for (size_t r = 0; r < nrows; r++) {
        fb_grid_line(f, width, right, ncols, cells + r * (size_t)ncols);
        fb_grid_rule(f, width, ncols, '-');
    }
    if (fflush(f) != 0 || ferror(f))
        rc = FB_EIO;
out:
    free(width);
    return rc;
}

void fb_table_addf(struct fb_table *t, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int len;

    if (t->failed)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 64;
        char **cells = realloc(t->cells, cap * sizeof(*cells));

        if (cells == NULL) {
            t->failed = 1;
            return;
        }
        t->cells = cells;
        t->cap = cap;
    }
    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len >= 0 && (s = malloc((size_t)len + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    if (s == NULL) {
        t->failed = 1;
        return;
    }
    t->cells[t->n++] = s;
}

int fb_table_write(FILE *f, const struct fb_table *t, int ncols, const char *const *titles,
                   const int *right)
{
    if (t->failed)
        return FB_ENOMEM;
    if (ncols <= 0 || t->n % (size_t)ncols != 0)
        return FB_EINVAL;
    return fb_grid_write(f, ncols, titles, right, t->n / (size_t)ncols,
                         (const char *const *)t->cells);
}

void fb_table_free(struct fb_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->n = t->cap = 0;
    t->failed = 0;
}

void fb_table_add_ms(struct fb_table *t, double x)
{
    if (isfinite(x))
        fb_table_addf(t, "%.1f", x);
    else
        fb_table_addf(t, "-");
}

/* ---- metrics_table.txt: the older testbed's tabulate "grid" table ---- */

/* tabulate pads every column to at least its header + 2. */
#define TABULATE_MIN_PADDING 2
#define MT_MAXCOLS 64
#define NUM_LEN 48

struct mt {
    struct fb_errbuf *eb;
    int pass;                  /* 1: measure, 2: print */
    size_t data_rows;          /* counted in pass 1 */
    FILE *out;
    int rc;
    size_t record;
    int ncols;                 /* from the header */
    char *cells[MT_MAXCOLS];   /* the current record's texts */
    size_t cell_cap[MT_MAXCOLS];
    int nfields;
    /* per column, from pass 1: tabulate's column types */
    bool numeric[MT_MAXCOLS];  /* data rows, each cell a number (an empty one is text) */
    bool all_int[MT_MAXCOLS];  /* ... and each an integer: printed as one */
    size_t raw_w[MT_MAXCOLS];  /* widest text as it stands */
    size_t ilen_w[MT_MAXCOLS]; /* widest integer as printed */
    size_t int_w[MT_MAXCOLS];  /* as floats: widest part before the point */
    size_t frac_w[MT_MAXCOLS]; /* as floats: widest part from the point on */
    size_t width[MT_MAXCOLS];
    char *header[MT_MAXCOLS];
};

static void mt_field(void *s, size_t len, void *data)
{
    struct mt *m = data;
    int i = m->nfields++;

    if (m->rc < 0 || i >= MT_MAXCOLS)
        return;
    if (len + 1 > m->cell_cap[i]) {
        char *p = realloc(m->cells[i], len + 1);

        if (p == NULL) {
            m->rc = FB_ENOMEM;
            return;
        }
        m->cells[i] = p;
        m->cell_cap[i] = len + 1;
    }
    if (len > 0)
        memcpy(m->cells[i], s, len);
    m->cells[i][len] = '\0';
}

/* An integer cell as tabulate prints an int column; false if text is not one. */
static bool mt_int(const char *text, char *buf)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0)
        return false;
    snprintf(buf, NUM_LEN, "%lld", x);
    return true;
}

/* A number as tabulate shows a float (Python's format(x, "g"), which is C's
 * %g), split at the decimal point; false when text is not a number. */
static bool mt_float(const char *text, char *buf, size_t *int_len)
{
    double x;
    char *dot;

    if (*text == '\0' || fb_csv_real(text, &x) < 0)
        return false;
    snprintf(buf, NUM_LEN, "%g", x);
    dot = strchr(buf, '.');
    *int_len = dot != NULL ? (size_t)(dot - buf) : strlen(buf);
    return true;
}

static void mt_measure(struct mt *m)
{
    char num[NUM_LEN];
    size_t il;

    for (int i = 0; i < m->ncols; i++) {
        const char *t = i < m->nfields ? m->cells[i] : "";
        size_t len = strlen(t);

        if (len > m->raw_w[i])
            m->raw_w[i] = len;
        if (!mt_float(t, num, &il)) {
            m->numeric[i] = m->all_int[i] = false;
            continue;
        }
        if (il > m->int_w[i])
            m->int_w[i] = il;
        if (strlen(num) - il > m->frac_w[i])
            m->frac_w[i] = strlen(num) - il;
        if (!mt_int(t, num))
            m->all_int[i] = false;
        else if (strlen(num) > m->ilen_w[i])
            m->ilen_w[i] = strlen(num);
    }
}

static void mt_print(struct mt *m)
{
    char text[MT_MAXCOLS][NUM_LEN];
    const char *cells[MT_MAXCOLS];
    int right[MT_MAXCOLS];
    size_t il;

    for (int i = 0; i < m->ncols; i++) {
        const char *t = i < m->nfields ? m->cells[i] : "";
        char num[NUM_LEN];

        right[i] = m->numeric[i];
        cells[i] = t;
        if (m->all_int[i] && mt_int(t, text[i])) {
            cells[i] = text[i];
        } else if (m->numeric[i] && mt_float(t, num, &il)) {
            /* Decimal alignment: pad the fraction side so the points line up. */
            size_t frac = strlen(num) - il;

            snprintf(text[i], NUM_LEN, "%s%*s", num, (int)(m->frac_w[i] - frac), "");
            cells[i] = text[i];
        }
    }
    fb_grid_line(m->out, m->width, right, m->ncols, cells);
    fb_grid_rule(m->out, m->width, m->ncols, '-');
}

static void mt_record(int c, void *data)
{
    struct mt *m = data;

    (void)c;
    if (m->rc < 0)
        goto out;
    m->record++;
    if (m->record == 1) {
        m->ncols = m->nfields < MT_MAXCOLS ? m->nfields : MT_MAXCOLS;
        if (m->pass == 1) {
            for (int i = 0; i < m->ncols; i++) {
                m->numeric[i] = m->all_int[i] = true;
                if ((m->header[i] = strdup(m->cells[i])) == NULL)
                    m->rc = FB_ENOMEM;
            }
        }
        goto out;
    }
    if (m->pass == 1) {
        m->data_rows++;
        mt_measure(m);
    }
    else
        mt_print(m);
out:
    m->nfields = 0;
}

static int mt_pass(struct mt *m, const char *path)
{
    struct csv_parser p;
    char buf[8192];
    FILE *f;
    size_t n;
    int rc = 0;

    f = fopen(path, "r");
    if (f == NULL)
        return fb_errf(m->eb, FB_EIO, "%s: %s", path, strerror(errno));
    if (csv_init(&p, 0) != 0) {
        fclose(f);
        return FB_ENOMEM;
    }
    m->record = 0;
    m->nfields = 0;
    while (m->rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (csv_parse(&p, buf, n, mt_field, mt_record, m) != n && m->rc == 0)
            m->rc = fb_errf(m->eb, FB_EINVAL, "%s: %s", path, csv_strerror(csv_error(&p)));
    }
    if (m->rc == 0 && ferror(f))
        m->rc = fb_errf(m->eb, FB_EIO, "%s: read error", path);
    if (m->rc == 0)
        csv_fini(&p, mt_field, mt_record, m);
    csv_free(&p);
    fclose(f);
    rc = m->rc;
    return rc;
}

int fb_metrics_table_write(const char *csv_path, FILE *out, struct fb_errbuf *eb)
{
    struct mt *m = calloc(1, sizeof(*m));
    int rc = 0;

    if (m == NULL)
        return FB_ENOMEM;
    m->eb = eb;
    m->out = out;
    m->pass = 1;
    if ((rc = mt_pass(m, csv_path)) < 0)
        goto out;
    if (m->ncols == 0) {
        rc = fb_errf(eb, FB_EINVAL, "%s: empty file (no header)", csv_path);
        goto out;
    }
    for (int i = 0; i < m->ncols; i++) {
        size_t w;

        if (m->data_rows == 0)
            m->numeric[i] = m->all_int[i] = false; /* no rows: text columns */
        w = m->all_int[i] ? m->ilen_w[i] : m->numeric[i] ? m->int_w[i] + m->frac_w[i]
                                                         : m->raw_w[i];
        size_t hw = strlen(m->header[i]) + TABULATE_MIN_PADDING;

        m->width[i] = w > hw ? w : hw;
    }
    fb_grid_rule(out, m->width, m->ncols, '-');
    {
        int right[MT_MAXCOLS];

        for (int i = 0; i < m->ncols; i++)
            right[i] = m->numeric[i];
        fb_grid_line(out, m->width, right, m->ncols, (const char *const *)m->header);
    }
    /* tabulate's grid: '=' under the header, a rule under every row; with
     * no rows, a rule under the '=' one. */
    fb_grid_rule(out, m->width, m->ncols, '=');
    m->pass = 2;
    if ((rc = mt_pass(m, csv_path)) < 0)
        goto out;
    if (m->data_rows == 0)
        fb_grid_rule(out, m->width, m->ncols, '-');
    if (fflush(out) != 0 || ferror(out))
        rc = FB_EIO;
out:
    for (int i = 0; i < MT_MAXCOLS; i++) {
        free(m->cells[i]);
        free(m->header[i]);
    }
    free(m);
    return rc;
}

