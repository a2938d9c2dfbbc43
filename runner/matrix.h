/* matrix.h - the experiment matrix: repetitions x policies x warming modes. */
#ifndef FB_MATRIX_H
#define FB_MATRIX_H

#include <stdint.h>

#include "config.h"

struct fb_cell {
    int repetition;        /* 1-based */
    int policy;            /* index in matrix.policies */
    enum fb_warming warming;
};

/* A small seeded generator (splitmix64): same seed, same sequence. */
struct fb_rng {
    uint64_t s;
};
void fb_rng_seed(struct fb_rng *r, uint64_t seed);
uint64_t fb_rng_next(struct fb_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t fb_rng_below(struct fb_rng *r, uint64_t n);

/* Expands the matrix into *cells (caller frees) and *n: in listed order
 * (repetition, then policy, then warming), or shuffled with seed. */
int fb_matrix_expand(const struct fb_matrix_cfg *m, uint64_t seed, struct fb_cell **cells,
                     int *n);

#endif
