/* template.c - runtime step templates: presets, placeholders, safe values. */
#include "core/template.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A resident instance runs as the node user ($u: the owner of its folder,
 * which `faasbench-node folder` makes private to that user and prints), with
 * no capability and no way to gain privileges: what it leaves in its folder
 * on the node is the node user's, so clean-up removes it, and no file there
 * is set-user-ID root or a device. Both runtimes take these as they are
 * (rootful Podman and Docker Engine without user namespaces: the uid inside
 * is the uid on the node). Podman also mounts the folder nosuid,nodev;
 * Docker's -v takes no such option. Reset and remove_instance end with the
 * folder's removal, so a clean-up that fails says so. */
#define INSTANCE_ISOLATION "--user \"$u\" --cap-drop ALL --security-opt no-new-privileges"

/* The older testbed ran `sudo docker ...` on its nodes. Warm containers get
 * --init so removing them never waits out a stop timeout. "--" ends the
 * options before an image or container wherever the command takes it
 * (podman 4.3 and the docker CLI do, for every step here); docker's run
 * step stays the older testbed's command as it ran. No value can pass for
 * an option anyway: a reference or name never starts with '-'. */
/* Faults other than kill-instances go through the node's fault tool
 * (nodes/bin/faasbench-fault, installed by nodes/up and the Ansible role,
 * allowed to the node user by sudo), whatever the runtime: it arms the
 * fault's end on the node itself, so the node heals even if faasbench dies.
 * kill-instances kills the function containers, printing how many. */
#define FAULT_APPLY "sudo -n faasbench-fault apply {fault} {action} {seconds} {fraction}"
#define FAULT_REVERT "sudo -n faasbench-fault revert {fault}"

static const char *const docker_steps[FB_STEP_N] = {
    [FB_STEP_PULL] = "sudo docker pull -q -- {image}",
    [FB_STEP_RUN] = "sudo docker run --rm --name {container} {network} {image} {command}",
    [FB_STEP_START] = "sudo docker run -d --init --name {container} {network} -- {image} "
                      "sleep infinity",
    [FB_STEP_EXEC] = "sudo docker exec -- {container} {command}",
    [FB_STEP_REMOVE_IMAGE] = "sudo docker rmi -f -- {image}",
    [FB_STEP_REMOVE_CONTAINER] = "sudo docker rm -f -- {container}",
    [FB_STEP_RESET] = "sudo docker ps -aq --filter name=faasbench- | xargs -r sudo docker rm -f --"
                      " >/dev/null; sudo docker rmi -f -- {images} >/dev/null 2>&1; "
                      "rm -rf {instances}",
    [FB_STEP_START_INSTANCE] =
        "u=$(faasbench-node folder {instance_dir}) && sudo docker run -d --init "
        "--name {container} {network} {memory} " INSTANCE_ISOLATION
        " -v {instance_dir}:/run/faasbench "
        "-v \"$(command -v faasbench-node)\":/run/faasbench-node:ro -- {image} {entry}",
    [FB_STEP_REMOVE_INSTANCE] = "sudo docker rm -f -- {container} >/dev/null 2>&1; "
                                "rm -rf {instance_dir}",
    [FB_STEP_KILL] = "sudo docker ps -q --filter name=faasbench- | "
                     "xargs -r sudo docker kill -- 2>/dev/null | wc -l",
    [FB_STEP_FAULT] = FAULT_APPLY,
    [FB_STEP_UNFAULT] = FAULT_REVERT,
};

