/* SPDX-License-Identifier: MIT */
/*
 * cmd-check.c - `rolectl check`: may role R do action A on resource X?
 * Administrators (root, or the agent's own user) ask Simulate, where every
 * context key is taken as given; anyone else obtains a session of R
 * (GetCredentials, narrowed by --session-policy) and asks Authorize with
 * that session's token, so the answer is the one a service would get for
 * that caller.  The decision and the deciding statement are the agent's.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli-json.h"

#define CONTEXT_MAX 64 /* PROTOCOL.md: at most 64 context keys (and values per key) */

static const struct option options[] = {
        { CLI_LONGOPT_ROLE },
        { "action", required_argument, NULL, 'a' },
        { "resource", required_argument, NULL, 'R' },
        { "context", required_argument, NULL, 'c' },
        { "region", required_argument, NULL, 'g' },
        { "session-policy", required_argument, NULL, 'p' },
        { "session", no_argument, NULL, 's' },
        { "as", required_argument, NULL, 'u' },
        { CLI_LONGOPT_JSON },
        { CLI_LONGOPT_HELP },
        {},
};

/* --context KEY=VALUE arguments; a repeated KEY adds a value (a multi-valued key). */
typedef struct Context {
        roled_context_entry entries[CONTEXT_MAX];
        const char *values[CONTEXT_MAX][CONTEXT_MAX];
        char *keys[CONTEXT_MAX];
        size_t n;
} Context;

static void context_deinit(Context *ctx)
{
        for (size_t i = 0; i < ctx->n; i++)
                free(ctx->keys[i]);
        ctx->n = 0;
}

/* context_add() - Return: 0, -EINVAL (no '=' or empty key), -E2BIG or -ENOMEM. */
static int context_add(Context *ctx, const char *arg)
{
        const char *eq = strchr(arg, '=');
        size_t i;

        if (!eq || eq == arg)
                return -EINVAL;
        for (i = 0; i < ctx->n; i++)
                if (strlen(ctx->keys[i]) == (size_t)(eq - arg) &&
                    !memcmp(ctx->keys[i], arg, (size_t)(eq - arg)))
                        break;
        if (i == ctx->n) {
                if (ctx->n == CONTEXT_MAX)
                        return -E2BIG;
                ctx->keys[i] = strndup(arg, (size_t)(eq - arg));
                if (!ctx->keys[i])
                        return -ENOMEM;
                ctx->entries[i] =
                        (roled_context_entry){ .key = ctx->keys[i], .values = ctx->values[i] };
                ctx->n++;
        }
        if (ctx->entries[i].n_values == CONTEXT_MAX)
                return -E2BIG;
        ctx->values[i][ctx->entries[i].n_values++] = eq + 1;
        return 0;
}

/*
 * is_admin() - may this process use Simulate?  Root may; so may the agent's
 * own user, which is the only non-root uid a trusted socket can belong to.
 */
static bool is_admin(roled_client *client)
{
        struct stat st;
        uid_t euid = geteuid();

        if (euid == 0)
                return true;
        return stat(roled_client_socket_path(client), &st) == 0 && st.st_uid == euid;
}

static int print_json(const roled_authz_result *res, const char *method)
{
        const char *sid = roled_authz_result_sid(res), *reason = roled_authz_result_reason(res);
        json_t *matched =
                roled_authz_result_has_match(res)
                        ? json_pack("{s:s, s:I, s:s?}", "policy", roled_authz_result_policy(res),
                                    "statement", (json_int_t)roled_authz_result_statement(res),
                                    "sid", sid[0] ? sid : NULL)
                        : json_null();
        json_t *o = json_pack("{s:s, s:s, s:o, s:s?, s:s}", "decision",
                              roled_decision_name(roled_authz_result_decision(res)), "role",
                              roled_authz_result_role(res), "matched", matched, "reason",
                              reason[0] ? reason : NULL, "method", method);

        return cli_print_json(o) == EXIT_OK ? 0 : -1;
}

static void print_text(const roled_authz_result *res)
{
        const char *sid = roled_authz_result_sid(res), *reason = roled_authz_result_reason(res);

        printf("%s: role %s", roled_decision_name(roled_authz_result_decision(res)),
               roled_authz_result_role(res));
        if (roled_authz_result_has_match(res)) {
                printf(", statement %u", roled_authz_result_statement(res));
                if (sid[0])
                        printf(" \"%s\"", sid);
                printf(" of %s\n", roled_authz_result_policy(res));
        } else if (reason[0]) {
                printf(": %s\n", reason);
        } else {
                printf(", no statement matched\n");
        }
}

