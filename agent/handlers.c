/* SPDX-License-Identifier: MIT */
/*
 * handlers.c - the bodies of the methods that describe the agent and the
 * caller: Hello, GetCallerIdentity, ListRoles, Status, Reload, GetPublicKeys.
 * Methods that issue or check credentials live in handlers_session.c.
 * Each reads its parameters from req->params and packs one result map.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "keys.h"
#include "reload.h"
#include "sessions.h"
#include "trust.h"

int handle_HELLO(Request *req)
{
        uint64_t version = PROTO_VERSION;
        int r = proto_get_uint(req->params, "version", &version);

        if (r && r != RPC_E_MISSING)
                return request_param_error(req, r, "version");
        if (version < PROTO_VERSION_MIN)
                return request_fail(req, PROTO_UNSUPPORTED_VERSION,
                                    "protocol version %llu is not supported (%d..%d are)",
                                    (unsigned long long)version, PROTO_VERSION_MIN, PROTO_VERSION);
        msgpack_pack_map(&req->out->pk, 4);
        proto_pack_kv_uint(req->out, "version", version < PROTO_VERSION ? version : PROTO_VERSION);
        proto_pack_kv_str(req->out, "agent", "roled " ROLED_VERSION);
        proto_pack_kv_str(req->out, "mode", req->agent->is_user_mode ? "user" : "system");
        proto_pack_kv_uint(req->out, "uid", req->agent->uid);
        return 0;
}

int handle_GET_CALLER_IDENTITY(Request *req)
{
        const Identity *id = req->id;
        const Config *config = req->agent->config;
        const Role *def = trust_default_role(config, id);
        char arn[256];

        snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", config->account, id->user);
        msgpack_pack_map(&req->out->pk, 13);
        proto_pack_kv_uint(req->out, "uid", id->uid);
        proto_pack_kv_uint(req->out, "gid", id->gid);
        proto_pack_kv_str(req->out, "user", id->user);
        proto_pack_kv_str(req->out, "group", id->group);
        /* The primary group first, then the supplementary ones (as id(1) lists them). */
        size_t n_groups = 1;

        for (size_t i = 0; i < id->n_gids; i++)
                n_groups += id->gids[i] != id->gid;
        proto_pack_str(req->out, "groups");
        msgpack_pack_array(&req->out->pk, n_groups);
        msgpack_pack_uint32(&req->out->pk, id->gid);
        for (size_t i = 0; i < id->n_gids; i++)
                if (id->gids[i] != id->gid)
                        msgpack_pack_uint32(&req->out->pk, id->gids[i]);
        proto_pack_kv_uint(req->out, "pid", (uint64_t)id->pid);
        proto_pack_kv_str(req->out, "exe", id->exe);
        proto_pack_kv_str(req->out, "unit", id->unit);
        proto_pack_kv_str(req->out, "cgroup", id->cgroup);
        proto_pack_kv_str(req->out, "account", config->account);
        proto_pack_kv_str(req->out, "arn", arn);
        proto_pack_kv_str(req->out, "defaultRole", def ? def->name : NULL);
        proto_pack_kv_str(req->out, "identityKey", id->key ? id->key : "");
        return 0;
}

int handle_LIST_ROLES(Request *req)
{
        const Config *config = req->agent->config;
        const Role *def = trust_default_role(config, req->id);
        bool is_admin = agent_is_admin(req->agent, req->id->uid);
        char why[TRUST_WHY_MAX];
        size_t n = 0;

        /* Unprivileged callers see only what they may assume: role names are not a directory. */
        for (size_t i = 0; i < config->n_roles; i++)
                if (is_admin || trust_check(&config->roles[i], req->id, NULL, why, sizeof(why)) == 0)
                        n++;
        msgpack_pack_map(&req->out->pk, 1);
        proto_pack_str(req->out, "roles");
        msgpack_pack_array(&req->out->pk, n);
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];
                bool is_assumable = trust_check(role, req->id, NULL, why, sizeof(why)) == 0;

                if (!is_assumable && !is_admin)
                        continue;
                msgpack_pack_map(&req->out->pk, 7);
                proto_pack_kv_str(req->out, "name", role->name);
                proto_pack_kv_str(req->out, "description", role->description ? role->description : "");
                proto_pack_kv_str(req->out, "arn", role->arn);
                proto_pack_kv_uint(req->out, "maxSessionDuration", role->max_session_duration);
                proto_pack_kv_str(req->out, "issuer", "local");
                proto_pack_kv_bool(req->out, "isDefault", role == def);
                proto_pack_kv_bool(req->out, "assumable", is_assumable);
        }
        return 0;
}

