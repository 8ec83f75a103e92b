/* SPDX-License-Identifier: MIT */
/*
 * pam_roled.c - pam_roled.so: the login side of roled.  session: tell the
 * agent a login started (it pre-warms the user's role), export ROLED_SOCKET
 * (and, asked to, AWS_PROFILE), and at close tell it the login ended (the
 * agent ends the login's sessions when the user's last login closes).
 * account: with require_role, deny a user who may assume no role.  Only the
 * public libroled API is used; roled_status becomes PAM_* here and nowhere
 * else.  By default a login never fails because roled is down or refuses;
 * with enforce it does.  Only pam_sm_* leave the module.
 */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "options.h"
#include "roled/roled.h"

#define EXPORT __attribute__((visibility("default")))
#define DATA_LOGIN_ID "pam_roled_login_id"

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
        (void)pamh;
        (void)error_status;
        free(data);
}

/* connect() - a client for @o's socket (or libroled's search); logs why not. */
static roled_status connect_agent(pam_handle_t *pamh, const PamOptions *o, roled_client **cp)
{
        roled_client_options opts = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_status st;

        opts.socket_path = o->socket[0] ? o->socket : NULL;
        st = roled_client_connect(&opts, cp, &err);
        if (st != ROLED_OK)
                pam_syslog(pamh, o->is_enforce ? LOG_ERR : LOG_NOTICE, "%s",
                           roled_error_message(&err));
        roled_error_clear(&err);
        return st;
}

/*
 * login() - send @req to the agent (at @o's socket, or libroled's search).
 * A failure is logged: the connection's as libroled words it, the agent's
 * answer as "roled at PATH <@what> <@whom>: Status: message".
 * Return: the status; on ROLED_OK, *@resp the answer and *@cp the client,
 * still open, for the caller to close.
 */
static roled_status login(pam_handle_t *pamh, const PamOptions *o, const roled_login_request *req,
                          const char *what, const char *whom, roled_client **cp,
                          roled_login_result **resp)
{
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = NULL;
        roled_status st = connect_agent(pamh, o, &c);

        if (st != ROLED_OK)
                return st;
        st = roled_login(c, req, resp, &err);
        if (st != ROLED_OK) {
                pam_syslog(pamh, o->is_enforce ? LOG_ERR : LOG_NOTICE, "roled at %s %s %s: %s: %s",
                           roled_client_socket_path(c), what, whom, roled_status_name(st),
                           roled_error_message(&err));
                roled_error_clear(&err);
                roled_client_close(c);
                return st;
        }
        *cp = c;
        return ROLED_OK;
}

/* The PAM item @item as a string, or NULL. */
static const char *item(pam_handle_t *pamh, int type)
{
        const void *v = NULL;

        if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
                return NULL;
        return v;
}

static int put_env(pam_handle_t *pamh, const char *name, const char *value)
{
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "%s=%s", name, value);

        if (n < 0 || (size_t)n >= sizeof(buf))
                return PAM_BUF_ERR;
        return pam_putenv(pamh, buf);
}

/* What a failure becomes: PAM_SUCCESS unless enforce (then @fail). */
static int soft_fail(const PamOptions *o, int fail)
{
        return o->is_enforce ? fail : PAM_SUCCESS;
}

EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        roled_login_request req = ROLED_LOGIN_REQUEST_INIT;
        roled_login_result *res = NULL;
        roled_client *c = NULL;
        const char *role;
        PamOptions o;
        char *id;
        int r;

        (void)flags;
        options_parse(pamh, argc, argv, &o);
        req.event = ROLED_LOGIN_START;
        if (pam_get_user(pamh, &req.user, NULL) != PAM_SUCCESS || !req.user || !req.user[0]) {
                pam_syslog(pamh, LOG_ERR, "cannot determine the user");
                return soft_fail(&o, PAM_SESSION_ERR);
        }
        req.service = item(pamh, PAM_SERVICE);
        req.tty = item(pamh, PAM_TTY);
        req.rhost = item(pamh, PAM_RHOST);
        req.role = o.role[0] ? o.role : NULL;
        /* The session finds the agent this login used, whether or not it answers now. */
        if (o.socket[0] && (r = put_env(pamh, "ROLED_SOCKET", o.socket)) != PAM_SUCCESS)
                return soft_fail(&o, r);
        if (login(pamh, &o, &req, "refused the login of", req.user, &c, &res) != ROLED_OK)
                return soft_fail(&o, PAM_SESSION_ERR);
        if (!o.socket[0] &&
            (r = put_env(pamh, "ROLED_SOCKET", roled_client_socket_path(c))) != PAM_SUCCESS) {
                roled_login_result_unref(res);
                roled_client_close(c);
                return soft_fail(&o, r);
        }
        roled_client_close(c);
        role = roled_login_result_role(res);
        if (o.is_debug)
                pam_syslog(pamh, LOG_DEBUG, "login %s of %s (uid %u) started, %u open; %s%s",
                           roled_login_result_login_id(res), req.user, roled_login_result_uid(res),
                           roled_login_result_logins(res),
                           role[0] ? "pre-warmed role " : "nothing pre-warmed: ",
                           role[0] ? role : roled_login_result_reason(res));
        if (o.has_aws_profile && (o.aws_profile[0] || role[0]) &&
            (r = put_env(pamh, "AWS_PROFILE", o.aws_profile[0] ? o.aws_profile : role)) !=
                    PAM_SUCCESS) {
                roled_login_result_unref(res);
                return soft_fail(&o, r);
        }
        id = strdup(roled_login_result_login_id(res));
        if (!id || pam_set_data(pamh, DATA_LOGIN_ID, id, free_data) != PAM_SUCCESS) {
                free(id);
                pam_syslog(pamh, LOG_ERR, "cannot remember login %s: its sessions will outlive it",
                           roled_login_result_login_id(res));
                roled_login_result_unref(res);
                return soft_fail(&o, PAM_BUF_ERR);
        }
        roled_login_result_unref(res);
        return PAM_SUCCESS;
}

EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        roled_login_request req = ROLED_LOGIN_REQUEST_INIT;
        roled_login_result *res = NULL;
        roled_client *c = NULL;
        const void *data = NULL;
        PamOptions o;

        (void)flags;
        options_parse(pamh, argc, argv, &o);
        if (pam_get_data(pamh, DATA_LOGIN_ID, &data) != PAM_SUCCESS || !data) {
                if (o.is_debug)
                        pam_syslog(pamh, LOG_DEBUG, "no roled login to end");
                return PAM_SUCCESS;
        }
        req.event = ROLED_LOGIN_END;
        req.login_id = data;
        if (login(pamh, &o, &req, "did not end login", req.login_id, &c, &res) != ROLED_OK)
                return soft_fail(&o, PAM_SESSION_ERR);
        roled_client_close(c);
        if (o.is_debug)
                pam_syslog(pamh, LOG_DEBUG, "login %s of uid %u ended, %u open, %u sessions ended",
                           req.login_id, roled_login_result_uid(res),
                           roled_login_result_logins(res), roled_login_result_revoked(res));
        roled_login_result_unref(res);
        (void)pam_set_data(pamh, DATA_LOGIN_ID, NULL, NULL);
        return PAM_SUCCESS;
}

EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        roled_login_request req = ROLED_LOGIN_REQUEST_INIT;
        roled_login_result *res = NULL;
        roled_client *c = NULL;
        uint32_t n_assumable;
        PamOptions o;

        (void)flags;
        options_parse(pamh, argc, argv, &o);
        if (!o.is_require_role)
                return PAM_IGNORE;
        req.event = ROLED_LOGIN_CHECK;
        if (pam_get_user(pamh, &req.user, NULL) != PAM_SUCCESS || !req.user || !req.user[0])
                return PAM_USER_UNKNOWN;
        if (login(pamh, &o, &req, "cannot check", req.user, &c, &res) != ROLED_OK)
                return o.is_enforce ? PAM_PERM_DENIED : PAM_IGNORE;
        roled_client_close(c);
        n_assumable = roled_login_result_assumable(res);
        roled_login_result_unref(res);
        if (n_assumable == 0) {
                pam_syslog(pamh, LOG_NOTICE,
                           "denying %s: the user may assume no role (require_role)", req.user);
                return PAM_PERM_DENIED;
        }
        if (o.is_debug)
                pam_syslog(pamh, LOG_DEBUG, "%s may assume %u roles", req.user, n_assumable);
        return PAM_SUCCESS;
}
