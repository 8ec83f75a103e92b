/* SPDX-License-Identifier: MIT */
/*
 * bench-policy.c - in-process policy evaluation cost: a 20-statement policy
 * with wildcards, variables and conditions, and a 500-statement policy
 * (targets: median < 2 us and < 50 us per decision). Prints median and p99 per
 * decision over a rotating mix of allowed, denied and unmatched requests.
 * Then the hostile patterns (CPU time per decision; target: a few ms at
 * most, and exact wherever the work limit allows): the StringLike pattern
 * `*` + 20,000 x `a` + `b` against a context value of POLICY_VALUE_MAX `a`s
 * (28 s against 1 MB before the matcher stopped backtracking), 60 segments of
 * 30 `a`s between stars, a segment of 1,000 `?a` pairs and a `c` between
 * stars (9.8 ms with a Shift-And search), the same against values where every
 * start fails late, and `?` + 2,047 `a`s against values with a `b` every
 * 2,047 bytes, each against a context key holding 60 such values; then
 * policies whose cost is their number of patterns (10,000 patterns, 1,000
 * statements, Unicode IgnoreCase on 4 KiB values), which the engine refuses
 * at POLICY_WORK_MAX ("refused" in the outcome column), and 2,500 conditions
 * against 256 keys.
 * Not a test: nothing here asserts on time.
 * Usage: bench-policy [ITERATIONS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-clock.h"
#include "policy.h"

static const char *const services[] = {
        "s3",  "ec2", "sqs", "sns", "dynamodb", "lambda",         "logs",      "kms",
        "iam", "sts", "rds", "ecr", "ssm",      "secretsmanager", "cloudwatch"
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

/* Statement i of a generated policy: a mix of the shapes real policies use. */
static void append_statement(char *buf, size_t size, size_t i)
{
        const char *svc = services[i % N_SERVICES];
        size_t len = strlen(buf);
        char *p = buf + len;
        size_t room = size - len;

        switch (i % 5) {
        case 0:
                snprintf(p, room,
                         "%s{\"Sid\":\"S%zu\",\"Effect\":\"Allow\",\"Action\":[\"%s:Get*\",\"%s:"
                         "List*\"],"
                         "\"Resource\":\"arn:aws:%s:*:123456789012:res%zu/*\"}",
                         i ? "," : "", i, svc, svc, svc, i);
                break;
        case 1:
                snprintf(p, room,
                         "%s{\"Sid\":\"S%zu\",\"Effect\":\"Allow\",\"Action\":\"%s:Put*\","
                         "\"Resource\":\"arn:aws:%s:::home-%zu/${aws:username}/*\","
                         "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}",
                         i ? "," : "", i, svc, svc, i);
                break;
        case 2:
                snprintf(p, room,
                         "%s{\"Sid\":\"S%zu\",\"Effect\":\"Deny\",\"Action\":\"%s:Delete*\","
                         "\"Resource\":\"*\","
                         "\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/"
                         "8\",\"192.168.0.0/16\"]}}}",
                         i ? "," : "", i, svc);
                break;
        case 3:
                snprintf(p, room,
                         "%s{\"Sid\":\"S%zu\",\"Effect\":\"Allow\",\"Action\":\"%s:Describe?tem%"
                         "zu\","
                         "\"Resource\":\"arn:aws:%s:us-east-1:123456789012:table/t%zu\","
                         "\"Condition\":{\"StringLike\":{\"aws:PrincipalTag/"
                         "team\":[\"ops*\",\"dev*\"]},"
                         "\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01T00:00:00Z\"}}}",
                         i ? "," : "", i, svc, i, svc, i);
                break;
        default:
                snprintf(p, room,
                         "%s{\"Sid\":\"S%zu\",\"Effect\":\"Allow\",\"Action\":\"%s:Invoke%zu\","
                         "\"Resource\":\"arn:aws:%s:us-east-1:123456789012:function:f%zu*\","
                         "\"Condition\":{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\","
                         "\"team\"]}}}",
                         i ? "," : "", i, svc, i, svc, i);
                break;
        }
}

static Policy *make_policy(size_t n)
{
        size_t size = 600 * n + 128;
        char *buf = malloc(size);
        Policy *p = NULL;
        PolicyError err;

        snprintf(buf, size, "{\"Version\":\"2012-10-17\",\"Statement\":[");
        for (size_t i = 0; i < n; i++)
                append_statement(buf, size, i);
        strcat(buf, "]}");
        if (policy_parse(buf, strlen(buf), "bench", &p, &err) != 0) {
                fprintf(stderr, "parse: %s (statement %d)\n", err.message, err.statement);
                exit(1);
        }
        free(buf);
        return p;
}

