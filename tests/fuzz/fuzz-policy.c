/* SPDX-License-Identifier: MIT */
/*
 * fuzz-policy.c - libFuzzer target for the policy engine. Three shapes of
 * input, by the first byte:
 *   '{' and anything else: a policy document, parsed, linted and evaluated
 *       against a fixed context;
 *   'S': a statement built from the bytes (any condition operator with its
 *       ForAnyValue:/ForAllValues:/IfExists forms, values and Resource ARNs
 *       with policy variables, defaults and escapes placed anywhere, also
 *       before the fifth colon) and a context whose values, sets and
 *       resource come from the bytes too, so conditions and variable
 *       expansion see what the fuzzer chooses rather than a fixed context;
 *   'D': a document, a NUL, then newline-separated context values;
 *   'G': a wildcard pattern, a NUL, then a subject, straight to glob_match().
 * Every short pattern/subject pair that reaches the wildcard matcher is also
 * checked against an exhaustive reference matcher. With FUZZ_POLICY_REPLAY it
 * also has a main() that replays files (the seed corpus) without libFuzzer,
 * so ordinary builds keep the target compiling and running (fuzz-policy-smoke).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy-internal.h"
#include "policy.h"
#include "../util/glob-ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static int fuzz_legacy(const uint8_t *data, size_t size);

static PolicyContext *fixed_context(void)
{
        static PolicyContext *ctx;
        static const char *const kv[][2] = {
                { "aws:username", "alice" },
                { "aws:userid", "AIDAEXAMPLE" },
                { "aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice" },
                { "aws:PrincipalTag/team", "ops" },
                { "aws:SourceIp", "203.0.113.7" },
                { "aws:CurrentTime", "2024-05-01T12:00:00Z" },
                { "aws:SecureTransport", "true" },
                { "aws:TagKeys", "env" },
                { "aws:TagKeys", "team" },
                { "s3:prefix", "home/alice/" },
                { "s3:max-keys", "10" },
                { "roled:uid", "1000" },
                { "roled:user", "alice" },
                { "roled:groups", "wheel" },
                { "roled:exe", "/usr/bin/backup" },
                { "roled:unit", "web.service" },
                { "k", "QmluYXJ5VmFsdWU=" },
        };
        if (!ctx) {
                if (policy_context_new(&ctx) < 0)
                        abort();
                for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
                        if (policy_context_set(ctx, kv[i][0], kv[i][1], true) != 0)
                                abort();
        }
        return ctx;
}

/* The bytes, read front to back; reads past the end give zeros. */
typedef struct Reader {
        const uint8_t *p;
        size_t n;
} Reader;

static unsigned take(Reader *rd)
{
        if (rd->n == 0)
                return 0;
        rd->n--;
        return *rd->p++;
}

/* A string of up to @max bytes (no NUL), into buf. */
static const char *take_str(Reader *rd, char *buf, size_t max)
{
        size_t n = take(rd) % (max + 1), k = 0;
        while (k < n && rd->n > 0) {
                char c = (char)take(rd);
                if (c)
                        buf[k++] = c;
        }
        buf[k] = '\0';
        return buf;
}

static const char *const ops[] = {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericLessThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateLessThan",
        "DateGreaterThan",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnLike",
        "ArnNotEquals",
        "Null",
};
static const char *const keys[] = { "k",
                                    "aws:username",
                                    "aws:TagKeys",
                                    "roled:groups",
                                    "aws:CurrentTime",
                                    "aws:SourceIp",
                                    "s3:prefix",
                                    "aws:PrincipalTag/team" };
#define N_OPS (sizeof(ops) / sizeof(ops[0]))
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* A value or pattern: fuzz text around policy variables, defaults and escapes. */
static void template(Reader *rd, char *out, size_t size)
{
        char a[64], b[64];
        const char *key = keys[take(rd) % N_KEYS];
        take_str(rd, a, 40);
        take_str(rd, b, 20);
        switch (take(rd) % 6) {
        case 0:
                snprintf(out, size, "%s", a);
                break;
        case 1:
                snprintf(out, size, "%s${%s}%s", a, key, b);
                break;
        case 2:
                snprintf(out, size, "${%s, '%s'}%s", key, b, a);
                break;
        case 3:
                snprintf(out, size, "%s${*}${?}${$}%s", a, b);
                break;
        case 4:
                snprintf(out, size, "%s*%s?", a, b);
                break;
        default:
                snprintf(out, size, "${%s}", key);
                break;
        }
}

