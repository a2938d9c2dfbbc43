/* model.h - the node model of the simulator: per function and mode, how long
 * each phase of an invocation takes, as an empirical distribution (quantiles
 * to sample from, written by `faasbench calibrate` from real run folders) or
 * a fixed time (written by hand, as FaasCache's and Iluvatar's simulators
 * take them); and what a simulated node is like.
 *
 * The file, in libconfig syntax:
 *
 *   model = {
 *     version = 1;
 *     runs = [ "results/ka-20261206T101500Z" ];   # what it was calibrated from
 *     node = { cpus = 0.5; calibrated_cpus = 0.5; memory_mb = 512.0; };
 *     functions = (          # name: a function, or a pattern ("py-*") for many
 *       { name = "fib-light"; memory_mb = 128.0;
 *         cold_ms = 500.0; warm_ms = 20.0;      # fixed times, or per mode:
 *         cold = { pull = { n = 40; q = [ 2900.0, ..., 4100.0 ]; };   # p0 .. p100
 *                  create = { ms = 120.0; }; ... };
 *         prewarmed = { ... };  warmed = { ... }; } );
 *     uncalibrated = [ "fib-light: warmed: handler_extra: no asked work in the rows" ];
 *   };
 *
 * Phases (each in ms; FB_MPHASE_MAP): select (the harness's choice of a node,
 * waits excluded), pull, create and ready (a resident instance's start),
 * init (its runtime's start-up, within create + ready; reported only),
 * handler (the handler's own time), call (the request around it: invoke -
 * handler), handler_extra (the handler's time beyond the work a trace asked
 * of it), run (an exec-based function's run or exec step), run_extra (run
 * beyond the asked work), cleanup (after the answer, in warming cells),
 * ka_cleanup (the same in keep-alive cells), remove (removing an instance:
 * a keep-alive cleanup whose instance left as the call ended; an instance
 * evicted to make room takes as long before the start it makes room for;
 * absent, removal takes no time), overhead (latency minus the node's own
 * time). */
#ifndef FB_MODEL_H
#define FB_MODEL_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"
#include "core/rng.h"
#include "core/types.h"

#define FB_MPHASE_MAP(X)                                                                         \
    X(FB_PH_SELECT, "select")                                                                   \
    X(FB_PH_PULL, "pull")                                                                       \
    X(FB_PH_CREATE, "create")                                                                   \
    X(FB_PH_READY, "ready")                                                                     \
    X(FB_PH_INIT, "init")                                                                       \
    X(FB_PH_HANDLER, "handler")                                                                 \
    X(FB_PH_CALL, "call")                                                                       \
    X(FB_PH_HANDLER_EXTRA, "handler_extra")                                                     \
    X(FB_PH_RUN, "run")                                                                         \
    X(FB_PH_RUN_EXTRA, "run_extra")                                                             \
    X(FB_PH_CLEANUP, "cleanup")                                                                 \
    X(FB_PH_KA_CLEANUP, "ka_cleanup")                                                           \
    X(FB_PH_REMOVE, "remove")                                                                   \
    X(FB_PH_OVERHEAD, "overhead")

#define FB_ENUM_VALUE(id, name) id,
enum fb_model_phase { FB_MPHASE_MAP(FB_ENUM_VALUE) FB_MPHASE_N };
#undef FB_ENUM_VALUE
const char *fb_model_phase_name(enum fb_model_phase p);

/* The modes an invocation runs in, as the model's groups name them. */
#define FB_MODEL_MODES 3 /* FB_WARM_COLD, FB_WARM_PREWARMED, FB_WARM_WARMED */
const char *fb_model_mode_name(enum fb_warming m); /* "cold", "prewarmed", "warmed" */

/* Quantiles written for a calibrated phase: p0, p1, ..., p100. */
#define FB_MODEL_QUANTILES 101

/* One phase's times. */
struct fb_dist {
    bool set;
    long n;        /* samples it was made from (0: written by hand) */
    int nq;        /* quantiles, evenly spaced from p0 to p100; 0: fixed */
    double *q;
    double fixed;  /* ms, when nq is 0 */
    int line;      /* in the model file */
};

struct fb_model_fn {
    char *name;
    double memory_mb;   /* 0: the experiment's */
    struct fb_dist d[FB_MODEL_MODES][FB_MPHASE_N];
    int line;
};

struct fb_model {
    char *path;         /* the file, NULL for a model built in memory */
    char **runs;        /* calibrated from */
    int n_runs;
    double cpus;        /* a simulated node's CPUs for handlers sharing them; 0: no sharing */
    double calibrated_cpus; /* the CPUs of the nodes the times were measured on */
    double memory_mb;   /* a simulated node's memory for instances; 0: the experiment's */
    struct fb_model_fn *fns;
    int n_fns;
    char **uncalibrated; /* what calibration could not measure, one line each */
    int n_uncalibrated;
};

/* Loads path into *m (zeroed first). FB_ECONFIG with "file:line: key:
 * message" in eb for a file that is not a model, FB_EIO, FB_ENOMEM. */
int fb_model_load(const char *path, struct fb_model *m, struct fb_errbuf *eb);
/* Writes m in the file's syntax (loads again to the same model). */
int fb_model_write(const struct fb_model *m, FILE *f);
void fb_model_free(struct fb_model *m);

/* The function called name, or NULL. */
/* The model of the experiment's function name: the entry of that name, else
 * the first whose name is a shell pattern (fnmatch: *, ?, [...]) matching
 * it ("light-*": every function named so), else NULL. */
const struct fb_model_fn *fb_model_find(const struct fb_model *m, const char *name);
/* A distribution of samples (n of them, sorted ascending, taken over):
 * FB_MODEL_QUANTILES quantiles. 0 or FB_ENOMEM. */
int fb_dist_from_sorted(struct fb_dist *d, const double *v, long n);
/* A draw from d with rng: the inverse of its quantile function, linear
 * between quantiles; its fixed time when fixed; 0 when unset. */
double fb_dist_draw(const struct fb_dist *d, struct fb_rng *rng);
/* Its median (for reports). */
double fb_dist_median(const struct fb_dist *d);

#endif
