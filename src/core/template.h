/* template.h - runtime step templates, presets, and safe substitution. */
#ifndef FB_TEMPLATE_H
#define FB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/types.h"
#include "core/error.h"

/* Values for one expansion; NULL members are unset (using one is an error). */
struct fb_tvars {
    const char *image;     /* OCI reference: [A-Za-z0-9._/:@-] */
    const char *container; /* name: [A-Za-z0-9_.-] */
    const char *command;   /* shell-like words, each re-quoted as one argument */
    const char *node;      /* name */
    const char *function;  /* name */
    const char *network;   /* "" or "--network none" (set by the runner) */
    const char *images;    /* space-separated image references */
    /* resident instances */
    const char *instance_dir; /* the instance's folder on the node: fb_node_path_valid */
    const char *instances;    /* the node's folder of instance folders: the same */
    const char *memory;       /* "--memory 128m" (set by the runner) */
    const char *handler;      /* {entry}: MODULE:FUNCTION, or NULL: command's runtime */
    /* faults (docs/faults.md) */
    const char *fault;        /* the fault's id on the node: a name */
    const char *action;       /* its action: a name */
    const char *seconds;      /* how long it lasts at most: a plain decimal */
    const char *fraction;     /* slow: the share of the CPU quota left: a plain decimal */
};

/* The preset's template for step s, or NULL for an unknown preset. */
const char *fb_runtime_preset(const char *preset, enum fb_step s);
/* true when preset is known ("docker", "podman"). */
bool fb_runtime_preset_known(const char *preset);
/* The name of the i-th preset, or NULL past the end (for listings). */
const char *fb_runtime_preset_name(int i);

/* Checks a template's placeholders: every {x} must be a known variable.
 * Returns 0 or FB_EINVAL with the offending name in eb. */
int fb_template_check(const char *tmpl, struct fb_errbuf *eb);

/* {entry} is the command line of a resident instance's runtime, from
 * handler (the image's Python runtime.py serving it) or else command (the
 * node helper mounted at /run/faasbench-node serving it); both listen in
 * /run/faasbench, where {instance_dir} is mounted.
 *
 * Expands tmpl into a newly allocated string *out (caller frees).
 * Every value is checked against its safe set; a value outside it gives
 * FB_EUNSAFE and the variable's name in eb. */
int fb_template_expand(const char *tmpl, const struct fb_tvars *v, char **out,
                       struct fb_errbuf *eb);

/* Splits a shell-like command (whitespace, '...' and "..." quoting, \ escapes)
 * and writes each word single-quoted into a newly allocated *out.
 * FB_EINVAL for an unterminated quote or an empty command. */
int fb_command_quote(const char *command, char **out, struct fb_errbuf *eb);

/* The same words, unquoted, each ended by a NUL, in a newly allocated *out
 * of *len bytes (caller frees). */
int fb_command_words(const char *command, char **out, size_t *len, struct fb_errbuf *eb);

/* Quotes one string for /bin/sh (single quotes). Caller frees. NULL on ENOMEM. */
char *fb_shell_quote(const char *s);

/* ---- a function's work placeholders ----
 * A function's command (exec-based functions) and a handler's args may hold
 * {duration_ms} and {memory_mb}: the work of each invocation, from its
 * trace event or the function's work_duration_ms and work_memory_mb. They
 * are replaced in the text before it is split into words; nothing else in
 * it is a placeholder. */
struct fb_work {
    double duration_ms; /* >= 0, finite */
    double memory_mb;   /* >= 0, finite */
};

/* true when text (may be NULL) holds {duration_ms} or {memory_mb}. */
bool fb_work_used(const char *text);

/* text with {duration_ms} replaced by the duration in ms (at most 3
 * decimals, no trailing zeros: "250", "12.5") and {memory_mb} by the
 * memory in whole MB, rounded up, into a newly allocated *out (caller
 * frees). 0 or FB_ENOMEM. */
int fb_work_expand(const char *text, const struct fb_work *w, char **out);

/* The work a call asks of a function whose command and args (either may be
 * NULL) are these, as fb_work_expand fills it in: w's duration and memory
 * where they are numbers (w may be NULL), else defaults' (the function's
 * work_duration_ms and work_memory_mb). *duration_ms is the duration (0
 * when not a positive number) when the text holds {duration_ms}, else NAN;
 * *memory_mb the memory in whole MB, rounded up, when it holds {memory_mb},
 * else NAN: NAN says the call was not asked for it. */
void fb_work_asked(const char *command, const char *args, const struct fb_work *defaults,
                   const struct fb_work *w, double *duration_ms, double *memory_mb);
/* The same in two steps, the first once per function: which placeholders
 * its command and args hold, then each call's values. */
struct fb_work_use {
    bool duration, memory;
};
struct fb_work_use fb_work_use_of(const char *command, const char *args);
void fb_work_asked_by(struct fb_work_use u, const struct fb_work *defaults,
                      const struct fb_work *w, double *duration_ms, double *memory_mb);

/* Safe-set checks, also used by the config loader and the gateway. */
bool fb_name_valid(const char *s);  /* [A-Za-z0-9_.-]{1,64} */
bool fb_image_valid(const char *s); /* OCI reference grammar, <= 255 chars */
/* An absolute path, or one below the node user's home ("~/..."), of
 * [A-Za-z0-9_.-] components, none empty, "." or "..", or starting with '-';
 * at most 1024 bytes. In a template, "~" becomes "$HOME" (double-quoted). */
bool fb_node_path_valid(const char *s);
/* Python's MODULE:FUNCTION (MODULE may be dotted), at most 128 bytes. */
bool fb_handler_valid(const char *s);

#endif
