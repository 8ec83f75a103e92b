/* SPDX-License-Identifier: MIT */
/*
 * authz.c - the authorization calls of libroled: Authorize (may this
 * session do this?), Simulate (what would this role's permissions decide?)
 * and GetRole (a role's definition), with their result objects
 * roled_authz_result and roled_role.  Each makes one call through io.c;
 * requests and replies go through proto/codec.h (AuthorizeReq, SimulateReq,
 * GetRoleReq; DecisionRep, GetRoleRep): the caller's context entries and
 * signed request become the codec's ProtoContext and ProtoSignedRequest.
 * Every decision is the agent's.
 */
#include "client.h"

#include <stdio.h>

#include "decision.h"

/* A decision's name, as the agent sends it, is base/decision.h's for the same number. */
_Static_assert(ROLED_DECISION_IMPLICIT_DENY == (int)DECISION_IMPLICIT_DENY &&
                       ROLED_DECISION_ALLOW == (int)DECISION_ALLOW &&
                       ROLED_DECISION_EXPLICIT_DENY == (int)DECISION_EXPLICIT_DENY,
               "roled_decision follows decision.h");

ROLED_EXPORT const char *roled_decision_name(roled_decision decision)
{
        return decision_name((unsigned)decision);
}

/*
 * Typed requests: the caller's context entries and signed request as the
 * codec's ProtoContext and ProtoSignedRequest.  The arrays they point to
 * live in one allocation (Scratch), freed once the request is packed.
 */
typedef struct Scratch {
        void *mem;
} Scratch;

static void scratch_free(Scratch *sc)
{
        free(sc->mem);
        sc->mem = NULL;
}

/* to_context() - @ctx[@n] as a ProtoContext (absent when @n is 0).  Return: false on ENOMEM. */
static bool to_context(const roled_context_entry *ctx, size_t n, Scratch *sc, ProtoContext *out)
{
        size_t n_values = 0;
        ProtoContextEntry *items;
        ProtoStr *values;

        *out = (ProtoContext){ NULL, 0 };
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                n_values += ctx[i].n_values;
        sc->mem = calloc(1, n * sizeof(*items) + n_values * sizeof(*values));
        if (!sc->mem)
                return false;
        items = sc->mem;
        values = (ProtoStr *)(items + n);
        for (size_t i = 0; i < n; i++) {
                items[i] = (ProtoContextEntry){
                        .key = proto_str(ctx[i].key),
                        .values = values,
                        .n_values = ctx[i].n_values,
                        /* One value travels as a string, none or several as an array. */
                        .is_list = ctx[i].n_values != 1,
                };
                for (size_t j = 0; j < ctx[i].n_values; j++)
                        *values++ = proto_str(ctx[i].values[j]);
        }
        *out = (ProtoContext){ items, n };
        return true;
}

/* to_signed_request() - @sr as a ProtoSignedRequest.  Return: false on ENOMEM. */
static bool to_signed_request(const roled_signed_request *sr, Scratch *sc, ProtoSignedRequest *out)
{
        ProtoStr *names = NULL, *values;

        if (sr->n_headers) {
                names = calloc(2 * sr->n_headers, sizeof(*names));
                if (!names)
                        return false;
                sc->mem = names;
        }
        values = names ? names + sr->n_headers : NULL;
        for (size_t i = 0; i < sr->n_headers; i++) {
                names[i] = proto_str(sr->headers[i].name);
                values[i] = proto_str(sr->headers[i].value);
        }
        *out = (ProtoSignedRequest){
                .method = proto_str(sr->method),
                .path = proto_str(sr->path),
                .query = proto_str(sr->query && *sr->query ? sr->query : NULL),
                .headers = { names, values, sr->n_headers },
        };
        if (sr->payload_sha256)
                out->payload_sha256 = proto_str(sr->payload_sha256);
        else
                out->body = (ProtoStr){ sr->body ? sr->body : "", sr->body ? sr->body_len : 0 };
        return true;
}

