/* SPDX-License-Identifier: MIT */
/*
 * test-policy.c - unit tests of the policy engine (agent/policy): matching,
 * variables, every condition operator and modifier, evaluation logic, session
 * policies, malformed documents, the context's attested-key protection,
 * trust documents and shorthand trust rules, lint. Each test names the IAM
 * User Guide page whose behaviour it checks.
 */
#undef NDEBUG
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

/* A context from "key=value" strings (attested), NULL-terminated. */
static PolicyContext *ctx_of(const char *kv, ...)
{
        PolicyContext *ctx;
        va_list ap;

        assert_int_equal(policy_context_new(&ctx), 0);
        va_start(ap, kv);
        for (const char *s = kv; s; s = va_arg(ap, const char *)) {
                char key[256];
                const char *eq = strchr(s, '=');
                assert_non_null(eq);
                snprintf(key, sizeof(key), "%.*s", (int)(eq - s), s);
                assert_int_equal(policy_context_set(ctx, key, eq + 1, true), 0);
        }
        va_end(ap);
        return ctx;
}

static Policy *parse_ok(const char *json)
{
        Policy *p = NULL;
        PolicyError err;
        int r = policy_parse(json, strlen(json), "test", &p, &err);
        if (r != 0)
                fail_msg("parse failed: %s (statement %d, field %s)", err.message, err.statement,
                         err.field);
        return p;
}

static PolicyDecision eval_ctx(const char *json, const char *action, const char *resource,
                               const PolicyContext *ctx)
{
        Policy *p = parse_ok(json);
        PolicyResult res;
        const Policy *ps[] = { p };
        assert_int_equal(policy_evaluate(ps, 1, NULL, action, resource, ctx, &res), 0);
        policy_free(p);
        return res.decision;
}

static PolicyDecision eval0(const char *json, const char *action, const char *resource)
{
        return eval_ctx(json, action, resource, NULL);
}

#define ALLOW POLICY_ALLOW
#define DENY POLICY_EXPLICIT_DENY
#define IMPLICIT POLICY_IMPLICIT_DENY

/* Allow statement with one condition, on everything. */
static char *cond_policy(const char *cond)
{
        static char buf[4096];
        snprintf(buf, sizeof(buf),
                 "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Resource\":\"*\",\"Condition\":%s}}",
                 cond);
        return buf;
}

static bool cond_ok(const char *cond, const PolicyContext *ctx)
{
        return eval_ctx(cond_policy(cond), "s3:GetObject", "arn:aws:s3:::b/k", ctx) == ALLOW;
}

static bool cond_kv(const char *cond, const char *kv)
{
        PolicyContext *ctx = kv ? ctx_of(kv, NULL) : ctx_of(NULL);
        bool ok = cond_ok(cond, ctx);
        policy_context_free(ctx);
        return ok;
}

#define ALLOW_ACTION(a)                                                                            \
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":" a            \
        ",\"Resource\":\"*\"}}"

/* IAM:reference_policies_elements_action — actions are case-insensitive, `*` and `?` anywhere. */
static void test_action_wildcards(void **state)
{
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:GetObject\""), "S3:getobject", "x"), ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:Get*\""), "s3:GetObjectAcl", "x"), ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:Get*\""), "s3:PutObject", "x"), IMPLICIT);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:Get*\""), "ec2:GetConsoleOutput", "x"), IMPLICIT);
        assert_int_equal(eval0(ALLOW_ACTION("\"iam:*AccessKey*\""), "iam:CreateAccessKey", "x"),
                         ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"iam:*AccessKey*\""), "iam:ListAccessKeys", "x"),
                         ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:?etObject\""), "s3:GetObject", "x"), ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:?etObject\""), "s3:etObject", "x"), IMPLICIT);
        assert_int_equal(eval0(ALLOW_ACTION("\"*\""), "anything:AtAll", "x"), ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"*:Describe*\""), "ec2:DescribeInstances", "x"),
                         ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("[\"sqs:SendMessage\",\"sqs:ReceiveMessage\"]"),
                               "SQS:ReceiveMessage", "x"),
                         ALLOW);
        assert_int_equal(eval0(ALLOW_ACTION("\"s3:GetObject\""), "s3:GetObjectX", "x"), IMPLICIT);
}

#define ALLOW_RES(r)                                                                               \
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","        \
        "\"Resource\":" r "}}"

/* IAM:reference_policies_elements_resource — per-component matching, `*` crosses `/`,
 * case-sensitive. */
