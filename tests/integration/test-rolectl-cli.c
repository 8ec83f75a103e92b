/* SPDX-License-Identifier: MIT */
/*
 * test-rolectl-cli - how rolectl's command line behaves against a real agent:
 * global options before or after the command, -V/--version, one usage line
 * per mistake, the duration grammar and its range, --json on reload and
 * revoke, and errors that name the agent's socket (with --verbose, which
 * agent answered).
 */
#undef NDEBUG
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

static json_t *parse(const char *text)
{
        json_error_t err;
        json_t *j = json_loads(text ? text : "", 0, &err);

        CHECK_MSG(j, "not JSON (%s): %s", err.text, text ? text : "(null)");
        return j;
}

static void test_globals_anywhere(void)
{
        char *out = NULL, *err = NULL;
        json_t *j;

        /* --socket and --json before the command, after it, and mixed. */
        CHECK_INT(rolectl(UID_CAROL, NULL, &out, &err, "--socket", agent.socket, "--json", "whoami",
                          NULL),
                  ==, 0);
        j = parse(out);
        CHECK_STREQ(json_string_value(json_object_get(j, "user")), "roledcarol");
        json_decref(j);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_CAROL, NULL, &out, &err, "whoami", "--json", "--socket", agent.socket,
                          NULL),
                  ==, 0);
        j = parse(out);
        CHECK_STREQ(json_string_value(json_object_get(j, "user")), "roledcarol");
        json_decref(j);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_CAROL, NULL, &out, &err, "-j", "roles", "--socket=x", "--verbose",
                          "--socket", agent.socket, NULL),
                  ==, 0);
        j = parse(out);
        CHECK(json_is_array(j));
        json_decref(j);
        CHECK_CONTAINS(err, agent.socket);
        free(out);
        free(err);
        /* -V and --version, before or after the command. */
        CHECK_INT(rolectl(0, NULL, &out, &err, "-V", NULL), ==, 0);
        CHECK_MSG(strncmp(out, "rolectl ", 8) == 0, "-V printed '%s'", out);
        CHECK_INT(count_lines(out), ==, 1);
        free(out);
        free(err);
        CHECK_INT(rolectl(0, NULL, &out, &err, "roles", "--version", NULL), ==, 0);
        CHECK_MSG(strncmp(out, "rolectl ", 8) == 0, "roles --version printed '%s'", out);
        free(out);
        free(err);
        /* After "--", exec's command line is left alone: --verbose reaches /bin/echo. */
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "exec", "--", "/bin/echo",
                          "--verbose", "--json", NULL),
                  ==, 0);
        CHECK_STREQ(out, "--verbose --json\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "exec", "/bin/echo", "-V", NULL), ==,
                  0);
        CHECK_STREQ(out, "-V\n");
        free(out);
        free(err);
}

/* rolectl @args... fails with exit 2 and exactly one stderr line containing @want. */
#define CHECK_USAGE(want, ...)                                                                     \
        do {                                                                                       \
                char *o_ = NULL, *e_ = NULL;                                                       \
                CHECK_INT(rolectl(UID_CAROL, agent.socket, &o_, &e_, __VA_ARGS__, NULL), ==, 2);   \
                CHECK_INT(count_lines(e_), ==, 1);                                                 \
                CHECK_CONTAINS(e_, want);                                                          \
                CHECK_STREQ(o_, "");                                                               \
                free(o_);                                                                          \
                free(e_);                                                                          \
        } while (0)

static void test_usage_lines(void)
{
        char *out = NULL, *err = NULL;

        CHECK_USAGE("option '--role' needs an argument", "credential-process", "--role");
        CHECK_USAGE("option '-r' needs an argument", "env", "-r");
        CHECK_USAGE("option '--action' needs an argument", "check", "--role", "open", "--action");
        CHECK_USAGE("option '--policy' needs an argument", "policy", "eval", "--policy");
        CHECK_USAGE("unknown option '--bogus'", "roles", "--bogus");
        CHECK_USAGE("unknown option '--bogus'", "roles", "--bogus=1");
        CHECK_USAGE("unknown option '-x'", "assume", "open", "-jx");
        CHECK_USAGE("unknown option '--bogus'", "--bogus", "roles");
        CHECK_USAGE("option '--socket' needs", "roles", "--socket");
        CHECK_USAGE("prints no JSON", "--json", "exec", "/bin/true");
        /* A single-valued filter given twice is refused, whichever forms (uid, name) it takes. */
        CHECK_USAGE("--user given twice", "sessions", "--user", "2103", "--user", "roledbob");
        CHECK_USAGE("--user given twice", "sessions", "--user", "roledbob", "-u", "2103");
        CHECK_USAGE("--user given twice", "sessions", "-u", "roledcarol", "--user=roledcarol");
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "sessions", "--user", "roledcarol",
                          NULL),
                  ==, 0);
        free(out);
        free(err);
        out = err = NULL;
        /* The old "requires an argument" from getopt is gone for good. */
        CHECK_INT(
                rolectl(UID_CAROL, agent.socket, &out, &err, "credential-process", "--role", NULL),
                ==, 2);
        CHECK_NOT_CONTAINS(err, "unknown option");
        CHECK_NOT_CONTAINS(err, "requires");
        free(out);
        free(err);
}

