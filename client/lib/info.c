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

struct roled_identity {
        ResultHead h;
        uint32_t uid, gid, pid;
        char *user, *group, *exe, *unit, *cgroup, *account, *arn, *default_role;
        uint32_t *groups;
        size_t n_groups;
};

static void identity_destroy(void *obj)
{
        roled_identity *id = obj;

        free(id->user);
        free(id->group);
        free(id->exe);
        free(id->unit);
        free(id->cgroup);
        free(id->account);
        free(id->arn);
        free(id->default_role);
        free(id->groups);
}

RESULT_REFS(identity)
RESULT_GET(identity, uint32_t, uid)
RESULT_GET(identity, uint32_t, gid)
RESULT_GET(identity, uint32_t, pid)
RESULT_GET_STR(identity, user)
RESULT_GET_STR(identity, group)
RESULT_GET_STR(identity, exe)
RESULT_GET_STR(identity, unit)
RESULT_GET_STR(identity, cgroup)
RESULT_GET_STR(identity, account)
RESULT_GET_STR(identity, arn)
RESULT_GET_STR(identity, default_role)

ROLED_EXPORT const uint32_t *roled_identity_groups(const roled_identity *id, size_t *n_groupsp)
{
        if (n_groupsp)
                *n_groupsp = id ? id->n_groups : 0;
        return id ? id->groups : NULL;
}

roled_status identity_decode(const msgpack_object *m, msgpack_zone *zone, void **objp,
                             roled_error *err)
{
        roled_identity *id;
        ProtoGetCallerIdentityRep rep;
        const char *field = NULL;
        roled_status st;

        if ((st = result_decoded(codec_decode_GetCallerIdentityRep(m, zone, &rep, &field), field,
                                 err)))
                return st;
        if (rep.uid > UINT32_MAX || rep.gid > UINT32_MAX || rep.pid > UINT32_MAX)
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent a bad 'uid', 'gid' or 'pid' field");
        id = result_alloc(sizeof(*id), identity_destroy);
        if (!id)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        id->uid = (uint32_t)rep.uid;
        id->gid = (uint32_t)rep.gid;
        id->pid = (uint32_t)rep.pid;
        if ((st = result_strdup(rep.user, "user", false, &id->user, err)) ||
            (st = result_strdup(rep.group, "group", false, &id->group, err)) ||
            (st = result_strdup(rep.exe, "exe", false, &id->exe, err)) ||
            (st = result_strdup(rep.unit, "unit", false, &id->unit, err)) ||
            (st = result_strdup(rep.cgroup, "cgroup", false, &id->cgroup, err)) ||
            (st = result_strdup(rep.account, "account", false, &id->account, err)) ||
            (st = result_strdup(rep.arn, "arn", false, &id->arn, err)) ||
            (st = result_strdup(rep.default_role, "defaultRole", false, &id->default_role, err)))
                goto fail;
        /* Every group the agent sent: the message size is the only bound. */
        id->groups = calloc(rep.groups.n + 1, sizeof(*id->groups));
        if (!id->groups) {
                st = error_set(err, ROLED_E_NOMEM, "out of memory");
                goto fail;
        }
        if (rep.groups.n)
                memcpy(id->groups, rep.groups.items, rep.groups.n * sizeof(*id->groups));
        id->n_groups = rep.groups.n;
        *objp = id;
        return ROLED_OK;
fail:
        result_unref(id);
        return st;
}

static void deliver_identity(roled_client *c, Op *op, roled_status st, void *obj,
                             const roled_error *err)
{
        ((roled_identity_cb)op->cb)(c, st, obj, err, op->userdata);
}

