/* SPDX-License-Identifier: MIT */
/*
 * namecache.h - user and group names by id, remembered for a few seconds so
 * that a fresh connection of a uid seen lately needs no NSS lookup (which
 * reads /etc/passwd and /etc/group, or asks a directory service, and so
 * cannot run on the loop).  A direct-mapped table: bounded, no eviction
 * logic, a collision simply replaces the older entry.  Loop thread only.
 *
 * Names change rarely, and only the names come from here: uids, gids and
 * group membership always come from the kernel, per connection.  A name
 * change shows after at most NAMECACHE_TTL_MS, or at once on reload.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "identity.h"

#define NAMECACHE_TTL_MS 10000
#define NAMECACHE_SLOTS 1024 /* a power of two; about 80 KiB */

enum {
        NAMECACHE_E_MISS = 1, /* some name is not cached (or too old): resolve through NSS */
};

typedef struct NameCache NameCache;

/* namecache_new() - an empty cache.  Return: 0 or -ENOMEM. */
int namecache_new(NameCache **cp);
NameCache *namecache_free(NameCache *c);

/* namecache_clear() - forget every name (configuration reload). */
void namecache_clear(NameCache *c);

/*
 * namecache_fill() - set @id's user, group and supplementary group names
 * from entries younger than NAMECACHE_TTL_MS at @now_ms.
 * Return: 0 when every one was there; NAMECACHE_E_MISS (then @id's names
 *         are as before: resolve them all through NSS); -ENOMEM.
 */
int namecache_fill(NameCache *c, Identity *id, uint64_t now_ms);

/* namecache_learn() - remember the names @id was given through NSS, as of @now_ms. */
void namecache_learn(NameCache *c, const Identity *id, uint64_t now_ms);