static void test_durations(void)
{
        static const char *const good[] = { "900",   "900s",  "15m",     "15M",
                                            "1h30m", "1H30M", "2h0m10S", "43200" };
        char *out = NULL, *err = NULL;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                int rc = rolectl(UID_CAROL, agent.socket, &out, &err, "env", "--duration", good[i],
                                 NULL);

                CHECK_MSG(rc == 0, "--duration %s: exit %d: %s", good[i], rc, err);
                CHECK_CONTAINS(out, "AWS_ACCESS_KEY_ID=");
                free(out);
                free(err);
        }
        /* The same grammar and range on every command that takes a duration. */
        CHECK_USAGE("15m (900) to 12h (43200)", "credential-process", "--duration", "13h");
        CHECK_USAGE("15m (900) to 12h (43200)", "env", "-d", "899");
        CHECK_USAGE("15m (900) to 12h (43200)", "exec", "-d", "0", "/bin/true");
        CHECK_USAGE("15m (900) to 12h (43200)", "assume", "open", "--duration", "14m");
        CHECK_USAGE("15m (900) to 12h (43200)", "env", "--duration", "99999999999999999999");
        CHECK_USAGE("invalid duration '1.5h'", "env", "--duration", "1.5h");
        CHECK_USAGE("invalid duration '15 m'", "assume", "open", "-d", "15 m");
        /* Over the role's own maximum (short: 1h): the agent refuses it, and that is a usage error
         * too. */
        CHECK_USAGE("role short allows at most 3600", "assume", "short", "--duration", "2h");
        CHECK_USAGE("role short allows at most 3600", "credential-process", "--role", "short", "-d",
                    "2h");
        CHECK_USAGE("role short allows at most 3600", "env", "--role", "short", "-d", "1h1s");
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "assume", "short", "--duration",
                          "1h", NULL),
                  ==, 0);
        free(out);
        free(err);
        /* Refusals that are not about the duration keep exit 1. */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "assume", "short", "--duration", "1h",
                          NULL),
                  ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        free(out);
        free(err);
}

static void test_json_reload_revoke(void)
{
        char *out = NULL, *err = NULL;
        json_t *j;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "reload", "--json", NULL), ==, 0);
        j = parse(out);
        CHECK(json_is_true(json_object_get(j, "reloaded")));
        CHECK_INT(json_integer_value(json_object_get(j, "roles")), ==, 2);
        json_decref(j);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "credential-process", NULL), ==, 0);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "--json", "revoke", NULL), ==, 0);
        j = parse(out);
        CHECK_MSG(json_integer_value(json_object_get(j, "revoked")) >= 1, "revoke --json: %s", out);
        json_decref(j);
        free(out);
        free(err);
}

static void test_errors_name_agent(void)
{
        char *out = NULL, *err = NULL;
        char dir[512], xdg[600], sub[600], user_sock[700];
        const char *env[2];
        int rc;

        /* An answer from the agent names the socket it came from. */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "reload", NULL), ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_CONTAINS(err, agent.socket);
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        /* A user agent found through $XDG_RUNTIME_DIR: --verbose says it answered. */
        snprintf(dir, sizeof(dir), "%s", test_path("xdg"));
        snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", dir);
        snprintf(sub, sizeof(sub), "%s/roled", dir);
        snprintf(user_sock, sizeof(user_sock), "%s/roled.sock", sub);
        CHECK(mkdir(dir, 0755) == 0);
        CHECK(mkdir(sub, 0755) == 0);
        /* A second name for the agent's socket inode: the client refuses symlinks, not links. */
        CHECK(link(agent.socket, user_sock) == 0);
        env[0] = xdg;
        env[1] = NULL;
        {
                const char *argv[] = { test_rolectl(), "whoami", "--verbose", NULL };

                rc = run_cmd(0, NULL, env, argv, &out, &err);
                CHECK_MSG(rc == 0, "exit %d: %s", rc, err);
                CHECK_CONTAINS(err, "the agent at ");
                CHECK_CONTAINS(err, user_sock);
                CHECK_NOT_CONTAINS(err, "no user agent");
                free(out);
                free(err);
        }
        /* No user agent: the error (or, if a system agent runs here, --verbose) says so. */
        CHECK(unlink(user_sock) == 0);
        {
                const char *argv[] = { test_rolectl(), "--verbose", "whoami", NULL };

                rc = run_cmd(0, NULL, env, argv, &out, &err);
                if (rc == 0) {
                        CHECK_CONTAINS(err, "no user agent at ");
                        CHECK_CONTAINS(err, "the system agent at ");
                } else {
                        CHECK_INT(rc, ==, 3);
                        CHECK_CONTAINS(err, "no user agent at ");
                        CHECK_CONTAINS(err, user_sock);
                        CHECK_INT(count_lines(err), ==, 1);
                }
                free(out);
                free(err);
        }
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-open.ini",
                   "[role]\nname = open\nmax_session_duration = 12h\n[trust]\ngroups = "
                   "roledops\n[default]\nusers = roledcarol\n");
        config_put(cfg, "roles.d/20-short.ini",
                   "[role]\nname = short\nmax_session_duration = 1h\n[trust]\ngroups = roledops\n");
        agent_spawn(cfg, &agent);
        test_globals_anywhere();
        test_usage_lines();
        test_durations();
        test_json_reload_revoke();
        test_errors_name_agent();
        agent_stop(&agent);
        return 0;
}
