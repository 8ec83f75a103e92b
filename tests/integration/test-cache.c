/* SPDX-License-Identifier: MIT */
/*
 * test-cache - the agent's session cache, seen from outside: one process
 * asking twice, and two processes of the same executable and uid, share a
 * session; another uid gets its own; Revoke drops the session, the next ask
 * gets a new key, and the revoked token no longer verifies online (role
 * chaining with it is refused with InvalidClientTokenId).
 */
#undef NDEBUG
#include <roled/roled.h>
#include <sys/mman.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static char (*akids)[33]; /* MAP_SHARED: one slot per child */

static void fresh(roled_client *c, roled_credentials **cr)
{
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "cached",
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_get_credentials(c, &req, cr), ==, ROLED_OK);
}

static int report_akid(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        fresh(c, &cr);
        snprintf(akids[(intptr_t)arg], 33, "%s", roled_credentials_access_key_id(cr));
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static void test_same_process(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) a = NULL, *b = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "cached" };

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &a), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &b), ==, ROLED_OK);
        CHECK_STREQ(roled_credentials_access_key_id(a), roled_credentials_access_key_id(b));
        b = roled_credentials_unref(b);
        /* Past libroled's cache, the agent's cache answers the same session. */
        fresh(c, &b);
        CHECK_STREQ(roled_credentials_access_key_id(a), roled_credentials_access_key_id(b));
        CHECK_STREQ(roled_credentials_session_token(a), roled_credentials_session_token(b));
        a = roled_credentials_unref(a);
        b = roled_credentials_unref(b);
        roled_client_close(c);
}

static void test_processes_and_uids(void)
{
        CHECK_INT(run_as(0, report_akid, (void *)0), ==, 0);
        CHECK_INT(run_as(0, report_akid, (void *)1), ==, 0);
        CHECK_INT(run_as(UID_ALICE, report_akid, (void *)2), ==, 0);
        CHECK_INT(run_as(UID_ALICE, report_akid, (void *)3), ==, 0);
        CHECK_INT(run_as(UID_CAROL, report_akid, (void *)4), ==, 0);
        /* Two processes, same executable and uid: one session. */
        CHECK_STREQ(akids[0], akids[1]);
        CHECK_STREQ(akids[2], akids[3]);
        /* Different uids: different sessions. */
        CHECK(strcmp(akids[0], akids[2]) != 0);
        CHECK(strcmp(akids[2], akids[4]) != 0);
        CHECK(strcmp(akids[0], akids[4]) != 0);
}

static void test_revoke(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) old = NULL, *now = NULL, *x = NULL;
        uint32_t n = 0;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        fresh(c, &old);
        /* The old token chains while it is live ... */
        CHECK_INT(t_assume_role(c, "next", 0, NULL, NULL, roled_credentials_session_token(old), &x),
                  ==, ROLED_OK);
        x = roled_credentials_unref(x);
        CHECK_INT(t_revoke(c, "cached", &n), ==, ROLED_OK);
        CHECK_INT(n, >=, 1);
        fresh(c, &now);
        CHECK(strcmp(roled_credentials_access_key_id(old), roled_credentials_access_key_id(now)) !=
              0);
        /* ... and not once revoked. */
        CHECK_INT(t_assume_role(c, "next", 0, NULL, NULL, roled_credentials_session_token(old), &x),
                  ==, ROLED_E_INVALID_TOKEN);
        /* The new session chains. */
        CHECK_INT(t_assume_role(c, "next", 0, NULL, NULL, roled_credentials_session_token(now), &x),
                  ==, ROLED_OK);
        x = roled_credentials_unref(x);
        old = roled_credentials_unref(old);
        now = roled_credentials_unref(now);
        roled_client_close(c);
        /* Revoking root's sessions left alice's alone: hers is still the cached one. */
        CHECK_INT(run_as(UID_ALICE, report_akid, (void *)5), ==, 0);
        CHECK_STREQ(akids[5], akids[2]);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        akids = mmap(NULL, 16 * 33, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(akids != MAP_FAILED);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/cached.ini",
                   "[role]\nname = cached\n[trust]\nusers = root, roledalice, roledcarol\n");
        config_put(cfg, "roles.d/next.ini", "[role]\nname = next\n[trust]\nroles = cached\n");
        agent_spawn(cfg, &agent);
        test_same_process();
        test_processes_and_uids();
        test_revoke();
        agent_stop(&agent);
        return 0;
}
