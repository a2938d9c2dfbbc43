/* fuzz_template.c - fuzz target: fb_command_quote, fb_shell_quote, fb_image_valid, fb_name_valid and fb_template_expand. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fuzz.h"
#include "core/template.h"

enum { T_TMPL, T_IMAGE, T_CONTAINER, T_COMMAND, T_NODE, T_FUNCTION, T_NETWORK, T_IMAGES, T_N };

/* c is a letter, a digit or one of extra. */
static bool word_char(unsigned char c, const char *extra)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr(extra, c) != NULL;
}

static bool all_in(const char *s, const char *extra)
{
    for (; *s != '\0'; s++)
        if (!word_char((unsigned char)*s, extra))
            return false;
    return true;
}

/* /bin/sh sees no syntax in s: outside single quotes only plain word
 * characters and blanks, a backslash only in '\'' (a quote inside a quoted
 * word), and every quote closed. */
static bool shell_inert(const char *s)
{
    bool quoted = false;

    for (; *s != '\0'; s++) {
        if (quoted) {
            quoted = *s != '\'';
            continue;
        }
        if (*s == '\'')
            quoted = true;
        else if (*s == '\\') {
            if (s[1] != '\'')
                return false;
            s++;
        } else if (!word_char((unsigned char)*s, " _.-/:@+="))
            return false;
    }
    return !quoted;
}

/* Quoting is a fixed point: the words of quoted text, quoted again, are
 * the same text. */
static void check_requote(const char *quoted, const char *from)
{
    char *again = NULL;
    int rc = fb_command_quote(quoted, &again, NULL);

    FUZZ_CHECK(rc == 0, "quoted text does not split again: %s", quoted);
    FUZZ_CHECK(strcmp(again, quoted) == 0, "quoting is not stable for '%s': %s -> %s", from,
               quoted, again);
    free(again);
}

static void check_string(const char *s)
{
    char *q = NULL;
    int rc;

    if (fb_name_valid(s))
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 64 && all_in(s, "_.-"), "name '%s'", s);
    if (fb_image_valid(s)) {
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 255 && all_in(s, "._/:@+-"), "image '%s'", s);
        /* No part of it could pass for a runtime's option: not the whole, a
         * '/' component, a domain's '.' component (a tag may hold ".-"), a
         * port, the tag or the digest. */
        size_t name_len = strcspn(s, "@"), start = 0;
        for (size_t i = 0; i < name_len; i++)
            start = s[i] == '/' ? i + 1 : start;
        name_len = start + strcspn(s + start, ":@"); /* without the tag */
        FUZZ_CHECK(s[0] != '-' && strstr(s, "/-") == NULL && strstr(s, ":-") == NULL &&
                       strstr(s, "@-") == NULL,
                   "image '%s' has a part starting with '-'", s);
        for (size_t i = 1; i < name_len; i++)
            FUZZ_CHECK(s[i] != '-' || s[i - 1] != '.',
                       "image '%s' has a component starting with '-'", s);
    }

    q = fb_shell_quote(s);
    FUZZ_CHECK(q != NULL, "fb_shell_quote failed");
    FUZZ_CHECK(shell_inert(q), "fb_shell_quote('%s') = %s", s, q);
    check_requote(q, s);
    free(q);
    q = NULL;

    rc = fb_command_quote(s, &q, NULL);
    if (rc == 0) {
        FUZZ_CHECK(q != NULL && shell_inert(q), "fb_command_quote('%s') = %s", s,
                   q != NULL ? q : "(null)");
        check_requote(q, s);
    } else {
        FUZZ_CHECK(rc == FB_EINVAL && q == NULL, "fb_command_quote('%s') returned %s", s,
                   fb_err_name(rc));
    }
    free(q);
}

/* The template without its known placeholders holds only word characters
 * and blanks: then any shell syntax in an expansion came from a value. */
static bool template_plain(const char *t)
{
    static const char *const vars[] = {"{image}",    "{container}", "{command}", "{node}",
                                       "{function}", "{network}",   "{images}"};

    while (*t != '\0') {
        size_t skip = 0;
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]) && skip == 0; i++)
            if (strncmp(t, vars[i], strlen(vars[i])) == 0)
                skip = strlen(vars[i]);
        if (skip == 0 && !word_char((unsigned char)*t, " _-"))
            return false;
        t += skip > 0 ? skip : 1;
    }
    return true;
}

int fb_fuzz_template(const uint8_t *data, size_t size);

/* The input is up to T_N NUL-separated strings: a template, then the
 * values of {image} {container} {command} {node} {function} {network}
 * {images}; a missing one is unset. */
int fb_fuzz_template(const uint8_t *data, size_t size)
{
    char *copy = fuzz_cstring(data, size), *field[T_N] = {NULL};
    struct fb_tvars v;
    struct fb_errbuf eb = {{0}};
    char *out = NULL;
    size_t at = 0;
    int rc;

    for (int i = 0; i < T_N && at <= size; i++) {
        field[i] = copy + at;
        at += strlen(field[i]) + 1;
    }
    for (int i = 0; i < T_N; i++)
        if (field[i] != NULL)
            check_string(field[i]);

    v = (struct fb_tvars){.image = field[T_IMAGE], .container = field[T_CONTAINER],
                          .command = field[T_COMMAND], .node = field[T_NODE],
                          .function = field[T_FUNCTION], .network = field[T_NETWORK],
                          .images = field[T_IMAGES]};
    rc = fb_template_expand(field[T_TMPL], &v, &out, &eb);
    if (rc == 0) {
        FUZZ_CHECK(out != NULL, "expanded to NULL");
        FUZZ_CHECK(field[T_TMPL][0] == '\0' || fb_template_check(field[T_TMPL], NULL) == 0,
                   "expanded a template fb_template_check refuses: %s", field[T_TMPL]);
        if (template_plain(field[T_TMPL]))
            FUZZ_CHECK(shell_inert(out), "values reached the shell as syntax: %s -> %s",
                       field[T_TMPL], out);
    } else {
        FUZZ_CHECK(out == NULL && eb.msg[0] != '\0', "failed (%s) without a message or left %s",
                   fb_err_name(rc), out != NULL ? out : "nothing");
    }
    free(out);
    free(copy);
    return 0;
}

#ifndef FB_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fb_fuzz_template(data, size);
}
#endif
