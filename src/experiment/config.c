/* config.c - the experiment file's schema: a key table per section (core/cfgtable.h
 * parses, checks, frees, writes and lists by them) and the checks across keys. */
#include "experiment/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfgtable.h"
#include "core/plugopt.h"
#include "core/template.h"
#include "experiment/matrix.h"
#include "keepalive/keepalive.h"
#include "policies/policy.h"

/* ---- checks of single values ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_CANDS 32

static int check_name(const char *v, struct fb_errbuf *why)
{
    if (fb_name_valid(v))
        return 0;
    return fb_errf(why, FB_ECONFIG, "invalid name '%s' (1 to 64 of A-Z a-z 0-9 _ . -)", v);
}

static int check_image(const char *v, struct fb_errbuf *why)
{
    if (fb_image_valid(v))
        return 0;
    return fb_errf(why, FB_ECONFIG, "invalid image reference '%s'", v);
}

static int check_instance_root(const char *v, struct fb_errbuf *why)
{
    if (fb_node_path_valid(v))
        return 0;
    return fb_errf(why, FB_ECONFIG,
                   "invalid folder '%s' (an absolute path, or ~/ and a path below the node "
                   "user's home, of A-Z a-z 0-9 _ . - /, no '..')",
                   v);
}

static int check_handler(const char *v, struct fb_errbuf *why)
{
    if (fb_handler_valid(v))
        return 0;
    return fb_errf(why, FB_ECONFIG,
                   "invalid handler '%s' (MODULE:FUNCTION, Python names, e.g. fib:handle)", v);
}

static int check_command(const char *v, struct fb_errbuf *why)
{
    char *quoted = NULL;
    struct fb_errbuf eb = {{0}};
    int rc = fb_command_quote(v, &quoted, &eb);
    free(quoted);
    if (rc == FB_ENOMEM)
        return fb_errf(why, FB_ENOMEM, "out of memory");
    if (rc < 0)
        return fb_errf(why, FB_ECONFIG, "invalid command: %s", eb.msg);
    return 0;
}

static int check_template(const char *v, struct fb_errbuf *why)
{
    struct fb_errbuf eb = {{0}};
    if (fb_template_check(v, &eb) < 0)
        return fb_errf(why, FB_ECONFIG, "invalid template: %s", eb.msg);
    return 0;
}

static int check_preset(const char *v, struct fb_errbuf *why)
{
    const char *known[MAX_CANDS];
    char h[256];
    int n = 0;
    if (fb_runtime_preset_known(v))
        return 0;
    while (n < MAX_CANDS && (known[n] = fb_runtime_preset_name(n)) != NULL)
        n++;
    fb_cfg_hint(v, known, n, h, sizeof(h));
    return fb_errf(why, FB_ECONFIG, "unknown preset '%s' %s", v, h);
}

/* The two kinds of plug-in an experiment names with parameters, as
 * "NAME[:KEY=VALUE,...]": node policies and keep-alive policies. */
struct plugin_kind {
    const char *what; /* for messages */
    /* true when spec names a plug-in whose parameters parse, else false with
     * eb saying why */
    bool (*find_spec)(const char *spec, struct fb_errbuf *eb);
    bool (*known)(const char *name);
    const char *(*name_at)(int i); /* NULL past the end */
};

static bool policy_find_spec(const char *spec, struct fb_errbuf *eb)
{
    struct fb_plugspec out;
    return fb_policy_find_spec(spec, &out, eb) != NULL;
}

static bool policy_known(const char *name)
{
    return fb_policy_find(name) != NULL;
}

static const char *policy_name_at(int i)
{
    const struct fb_policy *p = fb_policy_at(i);
    return p != NULL ? p->name : NULL;
}

static bool keepalive_find_spec(const char *spec, struct fb_errbuf *eb)
{
    struct fb_plugspec out;
    return fb_keepalive_find_spec(spec, &out, eb) != NULL;
}

static bool keepalive_known(const char *name)
{
    return fb_keepalive_find(name) != NULL;
}

static const char *keepalive_name_at(int i)
{
    const struct fb_keepalive *k = fb_keepalive_at(i);
    return k != NULL ? k->name : NULL;
}

static const struct plugin_kind policy_kind = {
    "policy",
    policy_find_spec,
    policy_known,
    policy_name_at,
};
static const struct plugin_kind keepalive_kind = {
    "keep-alive policy",
    keepalive_find_spec,
    keepalive_known,
    keepalive_name_at,
};

/* A plug-in, NAME or NAME:KEY=VALUE,...: a known name, then parameters its
 * table knows, in range. An unknown name is looked up by itself, so
 * "ch-bll:epsilon=0.5" still gets its "did you mean". */
static int check_plugin(const struct plugin_kind *kind, const char *v, struct fb_errbuf *why)
{
    const char *known[MAX_CANDS];
    struct fb_errbuf eb = {{0}};
    char h[256], name[64];
    int n = 0;

    if (kind->find_spec(v, &eb))
        return 0;
    if (v[0] == ':')
        return fb_errf(why, FB_ECONFIG, "'%s': no %s name before ':'", v, kind->what);
    if (fb_plugspec_name(v, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "%s", v); /* too long to be one: as written */
    else if (kind->known(name))
        return fb_errf(why, FB_ECONFIG, "%s", eb.msg); /* a parameter is wrong */
    while (n < MAX_CANDS && (known[n] = kind->name_at(n)) != NULL)
        n++;
    fb_cfg_hint(name, known, n, h, sizeof(h));
    return fb_errf(why, FB_ECONFIG, "unknown %s '%s' %s", kind->what, name, h);
}

static int check_policy(const char *v, struct fb_errbuf *why)
{
    return check_plugin(&policy_kind, v, why);
}

static int check_keepalive(const char *v, struct fb_errbuf *why)
{
    return check_plugin(&keepalive_kind, v, why);
}

/* A node's password read from a variable is saved as that variable, never
 * as its value. */
static const char *password_write_as(const void *obj, const char **value)
{
    const struct fb_node_cfg *n = obj;
    *value = n->password_env;
    return n->password_env != NULL ? "password_env" : NULL;
}

/* ---- the key tables ---- */

static int finish_node(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj);
static int finish_function(struct fb_cfg_loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj);
static int finish_matrix(struct fb_cfg_loader *ld, const config_setting_t *group,
                         const config_setting_t *at, const char *path, void *obj);
static int finish_runtime(struct fb_cfg_loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj);
static int finish_metrics(struct fb_cfg_loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj);
static int finish_workload(struct fb_cfg_loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj);
static int finish_root(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj);
static int finish_fault(struct fb_cfg_loader *ld, const config_setting_t *group,
                        const config_setting_t *at, const char *path, void *obj);

#define AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define STEP_AT(s)                                                                                 \
    .off = offsetof(struct fb_runtime_cfg, steps) + (size_t)(s) * sizeof(char *),                  \
    .size = sizeof(char *)

/* The table engine stores enums as ints. */
_Static_assert(sizeof(enum fb_transport_kind) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_metrics_format) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_workload_kind) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_trace_format) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_trace_spread) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_warming) == sizeof(int), "enum arrays are int arrays");

