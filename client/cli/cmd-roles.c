/* SPDX-License-Identifier: MIT */
/*
 * cmd-roles.c - `rolectl roles`: the roles visible to the caller (ListRoles),
 * as a table (name, default mark, assumable, max duration, description) or JSON.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-json.h"

static int print_json(const roled_role_list *roles, size_t n)
{
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < n; i++)
                json_array_append_new(
                        arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:b}", "name",
                                       roled_role_list_name(roles, i), "description",
                                       roled_role_list_description(roles, i), "arn",
                                       roled_role_list_arn(roles, i), "maxSessionDuration",
                                       (json_int_t)roled_role_list_max_session_duration(roles, i),
                                       "issuer", roled_role_list_issuer(roles, i), "isDefault",
                                       roled_role_list_is_default(roles, i), "assumable",
                                       roled_role_list_is_assumable(roles, i)));
        return cli_print_json(arr);
}

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_list_roles(client, &c->roles, err);
}

/* print() - the JSON array, or a table with a column per field. */
static int print(roled_client *client, const CliCall *c)
{
        const roled_role_list *roles = c->roles;
        size_t n = roled_role_list_count(roles);
        int w = 4;

        (void)client;
        if (c->opts.is_json)
                return print_json(roles, n);
        for (size_t i = 0; i < n; i++)
                if ((int)strlen(roled_role_list_name(roles, i)) > w)
                        w = (int)strlen(roled_role_list_name(roles, i));
        printf("%-*s  %-7s  %-9s  %-12s  %s\n", w, "NAME", "DEFAULT", "ASSUMABLE", "MAX DURATION",
               "DESCRIPTION");
        for (size_t i = 0; i < n; i++) {
                char dur[32];

                duration_format(roled_role_list_max_session_duration(roles, i), dur, sizeof(dur));
                printf("%-*s  %-7s  %-9s  %-12s  %s\n", w, roled_role_list_name(roles, i),
                       roled_role_list_is_default(roles, i) ? "*" : "",
                       roled_role_list_is_assumable(roles, i) ? "yes" : "no", dur,
                       roled_role_list_description(roles, i));
        }
        return EXIT_OK;
}

const CliCommand cli_cmd_roles = {
        .options = CLI_OPT_JSON,
        .call = call,
        .use = print,
};
