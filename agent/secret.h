/* SPDX-License-Identifier: MIT */
/*
 * secret.h - Secret: a fixed-size buffer for key material in sodium_malloc memory.
 *
 * The pages are guarded, kept out of core dumps and swap where the kernel
 * allows, and wiped when freed.  Secrets are meant for long-lived keys (each
 * costs a few pages); per-session credentials use ordinary memory that is
 * wiped on release instead (issuer_local.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct Secret {
        size_t len;
        uint8_t data[]; /* @len bytes */
} Secret;

/*
 * secret_new() - allocate a zero-filled secret of @len bytes.
 * @sp:  on success, the new Secret (the caller frees it with secret_free())
 * @len: size in bytes, at least 1
 *
 * Return: 0, -EINVAL (@len is 0) or -ENOMEM.
 */
int secret_new(Secret **sp, size_t len);

/* secret_free() - wipe and free @s (NULL is fine).  Return: NULL. */
Secret *secret_free(Secret *s);

/*
 * secret_readonly() - make @s read-only (writes fault) for good; secret_free()
 * still wipes and frees it.  Return: 0 or -errno from mprotect().
 */
int secret_readonly(Secret *s);

DEFINE_TRIVIAL_CLEANUP_FUNC(Secret, secret_free);
