/* ring.c - node names as small ids, and a consistent-hashing ring over them
 * (placement.h says what each gives). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "policies/placement.h"
#include "core/rng.h"

uint64_t fb_name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- names ---- */

void fb_names_init(struct fb_names *s)
{
    memset(s, 0, sizeof(*s));
}

void fb_names_free(struct fb_names *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->name[i]);
    free(s->name);
    free(s->hash);
    free(s->at);
    free(s->slot);
    fb_names_init(s);
}

/* The slot holding name (hash h), or the empty slot where it would go. */
static size_t find_slot(const struct fb_names *s, const char *name, uint64_t h)
{
    size_t mask = s->n_slots - 1, i = (size_t)h & mask;

    while (s->slot[i] >= 0) {
        int id = s->slot[i];
        if (s->hash[id] == h && strcmp(s->name[id], name) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

/* Doubles the slot table (or makes its first one) and puts every id back. */
static int grow_slots(struct fb_names *s)
{
    size_t n = s->n_slots > 0 ? s->n_slots * 2 : 16;
    int *slot = malloc(n * sizeof(*slot));

    if (slot == NULL)
        return FB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        slot[i] = -1;
    free(s->slot);
    s->slot = slot;
    s->n_slots = n;
    for (int id = 0; id < s->n; id++)
        s->slot[find_slot(s, s->name[id], s->hash[id])] = id;
    return 0;
}

static int grow_ids(struct fb_names *s)
{
    int cap = s->cap > 0 ? s->cap * 2 : 8;
    char **name = realloc(s->name, (size_t)cap * sizeof(*name));

    if (name == NULL)
        return FB_ENOMEM;
    s->name = name;
    uint64_t *hash = realloc(s->hash, (size_t)cap * sizeof(*hash));
    if (hash == NULL)
        return FB_ENOMEM;
    s->hash = hash;
    int *at = realloc(s->at, (size_t)cap * sizeof(*at));
    if (at == NULL)
        return FB_ENOMEM;
    s->at = at;
    s->cap = cap;
    return 0;
}

int fb_names_id(struct fb_names *s, const char *name)
{
    uint64_t h;
    size_t i;

    if (name == NULL)
        name = "";
    h = fb_name_hash(name);
    /* At most half full, so a probe always ends on an empty slot. */
    if ((size_t)(s->n + 1) * 2 > s->n_slots && grow_slots(s) < 0)
        return FB_ENOMEM;
    i = find_slot(s, name, h);
    if (s->slot[i] >= 0)
        return s->slot[i];
    if (s->n == s->cap && grow_ids(s) < 0)
        return FB_ENOMEM;
    if ((s->name[s->n] = strdup(name)) == NULL)
        return FB_ENOMEM;
    s->hash[s->n] = h;
    s->at[s->n] = -1;
    s->slot[i] = s->n;
    return s->n++;
}

int fb_names_map(struct fb_names *s, const struct fb_node_view *nodes, int n)
{
    for (int id = 0; id < s->n; id++)
        s->at[id] = -1;
    for (int i = 0; i < n; i++) {
        int id = fb_names_id(s, nodes[i].name);
        if (id < 0)
            return id;
        s->at[id] = i;
    }
    return 0;
}

/* ---- the ring ---- */

void fb_ring_init(struct fb_ring *r, int vnodes)
{
    memset(r, 0, sizeof(*r));
    fb_names_init(&r->names);
    r->vnodes = vnodes > 0 ? vnodes : 1;
}

void fb_ring_free(struct fb_ring *r)
{
    fb_names_free(&r->names);
    free(r->pt);
    free(r->seen);
    memset(r, 0, sizeof(*r));
}

uint64_t fb_ring_key(const char *key)
{
    struct fb_rng g;

    fb_rng_seed(&g, fb_name_hash(key));
    return fb_rng_next(&g);
}

static int point_cmp(const void *a, const void *b)
{
    const struct fb_ring_point *x = a, *y = b;

    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Puts the points of the ids that have none yet on the ring. */
static int place_new(struct fb_ring *r)
{
    size_t need;

    if (r->placed == r->names.n)
        return 0;
    need = r->n_pt + (size_t)(r->names.n - r->placed) * (size_t)r->vnodes;
    if (need > r->cap_pt) {
        size_t cap = r->cap_pt > 0 ? r->cap_pt : 64;
        while (cap < need)
            cap *= 2;
        struct fb_ring_point *pt = realloc(r->pt, cap * sizeof(*pt));
        if (pt == NULL)
            return FB_ENOMEM;
        r->pt = pt;
        r->cap_pt = cap;
    }
    for (; r->placed < r->names.n; r->placed++) {
        struct fb_rng g;
        fb_rng_seed(&g, r->names.hash[r->placed]);
        for (int k = 0; k < r->vnodes; k++)
            r->pt[r->n_pt++] = (struct fb_ring_point){fb_rng_next(&g), r->placed};
    }
    qsort(r->pt, r->n_pt, sizeof(*r->pt), point_cmp);
    return 0;
}

int fb_ring_walk(struct fb_ring *r, const struct fb_node_view *nodes, int n, const char *key)
{
    uint64_t pos = fb_ring_key(key);
    size_t lo = 0, hi;
    int rc;

    if (n < 0)
        n = 0;
    if ((rc = fb_names_map(&r->names, nodes, n)) < 0 || (rc = place_new(r)) < 0)
        return rc;
    if (n > r->cap_seen) {
        unsigned char *seen = realloc(r->seen, (size_t)n);
        if (seen == NULL)
            return FB_ENOMEM;
        r->seen = seen;
        r->cap_seen = n;
    }
    if (n > 0)
        memset(r->seen, 0, (size_t)n);
    /* The first point at or after pos; past the last, the ring wraps to 0. */
    hi = r->n_pt;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->pt[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    r->start = lo < r->n_pt ? lo : 0;
    r->steps = 0;
    r->tail = 0;
    r->yielded = 0;
    r->n = n;
    return 0;
}

int fb_ring_next(struct fb_ring *r)
{
    if (r->yielded == r->n)
        return -1;
    while (r->steps < r->n_pt) {
        const struct fb_ring_point *p = &r->pt[(r->start + r->steps++) % r->n_pt];
        int i = r->names.at[p->id];
        if (i >= 0 && !r->seen[i]) {
            r->seen[i] = 1;
            r->yielded++;
            return i;
        }
    }
    for (; r->tail < r->n; r->tail++) {
        if (!r->seen[r->tail]) {
            r->seen[r->tail] = 1;
            r->yielded++;
            return r->tail++;
        }
    }
    return -1;
}
