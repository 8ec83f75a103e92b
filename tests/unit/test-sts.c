/* SPDX-License-Identifier: MIT */
/*
 * test-sts - agent/sts.c: the form body of AssumeRole and GetSessionToken,
 * signed headers that sigv4.c's verifier accepts (and that a changed body or
 * a wrong secret make it refuse), and parsing STS's answers: credentials,
 * ErrorResponse, and what is not STS XML.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"
#include "sts.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static void test_body(void **state)
{
        static const char *const keys[] = { "roled:uid", "roled:exe" };
        static const char *const values[] = { "1000", "/usr/bin/python3 (deleted)" };
        StsParams p = {
                .action = STS_ASSUME_ROLE,
                .role_arn = "arn:aws:iam::123456789012:role/ci/deploy",
                .session_name = "alice@python3",
                .duration = 3600,
                .policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
                .source_identity = "alice",
                .tag_keys = keys,
                .tag_values = values,
                .n_tags = 2,
        };
        char *body;
        size_t len;

        (void)state;
        assert_int_equal(sts_body(&p, &body, &len), 0);
        assert_string_equal(
                body, "Action=AssumeRole&Version=2011-06-15"
                      "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci%2Fdeploy"
                      "&RoleSessionName=alice%40python3&DurationSeconds=3600"
                      "&Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"
                      "&SourceIdentity=alice"
                      "&Tags.member.1.Key=roled%3Auid&Tags.member.1.Value=1000"
                      "&Tags.member.2.Key=roled%3Aexe"
                      "&Tags.member.2.Value=%2Fusr%2Fbin%2Fpython3%20%28deleted%29");
        assert_int_equal(len, strlen(body));
        free(body);

        p = (StsParams){ .action = STS_GET_SESSION_TOKEN,
                         .duration = 43200,
                         .serial_number = "arn:aws:iam::123456789012:mfa/ops",
                         .token_code = "123456" };
        assert_int_equal(sts_body(&p, &body, &len), 0);
        assert_string_equal(body, "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=43200"
                                  "&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fops"
                                  "&TokenCode=123456");
        free(body);
}

/* Turn "Name: value" lines into what sigv4_verify() reads. */
static size_t to_headers(char *const lines[], Sigv4Header *hs)
{
        size_t n = 0;

        for (size_t i = 0; lines[i]; i++) {
                const char *colon = strchr(lines[i], ':');

                if (colon[1] == '\0')
                        continue; /* "Expect:" only removes a header */
                hs[n++] = (Sigv4Header){ lines[i], (size_t)(colon - lines[i]), colon + 2,
                                         strlen(colon + 2) };
        }
        return n;
}

static int verify(char *const lines[], const char *body, const char *secret, Sigv4Result *res)
{
        Sigv4Header hs[STS_HEADERS_MAX];
        Sigv4Request req = {
                .method = "POST",
                .method_len = 4,
                .path = "/",
                .path_len = 1,
                .headers = hs,
                .n_headers = to_headers(lines, hs),
                .payload = (const uint8_t *)body,
                .payload_len = strlen(body),
                .now = NOW + 5,
        };

        return sigv4_verify(&req, secret, NULL, res);
}