int handle_STATUS(Request *req)
{
        Agent *a = req->agent;
        int64_t now = agent_now(a);

        msgpack_pack_map(&req->out->pk, 10);
        proto_pack_kv_str(req->out, "version", ROLED_VERSION);
        proto_pack_kv_uint(req->out, "protocol", PROTO_VERSION);
        proto_pack_kv_str(req->out, "mode", a->is_user_mode ? "user" : "system");
        proto_pack_kv_uint(req->out, "pid", (uint64_t)getpid());
        proto_pack_kv_uint(req->out, "uptime", (uint64_t)(now > a->started ? now - a->started : 0));
        proto_pack_kv_uint(req->out, "roles", a->config->n_roles);
        proto_pack_kv_uint(req->out, "sessions", sessions_count(a->sessions));
        proto_pack_kv_uint(req->out, "connections", a->n_conns);
        proto_pack_kv_uint(req->out, "requests", a->n_requests);
        proto_pack_kv_str(req->out, "configPath",
                          a->config->is_default_embedded ? "(embedded default)" : a->config->path);
        return 0;
}

int handle_RELOAD(Request *req)
{
        char why[1024];
        int r = agent_reload(req->agent, why, sizeof(why));

        if (r)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "new configuration rejected, the old one keeps serving: %s", why);
        msgpack_pack_map(&req->out->pk, 1);
        proto_pack_kv_uint(req->out, "roles", req->agent->config->n_roles);
        return 0;
}

int handle_GET_PUBLIC_KEYS(Request *req)
{
        const TokenPublicKey *keys;
        size_t n;
        char hex[2 * TOKEN_KEY_ID_SIZE + 1];

        keys_public(req->agent->keys, &keys, &n);
        msgpack_pack_map(&req->out->pk, 1);
        proto_pack_str(req->out, "keys");
        msgpack_pack_array(&req->out->pk, n);
        for (size_t i = 0; i < n; i++) {
                sodium_bin2hex(hex, sizeof(hex), keys[i].id, sizeof(keys[i].id));
                msgpack_pack_map(&req->out->pk, 3);
                proto_pack_kv_str(req->out, "keyId", hex);
                proto_pack_kv_bin(req->out, "publicKey", keys[i].pk, sizeof(keys[i].pk));
                proto_pack_kv_uint(req->out, "notAfter", (uint64_t)(keys[i].not_after > 0 ? keys[i].not_after : 0));
        }
        return 0;
}

int handle_GET_ROLE(Request *req)
{
        Agent *a = req->agent;
        const RolePolicies *rp;
        const Role *role;
        const char *name;
        size_t len;
        char why[TRUST_WHY_MAX];
        int r = proto_get_str(req->params, "role", PROTO_ROLE_NAME_MAX, &name, &len);

        if (r)
                return request_param_error(req, r, "role");
        role = config_find_role(a->config, name, len);
        /* Like IAM's GetRole, but only for those who may see it: admins and its principals. */
        if (!agent_is_admin(a, req->id->uid) &&
            (!role || access_trust(a->config, a->access, role, req->id, NULL, agent_now(a), why,
                                   sizeof(why)) != 0))
                return request_fail(req, PROTO_ACCESS_DENIED,
                                    "role %.*s: uid %u (%s) is not a trusted principal", (int)len,
                                    name, (unsigned)req->id->uid, req->id->user);
        if (!role)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "role %.*s does not exist", (int)len,
                                    name);
        rp = access_role_policies(a->config, a->access, role);
        msgpack_pack_map(&req->out->pk, 11);
        proto_pack_kv_str(req->out, "name", role->name);
        proto_pack_kv_str(req->out, "arn", role->arn);
        proto_pack_kv_str(req->out, "roleId", role->role_id);
        proto_pack_kv_str(req->out, "description", role->description ? role->description : "");
        proto_pack_kv_uint(req->out, "maxSessionDuration", role->max_session_duration);
        proto_pack_kv_str(req->out, "issuer", "local");
        proto_pack_kv_str(req->out, "file", role->file ? role->file : "(embedded default)");
        proto_pack_kv_str(req->out, "trustRules", rp ? rp->trust_rules_json : NULL);
        proto_pack_kv_str(req->out, "trustPolicy", role->trust_policy);
        proto_pack_kv_str(req->out, "permissionsPolicy", role->permissions);
        proto_pack_str(req->out, "tags");
        msgpack_pack_map(&req->out->pk, role->n_tags);
        for (size_t i = 0; i < role->n_tags; i++)
                proto_pack_kv_str(req->out, role->tag_keys[i], role->tag_values[i]);
        return 0;
}
