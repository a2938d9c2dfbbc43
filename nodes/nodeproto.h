/* nodeproto.h - the node helper's session protocol (`faasbench-node serve`):
 * its framing and limits, and the one parser and formatter of its lines that
 * the helper, the ssh transport and the fuzz harnesses use.
 *
 * Framing: one client, one command at a time, on the helper's stdin/stdout.
 *   at start   "fbs1 ready\n"                                  (server)
 *   request    "fbq1 TIMEOUT_MS LEN\n", then LEN bytes: the command (client)
 *   reply      "fbr1 status=N elapsed_ns=N timed_out=0|1 out=N err=N\n",
 *              then out bytes of stdout, then err bytes of stderr (server)
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
 * Header only (static inline functions, no other faasbench header), so the
 * helper stays one compile command: nodes/up builds it on each node from
 * nodes/faasbench-node.c, which includes this file. */
#ifndef FB_NODEPROTO_H
#define FB_NODEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FB_NODEPROTO_READY "fbs1 ready\n"
#define FB_NODEPROTO_LINE_MAX 128
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

struct fb_nodeproto_request {
    uint32_t timeout_ms; /* 0: none */
    size_t len;          /* bytes of the command that follow the line */
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

    if (!fb_nodeproto_word(&p, end, "fbq1 ") ||
        !fb_nodeproto_number(&p, end, FB_NODEPROTO_TIMEOUT_MAX, &t) ||
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
    n = snprintf(buf, size, "fbq1 %lu %lu\n", (unsigned long)q->timeout_ms,
                 (unsigned long)q->len);
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

#endif
