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

        size_t n_groups;
        const uint32_t *gids = roled_identity_groups(id, &n_groups);

        for (size_t i = 0; groups && i < n_groups; i++)
                json_array_append_new(groups, json_integer(gids[i]));
        o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s?}", "uid",
                      (json_int_t)roled_identity_uid(id), "user", roled_identity_user(id), "gid",
                      (json_int_t)roled_identity_gid(id), "group", roled_identity_group(id),
                      "groups", groups, "pid", (json_int_t)roled_identity_pid(id), "exe",
                      roled_identity_exe(id), "unit", roled_identity_unit(id), "cgroup",
                      roled_identity_cgroup(id), "account", roled_identity_account(id), "arn",
                      roled_identity_arn(id), "defaultRole",
                      roled_identity_default_role(id)[0] ? roled_identity_default_role(id) : NULL);
        return cli_print_json(o);
}

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_whoami(client, &c->identity, err);
}

/* print() - the JSON object, or one "key value" line per field. */
static int print(roled_client *client, const CliCall *c)
{
        const roled_identity *id = c->identity;
        size_t n_groups;
        const uint32_t *gids = roled_identity_groups(id, &n_groups);

        (void)client;
        if (c->opts.is_json)
                return print_json(id);
        printf("%-13s %u (%s)\n", "uid", roled_identity_uid(id), roled_identity_user(id));
        printf("%-13s %u (%s)\n", "gid", roled_identity_gid(id), roled_identity_group(id));
        printf("%-13s", "groups");
        for (size_t i = 0; i < n_groups; i++)
                printf("%s%u", i ? ", " : " ", gids[i]);
        /* 0: the caller is in another pid namespace than the agent's (PROTOCOL.md). */
        if (roled_identity_pid(id))
                printf("\n%-13s %u\n", "pid", roled_identity_pid(id));
        else
                printf("\n%-13s - (not in the agent's pid namespace)\n", "pid");
        printf("%-13s %s\n", "exe", roled_identity_exe(id));
        printf("%-13s %s\n", "unit", roled_identity_unit(id)[0] ? roled_identity_unit(id) : "-");
        printf("%-13s %s\n", "cgroup",
               roled_identity_cgroup(id)[0] ? roled_identity_cgroup(id) : "-");
        printf("%-13s %s\n", "account", roled_identity_account(id));
        printf("%-13s %s\n", "arn", roled_identity_arn(id));
        printf("%-13s %s\n", "default role",
               roled_identity_default_role(id)[0] ? roled_identity_default_role(id) : "(none)");
        return EXIT_OK;
}

const CliCommand cli_cmd_whoami = {
        .options = CLI_OPT_JSON,
        .call = call,
        .use = print,
};
