/* SPDX-License-Identifier: MIT */
/*
 * cmd-env.c - `rolectl env`: credentials as shell `export AWS_...=...` lines
 * (for `eval "$(rolectl env)"`), or as a JSON object of the same variables.
 */
#include <jansson.h>

#include "cli.h"
#include "cli-json.h"

static int print_json(const roled_credentials *creds)
{
        char iso[CIVIL_ISO8601_SIZE];
        json_t *o;

        cli_format_iso(roled_credentials_expiration(creds), iso);
        o = json_pack("{s:s, s:s, s:s, s:s}", CLI_ENV_ACCESS_KEY, roled_credentials_access_key_id(creds),
                      CLI_ENV_SECRET_KEY, roled_credentials_secret_access_key(creds), CLI_ENV_TOKEN,
                      roled_credentials_session_token(creds), CLI_ENV_EXPIRATION, iso);
        return cli_emit_json(o);
}

int cmd_env(int argc, char **argv)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_credentials *creds = NULL;
        JsonBuf out = JSON_BUF_INIT;
        CliOptions opts;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        req.role = opts.role;
        req.duration_seconds = opts.duration_seconds;
        r = cli_get_credentials(&req, &creds);
        if (r != EXIT_OK)
                return r;
        if (opts.is_json) {
                r = print_json(creds);
        } else {
                cli_env_lines(&out, creds);
                r = cli_emit(&out);
        }
        roled_credentials_unref(creds);
        return r;
}

const CliCommand cli_cmd_env = {
        .name = "env",
        .run = cmd_env,
        .summary = "print credentials as shell export lines",
        .help =
"NAME\n"
"    rolectl env - credentials as AWS_* environment variables\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] env [--role ROLE] [--duration D] [--json]\n"
"\n"
"DESCRIPTION\n"
"    Prints shell-quoted export lines for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
"    AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION, for eval \"$(rolectl env)\".\n"
"\n"
"OPTIONS\n"
"    -r, --role ROLE       the role (default: the caller's default role)\n"
"    -d, --duration D      session lifetime, 15m..12h: 900, 15m, 1h30m (default: the agent's)\n"
"    -j, --json            a JSON object of the same variables instead\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
