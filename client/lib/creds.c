/* SPDX-License-Identifier: MIT */
/*
 * creds.c - GetCredentials and AssumeRole, the roled_credentials object and
 * libroled's in-process credential cache.
 *
 * The cache is keyed by (role or default, duration, session policy) and
 * holds references to immutable credential objects, so a hit is a lookup
 * and a reference count under c->cache_lock, which is never held across
 * I/O.  An entry is fresh while now < expiration - margin (the agent's rule,
 * refresh_margin() in base/refresh.h); past that one caller renews it while the others
 * keep getting the cached set, and when the agent cannot answer the cached
 * set is served until it expires (stale-if-error).  The agent's
 * SessionsRevoked notification (io.c) drops entries at once; its
 * SessionRenewed notification makes the entry holding the replaced
 * credentials due for renewal at once (the next call fetches the new set).
 */
#include "client.h"
#include "civil.h"
#include "refresh.h"

#include <sodium.h>
#include <stdio.h>

/* The secrets (wiped when freed), then the other strings. */
#define CREDS_SECRETS(X)                                                                           \
        X(credentials, access_key_id)                                                              \
        X(credentials, secret_access_key)                                                          \
        X(credentials, session_token)
#define CREDS_STRS(X)                                                                              \
        X(credentials, expiration_iso)                                                             \
        X(credentials, role)                                                                       \
        X(credentials, role_arn)                                                                   \
        X(credentials, assumed_role_arn)                                                           \
        X(credentials, session_id)                                                                 \
        X(credentials, issuer)

struct roled_credentials {
        ResultHead h;
        CREDS_SECRETS(RESULT_STR_MEMBER)
        time_t expiration;
        CREDS_STRS(RESULT_STR_MEMBER)
};

/* RESULT_OBJECT()'s free_rest: the secrets, wiped. */
#define CREDS_WIPE_SECRETS(x) CREDS_SECRETS(RESULT_WIPE_FREE)

RESULT_OBJECT(credentials, CredentialsRep, CREDS_STRS, CREDS_WIPE_SECRETS)
CREDS_SECRETS(RESULT_GET_STR)
RESULT_GET(credentials, time_t, expiration)

static roled_status credentials_fill(const ProtoCredentialsRep *rep, roled_credentials *cr,
                                     roled_error *err)
{
        roled_status st;

        if (rep->expiration > CIVIL_ISO8601_MAX)
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'expiration' field");
        cr->expiration = (time_t)rep->expiration;
        if ((st = result_strdup(rep->access_key_id, "accessKeyId", false, &cr->access_key_id,
                                err)) ||
            (st = result_strdup(rep->secret_access_key, "secretAccessKey", false,
                                &cr->secret_access_key, err)) ||
            (st = result_strdup(rep->session_token, "sessionToken", false, &cr->session_token,
                                err)) ||
            (st = result_strdup(rep->role, "role", false, &cr->role, err)) ||
            (st = result_strdup(rep->role_arn, "roleArn", false, &cr->role_arn, err)) ||
            (st = result_strdup(rep->assumed_role_arn, "assumedRoleArn", false,
                                &cr->assumed_role_arn, err)) ||
            (st = result_strdup(rep->session_id, "sessionId", false, &cr->session_id, err)) ||
            (st = result_strdup(rep->issuer, "issuer", false, &cr->issuer, err)))
                return st;
        /* The ISO form is derived here, never taken on trust to disagree with the number. */
        cr->expiration_iso = malloc(CIVIL_ISO8601_SIZE);
        if (!cr->expiration_iso)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        (void)civil_format_iso8601(cr->expiration, cr->expiration_iso);
        return ROLED_OK;
}

/* ---- the cache ---- */

static bool key_eq(const CacheEntry *e, const char *role, uint32_t duration, const char *policy)
{
        return e->duration_seconds == duration && streq(e->role, role ? role : "") &&
               (e->policy ? policy && streq(e->policy, policy) : !policy);
}

static CacheEntry *find(roled_client *c, const roled_credentials_request *req)
{
        for (size_t i = 0; i < c->n_cache; i++)
                if (key_eq(&c->cache[i], req->role, req->duration_seconds, req->session_policy))
                        return &c->cache[i];
        return NULL;
}

static void entry_clear(CacheEntry *e)
{
        free(e->role);
        if (e->policy)
                sodium_memzero(e->policy, strlen(e->policy));
        free(e->policy);
        result_unref(e->creds);
        memset(e, 0, sizeof(*e));
}

