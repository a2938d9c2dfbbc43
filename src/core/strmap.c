/* strmap.c - open-addressing map from byte strings to integers (FNV-1a, linear probing). */
#include "core/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static size_t hash_of(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return (size_t)h;
}

/* The slot holding key, or the empty one where it would go. */
static struct fb_strmap_slot *find(const struct fb_strmap *m, const char *key, size_t len,
                                   size_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct fb_strmap_slot *s = &m->slot[i];
        if (s->key == NULL || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

long fb_strmap_get(const struct fb_strmap *m, const char *key, size_t len)
{
    if (m->cap == 0)
        return -1;
    struct fb_strmap_slot *s = find(m, key, len, hash_of(key, len));
    return s->key != NULL ? s->value : -1;
}

static int grow(struct fb_strmap *m)
{
    size_t cap = m->cap == 0 ? 64 : m->cap * 2;
    struct fb_strmap old = *m;

    if (cap < m->cap || (m->slot = calloc(cap, sizeof(*m->slot))) == NULL) {
        m->slot = old.slot;
        return FB_ENOMEM;
    }
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].key != NULL)
            *find(m, old.slot[i].key, old.slot[i].len, old.slot[i].hash) = old.slot[i];
    free(old.slot);
    return 0;
}

int fb_strmap_intern(struct fb_strmap *m, const char *key, size_t len, long *value)
{
    size_t h = hash_of(key, len);
    struct fb_strmap_slot *s;

    /* At most half full: probes stay short. */
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
        return FB_ENOMEM;
    s = find(m, key, len, h);
    if (s->key != NULL) {
        *value = s->value;
        return 0;
    }
    if ((s->key = malloc(len > 0 ? len : 1)) == NULL)
        return FB_ENOMEM;
    memcpy(s->key, key, len);
    s->len = len;
    s->hash = h;
    s->value = (long)m->n++;
    *value = s->value;
    return 1;
}

void fb_strmap_free(struct fb_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slot[i].key);
    free(m->slot);
    *m = (struct fb_strmap){0};
}
