/* SPDX-License-Identifier: MIT */
/*
 * proc-fault.c - an LD_PRELOAD library for tests: open() of a /proc/PID
 * directory whose process has the real uid $ROLED_TEST_PROC_EMFILE_UID
 * fails with EMFILE, the first $ROLED_TEST_PROC_EMFILE_COUNT times in the
 * process, as it would in an agent out of descriptors for a moment.  Every
 * other open goes to the real function.  It lets a test make the agent's
 * attestation of one uid's connections meet a transient error on demand.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int n_failed;

/* The real uid of process @pid, from its status file; -1 if it cannot be read. */
static long real_uid(const char *pid)
{
        char path[64], buf[2048];
        const char *uid;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%s/status", pid);
        fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        uid = strstr(buf, "\nUid:");
        return uid ? strtol(uid + 5, NULL, 10) : -1;
}

/* Should this open of @path fail? */
static int is_fault(const char *path)
{
        const char *uid = getenv("ROLED_TEST_PROC_EMFILE_UID");
        const char *count = getenv("ROLED_TEST_PROC_EMFILE_COUNT");
        const char *pid = path + strlen("/proc/");

        if (!uid || !count || strncmp(path, "/proc/", strlen("/proc/")) != 0 || !isdigit(*pid))
                return 0;
        for (const char *p = pid; *p; p++)
                if (!isdigit(*p))
                        return 0;
        if (real_uid(pid) != strtol(uid, NULL, 10))
                return 0;
        return __atomic_add_fetch(&n_failed, 1, __ATOMIC_SEQ_CST) <= atoi(count);
}

/* Fail the open of @path if it is one to fail, or make it with the real @name. */
static int open_or_fault(const char *name, const char *path, int flags, mode_t mode)
{
        int (*real)(const char *, int, ...);

        if (is_fault(path)) {
                errno = EMFILE;
                return -1;
        }
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
        return real(path, flags, mode);
}

/* open() and open64(): the mode is there only with O_CREAT or O_TMPFILE. */
#define OPEN_WRAPPER(fn)                                                                           \
        int fn(const char *path, int flags, ...)                                                   \
        {                                                                                          \
                mode_t mode = 0;                                                                   \
                va_list ap;                                                                        \
                                                                                                   \
                va_start(ap, flags);                                                               \
                if (flags & (O_CREAT | O_TMPFILE))                                                 \
                        mode = va_arg(ap, mode_t);                                                 \
                va_end(ap);                                                                        \
                return open_or_fault(#fn, path, flags, mode);                                      \
        }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
