/* SPDX-License-Identifier: MIT */
/*
 * test-libroled-contract.c - what libroled promises a caller, against a real
 * agent: a failed connect leaves *clientp NULL and says why, and the README's
 * example (built from README.md) survives that; a revocation made by another
 * process reaches a client that serves from its cache, blocking or driven by
 * a loop; a client used after fork() answers ROLED_E_FORKED while the child's
 * own client is attested as the child; a 280-byte role ARN and 200 groups
 * come through whole; results are reference-counted (a reference outlives
 * the call and the client, nothing leaks under LeakSanitizer); errors belong
 * to the call that failed.
 */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pwd.h>

#include <roled/roled.h>

#include "agent.h"

static TestAgent agent;

/*
 * The longest ARN a local role may have (its session tokens carry it, in at
 * most 256 bytes): "arn:aws:iam::000000000000:role" (30), a path of
 * LONG_PATH_LEN + 2 and a 64-byte name.  ARNs longer still (an aws role's,
 * up to 2048) are test-client-lib test_long_arn's.
 */
#define LONG_PATH_LEN 160
#define LONG_NAME "longarn-01234567890123456789012345678901234567890123456789012345"
#define LONG_ARN_LEN 256
#define N_GROUPS 200

static roled_client *connect_agent(void)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = NULL;

        o.socket_path = agent.socket;
        CHECK_MSG(roled_client_connect(&o, &c, &err) == ROLED_OK, "%s", roled_error_message(&err));
        roled_error_clear(&err);
        return c;
}

static roled_credentials *get_creds(roled_client *c, const char *role)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *cr = NULL;

        req.role = role;
        CHECK_MSG(roled_get_credentials(c, &req, &cr, &err) == ROLED_OK, "%s",
                  roled_error_message(&err));
        roled_error_clear(&err);
        return cr;
}

static void test_connect_failure(void)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = (roled_client *)&o; /* garbage on purpose: it must be overwritten */
        roled_credentials *cr = (roled_credentials *)&o;
        const char *path = test_path("nothing.sock");
        char *out = NULL, *errout = NULL;
        const char *example = getenv("ROLED_README_EXAMPLE");
        const char *argv[] = { example, NULL };

        o.socket_path = path;
        CHECK_INT(roled_client_connect(&o, &c, &err), ==, ROLED_E_NO_AGENT);
        CHECK(c == NULL);
        CHECK_INT(err.status, ==, ROLED_E_NO_AGENT);
        CHECK_CONTAINS(roled_error_message(&err), path);
        roled_client_close(c);
        /* Argument errors have messages too, and replace the previous one. */
        CHECK_INT(roled_get_credentials(NULL, NULL, &cr, &err), ==, ROLED_E_INVALID_ARGUMENT);
        CHECK(cr == NULL);
        CHECK_INT(err.status, ==, ROLED_E_INVALID_ARGUMENT);
        CHECK_CONTAINS(roled_error_message(&err), "client");
        roled_error_clear(&err);
        CHECK(err.message == NULL && err.status == ROLED_OK);
        CHECK_STREQ(roled_version(), ROLED_VERSION);

        /* The README example, as printed there: no agent is an error message, not a crash. */
        CHECK_MSG(example && *example, "ROLED_README_EXAMPLE is not set");
        CHECK_INT(run_cmd(0, path, NULL, argv, &out, &errout), ==, 1);
        CHECK_CONTAINS(errout, "cannot reach roled");
        free(out);
        free(errout);
        CHECK_INT(run_cmd(0, agent.socket, NULL, argv, &out, &errout), ==, 0);
        CHECK_MSG(strncmp(out, "ASIA", 4) == 0, "README example printed '%s' '%s'", out, errout);
        free(out);
        free(errout);
}

/* Errors belong to the call: two threads failing differently each see their own. */
static void *fail_with_role(void *arg)
{
        roled_client *c = arg;
        roled_error err = ROLED_ERROR_INIT;

        for (int i = 0; i < 50; i++) {
                roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
                roled_credentials *cr = NULL;

                req.role = "no-such-role";
                req.flags = ROLED_CREDENTIALS_FRESH;
                CHECK_INT(roled_get_credentials(c, &req, &cr, &err), ==, ROLED_E_NO_SUCH_ENTITY);
                CHECK_CONTAINS(roled_error_message(&err), "no-such-role");
        }
        roled_error_clear(&err);
        return NULL;
}

