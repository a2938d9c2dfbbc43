/* config.c - the experiment file: per-section key tables drive parsing, checks, writing. */
#include "experiment/config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepalive/keepalive.h"
#include "experiment/matrix.h"
#include "policies/policy.h"
#include "core/template.h"

/* ---- names of the small enums ---- */



/* ---- the key tables ---- */

enum kind {
    K_STRING,   /* char *: a non-empty string, optionally checked by check() */
    K_PATH,     /* char *: a readable file; relative to the file holding the key */
    K_ENV,      /* char *: names an environment variable; its value is stored */
    K_INT,      /* int in [min, max] */
    K_UINT64,   /* uint64_t >= min; int or int64 in the file */
    K_NUMBER,   /* double in [min, max]; int or float in the file */
    K_MS,       /* int milliseconds, from seconds (int or float) in [min, max] */
    K_BOOL,     /* bool */
    K_ENUM,     /* a string from choices, stored in an int-sized enum or a bool */
    K_STRINGS,  /* char ** and an int count: array of distinct strings */
    K_WARMINGS, /* enum fb_warming * and an int count: distinct warming modes */
    K_GROUP,    /* { ... }: the section sub, over the struct at off */
    K_LIST,     /* ( { ... }, ... ): array of sub's struct, and an int count */
};

enum {
    F_REQUIRED = 1 << 0, /* no default: the file must set it */
    F_MIN_OPEN = 1 << 1, /* the value must be strictly greater than min */
    F_SECRET = 1 << 2,   /* never echoed; written masked */
    F_ALIAS = 1 << 3,    /* shares its field with the key before it: not written or freed */
};

struct choice {
    const char *name;
    int value;
};

/* The choices of an enum of types.h, from its X-macro list. */
#define CHOICE(id, name) {name, id},

struct section;

struct key {
    const char *name;
    enum kind kind;
    unsigned flags;
    const char *def;  /* default, in file syntax, parsed like a value from the file */
    double min, max;  /* numeric range (see F_MIN_OPEN) */
    size_t off, size; /* the field in the section's struct */
    size_t off_n;     /* K_STRINGS, K_WARMINGS, K_LIST: the int count */
    const struct choice *choices; /* K_ENUM, ended by a NULL name */
    const char *what;             /* K_ENUM: what a value is, for messages */
    const struct section *sub;    /* K_GROUP, K_LIST */
    /* Extra check of a string (or of each string of K_STRINGS): 0, or
     * FB_ECONFIG / FB_ENOMEM with the reason in why. */
    int (*check)(const char *value, struct fb_errbuf *why);
    /* Workload keys: the workload types that use it (1 << FB_WORKLOAD_*),
     * 0: every type. The writer leaves a key out where it is not used: a
     * value nothing reads (an experiment built in code may hold 0 there)
     * must not make the written file fail to load. */
    unsigned used_by;
    const char *help;
};

struct loader;

struct section {
    const char *what; /* "node": for messages */
    const struct key *keys;
    int n_keys;
    size_t size;        /* K_LIST element size */
    bool has_line;      /* store the group's source line at off_line */
    size_t off_line;
    const char *unique; /* K_LIST: this string key must differ between elements */
    size_t off_kind;    /* with has_kind: the int whose value keys' used_by test */
    bool has_kind;
    /* Cross-key checks and computed defaults, after every key was parsed.
     * group is NULL when the section is absent from the file. */
    int (*finish)(struct loader *ld, const config_setting_t *group,
                  const config_setting_t *at, const char *path, void *obj);
};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define STEP_AT(s)                                                                  \
    .off = offsetof(struct fb_runtime_cfg, steps) + (size_t)(s) * sizeof(char *),   \
    .size = sizeof(char *)

_Static_assert(sizeof(enum fb_transport_kind) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum fb_metrics_format) == sizeof(int), "enum fields are int-sized");

static int check_name(const char *v, struct fb_errbuf *why);
static int check_image(const char *v, struct fb_errbuf *why);
static int check_command(const char *v, struct fb_errbuf *why);
static int check_handler(const char *v, struct fb_errbuf *why);
static int check_instance_root(const char *v, struct fb_errbuf *why);
static int check_template(const char *v, struct fb_errbuf *why);
static int check_preset(const char *v, struct fb_errbuf *why);
static int check_policy(const char *v, struct fb_errbuf *why);
static int check_keepalive(const char *v, struct fb_errbuf *why);
static int finish_node(struct loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj);
static int finish_runtime(struct loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj);
static int finish_metrics(struct loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj);
static int finish_root(struct loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj);

static const struct choice transports[] = {FB_TRANSPORT_MAP(CHOICE){NULL, 0}};

static const struct key node_keys[] = {
    {.name = "name", .kind = K_STRING, .flags = F_REQUIRED, .check = check_name,
     AT(struct fb_node_cfg, name), .help = "the node's name in records and {node}"},
    {.name = "transport", .kind = K_ENUM, .def = "\"ssh\"", .choices = transports,
     .what = "transport", AT(struct fb_node_cfg, transport),
     .help = "\"ssh\", or \"local\" to run commands on this host"},
    {.name = "host", .kind = K_STRING, AT(struct fb_node_cfg, host),
     .help = "address of the node's sshd"},
    {.name = "port", .kind = K_INT, .def = "22", .min = 1, .max = 65535,
     AT(struct fb_node_cfg, port), .help = "port of the node's sshd"},
    {.name = "user", .kind = K_STRING, AT(struct fb_node_cfg, user),
     .help = "user to log in as"},
    {.name = "identity", .kind = K_PATH, AT(struct fb_node_cfg, identity),
     .help = "private key file"},
    {.name = "password", .kind = K_STRING, .flags = F_SECRET,
     AT(struct fb_node_cfg, password), .help = "password written in the file (discouraged)"},
    {.name = "password_env", .kind = K_ENV, .flags = F_ALIAS,
     AT(struct fb_node_cfg, password), .help = "environment variable holding the password"},
    {.name = "known_hosts", .kind = K_PATH, AT(struct fb_node_cfg, known_hosts),
     .help = "known_hosts file the node's host key is checked against"},
    {.name = "insecure_accept_any_host_key", .kind = K_BOOL, .def = "false",
     AT(struct fb_node_cfg, insecure_accept_any_host_key),
     .help = "skip host key verification"},
    {.name = "memory_mb", .kind = K_INT, .def = "0", .min = 0, .max = 100000000,
     AT(struct fb_node_cfg, memory_mb),
     .help = "memory for keep-alive cells' instances, MB (0: the limit its metrics report)"},
};

static const struct section node_section = {
    .what = "node",
    .keys = node_keys,
    .n_keys = N_OF(node_keys),
    .size = sizeof(struct fb_node_cfg),
    .has_line = true,
    .off_line = offsetof(struct fb_node_cfg, line),
    .unique = "name",
    .finish = finish_node,
};

static const struct key function_keys[] = {
    {.name = "name", .kind = K_STRING, .flags = F_REQUIRED, .check = check_name,
     AT(struct fb_function_cfg, name), .help = "the function's name in records and {function}"},
    {.name = "image", .kind = K_STRING, .flags = F_REQUIRED, .check = check_image,
     AT(struct fb_function_cfg, image), .help = "container image reference"},
    {.name = "command", .kind = K_STRING, .check = check_command,
     AT(struct fb_function_cfg, command),
     .help = "command run in the container (required unless a handler is given)"},
    {.name = "network", .kind = K_BOOL, .def = "true", AT(struct fb_function_cfg, network),
     .help = "false: containers run without a network"},
    {.name = "weight", .kind = K_NUMBER, .def = "1", .min = 0, .max = 1e6, .flags = F_MIN_OPEN,
     AT(struct fb_function_cfg, weight),
     .help = "share of the invocations in closed and poisson workloads"},
    {.name = "handler", .kind = K_STRING, .check = check_handler,
     AT(struct fb_function_cfg, handler),
     .help = "resident entry point MODULE:FUNCTION (Python), loaded once per instance"},
    {.name = "args", .kind = K_STRING, .check = check_command, AT(struct fb_function_cfg, args),
     .help = "words passed at each invocation to the handler (or appended to a resident "
             "command)"},
    {.name = "resident", .kind = K_BOOL, AT(struct fb_function_cfg, resident),
     .help = "serve invocations from resident instances (default: true with a handler)"},
    {.name = "memory_mb", .kind = K_INT, .def = "128", .min = 6, .max = 1048576,
     AT(struct fb_function_cfg, memory_mb),
     .help = "memory limit of one resident instance, in MB"},
    {.name = "timeout_s", .kind = K_MS, .def = "0", .min = 0, .max = 86400,
     AT(struct fb_function_cfg, timeout_ms),
     .help = "seconds one invocation may take (0: timeouts.command_s); a resident "
             "handler past it is killed with its instance"},
    {.name = "work_duration_ms", .kind = K_NUMBER, .def = "0", .min = 0, .max = 86400000,
     AT(struct fb_function_cfg, work_duration_ms),
     .help = "{duration_ms} when the invocation's trace event gives none"},
    {.name = "work_memory_mb", .kind = K_NUMBER, .def = "0", .min = 0, .max = 1048576,
     AT(struct fb_function_cfg, work_memory_mb),
     .help = "{memory_mb} when the invocation's trace event gives none"},
};

static int finish_function(struct loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj);

static const struct section function_section = {
    .what = "function",
    .keys = function_keys,
    .n_keys = N_OF(function_keys),
    .size = sizeof(struct fb_function_cfg),
    .has_line = true,
    .off_line = offsetof(struct fb_function_cfg, line),
    .unique = "name",
    .finish = finish_function,
};

static const struct choice orders[] = {
    {"listed", 0},
    {"shuffled", 1},
    {NULL, 0},
};

