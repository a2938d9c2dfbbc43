/* types.h - small enums shared by the config, the engine and the policies. */
#ifndef FB_TYPES_H
#define FB_TYPES_H

/* How a function is prepared in a cell, and what an invocation ran as. */
enum fb_warming {
    FB_WARM_COLD,
    FB_WARM_PREWARMED,
    FB_WARM_WARMED,
    FB_WARM_KEEPALIVE, /* a cell's mode only: cold or warm is the outcome */
    FB_WARM_N
};

/* "cold", "pre-warmed", "warmed", "keep-alive"; "unknown" out of range. */
const char *fb_warming_name(enum fb_warming w);
/* 0 and *out set (out may be NULL), or FB_EINVAL for an unknown name. */
int fb_warming_parse(const char *name, enum fb_warming *out);

#endif