static const char *const podman_steps[FB_STEP_N] = {
    [FB_STEP_PULL] = "podman pull -q -- {image}",
    [FB_STEP_RUN] = "podman run --rm --name {container} {network} -- {image} {command}",
    [FB_STEP_START] = "podman run -d --init --name {container} {network} -- {image} "
                      "sleep infinity",
    [FB_STEP_EXEC] = "podman exec -- {container} {command}",
    [FB_STEP_REMOVE_IMAGE] = "podman rmi -f -- {image}",
    [FB_STEP_REMOVE_CONTAINER] = "podman rm -f -t 0 -- {container}",
    [FB_STEP_RESET] = "podman ps -aq --filter name=faasbench- | xargs -r podman rm -f -t 0 --"
                      " >/dev/null; podman rmi -f -- {images} >/dev/null 2>&1; "
                      "rm -rf {instances}",
    [FB_STEP_START_INSTANCE] =
        "u=$(faasbench-node folder {instance_dir}) && podman run -d --init "
        "--name {container} {network} {memory} " INSTANCE_ISOLATION
        " -v {instance_dir}:/run/faasbench:nosuid,nodev "
        "-v \"$(command -v faasbench-node)\":/run/faasbench-node:ro -- {image} {entry}",
    [FB_STEP_REMOVE_INSTANCE] = "podman rm -f -t 0 -- {container} >/dev/null 2>&1; "
                                "rm -rf {instance_dir}",
    [FB_STEP_KILL] = "podman ps -q --filter name=faasbench- | "
                     "xargs -r podman kill -- 2>/dev/null | wc -l",
    [FB_STEP_FAULT] = FAULT_APPLY,
    [FB_STEP_UNFAULT] = FAULT_REVERT,
};

static const struct {
    const char *name;
    const char *const *steps;
} presets[] = {
    {"docker", docker_steps},
    {"podman", podman_steps},
};

const char *fb_runtime_preset(const char *preset, enum fb_step s)
{
    if (preset == NULL || s < 0 || s >= FB_STEP_N)
        return NULL;
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
        if (strcmp(presets[i].name, preset) == 0)
            return presets[i].steps[s];
    return NULL;
}

const char *fb_runtime_preset_name(int i)
{
    return i >= 0 && i < (int)(sizeof(presets) / sizeof(presets[0])) ? presets[i].name : NULL;
}

bool fb_runtime_preset_known(const char *preset)
{
    return fb_runtime_preset(preset, FB_STEP_RUN) != NULL;
}

/* [A-Za-z0-9_.-]{1,max} */
static bool word_valid(const char *s, size_t max)
{
    size_t n = 0;
    if (s == NULL)
        return false;
    for (; s[n] != '\0'; n++)
        if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '.' && s[n] != '-')
            return false;
    return n >= 1 && n <= max;
}

