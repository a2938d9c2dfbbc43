/* instproto.h - the protocol between the node helper and a resident runtime
 * (the main process of a function instance): its framing and limits, and the
 * one parser and formatter of its lines that the helper's client, the
 * helper's own runtime (`faasbench-node runtime`) and the fuzz harness use.
 * nodes/images/runtime.py speaks the same protocol in Python.
 *
 * Transport: a Unix stream socket DIR/sock, DIR being the instance's folder
 * on the node, bind-mounted into its container. The socket appears only once
 * the runtime is ready (it listens under another name, then renames), so a
 * connection that succeeds reaches a loaded handler. One request per
 * connection; the runtime serves one connection at a time.
 *   request  "fbi1 KIND TIMEOUT_MS LEN\n", then LEN bytes       (helper)
 *            KIND "ping": is it ready (LEN 0); "call": invoke the handler,
 *            the LEN bytes being its arguments, each ended by a NUL byte
 *   reply    "fbo1 status=N handler_ns=N init_ns=N count=N pid=N out=N err=N\n",
 *            then out bytes of output, then err bytes of error text (runtime)
 *            status: the handler's, 0 for success (0..255); handler_ns: the
 *            call's own time (0 for ping); init_ns: the runtime's start-up,
 *            from its first instruction to its handler loaded; count: calls
 *            served by this process so far; pid: its process id
 * A line is at most FB_INSTPROTO_LINE_MAX bytes, its '\n' included, with no
 * NUL; numbers are plain decimal digits as in nodeproto.h. The runtime cuts
 * output past FB_INSTPROTO_CAPTURE and closes the connection after its
 * reply; anything outside the grammar ends the connection without one.
 * The timeout is the helper's to keep (it gives up on the connection); the
 * runtime may use it to stop early. */
#ifndef FB_INSTPROTO_H
#define FB_INSTPROTO_H

#include "helper/nodeproto.h"

#define FB_INSTPROTO_LINE_MAX 256
#define FB_INSTPROTO_ARGS_MAX 65536u
#define FB_INSTPROTO_CAPTURE (1024u * 1024u)
#define FB_INSTPROTO_COUNT_MAX 9223372036854775807ull
#define FB_INSTPROTO_PID_MAX 2147483647u
#define FB_INSTPROTO_SOCKET "sock"

enum fb_instproto_kind { FB_INST_PING, FB_INST_CALL };

struct fb_instproto_request {
    enum fb_instproto_kind kind;
    uint32_t timeout_ms;
    size_t len; /* bytes of arguments after the line */
};

struct fb_instproto_reply {
    int status;
    uint64_t handler_ns, init_ns, count;
    uint32_t pid;
    size_t out_len, err_len;
};

/* A request line (n bytes, without its '\n') into *q: FB_NODEPROTO_OK or
 * FB_NODEPROTO_BAD. */
static inline int fb_instproto_request_parse(const char *line, size_t n,
                                             struct fb_instproto_request *q)
{
    const char *p = line, *end = line + n;
    uint64_t t, len;

    if (n >= FB_INSTPROTO_LINE_MAX || !fb_nodeproto_word(&p, end, "fbi1 "))
        return FB_NODEPROTO_BAD;
    if (fb_nodeproto_word(&p, end, "ping "))
        q->kind = FB_INST_PING;
    else if (fb_nodeproto_word(&p, end, "call "))
        q->kind = FB_INST_CALL;
    else
        return FB_NODEPROTO_BAD;
    if (!fb_nodeproto_number(&p, end, FB_NODEPROTO_TIMEOUT_MAX, &t) ||
        !fb_nodeproto_word(&p, end, " ") ||
        !fb_nodeproto_number(&p, end, FB_INSTPROTO_ARGS_MAX, &len) || p != end ||
        (q->kind == FB_INST_PING && len != 0))
        return FB_NODEPROTO_BAD;
    q->timeout_ms = (uint32_t)t;
    q->len = (size_t)len;
    return FB_NODEPROTO_OK;
}

/* A reply line (n bytes, without its '\n') into *r. */
static inline int fb_instproto_reply_parse(const char *line, size_t n,
                                           struct fb_instproto_reply *r)
{
    const char *p = line, *end = line + n;
    uint64_t status, pid, out, err;

    if (n >= FB_INSTPROTO_LINE_MAX || !fb_nodeproto_word(&p, end, "fbo1 status=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_STATUS_MAX, &status) ||
        !fb_nodeproto_word(&p, end, " handler_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &r->handler_ns) ||
        !fb_nodeproto_word(&p, end, " init_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &r->init_ns) ||
        !fb_nodeproto_word(&p, end, " count=") ||
        !fb_nodeproto_number(&p, end, FB_INSTPROTO_COUNT_MAX, &r->count) ||
        !fb_nodeproto_word(&p, end, " pid=") ||
        !fb_nodeproto_number(&p, end, FB_INSTPROTO_PID_MAX, &pid) ||
        !fb_nodeproto_word(&p, end, " out=") ||
        !fb_nodeproto_number(&p, end, FB_INSTPROTO_CAPTURE, &out) ||
        !fb_nodeproto_word(&p, end, " err=") ||
        !fb_nodeproto_number(&p, end, FB_INSTPROTO_CAPTURE, &err) || p != end)
        return FB_NODEPROTO_BAD;
    r->status = (int)status;
    r->pid = (uint32_t)pid;
    r->out_len = (size_t)out;
    r->err_len = (size_t)err;
    return FB_NODEPROTO_OK;
}

/* The request line for q, '\n' included, into buf: its length or
 * FB_NODEPROTO_BAD. */
static inline int fb_instproto_request_format(char *buf, size_t size,
                                              const struct fb_instproto_request *q)
{
    int n;

    if (q->timeout_ms > FB_NODEPROTO_TIMEOUT_MAX || q->len > FB_INSTPROTO_ARGS_MAX ||
        (q->kind == FB_INST_PING && q->len != 0))
        return FB_NODEPROTO_BAD;
    n = snprintf(buf, size, "fbi1 %s %lu %lu\n", q->kind == FB_INST_PING ? "ping" : "call",
                 (unsigned long)q->timeout_ms, (unsigned long)q->len);
    return n > 0 && (size_t)n < size ? n : FB_NODEPROTO_BAD;
}

/* The reply line for r, '\n' included, into buf: its length or
 * FB_NODEPROTO_BAD. */
static inline int fb_instproto_reply_format(char *buf, size_t size,
                                            const struct fb_instproto_reply *r)
{
    int n;

    if (r->status < 0 || (unsigned)r->status > FB_NODEPROTO_STATUS_MAX ||
        r->count > FB_INSTPROTO_COUNT_MAX || r->pid > FB_INSTPROTO_PID_MAX ||
        r->out_len > FB_INSTPROTO_CAPTURE || r->err_len > FB_INSTPROTO_CAPTURE)
        return FB_NODEPROTO_BAD;
    n = snprintf(buf, size,
                 "fbo1 status=%d handler_ns=%llu init_ns=%llu count=%llu pid=%lu out=%lu "
                 "err=%lu\n",
                 r->status, (unsigned long long)r->handler_ns, (unsigned long long)r->init_ns,
                 (unsigned long long)r->count, (unsigned long)r->pid,
                 (unsigned long)r->out_len, (unsigned long)r->err_len);
    return n > 0 && (size_t)n < size ? n : FB_NODEPROTO_BAD;
}

#endif
