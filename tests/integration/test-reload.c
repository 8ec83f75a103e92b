/* SPDX-License-Identifier: MIT */
/*
 * test-reload - configuration reloads on a live agent: SIGHUP and `rolectl
 * reload` pick up a new role; a broken configuration (an unknown key) is
 * rejected with file:line and the old one keeps serving; `roled
 * --check-config` reports file:line and fails on a bad configuration and
 * passes a good one.
 */
#undef NDEBUG
#include <roled/roled.h>
#include <signal.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static const char *cfg;
static char bad_file[512];

static size_t n_roles(void)
{
        roled_client *c;
        T_AUTO(roled_role_list) roles = NULL;
        size_t n;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_list_roles(c, &roles), ==, ROLED_OK);
        n = roled_role_list_count(roles);
        roled_client_close(c);
        return n;
}

static roled_status get(const char *role)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        roled_status s;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        s = t_get_credentials(c, &req, &cr);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return s;
}

/* SIGHUP is handled asynchronously: wait (up to 10 s) until the agent shows @n roles. */
static bool wait_roles(size_t n)
{
        for (int i = 0; i < 1000; i++) {
                if (n_roles() == n)
                        return true;
                usleep(10 * 1000);
        }
        return false;
}

static void test_sighup(void)
{
        CHECK_INT(n_roles(), ==, 1);
        CHECK_INT(get("second"), ==, ROLED_E_NO_SUCH_ENTITY);
        config_put(cfg, "roles.d/20-second.ini", "[role]\nname = second\n[trust]\nusers = root\n");
        CHECK(kill(agent.pid, SIGHUP) == 0);
        CHECK_MSG(wait_roles(2), "SIGHUP did not load the new role");
        CHECK_INT(get("second"), ==, ROLED_OK);
}

static void test_rolectl_reload(void)
{
        char *out = NULL, *err = NULL;

        config_put(cfg, "roles.d/25-third.ini", "[role]\nname = third\n[trust]\nusers = root\n");
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 0);
        CHECK_CONTAINS(out, "3 roles");
        CHECK_INT(n_roles(), ==, 3);
        CHECK_INT(get("third"), ==, ROLED_OK);
        free(out);
        free(err);
}

static void test_broken_reload(void)
{
        char *out = NULL, *err = NULL, *log, where[600];
        roled_client *c;
        uint32_t n;

        snprintf(bad_file, sizeof(bad_file), "%s/roles.d/30-bad.ini", cfg);
        config_put(cfg, "roles.d/30-bad.ini",
                   "[role]\nname = bad\n[trust]\nusers = root\nfrobnicate = yes\n");
        snprintf(where, sizeof(where), "%s:5", bad_file);

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 1);
        CHECK_CONTAINS(err, "InvalidParameterValue");
        CHECK_CONTAINS(err, where);
        CHECK_CONTAINS(err, "frobnicate");
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_reload(c, &n), ==, ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(t_last_error(), where);
        roled_client_close(c);

        /* SIGHUP with the same broken file: logged, rejected. */
        CHECK(kill(agent.pid, SIGHUP) == 0);
        log = agent_log_with(&agent, where);
        CHECK_MSG(log && strstr(log, where), "the agent did not log the rejected reload with %s",
                  where);
        free(log);

        /* The old configuration keeps serving. */
        CHECK(agent_alive(&agent));
        CHECK_INT(n_roles(), ==, 3);
        CHECK_INT(get("second"), ==, ROLED_OK);
        CHECK_INT(get("third"), ==, ROLED_OK);
        CHECK_INT(get("bad"), ==, ROLED_E_NO_SUCH_ENTITY);
}

static void test_check_config(void)
{
        const char *argv[] = { test_roled(), "--check-config", "--config", cfg, NULL };
        char *out = NULL, *err = NULL, where[600];

        snprintf(where, sizeof(where), "%s:5", bad_file);
        CHECK_INT(run_cmd(0, NULL, NULL, argv, &out, &err), !=, 0);
        CHECK_MSG(strstr(err, where) || strstr(out, where), "no %s in: %s%s", where, out, err);
        free(out);
        free(err);
        CHECK(unlink(bad_file) == 0);
        CHECK_INT(run_cmd(0, NULL, NULL, argv, &out, &err), ==, 0);
        CHECK_CONTAINS(out, "OK");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-first.ini", "[role]\nname = first\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_sighup();
        test_rolectl_reload();
        test_broken_reload();
        test_check_config();
        agent_stop(&agent);
        return 0;
}