/* remove_at() - drop entry @i, keeping the array dense. */
static void remove_at(roled_client *c, size_t i)
{
        entry_clear(&c->cache[i]);
        c->cache[i] = c->cache[--c->n_cache];
        memset(&c->cache[c->n_cache], 0, sizeof(c->cache[0]));
}

void creds_cache_clear(roled_client *c)
{
        while (c->n_cache)
                remove_at(c, c->n_cache - 1);
}

void creds_cache_revoked(roled_client *c, const char *role)
{
        pthread_mutex_lock(&c->cache_lock);
        for (size_t i = c->n_cache; i-- > 0;)
                if (!role || !*role || streq(c->cache[i].creds->role, role))
                        remove_at(c, i);
        pthread_mutex_unlock(&c->cache_lock);
}

void creds_cache_renewed(roled_client *c, const char *akid)
{
        pthread_mutex_lock(&c->cache_lock);
        for (size_t i = 0; i < c->n_cache; i++)
                if (streq(c->cache[i].creds->access_key_id, akid))
                        c->cache[i].refresh_at = 0;
        pthread_mutex_unlock(&c->cache_lock);
}

/* store() - remember @cr under the key of @req; failing to cache is no error for the caller. */
static void store(roled_client *c, const roled_credentials_request *req, roled_credentials *cr,
                  time_t now)
{
        time_t lifetime = req->duration_seconds ? req->duration_seconds : PROTO_DURATION_DEFAULT;
        CacheEntry e = { 0 }, *slot;

        /* An agent-side session may have been minted longer than we asked for (role maximum). */
        if (cr->expiration - now > lifetime)
                lifetime = cr->expiration - now;
        e.duration_seconds = req->duration_seconds;
        e.refresh_at = cr->expiration - refresh_margin(lifetime);
        e.expires = cr->expiration;
        e.role = strdup(req->role ? req->role : "");
        e.policy = req->session_policy ? strdup(req->session_policy) : NULL;
        if (!e.role || (req->session_policy && !e.policy)) {
                entry_clear(&e);
                return;
        }
        e.creds = result_ref(cr);
        pthread_mutex_lock(&c->cache_lock);
        slot = find(c, req);
        if (!slot && c->n_cache < CLIENT_CACHE_MAX)
                slot = &c->cache[c->n_cache++];
        if (!slot) {
                /* Full: evict the entry that would be renewed first. */
                slot = &c->cache[0];
                for (size_t i = 1; i < c->n_cache; i++)
                        if (c->cache[i].refresh_at < slot->refresh_at)
                                slot = &c->cache[i];
        }
        entry_clear(slot);
        *slot = e;
        pthread_mutex_unlock(&c->cache_lock);
}

/* Errors that say the agent could not answer, not that the answer is no. */
static bool is_unavailable(roled_status st)
{
        return st == ROLED_E_TIMEOUT || st == ROLED_E_IO || st == ROLED_E_NO_AGENT ||
               st == ROLED_E_INTERNAL || st == ROLED_E_UPSTREAM_UNAVAILABLE ||
               st == ROLED_E_THROTTLING;
}

typedef enum Lookup {
        LOOKUP_MISS,  /* ask the agent; nothing to fall back on */
        LOOKUP_HIT,   /* *crp is the answer */
        LOOKUP_RENEW, /* ask the agent; *crp (still valid) is the fallback, and this caller renews
                       */
} Lookup;

static Lookup lookup(roled_client *c, const roled_credentials_request *req, time_t now,
                     roled_credentials **crp)
{
        Lookup l = LOOKUP_MISS;
        CacheEntry *e;

        *crp = NULL;
        pthread_mutex_lock(&c->cache_lock);
        e = find(c, req);
        if (e && now < e->refresh_at) {
                *crp = result_ref(e->creds);
                l = LOOKUP_HIT;
        } else if (e && now < e->expires) {
                *crp = result_ref(e->creds);
                /* One caller renews; the others are served the valid set meanwhile. */
                l = e->is_refreshing ? LOOKUP_HIT : LOOKUP_RENEW;
                e->is_refreshing = true;
        }
        pthread_mutex_unlock(&c->cache_lock);
        return l;
}

static void renew_done(roled_client *c, const roled_credentials_request *req)
{
        CacheEntry *e;

        pthread_mutex_lock(&c->cache_lock);
        e = find(c, req);
        if (e)
                e->is_refreshing = false;
        pthread_mutex_unlock(&c->cache_lock);
}

