/* fuzz_trace_pctl.c - fuzz target: fb_trace_load of an Azure Functions 2019 trace with fuzzed companion percentile files. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_trace.h"

/* The trace the companion files are read for: the rows their seeds list
 * (o1/a1/h1, o1/a1/h2) and one they do not (o2/a2/h3). */
static const char pctl_trace[] = "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
                                 "o1,a1,h1,http,2,0,1\n"
                                 "o1,a1,h2,timer,0,4,1\n"
                                 "o2,a2,h3,queue,1,1,1\n";

int fb_fuzz_trace_pctl(const uint8_t *data, size_t size);

/* Equal, or both NAN. */
static bool same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* The input up to its first NUL is the durations file (function_durations_percentiles),
 * the rest the memory file (app_memory_percentiles); an empty part names
 * no file. Besides trace.h's promises for every trace, the companion files
 * only add work: the events are those of the trace read without them, at
 * the same times for the same functions, and a load without a file leaves
 * that quantity NAN. The same input loads to the same draws. */
int fb_fuzz_trace_pctl(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n_dur = nul != NULL ? (size_t)(nul - data) : size;
    size_t n_mem = nul != NULL ? size - n_dur - 1 : 0;
    struct fb_trace_opts o = {
        .format = FB_TRACE_AZURE,
        .functions = fuzz_trace_functions,
        .n_functions = 3,
        .spread = size % 2 == 0 ? FB_SPREAD_UNIFORM : FB_SPREAD_POISSON,
        .time_scale = 1.0,
        .seed = size % 7,
    };
    struct fb_trace ref, t, again;
    struct fb_errbuf eb = {{0}};
    int rc;

    fuzz_trace_ready();
    fuzz_write_file(tfz.file, (const uint8_t *)pctl_trace, sizeof(pctl_trace) - 1);
    rc = fb_trace_load(tfz.file, &o, &ref, &eb);
    FUZZ_CHECK(rc == 0, "the fixed trace does not load: %s", eb.msg);

    if (n_dur > 0) {
        fuzz_write_file(tfz.durations, data, n_dur);
        o.durations = tfz.durations;
    }
    if (n_mem > 0) {
        fuzz_write_file(tfz.memory, nul + 1, n_mem);
        o.memory = tfz.memory;
    }
    rc = fb_trace_load(tfz.file, &o, &t, &eb);
    if (fuzz_trace_check(rc, &t, &eb, &o)) {
        FUZZ_CHECK(t.n == ref.n, "%zu events with the companion files, %zu without", t.n, ref.n);
        for (size_t i = 0; i < t.n; i++) {
            FUZZ_CHECK(t.ev[i].t_s == ref.ev[i].t_s && t.ev[i].function == ref.ev[i].function,
                       "event %zu: %.17g s, function %d; without the files %.17g s, function %d",
                       i, t.ev[i].t_s, t.ev[i].function, ref.ev[i].t_s, ref.ev[i].function);
            FUZZ_CHECK(o.durations != NULL || isnan(t.ev[i].duration_ms),
                       "event %zu: a duration %g without a durations file", i,
                       t.ev[i].duration_ms);
            FUZZ_CHECK(o.memory != NULL || isnan(t.ev[i].memory_mb),
                       "event %zu: memory %g without a memory file", i, t.ev[i].memory_mb);
        }
        memset(&eb, 0, sizeof(eb));
        rc = fb_trace_load(tfz.file, &o, &again, &eb);
        FUZZ_CHECK(rc == 0 && again.n == t.n, "a second load of the same files: %s", eb.msg);
        for (size_t i = 0; i < t.n; i++)
            FUZZ_CHECK(same_double(again.ev[i].duration_ms, t.ev[i].duration_ms) &&
                           same_double(again.ev[i].memory_mb, t.ev[i].memory_mb),
                       "event %zu: %g ms %g MB, then %g ms %g MB from the same files", i,
                       t.ev[i].duration_ms, t.ev[i].memory_mb, again.ev[i].duration_ms,
                       again.ev[i].memory_mb);
        fuzz_trace_free(&again);
        fuzz_trace_free(&t);
    }
    fuzz_trace_free(&ref);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_trace_pctl(data, size);
}
#endif
