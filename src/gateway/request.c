/* request.c - routes, request bodies parsed with cJSON and checked field by field, JSON replies. */
#include "gateway/request.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/template.h"

static const char invoke_prefix[] = "/functions/invoke/";

enum fb_gw_route fb_gw_route_match(const char *path, const char **arg)
{
    size_t plen = sizeof(invoke_prefix) - 1;

    *arg = NULL;
    if (path == NULL || strstr(path, "%00") != NULL)
        return FB_GW_ROUTE_NONE;
    if (strcmp(path, "/nodes/register") == 0)
        return FB_GW_ROUTE_NODE_REGISTER;
    if (strcmp(path, "/functions/register") == 0)
        return FB_GW_ROUTE_FUNCTION_REGISTER;
    /* {name} is one path segment, as in the older gateway's router. */
    if (strncmp(path, invoke_prefix, plen) == 0 && path[plen] != '\0' &&
        strchr(path + plen, '/') == NULL) {
        *arg = path + plen;
        return FB_GW_ROUTE_INVOKE;
    }
    return FB_GW_ROUTE_NONE;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t fb_gw_unescape(char *s)
{
    size_t r = 0, w = 0;

    while (s[r] != '\0') {
        int hi = s[r] == '%' ? hex_digit(s[r + 1]) : -1;
        int lo = hi >= 0 ? hex_digit(s[r + 2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            s[w++] = (char)(hi * 16 + lo);
            r += 3;
        } else {
            s[w++] = s[r++];
        }
    }
    s[w] = '\0';
    return w;
}

bool fb_gw_host_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL || s[0] == '-')
        return false;
    for (; s[n] != '\0'; n++)
        if (!isalnum((unsigned char)s[n]) && strchr(".:_-", s[n]) == NULL)
            return false;
    return n >= 1 && n <= FB_GW_HOST_MAX;
}

bool fb_gw_user_valid(const char *s)
{
    return s != NULL && s[0] != '-' && fb_name_valid(s);
}

/* ---- parsing ---- */

/* A JSON string can carry U+0000, which would silently cut the C string
 * cJSON returns; such bodies are refused rather than truncated. */
static bool has_nul_escape(const char *body, size_t len)
{
    if (memchr(body, '\0', len) != NULL)
        return true;
    for (size_t i = 0; i + 6 <= len; i++)
        if (body[i] == '\\' && (body[i + 1] == 'u' || body[i + 1] == 'U') &&
            memcmp(body + i + 2, "0000", 4) == 0)
            return true;
    return false;
}

/* Parses body into a JSON object in *out (caller deletes). */
static int parse_object(const char *body, size_t len, cJSON **out, struct fb_errbuf *eb)
{
    const char *end = NULL;
    cJSON *root;

    *out = NULL;
    if (body == NULL || len == 0)
        return fb_errf(eb, FB_EINVAL, "request body is empty: a JSON object is expected");
    if (has_nul_escape(body, len))
        return fb_errf(eb, FB_EINVAL, "request body holds a NUL character");
    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL) {
        size_t at = end != NULL && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return fb_errf(eb, FB_EINVAL, "malformed JSON near byte %zu", at);
    }
    /* Only white space may follow the value. */
    for (const char *p = end; p != NULL && p < body + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(root);
            return fb_errf(eb, FB_EINVAL, "malformed JSON: data after the value at byte %zu",
                           (size_t)(p - body));
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fb_errf(eb, FB_EINVAL, "request body must be a JSON object");
    }
    *out = root;
    return 0;
}

/* Copies the string member key of obj into *out. Absent or null: *out
 * stays NULL, and that is an error when required. */
static int get_string(const cJSON *obj, const char *key, bool required, size_t max,
                      char **out, struct fb_errbuf *eb)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (it == NULL || cJSON_IsNull(it)) {
        if (required)
            return fb_errf(eb, FB_EINVAL, "field '%s' is required", key);
        return 0;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return fb_errf(eb, FB_EINVAL, "field '%s' must be a string", key);
    if (strlen(it->valuestring) > max)
        return fb_errf(eb, FB_EINVAL, "field '%s' is longer than %zu bytes", key, max);
    if ((*out = strdup(it->valuestring)) == NULL)
        return fb_errf(eb, FB_ENOMEM, "out of memory");
    return 0;
}

int fb_gw_parse_node(const char *body, size_t len, struct fb_gw_node_req *out,
                     struct fb_errbuf *eb)
{
    cJSON *root = NULL;
    const cJSON *port;
    int rc;

