/* trace.h - invocation traces: a file of timed invocations loaded into a sorted event array. */
#ifndef FB_TRACE_H
#define FB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* One invocation: when (seconds from the start of the replay, after
 * time_scale), which function (index into the experiment's functions), and
 * the work the trace gives it: how long it ran and the memory it held
 * (NAN when the trace does not say; time_scale does not change them). */
struct fb_trace_event {
    double t_s;
    int function;
    double duration_ms;
    double memory_mb;
};

/* Events sorted by t_s; rows with equal times keep their order in the file. */
struct fb_trace {
    struct fb_trace_event *ev;
    size_t n;
};

struct fb_trace_opts {
    enum fb_trace_format format;
    const char *const *functions; /* the experiment's function names (a reader copies the
                                     array; the names must outlive it) */
    int n_functions;              /* >= 1 */
    enum fb_trace_spread spread;  /* azure: how a minute's invocations are placed in it */
    double time_scale;            /* every offset is multiplied by it (0.5: twice as fast); > 0 */
    uint64_t seed;                /* azure, poisson spread */
    int max_minutes;              /* azure formats: only the first N minutes; 0: all */
    /* azure (2019): the companion files the work is drawn from, or NULL */
    const char *durations;        /* function_durations_percentiles: ms per function */
    const char *memory;           /* app_memory_percentiles: MB per app */
    size_t max_events;            /* invocations a trace may give; 0: FB_TRACE_MAX_EVENTS */
};

/* The latest time a CSV trace may give, in seconds (a year). */
#define FB_TRACE_MAX_SECONDS 31536000.0

/* Invocations a trace may give by default (workload.max_events); a larger
 * file is an error (max_minutes shortens it). */
#define FB_TRACE_MAX_EVENTS 100000000

/* Reads the trace at path into *out (zeroed first; free it with
 * fb_trace_free). Returns 0, FB_EINVAL for bad options or a malformed file,
 * with "FILE:LINE: message" in eb, FB_EIO when the file cannot be read, or
 * FB_ENOMEM.
 *
 * CSV: the header time_s,function (the first column may also be called
 * offset_s or time), then one row per invocation: seconds from the start
 * (>= 0) and the name of one of o->functions. Rows may be in any order.
 * The header may go on with duration_ms and memory_mb, in either order:
 * each row's work (a number >= 0, at most a year of ms and 1 TiB; an empty
 * field is NAN).
 *
 * Azure: the header HashOwner,HashApp,HashFunction,Trigger,1,2,...,M (any
 * M >= 1 consecutive minutes), then one row per function with its
 * invocation count in each minute. Row k (from 0) is replayed as
 * o->functions[k mod n_functions]. Minute m (from 1) covers seconds
 * [60 (m - 1), 60 m); its invocations are spread in it by o->spread, each
 * (row, minute) drawing from its own generator, so max_minutes keeps the
 * events of the minutes it keeps exactly.
 *
 * With o->durations, each event of a row whose (HashOwner, HashApp,
 * HashFunction) that file lists gets a duration drawn from the row's
 * percentiles percentile_Average_0, _1, _25, _50, _75, _99, _100 (ms;
 * linear between them); with o->memory, each event of an app it lists gets
 * memory drawn from AverageAllocatedMb_pct1, 5, 25, 50, 75, 95, 99, 100
 * (below the first percentile, its value). Columns are found by name, and
 * others are ignored. Each (row, minute) draws from its own seeded stream,
 * as the spread does. Rows the files do not list keep NAN.
 *
 * Azure 2021: the header app,func,end_timestamp,duration, then one row per
 * invocation, in seconds: it started at end_timestamp - duration and ran
 * for duration. Each distinct (app, func), numbered k from 0 in the order
 * first seen, is replayed as o->functions[k mod n_functions]. Events carry
 * the duration; they have no memory. When some start is before 0 (an
 * invocation that began before the trace's window), every start moves by
 * the same amount so the first is at 0. max_minutes keeps the invocations
 * that start in the first N minutes (after that move).
 *
 * Blank lines are skipped. Every offset is multiplied by o->time_scale.
 * Only the event array stays in memory; the file is read line by line. */
int fb_trace_load(const char *path, const struct fb_trace_opts *o, struct fb_trace *out,
                  struct fb_errbuf *eb);

/* A trace read as its replay goes: fb_trace_open checks the whole file
 * (every error is found before the first invocation), then fb_trace_next
 * hands out its invocations in time order, made (2019: a minute at a time
 * from the counts) or read (csv, 2021: the file again, a line at a time) as
 * they are asked for. A csv file not in time order, or a 2021 file whose
 * rows do not come in the order of their ends, is held in memory (32 bytes
 * an invocation) and sorted. The same events as fb_trace_load, in the same
 * order, every time. */
struct fb_trace_reader;

/* Returns 0, FB_EINVAL (eb: "FILE:LINE: message"), FB_EIO or FB_ENOMEM. */
int fb_trace_open(const char *path, const struct fb_trace_opts *o, struct fb_trace_reader **out,
                  struct fb_errbuf *eb);
/* The next invocation: 1 and *ev, 0 at the end, or FB_EIO / FB_ENOMEM
 * (fb_trace_error says what). */
int fb_trace_next(struct fb_trace_reader *r, struct fb_trace_event *ev);
/* The replay from its first invocation again (each cell replays it). */
int fb_trace_rewind(struct fb_trace_reader *r);
/* The same, as draw number draw of what a 2019 trace leaves to chance: where
 * in its minute each invocation falls (poisson spread) and its work from
 * the companion files; draw 0 is the first (the events fb_trace_load
 * gives), each draw the same whenever it is made. The counts per minute,
 * and every other format's events, are the same in every draw. */
int fb_trace_rewind_draw(struct fb_trace_reader *r, unsigned draw);
/* How many invocations the replay gives. */
size_t fb_trace_events(const struct fb_trace_reader *r);
/* Each function's invocations in the replay, into calls[0..n_functions):
 * from the counts (2019) or the events held, else by a pass over the file
 * (the replay is then at its start again). 0, FB_EIO or FB_ENOMEM. */
int fb_trace_calls(struct fb_trace_reader *r, size_t *calls);
/* The time of the replay's last invocation (s, time_scale applied), by a
 * pass over it (the replay is then at its start again); 0 for none. 0,
 * FB_EIO or FB_ENOMEM. */
int fb_trace_last(struct fb_trace_reader *r, double *t_s);
/* Whether the file had to be held in memory (it was out of order). */
bool fb_trace_in_memory(const struct fb_trace_reader *r);
const char *fb_trace_error(const struct fb_trace_reader *r);
void fb_trace_close(struct fb_trace_reader *r);

/* Frees the events and zeroes t; NULL and a zeroed trace are fine. */
void fb_trace_free(struct fb_trace *t);

#endif
