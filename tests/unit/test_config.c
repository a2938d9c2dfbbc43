/* test_config.c - unit tests of the experiment file: loading, defaults, errors, writing. */
#include <check.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "experiment/config.h"
#include "experiment/faults.h"
#include "experiment/matrix.h"
#include "policies/policy.h"
#include "core/template.h"

#define DIR FB_TEST_DATA "/config"

/* ---- helpers ---- */

static void path_of(char *buf, size_t n, const char *name)
{
    ck_assert_int_lt(snprintf(buf, n, "%s/%s", DIR, name), (int)n);
}

/* The absolute form of DIR/sub, as the loader resolves relative paths. */
static void real_of(char *buf, size_t n, const char *sub, const char *file)
{
    char dir[PATH_MAX], real[PATH_MAX];
    path_of(dir, sizeof(dir), sub);
    ck_assert_ptr_nonnull(realpath(dir, real));
    ck_assert_int_lt(snprintf(buf, n, "%s/%s", real, file), (int)n);
}

static void load_ok(const char *name, struct fb_experiment *exp)
{
    char path[PATH_MAX];
    struct fb_errbuf eb = {{0}};
    path_of(path, sizeof(path), name);
    int rc = fb_config_load(path, exp, &eb);
    ck_assert_msg(rc == 0, "%s: %s (%s)", name, fb_err_name(rc), eb.msg);
}

/* Loads a file that must fail; returns its message. *exp must be left zeroed. */
static void load_bad(const char *path, struct fb_errbuf *eb)
{
    struct fb_experiment exp, zero;
    memset(&exp, 0xab, sizeof(exp));
    memset(&zero, 0, sizeof(zero));
    int rc = fb_config_load(path, &exp, eb);
    ck_assert_msg(rc == FB_ECONFIG, "%s: got %s (%s)", path, fb_err_name(rc), eb->msg);
    ck_assert_msg(memcmp(&exp, &zero, sizeof(exp)) == 0, "%s: experiment not zeroed", path);
}

/* stderr goes to a temporary file between capture_start and capture_end. */
struct capture {
    FILE *tmp;
    int saved;
};

static void capture_start(struct capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(STDERR_FILENO);
    ck_assert_int_ge(c->saved, 0);
    ck_assert_int_ge(dup2(fileno(c->tmp), STDERR_FILENO), 0);
}

static void capture_end(struct capture *c, char *buf, size_t n)
{
    size_t len;
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    rewind(c->tmp);
    len = fread(buf, 1, n - 1, c->tmp);
    buf[len] = '\0';
    fclose(c->tmp);
}

static void assert_preset_steps(const struct fb_experiment *e, const char *preset)
{
    ck_assert_str_eq(e->runtime.preset, preset);
    for (int s = 0; s < FB_STEP_N; s++) {
        const char *want = fb_runtime_preset(preset, (enum fb_step)s);
        ck_assert_ptr_nonnull(want);
        ck_assert_ptr_nonnull(e->runtime.steps[s]);
        ck_assert_str_eq(e->runtime.steps[s], want);
        ck_assert_ptr_ne(e->runtime.steps[s], want); /* a copy the experiment owns */
    }
}

static void assert_default_matrix(const struct fb_matrix_cfg *m)
{
    ck_assert_int_eq(m->n_policies, 3);
    ck_assert_str_eq(m->policies[0], "round-robin");
    ck_assert_str_eq(m->policies[1], "least-used");
    ck_assert_str_eq(m->policies[2], "most-used");
    ck_assert_int_eq(m->n_warmings, 3);
    ck_assert_int_eq(m->warmings[0], FB_WARM_COLD);
    ck_assert_int_eq(m->warmings[1], FB_WARM_PREWARMED);
    ck_assert_int_eq(m->warmings[2], FB_WARM_WARMED);
    ck_assert_int_eq(m->invocations, 1);
    ck_assert_int_eq(m->repetitions, 1);
    ck_assert(!m->shuffle);
    ck_assert(!m->prepull);
}

static void assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        ck_assert_ptr_eq(a, b);
    else
        ck_assert_str_eq(a, b);
}

/* Every field but path; masked: b's passwords are the written mask. */
static void assert_same(const struct fb_experiment *a, const struct fb_experiment *b,
                        bool masked)
{
    assert_str_same(a->name, b->name);
    ck_assert_int_eq(a->n_nodes, b->n_nodes);
    for (int i = 0; i < a->n_nodes; i++) {
        const struct fb_node_cfg *x = &a->nodes[i], *y = &b->nodes[i];
        assert_str_same(x->name, y->name);
        assert_str_same(x->host, y->host);
        ck_assert_int_eq(x->port, y->port);
        assert_str_same(x->user, y->user);
        assert_str_same(x->identity, y->identity);
        if (masked && x->password != NULL && x->password_env == NULL)
            ck_assert_str_eq(y->password, "********");
        else
            assert_str_same(x->password, y->password);
        assert_str_same(x->password_env, y->password_env);
        assert_str_same(x->known_hosts, y->known_hosts);
        ck_assert_int_eq(x->insecure_accept_any_host_key, y->insecure_accept_any_host_key);
        ck_assert_int_eq(x->transport, y->transport);
    }
    ck_assert_int_eq(a->n_functions, b->n_functions);
    for (int i = 0; i < a->n_functions; i++) {
        const struct fb_function_cfg *x = &a->functions[i], *y = &b->functions[i];
        assert_str_same(x->name, y->name);
        assert_str_same(x->image, y->image);
        assert_str_same(x->command, y->command);
        ck_assert_int_eq(x->network, y->network);
    }
    ck_assert_int_eq(a->matrix.n_policies, b->matrix.n_policies);
    for (int i = 0; i < a->matrix.n_policies; i++)
        ck_assert_str_eq(a->matrix.policies[i], b->matrix.policies[i]);
    ck_assert_int_eq(a->matrix.n_warmings, b->matrix.n_warmings);
    for (int i = 0; i < a->matrix.n_warmings; i++)
        ck_assert_int_eq(a->matrix.warmings[i], b->matrix.warmings[i]);
    ck_assert_int_eq(a->matrix.invocations, b->matrix.invocations);
    ck_assert_int_eq(a->matrix.repetitions, b->matrix.repetitions);
    ck_assert_int_eq(a->matrix.shuffle, b->matrix.shuffle);
    ck_assert_int_eq(a->matrix.prepull, b->matrix.prepull);
    assert_str_same(a->runtime.preset, b->runtime.preset);
    for (int s = 0; s < FB_STEP_N; s++)
        assert_str_same(a->runtime.steps[s], b->runtime.steps[s]);
    ck_assert(a->ram_threshold == b->ram_threshold);
    ck_assert_int_eq(a->metrics_format, b->metrics_format);
    assert_str_same(a->metrics_command, b->metrics_command);
    ck_assert_int_eq(a->node_timing, b->node_timing);
    ck_assert_int_eq(a->agent, b->agent);
    assert_str_same(a->results_dir, b->results_dir);
    ck_assert(a->seed == b->seed);
    ck_assert_int_eq(a->command_timeout_ms, b->command_timeout_ms);
    ck_assert_int_eq(a->connect_timeout_ms, b->connect_timeout_ms);
    ck_assert_int_eq(a->n_faults, b->n_faults);
    for (int i = 0; i < a->n_faults; i++) {
        const struct fb_fault_cfg *x = &a->faults[i], *y = &b->faults[i];
        ck_assert(x->at_s == y->at_s && x->for_s == y->for_s && x->fraction == y->fraction);
        ck_assert_str_eq(x->node, y->node);
        ck_assert_int_eq(x->action, y->action);
    }
}

/* ---- names ---- */

START_TEST(test_warming_names)
{
    static const char *const names[FB_WARM_N] = {"cold", "pre-warmed", "warmed", "keep-alive"};
    enum fb_warming w;
    for (int i = 0; i < FB_WARM_N; i++) {
        ck_assert_str_eq(fb_warming_name((enum fb_warming)i), names[i]);
        ck_assert_int_eq(fb_warming_parse(names[i], &w), 0);
        ck_assert_int_eq(w, i);
    }
    ck_assert_int_eq(fb_warming_parse("hot", &w), FB_EINVAL);
    ck_assert_int_eq(fb_warming_parse("Cold", &w), FB_EINVAL);
    ck_assert_int_eq(fb_warming_parse(NULL, &w), FB_EINVAL);
}
END_TEST

START_TEST(test_step_names)
{
    static const char *const names[FB_STEP_N] = {
        "pull", "run", "start", "exec", "remove_image", "remove_container", "reset",
        "start_instance", "remove_instance", "kill", "fault", "unfault",
    };
    for (int s = 0; s < FB_STEP_N; s++)
        ck_assert_str_eq(fb_step_name((enum fb_step)s), names[s]);
}
END_TEST

/* ---- valid files ---- */

