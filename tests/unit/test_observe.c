/* test_observe.c - the live series of a run: the exposition text
 * (OpenMetrics and the Prometheus text format: label escaping, cumulative
 * histogram buckets ending in +Inf with _count and _sum, # EOF), the
 * format a scraper's Accept header gets, the engine's node snapshot in a
 * keep-alive cell, and the HTTP endpoint on an ephemeral port. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "engine/engine.h"
#include "keepalive/keepalive.h"
#include "local_runtime.h"
#include "observe/expo.h"
#include "observe/observe.h"
#include "observe/server.h"
#include "policies/policy.h"
#include "scrape.h"

/* ---- the formats ---- */

START_TEST(accept_header_picks_the_format)
{
    /* What Prometheus 2.x sends. */
    ck_assert_int_eq(fb_expo_negotiate("application/openmetrics-text;version=1.0.0,"
                                       "application/openmetrics-text;version=0.0.1;q=0.75,"
                                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                     FB_EXPO_OPENMETRICS);
    ck_assert_int_eq(fb_expo_negotiate("application/openmetrics-text"), FB_EXPO_OPENMETRICS);
    ck_assert_int_eq(fb_expo_negotiate(" Application/OpenMetrics-Text ; Version=1.0.0 "),
                     FB_EXPO_OPENMETRICS);
    /* curl's default, none, the text format asked for. */
    ck_assert_int_eq(fb_expo_negotiate("*/*"), FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate(NULL), FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate(""), FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate("text/plain;version=0.0.4"), FB_EXPO_TEXT);
    /* Preferred less than the text format, refused, or a version not served. */
    ck_assert_int_eq(fb_expo_negotiate("application/openmetrics-text;q=0.4,text/plain;q=0.9"),
                     FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate("application/openmetrics-text;q=0"), FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate("application/openmetrics-text;version=2.0.0"), FB_EXPO_TEXT);
    ck_assert_int_eq(fb_expo_negotiate("text/plain;q=0.5,application/openmetrics-text;q=0.5"),
                     FB_EXPO_OPENMETRICS);
    ck_assert_str_eq(fb_expo_content_type(FB_EXPO_OPENMETRICS),
                     "application/openmetrics-text; version=1.0.0; charset=utf-8");
    ck_assert_str_eq(fb_expo_content_type(FB_EXPO_TEXT),
                     "text/plain; version=0.0.4; charset=utf-8");
}
END_TEST

START_TEST(label_values_are_escaped)
{
    struct fb_expo_label l[] = {
        {"a", "back\\slash"}, {"b", "quo\"te"}, {"c", "new\nline"}, {"d", ""}};
    char buf[128];
    size_t n = fb_expo_labels(buf, sizeof(buf), l, 4);
    ck_assert_str_eq(buf, "a=\"back\\\\slash\",b=\"quo\\\"te\",c=\"new\\nline\",d=\"\"");
    ck_assert_uint_eq(n, strlen(buf));
    /* Cut to fit, still terminated, the length it needed said. */
    char small[8];
    ck_assert_uint_eq(fb_expo_labels(small, sizeof(small), l, 4), n);
    ck_assert_uint_eq(strlen(small), 7);
}
END_TEST

START_TEST(numbers_read_back)
{
    char b[40];
    ck_assert_str_eq(fb_expo_number(1, b, sizeof(b)), "1");
    ck_assert_str_eq(fb_expo_number(0.0025, b, sizeof(b)), "0.0025");
    ck_assert_str_eq(fb_expo_number(0.1, b, sizeof(b)), "0.1");
    ck_assert_str_eq(fb_expo_number(INFINITY, b, sizeof(b)), "+Inf");
    ck_assert_str_eq(fb_expo_number(-INFINITY, b, sizeof(b)), "-Inf");
    ck_assert_str_eq(fb_expo_number(NAN, b, sizeof(b)), "NaN");
    double v = 1796542158.635;
    ck_assert(strtod(fb_expo_number(v, b, sizeof(b)), NULL) == v);
    v = 1.0 / 3.0;
    ck_assert(strtod(fb_expo_number(v, b, sizeof(b)), NULL) == v);
}
END_TEST

/* ---- a run's series, no engine ---- */

static struct fb_obs *two_cells(void)
{
    static const struct fb_obs_cell cells[] = {
        {1, "round-robin", "warmed", FB_WARM_WARMED},
        {1, "odd\"po\\licy\nname", "keep-alive:ttl:ttl_s=5", FB_WARM_KEEPALIVE},
        {2, "round-robin", "cold", FB_WARM_COLD}, /* never begun */
    };
    static const char *const fns[] = {"fa", "fb"};
    struct fb_obs_opts o = {.cells = cells,
                            .n_cells = 3,
                            .functions = fns,
                            .n_functions = 2,
                            .start_unix_ms = 1700000000500,
                            .expected = 30};
    struct fb_obs *ob;
    ck_assert_int_eq(fb_obs_new(&o, &ob), 0);
    return ob;
}

static char *render(struct fb_obs *ob, enum fb_expo_format fmt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fb_obs_render(ob, fmt, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

/* The value of the one sample whose line starts with prefix. */
static double value_of(const char *text, const char *prefix)
{
    const char *found = NULL;
    for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l ? l + 1 : l) {
        if (strncmp(l, prefix, strlen(prefix)) != 0)
            continue;
        ck_assert_msg(found == NULL, "%s twice", prefix);
        found = l;
    }
    ck_assert_msg(found != NULL, "no sample %s in:\n%s", prefix, text);
    return strtod(found + strlen(prefix), NULL);
}

#define C1 "repetition=\"1\",policy=\"round-robin\",warming=\"warmed\""
#define C2 "repetition=\"1\",policy=\"odd\\\"po\\\\licy\\nname\",warming=\"keep-alive:ttl:ttl_s=5\""

START_TEST(openmetrics_text)
{
    struct fb_obs *ob = two_cells();
    /* Latencies in ms: 0.5, 1 (on a bound: that bucket), 3, 40, 70000 (past 60 s). */
    static const double lat_ms[] = {0.5, 1, 3, 40, 70000};
    fb_obs_cell_begin(ob, 0, 12);
    for (size_t i = 0; i < sizeof(lat_ms) / sizeof(lat_ms[0]); i++)
        fb_obs_record(ob, 0, 0, FB_WARM_WARMED, true, lat_ms[i] / 1000.0);
    fb_obs_record(ob, 0, 1, FB_WARM_COLD, true, 0.2);
    fb_obs_record(ob, 0, 1, FB_WARM_WARMED, false, 0.3); /* an error: no latency */
    fb_obs_record(ob, 0, 1, -1, false, 0);               /* no node ran it */
    fb_obs_cell_begin(ob, 1, 0);
    fb_obs_record(ob, 1, 0, FB_WARM_PREWARMED, true, 0.004);

    char *t = render(ob, FB_EXPO_OPENMETRICS);
    /* Ends with # EOF, once. */
    size_t n = strlen(t);
    ck_assert(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0);
    ck_assert_ptr_eq(strstr(t, "# EOF"), t + n - 6);
    /* Families: a counter's name without _total, units, info. */
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_invocations counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_invocation_latency_seconds histogram\n"
                                    "# UNIT faasbench_invocation_latency_seconds seconds\n"));
    ck_assert_ptr_nonnull(strstr(t, "# UNIT faasbench_node_idle_memory_bytes bytes\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_build info\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nfaasbench_build_info{version=\"" FB_VERSION "\"} 1\n"));
    ck_assert_double_eq(value_of(t, "faasbench_run_start_time_seconds "), 1700000000.5);
    ck_assert_double_eq(value_of(t, "faasbench_run_invocations_expected "), 30);
    ck_assert_double_eq(value_of(t, "faasbench_cells "), 3);
    ck_assert_double_eq(value_of(t, "faasbench_cell_index "), 2);
    ck_assert_ptr_nonnull(strstr(t, "\nfaasbench_cell_info{cell=\"2\"," C2 "} 1\n"));
    ck_assert_double_eq(value_of(t, "faasbench_cell_invocations "), 1);
    /* The second cell is timed: no expected figure. */
    ck_assert_ptr_null(strstr(t, "faasbench_cell_invocations_expected"));
    ck_assert_double_eq(value_of(t, "faasbench_faults_active "), 0);

    /* Counters, escaped labels, zeros for the modes a cell may run. */
    ck_assert_double_eq(value_of(t, "faasbench_invocations_total{" C1
                                    ",function=\"fa\",mode=\"warmed\","
                                    "outcome=\"ok\"} "),
                        5);
    ck_assert_double_eq(value_of(t,
                                 "faasbench_invocations_total{" C1 ",function=\"fa\",mode=\"cold\","
                                 "outcome=\"ok\"} "),
                        0);
    ck_assert_double_eq(value_of(t, "faasbench_invocations_total{" C1
                                    ",function=\"fb\",mode=\"warmed\","
                                    "outcome=\"error\"} "),
                        1);
    ck_assert_double_eq(value_of(t,
                                 "faasbench_invocations_total{" C1 ",function=\"fb\",mode=\"none\","
                                 "outcome=\"error\"} "),
                        1);
    ck_assert_double_eq(value_of(t, "faasbench_invocations_total{" C2
                                    ",function=\"fa\",mode=\"pre-warmed\","
                                    "outcome=\"ok\"} "),
                        1);
    /* A warmed cell never runs pre-warmed: no such series while it has none. */
    ck_assert_ptr_null(strstr(t, "faasbench_invocations_total{" C1 ",function=\"fa\","
                                 "mode=\"pre-warmed\""));
    /* The cell not begun has no series. */
    ck_assert_ptr_null(strstr(t, "repetition=\"2\""));
    ck_assert_double_eq(scrape_sum(t, "faasbench_invocations_total", NULL, NULL), 9);

    /* The histogram: cumulative, le inclusive, +Inf = _count, _sum in seconds. */
    static const struct {
        const char *le;
        double cum;
    } want[] = {{"0.001", 2}, {"0.0025", 2}, {"0.005", 3}, {"0.01", 3}, {"0.025", 3}, {"0.05", 4},
                {"0.1", 4},   {"0.25", 4},   {"0.5", 4},   {"1", 4},    {"2.5", 4},   {"5", 4},
                {"10", 4},    {"25", 4},     {"60", 4},    {"+Inf", 5}};
    const char *prev = t;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char prefix[256];
        snprintf(prefix, sizeof(prefix),
                 "faasbench_invocation_latency_seconds_bucket{" C1 ",mode=\"warmed\",le=\"%s\"} ",
                 want[i].le);
        ck_assert_double_eq(value_of(t, prefix), want[i].cum);
        const char *at = strstr(t, prefix);
        ck_assert_msg(at > prev, "bucket le=%s out of order", want[i].le);
        prev = at;
    }
    ck_assert_double_eq(
        value_of(t, "faasbench_invocation_latency_seconds_count{" C1 ",mode=\"warmed\"} "), 5);
    ck_assert_double_eq_tol(
        value_of(t, "faasbench_invocation_latency_seconds_sum{" C1 ",mode=\"warmed\"} "),
        (0.5 + 1 + 3 + 40 + 70000) / 1000.0, 1e-9);
    /* The error's latency is nowhere: fb's warmed histogram is cell 1's
     * warmed one, which counts fa's 5 rows only; no "none" histogram. */
    ck_assert_ptr_null(strstr(t, "_count{" C1 ",mode=\"none\"}"));
    ck_assert_double_eq(
        value_of(t, "faasbench_invocation_latency_seconds_count{" C1 ",mode=\"cold\"} "), 1);
    /* Every histogram's buckets never decrease and end in its _count. */
    int nb, nc;
    scrape_sum(t, "faasbench_invocation_latency_seconds_bucket", "le=\"+Inf\"", &nb);
    scrape_sum(t, "faasbench_invocation_latency_seconds_count", NULL, &nc);
    ck_assert_int_eq(nb, nc);
    ck_assert_int_eq(nc, 2 + 3); /* cell 1: warmed, cold; cell 2: cold, pre-warmed, warmed */
    free(t);
    fb_obs_free(ob);
}
END_TEST