/* The tables keep each key's fields packed on a few lines, which clang-format
 * cannot do for designated initializers. */
/* clang-format off */
static const struct fb_cfg_key node_keys[] = {
    {.name = "name", .kind = FB_CFG_STRING, .flags = FB_CFG_REQUIRED, .check = check_name,
     AT(struct fb_node_cfg, name), .help = "the node's name in records and {node}"},
    {.name = "transport", .kind = FB_CFG_ENUM, .def = "\"ssh\"", .choices = &fb_transport_enum,
     AT(struct fb_node_cfg, transport),
     .help = "how commands reach the node: over ssh, or local ones on this host (no sshd)"},
    {.name = "host", .kind = FB_CFG_STRING, AT(struct fb_node_cfg, host),
     .help = "address of the node's sshd"},
    {.name = "port", .kind = FB_CFG_INT, .def = "22", .min = 1, .max = 65535,
     AT(struct fb_node_cfg, port), .help = "port of the node's sshd"},
    {.name = "user", .kind = FB_CFG_STRING, AT(struct fb_node_cfg, user),
     .help = "user to log in as"},
    {.name = "identity", .kind = FB_CFG_PATH, AT(struct fb_node_cfg, identity),
     .help = "private key file"},
    {.name = "password", .kind = FB_CFG_STRING, .flags = FB_CFG_SECRET,
     .write_as = password_write_as, AT(struct fb_node_cfg, password),
     .help = "password written in the file (discouraged)"},
    {.name = "password_env", .kind = FB_CFG_ENV, .flags = FB_CFG_ALIAS,
     AT(struct fb_node_cfg, password), .help = "environment variable holding the password"},
    {.name = "known_hosts", .kind = FB_CFG_PATH, AT(struct fb_node_cfg, known_hosts),
     .help = "known_hosts file the node's host key is checked against"},
    {.name = "insecure_accept_any_host_key", .kind = FB_CFG_BOOL, .def = "false",
     AT(struct fb_node_cfg, insecure_accept_any_host_key),
     .help = "skip host key verification"},
    {.name = "memory_mb", .kind = FB_CFG_INT, .def = "0", .min = 0, .max = 100000000,
     AT(struct fb_node_cfg, memory_mb),
     .help = "memory for keep-alive cells' instances, MB (0: the limit its metrics report)"},
};

static const struct fb_cfg_section node_section = {
    .what = "node",
    .keys = node_keys,
    .n_keys = N_OF(node_keys),
    .size = sizeof(struct fb_node_cfg),
    .has_line = true,
    .off_line = offsetof(struct fb_node_cfg, line),
    .unique = "name",
    .finish = finish_node,
};

static const struct fb_cfg_key function_keys[] = {
    {.name = "name", .kind = FB_CFG_STRING, .flags = FB_CFG_REQUIRED, .check = check_name,
     AT(struct fb_function_cfg, name), .help = "the function's name in records and {function}"},
    {.name = "image", .kind = FB_CFG_STRING, .flags = FB_CFG_REQUIRED, .check = check_image,
     AT(struct fb_function_cfg, image), .help = "container image reference"},
    {.name = "command", .kind = FB_CFG_STRING, .check = check_command,
     AT(struct fb_function_cfg, command),
     .help = "command run in the container (required unless a handler is given)"},
    {.name = "network", .kind = FB_CFG_BOOL, .def = "true", AT(struct fb_function_cfg, network),
     .help = "false: containers run without a network"},
    {.name = "weight", .kind = FB_CFG_NUMBER, .def = "1", .min = 0, .max = 1e6,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_function_cfg, weight),
     .help = "share of the invocations in closed and poisson workloads"},
    {.name = "handler", .kind = FB_CFG_STRING, .check = check_handler,
     AT(struct fb_function_cfg, handler),
     .help = "resident entry point MODULE:FUNCTION (Python), loaded once per instance"},
    {.name = "args", .kind = FB_CFG_STRING, .check = check_command,
     AT(struct fb_function_cfg, args),
     .help = "words passed at each invocation to the handler (or appended to a resident "
             "command)"},
    {.name = "resident", .kind = FB_CFG_BOOL, AT(struct fb_function_cfg, resident),
     .help = "serve invocations from resident instances (default: true with a handler)"},
    {.name = "memory_mb", .kind = FB_CFG_INT, .def = "128", .min = 6, .max = 1048576,
     AT(struct fb_function_cfg, memory_mb),
     .help = "memory limit of one resident instance, in MB"},
    {.name = "timeout_s", .kind = FB_CFG_MS, .def = "0", .min = 0, .max = 86400,
     AT(struct fb_function_cfg, timeout_ms),
     .help = "seconds one invocation may take (0: timeouts.command_s); a resident "
             "handler past it is killed with its instance"},
    {.name = "work_duration_ms", .kind = FB_CFG_NUMBER, .def = "0", .min = 0, .max = 86400000,
     AT(struct fb_function_cfg, work_duration_ms),
     .help = "{duration_ms} when the invocation's trace event gives none"},
    {.name = "work_memory_mb", .kind = FB_CFG_NUMBER, .def = "0", .min = 0, .max = 1048576,
     AT(struct fb_function_cfg, work_memory_mb),
     .help = "{memory_mb} when the invocation's trace event gives none"},
};

static const struct fb_cfg_section function_section = {
    .what = "function",
    .keys = function_keys,
    .n_keys = N_OF(function_keys),
    .size = sizeof(struct fb_function_cfg),
    .has_line = true,
    .off_line = offsetof(struct fb_function_cfg, line),
    .unique = "name",
    .finish = finish_function,
};

