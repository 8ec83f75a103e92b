/* SPDX-License-Identifier: MIT */
/*
 * tokencache.c - verified-token cache (see tokencache.h).
 */
#include "tokencache.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct Slot {
        bool is_used;
        uint8_t digest[16];
        TokenEntry entry;
} Slot;

struct TokenCache {
        Slot slots[TOKENCACHE_SLOTS];
};

int tokencache_new(TokenCache **cachep)
{
        *cachep = calloc(1, sizeof(**cachep));
        return *cachep ? 0 : -ENOMEM;
}

static void slot_clear(Slot *s)
{
        if (!s->is_used)
                return;
        token_claims_deinit(&s->entry.claims);
        s->entry.ctx = policy_context_free(s->entry.ctx);
        s->is_used = false;
}

void tokencache_clear(TokenCache *cache)
{
        for (size_t i = 0; i < TOKENCACHE_SLOTS; i++)
                slot_clear(&cache->slots[i]);
}

TokenCache *tokencache_free(TokenCache *cache)
{
        if (!cache)
                return NULL;
        tokencache_clear(cache);
        free(cache);
        return NULL;
}

void tokencache_digest(const char *token, size_t len, uint8_t digest[16])
{
        crypto_generichash(digest, 16, (const uint8_t *)token, len, NULL, 0);
}

static Slot *slot_for(TokenCache *cache, const uint8_t digest[16])
{
        uint32_t i;

        memcpy(&i, digest, sizeof(i));
        return &cache->slots[i % TOKENCACHE_SLOTS];
}

TokenEntry *tokencache_get(TokenCache *cache, const uint8_t digest[16])
{
        Slot *s = slot_for(cache, digest);

        return s->is_used && sodium_memcmp(s->digest, digest, 16) == 0 ? &s->entry : NULL;
}

TokenEntry *tokencache_put(TokenCache *cache, const uint8_t digest[16], TokenClaims *claims)
{
        Slot *s = slot_for(cache, digest);

        slot_clear(s);
        memcpy(s->digest, digest, 16);
        s->entry = (TokenEntry){ .claims = *claims, .ctx_second = -1 };
        *claims = (TokenClaims)TOKEN_CLAIMS_INIT;
        s->is_used = true;
        return &s->entry;
}
