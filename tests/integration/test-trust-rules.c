/* SPDX-License-Identifier: MIT */
/*
 * test-trust-rules - the [trust] and [default] selectors of a real
 * configuration, seen by callers of different uids, groups and
 * executables: users, supplementary groups, uid ranges, exe, units, the
 * default role, and role chaining (allowed, refused, and its 1 h cap).
 */
#undef NDEBUG
#include <limits.h>
#include <roled/roled.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static char self_exe[PATH_MAX];
static char *shared; /* MAP_SHARED page: a token handed from one child to another */

/* GetCredentials for @role from this process; Return: the status. */
static roled_status get(const char *role, char *err, size_t err_len)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        roled_status s;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        s = t_get_credentials(c, &req, &cr);
        if (err)
                snprintf(err, err_len, "%s", t_last_error());
        if (s == ROLED_OK)
                CHECK_STREQ(roled_credentials_role(cr), role ? role : roled_credentials_role(cr));
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return s;
}

typedef struct Expect {
        const char *role;
        roled_status status;
} Expect;

static int check_all(void *arg)
{
        const Expect *e = arg;
        char err[512];

        for (; e->role; e++) {
                roled_status s = get(e->role, err, sizeof(err));

                CHECK_MSG(s == e->status, "uid %u role %s: got %s (%s), want %s",
                          (unsigned)getuid(), e->role, roled_status_name(s), err,
                          roled_status_name(e->status));
                if (s == ROLED_E_ACCESS_DENIED)
                        CHECK_CONTAINS(err, e->role);
        }
        return 0;
}

static void test_principals(void)
{
        static const Expect alice[] = {
                { "by-user", ROLED_OK },
                { "by-group", ROLED_OK },
                { "by-uid-range", ROLED_E_ACCESS_DENIED },
                { "by-exe", ROLED_E_ACCESS_DENIED },
                { "chain-b", ROLED_E_ACCESS_DENIED },
                {},
        };
        static const Expect bob[] = {
                { "by-user", ROLED_E_ACCESS_DENIED },
                { "by-group", ROLED_E_ACCESS_DENIED },
                { "by-uid-range", ROLED_OK },
                { "by-exe", ROLED_OK },
                { "by-other-exe", ROLED_E_ACCESS_DENIED },
                { "by-gid", ROLED_E_ACCESS_DENIED },
                {},
        };
        static const Expect carol[] = {
                /* roledops is carol's supplementary group, not her primary one. */
                { "by-group", ROLED_OK },
                { "by-gid", ROLED_OK },
                { "by-uid-range", ROLED_OK },
                { "by-user", ROLED_E_ACCESS_DENIED },
                {},
        };
        static const Expect root[] = {
                { "by-unit", ROLED_E_ACCESS_DENIED },
                {},
        };

        CHECK_INT(run_as(UID_ALICE, check_all, (void *)alice), ==, 0);
        CHECK_INT(run_as(UID_BOB, check_all, (void *)bob), ==, 0);
        CHECK_INT(run_as(UID_CAROL, check_all, (void *)carol), ==, 0);
        /* Root is not in a unit, so a units constraint denies it even though users allows. */
        CHECK_INT(run_as(0, check_all, (void *)root), ==, 0);
}

static void test_exe_via_rolectl(void)
{
        char *out = NULL, *err = NULL;

        /* by-exe trusts bob only through this test binary: rolectl is another executable. */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "credential-process", "--role",
                          "by-exe", NULL),
                  ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_CONTAINS(err, "by-exe");
        free(out);
        free(err);
}

static int default_role(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_identity) id = NULL;
        const char *want = arg;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        if (want) {
                CHECK_STREQ(roled_identity_default_role(id), want);
                CHECK_INT(t_get_credentials(c, NULL, &cr), ==, ROLED_OK);
                CHECK_STREQ(roled_credentials_role(cr), want);
        } else {
                CHECK_STREQ(roled_identity_default_role(id), "");
                CHECK_INT(t_get_credentials(c, NULL, &cr), ==, ROLED_E_ACCESS_DENIED);
        }
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static void test_default_role(void)
{
        CHECK_INT(run_as(UID_ALICE, default_role, "by-user"), ==, 0);
        CHECK_INT(run_as(UID_BOB, default_role, NULL), ==, 0);
}