static void test_sign(void **state)
{
        static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        StsSource src = { "ASIAEXAMPLEEXAMPLE01", secret, "session-token-of-the-source" };
        StsSource longterm = { "AKIAEXAMPLEEXAMPLE01", secret, NULL };
        const char *body = "Action=AssumeRole&Version=2011-06-15";
        char *lines[STS_HEADERS_MAX + 1];
        Sigv4Result res;

        (void)state;
        assert_int_equal(sts_sign("https://127.0.0.1:8443/", "eu-west-1", &src, body, strlen(body),
                                  NOW, lines),
                         0);
        assert_string_equal(lines[0], "Host: 127.0.0.1:8443");
        assert_string_equal(lines[2], "X-Amz-Date: 20260101T000000Z");
        assert_int_equal(verify(lines, body, secret, &res), 0);
        assert_string_equal(res.auth.access_key_id, "ASIAEXAMPLEEXAMPLE01");
        assert_string_equal(res.auth.region, "eu-west-1");
        assert_string_equal(res.auth.service, "sts");
        /* The security token is signed, as the agent rule wants. */
        assert_string_equal(res.auth.signed_headers,
                            "content-type;host;x-amz-date;x-amz-security-token");
        assert_true(res.has_security_token);
        assert_string_equal(res.security_token, "session-token-of-the-source");
        /* Another body or another secret: refused. */
        assert_int_equal(verify(lines, "Action=AssumeRole&Version=2011-06-16", secret, &res),
                         SIGV4_E_MISMATCH);
        assert_int_equal(verify(lines, body, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", &res),
                         SIGV4_E_MISMATCH);
        sts_headers_free(lines);

        /* Long-term keys send and sign no token; the default path is "/". */
        assert_int_equal(sts_sign("https://sts.us-east-1.amazonaws.com", "us-east-1", &longterm,
                                  body, strlen(body), NOW, lines),
                         0);
        assert_string_equal(lines[0], "Host: sts.us-east-1.amazonaws.com");
        assert_int_equal(verify(lines, body, secret, &res), 0);
        assert_string_equal(res.auth.signed_headers, "content-type;host;x-amz-date");
        assert_false(res.has_security_token);
        sts_headers_free(lines);

        assert_int_equal(sts_sign("no-scheme", "us-east-1", &src, body, strlen(body), NOW, lines),
                         -EINVAL);
}

static const char assume_ok[] =
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <AssumeRoleResult>\n"
        "    <SourceIdentity>alice</SourceIdentity>\n"
        "    <Credentials>\n"
        "      <SessionToken>FQoGZXIvYXdzE&amp;more</SessionToken>\n"
        "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
        "      <Expiration>2026-01-01T01:00:00.359Z</Expiration>\n"
        "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
        "    </Credentials>\n"
        "    <AssumedRoleUser>\n"
        "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/alice@python3</Arn>\n"
        "      <AssumedRoleId>ARO123EXAMPLE123:alice@python3</AssumedRoleId>\n"
        "    </AssumedRoleUser>\n"
        "    <PackedPolicySize>8</PackedPolicySize>\n"
        "  </AssumeRoleResult>\n"
        "  "
        "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></"
        "ResponseMetadata>\n"
        "</AssumeRoleResponse>\n";

static void test_parse(void **state)
{
        StsAnswer a;
        static const char error[] =
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/x "
                "is "
                "not authorized\nto perform: "
                "sts:AssumeRole</Message></Error><RequestId>r</RequestId>"
                "</ErrorResponse>";
        static const char gst[] =
                "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                "<GetSessionTokenResult><Credentials><AccessKeyId>ASIAMFAMFAMFAMFAMFA1</"
                "AccessKeyId>"
                "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
                "<Expiration>2026-01-01T12:00:00Z</Expiration></Credentials></"
                "GetSessionTokenResult>"
                "</GetSessionTokenResponse>";
        static const char *const malformed[] = {
                "",
                "not xml",
                "<AssumeRoleResponse>", /* unterminated */
                "<Other><Credentials><AccessKeyId>A</AccessKeyId></Credentials></Other>",
                "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId>"
                "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
                "<Expiration>tomorrow</Expiration></Credentials></AssumeRoleResult></"
                "AssumeRoleResponse>",
                "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId>"
                "<SessionToken>t</SessionToken><Expiration>2026-01-01T12:00:00Z</Expiration>"
                "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
                "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
                "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d "
                "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
                "<!ENTITY e "
                "\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">]><ErrorResponse><Error><Code>&e;&e;&e;&e;</"
                "Code>"
                "</Error></ErrorResponse>",
        };

        (void)state;
        assert_int_equal(sts_parse(200, assume_ok, strlen(assume_ok), &a), 0);
        assert_string_equal(a.creds.akid, "ASIAIOSFODNN7EXAMPLE");
        assert_string_equal(a.creds.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
        assert_string_equal(a.creds.token, "FQoGZXIvYXdzE&more");
        assert_int_equal(a.creds.token_len, strlen("FQoGZXIvYXdzE&more"));
        assert_int_equal(a.creds.expires, NOW + 3600);
        assert_string_equal(a.creds.assumed_role_arn,
                            "arn:aws:sts::123456789012:assumed-role/demo/alice@python3");
        credentials_deinit(&a.creds);

        assert_int_equal(sts_parse(200, gst, strlen(gst), &a), 0);
        assert_string_equal(a.creds.akid, "ASIAMFAMFAMFAMFAMFA1");
        assert_null(a.creds.assumed_role_arn);
        assert_int_equal(a.creds.expires, NOW + 12 * 3600);
        credentials_deinit(&a.creds);

        /* An error keeps STS's code and message, on one line. */
        assert_int_equal(sts_parse(403, error, strlen(error), &a), STS_E_ERROR);
        assert_string_equal(a.code, "AccessDenied");
        assert_string_equal(a.message, "User: arn:aws:iam::1:user/x is not authorized to perform: "
                                       "sts:AssumeRole");
        /* Credentials under an error status are not credentials. */
        assert_int_equal(sts_parse(500, assume_ok, strlen(assume_ok), &a), STS_E_MALFORMED);

        for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
                int r = sts_parse(i == 6 ? 400 : 200, malformed[i], strlen(malformed[i]), &a);

                if (r != STS_E_MALFORMED)
                        fail_msg("case %zu: %d", i, r);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_body),
                cmocka_unit_test(test_sign),
                cmocka_unit_test(test_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