START_TEST(prometheus_text_format)
{
    struct fb_obs *ob = two_cells();
    fb_obs_cell_begin(ob, 0, 12);
    fb_obs_record(ob, 0, 0, FB_WARM_WARMED, true, 0.002);
    fb_obs_faults_set(ob, 2);
    char *t = render(ob, FB_EXPO_TEXT);

    ck_assert_ptr_null(strstr(t, "# EOF"));
    ck_assert_ptr_null(strstr(t, "# UNIT"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_invocations_total counter\n"
                                    "# HELP faasbench_invocations_total "));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_build_info gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE faasbench_cell_info gauge\n"));
    ck_assert_double_eq(value_of(t, "faasbench_cell_invocations_expected "), 12);
    ck_assert_double_eq(value_of(t, "faasbench_faults_active "), 2);
    ck_assert_double_eq(value_of(t, "faasbench_invocation_latency_seconds_bucket{" C1
                                    ",mode=\"warmed\","
                                    "le=\"0.0025\"} "),
                        1);
    /* Every line a comment or a sample; the text ends with a newline. */
    for (const char *l = t; *l != '\0'; l = strchr(l, '\n') + 1) {
        ck_assert_ptr_nonnull(strchr(l, '\n'));
        ck_assert(l[0] == '#' || strncmp(l, "faasbench_", 10) == 0);
    }
    free(t);
    fb_obs_free(ob);
}
END_TEST

