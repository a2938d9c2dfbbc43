/* fuzz_trace_csv.c - fuzz target: fb_trace_load on a plain CSV trace (time_s,function, optionally duration_ms and memory_mb). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_trace.h"

int fb_fuzz_trace_csv(const uint8_t *data, size_t size);

int fb_fuzz_trace_csv(const uint8_t *data, size_t size)
{
    /* The options follow from the input, so a replay takes the same path. */
    struct fb_trace_opts o = {
        .format = FB_TRACE_CSV,
        .n_functions = 1 + (int)(size % FUZZ_TRACE_NFN),
        .spread = FB_SPREAD_UNIFORM,
        .time_scale = size % 3 == 0 ? 0.25 : 1.0,
        .seed = 1,
    };
    return fuzz_trace_run(data, size, &o);
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_trace_csv(data, size);
}
#endif
