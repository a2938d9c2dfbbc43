/* heap.c - the binary min-heap of timed entries. */
#include "core/heap.h"

#include <stdlib.h>

#include "core/error.h"

static bool before(const struct fb_heap_entry *a, const struct fb_heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int fb_heap_push(struct fb_heap *h, double t, void *p, int64_t x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct fb_heap_entry *e = realloc(h->e, cap * sizeof(*e));
        if (e == NULL)
            return FB_ENOMEM;
        h->e = e;
        h->cap = cap;
    }
    struct fb_heap_entry in = {.t = t, .seq = h->next_seq++, .p = p, .x = x};
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(&in, &h->e[up]))
            break;
        h->e[i] = h->e[up];
        i = up;
    }
    h->e[i] = in;
    return 0;
}

bool fb_heap_pop(struct fb_heap *h, struct fb_heap_entry *out)
{
    if (h->n == 0)
        return false;
    if (out != NULL)
        *out = h->e[0];
    struct fb_heap_entry last = h->e[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h->e[c + 1], &h->e[c]))
            c++;
        if (!before(&h->e[c], &last))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (n > 0)
        h->e[i] = last;
    return true;
}

void fb_heap_clear(struct fb_heap *h)
{
    h->n = 0;
}

void fb_heap_free(struct fb_heap *h)
{
    free(h->e);
    h->e = NULL;
    h->n = h->cap = 0;
}