/* Rows recorded from several threads while another renders: every one
 * counted once (relaxed atomics, no lock). */
struct rec_arg {
    struct fb_obs *ob;
    int f;
};

static void *recorder(void *arg)
{
    struct rec_arg *a = arg;
    for (int i = 0; i < 20000; i++)
        fb_obs_record(a->ob, 0, a->f, FB_WARM_WARMED, i % 10 != 0, 0.001 * (i % 7));
    return NULL;
}

START_TEST(concurrent_records_all_count)
{
    struct fb_obs *ob = two_cells();
    pthread_t t[4];
    struct rec_arg a[4];
    fb_obs_cell_begin(ob, 0, 0);
    for (int i = 0; i < 4; i++) {
        a[i] = (struct rec_arg){ob, i % 2};
        ck_assert_int_eq(pthread_create(&t[i], NULL, recorder, &a[i]), 0);
    }
    for (int k = 0; k < 20; k++)
        free(render(ob, FB_EXPO_OPENMETRICS));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *s = render(ob, FB_EXPO_OPENMETRICS);
    ck_assert_double_eq(scrape_sum(s, "faasbench_invocations_total", NULL, NULL), 80000);
    ck_assert_double_eq(scrape_sum(s, "faasbench_invocations_total", "outcome=\"error\"", NULL),
                        8000);
    ck_assert_double_eq(scrape_sum(s, "faasbench_invocation_latency_seconds_count", NULL, NULL),
                        72000);
    free(s);
    fb_obs_free(ob);
}
END_TEST

