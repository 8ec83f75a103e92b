/* SPDX-License-Identifier: MIT */
/*
 * nss-gate.c - an LD_PRELOAD library for tests: getpwnam_r() and
 * getgrnam_r() of a name starting with "roled-slow-" block until a file of
 * that name exists in $ROLED_TEST_NSS_GATE (a folder), then answer "no such
 * entry", as a directory service that hangs and then finds nothing would.
 * Every other name goes to the real function.  It lets a test hold an NSS
 * lookup for as long as it likes and see whether the agent still serves.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOW_PREFIX "roled-slow-"

/* Wait (up to a minute) for the gate of @name; Return: true when it was a gated name. */
static int gated(const char *name)
{
        const char *dir = getenv("ROLED_TEST_NSS_GATE");
        char path[PATH_MAX];

        if (!dir || strncmp(name, SLOW_PREFIX, strlen(SLOW_PREFIX)) != 0)
                return 0;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        for (int i = 0; i < 6000 && access(path, F_OK) < 0; i++)
                usleep(10 * 1000);
        return 1;
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size, struct passwd **result)
{
        int (*real)(const char *, struct passwd *, char *, size_t, struct passwd **) =
                (int (*)(const char *, struct passwd *, char *, size_t, struct passwd **))dlsym(
                        RTLD_NEXT, "getpwnam_r");

        if (gated(name)) {
                *result = NULL;
                return 0;
        }
        return real(name, pw, buf, size, result);
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t size, struct group **result)
{
        int (*real)(const char *, struct group *, char *, size_t, struct group **) =
                (int (*)(const char *, struct group *, char *, size_t, struct group **))dlsym(
                        RTLD_NEXT, "getgrnam_r");

        if (gated(name)) {
                *result = NULL;
                return 0;
        }
        return real(name, gr, buf, size, result);
}
