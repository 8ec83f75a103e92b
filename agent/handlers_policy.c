/* SPDX-License-Identifier: MIT */
/*
 * handlers_policy.c - Authorize ("may this session do this?", for local
 * services) and Simulate (the same question about a role, for admins).
 *
 * Authorize trusts nothing the caller says about the session: the token is
 * verified (once, then cached by digest), checked for expiry and revocation
 * on every call, and the context keys that describe the principal come from
 * the token's signed claims.  Request context keys may be added but never
 * override those (the policy engine refuses it).
 */
#include <errno.h>
#include <grp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "civil.h"
#include "agent.h"
#include "config.h"
#include "dispatch.h"
#include "issuer_local.h"
#include "policystore.h"
#include "sessions.h"
#include "sigv4.h"
#include "tokencache.h"
#include "util.h"

/* Copy a msgpack string into a NUL-terminated buffer, refusing embedded NULs. */
static bool copy_str(const msgpack_object *o, char *buf, size_t size)
{
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size ||
            memchr(o->via.str.ptr, '\0', o->via.str.size))
                return false;
        memcpy(buf, o->via.str.ptr, o->via.str.size);
        buf[o->via.str.size] = '\0';
        return true;
}

/* Add the request's "context" map: string → string or [string]. */
static int add_request_context(Request *req, const msgpack_object *map, PolicyContext *ctx,
                               bool is_attested)
{
        char key[PROTO_CONTEXT_KEY_MAX + 1], value[PROTO_CONTEXT_VALUE_MAX + 1];

        if (!map)
                return 0;
        if (map->type != MSGPACK_OBJECT_MAP || map->via.map.size > PROTO_CONTEXT_KEYS_MAX)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "context must be a map of at most %d keys",
                                    PROTO_CONTEXT_KEYS_MAX);
        for (uint32_t i = 0; i < map->via.map.size; i++) {
                const msgpack_object *k = &map->via.map.ptr[i].key, *v = &map->via.map.ptr[i].val;
                const msgpack_object *vals = v;
                uint32_t n = 1;
                int r;

                if (!copy_str(k, key, sizeof(key)) || !key[0])
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "context keys must be strings of 1..%d bytes",
                                            PROTO_CONTEXT_KEY_MAX);
                if (v->type == MSGPACK_OBJECT_ARRAY) {
                        vals = v->via.array.ptr;
                        n = v->via.array.size;
                        if (n == 0) {
                                r = policy_context_set(ctx, key, NULL, is_attested);
                                goto check;
                        }
                }
                for (uint32_t j = 0; j < n; j++) {
                        if (!copy_str(&vals[j], value, sizeof(value)))
                                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                                    "context value of %s must be a string (or an "
                                                    "array of strings) of at most %d bytes",
                                                    key, PROTO_CONTEXT_VALUE_MAX);
                        r = policy_context_set(ctx, key, value, is_attested);
                        if (r)
                                break;
                }
        check:
                if (r == POLICY_E_ATTESTED || r == POLICY_E_RESERVED)
                        return request_fail(
                                req, PROTO_INVALID_PARAMETER_VALUE,
                                "context key %s describes the principal and is attested "
                                "by the agent; a request cannot set it",
                                key);
                if (r == -E2BIG)
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "context has too many keys or values");
                if (r)
                        return r;
        }
        return 0;
}

/* Action, resource and region as NUL-terminated strings (a region holding a NUL is ignored). */
static int read_target(Request *req, ProtoStr in_action, ProtoStr in_resource, ProtoStr in_region,
                       char *action, char *resource, char *region)
{
        if (!copy_strn(action, PROTO_ACTION_MAX + 1, in_action.ptr, in_action.len) || !action[0])
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "action must not be empty");
        if (!copy_strn(resource, PROTO_RESOURCE_MAX + 1, in_resource.ptr, in_resource.len) ||
            !resource[0])
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "resource must not be empty");
        if (!in_region.ptr ||
            !copy_strn(region, PROTO_REGION_MAX + 1, in_region.ptr, in_region.len))
                region[0] = '\0';
        return 0;
}

static void pack_decision(Request *req, const PolicyResult *res, const char *role,
                          const char *reason)
{
        ProtoMatch match = {
                .policy = proto_str(res->policy == POLICY_INDEX_SESSION ? "session policy"
                                    : res->policy_name                  ? res->policy_name
                                                                        : "permissions"),
                .statement = (uint64_t)res->statement,
                .sid = proto_str(res->sid),
        };

        codec_encode_DecisionRep(req->out,
                                 &(ProtoDecisionRep){
                                         .decision = proto_str(policy_decision_str(res->decision)),
                                         .matched = res->statement >= 0 ? &match : NULL,
                                         .role = proto_str(role),
                                         .reason = proto_str(reason),
                                 });
}

