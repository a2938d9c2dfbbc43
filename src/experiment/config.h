/* config.h - the experiment file: parsed, defaulted and validated by its schema's key
 * tables (core/cfgtable.h reads any file by such tables). */
#ifndef FB_CONFIG_H
#define FB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cfgtable.h"
#include "core/error.h"
#include "core/types.h"

struct fb_node_cfg {
    char *name;
    char *host;
    int port;           /* default 22 */
    char *user;
    char *identity;     /* private key file, or NULL */
    char *password;     /* resolved secret, or NULL; never printed or saved */
    char *password_env; /* the variable it came from, or NULL (inline or none):
                           saved in its place, so a resumed run reads it again;
                           the loader removes it from the environment (children
                           never inherit it) and keeps its value for later loads
                           in this process */
    char *known_hosts;  /* file, or NULL */
    bool insecure_accept_any_host_key;
    enum fb_transport_kind transport; /* "ssh" (default) or "local" */
    bool agent;         /* ssh: commands go through `faasbench-node serve` on one
                           long-lived channel (the loader sets it from
                           fb_experiment.agent) */
    int memory_mb;      /* memory for keep-alive cells' instances; 0: the limit the
                           node's metrics report */
    int line;           /* line of the node's entry in its file */
};

struct fb_function_cfg {
    char *name;    /* [A-Za-z0-9_.-]{1,64} */
    char *image;   /* OCI image reference */
    char *command; /* the experimenter's command, split into words at run time;
                      NULL for a function with only a handler */
    bool network;  /* false: containers run with --network none */
    double weight; /* share in closed and poisson workloads, > 0, default 1 */
    /* Resident functions: an instance is a container whose main process is
     * a runtime serving invocations over a Unix socket (warm = a request to
     * it, no new process). */
    char *handler; /* Python MODULE:FUNCTION loaded once per instance, or NULL:
                      the node helper's runtime runs command per request */
    char *args;    /* words passed at each call to the handler, or appended to a resident
                      command by the node helper's runtime; NULL: none */
    bool resident; /* default: true when handler is set */
    int memory_mb; /* memory limit of a resident instance, default 128 */
    int timeout_ms;  /* one invocation at most; 0: timeouts.command_s */
    int line;
    /* {duration_ms} and {memory_mb} in command or args (template.h) when the
     * invocation's trace event does not give them */
    double work_duration_ms;
    double work_memory_mb;
};

/* One fault of the schedule (docs/faults.md), applied the same way in
 * every cell. Times are on the workload's clock: seconds since the cell
 * began issuing (a trace's offsets before its time_scale). */
struct fb_fault_cfg {
    double at_s;                 /* when it begins */
    char *node;                  /* the node's name, one of nodes[] */
    enum fb_fault_action action;
    double for_s;                /* how long it lasts (kill-instances: the window its
                                    effects are summarized over) */
    double fraction;             /* slow: the share of the node's CPU quota left */
    int line;
};

struct fb_matrix_cfg {
    char **policies; /* names, each found by fb_policy_find() */
    int n_policies;
    enum fb_warming *warmings;
    int n_warmings;
    int invocations; /* per function per cell, >= 1 */
    int repetitions; /* >= 1 */
    bool shuffle;    /* order = "shuffled": cells in a seeded random order */
    char **keepalive; /* keep-alive policies of keep-alive cells ("name:key=value") */
    int n_keepalive;
    bool prepull;     /* keep-alive cells: every image on every node before the cell */
};

struct fb_runtime_cfg {
    char *preset;               /* "docker" (default) or "podman" */
    char *steps[FB_STEP_N];     /* templates: preset values with overrides applied */
    char *instance_root;        /* node folder of resident instances' folders, absolute or
                                   "~/..." (default ~/.faasbench/instances) */
};

struct fb_workload_cfg {
    enum fb_workload_kind kind;
    int clients;        /* closed: clients; open loop: invocations in flight at most */
    int invocations;    /* closed: per cell over all functions; 0: matrix.invocations
                           x functions (ignored when duration_s is set) */
    double duration_s;  /* closed, poisson: how long a cell issues; 0: by count */
    double rate;        /* poisson: arrivals per second */
    int per_node;       /* invocations in flight per node (one ssh session each) */
    char *trace;        /* trace: the file (absolute) */
    enum fb_trace_format trace_format; /* trace: the file's format */
    enum fb_trace_spread spread;       /* trace, azure format: a minute's arrivals */
    double time_scale;  /* trace: offsets multiplied by this */
    int max_minutes;    /* trace, azure format: first N minutes, 0: all */
    int max_events;     /* trace: the most invocations it may give */
    char *durations;    /* trace, azure format: function_durations_percentiles file, or NULL */
    char *memory;       /* trace, azure format: app_memory_percentiles file, or NULL */
    double warmup_s;    /* invocations in a cell's first warmup_s workload seconds are
                           flagged warmup and left out of summaries */
};