static const struct fb_cfg_key matrix_keys[] = {
    {.name = "policies", .kind = FB_CFG_STRINGS,
     .def = "[\"round-robin\", \"least-used\", \"most-used\"]", .check = check_policy,
     .names = policy_name_at, AT(struct fb_matrix_cfg, policies),
     .off_n = offsetof(struct fb_matrix_cfg, n_policies),
     .help = "scheduling policies to compare (\"name:key=value,...\" sets parameters)"},
    {.name = "warming", .kind = FB_CFG_ENUMS, .def = "[\"cold\", \"pre-warmed\", \"warmed\"]",
     .choices = &fb_warming_enum, AT(struct fb_matrix_cfg, warmings),
     .off_n = offsetof(struct fb_matrix_cfg, n_warmings),
     .help = "warming modes to compare (keep-alive: cold or warm is the outcome)"},
    {.name = "keepalive", .kind = FB_CFG_STRINGS, .def = "[\"ttl\"]", .check = check_keepalive,
     .names = keepalive_name_at, AT(struct fb_matrix_cfg, keepalive),
     .off_n = offsetof(struct fb_matrix_cfg, n_keepalive),
     .help = "keep-alive policies each keep-alive cell runs (\"name:key=value\")"},
    {.name = "prepull", .kind = FB_CFG_BOOL, .def = "false", AT(struct fb_matrix_cfg, prepull),
     .help = "keep-alive cells: pull every image on every node first (starts are pre-warmed)"},
    {.name = "invocations", .kind = FB_CFG_INT, .def = "1", .min = 1, .max = 1000000,
     AT(struct fb_matrix_cfg, invocations), .help = "invocations per function per cell"},
    {.name = "repetitions", .kind = FB_CFG_INT, .def = "1", .min = 1, .max = 10000,
     AT(struct fb_matrix_cfg, repetitions), .help = "times the whole matrix runs"},
    {.name = "order", .kind = FB_CFG_ENUM, .def = "\"listed\"", .choices = &fb_order_enum,
     AT(struct fb_matrix_cfg, shuffle),
     .help = "the order cells run in: as listed, or shuffled with the seed"},
};

static const struct fb_cfg_section matrix_section = {
    .what = "matrix",
    .keys = matrix_keys,
    .n_keys = N_OF(matrix_keys),
    .finish = finish_matrix,
};

static const struct fb_cfg_key runtime_keys[] = {
    {.name = "preset", .kind = FB_CFG_STRING, .def = "\"docker\"", .check = check_preset,
     .names = fb_runtime_preset_name, AT(struct fb_runtime_cfg, preset),
     .help = "container runtime whose templates the steps not set here take"},
    {.name = "pull", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_PULL),
     .help = "template: pull an image"},
    {.name = "run", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_RUN),
     .help = "template: run a container to completion"},
    {.name = "start", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_START),
     .help = "template: start a warm container"},
    {.name = "exec", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_EXEC),
     .help = "template: run the command in a warm container"},
    {.name = "remove_image", .kind = FB_CFG_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_IMAGE), .help = "template: remove an image"},
    {.name = "remove_container", .kind = FB_CFG_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_CONTAINER), .help = "template: remove a container"},
    {.name = "reset", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_RESET),
     .help = "template: remove every faasbench container and image"},
    {.name = "start_instance", .kind = FB_CFG_STRING, .check = check_template,
     STEP_AT(FB_STEP_START_INSTANCE),
     .help = "template: start a resident instance (its runtime as the main process)"},
    {.name = "remove_instance", .kind = FB_CFG_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_INSTANCE), .help = "template: remove a resident instance"},
    {.name = "kill", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_KILL),
     .help = "template: fault kill-instances, kill every function container (prints how many)"},
    {.name = "fault", .kind = FB_CFG_STRING, .check = check_template, STEP_AT(FB_STEP_FAULT),
     .help = "template: begin a fault on the node, armed there to end by itself after "
             "{seconds} (docs/faults.md)"},
    {.name = "unfault", .kind = FB_CFG_STRING, .check = check_template,
     STEP_AT(FB_STEP_UNFAULT), .help = "template: end a fault now"},
    {.name = "instance_root", .kind = FB_CFG_STRING, .def = "\"~/.faasbench/instances\"",
     .check = check_instance_root, AT(struct fb_runtime_cfg, instance_root),
     .help = "node folder holding each resident instance's folder, the node user's own "
             "(absolute, or ~/ for the node user's home)"},
};

static const struct fb_cfg_section runtime_section = {
    .what = "runtime",
    .keys = runtime_keys,
    .n_keys = N_OF(runtime_keys),
    .finish = finish_runtime,
};

/* The metrics and timeouts groups fill fields of the experiment itself. */
static const struct fb_cfg_key metrics_keys[] = {
    {.name = "format", .kind = FB_CFG_ENUM, .def = "\"faasbench-node\"",
     .choices = &fb_metrics_enum, AT(struct fb_experiment, metrics_format),
     .help = "how a node reports its load: the helper's counters, the older testbed's "
             "get_node_metrics.sh JSON, or no metrics"},
    {.name = "command", .kind = FB_CFG_STRING, AT(struct fb_experiment, metrics_command),
     .help = "command printing the node's load (default per format)"},
    {.name = "node_timing", .kind = FB_CFG_BOOL, AT(struct fb_experiment, node_timing),
     .help = "time steps on the node (default: true for faasbench-node)"},
    {.name = "agent", .kind = FB_CFG_BOOL, AT(struct fb_experiment, agent),
     .help = "ssh nodes: run every command through one long-lived `faasbench-node serve` "
             "channel per session, not one channel each (default: as node_timing)"},
    {.name = "interval_ms", .kind = FB_CFG_INT, .def = "0", .min = 0, .max = 600000,
     AT(struct fb_experiment, metrics_interval_ms),
     .help = "0: poll the nodes at every selection; else poll in the background this often"},
};

static const struct fb_cfg_section metrics_section = {
    .what = "metrics",
    .keys = metrics_keys,
    .n_keys = N_OF(metrics_keys),
    .finish = finish_metrics,
};

static const struct fb_cfg_key timeouts_keys[] = {
    {.name = "command_s", .kind = FB_CFG_MS, .def = "600", .min = 0, .max = 86400,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_experiment, command_timeout_ms),
     .help = "seconds one node command may take"},
    {.name = "connect_s", .kind = FB_CFG_MS, .def = "10", .min = 0, .max = 86400,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_experiment, connect_timeout_ms),
     .help = "seconds to open a node session"},
    {.name = "metrics_s", .kind = FB_CFG_MS, .def = "0", .min = 0, .max = 86400,
     AT(struct fb_experiment, metrics_timeout_ms),
     .help = "seconds a metrics poll may take before its node is marked down (0: "
             "command_s); a poll waits for every node's"},
};

static const struct fb_cfg_section timeouts_section = {
    .what = "timeouts",
    .keys = timeouts_keys,
    .n_keys = N_OF(timeouts_keys),
};

/* used_by values of the workload keys. */
#define W_CLOSED (1u << FB_WORKLOAD_CLOSED)
#define W_POISSON (1u << FB_WORKLOAD_POISSON)
#define W_TRACE (1u << FB_WORKLOAD_TRACE)