static void test_resource_arn(void **state)
{
        const char *b = ALLOW_RES("\"arn:aws:s3:::my-bucket/*\"");
        assert_int_equal(eval0(b, "s3:GetObject", "arn:aws:s3:::my-bucket/a/b/c.txt"), ALLOW);
        assert_int_equal(eval0(b, "s3:GetObject", "arn:aws:s3:::my-bucket"), IMPLICIT);
        assert_int_equal(eval0(b, "s3:GetObject", "arn:aws:s3:::My-Bucket/a"), IMPLICIT);
        assert_int_equal(eval0(b, "s3:GetObject", "arn:aws:s3:::my-bucket2/a"), IMPLICIT);
        /* `*` inside the account component does not reach into the resource. */
        const char *r = ALLOW_RES("\"arn:aws:iam::*:role/app\"");
        assert_int_equal(eval0(r, "sts:AssumeRole", "arn:aws:iam::123456789012:role/app"), ALLOW);
        assert_int_equal(eval0(r, "sts:AssumeRole", "arn:aws:iam::123456789012:role/app2"),
                         IMPLICIT);
        /* A trailing `*` with fewer components covers the rest. */
        const char *e = ALLOW_RES("\"arn:aws:ec2:*\"");
        assert_int_equal(
                eval0(e, "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"),
                ALLOW);
        assert_int_equal(eval0(e, "ec2:RunInstances", "arn:aws:s3:::b"), IMPLICIT);
        const char *e2 = ALLOW_RES("\"arn:aws:ec2\"");
        assert_int_equal(
                eval0(e2, "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"),
                IMPLICIT);
        /* The resource part may hold colons; `*` crosses them there. */
        const char *l = ALLOW_RES("\"arn:aws:logs:us-east-1:123456789012:log-group:app:*\"");
        assert_int_equal(eval0(l, "logs:PutLogEvents",
                               "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x"),
                         ALLOW);
        const char *q = ALLOW_RES("\"arn:aws:s3:::bucket/file?.txt\"");
        assert_int_equal(eval0(q, "s3:GetObject", "arn:aws:s3:::bucket/file1.txt"), ALLOW);
        assert_int_equal(eval0(q, "s3:GetObject", "arn:aws:s3:::bucket/file12.txt"), IMPLICIT);
        /* Region component wildcard does not cross into the account. */
        const char *g = ALLOW_RES("\"arn:aws:sqs:us-*:123456789012:q\"");
        assert_int_equal(eval0(g, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q"),
                         ALLOW);
        assert_int_equal(eval0(g, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:q"),
                         IMPLICIT);
        assert_int_equal(eval0(ALLOW_RES("\"*\""), "s3:GetObject", "whatever"), ALLOW);
}

/* IAM:reference_policies_variables — substitution, defaults, escapes, missing keys, 2008 literal.
 */
static void test_variables(void **state)
{
        const char *home = ALLOW_RES("\"arn:aws:s3:::bucket/home/${aws:username}/*\"");
        PolicyContext *alice = ctx_of("aws:username=alice", NULL);
        PolicyContext *none = ctx_of(NULL);
        PolicyContext *star = ctx_of("aws:username=*", NULL);
        assert_int_equal(eval_ctx(home, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/x", alice),
                         ALLOW);
        assert_int_equal(eval_ctx(home, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/x", alice),
                         IMPLICIT);
        /* Missing key: the Resource entry matches nothing. */
        assert_int_equal(eval_ctx(home, "s3:GetObject", "arn:aws:s3:::bucket/home//x", none),
                         IMPLICIT);
        /* Substituted text is literal, never a wildcard. */
        assert_int_equal(eval_ctx(home, "s3:GetObject", "arn:aws:s3:::bucket/home/bob/x", star),
                         IMPLICIT);
        assert_int_equal(eval_ctx(home, "s3:GetObject", "arn:aws:s3:::bucket/home/*/x", star),
                         ALLOW);
        /* Key names are case-insensitive. */
        const char *upper = ALLOW_RES("\"arn:aws:s3:::bucket/${AWS:UserName}\"");
        assert_int_equal(eval_ctx(upper, "s3:GetObject", "arn:aws:s3:::bucket/alice", alice),
                         ALLOW);
        /* Default values. */
        const char *def =
                ALLOW_RES("\"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*\"");
        assert_int_equal(eval_ctx(def, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x", none),
                         ALLOW);
        PolicyContext *team = ctx_of("aws:PrincipalTag/team=ops", NULL);
        assert_int_equal(eval_ctx(def, "s3:GetObject", "arn:aws:s3:::bucket/ops/x", team), ALLOW);
        assert_int_equal(eval_ctx(def, "s3:GetObject", "arn:aws:s3:::bucket/company-wide/x", team),
                         IMPLICIT);
        /* Escapes: ${*} is a literal star, ${?} a literal question mark, ${$} a dollar. */
        const char *esc = ALLOW_RES("\"arn:aws:s3:::bucket/${*}${?}${$}\"");
        assert_int_equal(eval0(esc, "s3:GetObject", "arn:aws:s3:::bucket/*?$"), ALLOW);
        assert_int_equal(eval0(esc, "s3:GetObject", "arn:aws:s3:::bucket/ab$"), IMPLICIT);
        /* 2008-10-17: ${...} is literal text. */
        const char *old =
                "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"arn:aws:s3:::bucket/${aws:username}\"}}";
        assert_int_equal(eval_ctx(old, "s3:GetObject", "arn:aws:s3:::bucket/alice", alice),
                         IMPLICIT);
        assert_int_equal(
                eval_ctx(old, "s3:GetObject", "arn:aws:s3:::bucket/${aws:username}", alice), ALLOW);
        /* Variables in conditions; negated operators match when the key is missing. */
        assert_false(cond_kv("{\"StringEquals\":{\"s3:prefix\":\"home/${aws:username}\"}}",
                             "s3:prefix=home/"));
        assert_true(cond_kv("{\"StringNotEquals\":{\"s3:prefix\":\"home/${aws:username}\"}}",
                            "s3:prefix=home/"));
        policy_context_free(alice);
        policy_context_free(none);
        policy_context_free(star);
        policy_context_free(team);
}

/* IAM:reference_policies_elements_condition_operators — string operators; values OR'ed, negated
 * AND'ed. */
static void test_string_operators(void **state)
{
        assert_true(cond_kv("{\"StringEquals\":{\"k\":\"abc\"}}", "k=abc"));
        assert_false(cond_kv("{\"StringEquals\":{\"k\":\"abc\"}}", "k=ABC"));
        assert_true(cond_kv("{\"StringEquals\":{\"k\":[\"x\",\"abc\"]}}", "k=abc"));
        assert_false(cond_kv("{\"StringEquals\":{\"k\":\"ab*\"}}",
                             "k=abc")); /* no wildcards in Equals */
        assert_true(cond_kv("{\"StringEquals\":{\"k\":\"ab*\"}}", "k=ab*"));
        assert_true(cond_kv("{\"StringNotEquals\":{\"k\":[\"x\",\"y\"]}}", "k=abc"));
        assert_false(cond_kv("{\"StringNotEquals\":{\"k\":[\"x\",\"abc\"]}}", "k=abc"));
        assert_true(cond_kv("{\"StringEqualsIgnoreCase\":{\"k\":\"ABC\"}}", "k=abc"));
        assert_false(cond_kv("{\"StringNotEqualsIgnoreCase\":{\"k\":\"ABC\"}}", "k=abc"));
        assert_true(cond_kv("{\"StringNotEqualsIgnoreCase\":{\"k\":\"ABD\"}}", "k=abc"));
        assert_true(cond_kv("{\"StringLike\":{\"k\":\"a*c\"}}", "k=abbbc"));
        assert_true(cond_kv("{\"StringLike\":{\"k\":\"a?c\"}}", "k=abc"));
        assert_false(
                cond_kv("{\"StringLike\":{\"k\":\"A*\"}}", "k=abc")); /* Like is case-sensitive */
        /* IAM:reference_policies_variables — ${*} and ${?} are literal characters in Like values.
         */
        assert_false(cond_kv("{\"StringLike\":{\"k\":\"a${*}\"}}", "k=abc"));
        assert_true(cond_kv("{\"StringLike\":{\"k\":\"a${*}\"}}", "k=a*"));
        assert_true(cond_kv("{\"StringLike\":{\"k\":\"*${?}\"}}", "k=why?"));
        assert_false(cond_kv("{\"StringLike\":{\"k\":\"*${?}\"}}", "k=why"));
        assert_true(cond_kv("{\"StringLike\":{\"k\":\"a\\\\b*\"}}", "k=a\\bc"));
        assert_true(cond_kv("{\"StringNotLike\":{\"k\":[\"x*\",\"y*\"]}}", "k=abc"));
        assert_false(cond_kv("{\"StringNotLike\":{\"k\":[\"x*\",\"a*\"]}}", "k=abc"));
        /* Missing key: positive false, negated true. */
        assert_false(cond_kv("{\"StringEquals\":{\"k\":\"abc\"}}", NULL));
        assert_true(cond_kv("{\"StringNotEquals\":{\"k\":\"abc\"}}", NULL));
        assert_true(cond_kv("{\"StringNotLike\":{\"k\":\"abc\"}}", NULL));
        /* Numbers and booleans may be unquoted and compare as text. */
        assert_true(cond_kv("{\"StringEquals\":{\"k\":42}}", "k=42"));
        /* IAM:reference_policies_elements_condition — key names are case-insensitive. */
        assert_true(
                cond_kv("{\"StringEquals\":{\"AWS:SourceVpc\":\"vpc-1\"}}", "aws:sourcevpc=vpc-1"));
        /* Variable inside a Like value. */
        PolicyContext *ctx = ctx_of("aws:username=al", "s3:prefix=home/al/docs", NULL);
        assert_true(cond_ok("{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}", ctx));
        policy_context_free(ctx);
        ctx = ctx_of("aws:username=bo", "s3:prefix=home/al/docs", NULL);
        assert_false(cond_ok("{\"StringLike\":{\"s3:prefix\":\"home/${aws:username}/*\"}}", ctx));
        policy_context_free(ctx);
}

/* IAM:reference_policies_elements_condition_operators — numeric operators, integers and decimals.
 */
static void test_numeric_operators(void **state)
{
        assert_true(cond_kv("{\"NumericEquals\":{\"n\":\"10\"}}", "n=10.0"));
        assert_false(cond_kv("{\"NumericEquals\":{\"n\":10}}", "n=11"));
        assert_true(cond_kv("{\"NumericNotEquals\":{\"n\":10}}", "n=11"));
        assert_false(cond_kv("{\"NumericNotEquals\":{\"n\":[10,11]}}", "n=11"));
        assert_true(cond_kv("{\"NumericLessThan\":{\"n\":10}}", "n=9.5"));
        assert_false(cond_kv("{\"NumericLessThan\":{\"n\":10}}", "n=10"));
        assert_true(cond_kv("{\"NumericLessThanEquals\":{\"n\":10}}", "n=10"));
        assert_true(cond_kv("{\"NumericGreaterThan\":{\"n\":10}}", "n=11"));
        assert_false(cond_kv("{\"NumericGreaterThan\":{\"n\":10}}", "n=10"));
        assert_true(cond_kv("{\"NumericGreaterThanEquals\":{\"n\":1.5}}", "n=1.5"));
        assert_false(
                cond_kv("{\"NumericEquals\":{\"n\":10}}", "n=ten")); /* not a number: no match */
        assert_false(cond_kv("{\"NumericLessThan\":{\"n\":10}}", NULL));
        assert_true(cond_kv("{\"NumericNotEquals\":{\"n\":10}}", NULL));
}

/* IAM:reference_policies_elements_condition_operators — dates: ISO 8601 or epoch seconds. */
static void test_date_operators(void **state)
{
        const char *range = "{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-04-01T00:00:00Z\"},"
                            "\"DateLessThan\":{\"aws:CurrentTime\":\"2020-06-30T23:59:59Z\"}}";
        assert_true(cond_kv(range, "aws:CurrentTime=2020-05-01T12:00:00Z"));
        assert_false(cond_kv(range, "aws:CurrentTime=2020-07-01T00:00:00Z"));
        assert_false(cond_kv(range, "aws:CurrentTime=2020-04-01T00:00:00Z"));
        assert_true(cond_kv("{\"DateEquals\":{\"d\":\"2020-01-01T00:00:00Z\"}}", "d=1577836800"));
        assert_true(
                cond_kv("{\"DateEquals\":{\"d\":\"2020-01-01\"}}", "d=2020-01-01T00:00:00.000Z"));
        assert_true(cond_kv("{\"DateEquals\":{\"d\":\"2020-01-01T02:00:00+02:00\"}}",
                            "d=2020-01-01T00:00:00Z"));
        assert_true(cond_kv("{\"DateNotEquals\":{\"d\":\"2020-01-01\"}}", "d=2020-01-02"));
        assert_true(
                cond_kv("{\"DateLessThanEquals\":{\"d\":1577836800}}", "d=2020-01-01T00:00:00Z"));
        assert_true(cond_kv("{\"DateGreaterThanEquals\":{\"d\":\"2020-01-01T00:00:00Z\"}}",
                            "d=2020-01-01T00:00:00Z"));
        assert_false(
                cond_kv("{\"DateGreaterThan\":{\"d\":\"2020-01-01T00:00:00Z\"}}", "d=not-a-date"));
        assert_true(cond_kv("{\"DateLessThan\":{\"d\":\"2020-01-01T00:00:00.500Z\"}}",
                            "d=2020-01-01T00:00:00.100Z"));
}

/* IAM:reference_policies_elements_condition_operators — Bool, BinaryEquals, Null. */
static void test_bool_binary_null(void **state)
{
        assert_true(cond_kv("{\"Bool\":{\"aws:SecureTransport\":\"true\"}}",
                            "aws:SecureTransport=true"));
        assert_true(
                cond_kv("{\"Bool\":{\"aws:SecureTransport\":true}}", "aws:SecureTransport=TRUE"));
        assert_false(
                cond_kv("{\"Bool\":{\"aws:SecureTransport\":false}}", "aws:SecureTransport=true"));
        assert_false(cond_kv("{\"Bool\":{\"aws:SecureTransport\":true}}", NULL));
        /* "QmluYXJ5VmFsdWU=" is base64 of "BinaryValue". */
        assert_true(
                cond_kv("{\"BinaryEquals\":{\"k\":\"QmluYXJ5VmFsdWU=\"}}", "k=QmluYXJ5VmFsdWU="));
        assert_false(
                cond_kv("{\"BinaryEquals\":{\"k\":\"QmluYXJ5VmFsdWU=\"}}", "k=QmluYXJ5VmFsdWF="));
        assert_false(cond_kv("{\"BinaryEquals\":{\"k\":\"QmluYXJ5VmFsdWU=\"}}", "k=***"));
        /* Null true = key absent, false = present. */
        assert_true(cond_kv("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}", NULL));
        assert_false(cond_kv("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}",
                             "aws:TokenIssueTime=2020-01-01"));
        assert_true(cond_kv("{\"Null\":{\"aws:TokenIssueTime\":false}}",
                            "aws:TokenIssueTime=2020-01-01"));
        assert_false(cond_kv("{\"Null\":{\"aws:TokenIssueTime\":false}}", NULL));
}

/* IAM:reference_policies_elements_condition_operators — IpAddress/NotIpAddress, v4 and v6, bare IP
 * = /32. */
static void test_ip_operators(void **state)
{
        assert_true(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                            "aws:SourceIp=203.0.113.7"));
        assert_false(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                             "aws:SourceIp=203.0.114.7"));
        assert_true(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.7\"}}",
                            "aws:SourceIp=203.0.113.7"));
        assert_false(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.7\"}}",
                             "aws:SourceIp=203.0.113.8"));
        assert_true(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"2001:DB8:1234:5678::/64\"}}",
                            "aws:SourceIp=2001:db8:1234:5678::1"));
        assert_false(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"2001:DB8:1234:5678::/64\"}}",
                             "aws:SourceIp=2001:db8:1234:5679::1"));
        assert_false(
                cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}", "aws:SourceIp=::1"));
        assert_true(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
                            "aws:SourceIp=10.127.1.1"));
        assert_false(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
                             "aws:SourceIp=10.128.1.1"));
        assert_true(cond_kv(
                "{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"203.0.113.0/24\"]}}",
                "aws:SourceIp=198.51.100.1"));
        assert_false(cond_kv(
                "{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"203.0.113.0/24\"]}}",
                "aws:SourceIp=203.0.113.1"));
        assert_false(cond_kv("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}",
                             "aws:SourceIp=garbage"));
}