bool fb_name_valid(const char *s)
{
    return word_valid(s, 64);
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    while (i < n) {
        if (is_lower_alnum(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        if (s[i] == '.') {
            j++;
        } else if (s[i] == '_') {
            j += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        } else if (s[i] == '-') {
            while (j < n && s[j] == '-')
                j++;
        } else {
            return false;
        }
        if (j >= n || !is_lower_alnum(s[j]))
            return false;
        i = j;
    }
    return true;
}

/* domain: host components joined by '.', each [A-Za-z0-9] or
 * [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] (so none starts with '-'), optional
 * :port. */
static bool domain_valid(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host_len = colon != NULL ? (size_t)(colon - s) : n;
    if (host_len == 0)
        return false;
    for (size_t i = 0; i < host_len; i++) {
        char c = s[i];
        bool starts = i == 0 || s[i - 1] == '.', ends = i + 1 == host_len || s[i + 1] == '.';
        if (c == '.' ? starts || ends : !isalnum((unsigned char)c) && c != '-')
            return false;
        if (c == '-' && (starts || ends))
            return false;
    }
    if (colon != NULL) {
        size_t plen = n - host_len - 1;
        if (plen == 0 || plen > 5)
            return false;
        for (size_t i = host_len + 1; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    return true;
}

/* The OCI/distribution reference grammar:
 *   [domain '/'] path-component ('/' path-component)* [':' tag] ['@' digest]
 * No part of an accepted reference starts with '-': the first character of
 * each (domain component, path component, tag, digest) is a letter or digit
 * ('_' too for a tag), so a reference is never read as a runtime's option. */
bool fb_image_valid(const char *s)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    if (len == 0 || len > 255)
        return false;

    const char *at = strchr(s, '@');
    size_t name_end = at != NULL ? (size_t)(at - s) : len;
    if (at != NULL) {
        /* digest: algorithm ':' hex (>= 32); the algorithm is lower-case
         * components joined by one of [+._-], its first one starting with
         * a letter */
        const char *d = at + 1, *c = strchr(d, ':');
        if (c == NULL || c == d || *d < 'a' || *d > 'z' || !is_lower_alnum(c[-1]))
            return false;
        for (const char *p = d; p < c; p++)
            if (!is_lower_alnum(*p) &&
                ((*p != '+' && *p != '.' && *p != '_' && *p != '-') || !is_lower_alnum(p[1])))
                return false;
        size_t hex = strlen(c + 1);
        if (hex < 32)
            return false;
        for (const char *p = c + 1; *p != '\0'; p++)
            if (!isxdigit((unsigned char)*p))
                return false;
    }

    /* A tag is after the last ':' that follows the last '/'. */
    size_t last_slash = 0;
    bool has_slash = false;
    for (size_t i = 0; i < name_end; i++)
        if (s[i] == '/') {
            last_slash = i;
            has_slash = true;
        }
    size_t tag_start = 0;
    for (size_t i = has_slash ? last_slash : 0; i < name_end; i++)
        if (s[i] == ':')
            tag_start = i;
    size_t path_end = name_end;
    if (tag_start > 0 || (s[0] == ':')) {
        size_t tlen = name_end - tag_start - 1;
        if (tlen == 0 || tlen > 128)
            return false;
        const char *t = s + tag_start + 1;
        if (!isalnum((unsigned char)t[0]) && t[0] != '_')
            return false;
        for (size_t i = 1; i < tlen; i++)
            if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
                return false;
        path_end = tag_start;
    }

    /* Components; the first is a domain when it has '.', ':' or is localhost
     * and more components follow. */
    size_t start = 0;
    bool first = true;
    while (start <= path_end) {
        const char *slash = memchr(s + start, '/', path_end - start);
        size_t end = slash != NULL ? (size_t)(slash - s) : path_end;
        size_t n = end - start;
        const char *comp = s + start;
        bool is_domain = first && slash != NULL &&
                         (memchr(comp, '.', n) != NULL || memchr(comp, ':', n) != NULL ||
                          (n == 9 && memcmp(comp, "localhost", 9) == 0));
        if (is_domain ? !domain_valid(comp, n) : !path_component_valid(comp, n))
            return false;
        first = false;
        if (slash == NULL)
            break;
        start = end + 1;
    }
    return true;
}

/* ---- placeholders ---- */

enum var {
    V_IMAGE, V_CONTAINER, V_COMMAND, V_NODE, V_FUNCTION, V_NETWORK, V_IMAGES,
    V_INSTANCE_DIR, V_INSTANCES, V_MEMORY, V_ENTRY, V_FAULT, V_ACTION, V_SECONDS, V_FRACTION,
    V_N
};
static const char *const var_names[V_N] = {
    "image", "container", "command", "node", "function", "network", "images",
    "instance_dir", "instances", "memory", "entry", "fault", "action", "seconds", "fraction",
};

bool fb_node_path_valid(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    size_t skip = n >= 2 && s[0] == '~' && s[1] == '/' ? 2 : 1; /* "~/" or "/" */

    if (n <= skip || n > 1024 || (skip == 1 && s[0] != '/') || s[n - 1] == '/')
        return false;
    for (const char *c = s + skip; c < s + n;) {
        size_t len = strcspn(c, "/");
        if (len == 0 || c[0] == '-' || (len == 1 && c[0] == '.') ||
            (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)c[i]) && c[i] != '_' && c[i] != '.' && c[i] != '-')
                return false;
        c += len + 1;
    }
    return true;
}

/* A Python identifier of n bytes (ASCII only). */
static bool py_ident(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

bool fb_handler_valid(const char *s)
{
    const char *colon = s != NULL ? strchr(s, ':') : NULL;

    if (colon == NULL || strlen(s) > 128 || !py_ident(colon + 1, strlen(colon + 1)))
        return false;
    for (const char *p = s;;) {
        const char *dot = memchr(p, '.', (size_t)(colon - p));
        const char *end = dot != NULL ? dot : colon;
        if (!py_ident(p, (size_t)(end - p)))
            return false;
        if (dot == NULL)
            return true;
        p = dot + 1;
    }
}

/* A placeholder is '{' [a-z_]+ '}'; anything else is literal text. Returns
 * the name's length (0: not a placeholder). */
static size_t placeholder_len(const char *p)
{
    size_t n = 0;
    if (*p != '{')
        return 0;
    while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_')
        n++;
    return n > 0 && p[1 + n] == '}' ? n : 0;
}

static int var_lookup(const char *name, size_t n)
{
    for (int i = 0; i < V_N; i++)
        if (strlen(var_names[i]) == n && memcmp(var_names[i], name, n) == 0)
            return i;
    return -1;
}

int fb_template_check(const char *tmpl, struct fb_errbuf *eb)
{
    if (tmpl == NULL || tmpl[0] == '\0')
        return fb_errf(eb, FB_EINVAL, "empty template");
    for (const char *p = tmpl; *p != '\0'; p++) {
        size_t n = placeholder_len(p);
        if (n == 0)
            continue;
        if (var_lookup(p + 1, n) < 0)
            return fb_errf(eb, FB_EINVAL,
                           "unknown placeholder {%.*s} (known: {image} {container} {command} "
                           "{node} {function} {network} {images} {instance_dir} {instances} "
                           "{memory} {entry} {fault} {action} {seconds} {fraction})",
                           (int)n, p + 1);
        p += n + 1;
    }
    return 0;
}

/* Growable string. */
struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_quoted(struct sbuf *b, const char *s, size_t n)
{
    sb_add(b, "'", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            sb_add(b, "'\\''", 4);
        else
            sb_add(b, s + i, 1);
    }
    sb_add(b, "'", 1);
}

char *fb_shell_quote(const char *s)
{
    struct sbuf b = {0};
    sb_quoted(&b, s, strlen(s));
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* Splits command into its words (shell-like quoting) into b: each quoted
 * for /bin/sh and separated by spaces, or (nul) each ended by a NUL. */
static int command_split(const char *command, struct sbuf *bp, bool nul, struct fb_errbuf *eb)
{
    struct sbuf b = {0}, word = {0};
    int words = 0, rc = 0;
    const char *p = command;

    if (command == NULL)
        return fb_errf(eb, FB_EINVAL, "no command");
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        word.len = 0;
        sb_add(&word, "", 0);
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (e == NULL) {
                    rc = fb_errf(eb, FB_EINVAL, "unterminated ' in command");
                    goto out;
                }
                sb_add(&word, p + 1, (size_t)(e - p - 1));
                p = e + 1;
            } else if (*p == '"') {
                p++;
                while (*p != '"') {
                    if (*p == '\0') {
                        rc = fb_errf(eb, FB_EINVAL, "unterminated \" in command");
                        goto out;
                    }
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' ||
                                       p[1] == '`'))
                        p++;
                    sb_add(&word, p++, 1);
                }
                p++;
            } else if (*p == '\\') {
                if (p[1] == '\0') {
                    rc = fb_errf(eb, FB_EINVAL, "command ends with a lone backslash");
                    goto out;
                }
                sb_add(&word, p + 1, 1);
                p += 2;
            } else {
                sb_add(&word, p++, 1);
            }
        }
        if (nul) {
            sb_add(&b, word.s, word.len);
            sb_add(&b, "", 1);
            words++;
            continue;
        }
        if (words++ > 0)
            sb_add(&b, " ", 1);
        sb_quoted(&b, word.s, word.len);
    }
    if (words == 0) {
        rc = fb_errf(eb, FB_EINVAL, "empty command");
        goto out;
    }
    if (b.oom || word.oom) {
        rc = FB_ENOMEM;
        goto out;
    }
    *bp = b;
    b.s = NULL;
