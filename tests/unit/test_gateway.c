/* test_gateway.c - the REST shim without nodes: routes, body checks, status codes, rows. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/http.h"
#include "gateway/request.h"
#include "transport/transport.h"

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
    /* An encoded NUL stays encoded and names nothing. */
    ck_assert_int_eq(fb_gw_route_match("/functions/invoke/name%00xyz", &arg), FB_GW_ROUTE_NONE);
    ck_assert_int_eq(fb_gw_route_match("/nodes/register%00", &arg), FB_GW_ROUTE_NONE);
}
END_TEST

START_TEST(unescape)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"/functions/invoke/fib", "/functions/invoke/fib"},
        {"/functions/invoke/%60id%60", "/functions/invoke/`id`"},
        {"/functions/invoke/name%00xyz", "/functions/invoke/name%00xyz"},
        {"/a%2Fb%2fc", "/a/b/c"},
        {"%zz%4", "%zz%4"},
        {"%", "%"},
        {"%41%0", "A%0"},
        {"%2500", "%00"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", cases[i].in);
        ck_assert_uint_eq(fb_gw_unescape(buf), strlen(cases[i].out));
        ck_assert_str_eq(buf, cases[i].out);
    }
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


/* ---- registering nodes that cannot be reached ---- */

/* A listening socket on 127.0.0.1 that nobody answers on: connections are
 * accepted by the kernel and then hear nothing. Its port in *port. */
static int silent_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Answers one connection with something that is not SSH, then closes. */
static void *not_ssh_main(void *arg)
{
    int lfd = *(int *)arg, c = accept(lfd, NULL, NULL);
    if (c >= 0) {
        static const char junk[] = "HTTP/1.0 200 OK\r\n\r\n";
        (void)!send(c, junk, sizeof(junk) - 1, MSG_NOSIGNAL);
        close(c);
    }
    return NULL;
}

static void open_for_nodes(int connect_timeout_ms)
{
    struct fb_gw_opts o;
    struct fb_errbuf eb = {{0}};

    ck_assert_int_eq(fb_gw_opts_init(&o, &eb), 0);
    snprintf(results, sizeof(results), "/tmp/fb-test-gateway.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(results));
    o.results_root = results;
    o.insecure_accept_any_host_key = true;
    o.connect_timeout_ms = connect_timeout_ms;
    o.command_timeout_ms = 2000;
    ck_assert(o.metrics_auto);
    ck_assert_int_eq(fb_gw_open(&o, &gw, &eb), 0);
}

static void close_for_nodes(void)
{
    struct fb_errbuf eb = {{0}};
    char cmd[128];
    ck_assert_int_eq(fb_gw_close(gw, &eb), 0);
    gw = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", results);
    ck_assert_int_eq(system(cmd), 0);
}

static int register_at(int port, char **reply)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"name\": \"n\", \"host\": \"127.0.0.1\", \"port\": %d, \"username\": \"u\", "
             "\"password\": \"pw\"}",
             port);
    return call("POST", "/nodes/register", body, reply);
}

/* Refused, no banner (a timeout) and not SSH at all get the same 502 text,
 * which tells none of them apart. */
START_TEST(unreachable_nodes_same_answer)
{
    char *refused, *silent, *junk;
    int port, lfd, closed_port;
    pthread_t t;

    fb_transport_global_init();
    open_for_nodes(1500);
    lfd = silent_listener(&closed_port);
    close(lfd);
    ck_assert_int_eq(register_at(closed_port, &refused), 502);

    lfd = silent_listener(&port);
    ck_assert_int_eq(register_at(port, &silent), 502);
    close(lfd);

    lfd = silent_listener(&port);
    ck_assert_int_eq(pthread_create(&t, NULL, not_ssh_main, &lfd), 0);
    ck_assert_int_eq(register_at(port, &junk), 502);
    pthread_join(t, NULL);
    close(lfd);

    ck_assert_str_eq(refused, silent);
    ck_assert_str_eq(refused, junk);
    for (const char *const *w = (const char *const[]){"refused", "banner", "time", "Connection",
                                                      "kex", NULL};
         *w != NULL; w++)
        ck_assert_msg(strcasestr(refused, *w) == NULL, "the 502 says '%s': %s", *w, refused);
    ck_assert_ptr_nonnull(strstr(refused, "Cannot register node 'n'"));
    free(refused);
    free(silent);
    free(junk);
    close_for_nodes();
    fb_transport_global_cleanup();
}
END_TEST

struct reg_arg {
    int port, status;
    volatile int done;
};

