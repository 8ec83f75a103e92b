/* SPDX-License-Identifier: MIT */
/*
 * creds.c - GetCredentials and AssumeRole, and libroled's in-process cache.
 *
 * The cache is keyed by (role or default, duration, session policy) and serves
 * a credential set while now < expiration - margin, with the agent's rule for
 * the margin (refresh_margin() in base/refresh.h), so a service may call
 * roled_get_credentials() on every request.  Cached secrets are wiped when
 * replaced, evicted or when the client closes.  Transport is client.c's.
 */
#include "client.h"
#include "civil.h"
#include "refresh.h"

#include <sodium.h>
#include <stdio.h>

ROLED_EXPORT void roled_credentials_clear(roled_credentials *creds)
{
        if (!creds)
                return;
        if (creds->session_token) {
                sodium_memzero(creds->session_token, strlen(creds->session_token));
                free(creds->session_token);
        }
        sodium_memzero(creds, sizeof(*creds));
}

static int creds_copy(roled_credentials *dst, const roled_credentials *src)
{
        char *tok = strdup(src->session_token);

        if (!tok)
                return -ENOMEM;
        memcpy(dst, src, sizeof(*dst));
        dst->session_token = tok;
        return 0;
}

/* decode() - the credential map of a GetCredentials/AssumeRole result into @cr (cleared on failure). */
static roled_status decode(roled_client *c, const msgpack_object *m, roled_credentials *cr)
{
        const char *tok;
        size_t tok_len;
        uint64_t exp;
        roled_status st;

        memset(cr, 0, sizeof(*cr));
        if ((st = result_str(c, m, "accessKeyId", cr->access_key_id, sizeof(cr->access_key_id))) ||
            (st = result_str(c, m, "secretAccessKey", cr->secret_access_key,
                             sizeof(cr->secret_access_key))) ||
            (st = result_str_opt(c, m, "expirationIso", cr->expiration_iso,
                                 sizeof(cr->expiration_iso))) ||
            (st = result_str_opt(c, m, "role", cr->role, sizeof(cr->role))) ||
            (st = result_str_opt(c, m, "roleArn", cr->role_arn, sizeof(cr->role_arn))) ||
            (st = result_str_opt(c, m, "assumedRoleArn", cr->assumed_role_arn,
                                 sizeof(cr->assumed_role_arn))) ||
            (st = result_str_opt(c, m, "sessionId", cr->session_id, sizeof(cr->session_id))) ||
            (st = result_str_opt(c, m, "issuer", cr->issuer, sizeof(cr->issuer))))
                goto fail;
        if (proto_get_uint(m, "expiration", &exp) != 0 || exp > CIVIL_ISO8601_MAX) {
                client_set_error(c, "roled sent a bad 'expiration' field");
                st = ROLED_E_PROTOCOL;
                goto fail;
        }
        cr->expiration = (time_t)exp;
        if (!cr->expiration_iso[0])
                (void)civil_format_iso8601(cr->expiration, cr->expiration_iso);
        if (proto_get_str(m, "sessionToken", PROTO_TOKEN_MAX, &tok, &tok_len) != 0 ||
            memchr(tok, '\0', tok_len)) {
                client_set_error(c, "roled sent a bad 'sessionToken' field");
                st = ROLED_E_PROTOCOL;
                goto fail;
        }
        cr->session_token = strndup(tok, tok_len);
        if (!cr->session_token) {
                st = ROLED_E_NOMEM;
                goto fail;
        }
        return ROLED_OK;
fail:
        roled_credentials_clear(cr);
        return st;
}

typedef struct CredsParams {
        const char *method;
        const char *role;
        uint32_t duration_seconds;
        const char *policy;
        const char *session_name;
        const char *token;
} CredsParams;

static void pack_params(ProtoBuf *b, const void *arg)
{
        const CredsParams *p = arg;
        uint32_t n = !!p->role + !!p->duration_seconds + !!p->policy + !!p->session_name + !!p->token;

        msgpack_pack_map(&b->pk, n);
        if (p->role)
                proto_pack_kv_str(b, "role", p->role);
        if (p->duration_seconds)
                proto_pack_kv_uint(b, "durationSeconds", p->duration_seconds);
        if (p->policy)
                proto_pack_kv_str(b, "policy", p->policy);
        if (p->session_name)
                proto_pack_kv_str(b, "sessionName", p->session_name);
        if (p->token)
                proto_pack_kv_str(b, "sessionToken", p->token);
}

