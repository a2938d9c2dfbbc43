/* strmap.h - a map from byte strings to small integers: the keys of a trace's functions. */
#ifndef FB_STRMAP_H
#define FB_STRMAP_H

#include <stddef.h>

/* Open addressing over copies of the keys. A key is len bytes, any bytes
 * (NULs too), so a compound key is its parts joined by NUL bytes. */
struct fb_strmap {
    struct fb_strmap_slot {
        char *key; /* NULL: empty slot */
        size_t len;
        size_t hash;
        long value;
    } *slot;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

/* The value of key, or -1 when it is absent. */
long fb_strmap_get(const struct fb_strmap *m, const char *key, size_t len);

/* Sets *value to key's value; when key is absent, adds it with the value
 * m->n had before (so values count keys in the order first added).
 * Returns 1 when added, 0 when found, FB_ENOMEM. */
int fb_strmap_intern(struct fb_strmap *m, const char *key, size_t len, long *value);

/* Frees the keys and slots; m is empty and reusable after. */
void fb_strmap_free(struct fb_strmap *m);

#endif
