/* SPDX-License-Identifier: MIT */
/*
 * cmd-revoke.c - `rolectl revoke`: end the caller's sessions (all, or those of
 * one role).  Revoked local tokens stop verifying online at once.
 */
#include "cli.h"
#include "cli-json.h"

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_revoke(client, c->opts.role, &c->count, err);
}

static int print(roled_client *client, const CliCall *c)
{
        (void)client;
        if (c->opts.is_json)
                return cli_print_json(json_pack("{s:I}", "revoked", (json_int_t)c->count));
        printf("revoked: %u session%s\n", c->count, c->count == 1 ? "" : "s");
        return EXIT_OK;
}

const CliCommand cli_cmd_revoke = {
        .name = "revoke",
        .options = CLI_OPT_ROLE | CLI_OPT_JSON,
        .call = call,
        .use = print,
        .summary = "end your sessions (all, or of one role)",
        .help = "NAME\n"
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