typedef struct CredsParams {
        const char *role;
        uint32_t duration_seconds;
        const char *policy;
        const char *session_name;
        const char *token;
} CredsParams;

static ProtoOptUint opt_uint(uint32_t v)
{
        return (ProtoOptUint){ .value = v, .is_set = v != 0 };
}

static void pack_get_credentials(ProtoBuf *b, const void *arg)
{
        const CredsParams *p = arg;

        codec_encode_GetCredentialsReq(b, &(ProtoGetCredentialsReq){
                                                  .role = proto_str(p->role),
                                                  .duration_seconds = opt_uint(p->duration_seconds),
                                                  .policy = proto_str(p->policy),
                                          });
}

static void pack_assume_role(ProtoBuf *b, const void *arg)
{
        const CredsParams *p = arg;

        codec_encode_AssumeRoleReq(b, &(ProtoAssumeRoleReq){
                                              .role = proto_str(p->role),
                                              .duration_seconds = opt_uint(p->duration_seconds),
                                              .policy = proto_str(p->policy),
                                              .session_name = proto_str(p->session_name),
                                              .session_token = proto_str(p->token),
                                      });
}

/* read_request() - @req (NULL: defaults) into @out, honouring its size.  Return: ROLED_OK or
 * ROLED_E_INVALID_ARGUMENT. */
