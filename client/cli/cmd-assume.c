/* SPDX-License-Identifier: MIT */
/*
 * cmd-assume.c - `rolectl assume ROLE`: a fresh session for a role
 * (AssumeRole), optionally narrowed by a session policy or chained from the
 * caller's current session, printed as credential_process JSON (default),
 * full JSON, or shell export lines.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-json.h"

/* The output, kept in CliCall.count. */
enum { OUT_PROCESS, OUT_JSON, OUT_ENV };

static const struct option options[] = {
        { CLI_LONGOPT_DURATION },
        { "policy", required_argument, NULL, 'p' },
        { "session-name", required_argument, NULL, 'n' },
        { "chain", no_argument, NULL, 'c' },
        { CLI_LONGOPT_JSON },
        { "env", no_argument, NULL, 'e' },
        { CLI_LONGOPT_HELP },
        {},
};

static int print_json(const roled_credentials *cr)
{
        char iso[CIVIL_ISO8601_SIZE];
        json_t *o;

        cli_format_iso(roled_credentials_expiration(cr), iso);
        o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", 1,
                      "AccessKeyId", roled_credentials_access_key_id(cr), "SecretAccessKey",
                      roled_credentials_secret_access_key(cr), "SessionToken",
                      roled_credentials_session_token(cr), "Expiration", iso, "role",
                      roled_credentials_role(cr), "roleArn", roled_credentials_role_arn(cr),
                      "assumedRoleArn", roled_credentials_assumed_role_arn(cr), "sessionId",
                      roled_credentials_session_id(cr), "issuer", roled_credentials_issuer(cr));
        return cli_emit_json(o);
}

/* call() - AssumeRole with the request in @c->data. */
static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_assume_role(client, c->data, &c->creds, err);
}

static int print(roled_client *client, const CliCall *c)
{
        JsonBuf out = JSON_BUF_INIT;

        (void)client;
        switch (c->count) {
        case OUT_JSON:
                return print_json(c->creds);
        case OUT_ENV:
                cli_env_lines(&out, c->creds);
                return cli_emit(&out);
        default:
                cli_credential_process_json(&out, c->creds);
                return cli_emit(&out);
        }
}

static int cmd_assume(int argc, char **argv)
{
        _cleanup_free_ char *policy = NULL;
        roled_assume_role_request req = ROLED_ASSUME_ROLE_REQUEST_INIT;
        CliCall c = { .data = &req, .count = cli_globals.is_json ? OUT_JSON : OUT_PROCESS };
        roled_status st = ROLED_OK;
        int r, o;

        while ((o = getopt_long(argc, argv, ":d:p:n:cjeh", options, NULL)) != -1) {
                switch (o) {
                case 'p':
                        r = cli_read_policy("policy", optarg, &policy);
                        if (r != EXIT_OK)
                                return r;
                        break;
                case 'n':
                        req.session_name = optarg;
                        break;
                case 'c':
                        req.source_token = getenv(CLI_ENV_TOKEN);
                        if (!req.source_token || !*req.source_token)
                                return cli_usage_error(argv[0], "--chain needs $%s", CLI_ENV_TOKEN);
                        break;
                case 'j':
                        c.count = OUT_JSON;
                        break;
                case 'e':
                        c.count = OUT_ENV;
                        break;
                default:
                        r = cli_option(o, argv, &c.opts);
                        if (r != CLI_GO_ON)
                                return r;
                }
        }
        if (optind != argc - 1)
                return cli_usage_error(argv[0],
                                       optind >= argc ? "no role given" : "too many arguments");
        req.role = argv[optind];
        req.duration_seconds = c.opts.duration_seconds;
        req.session_policy = policy;
        c.timeout_ms = CLI_UPSTREAM_TIMEOUT_MS;
        r = cli_call(call, print, &c, &st);
        /* As cli_run() does for the others: a duration over the role's maximum is a usage error. */
        if (st == ROLED_E_INVALID_PARAMETER_VALUE && req.duration_seconds)
                r = EXIT_USAGE;
        return r;
}

const CliCommand cli_cmd_assume = {
        .run = cmd_assume,
};
