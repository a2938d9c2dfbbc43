/* gateway.c - the older testbed's REST API on the engine: registries, handlers, rows. */
#include "core/clock.h"
#include "gateway/gateway.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/metrics.h"
#include "policies/policy.h"
#include "gateway/probe.h"
#include "report/report.h"
#include "gateway/request.h"
#include "run/runfolder.h"
#include "core/template.h"

/* Registries are bounded so a client loop cannot grow them without end. */
#define GW_MAX_NODES 256
#define GW_MAX_FUNCTIONS 1024

struct gw_fn {
    struct fb_function_cfg cfg; /* the engine holds a pointer to it */
    long seq;                   /* invocations so far */
};

struct fb_gw {
    struct fb_gw_opts o;
    /* The experiment as it runs: the file format's defaults with the
     * flags applied, and the nodes and functions once registered. */
    struct fb_experiment set;
    const struct fb_policy *policy;
    struct fb_plugspec spec; /* its parameters */
    void *pstate;
    struct fb_engine *eng;
    struct fb_runfolder *rf;
    char *dir;
    time_t started;
    atomic_bool stopping;

    pthread_mutex_t lock; /* the engine, the registries and the results */
    struct fb_node_cfg **nodes;
    struct fb_gw_offer *offers; /* beside nodes: what each offered at registration */
    int n_nodes;
    /* Names of nodes being connected, outside the lock: taken already. */
    char *joining[GW_MAX_NODES];
    int n_joining;
    double revive_at[GW_MAX_NODES]; /* when to try a down node again; 0: not yet set */
    struct gw_fn **fns;
    int n_fns;
};

/* ---- small helpers ---- */

static void node_cfg_free(struct fb_node_cfg *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->host);
    free(c->user);
    free(c->identity);
    free(c->password);
    free(c->known_hosts);
    free(c);
}

static void fn_free(struct gw_fn *fn)
{
    if (fn == NULL)
        return;
    free(fn->cfg.name);
    free(fn->cfg.image);
    free(fn->cfg.command);
    free(fn);
}

static bool node_name_taken(const struct fb_gw *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->name, name) == 0)
            return true;
    for (int i = 0; i < g->n_joining; i++)
        if (strcmp(g->joining[i], name) == 0)
            return true;
    return false;
}

static int find_fn(const struct fb_gw *g, const char *name)
{
    for (int i = 0; i < g->n_fns; i++)
        if (strcmp(g->fns[i]->cfg.name, name) == 0)
            return i;
    return -1;
}

static void reply_detail(struct fb_gw_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_detail(struct fb_gw_reply *r, int status, const char *fmt, ...)
{
    char msg[FB_ERRMSG_LEN + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->status = status;
    r->body = fb_gw_json_detail(msg);
    if (r->body == NULL)
        r->status = 500;
}

static void reply_json(struct fb_gw_reply *r, int status, cJSON *obj)
{
    r->body = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
    r->status = r->body != NULL ? status : 500;
    cJSON_Delete(obj);
}

/* A number, or null when it was not measured. */
static void add_num(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, round(v * 1000.0) / 1000.0);
}

/* "; node1 down: WHY; node2 RAM 95.0 % at or above the threshold (90 %)":
 * why each node is out, appended to msg (n bytes). Under g->lock. */
static void why_out(struct fb_gw *g, char *msg, size_t n)
{
    char why[FB_ERRMSG_LEN];
    for (int i = 0; i < g->n_nodes; i++) {
        size_t used = strlen(msg);
        if (!fb_engine_node_out(g->eng, i, why, sizeof(why)))
            snprintf(why, sizeof(why), "eligible");
        snprintf(msg + used, n > used ? n - used : 0, "; %s %s", g->nodes[i]->name, why);
    }
}

/* ---- settings and run folder ---- */

static void gw_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "faasbench-gateway: %s\n", msg);
}

