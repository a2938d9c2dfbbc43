/* plugopt.h - parameters of plug-ins (node policies, keep-alive policies): each
 * plug-in declares them in a table, and experiment files set them after its
 * name, "NAME:KEY=VALUE,KEY=VALUE" (e.g. "ch-bl:epsilon=0.25"). */
#ifndef FB_PLUGOPT_H
#define FB_PLUGOPT_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

#define FB_PLUGOPT_MAX 12 /* parameters of one plug-in (hybrid-histogram has 10) */

enum fb_plugopt_kind { FB_PLUGOPT_NUMBER, FB_PLUGOPT_INT };

/* One parameter; a table ends with a NULL name. */
struct fb_plugopt {
    const char *name;
    enum fb_plugopt_kind kind;
    double def, min, max; /* default and closed range */
    const char *help;
};

/* A plug-in name with its parameters' values: every parameter of the
 * table, in table order, the default where the spec does not set it. */
struct fb_plugspec {
    char name[64];
    double values[FB_PLUGOPT_MAX];
    int n_values;
};

/* Splits spec into its name and "KEY=VALUE" list (name only: no list).
 * name gets the part before ':' (at most n - 1 bytes). 0 or FB_EINVAL. */
int fb_plugspec_name(const char *spec, char *name, size_t n);

/* Parses spec's parameters against table (NULL: none) into *out, the
 * defaults first. FB_EINVAL with eb naming the key: unknown (with the
 * known ones), not a number, out of range, a fraction for an integer, or
 * given twice. */
int fb_plugspec_parse(const char *spec, const struct fb_plugopt *table, struct fb_plugspec *out,
                      struct fb_errbuf *eb);

/* Checks the options table t of plug-in name (a what: "policy",
 * "keep-alive policy"): every parameter named and described once, a valid
 * kind, a finite range holding its default, whole numbers for an integer,
 * at most FB_PLUGOPT_MAX. 0 or FB_EINVAL naming it. */
int fb_plugopt_table_check(const char *what, const char *name, const struct fb_plugopt *t,
                           struct fb_errbuf *eb);

/* Lists a plug-in for --list-policies: "NAME  SUMMARY", then a line per
 * parameter (name=default, kind, range, help). */
void fb_plugopt_list(FILE *f, const char *name, const char *summary,
                     const struct fb_plugopt *table);

#endif
