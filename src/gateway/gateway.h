/* gateway.h - the older testbed's REST API on the engine: registries, handlers, rows. */
#ifndef FB_GATEWAY_H
#define FB_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "experiment/config.h"
#include "core/error.h"

/* Settings from the command line. Strings are borrowed and must outlive
 * the gateway. */
struct fb_gw_opts {
    const char *policy;        /* fb_policy_find() name */
    enum fb_warming warming;   /* applied when a function is registered */
    const char *results_root;  /* the run folder goes under it */
    const char *runtime;       /* a runtime preset, or NULL: the file format's default */
    const char *known_hosts;   /* NULL with insecure_accept_any_host_key */
    bool insecure_accept_any_host_key;
    const char *identity;      /* key for nodes registered without a password, or NULL */
    enum fb_metrics_format metrics; /* with metrics_auto false: every node's format */
    bool metrics_auto;         /* each node as it offers (default): the node helper,
                                  else the older testbed's script, else none */
    double ram_threshold;      /* percent */
    int command_timeout_ms;
    int connect_timeout_ms;
    int revive_after_ms;       /* a node marked down is tried again this long after,
                                  at the next invocation; 0: never */
};

/* The defaults: the first policy of the table, cold, "results", and the
 * experiment file format's defaults for the rest (0 or FB_ENOMEM). */
int fb_gw_opts_init(struct fb_gw_opts *o, struct fb_errbuf *eb);

struct fb_gw;

/* Creates the gateway: engine settings, policy state and the run folder
 * <results_root>/gateway-<UTC stamp>/. Returns 0, FB_EINVAL (unknown
 * policy or runtime, with eb), FB_EIO (folder) or FB_ENOMEM. */
int fb_gw_open(const struct fb_gw_opts *o, struct fb_gw **out, struct fb_errbuf *eb);

/* The run folder's path (owned by g). */
const char *fb_gw_run_dir(const struct fb_gw *g);

/* A reply: HTTP status and a newly allocated JSON body (caller frees; NULL
 * only when out of memory, then status is 500). */
struct fb_gw_reply {
    int status;
    char *body;
};

/* Serves one request: method, path without the query string, and the body
 * (len bytes, need not be NUL-terminated). Safe to call from several
 * threads: engine work is serialised inside. */
void fb_gw_handle(struct fb_gw *g, const char *method, const char *path, const char *body,
                  size_t len, struct fb_gw_reply *r);

/* From now on every request is answered 503 (shutting down). */
void fb_gw_stop_accepting(struct fb_gw *g);

/* Once no request is in progress: removes warm containers and every
 * function image from the nodes, closes the sessions, writes
 * experiment.cfg and environment.txt, closes the CSV files and writes the
 * summaries (no plots). Frees g. Returns 0 or the first FB_E* that failed,
 * with eb set. NULL-safe. */
int fb_gw_close(struct fb_gw *g, struct fb_errbuf *eb);

#endif
