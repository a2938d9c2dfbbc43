/* engine_priv.h - the engine's insides, shared by its files. Not for other
 * modules: they use engine.h.
 *
 * The files, each using only those above it in this list (no circle):
 *   session.c    node sessions and slots, one step on a node, messages, the cell's clock
 *   poll.c       node metrics polls, at each selection or in the background
 *   resident.c   resident instances: start, ready, call, remove
 *   exec.c       the exec-based path of an invocation (docker run / exec)
 *   keepalive.c  the keep-alive path, the timers' thread, keep-alive cells
 *   invoke.c     one invocation: decide (the cluster), execute (a path), report back
 *   fault.c      faults on a node: begin and end, and what the cluster is told
 *   engine.c     the engine's life, nodes, functions, reset, warming, teardown
 *
 * Every decision (node, mode, instance, victims, expiry) is the decision
 * core's (decide/cluster.h); the engine runs the steps and tells the core
 * what happened, under e->lock, on the cell's clock. */
#ifndef FB_ENGINE_PRIV_H
#define FB_ENGINE_PRIV_H

#include <math.h>
#include <pthread.h>
#include <stdbool.h>

#include "core/clock.h"
#include "decide/cluster.h"
#include "engine/engine.h"
#include "engine/metrics.h"
#include "core/template.h"
#include "transport/transport.h"

struct enode {
    const struct fb_node_cfg *cfg;
    int idx;               /* in the engine and its cluster */
    /* Step sessions; a session is taken and given back under the engine's
     * lock (the cluster counts them), used outside it. */
    struct fb_conn **conns;
    bool *busy;
    int slots;
    struct fb_conn *mconn; /* metrics polls, so a poll never waits behind a step */
    struct fb_conn *fconn; /* faults (fault.c), opened at the node's first; NULL: none */
    /* under the engine's lock: */
    struct fb_counters prev;
    bool have_prev;
    bool polling;          /* a poll is under way: others wait for its result */
    unsigned long poll_gen;
    char down_reason[FB_ERRMSG_LEN];
    /* scratch of parallel tasks */
    int task_rc;
    struct fb_errbuf task_err;
    /* what the node itself offers (fb_engine_connect), when has_offer */
    bool has_offer;
    enum fb_metrics_format offer_format;
    char *offer_command;
    bool offer_timing;
};

struct kacell; /* keepalive.c */

struct fb_engine {
    struct fb_engine_opts o;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot, a cold start, a poll or an instance changed */
    struct fb_cluster *cl;  /* the decision core: every node's state as decided on */
    struct enode **nodes;
    int n_nodes, cap_nodes;
    const struct fb_function_cfg **fns;
    struct efn *fx;   /* per function, beside fns */
    int n_fns, cap_fns;
    unsigned long container_seq;
    char token[16];   /* in container names: runs sharing a node do not collide */
    char *images; /* every function image, space-separated, each once */
    /* background poller */
    pthread_t poller;
    bool poller_on, poller_stop;
    pthread_cond_t poller_cv;
    /* the cell under way: its clock, and its timers in a keep-alive cell */
    double cell_t0;           /* mono ms */
    double time_scale;        /* wall seconds per workload second */
    struct kacell *ka;
};

/* What the engine keeps of a function besides its configuration. */
struct efn {
    char *args;      /* a handler's words, each ended by a NUL; NULL: none */
    size_t args_len;
    char memory[32]; /* "--memory 128m": a resident instance's limit */
};

struct step_out {
    double node_ms; /* node-side time, NAN when unknown */
    int exit_status;
    int rc;         /* 0, FB_EEXIT, or the transport's error */
    char error[FB_ERRMSG_LEN];
};

/* A failure of the node rather than of the command: the node goes down. */
static inline bool eng_node_failure(int rc)
{
    return rc == FB_ESSH || rc == FB_ETIMEDOUT || rc == FB_ECONNECT || rc == FB_EHOSTKEY ||
           rc == FB_EAUTH;
}

/* One attempt of an invocation on a node: the ends of its phases and
 * what it did. */
struct attempt {
    double t_pull, t_run, t_clean; /* ends of the phases */
    double t_create, t_ready;      /* resident: ends of the start and of the wait */
    double node_ms;                /* NAN unless every timed step reported */
    int exit_status;
    int rc;
    char error[FB_ERRMSG_LEN];
    double init_ms, handler_ms;    /* resident: the runtime's figures, else NAN */
    int runtime_pid;
    long runtime_count;
    bool image_pulled;             /* the pull left the image on the node */
    /* Set by the caller before the attempt: the invocation's own words, its
     * work placeholders filled (template.h). */
    const char *command; /* exec-based: the function's command */
    const char *args;    /* resident: a handler's words, each ended by a NUL */
    size_t args_len;
};

/* What an invocation's path needs of it between the cluster's pick and its
 * end: the function, the node and session, the ticket the cluster filled,
 * the container it runs in. */
struct call {
    int f;
    struct enode *nd;
    int k;                    /* the session */
    struct fb_ticket *t;      /* node, mode, and in a keep-alive cell the instance */
    char cname[96];           /* the container */
    double room_ms;           /* keep-alive: evicting victims before the start */
};

/* How one kind of invocation runs on its node, chosen per invocation:
 * exec-based functions, resident functions of warming cells, and
 * keep-alive cells. Each hook runs off the engine's lock on session c->k. */
