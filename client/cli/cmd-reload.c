/* SPDX-License-Identifier: MIT */
/*
 * cmd-reload.c - `rolectl reload`: ask the agent to re-read its configuration
 * (admin only).  A broken configuration is rejected by the agent, which keeps
 * serving the old one; its file:line message is printed.
 */
#include "cli.h"
#include "cli-json.h"

int cmd_reload(int argc, char **argv)
{
        roled_client *client = NULL;
        roled_error err = ROLED_ERROR_INIT;
        uint32_t n = 0;
        roled_status st;
        CliOptions opts;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_reload(client, &n, &err);
        if (st != ROLED_OK)
                r = cli_fail(&err, st);
        else if (opts.is_json)
                r = cli_print_json(json_pack("{s:b, s:I}", "reloaded", 1, "roles", (json_int_t)n));
        else
                printf("reloaded: %u role%s\n", n, n == 1 ? "" : "s");
        roled_error_clear(&err);
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
"    rolectl [--socket PATH] reload [--json]\n"
"\n"
"DESCRIPTION\n"
"    Only root or the agent's own user may reload.  A configuration that fails to\n"
"    load is rejected (the message names file and line) and the old one keeps serving.\n"
"\n"
"OPTIONS\n"
"    -j, --json            print {\"reloaded\": true, \"roles\": N}\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 reloaded; 1 refused or the new configuration is broken; 2 usage error;\n"
"    3 the agent cannot be reached.\n",
};
