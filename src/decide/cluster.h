/* cluster.h - the decision core: the cluster as the policies see it, and every
 * decision made on it.
 *
 * It holds, per node: up or down, slots (sessions) in use, invocations in
 * flight, CPU and RAM as last reported, memory capacity and what instances
 * reserve of it, which function images and prepared warm containers are
 * there, and the node's instances (starting, idle, busy). It decides which
 * node an invocation goes to (the selection chain over the node policy),
 * which idle instance takes it, which idle instances are evicted to make
 * room, when an idle instance expires and when a pre-warm starts, and it
 * keeps the keep-alive accounting (keepalive.csv's counts, idle MB x s, the
 * instance timeline through its event callback).
 *
 * It has no threads, no transport and no clock: every call that depends on
 * the time is given it (seconds of the cell's workload clock), and the caller
 * tells it what finished. The real engine drives it with the monotonic clock
 * and real node steps, under the engine's lock; the simulator drives it with
 * virtual time. Nothing here is thread-safe: one caller at a time.
 *
 * Cost: a pick touches the nodes of the function's warm and image tiers and,
 * when neither has an eligible node, the policy's scan of every node; node
 * views are kept up to date as the state changes, not rebuilt per call. */
#ifndef FB_CLUSTER_H
#define FB_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"

struct fb_cluster;

/* ---- instances (keep-alive cells) ---- */

enum fb_inst_state { FB_INST_STARTING, FB_INST_IDLE, FB_INST_BUSY };

/* One change of an instance, for instances.csv; the names are the row's. */
#define FB_INST_EVENT_MAP(X)                                                                    \
    X(FB_EV_START, "start")                   /* started by a cold or pre-warmed call */      \
    X(FB_EV_PREWARM, "prewarm")               /* started ahead by the keep-alive policy */    \
    X(FB_EV_READY, "ready")                   /* its runtime answers */                        \
    X(FB_EV_BUSY, "busy")                     /* an idle instance took a call */               \
    X(FB_EV_IDLE, "idle")                     /* its call ended; it waits for the next */      \
    X(FB_EV_EVICT_PRESSURE, "evict-pressure") /* evicted to make room for a start */           \
    X(FB_EV_EVICT_EXPIRED, "evict-expired")   /* its keep-alive ended */                       \
    X(FB_EV_EVICT_UNLOAD, "evict-unload")     /* let go for a pre-warm later */                \
    X(FB_EV_EVICT_FAILED, "evict-failed")     /* its call or its start failed */               \
    X(FB_EV_EVICT_END, "evict-end")           /* the cell ended */

#define FB_ENUM_VALUE(id, name) id,
enum fb_inst_event { FB_INST_EVENT_MAP(FB_ENUM_VALUE) FB_INST_EVENT_N };
#undef FB_ENUM_VALUE
const char *fb_inst_event_name(enum fb_inst_event ev);

/* An instance: one resident container of one function on one node, serving
 * one call at a time. Owned by the cluster while it is in the pool; once the
 * cluster hands it over for removal (a victim, a gone instance, a due
 * expiry, the end of the cell), the executor removes it from its node and
 * then frees it with fb_cluster_inst_free. */
struct fb_inst {
    struct fb_ka_instance ka; /* what the keep-alive policy sees: id, function, node, ... */
    enum fb_inst_state state;
    double idle_from;         /* when it went idle (its memory is wasted since) */
    double expire_at;         /* when its keep-alive ends while idle */
    struct fb_inst *next;     /* in a list handed to the executor */
    /* the cluster's own links */
    struct fb_inst *node_prev, *node_next;
    struct fb_inst *idle_prev, *idle_next;
    uint32_t gen;             /* push order of its expiry timer: breaks ties */
    long heap_pos;            /* in the expiry heap, -1: no timer */
    bool in_pool;
    bool lost;                /* its node lost it (fb_cluster_node_lost) while it started
                                 or served a call: it leaves when that ends */
};

void fb_cluster_inst_free(struct fb_inst *in);
/* Frees every instance of a list linked by next. */
void fb_cluster_inst_free_list(struct fb_inst *list);

/* One change of an instance as instances.csv has it: what the executor
 * writes for each event, with its names. Strings borrowed. */
struct fb_ka_event {
    double t_s;             /* workload seconds since the cell began */
    int64_t unix_ms;
    const char *node, *function, *instance;
    const char *event;      /* fb_inst_event_name() */
    double memory_mb;
};

/* What a keep-alive cell did, over all its invocations and nodes. */
struct fb_ka_outcome {
    long invocations, cold, prewarmed, warm, failed;
    long started;           /* instances started (cold, pre-warmed or pre-warm) */
    long prewarms;          /* of them started ahead by the policy */
    long evicted_pressure, evicted_expired, evicted_unload, evicted_failed, evicted_end;
    long room_waits;        /* invocations that waited for memory */
    double idle_mb_s;       /* memory held by idle instances, MB x workload s */
    int peak_instances;     /* the most instances one node held at once */
};

/* ---- the cluster ---- */

