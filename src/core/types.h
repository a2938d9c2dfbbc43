/* types.h - the enums every layer shares, each declared once as an X-macro
 * list of (value, name as written in experiment files and rows): the enum,
 * its names, its parser and the experiment file's choices all come from
 * that one list. */
#ifndef FB_TYPES_H
#define FB_TYPES_H

#include <stddef.h>

/* How a function is prepared in a cell, and what an invocation ran as.
 * keep-alive is a cell's mode only: cold or warm is the outcome. */
#define FB_WARMING_MAP(X)                                                                       \
    X(FB_WARM_COLD, "cold")                                                                     \
    X(FB_WARM_PREWARMED, "pre-warmed")                                                          \
    X(FB_WARM_WARMED, "warmed")                                                                 \
    X(FB_WARM_KEEPALIVE, "keep-alive")

/* How a cell issues its invocations (workload.type). */
#define FB_WORKLOAD_MAP(X)                                                                      \
    X(FB_WORKLOAD_SEQUENTIAL, "sequential") /* for i in 1..N, each function, one at a time */  \
    X(FB_WORKLOAD_CLOSED, "closed")         /* C clients, each invoking back to back */         \
    X(FB_WORKLOAD_POISSON, "poisson")       /* open loop: arrivals at a rate, seeded */          \
    X(FB_WORKLOAD_TRACE, "trace")           /* open loop: arrivals replayed from a trace */

/* Trace file formats (workload.trace_format). */
#define FB_TRACE_FORMAT_MAP(X)                                                                  \
    X(FB_TRACE_CSV, "csv")             /* time_s,function: one row per invocation */            \
    X(FB_TRACE_AZURE, "azure")         /* Azure Functions 2019: counts per minute */            \
    X(FB_TRACE_AZURE2021, "azure2021") /* Azure Functions 2021: one row per invocation */

/* How a 2019 trace's minute spreads its invocations (workload.spread). */
#define FB_SPREAD_MAP(X)                                                                        \
    X(FB_SPREAD_UNIFORM, "uniform") /* c of them at (j + 0.5) / c of the minute */              \
    X(FB_SPREAD_POISSON, "poisson") /* at c sorted uniform random points (seeded) */

/* The order a matrix's cells run in (matrix.order). */
#define FB_ORDER_MAP(X)                                                                         \
    X(FB_ORDER_LISTED, "listed")     /* as the file lists them */                               \
    X(FB_ORDER_SHUFFLED, "shuffled") /* in a random order from the seed */

/* How a node reports its load (metrics.format). */
#define FB_METRICS_MAP(X)                                                                       \
    X(FB_METRICS_FBNODE, "faasbench-node") /* `faasbench-node metrics`: fbm1 counters */       \
    X(FB_METRICS_TESTBED, "testbed")       /* the older testbed's JSON cpu_usage, ram_usage */ \
    X(FB_METRICS_NONE, "none")             /* no metrics: CPU and RAM read as 0 */

/* Steps of the container runtime, each a command template (template.h). */
#define FB_STEP_MAP(X)                                                                          \
    X(FB_STEP_PULL, "pull")                                                                     \
    X(FB_STEP_RUN, "run")                                                                       \
    X(FB_STEP_START, "start")                                                                   \
    X(FB_STEP_EXEC, "exec")                                                                     \
    X(FB_STEP_REMOVE_IMAGE, "remove_image")                                                     \
    X(FB_STEP_REMOVE_CONTAINER, "remove_container")                                             \
    X(FB_STEP_RESET, "reset")                                                                   \
    X(FB_STEP_START_INSTANCE, "start_instance")   /* a resident instance: container + runtime */ \
    X(FB_STEP_REMOVE_INSTANCE, "remove_instance") /* its container and folder */              \
    X(FB_STEP_KILL, "kill")       /* fault kill-instances: kill every function container */    \
    X(FB_STEP_FAULT, "fault")     /* a fault on the node, armed to end by itself */             \
    X(FB_STEP_UNFAULT, "unfault") /* that fault ended now */

