/* SPDX-License-Identifier: MIT */
/*
 * secret.c - Secret buffers on libsodium's guarded heap (see secret.h).
 *
 * The length lives in the same guarded allocation as the bytes, so one
 * sodium_malloc() per secret; sodium_free() zeroes the region before release.
 */
#include "secret.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

int secret_new(Secret **sp, size_t len)
{
        Secret *s;

        if (len == 0)
                return -EINVAL;
        if (len > SIZE_MAX - sizeof(Secret))
                return -ENOMEM;
        s = sodium_malloc(sizeof(Secret) + len);
        if (!s)
                return -ENOMEM;
        /* sodium_malloc() fills with garbage on purpose; start from zeros. */
        sodium_memzero(s, sizeof(Secret) + len);
        s->len = len;
        *sp = s;
        return 0;
}

Secret *secret_free(Secret *s)
{
        if (s)
                sodium_free(s);
        return NULL;
}

int secret_readonly(Secret *s)
{
        return sodium_mprotect_readonly(s) == 0 ? 0 : -errno;
}
