/* test_gateway.c - the REST shim without nodes: routes, body checks, status codes, rows. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "request.h"

#define S(lit) (lit), (sizeof(lit) - 1)

START_TEST(routes)
{
    const char *arg;
    ck_assert_int_eq(fb_gw_route_match("/nodes/register", &arg), FB_GW_ROUTE_NODE_REGISTER);
    ck_assert_ptr_null(arg);
    ck_assert_int_eq(fb_gw_route_match("/functions/register", &arg),
                     FB_GW_ROUTE_FUNCTION_REGISTER);
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke/fib", &arg), FB_GW_ROUTE_INVOKE);
    ck_assert_str_eq(arg, "fib");
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke/$(id)", &arg), FB_GW_ROUTE_INVOKE);
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke/", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke/../../etc", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match("/nodes/register/", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match("/", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match(NULL, &arg), FB_GW_ROUTE_NONE);
}
END_TEST

START_TEST(node_bodies)
{
    struct fb_gw_node_req q;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_gw_parse_node(S("{\"name\":\"n1\",\"host\":\"10.0.0.5\",\"username\":"
                                        "\"faas\",\"password\":\"pw\"}"),
                                      &q, &eb),
                     0);
    ck_assert_str_eq(q.name, "n1");
    ck_assert_str_eq(q.host, "10.0.0.5");
    ck_assert_int_eq(q.port, 22);
    ck_assert_str_eq(q.username, "faas");
    ck_assert_str_eq(q.password, "pw");
    fb_gw_node_req_free(&q);

    /* An empty or null password means key auth. */
    ck_assert_int_eq(fb_gw_parse_node(S(" {\"name\":\"n1\",\"host\":\"::1\",\"port\":2222,"
                                        "\"username\":\"u\",\"password\":\"\"}\n"),
                                      &q, &eb),
                     0);
    ck_assert_int_eq(q.port, 2222);
    ck_assert_ptr_null(q.password);
    fb_gw_node_req_free(&q);

    static const char *const bad[] = {
        "",
        "[]",
        "\"x\"",
        "{\"name\":",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\"} trailing",
        "{\"host\":\"h\",\"username\":\"u\"}",
        "{\"name\":null,\"host\":\"h\",\"username\":\"u\"}",
        "{\"name\":5,\"host\":\"h\",\"username\":\"u\"}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"port\":\"22\"}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"port\":0}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"port\":70000}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"port\":22.5}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"port\":1e999}",
        "{\"name\":\"a;rm -rf /\",\"host\":\"h\",\"username\":\"u\"}",
        "{\"name\":\"n\",\"host\":\"h;id\",\"username\":\"u\"}",
        "{\"name\":\"n\",\"host\":\"-oProxyCommand=id\",\"username\":\"u\"}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"-lroot\"}",
        "{\"name\":\"a\\u0000b\",\"host\":\"h\",\"username\":\"u\"}",
        "{\"name\":\"n\",\"host\":\"h\",\"username\":\"u\",\"password\":7}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        eb.msg[0] = '\0';
        ck_assert_msg(fb_gw_parse_node(bad[i], strlen(bad[i]), &q, &eb) == FB_EINVAL, "%s",
                      bad[i]);
        ck_assert_msg(eb.msg[0] != '\0', "no message for %s", bad[i]);
        ck_assert_ptr_null(q.name);
    }
    /* A NUL byte inside the body. */
    ck_assert_int_eq(fb_gw_parse_node(S("{\"name\":\"n\0\"}"), &q, &eb), FB_EINVAL);
}
END_TEST

