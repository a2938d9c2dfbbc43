/* engine.h - nodes, their sessions and state, and one invocation end to end:
 * what the run loop and the REST shim share. */
#ifndef FB_ENGINE_H
#define FB_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "experiment/config.h"
#include "core/error.h"
#include "policies/policy.h"
#include "core/types.h"
#include "decide/cluster.h"
#include "keepalive/keepalive.h"
#include "core/template.h"
#include "results/outcome.h"

struct fb_engine;

/* One metrics poll of a node as it ended, for nodes.csv. */
struct fb_node_sample {
    int node;              /* index */
    const char *name;      /* borrowed, valid during the call */
    int64_t unix_ms;       /* when the poll ended */
    bool up;               /* false: the poll failed and the node is marked down */
    double cpu_pct, ram_pct; /* as polled (NAN when down) */
    int inflight;          /* invocations in flight there */
    int instances;         /* instances there (keep-alive cells), or warm containers
                              prepared (warming cells) */
    double used_mb;        /* memory the instances reserve */
};

/* What the engine needs to know, and nothing else: a run fills it from
 * the experiment (fb_engine_opts_init), the gateway from its flags. Strings
 * are borrowed and must outlive the engine. */
struct fb_engine_opts {
    const char *steps[FB_STEP_N];     /* runtime step templates (template.h) */
    enum fb_metrics_format metrics_format;
    const char *metrics_command;      /* NULL with FB_METRICS_NONE */
    int metrics_interval_ms;          /* 0: poll at every selection; else in the
                                         background at this interval */
    bool node_timing;                 /* the node times the function's steps */
    double ram_threshold;             /* percent: nodes at or above it are skipped */
    int command_timeout_ms;
    int connect_timeout_ms;
    int metrics_timeout_ms;           /* a metrics poll; 0: command_timeout_ms */
    int slots;                        /* sessions per node: invocations in flight there */
    int warm_nodes;                   /* nodes prepared per function; 0: all */
    int retries;                      /* of an invocation on another node after a node
                                         failure */
    const char *instance_root;        /* node folder of resident instances' folders */
    /* Once non-zero, long multi-node work (preparing warm nodes) stops
     * early. NULL: none. */
    const volatile sig_atomic_t *stop;
    /* Where the engine's messages go (a node marked down, back, a failed
     * reset or teardown step): one line without a newline. NULL: stderr,
     * as "faasbench: MSG". May be called from any of the engine's threads. */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
    /* Each metrics poll of a node (NULL: none), from any of the engine's
     * threads, several at once, never under the engine's lock. */
    void (*polled)(void *ctx, const struct fb_node_sample *s);
    void *polled_ctx;
};

/* The options of a run of experiment exp (which must outlive the engine). */
void fb_engine_opts_init(struct fb_engine_opts *o, const struct fb_experiment *exp);

/* Creates an engine with options o (copied). With metrics_interval_ms > 0
 * a background thread polls the nodes once they are added; otherwise every
 * selection polls (concurrent selections share one poll of a node). Every
 * function here is safe to call from several threads, except add_*
 * against invoke. */
int fb_engine_new(const struct fb_engine_opts *o, struct fb_engine **out);

/* Connects to a node (cfg must outlive the engine), through the node
 * helper's server when cfg->agent. Returns its index, or FB_E* with eb
 * set; a node that cannot be reached is not added. */
int fb_engine_add_node(struct fb_engine *e, const struct fb_node_cfg *cfg,
                       struct fb_errbuf *eb);

/* Connects to n nodes at once (a bounded number of threads), then adds
 * them in the order given: those that answered up, the others down with
 * their reason, which is also in ebs[i] (n of them, the caller's). Returns
 * how many are up, or FB_ENOMEM. */
int fb_engine_add_nodes(struct fb_engine *e, const struct fb_node_cfg *cfgs, int n,
                        struct fb_errbuf *ebs);

/* What a node offers, when a front end found it out itself (the gateway
 * asks each node as it registers): how it reports its load, and whether it
 * can time the steps (the node helper). */
struct fb_node_offer {
    enum fb_metrics_format metrics_format;
    const char *metrics_command; /* NULL with FB_METRICS_NONE; copied */
    bool node_timing;
};

