/* fuzz_node_reply.c - fuzz target: the node helper's reply lines (nodeproto.h), read as the ssh transport reads the server's stdout. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_nodeproto.h"

static bool node_reply_line(const char *line, size_t n, struct fuzz_np_line *out)
{
    struct fb_nodeproto_reply r = {0};

    if (fb_nodeproto_reply_parse(line, n, &r) != FB_NODEPROTO_OK)
        return false;
    FUZZ_CHECK(r.status >= 0 && r.status <= (int)FB_NODEPROTO_STATUS_MAX &&
                   r.out_len <= FB_NODEPROTO_CAPTURE && r.err_len <= FB_NODEPROTO_CAPTURE,
               "reply status %d, out %zu, err %zu", r.status, r.out_len, r.err_len);
    out->payload = r.out_len + r.err_len;
    out->again_len = fb_nodeproto_reply_format(out->again, sizeof(out->again), &r);
    FUZZ_CHECK(out->again_len > 0, "an accepted reply does not format");
    return true;
}

int fb_fuzz_node_reply(const uint8_t *data, size_t size);

int fb_fuzz_node_reply(const uint8_t *data, size_t size)
{
    fuzz_np_walk(data, size, node_reply_line);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_node_reply(data, size);
}
#endif
