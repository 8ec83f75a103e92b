/* SPDX-License-Identifier: MIT */
/*
 * harden.c - process hardening (see harden.h), as OpenSSH's ssh-agent does:
 * PR_SET_DUMPABLE 0 both stops core files and stops processes of the same
 * uid from attaching with ptrace or reading /proc/PID/mem, where the signing
 * keys live.  RLIMIT_CORE 0 covers the case where dumpable is reset by exec.
 */
#include "harden.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int harden_process(void)
{
        struct rlimit rl = { 0, 0 };

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;
        if (setrlimit(RLIMIT_CORE, &rl) < 0)
                return -errno;
        umask(077);
        /* Make sure 0, 1 and 2 exist so no socket or key file lands on them. */
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
                        int nfd = open("/dev/null", O_RDWR);

                        if (nfd < 0)
                                return -errno;
                        if (nfd != fd)
                                close(nfd);
                }
        }
        return 0;
}

int harden_raise_nofile(unsigned long *limitp)
{
        struct rlimit rl;
        int r = 0;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        if (rl.rlim_cur < rl.rlim_max) {
                rlim_t old = rl.rlim_cur;

                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                        r = -errno;
                        rl.rlim_cur = old;
                }
        }
        *limitp = rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_cur;
        return r;
}
