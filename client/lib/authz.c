/* SPDX-License-Identifier: MIT */
/*
 * authz.c - the authorization calls of libroled: Authorize (may this
 * session do this?), Simulate (what would this role's permissions decide?)
 * and GetRole (a role's definition).  Each packs its params, makes one
 * client_call() and copies the result; transport is client.c's, every
 * decision is the agent's.
 */
#include "client.h"

#include <stdio.h>

ROLED_EXPORT const char *roled_decision_name(roled_decision decision)
{
        switch (decision) {
        case ROLED_DECISION_ALLOW:
                return "allow";
        case ROLED_DECISION_EXPLICIT_DENY:
                return "explicit-deny";
        case ROLED_DECISION_IMPLICIT_DENY:
        default:
                return "implicit-deny";
        }
}

/* The "context" map: one value as a string, several (or none) as an array. */
static void pack_context(ProtoBuf *b, const roled_context_entry *ctx, size_t n)
{
        proto_pack_str(b, "context");
        msgpack_pack_map(&b->pk, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
                proto_pack_str(b, ctx[i].key);
                if (ctx[i].n_values == 1) {
                        proto_pack_str(b, ctx[i].values[0]);
                        continue;
                }
                msgpack_pack_array(&b->pk, (uint32_t)ctx[i].n_values);
                for (size_t j = 0; j < ctx[i].n_values; j++)
                        proto_pack_str(b, ctx[i].values[j]);
        }
}

static void pack_signed_request(ProtoBuf *b, const roled_signed_request *sr)
{
        bool has_query = sr->query && *sr->query;

        proto_pack_str(b, "request");
        msgpack_pack_map(&b->pk, 4 + has_query);
        proto_pack_kv_str(b, "method", sr->method);
        proto_pack_kv_str(b, "path", sr->path);
        if (has_query)
                proto_pack_kv_str(b, "query", sr->query);
        proto_pack_str(b, "headers");
        msgpack_pack_array(&b->pk, (uint32_t)sr->n_headers);
        for (size_t i = 0; i < sr->n_headers; i++) {
                msgpack_pack_array(&b->pk, 2);
                proto_pack_str(b, sr->headers[i].name);
                proto_pack_str(b, sr->headers[i].value);
        }
        if (sr->payload_sha256)
                proto_pack_kv_str(b, "payloadSha256", sr->payload_sha256);
        else
                proto_pack_kv_bin(b, "body", sr->body ? sr->body : "", sr->body ? sr->body_len : 0);
}

static void pack_authorize(ProtoBuf *b, const void *arg)
{
        const roled_authz_request *r = arg;
        bool has_akid = !r->signed_request && r->access_key_id;

        msgpack_pack_map(&b->pk, 3 + has_akid + !!r->region + !!r->n_context + 2 * !!r->signed_request);
        if (r->signed_request) {
                pack_signed_request(b, r->signed_request);
                proto_pack_kv_str(b, "service", r->service);
                proto_pack_kv_str(b, "host", r->host);
        } else {
                proto_pack_kv_str(b, "sessionToken", r->session_token);
        }
        if (has_akid)
                proto_pack_kv_str(b, "accessKeyId", r->access_key_id);
        proto_pack_kv_str(b, "action", r->action);
        proto_pack_kv_str(b, "resource", r->resource);
        if (r->region)
                proto_pack_kv_str(b, "region", r->region);
        if (r->n_context)
                pack_context(b, r->context, r->n_context);
}

