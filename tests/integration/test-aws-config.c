/* SPDX-License-Identifier: MIT */
/*
 * test-aws-config - `rolectl aws-config` for a real user against a real agent:
 * a profile per assumable role (none for roles the user may not assume),
 * every other line of ~/.aws/config kept byte for byte, the old file kept as
 * a backup, a second run changes nothing, a user's own profile of the same
 * name is left alone, a role no longer assumable loses its profile, and the
 * written credential_process line gives credentials (run by botocore when
 * /usr/bin/python3 has it).
 */
#undef NDEBUG
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;
static const char *cfg;
static char home[512], home_env[600], config[700], backup[760];

static const char user_text[] = "# my settings\n"
                                "[default]\n"
                                "region = eu-west-1\n"
                                "\n"
                                "[profile work]\n"
                                "role_arn = arn:aws:iam::123456789012:role/x\n"
                                "source_profile = default\n"
                                "\n\n";

/* rolectl aws-config as carol with HOME=home; stdout and stderr in *outp and *errp. */
static int aws_config(char **outp, char **errp, const char *extra)
{
        const char *env[] = { home_env, NULL };
        const char *argv[] = {
                test_rolectl(), "--socket", agent.socket, "aws-config", extra, NULL
        };

        return run_cmd(UID_CAROL, NULL, env, argv, outp, errp);
}

static void test_first_run(void)
{
        char *out = NULL, *err = NULL, *text, *old;
        struct stat st;
        char want[1024];

        write_file(config, 0640, user_text);
        CHECK(chown(config, UID_CAROL, (gid_t)-1) == 0);
        CHECK_INT(aws_config(&out, &err, NULL), ==, 0);
        CHECK_CONTAINS(out, "[profile roled-open] role open");
        CHECK_NOT_CONTAINS(out, "closed");
        CHECK_CONTAINS(out, backup);
        free(out);
        free(err);
        text = read_file(config);
        /* The user's lines first, unchanged (the trailing blank lines aside). */
        CHECK_MSG(strncmp(text, user_text, strlen(user_text) - 2) == 0, "user lines changed:\n%s",
                  text);
        snprintf(want, sizeof(want),
                 "\n[profile roled-open]\n# managed by rolectl aws-config; rerun it to update, "
                 "edits "
                 "here are lost\ncredential_process = %s --socket %s credential-process --role "
                 "open\n",
                 test_rolectl(), agent.socket);
        CHECK_STREQ(text + strlen(user_text) - 2, want);
        CHECK_NOT_CONTAINS(text, "roled-closed");
        old = read_file(backup);
        CHECK_STREQ(old, user_text);
        CHECK(stat(config, &st) == 0);
        CHECK_INT(st.st_mode & 07777, ==, 0640);
        CHECK_INT(st.st_uid, ==, UID_CAROL);
        free(old);
        free(text);
}

static void test_idempotent(void)
{
        char *out = NULL, *err = NULL, *before = read_file(config), *after;
        json_error_t jerr;
        json_t *j;

        CHECK(unlink(backup) == 0);
        CHECK_INT(aws_config(&out, &err, "--json"), ==, 0);
        j = json_loads(out, 0, &jerr);
        CHECK_MSG(j, "not JSON: %s", out);
        CHECK(json_is_false(json_object_get(j, "changed")));
        CHECK(json_is_null(json_object_get(j, "backup")) || !json_object_get(j, "backup"));
        CHECK_STREQ(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "profiles"), 0), "profile")),
                    "roled-open");
        json_decref(j);
        after = read_file(config);
        CHECK_STREQ(after, before);
        /* Nothing changed, so no backup was written either. */
        CHECK(access(backup, F_OK) < 0);
        free(before);
        free(after);
        free(out);
        free(err);
}

