/* SPDX-License-Identifier: MIT */
/*
 * refresh.h - the one refresh-margin rule: how long before expiry a credential
 * set of a given lifetime stops being served. The agent renews sessions by it
 * and libroled stops serving its cached copies by it, so a cached set is never
 * older than the agent's own.
 */
#pragma once

#include <stdint.h>

#define REFRESH_MARGIN_MIN 1200 /* seconds: renew at least 20 minutes ahead */

/*
 * refresh_margin() - max(REFRESH_MARGIN_MIN, @lifetime / 4), but at most
 * @lifetime / 2 (a 15-minute session is renewed half way).
 */
static inline int64_t refresh_margin(int64_t lifetime)
{
        int64_t m = lifetime / 4 > REFRESH_MARGIN_MIN ? lifetime / 4 : REFRESH_MARGIN_MIN;

        return m > lifetime / 2 ? lifetime / 2 : m;
}