/* A node connected but not yet added: fb_engine_connect opens its sessions
 * (any time, even while the engine serves invocations), fb_engine_attach
 * adds it (as add_node: not against invoke). offer (NULL: the engine's
 * options) replaces the metrics and timing options for this node. */
struct fb_engine_pending;
int fb_engine_connect(struct fb_engine *e, const struct fb_node_cfg *cfg,
                      const struct fb_node_offer *offer, struct fb_engine_pending **out,
                      struct fb_errbuf *eb);
/* Adds p (consumed) and returns its index, or FB_ENOMEM (p freed). */
int fb_engine_attach(struct fb_engine *e, struct fb_engine_pending *p);
void fb_engine_pending_free(struct fb_engine_pending *p);

/* Why node i cannot take an invocation now, into buf (n bytes): "down: WHY"
 * or "RAM 93.2 % at or above the threshold (90 %)". false, buf "", when it
 * can. */
bool fb_engine_node_out(struct fb_engine *e, int i, char *buf, size_t n);

/* Adds a node that could not be reached as down (so the run still lists
 * it); returns its index. */
int fb_engine_add_down_node(struct fb_engine *e, const struct fb_node_cfg *cfg,
                            const char *why);

/* Registers a function (fn must outlive the engine); returns its index. */
int fb_engine_add_function(struct fb_engine *e, const struct fb_function_cfg *fn);

int fb_engine_node_count(const struct fb_engine *e);
const struct fb_node_cfg *fb_engine_node(const struct fb_engine *e, int i);
/* true and the reason when node i is down. */
bool fb_engine_node_down(const struct fb_engine *e, int i, const char **why);

/* Tries node i again if it is down: one `true` on one of its sessions (which
 * reconnects). On success the node is up again, holding nothing prepared
 * (what it held may be gone with it). Returns true when node i is up. For
 * a long-lived engine with no cells (the gateway); a run revives its nodes
 * at each reset. */
bool fb_engine_revive(struct fb_engine *e, int i);

/* Removes faasbench containers and every function image on every node, in
 * parallel, and forgets what they held. A node marked down is tried again
 * first: down lasts for the rest of a cell. */
void fb_engine_reset(struct fb_engine *e);

/* Refreshes every node's CPU % and RAM % in parallel. */
void fb_engine_poll(struct fb_engine *e);

/* Applies warming mode w for function f on warm_nodes nodes (0: all) that
 * the base policy picks one after another: pre-warmed pulls the image there,
 * warmed also starts a long-running container. Returns how many nodes were
 * prepared, or when none was (the function then runs cold, and its rows
 * say so) the last failed step's code (FB_EEXIT, a transport error) or
 * FB_ENONODE, with eb set. */
int fb_engine_prepare(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                      enum fb_warming w, struct fb_errbuf *eb);

/* One invocation of function f: poll, select through the chain (waiting
 * for a free session on the chosen node, and on a cold node for another
 * cold start of f there to end), run the mode's steps, clean up. A node
 * that fails at the transport level (session lost, timeout) is marked down
 * and the invocation retried on another node up to `retries` times.
 * Always fills *out; returns 0, or FB_ENOMEM (out says where it ran out). */
int fb_engine_invoke(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                     struct fb_outcome *out);

/* The same with the invocation's work (template.h): a function's
 * {duration_ms} and {memory_mb} take w's values, each NAN one (or all, with
 * w NULL, as fb_engine_invoke does) the function's work_duration_ms and
 * work_memory_mb. */
int fb_engine_invoke_work(struct fb_engine *e, const struct fb_policy *p, void *pstate, int f,
                          const struct fb_work *w, struct fb_outcome *out);

/* Removes the warm containers on every node. */
void fb_engine_teardown(struct fb_engine *e);

/* A cell begins now: its clock (the policies' now_s, keep-alive windows)
 * starts at 0 and runs time_scale wall seconds per workload second (a
 * trace's time_scale; 1 otherwise). */
void fb_engine_cell_begin(struct fb_engine *e, double time_scale);

/* ---- keep-alive cells ---- */

/* Pulls every function's image on every node that is up (in parallel over
 * the nodes, untimed), so that a keep-alive cell's starts find their images
 * there: pre-warmed, not cold. Images stay until the next reset. A failed
 * pull is logged; that node's first start of the function pulls. Returns
 * the number of nodes where some pull failed. */
