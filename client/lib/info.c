/* SPDX-License-Identifier: MIT */
/*
 * info.c - the small calls of libroled: GetCallerIdentity (roled_identity),
 * ListRoles (roled_role_list), Revoke, Reload and Status.  Each makes one
 * call through io.c; params and results go through proto/codec.h's structs
 * (Status is turned into JSON as it comes).
 */
#include "client.h"

#include "jsonmp.h"

/* ---- roled_identity ---- */

#define IDENTITY_STRS(X)                                                                           \
        X(identity, user)                                                                          \
        X(identity, group)                                                                         \
        X(identity, exe)                                                                           \
        X(identity, unit)                                                                          \
        X(identity, cgroup)                                                                        \
        X(identity, account)                                                                       \
        X(identity, arn)                                                                           \
        X(identity, default_role)

struct roled_identity {
        ResultHead h;
        uint32_t uid, gid, pid;
        IDENTITY_STRS(RESULT_STR_MEMBER)
        uint32_t *groups;
        size_t n_groups;
};

static void identity_free_groups(roled_identity *x)
{
        free(x->groups);
}

RESULT_OBJECT(identity, GetCallerIdentityRep, IDENTITY_STRS, identity_free_groups)
RESULT_GET(identity, uint32_t, uid)
RESULT_GET(identity, uint32_t, gid)
RESULT_GET(identity, uint32_t, pid)

ROLED_EXPORT const uint32_t *roled_identity_groups(const roled_identity *id, size_t *n_groupsp)
{
        if (n_groupsp)
                *n_groupsp = id ? id->n_groups : 0;
        return id ? id->groups : NULL;
}

static roled_status identity_fill(const ProtoGetCallerIdentityRep *rep, roled_identity *id,
                                  roled_error *err)
{
        roled_status st;

        if (!result_u32(rep->uid, &id->uid) || !result_u32(rep->gid, &id->gid) ||
            !result_u32(rep->pid, &id->pid))
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent a bad 'uid', 'gid' or 'pid' field");
        if ((st = result_strdup(rep->user, "user", false, &id->user, err)) ||
            (st = result_strdup(rep->group, "group", false, &id->group, err)) ||
            (st = result_strdup(rep->exe, "exe", false, &id->exe, err)) ||
            (st = result_strdup(rep->unit, "unit", false, &id->unit, err)) ||
            (st = result_strdup(rep->cgroup, "cgroup", false, &id->cgroup, err)) ||
            (st = result_strdup(rep->account, "account", false, &id->account, err)) ||
            (st = result_strdup(rep->arn, "arn", false, &id->arn, err)) ||
            (st = result_strdup(rep->default_role, "defaultRole", false, &id->default_role, err)))
                return st;
        /* Every group the agent sent: the message size is the only bound. */
        id->groups = calloc(rep->groups.n + 1, sizeof(*id->groups));
        if (!id->groups)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        if (rep->groups.n)
                memcpy(id->groups, rep->groups.items, rep->groups.n * sizeof(*id->groups));
        id->n_groups = rep->groups.n;
        return ROLED_OK;
}

static void deliver_identity(roled_client *c, Op *op, roled_status st, void *obj,
                             const roled_error *err)
{
        ((roled_identity_cb)op->cb)(c, st, obj, err, op->userdata);
}

static const CallKind whoami_call = {
        "roled_whoami", PROTO_M_GET_CALLER_IDENTITY, NULL, NULL, &identity_kind, deliver_identity,
};

ROLED_EXPORT roled_status roled_whoami(roled_client *client, roled_identity **idp, roled_error *err)
{
        return call_blocking(client, &whoami_call, NULL, NULL, idp, err);
}

ROLED_EXPORT roled_status roled_whoami_async(roled_client *client, roled_identity_cb cb,
                                             void *userdata, roled_error *err)
{
        return call_async(client, &whoami_call, NULL, NULL, (void *)cb, userdata, err);
}

/* ---- roled_role_list ---- */

#define ROLE_INFO_STRS(X)                                                                          \
        X(role_list, name)                                                                         \
        X(role_list, description)                                                                  \
        X(role_list, arn)                                                                          \
        X(role_list, issuer)

typedef struct RoleInfo {
        ROLE_INFO_STRS(RESULT_STR_MEMBER)
        uint32_t max_session_duration;
        bool is_default, is_assumable;
} RoleInfo;

