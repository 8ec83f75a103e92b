/* SPDX-License-Identifier: MIT */
/*
 * cmd-exec.c - `rolectl exec -- CMD ARGS...`: run a command with a role's
 * credentials in its environment.  rolectl replaces itself with CMD (execvp),
 * so CMD's exit status is rolectl's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int set_env(const roled_credentials *creds)
{
        char iso[CIVIL_ISO8601_SIZE];

        cli_format_iso(roled_credentials_expiration(creds), iso);
        /* A profile would make the SDKs ignore the variables we set. */
        if (unsetenv("AWS_PROFILE") < 0 || unsetenv("AWS_DEFAULT_PROFILE") < 0 ||
            setenv(CLI_ENV_ACCESS_KEY, roled_credentials_access_key_id(creds), 1) < 0 ||
            setenv(CLI_ENV_SECRET_KEY, roled_credentials_secret_access_key(creds), 1) < 0 ||
            setenv(CLI_ENV_TOKEN, roled_credentials_session_token(creds), 1) < 0 ||
            setenv(CLI_ENV_EXPIRATION, iso, 1) < 0)
                return -errno;
        return 0;
}

/*
 * run() - replace rolectl with the command in @c's operands (libroled's
 * descriptors are close-on-exec).  Return: only on failure, the exit code.
 */
static int run(roled_client *client, const CliCall *c)
{
        int r = set_env(c->creds);

        (void)client;
        if (r < 0) {
                cli_error("setting the environment: %s", strerror(-r));
                return EXIT_DENIED;
        }
        execvp(c->operands[0], c->operands);
        /* Like a shell: 127 when the command is not found, 126 when it cannot run. */
        r = errno;
        cli_error("%s: %s", c->operands[0], strerror(r));
        return r == ENOENT ? 127 : 126;
}

const CliCommand cli_cmd_exec = {
        .is_passthrough = true,
        /* Everything after the first operand is CMD's, options included. */
        .options = CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_COMMAND,
        .call = cli_call_get_credentials,
        .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS,
        .use = run,
};