out:
    free(b.s);
    free(word.s);
    return rc;
}

int fb_command_quote(const char *command, char **out, struct fb_errbuf *eb)
{
    struct sbuf b = {0};
    int rc = command_split(command, &b, false, eb);

    *out = rc == 0 ? b.s : NULL;
    return rc;
}

int fb_command_words(const char *command, char **out, size_t *len, struct fb_errbuf *eb)
{
    struct sbuf b = {0};
    int rc = command_split(command, &b, true, eb);

    *out = rc == 0 ? b.s : NULL;
    *len = rc == 0 ? b.len : 0;
    return rc;
}

static bool network_valid(const char *s)
{
    for (; *s != '\0'; s++)
        if (!isalnum((unsigned char)*s) && *s != ' ' && *s != '-' && *s != '=' && *s != '_')
            return false;
    return true;
}

/* A plain decimal: digits, at most one point between digits. */
static bool decimal_valid(const char *s)
{
    bool point = false, digit = false;

    for (; *s != '\0'; s++) {
        if (isdigit((unsigned char)*s)) {
            digit = true;
        } else if (*s == '.' && digit && !point && isdigit((unsigned char)s[1])) {
            point = true;
        } else {
            return false;
        }
    }
    return digit;
}

static bool images_valid(const char *s)
{
    char buf[256];
    const char *p = s;
    int count = 0;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, " ");
        if (n >= sizeof(buf))
            return false;
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (!fb_image_valid(buf))
            return false;
        count++;
        p += n;
    }
    return count > 0;
}

