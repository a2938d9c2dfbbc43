/* scan.h - invocations.csv read back one cell x function at a time. */
#ifndef FB_SCAN_H
#define FB_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "report/stats.h"
#include "results/invocation.h"

/* Every row of one cell (repetition, policy, warming) for one function, as
 * read, but those flagged warmup (1 in the warmup column): they are only
 * counted, in warmup, and nothing else below includes them. A row is
 * successful when its error cell is empty and latency_ms is a number; every
 * other row counts as an error. All pointers are valid during the callback
 * only. */
struct fb_cellfn {
    const char *run_id;      /* of the cell's first row ("" if no such column) */
    int repetition;
    const char *policy, *warming, *function;
    size_t rows, errors;
    size_t warmup;           /* rows flagged warmup, left out of everything else */
    size_t mode_count[3];    /* rows by mode that ran: cold, pre-warmed, warmed */
    /* latency_ms of the successful rows, sorted ascending. The callback may
     * take the array (then it must leave lat as {0}); it frees it then. */
    struct fb_sample lat;
    /* Each phase of the successful rows where it was measured, sorted. The
     * callback may take any of them as it may take lat. */
    struct fb_sample phase[FB_NPHASES];
    /* The successful rows that were asked for a duration (asked_duration_ms
     * not empty): that duration, and the time the work took as measured
     * where it was: their handler_ms (resident functions), else their
     * node_exec_ms (the command's own time on the node, its start included);
     * sorted; and for each row with both, asked above 0, how much longer
     * the work took than asked, in % of the asked duration (the medians of
     * asked and measured are of different rows when the rows ask for
     * different durations). The callback may take them as it may take lat. */
    struct fb_sample asked, measured, slip;
    /* Whether the cell (all its functions) is open loop: some row of it has
     * an intended_start_ms other than its start_ms. A closed-loop or
     * sequential workload has no intended time and writes the start twice
     * (src/run/runfolder.c), so one differing row shows an arrival schedule;
     * an open-loop cell all of whose rows happened to round to the same ms
     * had no queue to show. The QUEUE and CLIENT phases are empty unless it
     * is open loop (and the file has both columns). */
    bool open_loop;
    /* Rows placed on each node: per_node[i] for nodes[i], i < n_nodes. The
     * node list holds the run's nodes (from environment.txt) in order, then
     * any other node as first seen in the file. */
    const size_t *per_node;
    const char *const *nodes;
    size_t n_nodes;
};

/* What the rows of one cell and function add up to, as the row reader
 * gathers it from invocations.csv and as an executor that writes no rows
 * gathers it from what it did (run/simcell.c), so that both give the same
 * summaries: counts and samples (struct fb_cellfn's). Zero-initialise. */
struct fb_cellacc {
    size_t rows, errors, warmup, mode_count[3];
    struct fb_sample lat, phase[FB_NPHASES], asked, measured, slip;
};
/* Adds row inv (its node is the caller's to count): a warm-up row only
 * counts as such; every other row counts by mode, a failed one as an
 * error, and a successful one adds its latency, each phase it measured
 * (overhead from node_exec_ms; queue and client from its two starts when
 * starts says the file has them) and what it was asked against what it
 * took. 0 or FB_ENOMEM. */
int fb_cellacc_add(struct fb_cellacc *a, const struct fb_invocation *inv, bool starts);
/* Sorts the samples (the queue and client phases emptied unless open) and
 * lends them and the counts to c; after c's callback, fb_cellacc_back takes
 * back what the callback left (a sample it took is {0} in c). */
void fb_cellacc_lend(struct fb_cellacc *a, bool open, struct fb_cellfn *c);
void fb_cellacc_back(struct fb_cellacc *a, const struct fb_cellfn *c);
void fb_cellacc_clear(struct fb_cellacc *a); /* counts zero, buffers kept */
void fb_cellacc_free(struct fb_cellacc *a);

/* Called once per cell x function, in file order (functions in the order
 * they first appear in the cell). A negative return stops the scan and is
 * returned by it. */
typedef int (*fb_cellfn_cb)(void *ctx, struct fb_cellfn *c, struct fb_errbuf *eb);

/* Streams RUN_DIR/invocations.csv (columns found by header name through the
 * column table of invocation.h; unknown columns are ignored) and calls cb
 * for each cell x function. A cell's rows are contiguous (cells run one
 * after another), so only the current cell's rows are held, plus the key of
 * every finished cell: memory grows with the number of cells, never with
 * the number of rows. A cell whose rows come back after another cell began
 * is refused (no run writes that; eb names the row and both cells).
 * Returns 0, FB_EIO (unreadable), FB_EINVAL (a needed column is missing, a
 * field breaks its kind's rules of invocation.h, cells interleave: eb names
 * the file and the row), FB_ENOMEM or cb's code. */
int fb_invocations_scan(const char *run_dir, fb_cellfn_cb cb, void *ctx,
                        struct fb_errbuf *eb);

/* Says of each row read (warm-up ones too, in file order, strings valid
 * during the call) whether it counts: 1 it does, 0 it is left out of its
 * cell's figures as if absent, negative an error that stops the scan. */
typedef int (*fb_row_filter)(void *ctx, const struct fb_invocation *row, struct fb_errbuf *eb);

/* fb_invocations_scan with filter's say on every row first (a phase of the
 * faults, say). cb may be NULL: then the scan is filter's alone. */
int fb_invocations_scan_rows(const char *run_dir, fb_row_filter filter, void *fctx,
                             fb_cellfn_cb cb, void *ctx, struct fb_errbuf *eb);

#endif