/* ---- the engine's nodes, in a keep-alive cell ---- */

START_TEST(node_gauges_from_the_engine)
{
    struct lrt rt;
    struct fb_engine_opts o = {0};
    struct fb_engine *e;
    struct fb_errbuf eb = {{0}};
    char root[300];
    lrt_init(&rt);
    snprintf(root, sizeof(root), "%s/inst", rt.dir);
    char *start = fb_strf("umask 077 && mkdir -p {instance_dir} && (faasbench-node runtime "
                          "{instance_dir} -- "
                          "{command} </dev/null >/dev/null 2>&1 & echo $! >{instance_dir}/pid)");
    char *remove = fb_strf("kill -9 $(cat {instance_dir}/pid) 2>/dev/null; rm -rf {instance_dir}");
    lrt_resident_opts(&rt, &o, root, start, remove);
    struct fb_node_cfg nodes[2] = {
        {.name = "n1", .transport = FB_TRANSPORT_LOCAL, .memory_mb = 1024},
        {.name = "n2", .transport = FB_TRANSPORT_LOCAL, .memory_mb = 1024},
    };
    struct fb_function_cfg fn = {.name = "f",
                                 .image = "registry.test/fb/f:1",
                                 .command = "echo hi",
                                 .resident = true,
                                 .network = true,
                                 .weight = 1,
                                 .memory_mb = 96};
    ck_assert_int_eq(fb_engine_new(&o, &e), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(fb_engine_add_node(e, &nodes[i], &eb), i);
    ck_assert_int_eq(fb_engine_add_function(e, &fn), 0);

    static const struct fb_obs_cell cell = {1, "round-robin", "keep-alive:ttl", FB_WARM_KEEPALIVE};
    static const char *const fns[] = {"f"};
    struct fb_obs_opts oo = {
        .cells = &cell, .n_cells = 1, .functions = fns, .n_functions = 1, .engine = e};
    struct fb_obs *ob;
    ck_assert_int_eq(fb_obs_new(&oo, &ob), 0);

    /* Before any cell: both nodes up, nothing in flight or alive. */
    struct fb_node_snapshot s[2];
    ck_assert_int_eq(fb_engine_snapshot(e, s, 2), 2);
    ck_assert_str_eq(s[1].name, "n2");
    ck_assert(s[0].up && s[1].up);
    ck_assert_int_eq(s[0].inflight + s[0].instances + s[1].instances, 0);
    ck_assert_int_eq(fb_engine_snapshot(e, s, 1), 2); /* fewer asked: the count still */

    /* One call in a ttl cell leaves one idle instance of 96 MB behind. */
    const struct fb_policy *p = fb_policy_find("round-robin");
    void *pstate = NULL;
    struct fb_plugspec ps;
    const struct fb_keepalive *k = fb_keepalive_find_spec("ttl:ttl_s=600", &ps, &eb);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(p->ops.init(&pstate, 1, NULL), 0);
    fb_engine_reset(e);
    fb_engine_cell_begin(e, 1);
    ck_assert_int_eq(fb_engine_ka_begin(e, k, ps.values, 1, NULL, NULL), 0);
    struct fb_outcome out;
    ck_assert_int_eq(fb_engine_invoke(e, p, pstate, 0, &out), 0);
    ck_assert_msg(out.error[0] == '\0', "%s", out.error);
    int where = out.node;

    ck_assert_int_eq(fb_engine_snapshot(e, s, 2), 2);
    ck_assert_int_eq(s[where].instances, 1);
    ck_assert_int_eq(s[where].idle, 1);
    ck_assert_double_eq(s[where].idle_mb, 96);
    ck_assert_int_eq(s[where].inflight, 0);
    ck_assert_int_eq(s[1 - where].instances, 0);

    char *t = render(ob, FB_EXPO_OPENMETRICS);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "faasbench_node_idle_memory_bytes{node=\"%s\"} ",
             nodes[where].name);
    ck_assert_double_eq(value_of(t, prefix), 96.0 * 1024 * 1024);
    snprintf(prefix, sizeof(prefix), "faasbench_node_idle_instances{node=\"%s\"} ",
             nodes[where].name);
    ck_assert_double_eq(value_of(t, prefix), 1);
    snprintf(prefix, sizeof(prefix), "faasbench_node_instances{node=\"%s\"} ",
             nodes[1 - where].name);
    ck_assert_double_eq(value_of(t, prefix), 0);
    ck_assert_double_eq(scrape_sum(t, "faasbench_node_up", NULL, NULL), 2);
    ck_assert_double_eq(scrape_sum(t, "faasbench_node_invocations_in_flight", NULL, NULL), 0);
    free(t);

    struct fb_ka_outcome ko;
    fb_engine_ka_end(e, &ko);
    ck_assert_int_eq(fb_engine_snapshot(e, s, 2), 2);
    ck_assert_int_eq(s[0].instances + s[1].instances, 0);
    fb_engine_teardown(e);
    fb_obs_free(ob);
    fb_engine_free(e);
    p->ops.free(pstate);
    lrt_free(&rt);
    free(start);
    free(remove);
}
END_TEST