static const struct fb_cfg_key workload_keys[] = {
    {.name = "type", .kind = FB_CFG_ENUM, .def = "\"sequential\"", .choices = &fb_workload_enum,
     .what = "workload", AT(struct fb_workload_cfg, kind),
     .help = "how a cell issues its invocations: one at a time, closed loop, Poisson "
             "arrivals or a trace's arrivals"},
    {.name = "clients", .kind = FB_CFG_INT, .def = "1", .min = 1, .max = 4096,
     AT(struct fb_workload_cfg, clients), .used_by = W_CLOSED | W_POISSON | W_TRACE,
     .help = "closed: concurrent clients; poisson, trace: invocations in flight at most"},
    {.name = "invocations", .kind = FB_CFG_INT, .def = "0", .min = 0, .max = 100000000,
     AT(struct fb_workload_cfg, invocations), .used_by = W_CLOSED,
     .help = "closed: invocations per cell over all functions (0: matrix.invocations x "
             "functions)"},
    {.name = "duration_s", .kind = FB_CFG_NUMBER, .def = "0", .min = 0, .max = 1e6,
     AT(struct fb_workload_cfg, duration_s), .used_by = W_CLOSED | W_POISSON,
     .help = "closed, poisson: seconds each cell issues invocations"},
    {.name = "rate", .kind = FB_CFG_NUMBER, .def = "1", .min = 0, .max = 1e6,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_workload_cfg, rate), .used_by = W_POISSON,
     .help = "poisson: arrivals per second"},
    {.name = "per_node", .kind = FB_CFG_INT, .def = "1", .min = 1, .max = 1024,
     AT(struct fb_workload_cfg, per_node),
     .help = "invocations in flight per node (one ssh session each)"},
    {.name = "trace", .kind = FB_CFG_PATH, AT(struct fb_workload_cfg, trace),
     .used_by = W_TRACE, .help = "trace: the trace file"},
    {.name = "trace_format", .kind = FB_CFG_ENUM, .def = "\"azure\"",
     .choices = &fb_trace_format_enum, AT(struct fb_workload_cfg, trace_format),
     .used_by = W_TRACE,
     .help = "azure: 2019 per-minute counts; azure2021: one row per invocation; csv: "
             "time_s,function[,duration_ms][,memory_mb]"},
    {.name = "spread", .kind = FB_CFG_ENUM, .def = "\"uniform\"", .choices = &fb_spread_enum,
     AT(struct fb_workload_cfg, spread), .used_by = W_TRACE,
     .help = "azure traces: how a minute's invocations spread over it (poisson: seeded)"},
    {.name = "time_scale", .kind = FB_CFG_NUMBER, .def = "1", .min = 0, .max = 1e6,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_workload_cfg, time_scale), .used_by = W_TRACE,
     .help = "trace: offsets are multiplied by this (0.5: twice as fast)"},
    {.name = "max_minutes", .kind = FB_CFG_INT, .def = "0", .min = 0, .max = 1440,
     AT(struct fb_workload_cfg, max_minutes), .used_by = W_TRACE,
     .help = "azure traces: replay only the first N minutes (0: all)"},
    {.name = "max_events", .kind = FB_CFG_INT, .def = "100000000", .min = 1,
     .max = 2000000000, AT(struct fb_workload_cfg, max_events), .used_by = W_TRACE,
     .help = "trace: the most invocations a trace may give (a larger one is refused before "
             "a call); memory holds a minute's, not all"},
    {.name = "durations", .kind = FB_CFG_PATH, AT(struct fb_workload_cfg, durations),
     .used_by = W_TRACE,
     .help = "azure (2019) traces: function_durations_percentiles file for {duration_ms}"},
    {.name = "memory", .kind = FB_CFG_PATH, AT(struct fb_workload_cfg, memory),
     .used_by = W_TRACE,
     .help = "azure (2019) traces: app_memory_percentiles file for {memory_mb}"},
    {.name = "warmup_s", .kind = FB_CFG_NUMBER, .def = "0", .min = 0, .max = 1e6,
     AT(struct fb_workload_cfg, warmup_s),
     .help = "invocations in a cell's first seconds (workload time) are flagged warmup "
             "and left out of summaries"},
};

static const struct fb_cfg_section workload_section = {
    .what = "workload",
    .keys = workload_keys,
    .n_keys = N_OF(workload_keys),
    .has_kind = true,
    .off_kind = offsetof(struct fb_workload_cfg, kind),
    .finish = finish_workload,
};

static const struct fb_cfg_key warm_keys[] = {
    {.name = "nodes", .kind = FB_CFG_INT, .def = "1", .min = 1, .max = 100000,
     .zero_name = "all", AT(struct fb_experiment, warm_nodes),
     .help = "nodes prepared per function in warm cells, or \"all\""},
};

static const struct fb_cfg_section warm_section = {
    .what = "warm",
    .keys = warm_keys,
    .n_keys = N_OF(warm_keys),
};

static const struct fb_cfg_key simulate_keys[] = {
    {.name = "model", .kind = FB_CFG_PATH, AT(struct fb_simulate_cfg, model),
     .help = "the node model of the simulated nodes (faasbench calibrate writes one); with "
             "it, the file runs in simulation"},
    {.name = "nodes", .kind = FB_CFG_INT, .def = "0", .min = 0, .max = 1000000,
     AT(struct fb_simulate_cfg, nodes),
     .help = "simulated nodes, shaped like the first of nodes (0: the nodes listed)"},
    {.name = "rows", .kind = FB_CFG_ENUM, .def = "\"all\"", .choices = &fb_sim_rows_enum,
     AT(struct fb_simulate_cfg, rows),
     .help = "which invocations get a row; summaries, comparisons and findings count every one"},
    {.name = "sample", .kind = FB_CFG_NUMBER, .def = "0.01", .min = 0, .max = 1,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_simulate_cfg, sample),
     .help = "rows = \"sample\": the share of invocations with a row (seeded)"},
};

static const struct fb_cfg_section simulate_section = {
    .what = "simulate",
    .keys = simulate_keys,
    .n_keys = N_OF(simulate_keys),
};

/* used_by values of the fault keys. */
#define F_SLOW (1u << FB_FAULT_SLOW)

