/* SPDX-License-Identifier: MIT */
/*
 * fuzz-token.c - libFuzzer target for session tokens (proto/token.c).  Every
 * input is parsed and verified against a fixed key; whatever parses is
 * re-encoded with that key and must then verify to the same claims.
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz key: Ed25519 from an all-zero seed (the seed corpus is signed with it). */
static TokenPublicKey pub;
static uint8_t sk[crypto_sign_SECRETKEYBYTES];

static void init(void)
{
        static int done;
        uint8_t seed[crypto_sign_SEEDBYTES] = { 0 };

        if (done)
                return;
        if (sodium_init() < 0)
                abort();
        crypto_sign_seed_keypair(pub.pk, sk, seed);
        token_key_id(pub.pk, pub.id);
        pub.not_after = 0;
        done = 1;
}

static int str_same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        TokenClaims c = TOKEN_CLAIMS_INIT, v = TOKEN_CLAIMS_INIT;
        uint8_t id[TOKEN_KEY_ID_SIZE];
        char *tok = NULL;
        int r;

        init();
        r = token_verify((const char *)data, size, &pub, 1, 1700000000, NULL);
        if (r < 0 && r != -ENOMEM)
                abort();
        if (token_parse((const char *)data, size, &c, id) != 0)
                return 0;
        /* Anything that parses re-encodes, and verifies to the same claims. */
        if (token_encode(&c, pub.id, sk, &tok) != 0)
                abort();
        if (token_verify(tok, strlen(tok), &pub, 1, c.issued, &v) != 0 && c.expires > c.issued)
                abort();
        if (v.akid && (!str_same(c.akid, v.akid) || !str_same(c.role, v.role) ||
                       !str_same(c.exe, v.exe) || !str_same(c.source_role, v.source_role) ||
                       c.uid != v.uid || c.expires != v.expires || c.has_policy != v.has_policy))
                abort();
        token_claims_deinit(&v);
        token_claims_deinit(&c);
        free(tok);
        return 0;
}