/* Shape 'S': one statement and one context, both from the bytes. */
static void fuzz_statement(Reader *rd)
{
        static const char *const prefixes[] = { "", "ForAnyValue:", "ForAllValues:" };
        char op[96], v[256], res[320], subject[2200], tmp[64];
        json_t *cond = json_object(), *block = json_object(), *vals = json_array();
        PolicyContext *ctx;
        Policy *p = NULL;
        PolicyError err;
        PolicyResult r;

        snprintf(op, sizeof(op), "%s%s%s", prefixes[take(rd) % 3], ops[take(rd) % N_OPS],
                 take(rd) % 4 == 0 ? "IfExists" : "");
        for (unsigned i = 0, n = 1 + take(rd) % 3; i < n; i++) {
                template(rd, v, sizeof(v));
                json_array_append_new(vals, take(rd) % 8 == 0 ? json_integer((json_int_t)take(rd))
                                                              : json_string(v));
        }
        json_object_set_new(block, keys[take(rd) % N_KEYS], vals);
        json_object_set_new(cond, op, block);
        template(rd, v, sizeof(v));
        snprintf(res, sizeof(res), take(rd) % 4 ? "arn:aws:s3:::%s" : "arn:aws:%s", v);
        json_t *doc = json_pack("{s:s, s:[{s:s, s:s, s:s, s:o}]}", "Version", "2012-10-17",
                                "Statement", "Effect", take(rd) % 3 ? "Allow" : "Deny", "Action",
                                "s3:*", "Resource", res, "Condition", cond);
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!text)
                return;
        if (policy_context_new(&ctx) < 0)
                abort();
        for (size_t k = 0; k < N_KEYS; k++) {
                unsigned n = take(rd) % 4;
                if (n == 3) {
                        if (policy_context_set(ctx, keys[k], NULL, true) != 0)
                                abort();
                        n = take(rd) % 3;
                }
                for (unsigned i = 0; i < n; i++)
                        if (policy_context_set(ctx, keys[k], take_str(rd, tmp, 48), true) != 0)
                                abort();
        }
        snprintf(subject, sizeof(subject), "arn:aws:s3:::%s", take_str(rd, tmp, 48));
        if (policy_parse(text, strlen(text), "fuzz", &p, &err) == 0) {
                const Policy *ps[] = { p };
                if (policy_evaluate(ps, 1, NULL, "s3:GetObject", subject, ctx, &r) != 0)
                        abort();
                if (policy_evaluate(ps, 1, p, "s3:PutObject", "arn:aws:s3:::b/k", ctx, &r) != 0)
                        abort();
                policy_free(p);
        } else if (err.message[0] == '\0') {
                abort();
        }
        free(text);
        policy_context_free(ctx);
}

/* Valid UTF-8 only: there the matcher's character rule and the reference's agree. */
static bool is_utf8(const char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char)s[i];
                size_t k = c < 0x80                 ? 1
                           : c >= 0xc2 && c <= 0xdf ? 2
                           : c >= 0xe0 && c <= 0xef ? 3
                           : c >= 0xf0 && c <= 0xf4 ? 4
                                                    : 0;
                if (k == 0 || i + k > n)
                        return false;
                for (size_t j = 1; j < k; j++)
                        if (((unsigned char)s[i + j] & 0xc0) != 0x80)
                                return false;
                i += k;
        }
        return true;
}

/* Pattern and subject from the bytes (split at the first NUL), checked against the reference. */
static void fuzz_glob(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, 0, size);
        if (!nul)
                return;
        const char *p = (const char *)data, *s = (const char *)nul + 1;
        size_t plen = (size_t)(nul - data), slen = size - plen - 1;
        bool got = glob_match(p, plen, s, slen, NULL);
        if (plen <= 12 && slen <= 16 && is_utf8(p, plen) && is_utf8(s, slen) &&
            got != ref_match(p, plen, s, slen))
                abort();
}

