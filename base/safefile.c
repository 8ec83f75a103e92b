/* SPDX-License-Identifier: MIT */
/*
 * safefile.c - owner, mode and kind checks and bounded reads for the files the
 * agent trusts. See safefile.h.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "safefile.h"

int safefile_check(const struct stat *st, const SafeFileRule *rule)
{
        if ((st->st_mode & S_IFMT) != rule->type)
                return SAFEFILE_E_TYPE;
        if (st->st_uid != rule->owner && !(rule->is_root_ok && st->st_uid == 0))
                return SAFEFILE_E_OWNER;
        if (st->st_mode & rule->forbidden)
                return SAFEFILE_E_MODE;
        return 0;
}

int safefile_read(int fd, void *buf, size_t max, size_t *lenp)
{
        uint8_t *p = buf, extra;
        size_t len = 0;

        for (;;) {
                /* Past @max, read one byte into @extra: there must be none. */
                ssize_t n = len < max ? read(fd, p + len, max - len) : read(fd, &extra, 1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                if (len == max)
                        return SAFEFILE_E_TOO_LARGE;
                len += (size_t)n;
        }
        *lenp = len;
        return 0;
}
