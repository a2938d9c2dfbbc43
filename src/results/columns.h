/* columns.h - the column tables of every CSV file a run folder holds, the
 * way each kind of value is written, and the list of those files.
 *
 * invocations.csv has its own header (invocation.h: its table also makes
 * the row struct and the reader). The others are declared here, one line
 * per column: X(name, kind, meaning). The line makes the header and the
 * column's place in the enum its writer switches over (a column without a
 * case there is a compiler warning, so an error), and its meaning is what
 * `faasbench --list-columns` prints and docs/results.md lists. Columns
 * never move: new ones go at the end (readers find columns by name).
 *
 * The layers that fill these files own their rows (report/ the summaries,
 * comparisons and findings, run/ the keep-alive files, results.c
 * metrics.csv); each hands values to fb_col_put, which writes every kind
 * one way. */
#ifndef FB_COLUMNS_H
#define FB_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* How a value is written (a real that is not finite is an empty cell):
 *   STR        text, quoted when needed (RFC 4180)
 *   INT, LONG  a whole number
 *   I64        a unix time in ms
 *   MS         ms, 3 decimals
 *   PCT        a percentage, 2 decimals
 *   MB         an amount of memory in MB, no decimals (asked memory is whole MB)
 *   RATIO      a ratio or fraction, 4 decimals
 *   HALF       a count of pairs where ties count 1/2, 1 decimal
 *   P          a p-value, 6 significant digits
 *   SECONDS    seconds, 6 decimals
 *   SECONDS4   seconds, 4 decimals (the older testbed's)
 *   REAL       a number, as short as %g writes it */
enum fb_col_kind {
    FB_COL_STR,
    FB_COL_INT,
    FB_COL_LONG,
    FB_COL_I64,
    FB_COL_MS,
    FB_COL_PCT,
    FB_COL_RATIO,
    FB_COL_HALF,
    FB_COL_P,
    FB_COL_SECONDS,
    FB_COL_SECONDS4,
    FB_COL_REAL,
    FB_COL_MB,
};

/* "text", "integer", "unix ms", "ms", "%", ...: a kind as --list-columns
 * shows it. */
const char *fb_col_kind_name(enum fb_col_kind k);

struct fb_column {
    const char *name;
    enum fb_col_kind kind;
    size_t off;  /* invocations.csv: of the member in struct fb_invocation */
    bool needed; /* invocations.csv: a reader fails without it */
    const char *doc;
};

/* One value on its way to a file: s for STR, i for the whole kinds, x for
 * the others. */
struct fb_value {
    const char *s;
    long long i;
    double x;
};
#define FB_VSTR(v) ((struct fb_value){.s = (v)})
#define FB_VINT(v) ((struct fb_value){.i = (long long)(v)})
#define FB_VREAL(v) ((struct fb_value){.x = (v)})

/* Writes one CSV field (quoted when needed, RFC 4180) to f, after a comma
 * unless first. NULL is an empty field. */
void fb_csv_field(FILE *f, const char *s, int first);

/* Writes v as kind prescribes, after a comma unless first. */
void fb_col_put(FILE *f, enum fb_col_kind kind, struct fb_value v, bool first);

/* The header line of a table of n columns, ending in "\n". */
void fb_col_write_header(FILE *f, const struct fb_column *cols, int n);

/* One row: value(row, c) for each column c in order, then "\n". */
typedef struct fb_value (*fb_col_value_fn)(const void *row, int c);
void fb_col_write_row(FILE *f, const struct fb_column *cols, int n, fb_col_value_fn value,
                      const void *row);

/* ---- the tables ---- */

/* summary.csv: one row per cell and function (report.h). Latencies are of
 * the successful rows (an empty error and a latency_ms). */
#define FB_SUMMARY_COLUMNS(X)                                                                 \
    X(run_id, STR, "the run folder's name")                                                   \
    X(repetition, INT, "repetition of the matrix, 1-based")                                   \
    X(policy, STR, "the cell's node policy")                                                  \
    X(warming, STR, "the cell's warming mode")                                                \
    X(function, STR, "the function")                                                          \
    X(n, INT, "successful invocations (warm-up rows left out)")                               \
    X(errors, INT, "invocations with an error")                                               \
    X(mean_ms, MS, "mean latency")                                                            \
    X(sd_ms, MS, "sample standard deviation of the latency (n - 1)")                          \
    X(min_ms, MS, "lowest latency")                                                           \
    X(p50_ms, MS, "median latency (percentiles: R type 7)")                                   \
    X(p90_ms, MS, "90th percentile of the latency")                                           \
    X(p95_ms, MS, "95th percentile of the latency")                                           \
    X(p99_ms, MS, "99th percentile of the latency")                                           \
    X(max_ms, MS, "highest latency")                                                          \
    X(ci95_lo_ms, MS, "95 % CI of the mean, lower bound (Student t)")                         \
    X(ci95_hi_ms, MS, "95 % CI of the mean, upper bound")                                     \
    X(cold, INT, "invocations that ran cold")                                                 \
    X(pre_warmed, INT, "invocations that ran pre-warmed")                                     \
    X(warmed, INT, "invocations that ran warmed")                                             \
    X(per_node, STR, "invocations per node: \"node1=3 node2=0 ...\"")                         \
    X(p50_ci95_lo_ms, MS, "95 % CI of the median, lower bound (order statistics, n >= 6)")    \
    X(p50_ci95_hi_ms, MS, "95 % CI of the median, upper bound")                               \
    X(select_p50_ms, MS, "median of select_ms")                                               \
    X(pull_p50_ms, MS, "median of pull_ms")                                                   \
    X(run_p50_ms, MS, "median of run_ms")                                                     \
    X(cleanup_p50_ms, MS, "median of cleanup_ms")                                             \
    X(overhead_p50_ms, MS, "median of latency_ms - node_exec_ms: the harness's own share")    \
    X(create_p50_ms, MS, "resident: median of create_ms")                                     \
    X(ready_p50_ms, MS, "resident: median of ready_ms")                                       \
    X(init_p50_ms, MS, "resident: median of init_ms")                                         \
    X(invoke_p50_ms, MS, "resident: median of invoke_ms")                                     \
    X(handler_p50_ms, MS, "resident: median of handler_ms")                                   \
    X(open_loop, INT, "1: some row's intended_start_ms differs from its start_ms")            \
    X(queue_mean_ms, MS, "open loop: mean of start_ms - intended_start_ms")                   \
    X(queue_p50_ms, MS, "open loop: median queue in front of the workers")                    \
    X(queue_p95_ms, MS, "open loop: 95th percentile of the queue")                            \
    X(queue_p99_ms, MS, "open loop: 99th percentile of the queue")                            \
    X(queue_max_ms, MS, "open loop: longest queue")                                           \
    X(client_mean_ms, MS, "open loop: mean of queue + latency (from the intended start)")     \
    X(client_p50_ms, MS, "open loop: median latency from the intended start")                 \
    X(client_p95_ms, MS, "open loop: 95th percentile from the intended start")                \
    X(client_p99_ms, MS, "open loop: 99th percentile from the intended start")                \
    X(client_max_ms, MS, "open loop: longest from the intended start")                      \
    X(asked_duration_p50_ms, MS, "asked work: median duration asked ({duration_ms})")          \
    X(measured_duration_p50_ms, MS, "asked work: median time it took (handler, else command)")   \
    X(slip_p50_pct, PCT, "asked work: median of each call's (measured - asked) / asked")

/* comparison.csv: each cell against its function's reference cell (the
 * first in the file, or --reference). */
#define FB_COMPARISON_COLUMNS(X)                                                              \
    X(repetition, INT, "the cell's repetition")                                               \
    X(policy, STR, "the cell's node policy")                                                  \
    X(warming, STR, "the cell's warming mode")                                                \
    X(function, STR, "the function")                                                          \
    X(ref_repetition, INT, "the reference cell's repetition")                                 \
    X(ref_policy, STR, "the reference cell's node policy")                                    \
    X(ref_warming, STR, "the reference cell's warming mode")                                  \
    X(n, INT, "the cell's successful invocations")                                            \
    X(ref_n, INT, "the reference cell's successful invocations")                              \
    X(p50_ms, MS, "the cell's median latency")                                                \
    X(ref_p50_ms, MS, "the reference cell's median latency")                                  \
    X(ratio, RATIO, "p50_ms / ref_p50_ms")                                                    \
    X(ratio_ci95_lo, RATIO, "95 % CI of the ratio, lower bound (bootstrap; order statistics past 100 values)")       \
    X(ratio_ci95_hi, RATIO, "95 % CI of the ratio, upper bound")                              \
    X(mw_u, HALF, "Mann-Whitney U of the cell against the reference")                        \
    X(mw_p, P, "its two-sided p-value")

/* findings.csv: per function and warming mode, every pair of node policies
 * (all repetitions pooled), the faster one (lower median) first. */
#define FB_FINDINGS_COLUMNS(X)                                                                \
    X(function, STR, "the function")                                                          \
    X(warming, STR, "the warming mode both policies ran")                                     \
    X(faster, STR, "the policy with the lower median latency")                                \
    X(slower, STR, "the other policy")                                                        \
    X(n_faster, INT, "successful invocations of the faster policy")                           \
    X(n_slower, INT, "successful invocations of the slower policy")                           \
    X(p50_faster_ms, MS, "median latency of the faster policy")                               \
    X(p50_slower_ms, MS, "median latency of the slower policy")                               \
    X(ratio, RATIO, "p50_slower_ms / p50_faster_ms")                                          \
    X(ratio_ci95_lo, RATIO, "95 % CI of the ratio, lower bound (bootstrap; order statistics past 100 values)")       \
    X(ratio_ci95_hi, RATIO, "95 % CI of the ratio, upper bound")                              \
    X(mw_p, P, "Mann-Whitney U test, two-sided p-value")                                      \
    X(p_holm, P, "mw_p adjusted by Holm's method over the pairs of this function and mode")  \
    X(significant, INT, "1: p_holm < 0.05 and the ratio's CI lies above 1")

/* keepalive.csv: one row per keep-alive cell. */
#define FB_KEEPALIVE_COLUMNS(X)                                                               \
    X(run_id, STR, "the run folder's name")                                                   \
    X(repetition, INT, "repetition of the matrix, 1-based")                                   \
    X(policy, STR, "the cell's node policy")                                                  \
    X(keepalive, STR, "the keep-alive policy as written (\"ttl:ttl_s=60\")")                  \
    X(invocations, INT, "calls issued")                                                       \
    X(cold, INT, "calls that pulled and started an instance")                                 \
    X(prewarmed, INT, "calls that started an instance, the image there")                      \
    X(warm, INT, "calls an idle instance took")                                               \
    X(failed, INT, "calls that failed")                                                       \
    X(cold_start_ratio, RATIO, "(cold + prewarmed) / calls that ran; empty if none ran")      \
    X(started, INT, "instances started, pre-warms included")                                  \
    X(prewarms, INT, "instances the policy started ahead of a call")                          \
    X(evicted_pressure, INT, "instances evicted to make room")                                \
    X(evicted_expired, INT, "instances whose keep-alive ran out")                             \
    X(evicted_unload, INT, "instances a pre-warming policy unloaded after the call")          \
    X(evicted_failed, INT, "instances removed after a failure")                               \
    X(alive_end, INT, "instances removed when the cell ended")                                \
    X(room_waits, INT, "calls that waited for memory")                                        \
    X(idle_mb_s, MS, "memory held by idle instances, MB x workload seconds")                  \
    X(peak_instances, INT, "the most instances one node held at once")                        \
    X(latency_p50_ms, MS, "median latency of the calls that succeeded")                       \
    X(latency_p99_ms, MS, "99th percentile of their latency")

/* instances.csv: the instance timeline of the keep-alive cells. */
#define FB_INSTANCES_COLUMNS(X)                                                               \
    X(run_id, STR, "the run folder's name")                                                   \
    X(repetition, INT, "repetition of the matrix, 1-based")                                   \
    X(policy, STR, "the cell's node policy")                                                  \
    X(keepalive, STR, "the cell's keep-alive policy")                                         \
    X(t_s, SECONDS, "workload seconds since the cell began")                                  \
    X(unix_ms, I64, "unix ms of the event")                                                   \
    X(node, STR, "the instance's node")                                                       \
    X(function, STR, "the instance's function")                                               \
    X(instance, STR, "the instance (its container)")                                          \
    X(event, STR, "start, prewarm, ready, busy, idle or evict-<cause>")                       \
    X(memory_mb, REAL, "the instance's memory, MB")

/* metrics.csv: the older testbed's file, its column names kept byte for
 * byte: X(identifier, name, kind, meaning). */
#define FB_METRICS_COLUMNS(X)                                                                 \
    X(function, "Function", STR, "the function invoked")                                      \
    X(node, "Node", STR, "where it ran")                                                      \
    X(cpu, "CPU Usage %", PCT, "the node's CPU % at selection")                               \
    X(ram, "RAM Usage %", PCT, "the node's RAM % at selection")                               \
    X(mode, "Execution Mode", STR, "cold, pre-warmed or warmed")                              \
    X(time, "Execution Time (s)", SECONDS4, "latency_ms / 1000")

enum fb_summary_column {
#define FB_SC_(name, kind, doc) FB_SC_##name,
    FB_SUMMARY_COLUMNS(FB_SC_) FB_SC_N
#undef FB_SC_
};
enum fb_comparison_column {
#define FB_CC_(name, kind, doc) FB_CC_##name,
    FB_COMPARISON_COLUMNS(FB_CC_) FB_CC_N
#undef FB_CC_
};
enum fb_findings_column {
#define FB_FC_(name, kind, doc) FB_FC_##name,
    FB_FINDINGS_COLUMNS(FB_FC_) FB_FC_N
#undef FB_FC_
};
enum fb_keepalive_column {
#define FB_KC_(name, kind, doc) FB_KC_##name,
    FB_KEEPALIVE_COLUMNS(FB_KC_) FB_KC_N
#undef FB_KC_
};
enum fb_instances_column {
#define FB_EC_(name, kind, doc) FB_EC_##name,
    FB_INSTANCES_COLUMNS(FB_EC_) FB_EC_N
#undef FB_EC_
};
enum fb_metrics_column {
#define FB_MC_(id, name, kind, doc) FB_MC_##id,
    FB_METRICS_COLUMNS(FB_MC_) FB_MC_N
#undef FB_MC_
};

extern const struct fb_column fb_summary_columns[FB_SC_N];
extern const struct fb_column fb_comparison_columns[FB_CC_N];
extern const struct fb_column fb_findings_columns[FB_FC_N];
extern const struct fb_column fb_keepalive_columns[FB_KC_N];
extern const struct fb_column fb_instances_columns[FB_EC_N];
extern const struct fb_column fb_metrics_columns[FB_MC_N];

/* ---- the files ---- */

struct fb_result_file {
    const char *name; /* "summary.csv" */
    const char *what; /* one line */
    const struct fb_column *columns;
    int n;
};

/* Every CSV file of a run folder, invocations.csv first; NULL past the
 * last. */
const struct fb_result_file *fb_result_file_at(int i);

/* Prints every file's columns with their kinds and meanings. */
void fb_result_files_list(FILE *f);

#endif
