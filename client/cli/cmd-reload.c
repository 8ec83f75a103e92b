/* SPDX-License-Identifier: MIT */
/*
 * cmd-reload.c - `rolectl reload`: ask the agent to re-read its configuration
 * (admin only).  A broken configuration is rejected by the agent, which keeps
 * serving the old one; its file:line message is printed.
 */
#include "cli.h"
#include "cli-json.h"

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_reload(client, &c->count, err);
}

static int print(roled_client *client, const CliCall *c)
{
        (void)client;
        if (c->opts.is_json)
                return cli_print_json(
                        json_pack("{s:b, s:I}", "reloaded", 1, "roles", (json_int_t)c->count));
        printf("reloaded: %u role%s\n", c->count, c->count == 1 ? "" : "s");
        return EXIT_OK;
}

const CliCommand cli_cmd_reload = {
        .options = CLI_OPT_JSON,
        .call = call,
        .use = print,
};
