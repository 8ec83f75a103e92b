/* SPDX-License-Identifier: MIT */
/*
 * cmd-policy.c - `rolectl policy eval` and `rolectl policy validate`: the policy
 * engine (agent/policy) driven from files, flags or a JSON-lines batch on stdin,
 * fully offline. Reading files and printing results live here; every decision
 * is the engine's.
 *
 * The context given with --context or in a batch request plays the agent's
 * part, so its values are set as attested (roled:* keys included): this is a
 * simulation of what the agent would decide for that caller.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd-policy.h"
#include "jsonspan.h"
#include "policy.h"

#define POLICY_FILES_MAX 64
#define BATCH_LINE_MAX (16 * POLICY_DOCUMENT_MAX)

static void usage(FILE *f)
{
        fputs("usage: rolectl policy eval --policy FILE [--policy FILE...] [--session-policy FILE]\n"
              "                           --action ACTION --resource RESOURCE [--context KEY=VALUE...]\n"
              "                           [--json] [--exit-status]\n"
              "       rolectl policy eval --batch   (JSON requests on stdin, one per line)\n"
              "       rolectl policy validate FILE [--json] [--trust | --identity]\n",
              f);
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
        va_list ap;
        fputs("rolectl policy: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 2;
}

/* Read a whole file (at most POLICY_DOCUMENT_MAX bytes; "-" is stdin). */
static int read_file(const char *path, char **bufp, size_t *lenp)
{
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        size_t size = POLICY_DOCUMENT_MAX + 1, len;
        char *buf;

        if (!f)
                return -errno;
        buf = malloc(size);
        if (!buf) {
                if (f != stdin)
                        fclose(f);
                return -ENOMEM;
        }
        len = fread(buf, 1, size, f);
        int r = ferror(f) ? -EIO : 0;
        if (f != stdin)
                fclose(f);
        if (r == 0 && len == size)
                r = -EFBIG;
        if (r < 0) {
                free(buf);
                return r;
        }
        *bufp = buf;
        *lenp = len;
        return 0;
}

static void format_error(char *out, size_t size, const PolicyError *err)
{
        char where[160] = "";
        if (err->line > 0)
                snprintf(where, sizeof(where), "line %d column %d: ", err->line, err->column);
        else if (err->statement >= 0)
                snprintf(where, sizeof(where), "Statement[%d]%s%s: ", err->statement, *err->field ? "." : "",
                         err->field);
        else if (*err->field)
                snprintf(where, sizeof(where), "%s: ", err->field);
        snprintf(out, size, "%s%s", where, err->message);
}

static int load_policy(const char *path, Policy **policyp)
{
        char *buf = NULL;
        size_t len;
        PolicyError err;
        char msg[512];
        int r = read_file(path, &buf, &len);

        if (r == -EFBIG)
                return die("%s: policy document larger than %d bytes", path, POLICY_DOCUMENT_MAX);
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        r = policy_parse(buf, len, path, policyp, &err);
        free(buf);
        if (r == POLICY_E_MALFORMED) {
                format_error(msg, sizeof(msg), &err);
                return die("%s: MalformedPolicyDocument: %s", path, msg);
        }
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        return 0;
}

static json_t *matched_json(const PolicyResult *res)
{
        if (res->statement < 0 && res->policy != POLICY_INDEX_SESSION)
                return json_null();
        json_t *m = json_object();
        json_object_set_new(m, "policy",
                            res->policy == POLICY_INDEX_SESSION ? json_string("session")
                                                                : json_integer(res->policy));
        json_object_set_new(m, "statement", res->statement >= 0 ? json_integer(res->statement) : json_null());
        json_object_set_new(m, "sid", res->sid ? json_string(res->sid) : json_null());
        return m;
}