/* What a scheduled fault does to its node (faults[].action; docs/faults.md). */
#define FB_FAULT_ACTION_MAP(X)                                                                  \
    X(FB_FAULT_DOWN, "down")                     /* the node stops answering, then comes back */ \
    X(FB_FAULT_SLOW, "slow")                     /* its CPU quota cut to a fraction */          \
    X(FB_FAULT_KILL, "kill-instances")           /* its function containers killed */           \
    X(FB_FAULT_PARTITION, "partition")           /* new connections fail, open ones stall */

/* Which invocations of a simulated run get a row (simulate.rows, --rows). */
#define FB_SIM_ROWS_MAP(X)                                                                      \
    X(FB_SIM_ROWS_ALL, "all")       /* every one */                                             \
    X(FB_SIM_ROWS_NONE, "none")     /* none: the summaries still count every one */             \
    X(FB_SIM_ROWS_SAMPLE, "sample") /* a seeded share of them (simulate.sample) */

/* How faasbench reaches a node (nodes[].transport). */
#define FB_TRANSPORT_MAP(X)                                                                     \
    X(FB_TRANSPORT_SSH, "ssh")                                                                  \
    X(FB_TRANSPORT_LOCAL, "local")

#define FB_ENUM_VALUE(id, name) id,
enum fb_warming { FB_WARMING_MAP(FB_ENUM_VALUE) FB_WARM_N };
enum fb_workload_kind { FB_WORKLOAD_MAP(FB_ENUM_VALUE) FB_WORKLOAD_N };
enum fb_trace_format { FB_TRACE_FORMAT_MAP(FB_ENUM_VALUE) FB_TRACE_FORMAT_N };
enum fb_trace_spread { FB_SPREAD_MAP(FB_ENUM_VALUE) FB_SPREAD_N };
enum fb_order { FB_ORDER_MAP(FB_ENUM_VALUE) FB_ORDER_N };
enum fb_metrics_format { FB_METRICS_MAP(FB_ENUM_VALUE) FB_METRICS_N };
enum fb_step { FB_STEP_MAP(FB_ENUM_VALUE) FB_STEP_N };
enum fb_transport_kind { FB_TRANSPORT_MAP(FB_ENUM_VALUE) FB_TRANSPORT_N };
enum fb_sim_rows { FB_SIM_ROWS_MAP(FB_ENUM_VALUE) FB_SIM_ROWS_N };
enum fb_fault_action { FB_FAULT_ACTION_MAP(FB_ENUM_VALUE) FB_FAULT_ACTION_N };
#undef FB_ENUM_VALUE

/* The names of one enum, by value (the list's order is the enum's). */
struct fb_enum {
    const char *what;          /* what a value is, for messages: "warming mode" */
    const char *const *names;  /* n of them */
    int n;
};

extern const struct fb_enum fb_warming_enum, fb_workload_enum, fb_trace_format_enum,
    fb_spread_enum, fb_order_enum, fb_metrics_enum, fb_step_enum, fb_transport_enum, fb_sim_rows_enum,
    fb_fault_action_enum;

/* The name of value v, or "unknown" out of range. */
const char *fb_enum_name(const struct fb_enum *e, int v);
/* The value named name, or FB_EINVAL (out untouched; out may be NULL). */
int fb_enum_parse(const struct fb_enum *e, const char *name, int *out);
/* The names joined as `"a", "b" or "c"`, into buf (for help and messages). */
void fb_enum_choices(const struct fb_enum *e, char *buf, size_t n);

/* Typed shorthands. */
const char *fb_warming_name(enum fb_warming w);
int fb_warming_parse(const char *name, enum fb_warming *out);
const char *fb_workload_name(enum fb_workload_kind k);
const char *fb_step_name(enum fb_step s);
const char *fb_fault_action_name(enum fb_fault_action a);
const char *fb_metrics_format_name(enum fb_metrics_format f);
int fb_metrics_format_parse(const char *name, enum fb_metrics_format *out);

/* The default metrics command of a format ("faasbench-node metrics",
 * "/usr/local/bin/get_node_metrics.sh", NULL for none). */
const char *fb_metrics_default_command(enum fb_metrics_format f);

#endif
