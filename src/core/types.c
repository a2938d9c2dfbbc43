/* types.c - names of the shared enums. */
#include "core/types.h"

#include <string.h>

#include "core/error.h"

static const char *const warming_names[FB_WARM_N] = {
    [FB_WARM_COLD] = "cold",
    [FB_WARM_PREWARMED] = "pre-warmed",
    [FB_WARM_WARMED] = "warmed",
    [FB_WARM_KEEPALIVE] = "keep-alive",
};

const char *fb_warming_name(enum fb_warming w)
{
    return (int)w >= 0 && w < FB_WARM_N ? warming_names[w] : "unknown";
}

int fb_warming_parse(const char *name, enum fb_warming *out)
{
    if (name == NULL)
        return FB_EINVAL;
    for (int w = 0; w < FB_WARM_N; w++)
        if (strcmp(warming_names[w], name) == 0) {
            if (out != NULL)
                *out = (enum fb_warming)w;
            return 0;
        }
    return FB_EINVAL;
}
