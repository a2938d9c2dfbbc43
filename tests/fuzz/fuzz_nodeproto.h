/* fuzz_nodeproto.h - shared by the node protocol's fuzz targets: a buffer read as the
 * helper's server (requests) or the ssh transport (replies) reads it, with nodeproto.h. */
#ifndef FB_FUZZ_NODEPROTO_H
#define FB_FUZZ_NODEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "helper/nodeproto.h"

/* What one accepted line says: the bytes that follow it (a command, or a
 * reply's two streams), and the line formatted again from the parse. */
struct fuzz_np_line {
    size_t payload;
    char again[FB_NODEPROTO_LINE_MAX];
    int again_len;
};

typedef bool (*fuzz_np_parse)(const char *line, size_t n, struct fuzz_np_line *out);

/* Walks data as one end reads it: a line (no byte past the buffer is
 * looked at, the buffer is an exact-size copy), its payload, the next
 * line. Every accepted line is the one its own parse formats back, byte
 * for byte (the grammar has one spelling per message), and within limits;
 * every refused or unfinished line is so for a reason the header states. */
static inline void fuzz_np_walk(const uint8_t *data, size_t size, fuzz_np_parse parse)
{
    char *buf = malloc(size > 0 ? size : 1);
    size_t at = 0;

    if (buf == NULL)
        abort();
    if (size > 0)
        memcpy(buf, data, size);
    while (at < size) {
        const char *p = buf + at, *nl, *nul;
        size_t left = size - at, scan = left < FB_NODEPROTO_LINE_MAX ? left : FB_NODEPROTO_LINE_MAX;
        size_t line_len = 0;
        struct fuzz_np_line out;
        int r = fb_nodeproto_line(p, left, &line_len);

        nl = memchr(p, '\n', scan);
        nul = memchr(p, '\0', nl != NULL ? (size_t)(nl - p) : scan);
        if (r == FB_NODEPROTO_MORE) {
            FUZZ_CHECK(nl == NULL && nul == NULL && left < FB_NODEPROTO_LINE_MAX,
                       "more asked for with %zu bytes", left);
            break;
        }
        if (r == FB_NODEPROTO_BAD) {
            FUZZ_CHECK(nul != NULL || (nl == NULL && left >= FB_NODEPROTO_LINE_MAX),
                       "a line refused with its newline at %td and no NUL",
                       nl != NULL ? nl - p : -1);
            break;
        }
        FUZZ_CHECK(r == FB_NODEPROTO_OK && nl != NULL && (size_t)(nl - p) == line_len &&
                       nul == NULL,
                   "line of %zu bytes, newline at %td", line_len, nl != NULL ? nl - p : -1);
        if (!parse(p, line_len, &out))
            break;
        FUZZ_CHECK(out.again_len == (int)line_len + 1 &&
                       memcmp(out.again, p, line_len + 1) == 0,
                   "accepted '%.*s', which formats back as '%.*s'", (int)line_len, p,
                   out.again_len > 0 ? out.again_len - 1 : 0, out.again);
        if (out.payload > size - at - line_len - 1)
            break; /* the rest of the message has not come */
        at += line_len + 1 + out.payload;
    }
    free(buf);
}

#endif