/* ---- the endpoint ---- */

struct waiter {
    struct fb_obs_server *s;
    bool got;
};

static void *wait_one(void *arg)
{
    struct waiter *w = arg;
    w->got = fb_obs_server_wait_scrape(w->s, 10, NULL);
    return NULL;
}

START_TEST(http_endpoint)
{
    struct fb_obs *ob = two_cells();
    struct fb_obs_server *s;
    struct fb_errbuf eb = {{0}};
    struct scrape r;
    char url[128];

    fb_obs_cell_begin(ob, 0, 12);
    fb_obs_record(ob, 0, 0, FB_WARM_WARMED, true, 0.002);
    ck_assert_msg(fb_obs_server_start(ob, "127.0.0.1:0", &s, &eb) == 0, "%s", eb.msg);
    int port = fb_obs_server_port(s);
    ck_assert_int_gt(port, 0);
    ck_assert(fb_obs_server_loopback(s));
    fb_obs_server_url(s, url, sizeof(url));
    char want[64];
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/metrics", port);
    ck_assert_str_eq(url, want);

    /* A second server on the same port cannot listen, and says where. */
    char taken[32];
    struct fb_obs_server *s2;
    snprintf(taken, sizeof(taken), "127.0.0.1:%d", port);
    ck_assert_int_eq(fb_obs_server_start(ob, taken, &s2, &eb), FB_EIO);
    ck_assert_ptr_nonnull(strstr(eb.msg, taken));

    /* A waiter for the next scrape, then the scrape. */
    struct waiter w = {s, false};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, wait_one, &w), 0);
    usleep(100 * 1000);
    ck_assert(scrape_get(port, "GET", "/metrics",
                         "application/openmetrics-text;version=1.0.0,text/plain;q=0.5", &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    size_t n = strlen(r.body);
    ck_assert(n > 6 && strcmp(r.body + n - 6, "# EOF\n") == 0);
    ck_assert_double_eq(scrape_sum(r.body, "faasbench_invocations_total", NULL, NULL), 1);
    scrape_free(&r);
    pthread_join(t, NULL);
    ck_assert(w.got);
    ck_assert_uint_eq(fb_obs_server_scrapes(s), 1);

    /* curl's default Accept gets the text format. */
    ck_assert(scrape_get(port, "GET", "/metrics", "*/*", &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_ptr_null(strstr(r.body, "# EOF"));
    ck_assert_ptr_nonnull(strstr(r.body, "# TYPE faasbench_invocations_total counter"));
    scrape_free(&r);
    /* HEAD: the headers only. */
    ck_assert(scrape_get(port, "HEAD", "/metrics", NULL, &r));
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "");
    scrape_free(&r);
    /* Elsewhere, other methods. */
    ck_assert(scrape_get(port, "GET", "/", NULL, &r));
    ck_assert_int_eq(r.status, 404);
    scrape_free(&r);
    ck_assert(scrape_get(port, "POST", "/metrics", NULL, &r));
    ck_assert_int_eq(r.status, 405);
    scrape_free(&r);
    ck_assert_uint_eq(fb_obs_server_scrapes(s), 3);

    /* Nobody scrapes: the wait ends at its timeout, false. */
    ck_assert(!fb_obs_server_wait_scrape(s, 0.2, NULL));
    fb_obs_server_stop(s);
    /* Stopped: nothing listens there any more. */
    ck_assert(!scrape_get(port, "GET", "/metrics", NULL, &r));
    fb_obs_free(ob);
}
END_TEST

START_TEST(bad_addresses)
{
    struct fb_obs *ob = two_cells();
    struct fb_obs_server *s;
    struct fb_errbuf eb = {{0}};
    static const char *const bad[] = {
        "127.0.0.1",    "127.0.0.1:", "127.0.0.1:70000",          "127.0.0.1:-1",
        "127.0.0.1:9x", "::1:9400",   "no-such-host.invalid:9400"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        eb.msg[0] = '\0';
        ck_assert_msg(fb_obs_server_start(ob, bad[i], &s, &eb) == FB_EINVAL, "%s", bad[i]);
        ck_assert_msg(strstr(eb.msg, bad[i]) != NULL, "%s: %s", bad[i], eb.msg);
    }
    /* IPv6 loopback in brackets. */
    ck_assert_msg(fb_obs_server_start(ob, "[::1]:0", &s, &eb) == 0, "%s", eb.msg);
    ck_assert(fb_obs_server_loopback(s));
    char url[128];
    fb_obs_server_url(s, url, sizeof(url));
    ck_assert_ptr_nonnull(strstr(url, "http://[::1]:"));
    fb_obs_server_stop(s);
    fb_obs_free(ob);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("observe");
    TCase *tc = tcase_create("exposition");
    tcase_add_test(tc, accept_header_picks_the_format);
    tcase_add_test(tc, label_values_are_escaped);
    tcase_add_test(tc, numbers_read_back);
    tcase_add_test(tc, openmetrics_text);
    tcase_add_test(tc, prometheus_text_format);
    tcase_add_test(tc, concurrent_records_all_count);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("engine and endpoint");
    tcase_set_timeout(te, 60);
    tcase_add_test(te, node_gauges_from_the_engine);
    tcase_add_test(te, http_endpoint);
    tcase_add_test(te, bad_addresses);
    suite_add_tcase(s, te);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