/*
 * roled:gids and roled:groups of a session: the groups its token carries
 * (attested when it was issued), named now.  Names are looked up (NSS, on
 * the loop) once per token and only when a policy reads roled:groups; a
 * group without a name contributes only its number.
 */
static int group_keys(PolicyContext *ctx, const TokenClaims *cl, bool is_named)
{
        char buf[16], scratch[4096];
        size_t n = cl->n_gids ? cl->n_gids : 1;
        int r;

        for (size_t i = 0; i < n; i++) {
                uint32_t gid = cl->n_gids ? cl->gids[i] : cl->gid;
                struct group gr, *grp = NULL;

                snprintf(buf, sizeof(buf), "%u", gid);
                if ((r = policy_context_set(ctx, "roled:gids", buf, true)))
                        return r;
                if (is_named && getgrgid_r(gid, &gr, scratch, sizeof(scratch), &grp) == 0 && grp &&
                    (r = policy_context_set(ctx, "roled:groups", grp->gr_name, true)))
                        return r;
        }
        return 0;
}

/*
 * The attested keys of a role session that never change: from its verified
 * claims.  The time keys and aws:RequestedRegion are set per request by
 * refresh_context().
 */
/*
 * The keys a session of @role carries whoever its principal is: roled:role,
 * aws:PrincipalArn, aws:userid, the role's tags as aws:PrincipalTag/<key>,
 * aws:TokenIssueTime and the transport keys.  Authorize (from a token) and
 * Simulate (for an administrator's what-if) both take them from here, so a
 * simulation and a real session of the role see the same keys.
 */
static int role_session_keys(PolicyContext *ctx, const Role *role, const char *sid, int64_t issued)
{
        char buf[256], iso[CIVIL_ISO8601_SIZE];
        int r;

        if ((r = policy_context_set(ctx, "roled:role", role->name, true)) ||
            (r = policy_context_set(ctx, "aws:PrincipalArn", role->arn, true)))
                return r;
        snprintf(buf, sizeof(buf), "%s:%s", role->role_id, sid);
        if ((r = policy_context_set(ctx, "aws:userid", buf, true)))
                return r;
        /* The role's tags are the session principal's tags. */
        for (size_t i = 0; i < role->n_tags; i++) {
                snprintf(buf, sizeof(buf), "aws:PrincipalTag/%s", role->tag_keys[i]);
                if ((r = policy_context_set(ctx, buf, role->tag_values[i], true)))
                        return r;
        }
        civil_format_iso8601(issued, iso);
        if ((r = policy_context_set(ctx, "aws:TokenIssueTime", iso, true)) ||
            (r = policy_context_set(ctx, "aws:SecureTransport", "true", true)) ||
            (r = policy_context_set(ctx, "aws:MultiFactorAuthPresent", "false", true)))
                return r;
        return 0;
}

static int session_context(const Role *role, const TokenClaims *cl, bool needs_group_names,
                           PolicyContext **ctxp)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        char buf[256];
        int r;

        r = policy_context_new(&ctx);
        if (r)
                return r;
        snprintf(buf, sizeof(buf), "%u", cl->uid);
        if ((r = policy_context_set(ctx, "roled:uid", buf, true)))
                return r;
        snprintf(buf, sizeof(buf), "%u", cl->gid);
        if ((r = policy_context_set(ctx, "roled:gid", buf, true)))
                return r;
        if ((r = group_keys(ctx, cl, needs_group_names)))
                return r;
        if ((r = policy_context_set(ctx, "roled:user", cl->user, true)) ||
            (r = policy_context_set(ctx, "aws:username", cl->user, true)))
                return r;
        if (cl->exe && cl->exe[0] && (r = policy_context_set(ctx, "roled:exe", cl->exe, true)))
                return r;
        if (cl->unit && cl->unit[0] && (r = policy_context_set(ctx, "roled:unit", cl->unit, true)))
                return r;
        if (cl->cgroup && (r = policy_context_set(ctx, "roled:cgroup", cl->cgroup, true)))
                return r;
        if (cl->has_exe_sha256) {
                char hex[65];

                sodium_bin2hex(hex, sizeof(hex), cl->exe_sha256, sizeof(cl->exe_sha256));
                if ((r = policy_context_set(ctx, "roled:exe-sha256", hex, true)))
                        return r;
        }
        if (cl->source_role &&
            (r = policy_context_set(ctx, "aws:SourceIdentity", cl->source_role, true)))
                return r;
        if ((r = role_session_keys(ctx, role, cl->sid, cl->issued)))
                return r;
        *ctxp = steal_pointer(&ctx);
        return 0;
}

