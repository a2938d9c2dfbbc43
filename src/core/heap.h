/* heap.h - a binary min-heap of timed entries: the earliest time first, and of
 * equal times the one pushed first, so that a run is the same every time
 * (the tie rule of ns-3's and SimGrid's schedulers). The keep-alive timers of
 * the decision core and the simulator's event queue are heaps of this kind. */
#ifndef FB_HEAP_H
#define FB_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fb_heap_entry {
    double t;      /* when */
    uint64_t seq;  /* push order: breaks ties */
    void *p;       /* what, the caller's */
    int64_t x;     /* a number of the caller's (an index, a generation) */
};

/* Zero-initialise; fb_heap_free releases it. */
struct fb_heap {
    struct fb_heap_entry *e;
    size_t n, cap;
    uint64_t next_seq;
};

/* Adds an entry; 0 or FB_ENOMEM. */
int fb_heap_push(struct fb_heap *h, double t, void *p, int64_t x);
/* The earliest entry, or NULL when empty (valid until the next push or pop). */
static inline const struct fb_heap_entry *fb_heap_top(const struct fb_heap *h)
{
    return h->n > 0 ? &h->e[0] : NULL;
}
/* Removes the earliest entry into *out (may be NULL); false when empty. */
bool fb_heap_pop(struct fb_heap *h, struct fb_heap_entry *out);
void fb_heap_clear(struct fb_heap *h);
void fb_heap_free(struct fb_heap *h);

#endif
