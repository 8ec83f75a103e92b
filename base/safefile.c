/* SPDX-License-Identifier: MIT */
/*
 * safefile.c - owner, mode and kind checks and bounded reads for the files the
 * agent trusts. See safefile.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "safefile.h"
#include "util.h"

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

/* read_retry() - read(2), again after EINTR.  Return: bytes read, 0 at the end, or -errno. */
static ssize_t read_retry(int fd, void *buf, size_t n)
{
        ssize_t r;

        do
                r = read(fd, buf, n);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
}

int safefile_read(int fd, void *buf, size_t max, size_t *lenp)
{
        uint8_t *p = buf, extra;
        size_t len = 0;

        for (;;) {
                /* Past @max, read one byte into @extra: there must be none. */
                ssize_t n =
                        len < max ? read_retry(fd, p + len, max - len) : read_retry(fd, &extra, 1);

                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                if (len == max)
                        return SAFEFILE_E_TOO_LARGE;
                len += (size_t)n;
        }
        *lenp = len;
        return 0;
}

int safefile_read_all(int fd, size_t initial, size_t max, char **textp, size_t *lenp)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;

        for (;;) {
                ssize_t n;

                /* Full (or not there yet): double it, keeping a byte for the NUL. */
                if (len + 1 >= size) {
                        char *p;

                        if (size >= max)
                                return SAFEFILE_E_TOO_LARGE;
                        size = size ? size * 2 : initial;
                        p = realloc(buf, size);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read_retry(fd, buf + len, size - len - 1);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *textp = steal_pointer(&buf);
        if (lenp)
                *lenp = len;
        return 0;
}