/* IAM:reference_policies_elements_condition_operators — ARN operators compare component by
 * component. */
static void test_arn_operators(void **state)
{
        const char *v = "aws:SourceArn=arn:aws:sns:us-east-1:123456789012:topic";
        assert_true(cond_kv(
                "{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:sns:us-east-1:123456789012:topic\"}}",
                v));
        assert_true(
                cond_kv("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:123456789012:*\"}}", v));
        assert_false(
                cond_kv("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:999999999999:*\"}}", v));
        assert_true(cond_kv(
                "{\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:sns:*:999999999999:*\"}}", v));
        assert_false(cond_kv(
                "{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:123456789012:*\"}}", v));
        assert_true(cond_kv("{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:123456789012:*\"}}",
                            NULL));
        /* The documented example: StringLike treats the ARN as one string, `*` crossing `:`;
         * ArnLike needs each component to match, so the same pattern fails. */
        const char *pat = "arn:aws:s3:::bucket*";
        char cond[256];
        snprintf(cond, sizeof(cond), "{\"StringLike\":{\"aws:SourceArn\":\"%s\"}}", pat);
        assert_true(cond_kv(cond, "aws:SourceArn=arn:aws:s3:::bucket:extra:x"));
        snprintf(cond, sizeof(cond), "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s*:*:*:bucket\"}}");
        assert_false(cond_kv(cond, "aws:SourceArn=arn:aws:s3:::other"));
        snprintf(cond, sizeof(cond), "{\"StringLike\":{\"aws:SourceArn\":\"arn:aws:*:bucket\"}}");
        assert_true(cond_kv(cond, "aws:SourceArn=arn:aws:s3:::bucket"));
        snprintf(cond, sizeof(cond), "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:*:bucket\"}}");
        assert_false(cond_kv(cond, "aws:SourceArn=arn:aws:s3:::bucket"));
        /* Not an ARN: no match. */
        assert_false(cond_kv("{\"ArnLike\":{\"k\":\"*\"}}", "k=notanarn"));
}