/* The defaults of the experiment file format, with the flags applied. */
static int settings_init(struct fb_gw *g, struct fb_errbuf *eb)
{
    struct fb_experiment *s = &g->set;
    const char *mc;
    int rc;

    if ((rc = fb_config_defaults(s, "gateway", eb)) < 0)
        return rc;
    if (g->o.runtime != NULL && (rc = fb_config_set_preset(s, g->o.runtime, eb)) < 0)
        return rc;
    free(s->results_dir);
    free(s->metrics_command);
    s->metrics_command = NULL;
    if ((s->results_dir = strdup(g->o.results_root)) == NULL)
        return FB_ENOMEM;
    s->metrics_format = g->o.metrics_auto ? FB_METRICS_FBNODE : g->o.metrics;
    mc = fb_metrics_default_command(s->metrics_format);
    if (mc != NULL && (s->metrics_command = strdup(mc)) == NULL)
        return FB_ENOMEM;
    /* With metrics_auto the helper's settings; a node without the helper
     * gets its own (fb_engine_connect). */
    s->node_timing = g->o.metrics_auto || g->o.metrics == FB_METRICS_FBNODE;
    s->agent = s->node_timing;
    s->ram_threshold = g->o.ram_threshold;
    s->command_timeout_ms = g->o.command_timeout_ms;
    s->connect_timeout_ms = g->o.connect_timeout_ms;
    return 0;
}

int fb_gw_opts_init(struct fb_gw_opts *o, struct fb_errbuf *eb)
{
    struct fb_experiment d;
    int rc = fb_config_defaults(&d, "gateway", eb);

    memset(o, 0, sizeof(*o));
    if (rc < 0)
        return rc;
    o->policy = fb_policy_at(0)->name;
    o->warming = FB_WARM_COLD;
    o->results_root = "results";
    o->runtime = NULL; /* the file format's default preset */
    o->metrics = d.metrics_format;
    o->metrics_auto = true;
    o->ram_threshold = d.ram_threshold;
    o->command_timeout_ms = d.command_timeout_ms;
    o->connect_timeout_ms = d.connect_timeout_ms;
    o->revive_after_ms = 10 * 1000;
    fb_experiment_free(&d);
    return 0;
}

int fb_gw_open(const struct fb_gw_opts *o, struct fb_gw **out, struct fb_errbuf *eb)
{
    struct fb_gw *g = calloc(1, sizeof(*g));
    struct fb_engine_opts eo;
    int rc;

    *out = NULL;
    if (g == NULL)
        return FB_ENOMEM;
    g->o = *o;
    g->started = time(NULL);
    atomic_init(&g->stopping, false);
    pthread_mutex_init(&g->lock, NULL);
    if ((g->policy = fb_policy_find_spec(o->policy, &g->spec, eb)) == NULL) {
        rc = FB_EINVAL;
        goto out;
    }
    if ((rc = settings_init(g, eb)) < 0)
        goto out;
    if (g->policy->ops.init != NULL && (rc = g->policy->ops.init(&g->pstate, g->set.seed, g->spec.values)) < 0)
        goto out;
    fb_engine_opts_init(&eo, &g->set);
    eo.log = gw_log;
    if ((rc = fb_engine_new(&eo, &g->eng)) < 0)
        goto out;
    if ((rc = fb_runfolder_create(o->results_root, "gateway", g->started, &g->rf, eb)) < 0)
        goto out;
    if ((g->dir = strdup(fb_runfolder_dir(g->rf))) == NULL) {
        rc = FB_ENOMEM;
        goto out;
    }
    *out = g;
out:
    if (rc < 0) {
        if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
            fb_errf(eb, rc, "out of memory");
        fb_runfolder_close(g->rf, NULL, &(struct fb_report_opts){.no_plots = true}, NULL);
        fb_engine_free(g->eng);
        if (g->policy != NULL && g->policy->ops.free != NULL)
            g->policy->ops.free(g->pstate);
        fb_experiment_free(&g->set);
        pthread_mutex_destroy(&g->lock);
        free(g->dir);
        free(g);
    }
    return rc;
}

const char *fb_gw_run_dir(const struct fb_gw *g)
{
    return g->dir;
}

void fb_gw_stop_accepting(struct fb_gw *g)
{
    atomic_store(&g->stopping, true);
}

/* ---- POST /nodes/register ---- */

/* The name stays taken while the node connects, outside the lock. */
static void unjoin(struct fb_gw *g, const char *name)
{
    for (int i = 0; i < g->n_joining; i++)
        if (g->joining[i] == name) {
            g->joining[i] = g->joining[--g->n_joining];
            return;
        }
}

/* What a node is answered and logged with when it cannot be connected: the
 * reply is the same whatever failed (refused, no banner, a timeout, the
 * login, the host key), so the API cannot be used to scan ports with the
 * gateway's key; the log has the details. */
