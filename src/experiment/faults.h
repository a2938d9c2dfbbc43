/* faults.h - an experiment's fault schedule as the executors use it: each
 * fault with its node resolved and its window on the workload's clock, the
 * check of the windows against a workload's length, and which faults were
 * active at a moment of a cell. The real engine's fault runner
 * (run/faultrun.c) and the simulator (sim/sim.c) read the same schedule, so
 * a fault means the same in both (docs/faults.md).
 *
 * Times: seconds of the workload's clock since the cell began issuing, as
 * the file gives them; a trace's time_scale turns them into wall seconds
 * (at_s x time_scale), as it does the trace's offsets. */
#ifndef FB_FAULTS_H
#define FB_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"
#include "experiment/config.h"

/* A fault's name in rows: "f<k>:<action>:<node>", k its 1-based place in
 * the file's list. */
#define FB_FAULT_NAME_MAX 96

struct fb_fault {
    int index;                 /* in exp->faults */
    char name[FB_FAULT_NAME_MAX];
    int node;                  /* in exp->nodes */
    const char *node_name;     /* borrowed from exp */
    enum fb_fault_action action;
    double at_s, end_s;        /* workload seconds: begins, ends (at_s + for_s) */
    double fraction;           /* slow */
};

struct fb_schedule {
    struct fb_fault *v;        /* in the file's order */
    int n;
};

/* The schedule of exp (checked when it was loaded): 0, or FB_ENOMEM. An
 * experiment without faults gives n = 0. exp must outlive it. */
int fb_schedule_make(const struct fb_experiment *exp, struct fb_schedule *out);
void fb_schedule_free(struct fb_schedule *s);

/* Checks that every fault's window ends within a workload of length_s
 * seconds of its clock; what says where the length comes from ("the trace
 * ends at 75.2 s"). 0, or FB_ECONFIG with "file:line: faults[k].KEY:
 * message" in eb. */
int fb_schedule_check_length(const struct fb_experiment *exp, double length_s, const char *what,
                             struct fb_errbuf *eb);

/* What happened of fault k in a cell: when its window began and ended,
 * unix ms (0: not yet). An executor fills it as it goes. */
struct fb_fault_window {
    int64_t begin_ms, end_ms;
};

/* The names of the faults whose window held t_ms (begun at or before it,
 * not ended by then), space-separated, into buf ("" when none). w holds
 * s->n windows. */
void fb_schedule_active(const struct fb_schedule *s, const struct fb_fault_window *w,
                        int64_t t_ms, char *buf, size_t n);

/* Whether a fault holds node i's window at workload second t (the planned
 * windows: begin included, end excluded); its index, or -1. */
int fb_schedule_at(const struct fb_schedule *s, int node, double t);

#endif
