/* matrix.c - cell expansion, in the listed or a seeded shuffled order. */
#include "matrix.h"

#include <stdlib.h>

#include "error.h"
#include "rng.h"

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