static void print_human(const PolicyResult *res)
{
        const char *name = res->policy_name ? res->policy_name : "(unnamed)";

        if (res->statement >= 0) {
                printf("%s (%spolicy %s, Statement[%d]", policy_decision_str(res->decision),
                       res->policy == POLICY_INDEX_SESSION ? "session " : "", name, res->statement);
                if (res->sid)
                        printf(" \"%s\"", res->sid);
                puts(")");
        } else if (res->policy == POLICY_INDEX_SESSION) {
                printf("%s (session policy %s does not allow it)\n", policy_decision_str(res->decision), name);
        } else {
                printf("%s (no statement allows it)\n", policy_decision_str(res->decision));
        }
}

static int eval_batch(void);

static int cmd_eval(int argc, char **argv)
{
        static const struct option opts[] = {
                {"policy", required_argument, NULL, 'p'},
                {"session-policy", required_argument, NULL, 's'},
                {"action", required_argument, NULL, 'a'},
                {"resource", required_argument, NULL, 'r'},
                {"context", required_argument, NULL, 'c'},
                {"json", no_argument, NULL, 'j'},
                {"batch", no_argument, NULL, 'b'},
                {"exit-status", no_argument, NULL, 'e'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *files[POLICY_FILES_MAX], *session_file = NULL, *action = NULL, *resource = NULL;
        size_t n_files = 0;
        bool is_json = false, is_batch = false, is_exit_status = false;
        Policy *policies[POLICY_FILES_MAX] = {0}, *session = NULL;
        PolicyContext *ctx = NULL;
        PolicyResult res;
        int c, r, ret = 2;

        r = policy_context_new(&ctx);
        if (r < 0)
                return die("%s", strerror(-r));
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        if (n_files == POLICY_FILES_MAX) {
                                ret = die("at most %d --policy files", POLICY_FILES_MAX);
                                goto out;
                        }
                        files[n_files++] = optarg;
                        break;
                case 's':
                        session_file = optarg;
                        break;
                case 'a':
                        action = optarg;
                        break;
                case 'r':
                        resource = optarg;
                        break;
                case 'c': {
                        char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg) {
                                ret = die("--context %s: expected KEY=VALUE", optarg);
                                goto out;
                        }
                        *eq = '\0';
                        r = policy_context_set(ctx, optarg, eq + 1, true);
                        *eq = '=';
                        if (r != 0) {
                                ret = die("--context %s: %s", optarg, r < 0 ? strerror(-r) : "refused");
                                goto out;
                        }
                        break;
                }
                case 'j':
                        is_json = true;
                        break;
                case 'b':
                        is_batch = true;
                        break;
                case 'e':
                        is_exit_status = true;
                        break;
                case 'h':
                        usage(stdout);
                        ret = 0;
                        goto out;
                default:
                        usage(stderr);
                        goto out;
                }
        }
        if (optind < argc) {
                ret = die("unexpected argument \"%s\"", argv[optind]);
                goto out;
        }
        if (is_batch) {
                if (n_files || session_file || action || resource) {
                        ret = die("--batch takes its requests from stdin, not from flags");
                        goto out;
                }
                ret = eval_batch();
                goto out;
        }
        if (n_files == 0 || !action || !resource) {
                ret = die("eval needs --policy, --action and --resource (or --batch)");
                goto out;
        }
        for (size_t i = 0; i < n_files; i++)
                if (load_policy(files[i], &policies[i]) != 0)
                        goto out;
        if (session_file && load_policy(session_file, &session) != 0)
                goto out;
        r = policy_evaluate((const Policy *const *)policies, n_files, session, action, resource, ctx, &res);
        if (r < 0) {
                ret = die("cannot evaluate: %s", strerror(-r));
                goto out;
        }
        if (is_json) {
                json_t *o = json_object();
                json_object_set_new(o, "decision", json_string(policy_decision_str(res.decision)));
                json_object_set_new(o, "matched", matched_json(&res));
                if (res.policy_name)
                        json_object_set_new(o, "policyName", json_string(res.policy_name));
                char *s = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                if (s)
                        puts(s);
                free(s);
        } else {
                print_human(&res);
        }
        ret = is_exit_status ? (res.decision == POLICY_ALLOW ? 0 : 1) : 0;
