/* SPDX-License-Identifier: MIT */
/*
 * cmd-env.c - `rolectl env`: credentials as shell `export AWS_...=...` lines
 * (for `eval "$(rolectl env)"`), or as a JSON object of the same variables.
 */
#include <jansson.h>

#include "cli.h"
#include "cli-json.h"

/* print() - export lines, or a JSON object of the same variables. */
static int print(roled_client *client, const CliCall *c)
{
        const roled_credentials *creds = c->creds;
        char iso[CIVIL_ISO8601_SIZE];
        JsonBuf out = JSON_BUF_INIT;

        (void)client;
        if (!c->opts.is_json) {
                cli_env_lines(&out, creds);
                return cli_emit(&out);
        }
        cli_format_iso(roled_credentials_expiration(creds), iso);
        return cli_emit_json(json_pack(
                "{s:s, s:s, s:s, s:s}", CLI_ENV_ACCESS_KEY, roled_credentials_access_key_id(creds),
                CLI_ENV_SECRET_KEY, roled_credentials_secret_access_key(creds), CLI_ENV_TOKEN,
                roled_credentials_session_token(creds), CLI_ENV_EXPIRATION, iso));
}

const CliCommand cli_cmd_env = {
        .name = "env",
        .options = CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_JSON,
        .call = cli_call_get_credentials,
        .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS,
        .use = print,
        .summary = "print credentials as shell export lines",
        .help = "NAME\n"
                "    rolectl env - credentials as AWS_* environment variables\n"
                "\n"
                "SYNOPSIS\n"
                "    rolectl [--socket PATH] env [--role ROLE] [--duration D] [--json]\n"
                "\n"
                "DESCRIPTION\n"
                "    Prints shell-quoted export lines for AWS_ACCESS_KEY_ID, "
                "AWS_SECRET_ACCESS_KEY,\n"
                "    AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION, for eval \"$(rolectl "
                "env)\".\n"
                "\n"
                "OPTIONS\n"
                "    -r, --role ROLE       the role (default: the caller's default role)\n"
                "    -d, --duration D      session lifetime, 15m..12h: 900, 15m, 1h30m (default: "
                "the agent's)\n"
                "    -j, --json            a JSON object of the same variables instead\n"
                "    -h, --help            this text\n"
                "\n"
                "EXIT STATUS\n"
                "    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be "
                "reached.\n",
};