static void *fail_with_argument(void *arg)
{
        roled_client *c = arg;
        roled_error err = ROLED_ERROR_INIT;

        for (int i = 0; i < 50; i++) {
                roled_authz_result *res = NULL;
                roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT; /* no action: refused locally */

                CHECK_INT(roled_authorize(c, &q, &res, &err), ==, ROLED_E_INVALID_ARGUMENT);
                CHECK_CONTAINS(roled_error_message(&err), "needs an action");
        }
        roled_error_clear(&err);
        return NULL;
}

static void test_errors_per_call(void)
{
        roled_client *c = connect_agent();
        pthread_t a, b;

        CHECK(pthread_create(&a, NULL, fail_with_role, c) == 0);
        CHECK(pthread_create(&b, NULL, fail_with_argument, c) == 0);
        CHECK(pthread_join(a, NULL) == 0);
        CHECK(pthread_join(b, NULL) == 0);
        roled_client_close(c);
}

static void wait_readable(roled_client *c)
{
        struct pollfd p = { .fd = roled_client_get_fd(c), .events = roled_client_get_events(c) };

        CHECK_MSG(poll(&p, 1, 5000) == 1, "no notification within 5 s");
        CHECK_INT(roled_client_process(c, NULL), ==, ROLED_OK);
}

/* A revocation from another process reaches clients that only use their cache. */
static void test_revoked_seen_by_cached_client(void)
{
        roled_client *blocking = connect_agent(), *looped = connect_agent();
        roled_credentials *a = get_creds(blocking, "lib"), *b = get_creds(looped, "lib"), *x;
        char *out = NULL, *err = NULL;

        /* Both are cache hits now. */
        x = get_creds(blocking, "lib");
        CHECK_STREQ(roled_credentials_access_key_id(x), roled_credentials_access_key_id(a));
        roled_credentials_unref(x);

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "revoke", "--role", "lib", NULL), ==, 0);
        CHECK_CONTAINS(out, "revoked");
        free(out);
        free(err);

        /* The loop-driven client: its descriptor becomes readable and process() drops the entry. */
        wait_readable(looped);
        x = get_creds(looped, "lib");
        CHECK_MSG(strcmp(roled_credentials_access_key_id(x), roled_credentials_access_key_id(b)) !=
                          0,
                  "the revoked key was served from the cache");
        roled_credentials_unref(x);

        /* The blocking-only client looks at its socket at its next call after 100 ms. */
        usleep(150 * 1000);
        x = get_creds(blocking, "lib");
        CHECK_MSG(strcmp(roled_credentials_access_key_id(x), roled_credentials_access_key_id(a)) !=
                          0,
                  "the revoked key was served from the cache");
        roled_credentials_unref(x);
        roled_credentials_unref(a);
        roled_credentials_unref(b);
        roled_client_close(blocking);
        roled_client_close(looped);
}

/*
 * The end of a uid's last login (Login end, as pam_roled's close_session
 * sends it) revokes the sessions issued since the login started, and a
 * loop-driven client of that uid drops them from its cache at once.
 */
