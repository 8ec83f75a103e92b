/* SPDX-License-Identifier: MIT */
/*
 * tokencache.h - verified session tokens, so Authorize pays for an Ed25519
 * verification once per token rather than once per decision.
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

#include "token.h"

#define TOKENCACHE_SLOTS 4096

typedef struct TokenCache TokenCache;

int tokencache_new(TokenCache **cachep);
TokenCache *tokencache_free(TokenCache *cache);

/* tokencache_digest() - the cache key of a token. */
void tokencache_digest(const char *token, size_t len, uint8_t digest[16]);

/* tokencache_get() - the claims cached for @digest, or NULL (borrowed until the next put). */
const TokenClaims *tokencache_get(const TokenCache *cache, const uint8_t digest[16]);

/*
 * tokencache_put() - remember verified @claims (taken: *@claims is reset) for @digest,
 * evicting whatever shared its slot.  Return: the cached claims.
 */
const TokenClaims *tokencache_put(TokenCache *cache, const uint8_t digest[16], TokenClaims *claims);

/* tokencache_clear() - forget everything (key rotation, revocation sweeps). */
void tokencache_clear(TokenCache *cache);