/* A file that declares its nodes simulated (the simulate group): it runs in
 * simulation without --simulate. */
struct fb_simulate_cfg {
    char *model;       /* the node model (absolute), NULL: not declared */
    int nodes;         /* simulated nodes shaped like the experiment's; 0: its own */
    enum fb_sim_rows rows;
    double sample;     /* rows = "sample": the share of invocations with a row */
};

struct fb_experiment {
    char *path;        /* the file as given */
    char *name;        /* default: file name without .cfg */
    struct fb_node_cfg *nodes;
    int n_nodes;
    struct fb_function_cfg *functions;
    int n_functions;
    struct fb_matrix_cfg matrix;
    struct fb_runtime_cfg runtime;
    double ram_threshold;              /* percent, default 90 */
    enum fb_metrics_format metrics_format;
    char *metrics_command;             /* default per format */
    bool node_timing;                  /* the node times each timed step */
    bool agent;                        /* ssh nodes: one `faasbench-node serve` channel
                                          per session carries every command
                                          (default: as node_timing) */
    char *results_dir;                 /* default "results" */
    uint64_t seed;                     /* default 1 */
    int command_timeout_ms;            /* default 600 s */
    int connect_timeout_ms;            /* default 10 s */
    int metrics_timeout_ms;            /* a metrics poll; 0: command_timeout_ms */
    struct fb_workload_cfg workload;
    int warm_nodes;                    /* nodes prepared per function; 0: all */
    int retries;                       /* retries of an invocation after a node failure */
    int metrics_interval_ms;           /* 0: poll at every selection; else in the
                                          background at this interval */
    struct fb_fault_cfg *faults;       /* the fault schedule, or NULL: none */
    int n_faults;
    struct fb_simulate_cfg simulate;   /* the simulate group */
};

/* Loads and validates path into *exp (zeroed first). On failure returns
 * FB_ECONFIG (or FB_ENOMEM) with "file:line: key: message" in eb, and *exp
 * holds nothing to free. Warnings (inline password, insecure host keys) go
 * to stderr. fb_experiment_free() releases a loaded experiment. */
int fb_config_load(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb);

/* Every error of a file, as a compiler reports them: in the order found
 * (file order; a list's repeated names after its elements), each
 * "file:line: key: message" with its "did you mean". A group whose keys
 * have errors gets no cross-key checks (they would report consequences).
 * Loading stops once more than FB_CONFIG_MAX_ERRORS are found. */
#define FB_CONFIG_MAX_ERRORS FB_CFG_MAX_ERRORS
struct fb_config_errors {
    int n;     /* messages in msg, 1..FB_CONFIG_MAX_ERRORS after a failure */
    bool more; /* loading stopped: the file has more errors than these */
    char msg[FB_CONFIG_MAX_ERRORS][FB_ERRMSG_LEN];
};

/* fb_config_load, keeping every error in *errs (zeroed first; may be NULL):
 * the first one is also in eb, with the text fb_config_load gives it. */
int fb_config_load_all(const char *path, struct fb_experiment *exp, struct fb_errbuf *eb,
                       struct fb_config_errors *errs);
void fb_experiment_free(struct fb_experiment *exp);

/* An experiment of every default the file format has, named name, with no
 * nodes and no functions: what a front end without a file (the REST shim)
 * starts from. 0, or FB_ENOMEM. */
int fb_config_defaults(struct fb_experiment *exp, const char *name, struct fb_errbuf *eb);

/* A function with every default of the file format and no name, image or
 * command yet (the caller sets them): 0 or FB_ENOMEM. */
int fb_config_function_defaults(struct fb_function_cfg *fn, struct fb_errbuf *eb);

/* Replaces the runtime preset and every step with that preset's templates.
 * 0, FB_EINVAL (unknown preset) or FB_ENOMEM. */
int fb_config_set_preset(struct fb_experiment *exp, const char *preset, struct fb_errbuf *eb);

/* Writes the experiment as run, in the same syntax, with passwords masked
 * and the workload keys its type does not use left out, so that the file
 * loads again. Returns 0, FB_EIO, or FB_EINVAL (nothing written) for an
 * experiment without a node, a function, a policy or a warming mode, which
 * no file can hold. */
int fb_config_write(const struct fb_experiment *exp, const char *path);
/* The same to an open file (flushed, not closed). */
int fb_config_fwrite(const struct fb_experiment *exp, FILE *f);

/* Every key the file format accepts, with its type, default, range or
 * choices and help, from the tables the loader uses (faasbench --list-keys;
 * the format is fb_cfg_list's). */
void fb_config_list_keys(FILE *f);
/* The top-level section of those tables, for tests that walk them. */
const struct fb_cfg_section *fb_config_schema(void);

#endif
