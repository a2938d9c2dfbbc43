/* invocation.h - one row of invocations.csv: every column declared once.
 *
 * FB_INVOCATION_COLUMNS lists the columns in file order, each with its name
 * (also the member of struct fb_invocation), its kind, whether a reader
 * needs it, and what it means. The header, the row writer and the row
 * reader are all made from this list, so a new column is one line here
 * (always at the end: readers find columns by name, old files keep working).
 *
 * Kinds: STR text; INT, LONG whole numbers; I64 a unix time in ms; MS a
 * duration in milliseconds written with 3 decimals; PCT a percentage with 2;
 * MB an amount of memory in MB, written without decimals (the memory a
 * function is asked for is whole MB). An MS, PCT or MB that was not
 * measured (or not asked) is NAN and an empty cell; a phase that did not
 * happen is 0.
 *
 * The reader takes back what the writer prints and nothing else, so that a
 * file no run wrote is refused instead of misread:
 *   every kind  no NUL byte in the field (a C string would end at it);
 *   INT, LONG   digits, '-' before them when negative, within the type's
 *               range; never empty;
 *   I64         digits only: a unix time is never negative (and a difference
 *               of two never overflows); never empty;
 *   MS, MB      digits, optionally a point and more digits (%.3f prints 3;
 *               fewer or more are the same number); no sign, since a
 *               duration is a difference of monotonic times and an amount
 *               of memory is never negative; empty: NAN;
 *   PCT         as MS, '-' allowed before the digits; empty: NAN.
 * No other syntax: no '+', blank, exponent (1e3), hexadecimal (0x1p8, which
 * strtod reads as 256), inf, nan, or a point without digits on both sides. The resident columns are empty for functions that are not
 * resident; for resident ones run_ms = create_ms + ready_ms + invoke_ms, so
 * latency = select + pull + create + ready + invoke. init_ms lies within
 * create_ms + ready_ms (the runtime starts while its container's start step
 * ends), handler_ms within invoke_ms: a cold start is pull, the instance's
 * start (create + ready - init), the runtime's init and the invoke. */
#ifndef FB_INVOCATION_H
#define FB_INVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/csvrow.h"
#include "results/columns.h"

/* X(name, kind, needed by readers, meaning) */
#define FB_INVOCATION_COLUMNS(X)                                                          \
    X(run_id, STR, false, "the run folder's name")                                        \
    X(repetition, INT, true, "repetition of the matrix, 1-based")                         \
    X(policy, STR, true, "the cell's node policy")                                        \
    X(warming, STR, true, "the cell's warming mode")                                      \
    X(function, STR, true, "the function invoked")                                        \
    X(seq, LONG, false, "1-based within the cell and function")                           \
    X(node, STR, false, "where it ran; empty when no node was chosen")                    \
    X(mode, STR, false, "what ran there: cold, pre-warmed or warmed; empty if nothing")   \
    X(intended_start_ms, I64, false, "unix ms at which the workload meant it to start")   \
    X(start_ms, I64, false, "unix ms at which a worker took it up")                       \
    X(select_ms, MS, false, "metrics poll and node choice, waiting for a session there")  \
    X(pull_ms, MS, false, "a cold start's image pull")                                    \
    X(run_ms, MS, false, "the run (cold, pre-warmed) or exec (warmed) step")              \
    X(cleanup_ms, MS, false, "after the answer: a cold start's image removal")            \
    X(latency_ms, MS, true, "select + pull + run: what the caller waits for")             \
    X(total_ms, MS, false, "latency + cleanup")                                           \
    X(node_exec_ms, MS, false, "the timed steps' own time on the node")                   \
    X(cpu_pct, PCT, false, "the node's CPU % at selection")                               \
    X(ram_pct, PCT, false, "the node's RAM % at selection")                               \
    X(exit_status, INT, false, "of the function's command; -1 when it did not run")       \
    X(attempts, INT, false, "1 + retries on another node after a node failure")           \
    X(error, STR, true, "empty on success")                                               \
    X(failed_nodes, STR, false, "nodes earlier attempts failed on, space-separated")      \
    X(retry_error, STR, false, "what the last failed attempt said")                       \
    X(instance, STR, false, "the container that served it (resident: its instance)")     \
    X(create_ms, MS, false, "resident: starting the instance's container")                \
    X(ready_ms, MS, false, "resident: from started to its runtime answering")            \
    X(init_ms, MS, false, "resident: the runtime's own start-up (imports, handler load)") \
    X(invoke_ms, MS, false, "resident: the request to the handler and its answer")       \
    X(handler_ms, MS, false, "resident: the handler's own time, as its runtime measured") \
    X(runtime_pid, INT, false, "resident: the serving runtime's pid (in its container)")  \
    X(runtime_count, LONG, false, "resident: calls that runtime has served, this one too")  \
    X(room_ms, MS, false, "keep-alive: waiting for memory and evicting to make room")    \
    X(warmup, INT, false, "1: issued within workload.warmup_s, left out of summaries")   \
    X(asked_duration_ms, MS, false, "the work asked: {duration_ms} as filled in; empty: none") \
    X(asked_memory_mb, MB, false, "the work asked: {memory_mb} as filled in; empty: none") \
    X(faults, STR, false, "fault windows active when it started, space-separated (faults.csv)")

