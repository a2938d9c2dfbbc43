/* report.h - summaries, comparisons, tables and plots rebuilt from a run folder. */
#ifndef FB_REPORT_H
#define FB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "stats.h"

/* ---- reading invocations.csv one cell x function at a time ---- */

/* Every row of one cell (repetition, policy, warming) for one function, as
 * read. A row is successful when its error cell is empty and latency_ms is
 * a number; every other row counts as an error. All pointers are valid
 * during the callback only. */
struct fb_cellfn {
    const char *run_id;      /* of the cell's first row ("" if no such column) */
    int repetition;
    const char *policy, *warming, *function;
    size_t rows, errors;
    size_t mode_count[3];    /* rows by mode that ran: cold, pre-warmed, warmed */
    /* latency_ms of the successful rows, sorted ascending. The callback may
     * take the array (then it must leave lat as {0}); it frees it then. */
    struct fb_sample lat;
    /* Each phase of the successful rows where it was measured, sorted. */
    struct fb_sample phase[FB_NPHASES];
    /* Rows placed on each node: per_node[i] for nodes[i], i < n_nodes. The
     * node list holds the run's nodes (from environment.txt) in order, then
     * any other node as first seen in the file. */
    const size_t *per_node;
    const char *const *nodes;
    size_t n_nodes;
};

/* Called once per cell x function, in file order (functions in the order
 * they first appear in the cell). A negative return stops the scan and is
 * returned by it. */
typedef int (*fb_cellfn_cb)(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb);

/* Streams RUN_DIR/invocations.csv (columns found by header name; columns
 * other than the known ones are ignored) and calls cb for each cell x
 * function. A cell's rows are contiguous (cells run one after another), so
 * only the current cell is held: memory does not grow with the file.
 * Returns 0, FB_EIO (unreadable), FB_EINVAL (a required column is missing
 * or a number is malformed: eb names the row), FB_ENOMEM or cb's code. */
int fb_invocations_scan(const char *run_dir, fb_cellfn_cb cb, void *ctx,
                        struct fb_errbuf *eb);

/* ---- the report of one run folder ---- */

struct fb_report_opts {
    bool no_plots;         /* do not run the plot script */
    /* "policy/warming": every function's reference cell in comparison.*;
     * NULL: each function's first cell in file order. The first repetition
     * holding it is used. */
    const char *reference;
    FILE *echo;            /* when not NULL, summary.txt's text also goes here */
};

/* Writes into run_dir, replacing earlier versions (each file is written
 * beside and renamed into place): summary.csv, summary.txt,
 * comparison.csv, comparison.txt and, when metrics.csv is there,
 * metrics_table.txt. Then, unless o->no_plots, runs the plot script on the
 * folder: $FAASBENCH_PLOT when set (empty: no plots), else
 * FB_SOURCE_DIR/scripts/plot; its output goes to stderr, and its failure is
 * a warning on stderr, not an error. o may be NULL (defaults).
 * Returns 0, FB_EINVAL (bad reference, malformed file), FB_EIO, FB_ENOMEM. */
int fb_report_write(const char *run_dir, const struct fb_report_opts *o,
                    struct fb_errbuf *eb);

/* Writes the older testbed's grid text table of csv_path (metrics.csv) to
 * out, streaming: the file is read twice (widths, then rows). Returns 0,
 * FB_EIO or FB_ENOMEM. */
int fb_metrics_table_write(const char *csv_path, FILE *out, struct fb_errbuf *eb);

/* ---- the subcommands; argv[0] is the subcommand's name ---- */

/* faasbench report RUN_DIR [--no-plots] [--reference policy/warming]
 * Exit status: 0 written, 1 failed, 2 bad usage. */
int fb_cli_report(int argc, char **argv);

/* faasbench compare BASE_RUN NEW_RUN [--metric p50|p95|mean] [--tolerance 10%]
 * Prints a table to stdout. Exit status: 0 no regression, 1 a cell is
 * slower beyond the tolerance with significance, 2 bad usage or an
 * unreadable folder. */
int fb_cli_compare(int argc, char **argv);

/* A comparison's ratio ("1.234"), CI ("[1.1, 1.3]") and p ("0.0123",
 * "<0.0001") as table text, "-" when unknown; each buffer len bytes. */
void fb_cmp_format(const struct fb_cmp *c, char *ratio, char *ci, char *p, size_t len);
/* The same three texts as the next cells of a table. */
void fb_table_add_cmp(struct fb_table *t, const struct fb_cmp *c);

/* The regression rule of compare: the ratio new/base of the metric is
 * above 1 + tolerance, its 95 % bootstrap CI lies above 1 and the
 * Mann-Whitney p-value is below 0.05. */
bool fb_cmp_is_regression(const struct fb_cmp *c, double tolerance);
/* The mirror image (new faster), for information only. */
bool fb_cmp_is_improvement(const struct fb_cmp *c, double tolerance);

#endif
