/* SPDX-License-Identifier: MIT */
/*
 * test-policy-corpus.c - run the table-driven corpora in tests/data/policy/
 * through the library. Each *.jsonl line is a `rolectl policy eval --batch`
 * request plus "expect": "allow" | "explicit-deny" | "implicit-deny" |
 * "error" (a MalformedPolicyDocument), and optionally "expectStatement" /
 * "expectPolicy" for the deciding statement. Context values are attested,
 * as the agent would set them. Lines starting with "//" are comments.
 */
#undef NDEBUG
#include <assert.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonspan.h"
#include "policy.h"

#define MAX_POLICIES 16

/* A policy given as an object is parsed from its own text in the line (numbers as written). */
static int load(json_t *v, const JsonSpan *spans, const char *name, Policy **pp, PolicyError *err)
{
        const char *t;
        size_t len;
        if (json_is_string(v))
                return policy_parse(json_string_value(v), json_string_length(v), name, pp, err);
        if (jsonspan_get(spans, v, &t, &len))
                return policy_parse(t, len, name, pp, err);
        char *s = json_dumps(v, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        int r = policy_parse(s, strlen(s), name, pp, err);
        free(s);
        return r;
}

/* Numbers are their JSON text, as `rolectl policy eval --batch` reads them. */
static int set_value(PolicyContext *ctx, const JsonSpan *spans, const char *key, json_t *v)
{
        char buf[64];
        const char *t;
        size_t len;
        if (json_is_string(v))
                return policy_context_set(ctx, key, json_string_value(v), true);
        if (json_is_number(v) && jsonspan_get(spans, v, &t, &len) && len < sizeof(buf)) {
                snprintf(buf, sizeof(buf), "%.*s", (int)len, t);
                return policy_context_set(ctx, key, buf, true);
        }
        if (json_is_boolean(v))
                return policy_context_set(ctx, key, json_is_true(v) ? "true" : "false", true);
        return -EINVAL;
}

/* Returns the outcome as a string: a decision or "error". */
static const char *run_case(json_t *c, const JsonSpan *spans, PolicyResult *res, char *msg,
                            size_t size)
{
        Policy *ps[MAX_POLICIES] = { 0 }, *session = NULL;
        PolicyContext *ctx = NULL;
        PolicyError err;
        const char *out = "error";
        json_t *pol = json_object_get(c, "policies"), *v;
        const char *key;
        size_t n = 0;
        int r;

        snprintf(msg, size, "-");
        assert(policy_context_new(&ctx) == 0);
        json_object_foreach(json_object_get(c, "context"), key, v)
        {
                if (json_is_array(v)) {
                        size_t i;
                        json_t *e;
                        assert(policy_context_set(ctx, key, NULL, true) == 0);
                        json_array_foreach(v, i, e) assert(set_value(ctx, spans, key, e) == 0);
                } else {
                        assert(set_value(ctx, spans, key, v) == 0);
                }
        }
        for (n = 0; n < json_array_size(pol) && n < MAX_POLICIES; n++) {
                r = load(json_array_get(pol, n), spans, "corpus", &ps[n], &err);
                if (r != 0) {
                        snprintf(msg, size, "policies[%zu]: %s: %s", n, err.reason, err.message);
                        goto done;
                }
        }
        v = json_object_get(c, "sessionPolicy");
        if (v && load(v, spans, "session", &session, &err) != 0) {
                snprintf(msg, size, "sessionPolicy: %s: %s", err.reason, err.message);
                goto done;
        }
        r = policy_evaluate((const Policy *const *)ps, n, session,
                            json_string_value(json_object_get(c, "action")),
                            json_string_value(json_object_get(c, "resource")), ctx, res);
        if (r == 0)
                out = policy_decision_str(res->decision);
done:
        for (size_t i = 0; i < n; i++)
                policy_free(ps[i]);
        policy_free(session);
        policy_context_free(ctx);
        return out;
}

static int run_file(const char *path, size_t *n_cases)
{
        FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t size = 0;
        int lineno = 0, failures = 0;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
        }
        ssize_t len;
        while ((len = getline(&line, &size, f)) >= 0) {
                json_error_t jerr;
                PolicyResult res = { .statement = -1 };
                char msg[512];
                lineno++;
                if (line[strspn(line, " \t\r\n")] == '\0' || strncmp(line, "//", 2) == 0)
                        continue;
                json_t *c = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
                JsonSpan *spans = NULL;
                if (!c || jsonspan_new(&spans, line, (size_t)len, c) != 0) {
                        fprintf(stderr, "%s:%d: bad corpus line: %s\n", path, lineno,
                                c ? "spans" : jerr.text);
                        failures++;
                        json_decref(c);
                        continue;
                }
                const char *expect = json_string_value(json_object_get(c, "expect"));
                const char *got = run_case(c, spans, &res, msg, sizeof(msg));
                json_t *es = json_object_get(c, "expectStatement"),
                       *ep = json_object_get(c, "expectPolicy");
                bool ok = expect && strcmp(expect, got) == 0;
                if (ok && es && res.statement != json_integer_value(es))
                        ok = false;
                if (ok && ep && res.policy != json_integer_value(ep))
                        ok = false;
                if (!ok) {
                        char *id = json_dumps(json_object_get(c, "id"), JSON_ENCODE_ANY);
                        fprintf(stderr,
                                "%s:%d: id %s: expected %s, got %s (policy %d, statement %d) %s\n",
                                path, lineno, id ? id : "?", expect ? expect : "(none)", got,
                                res.policy, res.statement, msg);
                        free(id);
                        failures++;
                }
                (*n_cases)++;
                jsonspan_free(spans);
                json_decref(c);
        }
        free(line);
        fclose(f);
        return failures;
}

int main(int argc, char **argv)
{
        size_t n_cases = 0;
        int failures = 0, n_files = 0;
        struct dirent **names;

        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        int n = scandir(argv[1], &names, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);
                if (len > 6 && strcmp(names[i]->d_name + len - 6, ".jsonl") == 0) {
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
                        failures += run_file(path, &n_cases);
                        n_files++;
                }
                free(names[i]);
        }
        free(names);
        printf("%zu cases in %d files, %d failed\n", n_cases, n_files, failures);
        return failures || n_cases == 0 ? 1 : 0;
}
