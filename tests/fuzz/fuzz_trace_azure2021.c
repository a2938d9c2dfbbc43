/* fuzz_trace_azure2021.c - fuzz target: fb_trace_load on an Azure Functions 2021 per-invocation trace. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_trace.h"

int fb_fuzz_trace_azure2021(const uint8_t *data, size_t size);

int fb_fuzz_trace_azure2021(const uint8_t *data, size_t size)
{
    /* The options follow from the input, so a replay takes the same path. */
    struct fb_trace_opts o = {
        .format = FB_TRACE_AZURE2021,
        .n_functions = 1 + (int)(size % FUZZ_TRACE_NFN),
        .time_scale = size % 5 == 0 ? 0.5 : 1.0,
        .max_minutes = size % 3 == 0 ? 2 : 0,
    };
    return fuzz_trace_run(data, size, &o);
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_trace_azure2021(data, size);
}
#endif