/* A request copied by the size its caller compiled with; fields it did not know are zero. */
typedef struct AuthzArgs {
        roled_authz_request q;
        roled_signed_request sr;
} AuthzArgs;

static void pack_authorize(ProtoBuf *b, const void *arg)
{
        const roled_authz_request *r = &((const AuthzArgs *)arg)->q;
        Scratch sc_ctx = { NULL }, sc_sr = { NULL };
        ProtoSignedRequest sr;
        ProtoAuthorizeReq q = {
                .action = proto_str(r->action),
                .resource = proto_str(r->resource),
                .region = proto_str(r->region),
        };

        if (!to_context(r->context, r->n_context, &sc_ctx, &q.context) ||
            (r->signed_request && !to_signed_request(r->signed_request, &sc_sr, &sr))) {
                b->is_oom = true;
                goto out;
        }
        if (r->signed_request) {
                q.request = &sr;
                q.service = proto_str(r->service);
                q.host = proto_str(r->host);
        } else {
                q.session_token = proto_str(r->session_token);
                q.access_key_id = proto_str(r->access_key_id);
        }
        codec_encode_AuthorizeReq(b, &q);
out:
        scratch_free(&sc_ctx);
        scratch_free(&sc_sr);
}

static void pack_simulate(ProtoBuf *b, const void *arg)
{
        const roled_simulate_request *r = arg;
        Scratch sc = { NULL };
        ProtoSimulateReq q = {
                .role = proto_str(r->role),
                .action = proto_str(r->action),
                .resource = proto_str(r->resource),
                .region = proto_str(r->region),
                .session_policy = proto_str(r->session_policy),
                .principal = proto_str(r->principal),
        };

        if (!to_context(r->context, r->n_context, &sc, &q.context)) {
                b->is_oom = true;
                return;
        }
        codec_encode_SimulateReq(b, &q);
        scratch_free(&sc);
}

/* Every context entry needs a key and its values; the agent checks the rest. */
static bool context_ok(const roled_context_entry *ctx, size_t n)
{
        if (n && !ctx)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!ctx[i].key || (ctx[i].n_values && !ctx[i].values))
                        return false;
                for (size_t j = 0; j < ctx[i].n_values; j++)
                        if (!ctx[i].values[j])
                                return false;
        }
        return true;
}

static bool signed_request_ok(const roled_signed_request *sr)
{
        if (!sr->method || !sr->path || (sr->n_headers && !sr->headers))
                return false;
        for (size_t i = 0; i < sr->n_headers; i++)
                if (!sr->headers[i].name || !sr->headers[i].value)
                        return false;
        return true;
}

static void pack_get_role(ProtoBuf *b, const void *arg)
{
        codec_encode_GetRoleReq(b,
                                &(ProtoGetRoleReq){ .role = proto_str(*(const char *const *)arg) });
}

/* ---- roled_authz_result ---- */

#define AUTHZ_STRS(X)                                                                              \
        X(authz_result, policy)                                                                    \
        X(authz_result, sid)                                                                       \
        X(authz_result, role)                                                                      \
        X(authz_result, reason)

struct roled_authz_result {
        ResultHead h;
        roled_decision decision;
        bool has_match;
        uint32_t statement;
        AUTHZ_STRS(RESULT_STR_MEMBER)
};

RESULT_OBJECT(authz_result, DecisionRep, AUTHZ_STRS, RESULT_NO_REST)
RESULT_GET(authz_result, roled_decision, decision)
RESULT_GET(authz_result, bool, has_match)
RESULT_GET(authz_result, uint32_t, statement)

