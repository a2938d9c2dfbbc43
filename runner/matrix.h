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

/* Expands the matrix into *cells (caller frees) and *n: in listed order
 * (repetition, then policy, then warming), or shuffled with seed. */
int fb_matrix_expand(const struct fb_matrix_cfg *m, uint64_t seed, struct fb_cell **cells,
                     int *n);

#endif
