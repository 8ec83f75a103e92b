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
#include "principal.h"
#include "revocations.h"
#include "sessions.h"
#include "sigv4.h"
#include "tokencache.h"
#include "trust.h"
#include "useridentity.h"
#include "util.h"

static bool is_skipped(const char *const *skip, const char *key)
{
        for (; skip && *skip; skip++)
                if (strcasecmp(*skip, key) == 0)
                        return true;
        return false;
}

/*
 * Add the request's "context" map: string → string or [string] (the codec
 * checked the types).
 * @skip: keys to leave out (NULL-terminated; NULL: none): Simulate's facts
 *        about a named principal's process, which principal.c sets.
 */
static int add_request_context(Request *req, const ProtoContext *in, PolicyContext *ctx,
                               bool is_attested, const char *const *skip)
{
        char key[PROTO_CONTEXT_KEY_MAX + 1], value[PROTO_CONTEXT_VALUE_MAX + 1];

        if (!in->items)
                return 0;
        if (in->n > PROTO_CONTEXT_KEYS_MAX)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "context must be a map of at most %d keys",
                                    PROTO_CONTEXT_KEYS_MAX);
        for (size_t i = 0; i < in->n; i++) {
                const ProtoContextEntry *e = &in->items[i];
                int r = 0;

                if (!copy_strn(key, sizeof(key), e->key.ptr, e->key.len) || !key[0])
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "context keys must be strings of 1..%d bytes",
                                            PROTO_CONTEXT_KEY_MAX);
                if (is_skipped(skip, key))
                        continue;
                if (e->n_values == 0) {
                        r = policy_context_set(ctx, key, NULL, is_attested);
                        goto check;
                }
                for (size_t j = 0; j < e->n_values; j++) {
                        if (!copy_strn(value, sizeof(value), e->values[j].ptr, e->values[j].len))
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
 * Make the entry's context describe this request: the previous request's
 * keys dropped, the time keys current (rewritten once a second), and the
 * region as asked.
 */
static int refresh_context(TokenEntry *e, int64_t now, const char *region)
{
        int r;

        policy_context_clear_request(e->ctx);
        if (e->ctx_second != now) {
                e->ctx_second = -1;
                if ((r = principal_context_set_time(e->ctx, now)))
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

/* The "request" parameter: the signed HTTP request a local service received (typed by the codec).
 */
static int read_signed_request(Request *req, const ProtoSignedRequest *m, Sigv4Request *sr,
                               Sigv4Header *headers, char payload_hash[SIGV4_PAYLOAD_HASH_MAX + 1])
{
        if (m->method.len > SIGV4_METHOD_MAX)
                return request_param_error(req, RPC_E_TYPE, "request.method");
        if (m->path.len > SIGV4_PATH_MAX)
                return request_param_error(req, RPC_E_TYPE, "request.path");
        if (m->query.ptr && m->query.len > SIGV4_QUERY_MAX)
                return request_param_error(req, RPC_E_TYPE, "request.query");
        sr->method = m->method.ptr;
        sr->method_len = m->method.len;
        sr->path = m->path.ptr;
        sr->path_len = m->path.len;
        if (m->query.ptr) {
                sr->query = m->query.ptr;
                sr->query_len = m->query.len;
        }
        if (m->headers.n > SIGV4_HEADERS_MAX)
                return request_fail(
                        req, PROTO_INVALID_PARAMETER_VALUE,
                        "request.headers must be an array of at most %d [name, value] pairs",
                        SIGV4_HEADERS_MAX);
        for (size_t i = 0; i < m->headers.n; i++)
                headers[i] = (Sigv4Header){
                        .name = m->headers.names[i].ptr,
                        .name_len = m->headers.names[i].len,
                        .value = m->headers.values[i].ptr,
                        .value_len = m->headers.values[i].len,
                };
        sr->headers = headers;
        sr->n_headers = m->headers.n;
        if (m->body.ptr) {
                sr->payload = (const uint8_t *)m->body.ptr;
                sr->payload_len = m->body.len;
        } else if (!m->payload_sha256.ptr) {
                sr->payload = (const uint8_t *)"";
                sr->payload_len = 0;
        } else {
                /* sigv4.c takes payloadSha256 NUL-terminated: copy it into the caller's buffer. */
                size_t n = m->payload_sha256.len;

                if (n > SIGV4_PAYLOAD_HASH_MAX)
                        return request_param_error(req, RPC_E_TYPE, "request.payloadSha256");
                if (n == 0 || memchr(m->payload_sha256.ptr, '\0', n))
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "request.payloadSha256 is empty");
                memcpy(payload_hash, m->payload_sha256.ptr, n);
                payload_hash[n] = '\0';
                sr->payload_hash = payload_hash;
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
        /*
         * A token without a cg claim was issued while the agent did not read
         * callers' cgroups (no role read the unit; a read that found none
         * gives an empty claim).  Permissions, or the session's own policy,
         * that read the unit would judge it as if the key were absent: a
         * Deny on a unit would not apply.  Fail closed.
         */
        if (!cl->cgroup && ((rp && rp->is_permissions_unit) ||
                            (session && (policy_needs_key(session, "roled:unit") ||
                                         policy_needs_key(session, "roled:cgroup"))))) {
                pack_decision(req, &res, role->name,
                              "this session names no cgroup (the agent reads callers' units only "
                              "while some role does), and its policies read roled:unit or "
                              "roled:cgroup");
                return 0;
        }
        /*
         * Likewise the executable: a session names it only for roles whose
         * answers rest on it (b30a39c).  The caller's own session policy may
         * read it all the same; judged with the key absent, its Deny would
         * not apply.
         */
        if (session && (((!cl->exe || !cl->exe[0]) && policy_needs_key(session, "roled:exe")) ||
                        (!cl->has_exe_sha256 && policy_needs_key(session, "roled:exe-sha256")))) {
                pack_decision(req, &res, role->name,
                              "this session names no executable (only sessions of roles whose "
                              "answers rest on it do), and its session policy reads it");
                return 0;
        }
        /*
         * The attested part is built once per token and kept with it in the
         * cache.  Group names are looked up (NSS, on the loop) once per token
         * and only when a policy reads roled:groups.
         */
        if (!e->ctx) {
                Principal p;
                PrincipalSession ps = { .role = role, .sid = cl->sid, .issued = cl->issued };

                principal_from_claims(
                        cl,
                        (rp && rp->permissions &&
                         policy_needs_key(rp->permissions, "roled:groups")) ||
                                (session && policy_needs_key(session, "roled:groups")),
                        &p);
                r = principal_context(a->config, &p, &ps, -1, &e->ctx);
                if (r)
                        return r;
        }
        if ((r = refresh_context(e, agent_now(a), region)) ||
            (r = add_request_context(req, &in->context, e->ctx, false, NULL)))
                return r;
        r = evaluate(rp, session, action, resource, e->ctx, &res, &reason);
        if (r)
                return r;
        pack_decision(req, &res, role->name, reason);
        return 0;
}

/*
 * The one value of @key in the administrator's context, or NULL (absent);
 * -EINVAL in *@rp when the key has several values.
 */
static const char *fact(const PolicyContext *given, const char *key, int *rp)
{
        const char *const *values = NULL;
        size_t n = 0;

        if (!policy_context_get(given, key, &values, &n, NULL) || n == 0)
                return NULL;
        if (n > 1)
                *rp = -EINVAL;
        return values[0];
}

/* The process facts an administrator may state about a named principal. */
static const char *const principal_facts[] = { "roled:exe", "roled:exe-sha256", "roled:unit",
                                               "roled:role", NULL };

/*
 * The principal Simulate names: the user as NSS knows them (a login
 * shell's identity, useridentity.c), running the executable, in the unit
 * and holding the role the administrator's context states (roled:exe,
 * roled:exe-sha256, roled:unit, roled:role).  @heldp borrows from @given.
 */
static int simulated_identity(Request *req, const ProtoSimulateReq *in, const PolicyContext *given,
                              Identity *id, const char **heldp)
{
        _cleanup_free_ char *user = strndup(in->principal.ptr, in->principal.len);
        const char *exe, *hash, *unit;
        int r = 0;

        if (!user)
                return -ENOMEM;
        if (!user[0] || strlen(user) != in->principal.len)
                return request_param_error(req, RPC_E_TYPE, "principal");
        exe = fact(given, "roled:exe", &r);
        hash = fact(given, "roled:exe-sha256", &r);
        unit = fact(given, "roled:unit", &r);
        *heldp = fact(given, "roled:role", &r);
        if (r)
                return request_fail(
                        req, PROTO_INVALID_PARAMETER_VALUE,
                        "with principal, roled:exe, roled:exe-sha256, roled:unit and roled:role "
                        "take one value each");
        r = useridentity_get(user, id);
        if (r == USERIDENTITY_E_NO_SUCH_USER)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "principal: no user named %s", user);
        if (r)
                return r;
        if (exe && (r = useridentity_set_exe(id, exe)) < 0)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "roled:exe %s: %s", exe,
                                    strerror(-r));
        if (hash) {
                if (strlen(hash) != 2 * EXEHASH_SIZE ||
                    sodium_hex2bin(id->exe_sha256, EXEHASH_SIZE, hash, strlen(hash), NULL, NULL,
                                   NULL) != 0)
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "roled:exe-sha256 must be 64 hex digits");
                id->has_exe_sha256 = true;
        }
        if (unit && useridentity_set_unit(id, unit) < 0)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "roled:unit is too long");
        return 0;
}

