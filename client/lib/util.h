/* SPDX-License-Identifier: MIT */
/*
 * util.h - scope-bound cleanup and bounded string copies for libroled and
 * rolectl.  Nothing here allocates or keeps state; the agent has its own
 * copy of the cleanup idiom in agent/util.h, the two sides share no code but
 * proto/.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(func) __attribute__((cleanup(func)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* steal_pointer() - return *ptrp and set it to NULL (hand over a _cleanup_ local). */
#define steal_pointer(ptrp)                          \
        ({                                           \
                __typeof__(*(ptrp)) *_sp_p = (ptrp); \
                __typeof__(*_sp_p) _sp_v = *_sp_p;   \
                *_sp_p = NULL;                       \
                _sp_v;                               \
        })

/* freep() - free(*(void **)p); for _cleanup_free_. */
static inline void freep(void *p)
{
        free(*(void **)p);
}

/* safe_close() - close @fd if >= 0, keeping errno.  Return: -1. */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;

                (void)close(fd);
                errno = saved;
        }
        return -1;
}

/* closep() - safe_close(*fdp); for _cleanup_close_. */
static inline void closep(int *fdp)
{
        *fdp = safe_close(*fdp);
}

/* streq() - are two NUL-terminated strings equal? */
static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

/*
 * copy_strn() - copy @n bytes of @s into @dst[@size] and NUL-terminate.
 * Return: false (and @dst untouched) when it does not fit or holds a NUL byte.
 */
static inline bool copy_strn(char *dst, size_t size, const char *s, size_t n)
{
        if (n >= size || memchr(s, '\0', n))
                return false;
        memcpy(dst, s, n);
        dst[n] = '\0';
        return true;
}