static void test_login_end_seen_by_cached_client(void)
{
        roled_client *admin = connect_agent(), *looped = connect_agent();
        roled_login_request start = ROLED_LOGIN_REQUEST_INIT, end = ROLED_LOGIN_REQUEST_INIT;
        roled_login_result *res = NULL;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *b, *x;
        struct passwd *pw = getpwuid(getuid());
        char *login_id, *out = NULL, *errout = NULL;

        CHECK(pw != NULL);
        /* Start from no session of the role, so the next one is issued inside the login. */
        CHECK_INT(rolectl(0, agent.socket, &out, &errout, "revoke", "--role", "lib", NULL), ==, 0);
        free(out);
        free(errout);
        wait_readable(looped);
        start.event = ROLED_LOGIN_START;
        start.user = pw->pw_name;
        start.service = "test";
        CHECK_MSG(roled_login(admin, &start, &res, &err) == ROLED_OK, "%s",
                  roled_error_message(&err));
        login_id = strdup(roled_login_result_login_id(res));
        CHECK(login_id != NULL && login_id[0] != '\0');
        roled_login_result_unref(res);

        b = get_creds(looped, "lib");
        x = get_creds(looped, "lib");
        CHECK_STREQ(roled_credentials_access_key_id(x), roled_credentials_access_key_id(b));
        roled_credentials_unref(x);

        end.event = ROLED_LOGIN_END;
        end.login_id = login_id;
        CHECK_MSG(roled_login(admin, &end, &res, &err) == ROLED_OK, "%s",
                  roled_error_message(&err));
        CHECK_MSG(roled_login_result_revoked(res) > 0, "the login's session was not ended");
        roled_login_result_unref(res);

        wait_readable(looped);
        x = get_creds(looped, "lib");
        CHECK_MSG(strcmp(roled_credentials_access_key_id(x), roled_credentials_access_key_id(b)) !=
                          0,
                  "a session ended with the last login was served from the cache");
        roled_credentials_unref(x);
        roled_credentials_unref(b);
        roled_error_clear(&err);
        free(login_id);
        roled_client_close(admin);
        roled_client_close(looped);
}

static void test_fork(void)
{
        roled_client *c = connect_agent();
        roled_identity *id = NULL;
        roled_credentials *cr = get_creds(c, "lib");
        pid_t pid;

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                roled_error err = ROLED_ERROR_INIT;
                roled_credentials *cr2 = NULL;
                roled_client *mine;

                /* The parent's client, even its cache, is not the child's. */
                CHECK_INT(roled_whoami(c, &id, &err), ==, ROLED_E_FORKED);
                CHECK(id == NULL);
                CHECK_CONTAINS(roled_error_message(&err), "fork");
                CHECK_INT(roled_get_credentials(c, NULL, &cr2, &err), ==, ROLED_E_FORKED);
                CHECK_INT(roled_client_process(c, &err), ==, ROLED_E_FORKED);
                roled_client_close(c);
                /* A reference taken before fork() is still readable. */
                CHECK(strncmp(roled_credentials_access_key_id(cr), "ASIA", 4) == 0);
                roled_credentials_unref(cr);
                mine = connect_agent();
                CHECK_INT(roled_whoami(mine, &id, &err), ==, ROLED_OK);
                CHECK_INT(roled_identity_pid(id), ==, getpid());
                roled_identity_unref(id);
                roled_client_close(mine);
                roled_error_clear(&err);
                _exit(0);
        }
        CHECK_INT(wait_status(pid), ==, 0);
        /* The parent's client is unaffected by the child. */
        CHECK_INT(roled_whoami(c, &id, NULL), ==, ROLED_OK);
        CHECK_INT(roled_identity_pid(id), ==, getpid());
        roled_identity_unref(id);
        roled_credentials_unref(cr);
        roled_client_close(c);
}

static int many_groups(void *arg)
{
        gid_t gids[N_GROUPS];
        roled_client *c;
        roled_identity *id = NULL;
        const uint32_t *g;
        size_t n;

        (void)arg;
        for (int i = 0; i < N_GROUPS; i++)
                gids[i] = 60000 + i;
        CHECK(setgroups(N_GROUPS, gids) == 0);
        c = connect_agent();
        CHECK_INT(roled_whoami(c, &id, NULL), ==, ROLED_OK);
        g = roled_identity_groups(id, &n);
        CHECK_INT(n, >=, N_GROUPS);
        for (int i = 0; i < N_GROUPS; i++) {
                bool is_there = false;

                for (size_t j = 0; j < n && !is_there; j++)
                        is_there = g[j] == gids[i];
                CHECK_MSG(is_there, "group %u is missing", (unsigned)gids[i]);
        }
        roled_identity_unref(id);
        roled_client_close(c);
        return 0;
}