/*
 * Simulate for a named principal: first the trust decision a session of the
 * role would need (trust.c, exactly as GetCredentials asks it), then the
 * permissions over the context keys such a session would carry
 * (principal.c, exactly as Authorize builds them), plus the
 * administrator's request keys.
 */
static int simulate_principal(Request *req, const ProtoSimulateReq *in, const Role *role,
                              const char *region, PolicyContext **ctxp, char *why, size_t why_len)
{
        _cleanup_(identity_deinit) Identity id = IDENTITY_INIT;
        _cleanup_(policy_context_freep) PolicyContext *given = NULL, *ctx = NULL;
        TrustScope ts = trust_scope_of(req->agent);
        PrincipalSession ps = { .role = role, .sid = "simulated", .issued = ts.now };
        const char *held = NULL;
        Principal p;
        int r;

        if ((r = policy_context_new(&given)) ||
            (r = add_request_context(req, &in->context, given, true, NULL)) ||
            (r = simulated_identity(req, in, given, &id, &held)))
                return r;
        /* Denied: 0 with no context, the reason in @why (a positive return is request_fail()'s). */
        r = trust_decide(&ts, role, &id, held, why, why_len);
        if (r == TRUST_E_DENIED)
                return 0;
        if (r)
                return r;
        principal_from_identity(&id, &p);
        p.held_role = held;
        if ((r = principal_context(ts.config, &p, &ps, ts.now, &ctx)))
                return r;
        if (region[0] && (r = policy_context_set(ctx, "aws:RequestedRegion", region, true)))
                return r;
        if ((r = add_request_context(req, &in->context, ctx, false, principal_facts)))
                return r;
        *ctxp = steal_pointer(&ctx);
        return 0;
}

