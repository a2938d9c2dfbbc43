/* main.c - faasbench-gateway: command line, start-up, and the orderly stop on SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "experiment/config.h"
#include "gateway/gateway.h"
#include "gateway/http.h"
#include "engine/metrics.h"
#include "policies/policy.h"
#include "transport/transport.h"

/* The defaults shown come from the core: the policy table and the
 * experiment file format's defaults. */
static void usage(FILE *f, const struct fb_gw_opts *d)
{
    struct fb_experiment dx;
    struct fb_errbuf eb = {{0}};
    bool have = fb_config_defaults(&dx, "gateway", &eb) == 0;

    fprintf(f,
            "usage: faasbench-gateway [options]\n"
            "\n"
            "Serves the older testbed's REST API (POST /nodes/register,\n"
            "/functions/register, /functions/invoke/{name}) on faasbench's engine and\n"
            "records every invocation in RESULTS/gateway-<UTC time>/.\n"
            "\n"
            "  --listen HOST:PORT      address to serve (default 127.0.0.1:8000; port 0: any)\n"
            "  --policy NAME           node policy (default %s), one of:\n",
            d->policy);
    for (int i = 0; fb_policy_at(i) != NULL; i++)
        fprintf(f, "                            %-16s %s\n", fb_policy_at(i)->name,
                fb_policy_at(i)->summary);
    fprintf(f, "  --warming MODE          ");
    for (int w = 0; w < FB_WARM_N; w++)
        fprintf(f, "%s%s%s", w > 0 ? ", " : "", fb_warming_name((enum fb_warming)w),
                (enum fb_warming)w == d->warming ? " (default)" : "");
    fprintf(f,
            ": applied when a\n"
            "                          function is registered\n"
            "  --results DIR           results folder (default %s)\n"
            "  --runtime NAME          docker (sudo docker) or podman (default %s)\n"
            "  --known-hosts FILE      host keys the nodes are checked against\n"
            "  --insecure-accept-any-host-key\n"
            "                          do not check host keys (as the older gateway did)\n"
            "  --identity FILE         private key for nodes registered without a password\n"
            "  --metrics FORMAT        auto (default: each node as it offers, found when it\n"
            "                          registers), faasbench-node, testbed, none\n"
            "  --ram-threshold PCT     nodes at or above it are skipped (default %g)\n"
            "  --command-timeout SEC   one node command (default %g)\n"
            "  --connect-timeout SEC   opening a node session (default %g)\n"
            "  --revive-after SEC      a node marked down is tried again this long after,\n"
            "                          before an invocation (default %g; 0: never)\n"
            "  -V, --version           print the version\n"
            "  -h, --help              this text\n"
            "\n"
            "One of --known-hosts and --insecure-accept-any-host-key is required.\n"
            "SIGINT/SIGTERM: stop accepting, finish the requests in progress, remove\n"
            "containers and images from the nodes, write the results, exit 0.\n",
            d->results_root, have ? dx.runtime.preset : "?", d->ram_threshold, d->command_timeout_ms / 1000.0, d->connect_timeout_ms / 1000.0,
            d->revive_after_ms / 1000.0);
    if (have)
        fb_experiment_free(&dx);
}

/* A number in [lo, hi]; 0 or -1. */
static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* HOST:PORT or [IPV6]:PORT into *ss. 0 or -1 with a message on stderr. */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
    char host[256];
    const char *port;
    struct addrinfo hints = {0}, *res = NULL;
    size_t n;
    int rc;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        n = (size_t)(close - s - 1);
        port = close + 2;
        s++;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL)
            goto bad;
        n = (size_t)(colon - s);
        port = colon + 1;
    }
    if (n == 0 || n >= sizeof(host) || port[0] == '\0' || strlen(port) > 5 ||
        strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
        goto bad;
    memcpy(host, s, n);
    host[n] = '\0';
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
        fprintf(stderr, "faasbench-gateway: --listen %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
bad:
    fprintf(stderr, "faasbench-gateway: --listen: HOST:PORT or [IPV6]:PORT expected\n");
    return -1;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
               (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
    }
    return false;
}

static void print_address(const struct sockaddr_storage *ss, int port, char *out, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
        snprintf(out, n, "http://%s:%d", host, port);
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof(host));
        snprintf(out, n, "http://[%s]:%d", host, port);
    }
}