struct eng_path {
    /* The container the call runs in, into c->cname (under the lock). */
    void (*name)(struct fb_engine *e, struct call *c);
    /* Before the attempt's steps (keep-alive: removes the victims). NULL: none. */
    void (*before)(struct fb_engine *e, struct call *c);
    /* The attempt's steps from t_start: fills a's phases. */
    void (*attempt)(struct fb_engine *e, struct call *c, double t_start, struct attempt *a);
    /* After the cluster heard how the call went, before the session is
     * given back (keep-alive: removes what left the pool, ticket->gone).
     * NULL: none. */
    void (*after)(struct fb_engine *e, struct call *c, struct attempt *a);
};

extern const struct eng_path eng_exec_path, eng_resident_path, eng_keepalive_path;

/* ---- session.c ---- */

/* A message for the operator, through the log callback. */
void eng_log(struct fb_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool eng_stopping(const struct fb_engine *e);

/* Marks nd down with why (under the engine's lock). */
void eng_mark_down_locked(struct fb_engine *e, struct enode *nd, const char *why);
void eng_mark_down(struct fb_engine *e, struct enode *nd, const char *why);

/* Expands step s and runs it on session c of nd. timed: the node reports
 * the command's own time. Returns 0 when the command exited 0; otherwise
 * o->error says what happened. */
int eng_run_step(struct fb_engine *e, struct enode *nd, struct fb_conn *c, enum fb_step s,
                 const struct fb_tvars *v, bool timed, struct step_out *o);

/* Takes a free session of nd for work that is not an invocation, waiting
 * for one: its slot, or -1 when the node has none (never connected).
 * eng_give_slot gives it back (either kind). Not under the lock. */
int eng_take_slot(struct fb_engine *e, struct enode *nd);
void eng_give_slot(struct fb_engine *e, struct enode *nd, int k);
/* The free session of nd the cluster has just counted taken (under the
 * lock): its index, marked busy. */
int eng_claim_session(struct enode *nd);

/* eng_run_step on a free session of nd (waiting for one); a node failure
 * marks nd down. */
int eng_node_step(struct fb_engine *e, struct enode *nd, enum fb_step s,
                  const struct fb_tvars *v, struct step_out *o);

/* "" or "--network none". */
static inline const char *eng_network_arg(const struct fb_function_cfg *fn)
{
    return fn->network ? "" : "--network none";
}

/* Runs fn on every node (those up, unless all), one thread each, and waits. */
void eng_for_each_node(struct fb_engine *e, void (*fn)(struct fb_engine *e, struct enode *nd),
                       bool all);

/* The cell's clock: workload seconds since fb_engine_cell_begin, and the
 * monotonic ms at which workload time t falls. */
double eng_now_s(const struct fb_engine *e);
double eng_mono_at(const struct fb_engine *e, double t);

/* The name of a prepared warm container of fn. */
void eng_warm_name(const struct fb_engine *e, const struct fb_function_cfg *fn, char *buf,
                   size_t n);
/* A warming cell's call's container: the warm container in warmed mode,
 * else a new name (under the lock). */
void eng_call_name(struct fb_engine *e, struct call *c);

/* ---- poll.c ---- */

/* Starts the background poller when an interval is set; stops it. */
void eng_poller_start(struct fb_engine *e);
void eng_poller_stop(struct fb_engine *e);

/* ---- resident.c ---- */

/* How far a resident attempt's steps went. */
enum rstage { RS_PULL_FAILED, RS_START_FAILED, RS_CALLED };

/* The steps every resident attempt takes, from t_start to the answer: the
 * image's pull (pull), the start of instance cname (start; else init_ms is
 * 0), the call. a gets its times, phases, status, error and rc (the call's
 * code once called); *node_ms adds the node-side times. Nothing is removed:
 * what happens to the instance is the caller's. */
enum rstage eng_resident_steps(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                               const char *cname, bool pull, bool start, double t_start,
                               struct attempt *a, double *node_ms);
/* Starts instance cname of f on session c and waits until its runtime
 * answers: 0, or the failed step's code with error set. *t_created: when
 * the container had started; *node_ms adds the node-side times; *init_ms:
 * the runtime's own start-up. */
int eng_resident_start(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                       const char *cname, double *t_created, double *node_ms, double *init_ms,
                       char *error, size_t n);
/* Removes instance cname of f on session c. */
int eng_resident_remove_on(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                           const char *cname, char *error, size_t n);
/* Starts function f's warm instance cname on nd (pull done): 0 or the
 * failed step's code, error set. */
int eng_resident_warm(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                      char *error, size_t n);
/* Removes instance cname of f from nd on any free session. */
int eng_resident_remove(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                        char *error, size_t n);
/* The folder of nd's instance folders, into buf. */
void eng_instances_dir(const struct fb_engine *e, const struct enode *nd, char *buf, size_t n);

/* ---- keepalive.c ---- */

/* The cluster's instance events, turned into instances.csv rows for the
 * cell's callback (the cluster's event hook; under the lock). */
void eng_ka_event(void *ctx, const struct fb_inst *in, enum fb_inst_event ev, double t_s);
/* The container of a keep-alive instance. */
void eng_ka_name(const struct fb_engine *e, const struct fb_inst *in, char *buf, size_t n);
/* Something the timers' thread waits on may have changed (under the lock). */
void eng_ka_wake(struct fb_engine *e);

#endif
