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

int cmd_exec(int argc, char **argv)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_credentials *creds = NULL;
        CliOptions opts;
        int r;

        /* Everything after the first operand is CMD's, options included. */
        r = cli_parse_options(argc, argv, CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_OPERANDS, &opts);
        if (r != CLI_GO_ON)
                return r;
        if (optind >= argc)
                return cli_usage_error(argv[0], "no command given");
        req.role = opts.role;
        req.duration_seconds = opts.duration_seconds;
        r = cli_get_credentials(&req, &creds);
        if (r != EXIT_OK)
                return r;
        r = set_env(creds);
        roled_credentials_unref(creds);
        if (r < 0) {
                cli_error("setting the environment: %s", strerror(-r));
                return EXIT_DENIED;
        }
        execvp(argv[optind], argv + optind);
        /* Like a shell: 127 when the command is not found, 126 when it cannot run. */
        r = errno;
        cli_error("%s: %s", argv[optind], strerror(r));
        return r == ENOENT ? 127 : 126;
}

const CliCommand cli_cmd_exec = {
        .name = "exec",
        .run = cmd_exec,
        .summary = "run a command with a role's credentials in its environment",
        .is_passthrough = true,
        .help =
"NAME\n"
"    rolectl exec - run a command with a role's credentials\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] exec [--role ROLE] [--duration D] [--] CMD [ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and\n"
"    AWS_CREDENTIAL_EXPIRATION, removes AWS_PROFILE and AWS_DEFAULT_PROFILE (which\n"
"    would override them), and executes CMD (searched in PATH).\n"
"\n"
"OPTIONS\n"
"    -r, --role ROLE       the role (default: the caller's default role)\n"
"    -d, --duration D      session lifetime, 15m..12h: 900, 15m, 1h30m (default: the agent's)\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    CMD's exit status; otherwise 1 the agent refused; 2 usage error; 3 the agent\n"
"    cannot be reached; 126 CMD cannot be executed; 127 CMD not found.\n",
};
