/* SPDX-License-Identifier: MIT */
/*
 * handlers_login.c - the Login method: pam_roled.so tells the agent that a
 * login started or ended.  Open logins are kept by logins.c; the start of a
 * login pre-warms a session (handlers_session.c's session_prewarm()) for the
 * user as a login shell is attested, and the end of a uid's last login ends
 * every session issued to that uid since its first login started.  The user
 * is named by the caller, which is why Login is for root and the agent's user
 * only (PROTO_F_ADMIN, checked by the dispatcher).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "dispatch.h"
#include "log.h"
#include "logins.h"
#include "revfile.h"
#include "sessions.h"
#include "trust.h"
#include "useridentity.h"
#include "util.h"

/* A NUL-terminated copy of @s for names and log lines; non-printable bytes become '?'. */
static char *printable_dup(ProtoStr s)
{
        char *out;

        if (!s.ptr)
                return strdup("-");
        out = strndup(s.ptr, s.len);
        if (!out)
                return NULL;
        for (char *p = out; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
                        *p = '?';
        return out;
}

/* How many roles @id may assume (the full trust decision, JSON trust documents included). */
static uint64_t count_assumable(Request *req, const Identity *id)
{
        const Agent *a = req->agent;
        TrustScope ts = trust_scope_of(a);
        uint64_t n = 0;

        for (size_t i = 0; i < a->config->n_roles; i++)
                n += trust_decide(&ts, &a->config->roles[i], id, NULL, NULL, 0) == 0;
        return n;
}

/* The user named by the request, as an identity; fails the request when absent or unknown. */
static int read_user(Request *req, const ProtoLoginReq *in, Identity *id)
{
        _cleanup_free_ char *user = NULL;
        int r;

        if (!in->user.ptr)
                return request_param_error(req, RPC_E_MISSING, "user");
        if (in->user.len == 0 || memchr(in->user.ptr, '\0', in->user.len))
                return request_param_error(req, RPC_E_TYPE, "user");
        user = strndup(in->user.ptr, in->user.len);
        if (!user)
                return -ENOMEM;
        r = useridentity_get(user, id);
        if (r == USERIDENTITY_E_NO_SUCH_USER)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "no such user");
        return r;
}

static int login_check(Request *req, const ProtoLoginReq *in)
{
        _cleanup_(identity_deinit) Identity id = IDENTITY_INIT;
        const Role *def = NULL;
        int r;

        TrustScope ts = trust_scope_of(req->agent);

        if ((r = read_user(req, in, &id)))
                return r;
        /* (A login's identity has no executable to hash: never TRUST_E_NEEDS_HASH.) */
        r = trust_default_role(&ts, &id, &def);
        if (r < 0)
                return r;
        codec_encode_LoginRep(req->out,
                              &(ProtoLoginRep){
                                      .uid = id.uid,
                                      .logins = logins_count_uid(req->agent->logins, id.uid),
                                      .assumable = count_assumable(req, &id),
                                      .role = proto_str(def ? def->name : NULL),
                              });
        return 0;
}