static void run(const char *label, const Policy *p, size_t n_stmts, size_t iters)
{
        static const char *const reqs[][2] = {
                { "s3:GetObject", "arn:aws:s3:us-east-1:123456789012:res0/a/b" }, /* allow, S0 */
                { "ec2:PutObject", "arn:aws:ec2:::home-1/alice/x" }, /* allow, S1 (variable) */
                { "sqs:DeleteQueue",
                  "arn:aws:sqs:us-east-1:123456789012:q" }, /* deny, S2 (NotIpAddress) */
                { "sns:DescribeItem3",
                  "arn:aws:sns:us-east-1:123456789012:table/t3" }, /* allow, S3 (Like, Date) */
                { "dynamodb:Invoke4",
                  "arn:aws:dynamodb:us-east-1:123456789012:function:f4x" },    /* allow, S4 */
                { "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k" }, /* implicit deny */
                { "sns:DescribeItem498",
                  "arn:aws:sns:us-east-1:123456789012:table/t498" }, /* allow in 500 only */
                { "ec2:PutObject", "arn:aws:ec2:::home-1/bob/x" },   /* implicit deny */
        };
        const size_t n_reqs = sizeof(reqs) / sizeof(reqs[0]);
        PolicyContext *ctx;
        PolicyResult res;
        const Policy *ps[] = { p };
        uint64_t *t = malloc(iters * sizeof(*t));
        size_t counts[3] = { 0 };

        policy_context_new(&ctx);
        policy_context_set(ctx, "aws:username", "alice", true);
        policy_context_set(ctx, "aws:SecureTransport", "true", true);
        policy_context_set(ctx, "aws:SourceIp", "203.0.113.9", true);
        policy_context_set(ctx, "aws:PrincipalTag/team", "ops-east", true);
        policy_context_set(ctx, "aws:CurrentTime", "2026-01-01T00:00:00Z", true);
        policy_context_set(ctx, "aws:TagKeys", "team", true);
        policy_context_set(ctx, "aws:userid", "AIDAEXAMPLE", true);
        policy_context_set(ctx, "aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice", true);

        for (size_t i = 0; i < iters / 10; i++) /* warm-up */
                policy_evaluate(ps, 1, NULL, reqs[i % n_reqs][0], reqs[i % n_reqs][1], ctx, &res);
        uint64_t start = now_ns();
        for (size_t i = 0; i < iters; i++) {
                uint64_t t0 = now_ns();
                policy_evaluate(ps, 1, NULL, reqs[i % n_reqs][0], reqs[i % n_reqs][1], ctx, &res);
                t[i] = now_ns() - t0;
                counts[res.decision]++;
        }
        uint64_t total = now_ns() - start;
        qsort(t, iters, sizeof(*t), cmp_u64);
        printf("%-28s statements=%-4zu decisions=%zu  median=%.3f us  p99=%.3f us  mean=%.3f us  "
               "(allow %zu, explicit-deny %zu, implicit-deny %zu)\n",
               label, n_stmts, iters, t[iters / 2] / 1000.0, t[iters * 99 / 100] / 1000.0,
               (double)total / (double)iters / 1000.0, counts[POLICY_ALLOW],
               counts[POLICY_EXPLICIT_DENY], counts[POLICY_IMPLICIT_DENY]);
        free(t);
        policy_context_free(ctx);
}

/*
 * A policy of @n_stmts statements, each with the condition @op on key "k"
 * against the JSON value @values, evaluated against @n_values values of
 * @vlen bytes: @fill repeated. Prints the CPU time per decision and the
 * outcome ("refused" when the engine stops at POLICY_WORK_MAX).
 */
