/* SPDX-License-Identifier: MIT */
/*
 * handlers.c - the bodies of the methods that describe the agent and the
 * caller: Hello, GetCallerIdentity, ListRoles, Status, Reload, GetPublicKeys.
 * Methods that issue or check credentials live in handlers_session.c.
 * Each gets its decoded request and encodes one reply struct (proto/codec.h).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "issuer.h"
#include "hashq.h"
#include "keys.h"
#include "reload.h"
#include "sessions.h"
#include "trust.h"

int handle_Hello(Request *req, const ProtoHelloReq *in)
{
        uint64_t version = in->version.is_set ? in->version.value : PROTO_VERSION;

        if (version < PROTO_VERSION_MIN)
                return request_fail(req, PROTO_UNSUPPORTED_VERSION,
                                    "protocol version %llu is not supported (%d..%d are)",
                                    (unsigned long long)version, PROTO_VERSION_MIN, PROTO_VERSION);
        codec_encode_HelloRep(
                req->out, &(ProtoHelloRep){
                                  .version = version < PROTO_VERSION ? version : PROTO_VERSION,
                                  .agent = proto_str("roled " ROLED_VERSION),
                                  .mode = proto_str(req->agent->is_user_mode ? "user" : "system"),
                                  .uid = req->agent->uid,
                          });
        return 0;
}

/*
 * visible_pid() - the caller's pid for GetCallerIdentity: only to a caller in
 * the agent's own pid namespace.  A caller in a child pid namespace would
 * learn its pid in the agent's (PROTOCOL.md section 1), so it, and a caller
 * whose namespace cannot be read, gets 0.  Read here, for the one request
 * that shows it, never when a connection is attested.
 */
static uint64_t visible_pid(const Identity *id)
{
        struct stat mine, theirs;

        if (id->proc_fd < 0 || stat("/proc/self/ns/pid", &mine) < 0 ||
            fstatat(id->proc_fd, "ns/pid", &theirs, 0) < 0)
                return 0;
        if (mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino)
                return 0;
        return (uint64_t)id->pid;
}

int handle_GetCallerIdentity(Request *req, const ProtoEmpty *in)
{
        const Identity *id = req->id;
        const Config *config = req->agent->config;
        TrustScope ts = trust_scope_of(req->agent);
        const Role *def;
        _cleanup_free_ uint32_t *groups = malloc((id->n_gids + 1) * sizeof(*groups));
        size_t n_groups = 0;
        char arn[256], cgroup[IDENTITY_CGROUP_MAX], unit[IDENTITY_UNIT_MAX];
        const char *shown_cgroup = id->cgroup, *shown_unit = id->unit;
        bool is_user_unit;
        int r;

        if (!groups)
                return -ENOMEM;
        /* Not read at attestation while no role reads the unit: shown all the same. */
        if (!id->has_cgroup && id->proc_fd >= 0) {
                r = identity_cgroup_now(id, cgroup, unit, &is_user_unit);
                if (r == IDENTITY_E_GONE)
                        return request_fail(req, PROTO_ACCESS_DENIED,
                                            "the calling process has exited");
                if (r)
                        return r;
                shown_cgroup = cgroup;
                shown_unit = unit;
        }
        r = trust_default_role(&ts, id, &def);
        if (r == TRUST_E_NEEDS_HASH)
                return request_wait_hash(req);
        if (r)
                return r;
        /* The primary group first, then the supplementary ones (as id(1) lists them). */
        groups[n_groups++] = id->gid;
        for (size_t i = 0; i < id->n_gids; i++)
                if (id->gids[i] != id->gid)
                        groups[n_groups++] = id->gids[i];
        snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", config->account, id->user);
        codec_encode_GetCallerIdentityRep(req->out,
                                          &(ProtoGetCallerIdentityRep){
                                                  .uid = id->uid,
                                                  .gid = id->gid,
                                                  .user = proto_str(id->user),
                                                  .group = proto_str(id->group),
                                                  .groups = { groups, n_groups },
                                                  .pid = visible_pid(id),
                                                  .exe = proto_str(id->exe),
                                                  .unit = proto_str(shown_unit),
                                                  .cgroup = proto_str(shown_cgroup),
                                                  .account = proto_str(config->account),
                                                  .arn = proto_str(arn),
                                                  .default_role = proto_str(def ? def->name : NULL),
                                                  .identity_key = proto_str(id->key ? id->key : ""),
                                          });
        return 0;
}