static int readable(const char *what, const char *path)
{
    if (access(path, R_OK) == 0)
        return 0;
    fprintf(stderr, "faasbench-gateway: %s %s: %s\n", what, path, strerror(errno));
    return -1;
}

int main(int argc, char **argv)
{
    enum {
        O_LISTEN = 256, O_POLICY, O_WARMING, O_RESULTS, O_RUNTIME, O_KNOWN_HOSTS, O_INSECURE,
        O_IDENTITY, O_METRICS, O_RAM, O_CMD_TIMEOUT, O_CONNECT_TIMEOUT, O_REVIVE
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"policy", required_argument, NULL, O_POLICY},
        {"warming", required_argument, NULL, O_WARMING},
        {"results", required_argument, NULL, O_RESULTS},
        {"runtime", required_argument, NULL, O_RUNTIME},
        {"known-hosts", required_argument, NULL, O_KNOWN_HOSTS},
        {"insecure-accept-any-host-key", no_argument, NULL, O_INSECURE},
        {"identity", required_argument, NULL, O_IDENTITY},
        {"metrics", required_argument, NULL, O_METRICS},
        {"ram-threshold", required_argument, NULL, O_RAM},
        {"command-timeout", required_argument, NULL, O_CMD_TIMEOUT},
        {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
        {"revive-after", required_argument, NULL, O_REVIVE},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fb_gw_opts o, d;
    const char *listen_at = "127.0.0.1:8000";
    struct sockaddr_storage addr;
    struct fb_errbuf eb = {{0}};
    struct fb_gw *g = NULL;
    struct fb_gw_http *h = NULL;
    sigset_t stop_signals;
    double v;
    int c, sig = 0, status = 1;
    bool ssh_ready = false;

    if (fb_gw_opts_init(&d, &eb) < 0) {
        fprintf(stderr, "faasbench-gateway: %s\n", eb.msg[0] ? eb.msg : "out of memory");
        return 1;
    }
    o = d;
    while ((c = getopt_long(argc, argv, "Vh", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            listen_at = optarg;
            break;
        case O_POLICY:
            o.policy = optarg;
            break;
        case O_WARMING:
            if (fb_warming_parse(optarg, &o.warming) < 0) {
                fprintf(stderr, "faasbench-gateway: --warming: cold, pre-warmed or warmed\n");
                return 2;
            }
            break;
        case O_RESULTS:
            o.results_root = optarg;
            break;
        case O_RUNTIME:
            o.runtime = optarg;
            break;
        case O_KNOWN_HOSTS:
            o.known_hosts = optarg;
            break;
        case O_INSECURE:
            o.insecure_accept_any_host_key = true;
            break;
        case O_IDENTITY:
            o.identity = optarg;
            break;
        case O_METRICS:
            o.metrics_auto = strcmp(optarg, "auto") == 0;
            if (!o.metrics_auto && fb_metrics_format_parse(optarg, &o.metrics) < 0) {
                fprintf(stderr, "faasbench-gateway: --metrics: auto, faasbench-node, testbed or "
                                "none\n");
                return 2;
            }
            break;
        case O_RAM:
            if (parse_number(optarg, 0, 100, &v) < 0 || v <= 0) {
                fprintf(stderr, "faasbench-gateway: --ram-threshold: a percentage in (0, 100]\n");
                return 2;
            }
            o.ram_threshold = v;
            break;
        case O_CMD_TIMEOUT:
        case O_CONNECT_TIMEOUT:
            if (parse_number(optarg, 0.001, 86400, &v) < 0) {
                fprintf(stderr, "faasbench-gateway: %s: seconds in (0, 86400]\n",
                        c == O_CMD_TIMEOUT ? "--command-timeout" : "--connect-timeout");
                return 2;
            }
            if (c == O_CMD_TIMEOUT)
                o.command_timeout_ms = (int)lround(v * 1000);
            else
                o.connect_timeout_ms = (int)lround(v * 1000);
            break;
        case O_REVIVE:
            if (parse_number(optarg, 0, 86400, &v) < 0) {
                fprintf(stderr, "faasbench-gateway: --revive-after: seconds in [0, 86400]\n");
                return 2;
            }
            o.revive_after_ms = (int)lround(v * 1000);
            break;
        case 'V':
            printf("faasbench-gateway %s\n", FB_VERSION);
            return 0;
        case 'h':
            usage(stdout, &d);
            return 0;
        default:
            usage(stderr, &d);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr, &d);
        return 2;
    }
    struct fb_plugspec spec;
    struct fb_errbuf peb = {{0}};
    if (fb_policy_find_spec(o.policy, &spec, &peb) == NULL) {
        fprintf(stderr, "faasbench-gateway: --policy: %s; known:", peb.msg);
        for (int i = 0; fb_policy_at(i) != NULL; i++)
            fprintf(stderr, " %s", fb_policy_at(i)->name);
        fputc('\n', stderr);
        return 2;
    }
    if (o.known_hosts == NULL && !o.insecure_accept_any_host_key) {
        fprintf(stderr, "faasbench-gateway: host keys must be checked: give --known-hosts FILE "
                        "(or --insecure-accept-any-host-key)\n");
        return 2;
    }
    if (o.known_hosts != NULL && o.insecure_accept_any_host_key) {
        fprintf(stderr, "faasbench-gateway: --known-hosts and --insecure-accept-any-host-key "
                        "exclude each other\n");
        return 2;
    }
    if ((o.known_hosts != NULL && readable("--known-hosts", o.known_hosts) < 0) ||
        (o.identity != NULL && readable("--identity", o.identity) < 0))
        return 2;
    if (parse_listen(listen_at, &addr) < 0)
        return 2;
    if (o.insecure_accept_any_host_key)
        fprintf(stderr, "faasbench-gateway: warning: host keys of the nodes are not checked\n");
    if (!is_loopback(&addr))
        fprintf(stderr, "faasbench-gateway: warning: %s is not a loopback address; the API has "
                        "no authentication and runs commands on your nodes\n", listen_at);
    if (fb_policy_table_check(&eb) < 0) {
        fprintf(stderr, "faasbench-gateway: %s\n", eb.msg);
        return 1;
    }

    /* Every thread started from here on inherits the blocked set, so the
     * stop signals reach only sigwait() below. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (fb_transport_global_init() < 0) {
        fprintf(stderr, "faasbench-gateway: cannot initialise libssh2\n");
        goto out;
    }
    ssh_ready = true;
    if (fb_gw_open(&o, &g, &eb) < 0) {
        fprintf(stderr, "faasbench-gateway: %s\n", eb.msg);
        goto out;
    }
    if (fb_gw_http_start(g, (const struct sockaddr *)&addr, NULL, &h, &eb) < 0) {
        fprintf(stderr, "faasbench-gateway: %s: %s\n", listen_at, eb.msg);
        goto out;
    }
    {
        char url[128];
        print_address(&addr, fb_gw_http_port(h), url, sizeof(url));
        fprintf(stderr,
                "faasbench-gateway: listening on %s (policy %s, warming %s); results in %s\n", url,
                o.policy, fb_warming_name(o.warming), fb_gw_run_dir(g));
    }
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    fprintf(stderr, "faasbench-gateway: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fb_gw_stop_accepting(g);
    fb_gw_http_quiesce(h);
    fb_gw_http_drain(h);
    status = 0;
out:
    fb_gw_http_stop(h);
    if (g != NULL && fb_gw_close(g, &eb) < 0) {
        fprintf(stderr, "faasbench-gateway: %s\n", eb.msg);
        status = 1;
    }
    if (ssh_ready)
        fb_transport_global_cleanup();
    return status;
}
