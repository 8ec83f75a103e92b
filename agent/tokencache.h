/* SPDX-License-Identifier: MIT */
/*
 * tokencache.h - verified session tokens, so Authorize pays for an Ed25519
 * verification and for building the session's attested context once per
 * token rather than once per decision.
 *
 * A direct-mapped table of a fixed number of slots keyed by a 128-bit
 * BLAKE2b digest of the token: bounded memory whatever callers send, no
 * allocation on a hit.  Expiry and revocation are checked by the caller on
 * every use; the cache only remembers that the signature was good.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "token.h"

#define TOKENCACHE_SLOTS 4096

typedef struct TokenCache TokenCache;

/* What is remembered about one verified token. */
typedef struct TokenEntry {
        TokenClaims claims;
        PolicyContext *ctx; /* the session's attested context, built on first use; owned */
        int64_t ctx_second; /* the second ctx's time keys describe (-1: none yet) */
} TokenEntry;

int tokencache_new(TokenCache **cachep);
TokenCache *tokencache_free(TokenCache *cache);

/* tokencache_digest() - the cache key of a token. */
void tokencache_digest(const char *token, size_t len, uint8_t digest[16]);

/* tokencache_get() - the entry cached for @digest, or NULL (borrowed until the next put). */
TokenEntry *tokencache_get(TokenCache *cache, const uint8_t digest[16]);

/*
 * tokencache_put() - remember verified @claims (taken: *@claims is reset) for @digest,
 * evicting whatever shared its slot.  Return: the new entry.
 */
TokenEntry *tokencache_put(TokenCache *cache, const uint8_t digest[16], TokenClaims *claims);

/* tokencache_clear() - forget everything (key rotation, configuration reload). */
void tokencache_clear(TokenCache *cache);
