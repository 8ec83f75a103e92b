/* SPDX-License-Identifier: MIT */
/*
 * cmd-policy.c - `rolectl policy eval` and `rolectl policy validate`: the policy
 * engine (agent/policy) driven from files and flags, fully offline (the
 * JSON-lines batch on stdin is policy-batch.c). Reading files and printing
 * results live here; every decision is the engine's.
 *
 * The context given with --context or in a batch request plays the agent's
 * part, so its values are set as attested (roled:* keys included): this is a
 * simulation of what the agent would decide for that caller.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd-policy.h"
#include "policy-batch.h"
#include "policy.h"

#define POLICY_FILES_MAX 64

static void usage(FILE *f)
{
        fputs("usage: rolectl policy eval --policy FILE [--policy FILE...] [--session-policy "
              "FILE]\n"
              "                           --action ACTION --resource RESOURCE [--context "
              "KEY=VALUE...]\n"
              "                           [--json] [--exit-status]\n"
              "       rolectl policy eval --batch   (JSON requests on stdin, one per line)\n"
              "       rolectl policy validate FILE [--json] [--trust | --identity]\n",
              f);
}

bool cmd_policy_is_json;

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

/* bad_option() - one line for getopt_long()'s '?' or ':' (@c; optstring starts with ':'). */
static int bad_option(int c, char **argv)
{
        const char *prev = optind > 0 ? argv[optind - 1] : "";

        if (c == ':')
                return die("option '%s' needs an argument", prev);
        if (optopt && strncmp(prev, "--", 2))
                return die("unknown option '-%c'", optopt);
        return die("unknown option '%.*s'", (int)strcspn(prev, "="), prev);
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

void cli_policy_format_error(char *out, size_t size, const PolicyError *err)
{
        char where[160] = "";
        if (err->line > 0)
                snprintf(where, sizeof(where), "line %d column %d: ", err->line, err->column);
        else if (err->statement >= 0)
                snprintf(where, sizeof(where), "Statement[%d]%s%s: ", err->statement,
                         *err->field ? "." : "", err->field);
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
                cli_policy_format_error(msg, sizeof(msg), &err);
                return die("%s: MalformedPolicyDocument: %s", path, msg);
        }
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        return 0;
}

json_t *cli_policy_matched_json(const PolicyResult *res)
{
        if (res->statement < 0 && res->policy != POLICY_INDEX_SESSION)
                return json_null();
        json_t *m = json_object();
        json_object_set_new(m, "policy",
                            res->policy == POLICY_INDEX_SESSION ? json_string("session")
                                                                : json_integer(res->policy));
        json_object_set_new(m, "statement",
                            res->statement >= 0 ? json_integer(res->statement) : json_null());
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
                printf("%s (session policy %s does not allow it)\n",
                       policy_decision_str(res->decision), name);
        } else {
                printf("%s (no statement allows it)\n", policy_decision_str(res->decision));
        }
}

static int cmd_eval(int argc, char **argv)
{
        static const struct option opts[] = {
                { "policy", required_argument, NULL, 'p' },
                { "session-policy", required_argument, NULL, 's' },
                { "action", required_argument, NULL, 'a' },
                { "resource", required_argument, NULL, 'r' },
                { "context", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "batch", no_argument, NULL, 'b' },
                { "exit-status", no_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *files[POLICY_FILES_MAX], *session_file = NULL, *action = NULL, *resource = NULL;
        size_t n_files = 0;
        bool is_json = cmd_policy_is_json, is_batch = false, is_exit_status = false;
        Policy *policies[POLICY_FILES_MAX] = { 0 }, *session = NULL;
        PolicyContext *ctx = NULL;
        PolicyResult res;
        int c, r, ret = 2;

        r = policy_context_new(&ctx);
        if (r < 0)
                return die("%s", strerror(-r));
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
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
                                if (r == -E2BIG)
                                        ret = die(
                                                "--context %s: over a limit of the engine: %d "
                                                "bytes per value "
                                                "(POLICY_VALUE_MAX), %d values per key, %d keys, "
                                                "%d bytes in all",
                                                optarg, POLICY_VALUE_MAX, POLICY_CONTEXT_VALUES_MAX,
                                                POLICY_CONTEXT_KEYS_MAX, POLICY_CONTEXT_BYTES_MAX);
                                else
                                        ret = die("--context %s: %s", optarg,
                                                  r < 0 ? strerror(-r) : "refused");
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
                        ret = bad_option(c, argv);
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
                r = policy_batch_run();
                if (r < 0)
                        ret = die("--batch: %s",
                                  r == -EIO ? "cannot write the answers" : strerror(-r));
                else
                        ret = 0;
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
        if (strlen(action) > POLICY_ACTION_MAX || strlen(resource) > POLICY_RESOURCE_MAX) {
                ret = die("--action may have at most %d bytes (POLICY_ACTION_MAX) and --resource "
                          "at most %d "
                          "(POLICY_RESOURCE_MAX)",
                          POLICY_ACTION_MAX, POLICY_RESOURCE_MAX);
                goto out;
        }
        r = policy_evaluate((const Policy *const *)policies, n_files, session, action, resource,
                            ctx, &res);
        if (r < 0) {
                ret = die("cannot evaluate: %s", strerror(-r));
                goto out;
        }
        if (r == POLICY_E_WORK_LIMIT) {
                /* Refused, never allowed: the exit status is that of a deny. */
                ret = die("EvaluationLimitExceeded: matching these policies against this request "
                          "needs more "
                          "than %d units of work (POLICY_WORK_MAX); denied without a decision",
                          POLICY_WORK_MAX);
                goto out;
        }
        if (is_json) {
                json_t *o = json_object();
                json_object_set_new(o, "decision", json_string(policy_decision_str(res.decision)));
                json_object_set_new(o, "matched", cli_policy_matched_json(&res));
                if (res.policy_name)
                        json_object_set_new(o, "policyName", json_string(res.policy_name));
                /* The style of every rolectl --json: two-space indent, keys in order (not --batch:
                 * JSON lines). */
                char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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

static const char *severity_str(PolicySeverity s)
{
        return s == POLICY_ERROR ? "error" : "warning";
}

static int cmd_validate(int argc, char **argv)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "trust", no_argument, NULL, 't' },
                { "identity", no_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        PolicyKind kind = POLICY_KIND_AUTO;
        bool is_json = cmd_policy_is_json;
        PolicyLint *lint = NULL;
        char *buf = NULL;
        size_t len, n_err;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
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
                        return bad_option(c, argv);
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
                        json_object_set_new(jf, "statement",
                                            f->statement >= 0 ? json_integer(f->statement)
                                                              : json_null());
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
                json_object_set_new(o, "warnings",
                                    json_integer((json_int_t)(policy_lint_count(lint) - n_err)));
                json_object_set_new(o, "findings", arr);
                /* The style of every rolectl --json: two-space indent, keys in order (not --batch:
                 * JSON lines). */
                char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
                                printf(" Statement[%d]%s%s:", f->statement, *f->field ? "." : "",
                                       f->field);
                        else if (*f->field)
                                printf(" %s:", f->field);
                        printf(" %s: %s: %s\n", severity_str(f->severity), f->code, f->message);
                }
                printf("%s: %zu error(s), %zu warning(s)\n", path, n_err,
                       policy_lint_count(lint) - n_err);
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