struct fb_cluster_opts {
    double ram_threshold; /* percent: nodes at or above it are not eligible */
    int slots;            /* invocations (and set-up steps) in flight per node, >= 1 */
    /* Every instance change, at once (may be NULL). in is valid during the
     * call only. */
    void (*event)(void *ctx, const struct fb_inst *in, enum fb_inst_event ev, double t_s);
    void *event_ctx;
};

int fb_cluster_new(const struct fb_cluster_opts *o, struct fb_cluster **out);
/* Frees the cluster and the instances still in its pool. NULL-safe. */
void fb_cluster_free(struct fb_cluster *c);

/* Adds a node called name (borrowed: it must outlive the cluster) with
 * capacity_mb of memory for instances (INFINITY: unbounded), up or down.
 * Returns its index, or FB_ENOMEM. */
int fb_cluster_add_node(struct fb_cluster *c, const char *name, double capacity_mb, bool down);
/* Adds a function called name (borrowed, as for nodes) whose instances take
 * memory_mb (> 0); its index or FB_ENOMEM. */
int fb_cluster_add_function(struct fb_cluster *c, const char *name, double memory_mb);

int fb_cluster_n_nodes(const struct fb_cluster *c);
const char *fb_cluster_node_name(const struct fb_cluster *c, int i);
void fb_cluster_set_capacity(struct fb_cluster *c, int i, double capacity_mb);
double fb_cluster_capacity(const struct fb_cluster *c, int i);
/* The node's load as last reported: CPU and RAM, percent. */
void fb_cluster_set_load(struct fb_cluster *c, int i, double cpu_pct, double ram_pct);
void fb_cluster_set_down(struct fb_cluster *c, int i, bool down);
bool fb_cluster_down(const struct fb_cluster *c, int i);
bool fb_cluster_over_ram(const struct fb_cluster *c, int i);
/* Node i's CPU % and RAM % as last reported. */
void fb_cluster_load(const struct fb_cluster *c, int i, double *cpu_pct, double *ram_pct);
/* Nothing prepared on node i: no image, no warm container, no cold start. */
void fb_cluster_node_clear(struct fb_cluster *c, int i);
/* Prepared state (warming cells, pulls ahead): function f's image, or its
 * warm container, is on node i or not. */
void fb_cluster_set_image(struct fb_cluster *c, int i, int f, bool on);
void fb_cluster_set_warm(struct fb_cluster *c, int i, int f, bool on);
bool fb_cluster_has_image(const struct fb_cluster *c, int i, int f);
bool fb_cluster_has_warm(const struct fb_cluster *c, int i, int f);
int fb_cluster_inflight(const struct fb_cluster *c, int i);
int fb_cluster_max_inflight(const struct fb_cluster *c);
/* The memory node i's instances reserve, MB. */
double fb_cluster_used_mb(const struct fb_cluster *c, int i);
/* Instances on node i now, and idle ones. */
int fb_cluster_instances(const struct fb_cluster *c, int i, int *idle, double *idle_mb);

/* A slot of node i for work that is not an invocation (set-up steps,
 * removals): true when one was free and is now taken. */
bool fb_cluster_slot_take(struct fb_cluster *c, int i);
void fb_cluster_slot_give(struct fb_cluster *c, int i);
bool fb_cluster_slot_free(const struct fb_cluster *c, int i);

/* ---- a cell ---- */

/* A cell begins: its clock starts at 0. With k (a keep-alive cell; kparams
 * its option values, seed its seed), instances are started by cold starts,
 * reused while idle, and let go as k says; without, warming cells' prepared
 * images and containers are used as they are. 0, or FB_ENOMEM. */
int fb_cluster_cell_begin(struct fb_cluster *c, const struct fb_keepalive *k,
                          const double *kparams, uint64_t seed);
/* Ends a keep-alive cell at now: every instance left leaves the pool
 * (evict-end) and comes back as a list (linked by next) for the executor to
 * remove; *out says what the cell did. */
struct fb_inst *fb_cluster_cell_end(struct fb_cluster *c, double now, struct fb_ka_outcome *out);
bool fb_cluster_keepalive(const struct fb_cluster *c);

/* ---- one invocation ---- */

#define FB_TICKET_FAILED_MAX 16

/* An invocation between its arrival and its end, as the cluster sees it.
 * Zero it and set f and t_arrival before the first pick. */
struct fb_ticket {
    int f;
    double t_arrival;         /* when it arrived: the keep-alive policy's arrival */
    /* set by a pick that returned FB_PICK_OK */
    int node;
    enum fb_warming mode;
    struct fb_inst *inst;     /* keep-alive: the instance it runs on */
    bool fresh;               /* inst is new: this invocation starts it */
    struct fb_inst *victims;  /* evicted to make room: remove before the start */
    /* set by fb_cluster_finish: instances to remove after the answer */
    struct fb_inst *gone;
    /* the invocation's own */
    bool arrived;             /* the policies were told of its arrival */
    bool waited;              /* a pick said wait */
    bool counted_failed;      /* keepalive.csv counts it failed: an attempt failed (a
                                 retry's end counts it again, as the call's) */
    int n_failed;             /* nodes an earlier attempt failed on */
    int failed[FB_TICKET_FAILED_MAX];
};

