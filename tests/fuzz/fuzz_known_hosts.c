/* fuzz_known_hosts.c - fuzz target: fb_known_hosts_revoked on a known_hosts file and a host key. */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "fuzz.h"
#include "transport/transport_priv.h"

static struct {
    bool ready;
    char dir[PATH_MAX / 2], file[PATH_MAX];
} khz;

static void known_hosts_cleanup(void)
{
    unlink(khz.file);
    rmdir(khz.dir);
}

int fb_fuzz_known_hosts(const uint8_t *data, size_t size);

/* The first byte is the key's length k, the next k bytes the key (the
 * server's blob), the rest the file. */
int fb_fuzz_known_hosts(const uint8_t *data, size_t size)
{
    struct fb_errbuf eb = {{0}};
    size_t k = size > 0 ? data[0] : 0;
    const uint8_t *key;
    int rc;

    if (!khz.ready) {
        fuzz_mkdtemp("known_hosts", khz.dir, sizeof(khz.dir));
        snprintf(khz.file, sizeof(khz.file), "%s/known_hosts", khz.dir);
        atexit(known_hosts_cleanup);
        khz.ready = true;
    }
    if (k > (size > 0 ? size - 1 : 0))
        k = size > 0 ? size - 1 : 0;
    key = size > 0 ? data + 1 : data;
    fuzz_write_file(khz.file, key + k, size > 0 ? size - 1 - k : 0);
    rc = fb_known_hosts_revoked(khz.file, key, k, &eb);
    FUZZ_CHECK(rc == 0 || rc == 1, "returned %s (%s)", fb_err_name(rc), eb.msg);
    /* Revoked only by a line of that marker. */
    if (rc == 1) {
        char *text = fuzz_cstring(key + k, size - 1 - k);
        FUZZ_CHECK(strstr(text, "@revoked") != NULL, "revoked without a @revoked line");
        free(text);
    }
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_known_hosts(data, size);
}
#endif
