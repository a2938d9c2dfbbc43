/* engine_priv.h - the engine's insides, shared by engine.c (nodes, sessions,
 * selection, the exec-based modes) and resident.c (resident instances).
 * Not for other modules: they use engine.h. */
#ifndef FB_ENGINE_PRIV_H
#define FB_ENGINE_PRIV_H

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "engine.h"
#include "metrics.h"
#include "template.h"
#include "transport.h"

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
    /* scratch of parallel tasks */
    int task_rc;
    struct fb_errbuf task_err;
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
};

static inline double eng_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

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

/* ---- resident.c ---- */

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