static int chaining(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) a = NULL, *b = NULL, *x = NULL;
        T_AUTO(roled_token_claims) claims = NULL;

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_MSG(t_assume_role(c, "chain-a", 0, NULL, NULL, NULL, &a) == ROLED_OK, "%s",
                  t_last_error());
        /* chain-b trusts only sessions of chain-a. */
        CHECK_INT(t_assume_role(c, "chain-b", 0, NULL, NULL, NULL, &x), ==, ROLED_E_ACCESS_DENIED);
        CHECK_INT(t_assume_role(c, "chain-b", 900, NULL, "chained",
                                roled_credentials_session_token(a), &b),
                  ==, ROLED_OK);
        CHECK_STREQ(roled_credentials_role(b), "chain-b");
        CHECK_CONTAINS(roled_credentials_assumed_role_arn(b), "assumed-role/chain-b/chained");
        CHECK_INT(t_verify_token(c, roled_credentials_session_token(b), &claims), ==, ROLED_OK);
        CHECK_STREQ(roled_token_claims_source_role(claims), "chain-a");
        CHECK_STREQ(roled_token_claims_role(claims), "chain-b");
        /* A chained session lasts at most an hour, whatever the role allows (2 h here). */
        CHECK_INT(t_assume_role(c, "chain-b", 7200, NULL, NULL, roled_credentials_session_token(a),
                                &x),
                  ==, ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(t_last_error(), "1 hour");
        /* chain-d trusts another role, not chain-a. */
        CHECK_INT(
                t_assume_role(c, "chain-d", 0, NULL, NULL, roled_credentials_session_token(a), &x),
                ==, ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(t_last_error(), "chain-d");
        /* Hand chain-a's token to the parent, for bob to try. */
        snprintf(shared, 8192, "%s", roled_credentials_session_token(a));
        a = roled_credentials_unref(a);
        b = roled_credentials_unref(b);
        roled_client_close(c);
        return 0;
}

static int stolen_token(void *arg)
{
        roled_client *c;
        T_AUTO(roled_credentials) x = NULL;

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_assume_role(c, "chain-b", 0, NULL, NULL, shared, &x), ==,
                  ROLED_E_ACCESS_DENIED);
        CHECK_CONTAINS(t_last_error(), "belongs to uid 2101");
        roled_client_close(c);
        return 0;
}

static void test_chaining(void)
{
        CHECK_INT(run_as(UID_ALICE, chaining, NULL), ==, 0);
        CHECK(shared[0]);
        /* Alice's token in bob's hands does not let bob chain. */
        CHECK_INT(run_as(UID_BOB, stolen_token, NULL), ==, 0);
}

int main(int argc, char **argv)
{
        const char *cfg;
        ssize_t n;

        test_init(argc, argv);
        n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
        CHECK(n > 0);
        self_exe[n] = '\0';
        shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(shared != MAP_FAILED);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-user.ini",
                   "[role]\nname = by-user\n[trust]\nusers = roledalice\n[default]\nusers = "
                   "roledalice\n");
        config_put(cfg, "roles.d/11-by-group.ini",
                   "[role]\nname = by-group\n[trust]\ngroups = roledops\n");
        config_put(cfg, "roles.d/12-by-gid.ini", "[role]\nname = by-gid\n[trust]\ngids = %d\n",
                   GID_OPS);
        config_put(cfg, "roles.d/13-by-uid-range.ini",
                   "[role]\nname = by-uid-range\n[trust]\nuids = 2102-2103\n");
        config_put(cfg, "roles.d/14-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = roledbob\nexe = %s\n", self_exe);
        config_put(cfg, "roles.d/15-by-other-exe.ini",
                   "[role]\nname = by-other-exe\n[trust]\nusers = roledbob\nexe = /usr/bin/true\n");
        config_put(cfg, "roles.d/16-by-unit.ini",
                   "[role]\nname = by-unit\n[trust]\nusers = root\nunits = roled-test.service\n");
        config_put(cfg, "roles.d/20-chain-a.ini",
                   "[role]\nname = chain-a\n[trust]\nusers = roledalice\n");
        config_put(cfg, "roles.d/21-chain-b.ini",
                   "[role]\nname = chain-b\nmax_session_duration = 2h\n[trust]\nroles = chain-a\n");
        config_put(cfg, "roles.d/22-chain-d.ini",
                   "[role]\nname = chain-d\n[trust]\nroles = by-gid\n");
        agent_spawn(cfg, &agent);

        test_principals();
        test_exe_via_rolectl();
        test_default_role();
        test_chaining();
        agent_stop(&agent);
        return 0;
}
