/* matrix.c - cell expansion, in the listed or a seeded shuffled order. */
#include "experiment/matrix.h"

#include <stdlib.h>

#include "core/error.h"
#include "core/rng.h"

bool fb_matrix_has_keepalive(const struct fb_matrix_cfg *m)
{
    for (int w = 0; w < m->n_warmings; w++)
        if (m->warmings[w] == FB_WARM_KEEPALIVE)
            return true;
    return false;
}

int fb_matrix_expand(const struct fb_matrix_cfg *m, uint64_t seed, struct fb_cell **cells,
                     int *n)
{
    int per_policy = 0, k = 0;
    for (int w = 0; w < m->n_warmings; w++)
        per_policy += m->warmings[w] == FB_WARM_KEEPALIVE ? m->n_keepalive : 1;
    int total = m->repetitions * m->n_policies * per_policy;
    *cells = NULL;
    *n = 0;
    if (total <= 0)
        return FB_EINVAL;
    struct fb_cell *c = calloc((size_t)total, sizeof(*c));
    if (c == NULL)
        return FB_ENOMEM;
    for (int r = 0; r < m->repetitions; r++)
        for (int p = 0; p < m->n_policies; p++)
            for (int w = 0; w < m->n_warmings; w++) {
                if (m->warmings[w] != FB_WARM_KEEPALIVE) {
                    c[k++] = (struct fb_cell){r + 1, p, m->warmings[w], -1};
                    continue;
                }
                for (int a = 0; a < m->n_keepalive; a++)
                    c[k++] = (struct fb_cell){r + 1, p, FB_WARM_KEEPALIVE, a};
            }
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
