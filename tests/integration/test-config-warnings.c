/* SPDX-License-Identifier: MIT */
/*
 * test-config-warnings - a configuration that loads but silently narrows or
 * widens access gets a warning naming the file, the role and the mistake:
 * a user or group that does not exist, an exe path that does not exist, a
 * role nobody can assume, a role every local user can assume, and [aws]
 * imds = on beside a credentials_file (which wins).  Checked on
 * `roled --check-config`, in the agent's log at start, and after a reload;
 * a clean role gets none.  The NSS lookups behind them run off the agent's
 * loop: with an LD_PRELOAD library holding one lookup (tests/util/nss-gate.c)
 * the agent starts, serves and reloads while the warning waits.
 */
#undef NDEBUG
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static const struct {
        const char *file;
        const char *text;
        const char *warning; /* NULL: the role must not be warned about */
} roles[] = {
        { "10-clean.ini", "[role]\nname = clean\n[trust]\nusers = roledalice\ngroups = roledops\n",
          NULL },
        { "20-no-user.ini",
          "[role]\nname = no-user\n[trust]\nusers = roledalice roled-nosuchuser\n",
          "role no-user: [trust] users: no user named 'roled-nosuchuser'" },
        { "30-no-group.ini",
          "[role]\nname = no-group\n[trust]\nusers = roledbob\n[default]\ngroups = "
          "roled-nosuchgroup\n",
          "role no-group: [default] groups: no group named 'roled-nosuchgroup'" },
        { "40-nobody.ini", "[role]\nname = nobody\n[trust]\nusers = roled-ghost\n",
          "role nobody: nobody can assume this role" },
        { "50-everyone.ini", "[role]\nname = everyone\n[trust]\nusers = *\n",
          "role everyone: every local user can assume this role" },
        { "60-missing-exe.ini",
          "[role]\nname = missing-exe\n[trust]\nusers = roledalice\nexe = /nonexistent/bin/tool\n",
          "role missing-exe: [trust] exe: /nonexistent/bin/tool does not exist" },
        /* Constrained, so not "everyone". */
        { "70-any-in-unit.ini",
          "[role]\nname = any-in-unit\n[trust]\nusers = *\nunits = web.service\n", NULL },
};

static void check_warnings(const char *text, const char *where)
{
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
                if (roles[i].warning) {
                        CHECK_MSG(strstr(text, roles[i].warning), "%s lacks \"%s\":\n%s", where,
                                  roles[i].warning, text);
                        /* File and line lead the warning. */
                        CHECK_CONTAINS(text, roles[i].file);
                }
        }
        CHECK_NOT_CONTAINS(text, "role clean:");
        CHECK_NOT_CONTAINS(text, "role any-in-unit:");
        /* roled.ini's [aws]: the line of imds = on, and why it does nothing. */
        CHECK_CONTAINS(text, "roled.ini:4: [aws] imds = on is not used: credentials_file (");
        CHECK_CONTAINS(text, "as a credentials file comes before instance metadata");
}

/*
 * NSS that hangs: the names roled-slow-* are held by nss-gate until the test
 * opens their gate.  Meanwhile the agent must start, answer, and answer a
 * Reload (whose own check waits too); each warning appears once its gate
 * opens.  (With the lookups on the loop, the agent never answered.)
 */