static const struct fb_cfg_key fault_keys[] = {
    {.name = "at_s", .kind = FB_CFG_NUMBER, .flags = FB_CFG_REQUIRED, .min = 0, .max = 1e7,
     AT(struct fb_fault_cfg, at_s),
     .help = "when it begins: seconds of the workload's clock after the cell began issuing"},
    {.name = "node", .kind = FB_CFG_STRING, .flags = FB_CFG_REQUIRED, .check = check_name,
     AT(struct fb_fault_cfg, node), .help = "the node it strikes (a name of nodes)"},
    {.name = "action", .kind = FB_CFG_ENUM, .flags = FB_CFG_REQUIRED,
     .choices = &fb_fault_action_enum, AT(struct fb_fault_cfg, action),
     .help = "down: stops answering; slow: CPU quota cut to fraction; kill-instances: its "
             "function containers killed; partition: new connections fail, open ones stall"},
    {.name = "for_s", .kind = FB_CFG_NUMBER, .flags = FB_CFG_REQUIRED | FB_CFG_MIN_OPEN,
     .min = 0, .max = 1e7, AT(struct fb_fault_cfg, for_s),
     .help = "how long it lasts (kill-instances: the window its effects are summarized over)"},
    {.name = "fraction", .kind = FB_CFG_NUMBER, .def = "0.25", .flags = FB_CFG_MIN_OPEN,
     .min = 0, .max = 1, AT(struct fb_fault_cfg, fraction), .used_by = F_SLOW,
     .help = "slow: the share of the node's CPU quota left during the fault"},
};

static const struct fb_cfg_section fault_section = {
    .what = "fault",
    .keys = fault_keys,
    .n_keys = N_OF(fault_keys),
    .size = sizeof(struct fb_fault_cfg),
    .has_line = true,
    .off_line = offsetof(struct fb_fault_cfg, line),
    .has_kind = true,
    .off_kind = offsetof(struct fb_fault_cfg, action),
    .finish = finish_fault,
};

static const struct fb_cfg_key root_keys[] = {
    {.name = "name", .kind = FB_CFG_STRING, .check = check_name, AT(struct fb_experiment, name),
     .help = "experiment name (default: the file name without .cfg)"},
    {.name = "nodes", .kind = FB_CFG_LIST, .flags = FB_CFG_REQUIRED, .sub = &node_section,
     AT(struct fb_experiment, nodes), .off_n = offsetof(struct fb_experiment, n_nodes),
     .help = "execution nodes: ( { name = ...; host = ...; ... } )"},
    {.name = "functions", .kind = FB_CFG_LIST, .flags = FB_CFG_REQUIRED,
     .sub = &function_section, AT(struct fb_experiment, functions),
     .off_n = offsetof(struct fb_experiment, n_functions),
     .help = "functions: ( { name = ...; image = ...; command = ...; } )"},
    {.name = "matrix", .kind = FB_CFG_GROUP, .sub = &matrix_section,
     AT(struct fb_experiment, matrix), .help = "what is compared, and how often"},
    {.name = "runtime", .kind = FB_CFG_GROUP, .sub = &runtime_section,
     AT(struct fb_experiment, runtime), .help = "container runtime preset and step templates"},
    {.name = "ram_threshold", .kind = FB_CFG_NUMBER, .def = "90", .min = 0, .max = 100,
     .flags = FB_CFG_MIN_OPEN, AT(struct fb_experiment, ram_threshold),
     .help = "RAM percent at or above which a node is skipped"},
    {.name = "metrics", .kind = FB_CFG_GROUP, .sub = &metrics_section, .off = 0,
     .help = "how nodes report their load"},
    {.name = "results", .kind = FB_CFG_STRING, .def = "\"results\"",
     AT(struct fb_experiment, results_dir), .help = "folder that receives run folders"},
    {.name = "seed", .kind = FB_CFG_UINT64, .def = "1", .min = 0, AT(struct fb_experiment, seed),
     .help = "seed of the shuffled order and of random choices (above 2147483647: add L)"},
    {.name = "timeouts", .kind = FB_CFG_GROUP, .sub = &timeouts_section, .off = 0,
     .help = "command and connection timeouts"},
    {.name = "workload", .kind = FB_CFG_GROUP, .sub = &workload_section,
     AT(struct fb_experiment, workload), .help = "how invocations are issued in a cell"},
    {.name = "warm", .kind = FB_CFG_GROUP, .sub = &warm_section, .off = 0,
     .help = "how many nodes get a function's image or warm container"},
    {.name = "retries", .kind = FB_CFG_INT, .def = "1", .min = 0, .max = 10,
     AT(struct fb_experiment, retries),
     .help = "retries of an invocation on another node after a node failure"},
    {.name = "simulate", .kind = FB_CFG_GROUP, .sub = &simulate_section,
     AT(struct fb_experiment, simulate),
     .help = "simulated nodes: the file runs in simulation (see docs/simulation.md)"},
    {.name = "faults", .kind = FB_CFG_LIST, .sub = &fault_section,
     AT(struct fb_experiment, faults), .off_n = offsetof(struct fb_experiment, n_faults),
     .help = "faults applied in every cell: ( { at_s = ...; node = ...; action = ...; "
             "for_s = ...; } ) (docs/faults.md)"},
};

static const struct fb_cfg_section root_section = {
    .what = "experiment",
    .keys = root_keys,
    .n_keys = N_OF(root_keys),
    .finish = finish_root,
};
/* clang-format on */

const struct fb_cfg_section *fb_config_schema(void)
{
    return &root_section;
}

/* ---- cross-key checks and computed defaults ---- */

static int finish_function(struct fb_cfg_loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj)
{
    struct fb_function_cfg *fn = obj;
    char key[256];

    if (fb_cfg_defaults_only(ld))
        return 0;
    if (fb_cfg_member(group, "resident", NULL) == NULL)
        fn->resident = fn->handler != NULL;
    if (fn->command == NULL && fn->handler == NULL) {
        fb_cfg_key_path(key, sizeof(key), path, "command");
        return fb_cfg_fail(ld, at, key,
                           "missing required key (command run in the container, "
                           "or a handler)");
    }
    if (fn->command == NULL && !fn->resident) {
        fb_cfg_key_path(key, sizeof(key), path, "command");
        return fb_cfg_fail(ld, fb_cfg_member(group, "resident", at), key,
                           "missing: a function that is not resident runs its command");
    }
    if (fn->args != NULL && !fn->resident) {
        fb_cfg_key_path(key, sizeof(key), path, "args");
        return fb_cfg_fail(ld, fb_cfg_member(group, "args", at), key,
                           "only a resident function takes args (a command carries its own "
                           "words)");
    }
    if (fn->resident && fn->handler == NULL && fb_work_used(fn->command)) {
        fb_cfg_key_path(key, sizeof(key), path, "command");
        return fb_cfg_fail(ld, fb_cfg_member(group, "command", at), key,
                           "a resident instance's command is fixed when it starts: "
                           "{duration_ms} and {memory_mb} go in args (appended at each call), "
                           "or resident = false");
    }
    return 0;
}