/* IAM:reference_policies_elements_condition_operators — ...IfExists: absent key is true. */
static void test_if_exists(void **state)
{
        const char *mfa = "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"false\"}}";
        assert_true(cond_kv(mfa, NULL));
        assert_true(cond_kv(mfa, "aws:MultiFactorAuthPresent=false"));
        assert_false(cond_kv(mfa, "aws:MultiFactorAuthPresent=true"));
        assert_true(cond_kv("{\"StringEqualsIfExists\":{\"k\":\"a\"}}", NULL));
        assert_false(cond_kv("{\"StringEqualsIfExists\":{\"k\":\"a\"}}", "k=b"));
        assert_true(cond_kv("{\"NumericLessThanIfExists\":{\"n\":5}}", NULL));
        assert_true(cond_kv("{\"IpAddressIfExists\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", NULL));
        assert_true(cond_kv("{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}", NULL));
        assert_true(cond_kv("{\"DateLessThanIfExists\":{\"d\":\"2020-01-01\"}}", NULL));
        assert_true(cond_kv("{\"StringNotLikeIfExists\":{\"k\":\"a*\"}}", NULL));
        assert_false(cond_kv("{\"StringNotLikeIfExists\":{\"k\":\"a*\"}}", "k=abc"));
}

static PolicyContext *ctx_multi(const char *key, const char **values, size_t n)
{
        PolicyContext *ctx;
        assert_int_equal(policy_context_new(&ctx), 0);
        assert_int_equal(policy_context_set(ctx, key, NULL, true), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(policy_context_set(ctx, key, values[i], true), 0);
        return ctx;
}

static bool cond_multi(const char *cond, const char **values, size_t n)
{
        PolicyContext *ctx = ctx_multi("aws:TagKeys", values, n);
        bool ok = cond_ok(cond, ctx);
        policy_context_free(ctx);
        return ok;
}

/* IAM:reference_policies_multi-value-conditions — ForAnyValue / ForAllValues, empty and missing
 * sets. */
static void test_set_operators(void **state)
{
        const char *all = "{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}";
        const char *any = "{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]}}";
        const char *env_team[] = { "env", "team" }, *env_cost[] = { "env", "cost" },
                   *cost[] = { "cost" };
        assert_true(cond_multi(all, env_team, 2));
        assert_false(cond_multi(all, env_cost, 2));
        assert_true(cond_multi(any, env_cost, 2));
        assert_false(cond_multi(any, cost, 1));
        /* Empty set and missing key: ForAllValues true, ForAnyValue false. */
        assert_true(cond_multi(all, NULL, 0));
        assert_false(cond_multi(any, NULL, 0));
        assert_true(cond_kv(all, NULL));
        assert_false(cond_kv(any, NULL));
        /* Negated set operators. */
        const char *all_not = "{\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":[\"secret\"]}}";
        const char *any_not = "{\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":[\"env\"]}}";
        const char *secret[] = { "env", "secret" }, *env[] = { "env" };
        assert_true(cond_multi(all_not, env_team, 2));
        assert_false(cond_multi(all_not, secret, 2));
        assert_true(cond_multi(any_not, env_team, 2));
        assert_false(cond_multi(any_not, env, 1));
        /* ForAnyValue with IfExists: absent key passes. */
        assert_true(
                cond_kv("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:TagKeys\":\"env\"}}", NULL));
        /* Plain operator on a multi-valued key: some value matches. */
        assert_true(cond_multi("{\"StringEquals\":{\"aws:TagKeys\":\"team\"}}", env_team, 2));
        assert_false(cond_multi("{\"StringNotEquals\":{\"aws:TagKeys\":\"team\"}}", env_team, 2));
        assert_true(
                cond_multi("{\"ForAnyValue:StringLike\":{\"aws:TagKeys\":\"te*\"}}", env_team, 2));
}

/* IAM:reference_policies_multi-value-conditions — AND across operators and keys. */
static void test_condition_and(void **state)
{
        const char *c = "{\"StringEquals\":{\"a\":\"1\",\"b\":\"2\"},\"Bool\":{\"c\":true}}";
        PolicyContext *ctx = ctx_of("a=1", "b=2", "c=true", NULL);
        assert_true(cond_ok(c, ctx));
        policy_context_free(ctx);
        ctx = ctx_of("a=1", "b=3", "c=true", NULL);
        assert_false(cond_ok(c, ctx));
        policy_context_free(ctx);
        ctx = ctx_of("a=1", "b=2", "c=false", NULL);
        assert_false(cond_ok(c, ctx));
        policy_context_free(ctx);
        assert_true(cond_kv("{}", NULL));
}

static const char *S3_READ = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Read\","
                             "\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\","
                             "\"s3:List*\"],\"Resource\":\"*\"}]}";
static const char *DENY_SECRET = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                 "\"Action\":\"sqs:*\",\"Resource\":\"*\"},"
                                 "{\"Sid\":\"NoSecret\",\"Effect\":\"Deny\",\"Action\":\"s3:*\","
                                 "\"Resource\":\"arn:aws:s3:::secret/*\"}]}";

/* IAM:reference_policies_evaluation-logic — explicit deny wins, any allow grants, default deny. */
static void test_evaluation(void **state)
{
        Policy *a = parse_ok(S3_READ), *d = parse_ok(DENY_SECRET);
        const Policy *both[] = { a, d };
        PolicyResult res;

        assert_int_equal(
                policy_evaluate(both, 2, NULL, "s3:GetObject", "arn:aws:s3:::public/x", NULL, &res),
                0);
        assert_int_equal(res.decision, ALLOW);
        assert_int_equal(res.policy, 0);
        assert_int_equal(res.statement, 0);
        assert_string_equal(res.sid, "Read");
        assert_string_equal(res.policy_name, "test");

        assert_int_equal(
                policy_evaluate(both, 2, NULL, "s3:GetObject", "arn:aws:s3:::secret/x", NULL, &res),
                0);
        assert_int_equal(res.decision, DENY);
        assert_int_equal(res.policy, 1);
        assert_int_equal(res.statement, 1);
        assert_string_equal(res.sid, "NoSecret");

        assert_int_equal(
                policy_evaluate(both, 2, NULL, "s3:PutObject", "arn:aws:s3:::public/x", NULL, &res),
                0);
        assert_int_equal(res.decision, IMPLICIT);
        assert_int_equal(res.statement, -1);
        assert_int_equal(res.policy, POLICY_INDEX_NONE);

        /* Second policy allows what the first does not. */
        assert_int_equal(
                policy_evaluate(both, 2, NULL, "sqs:SendMessage", "arn:aws:sqs:r:1:q", NULL, &res),
                0);
        assert_int_equal(res.decision, ALLOW);
        assert_int_equal(res.policy, 1);
        assert_null(res.sid);

        /* No policies at all: implicit deny. */
        assert_int_equal(policy_evaluate(NULL, 0, NULL, "s3:GetObject", "x", NULL, &res), 0);
        assert_int_equal(res.decision, IMPLICIT);
        assert_int_equal(policy_evaluate(both, 2, NULL, NULL, "x", NULL, &res), -EINVAL);
        assert_string_equal(policy_decision_str(ALLOW), "allow");
        assert_string_equal(policy_decision_str(DENY), "explicit-deny");
        assert_string_equal(policy_decision_str(IMPLICIT), "implicit-deny");
        policy_free(a);
        policy_free(d);
}

/* IAM:reference_policies_elements_notaction / _notresource. */
static void test_not_action_resource(void **state)
{
        const char *na = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                         "\"NotAction\":\"iam:*\","
                         "\"Resource\":\"*\"}}";
        assert_int_equal(eval0(na, "s3:GetObject", "x"), ALLOW);
        assert_int_equal(eval0(na, "iam:CreateUser", "x"), IMPLICIT);
        const char *dn =
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":["
                "\"arn:aws:s3:::ok\",\"arn:aws:s3:::ok/*\"]}]}";
        assert_int_equal(eval0(dn, "s3:GetObject", "arn:aws:s3:::ok/a"), ALLOW);
        assert_int_equal(eval0(dn, "s3:GetObject", "arn:aws:s3:::other/a"), DENY);
        assert_int_equal(eval0(dn, "ec2:RunInstances", "arn:aws:s3:::other/a"), ALLOW);
}

/* IAM:access_policies_boundaries / reference_policies_evaluation-logic — session policy intersects.
 */
static void test_session_policy(void **state)
{
        Policy *id = parse_ok(ALLOW_ACTION("\"s3:*\""));
        Policy *sess = parse_ok(ALLOW_ACTION("\"s3:Get*\""));
        Policy *sess_deny = parse_ok(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                "\"Action\":\"*\",\"Resource\":\"*\"},{\"Sid\":\"NoDelete\",\"Effect\":\"Deny\","
                "\"Action\":\"s3:Delete*\",\"Resource\":\"*\"}]}");
        Policy *wide = parse_ok(ALLOW_ACTION("\"*\""));
        const Policy *ids[] = { id };
        PolicyResult res;

        assert_int_equal(policy_evaluate(ids, 1, sess, "s3:GetObject", "x", NULL, &res), 0);
        assert_int_equal(res.decision, ALLOW);
        assert_int_equal(res.policy, 0);
        assert_int_equal(policy_evaluate(ids, 1, sess, "s3:PutObject", "x", NULL, &res), 0);
        assert_int_equal(res.decision, IMPLICIT);
        assert_int_equal(res.policy, POLICY_INDEX_SESSION);
        /* A session policy never widens. */
        assert_int_equal(policy_evaluate(ids, 1, wide, "ec2:RunInstances", "x", NULL, &res), 0);
        assert_int_equal(res.decision, IMPLICIT);
        assert_int_equal(res.policy, POLICY_INDEX_NONE);
        /* A Deny in the session policy is an explicit deny. */
        assert_int_equal(policy_evaluate(ids, 1, sess_deny, "s3:DeleteObject", "x", NULL, &res), 0);
        assert_int_equal(res.decision, DENY);
        assert_int_equal(res.policy, POLICY_INDEX_SESSION);
        assert_string_equal(res.sid, "NoDelete");
        policy_free(id);
        policy_free(sess);
        policy_free(sess_deny);
        policy_free(wide);
}

static void expect_malformed(const char *json, const char *reason, int stmt, const char *field)
{
        Policy *p = NULL;
        PolicyError err;
        int r = policy_parse(json, strlen(json), "bad", &p, &err);
        if (r != POLICY_E_MALFORMED)
                fail_msg("expected MalformedPolicyDocument (%s) for %s", reason, json);
        assert_null(p);
        if (strcmp(err.reason, reason) != 0)
                fail_msg("reason %s, expected %s (%s)", err.reason, reason, err.message);
        assert_int_equal(err.statement, stmt);
        if (field)
                assert_string_equal(err.field, field);
        assert_true(strlen(err.message) > 0);
}

/* IAM:reference_policies_grammar — malformed documents are rejected with a location. */
static void test_malformed(void **state)
{
        expect_malformed(
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"*\",\"Condition\":{\"StringEqulas\":{\"k\":\"v\"}}}}",
                "UnknownConditionOperator", 0, "Condition.StringEqulas");
        expect_malformed(
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
                "{\"Effect\":\"Permit\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
                "InvalidEffect", 1, "Effect");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Action\":\"*"
                         "\",\"Resource\":\"*\"}}",
                         "SyntaxError", -1, "");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"s3:"
                         "*\",\"Resource\":\"*\"}}",
                         "InvalidAction", 0, "NotAction");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\"}}",
                         "MissingResource", 0, "Resource");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}",
                         "MissingAction", 0, "Action");
        expect_malformed(
                "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3\",\"Resource\":\"*\"}}",
                "InvalidAction", 0, "Action");
        expect_malformed(
                "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"bucket\"}}",
                "InvalidResource", 0, "Resource");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Actions\":1}}",
                         "UnknownElement", 0, "Actions");
        expect_malformed("{\"Version\":\"2012-10-18\",\"Statement\":{}}", "InvalidVersion", -1,
                         "Version");
        expect_malformed("{\"Version\":\"2012-10-17\"}", "MissingStatement", -1, "Statement");
        expect_malformed("{\"Statement\":[]}", "InvalidStatement", -1, "Statement");
        expect_malformed("[1,2]", "SyntaxError", -1, "");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":"
                         "{\"NumericEquals\":{\"n\":\"abc\"}}}}",
                         "InvalidConditionValue", 0, "Condition.NumericEquals.n");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":"
                         "{\"NullIfExists\":{\"n\":\"true\"}}}}",
                         "UnknownConditionOperator", 0, "Condition.NullIfExists");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":"
                         "{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/33\"}}}}",
                         "InvalidConditionValue", 0, NULL);
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                         "\"Condition\":"
                         "{\"DateLessThan\":{\"d\":\"yesterday\"}}}}",
                         "InvalidConditionValue", 0, NULL);
        expect_malformed(
                "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Principal\":{\"AWS\":"
                "\"arn:aws:iam::123456789012:user/a*\"}}}",
                "InvalidPrincipal", 0, "Principal.AWS");
        expect_malformed("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Principal\":{"
                         "\"Local\":\"uid:9-1\"}}}",
                         "InvalidPrincipal", 0, "Principal.Local");
        expect_malformed(
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"arn:aws:s3:::${aws:username, nodefault}\"}}",
                "InvalidVariable", 0, "Resource");

        /* Syntax errors carry line and column. */
        const char *bad = "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",,}\n  ]\n}";
        Policy *p = NULL;
        PolicyError err;
        assert_int_equal(policy_parse(bad, strlen(bad), NULL, &p, &err), POLICY_E_MALFORMED);
        assert_int_equal(err.line, 3);
        assert_true(err.column > 0);

        /* Size limit. */
        size_t big = POLICY_DOCUMENT_MAX + 1;
        char *huge = malloc(big + 1);
        memset(huge, ' ', big);
        huge[big] = '\0';
        assert_int_equal(policy_parse(huge, big, NULL, &p, &err), POLICY_E_MALFORMED);
        assert_string_equal(err.reason, "DocumentTooLarge");
        free(huge);

        /* Nesting limit. */
        char deep[200];
        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        assert_int_equal(policy_parse(deep, sizeof(deep), NULL, &p, &err), POLICY_E_MALFORMED);
        assert_string_equal(err.reason, "NestingTooDeep");

        /* Statement count limit. */
        size_t n = POLICY_STATEMENT_MAX + 1;
        const char *one = "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},";
        char *many = malloc(n * strlen(one) + 64);
        strcpy(many, "{\"Statement\":[");
        for (size_t i = 0; i < n; i++)
                strcat(many, one);
        many[strlen(many) - 1] = '\0';
        strcat(many, "]}");
        assert_int_equal(policy_parse(many, strlen(many), NULL, &p, &err), POLICY_E_MALFORMED);
        assert_string_equal(err.reason, "TooManyStatements");
        free(many);
        /* NUL in the middle of a document. */
        assert_int_equal(policy_parse("{\"Statement\":\0}", 15, NULL, &p, &err),
                         POLICY_E_MALFORMED);
        /* err may be NULL. */
        assert_int_equal(policy_parse("{", 1, NULL, &p, NULL), POLICY_E_MALFORMED);
}

