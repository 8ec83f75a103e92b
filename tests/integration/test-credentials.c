/* SPDX-License-Identifier: MIT */
/*
 * test-credentials - the shape of issued credentials: ASIA + 16 base32
 * characters, a 40-character secret, a token, an expiration matching the
 * duration; rolectl credential-process JSON as botocore reads it (Version
 * the number 1, Expiration YYYY-MM-DDTHH:MM:SSZ); --duration bounds.
 */
#undef NDEBUG
#include <jansson.h>
#include <roled/roled.h>
#include <time.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

static bool is_base32(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '2' && s[i] <= '7')))
                        return false;
        return true;
}

static bool is_iso8601(const char *s)
{
        static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

        if (strlen(s) != sizeof(pat) - 1)
                return false;
        for (size_t i = 0; pat[i]; i++)
                if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
                        return false;
        return true;
}

static time_t parse_iso(const char *s)
{
        struct tm tm = { 0 };

        CHECK(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
        return timegm(&tm);
}

static void check_shape(const roled_credentials *cr, uint32_t duration)
{
        time_t now = time(NULL);

        CHECK_INT(strlen(roled_credentials_access_key_id(cr)), ==, 20);
        CHECK(strncmp(roled_credentials_access_key_id(cr), "ASIA", 4) == 0);
        CHECK(is_base32(roled_credentials_access_key_id(cr) + 4, 16));
        CHECK_INT(strlen(roled_credentials_secret_access_key(cr)), ==, 40);
        CHECK(roled_credentials_session_token(cr) &&
              strlen(roled_credentials_session_token(cr)) > 64);
        CHECK(strlen(roled_credentials_session_token(cr)) <= 4096);
        CHECK_MSG(roled_credentials_expiration(cr) >= now + duration - 60 &&
                          roled_credentials_expiration(cr) <= now + duration + 5,
                  "expiration %lld, now %lld, duration %u",
                  (long long)roled_credentials_expiration(cr), (long long)now, duration);
        CHECK(is_iso8601(roled_credentials_expiration_iso(cr)));
        CHECK_INT(parse_iso(roled_credentials_expiration_iso(cr)), ==,
                  roled_credentials_expiration(cr));
        CHECK_STREQ(roled_credentials_role_arn(cr), "arn:aws:iam::123456789012:role/shape");
        CHECK_CONTAINS(roled_credentials_assumed_role_arn(cr),
                       "arn:aws:sts::123456789012:assumed-role/shape/");
        CHECK_STREQ(roled_credentials_issuer(cr), "local");
        CHECK(strlen(roled_credentials_session_id(cr)) >= 16);
}

static void test_libroled_shape(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "shape",
                                          .duration_seconds = 1800,
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        check_shape(cr, 1800);
        cr = roled_credentials_unref(cr);
        CHECK_INT(t_assume_role(c, "shape", 0, NULL, "shape-test", NULL, &cr), ==, ROLED_OK);
        /* No duration asked: the agent's default (1 h), under the role's 2 h. */
        check_shape(cr, 3600);
        CHECK_CONTAINS(roled_credentials_assumed_role_arn(cr), "assumed-role/shape/shape-test");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
}

static void test_credential_process_json(void)
{
        char *out = NULL, *err = NULL;
        json_error_t jerr;
        json_t *j, *v;
        const char *s;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "credential-process", "--role", "shape",
                          "--duration", "2h", NULL),
                  ==, 0);
        j = json_loads(out, 0, &jerr);
        CHECK_MSG(j, "credential-process output is not JSON: %s: %s", jerr.text, out);
        v = json_object_get(j, "Version");
        CHECK(json_is_integer(v) && json_integer_value(v) == 1);
        s = json_string_value(json_object_get(j, "AccessKeyId"));
        CHECK(s && strlen(s) == 20 && strncmp(s, "ASIA", 4) == 0 && is_base32(s + 4, 16));
        s = json_string_value(json_object_get(j, "SecretAccessKey"));
        CHECK(s && strlen(s) == 40);
        CHECK(json_string_value(json_object_get(j, "SessionToken")));
        s = json_string_value(json_object_get(j, "Expiration"));
        CHECK(s && is_iso8601(s));
        CHECK_INT(parse_iso(s), >=, time(NULL) + 7200 - 60);
        CHECK_INT(parse_iso(s), <=, time(NULL) + 7200 + 5);
        json_decref(j);
        free(out);
        free(err);
}

/* Out of range, whether rolectl or the agent (the role's maximum) says so: exit 2, the range named.
 */
static void duration_refused(const char *duration, const char *seconds, const char *why)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "credential-process", "--role", "shape",
                          "--duration", duration, NULL),
                  ==, 2);
        CHECK_STREQ(out, "");
        CHECK_CONTAINS(err, seconds);
        CHECK_CONTAINS(err, why);
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
}

static void test_duration_bounds(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "shape",
                                          .duration_seconds = 899,
                                          .flags = ROLED_CREDENTIALS_FRESH };

        duration_refused("899", "899", "15m (900) to 12h (43200)");
        duration_refused("7201", "7201", "900..7200");
        duration_refused("12h", "43200", "900..7200");
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_INVALID_PARAMETER_VALUE);
        req.duration_seconds = 7201;
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(t_last_error(), "shape");
        /* The bounds themselves are fine. */
        req.duration_seconds = 900;
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        check_shape(cr, 900);
        cr = roled_credentials_unref(cr);
        req.duration_seconds = 7200;
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        check_shape(cr, 7200);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new("account = 123456789012\n");
        config_put(cfg, "roles.d/shape.ini",
                   "[role]\nname = shape\nmax_session_duration = 2h\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_libroled_shape();
        test_credential_process_json();
        test_duration_bounds();
        agent_stop(&agent);
        return 0;
}
