/* SPDX-License-Identifier: MIT */
/*
 * cmd-revoke.c - `rolectl revoke`: end the caller's sessions (all, or those of
 * one role), or exactly one session by its id (`rolectl sessions` lists them).
 * Revoked local tokens stop verifying online at once.
 */
#include <getopt.h>

#include "cli.h"
#include "cli-json.h"

static const struct option options[] = {
        { CLI_LONGOPT_ROLE },
        { "session", required_argument, NULL, 's' },
        { CLI_LONGOPT_JSON },
        { CLI_LONGOPT_HELP },
        {},
};

/* call() - Revoke: of one session (the id in @c->data), or of the role in @c->opts (NULL: all). */
static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        roled_status st;

        if (!c->data)
                return roled_revoke(client, c->opts.role, &c->count, err);
        st = roled_revoke_session(client, c->data, err);
        c->count = st == ROLED_OK;
        return st;
}

static int print(roled_client *client, const CliCall *c)
{
        (void)client;
        if (c->opts.is_json)
                return cli_print_json(json_pack("{s:I}", "revoked", (json_int_t)c->count));
        printf("revoked: %u session%s\n", c->count, c->count == 1 ? "" : "s");
        return EXIT_OK;
}

static int cmd_revoke(int argc, char **argv)
{
        CliCall c = { .opts.is_json = cli_globals.is_json };
        int o, r;

        while ((o = getopt_long(argc, argv, "+:r:s:jh", options, NULL)) != -1) {
                switch (o) {
                case 's':
                        if (!*optarg)
                                return cli_usage_error(argv[0], "--session needs a session id");
                        c.data = optarg;
                        break;
                default:
                        r = cli_option(o, argv, &c.opts);
                        if (r != CLI_GO_ON)
                                return r;
                }
        }
        if (optind != argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        if (c.data && c.opts.role)
                return cli_usage_error(argv[0],
                                       "--session names one session: give it without --role");
        return cli_call(call, print, &c, NULL);
}

const CliCommand cli_cmd_revoke = {
        .run = cmd_revoke,
};
