/* SPDX-License-Identifier: MIT */
/*
 * handlers_login.c - the Login method: pam_roled.so tells the agent that a
 * login started or ended.  Logins are kept by logins.c (and on disk by
 * loginfile.c, so a restart forgets none); each belongs to the audit login
 * session of the PAM process that told us, which every process of the login
 * inherits.  The start of a login pre-warms a session (prewarm.c) for the
 * identity the login's processes will have when they ask through rolectl;
 * the end of a uid's last login ends the sessions issued in its logins'
 * sessions, and no others.  The user is named by the caller, which is why
 * Login is for root and the agent's user only (PROTO_F_ADMIN, checked by the
 * dispatcher).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "dispatch.h"
#include "exehash.h"
#include "identity.h"
#include "log.h"
#include "loginfile.h"
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

/*
 * prewarm_identity() - the identity the login's processes will have when
 * they ask through rolectl (login_prewarm_exe): @id (the user, from
 * login_identity()) in the PAM process's unit, cgroup and audit login
 * session, which pam_systemd and pam_loginuid gave it before us and which
 * the login's processes inherit, running that executable.  Without the
 * executable (unset, or not there) the key has none, as for a process whose
 * executable the agent may not read.
 */
static int prewarm_identity(Request *req, Identity *id)
{
        const Config *c = req->agent->config;
        const char *exe = c->login_prewarm_exe ? c->login_prewarm_exe : ROLED_BINDIR "/rolectl";
        char real[PATH_MAX];
        struct stat st;

        snprintf(id->cgroup, sizeof(id->cgroup), "%s", req->id->cgroup);
        snprintf(id->unit, sizeof(id->unit), "%s", req->id->unit);
        id->is_user_unit = req->id->is_user_unit;
        /* Keyed as the login's processes will be: with their cgroup, or "?" while unread. */
        id->has_cgroup = req->id->has_cgroup;
        id->login_session = req->id->login_session;
        if (exe[0] && realpath(exe, real) && strlen(real) < sizeof(id->exe) &&
            stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
                snprintf(id->exe, sizeof(id->exe), "%s", real);
                exehash_key_from_stat(&st, &id->exe_key);
                id->has_exe_key = true;
                id->is_exe_path_verified = true;
        } else if (exe[0]) {
                log_info("login pre-warm: %s is not an executable file; pre-warming without one",
                         exe);
        }
        return identity_build_key(id);
}

/* Save the logins (the answer does not wait on it: a failure costs only a restart's memory). */
static void save_logins(Agent *a)
{
        _cleanup_free_ char *err = NULL;
        int r;

        if (!a->key_dir)
                return;
        r = loginfile_save(a->key_dir, a->logins, &err);
        if (r)
                log_error("logins: %s; logins open now will not end their sessions after a restart",
                          err ? err : strerror(-r));
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
        char login_id[LOGINS_ID_LEN + 1], why[TRUST_WHY_MAX] = "", scope[64];
        const Role *role = NULL;
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
        /* Before the login is recorded: a failure here must not leave a login nobody will end. */
        if (role && (r = prewarm_identity(req, &id)) < 0)
                return r;
        r = logins_open(a->logins, id.uid, req->id->login_session, agent_now(a), login_id);
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
        save_logins(a);
        if (req->id->login_session != IDENTITY_NO_LOGIN)
                snprintf(scope, sizeof(scope), "audit session %u",
                         (unsigned)req->id->login_session);
        else
                snprintf(scope, sizeof(scope),
                         "no audit session: its end ends every session of the uid");
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
        log_info("login %s of uid %u (%s) started: service %s, tty %s, rhost %s, %s; %s%s",
                 login_id, (unsigned)id.uid, id.user, service, tty, rhost, scope,
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
        LoginEnd end = { 0 };
        size_t n = 0;
        int r;

        if (!in->login_id.ptr)
                return request_param_error(req, RPC_E_MISSING, "loginId");
        r = logins_close(a->logins, in->login_id.ptr, in->login_id.len, &end);
        if (r == LOGINS_E_UNKNOWN)
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "no open login has that id");
        if (r)
                return r;
        if (end.is_ending) {
                r = sessions_revoke_logins(a->sessions, end.uid, end.sessions, end.n_sessions,
                                           end.is_unscoped, end.group_start, a->revoked, &n);
                if (r < 0) {
                        login_end_deinit(&end);
                        return r;
                }
                /* As Revoke does: the revocation must survive a restart. */
                if (n && a->key_dir) {
                        _cleanup_free_ char *err = NULL;

                        r = revfile_save(a->key_dir, a->revoked, agent_now(a), &err);
                        if (r)
                                log_error("login end: %s", err ? err : strerror(-r));
                }
        }
        save_logins(a);
        log_info("login %.*s of uid %u ended; %zu open, %zu sessions ended%s",
                 (int)in->login_id.len, in->login_id.ptr, (unsigned)end.uid, end.n_left, n,
                 end.is_ending && end.is_unscoped
                         ? " (a login of the group had no audit session: "
                           "every session of the uid since the group began)"
                         : "");
        codec_encode_LoginRep(req->out, &(ProtoLoginRep){
                                                .uid = end.uid,
                                                .logins = end.n_left,
                                                .revoked = n,
                                        });
        login_end_deinit(&end);
        /* After the reply: the notification is appended to this connection's output too. */
        if (n > 0)
                notify_revoked(req, end.uid, NULL);
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
