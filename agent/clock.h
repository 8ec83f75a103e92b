/* SPDX-License-Identifier: MIT */
/*
 * clock.h - an injectable source of "now" in Unix seconds.
 *
 * Code that decides by time (session refresh, expiry, key retirement) takes a
 * Clock or a plain int64_t now, so tests can drive time by hand.  Monotonic
 * timers for the event loop are libuv's business, not this header's.
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* Clock - now(userdata) returns the current Unix time in seconds. */
typedef struct Clock {
        int64_t (*now)(void *userdata);
        void *userdata;
} Clock;

/* clock_realtime_now() - CLOCK_REALTIME in seconds; @userdata is ignored. */
static inline int64_t clock_realtime_now(void *userdata)
{
        struct timespec ts;

        (void)userdata;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec;
}

/* CLOCK_SYSTEM - the wall clock, for production use. */
#define CLOCK_SYSTEM ((Clock){ .now = clock_realtime_now, .userdata = NULL })

/* clock_now() - ask @c for the current time. */
static inline int64_t clock_now(const Clock *c)
{
        return c->now(c->userdata);
}