/* Attested keys can never be overridden by request-supplied values. */
static void test_context_attested(void **state)
{
        PolicyContext *ctx;
        const char *const *v;
        size_t n;
        bool att;

        assert_int_equal(policy_context_new(&ctx), 0);
        assert_int_equal(policy_context_set(ctx, "aws:SourceIp", "10.0.0.1", true), 0);
        assert_int_equal(policy_context_set(ctx, "AWS:SOURCEIP", "1.2.3.4", false),
                         POLICY_E_ATTESTED);
        assert_true(policy_context_get(ctx, "aws:sourceip", &v, &n, &att));
        assert_int_equal(n, 1);
        assert_string_equal(v[0], "10.0.0.1");
        assert_true(att);
        /* Reserved namespaces need attestation even when unset. */
        assert_int_equal(policy_context_set(ctx, "roled:unit", "evil.service", false),
                         POLICY_E_RESERVED);
        assert_int_equal(policy_context_set(ctx, "aws:PrincipalTag/team", "x", false),
                         POLICY_E_RESERVED);
        assert_int_equal(policy_context_set(ctx, "aws:username", "root", false), POLICY_E_RESERVED);
        assert_false(policy_context_get(ctx, "roled:unit", NULL, NULL, NULL));
        /* A request key, then an attested value replaces it. */
        assert_int_equal(policy_context_set(ctx, "s3:prefix", "a", false), 0);
        assert_int_equal(policy_context_set(ctx, "s3:prefix", "b", false), 0);
        assert_true(policy_context_get(ctx, "s3:prefix", &v, &n, &att));
        assert_int_equal(n, 2);
        assert_false(att);
        assert_int_equal(policy_context_set(ctx, "s3:prefix", "c", true), 0);
        assert_true(policy_context_get(ctx, "s3:prefix", &v, &n, &att));
        assert_int_equal(n, 1);
        assert_string_equal(v[0], "c");
        assert_true(att);
        assert_int_equal(policy_context_set(ctx, "req:key", "x", false), 0);
        policy_context_clear_request(ctx);
        assert_false(policy_context_get(ctx, "req:key", NULL, NULL, NULL));
        assert_true(policy_context_get(ctx, "aws:SourceIp", NULL, NULL, NULL));
        /* unset removes an attested key whole, so the agent can replace it (the time). */
        assert_int_equal(policy_context_set(ctx, "aws:EpochTime", "1", true), 0);
        policy_context_unset(ctx, "AWS:EPOCHTIME");
        assert_false(policy_context_get(ctx, "aws:EpochTime", NULL, NULL, NULL));
        assert_int_equal(policy_context_set(ctx, "aws:EpochTime", "2", true), 0);
        assert_true(policy_context_get(ctx, "aws:EpochTime", &v, &n, &att));
        assert_int_equal(n, 1);
        assert_string_equal(v[0], "2");
        assert_true(policy_context_get(ctx, "aws:SourceIp", NULL, NULL, NULL));
        policy_context_unset(ctx, "no:such-key");
        assert_int_equal(policy_context_set(ctx, "", "x", true), -EINVAL);
        policy_context_free(ctx);
}

