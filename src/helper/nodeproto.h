/* nodeproto.h - the node helper's session protocol (`faasbench-node serve`):
 * its framing and limits, and the one parser and formatter of its lines that
 * the helper, the ssh transport and the fuzz harnesses use.
 *
 * Framing: one client, one request at a time, on the helper's stdin/stdout.
 *   at start   "fbs1 ready\n"                                  (server)
 *   request    "fbq1 TIMEOUT_MS LEN\n", then LEN bytes: the command (client)
 *   reply      "fbr1 status=N elapsed_ns=N timed_out=0|1 out=N err=N\n",
 *              then out bytes of stdout, then err bytes of stderr (server)
 * or, to a resident instance's runtime (instproto.h), with no fork:
 *   request    "fbc1 TIMEOUT_MS LEN\n", then LEN bytes: the instance
 *              folder, a NUL, "ping" or "call", a NUL, then the call's
 *              arguments, each ended by a NUL                  (client)
 *   reply      "fbd1 state=ok|timeout|gone status=N elapsed_ns=N handler_ns=N
 *              init_ns=N count=N pid=N out=N err=N\n", then out and err
 *              bytes (server): ok, the runtime's reply (its fields, output
 *              and error text); timeout, no reply in time; gone, no runtime
 *              there or it died first, err saying why. elapsed_ns is the
 *              whole request on the node.
 * A line is at most FB_NODEPROTO_LINE_MAX bytes, its '\n' included, and holds
 * no NUL. Numbers are plain decimal digits (no sign, no leading zero, no
 * spaces) within their limits:
 *   TIMEOUT_MS  0 .. FB_NODEPROTO_TIMEOUT_MAX (0: no timeout)
 *   LEN         1 .. FB_NODEPROTO_COMMAND_MAX
 *   status      0 .. 255 (128 + signal for a killed command)
 *   elapsed_ns  0 .. 2^64 - 1
 *   out, err    0 .. FB_NODEPROTO_CAPTURE each
 * Anything else is a protocol error: the server exits 2 on a bad request, the
 * client gives the channel up on a bad reply. Neither buffers more than one
 * line before its '\n' is found, nor more than one message after it.
 *
 * Header only (static inline functions, no other faasbench header): the
 * helper (the .c files of src/helper/, built by CMake and by nodes/helper.sh) and the
 * ssh transport (src/transport/) both include it. */
#ifndef FB_NODEPROTO_H
#define FB_NODEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FB_NODEPROTO_READY "fbs1 ready\n"
#define FB_NODEPROTO_LINE_MAX 256
#define FB_NODEPROTO_TIMEOUT_MAX 2147483647u
#define FB_NODEPROTO_COMMAND_MAX (1024u * 1024u)
#define FB_NODEPROTO_CAPTURE (1024u * 1024u)
#define FB_NODEPROTO_STATUS_MAX 255u

/* Results of the functions below. */
enum {
    FB_NODEPROTO_OK = 0,
    FB_NODEPROTO_MORE = -1, /* no '\n' yet: read more (at most up to the line limit) */
    FB_NODEPROTO_BAD = -2   /* not a line of this protocol */
};

enum fb_nodeproto_kind {
    FB_NODEPROTO_RUN, /* fbq1: a shell command */
    FB_NODEPROTO_CALL /* fbc1: a request to an instance's runtime */
};

struct fb_nodeproto_request {
    enum fb_nodeproto_kind kind;
    uint32_t timeout_ms; /* 0: none */
    size_t len;          /* bytes of the command (or call) that follow the line */
};

enum fb_nodeproto_state { FB_NODEPROTO_CALL_OK, FB_NODEPROTO_CALL_TIMEOUT, FB_NODEPROTO_CALL_GONE };

struct fb_nodeproto_call_reply {
    enum fb_nodeproto_state state;
    int status;          /* the handler's, 0..255 */
    uint64_t elapsed_ns, handler_ns, init_ns, count;
    uint32_t pid;
    size_t out_len, err_len;
};

struct fb_nodeproto_reply {
    int status;          /* 0..255 */
    uint64_t elapsed_ns; /* the command's run time on the node */
    bool timed_out;
    size_t out_len, err_len; /* bytes of stdout, then stderr, after the line */
};

