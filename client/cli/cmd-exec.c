/* SPDX-License-Identifier: MIT */
/*
 * cmd-exec.c - `rolectl exec -- CMD ARGS...`: run a command with a role's
 * credentials in its environment.  rolectl replaces itself with CMD (execvp),
 * so CMD's exit status is rolectl's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct option options[] = {
        { "role", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        {},
};

static int set_env(const roled_credentials *creds)
{
        char iso[32];

        cli_format_iso(creds->expiration, iso);
        /* A profile would make the SDKs ignore the variables we set. */
        if (unsetenv("AWS_PROFILE") < 0 || unsetenv("AWS_DEFAULT_PROFILE") < 0 ||
            setenv(CLI_ENV_ACCESS_KEY, creds->access_key_id, 1) < 0 ||
            setenv(CLI_ENV_SECRET_KEY, creds->secret_access_key, 1) < 0 ||
            setenv(CLI_ENV_TOKEN, creds->session_token, 1) < 0 ||
            setenv(CLI_ENV_EXPIRATION, iso, 1) < 0)
                return -errno;
        return 0;
}

int cmd_exec(int argc, char **argv)
{
        roled_request req = { 0 };
        roled_credentials creds = { 0 };
        roled_client *client = NULL;
        roled_status st;
        int c, r;

        while ((c = getopt_long(argc, argv, "+r:d:h", options, NULL)) != -1) {
                switch (c) {
                case 'r':
                        req.role = optarg;
                        break;
                case 'd':
                        if (cli_parse_duration(optarg, &req.duration_seconds) < 0)
                                return cli_usage_error(argv[0], "invalid duration '%s'", optarg);
                        break;
                case 'h':
                        cli_print_help(cli_find_command(argv[0]), stdout);
                        return EXIT_OK;
                default:
                        return cli_usage_error(argv[0], "unknown option");
                }
        }
        if (optind >= argc)
                return cli_usage_error(argv[0], "no command given");
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_get_credentials(client, &req, &creds);
        r = st == ROLED_OK ? EXIT_OK : cli_fail(client, st);
        roled_client_close(client);
        if (r != EXIT_OK)
                return r;
        r = set_env(&creds);
        roled_credentials_clear(&creds);
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
"    -d, --duration D      session lifetime: 900, 900s, 15m, 1h (default: the agent's)\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    CMD's exit status; otherwise 1 the agent refused; 2 usage error; 3 the agent\n"
"    cannot be reached; 126 CMD cannot be executed; 127 CMD not found.\n",
};
