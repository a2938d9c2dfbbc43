/* request.h - the gateway's routes, request bodies checked field by field, JSON replies. */
#ifndef FB_GW_REQUEST_H
#define FB_GW_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Largest request body accepted; a larger one is answered 413. */
#define FB_GW_BODY_MAX (64 * 1024)

/* Longest strings accepted in a body (names and images have their own
 * limits: fb_name_valid, fb_image_valid). */
#define FB_GW_HOST_MAX 253
#define FB_GW_PASSWORD_MAX 1024
#define FB_GW_COMMAND_MAX 8192

enum fb_gw_route {
    FB_GW_ROUTE_NONE,              /* no such path: 404 */
    FB_GW_ROUTE_NODE_REGISTER,     /* /nodes/register */
    FB_GW_ROUTE_FUNCTION_REGISTER, /* /functions/register */
    FB_GW_ROUTE_INVOKE             /* /functions/invoke/{name} */
};

/* Matches a request path (no query string), as fb_gw_unescape decoded it.
 * For FB_GW_ROUTE_INVOKE, *arg points into path at the function's name,
 * which is non-empty and holds no '/' (it is not yet checked otherwise);
 * else *arg is NULL. A path holding "%00" (an encoded NUL, which
 * fb_gw_unescape leaves encoded) names nothing: FB_GW_ROUTE_NONE. */
enum fb_gw_route fb_gw_route_match(const char *path, const char **arg);

/* Decodes the %HH escapes of a request target in place, except %00: a NUL
 * would cut the C string, so "/functions/invoke/name%00x" would invoke
 * "name"; it stays as the three characters. Other malformed escapes stay
 * as they are. Returns the new length. */
size_t fb_gw_unescape(char *s);

/* POST /nodes/register. Strings are owned; fb_gw_node_req_free() frees. */
struct fb_gw_node_req {
    char *name;     /* fb_name_valid */
    char *host;     /* host name or address: [A-Za-z0-9.:_-]{1,253}, not starting with '-' */
    int port;       /* 1..65535, default 22 */
    char *username; /* [A-Za-z0-9_.-]{1,64}, not starting with '-' */
    char *password; /* NULL when absent, null or "": key auth with the gateway's identity */
};

/* POST /functions/register. Strings are owned; fb_gw_function_req_free() frees. */
struct fb_gw_function_req {
    char *name;    /* fb_name_valid */
    char *image;   /* fb_image_valid */
    char *command; /* non-empty, balanced quotes (fb_command_quote), <= FB_GW_COMMAND_MAX */
    bool network;  /* optional "network": false runs with --network none; default true */
};

/* Parse and check a body of len bytes (it need not be NUL-terminated).
 * Returns 0 with *out filled, FB_EINVAL with a message for the client in eb
 * (malformed JSON, not an object, a missing field, a wrong type, a value
 * outside its set; *out then holds nothing), or FB_ENOMEM. */
int fb_gw_parse_node(const char *body, size_t len, struct fb_gw_node_req *out,
                     struct fb_errbuf *eb);
int fb_gw_parse_function(const char *body, size_t len, struct fb_gw_function_req *out,
                         struct fb_errbuf *eb);
void fb_gw_node_req_free(struct fb_gw_node_req *r);
void fb_gw_function_req_free(struct fb_gw_function_req *r);

/* Host and user checks used by fb_gw_parse_node. */
bool fb_gw_host_valid(const char *s);
bool fb_gw_user_valid(const char *s);

/* A newly allocated JSON reply (caller frees), or NULL when out of memory:
 * {"detail": detail}. */
char *fb_gw_json_detail(const char *detail);

#endif
