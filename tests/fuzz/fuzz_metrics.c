/* fuzz_metrics.c - fuzz target: fb_metrics_parse on a node's metrics output (fbm1 line, testbed JSON) and the percentages. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fuzz.h"
#include "engine/metrics.h"

/* Parses text in format f: 0 with *c filled, or the error, checked. */
static int metrics_one(enum fb_metrics_format f, const char *text, struct fb_counters *c)
{
    struct fb_errbuf eb = {{0}};
    int rc = fb_metrics_parse(f, text, c, &eb);

    if (rc < 0) {
        FUZZ_CHECK(rc == FB_EMETRICS, "format %d returned %s", (int)f, fb_err_name(rc));
        FUZZ_CHECK(eb.msg[0] != '\0', "format %d failed without a message", (int)f);
        return rc;
    }
    if (f == FB_METRICS_FBNODE)
        FUZZ_CHECK(c->cumulative && c->cpus > 0 && isfinite(c->cpus), "fbm1 cpus %g", c->cpus);
    if (f == FB_METRICS_TESTBED)
        FUZZ_CHECK(!c->cumulative && isfinite(c->cpu_pct) && isfinite(c->ram_pct),
                   "testbed %g %g", c->cpu_pct, c->ram_pct);
    return 0;
}

static void check_pct(double v, const char *what)
{
    FUZZ_CHECK(v >= 0 && v <= 100, "%s %g outside [0, 100]", what, v);
}

int fb_fuzz_metrics(const uint8_t *data, size_t size);

/* The input is one reading, or two separated by a NUL byte: the earlier
 * and the later poll of the same node. */
int fb_fuzz_metrics(const uint8_t *data, size_t size)
{
    static const enum fb_metrics_format formats[] = {FB_METRICS_FBNODE, FB_METRICS_TESTBED,
                                                     FB_METRICS_NONE};
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n1 = nul != NULL ? (size_t)(nul - data) : size;
    char *first = fuzz_cstring(data, n1);
    char *second = nul != NULL ? fuzz_cstring(nul + 1, size - n1 - 1) : NULL;

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        struct fb_counters prev, cur;
        int rp = metrics_one(formats[i], first, &prev);
        int rc = second != NULL ? metrics_one(formats[i], second, &cur) : rp;

        if (second == NULL)
            cur = prev;
        if (rp == 0)
            check_pct(fb_metrics_cpu_pct(NULL, &prev), "cpu % without a previous reading");
        if (rc == 0) {
            check_pct(fb_metrics_ram_pct(&cur), "ram %");
            if (rp == 0)
                check_pct(fb_metrics_cpu_pct(&prev, &cur), "cpu %");
        }
    }
    free(first);
    free(second);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_metrics(data, size);
}
#endif
