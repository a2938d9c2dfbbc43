/* run.h - the run loop: every cell of the matrix against the nodes. */
#ifndef FB_RUN_H
#define FB_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "experiment/config.h"
#include "core/error.h"
#include "sim/sim.h"
#include "workload/trace.h"

struct fb_run_opts {
    bool quiet;               /* no progress on stderr, no table on stdout */
    const char *results_root; /* overrides the file's results folder, or NULL */
    bool no_plots;            /* skip the plot script at the end */
    const char *resume;       /* a run folder to continue, or NULL */
    /* Simulate instead of running on the experiment's nodes (NULL: real
     * nodes): the simulator's options, the node model among them. */
    const struct fb_sim_opts *simulate;
    /* The metrics endpoint (docs/watching.md): its address, or NULL for
     * none; and how long, at most, it stays up after the run for one more
     * scrape when it has been scraped (0: not at all). */
    const char *metrics_listen;
    double metrics_linger_s;
};

/* Set to the signal number by the CLI's SIGINT/SIGTERM handler: the run
 * stops issuing, removes its containers, flushes its files and returns
 * FB_EINTR. */
extern volatile sig_atomic_t fb_run_stop;

/* Runs the whole experiment. With opts->resume, continues that run folder
 * (exp loaded from its experiment.cfg): the cells listed done in its
 * cells.log are skipped, the rows of a cell left partial are cut off and
 * that cell runs again from its reset. *run_dir (caller frees) names the results
 * folder whenever one was created, even on failure. Returns 0 when every
 * cell ran (rows may still carry errors), FB_EINTR when stopped by a
 * signal, another FB_E* code when the run could not go on. */
int fb_run(const struct fb_experiment *exp, const struct fb_run_opts *opts, char **run_dir,
           struct fb_errbuf *eb);

/* A trace workload's fault schedule against its opened trace t: every
 * window ends by its last invocation (docs/faults.md). 0, or FB_ECONFIG
 * naming file, line and key (the trace is at its start again). */
int fb_run_check_trace_faults(const struct fb_experiment *exp, struct fb_trace_reader *t,
                              struct fb_errbuf *eb);

#endif
