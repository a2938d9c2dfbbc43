/* faultsum.h - what each fault did (docs/faults.md): faults.csv's actual
 * windows read back, each cell's calls before, during and after each of
 * its faults (faults_summary.csv and summary.txt's section), and the phase
 * of a call, for `faasbench compare --phase`.
 *
 * A call's phase is by its start (start_ms) against the fault's actual
 * window [begin, end): before it, within it, or from its end on; warm-up
 * rows are left out, as every summary leaves them. A fault that never began
 * has no phases; one that never ended (faasbench was killed) has no after. */
#ifndef FB_FAULTSUM_H
#define FB_FAULTSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "results/faults.h"
#include "results/invocation.h"

/* One fault of one cell as faults.csv has it. Strings owned. */
struct fb_fwin {
    int repetition;
    char *policy, *warming, *fault, *node, *action;
    char *run_id;                            /* NULL when the file has none */
    int64_t begin_ms, end_ms, cell_start_ms; /* 0: it did not begin / end */
    double time_scale;
};

struct fb_fwins {
    struct fb_fwin *v;
    size_t n;
};

/* Reads RUN_DIR/faults.csv (columns by name; n = 0 without the file).
 * 0, FB_EINVAL naming the file and row of a field faasbench did not write,
 * FB_EIO, FB_ENOMEM. */
int fb_fwins_load(const char *run_dir, struct fb_fwins *out, struct fb_errbuf *eb);
void fb_fwins_free(struct fb_fwins *w);

#define FB_FPHASE_MAP(X)                                                                       \
    X(FB_FPHASE_BEFORE, "before")                                                              \
    X(FB_FPHASE_DURING, "during")                                                              \
    X(FB_FPHASE_AFTER, "after")
#define FB_ENUM_VALUE(id, name) id,
enum fb_fphase { FB_FPHASE_MAP(FB_ENUM_VALUE) FB_FPHASE_N };
#undef FB_ENUM_VALUE
const char *fb_fphase_name(enum fb_fphase p);
int fb_fphase_parse(const char *name, enum fb_fphase *out); /* 0 or FB_EINVAL */

/* The phase of a call that started at t_ms against window w, or -1 when w
 * never began (a window that never ended holds every call from its begin). */
int fb_fwin_phase(const struct fb_fwin *w, int64_t t_ms);

/* faults_summary.csv's rows: per cell, per fault (faults.csv's order),
 * before, during and after. */
struct fb_faultsum {
    struct fb_faultsum_row *rows; /* strings borrowed from the fb_fwins */
    size_t n;
};

/* Reads RUN_DIR/invocations.csv against w. 0, or the scan's errors. */
int fb_faultsum_compute(const char *run_dir, const struct fb_fwins *w, struct fb_faultsum *out,
                        struct fb_errbuf *eb);
/* The CSV file (header and rows) and summary.txt's section (a note and a
 * grid table; nothing when there are no rows). 0, FB_EIO or FB_ENOMEM. */
int fb_faultsum_write_csv(FILE *f, const struct fb_faultsum *s);
int fb_faultsum_write_table(FILE *f, const struct fb_faultsum *s);
void fb_faultsum_free(struct fb_faultsum *s);

/* A row filter (scan.h) keeping the calls that started in phase of the
 * faults of their cell: of the fault named fault, or, when fault is NULL,
 * during any fault's window, before every fault, or after every one. A
 * cell without faults keeps nothing. */
struct fb_phase_filter {
    const struct fb_fwins *w;
    enum fb_fphase phase;
    const char *fault;
};
int fb_phase_filter_row(void *ctx, const struct fb_invocation *row, struct fb_errbuf *eb);

#endif