static void run_cond(const char *label, size_t n_stmts, const char *op, const char *values,
                     size_t n_values, size_t vlen, const char *fill, size_t iters)
{
        size_t vjlen = strlen(values), size = n_stmts * (vjlen + 160) + 64;
        char *doc = malloc(size), *v = malloc(vlen + 1);
        uint64_t *t = malloc(iters * sizeof(*t));
        PolicyContext *ctx;
        PolicyResult res;
        PolicyError err;
        Policy *p;
        int r = 0;

        size_t n = (size_t)snprintf(doc, size, "{\"Version\":\"2012-10-17\",\"Statement\":[");
        for (size_t i = 0; i < n_stmts; i++)
                n += (size_t)snprintf(doc + n, size - n,
                                      "%s{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
                                      "\"Condition\":{\"%s\":{\"k\":%s}}}",
                                      i ? "," : "", op, values);
        snprintf(doc + n, size - n, "]}");
        if (policy_parse(doc, strlen(doc), "hostile", &p, &err) != 0) {
                fprintf(stderr, "%s: parse: %s\n", label, err.message);
                exit(1);
        }
        for (size_t i = 0, k = strlen(fill); i < vlen; i++)
                v[i] = fill[i % k];
        v[vlen] = '\0';
        policy_context_new(&ctx);
        for (size_t i = 0; i < n_values; i++)
                if (policy_context_set(ctx, "k", v, true) != 0) {
                        fprintf(stderr, "hostile context refused\n");
                        exit(1);
                }
        const Policy *ps[] = { p };
        /* CPU time of this thread: on a shared machine, waiting for a core is not
         * the engine's cost (the 20/500-statement rows above are wall time). */
        for (size_t i = 0; i < iters; i++) {
                uint64_t t0 = cpu_ns();
                r = policy_evaluate(ps, 1, NULL, "svc:Act", "*", ctx, &res);
                t[i] = cpu_ns() - t0;
        }
        qsort(t, iters, sizeof(*t), cmp_u64);
        printf("%-34s doc=%zuB values=%zux%zuB decisions=%zu  median=%.3f us  p99=%.3f us  "
               "max=%.3f us  "
               "(CPU time; %s)\n",
               label, strlen(doc), n_values, vlen, iters, t[iters / 2] / 1000.0,
               t[iters * 99 / 100] / 1000.0, t[iters - 1] / 1000.0,
               r == POLICY_E_WORK_LIMIT ? "refused: POLICY_WORK_MAX"
                                        : policy_decision_str(res.decision));
        free(t);
        free(v);
        free(doc);
        policy_free(p);
        policy_context_free(ctx);
}

/* One ForAnyValue:StringLike statement with pattern @pat. */
static void run_hostile(const char *label, const char *pat, size_t n_values, size_t vlen,
                        const char *fill, size_t iters)
{
        char *json = malloc(strlen(pat) + 3);

        sprintf(json, "\"%s\"", pat);
        run_cond(label, 1, "ForAnyValue:StringLike", json, n_values, vlen, fill, iters);
        free(json);
}

/*
 * Many conditions against many keys: one statement with 2,500 keys under
 * StringEqualsIfExists (a 128 KiB document; none is in the context, so every
 * one is looked up and passes), against a context of POLICY_CONTEXT_KEYS_MAX
 * keys sharing a long prefix.
 */
static void many_keys(size_t iters)
{
        size_t size = POLICY_DOCUMENT_MAX, n;
        char *doc = malloc(size), key[64];
        uint64_t *t = malloc(iters * sizeof(*t));
        PolicyContext *ctx;
        PolicyResult res;
        PolicyError err;
        Policy *p;
        int r = 0;

        n = (size_t)snprintf(
                doc, size,
                "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
                "\"Resource\":\"*\",\"Condition\":{\"StringEqualsIfExists\":{");
        for (int i = 0; i < 2500; i++)
                n += (size_t)snprintf(doc + n, size - n, "%s\"aws:PrincipalTag/absent-%04d\":\"x\"",
                                      i ? "," : "", i);
        snprintf(doc + n, size - n, "}}}}");
        if (policy_parse(doc, strlen(doc), "keys", &p, &err) != 0) {
                fprintf(stderr, "many keys: parse: %s\n", err.message);
                exit(1);
        }
        policy_context_new(&ctx);
        for (int i = 0; i < POLICY_CONTEXT_KEYS_MAX; i++) {
                snprintf(key, sizeof(key), "aws:PrincipalTag/present-%04d", i);
                policy_context_set(ctx, key, "v", true);
        }
        const Policy *ps[] = { p };
        for (size_t i = 0; i < iters; i++) {
                uint64_t t0 = cpu_ns();
                r = policy_evaluate(ps, 1, NULL, "svc:Act", "*", ctx, &res);
                t[i] = cpu_ns() - t0;
        }
        qsort(t, iters, sizeof(*t), cmp_u64);
        printf("%-34s doc=%zuB keys=%d decisions=%zu  median=%.3f us  p99=%.3f us  max=%.3f us  "
               "(CPU time; %s)\n",
               "many: 2,500 conditions, 256 keys", strlen(doc), POLICY_CONTEXT_KEYS_MAX, iters,
               t[iters / 2] / 1000.0, t[iters * 99 / 100] / 1000.0, t[iters - 1] / 1000.0,
               r == POLICY_E_WORK_LIMIT ? "refused: POLICY_WORK_MAX"
                                        : policy_decision_str(res.decision));
        free(t);
        free(doc);
        policy_free(p);
        policy_context_free(ctx);
}

