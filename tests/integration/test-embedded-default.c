/* SPDX-License-Identifier: MIT */
/*
 * test-embedded-default - with no configuration at all, roled serves the
 * embedded "default" role to its own uid (root here) without the caller
 * naming it, and denies every other uid with AccessDenied naming the role
 * and the reason.
 */
#undef NDEBUG
#include <roled/roled.h>

#include "agent.h"

static TestAgent agent;

static void test_own_uid_gets_default(void)
{
        roled_client *c;
        roled_credentials cr = { 0 };
        roled_identity id;

        CHECK_INT(roled_client_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(roled_whoami(c, &id), ==, ROLED_OK);
        CHECK_STREQ(id.default_role, "default");
        CHECK_INT(roled_get_credentials(c, NULL, &cr), ==, ROLED_OK);
        CHECK_STREQ(cr.role, "default");
        CHECK_STREQ(cr.issuer, "local");
        CHECK(strncmp(cr.access_key_id, "ASIA", 4) == 0);
        roled_credentials_clear(&cr);
        roled_client_close(c);
}

static int bob_is_denied(void *arg)
{
        roled_client *c;
        roled_credentials cr = { 0 };
        roled_request req = { .role = "default" };

        (void)arg;
        CHECK_INT(roled_client_connect(agent.socket, &c), ==, ROLED_OK);
        /* No default role for bob ... */
        CHECK_INT(roled_get_credentials(c, NULL, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(roled_client_last_error(c), "no default role");
        /* ... and naming the role is refused with the role and the reason. */
        CHECK_INT(roled_get_credentials(c, &req, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(roled_client_last_error(c), "default");
        CHECK_CONTAINS(roled_client_last_error(c), "not a trusted principal");
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
        agent_stop(&agent);
        return 0;
}