    memset(out, 0, sizeof(*out));
    out->port = 22;
    if ((rc = parse_object(body, len, &root, eb)) < 0)
        goto out;
    if ((rc = get_string(root, "name", true, 64, &out->name, eb)) < 0 ||
        (rc = get_string(root, "host", true, FB_GW_HOST_MAX, &out->host, eb)) < 0 ||
        (rc = get_string(root, "username", true, 64, &out->username, eb)) < 0 ||
        (rc = get_string(root, "password", false, FB_GW_PASSWORD_MAX, &out->password, eb)) < 0)
        goto out;
    port = cJSON_GetObjectItemCaseSensitive(root, "port");
    if (port != NULL && !cJSON_IsNull(port)) {
        double v = port->valuedouble;
        if (!cJSON_IsNumber(port) || !isfinite(v) || v != floor(v)) {
            rc = fb_errf(eb, FB_EINVAL, "field 'port' must be an integer");
            goto out;
        }
        if (v < 1 || v > 65535) {
            rc = fb_errf(eb, FB_EINVAL, "field 'port' must be between 1 and 65535");
            goto out;
        }
        out->port = (int)v;
    }
    if (!fb_name_valid(out->name)) {
        rc = fb_errf(eb, FB_EINVAL, "field 'name': 1 to 64 of A-Z a-z 0-9 _ . - expected");
        goto out;
    }
    if (!fb_gw_host_valid(out->host)) {
        rc = fb_errf(eb, FB_EINVAL,
                     "field 'host': a host name or address expected (A-Z a-z 0-9 . : _ -)");
        goto out;
    }
    if (!fb_gw_user_valid(out->username)) {
        rc = fb_errf(eb, FB_EINVAL,
                     "field 'username': 1 to 64 of A-Z a-z 0-9 _ . - expected, not starting "
                     "with -");
        goto out;
    }
    if (out->password != NULL && out->password[0] == '\0') {
        free(out->password);
        out->password = NULL;
    }
out:
    cJSON_Delete(root);
    if (rc < 0)
        fb_gw_node_req_free(out);
    return rc;
}

int fb_gw_parse_function(const char *body, size_t len, struct fb_gw_function_req *out,
                         struct fb_errbuf *eb)
{
    cJSON *root = NULL;
    const cJSON *net;
    char *quoted = NULL;
    struct fb_errbuf qeb = {{0}};
    int rc;

    memset(out, 0, sizeof(*out));
    out->network = true;
    if ((rc = parse_object(body, len, &root, eb)) < 0)
        goto out;
    if ((rc = get_string(root, "name", true, 64, &out->name, eb)) < 0 ||
        (rc = get_string(root, "image", true, 255, &out->image, eb)) < 0 ||
        (rc = get_string(root, "command", true, FB_GW_COMMAND_MAX, &out->command, eb)) < 0)
        goto out;
    net = cJSON_GetObjectItemCaseSensitive(root, "network");
    if (net != NULL && !cJSON_IsNull(net)) {
        if (!cJSON_IsBool(net)) {
            rc = fb_errf(eb, FB_EINVAL, "field 'network' must be true or false");
            goto out;
        }
        out->network = cJSON_IsTrue(net);
    }
    if (!fb_name_valid(out->name)) {
        rc = fb_errf(eb, FB_EINVAL, "field 'name': 1 to 64 of A-Z a-z 0-9 _ . - expected");
        goto out;
    }
    if (!fb_image_valid(out->image)) {
        rc = fb_errf(eb, FB_EINVAL, "field 'image': not a valid image reference");
        goto out;
    }
    /* The command is stored as given; this only proves it splits into words. */
    rc = fb_command_quote(out->command, &quoted, &qeb);
    if (rc == FB_ENOMEM) {
        fb_errf(eb, rc, "out of memory");
        goto out;
    }
    if (rc < 0) {
        rc = fb_errf(eb, FB_EINVAL, "field 'command': %s", qeb.msg);
        goto out;
    }
out:
    free(quoted);
    cJSON_Delete(root);
    if (rc < 0)
        fb_gw_function_req_free(out);
    return rc;
}

void fb_gw_node_req_free(struct fb_gw_node_req *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->host);
    free(r->username);
    free(r->password);
    memset(r, 0, sizeof(*r));
}

void fb_gw_function_req_free(struct fb_gw_function_req *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->image);
    free(r->command);
    memset(r, 0, sizeof(*r));
}

/* ---- replies ---- */

static char *print_and_delete(cJSON *obj)
{
    char *s = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return s;
}

char *fb_gw_json_detail(const char *detail)
{
    cJSON *o = cJSON_CreateObject();
    if (o != NULL && cJSON_AddStringToObject(o, "detail", detail) == NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}
