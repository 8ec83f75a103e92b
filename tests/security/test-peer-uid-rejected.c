/* SPDX-License-Identifier: MIT */
/*
 * test-peer-uid-rejected - on one agent, a caller whose kernel-attested uid
 * is inside the trust rules is served and one outside is denied; an
 * unprivileged caller cannot tell a missing role from a forbidden one.
 */
#undef NDEBUG
#include <roled/roled.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

static int ask(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "guarded",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        roled_status s;
        bool is_trusted = arg == (void *)1, is_admin = arg == (void *)2;
        char missing_msg[512];

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        s = t_get_credentials(c, &req, &cr);
        if (is_trusted) {
                CHECK_MSG(s == ROLED_OK, "%s", t_last_error());
                CHECK_STREQ(roled_credentials_role(cr), "guarded");
        } else {
                CHECK_INT(s, ==, ROLED_E_ACCESS_DENIED);
                CHECK_CONTAINS(t_last_error(), "guarded");
                CHECK(cr == NULL);
        }
        if (!is_trusted && !is_admin) {
                /* A role that does not exist looks the same from here. */
                req.role = "no-such-role";
                CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_ACCESS_DENIED);
                snprintf(missing_msg, sizeof(missing_msg), "%s", t_last_error());
                CHECK_CONTAINS(missing_msg, "not a trusted principal");
        }
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/guarded.ini", "[role]\nname = guarded\n[trust]\nuids = %d\n",
                   UID_ALICE);
        agent_spawn(cfg, &agent);
        CHECK_INT(run_as(UID_ALICE, ask, (void *)1), ==, 0);
        CHECK_INT(run_as(UID_BOB, ask, NULL), ==, 0);
        CHECK_INT(run_as(UID_CAROL, ask, NULL), ==, 0);
        /* Root is not in the rules either: privilege does not bypass trust. */
        CHECK_INT(run_as(0, ask, (void *)2), ==, 0);
        agent_stop(&agent);
        return 0;
}
