/* error.c - text and names for FB_E* codes, and the context buffer. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

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
