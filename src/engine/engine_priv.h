/* engine_priv.h - the engine's insides, shared by engine.c (nodes, sessions,
 * selection, the exec-based modes) and resident.c (resident instances).
 * Not for other modules: they use engine.h. */
#ifndef FB_ENGINE_PRIV_H
#define FB_ENGINE_PRIV_H

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "core/clock.h"
#include "engine/engine.h"
#include "keepalive/keepalive.h"
#include "engine/metrics.h"
#include "core/template.h"
#include "transport/transport.h"

struct enode {
    const struct fb_node_cfg *cfg;
    /* Step sessions, one per invocation in flight; a slot is taken and given
     * back under the engine's lock, its session used outside it. */
    struct fb_conn **conns;
    bool *busy;
    int slots;
    struct fb_conn *mconn; /* metrics polls, so a poll never waits behind a step */
    /* under the engine's lock: */
    struct fb_counters prev;
    bool have_prev;
    double cpu_pct, ram_pct;
    bool polling;          /* a poll is under way: others wait for its result */
    unsigned long poll_gen;
    bool down;
    char down_reason[FB_ERRMSG_LEN];
    bool *has_image; /* per function */
    bool *has_warm;  /* per function */
    bool *cold_busy; /* per function: a cold start is under way here */
    int inflight;
    /* keep-alive cells (pool.c), under the engine's lock: */
    struct kinst *inst;    /* the node's instances, any function, any state */
    int n_inst, peak_inst;
    double mem_used_mb;    /* reserved by its instances */
    /* scratch of parallel tasks */
    int task_rc;
    struct fb_errbuf task_err;
    /* what the node itself offers (fb_engine_connect), when has_offer */
    bool has_offer;
    enum fb_metrics_format offer_format;
    char *offer_command;
    bool offer_timing;
};

/* A resident instance of a keep-alive cell. */
enum kstate { KI_STARTING, KI_IDLE, KI_BUSY };
struct kinst {
    struct fb_ka_instance ka; /* what its keep-alive policy sees */
    char cname[96];
    enum kstate state;
    double idle_from;         /* workload s it went idle (its memory is wasted since) */
    double expire_at;         /* workload s its keep-alive ends while idle */
    struct kinst *next;
};

/* A pre-warm a keep-alive policy asked for. */
struct kprewarm {
    int f, node;
    double at, keep_until;    /* workload s */
    struct kprewarm *next;
};

/* The keep-alive cell under way (pool.c). */
struct kapool {
    const struct fb_keepalive *k;
    void *kstate;
    double scale;             /* wall seconds per workload second */
    int next_id;
    struct kprewarm *prewarms;
    pthread_t reaper;
    bool reaper_on, reaper_stop;
    pthread_cond_t reaper_cv; /* CLOCK_MONOTONIC */
    struct fb_ka_outcome out;
    double *warm_ms;          /* per function: mean warm latency so far, NAN: none */
    long *warm_n;
    void (*event)(void *ctx, const struct fb_ka_event *ev);
    void *event_ctx;
};

/* What an invocation of a keep-alive cell holds between its selection and
 * its end (pool.c). */
struct kclaim {
    struct kinst *inst;       /* the instance it runs on */
    struct kinst *victims;    /* idle instances evicted to make room: removed
                                 by this invocation before its start */
    bool fresh;               /* inst is new: started by this invocation */
    struct kinst *gone;       /* removed after the answer (failed, or the
                                 policy's at once, or an unload for a pre-warm) */
    double t_waited;          /* mono ms spent waiting for room */
};

struct fb_engine {
    struct fb_engine_opts o;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot, a cold start or a poll ended */
    struct enode **nodes;
    int n_nodes, cap_nodes;
    const struct fb_function_cfg **fns;
    struct efn *fx;   /* per function, beside fns */
    int n_fns, cap_fns;
    unsigned long container_seq;
    char token[16];   /* in container names: runs sharing a node do not collide */
    char *images; /* every function image, space-separated, each once */
    int max_inflight;
    /* background poller */
    pthread_t poller;
    bool poller_on, poller_stop;
    pthread_cond_t poller_cv;
    /* the cell under way: its clock, and its pool in a keep-alive cell */
    double cell_t0;           /* mono ms */
    double time_scale;        /* wall seconds per workload second */
    struct kapool *ka;
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
    /* Set by the caller before the attempt: the invocation's own words, its
     * work placeholders filled (template.h). */
    const char *command; /* exec-based: the function's command */
    const char *args;    /* resident: a handler's words, each ended by a NUL */
    size_t args_len;
};

