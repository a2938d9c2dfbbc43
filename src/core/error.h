/* error.h - faasbench error codes: 0 or a negative FB_E* value, one list;
 * and the formatted strings messages are built with. */
#ifndef FB_ERROR_H
#define FB_ERROR_H

#include <stddef.h>

/* X(name, text): every error the core returns. */
#define FB_ERRNO_MAP(X)                                                     \
    X(EINVAL, "invalid argument")                                           \
    X(ENOMEM, "out of memory")                                              \
    X(EIO, "input/output error")                                            \
    X(ECONFIG, "invalid experiment file")                                   \
    X(EUNSAFE, "value outside the safe character set")                      \
    X(ECONNECT, "cannot connect to node")                                   \
    X(EHOSTKEY, "host key verification failed")                             \
    X(EAUTH, "authentication failed")                                       \
    X(ESSH, "ssh session error")                                            \
    X(ETIMEDOUT, "command timed out")                                       \
    X(EEXIT, "command exited with non-zero status")                         \
    X(ENONODE, "no eligible node")                                          \
    X(EMETRICS, "cannot parse node metrics")                                \
    X(EINTR, "interrupted")                                                 \
    X(ENOAGENT, "the node helper's server is not available")

enum {
    FB_OK = 0,
#define FB_ENUM_(name, text) FB_##name,
    FB_EFIRST_ = -1000,
    FB_ERRNO_MAP(FB_ENUM_)
#undef FB_ENUM_
    FB_ELAST_
};

/* Human text for an FB_E* code (or "success" for 0). Never NULL. */
const char *fb_strerror(int err);
/* Symbolic name ("FB_ETIMEDOUT") for an FB_E* code. Never NULL. */
const char *fb_err_name(int err);

/* Bounded message buffer that functions fill with context on failure. */
#define FB_ERRMSG_LEN 512
struct fb_errbuf {
    char msg[FB_ERRMSG_LEN];
};

/* printf into eb (NULL eb is allowed and ignored). Returns err, for
 * `return fb_errf(eb, FB_EIO, "...")`. */
int fb_errf(struct fb_errbuf *eb, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* n bytes of text (up to a NUL) into out with control characters shown as
 * \xHH, so that text from a node cannot command the operator's terminal
 * (fb_errf and fb_last_line apply it). Cut to fit outlen. */
void fb_text_safe(const char *in, size_t n, char *out, size_t outlen);

/* The last non-empty line of text, trimmed and made safe, into out (for
 * error messages). */
void fb_last_line(const char *text, char *out, size_t outlen);

/* A newly allocated formatted string (caller frees), or NULL. */
char *fb_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