out:
        for (size_t i = 0; i < n_files; i++)
                policy_free(policies[i]);
        policy_free(session);
        policy_context_free(ctx);
        return ret;
}

/*
 * A batch policy: a JSON object (parsed from its own text in the line, so its
 * numbers read as written), or a string holding a policy document.
 */
static int batch_policy(json_t *v, const JsonSpan *spans, const char *name, Policy **policyp, char *msg,
                        size_t size)
{
        PolicyError err;
        char *text = NULL;
        const char *doc;
        size_t len;
        int r;

        if (json_is_string(v)) {
                doc = json_string_value(v);
                len = json_string_length(v);
        } else if (json_is_object(v) && jsonspan_get(spans, v, &doc, &len)) {
                /* doc and len point into the request line. */
        } else if (json_is_object(v)) {
                text = json_dumps(v, JSON_COMPACT);
                if (!text)
                        return -ENOMEM;
                doc = text;
                len = strlen(text);
        } else {
                snprintf(msg, size, "%s: a policy must be a JSON object or a string", name);
                return POLICY_E_MALFORMED;
        }
        r = policy_parse(doc, len, name, policyp, &err);
        free(text);
        if (r == POLICY_E_MALFORMED) {
                char m[400];
                format_error(m, sizeof(m), &err);
                snprintf(msg, size, "%s: %s", name, m);
        }
        return r;
}

/*
 * One context value: a string, a number (its JSON text: 3.14 stays "3.14") or
 * a boolean. A value the engine refuses gets a message naming the limit.
 */
static int context_add(PolicyContext *ctx, const JsonSpan *spans, const char *key, json_t *v, char *msg,
                       size_t size)
{
        char buf[128];
        const char *s, *t;
        size_t len;
        int r;

        if (json_is_string(v)) {
                s = json_string_value(v);
                if (strlen(s) != json_string_length(v)) {
                        snprintf(msg, size, "context key \"%s\": values must not contain NUL", key);
                        return -EINVAL;
                }
        } else if (json_is_number(v) && jsonspan_get(spans, v, &t, &len) && len < sizeof(buf)) {
                snprintf(buf, sizeof(buf), "%.*s", (int)len, t);
                s = buf;
        } else if (json_is_integer(v)) {
                snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                s = buf;
        } else if (json_is_real(v)) {
                snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
                s = buf;
        } else if (json_is_boolean(v)) {
                s = json_is_true(v) ? "true" : "false";
        } else {
                snprintf(msg, size,
                         "context key \"%s\": values must be strings, numbers, booleans or arrays of them", key);
                return -EINVAL;
        }
        r = policy_context_set(ctx, key, s, true);
        if (r == -E2BIG) {
                if (strlen(s) > POLICY_VALUE_MAX)
                        snprintf(msg, size,
                                 "context key \"%s\": a value of %zu bytes is longer than the limit of %d bytes "
                                 "per value (POLICY_VALUE_MAX)",
                                 key, strlen(s), POLICY_VALUE_MAX);
                else
                        snprintf(msg, size,
                                 "context key \"%s\": the context holds more than %d bytes of values in all "
                                 "(POLICY_CONTEXT_BYTES_MAX)",
                                 key, POLICY_CONTEXT_BYTES_MAX);
        } else if (r != 0) {
                snprintf(msg, size, "context key \"%s\": %s", key, r < 0 ? strerror(-r) : "refused");
        }
        return r;
}

