/* SPDX-License-Identifier: MIT */
/*
 * test-rolectl - rolectl against a real agent, as root and as test users:
 * whoami --json, roles (only assumable ones for an unprivileged user, all for
 * root), status, reload (admin only), exec and env (the AWS_* variables; env
 * output evaluates in sh), and the exit codes 0/1/2/3 with one-line errors.
 */
#undef NDEBUG
#include <jansson.h>
#include <pwd.h>

#include "agent.h"

static TestAgent agent;

static json_t *parse(const char *text)
{
        json_error_t err;
        json_t *j = json_loads(text ? text : "", 0, &err);

        CHECK_MSG(j, "not JSON (%s): %s", err.text, text ? text : "(null)");
        return j;
}

static void test_whoami(void)
{
        char *out = NULL, *err = NULL;
        json_t *j, *groups;
        bool has_ops = false;
        size_t i;
        json_t *g;

        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "whoami", "--json", NULL), ==, 0);
        j = parse(out);
        CHECK_INT(json_integer_value(json_object_get(j, "uid")), ==, UID_CAROL);
        CHECK_STREQ(json_string_value(json_object_get(j, "user")), "roledcarol");
        CHECK_INT(json_integer_value(json_object_get(j, "gid")), ==, getpwuid(UID_CAROL)->pw_gid);
        CHECK(json_is_string(json_object_get(j, "group")));
        groups = json_object_get(j, "groups");
        CHECK(json_is_array(groups));
        json_array_foreach(groups, i, g) if (json_integer_value(g) == GID_OPS) has_ops = true;
        CHECK_MSG(has_ops, "roledops (%d) missing from groups: %s", GID_OPS, out);
        CHECK(json_integer_value(json_object_get(j, "pid")) > 1);
        CHECK_STREQ(json_string_value(json_object_get(j, "exe")), test_rolectl());
        CHECK(json_is_string(json_object_get(j, "unit")));
        CHECK(json_is_string(json_object_get(j, "cgroup")));
        CHECK_STREQ(json_string_value(json_object_get(j, "account")), "000000000000");
        CHECK_STREQ(json_string_value(json_object_get(j, "arn")),
                    "arn:aws:iam::000000000000:user/roledcarol");
        CHECK_STREQ(json_string_value(json_object_get(j, "defaultRole")), "open");
        json_decref(j);
        free(out);
        free(err);
}

/* The role names `rolectl roles --json` shows @uid. */
static char *role_names(uid_t uid)
{
        char *out = NULL, *err = NULL, *names = calloc(1, 1024);
        json_t *j, *r;
        size_t i;

        CHECK(names);
        CHECK_INT(rolectl(uid, agent.socket, &out, &err, "roles", "--json", NULL), ==, 0);
        j = parse(out);
        CHECK(json_is_array(j));
        json_array_foreach(j, i, r)
        {
                strcat(names, json_string_value(json_object_get(r, "name")));
                strcat(names, json_is_true(json_object_get(r, "assumable")) ? "+ " : "- ");
        }
        json_decref(j);
        free(out);
        free(err);
        return names;
}

static void test_roles(void)
{
        char *names;
        char *out = NULL, *err = NULL;

        names = role_names(UID_CAROL);
        CHECK_STREQ(names, "open+ ");
        free(names);
        names = role_names(UID_BOB);
        CHECK_STREQ(names, "");
        free(names);
        names = role_names(0);
        CHECK_STREQ(names, "open- closed- ");
        free(names);
        /* The table: a header and one row per role, the default marked. */
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "roles", NULL), ==, 0);
        CHECK_CONTAINS(out, "NAME");
        CHECK_CONTAINS(out, "open");
        CHECK_NOT_CONTAINS(out, "closed");
        CHECK_CONTAINS(out, "*");
        free(out);
        free(err);
}