/* A message for the operator, through the log callback. */
void eng_log(struct fb_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks nd down with why (under the engine's lock). */
void eng_mark_down_locked(struct fb_engine *e, struct enode *nd, const char *why);

/* Expands step s and runs it on session c of nd. timed: the node reports
 * the command's own time. Returns 0 when the command exited 0; otherwise
 * o->error says what happened. */
int eng_run_step(struct fb_engine *e, struct enode *nd, struct fb_conn *c, enum fb_step s,
                 const struct fb_tvars *v, bool timed, struct step_out *o);

/* Takes a free session of nd, waiting for one: its slot, or -1 when the
 * node has none (down, never connected). eng_give_slot gives it back. */
int eng_take_slot(struct fb_engine *e, struct enode *nd);
void eng_give_slot(struct fb_engine *e, struct enode *nd, int k);

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

/* The cell's clock: workload seconds since fb_engine_cell_begin. */
double eng_now_s(const struct fb_engine *e);

/* ---- pool.c: keep-alive cells ---- */

/* Whether node nd holds an idle instance of f; whether it could make room
 * for one more (free memory, or idle instances to evict). Under the lock. */
bool eng_ka_has_idle(const struct enode *nd, int f);
bool eng_ka_could_fit(const struct fb_engine *e, const struct enode *nd, int f);
/* Takes what invocation of f needs on nd: the idle instance (mode warmed)
 * or room for a new one, evicting idle instances the policy gives up.
 * Returns 0, or 1 when it must wait for room. Under the lock. */
int eng_ka_claim(struct fb_engine *e, struct enode *nd, int f, enum fb_warming mode,
                 struct kclaim *c);
/* The invocation's steps on nd's session k: the victims' removal, then
 * the new instance's start (pull first when cold) and the call, or the
 * call of the idle instance. */
void eng_ka_attempt(struct fb_engine *e, struct enode *nd, int k, int f, enum fb_warming mode,
                    struct kclaim *c, double t_start, struct attempt *a);
/* After the call, under the lock: the instance idle again (its policy says
 * until when) or gone; what is to go now lands in c->gone. */
void eng_ka_release(struct fb_engine *e, struct enode *nd, int f, enum fb_warming mode,
                    struct kclaim *c, const struct attempt *a);
/* Removes c's victims and gone instances on session k (not under the
 * lock); eng_ka_drop_gone forgets them when their node is gone. */
void eng_ka_remove_gone(struct fb_engine *e, struct enode *nd, int k, struct kclaim *c);
void eng_ka_drop_gone(struct kclaim *c);

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
/* Calls instance cname of f on session c with a's args: the transport's
 * code, FB_EEXIT (the function failed: error set) or 0; res filled, caller
 * frees. */
int eng_resident_call(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                      const char *cname, const struct attempt *a, struct fb_exec_result *res,
                      char *error, size_t n);
/* Removes instance cname of f on session c. */
int eng_resident_remove_on(struct fb_engine *e, struct enode *nd, struct fb_conn *c, int f,
                           const char *cname, char *error, size_t n);

/* The steps of a resident function's invocation in mode on session k of nd,
 * cname being its container (the warm instance's in warmed mode). */
void eng_resident_attempt(struct fb_engine *e, struct enode *nd, int k, int f,
                          enum fb_warming mode, const char *cname, double t_start,
                          struct attempt *a);
/* Starts function f's warm instance cname on nd (pull done): 0 or the
 * failed step's code, error set. */
int eng_resident_warm(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                      char *error, size_t n);
/* Removes instance cname of f from nd on any free session. */
int eng_resident_remove(struct fb_engine *e, struct enode *nd, int f, const char *cname,
                        char *error, size_t n);
/* The node folder of instance cname of nd, into buf. */
void eng_instance_dir(const struct fb_engine *e, const struct enode *nd, const char *cname,
                      char *buf, size_t n);
/* The folder of nd's instance folders, into buf. */
void eng_instances_dir(const struct fb_engine *e, const struct enode *nd, char *buf, size_t n);

#endif