int handle_ListRoles(Request *req, const ProtoEmpty *in)
{
        const Config *config = req->agent->config;
        TrustScope ts = trust_scope_of(req->agent);
        const Role *def;
        bool is_admin = agent_is_admin(req->agent, req->id->uid);
        _cleanup_free_ ProtoRoleSummary *roles = calloc(config->n_roles + 1, sizeof(*roles));
        ProtoListRolesRep rep = { .roles = { roles, 0 } };
        int r;

        if (!roles)
                return -ENOMEM;
        r = trust_default_role(&ts, req->id, &def);
        if (r == TRUST_E_NEEDS_HASH)
                return request_wait_hash(req);
        if (r)
                return r;
        /* Unprivileged callers see only what they may assume: role names are not a directory. */
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];
                bool is_assumable;

                r = trust_decide(&ts, role, req->id, NULL, NULL, 0);
                if (r == TRUST_E_NEEDS_HASH)
                        return request_wait_hash(req);
                if (r < 0)
                        return r;
                is_assumable = r == 0;

                if (!is_assumable && !is_admin)
                        continue;
                roles[rep.roles.n++] = (ProtoRoleSummary){
                        .name = proto_str(role->name),
                        .description = proto_str(role->description ? role->description : ""),
                        .arn = proto_str(role->arn),
                        .max_session_duration = role->max_session_duration,
                        .issuer = proto_str(issuer_name(role->issuer)),
                        .is_default = role == def,
                        .is_assumable = is_assumable,
                };
        }
        codec_encode_ListRolesRep(req->out, &rep);
        return 0;
}

/* The health of one issuer's upstream, as Status and GetRole show it. */
static ProtoIssuerStatus issuer_status(Agent *a, RoleIssuer issuer, const Role *role,
                                       IssuerHealth *h)
{
        issuer_describe(a, issuer, role, h);
        return (ProtoIssuerStatus){
                .issuer = proto_str(issuer_name(role ? role->issuer : issuer)),
                .state = proto_str(h->state),
                .calls = h->n_calls,
                .last_success = (uint64_t)(h->last_success > 0 ? h->last_success : 0),
                .last_failure = (uint64_t)(h->last_failure > 0 ? h->last_failure : 0),
                .last_error = proto_str(h->last_error),
                .source = proto_str(h->source),
                .mfa_expires = { (uint64_t)(h->mfa_expires > 0 ? h->mfa_expires : 0), h->has_mfa },
                .mfa_waiting = { h->n_mfa_waiting, h->has_mfa },
        };
}

/* A set optional uint. */
static ProtoOptUint opt(uint64_t v)
{
        return (ProtoOptUint){ .value = v, .is_set = true };
}

/*
 * Root and the agent's user see the agent: its pid, uptime, counters, the
 * configuration path and the hash queue.  Anyone else sees their own
 * sessions and connections only: how busy the agent is and where its
 * configuration lives are not every local user's business.
 */
int handle_Status(Request *req, const ProtoEmpty *in)
{
        Agent *a = req->agent;
        int64_t now = agent_now(a);
        IssuerHealth health[ROLE_ISSUER_COUNT];
        ProtoIssuerStatus issuers[ROLE_ISSUER_COUNT];
        uid_t uid = req->id->uid;
        ProtoStatusRep rep = {
                .version = proto_str(ROLED_VERSION),
                .protocol = PROTO_VERSION,
                .mode = proto_str(a->is_user_mode ? "user" : "system"),
        };

        (void)in;
        if (agent_is_admin(a, uid)) {
                HashqStats hs = { 0 };

                for (unsigned i = 0; i < ROLE_ISSUER_COUNT; i++)
                        issuers[i] = issuer_status(a, (RoleIssuer)i, NULL, &health[i]);
                rep.issuers.items = issuers;
                rep.issuers.n = ROLE_ISSUER_COUNT;

                if (a->hashq)
                        hashq_stats(a->hashq, &hs);
                rep.scope = proto_str("agent");
                rep.sessions = sessions_count(a->sessions);
                rep.connections = a->n_conns;
                rep.pid = opt((uint64_t)getpid());
                rep.uptime = opt((uint64_t)(now > a->started ? now - a->started : 0));
                rep.roles = opt(a->config->n_roles);
                rep.requests = opt(a->n_requests);
                rep.config_path = proto_str(a->config->is_default_embedded ? "(embedded default)"
                                                                           : a->config->path);
                rep.exe_hashes_started = opt(hs.n_started);
                rep.exe_hashes_joined = opt(hs.n_joined);
                rep.exe_hashes_refused = opt(hs.n_refused);
                rep.exe_hashes_active = opt(hs.n_active);
        } else {
                rep.scope = proto_str("caller");
                rep.sessions = sessions_count_uid(a->sessions, uid);
                rep.connections = uidcount_get(&a->conns_per_uid, uid);
        }
        codec_encode_StatusRep(req->out, &rep);
        return 0;
}