static int finish_node(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    struct fb_node_cfg *n = obj;
    const config_setting_t *pw = fb_cfg_member(group, "password", NULL);
    const config_setting_t *pw_env = fb_cfg_member(group, "password_env", NULL);
    const config_setting_t *insecure = fb_cfg_member(group, "insecure_accept_any_host_key", NULL);
    char key[256];

    if (pw != NULL && pw_env != NULL) {
        fb_cfg_key_path(key, sizeof(key), path, "password_env");
        return fb_cfg_fail(ld, pw_env, key, "cannot be used together with password");
    }
    if (pw_env != NULL && (n->password_env = strdup(config_setting_get_string(pw_env))) == NULL)
        return fb_cfg_nomem(ld);
    if (n->transport == FB_TRANSPORT_SSH) {
        static const char *const needed[] = {"host", "user"};
        for (int i = 0; i < N_OF(needed); i++) {
            const char *v = i == 0 ? n->host : n->user;
            if (v != NULL)
                continue;
            fb_cfg_key_path(key, sizeof(key), path, needed[i]);
            return fb_cfg_fail(ld, at, key, "missing (required for transport 'ssh')");
        }
        if (n->identity == NULL && n->password == NULL) {
            fb_cfg_key_path(key, sizeof(key), path, "identity");
            return fb_cfg_fail(ld, at, key,
                               "missing: set identity, password_env or password "
                               "(required for transport 'ssh')");
        }
        if (n->known_hosts == NULL && !n->insecure_accept_any_host_key) {
            fb_cfg_key_path(key, sizeof(key), path, "known_hosts");
            return fb_cfg_fail(ld, at, key,
                               "missing: host keys must be verified; set known_hosts "
                               "(or insecure_accept_any_host_key = true)");
        }
    }
    if (pw != NULL) {
        fb_cfg_key_path(key, sizeof(key), path, "password");
        fb_cfg_warn(ld, pw, key, "warning: password written in the file; prefer password_env");
    }
    if (n->insecure_accept_any_host_key && insecure != NULL) {
        fb_cfg_key_path(key, sizeof(key), path, "insecure_accept_any_host_key");
        fb_cfg_warn(ld, insecure, key, "warning: the host key of '%s' is not verified", n->name);
    }
    return 0;
}

static int finish_runtime(struct fb_cfg_loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj)
{
    struct fb_runtime_cfg *rt = obj;
    char key[256];

    (void)group;
    for (int s = 0; s < FB_STEP_N; s++) {
        if (rt->steps[s] != NULL)
            continue;
        const char *t = fb_runtime_preset(rt->preset, (enum fb_step)s);
        if (t == NULL) {
            fb_cfg_key_path(key, sizeof(key), path, fb_step_name((enum fb_step)s));
            return fb_cfg_fail(ld, at, key, "preset '%s' has no template for this step",
                               rt->preset);
        }
        if ((rt->steps[s] = strdup(t)) == NULL)
            return fb_cfg_nomem(ld);
    }
    return 0;
}

static int finish_metrics(struct fb_cfg_loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj)
{
    struct fb_experiment *exp = obj;
    char key[256];

    if (exp->metrics_format == FB_METRICS_NONE && exp->metrics_command != NULL) {
        fb_cfg_key_path(key, sizeof(key), path, "command");
        return fb_cfg_fail(ld, fb_cfg_member(group, "command", at), key,
                           "not used with format 'none'");
    }
    if (exp->metrics_command == NULL) {
        const char *c = fb_metrics_default_command(exp->metrics_format);
        if (c != NULL && (exp->metrics_command = strdup(c)) == NULL)
            return fb_cfg_nomem(ld);
    }
    if (fb_cfg_member(group, "node_timing", NULL) == NULL)
        exp->node_timing = exp->metrics_format == FB_METRICS_FBNODE;
    if (fb_cfg_member(group, "agent", NULL) == NULL)
        exp->agent = exp->node_timing;
    return 0;
}

static int finish_workload(struct fb_cfg_loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj)
{
    struct fb_workload_cfg *w = obj;
    char key[256];
    (void)group;
    if (w->kind == FB_WORKLOAD_TRACE && w->trace == NULL) {
        snprintf(key, sizeof(key), "%s.trace", path);
        return fb_cfg_fail(ld, at, key, "missing: a trace workload needs its trace file");
    }
    if (w->kind == FB_WORKLOAD_POISSON && w->duration_s <= 0) {
        snprintf(key, sizeof(key), "%s.duration_s", path);
        return fb_cfg_fail(ld, at, key, "missing: a poisson workload needs a duration");
    }
    if (w->kind == FB_WORKLOAD_TRACE && w->trace_format != FB_TRACE_AZURE &&
        (w->durations != NULL || w->memory != NULL)) {
        const char *k = w->durations != NULL ? "durations" : "memory";
        snprintf(key, sizeof(key), "%s.%s", path, k);
        return fb_cfg_fail(ld, fb_cfg_member(group, k, at), key,
                           "only an \"%s\" (2019) trace has percentile files",
                           fb_enum_name(&fb_trace_format_enum, FB_TRACE_AZURE));
    }
    return 0;
}

/* A policy may run in several cells with different parameters; two entries
 * that differ only in how they are written (a default spelt out, 0.5 as .50)
 * would run the same cell twice under two names. Each entry was checked. */
static int finish_matrix(struct fb_cfg_loader *ld, const config_setting_t *group,
                         const config_setting_t *at, const char *path, void *obj)
{
    const struct fb_matrix_cfg *m = obj;
    const config_setting_t *list = fb_cfg_member(group, "policies", NULL);
    struct fb_plugspec *spec =
        calloc((size_t)(m->n_policies > 0 ? m->n_policies : 1), sizeof(*spec));
    const struct fb_policy **pol =
        calloc((size_t)(m->n_policies > 0 ? m->n_policies : 1), sizeof(*pol));
    char key[256];
    int rc = 0;

    if (spec == NULL || pol == NULL) {
        rc = fb_cfg_nomem(ld);
        goto out;
    }
    if (m->prepull && !fb_matrix_has_keepalive(m)) {
        snprintf(key, sizeof(key), "%s.prepull", path);
        rc = fb_cfg_fail(ld, fb_cfg_member(group, "prepull", at), key,
                         "only keep-alive cells pull ahead: warming has no \"%s\"",
                         fb_warming_name(FB_WARM_KEEPALIVE));
    }
    for (int i = 0; i < m->n_policies && (rc == 0 || fb_cfg_go_on(ld, rc)); i++) {
        pol[i] = fb_policy_find_spec(m->policies[i], &spec[i], NULL);
        for (int j = 0; j < i && pol[i] != NULL; j++) {
            bool same = pol[j] == pol[i] && spec[j].n_values == spec[i].n_values;
            for (int k = 0; same && k < spec[i].n_values; k++)
                same = spec[j].values[k] == spec[i].values[k];
            if (!same)
                continue;
            const config_setting_t *e =
                list != NULL ? config_setting_get_elem(list, (unsigned)i) : NULL;
            snprintf(key, sizeof(key), "%s.policies[%d]", path, i);
            rc = fb_cfg_fail(ld, e != NULL ? e : at, key,
                             "'%s' runs the same policy with the same parameters as [%d] '%s'",
                             m->policies[i], j, m->policies[j]);
            break;
        }
    }
out:
    free(spec);
    free(pol);
    return rc;
}