/* The request's "context": checked against the engine's documented limits first. */
static int context_load(PolicyContext *ctx, const JsonSpan *spans, json_t *jctx, char *msg, size_t size)
{
        const char *key;
        json_t *v;
        int r;

        if (json_object_size(jctx) > POLICY_CONTEXT_KEYS_MAX) {
                snprintf(msg, size, "context has %zu keys, more than the limit of %d (POLICY_CONTEXT_KEYS_MAX)",
                         json_object_size(jctx), POLICY_CONTEXT_KEYS_MAX);
                return -E2BIG;
        }
        json_object_foreach(jctx, key, v) {
                if (!*key) {
                        snprintf(msg, size, "context keys must not be empty");
                        return -EINVAL;
                }
                if (!json_is_array(v)) {
                        r = context_add(ctx, spans, key, v, msg, size);
                        if (r != 0)
                                return r;
                        continue;
                }
                if (json_array_size(v) > POLICY_CONTEXT_VALUES_MAX) {
                        snprintf(msg, size,
                                 "context key \"%s\" has %zu values, more than the limit of %d per key "
                                 "(POLICY_CONTEXT_VALUES_MAX)",
                                 key, json_array_size(v), POLICY_CONTEXT_VALUES_MAX);
                        return -E2BIG;
                }
                /* An array is a set, even of one value (a multivalued key). */
                r = policy_context_set(ctx, key, NULL, true);
                if (r != 0) {
                        snprintf(msg, size, "context key \"%s\": %s", key, r < 0 ? strerror(-r) : "refused");
                        return r;
                }
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        r = context_add(ctx, spans, key, e, msg, size);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* Evaluate one batch request into @out (which already holds "id"). */
static void batch_one(json_t *req, const JsonSpan *spans, json_t *out)
{
        const char *code = "InvalidParameterValue";
        char msg[512] = "";
        Policy *policies[POLICY_FILES_MAX] = {0}, *session = NULL;
        PolicyContext *ctx = NULL;
        size_t n = 0;
        PolicyResult res;
        json_t *v, *jctx = json_object_get(req, "context");
        int r;

        json_t *jpol = json_object_get(req, "policies");
        json_t *jact = json_object_get(req, "action"), *jres = json_object_get(req, "resource");
        if (!json_is_array(jpol) || json_array_size(jpol) > POLICY_FILES_MAX) {
                snprintf(msg, sizeof(msg), "\"policies\" must be an array of at most %d policies", POLICY_FILES_MAX);
                goto error;
        }
        if (!json_is_string(jact) || !json_is_string(jres)) {
                snprintf(msg, sizeof(msg), "\"action\" and \"resource\" must be strings");
                goto error;
        }
        if (json_string_length(jact) > POLICY_ACTION_MAX || json_string_length(jres) > POLICY_RESOURCE_MAX) {
                snprintf(msg, sizeof(msg),
                         "\"action\" may have at most %d bytes (POLICY_ACTION_MAX) and \"resource\" at most %d "
                         "(POLICY_RESOURCE_MAX)",
                         POLICY_ACTION_MAX, POLICY_RESOURCE_MAX);
                goto error;
        }
        if (jctx && !json_is_object(jctx)) {
                snprintf(msg, sizeof(msg), "\"context\" must be an object");
                goto error;
        }
        if (policy_context_new(&ctx) < 0) {
                snprintf(msg, sizeof(msg), "out of memory");
                goto error;
        }
        if (jctx && context_load(ctx, spans, jctx, msg, sizeof(msg)) != 0)
                goto error;
        code = "MalformedPolicyDocument";
        for (n = 0; n < json_array_size(jpol); n++) {
                char name[32];
                snprintf(name, sizeof(name), "policies[%zu]", n);
                r = batch_policy(json_array_get(jpol, n), spans, name, &policies[n], msg, sizeof(msg));
                if (r != 0) {
                        if (r < 0)
                                snprintf(msg, sizeof(msg), "%s", strerror(-r));
                        goto error;
                }
        }
        v = json_object_get(req, "sessionPolicy");
        if (v && !json_is_null(v)) {
                r = batch_policy(v, spans, "sessionPolicy", &session, msg, sizeof(msg));
                if (r != 0) {
                        if (r < 0)
                                snprintf(msg, sizeof(msg), "%s", strerror(-r));
                        goto error;
                }
        }
        code = "InvalidParameterValue";
        r = policy_evaluate((const Policy *const *)policies, n, session, json_string_value(jact),
                            json_string_value(jres), ctx, &res);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "cannot evaluate: %s", strerror(-r));
                goto error;
        }
        json_object_set_new(out, "decision", json_string(policy_decision_str(res.decision)));
        json_object_set_new(out, "matched", matched_json(&res));
        goto out;
error: {
        json_t *e = json_object();
        json_object_set_new(e, "code", json_string(code));
        json_object_set_new(e, "message", json_string(msg));
        json_object_set_new(out, "error", e);
}
out:
        for (size_t i = 0; i < n; i++)
                policy_free(policies[i]);
        policy_free(session);
        policy_context_free(ctx);
}

