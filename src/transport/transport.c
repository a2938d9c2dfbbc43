/* transport.c - node connections: dispatch to the transport a node names, and calls to
 * resident runtimes over it. */
#include "transport/transport.h"

#include <libssh2.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/template.h"
#include "transport/transport_priv.h"


int fb_transport_global_init(void)
{
    int rc = libssh2_init(0);
    return rc == 0 ? 0 : FB_ESSH;
}

void fb_transport_global_cleanup(void)
{
    libssh2_exit();
}

int fb_conn_open(const struct fb_node_cfg *node, int connect_timeout_ms,
                 struct fb_conn **out, struct fb_errbuf *eb)
{
    const struct fb_transport *t;

    if (out != NULL)
        *out = NULL;
    if (node == NULL || out == NULL)
        return fb_errf(eb, FB_EINVAL, "fb_conn_open: no node or no result pointer");
    switch (node->transport) {
    case FB_TRANSPORT_LOCAL:
        t = &fb_transport_local;
        break;
    case FB_TRANSPORT_SSH:
        t = &fb_transport_ssh;
        break;
    default:
        return fb_errf(eb, FB_EINVAL, "node %s: unknown transport %d",
                       node->name ? node->name : "?", (int)node->transport);
    }
    return t->open(node, connect_timeout_ms, out, eb);
}

int fb_conn_exec(struct fb_conn *c, const char *cmd, int timeout_ms,
                 struct fb_exec_result *res, struct fb_errbuf *eb)
{
    return fb_conn_run(c, cmd, 0, timeout_ms, res, eb);
}

int fb_conn_run(struct fb_conn *c, const char *cmd, unsigned flags, int timeout_ms,
                struct fb_exec_result *res, struct fb_errbuf *eb)
{
    char *q, *wrapped;
    int rc;

    if (res != NULL)
        fb_exec_result_init(res);
    if (c == NULL || cmd == NULL || res == NULL)
        return fb_errf(eb, FB_EINVAL, "fb_conn_exec: missing connection, command or result");
    if (!(flags & FB_RUN_TIMED) || c->native_timing)
        return c->ops->exec(c, cmd, timeout_ms, res, eb);
    /* `exec`: the login shell hands over to the helper instead of forking. */
    q = fb_shell_quote(cmd);
    wrapped = q != NULL ? fb_strf("exec faasbench-node exec -c %s", q) : NULL;
    rc = wrapped != NULL ? c->ops->exec(c, wrapped, timeout_ms, res, eb)
                         : fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    free(wrapped);
    free(q);
    return rc;
}

const char *fb_conn_node(const struct fb_conn *c)
{
    return c != NULL && c->node_name != NULL ? c->node_name : "";
}

void fb_conn_close(struct fb_conn *c)
{
    if (c != NULL)
        c->ops->close(c);
}


/* ---- calls to resident runtimes ---- */

/* Milliseconds the command of a call may run beyond the call's own timeout,
 * which the helper keeps: connecting, and the answer's way back. */
#define CALL_GRACE_MS 5000


/* The call as a command: `faasbench-node call DIR KIND TIMEOUT ARG...`,
 * whose stdout is the server's reply to it. */
static int call_by_command(struct fb_conn *c, const char *dir, enum fb_call_kind kind,
                           const char *args, size_t args_len, int timeout_ms,
                           struct fb_exec_result *res, struct fb_errbuf *eb)
{
    struct fb_exec_result raw;
    struct fb_nodeproto_call_reply r;
    char *cmd = NULL, *q = fb_shell_quote(dir);
    size_t line_len = 0;
    int rc;

    cmd = q != NULL ? fb_strf("exec faasbench-node call %s %s %d", q,
                              kind == FB_CALL_PING ? "ping" : "call",
                              timeout_ms > 0 ? timeout_ms : 0)
                    : NULL;
    free(q);
    for (size_t i = 0; cmd != NULL && i < args_len;) {
        char *a = fb_shell_quote(args + i), *more = a != NULL ? fb_strf("%s %s", cmd, a) : NULL;
        i += strlen(args + i) + 1;
        free(a);
        free(cmd);
        cmd = more;
    }
    if (cmd == NULL)
        return fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    rc = c->ops->exec(c, cmd, timeout_ms > 0 ? timeout_ms + CALL_GRACE_MS : 0, &raw, eb);
    free(cmd);
    if (rc == 0 && (raw.exit_status != 0 ||
                    fb_nodeproto_line(raw.out, raw.out_len, &line_len) != FB_NODEPROTO_OK ||
                    fb_nodeproto_call_reply_parse(raw.out, line_len, &r) != FB_NODEPROTO_OK ||
                    raw.out_len != line_len + 1 + r.out_len + r.err_len)) {
        char last[200];
        fb_last_line(raw.err != NULL && raw.err[0] ? raw.err : raw.out, last, sizeof(last));
        rc = fb_errf(eb, FB_EEXIT, "node %s: faasbench-node call: exit %d%s%s", c->node_name,
                     raw.exit_status, last[0] ? ": " : "", last);
    }
    if (rc == 0) {
        const char *body = raw.out + line_len + 1;
        if (fb_call_result_set(res, &r, body, body + r.out_len) < 0)
            rc = fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
    }
    res->elapsed_ms = raw.elapsed_ms;
    fb_exec_result_free(&raw);
    return rc;
}

int fb_conn_call(struct fb_conn *c, const char *dir, enum fb_call_kind kind, const char *args,
                 size_t args_len, int timeout_ms, struct fb_exec_result *res,
                 struct fb_errbuf *eb)
{
    const char *k = kind == FB_CALL_PING ? "ping" : "call";
    size_t dlen, klen = strlen(k), len;
    char *payload;
    int rc;

    if (res != NULL)
        fb_exec_result_init(res);
    if (c == NULL || dir == NULL || res == NULL || (args_len > 0 && args == NULL))
        return fb_errf(eb, FB_EINVAL, "fb_conn_call: missing connection, folder or result");
    if (kind == FB_CALL_PING)
        args_len = 0;
    if (c->ops->call != NULL) {
        dlen = strlen(dir);
        len = dlen + 1 + klen + 1 + args_len;
        if ((payload = malloc(len)) == NULL)
            return fb_errf(eb, FB_ENOMEM, "node %s: out of memory", c->node_name);
        memcpy(payload, dir, dlen + 1);
        memcpy(payload + dlen + 1, k, klen + 1);
        if (args_len > 0)
            memcpy(payload + dlen + 2 + klen, args, args_len);
        rc = c->ops->call(c, payload, len, timeout_ms, res, eb);
        free(payload);
        if (rc != FB_ENOAGENT)
            return rc;
        fb_exec_result_free(res);
        fb_exec_result_init(res);
        if (eb != NULL)
            eb->msg[0] = '\0';
    }
    return call_by_command(c, dir, kind, args, args_len, timeout_ms, res, eb);
}