static roled_status authz_result_fill(const ProtoDecisionRep *rep, roled_authz_result *out,
                                      roled_error *err)
{
        roled_status st;
        Decision d;

        if (!decision_parse(rep->decision.ptr, rep->decision.len, &d))
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'decision' field");
        out->decision = (roled_decision)d;
        if ((st = result_strdup(rep->role, "role", false, &out->role, err)) ||
            (st = result_strdup(rep->reason, "reason", false, &out->reason, err)))
                return st;
        if (!rep->matched)
                return ROLED_OK;
        if (!result_u32(rep->matched->statement, &out->statement))
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'statement' field");
        if ((st = result_strdup(rep->matched->policy, "policy", false, &out->policy, err)) ||
            (st = result_strdup(rep->matched->sid, "sid", false, &out->sid, err)))
                return st;
        out->has_match = true;
        return ROLED_OK;
}

/* read_authz() - CallKind.read of Authorize: @reqp into the AuthzArgs @ap. */
static roled_status read_authz(const void *reqp, void *ap, roled_error *err)
{
        const roled_authz_request *req = reqp;
        AuthzArgs *a = ap;
        static const char why[] = "roled_authorize(): needs an action, a resource and either a "
                                  "session token or a signed request with the service and host it "
                                  "must be signed for (start from ROLED_AUTHZ_REQUEST_INIT)";

        a->q = (roled_authz_request)ROLED_AUTHZ_REQUEST_INIT;
        a->sr = (roled_signed_request)ROLED_SIGNED_REQUEST_INIT;
        if (!req || req->size < sizeof(size_t))
                return error_set(err, ROLED_E_INVALID_ARGUMENT, why);
        memcpy(&a->q, req, req->size < sizeof(a->q) ? req->size : sizeof(a->q));
        if (a->q.signed_request) {
                if (a->q.signed_request->size < sizeof(size_t))
                        return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                         "roled_authorize(): signed request without a size "
                                         "(ROLED_SIGNED_REQUEST_INIT)");
                memcpy(&a->sr, a->q.signed_request,
                       a->q.signed_request->size < sizeof(a->sr) ? a->q.signed_request->size
                                                                 : sizeof(a->sr));
                a->q.signed_request = &a->sr;
        }
        if (!a->q.action || !a->q.resource || !a->q.session_token == !a->q.signed_request ||
            (a->q.signed_request &&
             (!signed_request_ok(a->q.signed_request) || !a->q.service || !a->q.host)) ||
            !context_ok(a->q.context, a->q.n_context))
                return error_set(err, ROLED_E_INVALID_ARGUMENT, why);
        return ROLED_OK;
}

static void deliver_authz(roled_client *c, Op *op, roled_status st, void *obj,
                          const roled_error *err)
{
        ((roled_authz_cb)op->cb)(c, st, obj, err, op->userdata);
}

/* read_simulate() - CallKind.read of Simulate: @reqp into the roled_simulate_request @qp. */
static roled_status read_simulate(const void *reqp, void *qp, roled_error *err)
{
        const roled_simulate_request *req = reqp;
        roled_simulate_request *q = qp;

        *q = (roled_simulate_request)ROLED_SIMULATE_REQUEST_INIT;
        if (req && req->size >= sizeof(size_t))
                memcpy(q, req, req->size < sizeof(*q) ? req->size : sizeof(*q));
        if (!req || req->size < sizeof(size_t) || !q->role || !q->action || !q->resource ||
            !context_ok(q->context, q->n_context))
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_simulate(): needs a role, an action and a resource");
        return ROLED_OK;
}

/* The token (or the signed request holding it) is a secret: the Op's buffer is wiped. */
static const CallKind authorize_call = {
        "roled_authorize", PROTO_M_AUTHORIZE,  read_authz,
        pack_authorize,    &authz_result_kind, deliver_authz,
};

static const CallKind simulate_call = {
        "roled_simulate", PROTO_M_SIMULATE, read_simulate, pack_simulate, &authz_result_kind, NULL,
};

