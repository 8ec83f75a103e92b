/* SPDX-License-Identifier: MIT */
/*
 * test-embedded-default - with no configuration at all, roled serves the
 * embedded "default" role to its own uid (root here) without the caller
 * naming it, and denies every other uid with AccessDenied naming the role
 * and the reason.  The log says so at start, and says when a configuration
 * folder is missing or defines no role, instead of serving quietly.  An
 * agent without aws roles never loads libcurl (agent/curlapi.h).
 */
#undef NDEBUG
#include <roled/roled.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

static void test_own_uid_gets_default(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_identity) id = NULL;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        CHECK_STREQ(roled_identity_default_role(id), "default");
        CHECK_INT(t_get_credentials(c, NULL, &cr), ==, ROLED_OK);
        CHECK_STREQ(roled_credentials_role(cr), "default");
        CHECK_STREQ(roled_credentials_issuer(cr), "local");
        CHECK(strncmp(roled_credentials_access_key_id(cr), "ASIA", 4) == 0);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
}

static int bob_is_denied(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "default" };

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        /* No default role for bob ... */
        CHECK_INT(t_get_credentials(c, NULL, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(t_last_error(), "no default role");
        /* ... and naming the role is refused with the role and the reason. */
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(t_last_error(), "default");
        CHECK_CONTAINS(t_last_error(), "not a trusted principal");
        roled_client_close(c);
        return 0;
}

static void test_rolectl_both_uids(void)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "credential-process", NULL), ==, 0);
        CHECK_CONTAINS(out, "\"AccessKeyId\": \"ASIA");
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "credential-process", "--role",
                          "default", NULL),
                  ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_CONTAINS(err, "role default");
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
}

/*
 * Having served, the agent has not mapped libcurl or the TLS libraries it
 * brings: they are loaded for the aws issuer only (they were most of an idle
 * agent's resident memory).
 */
static void test_no_libcurl_without_aws(void)
{
        char path[64], *maps;

        snprintf(path, sizeof(path), "/proc/%d/maps", (int)agent.pid);
        maps = read_file(path);
        CHECK(maps != NULL);
        CHECK_CONTAINS(maps, "libsodium");
        CHECK_NOT_CONTAINS(maps, "libcurl");
        CHECK_NOT_CONTAINS(maps, "libssl");
        CHECK_NOT_CONTAINS(maps, "libgnutls");
        free(maps);
}

/* An empty configuration folder: the start-up log names it and the embedded default. */
static void test_log_names_empty_folder(void)
{
        char *log = agent_log_with(&agent, "serving the embedded default");

        CHECK_CONTAINS(log, "warning: ");
        CHECK_CONTAINS(log, "holds neither roled.ini nor roles.d/: serving the embedded default");
        free(log);
}

/* A configuration with an (empty) roles.d serves no role, and the log says so. */
static void test_log_no_roles(void)
{
        TestAgent a = { 0 };
        char *log;

        agent_spawn(config_new(NULL), &a);
        /* Logged once the configuration is read: maybe after the socket is up (valgrind). */
        log = agent_log_with(&a, "warning: no roles defined in ");
        CHECK_CONTAINS(log, "warning: no roles defined in ");
        CHECK_NOT_CONTAINS(log, "embedded default");
        free(log);
        agent_stop(&a);
}

/* The mode's folder does not exist: --check-config (and the start-up log) say so. */
static void test_check_config_missing_folder(void)
{
        char xdg[300], *out = NULL, *err = NULL;
        const char *env[] = { xdg, NULL };
        const char *argv[] = { test_roled(), "--user", "--check-config", NULL };

        snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s/no-such-folder", test_dir());
        CHECK_INT(run_cmd(0, NULL, env, argv, &out, &err), ==, 0);
        CHECK_CONTAINS(out, "embedded default: configuration OK (1 role)");
        CHECK_CONTAINS(out, "no-such-folder/roled does not exist: serving the embedded default");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        AgentOpts o = AGENT_OPTS_INIT;

        test_init(argc, argv);
        /* An empty --config folder: the embedded default, whose keys go to a private /var/lib. */
        o.is_private_var_lib = true;
        agent_spawn_opts(NULL, &o, &agent);
        test_own_uid_gets_default();
        CHECK_INT(run_as(UID_BOB, bob_is_denied, NULL), ==, 0);
        test_rolectl_both_uids();
        test_no_libcurl_without_aws();
        test_log_names_empty_folder();
        agent_stop(&agent);
        test_log_no_roles();
        test_check_config_missing_folder();
        return 0;
}
