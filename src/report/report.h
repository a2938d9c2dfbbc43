/* report.h - summaries, comparisons, tables and plots rebuilt from a run folder. */
#ifndef FB_REPORT_H
#define FB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"
#include "report/stats.h"
#include "report/tabulate.h"

/* ---- the report of one run folder ---- */

struct fb_report_opts {
    bool no_plots;         /* do not run the plot script */
    /* "policy/warming": every function's reference cell in comparison.*;
     * NULL: each function's first cell in file order. The first repetition
     * holding it is used. */
    const char *reference;
    FILE *echo;            /* when not NULL, summary.txt's text also goes here */
    /* When set, summaries, comparisons and findings come from these cells,
     * gathered while the run went (a simulated run whose invocations did not
     * all get a row), not from invocations.csv; with it, reference must be
     * NULL (each function's first cell is its reference). Plots are still
     * drawn from the rows there are. */
    const struct fb_summaries *summaries;
};

/* The cells of a run gathered while it goes, one per cell and function,
 * from what an executor counted of every invocation (report/scan.h's struct
 * fb_cellfn, its samples sorted), in the order invocations.csv would have
 * listed them. */
struct fb_summaries;
struct fb_cellfn;
int fb_summaries_new(struct fb_summaries **out);
/* Adds c; its samples must be sorted ascending, and may be taken. 0 or
 * FB_ENOMEM. */
int fb_summaries_add(struct fb_summaries *s, struct fb_cellfn *c);
size_t fb_summaries_count(const struct fb_summaries *s);
void fb_summaries_free(struct fb_summaries *s);

/* The level of findings.csv's "significant": Holm-adjusted p below it (and
 * the ratio's 95 % CI above 1). */
#define FB_FINDING_ALPHA 0.05

/* Writes into run_dir, replacing earlier versions (each file is written
 * beside and renamed into place): summary.csv, summary.txt,
 * comparison.csv, comparison.txt, findings.csv (per function and warming
 * mode, every pair of node policies, repetitions pooled: the ratio of the
 * medians with its bootstrap CI, Mann-Whitney p and its Holm adjustment
 * over the mode's pairs) and, when metrics.csv is there,
 * metrics_table.txt. Then, unless o->no_plots, runs the plot script on the
 * folder: $FAASBENCH_PLOT when set (empty: no plots), else
 * FB_SOURCE_DIR/scripts/plot; its output goes to stderr, and its failure is
 * a warning on stderr, not an error. o may be NULL (defaults).
 * Returns 0, FB_EINVAL (bad reference, malformed file), FB_EIO, FB_ENOMEM. */
int fb_report_write(const char *run_dir, const struct fb_report_opts *o,
                    struct fb_errbuf *eb);

/* A comparison's ratio ("1.234"), CI ("[1.1, 1.3]") and p ("0.0123",
 * "<0.0001") as table text, "-" when unknown; each buffer len bytes. */
void fb_cmp_format(const struct fb_cmp *c, char *ratio, char *ci, char *p, size_t len);
/* The same three texts as the next cells of a table. */
void fb_table_add_cmp(struct fb_table *t, const struct fb_cmp *c);

#endif