static void test_long_arn_and_many_groups(void)
{
        roled_client *c = connect_agent();
        roled_role_list *l = NULL;
        roled_role *r = NULL;
        const char *arn = NULL;

        CHECK_INT(roled_list_roles(c, &l, NULL), ==, ROLED_OK);
        CHECK_INT(roled_role_list_count(l), ==, 2);
        for (size_t i = 0; i < roled_role_list_count(l); i++)
                if (strcmp(roled_role_list_name(l, i), LONG_NAME) == 0)
                        arn = roled_role_list_arn(l, i);
        CHECK_MSG(arn && strlen(arn) == LONG_ARN_LEN, "ARN %s", arn ? arn : "(none)");
        CHECK_INT(roled_get_role(c, LONG_NAME, &r, NULL), ==, ROLED_OK);
        CHECK_STREQ(roled_role_arn(r), arn);
        roled_role_unref(r);
        /* Its credentials are issued, and the token carries the whole ARN. */
        {
                roled_credentials *cr = get_creds(c, LONG_NAME);
                roled_token_claims *claims = NULL;

                CHECK_INT(roled_verify_token(c, roled_credentials_session_token(cr), &claims, NULL),
                          ==, ROLED_OK);
                CHECK_STREQ(roled_token_claims_role_arn(claims), arn);
                roled_token_claims_unref(claims);
                roled_credentials_unref(cr);
        }
        roled_role_list_unref(l);
        CHECK_STREQ(roled_role_list_name(NULL, 0), "");
        roled_client_close(c);
        CHECK_INT(run_as(0, many_groups, NULL), ==, 0);
}

/* References: a copy is a reference, outlives the client, and every path frees (LSan watches). */
static void test_references(void)
{
        roled_client *c = connect_agent();
        roled_credentials *a = get_creds(c, "lib"), *copy = roled_credentials_ref(a), *again = NULL;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_token_claims *claims = NULL;
        char akid[64];

        snprintf(akid, sizeof(akid), "%s", roled_credentials_access_key_id(a));
        CHECK(copy == a);
        CHECK(roled_credentials_unref(a) == NULL);
        /* Reuse: the same variable filled again, the old reference dropped first. */
        req.role = "lib";
        for (int i = 0; i < 3; i++) {
                again = roled_credentials_unref(again);
                CHECK_INT(roled_get_credentials(c, &req, &again, NULL), ==, ROLED_OK);
        }
        CHECK_INT(roled_verify_token(c, roled_credentials_session_token(copy), &claims, NULL), ==,
                  ROLED_OK);
        CHECK_STREQ(roled_token_claims_access_key_id(claims), akid);
        roled_client_close(c);
        /* The client is gone; the references are the caller's. */
        CHECK_STREQ(roled_credentials_access_key_id(copy), akid);
        CHECK_STREQ(roled_token_claims_role(claims), "lib");
        roled_token_claims_unref(claims);
        roled_credentials_unref(again);
        roled_credentials_unref(copy);
        CHECK(roled_credentials_unref(NULL) == NULL);
        CHECK_STREQ(roled_credentials_access_key_id(NULL), "");
}

int main(int argc, char **argv)
{
        char path[LONG_PATH_LEN + 3];
        const char *cfg;

        test_init(argc, argv);
        path[0] = '/';
        memset(path + 1, 'p', LONG_PATH_LEN);
        path[LONG_PATH_LEN + 1] = '/';
        path[LONG_PATH_LEN + 2] = '\0';
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/lib.ini",
                   "[role]\nname = lib\n[trust]\nusers = root\n[default]\nusers = root\n");
        config_put(cfg, "roles.d/longarn.ini",
                   "[role]\nname = %s\npath = %s\n[trust]\nusers = root\n", LONG_NAME, path);
        agent_spawn(cfg, &agent);
        test_connect_failure();
        test_errors_per_call();
        test_revoked_seen_by_cached_client();
        test_login_end_seen_by_cached_client();
        test_fork();
        test_long_arn_and_many_groups();
        test_references();
        agent_stop(&agent);
        return 0;
}
