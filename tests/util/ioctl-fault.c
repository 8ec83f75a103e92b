/* SPDX-License-Identifier: MIT */
/*
 * ioctl-fault.c - an LD_PRELOAD library for tests: the first
 * ioctl(SIOCINQ) in the process after the file $ROLED_TEST_SIOCINQ_TRIGGER
 * exists fails with EIO, once.  Every other call goes to the real function.
 * It lets a test make the agent fail to read one connection's queue at a
 * moment it chooses (conn_count_early() at a reload).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int n_failed;

int ioctl(int fd, unsigned long req, ...)
{
        int (*real)(int, unsigned long, ...) =
                (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
        const char *trigger = getenv("ROLED_TEST_SIOCINQ_TRIGGER");
        va_list ap;
        void *arg;

        va_start(ap, req);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (req == SIOCINQ && trigger && access(trigger, F_OK) == 0 &&
            __atomic_add_fetch(&n_failed, 1, __ATOMIC_SEQ_CST) == 1) {
                errno = EIO;
                return -1;
        }
        return real(fd, req, arg);
}
