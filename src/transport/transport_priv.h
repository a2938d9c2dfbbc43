/* transport_priv.h - shared by the transports: connection head, capture, fbx1 trailer. */
#ifndef FB_TRANSPORT_PRIV_H
#define FB_TRANSPORT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "helper/nodeproto.h"
#include "transport/transport.h"

/* First member of every transport's connection; fb_conn_exec() and
 * fb_conn_close() dispatch through ops. */
struct fb_conn {
    const struct fb_transport *ops;
    char *node_name;
    bool native_timing; /* exec reports node_ms itself: FB_RUN_TIMED needs no wrapper */
};

/* Bytes of each stream's end kept apart from the capped buffer, so a
 * trailer line is still seen when the stream ran past FB_EXEC_CAPTURE. */
#define FB_CAPTURE_TAIL 256

/* One output stream being read: the first FB_EXEC_CAPTURE bytes, the count
 * of all bytes, and the last FB_CAPTURE_TAIL bytes. Zero-initialise. */
struct fb_capture {
    char *buf;
    size_t len;
    size_t cap;
    uint64_t total;
    char tail[FB_CAPTURE_TAIL];
    size_t tail_len;
};

/* Appends n bytes; past FB_EXEC_CAPTURE they are counted, not kept.
 * Returns 0 or FB_ENOMEM. */
int fb_capture_add(struct fb_capture *c, const char *p, size_t n);
void fb_capture_free(struct fb_capture *c);

/* Sets res to "nothing known yet": exit_status -1, node_ms NAN, no buffers. */
void fb_exec_result_init(struct fb_exec_result *res);

/* Moves both captures into res (NUL-terminated buffers, never NULL), removing
 * a trailing fbx1 line from stderr and setting res->node_ms from it. The
 * captures are left empty. Returns 0 or FB_ENOMEM. */
int fb_exec_result_take(struct fb_exec_result *res, struct fb_capture *out,
                        struct fb_capture *err);

/* Fills res from a call's reply line r and its bodies (r->out_len bytes at
 * out, r->err_len at err). 0 or FB_ENOMEM. */
int fb_call_result_set(struct fb_exec_result *res, const struct fb_nodeproto_call_reply *r,
                       const char *out, const char *err);

/* Looks for `fbx1 elapsed_ns=<N> ...` as the last line of text (a final
 * newline allowed). When found, returns true with *node_ms = N / 1e6 and
 * *start = the offset where the trailer begins. complete: text is the whole
 * stream (a line reaching text's start is then a whole line). */
bool fb_trailer_find(const char *text, size_t len, bool complete, double *node_ms,
                     size_t *start);

/* Whether the known_hosts file at path marks key (a host's public key as
 * the server sends it, key_len bytes) @revoked: 1 when a line
 * "@revoked <hosts> <type> <base64 key>" holds it, for any hosts (stricter
 * than OpenSSH, which applies it to the hosts named), 0 when none does,
 * FB_EHOSTKEY (the reason in eb) when the file cannot be read, FB_ENOMEM. */
int fb_known_hosts_revoked(const char *path, const unsigned char *key, size_t key_len,
                           struct fb_errbuf *eb);

/* Milliseconds left until deadline (INFINITY: none) as a poll() timeout:
 * -1 for none, else rounded up and at least 0. */
int fb_poll_timeout(double deadline);

#endif
