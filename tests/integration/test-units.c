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

static void enter(const char *cgroup);

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

        if (a->cgroup)
                enter(a->cgroup);
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

static void enter(const char *cgroup)
{
        char path[1024];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s/cgroup.procs", slice, cgroup);
        f = fopen(path, "we");
        CHECK_MSG(f, "open %s: %s", path, strerror(errno));
        fprintf(f, "0\n");
        CHECK_INT(fclose(f), ==, 0);
}

/* GetCredentials for @role on @c: the status, and the unit its verified token names in @unit. */
static roled_status unit_claim(roled_client *c, const char *role, char *unit, size_t size)
{
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_token_claims) t = NULL;
        roled_status s;

        unit[0] = '\0';
        s = t_get_credentials(c, &req, &cr);
        if (s != ROLED_OK)
                return s;
        CHECK_INT(t_verify_token(c, roled_credentials_session_token(cr), &t), ==, ROLED_OK);
        snprintf(unit, size, "%s", roled_token_claims_unit(t));
        return s;
}

static const char *cfg2;

/*
 * While no role reads the unit, attestation does not read the cgroup:
 * sessions name no unit, and GetCallerIdentity still shows it (read for
 * the call, without making the connection's sessions name it).
 */
static int ask_unread(void *arg)
{
        roled_client *c;
        T_AUTO(roled_identity) id = NULL;
        char unit[256];

        (void)arg;
        enter("demo.service");
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(unit_claim(c, "plain", unit, sizeof(unit)), ==, ROLED_OK);
        CHECK_STREQ(unit, "");
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        CHECK_STREQ(roled_identity_unit(id), "demo.service");
        /* Shown, not claimed: the connection's sessions still name no unit. */
        CHECK_INT(unit_claim(c, "plain", unit, sizeof(unit)), ==, ROLED_OK);
        CHECK_STREQ(unit, "");
        roled_client_close(c);
        return 0;
}

/*
 * A connection attested while no role read the unit, asking after a
 * reload made roles read it, is judged by its real unit (read with the
 * request): a negated condition on roled:unit must not see it absent.
 */
static int ask_after_reload(void *arg)
{
        const char *cgroup = arg;
        bool is_demo = cgroup != NULL;
        roled_client *c, *admin;
        T_AUTO(roled_role_list) roles = NULL;
        char unit[256];
        uint32_t n;

        if (is_demo)
                enter(cgroup);
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        /* Attested and served before the reload (ListRoles reads no unit). */
        CHECK_INT(t_list_roles(c, &roles), ==, ROLED_OK);

        config_put(cfg2, "roles.d/20-not-demo.ini",
                   "[role]\nname = not-demo\ntrust_policy = ../not-demo.json\n"
                   "[trust]\nusers = root\n");
        config_put(cfg2, "not-demo.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": \"uid:0\"}, "
                   "\"Condition\": {\"StringNotEquals\": {\"roled:unit\": \"demo.service\"}}}]}\n");
        config_put(cfg2, "roles.d/30-by-unit.ini",
                   "[role]\nname = by-unit\n[trust]\nusers = root\nunits = demo.service\n");
        CHECK_INT(t_connect(agent.socket, &admin), ==, ROLED_OK);
        CHECK_INT(t_reload(admin, &n), ==, ROLED_OK);
        CHECK_INT(n, ==, 3);
        roled_client_close(admin);

        CHECK_INT(unit_claim(c, "not-demo", unit, sizeof(unit)), ==,
                  is_demo ? ROLED_E_ACCESS_DENIED : ROLED_OK);
        CHECK_INT(unit_claim(c, "by-unit", unit, sizeof(unit)), ==,
                  is_demo ? ROLED_OK : ROLED_E_ACCESS_DENIED);
        CHECK_STREQ(unit, is_demo ? "demo.service" : "");
        /* Now that roles read the unit, every session names it. */
        CHECK_INT(unit_claim(c, "plain", unit, sizeof(unit)), ==, ROLED_OK);
        CHECK_STREQ(unit, is_demo ? "demo.service" : "");
        roled_client_close(c);
        return 0;
}

static void unlink_cfg2(const char *rel)
{
        char path[1024];

        snprintf(path, sizeof(path), "%s/%s", cfg2, rel);
        (void)unlink(path);
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

        cfg2 = config_new(NULL);
        config_put(cfg2, "roles.d/10-plain.ini", "[role]\nname = plain\n[trust]\nusers = root\n");
        agent_spawn(cfg2, &agent);
        CHECK_INT(run_as(0, ask_unread, NULL), ==, 0);
        CHECK_INT(run_as(0, ask_after_reload, (void *)"demo.service"), ==, 0);
        agent_stop(&agent);
        /* The same from outside any unit (a fresh agent: the reload again). */
        unlink_cfg2("roles.d/20-not-demo.ini");
        unlink_cfg2("roles.d/30-by-unit.ini");
        agent_spawn(cfg2, &agent);
        CHECK_INT(run_as(0, ask_after_reload, NULL), ==, 0);
        agent_stop(&agent);
        printf("test-units: OK\n");
        return 0;
}
