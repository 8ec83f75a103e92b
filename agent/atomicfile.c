/* SPDX-License-Identifier: MIT */
/*
 * atomicfile.c - atomicfile_replace() (see atomicfile.h).  Every access goes
 * through a directory fd with O_NOFOLLOW, as keys.c does.
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int atomicfile_replace(const char *dir, const char *name, int (*write_fn)(FILE *f, void *arg),
                       void *arg, char **errorp)
{
        _cleanup_close_ int dir_fd = -1;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *tmp = NULL;
        int fd, r;

        if (asprintf(&tmp, ".%s.tmp", name) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                r = -errno;
                goto fail;
        }
        /* A leftover from a crash; the directory is ours alone, so removing it is safe. */
        if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT) {
                r = -errno;
                goto fail;
        }
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                (void)close(fd);
                goto fail_unlink;
        }
        r = write_fn(f, arg);
        if (r == 0 && fflush(f) != 0)
                r = -errno;
        if (r == 0 && fsync(fileno(f)) < 0)
                r = -errno;
        if (fclose(steal_pointer(&f)) != 0 && r == 0)
                r = -errno;
        if (r)
                goto fail_unlink;
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = -errno;
                goto fail_unlink;
        }
        if (fsync(dir_fd) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail_unlink:
        (void)unlinkat(dir_fd, tmp, 0);
fail:
        if (errorp) {
                free(*errorp);
                if (asprintf(errorp, "%s/%s: cannot write: %s", dir, name, strerror(-r)) < 0)
                        *errorp = NULL;
        }
        return r;
}