static const struct key matrix_keys[] = {
    {.name = "policies", .kind = K_STRINGS,
     .def = "[\"round-robin\", \"least-used\", \"most-used\"]", .check = check_policy,
     AT(struct fb_matrix_cfg, policies), .off_n = offsetof(struct fb_matrix_cfg, n_policies),
     .help = "scheduling policies to compare"},
    {.name = "warming", .kind = K_WARMINGS, .def = "[\"cold\", \"pre-warmed\", \"warmed\"]",
     AT(struct fb_matrix_cfg, warmings), .off_n = offsetof(struct fb_matrix_cfg, n_warmings),
     .help = "warming modes to compare (keep-alive: cold or warm is the outcome)"},
    {.name = "keepalive", .kind = K_STRINGS, .def = "[\"ttl\"]", .check = check_keepalive,
     AT(struct fb_matrix_cfg, keepalive), .off_n = offsetof(struct fb_matrix_cfg, n_keepalive),
     .help = "keep-alive policies each keep-alive cell runs (\"name:key=value\")"},
    {.name = "prepull", .kind = K_BOOL, .def = "false", AT(struct fb_matrix_cfg, prepull),
     .help = "keep-alive cells: pull every image on every node first (starts are pre-warmed)"},
    {.name = "invocations", .kind = K_INT, .def = "1", .min = 1, .max = 1000000,
     AT(struct fb_matrix_cfg, invocations), .help = "invocations per function per cell"},
    {.name = "repetitions", .kind = K_INT, .def = "1", .min = 1, .max = 10000,
     AT(struct fb_matrix_cfg, repetitions), .help = "times the whole matrix runs"},
    {.name = "order", .kind = K_ENUM, .def = "\"listed\"", .choices = orders, .what = "order",
     AT(struct fb_matrix_cfg, shuffle), .help = "\"listed\", or \"shuffled\" with the seed"},
};

static int finish_matrix(struct loader *ld, const config_setting_t *group,
                         const config_setting_t *at, const char *path, void *obj);

static const struct section matrix_section = {
    .what = "matrix",
    .keys = matrix_keys,
    .n_keys = N_OF(matrix_keys),
    .finish = finish_matrix,
};

static const struct key runtime_keys[] = {
    {.name = "preset", .kind = K_STRING, .def = "\"docker\"", .check = check_preset,
     AT(struct fb_runtime_cfg, preset), .help = "\"docker\" or \"podman\""},
    {.name = "pull", .kind = K_STRING, .check = check_template, STEP_AT(FB_STEP_PULL),
     .help = "template: pull an image"},
    {.name = "run", .kind = K_STRING, .check = check_template, STEP_AT(FB_STEP_RUN),
     .help = "template: run a container to completion"},
    {.name = "start", .kind = K_STRING, .check = check_template, STEP_AT(FB_STEP_START),
     .help = "template: start a warm container"},
    {.name = "exec", .kind = K_STRING, .check = check_template, STEP_AT(FB_STEP_EXEC),
     .help = "template: run the command in a warm container"},
    {.name = "remove_image", .kind = K_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_IMAGE), .help = "template: remove an image"},
    {.name = "remove_container", .kind = K_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_CONTAINER), .help = "template: remove a container"},
    {.name = "reset", .kind = K_STRING, .check = check_template, STEP_AT(FB_STEP_RESET),
     .help = "template: remove every faasbench container and image"},
    {.name = "start_instance", .kind = K_STRING, .check = check_template,
     STEP_AT(FB_STEP_START_INSTANCE),
     .help = "template: start a resident instance (its runtime as the main process)"},
    {.name = "remove_instance", .kind = K_STRING, .check = check_template,
     STEP_AT(FB_STEP_REMOVE_INSTANCE), .help = "template: remove a resident instance"},
    {.name = "instance_root", .kind = K_STRING, .def = "\"~/.faasbench/instances\"",
     .check = check_instance_root, AT(struct fb_runtime_cfg, instance_root),
     .help = "node folder holding each resident instance's folder, the node user's own "
             "(absolute, or ~/ for the node user's home)"},
};

static const struct section runtime_section = {
    .what = "runtime",
    .keys = runtime_keys,
    .n_keys = N_OF(runtime_keys),
    .finish = finish_runtime,
};

static const struct choice metrics_formats[] = {FB_METRICS_MAP(CHOICE){NULL, 0}};

/* The metrics and timeouts groups fill fields of the experiment itself. */
static const struct key metrics_keys[] = {
    {.name = "format", .kind = K_ENUM, .def = "\"faasbench-node\"", .choices = metrics_formats,
     .what = "format", AT(struct fb_experiment, metrics_format),
     .help = "\"faasbench-node\", \"testbed\" or \"none\""},
    {.name = "command", .kind = K_STRING, AT(struct fb_experiment, metrics_command),
     .help = "command printing the node's load (default per format)"},
    {.name = "node_timing", .kind = K_BOOL, AT(struct fb_experiment, node_timing),
     .help = "time steps on the node (default: true for faasbench-node)"},
    {.name = "agent", .kind = K_BOOL, AT(struct fb_experiment, agent),
     .help = "ssh nodes: run every command through one long-lived `faasbench-node serve` "
             "channel per session, not one channel each (default: as node_timing)"},
    {.name = "interval_ms", .kind = K_INT, .def = "0", .min = 0, .max = 600000,
     AT(struct fb_experiment, metrics_interval_ms),
     .help = "0: poll the nodes at every selection; else poll in the background this often"},
};

static const struct section metrics_section = {
    .what = "metrics",
    .keys = metrics_keys,
    .n_keys = N_OF(metrics_keys),
    .finish = finish_metrics,
};

static const struct key timeouts_keys[] = {
    {.name = "command_s", .kind = K_MS, .def = "600", .min = 0, .max = 86400,
     .flags = F_MIN_OPEN, AT(struct fb_experiment, command_timeout_ms),
     .help = "seconds one node command may take"},
    {.name = "connect_s", .kind = K_MS, .def = "10", .min = 0, .max = 86400,
     .flags = F_MIN_OPEN, AT(struct fb_experiment, connect_timeout_ms),
     .help = "seconds to open a node session"},
};

static const struct section timeouts_section = {
    .what = "timeouts",
    .keys = timeouts_keys,
    .n_keys = N_OF(timeouts_keys),
};

static const struct choice workload_kinds[] = {FB_WORKLOAD_MAP(CHOICE){NULL, 0}};

static const struct choice trace_formats[] = {FB_TRACE_FORMAT_MAP(CHOICE){NULL, 0}};

static const struct choice spreads[] = {FB_SPREAD_MAP(CHOICE){NULL, 0}};

/* used_by values of the workload keys. */
#define W_CLOSED (1u << FB_WORKLOAD_CLOSED)
#define W_POISSON (1u << FB_WORKLOAD_POISSON)
#define W_TRACE (1u << FB_WORKLOAD_TRACE)

static const struct key workload_keys[] = {
    {.name = "type", .kind = K_ENUM, .def = "\"sequential\"", .choices = workload_kinds,
     .what = "workload", AT(struct fb_workload_cfg, kind),
     .help = "\"sequential\", \"closed\", \"poisson\" or \"trace\""},
    {.name = "clients", .kind = K_INT, .def = "1", .min = 1, .max = 4096,
     AT(struct fb_workload_cfg, clients), .used_by = W_CLOSED | W_POISSON | W_TRACE,
     .help = "closed: concurrent clients; poisson, trace: invocations in flight at most"},
    {.name = "invocations", .kind = K_INT, .def = "0", .min = 0, .max = 100000000,
     AT(struct fb_workload_cfg, invocations), .used_by = W_CLOSED,
     .help = "closed: invocations per cell over all functions (0: matrix.invocations x "
             "functions)"},
    {.name = "duration_s", .kind = K_NUMBER, .def = "0", .min = 0, .max = 1e6,
     AT(struct fb_workload_cfg, duration_s), .used_by = W_CLOSED | W_POISSON,
     .help = "closed, poisson: seconds each cell issues invocations"},
    {.name = "rate", .kind = K_NUMBER, .def = "1", .min = 0, .max = 1e6, .flags = F_MIN_OPEN,
     AT(struct fb_workload_cfg, rate), .used_by = W_POISSON,
     .help = "poisson: arrivals per second"},
    {.name = "per_node", .kind = K_INT, .def = "1", .min = 1, .max = 1024,
     AT(struct fb_workload_cfg, per_node),
     .help = "invocations in flight per node (one ssh session each)"},
    {.name = "trace", .kind = K_PATH, AT(struct fb_workload_cfg, trace), .used_by = W_TRACE,
     .help = "trace: the trace file"},
    {.name = "trace_format", .kind = K_ENUM, .def = "\"azure\"", .choices = trace_formats,
     .what = "trace format", AT(struct fb_workload_cfg, trace_format), .used_by = W_TRACE,
     .help = "\"azure\" (2019 per-minute counts), \"azure2021\" (per invocation) or "
             "\"csv\" (time_s,function[,duration_ms][,memory_mb])"},
    {.name = "spread", .kind = K_ENUM, .def = "\"uniform\"", .choices = spreads,
     .what = "spread", AT(struct fb_workload_cfg, spread), .used_by = W_TRACE,
     .help = "azure traces: a minute's invocations \"uniform\" or \"poisson\" in it"},
    {.name = "time_scale", .kind = K_NUMBER, .def = "1", .min = 0, .max = 1e6,
     .flags = F_MIN_OPEN, AT(struct fb_workload_cfg, time_scale), .used_by = W_TRACE,
     .help = "trace: offsets are multiplied by this (0.5: twice as fast)"},
    {.name = "max_minutes", .kind = K_INT, .def = "0", .min = 0, .max = 1440,
     AT(struct fb_workload_cfg, max_minutes), .used_by = W_TRACE,
     .help = "azure traces: replay only the first N minutes (0: all)"},
    {.name = "durations", .kind = K_PATH, AT(struct fb_workload_cfg, durations),
     .used_by = W_TRACE,
     .help = "azure (2019) traces: function_durations_percentiles file for {duration_ms}"},
    {.name = "memory", .kind = K_PATH, AT(struct fb_workload_cfg, memory), .used_by = W_TRACE,
     .help = "azure (2019) traces: app_memory_percentiles file for {memory_mb}"},
    {.name = "warmup_s", .kind = K_NUMBER, .def = "0", .min = 0, .max = 1e6,
     AT(struct fb_workload_cfg, warmup_s),
     .help = "invocations in a cell's first seconds (workload time) are flagged warmup "
             "and left out of summaries"},
};