int handle_Reload(Request *req, const ProtoEmpty *in)
{
        char why[1024];
        int r = agent_reload(req->agent, why, sizeof(why));

        if (r)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "new configuration rejected, the old one keeps serving: %s",
                                    why);
        codec_encode_ReloadRep(req->out, &(ProtoReloadRep){ .roles = req->agent->config->n_roles });
        return 0;
}

int handle_GetPublicKeys(Request *req, const ProtoEmpty *in)
{
        typedef char Hex[2 * TOKEN_KEY_ID_SIZE + 1];
        const TokenPublicKey *keys;
        size_t n;

        keys_public(req->agent->keys, &keys, &n);

        _cleanup_free_ ProtoPublicKey *items = calloc(n + 1, sizeof(*items));
        _cleanup_free_ Hex *hex = calloc(n + 1, sizeof(*hex));

        if (!items || !hex)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                sodium_bin2hex(hex[i], sizeof(hex[i]), keys[i].id, sizeof(keys[i].id));
                items[i] = (ProtoPublicKey){
                        .key_id = proto_str(hex[i]),
                        .public_key = { (const char *)keys[i].pk, sizeof(keys[i].pk) },
                        .not_after = (uint64_t)(keys[i].not_after > 0 ? keys[i].not_after : 0),
                };
        }
        codec_encode_GetPublicKeysRep(req->out, &(ProtoGetPublicKeysRep){ .keys = { items, n } });
        return 0;
}

int handle_GetRole(Request *req, const ProtoGetRoleReq *in)
{
        Agent *a = req->agent;
        const RolePolicies *rp;
        const Role *role;
        const char *name = in->role.ptr;
        int len = (int)in->role.len;
        TrustScope ts = trust_scope_of(a);
        IssuerHealth health;
        ProtoIssuerStatus upstream;
        ProtoStr causes_wire[TRUST_EXE_BY_COUNT];
        size_t n_causes = 0;
        unsigned causes;
        int r;

        role = config_find_role(a->config, name, in->role.len);
        /* Like IAM's GetRole, but only for those who may see it: admins and its principals. */
        r = role && !agent_is_admin(a, req->id->uid)
                    ? trust_decide(&ts, role, req->id, NULL, NULL, 0)
                    : 0;
        if (r == TRUST_E_NEEDS_HASH)
                return request_wait_hash(req);
        if (r < 0)
                return r;
        if (!agent_is_admin(a, req->id->uid) && (!role || r))
                return request_fail(req, PROTO_ACCESS_DENIED,
                                    "role %.*s: uid %u (%s) is not a trusted principal", len, name,
                                    (unsigned)req->id->uid, req->id->user);
        if (!role)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "role %.*s does not exist", len,
                                    name);
        rp = access_role_policies(a->config, a->access, role);
        upstream = issuer_status(a, role->issuer, role, &health);
        /* The issuers' own test (has_exe_claim): whether, and why, sessions name the executable. */
        causes = trust_exe_claim_causes(&ts, role);
        for (unsigned bit = 0; bit < TRUST_EXE_BY_COUNT; bit++)
                if (causes & (1u << bit))
                        causes_wire[n_causes++] = proto_str(trust_exe_cause_name(1u << bit));
        codec_encode_GetRoleRep(
                req->out,
                &(ProtoGetRoleRep){
                        .name = proto_str(role->name),
                        .arn = proto_str(role->arn),
                        .role_id = proto_str(role->role_id),
                        .description = proto_str(role->description ? role->description : ""),
                        .max_session_duration = role->max_session_duration,
                        .issuer = proto_str(issuer_name(role->issuer)),
                        .file = proto_str(role->file ? role->file : "(embedded default)"),
                        .trust_rules = proto_str(rp ? rp->trust_rules_json : NULL),
                        .default_rules = proto_str(rp ? rp->default_rules_json : NULL),
                        .trust_policy = proto_str(role->trust_policy),
                        .permissions_policy = proto_str(role->permissions),
                        .tags = { (const char *const *)role->tag_keys,
                                  (const char *const *)role->tag_values, role->n_tags },
                        .upstream = &upstream,
                        .has_exe_claim = causes != 0,
                        .exe_claim_causes = { causes_wire, n_causes },
                });
        return 0;
}
