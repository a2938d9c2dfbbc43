/* fuzz_node_request.c - fuzz target: the node helper's request lines (nodeproto.h), read as `faasbench-node serve` reads its stdin. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_nodeproto.h"

static bool node_request_line(const char *line, size_t n, struct fuzz_np_line *out)
{
    struct fb_nodeproto_request q = {0};

    if (fb_nodeproto_request_parse(line, n, &q) != FB_NODEPROTO_OK)
        return false;
    FUZZ_CHECK(q.timeout_ms <= FB_NODEPROTO_TIMEOUT_MAX && q.len >= 1 &&
                   q.len <= FB_NODEPROTO_COMMAND_MAX,
               "request timeout %u, length %zu", (unsigned)q.timeout_ms, q.len);
    out->payload = q.len;
    out->again_len = fb_nodeproto_request_format(out->again, sizeof(out->again), &q);
    FUZZ_CHECK(out->again_len > 0, "an accepted request does not format");
    return true;
}

int fb_fuzz_node_request(const uint8_t *data, size_t size);

int fb_fuzz_node_request(const uint8_t *data, size_t size)
{
    fuzz_np_walk(data, size, node_request_line);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_node_request(data, size);
}
#endif