int fb_engine_pull_all(struct fb_engine *e);

/* Starts a keep-alive cell after fb_engine_cell_begin: nothing is
 * prepared; an invocation finds an idle instance of its function (warm) or
 * starts one where the node policy picks a node with room (cold, or
 * pre-warmed when the image is there), evicting idle instances policy k
 * (params: its option values) gives up; instances stay idle until k lets
 * them go. Every function must be resident. Node capacity: the node's
 * memory_mb, else the limit its metrics report, else unbounded. event (may
 * be NULL) gets every instance change, from any of the engine's threads,
 * one at a time. 0 or FB_ENOMEM. */
int fb_engine_ka_begin(struct fb_engine *e, const struct fb_keepalive *k, const double *params,
                       uint64_t seed, void (*event)(void *ctx, const struct fb_ka_event *ev),
                       void *ctx);
/* Ends it: every instance left is removed, and *out says what the cell did. */
void fb_engine_ka_end(struct fb_engine *e, struct fb_ka_outcome *out);

/* The most invocations that were in flight on one node at once. */
int fb_engine_max_inflight(const struct fb_engine *e);

/* ---- a look at the nodes now (snapshot.c) ---- */

/* One node as the engine holds it. name is the node's (valid while the
 * engine lives). */
struct fb_node_snapshot {
    const char *name;
    bool up;
    double cpu_pct, ram_pct; /* as last polled (0 before the first poll) */
    int inflight;            /* invocations running there */
    int instances, idle;     /* keep-alive cells: alive (any state), of them idle */
    double idle_mb;          /* memory held by the idle ones */
};

/* Copies the state of the first n nodes into out (the caller's), taking
 * the engine's lock once. Returns how many nodes the engine has (may be
 * more than n). */
int fb_engine_snapshot(struct fb_engine *e, struct fb_node_snapshot *out, int n);

/* ---- faults (docs/faults.md) ----
 * A fault is carried out through a session of its own per node, opened at
 * its first fault and kept (faasbench-fault spares the session that asked
 * for a fault, so a fault can be ended through it). One caller at a time. */

/* One fault on a node. */
struct fb_fault_do {
    const char *id;              /* a name, unique in the run: the node keeps its state */
    enum fb_fault_action action;
    double seconds;              /* down, partition, slow: the node ends it by itself this
                                    long after it began, whatever faasbench does */
    double fraction;             /* slow: the share of the CPU quota left */
};

/* What a fault did on its node. */
struct fb_fault_done {
    int64_t begin_ms, end_ms;    /* unix ms it began and ended there: the node's clock when
                                    its tool says, else this host's; 0: not (yet) */
    char by[32];                 /* who ended it: "faasbench", "deadline" (the node), ... */
    long killed;                 /* kill-instances: containers killed, -1: not said */
    long lost;                   /* kill-instances: instances the decision core lost */
    char error[FB_ERRMSG_LEN];   /* why it failed, "" when it did not */
};

/* Begins fault f on node i, now: kill-instances kills the node's function
 * containers (the runtime step kill), then tells the decision core the
 * instances it still holds there are lost and removes the remains of those
 * it let go; the others run the fault step, which arms the fault's end on
 * the node before it begins.
 * Fills *d; 0, or the failed step's code with d->error (the fault may
 * still be on: end it all the same). */
int fb_engine_fault_begin(struct fb_engine *e, int i, const struct fb_fault_do *f,
                          struct fb_fault_done *d);

/* Ends fault f on node i now (the unfault step; a fault the node already
 * ended says when, and by whom). A node a down or partition fault had
 * made the engine mark down is up again, holding what it held. Nothing to
 * do for kill-instances. 0, or the step's code with d->error. */
int fb_engine_fault_end(struct fb_engine *e, int i, const struct fb_fault_do *f,
                        struct fb_fault_done *d);

/* After a down or partition fault of node i has ended: a call it had
 * stalled may still time out and mark the node down. When it is marked
 * down, tries it (a `true` on its fault session) and marks it up again,
 * holding what it held, if it answers. true when node i is up. */
bool fb_engine_fault_revive(struct fb_engine *e, int i);

/* Closes every session. NULL-safe. */
void fb_engine_free(struct fb_engine *e);

#endif