static void hostile(size_t iters)
{
        size_t size = 160 * 1024;
        char *pat = malloc(size);
        size_t n = 0;

        pat[n++] = '*';
        memset(pat + n, 'a', 20000);
        n += 20000;
        pat[n++] = 'b';
        pat[n] = '\0';
        run_hostile("hostile *a{20000}b", pat, 1, POLICY_VALUE_MAX, "a", iters);
        run_hostile("hostile *a{20000}b, 60 values", pat, 60, POLICY_VALUE_MAX, "a",
                    iters / 10 ? iters / 10 : 1);
        n = 0;
        for (int k = 0; k < 60; k++) {
                pat[n++] = '*';
                memset(pat + n, 'a', 30);
                n += 30;
        }
        pat[n++] = 'b';
        pat[n++] = '*';
        pat[n] = '\0';
        run_hostile("hostile (*a{30}){60}b*", pat, 60, POLICY_VALUE_MAX, "a",
                    iters / 10 ? iters / 10 : 1);
        n = 0;
        pat[n++] = '*';
        for (int k = 0; k < 1000; k++) {
                pat[n++] = '?';
                pat[n++] = 'a';
        }
        pat[n++] = 'c';
        pat[n++] = '*';
        pat[n] = '\0';
        run_hostile("hostile *(?a){1000}c*", pat, 60, POLICY_VALUE_MAX, "a",
                    iters / 10 ? iters / 10 : 1);
        /*
         * The same pattern where every literal is common and each start fails
         * on exactly one token, late: values of `ca` pairs with one `a` in
         * 1,000 spoilt (every `c` lines up with the final `c`).
         */
        char *fill = malloc(4096);
        for (int k = 0; k < 1000; k++)
                memcpy(fill + 2 * k, k == 999 ? "cb" : "ca", 2);
        fill[2000] = '\0';
        run_hostile("hostile *(?a){1000}c*, ca", pat, 60, POLICY_VALUE_MAX, fill,
                    iters / 10 ? iters / 10 : 1);
        /* One `?`, then 2,047 `a`s, against values with a `b` every 2,047 bytes:
         * every start fits, and each fails on exactly one of its 2,047 tokens. */
        n = 0;
        pat[n++] = '*';
        pat[n++] = '?';
        memset(pat + n, 'a', 2047);
        n += 2047;
        pat[n++] = '*';
        pat[n] = '\0';
        memset(fill, 'a', 2046);
        fill[2046] = 'b';
        fill[2047] = '\0';
        run_hostile("hostile *?a{2047}*, a{2046}b", pat, 60, POLICY_VALUE_MAX, fill,
                    iters / 10 ? iters / 10 : 1);
        free(fill);

        /*
         * Work no single pattern needs, only their number: 10,000 patterns
         * `*zNNNN*` (a 128 KiB document) against 60 values of 4 KiB is
         * 600,000 subject scans; 1,000 statements of one such pattern each;
         * 30 non-ASCII values of 4 KiB under StringEqualsIgnoreCase (Unicode
         * folding). The engine stops at POLICY_WORK_MAX and refuses.
         */
        n = 0;
        pat[n++] = '[';
        for (int k = 0; k < 10000; k++)
                n += (size_t)sprintf(pat + n, "%s\"*z%04d*\"", k ? "," : "", k);
        pat[n++] = ']';
        pat[n] = '\0';
        run_cond("many: 10,000 patterns", 1, "ForAnyValue:StringLike", pat, 60, POLICY_VALUE_MAX,
                 "a", iters / 10 ? iters / 10 : 1);
        run_cond("many: 1,000 statements", 1000, "ForAnyValue:StringLike", "\"*z*\"", 60,
                 POLICY_VALUE_MAX, "a", iters / 10 ? iters / 10 : 1);
        char *big = malloc(32 * 4200 + 16);
        n = 0;
        big[n++] = '[';
        for (int k = 0; k < 30; k++) {
                n += (size_t)sprintf(big + n, "%s\"", k ? "," : "");
                for (int j = 0; j < 2047; j++)
                        n += (size_t)sprintf(big + n, "\xc3\x85");
                n += (size_t)sprintf(big + n, "%c\"", 'A' + k % 26);
        }
        big[n++] = ']';
        big[n] = '\0';
        run_cond("many: IgnoreCase 30x4 KiB", 1, "ForAnyValue:StringEqualsIgnoreCase", big, 60,
                 POLICY_VALUE_MAX - 1, "\xc3\xa5", iters / 10 ? iters / 10 : 1);
        many_keys(iters / 10 ? iters / 10 : 1);
        free(big);
        free(pat);
}

int main(int argc, char **argv)
{
        size_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
        Policy *p20 = make_policy(20), *p500 = make_policy(500);

        run("20 statements", p20, 20, iters);
        run("500 statements", p500, 500, iters / 4 ? iters / 4 : 1);

        uint64_t t0 = now_ns();
        size_t n_parse = 200;
        for (size_t i = 0; i < n_parse; i++)
                policy_free(make_policy(20));
        printf("%-28s %.3f us per parse (generation included)\n", "parse 20 statements",
               (double)(now_ns() - t0) / (double)n_parse / 1000.0);
        policy_free(p20);
        policy_free(p500);
        hostile(iters / 200 ? iters / 200 : 1);
        return 0;
}
