/*
 * monotime.h - CLOCK_MONOTONIC in milliseconds, for deadlines and elapsed
 * times that must not move with the wall clock.
 */
#ifndef INTEGRITY_MONOTIME_H
#define INTEGRITY_MONOTIME_H

#include <time.h>

static inline long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
