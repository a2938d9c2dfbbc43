/* runfolder.h - one run folder from creation to report: experiment.cfg,
 * environment.txt, a row per invocation, cells.log, nodes.txt, and the
 * close sequence. What the run loop and the REST shim share.
 *
 * Every file of the folder is opened relative to the folder's descriptor
 * and never through a symlink; new files are created exclusively. Callers
 * serialize calls on one folder. */
#ifndef FB_RUNFOLDER_H
#define FB_RUNFOLDER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "experiment/config.h"
#include "engine/engine.h"
#include "core/error.h"
#include "report/report.h"
#include "results/faults.h"

struct fb_runfolder;

/* Creates ROOT/NAME-<UTC time of started>[-k] (ROOT is made if missing)
 * with invocations.csv, metrics.csv and cells.log. */
int fb_runfolder_create(const char *root, const char *name, time_t started,
                        struct fb_runfolder **out, struct fb_errbuf *eb);

/* Continues the run folder dir of a matrix of n_cells cells: reads its
 * cells.log, sets cell_done[c] (n_cells of them, caller's) for every
 * complete cell and *n_done to their count, and cuts invocations.csv and
 * metrics.csv back to their sizes after the last complete cell. */
int fb_runfolder_resume(const char *dir, int n_cells, bool *cell_done, int *n_done,
                        struct fb_runfolder **out, struct fb_errbuf *eb);

/* The folder's path (no trailing '/') and its name, the run id of its rows. */
const char *fb_runfolder_dir(const struct fb_runfolder *rf);
const char *fb_runfolder_id(const struct fb_runfolder *rf);

/* experiment.cfg: exp as run, in its own syntax, passwords masked. */
int fb_runfolder_save_experiment(struct fb_runfolder *rf, const struct fb_experiment *exp,
                                 struct fb_errbuf *eb);

/* environment.txt: versions, host, runtime, metrics, and every node of e
 * (up, or down and why); extra (NULL: none) is more lines, each ending in
 * "\n". In a resumed folder it appends a "resumed TIME" line instead. */
int fb_runfolder_write_environment(struct fb_runfolder *rf, const struct fb_experiment *exp,
                                   const struct fb_engine *e, time_t started, const char *extra,
                                   struct fb_errbuf *eb);

/* Appends line (ending in "\n") to environment.txt: what is known only at
 * the end of the run. */
int fb_runfolder_append_environment(struct fb_runfolder *rf, const char *line,
                                    struct fb_errbuf *eb);

/* What a row belongs to; the outcome gives the rest. */
struct fb_rowkey {
    int repetition;
    const char *policy;
    const char *warming; /* the cell's mode */
    const char *function;
    long seq;
    int warmup;          /* 1: within the cell's workload.warmup_s */
    const char *faults;  /* the fault windows active when it started, or NULL */
};

/* Writes outcome o as a row of invocations.csv (and metrics.csv when it
 * ran on a node), flushed. intended_ms: when the workload meant it to
 * start (unix ms), or 0 for "when it did". Returns 0 or FB_EIO. */
int fb_runfolder_record(struct fb_runfolder *rf, const struct fb_rowkey *k,
                        const struct fb_outcome *o, int64_t intended_ms, struct fb_errbuf *eb);

/* Rows recorded, and of them rows with an error, since the folder was opened. */
long fb_runfolder_rows(const struct fb_runfolder *rf);
long fb_runfolder_errors(const struct fb_runfolder *rf);

/* ---- keep-alive cells: instances.csv and keepalive.csv ----
 * A keep-alive cell's instance events are gathered while it runs (in a
 * scratch file of the caller's: events come from the engine's threads) and
 * written with the cell's outcome when it is complete, so both files hold
 * complete cells only, as cells.log counts them. */

/* A scratch file for a cell's events: in the run folder, unlinked as soon
 * as it is open (gone with the process, whatever stops it), else in the
 * system's temporary folder.
 * NULL with eb set when neither can be made. */
FILE *fb_runfolder_scratch(struct fb_runfolder *rf, struct fb_errbuf *eb);

/* What a keep-alive cell is called in its rows. */
struct fb_ka_cellkey {
    int repetition;
    const char *policy;
    const char *keepalive; /* the keep-alive policy as written ("ttl:ttl_s=60") */
};

/* Appends ev as a row of instances.csv to buf. */
void fb_runfolder_format_event(const struct fb_runfolder *rf, FILE *buf,
                               const struct fb_ka_cellkey *k, const struct fb_ka_event *ev);

/* The latencies of a cell's rows that succeeded, for keepalive.csv. */
struct fb_ka_latency {
    double p50_ms, p99_ms; /* NAN when none succeeded */
};

/* Appends the cell's events (events: the rows fb_runfolder_format_event
 * wrote there, read from its start) to instances.csv and its outcome to
 * keepalive.csv; each file gets its header when it is new. */
int fb_runfolder_keepalive_cell(struct fb_runfolder *rf, const struct fb_ka_cellkey *k,
                                FILE *events, const struct fb_ka_outcome *o,
                                const struct fb_ka_latency *lat, struct fb_errbuf *eb);

/* ---- faults: faults.csv and nodes.csv (docs/faults.md) ----
 * Rows are appended as they come (each file gets its header when it is
 * new), with the run's id filled in; each row names its cell's index, so
 * that a resume can drop the rows of the cells it runs again. */

/* One fault of a cell, as it ended (or as it never began). */
int fb_runfolder_fault(struct fb_runfolder *rf, struct fb_fault_row *row, struct fb_errbuf *eb);
/* One metrics poll of a node; nodes.csv stays open (flushed per row). */
int fb_runfolder_node_poll(struct fb_runfolder *rf, struct fb_node_row *row,
                           struct fb_errbuf *eb);
/* A resumed run: the rows of faults.csv and nodes.csv of cells not done
 * (cell_done, n_cells of them) are dropped. */
int fb_runfolder_keep_cells(struct fb_runfolder *rf, const bool *cell_done, int n_cells,
                            struct fb_errbuf *eb);

/* cells.log: cell (its index in the matrix) is complete. */
int fb_runfolder_cell_done(struct fb_runfolder *rf, int cell, struct fb_errbuf *eb);

/* nodes.txt: every node of e, up or down (and why). */
int fb_runfolder_write_nodes(struct fb_runfolder *rf, const struct fb_engine *e,
                             struct fb_errbuf *eb);
/* nodes.txt for nodes that were never down (simulated ones): n names. */
int fb_runfolder_write_node_list(struct fb_runfolder *rf, const char *const *names, int n,
                                 struct fb_errbuf *eb);

/* The close sequence: with e (may be NULL), removes warm containers and
 * then pulled images from every node; closes the files; writes the report
 * (ro: summaries, tables and plots, see report.h). Frees rf. Returns 0, or
 * FB_EIO with eb when rows could not be written or the report failed (the
 * rest is done anyway). NULL-safe. */
int fb_runfolder_close(struct fb_runfolder *rf, struct fb_engine *e,
                       const struct fb_report_opts *ro, struct fb_errbuf *eb);

#endif