static int finish_fault(struct fb_cfg_loader *ld, const config_setting_t *group,
                        const config_setting_t *at, const char *path, void *obj)
{
    const struct fb_fault_cfg *f = obj;
    const config_setting_t *fr = fb_cfg_member(group, "fraction", NULL);
    char key[256];

    (void)at;
    if (fr != NULL && f->action != FB_FAULT_SLOW) {
        fb_cfg_key_path(key, sizeof(key), path, "fraction");
        return fb_cfg_fail(ld, fr, key, "only a \"%s\" fault takes a fraction (this one is \"%s\")",
                           fb_fault_action_name(FB_FAULT_SLOW), fb_fault_action_name(f->action));
    }
    return 0;
}

/* The schedule against the nodes and the workload: every fault on a known
 * node, one fault at a time per node, and every window within the
 * workload when its length is known here (a duration; a trace's length is
 * checked once it is read: experiment/faults.h). */
static int check_faults(struct fb_cfg_loader *ld, const config_setting_t *group,
                        const config_setting_t *at, const struct fb_experiment *exp)
{
    const config_setting_t *list =
        group != NULL ? config_setting_get_member(group, "faults") : NULL;
    const char *names[MAX_CANDS];
    const struct fb_workload_cfg *w = &exp->workload;
    double length = (w->kind == FB_WORKLOAD_CLOSED || w->kind == FB_WORKLOAD_POISSON) &&
                            w->duration_s > 0
                        ? w->duration_s
                        : -1;
    int n_names = 0, bad = 0;
    char key[64], h[256];

    for (int i = 0; i < exp->n_nodes && n_names < MAX_CANDS; i++)
        names[n_names++] = exp->nodes[i].name;
    for (int k = 0; k < exp->n_faults; k++) {
        const struct fb_fault_cfg *f = &exp->faults[k];
        const config_setting_t *e = list != NULL ? config_setting_get_elem(list, (unsigned)k) : NULL;
        const config_setting_t *fe = e != NULL ? e : at;
        int node = -1, rc = 0;

        for (int i = 0; i < exp->n_nodes && node < 0; i++)
            if (strcmp(exp->nodes[i].name, f->node) == 0)
                node = i;
        if (node < 0) {
            snprintf(key, sizeof(key), "faults[%d].node", k);
            fb_cfg_hint(f->node, names, n_names, h, sizeof(h));
            rc = fb_cfg_fail(ld, fb_cfg_member(e, "node", fe), key, "unknown node '%s' %s",
                             f->node, h);
        }
        for (int j = 0; rc == 0 && j < k; j++) {
            const struct fb_fault_cfg *g = &exp->faults[j];
            if (strcmp(g->node, f->node) != 0 || f->at_s >= g->at_s + g->for_s ||
                g->at_s >= f->at_s + f->for_s)
                continue;
            snprintf(key, sizeof(key), "faults[%d].at_s", k);
            rc = fb_cfg_fail(ld, fb_cfg_member(e, "at_s", fe), key,
                             "%s %g-%g s overlaps faults[%d] (%s %g-%g s, line %d) on node %s: "
                             "one fault at a time per node",
                             fb_fault_action_name(f->action), f->at_s, f->at_s + f->for_s, j,
                             fb_fault_action_name(g->action), g->at_s, g->at_s + g->for_s,
                             g->line, f->node);
        }
        if (rc == 0 && length >= 0 && f->at_s + f->for_s > length) {
            bool starts_past = f->at_s >= length;
            snprintf(key, sizeof(key), "faults[%d].%s", k, starts_past ? "at_s" : "for_s");
            rc = fb_cfg_fail(ld, fb_cfg_member(e, starts_past ? "at_s" : "for_s", fe), key,
                             "the window %g-%g s ends past the end of the workload "
                             "(workload.duration_s = %g)",
                             f->at_s, f->at_s + f->for_s, length);
        }
        if (rc < 0) {
            if (!fb_cfg_go_on(ld, rc))
                return rc;
            bad = rc;
        }
    }
    return bad;
}

static int finish_root(struct fb_cfg_loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    struct fb_experiment *exp = obj;
    const char *file = fb_cfg_path(ld), *base = strrchr(file, '/');
    size_t len;

    (void)path;
    /* Each node carries what its sessions need: the engine reads no
     * experiment-wide setting to open them. */
    for (int i = 0; i < exp->n_nodes; i++)
        exp->nodes[i].agent = exp->agent;
    /* Keep-alive cells keep instances: resident ones. */
    bool ka = fb_matrix_has_keepalive(&exp->matrix);
    int bad = 0;
    for (int f = 0; ka && f < exp->n_functions; f++) {
        if (exp->functions[f].resident)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "functions[%d].resident", f);
        const config_setting_t *fs = config_setting_get_member(group, "functions");
        const config_setting_t *fe = fs != NULL ? config_setting_get_elem(fs, (unsigned)f) : NULL;
        int rc = fb_cfg_fail(ld, fe != NULL ? fe : at, key,
                             "a keep-alive cell keeps instances: '%s' must be resident (a "
                             "handler, or resident = true)",
                             exp->functions[f].name);
        if (!fb_cfg_go_on(ld, rc))
            return rc;
        bad = rc;
    }
    /* A function larger than every node could never start: said now, when
     * every node's memory is known, not after a cell's wait. */
    double most = 0;
    int biggest = -1;
    for (int i = 0; ka && i < exp->n_nodes; i++) {
        if (exp->nodes[i].memory_mb <= 0) {
            biggest = -1;
            break;
        }
        if (biggest < 0 || exp->nodes[i].memory_mb > most) {
            most = exp->nodes[i].memory_mb;
            biggest = i;
        }
    }
    for (int f = 0; biggest >= 0 && f < exp->n_functions; f++) {
        double mb = exp->functions[f].memory_mb > 0 ? exp->functions[f].memory_mb : 128;
        if (mb <= most)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "functions[%d].memory_mb", f);
        const config_setting_t *fs = config_setting_get_member(group, "functions");
        const config_setting_t *fe = fs != NULL ? config_setting_get_elem(fs, (unsigned)f) : NULL;
        const config_setting_t *ms = fe != NULL ? config_setting_get_member(fe, "memory_mb") : NULL;
        int rc = fb_cfg_fail(ld, ms != NULL ? ms : fe != NULL ? fe : at, key,
                             "'%s' needs %g MB, more than any node offers (the most: %g MB, "
                             "node %s): a keep-alive cell could never start it",
                             exp->functions[f].name, mb, most, exp->nodes[biggest].name);
        if (!fb_cfg_go_on(ld, rc))
            return rc;
        bad = rc;
    }
    if (bad < 0)
        return bad;
    if ((bad = check_faults(ld, group, at, exp)) < 0)
        return bad;
    if (exp->name != NULL)
        return 0;
    base = base != NULL ? base + 1 : file;
    len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".cfg") == 0)
        len -= 4;
    if ((exp->name = strndup(base, len)) == NULL)
        return fb_cfg_nomem(ld);
    if (!fb_name_valid(exp->name))
        return fb_cfg_fail(ld, at, "name",
                           "the file name gives the invalid name '%s'; set name = \"...\" "
                           "(1 to 64 of A-Z a-z 0-9 _ . -)",
                           exp->name);
    return 0;
}