static void test_nss_off_loop(void)
{
        const char *lib = getenv("ROLED_NSS_GATE_LIB");
        char gate[512], path[600], gate_env[600];
        const char *cfg;
        char *out = NULL, *err = NULL, *log;
        TestAgent agent = { 0 };

        if (!lib) {
                printf("test-config-warnings: ROLED_NSS_GATE_LIB unset, NSS part skipped\n");
                return;
        }
        snprintf(gate, sizeof(gate), "%s", test_path("nss-gate"));
        CHECK(mkdir(gate, 0755) == 0);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-slow.ini",
                   "[role]\nname = slow\n[trust]\nusers = roledalice roled-slow-start\n");
        snprintf(gate_env, sizeof(gate_env), "ROLED_TEST_NSS_GATE=%s", gate);
        agent_spawn_preloaded(cfg, lib, (const char *const[]){ gate_env, NULL }, &agent);

        /* Started and serving while the lookup of roled-slow-start hangs. */
        check_served(agent.socket);
        log = agent_log(&agent);
        CHECK_NOT_CONTAINS(log, "roled-slow-start");
        free(log);
        /* A reload is answered too, while its check (and the first one) still wait. */
        config_put(cfg, "roles.d/20-slow.ini",
                   "[role]\nname = slower\n[trust]\nusers = roled-slow-reload\n");
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 0);
        free(out);
        free(err);
        check_served(agent.socket);

        snprintf(path, sizeof(path), "%s/roled-slow-start", gate);
        write_file(path, 0644, "");
        snprintf(path, sizeof(path), "%s/roled-slow-reload", gate);
        write_file(path, 0644, "");
        log = agent_log_with(&agent,
                             "role slower: [trust] users: no user named 'roled-slow-reload'");
        CHECK_CONTAINS(log, "role slower: [trust] users: no user named 'roled-slow-reload'");
        free(log);
        agent_stop(&agent);
}

int main(int argc, char **argv)
{
        const char *cfg;
        char *out = NULL, *err = NULL, *log;
        char rel[64], aws[512], agent_extra[700];
        TestAgent agent = { 0 };

        test_init(argc, argv);
        /*
         * [aws] with both a credentials file and imds = on (line 4 of
         * roled.ini, after [agent] and key_dir): the file wins, as in the AWS
         * SDKs' chain, and the agent says imds does nothing.  No aws role:
         * nothing is asked of STS or of IMDS.
         */
        snprintf(aws, sizeof(aws), "%s", test_path("aws-credentials"));
        write_file(aws, 0600,
                   "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\n"
                   "aws_secret_access_key = notarealsecret\n");
        snprintf(agent_extra, sizeof(agent_extra), "[aws]\nimds = on\ncredentials_file = %s\n",
                 aws);
        cfg = config_new(agent_extra);
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
                snprintf(rel, sizeof(rel), "roles.d/%s", roles[i].file);
                config_put(cfg, rel, "%s", roles[i].text);
        }

        /* --check-config: the configuration is valid (exit 0) and the warnings are printed. */
        {
                const char *argv_check[] = { test_roled(), "--check-config", "--config", cfg,
                                             NULL };

                CHECK_INT(run_cmd(0, NULL, NULL, argv_check, &out, &err), ==, 0);
                CHECK_CONTAINS(out, "configuration OK");
                check_warnings(out, "--check-config");
                free(out);
                free(err);
        }

        /* At start, in the log. */
        agent_spawn(cfg, &agent);
        /* The last role's warning is written last. */
        log = agent_log_with(&agent, "role missing-exe: [trust] exe:");
        check_warnings(log, "the log at start");
        CHECK_NOT_CONTAINS(log, "roled-late-ghost");
        free(log);

        /* On reload: a role added since is checked too. */
        config_put(cfg, "roles.d/80-late.ini",
                   "[role]\nname = late\n[trust]\nusers = roled-late-ghost roledbob\n");
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 0);
        free(out);
        free(err);
        log = agent_log_with(&agent, "role late: [trust] users: no user named 'roled-late-ghost'");
        CHECK_CONTAINS(log, "role late: [trust] users: no user named 'roled-late-ghost'");
        /* The reload's check repeats the [aws] warning: twice in the log now. */
        {
                const char *first = strstr(log, "[aws] imds = on is not used");

                CHECK(first && strstr(first + 1, "[aws] imds = on is not used"));
        }
        free(log);

        check_served(agent.socket);
        agent_stop(&agent);
        test_nss_off_loop();
        return 0;
}
