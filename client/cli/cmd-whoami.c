/* SPDX-License-Identifier: MIT */
/*
 * cmd-whoami.c - `rolectl whoami`: the identity the agent attested for this
 * process (GetCallerIdentity), as a table or JSON.
 */
#include <jansson.h>
#include <stdlib.h>

#include "cli.h"
#include "cli-json.h"

static int print_json(const roled_identity *id)
{
        json_t *o, *groups = json_array();

        for (size_t i = 0; groups && i < id->n_groups; i++)
                json_array_append_new(groups, json_integer(id->groups[i]));
        o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s?}",
                      "uid", (json_int_t)id->uid, "user", id->user, "gid", (json_int_t)id->gid,
                      "group", id->group, "groups", groups, "pid", (json_int_t)id->pid, "exe",
                      id->exe, "unit", id->unit, "cgroup", id->cgroup, "account", id->account,
                      "arn", id->arn, "defaultRole", id->default_role[0] ? id->default_role : NULL);
        return cli_print_json(o);
}

static void print_table(const roled_identity *id)
{
        printf("%-13s %u (%s)\n", "uid", id->uid, id->user);
        printf("%-13s %u (%s)\n", "gid", id->gid, id->group);
        printf("%-13s", "groups");
        for (size_t i = 0; i < id->n_groups; i++)
                printf("%s%u", i ? ", " : " ", id->groups[i]);
        printf("\n%-13s %u\n", "pid", id->pid);
        printf("%-13s %s\n", "exe", id->exe);
        printf("%-13s %s\n", "unit", id->unit[0] ? id->unit : "-");
        printf("%-13s %s\n", "cgroup", id->cgroup[0] ? id->cgroup : "-");
        printf("%-13s %s\n", "account", id->account);
        printf("%-13s %s\n", "arn", id->arn);
        printf("%-13s %s\n", "default role", id->default_role[0] ? id->default_role : "(none)");
}

int cmd_whoami(int argc, char **argv)
{
        roled_identity *id;
        roled_client *client = NULL;
        CliOptions opts;
        roled_status st;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        /* roled_identity is a few KiB; keep it off the stack. */
        id = calloc(1, sizeof(*id));
        if (!id) {
                cli_error("out of memory");
                return EXIT_DENIED;
        }
        r = cli_connect(&client);
        if (r == EXIT_OK) {
                st = roled_whoami(client, id);
                if (st != ROLED_OK)
                        r = cli_fail(client, st);
                else if (opts.is_json)
                        r = print_json(id);
                else
                        print_table(id);
                roled_client_close(client);
        }
        free(id);
        return r;
}

const CliCommand cli_cmd_whoami = {
        .name = "whoami",
        .run = cmd_whoami,
        .summary = "show the identity the agent sees (GetCallerIdentity)",
        .help =
"NAME\n"
"    rolectl whoami - the identity roled attests for this process\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] whoami [--json]\n"
"\n"
"OPTIONS\n"
"    -j, --json            print a JSON object\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
