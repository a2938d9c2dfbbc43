/* metrics.h - node load: parse a node's report, CPU % from counter deltas. */
#ifndef FB_METRICS_H
#define FB_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"
#include "core/error.h"

/* One reading of a node. */
struct fb_counters {
    bool cumulative;      /* fbm1 counters; false: the testbed's ready percentages */
    uint64_t cpu_ns;      /* cumulative CPU time of the node */
    uint64_t clock_ns;    /* node's monotonic clock */
    uint64_t mem_used;    /* bytes */
    uint64_t mem_limit;   /* bytes */
    double cpus;          /* capacity in cores */
    double cpu_pct;       /* ready percentage (testbed format) */
    double ram_pct;       /* ready percentage (testbed format) */
};

/* Parses the output of the node's metrics command in format f.
 * fbm1: "fbm1 cpu_ns=N clock_ns=N mem_used=N mem_limit=N cpus=F source=S"
 * testbed: JSON object with numbers "cpu_usage" and "ram_usage" (percent).
 * Returns 0 or FB_EMETRICS with what was wrong in eb. */
int fb_metrics_parse(enum fb_metrics_format f, const char *text,
                     struct fb_counters *out, struct fb_errbuf *eb);

/* CPU % of the node's capacity between two readings (100 = all its cores
 * busy), clamped to [0, 100]; 0 when there is no earlier reading
 * (prev NULL) or the clock did not advance. Testbed format: cur's own value. */
double fb_metrics_cpu_pct(const struct fb_counters *prev, const struct fb_counters *cur);
/* RAM % used of the limit. */
double fb_metrics_ram_pct(const struct fb_counters *cur);

#endif
