/* SPDX-License-Identifier: MIT */
/*
 * alloc-fault.c - an LD_PRELOAD library for tests: the agent runs out of
 * memory while it works on one caller's message, and only then.  In the
 * thread that calls recvmsg(), once a recvmsg() returns bytes whose
 * SCM_CREDENTIALS name the uid $ROLED_TEST_ALLOC_FAIL_UID, every malloc(),
 * calloc() and realloc() of that thread fails with ENOMEM until it next
 * sends or writes (send(), sendmsg(), write() but to stderr, writev()) or
 * waits for events (epoll_wait(), epoll_pwait()): the rest of that loop pass.  At most
 * $ROLED_TEST_ALLOC_FAIL_COUNT messages are treated so (default 1), so the
 * fault is bounded and aimed: other uids' messages, and the thread pool,
 * allocate as usual.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static __thread int is_failing;
static int n_windows;

/* dlsym() may itself calloc(): that one comes from here. */
static char bootstrap[4096];
static size_t bootstrap_used;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);

static void *bootstrap_alloc(size_t n)
{
        size_t at = (bootstrap_used + 15) & ~(size_t)15;

        if (at + n > sizeof(bootstrap))
                return NULL;
        bootstrap_used = at + n;
        return bootstrap + at;
}

static void *next(const char *name)
{
        return dlsym(RTLD_NEXT, name);
}

void *malloc(size_t n)
{
        if (!real_malloc)
                real_malloc = (void *(*)(size_t))next("malloc");
        if (is_failing) {
                errno = ENOMEM;
                return NULL;
        }
        return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
        static int is_resolving;

        if (!real_calloc) {
                if (is_resolving)
                        return bootstrap_alloc(n * size); /* static: already zero */
                is_resolving = 1;
                real_calloc = (void *(*)(size_t, size_t))next("calloc");
                is_resolving = 0;
        }
        if (is_failing) {
                errno = ENOMEM;
                return NULL;
        }
        return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
        if (!real_realloc)
                real_realloc = (void *(*)(void *, size_t))next("realloc");
        if (is_failing && n > 0) {
                errno = ENOMEM;
                return NULL;
        }
        return real_realloc(p, n);
}

/* Do the SCM_CREDENTIALS of @m name the uid to fail for? */
static int is_target(const struct msghdr *m)
{
        const char *uid = getenv("ROLED_TEST_ALLOC_FAIL_UID");

        if (!uid)
                return 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)m); cm;
             cm = CMSG_NXTHDR((struct msghdr *)m, cm)) {
                struct ucred cred;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_CREDENTIALS ||
                    cm->cmsg_len != CMSG_LEN(sizeof(cred)))
                        continue;
                memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
                return (long)cred.uid == strtol(uid, NULL, 10);
        }
        return 0;
}

/* @fn's next definition (libc's, or a sanitizer's), looked up once. */
#define REAL(fn)                                                                                   \
        static __typeof__(&fn) real_##fn;                                                          \
        if (!real_##fn)                                                                            \
        real_##fn = (__typeof__(&fn))next(#fn)

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
        const char *count = getenv("ROLED_TEST_ALLOC_FAIL_COUNT");
        ssize_t n;
        REAL(recvmsg);

        n = real_recvmsg(fd, m, flags);
        if (n > 0 && !is_failing && is_target(m) &&
            __atomic_add_fetch(&n_windows, 1, __ATOMIC_SEQ_CST) <= (count ? atoi(count) : 1))
                is_failing = 1;
        return n;
}

/* The thread sends, writes or polls: the rest of its work allocates as usual. */
ssize_t send(int fd, const void *p, size_t n, int flags)
{
        is_failing = 0;
        REAL(send);
        return real_send(fd, p, n, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
        is_failing = 0;
        REAL(sendmsg);
        return real_sendmsg(fd, m, flags);
}

/* (A line of the agent's log, on stderr, is part of the work.) */
ssize_t write(int fd, const void *p, size_t n)
{
        if (fd != STDERR_FILENO)
                is_failing = 0;
        REAL(write);
        return real_write(fd, p, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        is_failing = 0;
        REAL(writev);
        return real_writev(fd, iov, n);
}

int epoll_wait(int fd, struct epoll_event *ev, int n, int timeout)
{
        is_failing = 0;
        REAL(epoll_wait);
        return real_epoll_wait(fd, ev, n, timeout);
}

int epoll_pwait(int fd, struct epoll_event *ev, int n, int timeout, const sigset_t *mask)
{
        is_failing = 0;
        REAL(epoll_pwait);
        return real_epoll_pwait(fd, ev, n, timeout, mask);
}
