/* tabulate.h - grid tables like Python tabulate's "grid" format, and the
 * older testbed's metrics_table.txt in it. */
#ifndef FB_TABULATE_H
#define FB_TABULATE_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

/* +-----+----+ with fill '-' or '='; width[c] is the text width of column c. */
void fb_grid_rule(FILE *f, const size_t *width, int ncols, char fill);
/* | a   |  1 | with cells right-aligned where right[c] (NULL: all left). */
void fb_grid_line(FILE *f, const size_t *width, const int *right, int ncols,
                  const char *const *cells);
/* A whole table: titles, then nrows rows of ncols cells (row-major, NULL
 * cells print empty), each row followed by a rule. Returns 0, FB_EINVAL
 * or FB_EIO. */
int fb_grid_write(FILE *f, int ncols, const char *const *titles, const int *right,
                  size_t nrows, const char *const *cells);

/* A table's cells built row-major as formatted strings, for fb_grid_write.
 * Start from {0}; a failed allocation sets failed and ignores later cells. */
struct fb_table {
    char **cells;
    size_t n, cap;
    int failed;
};
void fb_table_addf(struct fb_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A duration in ms with one decimal, "-" when not measured (NAN). */
void fb_table_add_ms(struct fb_table *t, double ms);
/* fb_grid_write of the cells as rows of ncols: FB_ENOMEM if an add failed. */
int fb_table_write(FILE *f, const struct fb_table *t, int ncols, const char *const *titles,
                   const int *right);
void fb_table_free(struct fb_table *t); /* leaves t empty, reusable */

/* Writes the older testbed's grid text table of csv_path (metrics.csv) to
 * out, byte for byte as tabulate prints it, streaming: the file is read
 * twice (widths, then rows). Returns 0, FB_EIO or FB_ENOMEM. */
int fb_metrics_table_write(const char *csv_path, FILE *out, struct fb_errbuf *eb);

#endif