static void pack_simulate(ProtoBuf *b, const void *arg)
{
        const roled_simulate_request *r = arg;

        msgpack_pack_map(&b->pk, 3 + !!r->region + !!r->n_context + !!r->session_policy);
        proto_pack_kv_str(b, "role", r->role);
        proto_pack_kv_str(b, "action", r->action);
        proto_pack_kv_str(b, "resource", r->resource);
        if (r->region)
                proto_pack_kv_str(b, "region", r->region);
        if (r->n_context)
                pack_context(b, r->context, r->n_context);
        if (r->session_policy)
                proto_pack_kv_str(b, "sessionPolicy", r->session_policy);
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

/* decode_decision() - the result map of Authorize/Simulate into @out. */
static roled_status decode_decision(roled_client *c, const msgpack_object *m, roled_authz_result *out)
{
        const msgpack_object *matched;
        roled_status st;
        uint32_t stmt;

        memset(out, 0, sizeof(*out));
        if (proto_str_eq(proto_get(m, "decision"), "allow"))
                out->decision = ROLED_DECISION_ALLOW;
        else if (proto_str_eq(proto_get(m, "decision"), "explicit-deny"))
                out->decision = ROLED_DECISION_EXPLICIT_DENY;
        else if (proto_str_eq(proto_get(m, "decision"), "implicit-deny"))
                out->decision = ROLED_DECISION_IMPLICIT_DENY;
        else {
                client_set_error(c, "roled sent a bad 'decision' field");
                return ROLED_E_PROTOCOL;
        }
        if ((st = result_str_opt(c, m, "role", out->role, sizeof(out->role))) ||
            (st = result_str_opt(c, m, "reason", out->reason, sizeof(out->reason))))
                return st;
        matched = proto_get(m, "matched");
        if (!matched)
                return ROLED_OK;
        if (matched->type != MSGPACK_OBJECT_MAP) {
                client_set_error(c, "roled sent a bad 'matched' field");
                return ROLED_E_PROTOCOL;
        }
        if ((st = result_str_opt(c, matched, "policy", out->policy, sizeof(out->policy))) ||
            (st = result_u32(c, matched, "statement", &stmt)) ||
            (st = result_str_opt(c, matched, "sid", out->sid, sizeof(out->sid))))
                return st;
        out->has_match = true;
        out->statement = stmt;
        return ROLED_OK;
}

/* decision_call() - Authorize or Simulate: one call, its decision copied into @res. */
static roled_status decision_call(roled_client *c, const char *method, ClientPackFn pack,
                                  const void *arg, bool is_secret, roled_authz_result *res)
{
        roled_authz_result out;
        ClientReply rep;
        roled_status st;

        pthread_mutex_lock(&c->lock);
        st = client_call(c, method, pack, arg, is_secret, &rep);
        if (st == ROLED_OK) {
                st = decode_decision(c, rep.msg.result, &out);
                client_reply_done(c, &rep);
        }
        pthread_mutex_unlock(&c->lock);
        if (st == ROLED_OK)
                *res = out;
        return st;
}

ROLED_EXPORT roled_status roled_authorize(roled_client *client, const roled_authz_request *req,
                                          roled_authz_result *res)
{
        if (!client || !req || !res || !req->action || !req->resource ||
            !req->session_token == !req->signed_request ||
            (req->signed_request &&
             (!signed_request_ok(req->signed_request) || !req->service || !req->host)) ||
            !context_ok(req->context, req->n_context)) {
                if (client)
                        client_set_error(client, "roled_authorize(): needs an action, a resource "
                                                 "and either a session token or a signed request "
                                                 "with the service and host it must be signed for");
                return ROLED_E_INVALID_ARGUMENT;
        }
        /* The token (or the signed request holding it) is a secret: its buffer is wiped. */
        return decision_call(client, "Authorize", pack_authorize, req, true, res);
}

ROLED_EXPORT roled_status roled_simulate(roled_client *client, const roled_simulate_request *req,
                                         roled_authz_result *res)
{
        if (!client || !req || !res || !req->role || !req->action || !req->resource ||
            !context_ok(req->context, req->n_context)) {
                if (client)
                        client_set_error(client, "roled_simulate(): needs a role, an action and a resource");
                return ROLED_E_INVALID_ARGUMENT;
        }
        return decision_call(client, "Simulate", pack_simulate, req, false, res);
}

ROLED_EXPORT void roled_role_clear(roled_role *role)
{
        if (!role)
                return;
        free(role->name);
        free(role->arn);
        free(role->role_id);
        free(role->description);
        free(role->issuer);
        free(role->file);
        free(role->trust_rules_json);
        free(role->trust_policy_json);
        free(role->permissions_policy_json);
        memset(role, 0, sizeof(*role));
}

/*
 * dup_field() - a NUL-terminated heap copy of string field @key (at most
 * PROTO_MESSAGE_MAX bytes); absent or nil gives NULL unless @is_required.
 */
static roled_status dup_field(roled_client *c, const msgpack_object *m, const char *key,
                              bool is_required, char **outp)
{
        char *s = NULL;
        int r = proto_strndup(m, key, PROTO_MESSAGE_MAX, &s);

        if (r == -ENOMEM)
                return ROLED_E_NOMEM;
        if (r == RPC_E_MISSING && !is_required) {
                *outp = NULL;
                return ROLED_OK;
        }
        if (r) {
                client_set_error(c, "roled sent a bad '%s' field", key);
                return ROLED_E_PROTOCOL;
        }
        *outp = s;
        return ROLED_OK;
}

typedef struct GetRoleParams {
        const char *name;
} GetRoleParams;

static void pack_get_role(ProtoBuf *b, const void *arg)
{
        const GetRoleParams *p = arg;

        msgpack_pack_map(&b->pk, 1);
        proto_pack_kv_str(b, "role", p->name);
}

ROLED_EXPORT roled_status roled_get_role(roled_client *client, const char *name, roled_role *role)
{
        GetRoleParams p = { .name = name };
        roled_role out = { 0 };
        const msgpack_object *m;
        ClientReply rep;
        roled_status st;

        if (!client || !name || !role)
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = client_call(client, "GetRole", pack_get_role, &p, false, &rep);
        if (st != ROLED_OK)
                goto out;
        m = rep.msg.result;
        if ((st = dup_field(client, m, "name", true, &out.name)) ||
            (st = dup_field(client, m, "arn", true, &out.arn)) ||
            (st = dup_field(client, m, "roleId", false, &out.role_id)) ||
            (st = dup_field(client, m, "description", false, &out.description)) ||
            (st = dup_field(client, m, "issuer", false, &out.issuer)) ||
            (st = dup_field(client, m, "file", false, &out.file)) ||
            (st = dup_field(client, m, "trustRules", false, &out.trust_rules_json)) ||
            (st = dup_field(client, m, "trustPolicy", false, &out.trust_policy_json)) ||
            (st = dup_field(client, m, "permissionsPolicy", false, &out.permissions_policy_json)) ||
            (st = result_u32_opt(client, m, "maxSessionDuration", &out.max_session_duration)))
                goto done;
        /* Absent descriptive fields become "", so callers can print them without checks. */
        if ((!out.role_id && !(out.role_id = strdup(""))) ||
            (!out.description && !(out.description = strdup(""))) ||
            (!out.issuer && !(out.issuer = strdup(""))) || (!out.file && !(out.file = strdup(""))))
                st = ROLED_E_NOMEM;
done:
        client_reply_done(client, &rep);
out:
        pthread_mutex_unlock(&client->lock);
        if (st == ROLED_OK) {
                *role = out;
                return ROLED_OK;
        }
        roled_role_clear(&out);
        return st;
}
