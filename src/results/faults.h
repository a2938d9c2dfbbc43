/* faults.h - the rows of a run's fault files, each declared once as an
 * X-macro column table (as invocation.h declares invocations.csv's) that
 * makes the row's struct, the header and the writer:
 *
 *   faults.csv          one row per fault of each cell: planned and actual
 *                       window, who ended it, what it did (docs/faults.md)
 *   nodes.csv           one row per metrics poll of a node: CPU, RAM, calls
 *                       in flight, instances (the report's node timelines)
 *   faults_summary.csv  per cell and fault, before / during / after: calls,
 *                       failures, retries, cold-start ratio, p50 and p99
 *
 * Kinds: STR text; INT, LONG whole numbers (LONG: negative is an empty
 * cell, "not known"); I64 unix ms (0: empty); SEC seconds and MS
 * milliseconds with 3 decimals, PCT a percentage with 2, NUM a plain
 * number (%g): NAN is an empty cell. New columns go at the end. */
#ifndef FB_RESULTS_FAULTS_H
#define FB_RESULTS_FAULTS_H

#include <stdint.h>
#include <stdio.h>

#include "results/columns.h"

/* X(name, kind, meaning) */
#define FB_FAULTROW_COLUMNS(X)                                                                 \
    X(run_id, STR, "the run folder's name")                                                    \
    X(cell, INT, "the cell's place in the matrix's order, from 0 (cells.log's)")               \
    X(repetition, INT, "repetition of the matrix, 1-based")                                    \
    X(policy, STR, "the cell's node policy")                                                   \
    X(warming, STR, "the cell's warming mode")                                                 \
    X(fault, STR, "the fault's name: f<k>:<action>:<node>, k its place in the file")           \
    X(node, STR, "the node it struck")                                                         \
    X(action, STR, "down, slow, kill-instances or partition")                                  \
    X(fraction, NUM, "slow: the share of the CPU quota left")                                  \
    X(at_s, SEC, "planned begin, workload seconds after the cell began issuing")               \
    X(for_s, SEC, "planned length")                                                            \
    X(begin_s, SEC, "actual begin, workload seconds; empty: it never began")                   \
    X(end_s, SEC, "actual end, workload seconds (kill-instances: at_s + for_s after its begin)") \
    X(begin_ms, I64, "actual begin, unix ms (the node's clock when its tool said)")            \
    X(end_ms, I64, "actual end, unix ms")                                                      \
    X(cell_start_ms, I64, "unix ms at which the cell began issuing")                           \
    X(ended_by, STR, "who ended it: faasbench, deadline (the node itself), cell-end, ...")    \
    X(killed, LONG, "kill-instances: containers killed")                                       \
    X(lost, LONG, "kill-instances: instances (or warm containers) the cell lost")              \
    X(error, STR, "what went wrong carrying it out; empty when nothing did")                 \
    X(time_scale, NUM, "wall seconds per workload second (a trace's time_scale, else 1)")

#define FB_NODEROW_COLUMNS(X)                                                                  \
    X(run_id, STR, "the run folder's name")                                                    \
    X(cell, INT, "the cell's place in the matrix's order, from 0")                             \
    X(repetition, INT, "repetition of the matrix, 1-based")                                    \
    X(policy, STR, "the cell's node policy")                                                   \
    X(warming, STR, "the cell's warming mode")                                                 \
    X(t_s, SEC, "workload seconds after the cell began issuing; empty: before it did")      \
    X(unix_ms, I64, "when the poll ended")                                                     \
    X(node, STR, "the node polled")                                                            \
    X(up, INT, "1: it answered; 0: it did not and is marked down")                             \
    X(cpu_pct, PCT, "its CPU %, as the policies see it")                                       \
    X(ram_pct, PCT, "its RAM %")                                                               \
    X(inflight, INT, "invocations in flight there")                                            \
    X(instances, INT, "instances there (keep-alive cells) or warm containers (warming cells)") \
    X(used_mb, NUM, "memory its instances reserve, MB")

