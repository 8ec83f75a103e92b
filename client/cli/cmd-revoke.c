/* SPDX-License-Identifier: MIT */
/*
 * cmd-revoke.c - `rolectl revoke`: end the caller's sessions (all, or those of
 * one role).  Revoked local tokens stop verifying online at once.
 */
#include "cli.h"
#include "cli-json.h"

int cmd_revoke(int argc, char **argv)
{
        roled_client *client = NULL;
        roled_error err = ROLED_ERROR_INIT;
        CliOptions opts;
        uint32_t n = 0;
        roled_status st;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_ROLE | CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_revoke(client, opts.role, &n, &err);
        if (st != ROLED_OK)
                r = cli_fail(&err, st);
        else if (opts.is_json)
                r = cli_print_json(json_pack("{s:I}", "revoked", (json_int_t)n));
        else
                printf("revoked: %u session%s\n", n, n == 1 ? "" : "s");
        roled_error_clear(&err);
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
"    rolectl [--socket PATH] revoke [--role ROLE] [--json]\n"
"\n"
"OPTIONS\n"
"    -r, --role ROLE       only sessions of this role\n"
"    -j, --json            print {\"revoked\": N}\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 done; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
