/* probe.c - what a node offers: one session, one question, each candidate tried once. */
#include "gateway/probe.h"

#include <stdio.h>
#include <string.h>

#include "engine/metrics.h"
#include "transport/transport.h"

/* One line per thing found: "helper", then "script PATH" for each script. */
static const char ask[] =
    "command -v faasbench-node >/dev/null 2>&1 && echo helper; "
    "for f in " FB_GW_TESTBED_SCRIPT " \"$HOME/get_node_metrics.sh\"; do "
    "[ -f \"$f\" ] && [ -x \"$f\" ] && echo \"script $f\"; done; true";

/* A path that is safe to run as a command word as it is. */
static bool plain_path(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof(((struct fb_gw_offer *)0)->command) || s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("/._-", s[i]) != NULL))
            return false;
    return true;
}

/* Runs command and parses its output in format f: 0, or FB_E* with why in eb. */
static int try_metrics(struct fb_conn *c, const char *command, enum fb_metrics_format f,
                       int timeout_ms, struct fb_errbuf *eb)
{
    struct fb_exec_result res;
    struct fb_counters cur;
    int rc = fb_conn_exec(c, command, timeout_ms, &res, eb);

    if (rc == 0 && res.exit_status != 0) {
        char line[200];
        fb_last_line(res.err != NULL ? res.err : "", line, sizeof(line));
        rc = fb_errf(eb, FB_EMETRICS, "%s exited %d%s%s", command, res.exit_status,
                     line[0] != '\0' ? ": " : "", line);
    }
    if (rc == 0) {
        memset(&cur, 0, sizeof(cur));
        rc = fb_metrics_parse(f, res.out != NULL ? res.out : "", &cur, eb);
    }
    fb_exec_result_free(&res);
    return rc;
}

int fb_gw_probe_node(const struct fb_node_cfg *node, int connect_timeout_ms,
                     int command_timeout_ms, struct fb_gw_offer *out, struct fb_errbuf *eb)
{
    struct fb_node_cfg plain = *node;
    struct fb_exec_result res;
    struct fb_conn *c = NULL;
    char tried[FB_ERRMSG_LEN] = "";
    struct fb_errbuf teb;
    int rc;

    memset(out, 0, sizeof(*out));
    out->format = FB_METRICS_NONE;
    plain.agent = false;
    if ((rc = fb_conn_open(&plain, connect_timeout_ms, &c, eb)) < 0)
        return rc;
    if ((rc = fb_conn_exec(c, ask, command_timeout_ms, &res, eb)) < 0) {
        fb_exec_result_free(&res);
        fb_conn_close(c);
        return rc;
    }
    const char *p = res.out != NULL ? res.out : "";
    out->helper = strncmp(p, "helper\n", 7) == 0;
    if (out->helper) {
        memset(&teb, 0, sizeof(teb));
        if (try_metrics(c, "faasbench-node metrics", FB_METRICS_FBNODE, command_timeout_ms,
                        &teb) == 0) {
            out->format = FB_METRICS_FBNODE;
            snprintf(out->command, sizeof(out->command), "faasbench-node metrics");
            goto done;
        }
        out->helper = false; /* it is there, but it does not work */
        snprintf(tried, sizeof(tried), "faasbench-node: %s", teb.msg);
    }
    for (const char *line = p; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (n > 7 && strncmp(line, "script ", 7) == 0) {
            const char *path = line + 7;
            size_t plen = n - 7;
            memset(&teb, 0, sizeof(teb));
            if (!plain_path(path, plen)) {
                fb_errf(&teb, FB_EMETRICS, "%.*s: not a plain path", (int)plen, path);
            } else {
                snprintf(out->command, sizeof(out->command), "%.*s", (int)plen, path);
                if (try_metrics(c, out->command, FB_METRICS_TESTBED, command_timeout_ms,
                                &teb) == 0) {
                    out->format = FB_METRICS_TESTBED;
                    goto done;
                }
                out->command[0] = '\0';
            }
            size_t used = strlen(tried);
            snprintf(tried + used, sizeof(tried) - used, "%s%s", used > 0 ? "; " : "",
                     teb.msg);
        }
        line += n + (line[n] == '\n');
    }
    snprintf(out->warning, sizeof(out->warning),
             "node %s reports no load (%s): its CPU and RAM read as 0 %% and the RAM "
             "threshold cannot skip it",
             node->name, tried[0] != '\0' ? tried
                                          : "no faasbench-node on its PATH, no executable "
                                            "get_node_metrics.sh in /usr/local/bin or the "
                                            "user's home");
done:
    fb_exec_result_free(&res);
    fb_conn_close(c);
    return 0;
}