static void connect_failed(struct fb_gw_reply *r, const struct fb_node_cfg *cfg, int rc,
                           const struct fb_errbuf *eb)
{
    fprintf(stderr, "faasbench-gateway: node %s (%s@%s:%d) not registered: %s\n", cfg->name,
            cfg->user, cfg->host, cfg->port, eb->msg[0] != '\0' ? eb->msg : fb_strerror(rc));
    reply_detail(r, 502,
                 "Cannot register node '%s': it could not be reached or logged in to "
                 "(the gateway's log says why).",
                 cfg->name);
}

static void register_node(struct fb_gw *g, const char *body, size_t len, struct fb_gw_reply *r)
{
    struct fb_gw_node_req q;
    struct fb_errbuf eb = {{0}};
    struct fb_node_cfg *cfg = NULL;
    struct fb_engine_pending *pend = NULL;
    struct fb_gw_offer offer;
    bool locked = false, joined = false;
    cJSON *o = NULL;
    int rc;

    if ((rc = fb_gw_parse_node(body, len, &q, &eb)) < 0) {
        reply_detail(r, rc == FB_EINVAL ? 422 : 500, "%s", eb.msg);
        return;
    }
    if (q.password == NULL && g->o.identity == NULL) {
        reply_detail(r, 422, "field 'password' is required (this gateway was started without "
                             "--identity, so it has no key for password-less nodes)");
        goto out;
    }
    if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
        goto nomem;
    cfg->name = q.name;
    cfg->host = q.host;
    cfg->user = q.username;
    cfg->password = q.password;
    q.name = q.host = q.username = q.password = NULL;
    cfg->port = q.port;
    cfg->transport = FB_TRANSPORT_SSH;
    cfg->agent = g->set.agent;
    cfg->insecure_accept_any_host_key = g->o.insecure_accept_any_host_key;
    if ((cfg->password == NULL && (cfg->identity = strdup(g->o.identity)) == NULL) ||
        (g->o.known_hosts != NULL && (cfg->known_hosts = strdup(g->o.known_hosts)) == NULL))
        goto nomem;

    pthread_mutex_lock(&g->lock);
    if (node_name_taken(g, cfg->name)) {
        pthread_mutex_unlock(&g->lock);
        reply_detail(r, 400, "Node '%s' already registered.", cfg->name);
        goto out;
    }
    if (g->n_nodes + g->n_joining >= GW_MAX_NODES) {
        pthread_mutex_unlock(&g->lock);
        reply_detail(r, 400, "too many nodes (at most %d)", GW_MAX_NODES);
        goto out;
    }
    g->joining[g->n_joining++] = cfg->name;
    joined = true;
    pthread_mutex_unlock(&g->lock);

    /* Outside the lock: an unreachable node stalls only its own request.
     * First what the node offers, then its sessions. */
    memset(&offer, 0, sizeof(offer));
    if (g->o.metrics_auto) {
        rc = fb_gw_probe_node(cfg, g->o.connect_timeout_ms, g->o.command_timeout_ms, &offer,
                              &eb);
        if (rc < 0) {
            if (rc == FB_ENOMEM)
                goto nomem;
            connect_failed(r, cfg, rc, &eb);
            goto out;
        }
        cfg->agent = g->set.agent && offer.helper;
    } else {
        offer.helper = g->o.metrics == FB_METRICS_FBNODE;
        offer.format = g->o.metrics;
        snprintf(offer.command, sizeof(offer.command), "%s",
                 g->set.metrics_command != NULL ? g->set.metrics_command : "");
    }
    struct fb_node_offer eo = {.metrics_format = offer.format,
                               .metrics_command = offer.command[0] != '\0' ? offer.command : NULL,
                               .node_timing = offer.helper};
    rc = fb_engine_connect(g->eng, cfg, g->o.metrics_auto ? &eo : NULL, &pend, &eb);
    if (rc < 0) {
        if (rc == FB_ENOMEM)
            goto nomem;
        connect_failed(r, cfg, rc, &eb);
        goto out;
    }

    pthread_mutex_lock(&g->lock);
    locked = true;
    unjoin(g, cfg->name);
    joined = false;
    struct fb_node_cfg **grown = realloc(g->nodes, sizeof(*grown) * (size_t)(g->n_nodes + 1));
    if (grown == NULL)
        goto nomem;
    g->nodes = grown;
    struct fb_gw_offer *more = realloc(g->offers, sizeof(*more) * (size_t)(g->n_nodes + 1));
    if (more == NULL)
        goto nomem;
    g->offers = more;
    rc = fb_engine_attach(g->eng, pend);
    pend = NULL;
    if (rc < 0)
        goto nomem;
    g->offers[g->n_nodes] = offer;
    g->nodes[g->n_nodes++] = cfg;
    fprintf(stderr, "faasbench-gateway: node %s registered (%s@%s:%d), metrics %s%s%s\n",
            cfg->name, cfg->user, cfg->host, cfg->port, fb_metrics_format_name(offer.format),
            offer.command[0] != '\0' ? " " : "", offer.command);
    if (offer.warning[0] != '\0')
        fprintf(stderr, "faasbench-gateway: warning: %s\n", offer.warning);
    char msg[128];
    snprintf(msg, sizeof(msg), "Node '%s' registered.", cfg->name);
    cfg = NULL;
    if ((o = cJSON_CreateObject()) == NULL)
        goto nomem;
    cJSON_AddStringToObject(o, "status", "success");
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddStringToObject(o, "metrics", fb_metrics_format_name(offer.format));
    if (offer.warning[0] != '\0')
        cJSON_AddStringToObject(o, "warning", offer.warning);
    reply_json(r, 200, o);
    goto out;
nomem:
    reply_detail(r, 500, "out of memory");
out:
    if (joined || locked) {
        if (!locked)
            pthread_mutex_lock(&g->lock);
        if (joined && cfg != NULL)
            unjoin(g, cfg->name);
        pthread_mutex_unlock(&g->lock);
    }
    fb_engine_pending_free(pend);
    node_cfg_free(cfg);
    fb_gw_node_req_free(&q);
}