static int login_start(Request *req, const ProtoLoginReq *in)
{
        _cleanup_(identity_deinit) Identity id = IDENTITY_INIT;
        _cleanup_free_ char *service = NULL, *tty = NULL, *rhost = NULL;
        Agent *a = req->agent;
        char login_id[LOGINS_ID_LEN + 1], why[TRUST_WHY_MAX] = "";
        const Role *role = NULL;
        int64_t group_start;
        int r;

        if ((r = read_user(req, in, &id)))
                return r;
        if (in->role.ptr) {
                if (!config_role_name_valid(in->role.ptr, in->role.len))
                        return request_fail(
                                req, PROTO_INVALID_PARAMETER_VALUE,
                                "role name must be 1..64 characters of [A-Za-z0-9+=,.@_-]");
                role = config_find_role(a->config, in->role.ptr, in->role.len);
                if (!role)
                        snprintf(why, sizeof(why), "role %.*s does not exist", (int)in->role.len,
                                 in->role.ptr);
        } else {
                TrustScope ts = trust_scope_of(a);

                r = trust_default_role(&ts, &id, &role);
                if (r < 0)
                        return r;
                if (!role)
                        snprintf(why, sizeof(why), "uid %u (%s) has no default role",
                                 (unsigned)id.uid, id.user);
        }
        service = printable_dup(in->service);
        tty = printable_dup(in->tty);
        rhost = printable_dup(in->rhost);
        if (!service || !tty || !rhost)
                return -ENOMEM;
        r = logins_open(a->logins, id.uid, agent_now(a), login_id, &group_start);
        if (r == LOGINS_E_UID_FULL)
                return request_fail(req, PROTO_THROTTLING,
                                    "uid %u holds %d open logins, the most "
                                    "the agent keeps for one uid",
                                    (unsigned)id.uid, LOGINS_PER_UID_MAX);
        if (r == LOGINS_E_FULL)
                return request_fail(req, PROTO_THROTTLING,
                                    "the agent holds as many open logins as it keeps");
        if (r)
                return r;
        if (role) {
                r = session_prewarm(req, &id, role, why, sizeof(why));
                if (r < 0)
                        log_warning("login %s of uid %u: pre-warming role %s failed: %s", login_id,
                                    (unsigned)id.uid, role->name, strerror(-r));
                if (r) {
                        if (r < 0)
                                snprintf(why, sizeof(why), "the agent could not issue a session");
                        role = NULL;
                }
        }
        log_info("login %s of uid %u (%s) started: service %s, tty %s, rhost %s; %s%s", login_id,
                 (unsigned)id.uid, id.user, service, tty, rhost,
                 role ? "pre-warmed role " : "nothing pre-warmed: ", role ? role->name : why);
        codec_encode_LoginRep(req->out, &(ProtoLoginRep){
                                                .uid = id.uid,
                                                .login_id = proto_str(login_id),
                                                .logins = logins_count_uid(a->logins, id.uid),
                                                .assumable = count_assumable(req, &id),
                                                .role = proto_str(role ? role->name : NULL),
                                                .reason = proto_str(role ? NULL : why),
                                        });
        return 0;
}

static int login_end(Request *req, const ProtoLoginReq *in)
{
        Agent *a = req->agent;
        int64_t group_start;
        uint32_t uid;
        size_t n_left, n = 0;
        int r;

        if (!in->login_id.ptr)
                return request_param_error(req, RPC_E_MISSING, "loginId");
        r = logins_close(a->logins, in->login_id.ptr, in->login_id.len, &uid, &n_left,
                         &group_start);
        if (r == LOGINS_E_UNKNOWN)
                return request_fail(req, PROTO_NO_SUCH_ENTITY,
                                    "no open login has that id (the agent may have restarted)");
        if (n_left == 0) {
                r = sessions_revoke_since(a->sessions, uid, group_start, a->revoked, &n);
                if (r < 0)
                        return r;
                /* As Revoke does: the revocation must survive a restart. */
                if (n && a->key_dir) {
                        _cleanup_free_ char *err = NULL;

                        r = revfile_save(a->key_dir, a->revoked, agent_now(a), &err);
                        if (r)
                                log_error("login end: %s", err ? err : strerror(-r));
                }
        }
        log_info("login %.*s of uid %u ended; %zu open, %zu sessions ended", (int)in->login_id.len,
                 in->login_id.ptr, (unsigned)uid, n_left, n);
        codec_encode_LoginRep(req->out, &(ProtoLoginRep){
                                                .uid = uid,
                                                .logins = n_left,
                                                .revoked = n,
                                        });
        /* After the reply: the notification is appended to this connection's output too. */
        if (n > 0)
                notify_revoked(req, uid, NULL);
        return 0;
}

static bool event_is(ProtoStr s, const char *name)
{
        return s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0;
}

int handle_Login(Request *req, const ProtoLoginReq *in)
{
        if (event_is(in->event, "start"))
                return login_start(req, in);
        if (event_is(in->event, "end"))
                return login_end(req, in);
        if (event_is(in->event, "check"))
                return login_check(req, in);
        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                            "event must be start, end or check");
}
