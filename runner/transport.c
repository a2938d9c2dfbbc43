/* transport.c - node connections: dispatch to a transport, output capture, the fbx1 trailer. */
#include "transport.h"

#include <libssh2.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template.h"
#include "transport_priv.h"

/* The trailer `faasbench-node exec` prints as its last stderr line. */
static const char trailer_tag[] = "fbx1 ";

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

void fb_exec_result_init(struct fb_exec_result *res)
{
    memset(res, 0, sizeof(*res));
    res->exit_status = -1;
    res->node_ms = NAN;
    res->handler_ms = NAN;
    res->init_ms = NAN;
    res->call_state = FB_CALL_GONE;
}

/* ---- calls to resident runtimes ---- */

/* Milliseconds the command of a call may run beyond the call's own timeout,
 * which the helper keeps: connecting, and the answer's way back. */
#define CALL_GRACE_MS 5000

int fb_call_result_set(struct fb_exec_result *res, const struct fb_nodeproto_call_reply *r,
                       const char *out, const char *err)
{
    struct fb_capture co = {0}, ce = {0};
    int rc = 0;

    if (fb_capture_add(&co, out, r->out_len) != 0 || fb_capture_add(&ce, err, r->err_len) != 0 ||
        fb_exec_result_take(res, &co, &ce) != 0)
        rc = FB_ENOMEM;
    fb_capture_free(&co);
    fb_capture_free(&ce);
    res->call_state = r->state == FB_NODEPROTO_CALL_OK        ? FB_CALL_OK
                      : r->state == FB_NODEPROTO_CALL_TIMEOUT ? FB_CALL_TIMEOUT
                                                              : FB_CALL_GONE;
    res->exit_status = r->state == FB_NODEPROTO_CALL_OK ? r->status : -1;
    res->node_ms = (double)r->elapsed_ns / 1e6;
    if (r->state == FB_NODEPROTO_CALL_OK) {
        res->handler_ms = (double)r->handler_ns / 1e6;
        res->init_ms = (double)r->init_ns / 1e6;
        res->call_count = (long)r->count;
        res->runtime_pid = (int)r->pid;
    }
    return rc;
}

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

void fb_exec_result_free(struct fb_exec_result *r)
{
    if (r == NULL)
        return;
    free(r->out);
    free(r->err);
    r->out = NULL;
    r->err = NULL;
    r->out_len = 0;
    r->err_len = 0;
}

int fb_capture_add(struct fb_capture *c, const char *p, size_t n)
{
    int rc = 0;

    c->total += n;
    if (c->len < FB_EXEC_CAPTURE) {
        size_t take = FB_EXEC_CAPTURE - c->len;
        if (take > n)
            take = n;
        if (c->len + take + 1 > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            char *nb;
            while (cap < c->len + take + 1)
                cap *= 2;
            if (cap > FB_EXEC_CAPTURE + 1)
                cap = FB_EXEC_CAPTURE + 1;
            nb = realloc(c->buf, cap);
            if (nb == NULL) {
                rc = FB_ENOMEM;
                goto out;
            }
            c->buf = nb;
            c->cap = cap;
        }
        memcpy(c->buf + c->len, p, take);
        c->len += take;
        c->buf[c->len] = '\0';
    }
    /* The tail slides over the whole stream, kept bytes or not. */
    if (n >= FB_CAPTURE_TAIL) {
        memcpy(c->tail, p + n - FB_CAPTURE_TAIL, FB_CAPTURE_TAIL);
        c->tail_len = FB_CAPTURE_TAIL;
    } else {
        size_t keep = c->tail_len;
        if (keep > FB_CAPTURE_TAIL - n)
            keep = FB_CAPTURE_TAIL - n;
        memmove(c->tail, c->tail + c->tail_len - keep, keep);
        memcpy(c->tail + keep, p, n);
        c->tail_len = keep + n;
    }
out:
    return rc;
}

void fb_capture_free(struct fb_capture *c)
{
    free(c->buf);
    memset(c, 0, sizeof(*c));
}

/* Parses the words after the tag: elapsed_ns=<digits> is required, other
 * words (status=..., anything newer) are ignored. */
static bool trailer_parse_words(const char *p, const char *end, double *node_ms)
{
    static const char key[] = "elapsed_ns=";
    bool found = false;

    while (p < end) {
        const char *w = p;
        while (w < end && *w == ' ')
            w++;
        p = w;
        while (p < end && *p != ' ')
            p++;
        if ((size_t)(p - w) > sizeof(key) - 1 && memcmp(w, key, sizeof(key) - 1) == 0) {
            const char *d = w + sizeof(key) - 1;
            double ns = 0;
            if (d == p)
                return false;
            for (; d < p; d++) {
                if (*d < '0' || *d > '9')
                    return false;
                ns = ns * 10 + (*d - '0');
            }
            *node_ms = ns / 1e6;
            found = true;
        }
    }
    return found;
}

bool fb_trailer_find(const char *text, size_t len, bool complete, double *node_ms,
                     size_t *start)
{
    size_t end = len, ls = 0, i;
    const char *tag = NULL;
    double ms;

    if (end > 0 && text[end - 1] == '\n')
        end--;
    if (end > 0 && text[end - 1] == '\r')
        end--;
    for (i = end; i > 0; i--) {
        if (text[i - 1] == '\n') {
            ls = i;
            break;
        }
    }
    if (i == 0 && !complete)
        return false; /* the line may begin before what we were given */
    /* The last occurrence of the tag in the line: a command whose own stderr
     * lacked a final newline leaves its bytes before the trailer. */
    for (i = ls; i + sizeof(trailer_tag) - 1 <= end; i++) {
        if (memcmp(text + i, trailer_tag, sizeof(trailer_tag) - 1) == 0)
            tag = text + i;
    }
    if (tag == NULL || !trailer_parse_words(tag + sizeof(trailer_tag) - 1, text + end, &ms))
        return false;
    *node_ms = ms;
    *start = (size_t)(tag - text);
    return true;
}

/* Hands a capture's buffer over, allocating an empty string when there was
 * no output. */
static int capture_release(struct fb_capture *c, char **buf, size_t *len)
{
    if (c->buf == NULL) {
        c->buf = calloc(1, 1);
        if (c->buf == NULL)
            return FB_ENOMEM;
    }
    *buf = c->buf;
    *len = c->len;
    c->buf = NULL;
    fb_capture_free(c);
    return 0;
}

int fb_exec_result_take(struct fb_exec_result *res, struct fb_capture *out,
                        struct fb_capture *err)
{
    int rc;
    double ms;
    size_t at;

    if (fb_trailer_find(err->tail, err->tail_len, err->total == err->tail_len, &ms, &at)) {
        /* Offset of the trailer in the whole stream; cut it from what was kept. */
        uint64_t pos = err->total - err->tail_len + at;
        res->node_ms = ms;
        if (pos < err->len) {
            err->len = (size_t)pos;
            err->buf[err->len] = '\0';
        }
    }
    rc = capture_release(out, &res->out, &res->out_len);
    if (rc != 0)
        goto out;
    rc = capture_release(err, &res->err, &res->err_len);
out:
    return rc;
}

double fb_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int fb_poll_timeout(double deadline)
{
    double left;

    if (isinf(deadline))
        return -1;
    left = ceil(deadline - fb_clock_ms());
    if (left <= 0)
        return 0;
    if (left > INT_MAX)
        return INT_MAX;
    return (int)left;
}
