/* results.h - a run folder: invocations.csv streamed row by row, the older
 * testbed's metrics.csv, and the summaries written at the end. */
#ifndef FB_RESULTS_H
#define FB_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "results/invocation.h"

struct fb_results; /* open run folder */

/* Creates the folder dir (mkdir; it must not exist; parents must), opens
 * invocations.csv and metrics.csv there with their headers. Files are
 * created with O_EXCL|O_NOFOLLOW and the user's umask. */
int fb_results_open(const char *dir, struct fb_results **out, struct fb_errbuf *eb);

/* Appends one row to invocations.csv and one to metrics.csv and flushes
 * both (fflush + fdatasync is not done: a crash of this process keeps what
 * was flushed). Returns 0 or FB_EIO; after a failure every write fails and
 * fb_results_error() says what the first one met. */
int fb_results_write(struct fb_results *r, const struct fb_invocation *inv);
/* "" or "DIR/FILE: reason" of the first failed write. */
const char *fb_results_error(const struct fb_results *r);

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

#endif