/* Trust documents: Principal names who may assume (IAM:reference_policies_elements_principal). */
static void test_trust_document(void **state)
{
        const char *trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Local\","
                            "\"Effect\":\"Allow\","
                            "\"Principal\":{\"Local\":[\"user:alice\",\"uid:2000-2999\",\"group:"
                            "wheel\",\"gid:10\","
                            "\"unit:web.service\",\"role:ops\"]},\"Action\":\"sts:AssumeRole\"},"
                            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
                            "123456789012:user/carol\"},"
                            "\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]},"
                            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},"
                            "\"Action\":\"sts:AssumeRole\","
                            "\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"xyz\"}}}]}";
        const char *role = "arn:aws:iam::123456789012:role/app";
        PolicyContext *c;

        c = ctx_of("roled:user=alice", "roled:uid=1000", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        assert_int_equal(eval_ctx(trust, "sts:TagSession", role, c), IMPLICIT);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=2500", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=3000", "roled:groups=users", "roled:groups=wheel",
                   NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=3000", "roled:gid=100", "roled:gids=10", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=3000", "roled:unit=web.service", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=3000", "roled:role=ops", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("roled:user=bob", "roled:uid=3000", "roled:gid=100", "roled:groups=users", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), IMPLICIT);
        policy_context_free(c);
        c = ctx_of("aws:PrincipalArn=arn:aws:iam::123456789012:user/carol", NULL);
        assert_int_equal(eval_ctx(trust, "sts:TagSession", role, c), ALLOW);
        policy_context_free(c);
        /* The whole account, with an external id condition. */
        c = ctx_of("aws:PrincipalArn=arn:aws:iam::111122223333:role/x", "sts:ExternalId=xyz", NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), ALLOW);
        policy_context_free(c);
        c = ctx_of("aws:PrincipalArn=arn:aws:iam::111122223333:role/x", "sts:ExternalId=nope",
                   NULL);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), IMPLICIT);
        policy_context_free(c);

        /* Principals only trust attested values: a request cannot claim to be alice. */
        assert_int_equal(policy_context_new(&c), 0);
        assert_int_equal(policy_context_set(c, "roled:user", "alice", false), POLICY_E_RESERVED);
        assert_int_equal(eval_ctx(trust, "sts:AssumeRole", role, c), IMPLICIT);
        policy_context_free(c);

        Policy *p = parse_ok(trust);
        assert_true(policy_needs_key(p, "roled:user"));
        assert_true(policy_needs_key(p, "ROLED:UNIT"));
        assert_true(policy_needs_key(p, "sts:externalid"));
        assert_false(policy_needs_key(p, "roled:exe-sha256"));
        assert_int_equal(policy_n_statements(p), 3);
        policy_free(p);
}

/* The agent's INI shorthand compiles to the same engine. */
static bool lint_has(const char *json, PolicyKind kind, const char *code, int stmt)
{
        PolicyLint *l = NULL;
        bool found = false;
        assert_int_equal(policy_lint(json, strlen(json), kind, &l), 0);
        for (size_t i = 0; i < policy_lint_count(l); i++) {
                const PolicyFinding *f = policy_lint_get(l, i);
                if (strcmp(f->code, code) == 0 && f->statement == stmt)
                        found = true;
        }
        policy_lint_free(l);
        return found;
}

/* policy.h: the documented bounds on a request, each refused with nothing changed. */
static void test_context_limits(void **state)
{
        PolicyContext *ctx;
        PolicyResult res;
        const char *const *v;
        char *big = malloc(POLICY_VALUE_MAX + 2), key[32];
        size_t n;

        assert_int_equal(policy_context_new(&ctx), 0);
        memset(big, 'x', POLICY_VALUE_MAX + 1);
        big[POLICY_VALUE_MAX + 1] = '\0';
        assert_int_equal(policy_context_set(ctx, "k", big, true), -E2BIG);
        assert_false(policy_context_get(ctx, "k", NULL, NULL, NULL));
        big[POLICY_VALUE_MAX] = '\0';
        assert_int_equal(policy_context_set(ctx, "k", big, true), 0);
        /* POLICY_CONTEXT_BYTES_MAX in all: 64 values of 4 KiB fill it exactly. */
        for (int i = 1; i < POLICY_CONTEXT_BYTES_MAX / POLICY_VALUE_MAX; i++)
                assert_int_equal(policy_context_set(ctx, "k", big, true), 0);
        assert_int_equal(policy_context_set(ctx, "k2", "x", true), -E2BIG);
        /* Dropping values gives their bytes back. */
        policy_context_unset(ctx, "k");
        assert_int_equal(policy_context_set(ctx, "k2", "x", true), 0);
        for (int i = 1; i < POLICY_CONTEXT_VALUES_MAX; i++)
                assert_int_equal(policy_context_set(ctx, "k2", "x", true), 0);
        assert_int_equal(policy_context_set(ctx, "k2", "x", true), -E2BIG);
        assert_true(policy_context_get(ctx, "k2", &v, &n, NULL));
        assert_int_equal(n, POLICY_CONTEXT_VALUES_MAX);
        for (int i = 1; i < POLICY_CONTEXT_KEYS_MAX; i++) {
                snprintf(key, sizeof(key), "key%d", i);
                assert_int_equal(policy_context_set(ctx, key, NULL, true), 0);
        }
        assert_int_equal(policy_context_set(ctx, "one:more", NULL, true), -E2BIG);
        /* Action and resource lengths. */
        Policy *p = parse_ok(
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"*\"}}");
        const Policy *ps[] = { p };
        big[POLICY_RESOURCE_MAX] = '\0';
        assert_int_equal(policy_evaluate(ps, 1, NULL, "s3:GetObject", big, NULL, &res), 0);
        big[POLICY_RESOURCE_MAX] = 'x';
        big[POLICY_RESOURCE_MAX + 1] = '\0';
        assert_int_equal(policy_evaluate(ps, 1, NULL, "s3:GetObject", big, NULL, &res), -EINVAL);
        policy_free(p);
        policy_context_free(ctx);
        free(big);
}

