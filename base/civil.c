/* SPDX-License-Identifier: MIT */
/*
 * civil.c - Howard Hinnant's days_from_civil and its inverse, and the ISO-8601
 * formatter built on them. See civil.h.
 */
#include <errno.h>

#include "civil.h"

int64_t civil_to_days(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int64_t *yp, int *mp, int *dp)
{
        int64_t z = days + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mon = (5 * doy + 2) / 153; /* 0 is March */
        int m = (int)(mon < 10 ? mon + 3 : mon - 9);

        *dp = (int)(doy - (153 * mon + 2) / 5 + 1);
        *mp = m;
        *yp = yoe + era * 400 + (m <= 2);
}

/* put_digits() - @v as exactly @n decimal digits at @p, then @sep. */
static char *put_digits(char *p, unsigned v, int n, char sep)
{
        for (int i = n - 1; i >= 0; i--, v /= 10)
                p[i] = (char)('0' + v % 10);
        p[n] = sep;
        return p + n + 1;
}

int civil_format_iso8601(int64_t t, char buf[CIVIL_ISO8601_SIZE])
{
        int64_t days, secs, y;
        int m, d;
        char *p = buf;

        if (t < CIVIL_ISO8601_MIN || t > CIVIL_ISO8601_MAX)
                return -ERANGE;
        days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        secs = t - days * 86400;
        civil_from_days(days, &y, &m, &d);
        p = put_digits(p, (unsigned)y, 4, '-');
        p = put_digits(p, (unsigned)m, 2, '-');
        p = put_digits(p, (unsigned)d, 2, 'T');
        p = put_digits(p, (unsigned)(secs / 3600), 2, ':');
        p = put_digits(p, (unsigned)(secs / 60 % 60), 2, ':');
        p = put_digits(p, (unsigned)(secs % 60), 2, 'Z');
        *p = '\0';
        return 0;
}
