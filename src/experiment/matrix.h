/* matrix.h - the experiment matrix: repetitions x policies x warming modes. */
#ifndef FB_MATRIX_H
#define FB_MATRIX_H

#include <stdbool.h>
#include <stdint.h>

#include "experiment/config.h"

struct fb_cell {
    int repetition;        /* 1-based */
    int policy;            /* index in matrix.policies */
    enum fb_warming warming;
    int keepalive;         /* keep-alive cells: index in matrix.keepalive; else -1 */
};

/* Expands the matrix into *cells (caller frees) and *n: in listed order
 * (repetition, then policy, then warming, then for keep-alive each
 * keep-alive policy), or shuffled with seed. */
int fb_matrix_expand(const struct fb_matrix_cfg *m, uint64_t seed, struct fb_cell **cells,
                     int *n);

/* Whether some warming mode of m is keep-alive. */
bool fb_matrix_has_keepalive(const struct fb_matrix_cfg *m);

#endif