/*
 * Simulate for no principal in particular: what a session of the role would
 * carry whoever holds it (principal.c's session keys), then the
 * administrator's keys, which describe any principal and count as attested
 * (they replace ours).
 */
static int simulate_anyone(Request *req, const ProtoSimulateReq *in, const Role *role,
                           const char *region, PolicyContext **ctxp)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        const char *const *users = NULL;
        size_t n_users = 0;
        int r;

        if ((r = policy_context_new(&ctx)))
                return r;
        if (region[0] && (r = policy_context_set(ctx, "aws:RequestedRegion", region, true)))
                return r;
        if ((r = principal_session_keys(ctx,
                                        &(PrincipalSession){ .role = role,
                                                             .sid = "simulated",
                                                             .issued = agent_now(req->agent) })) ||
            (r = principal_context_set_time(ctx, agent_now(req->agent))) ||
            (r = policy_context_set(ctx, "aws:SecureTransport", "true", true)) ||
            (r = policy_context_set(ctx, "aws:MultiFactorAuthPresent", "false", true)))
                return r;
        if ((r = add_request_context(req, &in->context, ctx, true, NULL)))
                return r;
        /* A session's aws:username is its roled:user: keep them in step. */
        if (!policy_context_get(ctx, "aws:username", NULL, NULL, NULL) &&
            policy_context_get(ctx, "roled:user", &users, &n_users, NULL) && n_users == 1 &&
            (r = policy_context_set(ctx, "aws:username", users[0], true)))
                return r;
        *ctxp = steal_pointer(&ctx);
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
        char why[TRUST_WHY_MAX];
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
        r = in->principal.ptr ? simulate_principal(req, in, role, region, &ctx, why, sizeof(why))
                              : simulate_anyone(req, in, role, region, &ctx);
        if (r)
                return r;
        if (!ctx) {
                /* The principal could not hold a session of the role: nothing it may do. */
                pack_decision(req, &res, role->name, why);
                return 0;
        }
        rp = access_role_policies(a->config, a->access, role);
        r = evaluate(rp, session, action, resource, ctx, &res, &reason);
        if (r)
                return r;
        pack_decision(req, &res, role->name, reason);
        return 0;
}