static void *register_main(void *arg)
{
    struct reg_arg *a = arg;
    a->status = register_at(a->port, NULL);
    __atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* While one node hangs in its connect, other requests are served. */
START_TEST(slow_node_does_not_stall_others)
{
    struct reg_arg a = {0};
    pthread_t t;
    int lfd;

    fb_transport_global_init();
    open_for_nodes(4000);
    lfd = silent_listener(&a.port);
    ck_assert_int_eq(pthread_create(&t, NULL, register_main, &a), 0);
    usleep(300 * 1000);
    ck_assert_int_eq(call("POST", "/functions/register",
                          "{\"name\":\"f\",\"image\":\"busybox\",\"command\":\"true\"}", NULL),
                     200);
    ck_assert_int_eq(call("POST", "/functions/invoke/nosuch", NULL, NULL), 404);
    ck_assert_int_eq(call("POST", "/functions/invoke/f", NULL, NULL), 503);
    /* The same name is taken while it connects. */
    ck_assert_int_eq(register_at(a.port, NULL), 400);
    ck_assert_msg(!__atomic_load_n(&a.done, __ATOMIC_SEQ_CST),
                  "the other requests waited for the node's connect");
    pthread_join(t, NULL);
    ck_assert_int_eq(a.status, 502);
    close(lfd);
    close_for_nodes();
    fb_transport_global_cleanup();
}
END_TEST

/* ---- over HTTP, on loopback ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A TCP connection to 127.0.0.1:port from source address src (any
 * 127.x.y.z: all of them are this host's), or -1. */
static int dial(int port, const char *src)
{
    struct sockaddr_in a = {.sin_family = AF_INET}, b = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    inet_pton(AF_INET, src, &b.sin_addr);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&b, sizeof(b)), 0);
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads until the peer closes or wait_ms pass: what arrived, NUL-ended. */
static size_t read_reply(int fd, char *buf, size_t n, int wait_ms)
{
    size_t got = 0;
    double end = now_ms() + wait_ms;
    while (got + 1 < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(end - now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, n - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    return got;
}

/* One request from src with Connection: close; the status, or 0 when no
 * answer came within wait_ms. *ms: how long the answer took. */
static int http_call(int port, const char *src, const char *head, int wait_ms, double *ms)
{
    char buf[4096];
    double t0 = now_ms();
    int fd = dial(port, src), status = 0;

    if (fd < 0)
        return 0;
    if (send_all(fd, head, strlen(head)) && read_reply(fd, buf, sizeof(buf), wait_ms) > 12 &&
        strncmp(buf, "HTTP/1.1 ", 9) == 0)
        status = atoi(buf + 9);
    close(fd);
    if (ms != NULL)
        *ms = now_ms() - t0;
    return status;
}

/* true once the gateway has closed fd (EOF or reset), without waiting. */
static bool peer_closed(int fd)
{
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* POST path with body (may be "") from 127.0.0.1: the status, or 0. */
static int post(int port, const char *path, const char *body)
{
    char req[1024];
    snprintf(req, sizeof(req),
             "POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\nConnection: close\r\n"
             "\r\n%s",
             path, strlen(body), body);
    return http_call(port, "127.0.0.1", req, 2000, NULL);
}

struct served {
    char root[64];
    struct fb_gw *g;
    struct fb_gw_http *h;
    int port;
};

static void serve(struct served *s, const struct fb_gw_http_opts *ho, int connect_timeout_ms)
{
    struct fb_gw_opts o = {.policy = "round-robin", .warming = FB_WARM_COLD,
                           .runtime = "docker", .insecure_accept_any_host_key = true,
                           .metrics = FB_METRICS_NONE, .ram_threshold = 90,
                           .command_timeout_ms = 1000,
                           .connect_timeout_ms = connect_timeout_ms};
    struct sockaddr_in a = {.sin_family = AF_INET};
    struct fb_errbuf eb = {{0}};

    snprintf(s->root, sizeof(s->root), "/tmp/fb-test-gateway.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->root));
    o.results_root = s->root;
    ck_assert_int_eq(fb_gw_open(&o, &s->g, &eb), 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(fb_gw_http_start(s->g, (struct sockaddr *)&a, ho, &s->h, &eb), 0);
    s->port = fb_gw_http_port(s->h);
}

static void unserve(struct served *s)
{
    struct fb_errbuf eb = {{0}};
    char cmd[128];
    fb_gw_stop_accepting(s->g);
    fb_gw_http_quiesce(s->h);
    fb_gw_http_drain(s->h);
    fb_gw_http_stop(s->h);
    ck_assert_int_eq(fb_gw_close(s->g, &eb), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
    ck_assert_int_eq(system(cmd), 0);
}

#define PROBE                                                                             \
    "POST /functions/invoke/probe HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"           \
    "Connection: close\r\n\r\n"

/* 64 clients, each from its own loopback address, send their headers a
 * line every 2.5 s: all are kept (none is over a limit), probes are still
 * answered (within the client's 2 s timeout; how fast: scripts/bench-gateway-slow),
 * and each slow client is cut at the header deadline. A
 * 17th connection from one address is closed at once. */
START_TEST(slow_clients)
{
    enum { SLOW = 64 };
    struct fb_gw_http_opts ho;
    struct served s;
    int fd[SLOW], per_ip[17];
    double t0;
    char src[32];
    int probes = 0;

    fb_gw_http_opts_init(&ho);
    ck_assert_uint_ge(ho.connection_limit, SLOW + 8);
    ck_assert_uint_eq(ho.per_ip_limit, 16);
    ho.header_deadline_s = 6; /* shorter than the default 10 s, to keep the test short */
    serve(&s, &ho, 1000);

    t0 = now_ms();
    for (int i = 0; i < SLOW; i++) {
        snprintf(src, sizeof(src), "127.0.1.%d", i + 1);
        ck_assert_int_ge(fd[i] = dial(s.port, src), 0);
        ck_assert(send_all(fd[i], S("POST /functions/invoke/probe HTTP/1.1\r\n")));
    }
    for (int line = 1; line <= 2; line++) {
        /* Probes between the header lines, while all 64 are held. */
        while (now_ms() - t0 < line * 2500.0) {
            if (probes < 6) {
                ck_assert_int_eq(http_call(s.port, "127.0.0.1", PROBE, 2000, NULL), 404);
                probes++;
            }
            usleep(200 * 1000);
        }
        for (int i = 0; i < SLOW; i++) {
            char h[32];
            ck_assert_msg(!peer_closed(fd[i]), "slow client %d was closed at %.0f ms", i,
                          now_ms() - t0);
            snprintf(h, sizeof(h), "X-Slow-%d: 1\r\n", line);
            ck_assert(send_all(fd[i], h, strlen(h)));
        }
    }
    /* Every probe was answered while the 64 were held. How fast is a timing
     * claim, measured by scripts/bench-gateway-slow, not here. */
    ck_assert_int_eq(probes, 6);

    /* The header deadline ends them all, though each keeps sending. */
    while (now_ms() - t0 < ho.header_deadline_s * 1000.0 + 1500.0)
        usleep(100 * 1000);
    for (int i = 0; i < SLOW; i++) {
        ck_assert_msg(peer_closed(fd[i]), "slow client %d still open after the deadline", i);
        close(fd[i]);
    }

    /* One address holds at most per_ip_limit connections. */
    for (int i = 0; i < 17; i++)
        ck_assert_int_ge(per_ip[i] = dial(s.port, "127.0.2.1"), 0);
    usleep(300 * 1000);
    int cut = 0;
    for (int i = 0; i < 17; i++)
        cut += peer_closed(per_ip[i]);
    ck_assert_int_eq(cut, 1);
    ck_assert_int_eq(http_call(s.port, "127.0.2.2", PROBE, 2000, NULL), 404);
    for (int i = 0; i < 17; i++)
        close(per_ip[i]);
    unserve(&s);
}
END_TEST

/* An encoded NUL does not cut the name short; a chunked body of 5 MiB gets
 * its 413. */
START_TEST(hostile_targets_and_bodies)
{
    struct served s;
    char buf[4096], chunk[64 * 1024 + 16];
    int fd;

    serve(&s, NULL, 1000);
    ck_assert_int_eq(post(s.port, "/functions/register",
                          "{\"name\":\"name\",\"image\":\"busybox\",\"command\":\"true\"}"),
                     200);
    /* "name" exists: with no node it would be a 503. */
    ck_assert_int_eq(post(s.port, "/functions/invoke/name", ""), 503);
    ck_assert_int_eq(post(s.port, "/functions/invoke/name%00xyz", ""), 404);
    ck_assert_int_eq(post(s.port, "/functions/invoke/name%00", ""), 404);

    ck_assert_int_ge(fd = dial(s.port, "127.0.0.1"), 0);
    ck_assert(send_all(fd, S("POST /nodes/register HTTP/1.1\r\nHost: t\r\n"
                             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")));
    int head = snprintf(chunk, sizeof(chunk), "%x\r\n", 64 * 1024);
    memset(chunk + head, 'a', 64 * 1024);
    memcpy(chunk + head + 64 * 1024, "\r\n", 2);
    bool sent = true;
    for (int i = 0; i < 80 && sent; i++) /* 5 MiB */
        sent = send_all(fd, chunk, (size_t)head + 64 * 1024 + 2);
    ck_assert_msg(sent, "the gateway dropped a chunked body of 5 MiB");
    ck_assert(send_all(fd, S("0\r\n\r\n")));
    ck_assert_uint_gt(read_reply(fd, buf, sizeof(buf), 5000), 12);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 413", 12) == 0, "got: %.60s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "request body larger than"));
    close(fd);
    unserve(&s);
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
    tcase_add_test(tc, unescape);
    tcase_add_test(tc, saved_experiment_loads);
    suite_add_tcase(s, tc);
    TCase *net = tcase_create("http");
    tcase_set_timeout(net, 60);
    tcase_add_test(net, slow_clients);
    tcase_add_test(net, hostile_targets_and_bodies);
    tcase_add_test(net, unreachable_nodes_same_answer);
    tcase_add_test(net, slow_node_does_not_stall_others);
    suite_add_tcase(s, net);
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
