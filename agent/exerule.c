/* SPDX-License-Identifier: MIT */
/*
 * exerule.c - exe rule paths resolved to (device, inode) in the agent's
 * mount namespace (see exerule.h).  stat() follows symbolic links, as the
 * kernel does when it executes a path, so a rule naming a link matches the
 * program it leads to.
 */
#include "exerule.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

typedef struct ExeId {
        dev_t dev;
        ino_t ino;
        bool is_resolved;
} ExeId;

struct ExeRules {
        char *const *paths;
        size_t n;
        uint64_t resolved_ns;        /* CLOCK_MONOTONIC_COARSE of the last resolution */
        struct timespec resolved_at; /* CLOCK_REALTIME_COARSE of it, for file times */
        ExeId ids[];
};

/* The coarse clock is read without a system call (vDSO). */
static uint64_t now_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void resolve(ExeRules *rules)
{
        /* Taken before the stat() calls: a file changed meanwhile is looked at again later. */
        (void)clock_gettime(CLOCK_REALTIME_COARSE, &rules->resolved_at);
        for (size_t i = 0; i < rules->n; i++) {
                struct stat st;
                ExeId *e = &rules->ids[i];

                /* Only regular files can be executed; anything else matches nothing. */
                e->is_resolved = stat(rules->paths[i], &st) == 0 && S_ISREG(st.st_mode);
                e->dev = e->is_resolved ? st.st_dev : 0;
                e->ino = e->is_resolved ? st.st_ino : 0;
        }
        rules->resolved_ns = now_ns();
}

int exerule_new(ExeRules **rulesp, char *const *paths, size_t n)
{
        ExeRules *rules = calloc(1, sizeof(*rules) + n * sizeof(rules->ids[0]));

        if (!rules)
                return -ENOMEM;
        rules->paths = paths;
        rules->n = n;
        resolve(rules);
        *rulesp = rules;
        return 0;
}

ExeRules *exerule_free(ExeRules *rules)
{
        free(rules);
        return NULL;
}

static bool find(const ExeRules *rules, dev_t dev, ino_t ino)
{
        for (size_t i = 0; i < rules->n; i++)
                if (rules->ids[i].is_resolved && rules->ids[i].dev == dev &&
                    rules->ids[i].ino == ino)
                        return true;
        return false;
}

static bool is_newer(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

bool exerule_match(ExeRules *rules, dev_t dev, ino_t ino, const struct timespec *ctime)
{
        if (!rules)
                return false;
        if (find(rules, dev, ino))
                return true;
        /* Has a path been given a new file since?  Only worth a look for a file newer than our
         * look. */
        if (!is_newer(ctime, &rules->resolved_at) &&
            now_ns() - rules->resolved_ns < EXERULE_REFRESH_NS)
                return false;
        resolve(rules);
        return find(rules, dev, ino);
}

bool exerule_is_resolved(const ExeRules *rules, size_t i)
{
        return rules && i < rules->n && rules->ids[i].is_resolved;
}
