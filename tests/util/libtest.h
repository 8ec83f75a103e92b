/* SPDX-License-Identifier: MIT */
/*
 * libtest.h - small wrappers the tests use around libroled's public API.
 *
 * Each t_<call>() makes the real call with a roled_error of its own, keeps
 * the message in a per-thread buffer for t_last_error() (so a test can
 * assert on it without managing roled_error lifetimes), and drops any object
 * the out-parameter still referenced, so a test may fill the same variable
 * again.  Variables declared with T_AUTO(type) drop their reference when
 * they go out of scope.  Nothing here hides a result: every status is the
 * library's own.
 */
#pragma once

#include <stdio.h>

#include "roled/roled.h"

static __thread char t_msg[512];

static inline const char *t_last_error(void)
{
        return t_msg;
}

/* t_note() - keep @err's message (or "" on success) and free it. */
static inline roled_status t_note(roled_status st, roled_error *err)
{
        snprintf(t_msg, sizeof(t_msg), "%s", st == ROLED_OK ? "" : roled_error_message(err));
        roled_error_clear(err);
        return st;
}

static inline void t_creds_unrefp(roled_credentials **p)
{
        roled_credentials_unref(*p);
}
static inline void t_identity_unrefp(roled_identity **p)
{
        roled_identity_unref(*p);
}
static inline void t_claims_unrefp(roled_token_claims **p)
{
        roled_token_claims_unref(*p);
}
static inline void t_authz_unrefp(roled_authz_result **p)
{
        roled_authz_result_unref(*p);
}
static inline void t_role_unrefp(roled_role **p)
{
        roled_role_unref(*p);
}
static inline void t_role_list_unrefp(roled_role_list **p)
{
        roled_role_list_unref(*p);
}
static inline void t_login_unrefp(roled_login_result **p)
{
        roled_login_result_unref(*p);
}

#define T_AUTO_roled_credentials __attribute__((cleanup(t_creds_unrefp)))
#define T_AUTO_roled_identity __attribute__((cleanup(t_identity_unrefp)))
#define T_AUTO_roled_token_claims __attribute__((cleanup(t_claims_unrefp)))
#define T_AUTO_roled_authz_result __attribute__((cleanup(t_authz_unrefp)))
#define T_AUTO_roled_role __attribute__((cleanup(t_role_unrefp)))
#define T_AUTO_roled_role_list __attribute__((cleanup(t_role_list_unrefp)))
#define T_AUTO_roled_login_result __attribute__((cleanup(t_login_unrefp)))
/* T_AUTO(roled_credentials) x = NULL; -- x is unref'd at the end of its scope. */
#define T_AUTO(type) T_AUTO_##type type *

static inline roled_status t_connect(const char *path, roled_client **cp)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error e = ROLED_ERROR_INIT;

        o.socket_path = path;
        return t_note(roled_client_connect(&o, cp, &e), &e);
}

static inline roled_status t_connect_timeout(const char *path, int timeout_ms, roled_client **cp)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error e = ROLED_ERROR_INIT;

        o.socket_path = path;
        o.timeout_ms = timeout_ms;
        return t_note(roled_client_connect(&o, cp, &e), &e);
}

static inline roled_status t_get_credentials(roled_client *c, const roled_credentials_request *req,
                                             roled_credentials **crp)
{
        roled_error e = ROLED_ERROR_INIT;

        *crp = roled_credentials_unref(*crp);
        return t_note(roled_get_credentials(c, req, crp, &e), &e);
}

static inline roled_status t_assume_role(roled_client *c, const char *role, uint32_t duration,
                                         const char *policy, const char *session_name,
                                         const char *source_token, roled_credentials **crp)
{
        roled_assume_role_request r = ROLED_ASSUME_ROLE_REQUEST_INIT;
        roled_error e = ROLED_ERROR_INIT;

        r.role = role;
        r.duration_seconds = duration;
        r.session_policy = policy;
        r.session_name = session_name;
        r.source_token = source_token;
        *crp = roled_credentials_unref(*crp);
        return t_note(roled_assume_role(c, &r, crp, &e), &e);
}

static inline roled_status t_whoami(roled_client *c, roled_identity **idp)
{
        roled_error e = ROLED_ERROR_INIT;

        *idp = roled_identity_unref(*idp);
        return t_note(roled_whoami(c, idp, &e), &e);
}

static inline roled_status t_verify_token(roled_client *c, const char *token,
                                          roled_token_claims **tp)
{
        roled_error e = ROLED_ERROR_INIT;

        *tp = roled_token_claims_unref(*tp);
        return t_note(roled_verify_token(c, token, tp, &e), &e);
}

static inline roled_status t_authorize(roled_client *c, const roled_authz_request *q,
                                       roled_authz_result **rp)
{
        roled_error e = ROLED_ERROR_INIT;

        *rp = roled_authz_result_unref(*rp);
        return t_note(roled_authorize(c, q, rp, &e), &e);
}

static inline roled_status t_simulate(roled_client *c, const roled_simulate_request *q,
                                      roled_authz_result **rp)
{
        roled_error e = ROLED_ERROR_INIT;

        *rp = roled_authz_result_unref(*rp);
        return t_note(roled_simulate(c, q, rp, &e), &e);
}

static inline roled_status t_get_role(roled_client *c, const char *name, roled_role **rp)
{
        roled_error e = ROLED_ERROR_INIT;

        *rp = roled_role_unref(*rp);
        return t_note(roled_get_role(c, name, rp, &e), &e);
}

static inline roled_status t_list_roles(roled_client *c, roled_role_list **lp)
{
        roled_error e = ROLED_ERROR_INIT;

        *lp = roled_role_list_unref(*lp);
        return t_note(roled_list_roles(c, lp, &e), &e);
}

static inline roled_status t_revoke(roled_client *c, const char *role, uint32_t *np)
{
        roled_error e = ROLED_ERROR_INIT;

        return t_note(roled_revoke(c, role, np, &e), &e);
}

static inline roled_status t_reload(roled_client *c, uint32_t *np)
{
        roled_error e = ROLED_ERROR_INIT;

        return t_note(roled_reload(c, np, &e), &e);
}

static inline roled_status t_agent_status_json(roled_client *c, char **jsonp)
{
        roled_error e = ROLED_ERROR_INIT;

        return t_note(roled_agent_status_json(c, jsonp, &e), &e);
}

static inline roled_status t_login(roled_client *c, const roled_login_request *req,
                                   roled_login_result **resp)
{
        roled_error e = ROLED_ERROR_INIT;

        roled_login_result_unref(*resp);
        return t_note(roled_login(c, req, resp, &e), &e);
}

/* T_LOGIN_REQ(fields) - a roled_login_request (size set) with @fields. */
#define T_LOGIN_REQ(...)                                                                           \
        (&(roled_login_request){ .size = sizeof(roled_login_request), __VA_ARGS__ })
