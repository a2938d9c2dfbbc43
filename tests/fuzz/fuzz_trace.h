/* fuzz_trace.h - the trace targets' shared part: load one input as a trace file and check the events. */
#ifndef FB_FUZZ_TRACE_H
#define FB_FUZZ_TRACE_H

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "fuzz.h"
#include "workload/trace.h"

/* Names the seeds use (tests/data/trace, experiments/traces). */
static const char *const fuzz_trace_functions[] = {"a", "b", "c", "f", "g",
                                                   "fib-light", "fib-heavy"};
#define FUZZ_TRACE_NFN ((int)(sizeof(fuzz_trace_functions) / sizeof(fuzz_trace_functions[0])))

/* Azure counts ask for up to FB_TRACE_MAX_EVENTS events (1.6 GB) by
 * design; inputs whose numbers add up to more than this are skipped so
 * that a run measures parsing, not memset. */
#define FUZZ_TRACE_MAX_SUM 100000.0

/* The private folder of the trace targets: the trace file, and the
 * companion percentile files of trace_pctl. */
static struct {
    bool ready;
    char dir[PATH_MAX / 2], file[PATH_MAX], durations[PATH_MAX], memory[PATH_MAX];
} tfz;

static inline void fuzz_trace_cleanup(void)
{
    unlink(tfz.file);
    unlink(tfz.durations);
    unlink(tfz.memory);
    rmdir(tfz.dir);
}

static inline void fuzz_trace_ready(void)
{
    if (tfz.ready)
        return;
    fuzz_mkdtemp("trace", tfz.dir, sizeof(tfz.dir));
    snprintf(tfz.file, sizeof(tfz.file), "%s/trace.csv", tfz.dir);
    snprintf(tfz.durations, sizeof(tfz.durations), "%s/durations.csv", tfz.dir);
    snprintf(tfz.memory, sizeof(tfz.memory), "%s/memory.csv", tfz.dir);
    atexit(fuzz_trace_cleanup);
    tfz.ready = true;
}

/* Sum of every number a field could be read as: the input is cut at the
 * bytes no number holds, and each piece read by strtod as parse_count does
 * (which skips leading white space and takes hex, exponents, inf). */
static inline double fuzz_trace_number_sum(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size), *save = NULL;
    double sum = 0;

    for (size_t i = 0; i < size; i++)
        if (s[i] == '\0')
            s[i] = ',';
    for (char *tok = strtok_r(s, ",\"\r\n \t", &save); tok != NULL;
         tok = strtok_r(NULL, ",\"\r\n \t", &save)) {
        double v = strtod(tok, NULL);
        if (v > 0 || v < 0)
            sum += fabs(v);
    }
    free(s);
    return sum;
}

/* Checks what trace.h promises of fb_trace_load's result rc, t and eb
 * under o; returns whether t holds events (the caller frees them). */
static inline bool fuzz_trace_check(int rc, const struct fb_trace *t, const struct fb_errbuf *eb,
                                    const struct fb_trace_opts *o)
{
    if (rc < 0) {
        FUZZ_CHECK(rc == FB_EINVAL || rc == FB_ENOMEM || rc == FB_EIO, "returned %s",
                   fb_err_name(rc));
        FUZZ_CHECK(eb->msg[0] != '\0', "failed without a message");
        FUZZ_CHECK(t->ev == NULL && t->n == 0, "a failed load kept events");
        return false;
    }
    FUZZ_CHECK(t->n >= 1 && t->ev != NULL, "loaded without events");
    for (size_t i = 0; i < t->n; i++) {
        const struct fb_trace_event *e = &t->ev[i];
        FUZZ_CHECK(isfinite(e->t_s) && e->t_s >= 0, "event %zu at %g", i, e->t_s);
        FUZZ_CHECK(e->function >= 0 && e->function < o->n_functions, "event %zu function %d", i,
                   e->function);
        FUZZ_CHECK(i == 0 || t->ev[i - 1].t_s <= e->t_s, "event %zu (%.17g) before %zu (%.17g)",
                   i, e->t_s, i - 1, t->ev[i - 1].t_s);
        FUZZ_CHECK(isnan(e->duration_ms) || (isfinite(e->duration_ms) && e->duration_ms >= 0),
                   "event %zu duration %g", i, e->duration_ms);
        FUZZ_CHECK(isnan(e->memory_mb) || (isfinite(e->memory_mb) && e->memory_mb >= 0),
                   "event %zu memory %g", i, e->memory_mb);
        if (o->format == FB_TRACE_AZURE2021)
            FUZZ_CHECK(!isnan(e->duration_ms) && isnan(e->memory_mb),
                       "event %zu: a 2021 event has a duration and no memory", i);
        if (o->format != FB_TRACE_CSV && o->max_minutes > 0)
            FUZZ_CHECK(e->t_s < 60.0 * o->max_minutes * o->time_scale,
                       "event %zu at %g s is past max_minutes %d", i, e->t_s, o->max_minutes);
    }
    return true;
}

/* Frees t and checks that it is zeroed. */
static inline void fuzz_trace_free(struct fb_trace *t)
{
    fb_trace_free(t);
    FUZZ_CHECK(t->ev == NULL && t->n == 0, "fb_trace_free left events");
}

/* Loads the input with o; returns -1 (not kept in the corpus) for a
 * skipped input, else 0. Aborts when a promise of trace.h does not hold. */
static inline int fuzz_trace_run(const uint8_t *data, size_t size, struct fb_trace_opts *o)
{
    struct fb_trace t;
    struct fb_errbuf eb = {{0}};

    if (o->format == FB_TRACE_AZURE && !(fuzz_trace_number_sum(data, size) <= FUZZ_TRACE_MAX_SUM))
        return -1;
    fuzz_trace_ready();
    fuzz_write_file(tfz.file, data, size);
    o->functions = fuzz_trace_functions;
    if (fuzz_trace_check(fb_trace_load(tfz.file, o, &t, &eb), &t, &eb, o))
        fuzz_trace_free(&t);
    return 0;
}

#endif