START_TEST(test_minimal_defaults)
{
    struct fb_experiment e;
    char want[PATH_MAX];
    load_ok("minimal.cfg", &e);

    path_of(want, sizeof(want), "minimal.cfg");
    ck_assert_str_eq(e.path, want);
    ck_assert_str_eq(e.name, "minimal");
    ck_assert_int_eq(e.n_nodes, 1);
    const struct fb_node_cfg *n = &e.nodes[0];
    ck_assert_str_eq(n->name, "node1");
    ck_assert_str_eq(n->host, "127.0.0.1");
    ck_assert_int_eq(n->port, 22);
    ck_assert_str_eq(n->user, "faas");
    real_of(want, sizeof(want), ".", "keys/id_test");
    ck_assert_str_eq(n->identity, want);
    real_of(want, sizeof(want), ".", "keys/known_hosts");
    ck_assert_str_eq(n->known_hosts, want);
    ck_assert_ptr_null(n->password);
    ck_assert(!n->insecure_accept_any_host_key);
    ck_assert_int_eq(n->transport, FB_TRANSPORT_SSH);
    ck_assert_int_eq(n->line, 3);

    ck_assert_int_eq(e.n_functions, 1);
    const struct fb_function_cfg *f = &e.functions[0];
    ck_assert_str_eq(f->name, "fib");
    ck_assert_str_eq(f->image, "127.0.0.1:5000/faasbench/fib-light:1");
    ck_assert_str_eq(f->command, "python3 fib.py 20000");
    ck_assert(f->network);
    ck_assert_int_eq(f->line, 7);

    assert_default_matrix(&e.matrix);
    assert_preset_steps(&e, "docker");
    ck_assert(e.ram_threshold == 90.0);
    ck_assert_int_eq(e.metrics_format, FB_METRICS_FBNODE);
    ck_assert_str_eq(e.metrics_command, "faasbench-node metrics");
    ck_assert(e.node_timing);
    ck_assert(e.agent); /* follows node_timing */
    ck_assert_str_eq(e.results_dir, "results");
    ck_assert(e.seed == 1);
    ck_assert_int_eq(e.command_timeout_ms, 600000);
    ck_assert_int_eq(e.connect_timeout_ms, 10000);
    /* Resident instances live below the node user's home, not in /tmp. */
    ck_assert_str_eq(e.runtime.instance_root, "~/.faasbench/instances");
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_keepalive_prepull)
{
    struct fb_experiment e;

    load_ok("keepalive_prepull.cfg", &e);
    ck_assert_int_eq(e.matrix.n_warmings, 1);
    ck_assert_int_eq(e.matrix.warmings[0], FB_WARM_KEEPALIVE);
    ck_assert(e.matrix.prepull);
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_full_every_key)
{
    struct fb_experiment e;
    struct capture c;
    char want[PATH_MAX], err[2048];

    ck_assert_int_eq(setenv("FB_TEST_NODE_PW", "s3cret", 1), 0);
    capture_start(&c);
    load_ok("full.cfg", &e);
    capture_end(&c, err, sizeof(err));
    ck_assert_str_eq(err,
                     DIR "/full.cfg:9: nodes[1].password: warning: password written in the "
                         "file; prefer password_env\n" DIR
                         "/full.cfg:10: nodes[1].insecure_accept_any_host_key: warning: the "
                         "host key of 'node2' is not verified\n");

    ck_assert_str_eq(e.name, "full-run");
    ck_assert_int_eq(e.n_nodes, 2);
    const struct fb_node_cfg *n = &e.nodes[0];
    ck_assert_str_eq(n->name, "node1");
    ck_assert_int_eq(n->transport, FB_TRANSPORT_SSH);
    ck_assert_str_eq(n->host, "10.0.0.1");
    ck_assert_int_eq(n->port, 2222);
    ck_assert_str_eq(n->user, "faas");
    real_of(want, sizeof(want), ".", "keys/id_test");
    ck_assert_str_eq(n->identity, want);
    ck_assert_str_eq(n->password, "s3cret");
    real_of(want, sizeof(want), ".", "keys/known_hosts");
    ck_assert_str_eq(n->known_hosts, want);
    ck_assert(!n->insecure_accept_any_host_key);
    ck_assert_int_eq(n->line, 4);
    n = &e.nodes[1];
    ck_assert_str_eq(n->name, "node2");
    ck_assert_str_eq(n->host, "10.0.0.2");
    ck_assert_int_eq(n->port, 2223);
    ck_assert_str_eq(n->user, "root");
    ck_assert_ptr_null(n->identity);
    ck_assert_str_eq(n->password, "inline-secret");
    ck_assert_ptr_null(n->known_hosts);
    ck_assert(n->insecure_accept_any_host_key);
    ck_assert_int_eq(n->line, 7);

    ck_assert_int_eq(e.n_functions, 2);
    ck_assert_str_eq(e.functions[0].name, "fib-light");
    ck_assert_str_eq(e.functions[0].image, "127.0.0.1:5000/faasbench/fib-light:1");
    ck_assert_str_eq(e.functions[0].command, "python3 fib.py 20000");
    ck_assert(!e.functions[0].network);
    ck_assert_int_eq(e.functions[0].line, 14);
    ck_assert_str_eq(e.functions[1].name, "fib-heavy");
    ck_assert_str_eq(e.functions[1].command, "python3 -c \"print('hi')\"");
    ck_assert(e.functions[1].network);
    ck_assert_int_eq(e.functions[1].line, 16);

    ck_assert_int_eq(e.matrix.n_policies, 2);
    ck_assert_str_eq(e.matrix.policies[0], "most-used");
    ck_assert_str_eq(e.matrix.policies[1], "round-robin");
    ck_assert_int_eq(e.matrix.n_warmings, 2);
    ck_assert_int_eq(e.matrix.warmings[0], FB_WARM_WARMED);
    ck_assert_int_eq(e.matrix.warmings[1], FB_WARM_COLD);
    ck_assert_int_eq(e.matrix.invocations, 3);
    ck_assert_int_eq(e.matrix.repetitions, 2);
    ck_assert(e.matrix.shuffle);

    ck_assert_str_eq(e.runtime.preset, "podman");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_PULL], "podman pull --tls-verify=false {image}");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_RUN],
                     "podman run --rm --name {container} {network} {image} {command}");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_START],
                     "podman run -d --name {container} {network} {image} sleep infinity");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_EXEC], "podman exec {container} {command}");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_REMOVE_IMAGE], "podman rmi -f {image}");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_REMOVE_CONTAINER], "podman rm -f -t 0 {container}");
    ck_assert_str_eq(e.runtime.steps[FB_STEP_RESET],
                     "podman rm -af -t 0; podman rmi -f {images}; true");

    ck_assert(e.ram_threshold == 87.5);
    ck_assert_int_eq(e.metrics_format, FB_METRICS_TESTBED);
    ck_assert_str_eq(e.metrics_command, "/opt/node/metrics.sh");
    ck_assert(e.node_timing);
    ck_assert(!e.agent); /* set apart from node_timing */
    ck_assert_str_eq(e.results_dir, "out/results");
    ck_assert(e.seed == 5000000000ULL);
    ck_assert_int_eq(e.command_timeout_ms, 120500);
    ck_assert_int_eq(e.connect_timeout_ms, 3000);
    ck_assert_int_eq(e.n_faults, 1);
    ck_assert(e.faults[0].at_s == 0.5 && e.faults[0].for_s == 2.5);
    ck_assert_str_eq(e.faults[0].node, "node2");
    ck_assert_int_eq(e.faults[0].action, FB_FAULT_SLOW);
    ck_assert(e.faults[0].fraction == 0.125);
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_include_nodes)
{
    struct fb_experiment e;
    char want[PATH_MAX];
    load_ok("include.cfg", &e);

    ck_assert_str_eq(e.name, "include");
    ck_assert_int_eq(e.n_nodes, 2);
    for (int i = 0; i < 2; i++) {
        const struct fb_node_cfg *n = &e.nodes[i];
        ck_assert_str_eq(n->name, i == 0 ? "n1" : "n2");
        ck_assert_str_eq(n->host, "127.0.0.1");
        ck_assert_int_eq(n->port, 2222 + i);
        ck_assert_str_eq(n->user, "faas");
        /* Relative to the included file's folder, not the including one. */
        real_of(want, sizeof(want), "nodes", "../keys/id_test");
        ck_assert_str_eq(n->identity, want);
        real_of(want, sizeof(want), "nodes", "../keys/known_hosts");
        ck_assert_str_eq(n->known_hosts, want);
        ck_assert_int_eq(n->line, 3 + 2 * i); /* line in nodes/two_nodes.cfg */
    }
    ck_assert_int_eq(e.n_functions, 1);
    ck_assert_str_eq(e.functions[0].name, "noop");
    ck_assert_str_eq(e.functions[0].image, "localhost/faasbench/noop:1");
    ck_assert_str_eq(e.functions[0].command, "true");
    ck_assert_int_eq(e.functions[0].line, 4);
    ck_assert_int_eq(e.matrix.n_policies, 1);
    ck_assert_str_eq(e.matrix.policies[0], "least-used");
    ck_assert_int_eq(e.matrix.n_warmings, 1);
    ck_assert_int_eq(e.matrix.warmings[0], FB_WARM_PREWARMED);
    ck_assert_int_eq(e.matrix.invocations, 2);
    ck_assert_int_eq(e.matrix.repetitions, 1);
    ck_assert(!e.matrix.shuffle);
    assert_preset_steps(&e, "docker");
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_local_node)
{
    struct fb_experiment e;
    load_ok("local.cfg", &e);

    ck_assert_str_eq(e.name, "local");
    ck_assert_int_eq(e.n_nodes, 1);
    const struct fb_node_cfg *n = &e.nodes[0];
    ck_assert_str_eq(n->name, "here");
    ck_assert_int_eq(n->transport, FB_TRANSPORT_LOCAL);
    ck_assert_ptr_null(n->host);
    ck_assert_ptr_null(n->user);
    ck_assert_ptr_null(n->identity);
    ck_assert_ptr_null(n->password);
    ck_assert_ptr_null(n->known_hosts);
    ck_assert_int_eq(n->port, 22);
    ck_assert(!n->insecure_accept_any_host_key);
    ck_assert_int_eq(n->line, 2);
    assert_default_matrix(&e.matrix);
    assert_preset_steps(&e, "podman");
    ck_assert_int_eq(e.metrics_format, FB_METRICS_NONE);
    ck_assert_ptr_null(e.metrics_command);
    ck_assert(!e.node_timing);
    ck_assert(!e.agent); /* follows node_timing */
    fb_experiment_free(&e);
}
END_TEST