/*
 * Keys are found case-insensitively whatever the context's size (past 16
 * keys through an index), also after keys leave (unset, request keys
 * cleared) and come back.
 */
static void test_context_many_keys(void **state)
{
        PolicyContext *ctx;
        const char *const *v;
        char key[32], want[32];
        size_t n;
        bool is_attested;

        (void)state;
        assert_int_equal(policy_context_new(&ctx), 0);
        for (int i = 0; i < 200; i++) {
                snprintf(key, sizeof(key), "svc:Key%d", i);
                snprintf(want, sizeof(want), "v%d", i);
                assert_int_equal(policy_context_set(ctx, key, want, i % 3 == 0), 0);
        }
        for (int i = 0; i < 200; i++) {
                snprintf(key, sizeof(key), "SVC:KEY%d", i);
                snprintf(want, sizeof(want), "v%d", i);
                assert_true(policy_context_get(ctx, key, &v, &n, &is_attested));
                assert_int_equal(n, 1);
                assert_string_equal(v[0], want);
                assert_int_equal(is_attested, i % 3 == 0);
        }
        assert_false(policy_context_get(ctx, "svc:Key200", &v, &n, NULL));
        policy_context_unset(ctx, "svc:key0");
        assert_false(policy_context_get(ctx, "svc:Key0", &v, &n, NULL));
        assert_true(policy_context_get(ctx, "svc:Key199", &v, &n, NULL));
        assert_string_equal(v[0], "v199");
        /* Request keys leave: 66 attested stay (3, 6, ..., 198), found through the rebuilt index.
         */
        policy_context_clear_request(ctx);
        for (int i = 1; i < 200; i++) {
                snprintf(key, sizeof(key), "svc:key%d", i);
                assert_int_equal(policy_context_get(ctx, key, &v, &n, NULL), i % 3 == 0);
        }
        /* Down to a few keys (no index), and up again. */
        for (int i = 3; i < 190; i += 3) {
                snprintf(key, sizeof(key), "svc:Key%d", i);
                policy_context_unset(ctx, key);
        }
        assert_true(policy_context_get(ctx, "svc:key195", &v, &n, NULL));
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "other:k%d", i);
                assert_int_equal(policy_context_set(ctx, key, "x", false), 0);
        }
        assert_true(policy_context_get(ctx, "OTHER:K39", &v, &n, NULL));
        assert_true(policy_context_get(ctx, "svc:key198", &v, &n, NULL));
        assert_false(policy_context_get(ctx, "svc:key3", &v, &n, NULL));
        /* A condition sees them too. */
        assert_int_equal(eval_ctx("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                                  "\"Action\":\"*\","
                                  "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"Other:"
                                  "K17\":\"x\"}}}}",
                                  "a:b", "*", ctx),
                         ALLOW);
        policy_context_free(ctx);
}

/* @n_values values of key "k": @vlen bytes of @fill repeated; @at (if not NULL) written at @off of
 * the last. */
static PolicyContext *ctx_values(size_t n_values, size_t vlen, char fill, const char *at,
                                 size_t off)
{
        PolicyContext *ctx;
        char *v = malloc(vlen + 1);

        assert_int_equal(policy_context_new(&ctx), 0);
        memset(v, fill, vlen);
        v[vlen] = '\0';
        for (size_t i = 0; i < n_values; i++) {
                if (at && i + 1 == n_values)
                        memcpy(v + off, at, strlen(at));
                assert_int_equal(policy_context_set(ctx, "k", v, true), 0);
        }
        free(v);
        return ctx;
}

/* Evaluate @json for any action on any resource; the decision, and the return in *rp. */
static PolicyDecision eval_work(const char *json, const PolicyContext *ctx, int *rp)
{
        Policy *p = parse_ok(json);
        PolicyResult res = { .decision = POLICY_ALLOW };
        const Policy *ps[] = { p };

        *rp = policy_evaluate(ps, 1, NULL, "svc:Act", "arn:aws:svc:::x", ctx, &res);
        if (*rp == POLICY_E_WORK_LIMIT) {
                assert_int_equal(res.policy, POLICY_INDEX_NONE);
                assert_int_equal(res.statement, -1);
        }
        policy_free(p);
        return res.decision;
}

/*
 * The work one decision may take (POLICY_WORK_MAX). What no single pattern
 * costs but their number does (thousands of patterns against the largest
 * context) is refused, and a refusal is a deny, also where the statement the
 * meter cut short was a Deny that would have matched. Hostile single patterns
 * (a long `?` segment, many star-separated segments) against the largest
 * context are decided exactly, either way, and so is a policy of the most
 * statements against a context of ordinary values.
 */