/* ---- POST /functions/register ---- */

static void register_function(struct fb_gw *g, const char *body, size_t len,
                              struct fb_gw_reply *r)
{
    struct fb_gw_function_req q;
    struct fb_errbuf eb = {{0}};
    struct gw_fn *fn = NULL;
    cJSON *o = NULL;
    bool locked = false;
    int rc, f, prepared = 0;

    if ((rc = fb_gw_parse_function(body, len, &q, &eb)) < 0) {
        reply_detail(r, rc == FB_EINVAL ? 422 : 500, "%s", eb.msg);
        return;
    }
    if ((fn = calloc(1, sizeof(*fn))) == NULL ||
        fb_config_function_defaults(&fn->cfg, &eb) < 0)
        goto nomem;
    fn->cfg.name = q.name;
    fn->cfg.image = q.image;
    fn->cfg.command = q.command;
    fn->cfg.network = q.network;
    q.name = q.image = q.command = NULL;

    pthread_mutex_lock(&g->lock);
    locked = true;
    if (find_fn(g, fn->cfg.name) >= 0) {
        reply_detail(r, 400, "Function '%s' already registered.", fn->cfg.name);
        goto out;
    }
    if (g->n_fns >= GW_MAX_FUNCTIONS) {
        reply_detail(r, 400, "too many functions (at most %d)", GW_MAX_FUNCTIONS);
        goto out;
    }
    struct gw_fn **grown = realloc(g->fns, sizeof(*grown) * (size_t)(g->n_fns + 1));
    if (grown == NULL)
        goto nomem;
    g->fns = grown;
    if ((f = fb_engine_add_function(g->eng, &fn->cfg)) < 0)
        goto nomem;
    g->fns[g->n_fns++] = fn;
    fn = NULL;

