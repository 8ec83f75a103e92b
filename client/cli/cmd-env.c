/* SPDX-License-Identifier: MIT */
/*
 * cmd-env.c - `rolectl env`: credentials as shell `export AWS_...=...` lines
 * (for `eval "$(rolectl env)"`), or as a JSON object of the same variables.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "cli.h"

static const struct option options[] = {
        { "role", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        {},
};

static int print_json(const roled_credentials *creds)
{
        char iso[32];
        json_t *o;
        char *text;
        int r;

        cli_format_iso(creds->expiration, iso);
        o = json_pack("{s:s, s:s, s:s, s:s}", CLI_ENV_ACCESS_KEY, creds->access_key_id,
                      CLI_ENV_SECRET_KEY, creds->secret_access_key, CLI_ENV_TOKEN,
                      creds->session_token, CLI_ENV_EXPIRATION, iso);
        text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (!text) {
                cli_error("out of memory");
                return EXIT_DENIED;
        }
        r = cli_write_all(STDOUT_FILENO, text, strlen(text));
        if (r == 0)
                r = cli_write_all(STDOUT_FILENO, "\n", 1);
        explicit_bzero(text, strlen(text));
        free(text);
        if (r < 0) {
                cli_error("writing to standard output: %s", strerror(-r));
                return EXIT_DENIED;
        }
        return EXIT_OK;
}

int cmd_env(int argc, char **argv)
{
        roled_request req = { 0 };
        roled_credentials creds = { 0 };
        JsonBuf out = JSON_BUF_INIT;
        roled_client *client = NULL;
        bool is_json = false;
        roled_status st;
        int c, r;

        while ((c = getopt_long(argc, argv, "+r:d:jh", options, NULL)) != -1) {
                switch (c) {
                case 'r':
                        req.role = optarg;
                        break;
                case 'd':
                        if (cli_parse_duration(optarg, &req.duration_seconds) < 0)
                                return cli_usage_error(argv[0], "invalid duration '%s'", optarg);
                        break;
                case 'j':
                        is_json = true;
                        break;
                case 'h':
                        cli_print_help(cli_find_command(argv[0]), stdout);
                        return EXIT_OK;
                default:
                        return cli_usage_error(argv[0], "unknown option");
                }
        }
        if (optind < argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_get_credentials(client, &req, &creds);
        r = st == ROLED_OK ? EXIT_OK : cli_fail(client, st);
        roled_client_close(client);
        if (r != EXIT_OK)
                return r;
        if (is_json) {
                r = print_json(&creds);
        } else {
                cli_env_lines(&out, &creds);
                r = cli_emit(&out);
        }
        roled_credentials_clear(&creds);
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
"    -d, --duration D      session lifetime: 900, 900s, 15m, 1h (default: the agent's)\n"
"    -j, --json            a JSON object of the same variables instead\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
