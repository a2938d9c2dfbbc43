/* work.c - synthetic work: touch the given memory, then busy-work until a wall-clock deadline. */
#define _GNU_SOURCE
#include "helper/work.h"

#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* A day of work, a TiB of memory: more is a mistake in the trace. */
#define WORK_MAX_MS 86400000.0
#define WORK_MAX_MB 1048576.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A number in [0, max]: 1, or 0 when s is not one. */
static int amount(const char *s, double max, double *v)
{
    char *end;

    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v) && *v >= 0 && *v <= max;
}

/* Whole MB, rounded up (no libm: the helper is linked static without it). */
static double whole_mb(double mb)
{
    double w = (double)(uint64_t)mb;
    return w < mb ? w + 1 : w;
}

int fbn_work(int argc, char **args)
{
    double t0 = now_ms(), ms = 0, mb = 0, touched;
    volatile uint64_t spin = 0x9E3779B97F4A7C15ull;
    size_t bytes, page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *mem = NULL;

    if (argc < 1 || argc > 2 || !amount(args[0], WORK_MAX_MS, &ms) ||
        (argc == 2 && !amount(args[1], WORK_MAX_MB, &mb))) {
        fputs("usage: faasbench-node work DURATION_MS [MEMORY_MB]\n", stderr);
        return 2;
    }
    bytes = (size_t)(whole_mb(mb) * 1048576.0);
    if (bytes > 0) {
        mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            fprintf(stderr, "faasbench-node work: cannot map %.0f MB\n", whole_mb(mb));
            return 1;
        }
        /* A write per page: the memory is really held, not only reserved. */
        for (size_t i = 0; i < bytes; i += page)
            mem[i] = (unsigned char)(i / page | 1);
        mem[bytes - 1] = 1;
    }
    touched = now_ms() - t0;
    /* Busy, not asleep: the time is the CPU's, as a function's would be. A
     * clock read every few thousand steps costs nothing next to them. */
    while (now_ms() - t0 < ms)
        for (int i = 0; i < 4096; i++)
            spin = spin * 6364136223846793005ull + 1442695040888963407ull;
    printf("work duration_ms=%.3f memory_mb=%.0f touched_ms=%.3f\n", now_ms() - t0,
           whole_mb(mb), touched);
    if (mem != NULL)
        munmap(mem, bytes);
    return 0;
}