/*
 * The "id" of a request line that is not valid JSON, if it can still be read:
 * a member "id" of the outer object, before the point where the line breaks,
 * whose value parses on its own. NULL otherwise.
 */
static json_t *recover_id(const char *line, size_t len)
{
        int depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = line[i];
                if (c == '{' || c == '[') {
                        depth++;
                } else if (c == '}' || c == ']') {
                        depth--;
                } else if (c == '"') {
                        size_t start = i;
                        for (i++; i < len && line[i] != '"'; i++)
                                if (line[i] == '\\')
                                        i++;
                        if (depth != 1 || i - start != 3 || memcmp(line + start, "\"id\"", 4) != 0)
                                continue;
                        size_t j = i + 1;
                        while (j < len && (line[j] == ' ' || line[j] == '\t'))
                                j++;
                        if (j >= len || line[j] != ':')
                                continue;
                        json_error_t jerr;
                        json_t *id = json_loadb(line + j + 1, len - j - 1,
                                                JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
                        if (id)
                                return id;
                }
        }
        return NULL;
}

/*
 * One answer per request line, in order. A line that cannot be read as a
 * request still gets its answer: an error naming the line number and, when
 * it can be recovered, the request's id.
 */
static int eval_batch(void)
{
        char *line = NULL;
        size_t size = 0;
        ssize_t len;
        long lineno = 0;
        int ret = 0;

        while ((len = getline(&line, &size, stdin)) >= 0) {
                json_error_t jerr;
                json_t *out = json_object(), *req;
                JsonSpan *spans = NULL;
                const char *why = NULL;
                char why_buf[300];

                lineno++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                if (strspn(line, " \t") == (size_t)len) {
                        json_decref(out);
                        continue;
                }
                req = len > BATCH_LINE_MAX ? NULL : json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
                if (len > BATCH_LINE_MAX) {
                        snprintf(why_buf, sizeof(why_buf), "request line of %zd bytes, the limit is %d", len,
                                 BATCH_LINE_MAX);
                        why = why_buf;
                } else if (!req) {
                        snprintf(why_buf, sizeof(why_buf), "line %ld column %d: %s", lineno, jerr.column, jerr.text);
                        why = why_buf;
                } else if (!json_is_object(req)) {
                        why = "a request must be a JSON object";
                } else if (jsonspan_new(&spans, line, (size_t)len, req) == -ENOMEM) {
                        why = "out of memory";
                }
                if (why) {
                        json_t *id = json_is_object(req) ? json_incref(json_object_get(req, "id"))
                                     : len <= BATCH_LINE_MAX ? recover_id(line, (size_t)len)
                                                             : NULL;
                        json_object_set_new(out, "id", id ? id : json_null());
                        json_object_set_new(out, "line", json_integer(lineno));
                        json_t *e = json_object();
                        json_object_set_new(e, "code", json_string("MalformedPolicyDocument"));
                        json_object_set_new(e, "message", json_string(why));
                        json_object_set_new(out, "error", e);
                } else {
                        json_t *id = json_object_get(req, "id");
                        json_object_set(out, "id", id ? id : json_null());
                        batch_one(req, spans, out);
                        if (json_object_get(out, "error"))
                                json_object_set_new(out, "line", json_integer(lineno));
                }
                jsonspan_free(spans);
                json_decref(req);
                char *s = json_dumps(out, JSON_COMPACT);
                json_decref(out);
                if (!s || puts(s) == EOF)
                        ret = 2;
                free(s);
                if (ret)
                        break;
                /* Answers are buffered while more requests are waiting, and flushed
                 * before reading would block, so a client that sends one request
                 * at a time still gets each answer at once. */
                struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
                if (poll(&pfd, 1, 0) == 0 && fflush(stdout) == EOF)
                        ret = 2;
        }
        if (fflush(stdout) == EOF)
                ret = 2;
        if (ferror(stdin))
                ret = die("reading stdin: %s", strerror(errno));
        free(line);
        return ret;
}

