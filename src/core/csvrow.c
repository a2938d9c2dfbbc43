/* csvrow.c - one CSV record's fields, buffers reused from record to record. */
#include "core/csvrow.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int fb_csvrow_add(struct fb_csvrow *r, const char *s, size_t len, size_t limit)
{
    if (r->kept >= limit) {
        r->n++;
        return 0;
    }
    if (r->kept == r->cap) {
        size_t cap = r->cap != 0 ? r->cap * 2 : 16;
        struct fb_csvfield *f = realloc(r->f, cap * sizeof(*f));
        if (f == NULL)
            return FB_ENOMEM;
        memset(f + r->cap, 0, (cap - r->cap) * sizeof(*f));
        r->f = f;
        r->cap = cap;
    }
    struct fb_csvfield *f = &r->f[r->kept];
    if (len + 1 > f->cap) {
        char *p = realloc(f->s, len + 1);
        if (p == NULL)
            return FB_ENOMEM;
        f->s = p;
        f->cap = len + 1;
    }
    if (len > 0)
        memcpy(f->s, s, len);
    f->s[len] = '\0';
    f->len = len;
    r->kept++;
    r->n++;
    return 0;
}

const char *fb_csvrow_get(const struct fb_csvrow *r, size_t i)
{
    return i < r->kept && r->f[i].s != NULL ? r->f[i].s : "";
}

size_t fb_csvrow_len(const struct fb_csvrow *r, size_t i)
{
    return i < r->kept && r->f[i].s != NULL ? r->f[i].len : 0;
}

void fb_csvrow_next(struct fb_csvrow *r)
{
    r->n = r->kept = 0;
}

void fb_csvrow_free(struct fb_csvrow *r)
{
    for (size_t i = 0; i < r->cap; i++)
        free(r->f[i].s);
    free(r->f);
    memset(r, 0, sizeof(*r));
}

int fb_csv_real(const char *s, double *out)
{
    char *end;
    double x;

    *out = NAN;
    if (s == NULL || *s == '\0')
        return 0;
    errno = 0;
    x = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(x))
        return FB_EINVAL;
    *out = x;
    return 0;
}
