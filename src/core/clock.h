/* clock.h - the two clocks faasbench reads: monotonic time for every duration
 * and deadline, and unix time for the rows' timestamps. The one place they are
 * read from the system (the decision core and the simulator take the time as
 * an argument and read neither). */
#ifndef FB_CLOCK_H
#define FB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
static inline double fb_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double fb_mono_s(void)
{
    return fb_mono_ms() / 1e3;
}

/* Unix time in whole milliseconds (CLOCK_REALTIME). */
static inline int64_t fb_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The absolute CLOCK_MONOTONIC time mono_ms milliseconds stands for, for
 * timed waits on a condition variable set to that clock. */
static inline struct timespec fb_mono_timespec(double mono_ms)
{
    struct timespec ts;
    double s = mono_ms / 1e3;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
