/* SPDX-License-Identifier: MIT */
/*
 * fuzz-policy.c - libFuzzer target for the policy engine: parse, lint, and
 * evaluate a few requests against a fixed context. With FUZZ_POLICY_REPLAY it
 * also has a main() that replays files (the seed corpus) without libFuzzer,
 * so ordinary builds keep the target compiling and running (fuzz-policy-smoke).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PolicyContext *fixed_context(void)
{
        static PolicyContext *ctx;
        static const char *const kv[][2] = {
                {"aws:username", "alice"},
                {"aws:userid", "AIDAEXAMPLE"},
                {"aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice"},
                {"aws:PrincipalTag/team", "ops"},
                {"aws:SourceIp", "203.0.113.7"},
                {"aws:CurrentTime", "2024-05-01T12:00:00Z"},
                {"aws:SecureTransport", "true"},
                {"aws:TagKeys", "env"},
                {"aws:TagKeys", "team"},
                {"s3:prefix", "home/alice/"},
                {"s3:max-keys", "10"},
                {"roled:uid", "1000"},
                {"roled:user", "alice"},
                {"roled:groups", "wheel"},
                {"roled:exe", "/usr/bin/backup"},
                {"roled:unit", "web.service"},
                {"k", "QmluYXJ5VmFsdWU="},
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const req[][2] = {
                {"s3:GetObject", "arn:aws:s3:::bucket/home/alice/file.txt"},
                {"sts:AssumeRole", "arn:aws:iam::123456789012:role/app"},
                {"ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"},
                {"iam:CreateUser", "*"},
                {"x", "not-an-arn"},
        };
        const char *json = (const char *)data;
        PolicyContext *ctx = fixed_context();
        Policy *p = NULL;
        PolicyLint *lint = NULL;
        PolicyError err;
        PolicyResult res;

        if (policy_parse(json, size, "fuzz", &p, &err) == 0) {
                const Policy *ps[] = {p};
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