static void test_status(void)
{
        char *out = NULL, *err = NULL;
        json_t *j;

        /* Anyone else sees their own sessions and connections, not the agent's counters or paths.
         */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "status", "--json", NULL), ==, 0);
        j = parse(out);
        CHECK_STREQ(json_string_value(json_object_get(j, "mode")), "system");
        CHECK_STREQ(json_string_value(json_object_get(j, "scope")), "caller");
        CHECK_INT(json_integer_value(json_object_get(j, "protocol")), ==, 1);
        CHECK_INT(json_integer_value(json_object_get(j, "connections")), ==, 1);
        CHECK(!json_object_get(j, "pid") && !json_object_get(j, "configPath") &&
              !json_object_get(j, "requests") && !json_object_get(j, "roles"));
        json_decref(j);
        free(out);
        free(err);
        /* Root (and the agent's user) see the agent. */
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "status", "--json", NULL), ==, 0);
        j = parse(out);
        CHECK_STREQ(json_string_value(json_object_get(j, "scope")), "agent");
        CHECK_INT(json_integer_value(json_object_get(j, "pid")), ==, agent.pid);
        CHECK_INT(json_integer_value(json_object_get(j, "roles")), ==, 2);
        CHECK_STREQ(json_string_value(json_object_get(j, "configPath")), agent.config);
        CHECK(json_object_get(j, "exeHashesStarted") != NULL);
        json_decref(j);
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "status", NULL), ==, 0);
        CHECK_CONTAINS(out, "system");
        free(out);
        free(err);
}

static void test_reload_admin_only(void)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "reload", NULL), ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 0);
        CHECK_CONTAINS(out, "2 roles");
        free(out);
        free(err);
}

static void test_exec_and_env(void)
{
        const char *sh[] = {
                "/bin/sh",
                "-c",
                "eval \"$(\"$0\" env --role open)\" || exit 9; "
                "printf '%s\\n%s\\n%s\\n' \"$AWS_ACCESS_KEY_ID\" \"${#AWS_SECRET_ACCESS_KEY}\" "
                "\"$AWS_CREDENTIAL_EXPIRATION\"",
                test_rolectl(),
                NULL,
        };
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "exec", "--", "/usr/bin/env", NULL),
                  ==, 0);
        CHECK_CONTAINS(out, "AWS_ACCESS_KEY_ID=ASIA");
        CHECK_CONTAINS(out, "AWS_SECRET_ACCESS_KEY=");
        CHECK_CONTAINS(out, "AWS_SESSION_TOKEN=");
        CHECK_CONTAINS(out, "AWS_CREDENTIAL_EXPIRATION=");
        free(out);
        free(err);
        /* exec passes the command's exit status through. */
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "exec", "--", "/bin/sh", "-c",
                          "exit 7", NULL),
                  ==, 7);
        free(out);
        free(err);
        CHECK_INT(run_cmd(UID_CAROL, agent.socket, NULL, sh, &out, &err), ==, 0);
        CHECK_MSG(strncmp(out, "ASIA", 4) == 0, "env did not evaluate: %s / %s", out, err);
        CHECK_CONTAINS(out, "\n40\n");
        CHECK_CONTAINS(out, "Z\n");
        free(out);
        free(err);
}

static void test_exit_codes(void)
{
        char *out = NULL, *err = NULL;
        char missing[256];

        /* 1: the agent refused (bob has no default role and may not assume closed). */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "credential-process", NULL), ==, 1);
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "env", "--role", "closed", NULL), ==,
                  1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_INT(count_lines(err), ==, 1);
        CHECK_STREQ(out, "");
        free(out);
        free(err);
        /* 2: usage errors. */
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "no-such-command", NULL), ==, 2);
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "credential-process", "--duration", "soon",
                          NULL),
                  ==, 2);
        free(out);
        free(err);
        /* 3: nothing listens there. */
        snprintf(missing, sizeof(missing), "%s/none/roled.sock", test_dir());
        CHECK_INT(rolectl(0, missing, &out, &err, "credential-process", NULL), ==, 3);
        CHECK_CONTAINS(err, missing);
        CHECK_INT(count_lines(err), ==, 1);
        CHECK_STREQ(out, "");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, NULL, &out, &err, "--socket", missing, "whoami", NULL), ==, 3);
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-open.ini",
                   "[role]\nname = open\ndescription = open to roledops\n"
                   "[trust]\ngroups = roledops\n[default]\nusers = roledcarol\n");
        config_put(cfg, "roles.d/20-closed.ini",
                   "[role]\nname = closed\n[trust]\nusers = roledalice\nexe = /usr/bin/true\n");
        agent_spawn(cfg, &agent);
        test_whoami();
        test_roles();
        test_status();
        test_reload_admin_only();
        test_exec_and_env();
        test_exit_codes();
        agent_stop(&agent);
        return 0;
}
