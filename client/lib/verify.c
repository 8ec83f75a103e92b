/* SPDX-License-Identifier: MIT */
/*
 * verify.c - roled_verify_token(): offline session-token verification, and
 * the roled_token_claims object.
 *
 * The agent's public keys come from GetPublicKeys and are kept under
 * c->keys_lock.  The first verification waits for them; afterwards a
 * verification copies the keys out under the lock and checks the token
 * without it.  Keys older than CLIENT_KEYS_TTL are fetched again in the
 * background (an internal call, finished by whichever thread reads its
 * answer) while the known keys keep verifying; only a token naming a key we
 * do not have (a rotation) waits for a fresh set.  The token format and the
 * signature check are proto/token.c's.  libsodium is initialised here,
 * lazily, and nowhere else in libroled.
 */
#include "client.h"

#include <sodium.h>
#include <stdio.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void init_sodium(void)
{
        sodium_status = sodium_init();
}

/* ---- roled_token_claims ---- */

struct roled_token_claims {
        ResultHead h;
        TokenClaims tc;
};

static void claims_destroy(void *obj)
{
        token_claims_deinit(&((roled_token_claims *)obj)->tc);
}

roled_token_claims *token_claims_new(TokenClaims *tc)
{
        roled_token_claims *c = result_alloc(sizeof(*c), claims_destroy);

        if (!c)
                return NULL;
        c->tc = *tc;
        *tc = (TokenClaims)TOKEN_CLAIMS_INIT;
        return c;
}

RESULT_REFS(token_claims)

#define CLAIM_STR(name, field)                                                                     \
        ROLED_EXPORT const char *roled_token_claims_##name(const roled_token_claims *c)            \
        {                                                                                          \
                return c && c->tc.field ? c->tc.field : "";                                        \
        }
CLAIM_STR(access_key_id, akid)
CLAIM_STR(session_id, sid)
CLAIM_STR(role, role)
CLAIM_STR(role_arn, arn)
CLAIM_STR(user, user)
CLAIM_STR(exe, exe)
CLAIM_STR(unit, unit)
CLAIM_STR(source_role, source_role)

ROLED_EXPORT uint32_t roled_token_claims_uid(const roled_token_claims *c)
{
        return c ? c->tc.uid : 0;
}

ROLED_EXPORT uint32_t roled_token_claims_gid(const roled_token_claims *c)
{
        return c ? c->tc.gid : 0;
}

ROLED_EXPORT time_t roled_token_claims_issued(const roled_token_claims *c)
{
        return c ? (time_t)c->tc.issued : 0;
}

ROLED_EXPORT time_t roled_token_claims_expires(const roled_token_claims *c)
{
        return c ? (time_t)c->tc.expires : 0;
}

ROLED_EXPORT const uint8_t *roled_token_claims_policy_sha256(const roled_token_claims *c)
{
        return c && c->tc.has_policy ? c->tc.policy_digest : NULL;
}

/* ---- keys ---- */

typedef struct KeySet {
        TokenPublicKey keys[CLIENT_KEYS_MAX];
        size_t n;
} KeySet;

static roled_status read_keys(const void *reply, void *arg, roled_error *err)
{
        const ProtoGetPublicKeysRep *rep = reply;
        KeySet *ks = arg;

        ks->n = 0;
        for (size_t i = 0; i < rep->keys.n && ks->n < CLIENT_KEYS_MAX; i++) {
                const ProtoPublicKey *k = &rep->keys.items[i];
                TokenPublicKey *key = &ks->keys[ks->n];

                if (k->public_key.len != TOKEN_PUBLIC_KEY_SIZE || k->not_after > INT64_MAX)
                        return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad public key");
                memcpy(key->pk, k->public_key.ptr, TOKEN_PUBLIC_KEY_SIZE);
                /* The key id is derived, not taken from the wire, so it always matches the key. */
                token_key_id(key->pk, key->id);
                key->not_after = (int64_t)k->not_after;
                ks->n++;
        }
        return ROLED_OK;
}

static void keys_store(roled_client *c, const KeySet *ks)
{
        pthread_mutex_lock(&c->keys_lock);
        memcpy(c->keys, ks->keys, sizeof(ks->keys[0]) * ks->n);
        c->n_keys = ks->n;
        c->keys_fetched = time(NULL);
        pthread_mutex_unlock(&c->keys_lock);
}

/* fetch_keys() - GetPublicKeys, waiting for the answer. */
static roled_status fetch_keys(roled_client *c, int64_t start, roled_error *err)
{
        KeySet ks = { .n = 0 };
        roled_status st;
        Op *op = op_new(c, OP_BLOCKING, PROTO_M_GET_PUBLIC_KEYS, NULL, NULL);

        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_read(c, op, start, read_keys, &ks, err);
        if (st == ROLED_OK)
                keys_store(c, &ks);
        return st;
}

