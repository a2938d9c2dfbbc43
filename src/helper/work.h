/* work.h - synthetic work for trace replays: `faasbench-node work DURATION_MS [MEMORY_MB]`. */
#ifndef FBN_WORK_H
#define FBN_WORK_H

/* Touches MEMORY_MB MiB (one write per page), then keeps a CPU busy until
 * DURATION_MS (a decimal, e.g. 12.5) have passed since the call, on the
 * monotonic clock: the touching counts within the duration, so the work
 * ends at the duration when the touching takes less. Prints one line,
 * "work duration_ms=D memory_mb=M touched_ms=T", and returns 0; 2 for bad
 * arguments (a usage line on stderr), 1 when the memory cannot be had.
 * args are the words after "work". */
int fbn_work(int argc, char **args);

#endif