/* A schedule loads as written, resolves its nodes and names its faults;
 * which fault was active when is by the windows an executor filled in. */
START_TEST(test_faults_schedule)
{
    struct fb_experiment e;
    struct fb_schedule s;
    struct fb_errbuf eb = {{0}};
    char buf[256];

    load_ok("faults.cfg", &e);
    ck_assert_int_eq(e.n_faults, 5);
    ck_assert(e.faults[0].at_s == 10.0 && e.faults[0].for_s == 10.0);
    ck_assert_str_eq(e.faults[0].node, "node2");
    ck_assert_int_eq(e.faults[0].action, FB_FAULT_DOWN);
    ck_assert_int_eq(e.faults[1].action, FB_FAULT_SLOW);
    ck_assert(e.faults[1].fraction == 0.5);
    ck_assert(e.faults[4].fraction == 0.25); /* the default */
    ck_assert_int_eq(e.faults[2].action, FB_FAULT_KILL);
    ck_assert_int_eq(e.faults[3].action, FB_FAULT_PARTITION);
    ck_assert_int_eq(e.faults[3].line, 14);

    ck_assert_int_eq(fb_schedule_make(&e, &s), 0);
    ck_assert_int_eq(s.n, 5);
    ck_assert_str_eq(s.v[0].name, "f1:down:node2");
    ck_assert_str_eq(s.v[2].name, "f3:kill-instances:node1");
    ck_assert_int_eq(s.v[0].node, 1);
    ck_assert_int_eq(s.v[2].node, 0);
    ck_assert(s.v[1].end_s == 35.5);
    ck_assert_int_eq(fb_schedule_at(&s, 1, 19.999), 0);
    ck_assert_int_eq(fb_schedule_at(&s, 1, 20.0), 1); /* end excluded, begin included */
    ck_assert_int_eq(fb_schedule_at(&s, 0, 20.0), -1);

    struct fb_fault_window w[5] = {{1000, 2000}, {2000, 0}, {1500, 1600}, {0, 0}, {0, 0}};
    fb_schedule_active(&s, w, 999, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    fb_schedule_active(&s, w, 1500, buf, sizeof(buf));
    ck_assert_str_eq(buf, "f1:down:node2 f3:kill-instances:node1");
    fb_schedule_active(&s, w, 2000, buf, sizeof(buf));
    ck_assert_str_eq(buf, "f2:slow:node2"); /* f1 ended at 2000; f2 still on */
    fb_schedule_active(&s, w, 1500, buf, 20); /* too small: whole names only */
    ck_assert_str_eq(buf, "f1:down:node2");

    /* A trace's length is known once it is read. */
    ck_assert_int_eq(fb_schedule_check_length(&e, 60.0, "the trace ends at 60 s", &eb), 0);
    ck_assert_int_eq(fb_schedule_check_length(&e, 55.0, "the trace ends at 55 s", &eb),
                     FB_ECONFIG);
    ck_assert_str_eq(eb.msg, DIR "/faults.cfg:14: faults[3].for_s: the window 40-60 s ends past "
                             "the end of the workload (the trace ends at 55 s)");
    ck_assert_int_eq(fb_schedule_check_length(&e, 35.0, "x", &eb), FB_ECONFIG);
    ck_assert_str_eq(eb.msg, DIR "/faults.cfg:12: faults[1].for_s: the window 20-35.5 s ends "
                             "past the end of the workload (x)");
    fb_schedule_free(&s);
    fb_experiment_free(&e);
}
END_TEST

/* ---- files that must fail, each with its exact message ---- */

static const struct bad {
    const char *file;
    const char *msg;      /* the whole message */
    const char *contains; /* when set, msg is a prefix and the rest must contain this */
} bad_files[] = {
    {"bad_syntax.cfg", DIR "/bad_syntax.cfg:3: syntax error: syntax error", NULL},
    {"bad_dup_key.cfg", DIR "/bad_dup_key.cfg:10: syntax error: duplicate setting name", NULL},
    {"bad_unknown_key.cfg",
     DIR "/bad_unknown_key.cfg:11: runtime.colour: unknown key (known: preset, pull, run, "
         "start, exec, remove_image, remove_container, reset, start_instance, "
         "remove_instance, kill, fault, unfault, instance_root)",
     NULL},
    {"bad_typo_key.cfg",
     DIR "/bad_typo_key.cfg:4: nodes[0].prot: unknown key (did you mean 'port'?)", NULL},
    {"bad_typo_section.cfg",
     DIR "/bad_typo_section.cfg:6: functons: unknown key (did you mean 'functions'?)", NULL},
    {"bad_invocations.cfg",
     DIR "/bad_invocations.cfg:11: matrix.invocations: must be >= 1 (got 0)", NULL},
    {"bad_dup_function.cfg",
     DIR "/bad_dup_function.cfg:7: functions[2].name: duplicate function name 'fib' "
         "(first at line 3)",
     NULL},
    {"bad_dup_node.cfg",
     DIR "/bad_dup_node.cfg:5: nodes[1].name: duplicate node name 'node1' (first at line 3)",
     NULL},
    {"bad_port_type.cfg",
     DIR "/bad_port_type.cfg:4: nodes[0].port: expected an integer (got a string)", NULL},
    {"bad_port_range.cfg",
     DIR "/bad_port_range.cfg:4: nodes[0].port: must be <= 65535 (got 70000)", NULL},
    {"bad_policy.cfg",
     DIR "/bad_policy.cfg:11: matrix.policies[1]: unknown policy 'round-robbin' "
         "(did you mean 'round-robin'?)",
     NULL},
    {"bad_policy_param.cfg",
     DIR "/bad_policy_param.cfg:11: matrix.policies[1]: ch-bl: unknown parameter 'eps' "
         "(known: epsilon, vnodes)",
     NULL},
    {"bad_policy_range.cfg",
     DIR "/bad_policy_range.cfg:10: matrix.policies[0]: ch-rlu: share: 1.5 is outside [0, 1]",
     NULL},
    {"bad_policy_typo_params.cfg",
     DIR "/bad_policy_typo_params.cfg:11: matrix.policies[1]: unknown policy 'ch-bll' "
         "(did you mean 'ch-bl'?)",
     NULL},
    {"bad_policy_same.cfg",
     DIR "/bad_policy_same.cfg:12: matrix.policies[2]: 'ch-bl:vnodes=10,epsilon=.50' runs the "
         "same policy with the same parameters as [0] 'ch-bl:epsilon=0.5'",
     NULL},
    {"bad_warming.cfg",
     DIR "/bad_warming.cfg:9: matrix.warming[1]: unknown warming mode 'hot' "
         "(known: cold, pre-warmed, warmed, keep-alive)",
     NULL},
    {"bad_keepalive_typo.cfg",
     DIR "/bad_keepalive_typo.cfg:10: matrix.keepalive[1]: unknown keep-alive policy "
         "'greedy-dule' (did you mean 'greedy-dual'?)",
     NULL},
    {"bad_keepalive_param.cfg",
     DIR "/bad_keepalive_param.cfg:10: matrix.keepalive[0]: ttl: ttl_s: -5 is outside [0, 1e+09]",
     NULL},
    {"bad_keepalive_not_resident.cfg",
     DIR "/bad_keepalive_not_resident.cfg:9: functions[1].resident: a keep-alive cell keeps "
         "instances: 'cmd' must be resident (a handler, or resident = true)",
     NULL},
    {"bad_keepalive_too_big.cfg",
     DIR "/bad_keepalive_too_big.cfg:12: functions[1].memory_mb: 'big' needs 1024 MB, more than "
         "any node offers (the most: 512 MB, node node1): a keep-alive cell could never start it",
     NULL},
    {"bad_prepull_no_keepalive.cfg",
     DIR "/bad_prepull_no_keepalive.cfg:10: matrix.prepull: only keep-alive cells pull ahead: "
         "warming has no \"keep-alive\"",
     NULL},
    {"bad_dup_warming.cfg",
     DIR "/bad_dup_warming.cfg:10: matrix.warming[2]: duplicate entry 'cold' (first at [0])",
     NULL},
    {"bad_empty_policies.cfg",
     DIR "/bad_empty_policies.cfg:10: matrix.policies: must not be empty", NULL},
    {"bad_missing_host.cfg",
     DIR "/bad_missing_host.cfg:3: nodes[0].host: missing (required for transport 'ssh')",
     NULL},
    {"bad_no_credentials.cfg",
     DIR "/bad_no_credentials.cfg:6: nodes[0].identity: missing: set identity, password_env "
         "or password (required for transport 'ssh')",
     NULL},
    {"bad_no_hostkey.cfg",
     DIR "/bad_no_hostkey.cfg:3: nodes[0].known_hosts: missing: host keys must be verified; "
         "set known_hosts (or insecure_accept_any_host_key = true)",
     NULL},
    {"bad_password_env.cfg",
     DIR "/bad_password_env.cfg:4: nodes[0].password_env: environment variable "
         "'FB_TEST_UNSET_PW' is not set",
     NULL},
    {"bad_password_both.cfg",
     DIR "/bad_password_both.cfg:5: nodes[0].password_env: cannot be used together with "
         "password",
     NULL},
    {"bad_function_name.cfg",
     DIR "/bad_function_name.cfg:7: functions[0].name: invalid name 'fib light' "
         "(1 to 64 of A-Z a-z 0-9 _ . -)",
     NULL},
    {"bad_image.cfg",
     DIR "/bad_image.cfg:8: functions[0].image: invalid image reference "
         "'Faasbench/Fib Light:1'",
     NULL},
    {"bad_image_option.cfg",
     DIR "/bad_image_option.cfg:8: functions[0].image: invalid image reference '-w.x/y'", NULL},
    {"bad_missing_image.cfg",
     DIR "/bad_missing_image.cfg:7: functions[0].image: missing required key "
         "(container image reference)",
     NULL},
    {"bad_command.cfg", DIR "/bad_command.cfg:8: functions[0].command: invalid command: ",
     "unterminated"},
    {"bad_trace_percentiles.cfg",
     DIR "/bad_trace_percentiles.cfg:10: workload.durations: only an \"azure\" (2019) trace "
         "has percentile files",
     NULL},
    {"bad_work_resident_command.cfg",
     DIR "/bad_work_resident_command.cfg:9: functions[0].command: a resident instance's "
         "command is fixed when it starts: {duration_ms} and {memory_mb} go in args "
         "(appended at each call), or resident = false",
     NULL},
    {"bad_network_type.cfg",
     DIR "/bad_network_type.cfg:8: functions[0].network: expected true or false "
         "(got an integer)",
     NULL},
    {"bad_template.cfg", DIR "/bad_template.cfg:10: runtime.run: invalid template: ",
     "{imagee}"},
    {"bad_preset.cfg",
     DIR "/bad_preset.cfg:9: runtime.preset: unknown preset 'dokcer' (did you mean 'docker'?)",
     NULL},
    {"bad_ram.cfg", DIR "/bad_ram.cfg:9: ram_threshold: must be > 0 (got 0)", NULL},
    {"bad_ram_high.cfg", DIR "/bad_ram_high.cfg:9: ram_threshold: must be <= 100 (got 100.5)",
     NULL},
    {"bad_metrics_format.cfg",
     DIR "/bad_metrics_format.cfg:10: metrics.format: unknown format 'xml' "
         "(known: faasbench-node, testbed, none)",
     NULL},
    {"bad_metrics_none_command.cfg",
     DIR "/bad_metrics_none_command.cfg:11: metrics.command: not used with format 'none'",
     NULL},
    {"bad_timeout.cfg", DIR "/bad_timeout.cfg:9: timeouts.command_s: must be > 0 (got 0)",
     NULL},
    {"bad_seed.cfg", DIR "/bad_seed.cfg:9: seed: must be >= 0 (got -1)", NULL},
    {"bad_no_nodes.cfg",
     DIR "/bad_no_nodes.cfg:1: nodes: missing required key "
         "(execution nodes: ( { name = ...; host = ...; ... } ))",
     NULL},
    {"bad_empty_nodes.cfg", DIR "/bad_empty_nodes.cfg:2: nodes: must not be empty", NULL},
    {"bad_nodes_group.cfg",
     DIR "/bad_nodes_group.cfg:2: nodes: expected a list of groups ( { ... }, ... ) "
         "(got a group)",
     NULL},
    {"bad_missing_include.cfg",
     DIR "/bad_missing_include.cfg:2: @include: cannot open '" DIR "/nodes/absent.cfg': "
         "No such file or directory",
     NULL},
    {"bad_absolute_include.cfg",
     DIR "/bad_absolute_include.cfg:2: @include: cannot open "
         "'/nonexistent/faasbench/nodes.cfg': include paths must be relative to '" DIR "'",
     NULL},
    /* The error names the included file and its line. */
    {"bad_include_error.cfg",
     DIR "/nodes/bad_nodes.cfg:5: nodes[0].usr: unknown key (did you mean 'user'?)", NULL},
    /* The fault schedule: nodes, actions, one fault at a time per node, the
     * workload's end, the keys each action takes. */
    {"bad_fault_node.cfg",
     DIR "/bad_fault_node.cfg:11: faults[1].node: unknown node 'nod2' (did you mean 'node2'?)",
     NULL},
    {"bad_fault_action.cfg",
     DIR "/bad_fault_action.cfg:8: faults[0].action: unknown fault action 'crash' "
         "(known: down, slow, kill-instances, partition)",
     NULL},
    {"bad_fault_overlap.cfg",
     DIR "/bad_fault_overlap.cfg:12: faults[2].at_s: slow 35-45 s overlaps faults[0] "
         "(down 10-40 s, line 10) on node node2: one fault at a time per node",
     NULL},
    {"bad_fault_past_end.cfg",
     DIR "/bad_fault_past_end.cfg:11: faults[1].for_s: the window 50-70 s ends past the end "
         "of the workload (workload.duration_s = 60)",
     NULL},
    {"bad_fault_starts_past_end.cfg",
     DIR "/bad_fault_starts_past_end.cfg:9: faults[0].at_s: the window 45-50 s ends past the "
         "end of the workload (workload.duration_s = 30)",
     NULL},
    {"bad_fault_fraction.cfg",
     DIR "/bad_fault_fraction.cfg:9: faults[0].fraction: only a \"slow\" fault takes a "
         "fraction (this one is \"down\")",
     NULL},
    {"bad_fault_missing_for.cfg",
     DIR "/bad_fault_missing_for.cfg:8: faults[0].for_s: missing required key ",
     "how long it lasts"},
    {"bad+name.cfg",
     DIR "/bad+name.cfg:1: name: the file name gives the invalid name 'bad+name'; "
         "set name = \"...\" (1 to 64 of A-Z a-z 0-9 _ . -)",
     NULL},
};

START_TEST(test_bad_file)
{
    const struct bad *b = &bad_files[_i];
    struct fb_errbuf eb = {{0}};
    char path[PATH_MAX];

    ck_assert_int_eq(setenv("FB_TEST_NODE_PW", "s3cret", 1), 0);
    ck_assert_int_eq(unsetenv("FB_TEST_UNSET_PW"), 0);
    path_of(path, sizeof(path), b->file);
    load_bad(path, &eb);
    if (b->contains == NULL) {
        ck_assert_str_eq(eb.msg, b->msg);
    } else {
        size_t n = strlen(b->msg);
        ck_assert_msg(strncmp(eb.msg, b->msg, n) == 0, "%s: got '%s'", b->file, eb.msg);
        ck_assert_msg(strstr(eb.msg + n, b->contains) != NULL, "%s: got '%s'", b->file,
                      eb.msg);
    }
}
END_TEST

/* A keep-alive policy is checked as a node policy is: a misspelt name is
 * named without its parameters, and parameters without a name say so. */
START_TEST(test_keepalive_spec_errors_as_a_policys)
{
    static struct fb_config_errors errs;
    struct fb_experiment e;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_config_load_all(DIR "/bad_keepalive_typo_params.cfg", &e, &eb, &errs),
                     FB_ECONFIG);
    ck_assert_int_eq(errs.n, 2);
    ck_assert_str_eq(errs.msg[0], DIR "/bad_keepalive_typo_params.cfg:11: matrix.keepalive[0]: "
                                      "unknown keep-alive policy 'ttll' (did you mean 'ttl'?)");
    ck_assert_str_eq(errs.msg[1], DIR "/bad_keepalive_typo_params.cfg:12: matrix.keepalive[1]: "
                                      "':ttl_s=5': no keep-alive policy name before ':'");
}
END_TEST

