/* SPDX-License-Identifier: MIT */
/*
 * info.c - the small calls of libroled: GetCallerIdentity, ListRoles, Revoke,
 * Reload and Status.  Each packs its params, makes one client_call() and
 * copies the result into the caller's structures; transport is client.c's.
 */
#include "client.h"

#include "jsonw.h"

ROLED_EXPORT roled_status roled_whoami(roled_client *client, roled_identity *id)
{
        roled_identity out = { 0 };
        const msgpack_object *m, *groups;
        ClientReply rep;
        roled_status st;

        if (!client || !id)
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = client_call(client, "GetCallerIdentity", NULL, NULL, false, &rep);
        if (st != ROLED_OK)
                goto out;
        m = rep.msg.result;
        if ((st = result_u32(client, m, "uid", &out.uid)) ||
            (st = result_u32(client, m, "gid", &out.gid)) ||
            (st = result_u32_opt(client, m, "pid", &out.pid)) ||
            (st = result_str_opt(client, m, "user", out.user, sizeof(out.user))) ||
            (st = result_str_opt(client, m, "group", out.group, sizeof(out.group))) ||
            (st = result_str_opt(client, m, "exe", out.exe, sizeof(out.exe))) ||
            (st = result_str_opt(client, m, "unit", out.unit, sizeof(out.unit))) ||
            (st = result_str_opt(client, m, "cgroup", out.cgroup, sizeof(out.cgroup))) ||
            (st = result_str_opt(client, m, "account", out.account, sizeof(out.account))) ||
            (st = result_str_opt(client, m, "arn", out.arn, sizeof(out.arn))) ||
            (st = result_str_opt(client, m, "defaultRole", out.default_role,
                                 sizeof(out.default_role))))
                goto done;
        groups = proto_get(m, "groups");
        if (groups) {
                if (groups->type != MSGPACK_OBJECT_ARRAY) {
                        client_set_error(client, "roled sent a bad 'groups' field");
                        st = ROLED_E_PROTOCOL;
                        goto done;
                }
                /* More groups than fit are left out; the agent's trust decisions saw them all. */
                for (uint32_t i = 0; i < groups->via.array.size && out.n_groups < ELEMENTSOF(out.groups); i++) {
                        const msgpack_object *g = &groups->via.array.ptr[i];

                        if (g->type != MSGPACK_OBJECT_POSITIVE_INTEGER || g->via.u64 > UINT32_MAX) {
                                client_set_error(client, "roled sent a bad 'groups' field");
                                st = ROLED_E_PROTOCOL;
                                goto done;
                        }
                        out.groups[out.n_groups++] = (uint32_t)g->via.u64;
                }
        }
        *id = out;
done:
        client_reply_done(client, &rep);
out:
        pthread_mutex_unlock(&client->lock);
        return st;
}

