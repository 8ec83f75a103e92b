/* SPDX-License-Identifier: MIT */
/*
 * bench-clock.h - the clocks and the sort the in-process benchmarks
 * (bench-policy, bench-proto) time their calls with; bench-fairness times
 * round trips with them.
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* Wall time, for what a caller waits. */
static inline uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* This thread's CPU time, for the work a call costs whatever else runs. */
static inline uint64_t cpu_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* qsort() comparator for uint64_t samples. */
static inline int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}
