/* SPDX-License-Identifier: MIT */
/*
 * verify.c - roled_verify_token(): offline session-token verification.
 *
 * The agent's public keys come from GetPublicKeys once and are cached in the
 * client for CLIENT_KEYS_TTL seconds (fetched again at once when a token names
 * a key we do not have, which is what a rotation looks like).  The token format
 * and the signature check are proto/token.c's; this file only feeds it keys and
 * turns its answers into roled_status.  libsodium is initialised here, lazily,
 * and nowhere else in libroled.
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

/* fetch_keys() - GetPublicKeys into c->keys; the caller holds c->lock. */
static roled_status fetch_keys(roled_client *c, time_t now)
{
        const msgpack_object *arr;
        ClientReply rep;
        roled_status st;
        size_t n = 0;

        st = client_call(c, "GetPublicKeys", NULL, NULL, false, &rep);
        if (st != ROLED_OK)
                return st;
        arr = proto_get(rep.msg.result, "keys");
        if (!arr || arr->type != MSGPACK_OBJECT_ARRAY) {
                client_set_error(c, "roled sent a bad 'keys' field");
                st = ROLED_E_PROTOCOL;
                goto done;
        }
        for (uint32_t i = 0; i < arr->via.array.size && n < CLIENT_KEYS_MAX; i++) {
                const msgpack_object *k = &arr->via.array.ptr[i];
                const uint8_t *pk;
                size_t pk_len;
                uint64_t not_after = 0;

                if (proto_get_bin(k, "publicKey", TOKEN_PUBLIC_KEY_SIZE, &pk, &pk_len) != 0 ||
                    pk_len != TOKEN_PUBLIC_KEY_SIZE ||
                    (proto_get(k, "notAfter") && proto_get_uint(k, "notAfter", &not_after) != 0) ||
                    not_after > INT64_MAX) {
                        client_set_error(c, "roled sent a bad public key");
                        st = ROLED_E_PROTOCOL;
                        goto done;
                }
                memcpy(c->keys[n].pk, pk, TOKEN_PUBLIC_KEY_SIZE);
                /* The key id is derived, not taken from the wire, so it always matches the key. */
                token_key_id(c->keys[n].pk, c->keys[n].id);
                c->keys[n].not_after = (int64_t)not_after;
                n++;
        }
        c->n_keys = n;
        c->keys_fetched = now;
done:
        client_reply_done(c, &rep);
        return st;
}

static void copy_claim(char *dst, size_t size, const char *s)
{
        snprintf(dst, size, "%s", s ? s : "");
}

ROLED_EXPORT roled_status roled_verify_token(roled_client *client, const char *token,
                                             roled_token_claims *claims)
{
        TokenClaims tc = TOKEN_CLAIMS_INIT;
        time_t now = time(NULL);
        bool is_refetched = false;
        roled_status st;
        size_t len;
        int r;

        if (!client || !token || !claims)
                return ROLED_E_INVALID_ARGUMENT;
        len = strnlen(token, PROTO_TOKEN_MAX + 1);
        if (len > PROTO_TOKEN_MAX) {
                client_set_error(client, "token longer than %d bytes", PROTO_TOKEN_MAX);
                return ROLED_E_INVALID_TOKEN;
        }
        pthread_once(&sodium_once, init_sodium);
        if (sodium_status < 0)
                return ROLED_E_INTERNAL;
        pthread_mutex_lock(&client->lock);
        client_clear_error(client);
        if (client->keys_fetched == 0 || now - client->keys_fetched >= CLIENT_KEYS_TTL) {
                st = fetch_keys(client, now);
                if (st != ROLED_OK)
                        goto out;
                is_refetched = true;
        }
        r = token_verify(token, len, client->keys, client->n_keys, now, &tc);
        if (r == TOKEN_E_UNKNOWN_KEY && !is_refetched) {
                /* The agent may have rotated its key since we fetched. */
                st = fetch_keys(client, now);
                if (st != ROLED_OK)
                        goto out;
                r = token_verify(token, len, client->keys, client->n_keys, now, &tc);
        }
        switch (r) {
        case 0:
                memset(claims, 0, sizeof(*claims));
                copy_claim(claims->access_key_id, sizeof(claims->access_key_id), tc.akid);
                copy_claim(claims->session_id, sizeof(claims->session_id), tc.sid);
                copy_claim(claims->role, sizeof(claims->role), tc.role);
                copy_claim(claims->role_arn, sizeof(claims->role_arn), tc.arn);
                copy_claim(claims->user, sizeof(claims->user), tc.user);
                copy_claim(claims->exe, sizeof(claims->exe), tc.exe);
                copy_claim(claims->unit, sizeof(claims->unit), tc.unit);
                copy_claim(claims->source_role, sizeof(claims->source_role), tc.source_role);
                claims->uid = tc.uid;
                claims->gid = tc.gid;
                claims->issued = (time_t)tc.issued;
                claims->expires = (time_t)tc.expires;
                claims->has_policy = tc.has_policy;
                memcpy(claims->policy_sha256, tc.policy_digest, sizeof(claims->policy_sha256));
                st = ROLED_OK;
                break;
        case TOKEN_E_EXPIRED:
                client_set_error(client, "the session token has expired");
                st = ROLED_E_EXPIRED_TOKEN;
                break;
        case TOKEN_E_UNKNOWN_KEY:
                client_set_error(client, "the token is signed by a key the agent does not trust");
                st = ROLED_E_BAD_SIGNATURE;
                break;
        case TOKEN_E_BAD_SIGNATURE:
                client_set_error(client, "the token signature does not verify");
                st = ROLED_E_BAD_SIGNATURE;
                break;
        case TOKEN_E_MALFORMED:
                client_set_error(client, "not a roled session token");
                st = ROLED_E_INVALID_TOKEN;
                break;
        default:
                st = r == -ENOMEM ? ROLED_E_NOMEM : ROLED_E_INTERNAL;
                break;
        }
out:
        token_claims_deinit(&tc);
        pthread_mutex_unlock(&client->lock);
        return st;
}