/*
 * Make the entry's context describe this request: the previous request's
 * keys dropped, the time keys current (rewritten once a second), and the
 * region as asked.
 */
static int refresh_context(TokenEntry *e, int64_t now, const char *region)
{
        char buf[32];
        int r;

        policy_context_clear_request(e->ctx);
        if (e->ctx_second != now) {
                policy_context_unset(e->ctx, "aws:CurrentTime");
                policy_context_unset(e->ctx, "aws:EpochTime");
                e->ctx_second = -1;
                civil_format_iso8601(now, buf);
                if ((r = policy_context_set(e->ctx, "aws:CurrentTime", buf, true)))
                        return r;
                snprintf(buf, sizeof(buf), "%lld", (long long)now);
                if ((r = policy_context_set(e->ctx, "aws:EpochTime", buf, true)))
                        return r;
                e->ctx_second = now;
        }
        policy_context_unset(e->ctx, "aws:RequestedRegion");
        if (region[0] && (r = policy_context_set(e->ctx, "aws:RequestedRegion", region, true)))
                return r;
        return 0;
}

/*
 * Verify (or find verified) a session token; expiry and revocation every time.
 * @akid: when non-NULL, the access key id the caller presented with the token.
 */
static int verify_token(Request *req, const char *tok, size_t len, const char *akid,
                        size_t akid_len, TokenEntry **entryp)
{
        Agent *a = req->agent;
        TokenClaims fresh = TOKEN_CLAIMS_INIT;
        TokenEntry *e;
        const TokenClaims *cl;
        uint8_t digest[16];
        int64_t now = agent_now(a);
        int r;

        tokencache_digest(tok, len, digest);
        e = tokencache_get(a->tokens, digest);
        if (!e) {
                r = issuer_local_verify(a->keys, tok, len, now, NULL, &fresh);
                if (r)
                        return request_token_error(req, r);
                e = tokencache_put(a->tokens, digest, &fresh);
        }
        cl = &e->claims;
        if (now >= cl->expires)
                return request_fail(req, PROTO_EXPIRED_TOKEN,
                                    "the security token included in the request is expired");
        if (revocation_revokes(a->revoked, cl, now))
                return request_fail(req, PROTO_INVALID_TOKEN,
                                    "the security token included in the request was revoked");
        if (akid && (akid_len != strlen(cl->akid) || memcmp(akid, cl->akid, akid_len) != 0))
                return request_fail(req, PROTO_INVALID_TOKEN,
                                    "the access key id does not belong to the session token");
        *entryp = e;
        return 0;
}

/* Authorize with a bare token: sessionToken and, optionally, accessKeyId. */
static int token_claims(Request *req, const ProtoAuthorizeReq *in, TokenEntry **entryp)
{
        if (!in->session_token.ptr)
                return request_param_error(req, RPC_E_MISSING, "sessionToken");
        return verify_token(req, in->session_token.ptr, in->session_token.len,
                            in->access_key_id.ptr, in->access_key_id.len, entryp);
}

static int sigv4_fail(Request *req, int r)
{
        switch (r) {
        case SIGV4_E_MISMATCH:
                return request_fail(req, PROTO_SIGNATURE_DOES_NOT_MATCH,
                                    "the request signature we calculated does not match the "
                                    "signature provided");
        case SIGV4_E_EXPIRED:
                return request_fail(req, PROTO_REQUEST_EXPIRED,
                                    "the request's X-Amz-Date is more than 15 minutes from the "
                                    "agent's time, or the presigned request has expired");
        case SIGV4_E_UNSIGNED_TOKEN:
                return request_fail(req, PROTO_INCOMPLETE_SIGNATURE,
                                    "x-amz-security-token must be among the signed headers");
        default:
                return r < 0 ? r
                             : request_fail(req, PROTO_INCOMPLETE_SIGNATURE, "%s",
                                            sigv4_error_code(r));
        }
}

