/* observe.h - a run's live series, for a scraper to read while it runs:
 * invocation counters and a latency histogram that the run loop updates as
 * it records each row (relaxed atomics in arrays sized at the start: no
 * lock, no allocation per call), the cell under way and its progress, and
 * the nodes as the engine holds them, read at each scrape
 * (fb_engine_snapshot). fb_obs_render writes everything in one of the
 * exposition formats (expo.h); server.h serves it over HTTP. docs/watching.md
 * lists the series. */
#ifndef FB_OBSERVE_H
#define FB_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/types.h"
#include "engine/engine.h"
#include "observe/expo.h"

struct fb_obs;

/* One cell of the run, in matrix order: its labels (copied). kind: its
 * warming mode, which says what its rows may have run as (a warmed cell's
 * rows run warmed, or cold where nothing could be warmed; a keep-alive
 * cell's any of cold, pre-warmed, warmed). */
struct fb_obs_cell {
    int repetition;
    const char *policy;
    const char *warming; /* as the rows have it: "warmed", "keep-alive:ttl" */
    enum fb_warming kind;
};

struct fb_obs_opts {
    const struct fb_obs_cell *cells;
    int n_cells;
    const char *const *functions; /* n_functions names, copied */
    int n_functions;
    int64_t start_unix_ms;    /* when the run started */
    long expected;            /* invocations the run expects; <= 0: unknown */
    struct fb_engine *engine; /* whose nodes a render reads; NULL: none.
                                 Must outlive every render. */
};

/* The latency histogram's upper bounds, in seconds (1 ms .. 60 s). */
#define FB_OBS_BUCKETS 15
extern const double fb_obs_bounds[FB_OBS_BUCKETS];

int fb_obs_new(const struct fb_obs_opts *o, struct fb_obs **out);
/* NULL-safe. No render may be under way. */
void fb_obs_free(struct fb_obs *ob);

/* The run expects that many invocations in all after all (<= 0: unknown):
 * a resumed run, what is left. */
void fb_obs_run_expected(struct fb_obs *ob, long expected);

/* Cell `cell` (index in o->cells) begins now, expecting that many
 * invocations (<= 0: unknown, a timed cell). */
void fb_obs_cell_begin(struct fb_obs *ob, int cell, long expected);

/* One recorded row of cell `cell`, function f: mode is what ran (cold,
 * pre-warmed or warmed; -1 when no node ran it), ok when the row has no
 * error; latency_s (the row's latency_ms / 1000) goes into the histogram
 * when ok. Safe from any thread; ob NULL: nothing. */
void fb_obs_record(struct fb_obs *ob, int cell, int f, int mode, bool ok, double latency_s);

/* Faults active now. Fault injection sets it as faults start and end;
 * until it exists, nothing does and the gauge reads 0. */
void fb_obs_faults_set(struct fb_obs *ob, int active);

/* Writes every series in format fmt to f. Safe from any thread, while
 * rows are recorded. 0, or FB_ENOMEM / FB_EIO. */
int fb_obs_render(struct fb_obs *ob, enum fb_expo_format fmt, FILE *f);

#endif