/* The line at the start of buf (len bytes): FB_NODEPROTO_OK with *line_len
 * the bytes before its '\n'; FB_NODEPROTO_MORE when no '\n' came yet and the
 * line may still end within the limit; FB_NODEPROTO_BAD when it holds a NUL
 * or runs past FB_NODEPROTO_LINE_MAX. Reads no byte at or past buf + len. */
static inline int fb_nodeproto_line(const char *buf, size_t len, size_t *line_len)
{
    size_t n = len < FB_NODEPROTO_LINE_MAX ? len : FB_NODEPROTO_LINE_MAX;

    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            *line_len = i;
            return FB_NODEPROTO_OK;
        }
        if (buf[i] == '\0')
            return FB_NODEPROTO_BAD;
    }
    return len < FB_NODEPROTO_LINE_MAX ? FB_NODEPROTO_MORE : FB_NODEPROTO_BAD;
}

/* Skips the literal word at *p (the line ends at end); false when absent. */
static inline bool fb_nodeproto_word(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
        return false;
    *p += n;
    return true;
}

/* A decimal number at *p, at most max: digits only, "0" or no leading zero. */
static inline bool fb_nodeproto_number(const char **p, const char *end, uint64_t max,
                                       uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (s == end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end && s[1] >= '0' &&
                                             s[1] <= '9'))
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > max / 10 || (v == max / 10 && d > max % 10))
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

/* A request line (n bytes, without its '\n') into *q. */
static inline int fb_nodeproto_request_parse(const char *line, size_t n,
                                             struct fb_nodeproto_request *q)
{
    const char *p = line, *end = line + n;
    uint64_t t, len;

    if (fb_nodeproto_word(&p, end, "fbq1 "))
        q->kind = FB_NODEPROTO_RUN;
    else if (fb_nodeproto_word(&p, end, "fbc1 "))
        q->kind = FB_NODEPROTO_CALL;
    else
        return FB_NODEPROTO_BAD;
    if (!fb_nodeproto_number(&p, end, FB_NODEPROTO_TIMEOUT_MAX, &t) ||
        !fb_nodeproto_word(&p, end, " ") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_COMMAND_MAX, &len) || len == 0 || p != end)
        return FB_NODEPROTO_BAD;
    q->timeout_ms = (uint32_t)t;
    q->len = (size_t)len;
    return FB_NODEPROTO_OK;
}

/* A reply line (n bytes, without its '\n') into *r. */
static inline int fb_nodeproto_reply_parse(const char *line, size_t n,
                                           struct fb_nodeproto_reply *r)
{
    const char *p = line, *end = line + n;
    uint64_t status, ns, to, out, err;

