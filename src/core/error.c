/* error.c - text and names for FB_E* codes, and the context buffer. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fb_strerror(int err)
{
    switch (err) {
    case FB_OK:
        return "success";
#define FB_TEXT_(name, text)                                                \
    case FB_##name:                                                         \
        return text;
        FB_ERRNO_MAP(FB_TEXT_)
#undef FB_TEXT_
    default:
        return "unknown error";
    }
}

const char *fb_err_name(int err)
{
    switch (err) {
    case FB_OK:
        return "FB_OK";
#define FB_NAME_(name, text)                                                \
    case FB_##name:                                                         \
        return "FB_" #name;
        FB_ERRNO_MAP(FB_NAME_)
#undef FB_NAME_
    default:
        return "FB_EUNKNOWN";
    }
}

/* A control character shows as \xHH: ASCII's (0x00-0x1f, 0x7f) and the C1
 * ones in UTF-8 (0xc2 0x80-0x9f), which terminals take as commands. */
static size_t escaped_len(const unsigned char *p)
{
    if (p[0] < 0x20 || p[0] == 0x7f)
        return 1;
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        return 2;
    return 0;
}

void fb_text_safe(const char *in, size_t n, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in, *end = p + n;
    size_t o = 0;

    if (outlen == 0)
        return;
    while (p < end && *p != '\0' && o + 1 < outlen) {
        size_t k = p + 1 < end ? escaped_len(p) : (*p < 0x20 || *p == 0x7f);
        if (k == 0) {
            out[o++] = (char)*p++;
            continue;
        }
        if (o + 4 * k >= outlen)
            break;
        for (size_t i = 0; i < k; i++, p++)
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
    }
    out[o] = '\0';
}

int fb_errf(struct fb_errbuf *eb, int err, const char *fmt, ...)
{
    if (eb != NULL) {
        char raw[FB_ERRMSG_LEN];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        /* Messages reach the operator's terminal, and hold what nodes said. */
        fb_text_safe(raw, sizeof(raw), eb->msg, sizeof(eb->msg));
    }
    return err;
}

char *fb_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

void fb_last_line(const char *text, char *out, size_t outlen)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    fb_text_safe(start, (size_t)(end - start), out, outlen);
}
