/* SPDX-License-Identifier: MIT */
/*
 * proc-fault.c - an LD_PRELOAD library for tests: the agent's look at a
 * process fails on demand, as it would in an agent out of descriptors for a
 * moment.
 *   - open() of a /proc/PID directory whose process has the real uid
 *     $ROLED_TEST_PROC_EMFILE_UID fails with EMFILE, the first
 *     $ROLED_TEST_PROC_EMFILE_COUNT times in the process.
 *   - With $ROLED_TEST_NO_PEERPIDFD set, getsockopt(SO_PEERPIDFD) fails with
 *     ENOPROTOOPT, as on kernels before 6.5: the agent opens pidfds by pid.
 *   - With $ROLED_TEST_PEERPIDFD_REAPED_EINVAL set, getsockopt(SO_PEERPIDFD)
 *     fails with EINVAL when the peer has been reaped, as on kernels 6.5 to
 *     about 6.13 (later ones give a pidfd of the reaped process).
 *   - pidfd_open() (through syscall()) of a process with the real uid
 *     $ROLED_TEST_PIDFD_EMFILE_UID fails with EMFILE, the first
 *     $ROLED_TEST_PIDFD_EMFILE_COUNT times (with $ROLED_TEST_PIDFD_EMFILE_WHILE
 *     set, only while the file it names exists: a test lets some through
 *     first); every pidfd_open() is reported on stderr as
 *     "proc-fault: pidfd_open uid UID", so a test can count them.
 * Every other call goes to the real function.  It lets a test make the
 * agent's attestation of one uid's connections meet a transient error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int n_failed, n_pidfd_failed;

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

/* Does $@uid_var name @pid's real uid, and are fewer than $@count_var faults made in @n? */
static int is_uid_fault(const char *pid, const char *uid_var, const char *count_var, int *n)
{
        const char *uid = getenv(uid_var);
        const char *count = getenv(count_var);

        if (!uid || !count || real_uid(pid) != strtol(uid, NULL, 10))
                return 0;
        return __atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST) <= atoi(count);
}

/* Should this open of @path fail? */
static int is_fault(const char *path)
{
        const char *pid = path + strlen("/proc/");

        if (strncmp(path, "/proc/", strlen("/proc/")) != 0 || !isdigit(*pid))
                return 0;
        for (const char *p = pid; *p; p++)
                if (!isdigit(*p))
                        return 0;
        return is_uid_fault(pid, "ROLED_TEST_PROC_EMFILE_UID", "ROLED_TEST_PROC_EMFILE_COUNT",
                            &n_failed);
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

/* Does @pidfd name a process already reaped (fdinfo "Pid: -1")? */
static bool is_reaped(int pidfd)
{
        char path[64], buf[512];
        ssize_t n;
        int f;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        f = open(path, O_RDONLY | O_CLOEXEC);
        if (f < 0)
                return false;
        n = read(f, buf, sizeof(buf) - 1);
        close(f);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        return strstr(buf, "\nPid:\t-1\n") != NULL;
}

int getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
        int (*real)(int, int, int, void *, socklen_t *);

        if (level == SOL_SOCKET && name == 77 /* SO_PEERPIDFD */ &&
            getenv("ROLED_TEST_NO_PEERPIDFD")) {
                errno = ENOPROTOOPT;
                return -1;
        }
        real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
        if (real(fd, level, name, value, len) != 0)
                return -1;
        if (level == SOL_SOCKET && name == 77 /* SO_PEERPIDFD */ &&
            getenv("ROLED_TEST_PEERPIDFD_REAPED_EINVAL") && is_reaped(*(int *)value)) {
                close(*(int *)value);
                errno = EINVAL;
                return -1;
        }
        return 0;
}

/* syscall(): pidfd_open() is reported, and fails when asked to; the rest passes through. */
long syscall(long number, ...)
{
        long (*real)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
        long a[6];
        va_list ap;

        /* Six arguments whatever the call takes, as glibc's own syscall() reads them. */
        va_start(ap, number);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (number == SYS_pidfd_open) {
                char pid[24], line[64];
                int n;

                snprintf(pid, sizeof(pid), "%ld", a[0]);
                n = snprintf(line, sizeof(line), "proc-fault: pidfd_open uid %ld\n", real_uid(pid));
                if (write(2, line, (size_t)n) < 0) {
                        /* Nothing to do: the count then comes out short, and the test says so. */
                }
                if ((!getenv("ROLED_TEST_PIDFD_EMFILE_WHILE") ||
                     access(getenv("ROLED_TEST_PIDFD_EMFILE_WHILE"), F_OK) == 0) &&
                    is_uid_fault(pid, "ROLED_TEST_PIDFD_EMFILE_UID",
                                 "ROLED_TEST_PIDFD_EMFILE_COUNT", &n_pidfd_failed)) {
                        errno = EMFILE;
                        return -1;
                }
        }
        return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
