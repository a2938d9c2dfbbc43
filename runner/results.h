/* results.h - a run folder: invocations.csv streamed row by row, the older
 * testbed's metrics.csv, and the summaries written at the end. */
#ifndef FB_RESULTS_H
#define FB_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* One invocation as it happened. Strings are borrowed; NULL or "" is an
 * empty cell. Durations in ms; a NAN duration or percentage is an empty
 * cell (a phase that did not happen is 0, one that was not measured NAN). */
struct fb_invocation {
    const char *run_id;
    int repetition;        /* 1-based */
    const char *policy;
    const char *warming;   /* the cell's warming mode */
    const char *function;
    long seq;              /* 1-based within the cell and function */
    const char *node;      /* "" when no node was chosen */
    const char *mode;      /* what ran: cold / pre-warmed / warmed; "" if nothing */
    int64_t intended_start_ms; /* unix ms */
    int64_t start_ms;          /* unix ms */
    double select_ms, pull_ms, run_ms, cleanup_ms;
    double latency_ms;     /* select + pull + run: what the caller waits for */
    double total_ms;       /* latency + cleanup */
    double node_exec_ms;   /* the timed commands' own time on the node */
    double cpu_pct, ram_pct; /* the node's figures at selection */
    int exit_status;       /* of the function's command; -1 when it did not run */
    int attempts;
    const char *error;     /* "" on success */
    /* Added columns (new ones go at the end): */
    const char *failed_nodes; /* nodes an earlier attempt failed on, space-separated */
    const char *retry_error;  /* what the last failed attempt said */
};

/* The invocations.csv header, in order (DESIGN.md "Records"). */
extern const char *const fb_invocation_columns[];
extern const int fb_invocation_ncolumns;

struct fb_results; /* open run folder */

/* Creates the folder dir (mkdir; it must not exist; parents must), opens
 * invocations.csv and metrics.csv there with their headers. Files are
 * created with O_EXCL|O_NOFOLLOW and the user's umask. */
int fb_results_open(const char *dir, struct fb_results **out, struct fb_errbuf *eb);

/* Appends one row to invocations.csv and one to metrics.csv and flushes
 * both (fflush + fdatasync is not done: a crash of this process keeps what
 * was flushed). Returns 0 or FB_EIO. */
int fb_results_write(struct fb_results *r, const struct fb_invocation *inv);

/* Reopens an existing run folder to continue it: both files are cut to
 * the given sizes (what fb_results_tell said after the last complete cell)
 * and appended to. */
int fb_results_reopen(const char *dir, long inv_size, long met_size, struct fb_results **out,
                      struct fb_errbuf *eb);

/* Flushes and gives the sizes of invocations.csv and metrics.csv. */
int fb_results_tell(struct fb_results *r, long *inv_size, long *met_size);

/* Folder path (owned by r). */
const char *fb_results_dir(const struct fb_results *r);

/* Closes the files; returns 0 or FB_EIO if a write or close failed. NULL-safe. */
int fb_results_close(struct fb_results *r);

/* Writes one CSV field (quoted when needed, RFC 4180) to f. */
void fb_csv_field(FILE *f, const char *s, int first);

#endif