static const char *severity_str(PolicySeverity s)
{
        return s == POLICY_ERROR ? "error" : "warning";
}

static int cmd_validate(int argc, char **argv)
{
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"trust", no_argument, NULL, 't'},
                {"identity", no_argument, NULL, 'i'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        PolicyKind kind = POLICY_KIND_AUTO;
        bool is_json = false;
        PolicyLint *lint = NULL;
        char *buf = NULL;
        size_t len, n_err;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        is_json = true;
                        break;
                case 't':
                        kind = POLICY_KIND_TRUST;
                        break;
                case 'i':
                        kind = POLICY_KIND_IDENTITY;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind + 1 != argc)
                return die("validate needs exactly one FILE");
        const char *path = argv[optind];
        r = read_file(path, &buf, &len);
        if (r == -EFBIG)
                return die("%s: policy document larger than %d bytes", path, POLICY_DOCUMENT_MAX);
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        r = policy_lint(buf, len, kind, &lint);
        free(buf);
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        n_err = policy_lint_n_errors(lint);
        if (is_json) {
                json_t *o = json_object(), *arr = json_array();
                for (size_t i = 0; i < policy_lint_count(lint); i++) {
                        const PolicyFinding *f = policy_lint_get(lint, i);
                        json_t *jf = json_object();
                        json_object_set_new(jf, "severity", json_string(severity_str(f->severity)));
                        json_object_set_new(jf, "code", json_string(f->code));
                        json_object_set_new(jf, "statement", f->statement >= 0 ? json_integer(f->statement) : json_null());
                        json_object_set_new(jf, "field", json_string(f->field));
                        if (f->line > 0) {
                                json_object_set_new(jf, "line", json_integer(f->line));
                                json_object_set_new(jf, "column", json_integer(f->column));
                        }
                        json_object_set_new(jf, "message", json_string(f->message));
                        json_array_append_new(arr, jf);
                }
                json_object_set_new(o, "file", json_string(path));
                json_object_set_new(o, "valid", json_boolean(n_err == 0));
                json_object_set_new(o, "errors", json_integer((json_int_t)n_err));
                json_object_set_new(o, "warnings", json_integer((json_int_t)(policy_lint_count(lint) - n_err)));
                json_object_set_new(o, "findings", arr);
                char *s = json_dumps(o, JSON_COMPACT);
                json_decref(o);
                if (s)
                        puts(s);
                free(s);
        } else {
                for (size_t i = 0; i < policy_lint_count(lint); i++) {
                        const PolicyFinding *f = policy_lint_get(lint, i);
                        printf("%s:", path);
                        if (f->line > 0)
                                printf("%d:%d:", f->line, f->column);
                        if (f->statement >= 0)
                                printf(" Statement[%d]%s%s:", f->statement, *f->field ? "." : "", f->field);
                        else if (*f->field)
                                printf(" %s:", f->field);
                        printf(" %s: %s: %s\n", severity_str(f->severity), f->code, f->message);
                }
                printf("%s: %zu error(s), %zu warning(s)\n", path, n_err, policy_lint_count(lint) - n_err);
        }
        policy_lint_free(lint);
        return n_err ? 1 : 0;
}

int cmd_policy(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (strcmp(argv[1], "eval") == 0)
                return cmd_eval(argc - 1, argv + 1);
        if (strcmp(argv[1], "validate") == 0)
                return cmd_validate(argc - 1, argv + 1);
        return die("unknown command \"%s\" (eval, validate)", argv[1]);
}