/* The "request" parameter: the signed HTTP request a local service received. */
static int read_signed_request(Request *req, const msgpack_object *m, Sigv4Request *sr,
                               Sigv4Header *headers, char payload_hash[SIGV4_PAYLOAD_HASH_MAX + 1])
{
        const msgpack_object *hs = proto_get(m, "headers");
        const uint8_t *body;
        size_t body_len;
        int r;

        if (m->type != MSGPACK_OBJECT_MAP)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "request must be a map");
        if ((r = proto_get_str(m, "method", SIGV4_METHOD_MAX, &sr->method, &sr->method_len)))
                return request_param_error(req, r, "request.method");
        if ((r = proto_get_str(m, "path", SIGV4_PATH_MAX, &sr->path, &sr->path_len)))
                return request_param_error(req, r, "request.path");
        r = proto_get_str(m, "query", SIGV4_QUERY_MAX, &sr->query, &sr->query_len);
        if (r && r != RPC_E_MISSING)
                return request_param_error(req, r, "request.query");
        if (!hs || hs->type != MSGPACK_OBJECT_ARRAY || hs->via.array.size > SIGV4_HEADERS_MAX)
                return request_fail(
                        req, PROTO_INVALID_PARAMETER_VALUE,
                        "request.headers must be an array of at most %d [name, value] pairs",
                        SIGV4_HEADERS_MAX);
        for (uint32_t i = 0; i < hs->via.array.size; i++) {
                const msgpack_object *h = &hs->via.array.ptr[i];

                if (h->type != MSGPACK_OBJECT_ARRAY || h->via.array.size != 2 ||
                    h->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
                    h->via.array.ptr[1].type != MSGPACK_OBJECT_STR)
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "request.headers[%u] must be [name, value] strings", i);
                headers[i] = (Sigv4Header){
                        .name = h->via.array.ptr[0].via.str.ptr,
                        .name_len = h->via.array.ptr[0].via.str.size,
                        .value = h->via.array.ptr[1].via.str.ptr,
                        .value_len = h->via.array.ptr[1].via.str.size,
                };
        }
        sr->headers = headers;
        sr->n_headers = hs->via.array.size;
        r = proto_get_bin(m, "body", PROTO_MESSAGE_MAX, &body, &body_len);
        if (r == 0) {
                sr->payload = body;
                sr->payload_len = body_len;
        } else if (r != RPC_E_MISSING) {
                return request_param_error(req, r, "request.body");
        } else {
                /* sigv4.c takes payloadSha256 NUL-terminated: copy it into the caller's buffer. */
                const char *ph;
                size_t n;

                r = proto_get_str(m, "payloadSha256", SIGV4_PAYLOAD_HASH_MAX, &ph, &n);
                if (r == RPC_E_MISSING) {
                        sr->payload = (const uint8_t *)"";
                        sr->payload_len = 0;
                } else if (r) {
                        return request_param_error(req, r, "request.payloadSha256");
                } else {
                        if (n == 0 || memchr(ph, '\0', n))
                                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                                    "request.payloadSha256 is empty");
                        memcpy(payload_hash, ph, n);
                        payload_hash[n] = '\0';
                        sr->payload_hash = payload_hash;
                }
        }
        return 0;
}

/* trimmed() - @s[0..@len) without leading and trailing blanks, in place. */
static const char *trimmed(const char *s, size_t *lenp)
{
        size_t len = *lenp;

        while (len && (*s == ' ' || *s == '\t'))
                s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        *lenp = len;
        return s;
}

/*
 * The endpoint a signed request must have been made for: "service" and "host"
 * (required with "request") and "region" (optional).  SigV4 signs the
 * credential scope and the Host header, so once the signature checks out these
 * say where the client meant to send the request; a request captured on its
 * way to another service, region or host is refused instead of replayed here.
 */