static int finish_workload(struct loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj);

static const struct section workload_section = {
    .what = "workload",
    .keys = workload_keys,
    .n_keys = N_OF(workload_keys),
    .off_kind = offsetof(struct fb_workload_cfg, kind),
    .has_kind = true,
    .finish = finish_workload,
};

static const struct choice all_nodes[] = {
    {"all", 0},
    {NULL, 0},
};

static const struct key warm_keys[] = {
    {.name = "nodes", .kind = K_INT, .def = "1", .min = 1, .max = 100000,
     .choices = all_nodes, .off = offsetof(struct fb_experiment, warm_nodes),
     .size = sizeof(int), .help = "nodes prepared per function in warm cells, or \"all\""},
};

static const struct section warm_section = {
    .what = "warm",
    .keys = warm_keys,
    .n_keys = N_OF(warm_keys),
};

static const struct key root_keys[] = {
    {.name = "name", .kind = K_STRING, .check = check_name, AT(struct fb_experiment, name),
     .help = "experiment name (default: the file name without .cfg)"},
    {.name = "nodes", .kind = K_LIST, .flags = F_REQUIRED, .sub = &node_section,
     AT(struct fb_experiment, nodes), .off_n = offsetof(struct fb_experiment, n_nodes),
     .help = "execution nodes: ( { name = ...; host = ...; ... } )"},
    {.name = "functions", .kind = K_LIST, .flags = F_REQUIRED, .sub = &function_section,
     AT(struct fb_experiment, functions), .off_n = offsetof(struct fb_experiment, n_functions),
     .help = "functions: ( { name = ...; image = ...; command = ...; } )"},
    {.name = "matrix", .kind = K_GROUP, .sub = &matrix_section,
     AT(struct fb_experiment, matrix), .help = "what is compared, and how often"},
    {.name = "runtime", .kind = K_GROUP, .sub = &runtime_section,
     AT(struct fb_experiment, runtime), .help = "container runtime preset and step templates"},
    {.name = "ram_threshold", .kind = K_NUMBER, .def = "90", .min = 0, .max = 100,
     .flags = F_MIN_OPEN, AT(struct fb_experiment, ram_threshold),
     .help = "RAM percent at or above which a node is skipped"},
    {.name = "metrics", .kind = K_GROUP, .sub = &metrics_section, .off = 0,
     .help = "how nodes report their load"},
    {.name = "results", .kind = K_STRING, .def = "\"results\"",
     AT(struct fb_experiment, results_dir), .help = "folder that receives run folders"},
    {.name = "seed", .kind = K_UINT64, .def = "1", .min = 0, AT(struct fb_experiment, seed),
     .help = "seed of the shuffled order and of random choices (above 2147483647: add L)"},
    {.name = "timeouts", .kind = K_GROUP, .sub = &timeouts_section, .off = 0,
     .help = "command and connection timeouts"},
    {.name = "workload", .kind = K_GROUP, .sub = &workload_section,
     AT(struct fb_experiment, workload), .help = "how invocations are issued in a cell"},
    {.name = "warm", .kind = K_GROUP, .sub = &warm_section, .off = 0,
     .help = "how many nodes get a function's image or warm container"},
    {.name = "retries", .kind = K_INT, .def = "1", .min = 0, .max = 10,
     AT(struct fb_experiment, retries),
     .help = "retries of an invocation on another node after a node failure"},
};

static const struct section root_section = {
    .what = "experiment",
    .keys = root_keys,
    .n_keys = N_OF(root_keys),
    .finish = finish_root,
};

/* ---- messages ---- */

struct loader {
    const char *path;                /* the file as given */
    char *dir;                       /* its directory: where includes are found */
    struct fb_errbuf *eb;            /* the first error */
    struct fb_config_errors *errs;   /* every error kept, or NULL */
    int n_errors;                    /* configuration errors found so far */
    bool stop;                       /* more than FB_CONFIG_MAX_ERRORS: give up */
    const config_setting_t *dflt_at; /* set while parsing a default: where it applies */
    bool defaults_only;              /* fb_config_defaults: required keys stay unset */
};

/* The name to show for a file libconfig recorded: included files are recorded
 * relative to the include directory. */
static void shown_file(const struct loader *ld, const char *raw, char *buf, size_t n)
{
    if (raw == NULL || strcmp(raw, ld->path) == 0 || raw[0] == '/' ||
        strcmp(ld->dir, ".") == 0)
        snprintf(buf, n, "%s", raw != NULL ? raw : ld->path);
    else
        snprintf(buf, n, "%s/%s", ld->dir, raw);
}

/* Where a message about setting s points: the setting, or while a default is
 * parsed, the group the default applies to. */
static const config_setting_t *pos(const struct loader *ld, const config_setting_t *s)
{
    return ld->dflt_at != NULL ? ld->dflt_at : s;
}

static unsigned line_of(const config_setting_t *s)
{
    unsigned line = config_setting_source_line(s);
    return line > 0 ? line : 1;
}

static void vmessage(const struct loader *ld, const config_setting_t *s, const char *key,
                     char *out, size_t n, const char *fmt, va_list ap)
{
    char file[PATH_MAX];
    int len;
    s = pos(ld, s);
    shown_file(ld, config_setting_source_file(s), file, sizeof(file));
    len = snprintf(out, n, "%s:%u: %s: ", file, line_of(s), key);
    if (len >= 0 && (size_t)len < n)
        vsnprintf(out + len, n - (size_t)len, fmt, ap);
}

/* Keeps one configuration error, as a compiler does: the first goes to eb,
 * each to the list; one past FB_CONFIG_MAX_ERRORS stops the loader. */
static int record(struct loader *ld, const char *text)
{
    if (ld->n_errors == 0)
        fb_errf(ld->eb, FB_ECONFIG, "%s", text);
    if (ld->n_errors < FB_CONFIG_MAX_ERRORS) {
        if (ld->errs != NULL) /* made safe for a terminal, as eb's is */
            fb_text_safe(text, strlen(text), ld->errs->msg[ld->errs->n++], FB_ERRMSG_LEN);
    } else {
        ld->stop = true;
        if (ld->errs != NULL)
            ld->errs->more = true;
    }
    ld->n_errors++;
    return FB_ECONFIG;
}

/* After a step failed with rc: true when loading goes on with the next key
 * or element (a configuration error, already kept), false when it must stop
 * (out of memory, or too many errors). */
static bool go_on(const struct loader *ld, int rc)
{
    return rc == FB_ECONFIG && !ld->stop;
}

