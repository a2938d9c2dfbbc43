/* outcome.h - what one invocation did, as an executor (the real engine or the
 * simulator) reports it; the run folder writes it as a row of
 * invocations.csv. */
#ifndef FB_OUTCOME_H
#define FB_OUTCOME_H

#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* What one invocation did. */
struct fb_outcome {
    int node;               /* index, or -1 when no node was chosen */
    const char *node_name;  /* the node's name (the engine's), NULL when none */
    enum fb_warming mode;   /* what ran there */
    int64_t start_ms;       /* unix ms */
    double select_ms, pull_ms, run_ms, cleanup_ms, latency_ms, total_ms;
    double node_exec_ms;    /* NAN when the node did not report it */
    double cpu_pct, ram_pct; /* the node's figures at selection, NAN without a node */
    int exit_status;        /* of the function's command, -1 when it did not run */
    int attempts;           /* 1 + retries after a node failure */
    char error[FB_ERRMSG_LEN];       /* "" on success */
    char failed_nodes[FB_ERRMSG_LEN]; /* nodes earlier attempts failed on */
    char retry_error[FB_ERRMSG_LEN];  /* what the last failed attempt said */
    /* Resident functions (NAN otherwise); a phase that did not happen is 0.
     * run_ms = create_ms + ready_ms + invoke_ms. */
    char instance[96];       /* the container that served it, "" when none */
    double room_ms;          /* keep-alive cells: waiting for memory and evicting idle
                                instances to make room (within select_ms); NAN otherwise */
    double create_ms;        /* starting the instance's container */
    double ready_ms;         /* from started to its runtime answering */
    double init_ms;          /* the runtime's own start-up, within create + ready */
    double invoke_ms;        /* the request to the handler and its answer */
    double handler_ms;       /* the handler's own time, within invoke_ms */
    int runtime_pid;         /* the runtime that served it (in its container), 0: none */
    long runtime_count;      /* its calls so far, this one included; 0: none */
    /* The work asked of the call (fb_work_asked): the duration and memory its
     * command or args were filled in with; NAN when they hold no such
     * placeholder. */
    double asked_duration_ms, asked_memory_mb;
};

/* An outcome for an invocation that had nowhere to run (no node at all):
 * no node, no phases, error set to why. */
void fb_outcome_none(struct fb_outcome *o, const char *why);

#endif