static const CallKind whoami_call = {
        "roled_whoami", PROTO_M_GET_CALLER_IDENTITY, NULL, NULL, identity_decode, deliver_identity,
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

typedef struct RoleInfo {
        char *name, *description, *arn, *issuer;
        uint32_t max_session_duration;
        bool is_default, is_assumable;
} RoleInfo;

struct roled_role_list {
        ResultHead h;
        RoleInfo *roles;
        size_t n;
};

static void role_list_destroy(void *obj)
{
        roled_role_list *l = obj;

        for (size_t i = 0; i < l->n; i++) {
                free(l->roles[i].name);
                free(l->roles[i].description);
                free(l->roles[i].arn);
                free(l->roles[i].issuer);
        }
        free(l->roles);
}

RESULT_REFS(role_list)

ROLED_EXPORT size_t roled_role_list_count(const roled_role_list *list)
{
        return list ? list->n : 0;
}

static const RoleInfo *entry(const roled_role_list *l, size_t i)
{
        static const RoleInfo none = { "", "", "", "", 0, false, false };

        return l && i < l->n ? &l->roles[i] : &none;
}

/* Getters of the list's entry @i; out of range, or no list, gives "" and 0. */
#define ENTRY_GET(rtype, field)                                                                    \
        ROLED_EXPORT rtype roled_role_list_##field(const roled_role_list *list, size_t i)          \
        {                                                                                          \
                return entry(list, i)->field;                                                      \
        }
ENTRY_GET(const char *, name)
ENTRY_GET(const char *, description)
ENTRY_GET(const char *, arn)
ENTRY_GET(uint32_t, max_session_duration)
ENTRY_GET(const char *, issuer)
ENTRY_GET(bool, is_default)
ENTRY_GET(bool, is_assumable)

roled_status role_list_decode(const msgpack_object *m, msgpack_zone *zone, void **objp,
                              roled_error *err)
{
        roled_role_list *l;
        ProtoListRolesRep rep;
        const char *field = NULL;
        roled_status st;

        if ((st = result_decoded(codec_decode_ListRolesRep(m, zone, &rep, &field), field, err)))
                return st;
        l = result_alloc(sizeof(*l), role_list_destroy);
        if (!l)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        l->roles = calloc(rep.roles.n + 1, sizeof(*l->roles));
        if (!l->roles) {
                st = error_set(err, ROLED_E_NOMEM, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < rep.roles.n; i++) {
                const ProtoRoleSummary *r = &rep.roles.items[i];
                RoleInfo *out = &l->roles[i];

                /* Counted first, so the destructor frees a partly filled entry too. */
                l->n++;
                if (r->max_session_duration > UINT32_MAX) {
                        st = error_set(err, ROLED_E_PROTOCOL,
                                       "roled sent a bad 'maxSessionDuration' field");
                        goto fail;
                }
                out->max_session_duration = (uint32_t)r->max_session_duration;
                out->is_default = r->is_default;
                out->is_assumable = r->is_assumable;
                if ((st = result_strdup(r->name, "name", false, &out->name, err)) ||
                    (st = result_strdup(r->description, "description", false, &out->description,
                                        err)) ||
                    (st = result_strdup(r->arn, "arn", false, &out->arn, err)) ||
                    (st = result_strdup(r->issuer, "issuer", false, &out->issuer, err)))
                        goto fail;
        }
        *objp = l;
        return ROLED_OK;
fail:
        result_unref(l);
        return st;
}

static const CallKind list_roles_call = {
        "roled_list_roles", PROTO_M_LIST_ROLES, NULL, NULL, role_list_decode, NULL,
};

ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_list **listp,
                                           roled_error *err)
{
        return call_blocking(client, &list_roles_call, NULL, NULL, listp, err);
}

/* ---- calls answered by one count ---- */

static roled_status read_revoked(const msgpack_object *m, msgpack_zone *zone, void *arg,
                                 roled_error *err)
{
        ProtoRevokeRep rep;
        const char *field = NULL;
        roled_status st = result_decoded(codec_decode_RevokeRep(m, zone, &rep, &field), field, err);

        if (st == ROLED_OK)
                *(uint64_t *)arg = rep.revoked;
        return st;
}

static roled_status read_reloaded(const msgpack_object *m, msgpack_zone *zone, void *arg,
                                  roled_error *err)
{
        ProtoReloadRep rep;
        const char *field = NULL;
        roled_status st = result_decoded(codec_decode_ReloadRep(m, zone, &rep, &field), field, err);

        if (st == ROLED_OK)
                *(uint64_t *)arg = rep.roles;
        return st;
}

static void pack_revoke(ProtoBuf *b, const void *arg)
{
        codec_encode_RevokeReq(b, &(ProtoRevokeReq){ .role = proto_str(arg) });
}

/* count_call() - a call whose result is one count, read by @read_fn. */
static roled_status count_call(roled_client *c, ProtoMethod method, OpPackFn pack, const void *arg,
                               OpReadFn read_fn, uint32_t *np, roled_error *err)
{
        int64_t start = client_now_ms();
        uint64_t n = 0;
        roled_status st;
        Op *op;

        if ((st = client_check(c, err)))
                return st;
        op = op_new(c, OP_BLOCKING, method, pack, arg);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_read(c, op, start, read_fn, &n, err);
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

static roled_status read_json(const msgpack_object *m, msgpack_zone *zone, void *arg,
                              roled_error *err)
{
        JsonBuf *b = arg;

        json_msgpack(b, m);
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

        if (jsonp)
                *jsonp = NULL;
        if ((st = client_check(client, err)))
                return st;
        if (!jsonp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_agent_status_json(): jsonp is NULL");
        op = op_new(client, OP_BLOCKING, PROTO_M_STATUS, NULL, NULL);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_read(client, op, start, read_json, &b, err);
        if (st != ROLED_OK) {
                json_buf_deinit(&b);
                return st;
        }
        *jsonp = b.data;
        return ROLED_OK;
}
