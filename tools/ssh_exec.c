/* ssh_exec.c - runs a command repeatedly over one ssh session: checks the ssh transport. */
#include <math.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: ssh_exec [--insecure] [--timeout MS] [--pause MS] [--password-env VAR]\n"
            "                [--name NODE] [--quiet] [--agent] [--timed]\n"
            "                HOST PORT USER IDENTITY KNOWN_HOSTS CMD [REPEAT]\n"
            "  Opens one session and runs CMD REPEAT times (default 1) on it, printing\n"
            "  each exit status and stdout, then the median elapsed ms per exec.\n"
            "  CMD '-' reads the commands from stdin instead, one per line, each run once.\n"
            "  --agent sends them to the node helper's server (`faasbench-node serve`),\n"
            "  --timed has the node time them.\n"
            "  --pause MS waits between execs (to let a session go idle or break).\n"
            "  IDENTITY or KNOWN_HOSTS may be '-' for none. Exits 0 only when every\n"
            "  exec ran and exited 0.\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct fb_node_cfg node;
    struct fb_conn *conn = NULL;
    struct fb_errbuf eb = {""};
    double *ms = NULL;
    int timeout_ms = 10000, repeat = 1, i = 1, n_ok = 0, status = 1, rc;
    int quiet = 0, pause_ms = 0;
    unsigned flags = 0;
    char line[4096];
    bool from_stdin;
    int tried = 0;

    memset(&node, 0, sizeof(node));
    node.name = "node";
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--insecure") == 0)
            node.insecure_accept_any_host_key = true;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else if (strcmp(argv[i], "--agent") == 0)
            node.agent = true;
        else if (strcmp(argv[i], "--timed") == 0)
            flags |= FB_RUN_TIMED;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pause") == 0 && i + 1 < argc)
            pause_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            node.name = argv[++i];
        else if (strcmp(argv[i], "--password-env") == 0 && i + 1 < argc)
            node.password = getenv(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (argc - i != 6 && argc - i != 7) {
        usage();
        return 2;
    }
    node.host = argv[i];
    node.port = atoi(argv[i + 1]);
    node.user = argv[i + 2];
    node.identity = strcmp(argv[i + 3], "-") == 0 ? NULL : argv[i + 3];
    node.known_hosts = strcmp(argv[i + 4], "-") == 0 ? NULL : argv[i + 4];
    node.transport = FB_TRANSPORT_SSH;
    if (argc - i == 7)
        repeat = atoi(argv[i + 6]);
    from_stdin = strcmp(argv[i + 5], "-") == 0;
    if (from_stdin)
        repeat = 1000;
    if (repeat < 1) {
        usage();
        return 2;
    }
    ms = calloc((size_t)repeat, sizeof(*ms));
    if (ms == NULL || fb_transport_global_init() != 0) {
        fprintf(stderr, "ssh_exec: cannot initialise\n");
        goto out;
    }
    rc = fb_conn_open(&node, 10000, &conn, &eb);
    if (rc != 0) {
        fprintf(stderr, "ssh_exec: open: %s: %s\n", fb_err_name(rc), eb.msg);
        goto out;
    }
    status = 0;
    for (int k = 0; k < repeat; k++) {
        struct fb_exec_result res;
        const char *cmd = argv[i + 5];

        if (from_stdin) {
            if (fgets(line, sizeof(line), stdin) == NULL)
                break;
            line[strcspn(line, "\n")] = '\0';
            cmd = line;
        }
        if (k > 0 && pause_ms > 0)
            poll(NULL, 0, pause_ms);
        tried++;
        eb.msg[0] = '\0';
        rc = fb_conn_run(conn, cmd, flags, timeout_ms, &res, &eb);
        if (rc != 0) {
            printf("exec %d: %s: %s (elapsed %.3f ms)\n", k + 1, fb_err_name(rc), eb.msg,
                   res.elapsed_ms);
            status = 1;
        } else {
            ms[n_ok++] = res.elapsed_ms;
            if (res.exit_status != 0)
                status = 1;
            if (!quiet || res.exit_status != 0) {
                printf("exec %d: exit %d, %.3f ms, stdout %zu B, stderr %zu B", k + 1,
                       res.exit_status, res.elapsed_ms, res.out_len, res.err_len);
                if (!isnan(res.node_ms))
                    printf(", node %.3f ms", res.node_ms);
                printf("\n");
                if (res.out_len <= 4096)
                    fwrite(res.out, 1, res.out_len, stdout);
                if (res.err_len > 0 && res.err_len <= 4096) {
                    printf("[stderr] ");
                    fwrite(res.err, 1, res.err_len, stdout);
                }
            }
        }
        fb_exec_result_free(&res);
    }
    if (n_ok > 0) {
        qsort(ms, (size_t)n_ok, sizeof(*ms), cmp_double);
        printf("%d/%d execs ran; elapsed ms: median %.3f, min %.3f, max %.3f\n", n_ok, tried,
               n_ok % 2 ? ms[n_ok / 2] : (ms[n_ok / 2 - 1] + ms[n_ok / 2]) / 2, ms[0],
               ms[n_ok - 1]);
    }
out:
    fb_conn_close(conn);
    fb_transport_global_cleanup();
    free(ms);
    return status;
}
