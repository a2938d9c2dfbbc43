/* fuzz_config.c - fuzz target: fb_config_load on an experiment file, its promises, and the fb_config_write round trip. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "experiment/config.h"
#include "core/error.h"
#include "fuzz.h"
#include "policies/policy.h"
#include "core/template.h"

/* root/in/experiment.cfg: "..", where an @include may climb, is the private
 * root, which holds nothing else. */
static struct {
    bool ready;
    char root[PATH_MAX / 4], in[PATH_MAX / 4 + 8];
    char cfg[PATH_MAX / 2], w1[PATH_MAX / 2], w2[PATH_MAX / 2];
} cfz;

static void config_cleanup(void)
{
    unlink(cfz.cfg);
    unlink(cfz.w1);
    unlink(cfz.w2);
    rmdir(cfz.in);
    rmdir(cfz.root);
}

static void config_setup(void)
{
    if (cfz.ready)
        return;
    fuzz_mkdtemp("config", cfz.root, sizeof(cfz.root));
    snprintf(cfz.in, sizeof(cfz.in), "%s/in", cfz.root);
    if (mkdir(cfz.in, 0700) != 0) {
        perror(cfz.in);
        abort();
    }
    snprintf(cfz.cfg, sizeof(cfz.cfg), "%s/experiment.cfg", cfz.in);
    snprintf(cfz.w1, sizeof(cfz.w1), "%s/w1.cfg", cfz.in);
    snprintf(cfz.w2, sizeof(cfz.w2), "%s/w2.cfg", cfz.in);
    atexit(config_cleanup);
    cfz.ready = true;
}

static bool command_ok(const char *command)
{
    char *q = NULL;
    int rc = fb_command_quote(command, &q, NULL);
    free(q);
    return rc == 0;
}

/* What config.h and the rest of the runner rely on in a loaded experiment. */
static void check_experiment(const struct fb_experiment *e)
{
    FUZZ_CHECK(e->path != NULL && fb_name_valid(e->name), "name '%s'",
               e->name != NULL ? e->name : "(null)");
    FUZZ_CHECK(e->n_nodes >= 1 && e->nodes != NULL, "%d nodes", e->n_nodes);
    for (int i = 0; i < e->n_nodes; i++) {
        const struct fb_node_cfg *n = &e->nodes[i];
        FUZZ_CHECK(fb_name_valid(n->name), "node %d name", i);
        FUZZ_CHECK(n->port >= 1 && n->port <= 65535, "node %d port %d", i, n->port);
        FUZZ_CHECK(n->transport == FB_TRANSPORT_SSH || n->transport == FB_TRANSPORT_LOCAL,
                   "node %d transport %d", i, (int)n->transport);
        if (n->transport == FB_TRANSPORT_SSH) {
            FUZZ_CHECK(n->host != NULL && n->user != NULL, "node %d: no host or user", i);
            FUZZ_CHECK(n->identity != NULL || n->password != NULL, "node %d: no credentials", i);
            FUZZ_CHECK(n->known_hosts != NULL || n->insecure_accept_any_host_key,
                       "node %d: host key unchecked", i);
        }
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(n->name, e->nodes[j].name) != 0, "node name '%s' twice", n->name);
    }
    FUZZ_CHECK(e->n_functions >= 1 && e->functions != NULL, "%d functions", e->n_functions);
    for (int i = 0; i < e->n_functions; i++) {
        const struct fb_function_cfg *f = &e->functions[i];
        FUZZ_CHECK(fb_name_valid(f->name), "function %d name", i);
        FUZZ_CHECK(fb_image_valid(f->image), "function %d image", i);
        FUZZ_CHECK(f->command != NULL && command_ok(f->command), "function %d command", i);
        FUZZ_CHECK(f->weight > 0 && f->weight <= 1e6, "function %d weight %g", i, f->weight);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(f->name, e->functions[j].name) != 0, "function name '%s' twice",
                       f->name);
    }
    FUZZ_CHECK(e->matrix.n_policies >= 1 && e->matrix.policies != NULL, "no policies");
    for (int i = 0; i < e->matrix.n_policies; i++)
        FUZZ_CHECK(fb_policy_find(e->matrix.policies[i]) != NULL, "policy %d unknown", i);
    FUZZ_CHECK(e->matrix.n_warmings >= 1 && e->matrix.warmings != NULL, "no warming modes");
    for (int i = 0; i < e->matrix.n_warmings; i++)
        FUZZ_CHECK((int)e->matrix.warmings[i] >= 0 && e->matrix.warmings[i] < FB_WARM_N,
                   "warming %d is %d", i, (int)e->matrix.warmings[i]);
    FUZZ_CHECK(e->matrix.invocations >= 1 && e->matrix.repetitions >= 1, "matrix counts");
    FUZZ_CHECK(fb_runtime_preset_known(e->runtime.preset), "preset");
    for (int s = 0; s < FB_STEP_N; s++)
        FUZZ_CHECK(fb_template_check(e->runtime.steps[s], NULL) == 0, "step %s",
                   fb_step_name((enum fb_step)s));
    FUZZ_CHECK(e->ram_threshold > 0 && e->ram_threshold <= 100, "ram_threshold %g",
               e->ram_threshold);
    FUZZ_CHECK((e->metrics_format == FB_METRICS_NONE) == (e->metrics_command == NULL),
               "metrics command for format %d", (int)e->metrics_format);
    FUZZ_CHECK(e->results_dir != NULL, "results");
    FUZZ_CHECK(e->command_timeout_ms >= 1 && e->connect_timeout_ms >= 1, "timeouts %d %d",
               e->command_timeout_ms, e->connect_timeout_ms);
    FUZZ_CHECK(e->workload.kind >= FB_WORKLOAD_SEQUENTIAL && e->workload.kind <= FB_WORKLOAD_TRACE,
               "workload %d", e->workload.kind);
    FUZZ_CHECK(e->workload.kind != FB_WORKLOAD_TRACE || e->workload.trace != NULL, "trace");
    FUZZ_CHECK(e->workload.time_scale > 0 && e->workload.clients >= 1 &&
                   e->workload.per_node >= 1,
               "workload numbers");
}

