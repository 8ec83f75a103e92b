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

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_agent_status_json(client, &c->text, err);
}

/* print() - the JSON object as it came, or "key value" lines with the socket first. */
static int print(roled_client *client, const CliCall *c)
{
        json_t *o;
        const char *key;
        json_t *v;

        if (c->opts.is_json)
                return printf("%s\n", c->text) < 0 ? EXIT_DENIED : EXIT_OK;
        o = json_loads(c->text, 0, NULL);
        if (!json_is_object(o)) {
                json_decref(o);
                cli_error("roled sent a status that is not a JSON object");
                return EXIT_UNREACHABLE;
        }
        printf("%-12s %s\n", "socket", roled_client_socket_path(client));
        json_object_foreach(o, key, v)
        {
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

const CliCommand cli_cmd_status = {
        .options = CLI_OPT_JSON,
        .call = call,
        .use = print,
};
