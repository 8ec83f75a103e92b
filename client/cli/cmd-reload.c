/* SPDX-License-Identifier: MIT */
/*
 * cmd-reload.c - `rolectl reload`: ask the agent to re-read its configuration
 * (admin only).  A broken configuration is rejected by the agent, which keeps
 * serving the old one; its file:line message is printed.
 */
#include <getopt.h>

#include "cli.h"

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        {},
};

int cmd_reload(int argc, char **argv)
{
        roled_client *client = NULL;
        uint32_t n = 0;
        roled_status st;
        int c, r;

        while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
                if (c != 'h')
                        return cli_usage_error(argv[0], "unknown option");
                cli_print_help(cli_find_command(argv[0]), stdout);
                return EXIT_OK;
        }
        if (optind < argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_reload(client, &n);
        if (st != ROLED_OK)
                r = cli_fail(client, st);
        else
                printf("reloaded: %u role%s\n", n, n == 1 ? "" : "s");
        roled_client_close(client);
        return r;
}

const CliCommand cli_cmd_reload = {
        .name = "reload",
        .run = cmd_reload,
        .summary = "make the agent re-read its configuration (admin)",
        .help =
"NAME\n"
"    rolectl reload - re-read the agent's configuration\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] reload\n"
"\n"
"DESCRIPTION\n"
"    Only root or the agent's own user may reload.  A configuration that fails to\n"
"    load is rejected (the message names file and line) and the old one keeps serving.\n"
"\n"
"OPTIONS\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 reloaded; 1 refused or the new configuration is broken; 2 usage error;\n"
"    3 the agent cannot be reached.\n",
};