    /* Warming happens now, as the older gateway did it at registration. */
    const struct gw_fn *added = g->fns[f];
    if (g->o.warming != FB_WARM_COLD && g->n_nodes > 0) {
        fb_engine_poll(g->eng);
        prepared = fb_engine_prepare(g->eng, g->policy, g->pstate, f, g->o.warming, &eb);
        if (prepared == FB_ENONODE)
            why_out(g, eb.msg, sizeof(eb.msg));
    } else if (g->o.warming != FB_WARM_COLD) {
        fb_errf(&eb, FB_ENONODE, "no nodes registered");
    }
    if ((o = cJSON_CreateObject()) == NULL)
        goto nomem;
    char msg[128];
    snprintf(msg, sizeof(msg), "Function '%s' registered.", added->cfg.name);
    cJSON_AddStringToObject(o, "status", "success");
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddStringToObject(o, "warming", fb_warming_name(g->o.warming));
    if (prepared > 0) {
        fprintf(stderr, "faasbench-gateway: function %s registered, %s on %d node(s)\n",
                added->cfg.name, fb_warming_name(g->o.warming), prepared);
    } else if (g->o.warming != FB_WARM_COLD) {
        char warn[FB_ERRMSG_LEN + 64];
        snprintf(warn, sizeof(warn), "not %s: %s; it runs cold", fb_warming_name(g->o.warming),
                 eb.msg);
        cJSON_AddStringToObject(o, "warning", warn);
        fprintf(stderr, "faasbench-gateway: function %s registered, %s\n", added->cfg.name, warn);
    } else {
        fprintf(stderr, "faasbench-gateway: function %s registered\n", added->cfg.name);
    }
    reply_json(r, 200, o);
    goto out;
nomem:
    reply_detail(r, 500, "out of memory");
out:
    if (locked)
        pthread_mutex_unlock(&g->lock);
    fn_free(fn);
    fb_gw_function_req_free(&q);
}

/* ---- POST /functions/invoke/{name} ---- */

/* Writes one outcome as a row, as the run loop does. Under g->lock. */
static int record(struct fb_gw *g, int f, long seq, const struct fb_outcome *o,
                  struct fb_errbuf *eb)
{
    struct fb_rowkey k = {
        .repetition = 1,
        .policy = g->policy->name,
        .warming = fb_warming_name(g->o.warming),
        .function = g->fns[f]->cfg.name,
        .seq = seq,
    };
    return fb_runfolder_record(g->rf, &k, o, 0, eb);
}

/* A gateway has no cells, whose reset would bring a node back: a node that
 * went down is tried again revive_after_ms after it was first seen down,
 * and then at that interval, before an invocation. Under g->lock. */
static void revive_down_nodes(struct fb_gw *g)
{
    double now;

    if (g->o.revive_after_ms <= 0)
        return;
    now = fb_mono_ms();
    for (int i = 0; i < g->n_nodes; i++) {
        if (!fb_engine_node_down(g->eng, i, NULL)) {
            g->revive_at[i] = 0;
            continue;
        }
        if (g->revive_at[i] == 0) {
            g->revive_at[i] = now + g->o.revive_after_ms;
        } else if (now >= g->revive_at[i]) {
            if (fb_engine_revive(g->eng, i))
                g->revive_at[i] = 0;
            else
                g->revive_at[i] = now + g->o.revive_after_ms;
        }
    }
}