static roled_status read_request(const roled_credentials_request *req,
                                 roled_credentials_request *out, roled_error *err)
{
        *out = (roled_credentials_request)ROLED_CREDENTIALS_REQUEST_INIT;
        if (!req)
                return ROLED_OK;
        if (req->size < sizeof(size_t))
                return error_set(
                        err, ROLED_E_INVALID_ARGUMENT,
                        "request without a size (start from ROLED_CREDENTIALS_REQUEST_INIT)");
        memcpy(out, req, req->size < sizeof(*out) ? req->size : sizeof(*out));
        out->size = sizeof(*out);
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_get_credentials(roled_client *client,
                                                const roled_credentials_request *req,
                                                roled_credentials **credsp, roled_error *err)
{
        int64_t start = client_now_ms();
        roled_credentials_request r;
        roled_credentials *cached = NULL, *cr = NULL;
        CredsParams p;
        time_t now = time(NULL);
        roled_error e = ROLED_ERROR_INIT;
        roled_status st;
        Lookup l = LOOKUP_MISS;
        Op *op;

        if ((st = call_check_out(client, credsp, "roled_get_credentials", "credsp", err)) ||
            (st = read_request(req, &r, err)))
                return st;
        if (!(r.flags & ROLED_CREDENTIALS_FRESH)) {
                io_peek(client);
                l = lookup(client, &r, now, &cached);
                if (l == LOOKUP_HIT) {
                        *credsp = cached;
                        return ROLED_OK;
                }
        }
        p = (CredsParams){ .role = r.role,
                           .duration_seconds = r.duration_seconds,
                           .policy = r.session_policy };
        op = op_new(client, OP_BLOCKING, PROTO_M_GET_CREDENTIALS, pack_get_credentials, &p);
        if (!op) {
                st = error_set(&e, ROLED_E_NOMEM, "out of memory");
        } else {
                void *obj = NULL;

                st = io_call(client, op, start, &credentials_kind, &obj, &e);
                cr = obj;
        }
        if (l == LOOKUP_RENEW)
                renew_done(client, &r);
        if (st == ROLED_OK) {
                store(client, &r, cr, now);
                result_unref(cached);
                *credsp = cr;
                return ROLED_OK;
        }
        if (cached && is_unavailable(st) && time(NULL) < cached->expiration) {
                /* Stale-if-error: the cached set is still valid, the agent just cannot say more. */
                roled_error_clear(&e);
                *credsp = cached;
                return ROLED_OK;
        }
        result_unref(cached);
        error_copy(err, &e);
        roled_error_clear(&e);
        return st;
}

/* ---- asynchronous ---- */

static void deliver_creds(roled_client *c, Op *op, roled_status st, void *obj,
                          const roled_error *err)
{
        roled_credentials_cb cb = (roled_credentials_cb)op->cb;

        cb(c, st, obj, err, op->userdata);
}

/* An async GetCredentials stores what it got; a decode hook does that on the loop's thread. */
typedef struct AsyncCreds {
        roled_credentials_request req;
        char *role, *policy;
        time_t now;
        roled_credentials_cb cb;
        void *userdata;
} AsyncCreds;

static void deliver_and_store(roled_client *c, Op *op, roled_status st, void *obj,
                              const roled_error *err)
{
        AsyncCreds *a = op->userdata;

        if (st == ROLED_OK)
                store(c, &a->req, obj, a->now);
        a->cb(c, st, obj, err, a->userdata);
        free(a->role);
        free(a->policy);
        free(a);
}

ROLED_EXPORT roled_status roled_get_credentials_async(roled_client *client,
                                                      const roled_credentials_request *req,
                                                      roled_credentials_cb cb, void *userdata,
                                                      roled_error *err)
{
        roled_credentials_request r;
        roled_credentials *cached = NULL;
        AsyncCreds *a;
        CredsParams p;
        roled_status st;
        Op *op;

        if ((st = client_check(client, err)))
                return st;
        if (!cb)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_get_credentials_async(): no callback");
        if ((st = read_request(req, &r, err)))
                return st;
        a = calloc(1, sizeof(*a));
        if (!a)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        /* The request's strings are the caller's only until we return: keep copies for store(). */
        a->role = r.role ? strdup(r.role) : NULL;
        a->policy = r.session_policy ? strdup(r.session_policy) : NULL;
        a->req = r;
        a->req.role = a->role;
        a->req.session_policy = a->policy;
        a->now = time(NULL);
        a->cb = cb;
        a->userdata = userdata;
        if ((r.role && !a->role) || (r.session_policy && !a->policy))
                goto oom;
        p = (CredsParams){ .role = r.role,
                           .duration_seconds = r.duration_seconds,
                           .policy = r.session_policy };
        op = op_new(client, OP_ASYNC, PROTO_M_GET_CREDENTIALS, pack_get_credentials, &p);
        if (!op)
                goto oom;
        op->result = &credentials_kind;
        op->deliver = deliver_and_store;
        op->userdata = a;
        if (!(r.flags & ROLED_CREDENTIALS_FRESH) &&
            lookup(client, &r, a->now, &cached) == LOOKUP_HIT) {
                /* A hit is answered from roled_client_process() too, never from inside this call.
                 */
                op->ready_obj = cached;
                op->deliver = deliver_creds;
                op->cb = (void *)cb;
                op->userdata = userdata;
                free(a->role);
                free(a->policy);
                free(a);
                io_finish_ready(client, op);
                return ROLED_OK;
        }
        /* A renewal started here falls back on nothing: the asynchronous caller gets the agent's
         * answer. */
        if (cached) {
                renew_done(client, &r);
                result_unref(cached);
        }
        return io_start_async(client, op, err);
oom:
        free(a->role);
        free(a->policy);
        free(a);
        return error_set(err, ROLED_E_NOMEM, "out of memory");
}

/* ---- AssumeRole ---- */

/* read_assume() - CallKind.read of AssumeRole: @reqp into the CredsParams @pp. */
static roled_status read_assume(const void *reqp, void *pp, roled_error *err)
{
        roled_assume_role_request r = ROLED_ASSUME_ROLE_REQUEST_INIT;
        const roled_assume_role_request *req = reqp;

        if (!req || req->size < sizeof(size_t))
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_assume_role(): needs a request (start from "
                                 "ROLED_ASSUME_ROLE_REQUEST_INIT)");
        memcpy(&r, req, req->size < sizeof(r) ? req->size : sizeof(r));
        if (!r.role)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_assume_role(): needs a role");
        *(CredsParams *)pp = (CredsParams){
                .role = r.role,
                .duration_seconds = r.duration_seconds,
                .policy = r.session_policy,
                .session_name = r.session_name,
                .token = r.source_token,
        };
        return ROLED_OK;
}

static const CallKind assume_role_call = {
        "roled_assume_role", PROTO_M_ASSUME_ROLE, read_assume,
        pack_assume_role,    &credentials_kind,   deliver_creds,
};

ROLED_EXPORT roled_status roled_assume_role(roled_client *client,
                                            const roled_assume_role_request *req,
                                            roled_credentials **credsp, roled_error *err)
{
        CredsParams p;

        return call_blocking(client, &assume_role_call, req, &p, credsp, err);
}

ROLED_EXPORT roled_status roled_assume_role_async(roled_client *client,
                                                  const roled_assume_role_request *req,
                                                  roled_credentials_cb cb, void *userdata,
                                                  roled_error *err)
{
        CredsParams p;

        return call_async(client, &assume_role_call, req, &p, (void *)cb, userdata, err);
}