ROLED_EXPORT roled_status roled_authorize(roled_client *client, const roled_authz_request *req,
                                          roled_authz_result **resp, roled_error *err)
{
        AuthzArgs a;

        return call_blocking(client, &authorize_call, req, &a, resp, err);
}

ROLED_EXPORT roled_status roled_authorize_async(roled_client *client,
                                                const roled_authz_request *req, roled_authz_cb cb,
                                                void *userdata, roled_error *err)
{
        AuthzArgs a;

        return call_async(client, &authorize_call, req, &a, (void *)cb, userdata, err);
}

ROLED_EXPORT roled_status roled_simulate(roled_client *client, const roled_simulate_request *req,
                                         roled_authz_result **resp, roled_error *err)
{
        roled_simulate_request q;

        return call_blocking(client, &simulate_call, req, &q, resp, err);
}

/* ---- roled_role ---- */

#define ROLE_STRS(X)                                                                               \
        X(role, name)                                                                              \
        X(role, arn)                                                                               \
        X(role, role_id)                                                                           \
        X(role, description)                                                                       \
        X(role, issuer)                                                                            \
        X(role, file)
/* The documents, NULL when the role has none. */
#define ROLE_DOCS(X)                                                                               \
        X(role, trust_rules_json)                                                                  \
        X(role, default_rules_json)                                                                \
        X(role, trust_policy_json)                                                                 \
        X(role, permissions_policy_json)

struct roled_role {
        ResultHead h;
        ROLE_STRS(RESULT_STR_MEMBER)
        uint32_t max_session_duration;
        ROLE_DOCS(RESULT_STR_MEMBER)
        char **tag_keys, **tag_values;
        size_t n_tags;
        int exe_claim; /* 1, 0, or -1: the agent did not say */
        char **exe_claim_causes;
        size_t n_exe_claim_causes;
};

static void role_free_rest(roled_role *x)
{
        ROLE_DOCS(RESULT_FREE)
        for (size_t i = 0; i < x->n_tags; i++) {
                free(x->tag_keys[i]);
                free(x->tag_values[i]);
        }
        free(x->tag_keys);
        free(x->tag_values);
        for (size_t i = 0; i < x->n_exe_claim_causes; i++)
                free(x->exe_claim_causes[i]);
        free(x->exe_claim_causes);
}

RESULT_OBJECT(role, GetRoleRep, ROLE_STRS, role_free_rest)
RESULT_GET(role, uint32_t, max_session_duration)
ROLE_DOCS(RESULT_GET_NULLABLE)

ROLED_EXPORT size_t roled_role_tag_count(const roled_role *role)
{
        return role ? role->n_tags : 0;
}

ROLED_EXPORT const char *roled_role_tag_key(const roled_role *role, size_t i)
{
        return role && i < role->n_tags ? role->tag_keys[i] : NULL;
}

ROLED_EXPORT const char *roled_role_tag_value(const roled_role *role, size_t i)
{
        return role && i < role->n_tags ? role->tag_values[i] : NULL;
}

ROLED_EXPORT int roled_role_exe_claim(const roled_role *role)
{
        return role ? role->exe_claim : -1;
}

ROLED_EXPORT size_t roled_role_exe_claim_cause_count(const roled_role *role)
{
        return role ? role->n_exe_claim_causes : 0;
}

ROLED_EXPORT const char *roled_role_exe_claim_cause(const roled_role *role, size_t i)
{
        return role && i < role->n_exe_claim_causes ? role->exe_claim_causes[i] : NULL;
}

/*
 * Copy exeClaim and exeClaimCauses: an agent sends both or (before them)
 * neither, and exeClaim is true exactly when there are causes (an absent
 * exeClaim decodes as false).  Return: ROLED_OK, ROLED_E_PROTOCOL for a
 * reply where the two disagree, or ROLED_E_NOMEM.
 */