static roled_status role_info(roled_client *c, const msgpack_object *m, roled_role_info *r)
{
        roled_status st;
        bool b;

        memset(r, 0, sizeof(*r));
        if (m->type != MSGPACK_OBJECT_MAP) {
                client_set_error(c, "roled sent a bad 'roles' entry");
                return ROLED_E_PROTOCOL;
        }
        if ((st = result_str(c, m, "name", r->name, sizeof(r->name))) ||
            (st = result_str_opt(c, m, "description", r->description, sizeof(r->description))) ||
            (st = result_str_opt(c, m, "arn", r->arn, sizeof(r->arn))) ||
            (st = result_u32_opt(c, m, "maxSessionDuration", &r->max_session_duration)) ||
            (st = result_str_opt(c, m, "issuer", r->issuer, sizeof(r->issuer))))
                return st;
        if (proto_get_bool(m, "isDefault", &b) == 0)
                r->is_default = b;
        if (proto_get_bool(m, "assumable", &b) == 0)
                r->is_assumable = b;
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_info **rolesp,
                                           size_t *n_rolesp)
{
        _cleanup_free_ roled_role_info *roles = NULL;
        const msgpack_object *arr;
        ClientReply rep;
        roled_status st;
        uint32_t n;

        if (!client || !rolesp || !n_rolesp)
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = client_call(client, "ListRoles", NULL, NULL, false, &rep);
        if (st != ROLED_OK)
                goto out;
        arr = proto_get(rep.msg.result, "roles");
        n = arr && arr->type == MSGPACK_OBJECT_ARRAY ? arr->via.array.size : 0;
        if (arr && arr->type != MSGPACK_OBJECT_ARRAY) {
                client_set_error(client, "roled sent a bad 'roles' field");
                st = ROLED_E_PROTOCOL;
                goto done;
        }
        /* One extra slot so an empty list is still a valid allocation for the caller to free. */
        roles = calloc((size_t)n + 1, sizeof(*roles));
        if (!roles) {
                st = ROLED_E_NOMEM;
                goto done;
        }
        for (uint32_t i = 0; i < n; i++) {
                st = role_info(client, &arr->via.array.ptr[i], &roles[i]);
                if (st != ROLED_OK)
                        goto done;
        }
        *rolesp = steal_pointer(&roles);
        *n_rolesp = n;
done:
        client_reply_done(client, &rep);
out:
        pthread_mutex_unlock(&client->lock);
        return st;
}

typedef struct RevokeParams {
        const char *role;
} RevokeParams;

static void pack_revoke(ProtoBuf *b, const void *arg)
{
        const RevokeParams *p = arg;

        msgpack_pack_map(&b->pk, p->role ? 1 : 0);
        if (p->role)
                proto_pack_kv_str(b, "role", p->role);
}

/* count_call() - a call whose result is one count field. */
static roled_status count_call(roled_client *c, const char *method, ClientPackFn pack,
                               const void *arg, const char *field, uint32_t *np)
{
        ClientReply rep;
        roled_status st;
        uint32_t n = 0;

        pthread_mutex_lock(&c->lock);
        st = client_call(c, method, pack, arg, false, &rep);
        if (st == ROLED_OK) {
                st = result_u32_opt(c, rep.msg.result, field, &n);
                client_reply_done(c, &rep);
        }
        pthread_mutex_unlock(&c->lock);
        if (st == ROLED_OK && np)
                *np = n;
        return st;
}

ROLED_EXPORT roled_status roled_revoke(roled_client *client, const char *role, uint32_t *n_revokedp)
{
        RevokeParams p = { .role = role };
        roled_status st;

        if (!client)
                return ROLED_E_INVALID_ARGUMENT;
        st = count_call(client, "Revoke", pack_revoke, &p, "revoked", n_revokedp);
        /* Our own cached credentials for those sessions are dead now. */
        if (st == ROLED_OK) {
                pthread_mutex_lock(&client->lock);
                creds_cache_clear(client);
                pthread_mutex_unlock(&client->lock);
        }
        return st;
}

ROLED_EXPORT roled_status roled_reload(roled_client *client, uint32_t *n_rolesp)
{
        if (!client)
                return ROLED_E_INVALID_ARGUMENT;
        return count_call(client, "Reload", NULL, NULL, "roles", n_rolesp);
}

ROLED_EXPORT roled_status roled_agent_status_json(roled_client *client, char **jsonp)
{
        JsonBuf b = JSON_BUF_INIT;
        ClientReply rep;
        roled_status st;

        if (!client || !jsonp)
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = client_call(client, "Status", NULL, NULL, false, &rep);
        if (st == ROLED_OK) {
                json_msgpack(&b, rep.msg.result);
                client_reply_done(client, &rep);
                if (b.is_oom) {
                        json_buf_deinit(&b);
                        st = ROLED_E_NOMEM;
                } else {
                        *jsonp = b.data;
                }
        }
        pthread_mutex_unlock(&client->lock);
        return st;
}