START_TEST(test_bad_identity)
{
    struct fb_errbuf eb = {{0}};
    char path[PATH_MAX], key[PATH_MAX], want[2 * PATH_MAX];
    path_of(path, sizeof(path), "bad_identity.cfg");
    real_of(key, sizeof(key), ".", "keys/absent");
    ck_assert_int_lt(snprintf(want, sizeof(want),
                              "%s:4: nodes[0].identity: cannot read '%s': No such file or "
                              "directory",
                              path, key),
                     (int)sizeof(want));
    load_bad(path, &eb);
    ck_assert_str_eq(eb.msg, want);
}
END_TEST

START_TEST(test_unknown_policy_lists_known)
{
    struct fb_errbuf eb = {{0}};
    char path[PATH_MAX], want[1024];
    const struct fb_policy *p;
    size_t len;

    path_of(path, sizeof(path), "bad_policy_far.cfg");
    len = (size_t)snprintf(want, sizeof(want),
                           "%s:9: matrix.policies[0]: unknown policy 'fastest-first' (known:", path);
    for (int i = 0; (p = fb_policy_at(i)) != NULL; i++)
        len += (size_t)snprintf(want + len, sizeof(want) - len, "%s %s", i > 0 ? "," : "",
                                p->name);
    snprintf(want + len, sizeof(want) - len, ")");
    load_bad(path, &eb);
    ck_assert_str_eq(eb.msg, want);
}
END_TEST