static roled_status copy_exe_claim(roled_role *r, const ProtoGetRoleRep *rep, roled_error *err)
{
        const ProtoStrList *causes = &rep->exe_claim_causes;

        if (causes->items ? rep->has_exe_claim != (causes->n > 0) : rep->has_exe_claim)
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent 'exeClaim' and 'exeClaimCauses' that disagree");
        r->exe_claim = causes->items ? rep->has_exe_claim : -1;
        if (!causes->items || causes->n == 0)
                return ROLED_OK;
        r->exe_claim_causes = calloc(causes->n, sizeof(*r->exe_claim_causes));
        if (!r->exe_claim_causes)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        for (size_t i = 0; i < causes->n; i++) {
                r->exe_claim_causes[i] = strndup(causes->items[i].ptr, causes->items[i].len);
                if (!r->exe_claim_causes[i])
                        return error_set(err, ROLED_E_NOMEM, "out of memory");
                r->n_exe_claim_causes = i + 1;
        }
        return ROLED_OK;
}

/* Copy the tags map; Return: ROLED_OK or ROLED_E_NOMEM. */
static roled_status copy_tags(roled_role *r, const ProtoStrMap *tags, roled_error *err)
{
        if (tags->n == 0)
                return ROLED_OK;
        r->tag_keys = calloc(tags->n, sizeof(*r->tag_keys));
        r->tag_values = calloc(tags->n, sizeof(*r->tag_values));
        if (!r->tag_keys || !r->tag_values)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        for (size_t i = 0; i < tags->n; i++) {
                r->tag_keys[i] = strdup(tags->keys[i]);
                r->tag_values[i] = strdup(tags->values[i]);
                r->n_tags = i + 1;
                if (!r->tag_keys[i] || !r->tag_values[i])
                        return error_set(err, ROLED_E_NOMEM, "out of memory");
        }
        return ROLED_OK;
}

static roled_status role_fill(const ProtoGetRoleRep *rep, roled_role *r, roled_error *err)
{
        roled_status st;

        if (!result_u32(rep->max_session_duration, &r->max_session_duration))
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent a bad 'maxSessionDuration' field");
        if ((st = result_strdup(rep->name, "name", false, &r->name, err)) ||
            (st = result_strdup(rep->arn, "arn", false, &r->arn, err)) ||
            (st = result_strdup(rep->role_id, "roleId", false, &r->role_id, err)) ||
            (st = result_strdup(rep->description, "description", false, &r->description, err)) ||
            (st = result_strdup(rep->issuer, "issuer", false, &r->issuer, err)) ||
            (st = result_strdup(rep->file, "file", false, &r->file, err)) ||
            (st = result_strdup(rep->trust_rules, "trustRules", true, &r->trust_rules_json, err)) ||
            (st = result_strdup(rep->default_rules, "defaultRules", true, &r->default_rules_json,
                                err)) ||
            (st = copy_tags(r, &rep->tags, err)) || (st = copy_exe_claim(r, rep, err)) ||
            (st = result_strdup(rep->trust_policy, "trustPolicy", true, &r->trust_policy_json,
                                err)) ||
            (st = result_strdup(rep->permissions_policy, "permissionsPolicy", true,
                                &r->permissions_policy_json, err)))
                return st;
        return ROLED_OK;
}

/* read_name() - CallKind.read of GetRole: the role name @req, which pack_get_role() reads from
 * @namep. */
static roled_status read_name(const void *req, void *namep, roled_error *err)
{
        if (!req)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_get_role(): needs a role name");
        *(const char **)namep = req;
        return ROLED_OK;
}

static const CallKind get_role_call = {
        "roled_get_role", PROTO_M_GET_ROLE, read_name, pack_get_role, &role_kind, NULL,
};

ROLED_EXPORT roled_status roled_get_role(roled_client *client, const char *name, roled_role **rolep,
                                         roled_error *err)
{
        const char *q;

        return call_blocking(client, &get_role_call, name, &q, rolep, err);
}
