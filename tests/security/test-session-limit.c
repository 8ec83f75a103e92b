/* SPDX-License-Identifier: MIT */
/*
 * test-session-limit - one uid cannot grow the agent's memory without bound:
 * with max_sessions_per_uid = 3, bob's fourth live session (AssumeRole stores
 * every session it mints, for Revoke) is refused with Throttling, while his
 * cached session keeps being served and alice still gets new sessions; after
 * a Revoke bob may start sessions again.
 */
#undef NDEBUG
#include <roled/roled.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

static roled_status assume(roled_client *c, char *err, size_t len)
{
        T_AUTO(roled_credentials) cr = NULL;
        roled_status s = t_assume_role(c, "shared", 0, NULL, NULL, NULL, &cr);

        snprintf(err, len, "%s", t_last_error());
        cr = roled_credentials_unref(cr);
        return s;
}

static int bob(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "shared",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        uint32_t n = 0;
        char err[512];

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        /* One cached session (GetCredentials), then two fresh ones: three in all. */
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        cr = roled_credentials_unref(cr);
        CHECK_INT(assume(c, err, sizeof(err)), ==, ROLED_OK);
        CHECK_INT(assume(c, err, sizeof(err)), ==, ROLED_OK);
        CHECK_INT(assume(c, err, sizeof(err)), ==, ROLED_E_THROTTLING);
        CHECK_CONTAINS(err, "max_sessions_per_uid");
        /* The cached session is still served: asking again creates nothing. */
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        cr = roled_credentials_unref(cr);
        CHECK_INT(t_revoke(c, NULL, &n), ==, ROLED_OK);
        CHECK_INT(n, ==, 3);
        CHECK_INT(assume(c, err, sizeof(err)), ==, ROLED_OK);
        roled_client_close(c);
        return 0;
}

static int alice(void *arg)
{
        roled_client *c;
        char err[512];

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(assume(c, err, sizeof(err)), ==, ROLED_OK);
        roled_client_close(c);
        return 0;
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new("max_sessions_per_uid = 3\n");
        config_put(cfg, "roles.d/shared.ini",
                   "[role]\nname = shared\n[trust]\nusers = roledalice roledbob\n");
        agent_spawn(cfg, &agent);
        CHECK_INT(run_as(UID_BOB, bob, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        agent_stop(&agent);
        printf("test-session-limit: OK\n");
        return 0;
}
