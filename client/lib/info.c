/* SPDX-License-Identifier: MIT */
/*
 * info.c - the small calls of libroled: GetCallerIdentity (roled_identity),
 * ListRoles (roled_role_list), Revoke, Reload and Status.  Each packs its
 * params, makes one call through io.c and decodes the result map into an
 * object or a count.
 */
#include "client.h"

#include "jsonw.h"

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

roled_status identity_decode(const msgpack_object *m, void **objp, roled_error *err)
{
        roled_identity *id = result_alloc(sizeof(*id), identity_destroy);
        const msgpack_object *groups;
        roled_status st;

        if (!id)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        if ((st = result_u32(m, "uid", true, &id->uid, err)) ||
            (st = result_u32(m, "gid", true, &id->gid, err)) ||
            (st = result_u32(m, "pid", false, &id->pid, err)) ||
            (st = result_dup(m, "user", PROTO_MESSAGE_MAX, false, false, &id->user, err)) ||
            (st = result_dup(m, "group", PROTO_MESSAGE_MAX, false, false, &id->group, err)) ||
            (st = result_dup(m, "exe", PROTO_MESSAGE_MAX, false, false, &id->exe, err)) ||
            (st = result_dup(m, "unit", PROTO_MESSAGE_MAX, false, false, &id->unit, err)) ||
            (st = result_dup(m, "cgroup", PROTO_MESSAGE_MAX, false, false, &id->cgroup, err)) ||
            (st = result_dup(m, "account", PROTO_MESSAGE_MAX, false, false, &id->account, err)) ||
            (st = result_dup(m, "arn", PROTO_MESSAGE_MAX, false, false, &id->arn, err)) ||
            (st = result_dup(m, "defaultRole", PROTO_MESSAGE_MAX, false, false, &id->default_role, err)))
                goto fail;
        groups = proto_get(m, "groups");
        if (groups) {
                if (groups->type != MSGPACK_OBJECT_ARRAY) {
                        st = error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'groups' field");
                        goto fail;
                }
                /* Every group the agent sent: the message size is the only bound. */
                id->groups = calloc(groups->via.array.size + 1, sizeof(*id->groups));
                if (!id->groups) {
                        st = error_set(err, ROLED_E_NOMEM, "out of memory");
                        goto fail;
                }
                for (uint32_t i = 0; i < groups->via.array.size; i++) {
                        const msgpack_object *g = &groups->via.array.ptr[i];

                        if (g->type != MSGPACK_OBJECT_POSITIVE_INTEGER || g->via.u64 > UINT32_MAX) {
                                st = error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'groups' field");
                                goto fail;
                        }
                        id->groups[id->n_groups++] = (uint32_t)g->via.u64;
                }
        }
        *objp = id;
        return ROLED_OK;
fail:
        result_unref(id);
        return st;
}

static void deliver_identity(roled_client *c, Op *op, roled_status st, void *obj, const roled_error *err)
{
        ((roled_identity_cb)op->cb)(c, st, obj, err, op->userdata);
}

ROLED_EXPORT roled_status roled_whoami(roled_client *client, roled_identity **idp, roled_error *err)
{
        int64_t start = client_now_ms();
        roled_status st;
        void *obj = NULL;
        Op *op;

        if (idp)
                *idp = NULL;
        if ((st = client_check(client, err)))
                return st;
        if (!idp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "roled_whoami(): idp is NULL");
        op = op_new(client, OP_BLOCKING, "GetCallerIdentity", NULL, NULL);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call(client, op, start, identity_decode, &obj, err);
        *idp = obj;
        return st;
}

ROLED_EXPORT roled_status roled_whoami_async(roled_client *client, roled_identity_cb cb,
                                             void *userdata, roled_error *err)
{
        roled_status st;
        Op *op;

        if ((st = client_check(client, err)))
                return st;
        if (!cb)
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "roled_whoami_async(): no callback");
        op = op_new(client, OP_ASYNC, "GetCallerIdentity", NULL, NULL);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        op->decode = identity_decode;
        op->deliver = deliver_identity;
        op->cb = (void *)cb;
        op->userdata = userdata;
        return io_start_async(client, op, err);
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

ROLED_EXPORT const char *roled_role_list_name(const roled_role_list *list, size_t i)
{
        return entry(list, i)->name;
}

ROLED_EXPORT const char *roled_role_list_description(const roled_role_list *list, size_t i)
{
        return entry(list, i)->description;
}

ROLED_EXPORT const char *roled_role_list_arn(const roled_role_list *list, size_t i)
{
        return entry(list, i)->arn;
}

ROLED_EXPORT uint32_t roled_role_list_max_session_duration(const roled_role_list *list, size_t i)
{
        return entry(list, i)->max_session_duration;
}

ROLED_EXPORT const char *roled_role_list_issuer(const roled_role_list *list, size_t i)
{
        return entry(list, i)->issuer;
}

