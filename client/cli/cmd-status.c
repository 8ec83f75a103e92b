/* SPDX-License-Identifier: MIT */
/*
 * cmd-status.c - `rolectl status`: the agent's Status (version, mode, uptime,
 * counts), as "key: value" lines or the JSON object libroled returns.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int print_lines(roled_client *client, const char *text)
{
        json_error_t err;
        json_t *o = json_loads(text, 0, &err);
        const char *key;
        json_t *v;

        if (!json_is_object(o)) {
                json_decref(o);
                cli_error("roled sent a status that is not a JSON object");
                return EXIT_UNREACHABLE;
        }
        printf("%-12s %s\n", "socket", roled_client_socket_path(client));
        json_object_foreach(o, key, v) {
                if (json_is_string(v)) {
                        printf("%-12s %s\n", key, json_string_value(v));
                } else if (json_is_integer(v) && strcmp(key, "uptime") == 0) {
                        char d[32];

                        duration_format((uint32_t)json_integer_value(v), d, sizeof(d));
                        printf("%-12s %s\n", key, d);
                } else {
                        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

                        printf("%-12s %s\n", key, s ? s : "?");
                        free(s);
                }
        }
        json_decref(o);
        return EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
        roled_client *client = NULL;
        roled_error err = ROLED_ERROR_INIT;
        CliOptions opts;
        char *text = NULL;
        roled_status st;
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON, &opts);
        if (r != CLI_GO_ON)
                return r;
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        st = roled_agent_status_json(client, &text, &err);
        if (st != ROLED_OK)
                r = cli_fail(&err, st);
        else if (opts.is_json)
                r = printf("%s\n", text) < 0 ? EXIT_DENIED : EXIT_OK;
        else
                r = print_lines(client, text);
        free(text);
        roled_error_clear(&err);
        roled_client_close(client);
        return r;
}

const CliCommand cli_cmd_status = {
        .name = "status",
        .run = cmd_status,
        .summary = "show the agent's status",
        .help =
"NAME\n"
"    rolectl status - the agent's version, mode, uptime and counters\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] status [--json]\n"
"\n"
"OPTIONS\n"
"    -j, --json            print the JSON object\n"
"    -h, --help            this text\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
