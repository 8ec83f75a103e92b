/* SPDX-License-Identifier: MIT */
/*
 * statefile.c - the checked, line-by-line read of a state file in the key
 * directory (see statefile.h).  Lines are read with a fixed bound, so a long
 * file costs time, never a large buffer.
 */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"

void statefile_error(char **errorp, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        if (!errorp)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*errorp);
        *errorp = s;
}

/* open_checked() - @dir/@name for reading, checked; *@fp is NULL when there is no such file. */
static int open_checked(const char *dir, const char *name, FILE **fp, char **errorp)
{
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct stat st;
        FILE *f;
        int r;

        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                r = -errno;
                statefile_error(errorp, "%s: %s", dir, strerror(-r));
                return r;
        }
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *fp = NULL;
                        return 0;
                }
                r = -errno;
                statefile_error(errorp, "%s/%s: %s", dir, name, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                statefile_error(errorp, "%s/%s: %s", dir, name, strerror(-r));
                return r;
        }
        if (safefile_check(&st, &(SafeFileRule){
                                        .type = S_IFREG, .owner = geteuid(), .forbidden = 0077 })) {
                statefile_error(errorp, "%s/%s: not a regular file owned by uid %u with mode 0600",
                                dir, name, (unsigned)geteuid());
                return STATEFILE_E_INSECURE;
        }
        f = fdopen(fd, "r");
        if (!f)
                return -errno;
        fd = -1; /* f owns it now */
        *fp = f;
        return 0;
}

int statefile_read(const char *dir, const char *name, const char *what, char *line,
                   size_t line_size, int (*line_fn)(char *line, unsigned line_no, void *arg),
                   void *arg, char **errorp)
{
        _cleanup_fclose_ FILE *f = NULL;
        unsigned line_no = 0;
        int r = 0;

        r = open_checked(dir, name, &f, errorp);
        if (r || !f)
                return r;
        while (r == 0 && fgets(line, (int)line_size, f))
                r = line_fn(line, ++line_no, arg);
        if (r < 0)
                return r;
        if (r == 0 && ferror(f)) {
                statefile_error(errorp, "%s/%s: read error", dir, name);
                return -EIO;
        }
        if (r == STATEFILE_E_CORRUPT || line_no == 0) {
                statefile_error(errorp, "%s/%s:%u: not a %s written by roled", dir, name, line_no,
                                what);
                return STATEFILE_E_CORRUPT;
        }
        return 0;
}
