/* SPDX-License-Identifier: MIT */
/*
 * util.h - the one cleanup idiom and the few macros every side of roled uses
 * (agent, policy engine, libroled, rolectl): scope-bound cleanup
 * (_cleanup_free_, _cleanup_close_, _cleanup_fclose_, DEFINE_TRIVIAL_CLEANUP_FUNC),
 * steal_pointer()/steal_fd(), streq() and copy_strn(). Nothing here allocates
 * or keeps state; logging and errors stay with each side.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run func(&var) when var leaves scope; func must accept a pointer to NULL/-1. */
#define _cleanup_(func) __attribute__((cleanup(func)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Number of elements of a true array (not a pointer). */
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/*
 * steal_pointer() - return *ptrp and set *ptrp to NULL, so a _cleanup_ local
 * hands its value over instead of freeing it: `*connp = steal_pointer(&c);`.
 */
#define steal_pointer(ptrp)                                                                        \
        ({                                                                                         \
                __typeof__(*(ptrp)) *_sp_p = (ptrp);                                               \
                __typeof__(*_sp_p) _sp_v = *_sp_p;                                                 \
                *_sp_p = NULL;                                                                     \
                _sp_v;                                                                             \
        })

/* steal_fd() - return *fdp and set it to -1; the fd counterpart of steal_pointer(). */
static inline int steal_fd(int *fdp)
{
        int fd = *fdp;

        *fdp = -1;
        return fd;
}

/* freep() - free(*(void **)p); for _cleanup_free_. */
static inline void freep(void *p)
{
        free(*(void **)p);
}

/*
 * safe_close() - close fd if it is >= 0, keeping errno intact.
 * Return: always -1, so `x->fd = safe_close(x->fd);` leaves nothing dangling.
 */
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

/* fclosep() - fclose(*fp) if non-NULL; for _cleanup_fclose_. */
static inline void fclosep(FILE **fp)
{
        if (*fp)
                (void)fclose(*fp);
        *fp = NULL;
}

/*
 * Define func##p(Type **p) calling func(*p) for a destructor `Type *func(Type *)`,
 * e.g. DEFINE_TRIVIAL_CLEANUP_FUNC(Config, config_free) gives config_freep().
 */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type **p)                                                       \
        {                                                                                          \
                if (*p)                                                                            \
                        *p = func(*p);                                                             \
        }

/* streq() - are two NUL-terminated strings equal? Neither may be NULL. */
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