static void invoke(struct fb_gw *g, const char *name, struct fb_gw_reply *r)
{
    char detail[4 * FB_ERRMSG_LEN];
    struct fb_outcome o;
    struct fb_errbuf reb = {{0}};
    const char *node = NULL;
    cJSON *j = NULL;
    long seq;
    int f, status, rc, rec;

    if (!fb_name_valid(name)) {
        reply_detail(r, 422, "invalid function name: 1 to 64 of A-Z a-z 0-9 _ . - expected");
        return;
    }
    pthread_mutex_lock(&g->lock);
    if ((f = find_fn(g, name)) < 0) {
        pthread_mutex_unlock(&g->lock);
        reply_detail(r, 404, "Function '%s' not found.", name);
        return;
    }
    seq = ++g->fns[f]->seq;
    if (g->n_nodes == 0) {
        /* Nothing to run on; the attempt is still a row, as in a run. */
        fb_outcome_none(&o, "no nodes registered");
        rc = 0;
    } else {
        revive_down_nodes(g);
        rc = fb_engine_invoke(g->eng, g->policy, g->pstate, f, &o);
    }
    /* No eligible node: the answer and the row say why each one is out. */
    snprintf(detail, sizeof(detail), "%s", o.error);
    if (rc == 0 && o.node < 0 && g->n_nodes > 0) {
        why_out(g, detail, sizeof(detail));
        snprintf(o.error, sizeof(o.error), "%s", detail);
    }
    rec = rc == 0 ? record(g, f, seq, &o, &reb) : 0;
    node = o.node_name;
    pthread_mutex_unlock(&g->lock);

    if (rc < 0) {
        reply_detail(r, 500, "%s", fb_strerror(rc));
        return;
    }
    if (rec < 0) {
        fprintf(stderr, "faasbench-gateway: %s\n", reb.msg);
        reply_detail(r, 500, "the invocation ran but could not be recorded in %s",
                     fb_runfolder_id(g->rf));
        return;
    }
    if (o.node < 0)
        status = 503;
    else if (o.error[0] != '\0')
        status = 500;
    else
        status = 200;
    fprintf(stderr, "faasbench-gateway: invoke %s #%ld: %d %s %s %.1f ms%s%s\n", name, seq,
            status, node != NULL ? node : "-", node != NULL ? fb_warming_name(o.mode) : "-",
            o.latency_ms, o.error[0] != '\0' ? ": " : "", o.error);

    if ((j = cJSON_CreateObject()) == NULL) {
        reply_detail(r, 500, "out of memory");
        return;
    }
    if (status == 200)
        cJSON_AddStringToObject(j, "status", "success");
    else if (g->n_nodes == 0 && o.node < 0)
        cJSON_AddStringToObject(j, "detail", "No nodes registered.");
    else
        cJSON_AddStringToObject(j, "detail", detail);
    cJSON_AddStringToObject(j, "function", name);
    cJSON_AddNumberToObject(j, "seq", (double)seq);
    if (node != NULL) {
        cJSON_AddStringToObject(j, "node", node);
        cJSON_AddStringToObject(j, "mode", fb_warming_name(o.mode));
    } else {
        cJSON_AddNullToObject(j, "node");
        cJSON_AddNullToObject(j, "mode");
    }
    add_num(j, "latency_ms", o.latency_ms);
    add_num(j, "total_ms", o.total_ms);
    add_num(j, "node_exec_ms", o.node_exec_ms);
    add_num(j, "cpu_pct", o.cpu_pct);
    add_num(j, "ram_pct", o.ram_pct);
    if (o.exit_status >= 0)
        cJSON_AddNumberToObject(j, "exit_status", o.exit_status);
    else
        cJSON_AddNullToObject(j, "exit_status");
    cJSON_AddNumberToObject(j, "attempts", o.attempts);
    cJSON_AddStringToObject(j, "run_id", fb_runfolder_id(g->rf));
    reply_json(r, status, j);
}

/* ---- dispatch ---- */

void fb_gw_handle(struct fb_gw *g, const char *method, const char *path, const char *body,
                  size_t len, struct fb_gw_reply *r)
{
    const char *arg = NULL;
    enum fb_gw_route route = fb_gw_route_match(path, &arg);

    r->status = 500;
    r->body = NULL;
    if (route == FB_GW_ROUTE_NONE) {
        reply_detail(r, 404, "Not Found");
        return;
    }
    if (method == NULL || strcmp(method, "POST") != 0) {
        reply_detail(r, 405, "Method Not Allowed");
        return;
    }
    if (atomic_load(&g->stopping)) {
        reply_detail(r, 503, "The gateway is shutting down.");
        return;
    }
    switch (route) {
    case FB_GW_ROUTE_NODE_REGISTER:
        register_node(g, body, len, r);
        break;
    case FB_GW_ROUTE_FUNCTION_REGISTER:
        register_function(g, body, len, r);
        break;
    case FB_GW_ROUTE_INVOKE:
        invoke(g, arg, r);
        break;
    case FB_GW_ROUTE_NONE:
        break;
    }
}

/* ---- shutdown ---- */

/* experiment.cfg: what was registered, in the experiment file's syntax
 * (passwords masked), so the run can be repeated with faasbench. */
