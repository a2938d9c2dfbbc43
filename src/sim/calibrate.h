/* calibrate.h - a node model from real run folders: per function and mode, the
 * empirical distribution of every phase the rows hold, and what could not be
 * calibrated, said. */
#ifndef FB_CALIBRATE_H
#define FB_CALIBRATE_H

#include <stdio.h>

#include "core/error.h"
#include "sim/model.h"

struct fb_calibrate_opts {
    double node_mb;   /* the measured nodes' memory for instances (0: unknown) */
    double node_cpus; /* their CPUs (0: unknown) */
    int min_samples;  /* a phase with fewer is listed as thin (default 10) */
    FILE *notes;      /* what was left out or thin, one line each; NULL: none */
    /* Shell patterns (fnmatch): the rows of every function a pattern
     * matches are calibrated as one model entry named by it, its memory
     * left to the experiment's functions (model.h's fb_model_find). */
    const char *const *pools;
    int n_pools;
};

/* Reads invocations.csv (and instances.csv, for the functions' memory) of
 * each of the n run folders and fills *m (zeroed first). Rows that failed
 * or are warm-up are left out and counted in the notes. FB_EINVAL when no
 * row could be used, FB_EIO for an unreadable folder (eb names it). */
int fb_calibrate(const char *const *runs, int n, const struct fb_calibrate_opts *o,
                 struct fb_model *m, struct fb_errbuf *eb);

#endif