/* The resident runtime a container runs as its main process: the Python
 * runtime of the image (in its working folder) for a handler, else the
 * node helper mounted at /run/faasbench-node serving the command. Both
 * listen in the instance folder, mounted at /run/faasbench. */
static int entry_expand(const struct fb_tvars *v, struct sbuf *b, struct fb_errbuf *eb)
{
    char *quoted = NULL;
    int rc;

    if (v->handler != NULL) {
        if (!fb_handler_valid(v->handler))
            return fb_errf(eb, FB_EUNSAFE, "{entry}: handler '%.100s' is not MODULE:FUNCTION",
                           v->handler);
        sb_adds(b, "python3 runtime.py /run/faasbench ");
        sb_adds(b, v->handler);
        return 0;
    }
    if (v->command == NULL)
        return fb_errf(eb, FB_EINVAL, "{entry} has no handler or command in this step");
    if ((rc = fb_command_quote(v->command, &quoted, eb)) < 0)
        return rc;
    sb_adds(b, "/run/faasbench-node runtime /run/faasbench -- ");
    sb_adds(b, quoted);
    free(quoted);
    return 0;
}

int fb_template_expand(const char *tmpl, const struct fb_tvars *v, char **out,
                       struct fb_errbuf *eb)
{
    struct sbuf b = {0};
    char *quoted = NULL;
    int rc = 0;

    *out = NULL;
    if (tmpl == NULL)
        return fb_errf(eb, FB_EINVAL, "no template");
    for (const char *p = tmpl; *p != '\0';) {
        size_t n = placeholder_len(p);
        if (n == 0) {
            sb_add(&b, p++, 1);
            continue;
        }
        int var = var_lookup(p + 1, n);
        const char *val = NULL;
        bool ok = true;
        switch (var) {
        case V_IMAGE:
            val = v->image;
            ok = val == NULL || fb_image_valid(val);
            break;
        case V_CONTAINER:
            /* Container names hold a function name and a run token. */
            val = v->container;
            ok = val == NULL || word_valid(val, 128);
            break;
        case V_NODE:
            val = v->node;
            ok = val == NULL || fb_name_valid(val);
            break;
        case V_FUNCTION:
            val = v->function;
            ok = val == NULL || fb_name_valid(val);
            break;
        case V_NETWORK:
            val = v->network;
            ok = val == NULL || network_valid(val);
            break;
        case V_IMAGES:
            val = v->images;
            ok = val == NULL || images_valid(val);
            break;
        case V_COMMAND:
            val = v->command;
            break;
        case V_INSTANCE_DIR:
        case V_INSTANCES:
            val = var == V_INSTANCE_DIR ? v->instance_dir : v->instances;
            ok = val == NULL || fb_node_path_valid(val);
            if (ok && val != NULL && val[0] == '~') {
                /* The node user's home, as the node's shell knows it; the
                 * rest is plain word characters. */
                sb_adds(&b, "\"$HOME\"");
                sb_adds(&b, val + 1);
                p += n + 2;
                continue;
            }
            break;
        case V_MEMORY:
            val = v->memory;
            ok = val == NULL || network_valid(val);
            break;
        case V_FAULT:
        case V_ACTION:
            val = var == V_FAULT ? v->fault : v->action;
            ok = val == NULL || fb_name_valid(val);
            break;
        case V_SECONDS:
        case V_FRACTION:
            val = var == V_SECONDS ? v->seconds : v->fraction;
            ok = val == NULL || decimal_valid(val);
            break;
        case V_ENTRY:
            if ((rc = entry_expand(v, &b, eb)) < 0)
                goto out;
            p += n + 2;
            continue;
        default:
            rc = fb_errf(eb, FB_EINVAL, "unknown placeholder {%.*s}", (int)n, p + 1);
            goto out;
        }
        if (val == NULL) {
            rc = fb_errf(eb, FB_EINVAL, "{%s} has no value in this step", var_names[var]);
            goto out;
        }
        if (!ok) {
            rc = fb_errf(eb, FB_EUNSAFE, "{%s}: '%.100s' is outside the safe character set",
                         var_names[var], val);
            goto out;
        }
        if (var == V_COMMAND) {
            rc = fb_command_quote(val, &quoted, eb);
            if (rc < 0)
                goto out;
            sb_adds(&b, quoted);
            free(quoted);
            quoted = NULL;
        } else {
            sb_adds(&b, val);
        }
        p += n + 2;
    }
    if (b.oom) {
        rc = FB_ENOMEM;
        goto out;
    }
    *out = b.s != NULL ? b.s : strdup("");
    b.s = NULL;
    if (*out == NULL)
        rc = FB_ENOMEM;
out:
    free(b.s);
    free(quoted);
    return rc;
}