__attribute__((format(printf, 4, 5)))
static int fail(struct loader *ld, const config_setting_t *s, const char *key,
                const char *fmt, ...)
{
    char text[FB_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vmessage(ld, s, key, text, sizeof(text), fmt, ap);
    va_end(ap);
    return record(ld, text);
}

__attribute__((format(printf, 4, 5)))
static void warn(struct loader *ld, const config_setting_t *s, const char *key,
                 const char *fmt, ...)
{
    char text[FB_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vmessage(ld, s, key, text, sizeof(text), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", text);
}

static int nomem(struct loader *ld)
{
    return fb_errf(ld->eb, FB_ENOMEM, "%s: out of memory", ld->path);
}

/* Edit distance, or INT_MAX for words too long to compare. */
static int distance(const char *a, const char *b)
{
    enum { MAXW = 64 };
    int row[MAXW + 1], la = (int)strlen(a), lb = (int)strlen(b);
    if (la > MAXW || lb > MAXW)
        return INT_MAX;
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate nearest to word within edit distance 2, or NULL. */
static const char *nearest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 3;
    for (int i = 0; i < n; i++) {
        int d = distance(word, cands[i]);
        if (d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

/* "(did you mean 'x'?)" when a candidate is close, else "(known: a, b, c)". */
static void hint(const char *word, const char *const *cands, int n, char *buf, size_t size)
{
    const char *near = nearest(word, cands, n);
    size_t len;
    if (near != NULL) {
        snprintf(buf, size, "(did you mean '%s'?)", near);
        return;
    }
    len = (size_t)snprintf(buf, size, "(known:");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %s", i > 0 ? "," : "", cands[i]);
    if (len < size)
        snprintf(buf + len, size - len, ")");
}

/* ---- checks of single values ---- */

#define MAX_CANDS 32

static int check_name(const char *v, struct fb_errbuf *why)
{
    if (fb_name_valid(v))
        return 0;
    return fb_errf(why, FB_ECONFIG,
                   "invalid name '%s' (1 to 64 of A-Z a-z 0-9 _ . -)", v);
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
    static const char *const presets[] = {"docker", "podman"};
    const char *known[N_OF(presets)];
    char h[256];
    int n = 0;
    if (fb_runtime_preset_known(v))
        return 0;
    for (int i = 0; i < N_OF(presets); i++)
        if (fb_runtime_preset_known(presets[i]))
            known[n++] = presets[i];
    hint(v, known, n, h, sizeof(h));
    return fb_errf(why, FB_ECONFIG, "unknown preset '%s' %s", v, h);
}

/* A policy, NAME or NAME:KEY=VALUE,...: a known name, then parameters its
 * table knows, in range. An unknown name is looked up by itself, so
 * "ch-bll:epsilon=0.5" still gets its "did you mean". */
static int check_policy(const char *v, struct fb_errbuf *why)
{
    const char *known[MAX_CANDS];
    const struct fb_policy *p;
    struct fb_plugspec spec;
    struct fb_errbuf eb = {{0}};
    char h[256], name[64];
    int n = 0;
    if (fb_policy_find_spec(v, &spec, &eb) != NULL)
        return 0;
    if (v[0] == ':')
        return fb_errf(why, FB_ECONFIG, "'%s': no policy name before ':'", v);
    if (fb_plugspec_name(v, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "%s", v); /* too long to be one: as written */
    else if (fb_policy_find(name) != NULL)
        return fb_errf(why, FB_ECONFIG, "%s", eb.msg); /* a parameter is wrong */
    while (n < MAX_CANDS && (p = fb_policy_at(n)) != NULL) {
        known[n] = p->name;
        n++;
    }
    hint(name, known, n, h, sizeof(h));
    return fb_errf(why, FB_ECONFIG, "unknown policy '%s' %s", name, h);
}

static int check_keepalive(const char *v, struct fb_errbuf *why)
{
    const char *known[MAX_CANDS];
    const struct fb_keepalive *k;
    struct fb_plugspec spec;
    struct fb_errbuf eb = {{0}};
    char h[256], name[64];
    int n = 0;

    if (fb_keepalive_find_spec(v, &spec, &eb) != NULL)
        return 0;
    if (fb_plugspec_name(v, name, sizeof(name)) == 0 && fb_keepalive_find(name) != NULL)
        return fb_errf(why, FB_ECONFIG, "%s", eb.msg); /* a parameter is wrong */
    while (n < MAX_CANDS && (k = fb_keepalive_at(n)) != NULL) {
        known[n] = k->name;
        n++;
    }
    hint(fb_plugspec_name(v, name, sizeof(name)) == 0 ? name : v, known, n, h, sizeof(h));
    return fb_errf(why, FB_ECONFIG, "unknown keep-alive policy '%s' %s", v, h);
}

/* ---- parsing ---- */

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "nothing";
    }
}

static const char *expected_name(enum kind k)
{
    switch (k) {
    case K_INT:
    case K_UINT64:
        return "an integer";
    case K_NUMBER:
    case K_MS:
        return "a number";
    case K_BOOL:
        return "true or false";
    case K_STRINGS:
    case K_WARMINGS:
        return "an array of strings [ \"...\", ... ]";
    case K_GROUP:
        return "a group { ... }";
    case K_LIST:
        return "a list of groups ( { ... }, ... )";
    default:
        return "a string";
    }
}

static bool type_fits(const struct key *key, const config_setting_t *s)
{
    enum kind k = key->kind;
    int t = config_setting_type(s);
    if (k == K_INT && key->choices != NULL && t == CONFIG_TYPE_STRING)
        return true;
    switch (k) {
    case K_INT:
    case K_UINT64:
        return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
    case K_NUMBER:
    case K_MS:
        return config_setting_is_number(s);
    case K_BOOL:
        return t == CONFIG_TYPE_BOOL;
    case K_STRINGS:
    case K_WARMINGS:
        return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
    case K_GROUP:
        return t == CONFIG_TYPE_GROUP;
    case K_LIST:
        return t == CONFIG_TYPE_LIST;
    default:
        return t == CONFIG_TYPE_STRING;
    }
}

static void put_enum(void *p, size_t size, int v)
{
    if (size == sizeof(bool)) {
        bool b = v != 0;
        memcpy(p, &b, sizeof(b));
    } else {
        memcpy(p, &v, sizeof(v));
    }
}

static int get_enum(const void *p, size_t size)
{
    if (size == sizeof(bool)) {
        bool b;
        memcpy(&b, p, sizeof(b));
        return b;
    }
    int v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Replaces the string in *slot (a secret is wiped first). */
static void put_string(char **slot, char *v, bool secret)
{
    if (*slot != NULL && secret)
        explicit_bzero(*slot, strlen(*slot));
    free(*slot);
    *slot = v;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Secrets taken out of the environment (password_env): each variable is
 * removed once read, so no child of this process (a local transport's
 * command, the plot script) inherits it. Its value stays here, so a later
 * load in this process that names it again (the run's saved
 * experiment.cfg, a second node with the same variable) still finds it.
 * Kept for the process's lifetime. */
struct taken_env {
    struct taken_env *next;
    char *name;
    char *value;
};
static struct taken_env *taken_envs;
static pthread_mutex_t taken_lock = PTHREAD_MUTEX_INITIALIZER;

/* Keeps value as the one taken for name (a copy). False when out of memory. */
static bool taken_env_keep(struct taken_env **slot, const char *name, const char *value)
{
    struct taken_env *t = *slot;
    char *v = strdup(value);

    if (v == NULL)
        return false;
    if (t == NULL) {
        if ((t = calloc(1, sizeof(*t))) == NULL || (t->name = strdup(name)) == NULL) {
            free(t);
            free(v);
            return false;
        }
        t->next = taken_envs;
        taken_envs = t;
        *slot = t;
    }
    put_string(&t->value, v, true);
    return true;
}

/* The value of variable name (a copy, caller frees): from the environment,
 * which it then leaves, or as taken from it before. NULL when unset, or
 * with *nomem set when out of memory. An empty value is left in place (it
 * is refused anyway). */
static char *take_env(const char *name, bool *nomem)
{
    struct taken_env *t;
    const char *env, *v;
    char *copy = NULL;

    *nomem = false;
    pthread_mutex_lock(&taken_lock);
    for (t = taken_envs; t != NULL && strcmp(t->name, name) != 0; t = t->next) {
    }
    env = getenv(name);
    v = env != NULL ? env : t != NULL ? t->value : NULL;
    if (v != NULL && (copy = strdup(v)) == NULL)
        *nomem = true;
    if (copy != NULL && env != NULL && env[0] != '\0') {
        if (taken_env_keep(&t, name, env)) {
            unsetenv(name);
        } else {
            put_string(&copy, NULL, true);
            *nomem = true;
        }
    }
    pthread_mutex_unlock(&taken_lock);
    return copy;
}

/* value as written in the file holding s, made absolute. */
static int resolve_path(struct loader *ld, const config_setting_t *s, const char *key,
                        const char *value, char **out)
{
    char file[PATH_MAX];
    char *dir = NULL, *real = NULL;
    int rc = 0;

    *out = NULL;
    if (value[0] == '/') {
        *out = strdup(value);
    } else {
        shown_file(ld, config_setting_source_file(pos(ld, s)), file, sizeof(file));
        if ((dir = dir_of(file)) == NULL) {
            rc = nomem(ld);
            goto out;
        }
        if ((real = realpath(dir, NULL)) == NULL) {
            rc = fail(ld, s, key, "cannot resolve '%s': %s", dir, strerror(errno));
            goto out;
        }
        size_t n = strlen(real) + 1 + strlen(value) + 1;
        if ((*out = malloc(n)) != NULL)
            snprintf(*out, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", value);
    }
    if (*out == NULL)
        rc = nomem(ld);
out:
    free(dir);
    free(real);
    return rc;
}

static int check_range(struct loader *ld, const struct key *k, const config_setting_t *s,
                       const char *key, double v)
{
    bool low = (k->flags & F_MIN_OPEN) ? v <= k->min : v < k->min;
    if (low)
        return fail(ld, s, key, "must be %s %g (got %g)",
                    (k->flags & F_MIN_OPEN) ? ">" : ">=", k->min, v);
    if (k->max > k->min && v > k->max)
        return fail(ld, s, key, "must be <= %g (got %g)", k->max, v);
    return 0;
}

static int parse_section(struct loader *ld, const struct section *sec,
                         const config_setting_t *group, const config_setting_t *at,
                         const char *path, void *obj);

static int parse_strings(struct loader *ld, const struct key *k, const config_setting_t *val,
                         const char *key, char *obj)
{
    int n = config_setting_length(val), before = ld->n_errors, rc = 0;
    char **arr = NULL;
    enum fb_warming *modes = NULL;
    char ekey[256];
    struct fb_errbuf why = {{0}};

    if (n == 0)
        return fail(ld, val, key, "must not be empty");
    if (k->kind == K_STRINGS) {
        if ((arr = calloc((size_t)n, sizeof(*arr))) == NULL)
            return nomem(ld);
        memcpy(obj + k->off, &arr, sizeof(arr));
    } else {
        if ((modes = calloc((size_t)n, sizeof(*modes))) == NULL)
            return nomem(ld);
        memcpy(obj + k->off, &modes, sizeof(modes));
    }
    memcpy(obj + k->off_n, &n, sizeof(n));

    /* Each element's error is kept and the next one looked at. */
    for (int i = 0; i < n && (rc == 0 || go_on(ld, rc)); i++) {
        const config_setting_t *e = config_setting_get_elem(val, (unsigned)i);
        const char *v;
        int j;
        snprintf(ekey, sizeof(ekey), "%s[%d]", key, i);
        rc = 0;
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            rc = fail(ld, e, ekey, "expected a string (got %s)", type_name(e));
            continue;
        }
        v = config_setting_get_string(e);
        if (v[0] == '\0') {
            rc = fail(ld, e, ekey, "must not be empty");
            continue;
        }
        for (j = 0; j < i; j++) {
            const char *w = config_setting_get_string_elem(val, j);
            if (w != NULL && strcmp(w, v) == 0)
                break;
        }
        if (j < i) {
            rc = fail(ld, e, ekey, "duplicate entry '%s' (first at [%d])", v, j);
            continue;
        }
        if (k->kind == K_STRINGS) {
            if (k->check != NULL && (rc = k->check(v, &why)) < 0) {
                rc = rc == FB_ENOMEM ? nomem(ld) : fail(ld, e, ekey, "%s", why.msg);
                continue;
            }
            if ((arr[i] = strdup(v)) == NULL)
                rc = nomem(ld);
        } else if (fb_warming_parse(v, &modes[i]) < 0) {
            const char *names[FB_WARM_N];
            char h[256];
            for (int w = 0; w < FB_WARM_N; w++)
                names[w] = fb_warming_name((enum fb_warming)w);
            hint(v, names, FB_WARM_N, h, sizeof(h));
            rc = fail(ld, e, ekey, "unknown warming mode '%s' %s", v, h);
        }
    }
    if (rc < 0 && !go_on(ld, rc))
        return rc;
    return ld->n_errors > before ? FB_ECONFIG : 0;
}

/* One element's value of a list's unique key, and its index. */
struct unique_entry {
    const char *value;
    int index;
};

static int unique_cmp(const void *a, const void *b)
{
    const struct unique_entry *x = a, *y = b;
    int c = strcmp(x->value, y->value);
    return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* A repeat of a list's unique value: element dup, first held by element first. */
struct unique_repeat {
    int dup, first;
};

static int repeat_cmp(const void *a, const void *b)
{
    const struct unique_repeat *x = a, *y = b;
    return (x->dup > y->dup) - (x->dup < y->dup);
}

/* The elements of list val (parsed into arr, n of them) whose unique key
 * uk repeats an earlier one's: sorted, so 100,000 nodes take n log n, not
 * n^2. Each repeat is reported, in list order, with the first element
 * holding its value. */
static int check_unique(struct loader *ld, const struct key *k, const struct key *uk,
                        const config_setting_t *val, const char *key, const char *arr, int n)
{
    const struct section *sub = k->sub;
    struct unique_entry *e = malloc((size_t)(n > 0 ? n : 1) * sizeof(*e));
    struct unique_repeat *rep = NULL;
    int m = 0, n_rep = 0, rc = 0;

    if (e == NULL)
        return nomem(ld);
    for (int i = 0; i < n; i++) {
        const char *v = *(char *const *)(arr + (size_t)i * sub->size + uk->off);
        if (v != NULL)
            e[m++] = (struct unique_entry){v, i};
    }
    qsort(e, (size_t)m, sizeof(*e), unique_cmp);
    for (int i = 1; i < m; i++)
        n_rep += strcmp(e[i].value, e[i - 1].value) == 0;
    if (n_rep > 0 && (rep = malloc((size_t)n_rep * sizeof(*rep))) == NULL) {
        free(e);
        return nomem(ld);
    }
    n_rep = 0;
    /* In each run of equal values, sorted by index, the first holds it. */
    for (int g = 0, end; g < m; g = end) {
        for (end = g + 1; end < m && strcmp(e[end].value, e[g].value) == 0; end++)
            rep[n_rep++] = (struct unique_repeat){e[end].index, e[g].index};
    }
    free(e);
    if (n_rep > 0)
        qsort(rep, (size_t)n_rep, sizeof(*rep), repeat_cmp);

    for (int r = 0; r < n_rep && (rc == 0 || go_on(ld, rc)); r++) {
        const config_setting_t *si = config_setting_get_member(
            config_setting_get_elem(val, (unsigned)rep[r].dup), uk->name);
        const config_setting_t *sj = config_setting_get_member(
            config_setting_get_elem(val, (unsigned)rep[r].first), uk->name);
        char fi[PATH_MAX], fj[PATH_MAX], where[PATH_MAX + 32], ekey[256];
        shown_file(ld, config_setting_source_file(si), fi, sizeof(fi));
        shown_file(ld, config_setting_source_file(sj), fj, sizeof(fj));
        if (strcmp(fi, fj) == 0)
            snprintf(where, sizeof(where), "line %u", line_of(sj));
        else
            snprintf(where, sizeof(where), "%s:%u", fj, line_of(sj));
        snprintf(ekey, sizeof(ekey), "%s[%d].%s", key, rep[r].dup, uk->name);
        rc = fail(ld, si, ekey, "duplicate %s %s '%s' (first at %s)", sub->what, uk->name,
                  *(char *const *)(arr + (size_t)rep[r].dup * sub->size + uk->off), where);
    }
    free(rep);
    return rc;
}

/* The group's elements become an array of sub's struct. An element's
 * errors are kept and the next element parsed. */
static int parse_list(struct loader *ld, const struct key *k, const config_setting_t *val,
                      const char *key, char *obj)
{
    const struct section *sub = k->sub;
    int n = config_setting_length(val), rc = 0, before = ld->n_errors;
    char ekey[256], *arr;
    const struct key *uk = NULL;

    if (n == 0)
        return fail(ld, val, key, "must not be empty");
    if ((arr = calloc((size_t)n, sub->size)) == NULL)
        return nomem(ld);
    memcpy(obj + k->off, &arr, sizeof(arr));
    memcpy(obj + k->off_n, &n, sizeof(n));
    for (int i = 0; i < n && (rc == 0 || go_on(ld, rc)); i++) {
        const config_setting_t *e = config_setting_get_elem(val, (unsigned)i);
        snprintf(ekey, sizeof(ekey), "%s[%d]", key, i);
        if (!config_setting_is_group(e))
            rc = fail(ld, e, ekey, "expected a group { ... } (got %s)", type_name(e));
        else
            rc = parse_section(ld, sub, e, e, ekey, arr + (size_t)i * sub->size);
    }
    if (rc < 0 && !go_on(ld, rc))
        return rc;

    for (int i = 0; sub->unique != NULL && i < sub->n_keys; i++)
        if (strcmp(sub->keys[i].name, sub->unique) == 0)
            uk = &sub->keys[i];
    if (uk != NULL && (rc = check_unique(ld, k, uk, val, key, arr, n)) < 0 && !go_on(ld, rc))
        return rc;
    return ld->n_errors > before ? FB_ECONFIG : 0;
}

/* Parses val for key k into obj's field; at is where val sits (or, for a
 * default, the group it applies to). */
static int parse_value(struct loader *ld, const struct key *k, const config_setting_t *val,
                       const char *key, char *obj)
{
    char *p = obj + k->off, *copy = NULL;
    const char *s = NULL;
    struct fb_errbuf why = {{0}};
    int rc = 0;

    if (!type_fits(k, val))
        return fail(ld, val, key, "expected %s (got %s)", expected_name(k->kind),
                    type_name(val));

    switch (k->kind) {
    case K_STRING:
    case K_PATH:
    case K_ENV:
    case K_ENUM:
        s = config_setting_get_string(val);
        if (s[0] == '\0')
            return fail(ld, val, key, "must not be empty");
        break;
    default:
        break;
    }

    switch (k->kind) {
    case K_STRING:
        if (k->check != NULL && (rc = k->check(s, &why)) < 0)
            return rc == FB_ENOMEM ? nomem(ld) : fail(ld, val, key, "%s", why.msg);
        if ((copy = strdup(s)) == NULL)
            return nomem(ld);
        put_string((char **)p, copy, k->flags & F_SECRET);
        return 0;
    case K_PATH:
        if ((rc = resolve_path(ld, val, key, s, &copy)) < 0)
            return rc;
        if (access(copy, R_OK) != 0) {
            rc = fail(ld, val, key, "cannot read '%s': %s", copy, strerror(errno));
            free(copy);
            return rc;
        }
        put_string((char **)p, copy, false);
        return 0;
    case K_ENV: {
        bool oom;
        if ((copy = take_env(s, &oom)) == NULL)
            return oom ? nomem(ld)
                       : fail(ld, val, key, "environment variable '%s' is not set", s);
        if (copy[0] == '\0') {
            free(copy);
            return fail(ld, val, key, "environment variable '%s' is empty", s);
        }
        put_string((char **)p, copy, true);
        return 0;
    }
    case K_ENUM: {
        const char *names[MAX_CANDS];
        char h[256];
        int n = 0;
        for (; k->choices[n].name != NULL && n < MAX_CANDS; n++) {
            names[n] = k->choices[n].name;
            if (strcmp(names[n], s) == 0) {
                put_enum(p, k->size, k->choices[n].value);
                return 0;
            }
        }
        hint(s, names, n, h, sizeof(h));
        return fail(ld, val, key, "unknown %s '%s' %s", k->what, s, h);
    }
    case K_INT: {
        if (config_setting_type(val) == CONFIG_TYPE_STRING) {
            /* A named value, e.g. nodes = "all". */
            s = config_setting_get_string(val);
            for (int n = 0; k->choices[n].name != NULL; n++)
                if (strcmp(k->choices[n].name, s) == 0) {
                    *(int *)p = k->choices[n].value;
                    return 0;
                }
            return fail(ld, val, key, "expected an integer or \"%s\" (got '%s')",
                        k->choices[0].name, s);
        }
        long long v = config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, (double)v)) < 0)
            return rc;
        *(int *)p = (int)v;
        return 0;
    }
    case K_UINT64: {
        long long v = config_setting_get_int64(val);
        if (v < (long long)k->min)
            return fail(ld, val, key, "must be >= %g (got %lld)", k->min, v);
        *(uint64_t *)p = (uint64_t)v;
        return 0;
    }
    case K_NUMBER: {
        double v = config_setting_get_float(val);
        if (config_setting_type(val) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, v)) < 0)
            return rc;
        *(double *)p = v;
        return 0;
    }
    case K_MS: {
        double v = config_setting_get_float(val);
        if (config_setting_type(val) != CONFIG_TYPE_FLOAT)
            v = (double)config_setting_get_int64(val);
        if ((rc = check_range(ld, k, val, key, v)) < 0)
            return rc;
        long ms = lround(v * 1000.0);
        /* 0 itself may mean "none" (min 0, closed); anything else is >= 1 ms. */
        bool zero_ok = k->min == 0 && !(k->flags & F_MIN_OPEN) && v == 0;
        if (ms < 1 && !zero_ok)
            return fail(ld, val, key, "must be at least 0.001 s (got %g)", v);
        *(int *)p = (int)ms;
        return 0;
    }
    case K_BOOL:
        *(bool *)p = config_setting_get_bool(val) != 0;
        return 0;
    case K_STRINGS:
    case K_WARMINGS:
        return parse_strings(ld, k, val, key, obj);
    case K_GROUP:
        return parse_section(ld, k->sub, val, val, key, p);
    case K_LIST:
        return parse_list(ld, k, val, key, obj);
    }
    return 0;
}

/* A default goes through parse_value like a value from the file. */
static int parse_default(struct loader *ld, const struct key *k, const config_setting_t *at,
                         const char *key, char *obj)
{
    config_t d;
    char text[512];
    int rc;

    config_init(&d);
    snprintf(text, sizeof(text), "v = %s;", k->def);
    if (!config_read_string(&d, text)) {
        rc = fail(ld, at, key, "internal error: bad default %s: %s", k->def,
                  config_error_text(&d));
    } else {
        ld->dflt_at = at;
        rc = parse_value(ld, k, config_lookup(&d, "v"), key, obj);
        ld->dflt_at = NULL;
    }
    config_destroy(&d);
    return rc;
}

static void child_key(char *buf, size_t n, const char *path, const char *name)
{
    snprintf(buf, n, "%s%s%s", path, path[0] != '\0' ? "." : "", name);
}

static int parse_section(struct loader *ld, const struct section *sec,
                         const config_setting_t *group, const config_setting_t *at,
                         const char *path, void *obj)
{
    char key[256];
    int rc = 0, before = ld->n_errors, n = group != NULL ? config_setting_length(group) : 0;
    uint64_t suggested = 0; /* keys an unknown key was taken for: not "missing" too */

    /* In file order, so errors come as the file holds them; each key's error
     * is kept and the next key parsed. */
    for (int i = 0; i < n && (rc == 0 || go_on(ld, rc)); i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(m);
        const struct key *k = NULL;
        for (int j = 0; j < sec->n_keys && k == NULL; j++)
            if (strcmp(sec->keys[j].name, name) == 0)
                k = &sec->keys[j];
        child_key(key, sizeof(key), path, name);
        if (k == NULL) {
            const char *names[MAX_CANDS];
            char h[512];
            for (int j = 0; j < sec->n_keys && j < MAX_CANDS; j++)
                names[j] = sec->keys[j].name;
            hint(name, names, sec->n_keys < MAX_CANDS ? sec->n_keys : MAX_CANDS, h,
                 sizeof(h));
            rc = fail(ld, m, key, "unknown key %s", h);
            const char *near =
                nearest(name, names, sec->n_keys < MAX_CANDS ? sec->n_keys : MAX_CANDS);
            for (int j = 0; near != NULL && j < sec->n_keys && j < 64; j++)
                if (sec->keys[j].name == near)
                    suggested |= UINT64_C(1) << j;
            continue;
        }
        rc = parse_value(ld, k, m, key, obj);
    }

    for (int j = 0; j < sec->n_keys && (rc == 0 || go_on(ld, rc)); j++) {
        const struct key *k = &sec->keys[j];
        if (group != NULL && config_setting_get_member(group, k->name) != NULL)
            continue;
        child_key(key, sizeof(key), path, k->name);
        if ((k->flags & F_REQUIRED) && ld->defaults_only)
            rc = 0; /* fb_config_defaults: left unset */
        else if ((k->flags & F_REQUIRED) && j < 64 && (suggested >> j & 1))
            rc = 0; /* "did you mean" already named it */
        else if (k->flags & F_REQUIRED)
            rc = fail(ld, at, key, "missing required key (%s)", k->help);
        else if (k->def != NULL)
            rc = parse_default(ld, k, at, key, obj);
        else if (k->kind == K_GROUP)
            rc = parse_section(ld, k->sub, NULL, at, key, (char *)obj + k->off);
        else
            rc = 0;
    }
    if (rc < 0 && !go_on(ld, rc))
        return rc;

    if (sec->has_line)
        *(int *)((char *)obj + sec->off_line) = (int)line_of(at);
    /* The cross-key checks need every key of the section valid: after an
     * error they would only report its consequences. */
    if (ld->n_errors > before)
        return FB_ECONFIG;
    return sec->finish != NULL ? sec->finish(ld, group, at, path, obj) : 0;
}

/* ---- cross-key checks and computed defaults ---- */

/* The member called name, else fallback: where a message about it points. */
static const config_setting_t *member_or(const config_setting_t *group, const char *name,
                                         const config_setting_t *fallback)
{
    const config_setting_t *m = group != NULL ? config_setting_get_member(group, name) : NULL;
    return m != NULL ? m : fallback;
}

static int finish_function(struct loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj)
{
    struct fb_function_cfg *fn = obj;
    char key[256];

    if (ld->defaults_only)
        return 0;
    if (member_or(group, "resident", NULL) == NULL)
        fn->resident = fn->handler != NULL;
    if (fn->command == NULL && fn->handler == NULL) {
        child_key(key, sizeof(key), path, "command");
        return fail(ld, at, key, "missing required key (command run in the container, "
                                 "or a handler)");
    }
    if (fn->command == NULL && !fn->resident) {
        child_key(key, sizeof(key), path, "command");
        return fail(ld, member_or(group, "resident", at), key,
                    "missing: a function that is not resident runs its command");
    }
    if (fn->args != NULL && !fn->resident) {
        child_key(key, sizeof(key), path, "args");
        return fail(ld, member_or(group, "args", at), key,
                    "only a resident function takes args (a command carries its own words)");
    }
    if (fn->resident && fn->handler == NULL && fb_work_used(fn->command)) {
        child_key(key, sizeof(key), path, "command");
        return fail(ld, member_or(group, "command", at), key,
                    "a resident instance's command is fixed when it starts: {duration_ms} "
                    "and {memory_mb} go in args (appended at each call), or resident = false");
    }
    return 0;
}

static int finish_node(struct loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    struct fb_node_cfg *n = obj;
    const config_setting_t *pw = member_or(group, "password", NULL);
    const config_setting_t *pw_env = member_or(group, "password_env", NULL);
    const config_setting_t *insecure = member_or(group, "insecure_accept_any_host_key", NULL);
    char key[256];

    if (pw != NULL && pw_env != NULL) {
        child_key(key, sizeof(key), path, "password_env");
        return fail(ld, pw_env, key, "cannot be used together with password");
    }
    if (pw_env != NULL && (n->password_env = strdup(config_setting_get_string(pw_env))) == NULL)
        return nomem(ld);
    if (n->transport == FB_TRANSPORT_SSH) {
        static const char *const needed[] = {"host", "user"};
        for (int i = 0; i < N_OF(needed); i++) {
            const char *v = i == 0 ? n->host : n->user;
            if (v != NULL)
                continue;
            child_key(key, sizeof(key), path, needed[i]);
            return fail(ld, at, key, "missing (required for transport 'ssh')");
        }
        if (n->identity == NULL && n->password == NULL) {
            child_key(key, sizeof(key), path, "identity");
            return fail(ld, at, key,
                        "missing: set identity, password_env or password "
                        "(required for transport 'ssh')");
        }
        if (n->known_hosts == NULL && !n->insecure_accept_any_host_key) {
            child_key(key, sizeof(key), path, "known_hosts");
            return fail(ld, at, key,
                        "missing: host keys must be verified; set known_hosts "
                        "(or insecure_accept_any_host_key = true)");
        }
    }
    if (pw != NULL) {
        child_key(key, sizeof(key), path, "password");
        warn(ld, pw, key, "warning: password written in the file; prefer password_env");
    }
    if (n->insecure_accept_any_host_key && insecure != NULL) {
        child_key(key, sizeof(key), path, "insecure_accept_any_host_key");
        warn(ld, insecure, key, "warning: the host key of '%s' is not verified", n->name);
    }
    return 0;
}

static int finish_runtime(struct loader *ld, const config_setting_t *group,
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
            child_key(key, sizeof(key), path, fb_step_name((enum fb_step)s));
            return fail(ld, at, key, "preset '%s' has no template for this step",
                        rt->preset);
        }
        if ((rt->steps[s] = strdup(t)) == NULL)
            return nomem(ld);
    }
    return 0;
}

static int finish_metrics(struct loader *ld, const config_setting_t *group,
                          const config_setting_t *at, const char *path, void *obj)
{
    struct fb_experiment *exp = obj;
    char key[256];

    if (exp->metrics_format == FB_METRICS_NONE && exp->metrics_command != NULL) {
        child_key(key, sizeof(key), path, "command");
        return fail(ld, member_or(group, "command", at), key,
                    "not used with format 'none'");
    }
    if (exp->metrics_command == NULL) {
        const char *c = fb_metrics_default_command(exp->metrics_format);
        if (c != NULL && (exp->metrics_command = strdup(c)) == NULL)
            return nomem(ld);
    }
    if (member_or(group, "node_timing", NULL) == NULL)
        exp->node_timing = exp->metrics_format == FB_METRICS_FBNODE;
    if (member_or(group, "agent", NULL) == NULL)
        exp->agent = exp->node_timing;
    return 0;
}

static int finish_workload(struct loader *ld, const config_setting_t *group,
                           const config_setting_t *at, const char *path, void *obj)
{
    struct fb_workload_cfg *w = obj;
    char key[256];
    (void)group;
    if (w->kind == FB_WORKLOAD_TRACE && w->trace == NULL) {
        snprintf(key, sizeof(key), "%s.trace", path);
        return fail(ld, at, key, "missing: a trace workload needs its trace file");
    }
    if (w->kind == FB_WORKLOAD_POISSON && w->duration_s <= 0) {
        snprintf(key, sizeof(key), "%s.duration_s", path);
        return fail(ld, at, key, "missing: a poisson workload needs a duration");
    }
    if (w->kind == FB_WORKLOAD_TRACE && w->trace_format != FB_TRACE_AZURE &&
        (w->durations != NULL || w->memory != NULL)) {
        const char *k = w->durations != NULL ? "durations" : "memory";
        snprintf(key, sizeof(key), "%s.%s", path, k);
        return fail(ld, member_or(group, k, at), key,
                    "only an \"azure\" (2019) trace has percentile files");
    }
    return 0;
}

/* A policy may run in several cells with different parameters; two entries
 * that differ only in how they are written (a default spelt out, 0.5 as .50)
 * would run the same cell twice under two names. Each entry was checked. */
static int finish_matrix(struct loader *ld, const config_setting_t *group,
                         const config_setting_t *at, const char *path, void *obj)
{
    const struct fb_matrix_cfg *m = obj;
    const config_setting_t *list =
        group != NULL ? config_setting_get_member(group, "policies") : NULL;
    struct fb_plugspec *spec = calloc((size_t)(m->n_policies > 0 ? m->n_policies : 1),
                                      sizeof(*spec));
    const struct fb_policy **pol = calloc((size_t)(m->n_policies > 0 ? m->n_policies : 1),
                                          sizeof(*pol));
    char key[256];
    int rc = 0;

    if (spec == NULL || pol == NULL) {
        rc = nomem(ld);
        goto out;
    }
    if (m->prepull && !fb_matrix_has_keepalive(m)) {
        snprintf(key, sizeof(key), "%s.prepull", path);
        rc = fail(ld, member_or(group, "prepull", at), key,
                  "only keep-alive cells pull ahead: warming has no \"keep-alive\"");
    }
    for (int i = 0; i < m->n_policies && (rc == 0 || go_on(ld, rc)); i++) {
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
            rc = fail(ld, e != NULL ? e : at, key,
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

static int finish_root(struct loader *ld, const config_setting_t *group,
                       const config_setting_t *at, const char *path, void *obj)
{
    struct fb_experiment *exp = obj;
    const char *base = strrchr(ld->path, '/');
    size_t len;

    (void)group;
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
        int rc = fail(ld, fe != NULL ? fe : at, key,
                      "a keep-alive cell keeps instances: '%s' must be resident (a handler, "
                      "or resident = true)",
                      exp->functions[f].name);
        if (!go_on(ld, rc))
            return rc;
        bad = rc;
    }
    if (bad < 0)
        return bad;
    if (exp->name != NULL)
        return 0;
    base = base != NULL ? base + 1 : ld->path;
    len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".cfg") == 0)
        len -= 4;
    if ((exp->name = strndup(base, len)) == NULL)
        return nomem(ld);
    if (!fb_name_valid(exp->name))
        return fail(ld, at, "name",
                    "the file name gives the invalid name '%s'; set name = \"...\" "
                    "(1 to 64 of A-Z a-z 0-9 _ . -)",
                    exp->name);
    return 0;
}

/* ---- loading ---- */

/* For "cannot open include file": the name in the @include at file:line. */
static bool include_name(const char *file, int line, char *out, size_t n)
{
    FILE *f = fopen(file, "r");
    char *buf = NULL;
    size_t cap = 0;
    bool found = false;

    if (f == NULL)
        return false;
    for (int i = 1; getline(&buf, &cap, f) != -1; i++) {
        if (i != line)
            continue;
        const char *p = strstr(buf, "@include");
        const char *q = p != NULL ? strchr(p, '"') : NULL;
        const char *e = q != NULL ? strchr(q + 1, '"') : NULL;
        if (e != NULL) {
            snprintf(out, n, "%.*s", (int)(e - q - 1), q + 1);
            found = true;
        }
        break;
    }
    free(buf);
    fclose(f);
    return found;
}

static int syntax_error(struct loader *ld, const config_t *cf)
{
    const char *text = config_error_text(cf) != NULL ? config_error_text(cf) : "unreadable";
    char file[PATH_MAX], inc[PATH_MAX], tried[PATH_MAX + PATH_MAX];
    int line = config_error_line(cf);

    shown_file(ld, config_error_file(cf), file, sizeof(file));
    if (strcmp(text, "cannot open include file") == 0 &&
        include_name(file, line, inc, sizeof(inc))) {
        if (inc[0] == '/')
            return fb_errf(ld->eb, FB_ECONFIG,
                           "%s:%d: @include: cannot open '%s': include paths must be "
                           "relative to '%s'",
                           file, line, inc, ld->dir);
        if (strcmp(ld->dir, ".") == 0)
            snprintf(tried, sizeof(tried), "%s", inc);
        else
            snprintf(tried, sizeof(tried), "%s/%s", ld->dir, inc);
        return fb_errf(ld->eb, FB_ECONFIG, "%s:%d: @include: cannot open '%s': %s", file,
                       line, tried,
                       access(tried, R_OK) != 0 ? strerror(errno) : "unreadable");
    }
    return fb_errf(ld->eb, FB_ECONFIG, "%s:%d: syntax error: %s", file, line, text);
}

/* libconfig 1.5 ends the whole process (flex: "input in flex scanner
 * failed", exit 2) when an @include names a directory, and waits forever
 * when it names a FIFO without a writer. So before a file is
 * handed to it, the includes it would open are looked at: lines starting
 * with @include "name" (its pattern; also inside a comment or a string,
 * where it would not follow them), in the file and in the regular files it
 * includes, each name read as its scanner reads it and resolved against
 * ld->dir as it does. A directory or another file that is not a regular
 * one is an error here; the rest (missing files, nesting too deep) is left
 * to libconfig. A file already being scanned is not scanned again. */
enum { INCLUDE_DEPTH_MAX = 10 }; /* libconfig's MAX_INCLUDE_DEPTH */

struct file_id {
    dev_t dev;
    ino_t ino;
};

/* The include name starting at p (after the opening quote), up to the
 * closing quote, which may be lines further on: \\ and \" stand for \
 * and ", another backslash is dropped, and each run of other bytes counts
 * up to its first NUL (libconfig appends it as a C string). false when the
 * quote is not closed or the name does not fit. */
static bool include_target(const char *p, const char *end, char *name, size_t n)
{
    size_t len = 0;
    bool cut = false; /* a NUL ended the current run */

    for (; p < end && *p != '"'; p++) {
        if (*p == '\\') {
            cut = false;
            if (p + 1 == end || (p[1] != '\\' && p[1] != '"'))
                continue;
            p++;
        } else if (*p == '\0' || cut) {
            cut = true;
            continue;
        }
        if (len + 1 >= n)
            return false;
        name[len++] = *p;
    }
    name[len] = '\0';
    return p < end;
}

static int check_includes(struct loader *ld, const char *file, int depth, struct file_id *open)
{
    FILE *f = fopen(file, "r");
    char *text = NULL, name[PATH_MAX], full[PATH_MAX];
    size_t len = 0, cap = 0, got;
    int rc = 0, line = 1;

    if (f == NULL)
        return 0; /* libconfig says why */
    do {
        if (len + 4096 > cap) {
            char *t = realloc(text, cap = 2 * (len + 4096));
            if (t == NULL) {
                free(text);
                fclose(f);
                return nomem(ld);
            }
            text = t;
        }
        got = fread(text + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    fclose(f);

    for (const char *p = text, *end = text + len; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
        struct stat st;
        bool seen = false;

        p = nl != NULL ? nl + 1 : end;
        while (q < p && (*q == ' ' || *q == '\t'))
            q++;
        if (p - q < 10 || memcmp(q, "@include", 8) != 0 || (q[8] != ' ' && q[8] != '\t'))
            continue;
        for (q += 8; q < end && (*q == ' ' || *q == '\t');)
            q++;
        if (q == end || *q != '"' || !include_target(q + 1, end, name, sizeof(name)) ||
            (size_t)snprintf(full, sizeof(full), "%s/%s", ld->dir, name) >= sizeof(full) ||
            stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = fb_errf(ld->eb, FB_ECONFIG, "%s:%d: @include: cannot open '%s': it is a directory",
                         file, line, full);
        else if (!S_ISREG(st.st_mode)) /* a FIFO would block libconfig's open */
            rc = fb_errf(ld->eb, FB_ECONFIG,
                         "%s:%d: @include: cannot open '%s': not a regular file", file, line,
                         full);
        if (rc < 0 || !S_ISREG(st.st_mode) || depth >= INCLUDE_DEPTH_MAX)
            continue;
        for (int i = 0; i <= depth; i++)
            seen = seen || (open[i].dev == st.st_dev && open[i].ino == st.st_ino);
        if (seen)
            continue;
        open[depth + 1] = (struct file_id){st.st_dev, st.st_ino};
        rc = check_includes(ld, full, depth + 1, open);
    }
    free(text);
    return rc;
}

int fb_config_load(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb)
{
    return fb_config_load_all(path, exp, eb, NULL);
}

int fb_config_load_all(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb,
                       struct fb_config_errors *errs)
{
    struct loader ld = {.path = path, .eb = eb, .errs = errs};
    struct file_id open_files[INCLUDE_DEPTH_MAX + 1];
    struct stat st;
    const config_setting_t *root;
    config_t cf;
    bool cf_open = false;
    FILE *f;
    int rc = 0;

    if (errs != NULL)
        memset(errs, 0, sizeof(*errs));
    if (exp == NULL || path == NULL)
        return fb_errf(eb, FB_EINVAL, "fb_config_load: no %s",
                       exp == NULL ? "experiment" : "path");
    memset(exp, 0, sizeof(*exp));

    /* Only a regular file, looked at before anything opens it: opening a
     * FIFO waits for a writer, and a device or a folder is no experiment
     * file. (libconfig opens it again by name; a file swapped for another
     * kind in between is not caught.) libconfig also reports a missing or
     * unreadable file without saying why. */
    if (stat(path, &st) != 0 || (S_ISREG(st.st_mode) && (f = fopen(path, "r")) == NULL)) {
        rc = fb_errf(eb, FB_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = fb_errf(eb, FB_ECONFIG, "%s: cannot open: %s", path,
                     S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
        goto out;
    }
    fclose(f);
    if ((ld.dir = dir_of(path)) == NULL || (exp->path = strdup(path)) == NULL) {
        rc = nomem(&ld);
        goto out;
    }
    open_files[0] = (struct file_id){st.st_dev, st.st_ino};
    if ((rc = check_includes(&ld, path, 0, open_files)) < 0)
        goto out;

    config_init(&cf);
    cf_open = true;
    /* Includes resolve against the experiment file's directory. libconfig 1.5
     * prefixes this directory to every include, nested ones and absolute
     * paths too, so includes are written relative to the experiment file. */
    config_set_include_dir(&cf, ld.dir);
    if (!config_read_file(&cf, path)) {
        rc = syntax_error(&ld, &cf);
        goto out;
    }
    root = config_root_setting(&cf);
    rc = parse_section(&ld, &root_section, root, root, "", exp);
out:
    if (cf_open)
        config_destroy(&cf);
    free(ld.dir);
    if (rc < 0) {
        fb_experiment_free(exp);
        /* An error found before the keys (the file, its syntax, an include)
         * or out of memory is the only one. */
        if (errs != NULL && errs->n == 0 && eb != NULL)
            snprintf(errs->msg[errs->n++], FB_ERRMSG_LEN, "%s", eb->msg);
    }
    return rc;
}

/* ---- freeing ---- */

static void free_section(const struct section *sec, char *obj)
{
    for (int j = 0; j < sec->n_keys; j++) {
        const struct key *k = &sec->keys[j];
        char *p = obj + k->off;
        int n;
        if (k->flags & F_ALIAS)
            continue;
        switch (k->kind) {
        case K_STRING:
        case K_PATH:
        case K_ENV:
            put_string((char **)p, NULL, k->flags & F_SECRET);
            break;
        case K_STRINGS: {
            char **arr = *(char ***)p;
            memcpy(&n, obj + k->off_n, sizeof(n));
            for (int i = 0; arr != NULL && i < n; i++)
                free(arr[i]);
            free(arr);
            *(char ***)p = NULL;
            break;
        }
        case K_WARMINGS:
            free(*(enum fb_warming **)p);
            *(enum fb_warming **)p = NULL;
            break;
        case K_GROUP:
            free_section(k->sub, p);
            break;
        case K_LIST: {
            char *arr;
            memcpy(&arr, p, sizeof(arr));
            memcpy(&n, obj + k->off_n, sizeof(n));
            for (int i = 0; arr != NULL && i < n; i++)
                free_section(k->sub, arr + (size_t)i * k->sub->size);
            free(arr);
            arr = NULL;
            memcpy(p, &arr, sizeof(arr));
            break;
        }
        default:
            break;
        }
    }
}

void fb_experiment_free(struct fb_experiment *exp)
{
    if (exp == NULL)
        return;
    for (int i = 0; exp->nodes != NULL && i < exp->n_nodes; i++)
        free(exp->nodes[i].password_env);
    free_section(&root_section, (char *)exp);
    free(exp->path);
    memset(exp, 0, sizeof(*exp));
}

/* ---- writing ---- */

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\x%02x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void write_section(FILE *f, const struct section *sec, const char *obj, int indent);

static void write_key(FILE *f, const struct key *k, const char *obj, int indent)
{
    const char *p = obj + k->off;
    int n;

    switch (k->kind) {
    case K_STRING:
    case K_PATH:
    case K_ENV:
        if (*(char *const *)p == NULL)
            return;
        break;
    default:
        break;
    }
    if ((k->flags & F_SECRET) && k->off == offsetof(struct fb_node_cfg, password) &&
        ((const struct fb_node_cfg *)(const void *)obj)->password_env != NULL) {
        /* The node's only secret: its variable is written, never the value. */
        fprintf(f, "%*spassword_env = ", indent, "");
        write_string(f, ((const struct fb_node_cfg *)(const void *)obj)->password_env);
        fputs(";\n", f);
        return;
    }
    fprintf(f, "%*s%s = ", indent, "", k->name);
    switch (k->kind) {
    case K_STRING:
    case K_PATH:
    case K_ENV:
        write_string(f, (k->flags & F_SECRET) ? "********" : *(char *const *)p);
        break;
    case K_INT: {
        int v = *(const int *)p;
        const char *named = NULL;
        for (int c = 0; k->choices != NULL && k->choices[c].name != NULL; c++)
            if (k->choices[c].value == v)
                named = k->choices[c].name;
        if (named != NULL)
            write_string(f, named);
        else
            fprintf(f, "%d", v);
        break;
    }
    case K_UINT64: {
        uint64_t v = *(const uint64_t *)p;
        fprintf(f, "%llu%s", (unsigned long long)v, v > INT_MAX ? "L" : "");
        break;
    }
    case K_NUMBER:
        fprintf(f, "%.17g", *(const double *)p);
        break;
    case K_MS: {
        int ms = *(const int *)p;
        char frac[16];
        size_t len = (size_t)snprintf(frac, sizeof(frac), "%03d", ms % 1000);
        while (len > 0 && frac[len - 1] == '0')
            frac[--len] = '\0';
        fprintf(f, "%d%s%s", ms / 1000, len > 0 ? "." : "", frac);
        break;
    }
    case K_BOOL:
        fputs(*(const bool *)p ? "true" : "false", f);
        break;
    case K_ENUM: {
        int v = get_enum(p, k->size);
        const char *name = k->choices[0].name;
        for (int i = 0; k->choices[i].name != NULL; i++)
            if (k->choices[i].value == v)
                name = k->choices[i].name;
        write_string(f, name);
        break;
    }
    case K_STRINGS:
    case K_WARMINGS:
        memcpy(&n, obj + k->off_n, sizeof(n));
        fputs("[", f);
        for (int i = 0; i < n; i++) {
            fputs(i > 0 ? ", " : " ", f);
            if (k->kind == K_STRINGS)
                write_string(f, (*(char **const *)p)[i]);
            else
                write_string(f, fb_warming_name((*(enum fb_warming *const *)p)[i]));
        }
        fputs(" ]", f);
        break;
    case K_GROUP:
        fputs("{\n", f);
        write_section(f, k->sub, p, indent + 2);
        fprintf(f, "%*s}", indent, "");
        break;
    case K_LIST: {
        const char *arr;
        memcpy(&arr, p, sizeof(arr));
        memcpy(&n, obj + k->off_n, sizeof(n));
        fputs("(\n", f);
        for (int i = 0; i < n; i++) {
            fprintf(f, "%*s{\n", indent + 2, "");
            write_section(f, k->sub, arr + (size_t)i * k->sub->size, indent + 4);
            fprintf(f, "%*s}%s\n", indent + 2, "", i + 1 < n ? "," : "");
        }
        fprintf(f, "%*s)", indent, "");
        break;
    }
    }
    fputs(";\n", f);
}

static void write_section(FILE *f, const struct section *sec, const char *obj, int indent)
{
    int kind = 0;

    if (sec->has_kind)
        memcpy(&kind, obj + sec->off_kind, sizeof(kind));
    for (int j = 0; j < sec->n_keys; j++) {
        const struct key *k = &sec->keys[j];
        if (k->flags & F_ALIAS)
            continue;
        if (sec->has_kind && k->used_by != 0 &&
            (kind < 0 || kind >= 32 || !(k->used_by >> kind & 1u)))
            continue;
        if (indent == 0)
            fprintf(f, "\n# %s\n", k->help);
        write_key(f, k, obj, indent);
    }
}

int fb_config_defaults(struct fb_experiment *exp, const char *name, struct fb_errbuf *eb)
{
    struct loader ld = {.path = name, .eb = eb, .defaults_only = true};
    config_t cf;
    int rc;

    memset(exp, 0, sizeof(*exp));
    if ((ld.dir = strdup(".")) == NULL || (exp->path = strdup(name)) == NULL) {
        free(ld.dir);
        free(exp->path);
        exp->path = NULL;
        return nomem(&ld);
    }
    config_init(&cf);
    if (!config_read_string(&cf, ""))
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
    else
        rc = parse_section(&ld, &root_section, config_root_setting(&cf),
                           config_root_setting(&cf), "", exp);
    config_destroy(&cf);
    free(ld.dir);
    if (rc < 0)
        fb_experiment_free(exp);
    return rc;
}

int fb_config_function_defaults(struct fb_function_cfg *fn, struct fb_errbuf *eb)
{
    struct loader ld = {.path = "function", .eb = eb, .defaults_only = true};
    config_t cf;
    int rc;

    memset(fn, 0, sizeof(*fn));
    if ((ld.dir = strdup(".")) == NULL)
        return nomem(&ld);
    config_init(&cf);
    if (!config_read_string(&cf, ""))
        rc = fb_errf(eb, FB_ENOMEM, "out of memory");
    else
        rc = parse_section(&ld, &function_section, config_root_setting(&cf),
                           config_root_setting(&cf), "function", fn);
    config_destroy(&cf);
    free(ld.dir);
    return rc;
}

int fb_config_set_preset(struct fb_experiment *exp, const char *preset, struct fb_errbuf *eb)
{
    char *steps[FB_STEP_N] = {0}, *name;

    if (!fb_runtime_preset_known(preset))
        return fb_errf(eb, FB_EINVAL, "unknown runtime '%s' (docker or podman)", preset);
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
    write_section(f, &root_section, (const char *)exp, 0);
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
