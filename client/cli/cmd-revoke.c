/* SPDX-License-Identifier: MIT */
/*
 * cmd-revoke.c - `rolectl revoke`: end the caller's sessions (all, or those of
 * one role).  Revoked local tokens stop verifying online at once.
 */
#include <getopt.h>

#include "cli.h"

static const struct option options[] = {
        { "role", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        {},
};

int cmd_revoke(int argc, char **argv)
{
        roled_client *client = NULL;
        const char *role = NULL;
        uint32_t n = 0;
        roled_status st;
        int c, r;

        while ((c = getopt_long(argc, argv, "+r:h", options, NULL)) != -1) {
                switch (c) {
                case 'r':
                        role = optarg;
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
        st = roled_revoke(client, role, &n);
        if (st != ROLED_OK)
                r = cli_fail(client, st);
        else
                printf("revoked: %u session%s\n", n, n == 1 ? "" : "s");
        roled_client_close(client);
        return r;
}

const CliCommand cli_cmd_revoke = {
        .name = "revoke",
        .run = cmd_revoke,
        .summary = "end your sessions (all, or of one role)",
        .help =
"NAME\n"
"    rolectl revoke - end sessions\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] revoke [--role ROLE]\n"
"\n"
"OPTIONS\n"
"    -r, --role ROLE       only sessions of this role\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 done; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