static int write_experiment(struct fb_gw *g, struct fb_errbuf *eb)
{
    struct fb_experiment w = g->set;
    char *policies[1] = {(char *)g->policy->name};
    enum fb_warming warmings[1] = {g->o.warming};
    long most = 1;
    int rc = FB_ENOMEM;

    if (g->n_nodes == 0 || g->n_fns == 0) {
        /* No file could hold it: the loader refuses an empty list. */
        fprintf(stderr, "faasbench-gateway: no experiment.cfg: no %s was registered\n",
                g->n_nodes == 0 ? "node" : "function");
        return 0;
    }
    w.path = "faasbench-gateway";
    /* Nodes that all offered the same metrics: the file says so, and a
     * faasbench run of it polls them the same way. */
    bool same = true;
    for (int i = 1; i < g->n_nodes; i++)
        same = same && g->offers[i].format == g->offers[0].format &&
               strcmp(g->offers[i].command, g->offers[0].command) == 0;
    if (g->o.metrics_auto && same) {
        w.metrics_format = g->offers[0].format;
        w.metrics_command = g->offers[0].command[0] != '\0' ? g->offers[0].command : NULL;
        w.node_timing = w.agent = g->offers[0].helper;
    } else if (g->o.metrics_auto) {
        fprintf(stderr, "faasbench-gateway: experiment.cfg: the nodes offer different metrics; "
                        "it says faasbench-node for all (environment.txt lists each)\n");
    }
    w.nodes = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof(*w.nodes));
    w.functions = calloc((size_t)(g->n_fns > 0 ? g->n_fns : 1), sizeof(*w.functions));
    if (w.nodes == NULL || w.functions == NULL)
        goto out;
    for (int i = 0; i < g->n_nodes; i++)
        w.nodes[i] = *g->nodes[i];
    w.n_nodes = g->n_nodes;
    for (int i = 0; i < g->n_fns; i++) {
        w.functions[i] = g->fns[i]->cfg;
        if (g->fns[i]->seq > most)
            most = g->fns[i]->seq;
    }
    w.n_functions = g->n_fns;
    w.matrix.policies = policies;
    w.matrix.n_policies = 1;
    w.matrix.warmings = warmings;
    w.matrix.n_warmings = 1;
    w.matrix.invocations = most > 1000000 ? 1000000 : (int)most;
    w.matrix.repetitions = 1;
    rc = fb_runfolder_save_experiment(g->rf, &w, eb);
out:
    free(w.nodes);
    free(w.functions);
    return rc;
}

int fb_gw_close(struct fb_gw *g, struct fb_errbuf *eb)
{
    struct fb_report_opts ro = {.no_plots = true};
    struct fb_errbuf web = {{0}};
    char extra[16384];
    long rows, errors;
    int rc = 0;

    if (g == NULL)
        return 0;
    pthread_mutex_lock(&g->lock);
    if (write_experiment(g, &web) < 0)
        fprintf(stderr, "faasbench-gateway: %s\n", web.msg);
    int used = snprintf(extra, sizeof(extra),
                        "gateway faasbench-gateway policy %s warming %s\ncjson %s\n",
                        g->policy->name, fb_warming_name(g->o.warming), cJSON_Version());
    for (int i = 0; i < g->n_nodes && used >= 0 && (size_t)used < sizeof(extra); i++)
        used += snprintf(extra + used, sizeof(extra) - (size_t)used, "node_metrics %s %s%s%s\n",
                         g->nodes[i]->name, fb_metrics_format_name(g->offers[i].format),
                         g->offers[i].command[0] != '\0' ? " " : "", g->offers[i].command);
    if (fb_runfolder_write_environment(g->rf, &g->set, g->eng, g->started, extra, &web) < 0)
        fprintf(stderr, "faasbench-gateway: %s\n", web.msg);
    if (fb_runfolder_write_nodes(g->rf, g->eng, &web) < 0)
        fprintf(stderr, "faasbench-gateway: %s\n", web.msg);
    rows = fb_runfolder_rows(g->rf);
    errors = fb_runfolder_errors(g->rf);
    /* Leaves every node clean, then the summaries (no plots). */
    rc = fb_runfolder_close(g->rf, g->n_nodes > 0 ? g->eng : NULL, &ro, eb);
    g->rf = NULL;
    fb_engine_free(g->eng);
    g->eng = NULL;
    if (g->policy->ops.free != NULL)
        g->policy->ops.free(g->pstate);
    fprintf(stderr, "faasbench-gateway: %ld invocations (%ld errors) recorded in %s\n", rows,
            errors, g->dir);
    pthread_mutex_unlock(&g->lock);

    for (int i = 0; i < g->n_nodes; i++)
        node_cfg_free(g->nodes[i]);
    free(g->nodes);
    free(g->offers);
    for (int i = 0; i < g->n_fns; i++)
        fn_free(g->fns[i]);
    free(g->fns);
    free(g->dir);
    fb_experiment_free(&g->set);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return rc;
}
