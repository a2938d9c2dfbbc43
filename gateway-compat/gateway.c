/* gateway.c - the older testbed's REST API on the engine: registries, handlers, rows. */
#include "gateway.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <libssh2.h>

#include "engine.h"
#include "metrics.h"
#include "policy.h"
#include "report.h"
#include "request.h"
#include "results.h"
#include "template.h"

/* Registries are bounded so a client loop cannot grow them without end. */
#define GW_MAX_NODES 256
#define GW_MAX_FUNCTIONS 1024

struct gw_fn {
    struct fb_function_cfg cfg; /* the engine holds a pointer to it */
    long seq;                   /* invocations so far */
};

struct fb_gw {
    struct fb_gw_opts o;
    struct fb_experiment set; /* engine settings: owns only its strings */
    const struct fb_policy *policy;
    void *pstate;
    struct fb_engine *eng;
    struct fb_results *res;
    char run_id[96];
    char *dir;
    time_t started;
    atomic_bool stopping;

    pthread_mutex_t lock; /* the engine, the registries and the results */
    struct fb_node_cfg **nodes;
    int n_nodes;
    double revive_at[GW_MAX_NODES]; /* when to try a down node again; 0: not yet set */
    struct gw_fn **fns;
    int n_fns;
    long invocations, errors;
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

static int find_node(const struct fb_gw *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->name, name) == 0)
            return i;
    return -1;
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

/* ---- settings and run folder ---- */

static int settings_init(struct fb_gw *g, struct fb_errbuf *eb)
{
    struct fb_experiment *s = &g->set;
    const char *mc;

    if (!fb_runtime_preset_known(g->o.runtime))
        return fb_errf(eb, FB_EINVAL, "unknown runtime '%s' (docker or podman)", g->o.runtime);
    if ((s->name = strdup("gateway")) == NULL ||
        (s->runtime.preset = strdup(g->o.runtime)) == NULL ||
        (s->results_dir = strdup(g->o.results_root)) == NULL)
        return FB_ENOMEM;
    for (int i = 0; i < FB_STEP_N; i++)
        if ((s->runtime.steps[i] = strdup(fb_runtime_preset(g->o.runtime, (enum fb_step)i))) ==
            NULL)
            return FB_ENOMEM;
    s->metrics_format = g->o.metrics;
    mc = fb_metrics_default_command(g->o.metrics);
    if (mc != NULL && (s->metrics_command = strdup(mc)) == NULL)
        return FB_ENOMEM;
    s->node_timing = g->o.metrics == FB_METRICS_FBNODE;
    s->agent = s->node_timing;
    s->ram_threshold = g->o.ram_threshold;
    s->command_timeout_ms = g->o.command_timeout_ms;
    s->connect_timeout_ms = g->o.connect_timeout_ms;
    s->seed = 1;
    /* As the older gateway: one invocation at a time per node, warming on
     * the one node the policy picks, one retry elsewhere after a node fails. */
    s->workload.kind = FB_WORKLOAD_SEQUENTIAL;
    s->workload.clients = 1;
    s->workload.per_node = 1;
    s->warm_nodes = 1;
    s->retries = 1;
    s->metrics_interval_ms = 0;
    return 0;
}

