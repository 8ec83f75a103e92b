/* SPDX-License-Identifier: MIT */
/*
 * test-imds - agent/imds.c without a network: which endpoints an
 * AWS_EC2_METADATA_SERVICE_ENDPOINT override may name (http:// on a
 * loopback or link-local address only), and the credentials document
 * parser (what a fake IMDS sends in tests/aws/test_imds.py, and what is
 * refused).
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "imds.c"

static void test_endpoint_usable(void **state)
{
        static const char *const good[] = {
                "http://169.254.169.254", "http://169.254.169.254/", "http://127.0.0.1:8080",
                "http://127.3.4.5:1/",    "http://[::1]:9000",       "http://[fd00:ec2::254]",
                "http://[fe80::1]/",
        };
        static const char *const bad[] = {
                "https://169.254.169.254",
                "http://10.0.0.1",
                "http://imds.example.com",
                "http://127.0.0.1:8080/path",
                "http://127.0.0.1:",
                "http://[2001:db8::1]",
                "http://169.253.1.1",
                "ftp://127.0.0.1",
                "http://127.0.0.1@evil.example",
                "http://[::1",
                "",
        };

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (!endpoint_usable(good[i]))
                        fail_msg("refused %s", good[i]);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (endpoint_usable(bad[i]))
                        fail_msg("took %s", bad[i]);
}

static void test_imds_new_reads_the_environment(void **state)
{
        Imds *i = NULL;

        (void)state;
        unsetenv(IMDS_ENDPOINT_ENV);
        assert_int_equal(imds_new(NULL, &i), 0);
        assert_string_equal(imds_endpoint(i), IMDS_ENDPOINT_DEFAULT);
        i = imds_free(i);
        setenv(IMDS_ENDPOINT_ENV, "http://127.0.0.1:4567/", 1);
        assert_int_equal(imds_new(NULL, &i), 0);
        assert_string_equal(imds_endpoint(i), "http://127.0.0.1:4567");
        i = imds_free(i);
        /* Not on this host's link: not used at all (fetches fail), never the default instead. */
        setenv(IMDS_ENDPOINT_ENV, "http://192.0.2.1", 1);
        assert_int_equal(imds_new(NULL, &i), 0);
        assert_string_equal(imds_endpoint(i), "");
        assert_int_equal(imds_fetch(i, 0, NULL, NULL), -EINVAL);
        i = imds_free(i);
        unsetenv(IMDS_ENDPOINT_ENV);
}

static void test_parse_creds(void **state)
{
        const char *doc =
                "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-01-01T00:00:00Z\",\n"
                "  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAEXAMPLEEXAMPLE01\",\n"
                "  \"SecretAccessKey\" : \"secretsecretsecretsecretsecretsecret0001\",\n"
                "  \"Token\" : \"tokentoken\",\n  \"Expiration\" : \"2026-01-01T06:00:00Z\"\n}";
        static const char *const bad[] = {
                "not json",
                "{\"Code\":\"Failure\",\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE01\","
                "\"SecretAccessKey\":\"s\","
                "\"Token\":\"t\",\"Expiration\":\"2026-01-01T06:00:00Z\"}",
                "{\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE01\",\"SecretAccessKey\":\"s\",\"Token\":"
                "\"t\"}",
                "{\"AccessKeyId\":\"SHORT\",\"SecretAccessKey\":\"s\",\"Token\":\"t\","
                "\"Expiration\":\"2026-01-01T06:00:00Z\"}",
                "{\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE01\",\"SecretAccessKey\":\"s\",\"Token\":"
                "\"t\","
                "\"Expiration\":\"tomorrow\"}",
                "{\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE01\",\"AccessKeyId\":"
                "\"ASIAEXAMPLEEXAMPLE02\","
                "\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":\"2026-01-01T06:00:"
                "00Z\"}",
        };
        Credentials c = CREDENTIALS_INIT;
        char why[256];

        (void)state;
        assert_int_equal(parse_creds(doc, strlen(doc), &c, why, sizeof(why)), 0);
        assert_string_equal(c.akid, "ASIAEXAMPLEEXAMPLE01");
        assert_string_equal(c.secret, "secretsecretsecretsecretsecretsecret0001");
        assert_string_equal(c.token, "tokentoken");
        assert_int_equal(c.expires, 1767225600 + 6 * 3600);
        credentials_deinit(&c);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why[0] = '\0';
                assert_int_equal(parse_creds(bad[i], strlen(bad[i]), &c, why, sizeof(why)),
                                 IMDS_E_FAILED);
                assert_true(why[0]);
                assert_null(c.token);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_endpoint_usable),
                cmocka_unit_test(test_imds_new_reads_the_environment),
                cmocka_unit_test(test_parse_creds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