/* Shape 'D': document, NUL, then context values (one per line) for the usual keys. */
static void fuzz_document_context(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, 0, size);
        size_t dlen = nul ? (size_t)(nul - data) : size;
        PolicyContext *ctx;
        Policy *p = NULL;
        PolicyError err;
        PolicyResult r;
        char v[POLICY_VALUE_MAX + 1];
        size_t k = 0;

        if (policy_parse((const char *)data, dlen, "fuzz", &p, &err) != 0)
                return;
        if (policy_context_new(&ctx) < 0)
                abort();
        for (const uint8_t *c = nul ? nul + 1 : data + size, *end = data + size; c < end; k++) {
                const uint8_t *nl = memchr(c, '\n', (size_t)(end - c));
                size_t n = (size_t)((nl ? nl : end) - c);
                if (n > POLICY_VALUE_MAX)
                        n = POLICY_VALUE_MAX;
                memcpy(v, c, n);
                v[n] = '\0';
                if (!memchr(v, 0, n)) {
                        int rr = policy_context_set(ctx, keys[k % N_KEYS], v, true);
                        if (rr != 0 && rr != -E2BIG)
                                abort();
                }
                c = nl ? nl + 1 : end;
        }
        const Policy *ps[] = { p };
        if (policy_evaluate(ps, 1, NULL, "s3:GetObject", "arn:aws:s3:::bucket/home/alice/file.txt",
                            ctx, &r) != 0)
                abort();
        policy_free(p);
        policy_context_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 0 && data[0] == 'S') {
                Reader rd = { data + 1, size - 1 };
                fuzz_statement(&rd);
                return 0;
        }
        if (size > 0 && data[0] == 'D') {
                fuzz_document_context(data + 1, size - 1);
                return 0;
        }
        if (size > 0 && data[0] == 'G') {
                fuzz_glob(data + 1, size - 1);
                return 0;
        }
        return fuzz_legacy(data, size);
}

static int fuzz_legacy(const uint8_t *data, size_t size)
{
        static const char *const req[][2] = {
                { "s3:GetObject", "arn:aws:s3:::bucket/home/alice/file.txt" },
                { "sts:AssumeRole", "arn:aws:iam::123456789012:role/app" },
                { "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1" },
                { "iam:CreateUser", "*" },
                { "x", "not-an-arn" },
        };
        const char *json = (const char *)data;
        PolicyContext *ctx = fixed_context();
        Policy *p = NULL;
        PolicyLint *lint = NULL;
        PolicyError err;
        PolicyResult res;

        if (policy_parse(json, size, "fuzz", &p, &err) == 0) {
                const Policy *ps[] = { p };
                for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
                        if (policy_evaluate(ps, 1, NULL, req[i][0], req[i][1], ctx, &res) != 0)
                                abort();
                        if (policy_evaluate(ps, 1, p, req[i][0], req[i][1], NULL, &res) != 0)
                                abort();
                        if (res.statement >= (int)policy_n_statements(p))
                                abort();
                }
                (void)policy_needs_key(p, "roled:exe-sha256");
                policy_free(p);
        } else if (err.message[0] == '\0') {
                abort(); /* every rejection says why */
        }
        if (policy_lint(json, size, POLICY_KIND_AUTO, &lint) == 0) {
                for (size_t i = 0; i < policy_lint_count(lint); i++)
                        if (!policy_lint_get(lint, i)->code)
                                abort();
                policy_lint_free(lint);
        }
        return 0;
}

#ifdef FUZZ_POLICY_REPLAY
/* Replay every file of the given directories (or files) through the target. */
static int replay(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        uint8_t *buf = malloc(POLICY_DOCUMENT_MAX * 2);
        size_t len = buf ? fread(buf, 1, POLICY_DOCUMENT_MAX * 2, f) : 0;
        fclose(f);
        if (!buf)
                return -1;
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

int main(int argc, char **argv)
{
        int n = 0;

        for (int a = 1; a < argc; a++) {
                DIR *d = opendir(argv[a]);
                if (!d) {
                        if (replay(argv[a]) < 0) {
                                perror(argv[a]);
                                return 1;
                        }
                        n++;
                        continue;
                }
                struct dirent *e;
                while ((e = readdir(d))) {
                        char path[4096];
                        if (e->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
                        if (replay(path) < 0) {
                                perror(path);
                                closedir(d);
                                return 1;
                        }
                        n++;
                }
                closedir(d);
        }
        printf("replayed %d inputs\n", n);
        return n > 0 ? 0 : 1;
}
#endif