/* The file after its first line (which names the experiment's path). */
static const char *after_first_line(const uint8_t *text)
{
    const char *nl = strchr((const char *)text, '\n');
    return nl != NULL ? nl + 1 : "";
}

/* The experiment as written must load again and write the same text. */
static void check_round_trip(const struct fb_experiment *e)
{
    struct fb_experiment again;
    struct fb_errbuf eb = {{0}};
    uint8_t *t1, *t2;
    size_t n1 = 0, n2 = 0;
    int rc;

    FUZZ_CHECK(fb_config_write(e, cfz.w1) == 0, "cannot write %s", cfz.w1);
    rc = fb_config_load(cfz.w1, &again, &eb);
    FUZZ_CHECK(rc == 0, "the written experiment does not load: %s", eb.msg);
    check_experiment(&again);
    FUZZ_CHECK(fb_config_write(&again, cfz.w2) == 0, "cannot write %s", cfz.w2);
    fb_experiment_free(&again);
    t1 = fuzz_read_file(cfz.w1, &n1);
    t2 = fuzz_read_file(cfz.w2, &n2);
    FUZZ_CHECK(t1 != NULL && t2 != NULL, "cannot read the written files");
    FUZZ_CHECK(strcmp(after_first_line(t1), after_first_line(t2)) == 0,
               "writing a reloaded experiment changes it:\n%s\n----\n%s", (const char *)t1,
               (const char *)t2);
    free(t1);
    free(t2);
    unlink(cfz.w1);
    unlink(cfz.w2);
}

/* libconfig 1.5 (Debian 12) leaks on some syntax errors: the string being
 * read when the file ends inside a string literal (strbuf_append), and a
 * string token the parser drops at a syntax error right after it (made in
 * libconfig_yylex). Both are inside libconfig, not the loader, so they are
 * not reported; anything else allocated by libconfig still is (a missing
 * config_destroy would leak from other frames). LeakSanitizer asks for this
 * hook, in the harness and in the replay suite alike. */
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

int fb_fuzz_config(const uint8_t *data, size_t size);

int fb_fuzz_config(const uint8_t *data, size_t size)
{
    static struct fb_config_errors errs;
    struct fb_experiment exp;
    struct fb_errbuf eb = {{0}};
    int rc;

    config_setup();
    fuzz_write_file(cfz.cfg, data, size);
    rc = fb_config_load_all(cfz.cfg, &exp, &eb, &errs);
    if (rc == 0) {
        FUZZ_CHECK(errs.n == 0 && !errs.more, "loaded with %d errors", errs.n);
        check_experiment(&exp);
        check_round_trip(&exp);
        fb_experiment_free(&exp);
    } else {
        FUZZ_CHECK(rc == FB_ECONFIG || rc == FB_ENOMEM, "returned %s", fb_err_name(rc));
        FUZZ_CHECK(eb.msg[0] != '\0' && memchr(eb.msg, '\0', sizeof(eb.msg)) != NULL,
                   "failed without a message");
        FUZZ_CHECK(exp.nodes == NULL && exp.functions == NULL && exp.name == NULL &&
                       exp.path == NULL && exp.matrix.policies == NULL,
                   "a failed load left something to free");
        /* Every error is kept, the first one as fb_config_load gives it. */
        FUZZ_CHECK(errs.n >= 1 && errs.n <= FB_CONFIG_MAX_ERRORS &&
                       (!errs.more || errs.n == FB_CONFIG_MAX_ERRORS),
                   "%d errors kept (more: %d)", errs.n, errs.more);
        FUZZ_CHECK(strcmp(errs.msg[0], eb.msg) == 0, "first error '%s' is not eb's '%s'",
                   errs.msg[0], eb.msg);
        for (int i = 0; i < errs.n; i++)
            FUZZ_CHECK(errs.msg[i][0] != '\0', "error %d has no text", i);
    }
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_config(data, size);
}
#endif
