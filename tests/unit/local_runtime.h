/* local_runtime.h - a runtime of harmless shell steps for the engine and run-loop
 * suites: nodes on the local transport, each step appending "STEP NODE ARG" to a
 * log file, and marker files that make a node fail (included by the suites). */
#ifndef FB_TEST_LOCAL_RUNTIME_H
#define FB_TEST_LOCAL_RUNTIME_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment/config.h"
#include "core/error.h"

struct lrt {
    char dir[256];
    char *steps[FB_STEP_N];
};

/* Step s as a shell template: logs itself, then fails the node when DIR/NODE.dead
 * exists (sleeps past the command timeout: a transport failure; 6 s, so that
 * it cannot end and succeed just as a 5 s timeout fires), or exits 1
 * when DIR/NODE.fail-STEP does (the step's own failure). The run and exec
 * steps then run the function's command. */
static inline char *lrt_step(const char *dir, const char *step, const char *arg, bool command)
{
    return fb_strf("echo %s {node} %s >>%s/log; test ! -e %s/{node}.dead || exec sleep 6; "
                   "test ! -e %s/{node}.fail-%s%s",
                   step, arg, dir, dir, dir, step, command ? " && {command}" : "");
}

static inline void lrt_init(struct lrt *r)
{
    static const struct {
        enum fb_step s;
        const char *name, *arg;
        bool command;
    } steps[] = {
        {FB_STEP_PULL, "pull", "{image}", false},
        {FB_STEP_RUN, "run", "{container}", true},
        {FB_STEP_START, "start", "{container}", false},
        {FB_STEP_EXEC, "exec", "{container}", true},
        {FB_STEP_REMOVE_IMAGE, "rmi", "{image}", false},
        {FB_STEP_REMOVE_CONTAINER, "rm", "{container}", false},
        {FB_STEP_RESET, "reset", "{images}", false},
        {FB_STEP_START_INSTANCE, "start_instance", "{container}", false},
        {FB_STEP_REMOVE_INSTANCE, "remove_instance", "{container}", false},
        {FB_STEP_KILL, "kill", "-", false},
    };
    snprintf(r->dir, sizeof(r->dir), "/tmp/fb-lrt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(r->dir));
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        r->steps[steps[i].s] = lrt_step(r->dir, steps[i].name, steps[i].arg, steps[i].command);
        ck_assert_ptr_nonnull(r->steps[steps[i].s]);
    }
    /* A fault is logged and answered as faasbench-fault answers, with this
     * host's clock. */
    r->steps[FB_STEP_FAULT] =
        fb_strf("echo fault {node} {fault} {action} {seconds} {fraction} >>%s/log; "
                "echo applied {fault} $(date +%%s%%3N) 0",
                r->dir);
    r->steps[FB_STEP_UNFAULT] = fb_strf("echo unfault {node} {fault} >>%s/log; "
                                        "echo reverted {fault} 0 $(date +%%s%%3N) faasbench",
                                        r->dir);
    ck_assert_ptr_nonnull(r->steps[FB_STEP_FAULT]);
    ck_assert_ptr_nonnull(r->steps[FB_STEP_UNFAULT]);
}

static inline void lrt_free(struct lrt *r)
{
    char *cmd = fb_strf("rm -rf '%s'", r->dir);
    ck_assert_int_eq(system(cmd), 0);
    free(cmd);
    for (int s = 0; s < FB_STEP_N; s++)
        free(r->steps[s]);
}

/* Creates or removes the marker DIR/NAME. */
static inline void lrt_mark(const struct lrt *r, const char *name, bool on)
{
    char *path = fb_strf("%s/%s", r->dir, name);
    if (on) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    } else {
        unlink(path);
    }
    free(path);
}

/* Lines of the log starting with the formatted prefix. */
static inline int lrt_count(const struct lrt *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int lrt_count(const struct lrt *r, const char *fmt, ...)
{
    char prefix[256], line[1024];
    char *path = fb_strf("%s/log", r->dir);
    va_list ap;
    int n = 0;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    FILE *f = fopen(path, "r");
    free(path);
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

#ifdef FB_NODE_HELPER
#include <libgen.h>

#include "engine/engine.h"

/* Engine options for resident instances on local nodes: r's steps with
 * start (the instance's start step) and remove, no metrics, one retry,
 * instances in root; and the node helper built here first on PATH, as a
 * node's `faasbench-node`. */
static inline void lrt_resident_opts(const struct lrt *r, struct fb_engine_opts *o,
                                     const char *root, char *start, char *remove)
{
    static char path[4096];
    char helper[1024];

    snprintf(helper, sizeof(helper), "%s", FB_NODE_HELPER);
    snprintf(path, sizeof(path), "%s:%s", dirname(helper), getenv("PATH"));
    setenv("PATH", path, 1);
    for (int s = 0; s < FB_STEP_N; s++)
        o->steps[s] = r->steps[s];
    o->steps[FB_STEP_START_INSTANCE] = start;
    o->steps[FB_STEP_REMOVE_INSTANCE] = remove;
    o->metrics_format = FB_METRICS_NONE;
    o->ram_threshold = 90;
    o->command_timeout_ms = 10000;
    o->connect_timeout_ms = 1000;
    o->slots = 1;
    o->warm_nodes = 1;
    o->retries = 1;
    o->instance_root = root;
}
#endif

#endif
