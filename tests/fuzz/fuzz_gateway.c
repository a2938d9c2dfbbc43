/* fuzz_gateway.c - fuzz target: the REST shim's request parsing (fb_gw_parse_node, fb_gw_parse_function, fb_gw_route_match). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fuzz.h"
#include "gateway/request.h"
#include "core/template.h"

static void check_node(const uint8_t *body, size_t len)
{
    struct fb_gw_node_req q;
    struct fb_errbuf eb = {{0}};
    int rc = fb_gw_parse_node((const char *)body, len, &q, &eb);

    if (rc < 0) {
        FUZZ_CHECK(rc == FB_EINVAL || rc == FB_ENOMEM, "node: returned %s", fb_err_name(rc));
        FUZZ_CHECK(eb.msg[0] != '\0', "node: failed without a message");
        FUZZ_CHECK(q.name == NULL && q.host == NULL && q.username == NULL && q.password == NULL,
                   "node: a failed parse kept fields");
        return;
    }
    FUZZ_CHECK(fb_name_valid(q.name), "node name '%s'", q.name);
    FUZZ_CHECK(fb_gw_host_valid(q.host) && q.host[0] != '-', "node host '%s'", q.host);
    FUZZ_CHECK(fb_gw_user_valid(q.username) && q.username[0] != '-', "node user '%s'",
               q.username);
    FUZZ_CHECK(q.port >= 1 && q.port <= 65535, "node port %d", q.port);
    FUZZ_CHECK(q.password == NULL ||
                   (q.password[0] != '\0' && strlen(q.password) <= FB_GW_PASSWORD_MAX),
               "node password");
    fb_gw_node_req_free(&q);
}

static void check_function(const uint8_t *body, size_t len)
{
    struct fb_gw_function_req q;
    struct fb_errbuf eb = {{0}};
    char *quoted = NULL;
    int rc = fb_gw_parse_function((const char *)body, len, &q, &eb);

    if (rc < 0) {
        FUZZ_CHECK(rc == FB_EINVAL || rc == FB_ENOMEM, "function: returned %s",
                   fb_err_name(rc));
        FUZZ_CHECK(eb.msg[0] != '\0', "function: failed without a message");
        FUZZ_CHECK(q.name == NULL && q.image == NULL && q.command == NULL,
                   "function: a failed parse kept fields");
        return;
    }
    FUZZ_CHECK(fb_name_valid(q.name), "function name '%s'", q.name);
    FUZZ_CHECK(fb_image_valid(q.image), "function image '%s'", q.image);
    FUZZ_CHECK(q.command != NULL && strlen(q.command) <= FB_GW_COMMAND_MAX &&
                   fb_command_quote(q.command, &quoted, NULL) == 0,
               "function command '%s'", q.command != NULL ? q.command : "(null)");
    free(quoted);
    fb_gw_function_req_free(&q);
}

static void check_route(const uint8_t *data, size_t size)
{
    static const char unset = 0;
    char *path = fuzz_cstring(data, size);
    const char *arg = &unset;
    enum fb_gw_route r = fb_gw_route_match(path, &arg);

    if (r == FB_GW_ROUTE_INVOKE) {
        FUZZ_CHECK(arg != NULL && arg > path && arg <= path + strlen(path), "invoke argument");
        FUZZ_CHECK(arg[0] != '\0' && strchr(arg, '/') == NULL, "invoke argument '%s'", arg);
    } else {
        FUZZ_CHECK(arg == NULL, "route %d with an argument", (int)r);
        FUZZ_CHECK(r == FB_GW_ROUTE_NONE || r == FB_GW_ROUTE_NODE_REGISTER ||
                       r == FB_GW_ROUTE_FUNCTION_REGISTER,
                   "route %d", (int)r);
    }
    free(path);
}

int fb_fuzz_gateway(const uint8_t *data, size_t size);

/* The same bytes as either body, then as a path. The body is copied to a
 * buffer of exactly its length (not NUL-terminated, as the HTTP layer may
 * pass it) so a read past it is caught. */
int fb_fuzz_gateway(const uint8_t *data, size_t size)
{
    uint8_t *body = calloc(size > 0 ? size : 1, 1);

    if (body == NULL)
        abort();
    if (size > 0)
        memcpy(body, data, size);
    check_node(body, size);
    check_function(body, size);
    free(body);
    check_route(data, size);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_gateway(data, size);
}
#endif
