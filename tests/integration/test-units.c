/* SPDX-License-Identifier: MIT */
/*
 * test-units - trust and default roles by systemd unit, with real cgroups:
 * the test makes cgroup v2 directories shaped like systemd's
 * (roledtest-PID.slice/demo.service, and a user manager's
 * user@0.service/app.slice/mine.service), moves a child into one, and asks
 * the agent from there.  The agent reads the unit from /proc/PID/cgroup as
 * systemd names it; a system unit rule does not match a user unit of the
 * same name.  Skips (77) where no writable cgroup v2 hierarchy exists.
 */
#undef NDEBUG
#include <errno.h>
#include <roled/roled.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static char root[512];  /* cgroup v2 mount point */
static char slice[700]; /* our top-level test slice */

/* Where cgroup v2 is mounted (pure: /sys/fs/cgroup; hybrid: /sys/fs/cgroup/unified). */
static bool find_cgroup2(void)
{
        FILE *f = fopen("/proc/self/mounts", "re");
        char dev[256], dir[512], type[64];

        if (!f)
                return false;
        while (fscanf(f, "%255s %511s %63s %*s %*d %*d", dev, dir, type) == 3) {
                if (strcmp(type, "cgroup2") == 0) {
                        snprintf(root, sizeof(root), "%s", dir);
                        fclose(f);
                        return true;
                }
        }
        fclose(f);
        return false;
}

static void mkdirs(const char *path)
{
        char buf[1024];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + strlen(root) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                CHECK_MSG(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf,
                          strerror(errno));
                *p = '/';
        }
        CHECK_MSG(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf, strerror(errno));
}

typedef struct Ask {
        const char *cgroup; /* relative to the slice, or NULL: stay where we are */
        const char *role;   /* NULL: the default role */
        roled_status want;
        const char *want_unit; /* what whoami must report */
} Ask;

static int ask(void *arg)
{
        const Ask *a = arg;
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = a->role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        T_AUTO(roled_identity) id = NULL;
        roled_status s;

        if (a->cgroup) {
                char path[1024];
                FILE *f;

                snprintf(path, sizeof(path), "%s/%s/cgroup.procs", slice, a->cgroup);
                f = fopen(path, "we");
                CHECK_MSG(f, "open %s: %s", path, strerror(errno));
                fprintf(f, "0\n");
                CHECK_INT(fclose(f), ==, 0);
        }
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        CHECK_STREQ(roled_identity_unit(id), a->want_unit);
        s = t_get_credentials(c, a->role ? &req : NULL, &cr);
        CHECK_MSG(s == a->want, "cgroup %s role %s: got %s (%s), want %s",
                  a->cgroup ? a->cgroup : "-", a->role ? a->role : "(default)",
                  roled_status_name(s), t_last_error(), roled_status_name(a->want));
        if (s == ROLED_OK && !a->role)
                CHECK_STREQ(roled_credentials_role(cr), "by-unit");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static void cleanup_cgroups(void)
{
        static const char *const dirs[] = {
                "demo.service",
                "user@0.service/app.slice/mine.service",
                "user@0.service/app.slice",
                "user@0.service",
        };

        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char path[1024];

                snprintf(path, sizeof(path), "%s/%s", slice, dirs[i]);
                rmdir(path);
        }
        rmdir(slice);
}

int main(int argc, char **argv)
{
        const char *cfg;
        char path[1024];

        test_init(argc, argv);
        if (!find_cgroup2())
                TEST_SKIP("no cgroup v2 hierarchy mounted");
        snprintf(slice, sizeof(slice), "%s/roledtest-%d.slice", root, (int)getpid());
        if (mkdir(slice, 0755) < 0)
                TEST_SKIP("cgroup v2 at %s is not writable: %s", root, strerror(errno));
        atexit(cleanup_cgroups);
        snprintf(path, sizeof(path), "%s/demo.service", slice);
        mkdirs(path);
        snprintf(path, sizeof(path), "%s/user@0.service/app.slice/mine.service", slice);
        mkdirs(path);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-unit.ini",
                   "[role]\nname = by-unit\n[trust]\nusers = root\nunits = demo.service\n"
                   "[default]\nusers = root\nunits = demo.service\n");
        config_put(
                cfg, "roles.d/20-by-user-unit.ini",
                "[role]\nname = by-user-unit\n[trust]\nusers = root\nunits = user:mine.service\n");
        config_put(cfg, "roles.d/30-system-mine.ini",
                   "[role]\nname = system-mine\n[trust]\nusers = root\nunits = mine.service\n");
        agent_spawn(cfg, &agent);

        static const Ask asks[] = {
                /* Outside any unit: neither the rule nor the default applies. */
                { NULL, "by-unit", ROLED_E_ACCESS_DENIED, "" },
                { NULL, NULL, ROLED_E_ACCESS_DENIED, "" },
                /* Inside demo.service: trusted, and it is the unit's default role. */
                { "demo.service", "by-unit", ROLED_OK, "demo.service" },
                { "demo.service", NULL, ROLED_OK, "demo.service" },
                { "demo.service", "by-user-unit", ROLED_E_ACCESS_DENIED, "demo.service" },
                /* A user manager's unit matches only a user: rule, never the system one. */
                { "user@0.service/app.slice/mine.service", "by-user-unit", ROLED_OK,
                  "mine.service" },
                { "user@0.service/app.slice/mine.service", "system-mine", ROLED_E_ACCESS_DENIED,
                  "mine.service" },
                { NULL, NULL, 0, NULL },
        };
        for (const Ask *a = asks; a->want_unit; a++)
                CHECK_INT(run_as(0, ask, (void *)a), ==, 0);
        agent_stop(&agent);
        printf("test-units: OK\n");
        return 0;
}