static void test_credential_process_line(void)
{
        const char *env[] = { home_env, NULL };
        const char *py[] = {
                "/usr/bin/python3",
                "-c",
                "import botocore.session as s\n"
                "c = s.Session(profile='roled-open').get_credentials().get_frozen_credentials()\n"
                "print(c.access_key[:4], len(c.secret_key), bool(c.token))\n",
                NULL,
        };
        const char *probe[] = { "/usr/bin/python3", "-c", "import botocore", NULL };
        const char *sh[] = {
                "/bin/sh", "-c",
                "eval \"$(sed -n 's/^credential_process = //p' \"$HOME/.aws/config\")\"", NULL
        };
        char *out = NULL, *err = NULL;

        /* The line as written, run by a shell as the user: the credential_process JSON. */
        CHECK_INT(run_cmd(UID_CAROL, NULL, env, sh, &out, &err), ==, 0);
        CHECK_CONTAINS(out, "\"AccessKeyId\": \"ASIA");
        free(out);
        free(err);
        if (access("/usr/bin/python3", X_OK) < 0 ||
            run_cmd(UID_CAROL, NULL, env, probe, NULL, NULL) != 0) {
                fprintf(stderr,
                        "note: /usr/bin/python3 has no botocore; the SDK check is skipped\n");
                return;
        }
        CHECK_INT(run_cmd(UID_CAROL, NULL, env, py, &out, &err), ==, 0);
        CHECK_MSG(strcmp(out, "ASIA 40 True\n") == 0, "botocore: %s / %s", out, err);
        free(out);
        free(err);
}

static void test_users_profile_left_alone(void)
{
        char *out = NULL, *err = NULL, *text;
        static const char mine[] = "[profile roled-open]\nregion = us-east-1\n";

        write_file(config, 0600, mine);
        CHECK(chown(config, UID_CAROL, (gid_t)-1) == 0);
        CHECK_INT(aws_config(&out, &err, NULL), ==, 0);
        CHECK_CONTAINS(err, "'roled-open' exists and is not rolectl's");
        CHECK_INT(count_lines(err), ==, 1);
        text = read_file(config);
        CHECK_STREQ(text, mine);
        free(text);
        free(out);
        free(err);
}

static void test_role_gone(void)
{
        char *out = NULL, *err = NULL, *text;

        CHECK(unlink(config) == 0);
        /* No file yet: it is created (mode 0600), no backup. */
        CHECK_INT(aws_config(&out, &err, "--prefix="), ==, 0);
        free(out);
        free(err);
        text = read_file(config);
        CHECK_CONTAINS(text, "[profile open]\n");
        free(text);
        /* carol loses the role: her profile goes, the rest stays. */
        config_put(cfg, "roles.d/10-open.ini",
                   "[role]\nname = open\n[trust]\nusers = roledalice\n");
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", NULL), ==, 0);
        free(out);
        free(err);
        CHECK_INT(aws_config(&out, &err, "--prefix="), ==, 0);
        free(out);
        free(err);
        text = read_file(config);
        CHECK_STREQ(text, "");
        free(text);
}

static void test_usage(void)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(aws_config(&out, &err, "--prefix=a]b"), ==, 2);
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        CHECK_INT(aws_config(&out, &err, "--file"), ==, 2);
        CHECK_CONTAINS(err, "option '--file' needs an argument");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        char aws[600];

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(
                cfg, "roles.d/10-open.ini",
                "[role]\nname = open\n[trust]\ngroups = roledops\n[default]\nusers = roledcarol\n");
        config_put(cfg, "roles.d/20-closed.ini",
                   "[role]\nname = closed\n[trust]\nusers = roledalice\n");
        agent_spawn(cfg, &agent);
        snprintf(home, sizeof(home), "%s", test_path("home"));
        snprintf(home_env, sizeof(home_env), "HOME=%s", home);
        snprintf(aws, sizeof(aws), "%s/.aws", home);
        snprintf(config, sizeof(config), "%s/config", aws);
        snprintf(backup, sizeof(backup), "%s.rolectl-backup", config);
        CHECK(mkdir(home, 0755) == 0 && chown(home, UID_CAROL, (gid_t)-1) == 0);
        CHECK(mkdir(aws, 0700) == 0 && chown(aws, UID_CAROL, (gid_t)-1) == 0);
        test_first_run();
        test_idempotent();
        test_credential_process_line();
        test_users_profile_left_alone();
        test_role_gone();
        test_usage();
        agent_stop(&agent);
        return 0;
}