static void test_work_limit(void **state)
{
        size_t size = 128 * 1024, n;
        char *doc = malloc(size);
        PolicyContext *ctx;
        int r;

        (void)state;
        /* Allow everything, unless some value is like one of 4,000 patterns (the last matches). */
        n = (size_t)snprintf(
                doc, size,
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                "\"Action\":\"*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"*\","
                "\"Resource\":\"*\",\"Condition\":{\"ForAnyValue:StringLike\":{\"k\":[");
        for (int i = 0; i < 4000; i++)
                n += (size_t)snprintf(doc + n, size - n, "\"*z%04d*\",", i);
        snprintf(doc + n, size - n, "\"*a*\"]}}}]}");
        ctx = ctx_values(60, POLICY_VALUE_MAX, 'a', NULL, 0);
        assert_int_equal(eval_work(doc, ctx, &r), IMPLICIT);
        assert_int_equal(r, POLICY_E_WORK_LIMIT);
        policy_context_free(ctx);
        /* The same policy against one short value is decided: the Deny matches. */
        ctx = ctx_of("k=xa", NULL);
        assert_int_equal(eval_work(doc, ctx, &r), DENY);
        assert_int_equal(r, 0);
        policy_context_free(ctx);

        /* `*(?a){1000}c*`: no value has a `c` after 1,000 `?a`; then one does. */
#define LIKE                                                                                       \
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","        \
        "\"Resource\":\"*\","                                                                      \
        "\"Condition\":{\"ForAnyValue:StringLike\":{\"k\":\"%s\"}}}}"
        char *pat = malloc(8192);
        n = 0;
        pat[n++] = '*';
        for (int i = 0; i < 1000; i++) {
                pat[n++] = '?';
                pat[n++] = 'a';
        }
        pat[n++] = 'c';
        pat[n++] = '*';
        pat[n] = '\0';
        snprintf(doc, size, LIKE, pat);
        ctx = ctx_values(60, POLICY_VALUE_MAX, 'a', NULL, 0);
        assert_int_equal(eval_work(doc, ctx, &r), IMPLICIT);
        assert_int_equal(r, 0);
        policy_context_free(ctx);
        ctx = ctx_values(60, POLICY_VALUE_MAX, 'a', "c", 3001);
        assert_int_equal(eval_work(doc, ctx, &r), ALLOW);
        assert_int_equal(r, 0);
        policy_context_free(ctx);
        /* `(*a{30}){60}b*`: 60 segments that each match at once, then a `b` at the very end. */
        n = 0;
        for (int k = 0; k < 60; k++) {
                pat[n++] = '*';
                memset(pat + n, 'a', 30);
                n += 30;
        }
        memcpy(pat + n, "b*", 3);
        snprintf(doc, size, LIKE, pat);
        ctx = ctx_values(60, POLICY_VALUE_MAX, 'a', NULL, 0);
        assert_int_equal(eval_work(doc, ctx, &r), IMPLICIT);
        assert_int_equal(r, 0);
        policy_context_free(ctx);
        ctx = ctx_values(60, POLICY_VALUE_MAX, 'a', "b", POLICY_VALUE_MAX - 1);
        assert_int_equal(eval_work(doc, ctx, &r), ALLOW);
        assert_int_equal(r, 0);
        policy_context_free(ctx);

        /* Principals are metered too: 8,000 group principals against 1,024 attested groups. */
        n = (size_t)snprintf(doc, size,
                             "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                             "\"Action\":\"*\",\"Principal\":{\"Local\":[");
        for (int i = 0; i < 8000; i++)
                n += (size_t)snprintf(doc + n, size - n, "%s\"group:g%04d\"", i ? "," : "", i);
        snprintf(doc + n, size - n, "]}}}");
        assert_int_equal(policy_context_new(&ctx), 0);
        for (int i = 0; i < POLICY_CONTEXT_VALUES_MAX; i++) {
                char g[16];
                snprintf(g, sizeof(g), "h%04d", i);
                assert_int_equal(policy_context_set(ctx, "roled:groups", g, true), 0);
        }
        assert_int_equal(eval_work(doc, ctx, &r), IMPLICIT);
        assert_int_equal(r, POLICY_E_WORK_LIMIT);
        policy_context_free(ctx);
        /* The same document for a caller of one group (the last principal): allowed. */
        ctx = ctx_of("roled:groups=g7999", NULL);
        assert_int_equal(eval_work(doc, ctx, &r), ALLOW);
        assert_int_equal(r, 0);
        policy_context_free(ctx);

        /* POLICY_STATEMENT_MAX statements of everyday shapes, 64 keys of 100 bytes: decided. */
        n = (size_t)snprintf(doc, size, "{\"Version\":\"2012-10-17\",\"Statement\":[");
        for (int i = 0; i < POLICY_STATEMENT_MAX; i++)
                n += (size_t)snprintf(
                        doc + n, size - n,
                        "%s{\"Effect\":\"Allow\",\"Action\":\"svc:Act\",\"Resource\":\"arn:aws:svc:"
                        "::%d*\","
                        "\"Condition\":{\"StringLike\":{\"k%d\":[\"*/x%d/*\",\"?y*\"]}}}",
                        i ? "," : "", i, i % 64, i);
        snprintf(doc + n, size - n, "]}");
        assert_true(strlen(doc) < POLICY_DOCUMENT_MAX);
        assert_int_equal(policy_context_new(&ctx), 0);
        for (int i = 0; i < 64; i++) {
                char key[16], v[101];
                snprintf(key, sizeof(key), "k%d", i);
                memset(v, 'v', 100);
                v[100] = '\0';
                assert_int_equal(policy_context_set(ctx, key, v, true), 0);
        }
        assert_int_equal(eval_work(doc, ctx, &r), IMPLICIT);
        assert_int_equal(r, 0);
        policy_context_free(ctx);
        free(pat);
        free(doc);
}

static void test_lint(void **state)
{
        const char *broad =
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\","
                "\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Sid\":\"A\",\"Effect\":\"Allow\","
                "\"NotAction\":\"iam:*\",\"NotResource\":\"arn:aws:s3:::x\"}]}";
        assert_true(lint_has(broad, POLICY_KIND_IDENTITY, "OverBroadGrant", 0));
        assert_true(lint_has(broad, POLICY_KIND_IDENTITY, "DuplicateSid", 1));
        assert_true(lint_has(broad, POLICY_KIND_IDENTITY, "AllowWithNotAction", 1));
        assert_true(lint_has(broad, POLICY_KIND_IDENTITY, "AllowWithNotResource", 1));
        assert_false(lint_has(broad, POLICY_KIND_IDENTITY, "MissingVersion", -1));
        const char *nov = "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                          "\"Resource\":\"*\"}}";
        assert_true(lint_has(nov, POLICY_KIND_AUTO, "MissingVersion", -1));
        assert_false(lint_has(nov, POLICY_KIND_AUTO, "OverBroadGrant", 0));
        const char *old = "{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                          "\"Action\":\"s3:Get*\","
                          "\"Resource\":\"arn:aws:s3:::b/${aws:username}\"}}";
        assert_true(lint_has(old, POLICY_KIND_AUTO, "OldVersion", -1));
        assert_true(lint_has(old, POLICY_KIND_AUTO, "VariableInOldVersion", 0));
        const char *ops = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                          "\"Action\":\"s3:Get*\","
                          "\"Resource\":\"*\",\"Condition\":{\"StringEqulas\":{},\"Foo\":{}}}}";
        PolicyLint *l;
        assert_int_equal(policy_lint(ops, strlen(ops), POLICY_KIND_AUTO, &l), 0);
        assert_int_equal(policy_lint_n_errors(l), 2);
        policy_lint_free(l);
        const char *pr = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                         "\"Action\":\"s3:Get*\","
                         "\"Resource\":\"*\",\"Principal\":\"*\"}}";
        assert_true(lint_has(pr, POLICY_KIND_IDENTITY, "PrincipalInIdentityPolicy", 0));
        assert_false(lint_has(pr, POLICY_KIND_AUTO, "PrincipalInIdentityPolicy", 0));
        assert_true(lint_has(nov, POLICY_KIND_TRUST, "MissingPrincipal", 0));
        const char *syn = "{\"Statement\": [}";
        assert_true(lint_has(syn, POLICY_KIND_AUTO, "SyntaxError", -1));
        const char *svc = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\","
                          "\"Action\":\"s3:Get*\","
                          "\"Resource\":\"arn:aws:s*:::b\"}}";
        assert_true(lint_has(svc, POLICY_KIND_AUTO, "WildcardInService", 0));
        const char *early =
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:"
                "Get*\","
                "\"Resource\":\"arn:aws:dynamodb:${aws:RequestedRegion}:123456789012:table/t\"}}";
        assert_true(lint_has(early, POLICY_KIND_AUTO, "VariableBeforeResourcePart", 0));
        const char *late = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                           "\"Action\":\"s3:Get*\","
                           "\"Resource\":\"arn:aws:s3:::b/${aws:username}/*\"}}";
        assert_false(lint_has(late, POLICY_KIND_AUTO, "VariableBeforeResourcePart", 0));
        assert_true(lint_has(
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Sid\":\"a-b\",\"Effect\":\"Deny\","
                "\"Action\":\"s3:Get*\",\"Resource\":\"*\"}}",
                POLICY_KIND_AUTO, "InvalidSid", 0));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_action_wildcards),
                cmocka_unit_test(test_resource_arn),
                cmocka_unit_test(test_variables),
                cmocka_unit_test(test_string_operators),
                cmocka_unit_test(test_numeric_operators),
                cmocka_unit_test(test_date_operators),
                cmocka_unit_test(test_bool_binary_null),
                cmocka_unit_test(test_ip_operators),
                cmocka_unit_test(test_arn_operators),
                cmocka_unit_test(test_if_exists),
                cmocka_unit_test(test_set_operators),
                cmocka_unit_test(test_condition_and),
                cmocka_unit_test(test_evaluation),
                cmocka_unit_test(test_not_action_resource),
                cmocka_unit_test(test_session_policy),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_context_attested),
                cmocka_unit_test(test_trust_document),
                cmocka_unit_test(test_context_limits),
                cmocka_unit_test(test_context_many_keys),
                cmocka_unit_test(test_work_limit),
                cmocka_unit_test(test_lint),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