/* Runs under c->io in whichever thread read the answer: takes only keys_lock. */
static void background_keys_done(roled_client *c, Op *op)
{
        const void *rep = NULL;
        KeySet ks = { .n = 0 };

        if (io_reply(op, &rep, NULL) == ROLED_OK && read_keys(rep, &ks, NULL) == ROLED_OK)
                keys_store(c, &ks);
        pthread_mutex_lock(&c->keys_lock);
        c->is_keys_fetching = false;
        pthread_mutex_unlock(&c->keys_lock);
}

/* fetch_keys_background() - start GetPublicKeys unless one is in flight; the known keys stay in
 * use. */
static void fetch_keys_background(roled_client *c)
{
        Op *op;

        pthread_mutex_lock(&c->keys_lock);
        if (c->is_keys_fetching) {
                pthread_mutex_unlock(&c->keys_lock);
                return;
        }
        c->is_keys_fetching = true;
        pthread_mutex_unlock(&c->keys_lock);
        op = op_new(c, OP_INTERNAL, PROTO_M_GET_PUBLIC_KEYS, NULL, NULL);
        if (!op) {
                pthread_mutex_lock(&c->keys_lock);
                c->is_keys_fetching = false;
                pthread_mutex_unlock(&c->keys_lock);
                return;
        }
        op->on_done = background_keys_done;
        (void)io_start_async(c, op, NULL);
}

/* verify() - check @token against the keys we hold now.  Return: a token_verify() code. */
static int verify(roled_client *c, const char *token, size_t len, time_t now, TokenClaims *tc,
                  bool *is_stalep, bool *has_keysp)
{
        KeySet ks;

        pthread_mutex_lock(&c->keys_lock);
        memcpy(ks.keys, c->keys, sizeof(c->keys[0]) * c->n_keys);
        ks.n = c->n_keys;
        *has_keysp = c->keys_fetched != 0;
        *is_stalep = c->keys_fetched != 0 && now - c->keys_fetched >= CLIENT_KEYS_TTL;
        pthread_mutex_unlock(&c->keys_lock);
        if (!*has_keysp)
                return TOKEN_E_UNKNOWN_KEY;
        return token_verify(token, len, ks.keys, ks.n, now, tc);
}

ROLED_EXPORT roled_status roled_verify_token(roled_client *client, const char *token,
                                             roled_token_claims **claimsp, roled_error *err)
{
        int64_t start = client_now_ms();
        TokenClaims tc = TOKEN_CLAIMS_INIT;
        time_t now = time(NULL);
        bool is_stale, has_keys;
        roled_status st;
        size_t len;
        int r;

        if (claimsp)
                *claimsp = NULL;
        if ((st = client_check(client, err)))
                return st;
        if (!token || !claimsp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_verify_token(): needs a token");
        len = strnlen(token, PROTO_TOKEN_MAX + 1);
        if (len > PROTO_TOKEN_MAX)
                return error_set(err, ROLED_E_INVALID_TOKEN, "token longer than %d bytes",
                                 PROTO_TOKEN_MAX);
        pthread_once(&sodium_once, init_sodium);
        if (sodium_status < 0)
                return error_set(err, ROLED_E_INTERNAL, "libsodium failed to initialise");
        /* Take any background answer that has arrived, without waiting. */
        io_pump(client);
        r = verify(client, token, len, now, &tc, &is_stale, &has_keys);
        if (r == TOKEN_E_UNKNOWN_KEY) {
                /* First use, or the agent rotated its key since we fetched: this one waits. */
                st = fetch_keys(client, start, err);
                if (st != ROLED_OK)
                        return st;
                r = verify(client, token, len, now, &tc, &is_stale, &has_keys);
        } else if (is_stale) {
                fetch_keys_background(client);
        }
        switch (r) {
        case 0:
                *claimsp = token_claims_new(&tc);
                if (!*claimsp) {
                        token_claims_deinit(&tc);
                        return error_set(err, ROLED_E_NOMEM, "out of memory");
                }
                return ROLED_OK;
        case TOKEN_E_EXPIRED:
                st = error_set(err, ROLED_E_EXPIRED_TOKEN, "the session token has expired");
                break;
        case TOKEN_E_UNKNOWN_KEY:
                st = error_set(err, ROLED_E_BAD_SIGNATURE,
                               "the token is signed by a key the agent does not trust");
                break;
        case TOKEN_E_BAD_SIGNATURE:
                st = error_set(err, ROLED_E_BAD_SIGNATURE, "the token signature does not verify");
                break;
        case TOKEN_E_MALFORMED:
                st = error_set(err, ROLED_E_INVALID_TOKEN, "not a roled session token");
                break;
        default:
                st = r == -ENOMEM ? error_set(err, ROLED_E_NOMEM, "out of memory")
                                  : error_set(err, ROLED_E_INTERNAL,
                                              "token verification failed (%d)", r);
                break;
        }
        token_claims_deinit(&tc);
        return st;
}