/* fetch() - one GetCredentials/AssumeRole call; the caller holds c->lock. */
static roled_status fetch(roled_client *c, const CredsParams *p, roled_credentials *creds)
{
        ClientReply rep;
        roled_status st;

        /* A session token or policy in the request is wiped with the request buffer. */
        st = client_call(c, p->method, pack_params, p, p->token || p->policy, &rep);
        if (st != ROLED_OK)
                return st;
        st = decode(c, rep.msg.result, creds);
        client_reply_done(c, &rep);
        return st;
}

static bool key_eq(const CacheEntry *e, const char *role, uint32_t duration, const char *policy)
{
        return e->duration_seconds == duration && streq(e->role, role ? role : "") &&
               (e->policy ? policy && streq(e->policy, policy) : !policy);
}

static void entry_clear(CacheEntry *e)
{
        free(e->role);
        free(e->policy);
        roled_credentials_clear(&e->creds);
        memset(e, 0, sizeof(*e));
}

void creds_cache_clear(roled_client *c)
{
        for (size_t i = 0; i < c->n_cache; i++)
                entry_clear(&c->cache[i]);
        c->n_cache = 0;
}

/* store() - remember @creds under the key; failure to cache is not an error for the caller. */
static void store(roled_client *c, const roled_request *req, const roled_credentials *creds,
                  time_t now)
{
        const char *role = req->role ? req->role : "";
        time_t lifetime = req->duration_seconds ? req->duration_seconds : PROTO_DURATION_DEFAULT;
        CacheEntry e = { 0 }, *slot = NULL;

        /* An agent-side session may have been minted longer than we asked for (role maximum). */
        if (creds->expiration - now > lifetime)
                lifetime = creds->expiration - now;
        e.duration_seconds = req->duration_seconds;
        e.refresh_at = creds->expiration - (time_t)refresh_margin(lifetime);
        e.role = strdup(role);
        e.policy = req->session_policy ? strdup(req->session_policy) : NULL;
        if (!e.role || (req->session_policy && !e.policy) || creds_copy(&e.creds, creds) < 0) {
                entry_clear(&e);
                return;
        }
        for (size_t i = 0; i < c->n_cache && !slot; i++)
                if (key_eq(&c->cache[i], req->role, req->duration_seconds, req->session_policy))
                        slot = &c->cache[i];
        if (!slot && c->n_cache < CLIENT_CACHE_MAX)
                slot = &c->cache[c->n_cache++];
        if (!slot) {
                /* Full: evict the entry that would be refreshed first. */
                slot = &c->cache[0];
                for (size_t i = 1; i < c->n_cache; i++)
                        if (c->cache[i].refresh_at < slot->refresh_at)
                                slot = &c->cache[i];
        }
        entry_clear(slot);
        *slot = e;
}

ROLED_EXPORT roled_status roled_get_credentials(roled_client *client, const roled_request *req,
                                                roled_credentials *creds)
{
        static const roled_request none = { 0 };
        CredsParams p = { .method = "GetCredentials" };
        time_t now = time(NULL);
        roled_status st;

        if (!client || !creds)
                return ROLED_E_INVALID_ARGUMENT;
        if (!req)
                req = &none;
        p.role = req->role;
        p.duration_seconds = req->duration_seconds;
        p.policy = req->session_policy;
        pthread_mutex_lock(&client->lock);
        if (!req->is_fresh) {
                for (size_t i = 0; i < client->n_cache; i++) {
                        CacheEntry *e = &client->cache[i];

                        if (key_eq(e, req->role, req->duration_seconds, req->session_policy) &&
                            now < e->refresh_at) {
                                client_clear_error(client);
                                st = creds_copy(creds, &e->creds) < 0 ? ROLED_E_NOMEM : ROLED_OK;
                                pthread_mutex_unlock(&client->lock);
                                return st;
                        }
                }
        }
        st = fetch(client, &p, creds);
        if (st == ROLED_OK)
                store(client, req, creds, now);
        pthread_mutex_unlock(&client->lock);
        return st;
}

ROLED_EXPORT roled_status roled_assume_role(roled_client *client, const char *role,
                                            uint32_t duration_seconds, const char *session_policy,
                                            const char *session_name, const char *source_token,
                                            roled_credentials *creds)
{
        CredsParams p = {
                .method = "AssumeRole",
                .role = role,
                .duration_seconds = duration_seconds,
                .policy = session_policy,
                .session_name = session_name,
                .token = source_token,
        };
        roled_status st;

        if (!client || !role || !creds)
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = fetch(client, &p, creds);
        pthread_mutex_unlock(&client->lock);
        return st;
}
