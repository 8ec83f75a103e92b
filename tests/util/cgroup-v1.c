/* SPDX-License-Identifier: MIT */
/*
 * cgroup-v1 - LD_PRELOAD library for the agent in tests: every
 * /proc/PID/cgroup it opens through a directory fd reads as on a host with
 * only the legacy cgroup v1 hierarchies, where the kernel shows no "0::"
 * line (test-session-key: a caller with no cgroup v2 path).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char legacy[] = "12:pids:/user.slice/user-2101.slice/session-1.scope\n"
                             "1:name=systemd:/user.slice/user-2101.slice/session-1.scope\n";

int openat(int dirfd, const char *name, int flags, ...)
{
        static int (*real)(int, const char *, int, ...);
        mode_t mode = 0;
        va_list ap;
        int fd;

        if (!real)
                real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
        if (flags & (O_CREAT | O_TMPFILE)) {
                va_start(ap, flags);
                mode = va_arg(ap, mode_t);
                va_end(ap);
        }
        if (dirfd < 0 || strcmp(name, "cgroup") != 0)
                return real(dirfd, name, flags, mode);
        fd = memfd_create("cgroup-v1", MFD_CLOEXEC);
        if (fd < 0)
                return -1;
        if (write(fd, legacy, sizeof(legacy) - 1) != (ssize_t)(sizeof(legacy) - 1) ||
            lseek(fd, 0, SEEK_SET) != 0) {
                close(fd);
                return -1;
        }
        return fd;
}

int openat64(int dirfd, const char *name, int flags, ...) __attribute__((alias("openat")));