/* ---- work placeholders ---- */

static const char *const work_names[] = {"{duration_ms}", "{memory_mb}"};

bool fb_work_used(const char *text)
{
    return text != NULL &&
           (strstr(text, work_names[0]) != NULL || strstr(text, work_names[1]) != NULL);
}

/* The values the placeholders stand for: a duration that is not a positive
 * number is 0; memory in whole MB, rounded up. */
static double work_ms(const struct fb_work *w)
{
    return isfinite(w->duration_ms) && w->duration_ms > 0 ? w->duration_ms : 0;
}

static double work_mb(const struct fb_work *w)
{
    return isfinite(w->memory_mb) && w->memory_mb > 0 ? ceil(w->memory_mb - 1e-9) : 0;
}

struct fb_work_use fb_work_use_of(const char *command, const char *args)
{
    struct fb_work_use u = {false, false};

    for (int i = 0; i < 2; i++) {
        const char *text = i == 0 ? command : args;

        u.duration = u.duration || (text != NULL && strstr(text, work_names[0]) != NULL);
        u.memory = u.memory || (text != NULL && strstr(text, work_names[1]) != NULL);
    }
    return u;
}

void fb_work_asked_by(struct fb_work_use u, const struct fb_work *defaults,
                      const struct fb_work *w, double *duration_ms, double *memory_mb)
{
    struct fb_work v = *defaults;

    if (w != NULL && isfinite(w->duration_ms))
        v.duration_ms = w->duration_ms;
    if (w != NULL && isfinite(w->memory_mb))
        v.memory_mb = w->memory_mb;
    *duration_ms = u.duration ? work_ms(&v) : NAN;
    *memory_mb = u.memory ? work_mb(&v) : NAN;
}

void fb_work_asked(const char *command, const char *args, const struct fb_work *defaults,
                   const struct fb_work *w, double *duration_ms, double *memory_mb)
{
    fb_work_asked_by(fb_work_use_of(command, args), defaults, w, duration_ms, memory_mb);
}

int fb_work_expand(const char *text, const struct fb_work *w, char **out)
{
    char val[2][48];
    size_t len = 0, n = strlen(text);
    double ms = work_ms(w), mb = work_mb(w);
    char *s;

    snprintf(val[0], sizeof(val[0]), "%.3f", ms);
    /* "250.000" -> "250", "12.500" -> "12.5" */
    for (size_t k = strlen(val[0]); val[0][k - 1] == '0' || val[0][k - 1] == '.'; k--) {
        bool point = val[0][k - 1] == '.';
        val[0][k - 1] = '\0';
        if (point)
            break;
    }
    snprintf(val[1], sizeof(val[1]), "%.0f", mb);
    /* A value is shorter than 48 bytes: room for one at every '{'. */
    size_t cap = n + 1;
    for (const char *p = text; *p != '\0'; p++)
        if (*p == '{')
            cap += sizeof(val[0]);
    if ((s = malloc(cap)) == NULL)
        return FB_ENOMEM;
    for (size_t i = 0; i < n;) {
        int hit = -1;
        for (int j = 0; j < 2 && hit < 0; j++)
            if (strncmp(text + i, work_names[j], strlen(work_names[j])) == 0)
                hit = j;
        if (hit < 0) {
            s[len++] = text[i++];
            continue;
        }
        memcpy(s + len, val[hit], strlen(val[hit]));
        len += strlen(val[hit]);
        i += strlen(work_names[hit]);
    }
    s[len] = '\0';
    *out = s;
    return 0;
}