/* One policy in several cells, each with its own parameters: each entry is
 * its own cell, named in the rows by the entry as written. */
START_TEST(test_policy_with_parameters_in_several_cells)
{
    static const char *const want[7] = {
        "ch-bl", "ch-bl:epsilon=0.5", "ch-bl:vnodes=100,epsilon=1",
        "ch-rlu:share=0.3,bound=2,period_s=0.5", "ch-rlu", "least-connections", "pull-based",
    };
    struct fb_experiment e;
    struct fb_cell *cells = NULL;
    struct fb_plugspec spec;
    int n = 0;

    load_ok("policy_params.cfg", &e);
    ck_assert_int_eq(e.matrix.n_policies, 7);
    for (int i = 0; i < 7; i++)
        ck_assert_str_eq(e.matrix.policies[i], want[i]);
    ck_assert_int_eq(fb_matrix_expand(&e.matrix, e.seed, &cells, &n), 0);
    ck_assert_int_eq(n, 7);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(cells[i].policy, i);
    free(cells);
    /* What each cell's policy gets at init: its own values. */
    ck_assert_ptr_eq(fb_policy_find_spec(e.matrix.policies[2], &spec, NULL), &fb_policy_ch_bl);
    ck_assert(spec.values[0] == 1 && spec.values[1] == 100);
    ck_assert_ptr_eq(fb_policy_find_spec(e.matrix.policies[3], &spec, NULL), &fb_policy_ch_rlu);
    ck_assert(spec.values[0] == 0.3 && spec.values[1] == 2 && spec.values[2] == 0.5 &&
              spec.values[3] == 4 && spec.values[4] == 3);
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_missing_file)
{
    struct fb_errbuf eb = {{0}};
    load_bad(DIR "/absent.cfg", &eb);
    ck_assert_str_eq(eb.msg, DIR "/absent.cfg: cannot open: No such file or directory");
}
END_TEST

