/* error.c - text and names for FB_E* codes, and the context buffer. */
#include "error.h"

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

int fb_errf(struct fb_errbuf *eb, int err, const char *fmt, ...)
{
    if (eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
        va_end(ap);
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
    snprintf(out, outlen, "%.*s", (int)(end - start), start);
}
