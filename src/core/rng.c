/* rng.c - splitmix64 (Steele, Lea and Flood, 2014): fast, seedable, reproducible. */
#include "core/rng.h"

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

double fb_rng_unit(struct fb_rng *r)
{
    return (double)(fb_rng_next(r) >> 11) * 0x1.0p-53;
}