#define FB_FAULTSUM_COLUMNS(X)                                                                 \
    X(run_id, STR, "the run folder's name")                                                    \
    X(repetition, INT, "repetition of the matrix, 1-based")                                    \
    X(policy, STR, "the cell's node policy")                                                   \
    X(warming, STR, "the cell's warming mode")                                                 \
    X(fault, STR, "the fault (faults.csv)")                                                    \
    X(node, STR, "the node it struck")                                                         \
    X(action, STR, "its action")                                                               \
    X(phase, STR, "before, during or after the fault's actual window")                         \
    X(from_s, SEC, "the phase's start, workload seconds after the cell began issuing")         \
    X(to_s, SEC, "its end (the last call's start in the cell for after)")                      \
    X(calls, LONG, "invocations that started in it (warm-up left out, as in every summary)")   \
    X(failures, LONG, "of them, those with an error")                                          \
    X(retries, LONG, "attempts past the first, after a node failure")                          \
    X(cold_start_ratio, NUM, "of the calls that ran, those that started an instance or "       \
                             "container (cold or pre-warmed)")                                 \
    X(p50_ms, MS, "median latency of the calls that succeeded")                                \
    X(p99_ms, MS, "99th percentile latency of the calls that succeeded")

/* Each kind's C type in the row's struct, and what --list-columns calls it
 * (columns.h's kinds). */
#define FB_FCOLTYPE_STR const char *
#define FB_FCOLTYPE_INT int
#define FB_FCOLTYPE_LONG long
#define FB_FCOLTYPE_I64 int64_t
#define FB_FCOLTYPE_SEC double
#define FB_FCOLTYPE_MS double
#define FB_FCOLTYPE_PCT double
#define FB_FCOLTYPE_NUM double
#define FB_FCOLKIND_STR FB_COL_STR
#define FB_FCOLKIND_INT FB_COL_INT
#define FB_FCOLKIND_LONG FB_COL_LONG
#define FB_FCOLKIND_I64 FB_COL_I64
#define FB_FCOLKIND_SEC FB_COL_SECONDS
#define FB_FCOLKIND_MS FB_COL_MS
#define FB_FCOLKIND_PCT FB_COL_PCT
#define FB_FCOLKIND_NUM FB_COL_REAL

#define FB_FCOL_MEMBER_(name, kind, doc) FB_FCOLTYPE_##kind name;
/* Strings are borrowed; NULL or "" is an empty cell. */
struct fb_fault_row {
    FB_FAULTROW_COLUMNS(FB_FCOL_MEMBER_)
};
struct fb_node_row {
    FB_NODEROW_COLUMNS(FB_FCOL_MEMBER_)
};
struct fb_faultsum_row {
    FB_FAULTSUM_COLUMNS(FB_FCOL_MEMBER_)
};
#undef FB_FCOL_MEMBER_

/* Each table's header line and one row, both ending with "\n". */
void fb_fault_row_header(FILE *f);
void fb_fault_row_write(FILE *f, const struct fb_fault_row *r);
void fb_node_row_header(FILE *f);
void fb_node_row_write(FILE *f, const struct fb_node_row *r);
void fb_faultsum_header(FILE *f);
void fb_faultsum_write(FILE *f, const struct fb_faultsum_row *r);

/* Each table's columns, in order (--list-columns), and how many. */
#define FB_FCOL_ONE_(name, kind, doc) +1
enum {
    FB_FAULT_NCOLUMNS = 0 FB_FAULTROW_COLUMNS(FB_FCOL_ONE_),
    FB_NODE_NCOLUMNS = 0 FB_NODEROW_COLUMNS(FB_FCOL_ONE_),
    FB_FAULTSUM_NCOLUMNS = 0 FB_FAULTSUM_COLUMNS(FB_FCOL_ONE_),
};
#undef FB_FCOL_ONE_
extern const struct fb_column fb_fault_columns[FB_FAULT_NCOLUMNS];
extern const struct fb_column fb_node_columns[FB_NODE_NCOLUMNS];
extern const struct fb_column fb_faultsum_columns[FB_FAULTSUM_NCOLUMNS];

#endif