enum fb_pick {
    FB_PICK_OK = 0,   /* node, mode (and in a keep-alive cell inst) are set */
    FB_PICK_WAIT = 1, /* nothing now: pick again once something has finished */
    FB_PICK_NONE = 2, /* no eligible node, and waiting would not make one */
    FB_PICK_TOO_BIG = 3 /* the function's memory exceeds every up node's capacity */
};

/* Places invocation t of function t->f at now with node policy p (state
 * pstate): through the chain (a node with a warm instance, else one with the
 * image, else the policy's pick), waiting for a free slot there, for another
 * cold start of the function there (warming cells), or for room (keep-alive
 * cells). On the first pick of a ticket the policies are told of the arrival,
 * and the function's earliest pending pre-warm is dropped as moot (the call
 * came before it; its own end asks for the next).
 * FB_PICK_OK takes a slot of the node; FB_ENOMEM when memory ran out. */
int fb_cluster_pick(struct fb_cluster *c, const struct fb_policy *p, void *pstate,
                    struct fb_ticket *t, double now);

/* What an attempt did, for fb_cluster_finish. */
struct fb_attempt_end {
    bool failed;        /* the call failed (its instance is not used again) */
    bool node_failed;   /* the node failed: it is marked down */
    bool image_pulled;  /* the attempt pulled the image and left it there */
    double run_ms;      /* start + ready + call, what a cold start is weighed by */
};

/* The end of attempt t (picked) at now, in two steps, so that an executor can
 * use the attempt's session in between:
 * fb_cluster_release: in a keep-alive cell the instance goes idle (until its
 * policy says) or leaves the pool, and what is to be removed now is in
 * t->gone (a pulled image stays on the node); nothing in other cells.
 * fb_cluster_finish: the slot is given back, the cold start ended, and the
 * node policy told (p's done) or, when the node failed, the node marked
 * down. The ticket may then be picked again (a retry) after
 * fb_cluster_retry. */
void fb_cluster_release(struct fb_cluster *c, struct fb_ticket *t, double now,
                        const struct fb_attempt_end *r);
void fb_cluster_finish(struct fb_cluster *c, const struct fb_policy *p, void *pstate,
                       struct fb_ticket *t, double now, const struct fb_attempt_end *r);

/* Marks t's node failed for it, so that a new pick goes elsewhere; false
 * when no more retries can be kept. */
bool fb_cluster_retry(struct fb_ticket *t);

/* Whether something will finish: a node up (and not failed for t) holds
 * instances or runs calls. For a caller deciding to wait. */
bool fb_cluster_room_will_come(const struct fb_cluster *c, const struct fb_ticket *t);

/* ---- warming cells ---- */

/* The node the base policy picks to prepare function f on, among nodes not
 * taken[] (may be NULL): its index, FB_ENONODE or FB_ENOMEM. */
int fb_cluster_prepare_pick(struct fb_cluster *c, const struct fb_policy *p, void *pstate, int f,
                            const bool *taken);

/* ---- faults ---- */

/* Node i lost every instance it held at now: its function containers were
 * killed (the runtime's view of a crash; docs/faults.md). A warming cell's
 * prepared warm containers there are gone. In a keep-alive cell every idle
 * instance there leaves the pool at once (evict-failed) and comes back as
 * a list (linked by next) for the executor to remove and free; one that is
 * starting or serving a call is marked lost and leaves (evict-failed) when
 * that ends, whatever the call's outcome (the executor tells the call's
 * own: fb_cluster_release counts it failed only when it failed). Images
 * stay, and so do the accounting's identities: started = evicted (every
 * kind) + alive at the end. NULL when nothing left at once. */
struct fb_inst *fb_cluster_node_lost(struct fb_cluster *c, int i, double now);

/* ---- keep-alive timers ---- */

/* When the next keep-alive expiry or pre-warm is due (INFINITY: none). */
double fb_cluster_next_due(struct fb_cluster *c);

/* What fb_cluster_due hands the executor. */
enum fb_due { FB_DUE_NONE, FB_DUE_REMOVE, FB_DUE_PREWARM };

/* The next thing due at or before now: FB_DUE_REMOVE, an idle instance whose
 * keep-alive ended (it has left the pool: remove it, then free it), or
 * FB_DUE_PREWARM, a pre-warm instance to start (in the pool, starting; tell
 * fb_cluster_prewarm_done how it went). A pre-warm on a node that is down
 * or has no room is dropped. FB_DUE_NONE when nothing is due. */
enum fb_due fb_cluster_due(struct fb_cluster *c, double now, struct fb_inst **in);

/* The pre-warm instance in has started (ok) and is idle until its
 * keep-alive ends, or has failed: it leaves the pool (NULL returned when ok;
 * in when it is to be removed and freed). */
struct fb_inst *fb_cluster_prewarm_done(struct fb_cluster *c, struct fb_inst *in, double now,
                                        bool ok);

#endif