    if (!fb_nodeproto_word(&p, end, "fbr1 status=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_STATUS_MAX, &status) ||
        !fb_nodeproto_word(&p, end, " elapsed_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &ns) ||
        !fb_nodeproto_word(&p, end, " timed_out=") || !fb_nodeproto_number(&p, end, 1, &to) ||
        !fb_nodeproto_word(&p, end, " out=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_CAPTURE, &out) ||
        !fb_nodeproto_word(&p, end, " err=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_CAPTURE, &err) || p != end)
        return FB_NODEPROTO_BAD;
    r->status = (int)status;
    r->elapsed_ns = ns;
    r->timed_out = to != 0;
    r->out_len = (size_t)out;
    r->err_len = (size_t)err;
    return FB_NODEPROTO_OK;
}

/* The request line for q, '\n' included, into buf (FB_NODEPROTO_LINE_MAX
 * bytes are enough). Returns its length, or FB_NODEPROTO_BAD when q is
 * outside the limits or buf too small. */
static inline int fb_nodeproto_request_format(char *buf, size_t size,
                                              const struct fb_nodeproto_request *q)
{
    int n;

    if (q->timeout_ms > FB_NODEPROTO_TIMEOUT_MAX || q->len == 0 ||
        q->len > FB_NODEPROTO_COMMAND_MAX)
        return FB_NODEPROTO_BAD;
    n = snprintf(buf, size, "%s %lu %lu\n", q->kind == FB_NODEPROTO_CALL ? "fbc1" : "fbq1",
                 (unsigned long)q->timeout_ms, (unsigned long)q->len);
    return n > 0 && (size_t)n < size ? n : FB_NODEPROTO_BAD;
}

/* The reply line for r, '\n' included, into buf (FB_NODEPROTO_LINE_MAX
 * bytes are enough). Returns its length, or FB_NODEPROTO_BAD when r is
 * outside the limits or buf too small. */
static inline int fb_nodeproto_reply_format(char *buf, size_t size,
                                            const struct fb_nodeproto_reply *r)
{
    int n;

    if (r->status < 0 || (unsigned)r->status > FB_NODEPROTO_STATUS_MAX ||
        r->out_len > FB_NODEPROTO_CAPTURE || r->err_len > FB_NODEPROTO_CAPTURE)
        return FB_NODEPROTO_BAD;
    n = snprintf(buf, size, "fbr1 status=%d elapsed_ns=%llu timed_out=%d out=%lu err=%lu\n",
                 r->status, (unsigned long long)r->elapsed_ns, r->timed_out ? 1 : 0,
                 (unsigned long)r->out_len, (unsigned long)r->err_len);
    return n > 0 && (size_t)n < size ? n : FB_NODEPROTO_BAD;
}

static const char *const fb_nodeproto_states[] = {"ok", "timeout", "gone"};

/* A call's reply line (n bytes, without its '\n') into *r. */
static inline int fb_nodeproto_call_reply_parse(const char *line, size_t n,
                                                struct fb_nodeproto_call_reply *r)
{
    const char *p = line, *end = line + n;
    uint64_t status, pid, out, err;
    int st = -1;

    if (!fb_nodeproto_word(&p, end, "fbd1 state="))
        return FB_NODEPROTO_BAD;
    for (int i = 0; i < 3 && st < 0; i++)
        if (fb_nodeproto_word(&p, end, fb_nodeproto_states[i]))
            st = i;
    if (st < 0 || !fb_nodeproto_word(&p, end, " status=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_STATUS_MAX, &status) ||
        !fb_nodeproto_word(&p, end, " elapsed_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &r->elapsed_ns) ||
        !fb_nodeproto_word(&p, end, " handler_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &r->handler_ns) ||
        !fb_nodeproto_word(&p, end, " init_ns=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX, &r->init_ns) ||
        !fb_nodeproto_word(&p, end, " count=") ||
        !fb_nodeproto_number(&p, end, UINT64_MAX >> 1, &r->count) ||
        !fb_nodeproto_word(&p, end, " pid=") ||
        !fb_nodeproto_number(&p, end, 2147483647u, &pid) ||
        !fb_nodeproto_word(&p, end, " out=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_CAPTURE, &out) ||
        !fb_nodeproto_word(&p, end, " err=") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_CAPTURE, &err) || p != end)
        return FB_NODEPROTO_BAD;
    r->state = (enum fb_nodeproto_state)st;
    r->status = (int)status;
    r->pid = (uint32_t)pid;
    r->out_len = (size_t)out;
    r->err_len = (size_t)err;
    return FB_NODEPROTO_OK;
}

/* The call reply line for r, '\n' included, into buf: its length or
 * FB_NODEPROTO_BAD. */
static inline int fb_nodeproto_call_reply_format(char *buf, size_t size,
                                                 const struct fb_nodeproto_call_reply *r)
{
    int n;

    if ((int)r->state < 0 || r->state > FB_NODEPROTO_CALL_GONE || r->status < 0 ||
        (unsigned)r->status > FB_NODEPROTO_STATUS_MAX || r->count > UINT64_MAX >> 1 ||
        r->pid > 2147483647u || r->out_len > FB_NODEPROTO_CAPTURE ||
        r->err_len > FB_NODEPROTO_CAPTURE)
        return FB_NODEPROTO_BAD;
    n = snprintf(buf, size,
                 "fbd1 state=%s status=%d elapsed_ns=%llu handler_ns=%llu init_ns=%llu "
                 "count=%llu pid=%lu out=%lu err=%lu\n",
                 fb_nodeproto_states[r->state], r->status, (unsigned long long)r->elapsed_ns,
                 (unsigned long long)r->handler_ns, (unsigned long long)r->init_ns,
                 (unsigned long long)r->count, (unsigned long)r->pid,
                 (unsigned long)r->out_len, (unsigned long)r->err_len);
    return n > 0 && (size_t)n < size ? n : FB_NODEPROTO_BAD;
}

#endif
