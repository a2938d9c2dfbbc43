/* capture.c - what the transports share: output capture, command results, the
 * fbx1 trailer, and the monotonic clock their deadlines run on. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport/transport_priv.h"

/* The trailer `faasbench-node exec` prints as its last stderr line. */
static const char trailer_tag[] = "fbx1 ";

void fb_exec_result_init(struct fb_exec_result *res)
{
    memset(res, 0, sizeof(*res));
    res->exit_status = -1;
    res->node_ms = NAN;
    res->handler_ms = NAN;
    res->init_ms = NAN;
    res->call_state = FB_CALL_GONE;
}

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

int fb_poll_timeout(double deadline)
{
    double left;

    if (isinf(deadline))
        return -1;
    left = ceil(deadline - fb_mono_ms());
    if (left <= 0)
        return 0;
    if (left > INT_MAX)
        return INT_MAX;
    return (int)left;
}