/* ask_as_session() - Authorize with a session of @role obtained for this caller. */
static roled_status ask_as_session(roled_client *client, const char *role, const char *policy,
                                   roled_authz_request *q, roled_authz_result **resp,
                                   roled_error *err)
{
        roled_credentials *cr = NULL;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_status st;

        req.role = role;
        req.session_policy = policy;
        st = roled_get_credentials(client, &req, &cr, err);
        if (st != ROLED_OK)
                return st;
        q->session_token = roled_credentials_session_token(cr);
        q->access_key_id = roled_credentials_access_key_id(cr);
        st = roled_authorize(client, q, resp, err);
        q->session_token = NULL;
        q->access_key_id = NULL;
        roled_credentials_unref(cr);
        return st;
}

/* The question, in CliCall.data. */
typedef struct Check {
        const char *action, *resource, *region;
        const char *principal; /* --as USER */
        char *policy;          /* --session-policy, heap */
        bool is_session, use_simulate;
        Context ctx;
} Check;

/* call() - Simulate for an administrator, else Authorize as a session of the role. */
static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        Check *x = c->data;

        x->use_simulate = x->principal || (!x->is_session && is_admin(client));
        if (x->use_simulate) {
                roled_simulate_request q = ROLED_SIMULATE_REQUEST_INIT;

                q.role = c->opts.role;
                q.action = x->action;
                q.resource = x->resource;
                q.region = x->region;
                q.context = x->ctx.entries;
                q.n_context = x->ctx.n;
                q.session_policy = x->policy;
                q.principal = x->principal;
                return roled_simulate(client, &q, &c->authz, err);
        } else {
                roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;

                q.action = x->action;
                q.resource = x->resource;
                q.region = x->region;
                q.context = x->ctx.entries;
                q.n_context = x->ctx.n;
                return ask_as_session(client, c->opts.role, x->policy, &q, &c->authz, err);
        }
}

/* print() - the decision; exit 0 for allow, 1 for deny. */
static int print(roled_client *client, const CliCall *c)
{
        const Check *x = c->data;
        int r = roled_authz_result_decision(c->authz) == ROLED_DECISION_ALLOW ? EXIT_OK
                                                                              : EXIT_DENIED;

        (void)client;
        if (!c->opts.is_json)
                print_text(c->authz);
        else if (print_json(c->authz, x->use_simulate ? "Simulate" : "Authorize") < 0)
                r = EXIT_DENIED;
        return r;
}

/* parse() - the command line into @c and @x.  Return: CLI_GO_ON, or the exit code. */
static int parse(int argc, char **argv, CliCall *c, Check *x)
{
        int o, r;

        c->opts.is_json = cli_globals.is_json;
        while ((o = getopt_long(argc, argv, "+:r:a:R:c:g:p:su:jh", options, NULL)) != -1) {
                switch (o) {
                case 'a':
                        x->action = optarg;
                        break;
                case 'R':
                        x->resource = optarg;
                        break;
                case 'c':
                        r = context_add(&x->ctx, optarg);
                        if (r == -ENOMEM) {
                                cli_error("out of memory");
                                return EXIT_DENIED;
                        }
                        if (r < 0)
                                return cli_usage_error(
                                        argv[0],
                                        r == -E2BIG ? "at most %d context keys and values per key"
                                                    : "--context needs KEY=VALUE (at most %d keys)",
                                        CONTEXT_MAX);
                        break;
                case 'g':
                        x->region = optarg;
                        break;
                case 'p':
                        r = cli_read_policy("session policy", optarg, &x->policy);
                        if (r != EXIT_OK)
                                return r;
                        break;
                case 's':
                        x->is_session = true;
                        break;
                case 'u':
                        x->principal = optarg;
                        break;
                default:
                        r = cli_option(o, argv, &c->opts);
                        if (r != CLI_GO_ON)
                                return r;
                }
        }
        if (optind < argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        if (!c->opts.role || !x->action || !x->resource)
                return cli_usage_error(argv[0], "--role, --action and --resource are required");
        if (x->principal && x->is_session)
                return cli_usage_error(argv[0],
                                       "--as asks Simulate, --session Authorize: give one");
        return CLI_GO_ON;
}

static int cmd_check(int argc, char **argv)
{
        Check x = { .ctx.n = 0 };
        CliCall c = { .data = &x };
        int r = parse(argc, argv, &c, &x);

        if (r == CLI_GO_ON)
                r = cli_call(call, print, &c, NULL);
        context_deinit(&x.ctx);
        free(x.policy);
        return r;
}

const CliCommand cli_cmd_check = {
        .run = cmd_check,
};
