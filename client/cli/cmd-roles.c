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
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:b}",
                        "name", roled_role_list_name(roles, i), "description", roled_role_list_description(roles, i),
                        "arn", roled_role_list_arn(roles, i), "maxSessionDuration",
                        (json_int_t)roled_role_list_max_session_duration(roles, i), "issuer", roled_role_list_issuer(roles, i),
                        "isDefault", roled_role_list_is_default(roles, i), "assumable", roled_role_list_is_assumable(roles, i)));
        return cli_print_json(arr);
}

static void print_table(const roled_role_list *roles, size_t n)
{
        int w = 4;

        for (size_t i = 0; i < n; i++)
                if ((int)strlen(roled_role_list_name(roles, i)) > w)
                        w = (int)strlen(roled_role_list_name(roles, i));
        printf("%-*s  %-7s  %-9s  %-12s  %s\n", w, "NAME", "DEFAULT", "ASSUMABLE", "MAX DURATION",
               "DESCRIPTION");
        for (size_t i = 0; i < n; i++) {
                char dur[32];

                duration_format(roled_role_list_max_session_duration(roles, i), dur, sizeof(dur));
                printf("%-*s  %-7s  %-9s  %-12s  %s\n", w, roled_role_list_name(roles, i),
                       roled_role_list_is_default(roles, i) ? "*" : "", roled_role_list_is_assumable(roles, i) ? "yes" : "no", dur,
                       roled_role_list_description(roles, i));
        }
}

int cmd_roles(int argc, char **argv)
{
        roled_role_list *roles = NULL;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *client = NULL;
        CliOptions opts;
        roled_status st;
        size_t n = 0;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_list_roles(client, &roles, &err);
        n = roled_role_list_count(roles);
        if (st != ROLED_OK)
                r = cli_fail(&err, st);
        else if (opts.is_json)
                r = print_json(roles, n);
        else
                print_table(roles, n);
        roled_role_list_unref(roles);
        roled_error_clear(&err);
        roled_client_close(client);
        return r;
}

const CliCommand cli_cmd_roles = {
        .name = "roles",
        .run = cmd_roles,
        .summary = "list the roles you may see and assume (ListRoles)",
        .help =
"NAME\n"
"    rolectl roles - list roles\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] roles [--json]\n"
"\n"
"DESCRIPTION\n"
"    Lists the roles the caller may assume (root and the agent's user see every\n"
"    role).  DEFAULT marks the caller's default role with '*'.\n"
"\n"
"OPTIONS\n"
"    -j, --json            print a JSON array\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
