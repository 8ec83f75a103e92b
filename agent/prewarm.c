/* SPDX-License-Identifier: MIT */
/*
 * prewarm.c - session_prewarm(): issue a session for a login's identity (not
 * the caller's) and keep it in the session cache under the key GetCredentials
 * would use for that identity.  The role's issuer driver is called directly:
 * the Login reply must not wait for an upstream, so an issuer that answers
 * later (aws) inserts the session from its callback, and Login says the
 * role is being pre-warmed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config.h"
#include "dispatch.h"
#include "issuer.h"
#include "log.h"
#include "renewal.h"
#include "sessions.h"
#include "trust.h"

/* What a later answer needs to keep the session; owns copies of everything. */
typedef struct Later {
        Agent *agent;
        uint32_t uid;
        uint32_t login_session;
        char *user;
        char *key;
        char *role;
} Later;

static void later_free(Later *l)
{
        if (!l)
                return;
        free(l->key);
        free(l->role);
        free(l->user);
        free(l);
}

/* keep() - cache the session; @except: the connection whose handler is replying now (NULL: none).
 */
static void keep(Agent *a, const Conn *except, const char *key, Credentials *take,
                 const SessionOwner *owner, const char *role)
{
        Renewal rn;
        int r;

        renewal_capture(a, key, agent_now(a), &rn);
        r = sessions_insert(a->sessions, key, take, take->issued, take->expires, owner, role, NULL);
        if (r < 0)
                log_warning("pre-warm of role %s for uid %u: %s", role, (unsigned)owner->uid,
                            strerror(-r));
        else
                renewal_notify(a, except, &rn);
        credentials_deinit(take);
}

static void done(void *userdata, int r, Credentials *take, const IssueError *err)
{
        Later *l = userdata;

        if (r == 0)
                keep(l->agent, NULL, l->key, take,
                     &(SessionOwner){ l->uid, l->login_session, l->user }, l->role);
        else if (r > 0)
                log_warning("pre-warm of role %s for uid %u failed: %s", l->role, (unsigned)l->uid,
                            err ? err->message : "the issuer refused");
        later_free(l);
}

int session_prewarm(Request *req, const Identity *id, const Role *role, char *why, size_t why_len)
{
        Agent *a = req->agent;
        int64_t now = agent_now(a);
        uint32_t max = role->max_session_duration;
        uint32_t duration = a->config->default_duration < max ? a->config->default_duration : max;
        const IssuerDriver *d = issuer_driver(role->issuer);
        Credentials cr = CREDENTIALS_INIT;
        IssueError err = { .code = PROTO_INTERNAL };
        char key[SESSION_KEY_MAX];
        IssueRequest ir;
        bool has_exe_claim;
        Later *l;
        int r;

        TrustScope ts = trust_scope_of(a);

        r = trust_decide(&ts, role, id, NULL, why, why_len);
        if (r)
                return r;
        /*
         * As GetCredentials decides it (handlers_session.c check_trust()): the
         * session names the executable only for a role whose answers rest on
         * it, and is served only to callers checked to run it.
         */
        has_exe_claim = id->has_exe_key && trust_rests_on_exe(&ts, role);
        /* The key GetCredentials builds for this identity without a session policy. */
        r = session_cache_key(role, id, duration, NULL, has_exe_claim, key, sizeof(key));
        if (r < 0)
                return r;
        if (sessions_lookup(a->sessions, key, now))
                return 0;
        if (!sessions_lookup_unexpired(a->sessions, key, now) &&
            sessions_count_uid(a->sessions, id->uid) >= a->config->max_sessions_per_uid) {
                snprintf(why, why_len,
                         "uid %u holds as many live sessions as the agent keeps for one uid",
                         (unsigned)id->uid);
                return TRUST_E_DENIED;
        }
        if (!d || !d->issue) {
                snprintf(why, why_len, "role %s has no issuer", role->name);
                return TRUST_E_DENIED;
        }
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->agent = a;
        l->uid = id->uid;
        l->login_session = id->login_session;
        l->user = strdup(id->user);
        l->key = strdup(key);
        l->role = strdup(role->name);
        if (!l->key || !l->role || !l->user) {
                later_free(l);
                return -ENOMEM;
        }
        ir = (IssueRequest){
                .config = a->config,
                .role = role,
                .id = id,
                .duration = duration,
                .cache_key = key,
                .now = now,
                .has_exe_claim = has_exe_claim,
        };
        r = d->issue(a->issuer_state[role->issuer], &ir, &cr, &err, done, l);
        if (r == ISSUER_E_PENDING)
                return 0; /* done() owns l now */
        later_free(l);
        if (r == 0) {
                keep(a, req->conn, key, &cr,
                     &(SessionOwner){ id->uid, id->login_session, id->user }, role->name);
                return 0;
        }
        credentials_deinit(&cr);
        if (r > 0) {
                snprintf(why, why_len, "%s",
                         r == ISSUER_E_FAILED ? err.message : "the issuer refused");
                return TRUST_E_DENIED;
        }
        return r;
}
