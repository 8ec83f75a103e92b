/* SPDX-License-Identifier: MIT */
/*
 * test-secrets-not-logged - with --log-level debug, a full session
 * lifecycle (GetCredentials, AssumeRole, chaining, Revoke, use of a revoked
 * token, denials of another uid) leaves no secret access key and no piece of
 * a session token in the agent's log; rolectl's error output on a refused
 * chained assume does not echo the token it was given.
 */
#undef NDEBUG
#include <roled/roled.h>

#include "agent.h"
#include "libtest.h"

#define N_SECRETS 8

static TestAgent agent;
static char *secrets[N_SECRETS * 2];
static size_t n_secrets;

static void keep(const roled_credentials *cr)
{
        CHECK(n_secrets + 2 <= sizeof(secrets) / sizeof(secrets[0]));
        secrets[n_secrets++] = strdup(roled_credentials_secret_access_key(cr));
        secrets[n_secrets++] = strdup(roled_credentials_session_token(cr));
}

/* No 16-byte window of a secret key, and no 24-byte window of a token past its key-id prefix. */
static void check_clean(const char *text, const char *what)
{
        for (size_t i = 0; i < n_secrets; i++) {
                const char *s = secrets[i];
                size_t len = strlen(s), w = len == 40 ? 16 : 24, from = len == 40 ? 0 : 16;
                char window[32];

                for (size_t off = from; off + w <= len; off += w / 2) {
                        memcpy(window, s + off, w);
                        window[w] = '\0';
                        CHECK_MSG(!strstr(text, window), "%s holds a piece of a secret: %s", what,
                                  window);
                }
        }
}

static int bob_denied(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "s1",
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_INT(t_assume_role(c, "s2", 0, NULL, NULL, (const char *)arg, &cr), ==,
                  ROLED_E_ACCESS_DENIED);
        roled_client_close(c);
        return 0;
}

int main(int argc, char **argv)
{
        AgentOpts o = AGENT_OPTS_INIT;
        const char *cfg;
        roled_client *c;
        T_AUTO(roled_credentials) a = NULL, *b = NULL, *x = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "s1",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        char *log, *out = NULL, *err = NULL, env[4200];
        const char *envs[] = { env, NULL };
        const char *argv_assume[] = { NULL, "assume", "s2", "--chain", NULL };

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/s1.ini", "[role]\nname = s1\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/s2.ini", "[role]\nname = s2\n[trust]\nroles = s1\n");
        o.log_level = "debug";
        agent_spawn_opts(cfg, &o, &agent);

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &a), ==, ROLED_OK);
        keep(a);
        CHECK_INT(t_assume_role(c, "s1", 900, NULL, "secret-test", NULL, &b), ==, ROLED_OK);
        keep(b);
        b = roled_credentials_unref(b);
        CHECK_INT(t_assume_role(c, "s2", 0, NULL, NULL, roled_credentials_session_token(a), &b), ==,
                  ROLED_OK);
        keep(b);
        CHECK_INT(run_as(UID_BOB, bob_denied, (void *)roled_credentials_session_token(a)), ==, 0);
        CHECK_INT(t_revoke(c, NULL, NULL), ==, ROLED_OK);
        CHECK_INT(t_assume_role(c, "s2", 0, NULL, NULL, roled_credentials_session_token(a), &x), ==,
                  ROLED_E_INVALID_TOKEN);
        CHECK_INT(t_assume_role(c, "s2", 0, NULL, NULL, roled_credentials_session_token(b), &x), ==,
                  ROLED_E_INVALID_TOKEN);
        roled_client_close(c);

        /* rolectl presenting a revoked token: refused, and the token is not echoed. */
        snprintf(env, sizeof(env), "AWS_SESSION_TOKEN=%s", roled_credentials_session_token(a));
        argv_assume[0] = test_rolectl();
        CHECK_INT(run_cmd(0, agent.socket, envs, argv_assume, &out, &err), ==, 1);
        CHECK_CONTAINS(err, "InvalidClientTokenId");
        check_clean(err, "rolectl's stderr");
        check_clean(out, "rolectl's stdout");
        free(out);
        free(err);

        agent_stop(&agent);
        log = agent_log(&agent);
        CHECK(log);
        /* The log did record the lifecycle at debug level... */
        CHECK_MSG(strlen(log) > 200, "suspiciously short log: %s", log);
        /* ...without a secret in it. */
        check_clean(log, "the agent's log");
        free(log);
        a = roled_credentials_unref(a);
        b = roled_credentials_unref(b);
        for (size_t i = 0; i < n_secrets; i++)
                free(secrets[i]);
        return 0;
}
