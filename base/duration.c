/* SPDX-License-Identifier: MIT */
/*
 * duration.c - parse and print durations ("900", "15m", "1h30m"). See duration.h.
 */
#include <errno.h>
#include <stdio.h>

#include "duration.h"

int duration_parse(const char *s, uint64_t max, uint32_t *secondsp)
{
        uint64_t total = 0;

        if (max > UINT32_MAX)
                max = UINT32_MAX;
        if (!s || !*s)
                return -EINVAL;
        while (*s) {
                uint64_t v = 0, unit = 1;

                if (*s < '0' || *s > '9')
                        return -EINVAL;
                while (*s >= '0' && *s <= '9') {
                        v = v * 10 + (uint64_t)(*s++ - '0');
                        if (v > max)
                                return -ERANGE;
                }
                switch (*s) {
                case 'h':
                case 'H':
                        unit = 3600;
                        s++;
                        break;
                case 'm':
                case 'M':
                        unit = 60;
                        s++;
                        break;
                case 's':
                case 'S':
                        s++;
                        break;
                case '\0':
                        break;
                default:
                        return -EINVAL;
                }
                total += v * unit;
                if (total > max)
                        return -ERANGE;
        }
        *secondsp = (uint32_t)total;
        return 0;
}

void duration_format(uint32_t seconds, char *buf, size_t size)
{
        uint32_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
        int n = 0;

        buf[0] = '\0';
        if (h)
                n += snprintf(buf + n, size - (size_t)n, "%uh", h);
        if (m && (size_t)n < size)
                n += snprintf(buf + n, size - (size_t)n, "%um", m);
        if ((s || seconds == 0) && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, "%us", s);
}
