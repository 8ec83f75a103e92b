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
        .options = CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_JSON,
        .call = cli_call_get_credentials,
        .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS,
        .use = print,
};
