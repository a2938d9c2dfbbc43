/* rng.h - a small seeded generator (splitmix64): same seed, same sequence. */
#ifndef FB_RNG_H
#define FB_RNG_H

#include <stdint.h>

struct fb_rng {
    uint64_t s;
};

void fb_rng_seed(struct fb_rng *r, uint64_t seed);
uint64_t fb_rng_next(struct fb_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t fb_rng_below(struct fb_rng *r, uint64_t n);
/* Uniform double in [0, 1), 53 bits. */
double fb_rng_unit(struct fb_rng *r);

#endif
