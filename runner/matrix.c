/* matrix.c - cell expansion and the seeded generator used for shuffling. */
#include "matrix.h"

#include <stdlib.h>

#include "error.h"

void fb_rng_seed(struct fb_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t fb_rng_next(struct fb_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t fb_rng_below(struct fb_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
    do
        x = fb_rng_next(r);
    while (x >= limit);
    return x % n;
}

int fb_matrix_expand(const struct fb_matrix_cfg *m, uint64_t seed, struct fb_cell **cells,
                     int *n)
{
    int total = m->repetitions * m->n_policies * m->n_warmings, k = 0;
    *cells = NULL;
    *n = 0;
    if (total <= 0)
        return FB_EINVAL;
    struct fb_cell *c = calloc((size_t)total, sizeof(*c));
    if (c == NULL)
        return FB_ENOMEM;
    for (int r = 0; r < m->repetitions; r++)
        for (int p = 0; p < m->n_policies; p++)
            for (int w = 0; w < m->n_warmings; w++)
                c[k++] = (struct fb_cell){r + 1, p, m->warmings[w]};
    if (m->shuffle) {
        struct fb_rng rng;
        fb_rng_seed(&rng, seed);
        for (int i = total - 1; i > 0; i--) {
            int j = (int)fb_rng_below(&rng, (uint64_t)i + 1);
            struct fb_cell t = c[i];
            c[i] = c[j];
            c[j] = t;
        }
    }
    *cells = c;
    *n = total;
    return 0;
}