START_TEST(function_bodies)
{
    struct fb_gw_function_req q;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_gw_parse_function(S("{\"name\":\"fib-light\",\"image\":\"127.0.0.1:5000/"
                                            "faasbench/fib-light:1\",\"command\":\"python3 "
                                            "fib.py 1000\",\"extra\":[1]}"),
                                          &q, &eb),
                     0);
    ck_assert_str_eq(q.command, "python3 fib.py 1000");
    ck_assert(q.network);
    fb_gw_function_req_free(&q);
    /* Shell syntax in the command is kept as given: it is quoted word by word later. */
    ck_assert_int_eq(fb_gw_parse_function(S("{\"name\":\"f\",\"image\":\"busybox\",\"command\":"
                                            "\"echo $(id) `id`; true\",\"network\":false}"),
                                          &q, &eb),
                     0);
    ck_assert_str_eq(q.command, "echo $(id) `id`; true");
    ck_assert(!q.network);
    fb_gw_function_req_free(&q);

    static const char *const bad[] = {
        "{\"name\":\"f\",\"image\":\"Bad Image\",\"command\":\"true\"}",
        "{\"name\":\"f\",\"image\":\"busybox;id\",\"command\":\"true\"}",
        "{\"name\":\"$(id)\",\"image\":\"busybox\",\"command\":\"true\"}",
        "{\"name\":\"`id`\",\"image\":\"busybox\",\"command\":\"true\"}",
        "{\"name\":\"f\",\"image\":\"busybox\",\"command\":\"\"}",
        "{\"name\":\"f\",\"image\":\"busybox\",\"command\":\"echo 'x\"}",
        "{\"name\":\"f\",\"image\":\"busybox\",\"command\":[\"true\"]}",
        "{\"name\":\"f\",\"image\":\"busybox\"}",
        "{\"name\":\"f\",\"image\":\"busybox\",\"command\":\"true\",\"network\":\"no\"}",
        ("{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
         "\"image\":\"busybox\",\"command\":\"true\"}"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(fb_gw_parse_function(bad[i], strlen(bad[i]), &q, &eb) == FB_EINVAL, "%s",
                      bad[i]);
        ck_assert_ptr_null(q.command);
    }
    /* Nesting deeper than cJSON's limit is refused, not recursed into. */
    size_t n = 20000;
    char *deep = malloc(2 * n);
    ck_assert_ptr_nonnull(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    ck_assert_int_eq(fb_gw_parse_function(deep, 2 * n, &q, &eb), FB_EINVAL);
    free(deep);
}
END_TEST

START_TEST(hosts_and_users)
{
    ck_assert(fb_gw_host_valid("node-1.example.org"));
    ck_assert(fb_gw_host_valid("fe80::1"));
    ck_assert(!fb_gw_host_valid(""));
    ck_assert(!fb_gw_host_valid("-x"));
    ck_assert(!fb_gw_host_valid("a b"));
    ck_assert(fb_gw_user_valid("faas"));
    ck_assert(!fb_gw_user_valid("-l"));
    ck_assert(!fb_gw_user_valid("a@b"));
}
END_TEST

/* ---- the handlers, with no node ever registered ---- */

static struct fb_gw *gw;
static char results[] = "/tmp/fb-test-gateway.XXXXXX";

static int call(const char *method, const char *path, const char *body, char **reply)
{
    struct fb_gw_reply r;
    fb_gw_handle(gw, method, path, body, body != NULL ? strlen(body) : 0, &r);
    ck_assert_ptr_nonnull(r.body);
    if (reply != NULL)
        *reply = r.body;
    else
        free(r.body);
    return r.status;
}

START_TEST(statuses_without_nodes)
{
    struct fb_gw_opts o = {.policy = "round-robin", .warming = FB_WARM_COLD,
                           .results_root = results, .runtime = "docker",
                           .insecure_accept_any_host_key = true, .metrics = FB_METRICS_NONE,
                           .ram_threshold = 90, .command_timeout_ms = 1000,
                           .connect_timeout_ms = 1000};
    struct fb_errbuf eb = {{0}};
    const char *fn = "{\"name\":\"noop\",\"image\":\"busybox\",\"command\":\"true\"}";
    char *body = NULL, path[512];

    ck_assert_ptr_nonnull(mkdtemp(results));
    ck_assert_int_eq(fb_gw_open(&o, &gw, &eb), 0);
    ck_assert_int_eq(call("POST", "/functions/register", fn, &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "\"status\":\"success\""));
    ck_assert_ptr_nonnull(strstr(body, "Function 'noop' registered."));
    free(body);
    ck_assert_int_eq(call("POST", "/functions/register", fn, NULL), 400);
    ck_assert_int_eq(call("POST", "/functions/invoke/noop", NULL, &body), 503);
    ck_assert_ptr_nonnull(strstr(body, "No nodes registered."));
    free(body);
    ck_assert_int_eq(call("POST", "/functions/invoke/other", NULL, NULL), 404);
    ck_assert_int_eq(call("POST", "/functions/invoke/a;id", NULL, NULL), 422);
    ck_assert_int_eq(call("POST", "/functions/invoke/..", NULL, NULL), 404);
    ck_assert_int_eq(call("GET", "/functions/invoke/noop", NULL, NULL), 405);
    ck_assert_int_eq(call("POST", "/nope", NULL, NULL), 404);
    ck_assert_int_eq(call("POST", "/nodes/register", "{", NULL), 422);
    /* No password and no --identity. */
    ck_assert_int_eq(call("POST", "/nodes/register",
                          "{\"name\":\"n\",\"host\":\"127.0.0.1\",\"username\":\"u\"}", NULL),
                     422);
    fb_gw_stop_accepting(gw);
    ck_assert_int_eq(call("POST", "/functions/invoke/noop", NULL, NULL), 503);

    snprintf(path, sizeof(path), "%s/invocations.csv", fb_gw_run_dir(gw));
    ck_assert_int_eq(fb_gw_close(gw, &eb), 0);
    gw = NULL;

    /* The one attempt that reached a known function is a row. */
    FILE *f = fopen(path, "r");
    char line[2048];
    int rows = 0;
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (rows++ == 1) {
            ck_assert_ptr_nonnull(strstr(line, ",round-robin,cold,noop,1,,,"));
            ck_assert_ptr_nonnull(strstr(line, "no nodes registered"));
        }
    fclose(f);
    ck_assert_int_eq(rows, 2);

    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", results);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Whatever the gateway saves as experiment.cfg loads again; with a function
 * but no node registered there is no experiment to save. */
START_TEST(saved_experiment_loads)
{
    char root[] = "/tmp/fb-test-gateway.XXXXXX";
    struct fb_gw_opts o = {.policy = "round-robin", .warming = FB_WARM_COLD,
                           .results_root = root, .runtime = "podman",
                           .insecure_accept_any_host_key = true, .metrics = FB_METRICS_NONE,
                           .ram_threshold = 90, .command_timeout_ms = 1000,
                           .connect_timeout_ms = 1000};
    struct fb_errbuf eb = {{0}};
    struct fb_experiment e;
    char path[512], cmd[1024];
    int rc;

    ck_assert_ptr_nonnull(mkdtemp(root));
    ck_assert_int_eq(fb_gw_open(&o, &gw, &eb), 0);
    ck_assert_int_eq(call("POST", "/functions/register",
                          "{\"name\":\"noop\",\"image\":\"busybox\",\"command\":\"true\"}",
                          NULL),
                     200);
    snprintf(path, sizeof(path), "%s/experiment.cfg", fb_gw_run_dir(gw));
    ck_assert_int_eq(fb_gw_close(gw, &eb), 0);
    gw = NULL;
    if (access(path, F_OK) == 0) {
        rc = fb_config_load(path, &e, &eb);
        ck_assert_msg(rc == 0, "the gateway's %s does not load: %s", path, eb.msg);
        fb_experiment_free(&e);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gateway");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, routes);
    tcase_add_test(tc, node_bodies);
    tcase_add_test(tc, function_bodies);
    tcase_add_test(tc, hosts_and_users);
    tcase_add_test(tc, statuses_without_nodes);
    tcase_add_test(tc, saved_experiment_loads);
    suite_add_tcase(s, tc);
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