/* ---- loading, freeing, writing ---- */

int fb_config_load(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb)
{
    return fb_config_load_all(path, exp, eb, NULL);
}

int fb_config_load_all(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb,
                       struct fb_config_errors *errs)
{
    struct fb_cfg_errlist list = {0};
    int rc;

    if (errs != NULL) {
        memset(errs, 0, sizeof(*errs));
        list = (struct fb_cfg_errlist){errs->msg, &errs->n, &errs->more};
    }
    if (exp == NULL || path == NULL)
        return fb_errf(eb, FB_EINVAL, "fb_config_load: no %s", exp == NULL ? "experiment" : "path");
    memset(exp, 0, sizeof(*exp));
    if ((exp->path = strdup(path)) == NULL)
        rc = fb_errf(eb, FB_ENOMEM, "%s: out of memory", path);
    else
        rc = fb_cfg_load(&root_section, path, exp, eb, errs != NULL ? &list : NULL);
    if (rc < 0) {
        fb_experiment_free(exp);
        if (errs != NULL && errs->n == 0 && eb != NULL)
            snprintf(errs->msg[errs->n++], FB_ERRMSG_LEN, "%s", eb->msg);
    }
    return rc;
}

void fb_experiment_free(struct fb_experiment *exp)
{
    if (exp == NULL)
        return;
    for (int i = 0; exp->nodes != NULL && i < exp->n_nodes; i++)
        free(exp->nodes[i].password_env);
    fb_cfg_free(&root_section, exp);
    free(exp->path);
    memset(exp, 0, sizeof(*exp));
}

int fb_config_defaults(struct fb_experiment *exp, const char *name, struct fb_errbuf *eb)
{
    int rc;

    memset(exp, 0, sizeof(*exp));
    if ((exp->path = strdup(name)) == NULL)
        return fb_errf(eb, FB_ENOMEM, "%s: out of memory", name);
    if ((rc = fb_cfg_defaults(&root_section, name, "", exp, eb)) < 0)
        fb_experiment_free(exp);
    return rc;
}

int fb_config_function_defaults(struct fb_function_cfg *fn, struct fb_errbuf *eb)
{
    memset(fn, 0, sizeof(*fn));
    return fb_cfg_defaults(&function_section, "function", "function", fn, eb);
}

int fb_config_set_preset(struct fb_experiment *exp, const char *preset, struct fb_errbuf *eb)
{
    char *steps[FB_STEP_N] = {0}, *name;

    if (!fb_runtime_preset_known(preset)) {
        char known[128] = "";
        for (int i = 0, len = 0; fb_runtime_preset_name(i) != NULL && len < (int)sizeof(known);
             i++) {
            const char *sep = fb_runtime_preset_name(i + 1) == NULL ? " or " : ", ";
            len += snprintf(known + len, sizeof(known) - (size_t)len, "%s%s", i == 0 ? "" : sep,
                            fb_runtime_preset_name(i));
        }
        return fb_errf(eb, FB_EINVAL, "unknown runtime '%s' (%s)", preset, known);
    }
    if ((name = strdup(preset)) == NULL)
        return fb_errf(eb, FB_ENOMEM, "out of memory");
    for (int i = 0; i < FB_STEP_N; i++) {
        if ((steps[i] = strdup(fb_runtime_preset(preset, (enum fb_step)i))) == NULL) {
            for (int j = 0; j < i; j++)
                free(steps[j]);
            free(name);
            return fb_errf(eb, FB_ENOMEM, "out of memory");
        }
    }
    free(exp->runtime.preset);
    exp->runtime.preset = name;
    for (int i = 0; i < FB_STEP_N; i++) {
        free(exp->runtime.steps[i]);
        exp->runtime.steps[i] = steps[i];
    }
    return 0;
}

int fb_config_fwrite(const struct fb_experiment *exp, FILE *f)
{
    if (exp == NULL || f == NULL)
        return FB_EINVAL;
    /* The loader refuses empty lists: such an experiment has no file. */
    if (exp->n_nodes < 1 || exp->n_functions < 1 || exp->matrix.n_policies < 1 ||
        exp->matrix.n_warmings < 1)
        return FB_EINVAL;
    fprintf(f, "# %s as run: defaults filled in, paths resolved, passwords masked.\n",
            exp->path != NULL ? exp->path : "experiment");
    fb_cfg_write(f, &root_section, exp);
    return fflush(f) != 0 || ferror(f) ? FB_EIO : 0;
}

int fb_config_write(const struct fb_experiment *exp, const char *path)
{
    FILE *f;
    int rc;

    if (exp == NULL || path == NULL || exp->n_nodes < 1 || exp->n_functions < 1 ||
        exp->matrix.n_policies < 1 || exp->matrix.n_warmings < 1)
        return FB_EINVAL;
    if ((f = fopen(path, "w")) == NULL)
        return FB_EIO;
    rc = fb_config_fwrite(exp, f);
    if (fclose(f) != 0)
        rc = FB_EIO;
    return rc;
}

void fb_config_list_keys(FILE *f)
{
    fb_cfg_list(f, &root_section);
}