/* A private folder under /tmp for one test (left for the forked test's end). */
static void scratch_dir(char *buf, size_t n)
{
    ck_assert_int_lt(snprintf(buf, n, "/tmp/fb-config-test-XXXXXX"), (int)n);
    ck_assert_ptr_nonnull(mkdtemp(buf));
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

/* Opening a FIFO for reading waits for a writer: the loader must look at
 * the type first (this test's timeout catches a hang). */
START_TEST(test_fifo_is_refused)
{
    struct fb_errbuf eb = {{0}};
    char dir[64], fifo[PATH_MAX], want[PATH_MAX + 64];

    scratch_dir(dir, sizeof(dir));
    snprintf(fifo, sizeof(fifo), "%s/experiment.cfg", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    load_bad(fifo, &eb);
    snprintf(want, sizeof(want), "%s: cannot open: not a regular file", fifo);
    ck_assert_str_eq(eb.msg, want);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

START_TEST(test_include_of_a_fifo_is_refused)
{
    struct fb_errbuf eb = {{0}};
    char dir[64], path[PATH_MAX], fifo[PATH_MAX], want[3 * PATH_MAX];

    scratch_dir(dir, sizeof(dir));
    snprintf(fifo, sizeof(fifo), "%s/nodes.cfg", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    put_file(dir, "experiment.cfg",
             "# includes a FIFO\n@include \"nodes.cfg\"\nfunctions = ( { name = \"f\"; "
             "image = \"x\"; command = \"true\"; } );\n");
    snprintf(path, sizeof(path), "%s/experiment.cfg", dir);
    load_bad(path, &eb);
    snprintf(want, sizeof(want), "%s:2: @include: cannot open '%s/nodes.cfg': not a regular file",
             path, dir);
    ck_assert_str_eq(eb.msg, want);
    unlink(path);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

/* 100,000 nodes load in well under this test's timeout (the duplicate-name
 * check was quadratic: 39 s), and a duplicate at the end is still found
 * with its first occurrence. */
START_TEST(test_many_nodes)
{
    enum { N = 100000 };
    struct fb_experiment e;
    struct fb_errbuf eb = {{0}};
    char dir[64], path[PATH_MAX], want[PATH_MAX + 128];
    struct timespec t0, t1;
    FILE *f;
    int rc;

    scratch_dir(dir, sizeof(dir));
    for (int dup = 0; dup < 2; dup++) {
        snprintf(path, sizeof(path), "%s/many%d.cfg", dir, dup);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("nodes = (\n", f);
        for (int i = 0; i < N; i++)
            fprintf(f, "  { name = \"n%d\"; transport = \"local\"; }%s\n",
                    dup && i == N - 1 ? 7 : i, i + 1 < N ? "," : "");
        fputs(");\nfunctions = ( { name = \"f\"; image = \"x\"; command = \"true\"; } );\n"
              "metrics = { format = \"none\"; };\n",
              f);
        ck_assert_int_eq(fclose(f), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = fb_config_load(path, &e, &eb);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (dup == 0) {
            ck_assert_msg(rc == 0, "%s", eb.msg);
            ck_assert_int_eq(e.n_nodes, N);
            ck_assert_str_eq(e.nodes[N - 1].name, "n99999");
            ck_assert_int_eq(e.nodes[N - 1].line, N + 1);
            fb_experiment_free(&e);
        } else {
            ck_assert_int_eq(rc, FB_ECONFIG);
            snprintf(want, sizeof(want),
                     "%s:%d: nodes[%d].name: duplicate node name 'n7' (first at line 9)", path,
                     N + 1, N - 1);
            ck_assert_str_eq(eb.msg, want);
        }
        fprintf(stderr, "test_many_nodes: %d nodes%s loaded in %.2f s\n", N,
                dup ? " (one duplicate)" : "",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        unlink(path);
    }
    rmdir(dir);
}
END_TEST

/* `faasbench --check file`: its stderr (NUL-terminated) and exit status. */
static int check_cli(const char *file, char *err, size_t n)
{
    int pipefd[2], status;
    size_t len = 0;
    ssize_t got;
    pid_t pid;

    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        execl(FB_FAASBENCH, "faasbench", "--check", file, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    while ((got = read(pipefd[0], err + len, n - 1 - len)) > 0)
        len += (size_t)got;
    err[len] = '\0';
    close(pipefd[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Every mistake of a file in one pass, as a compiler reports them: the first
 * as before, each further one on its own line, then how many there were. */
START_TEST(test_check_reports_every_error)
{
    char err[4096];

    ck_assert_int_eq(check_cli(DIR "/bad_four.cfg", err, sizeof(err)), 2);
    ck_assert_str_eq(err,
                     "faasbench: " DIR "/bad_four.cfg:4: nodes[0].prot: unknown key (did you "
                     "mean 'port'?)\n"
                     "faasbench: " DIR "/bad_four.cfg:6: nodes[1].name: duplicate node name "
                     "'node1' (first at line 3)\n"
                     "faasbench: " DIR "/bad_four.cfg:13: matrix.policies[0]: unknown policy "
                     "'round-robbin' (did you mean 'round-robin'?)\n"
                     "faasbench: " DIR "/bad_four.cfg:15: ram_treshold: unknown key (did you "
                     "mean 'ram_threshold'?)\n"
                     "faasbench: " DIR "/bad_four.cfg: 4 errors\n");
}
END_TEST

/* The list fb_config_load_all keeps: every error of the groups and lists,
 * none that only follows from another (no cross-key check of a group with
 * errors, no "missing" key that "did you mean" named). */
START_TEST(test_all_errors_listed)
{
#define F DIR "/bad_several_in_groups.cfg:"
    static const char *const want[] = {
        F "3: nodes[0].port: expected an integer (got a string)",
        F "4: nodes[1].name: invalid name 'n 2' (1 to 64 of A-Z a-z 0-9 _ . -)",
        F "5: nodes[2].transport: unknown transport 'lokal' (did you mean 'local'?)",
        F "8: functions[0].command: missing required key (command run in the container, or a handler)",
        F "9: functions[1].image: invalid image reference '-w.x/y'",
        F "12: matrix.policies[1]: expected a string (got an integer)",
        F "12: matrix.policies[2]: duplicate entry 'least-used' (first at [0])",
        F "13: matrix.warming[0]: unknown warming mode 'hot' (known: cold, pre-warmed, warmed, keep-alive)",
        F "14: matrix.invocations: must be >= 1 (got 0)",
        F "16: runtime.preset: unknown preset 'dokcer' (did you mean 'docker'?)",
        F "17: timeouts.command_s: must be > 0 (got 0)",
    };
#undef F
    static struct fb_config_errors errs;
    struct fb_experiment e, zero;
    struct fb_errbuf eb = {{0}};

    memset(&zero, 0, sizeof(zero));
    ck_assert_int_eq(fb_config_load_all(DIR "/bad_several_in_groups.cfg", &e, &eb, &errs),
                     FB_ECONFIG);
    ck_assert(memcmp(&e, &zero, sizeof(e)) == 0);
    ck_assert_int_eq(errs.n, (int)(sizeof(want) / sizeof(want[0])));
    ck_assert(!errs.more);
    for (int i = 0; i < errs.n; i++)
        ck_assert_str_eq(errs.msg[i], want[i]);
    ck_assert_str_eq(eb.msg, want[0]);

    /* A misspelt section is one error, not also a missing one. */
    ck_assert_int_eq(fb_config_load_all(DIR "/bad_typo_section.cfg", &e, &eb, &errs),
                     FB_ECONFIG);
    ck_assert_int_eq(errs.n, 1);
    ck_assert_str_eq(errs.msg[0], eb.msg);

    /* Past FB_CONFIG_MAX_ERRORS the loader stops. */
    ck_assert_int_eq(fb_config_load_all(DIR "/bad_many.cfg", &e, &eb, &errs), FB_ECONFIG);
    ck_assert_int_eq(errs.n, FB_CONFIG_MAX_ERRORS);
    ck_assert(errs.more);
    ck_assert(strstr(errs.msg[19], "bad_many.cfg:27: unknown_19: unknown key") != NULL);

    /* An error before the keys is the only one; a good file has none. */
    ck_assert_int_eq(fb_config_load_all(DIR "/bad_syntax.cfg", &e, &eb, &errs), FB_ECONFIG);
    ck_assert_int_eq(errs.n, 1);
    ck_assert_str_eq(errs.msg[0], DIR "/bad_syntax.cfg:3: syntax error: syntax error");
    ck_assert_int_eq(fb_config_load_all(DIR "/local.cfg", &e, &eb, &errs), 0);
    ck_assert_int_eq(errs.n, 0);
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_check_stops_after_twenty_errors)
{
    char err[8192], want[8192];
    size_t len = 0;

    ck_assert_int_eq(check_cli(DIR "/bad_many.cfg", err, sizeof(err)), 2);
    for (int i = 0; i < 20; i++)
        len += (size_t)snprintf(want + len, sizeof(want) - len,
                                "faasbench: " DIR "/bad_many.cfg:%d: unknown_%02d: unknown key "
                                "(known: name, nodes, functions, matrix, runtime, ram_threshold, "
                                "metrics, results, seed, timeouts, workload, warm, retries, simulate, faults)\n",
                                8 + i, i);
    snprintf(want + len, sizeof(want) - len,
             "faasbench: " DIR "/bad_many.cfg: stopped after 20 errors\n");
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_empty_password_env)
{
    struct fb_errbuf eb = {{0}};
    ck_assert_int_eq(setenv("FB_TEST_UNSET_PW", "", 1), 0);
    load_bad(DIR "/bad_password_env.cfg", &eb);
    ck_assert_str_eq(eb.msg, DIR "/bad_password_env.cfg:4: nodes[0].password_env: "
                                 "environment variable 'FB_TEST_UNSET_PW' is empty");
    unsetenv("FB_TEST_UNSET_PW");
}
END_TEST

/* The secret leaves the environment once read: children of faasbench (local
 * transport commands, the plot script) never see it, and a second load in
 * this process (the saved experiment.cfg names the variable) still finds it. */
START_TEST(test_password_env_leaves_the_environment)
{
    struct fb_experiment e, again;
    struct fb_errbuf eb = {{0}};
    struct capture c;
    char err[2048], child[64] = "", out[] = "/tmp/fb-config-test-XXXXXX";
    FILE *p;
    int fd, rc;

    ck_assert_int_eq(setenv("FB_TEST_NODE_PW", "s3cret", 1), 0);
    capture_start(&c);
    load_ok("full.cfg", &e);
    capture_end(&c, err, sizeof(err));
    ck_assert_str_eq(e.nodes[0].password, "s3cret");
    ck_assert_str_eq(e.nodes[0].password_env, "FB_TEST_NODE_PW");
    ck_assert_ptr_null(getenv("FB_TEST_NODE_PW"));
    p = popen("printf %s \"${FB_TEST_NODE_PW-unset}\"", "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(child, sizeof(child), p));
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_str_eq(child, "unset");

    ck_assert_int_ge(fd = mkstemp(out), 0);
    close(fd);
    ck_assert_int_eq(fb_config_write(&e, out), 0);
    capture_start(&c);
    rc = fb_config_load(out, &again, &eb);
    capture_end(&c, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", eb.msg);
    ck_assert_str_eq(again.nodes[0].password, "s3cret");
    ck_assert_ptr_null(getenv("FB_TEST_NODE_PW"));
    unlink(out);
    fb_experiment_free(&again);
    fb_experiment_free(&e);
}
END_TEST

START_TEST(test_free_twice)
{
    struct fb_experiment e;
    fb_experiment_free(NULL);
    load_ok("minimal.cfg", &e);
    fb_experiment_free(&e);
    ck_assert_ptr_null(e.nodes);
    ck_assert_ptr_null(e.name);
    ck_assert_int_eq(e.n_nodes, 0);
    fb_experiment_free(&e);
}
END_TEST

/* ---- writing ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *const roundtrip_files[] = {
    "minimal.cfg", "include.cfg", "local.cfg", "full.cfg", "policy_params.cfg",
    "keepalive_prepull.cfg", "faults.cfg",
};

/* Load, write, load the written file: the same experiment; writing that
 * again gives the same text (after the first comment line, which names the file). */
START_TEST(test_write_roundtrip)
{
    const char *file = roundtrip_files[_i];
    bool has_password = strcmp(file, "full.cfg") == 0;
    struct fb_experiment a, b;
    struct fb_errbuf eb = {{0}};
    struct capture c;
    char out1[] = "/tmp/fb-config-test-XXXXXX", out2[] = "/tmp/fb-config-test-XXXXXX";
    char err[4096];
    int fd;

    ck_assert_int_eq(setenv("FB_TEST_NODE_PW", "s3cret", 1), 0);
    capture_start(&c);
    load_ok(file, &a);
    capture_end(&c, err, sizeof(err));
    ck_assert_int_ge(fd = mkstemp(out1), 0);
    close(fd);
    ck_assert_int_ge(fd = mkstemp(out2), 0);
    close(fd);

    ck_assert_int_eq(fb_config_write(&a, out1), 0);
    capture_start(&c);
    int rc = fb_config_load(out1, &b, &eb);
    capture_end(&c, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s written: %s", file, eb.msg);
    if (!has_password)
        ck_assert_str_eq(err, "");
    assert_same(&a, &b, has_password);
    ck_assert_str_eq(b.path, out1);

    ck_assert_int_eq(fb_config_write(&b, out2), 0);
    char *t1 = slurp(out1), *t2 = slurp(out2);
    const char *body1 = strchr(t1, '\n'), *body2 = strchr(t2, '\n');
    ck_assert_ptr_nonnull(body1);
    ck_assert_ptr_nonnull(body2);
    ck_assert_str_eq(body1, body2);
    if (has_password) {
        ck_assert_ptr_null(strstr(t1, "s3cret"));
        ck_assert_ptr_null(strstr(t1, "inline-secret"));
        ck_assert_ptr_nonnull(strstr(t1, "password = \"********\";"));
        /* A password from the environment is saved as its variable. */
        ck_assert_ptr_nonnull(strstr(t1, "password_env = \"FB_TEST_NODE_PW\";"));
    }
    free(t1);
    free(t2);
    unlink(out1);
    unlink(out2);
    fb_experiment_free(&a);
    fb_experiment_free(&b);
}
END_TEST

START_TEST(test_write_text)
{
    struct fb_experiment e;
    char out[] = "/tmp/fb-config-test-XXXXXX";
    int fd;
    load_ok("minimal.cfg", &e);
    ck_assert_int_ge(fd = mkstemp(out), 0);
    close(fd);
    ck_assert_int_eq(fb_config_write(&e, out), 0);
    char *t = slurp(out);
    /* Defaults are written out, resolved. */
    ck_assert_ptr_nonnull(strstr(t, "\nname = \"minimal\";\n"));
    ck_assert_ptr_nonnull(strstr(t, "    port = 22;\n"));
    ck_assert_ptr_nonnull(strstr(t, "    transport = \"ssh\";\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "  policies = [ \"round-robin\", \"least-used\", \"most-used\" ];\n"));
    ck_assert_ptr_nonnull(strstr(t, "  warming = [ \"cold\", \"pre-warmed\", \"warmed\" ];\n"));
    ck_assert_ptr_nonnull(strstr(t, "  order = \"listed\";\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nram_threshold = 90;\n"));
    ck_assert_ptr_nonnull(strstr(t, "  command_s = 600;\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nseed = 1;\n"));
    ck_assert_ptr_null(strstr(t, "password ="));
    free(t);
    unlink(out);

    ck_assert_int_eq(fb_config_write(&e, "/nonexistent/dir/experiment.cfg"), FB_EIO);
    ck_assert_int_eq(fb_config_write(NULL, out), FB_EINVAL);
    fb_experiment_free(&e);
}
END_TEST

/* An experiment put together in code, as the gateway does (a zeroed struct
 * with what it sets): keys the workload does not use hold 0, out of their
 * ranges (rate, time_scale). What is written must load again. */
START_TEST(test_write_built_experiment_loads)
{
    struct fb_experiment e, again;
    struct fb_errbuf eb = {{0}};
    char out[] = "/tmp/fb-config-test-XXXXXX";
    int fd, rc;

    load_ok("local.cfg", &e);
    memset(&e.workload, 0, sizeof(e.workload));
    e.workload.kind = FB_WORKLOAD_SEQUENTIAL;
    e.workload.clients = 1;
    e.workload.per_node = 1;
    ck_assert_int_ge(fd = mkstemp(out), 0);
    close(fd);
    ck_assert_int_eq(fb_config_write(&e, out), 0);
    rc = fb_config_load(out, &again, &eb);
    ck_assert_msg(rc == 0, "the written file does not load: %s", eb.msg);
    assert_same(&e, &again, false);
    ck_assert_int_eq(again.workload.kind, FB_WORKLOAD_SEQUENTIAL);
    ck_assert_int_eq(again.workload.per_node, 1);
    fb_experiment_free(&again);

    /* The keys of each workload type are written for that type only. */
    e.workload.kind = FB_WORKLOAD_POISSON;
    e.workload.rate = 25;
    e.workload.duration_s = 2;
    ck_assert_int_eq(fb_config_write(&e, out), 0);
    char *t = slurp(out);
    ck_assert_ptr_nonnull(strstr(t, "  rate = 25;\n"));
    ck_assert_ptr_nonnull(strstr(t, "  duration_s = 2;\n"));
    ck_assert_ptr_null(strstr(t, "time_scale"));
    ck_assert_ptr_null(strstr(t, "trace_format"));
    free(t);
    rc = fb_config_load(out, &again, &eb);
    ck_assert_msg(rc == 0, "the written poisson file does not load: %s", eb.msg);
    ck_assert(again.workload.rate == 25 && again.workload.duration_s == 2);
    fb_experiment_free(&again);
    unlink(out);
    fb_experiment_free(&e);
}
END_TEST

/* No file holds an experiment without nodes or functions (the loader
 * refuses `nodes = ( )`): nothing is written, not even an empty file. */
START_TEST(test_write_refuses_what_cannot_load)
{
    struct fb_experiment e;
    char dir[64], out[128];
    int n;

    load_ok("local.cfg", &e);
    scratch_dir(dir, sizeof(dir));
    snprintf(out, sizeof(out), "%s/experiment.cfg", dir);
    n = e.n_nodes;
    e.n_nodes = 0;
    ck_assert_int_eq(fb_config_write(&e, out), FB_EINVAL);
    ck_assert_int_eq(access(out, F_OK), -1);
    e.n_nodes = n;
    n = e.n_functions;
    e.n_functions = 0;
    ck_assert_int_eq(fb_config_write(&e, out), FB_EINVAL);
    ck_assert_int_eq(access(out, F_OK), -1);
    e.n_functions = n;
    ck_assert_int_eq(fb_config_write(&e, out), 0);
    unlink(out);
    rmdir(dir);
    fb_experiment_free(&e);
}
END_TEST

/* A front end without a file picks its runtime by name (the REST shim's
 * --runtime): every step from that preset; an unknown name names the known. */
START_TEST(test_set_preset)
{
    struct fb_experiment e;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_config_defaults(&e, "shim", &eb), 0);
    assert_preset_steps(&e, "docker");
    ck_assert_int_eq(fb_config_set_preset(&e, "podman", &eb), 0);
    assert_preset_steps(&e, "podman");
    ck_assert_int_eq(fb_config_set_preset(&e, "lxc", &eb), FB_EINVAL);
    ck_assert_str_eq(eb.msg, "unknown runtime 'lxc' (docker or podman)");
    assert_preset_steps(&e, "podman"); /* unchanged */
    fb_experiment_free(&e);
}
END_TEST

/* ---- faasbench --list-keys against the tables ---- */

struct listed {
    char path[128];
    char fields[512]; /* after "path: " */
    int seen;
};

/* Every key path of sec into out[*n], in table order, a list's elements as
 * "[]"; each key's table entry beside it. */
static void table_paths(const struct fb_cfg_section *sec, const char *prefix, char out[][128],
                        const struct fb_cfg_key **keys, int *n, int max)
{
    for (int j = 0; j < sec->n_keys; j++) {
        const struct fb_cfg_key *k = &sec->keys[j];
        char sub[140];
        ck_assert_int_lt(*n, max);
        snprintf(out[*n], 128, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", k->name);
        keys[(*n)++] = k;
        if (k->kind == FB_CFG_GROUP) {
            table_paths(k->sub, out[*n - 1], out, keys, n, max);
        } else if (k->kind == FB_CFG_LIST) {
            snprintf(sub, sizeof(sub), "%s[]", out[*n - 1]);
            table_paths(k->sub, sub, out, keys, n, max);
        }
    }
}

/* `faasbench --list-keys` parsed: its key lines and their fields. */
static int list_keys_cli(struct listed *out, int max)
{
    FILE *p = popen(FB_FAASBENCH " --list-keys", "r");
    char line[1024];
    int n = 0, help = 0;

    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "    ", 4) == 0) {
            ck_assert_msg(line[4] != '\0', "empty help after %s", out[n - 1].path);
            help++;
            continue;
        }
        char *sep = strstr(line, ": ");
        ck_assert_msg(sep != NULL, "no ': ' in '%s'", line);
        ck_assert_int_lt(n, max);
        *sep = '\0';
        snprintf(out[n].path, sizeof(out[n].path), "%s", line);
        snprintf(out[n].fields, sizeof(out[n].fields), "%s", sep + 2);
        out[n].seen = 0;
        n++;
        ck_assert_int_eq(help, n - 1); /* each key's help follows it */
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_int_eq(help, n);
    return n;
}

static struct listed *find_listed(struct listed *l, int n, const char *path)
{
    for (int i = 0; i < n; i++)
        if (strcmp(l[i].path, path) == 0)
            return &l[i];
    return NULL;
}

/* Every key of every section once, in table order, with its default, its
 * requiredness, its range or choices as the table has them. */
START_TEST(test_list_keys_is_the_tables)
{
    static struct listed l[256];
    static char paths[256][128];
    const struct fb_cfg_key *keys[256];
    int n_table = 0, n = list_keys_cli(l, 256);
    char want[256];

    table_paths(fb_config_schema(), "", paths, keys, &n_table, 256);
    ck_assert_int_gt(n_table, 70);
    ck_assert_int_eq(n, n_table);
    for (int i = 0; i < n; i++) {
        const struct fb_cfg_key *k = keys[i];
        ck_assert_str_eq(l[i].path, paths[i]);
        ck_assert_ptr_eq(find_listed(l, n, paths[i]), &l[i]); /* listed once */
        if (k->def != NULL) {
            snprintf(want, sizeof(want), "; default %s", k->def);
            ck_assert_msg(strstr(l[i].fields, want) != NULL, "%s: '%s'", l[i].path,
                          l[i].fields);
        } else {
            ck_assert_msg(strstr(l[i].fields, "default") == NULL, "%s: '%s'", l[i].path,
                          l[i].fields);
        }
        ck_assert_int_eq(strstr(l[i].fields, "; required") != NULL,
                         (k->flags & FB_CFG_REQUIRED) != 0);
        ck_assert_int_eq(strstr(l[i].fields, "; secret") != NULL,
                         (k->flags & FB_CFG_SECRET) != 0);
        if (k->kind == FB_CFG_INT || k->kind == FB_CFG_NUMBER || k->kind == FB_CFG_MS) {
            snprintf(want, sizeof(want), "; range %c%.15g, %.15g]",
                     (k->flags & FB_CFG_MIN_OPEN) ? '(' : '[', k->min, k->max);
            ck_assert_msg(strstr(l[i].fields, want) != NULL, "%s: '%s' lacks '%s'",
                          l[i].path, l[i].fields, want);
        }
        for (int c = 0; k->choices != NULL && c < k->choices->n; c++) {
            snprintf(want, sizeof(want), "\"%s\"", k->choices->names[c]);
            ck_assert_msg(strstr(l[i].fields, want) != NULL, "%s: '%s' lacks %s", l[i].path,
                          l[i].fields, want);
        }
    }
    /* The enums' choices are types.h's names. */
    ck_assert_str_eq(find_listed(l, n, "workload.trace_format")->fields,
                     "string; default \"azure\"; one of \"csv\", \"azure\" or \"azure2021\"; "
                     "used with workload.type \"trace\"");
    ck_assert_str_eq(find_listed(l, n, "nodes[].port")->fields,
                     "integer; default 22; range [1, 65535]");
    ck_assert_str_eq(find_listed(l, n, "warm.nodes")->fields,
                     "integer or \"all\"; default 1; range [1, 100000]");
}
END_TEST

/* Every setting of s (a group) and below, as --list-keys names it. */
static void assert_settings_listed(const config_setting_t *s, const char *prefix,
                                   struct listed *l, int n, int *count)
{
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
                 config_setting_name(m));
        ck_assert_msg(find_listed(l, n, path) != NULL, "full.cfg's %s is not listed", path);
        (*count)++;
        if (config_setting_is_group(m)) {
            assert_settings_listed(m, path, l, n, count);
        } else if (config_setting_type(m) == CONFIG_TYPE_LIST) {
            char elem[260];
            snprintf(elem, sizeof(elem), "%s[]", path);
            for (int e = 0; e < config_setting_length(m); e++)
                assert_settings_listed(config_setting_get_elem(m, (unsigned)e), elem, l, n,
                                       count);
        }
    }
}

START_TEST(test_list_keys_holds_full_cfg)
{
    static struct listed l[256];
    int n = list_keys_cli(l, 256), count = 0;
    config_t cf;

    config_init(&cf);
    ck_assert_msg(config_read_file(&cf, DIR "/full.cfg"), "%s", config_error_text(&cf));
    assert_settings_listed(config_root_setting(&cf), "", l, n, &count);
    ck_assert_int_gt(count, 40);
    config_destroy(&cf);
}
END_TEST

/* The experiment the defaults test starts from: an ssh node and a function,
 * each with extra text inside its group, and extra text at the top level. */
static void defaults_file(const char *path, const char *node, const char *fn, const char *top)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "name = \"keys\";\n"
            "nodes = ( { name = \"n\"; host = \"127.0.0.1\"; user = \"u\";\n"
            "            identity = \"%s/keys/id_test\"; known_hosts = \"%s/keys/known_hosts\";\n"
            "            %s } );\n"
            "functions = ( { name = \"f\"; image = \"img:1\"; command = \"true\"; %s } );\n"
            "%s\n",
            DIR, DIR, node, fn, top);
    ck_assert_int_eq(fclose(f), 0);
}

/* The experiment in path as written (after the first line, which names the path). */
static char *loaded_text(const char *path)
{
    struct fb_experiment e;
    struct fb_errbuf eb = {{0}};
    char *text = NULL;
    size_t size = 0;
    FILE *f;

    int rc = fb_config_load(path, &e, &eb);
    ck_assert_msg(rc == 0, "%s", eb.msg);
    f = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fb_config_fwrite(&e, f), 0);
    fclose(f);
    fb_experiment_free(&e);
    char *body = strdup(strchr(text, '\n') + 1);
    free(text);
    return body;
}

/* Each key listed with a default loads when the file sets it to that
 * default, and gives the experiment a file without it gives. */
START_TEST(test_list_keys_defaults_load)
{
    static struct listed l[256];
    int n = list_keys_cli(l, 256), tried = 0;
    char dir[64], base[PATH_MAX], with[PATH_MAX], set[1024];

    scratch_dir(dir, sizeof(dir));
    snprintf(base, sizeof(base), "%s/base.cfg", dir);
    snprintf(with, sizeof(with), "%s/with.cfg", dir);
    defaults_file(base, "", "", "");
    char *want = loaded_text(base);
    for (int i = 0; i < n; i++) {
        const char *def = strstr(l[i].fields, "; default ");
        char value[256], group[128];
        const char *dot = strchr(l[i].path, '.');

        if (def == NULL)
            continue;
        def += strlen("; default ");
        snprintf(value, sizeof(value), "%.*s", (int)strcspn(def, ";"), def);
        if (strncmp(l[i].path, "nodes[].", 8) == 0) {
            snprintf(set, sizeof(set), "%s = %s;", l[i].path + 8, value);
            defaults_file(with, set, "", "");
        } else if (strncmp(l[i].path, "functions[].", 12) == 0) {
            snprintf(set, sizeof(set), "%s = %s;", l[i].path + 12, value);
            defaults_file(with, "", set, "");
        } else if (strncmp(l[i].path, "faults[].", 9) == 0) {
            /* Against a schedule of one fault that leaves the key out. */
            static const char fault[] =
                "faults = ( { at_s = 1.0; node = \"n\"; action = \"slow\"; for_s = 1.0; %s } );";
            char plain[256];
            snprintf(plain, sizeof(plain), fault, "");
            defaults_file(with, "", "", plain);
            char *without = loaded_text(with);
            snprintf(set, sizeof(set), "%s = %s;", l[i].path + 9, value);
            snprintf(plain, sizeof(plain), fault, set);
            defaults_file(with, "", "", plain);
            char *got = loaded_text(with);
            ck_assert_msg(strcmp(got, without) == 0, "%s = %s changes the experiment:\n%s",
                          l[i].path, value, got);
            free(got);
            free(without);
            tried++;
            continue;
        } else if (dot != NULL) {
            snprintf(group, sizeof(group), "%.*s", (int)(dot - l[i].path), l[i].path);
            snprintf(set, sizeof(set), "%s = { %s = %s; };", group, dot + 1, value);
            defaults_file(with, "", "", set);
        } else {
            snprintf(set, sizeof(set), "%s = %s;", l[i].path, value);
            defaults_file(with, "", "", set);
        }
        char *got = loaded_text(with);
        ck_assert_msg(strcmp(got, want) == 0, "%s = %s changes the experiment:\n%s", l[i].path,
                      value, got);
        free(got);
        tried++;
    }
    ck_assert_int_gt(tried, 35);
    free(want);
    unlink(base);
    unlink(with);
    rmdir(dir);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *names = tcase_create("names");
    tcase_add_test(names, test_warming_names);
    tcase_add_test(names, test_step_names);
    suite_add_tcase(s, names);

    TCase *valid = tcase_create("valid");
    tcase_add_test(valid, test_minimal_defaults);
    tcase_add_test(valid, test_full_every_key);
    tcase_add_test(valid, test_keepalive_prepull);
    tcase_add_test(valid, test_include_nodes);
    tcase_add_test(valid, test_local_node);
    tcase_add_test(valid, test_faults_schedule);
    tcase_add_test(valid, test_free_twice);
    tcase_add_test(valid, test_password_env_leaves_the_environment);
    tcase_add_test(valid, test_policy_with_parameters_in_several_cells);
    tcase_add_test(valid, test_set_preset);
    suite_add_tcase(s, valid);

    TCase *bad = tcase_create("errors");
    tcase_add_loop_test(bad, test_bad_file, 0, (int)(sizeof(bad_files) / sizeof(bad_files[0])));
    tcase_add_test(bad, test_keepalive_spec_errors_as_a_policys);
    tcase_add_test(bad, test_bad_identity);
    tcase_add_test(bad, test_unknown_policy_lists_known);
    tcase_add_test(bad, test_missing_file);
    tcase_add_test(bad, test_empty_password_env);
    tcase_add_test(bad, test_fifo_is_refused);
    tcase_add_test(bad, test_check_reports_every_error);
    tcase_add_test(bad, test_all_errors_listed);
    tcase_add_test(bad, test_check_stops_after_twenty_errors);
    tcase_add_test(bad, test_include_of_a_fifo_is_refused);
    suite_add_tcase(s, bad);

    TCase *big = tcase_create("big");
    tcase_set_timeout(big, 30);
    tcase_add_test(big, test_many_nodes);
    suite_add_tcase(s, big);

    TCase *write = tcase_create("write");
    tcase_add_loop_test(write, test_write_roundtrip, 0,
                        (int)(sizeof(roundtrip_files) / sizeof(roundtrip_files[0])));
    tcase_add_test(write, test_write_text);
    tcase_add_test(write, test_write_built_experiment_loads);
    tcase_add_test(write, test_write_refuses_what_cannot_load);
    suite_add_tcase(s, write);

    TCase *list = tcase_create("list-keys");
    tcase_add_test(list, test_list_keys_is_the_tables);
    tcase_add_test(list, test_list_keys_holds_full_cfg);
    tcase_add_test(list, test_list_keys_defaults_load);
    suite_add_tcase(s, list);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