static int check_endpoint(Request *req, const ProtoAuthorizeReq *in, const Sigv4Request *sr,
                          const Sigv4Result *res, const char *region)
{
        const char *service = in->service.ptr, *host = in->host.ptr, *v, *seen = NULL;
        size_t service_len = in->service.len, host_len = in->host.len, len, seen_len = 0;
        unsigned n_host = 0;

        if (!service)
                return request_param_error(req, RPC_E_MISSING, "service");
        if (!host)
                return request_param_error(req, RPC_E_MISSING, "host");
        if (strlen(res->auth.service) != service_len ||
            memcmp(res->auth.service, service, service_len) != 0)
                return request_fail(req, PROTO_SIGNATURE_DOES_NOT_MATCH,
                                    "the request was signed for service '%s', not for this "
                                    "endpoint's '%.*s'",
                                    res->auth.service, (int)service_len, service);
        if (region[0] && strcmp(res->auth.region, region) != 0)
                return request_fail(req, PROTO_SIGNATURE_DOES_NOT_MATCH,
                                    "the request was signed for region '%s', not for this "
                                    "endpoint's '%s'",
                                    res->auth.region, region);
        for (size_t i = 0; i < sr->n_headers; i++) {
                if (sr->headers[i].name_len != 4 ||
                    strncasecmp(sr->headers[i].name, "host", 4) != 0)
                        continue;
                len = sr->headers[i].value_len;
                v = trimmed(sr->headers[i].value, &len);
                if (n_host++ == 0) {
                        seen = v;
                        seen_len = len;
                }
        }
        if (n_host != 1)
                return request_fail(
                        req, PROTO_SIGNATURE_DOES_NOT_MATCH,
                        "the request carries %u Host headers; exactly one is signed for "
                        "an endpoint",
                        n_host);
        if (seen_len != host_len || strncasecmp(seen, host, host_len) != 0)
                return request_fail(
                        req, PROTO_SIGNATURE_DOES_NOT_MATCH,
                        "the request was signed for host '%.*s', not for this endpoint's "
                        "'%.*s'",
                        (int)(seen_len > 256 ? 256 : seen_len), seen,
                        (int)(host_len > 256 ? 256 : host_len), host);
        return 0;
}

/*
 * Authorize with a whole SigV4-signed request: the token travels in
 * x-amz-security-token, and the signature is checked with the secret the
 * agent recomputes from the access key id.  The request must have been signed
 * for the caller's endpoint (check_endpoint()).
 */
static int signed_claims(Request *req, const ProtoAuthorizeReq *in, char *region,
                         TokenEntry **entryp)
{
        Sigv4Header headers[SIGV4_HEADERS_MAX];
        Sigv4Request sr = { .now = agent_now(req->agent) };
        _cleanup_free_ Sigv4Result *res = malloc(sizeof(*res));
        char payload_hash[SIGV4_PAYLOAD_HASH_MAX + 1];
        char secret[ISSUER_SECRET_LEN + 1];
        TokenEntry *e;
        int r;

        if (!res)
                return -ENOMEM;
        r = read_signed_request(req, in->request, &sr, headers, payload_hash);
        if (r)
                return r;
        r = sigv4_parse_request(&sr, res);
        if (r)
                return sigv4_fail(req, r);
        /* Cheap, and says what is wrong more precisely than a signature mismatch would. */
        r = check_endpoint(req, in, &sr, res, region);
        if (r)
                return r;
        if (!res->has_security_token)
                return request_fail(req, PROTO_INCOMPLETE_SIGNATURE,
                                    "the request carries no x-amz-security-token; roled's "
                                    "credentials are temporary and need one");
        r = verify_token(req, res->security_token, res->security_token_len, res->auth.access_key_id,
                         strlen(res->auth.access_key_id), &e);
        if (r)
                return r;
        issuer_local_secret_for(req->agent->keys, e->claims.akid, secret);
        r = sigv4_verify(&sr, secret, NULL, res);
        sodium_memzero(secret, sizeof(secret));
        if (r)
                return sigv4_fail(req, r);
        if (!region[0])
                snprintf(region, 64, "%s", res->auth.region);
        *entryp = e;
        return 0;
}

/*
 * A role without a permissions policy may do nothing: no identity policy,
 * implicit deny. A decision the engine refuses for the work it needs
 * (POLICY_E_WORK_LIMIT: hostile patterns against a large context) is a deny
 * whose *reasonp says so; otherwise *reasonp is NULL.
 */
static int evaluate(const RolePolicies *rp, const Policy *session, const char *action,
                    const char *resource, const PolicyContext *ctx, PolicyResult *res,
                    const char **reasonp)
{
        const Policy *permissions = rp ? rp->permissions : NULL;
        int r;

        *reasonp = NULL;
        r = policy_evaluate(&permissions, permissions ? 1 : 0, session, action, resource, ctx, res);
        if (r == POLICY_E_WORK_LIMIT) {
                *res = (PolicyResult){ .decision = POLICY_IMPLICIT_DENY,
                                       .policy = POLICY_INDEX_NONE,
                                       .statement = -1 };
                *reasonp = "denied without a decision: matching the policies against this request "
                           "needs more work than the agent spends on one (POLICY_WORK_MAX)";
                return 0;
        }
        return r;
}