/* Getters of the list's entry @i; out of range, or no list, gives "" and 0. */
RESULT_LIST(role_list, RoleInfo, ROLE_INFO_STRS, "", "", "", "", 0, false, false)
RESULT_LIST_GET(role_list, uint32_t, max_session_duration)
RESULT_LIST_GET(role_list, bool, is_default)
RESULT_LIST_GET(role_list, bool, is_assumable)
RESULT_KIND(role_list, ListRolesRep)

static roled_status role_list_fill(const ProtoListRolesRep *rep, roled_role_list *l,
                                   roled_error *err)
{
        roled_status st;

        l->v = calloc(rep->roles.n + 1, sizeof(*l->v));
        if (!l->v)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        for (size_t i = 0; i < rep->roles.n; i++) {
                const ProtoRoleSummary *r = &rep->roles.items[i];
                RoleInfo *out = &l->v[i];

                /* Counted first, so the destructor frees a partly filled entry too. */
                l->n++;
                if (!result_u32(r->max_session_duration, &out->max_session_duration))
                        return error_set(err, ROLED_E_PROTOCOL,
                                         "roled sent a bad 'maxSessionDuration' field");
                out->is_default = r->is_default;
                out->is_assumable = r->is_assumable;
                if ((st = result_strdup(r->name, "name", false, &out->name, err)) ||
                    (st = result_strdup(r->description, "description", false, &out->description,
                                        err)) ||
                    (st = result_strdup(r->arn, "arn", false, &out->arn, err)) ||
                    (st = result_strdup(r->issuer, "issuer", false, &out->issuer, err)))
                        return st;
        }
        return ROLED_OK;
}

static const CallKind list_roles_call = {
        "roled_list_roles", PROTO_M_LIST_ROLES, NULL, NULL, &role_list_kind, NULL,
};

ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_list **listp,
                                           roled_error *err)
{
        return call_blocking(client, &list_roles_call, NULL, NULL, listp, err);
}

/* ---- calls answered by one count ---- */

roled_status read_revoked(const void *reply, void *arg, roled_error *err)
{
        (void)err;
        *(uint64_t *)arg = ((const ProtoRevokeRep *)reply)->revoked;
        return ROLED_OK;
}

static roled_status read_reloaded(const void *reply, void *arg, roled_error *err)
{
        (void)err;
        *(uint64_t *)arg = ((const ProtoReloadRep *)reply)->roles;
        return ROLED_OK;
}

static void pack_revoke(ProtoBuf *b, const void *arg)
{
        codec_encode_RevokeReq(b, &(ProtoRevokeReq){ .role = proto_str(arg) });
}

/* count_call() - a call whose result is one count, read by @read_fn. */
static roled_status count_call(roled_client *c, ProtoMethod method, OpPackFn pack, const void *arg,
                               OpReadFn read_fn, uint32_t *np, roled_error *err)
{
        uint64_t n = 0;
        roled_status st = call_read(c, method, pack, arg, read_fn, &n, err);

        if (st == ROLED_OK && np)
                *np = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        return st;
}

ROLED_EXPORT roled_status roled_revoke(roled_client *client, const char *role, uint32_t *n_revokedp,
                                       roled_error *err)
{
        roled_status st = count_call(client, PROTO_M_REVOKE, pack_revoke, role, read_revoked,
                                     n_revokedp, err);

        /* Our own cached credentials for those sessions are dead now (the agent's notification says
         * so too). */
        if (st == ROLED_OK)
                creds_cache_revoked(client, role);
        return st;
}

ROLED_EXPORT roled_status roled_reload(roled_client *client, uint32_t *n_rolesp, roled_error *err)
{
        return count_call(client, PROTO_M_RELOAD, NULL, NULL, read_reloaded, n_rolesp, err);
}

/* OpReadFn of Status, read raw (io_call_raw()): every field the agent sent, as JSON. */
static roled_status read_json(const void *result, void *arg, roled_error *err)
{
        JsonBuf *b = arg;

        json_msgpack(b, result);
        if (b->is_oom)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_agent_status_json(roled_client *client, char **jsonp,
                                                  roled_error *err)
{
        int64_t start = client_now_ms();
        JsonBuf b = JSON_BUF_INIT;
        roled_status st;
        Op *op;

        if ((st = call_check_out(client, jsonp, "roled_agent_status_json", "jsonp", err)))
                return st;
        op = op_new(client, OP_BLOCKING, PROTO_M_STATUS, NULL, NULL);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_raw(client, op, start, read_json, &b, err);
        if (st != ROLED_OK) {
                json_buf_deinit(&b);
                return st;
        }
        *jsonp = b.data;
        return ROLED_OK;
}