#define FB_COLTYPE_STR const char *
#define FB_COLTYPE_INT int
#define FB_COLTYPE_LONG long
#define FB_COLTYPE_I64 int64_t
#define FB_COLTYPE_MS double
#define FB_COLTYPE_PCT double
#define FB_COLTYPE_MB double

/* One invocation as it happened. Strings are borrowed; NULL or "" is an
 * empty cell. */
struct fb_invocation {
#define FB_INV_MEMBER_(name, kind, needed, doc) FB_COLTYPE_##kind name;
    FB_INVOCATION_COLUMNS(FB_INV_MEMBER_)
#undef FB_INV_MEMBER_
};

/* Column indices: FB_IC_latency_ms ... */
enum fb_inv_column {
#define FB_INV_ENUM_(name, kind, needed, doc) FB_IC_##name,
    FB_INVOCATION_COLUMNS(FB_INV_ENUM_)
#undef FB_INV_ENUM_
    FB_IC_N
};

/* The table made from FB_INVOCATION_COLUMNS, FB_IC_N entries. */
extern const struct fb_column fb_invocation_columns[];
extern const int fb_invocation_ncolumns;

/* The header line, then one row per call; both end with "\n". */
void fb_invocation_write_header(FILE *f);
void fb_invocation_write(FILE *f, const struct fb_invocation *inv);

/* ---- reading ---- */

/* Where each known column is in a file's records: field index or -1. */
struct fb_invocation_map {
    int field[FB_IC_N];
    size_t header_fields;
};

/* Maps a header record. Columns the table does not know are ignored.
 * Returns 0, or FB_EINVAL with *missing naming a needed column absent. */
int fb_invocation_map_header(struct fb_invocation_map *m, const struct fb_csvrow *header,
                             const char **missing);

/* Reads a data record into *inv: strings borrowed from row (valid until
 * its next record); a column the file lacks reads as "", 0 or NAN.
 * Returns 0, or FB_EINVAL with *bad set to the first column whose text is
 * not of its kind by the rules at the top (fb_invocation_problem says why). */
int fb_invocation_read(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                       struct fb_invocation *inv, enum fb_inv_column *bad);

/* Why column c's text in row breaks its kind's rules ("holds a NUL byte",
 * "is negative (a duration never is)", "is not a number as faasbench
 * writes one (...)", ...), or NULL when it does not. A static string. */
const char *fb_invocation_problem(const struct fb_invocation_map *m,
                                  const struct fb_csvrow *row, enum fb_inv_column c);

/* The text of column c in row ("" when the file has no such column). */
const char *fb_invocation_text(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                               enum fb_inv_column c);
/* Its length as read: more than strlen() of the text when it holds a NUL. */
size_t fb_invocation_text_len(const struct fb_invocation_map *m, const struct fb_csvrow *row,
                              enum fb_inv_column c);

#endif