ROLED_EXPORT bool roled_role_list_is_default(const roled_role_list *list, size_t i)
{
        return entry(list, i)->is_default;
}

ROLED_EXPORT bool roled_role_list_is_assumable(const roled_role_list *list, size_t i)
{
        return entry(list, i)->is_assumable;
}

static roled_status role_info(const msgpack_object *m, RoleInfo *r, roled_error *err)
{
        roled_status st;
        bool b;

        if (m->type != MSGPACK_OBJECT_MAP)
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'roles' entry");
        if ((st = result_dup(m, "name", PROTO_MESSAGE_MAX, true, false, &r->name, err)) ||
            (st = result_dup(m, "description", PROTO_MESSAGE_MAX, false, false, &r->description, err)) ||
            (st = result_dup(m, "arn", PROTO_MESSAGE_MAX, false, false, &r->arn, err)) ||
            (st = result_dup(m, "issuer", PROTO_MESSAGE_MAX, false, false, &r->issuer, err)) ||
            (st = result_u32(m, "maxSessionDuration", false, &r->max_session_duration, err)))
                return st;
        if (proto_get_bool(m, "isDefault", &b) == 0)
                r->is_default = b;
        if (proto_get_bool(m, "assumable", &b) == 0)
                r->is_assumable = b;
        return ROLED_OK;
}

roled_status role_list_decode(const msgpack_object *m, void **objp, roled_error *err)
{
        roled_role_list *l = result_alloc(sizeof(*l), role_list_destroy);
        const msgpack_object *arr = proto_get(m, "roles");
        roled_status st;
        uint32_t n;

        if (!l)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        if (arr && arr->type != MSGPACK_OBJECT_ARRAY) {
                st = error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'roles' field");
                goto fail;
        }
        n = arr ? arr->via.array.size : 0;
        l->roles = calloc((size_t)n + 1, sizeof(*l->roles));
        if (!l->roles) {
                st = error_set(err, ROLED_E_NOMEM, "out of memory");
                goto fail;
        }
        for (uint32_t i = 0; i < n; i++) {
                /* Counted first, so the destructor frees a partly filled entry too. */
                l->n++;
                st = role_info(&arr->via.array.ptr[i], &l->roles[i], err);
                if (st != ROLED_OK)
                        goto fail;
        }
        *objp = l;
        return ROLED_OK;
fail:
        result_unref(l);
        return st;
}

ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_list **listp,
                                           roled_error *err)
{
        int64_t start = client_now_ms();
        roled_status st;
        void *obj = NULL;
        Op *op;

        if (listp)
                *listp = NULL;
        if ((st = client_check(client, err)))
                return st;
        if (!listp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "roled_list_roles(): listp is NULL");
        op = op_new(client, OP_BLOCKING, "ListRoles", NULL, NULL);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call(client, op, start, role_list_decode, &obj, err);
        *listp = obj;
        return st;
}

/* ---- calls answered by one count ---- */

typedef struct Count {
        const char *field;
        uint32_t n;
} Count;

static roled_status read_count(const msgpack_object *m, void *arg, roled_error *err)
{
        Count *cnt = arg;

        return result_u32(m, cnt->field, false, &cnt->n, err);
}

static void pack_role(ProtoBuf *b, const void *arg)
{
        const char *role = arg;

        msgpack_pack_map(&b->pk, role ? 1 : 0);
        if (role)
                proto_pack_kv_str(b, "role", role);
}

static roled_status count_call(roled_client *c, const char *method, OpPackFn pack,
                               const void *arg, const char *field, uint32_t *np, roled_error *err)
{
        int64_t start = client_now_ms();
        Count cnt = { .field = field };
        roled_status st;
        Op *op;

        if ((st = client_check(c, err)))
                return st;
        op = op_new(c, OP_BLOCKING, method, pack, arg);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_read(c, op, start, read_count, &cnt, err);
        if (st == ROLED_OK && np)
                *np = cnt.n;
        return st;
}

ROLED_EXPORT roled_status roled_revoke(roled_client *client, const char *role,
                                       uint32_t *n_revokedp, roled_error *err)
{
        roled_status st = count_call(client, "Revoke", pack_role, role, "revoked", n_revokedp, err);

        /* Our own cached credentials for those sessions are dead now (the agent's notification says so too). */
        if (st == ROLED_OK)
                creds_cache_revoked(client, role);
        return st;
}

ROLED_EXPORT roled_status roled_reload(roled_client *client, uint32_t *n_rolesp, roled_error *err)
{
        return count_call(client, "Reload", NULL, NULL, "roles", n_rolesp, err);
}

static roled_status read_json(const msgpack_object *m, void *arg, roled_error *err)
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
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "roled_agent_status_json(): jsonp is NULL");
        op = op_new(client, OP_BLOCKING, "Status", NULL, NULL);
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
