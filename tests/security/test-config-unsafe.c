/* SPDX-License-Identifier: MIT */
/*
 * test-config-unsafe - the agent refuses to start, with a message naming
 * the file and why, when a config file or folder is writable by group or
 * others or owned by another user; the same files made safe start fine.
 */
#undef NDEBUG
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static void refused(const char *cfg, const char *what)
{
        TestAgent a = { 0 };
        AgentOpts o = AGENT_OPTS_INIT;
        char *log = NULL;

        CHECK_INT(agent_run_fail(cfg, &o, &a, &log), !=, 0);
        CHECK_CONTAINS(log, what);
        CHECK_MSG(strstr(log, "writable") || strstr(log, "owned") || strstr(log, "owner") ||
                          strstr(log, "belongs"),
                  "unclear refusal: %s", log);
        free(log);
}

static void started(const char *cfg)
{
        TestAgent a = { 0 };

        agent_spawn(cfg, &a);
        check_served(a.socket);
        agent_stop(&a);
}

int main(int argc, char **argv)
{
        const char *cfg;
        char path[512];

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/r.ini", "[role]\nname = r\n[trust]\nusers = root\n");
        started(cfg);

        snprintf(path, sizeof(path), "%s/roled.ini", cfg);
        CHECK(chmod(path, 0666) == 0);
        refused(cfg, "roled.ini");
        CHECK(chmod(path, 0620) == 0);
        refused(cfg, "roled.ini");
        CHECK(chmod(path, 0644) == 0);

        snprintf(path, sizeof(path), "%s/roles.d/r.ini", cfg);
        CHECK(chmod(path, 0646) == 0);
        refused(cfg, "r.ini");
        CHECK(chmod(path, 0644) == 0);
        CHECK(chown(path, UID_BOB, 0) == 0);
        refused(cfg, "r.ini");
        CHECK(chown(path, 0, 0) == 0);

        snprintf(path, sizeof(path), "%s/roles.d", cfg);
        CHECK(chmod(path, 0777) == 0);
        refused(cfg, "roles.d");
        CHECK(chmod(path, 0755) == 0);

        started(cfg);
        return 0;
}