/* <root>/gateway-<UTC stamp>[-k], created with its CSV files. */
static int open_results(struct fb_gw *g, struct fb_errbuf *eb)
{
    const char *root = g->o.results_root;
    char stamp[32];
    struct tm tm;

    gmtime_r(&g->started, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (mkdir(root, 0777) < 0 && errno != EEXIST)
        return fb_errf(eb, FB_EIO, "cannot create %s: %s", root, strerror(errno));
    for (int k = 1; k < 100; k++) {
        struct stat st;
        if (k == 1)
            snprintf(g->run_id, sizeof(g->run_id), "gateway-%s", stamp);
        else
            snprintf(g->run_id, sizeof(g->run_id), "gateway-%s-%d", stamp, k);
        size_t len = strlen(root) + strlen(g->run_id) + 2;
        char *dir = malloc(len);
        if (dir == NULL)
            return FB_ENOMEM;
        snprintf(dir, len, "%s/%s", root, g->run_id);
        if (lstat(dir, &st) == 0) {
            free(dir);
            continue;
        }
        int rc = fb_results_open(dir, &g->res, eb);
        if (rc < 0) {
            free(dir);
            return rc;
        }
        g->dir = dir;
        return 0;
    }
    return fb_errf(eb, FB_EIO, "too many gateway runs at %s in %s", stamp, root);
}

int fb_gw_open(const struct fb_gw_opts *o, struct fb_gw **out, struct fb_errbuf *eb)
{
    struct fb_gw *g = calloc(1, sizeof(*g));
    int rc;

    *out = NULL;
    if (g == NULL)
        return FB_ENOMEM;
    g->o = *o;
    g->started = time(NULL);
    atomic_init(&g->stopping, false);
    pthread_mutex_init(&g->lock, NULL);
    if ((g->policy = fb_policy_find(o->policy)) == NULL) {
        rc = fb_errf(eb, FB_EINVAL, "unknown policy '%s'", o->policy);
        goto out;
    }
    if ((rc = settings_init(g, eb)) < 0)
        goto out;
    if (g->policy->ops.init != NULL && (rc = g->policy->ops.init(&g->pstate, g->set.seed)) < 0)
        goto out;
    if ((rc = fb_engine_new(&g->set, &g->eng)) < 0)
        goto out;
    if ((rc = open_results(g, eb)) < 0)
        goto out;
    *out = g;
out:
    if (rc < 0) {
        if (rc == FB_ENOMEM && eb != NULL && eb->msg[0] == '\0')
            fb_errf(eb, rc, "out of memory");
        fb_engine_free(g->eng);
        if (g->policy != NULL && g->policy->ops.free != NULL)
            g->policy->ops.free(g->pstate);
        fb_experiment_free(&g->set);
        pthread_mutex_destroy(&g->lock);
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

static void register_node(struct fb_gw *g, const char *body, size_t len, struct fb_gw_reply *r)
{
    struct fb_gw_node_req q;
    struct fb_errbuf eb = {{0}};
    struct fb_node_cfg *cfg = NULL;
    bool locked = false;
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
    cfg->insecure_accept_any_host_key = g->o.insecure_accept_any_host_key;
    if ((cfg->password == NULL && (cfg->identity = strdup(g->o.identity)) == NULL) ||
        (g->o.known_hosts != NULL && (cfg->known_hosts = strdup(g->o.known_hosts)) == NULL))
        goto nomem;

    pthread_mutex_lock(&g->lock);
    locked = true;
    if (find_node(g, cfg->name) >= 0) {
        reply_detail(r, 400, "Node '%s' already registered.", cfg->name);
        goto out;
    }
    if (g->n_nodes >= GW_MAX_NODES) {
        reply_detail(r, 400, "too many nodes (at most %d)", GW_MAX_NODES);
        goto out;
    }
    struct fb_node_cfg **grown = realloc(g->nodes, sizeof(*grown) * (size_t)(g->n_nodes + 1));
    if (grown == NULL)
        goto nomem;
    g->nodes = grown;
    /* Connecting opens the node's sessions; a node that cannot be reached,
     * refuses the key or its host key is not added. */
    rc = fb_engine_add_node(g->eng, cfg, &eb);
    if (rc < 0) {
        if (rc == FB_ENOMEM)
            goto nomem;
        reply_detail(r, 502, "Cannot register node '%s': %s", cfg->name,
                     eb.msg[0] != '\0' ? eb.msg : fb_strerror(rc));
        fprintf(stderr, "faasbench-gateway: node %s not registered: %s\n", cfg->name,
                eb.msg[0] != '\0' ? eb.msg : fb_strerror(rc));
        goto out;
    }
    g->nodes[g->n_nodes++] = cfg;
    fprintf(stderr, "faasbench-gateway: node %s registered (%s@%s:%d)\n", cfg->name, cfg->user,
            cfg->host, cfg->port);
    char msg[128];
    snprintf(msg, sizeof(msg), "Node '%s' registered.", cfg->name);
    cfg = NULL;
    r->body = fb_gw_json_success(msg);
    r->status = r->body != NULL ? 200 : 500;
    goto out;
nomem:
    reply_detail(r, 500, "out of memory");
out:
    if (locked)
        pthread_mutex_unlock(&g->lock);
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
    if ((fn = calloc(1, sizeof(*fn))) == NULL)
        goto nomem;
    fn->cfg.name = q.name;
    fn->cfg.image = q.image;
    fn->cfg.command = q.command;
    fn->cfg.network = q.network;
    fn->cfg.weight = 1;
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

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes one outcome as a row, as the run loop does. Under g->lock. */
static int record(struct fb_gw *g, int f, long seq, const struct fb_outcome *o)
{
    struct fb_invocation inv = {
        .run_id = g->run_id,
        .repetition = 1,
        .policy = g->policy->name,
        .warming = fb_warming_name(g->o.warming),
        .function = g->fns[f]->cfg.name,
        .seq = seq,
    };
    fb_outcome_row(g->eng, o, 0, &inv);
    g->invocations++;
    if (o->error[0] != '\0')
        g->errors++;
    return fb_results_write(g->res, &inv);
}

/* A gateway has no cells, whose reset would bring a node back: a node that
 * went down is tried again revive_after_ms after it was first seen down,
 * and then at that interval, before an invocation. Under g->lock. */
static void revive_down_nodes(struct fb_gw *g)
{
    struct timespec ts;
    double now;

    if (g->o.revive_after_ms <= 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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
    struct fb_outcome o;
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
        memset(&o, 0, sizeof(o));
        o.node = -1;
        o.exit_status = -1;
        o.attempts = 1;
        o.start_ms = unix_ms();
        o.node_exec_ms = o.cpu_pct = o.ram_pct = NAN;
        snprintf(o.error, sizeof(o.error), "no nodes registered");
        rc = 0;
    } else {
        revive_down_nodes(g);
        rc = fb_engine_invoke(g->eng, g->policy, g->pstate, f, &o);
    }
    rec = rc == 0 ? record(g, f, seq, &o) : 0;
    if (o.node >= 0)
        node = fb_engine_node(g->eng, o.node)->name;
    pthread_mutex_unlock(&g->lock);

    if (rc < 0) {
        reply_detail(r, 500, "%s", fb_strerror(rc));
        return;
    }
    if (rec < 0) {
        fprintf(stderr, "faasbench-gateway: cannot write to %s: %s\n", g->dir, strerror(errno));
        reply_detail(r, 500, "the invocation ran but could not be recorded in %s", g->run_id);
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
        cJSON_AddStringToObject(j, "detail", o.error);
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
    cJSON_AddStringToObject(j, "run_id", g->run_id);
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

static int write_environment(struct fb_gw *g)
{
    char path[4096], when[64];
    struct utsname u;
    struct tm tm;
    FILE *f;

    snprintf(path, sizeof(path), "%s/environment.txt", g->dir);
    if ((f = fopen(path, "wx")) == NULL)
        return FB_EIO;
    gmtime_r(&g->started, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "faasbench %s\n", FB_VERSION);
    fprintf(f, "run_id %s\nstarted %s\n", g->run_id, when);
    fprintf(f, "gateway faasbench-gateway policy %s warming %s\n", g->policy->name,
            fb_warming_name(g->o.warming));
    if (uname(&u) == 0)
        fprintf(f, "host %s %s %s %s\n", u.nodename, u.sysname, u.release, u.machine);
    fprintf(f, "libssh2 %s\ncjson %s\n", libssh2_version(0), cJSON_Version());
    fprintf(f, "runtime %s\nmetrics %s\nnode_timing %s\n", g->set.runtime.preset,
            g->set.metrics_command != NULL ? g->set.metrics_command : "none",
            g->set.node_timing ? "yes" : "no");
    for (int i = 0; i < fb_engine_node_count(g->eng); i++) {
        const struct fb_node_cfg *c = fb_engine_node(g->eng, i);
        const char *why = NULL;
        bool down = fb_engine_node_down(g->eng, i, &why);
        fprintf(f, "node %s ssh %s@%s:%d%s%s\n", c->name, c->user, c->host, c->port,
                down ? " down: " : "", down ? why : "");
    }
    return fclose(f) == 0 ? 0 : FB_EIO;
}

/* experiment.cfg: what was registered, in the experiment file's syntax
 * (passwords masked), so the run can be repeated with faasbench. */
static int write_experiment(struct fb_gw *g)
{
    struct fb_experiment w = g->set;
    char path[4096];
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
    snprintf(path, sizeof(path), "%s/experiment.cfg", g->dir);
    rc = fb_config_write(&w, path);
out:
    free(w.nodes);
    free(w.functions);
    return rc;
}

int fb_gw_close(struct fb_gw *g, struct fb_errbuf *eb)
{
    int rc = 0;

    if (g == NULL)
        return 0;
    pthread_mutex_lock(&g->lock);
    /* Leave every node clean: warm containers, then pulled images. */
    if (g->n_nodes > 0) {
        fb_engine_teardown(g->eng);
        fb_engine_reset(g->eng);
    }
    if (write_experiment(g) < 0)
        fprintf(stderr, "faasbench-gateway: cannot write %s/experiment.cfg\n", g->dir);
    if (write_environment(g) < 0)
        fprintf(stderr, "faasbench-gateway: cannot write %s/environment.txt\n", g->dir);
    fb_engine_free(g->eng);
    g->eng = NULL;
    if (g->policy->ops.free != NULL)
        g->policy->ops.free(g->pstate);
    if (fb_results_close(g->res) < 0)
        rc = fb_errf(eb, FB_EIO, "cannot write the results in %s", g->dir);
    fprintf(stderr, "faasbench-gateway: %ld invocations (%ld errors) recorded in %s\n",
            g->invocations, g->errors, g->dir);
    struct fb_report_opts ro = {.no_plots = true};
    struct fb_errbuf reb = {{0}};
    if (fb_report_write(g->dir, &ro, &reb) < 0) {
        fprintf(stderr, "faasbench-gateway: cannot write the summaries in %s: %s\n", g->dir,
                reb.msg);
        if (rc == 0)
            rc = fb_errf(eb, FB_EIO, "cannot write the summaries in %s", g->dir);
    }
    pthread_mutex_unlock(&g->lock);

    for (int i = 0; i < g->n_nodes; i++)
        node_cfg_free(g->nodes[i]);
    free(g->nodes);
    for (int i = 0; i < g->n_fns; i++)
        fn_free(g->fns[i]);
    free(g->fns);
    free(g->dir);
    fb_experiment_free(&g->set);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return rc;
}