int handle_Authorize(Request *req, const ProtoAuthorizeReq *in)
{
        Agent *a = req->agent;
        const TokenClaims *cl;
        TokenEntry *e;
        const Role *role;
        const RolePolicies *rp;
        const Policy *session = NULL;
        char action[PROTO_ACTION_MAX + 1], resource[PROTO_RESOURCE_MAX + 1], region[64];
        PolicyResult res = { .decision = POLICY_IMPLICIT_DENY, .statement = -1 };
        const char *reason;
        int r;

        if ((r = read_target(req, in->action, in->resource, in->region, action, resource, region)))
                return r;
        r = in->request ? signed_claims(req, in, region, &e) : token_claims(req, in, &e);
        if (r)
                return r;
        cl = &e->claims;
        role = config_find_role(a->config, cl->role, strlen(cl->role));
        if (!role) {
                pack_decision(req, &res, cl->role, "the session's role no longer exists");
                return 0;
        }
        rp = access_role_policies(a->config, a->access, role);
        if (cl->has_policy) {
                session = policy_store_get(a->session_policies, cl->policy_digest);
                if (!session) {
                        /* Fail closed: a narrowed session must never be judged without its
                         * narrowing. */
                        pack_decision(req, &res, role->name,
                                      "the session policy of this session is no longer known to "
                                      "the agent");
                        return 0;
                }
        }
        /* The attested part is built once per token and kept with it in the cache. */
        if (!e->ctx &&
            (r = session_context(
                     role, cl,
                     (rp && rp->permissions && policy_needs_key(rp->permissions, "roled:groups")) ||
                             (session && policy_needs_key(session, "roled:groups")),
                     &e->ctx)))
                return r;
        if ((r = refresh_context(e, agent_now(a), region)) ||
            (r = add_request_context(req, in->context, e->ctx, false)))
                return r;
        r = evaluate(rp, session, action, resource, e->ctx, &res, &reason);
        if (r)
                return r;
        pack_decision(req, &res, role->name, reason);
        return 0;
}

int handle_Simulate(Request *req, const ProtoSimulateReq *in)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        _cleanup_(policy_freep) Policy *session = NULL;
        Agent *a = req->agent;
        const Role *role;
        const RolePolicies *rp;
        char action[PROTO_ACTION_MAX + 1], resource[PROTO_RESOURCE_MAX + 1], region[64];
        PolicyResult res = { .decision = POLICY_IMPLICIT_DENY, .statement = -1 };
        const char *reason;
        PolicyError err;
        int r;

        role = config_find_role(a->config, in->role.ptr, in->role.len);
        if (!role)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "role %.*s does not exist",
                                    (int)in->role.len, in->role.ptr);
        if ((r = read_target(req, in->action, in->resource, in->region, action, resource, region)))
                return r;
        if (in->session_policy.ptr) {
                r = policy_parse(in->session_policy.ptr, in->session_policy.len, "session policy",
                                 &session, &err);
                if (r == POLICY_E_MALFORMED)
                        return request_fail(req, PROTO_MALFORMED_POLICY_DOCUMENT,
                                            "session policy: %s: %s (statement %d)", err.reason,
                                            err.message, err.statement);
                if (r)
                        return r;
        }
        r = policy_context_new(&ctx);
        if (r)
                return r;
        if (region[0] && (r = policy_context_set(ctx, "aws:RequestedRegion", region, true)))
                return r;
        /*
         * What a real session of the role would carry (its tags, PrincipalArn,
         * userid, roled:role...), then the administrator's keys, which
         * describe any principal and count as attested (they replace ours).
         */
        if ((r = role_session_keys(ctx, role, "simulated", agent_now(a))))
                return r;
        if ((r = add_request_context(req, in->context, ctx, true)))
                return r;
        /* A session's aws:username is its roled:user: keep them in step. */
        {
                const char *const *users = NULL;
                size_t n_users = 0;

                if (!policy_context_get(ctx, "aws:username", NULL, NULL, NULL) &&
                    policy_context_get(ctx, "roled:user", &users, &n_users, NULL) && n_users == 1 &&
                    (r = policy_context_set(ctx, "aws:username", users[0], true)))
                        return r;
        }
        rp = access_role_policies(a->config, a->access, role);
        r = evaluate(rp, session, action, resource, ctx, &res, &reason);
        if (r)
                return r;
        pack_decision(req, &res, role->name, reason);
        return 0;
}
