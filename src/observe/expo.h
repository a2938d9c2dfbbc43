/* expo.h - the text formats Prometheus scrapes: OpenMetrics 1.0.0 and the
 * older Prometheus text format 0.0.4. A writer of metric families and their
 * samples to a FILE, with label values escaped, numbers in a form both
 * formats read, and the format chosen from a scraper's Accept header.
 *
 * The two formats differ in a few places only, all handled here: a
 * counter's family is NAME in OpenMetrics (its sample NAME_total) but
 * NAME_total in the text format; an info family is NAME (sample NAME_info)
 * in OpenMetrics and a gauge NAME_info in the text format; OpenMetrics has
 * # UNIT lines, escapes '"' in HELP text and ends with "# EOF". */
#ifndef FB_EXPO_H
#define FB_EXPO_H

#include <stdint.h>
#include <stdio.h>

enum fb_expo_format { FB_EXPO_OPENMETRICS, FB_EXPO_TEXT };
enum fb_expo_type { FB_EXPO_COUNTER, FB_EXPO_GAUGE, FB_EXPO_HISTOGRAM, FB_EXPO_INFO };

/* The Content-Type of an answer in format f. */
const char *fb_expo_content_type(enum fb_expo_format f);

/* The format a scraper's Accept header asks for: OpenMetrics when it lists
 * application/openmetrics-text (version 1.0.0 or unversioned) with a
 * quality above 0 and not below that of every other type it lists; else
 * the text format (also for NULL, "" and a lone wildcard). */
enum fb_expo_format fb_expo_negotiate(const char *accept);

/* One label: name (a valid label name: [a-zA-Z_][a-zA-Z0-9_]*) and value
 * (any UTF-8: escaped when written). */
struct fb_expo_label {
    const char *name, *value;
};

/* Writes labels l (n of them) as the inside of a sample's braces,
 * name="value",... with values escaped (\\, \", \n), into buf (size n_buf,
 * always terminated). Returns the length it needed (as snprintf). */
size_t fb_expo_labels(char *buf, size_t n_buf, const struct fb_expo_label *l, int n);

/* A writer of one exposition. */
struct fb_expo {
    FILE *f;
    enum fb_expo_format fmt;
    const char *family; /* the family being written */
    enum fb_expo_type type;
};

void fb_expo_init(struct fb_expo *x, FILE *f, enum fb_expo_format fmt);

/* Starts family name (its base name: no _total or _info suffix) of type t;
 * unit (NULL: none) is the base unit its name ends with ("seconds",
 * "bytes", "ratio"); help is one line. */
void fb_expo_family(struct fb_expo *x, const char *name, enum fb_expo_type t, const char *unit,
                    const char *help);

/* A sample of the current family with labels (the output of
 * fb_expo_labels, "" for none): a gauge's value v, a counter's count (its
 * NAME_total sample), an info family's 1. */
void fb_expo_gauge(struct fb_expo *x, const char *labels, double v);
void fb_expo_counter(struct fb_expo *x, const char *labels, uint64_t count);
void fb_expo_info(struct fb_expo *x, const char *labels);

/* A histogram's samples with labels: the n finite upper bounds (ascending)
 * with their counts (counts[i]: observations in (bounds[i-1], bounds[i]],
 * not cumulative; counts[n]: above the last bound), written as cumulative
 * _bucket samples ending with le="+Inf", then _count and _sum. */
void fb_expo_histogram(struct fb_expo *x, const char *labels, const double *bounds, int n,
                       const uint64_t *counts, double sum);

/* Ends the exposition ("# EOF" in OpenMetrics). Returns 0, or FB_EIO when
 * a write failed. */
int fb_expo_end(struct fb_expo *x);

/* v in the form the exposition writes numbers: the shortest decimal that
 * reads back as v, integers with ".0" ("1.0", "0.25", "1e-05"), "+Inf",
 * "-Inf", "NaN". buf: at least 32 bytes. */
const char *fb_expo_number(double v, char *buf, size_t n);

#endif
