/* SPDX-License-Identifier: MIT */
/*
 * cmd-sessions.c - `rolectl sessions`: the live sessions the caller may see
 * (ListSessions): their own, or for root and the agent's user everyone's (or
 * one user's), as a table or JSON.  Never a secret: the agent sends none.
 * Ending one is `rolectl revoke --session ID` (cmd-revoke.c).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-json.h"

static const struct option options[] = {
        { CLI_LONGOPT_ROLE },
        { "user", required_argument, NULL, 'u' },
        { CLI_LONGOPT_JSON },
        { CLI_LONGOPT_HELP },
        {},
};

/*
 * --user: a numeric uid asks the agent for that uid only; a name filters the
 * listing by the names the agent attested (rolectl is linked statically and
 * does no passwd lookups of its own).
 */
static bool parse_uid(const char *s, uint32_t *uidp)
{
        char *end;
        unsigned long v;

        if (!*s || s[0] < '0' || s[0] > '9')
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (*end || errno || v >= UINT32_MAX)
                return false;
        *uidp = (uint32_t)v;
        return true;
}

/* The entries to show: all, or those of user name @name. */
static bool shown(const roled_session_list *l, size_t i, const char *name)
{
        return !name || streq(roled_session_list_user(l, i), name);
}

static int print_json(const roled_session_list *l, const char *name)
{
        json_t *arr = json_array();
        size_t n = roled_session_list_count(l);

        for (size_t i = 0; arr && i < n; i++) {
                char iat[CIVIL_ISO8601_SIZE], exp[CIVIL_ISO8601_SIZE];

                if (!shown(l, i, name))
                        continue;
                cli_format_iso(roled_session_list_issued(l, i), iat);
                cli_format_iso(roled_session_list_expiration(l, i), exp);
                json_array_append_new(
                        arr,
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "sessionId",
                                  roled_session_list_session_id(l, i), "accessKeyId",
                                  roled_session_list_access_key_id(l, i), "role",
                                  roled_session_list_role(l, i), "assumedRoleArn",
                                  roled_session_list_assumed_role_arn(l, i), "issuer",
                                  roled_session_list_issuer(l, i), "kind",
                                  roled_session_list_kind(l, i), "uid",
                                  (json_int_t)roled_session_list_uid(l, i), "user",
                                  roled_session_list_user(l, i), "issued", iat, "expires", exp));
        }
        return cli_print_json(arr);
}

static void print_table(const roled_session_list *l, const char *name)
{
        size_t n = roled_session_list_count(l);
        int64_t now = (int64_t)time(NULL);
        int wr = 4, wu = 4;

        for (size_t i = 0; i < n; i++) {
                int a = (int)strlen(roled_session_list_role(l, i));
                int b = (int)strlen(roled_session_list_user(l, i));

                wr = a > wr ? a : wr;
                wu = b > wu ? b : wu;
        }
        printf("%-32s  %-*s  %-*s  %-20s  %-7s  %-20s  %s\n", "SESSION ID", wu, "USER", wr, "ROLE",
               "ACCESS KEY ID", "KIND", "EXPIRES", "LEFT");
        for (size_t i = 0; i < n; i++) {
                int64_t left = (int64_t)roled_session_list_expiration(l, i) - now;
                char exp[CIVIL_ISO8601_SIZE], rest[32] = "expired";

                if (!shown(l, i, name))
                        continue;
                cli_format_iso(roled_session_list_expiration(l, i), exp);
                if (left > 0)
                        duration_format((uint32_t)(left > UINT32_MAX ? UINT32_MAX : left), rest,
                                        sizeof(rest));
                printf("%-32s  %-*s  %-*s  %-20s  %-7s  %-20s  %s\n",
                       roled_session_list_session_id(l, i), wu, roled_session_list_user(l, i), wr,
                       roled_session_list_role(l, i), roled_session_list_access_key_id(l, i),
                       roled_session_list_kind(l, i), exp, rest);
        }
}

/* What the command asks: the request, and a user name to filter the listing by. */
typedef struct Ask {
        roled_sessions_request req;
        const char *name;
} Ask;

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_list_sessions(client, &((Ask *)c->data)->req, &c->sessions, err);
}

static int print(roled_client *client, const CliCall *c)
{
        const Ask *ask = c->data;

        (void)client;
        if (c->opts.is_json)
                return print_json(c->sessions, ask->name);
        print_table(c->sessions, ask->name);
        return EXIT_OK;
}

static int cmd_sessions(int argc, char **argv)
{
        Ask ask = { .req = ROLED_SESSIONS_REQUEST_INIT };
        CliCall c = { .data = &ask, .opts.is_json = cli_globals.is_json };
        bool has_user = false;
        int o, r;

        while ((o = getopt_long(argc, argv, "+:r:u:jh", options, NULL)) != -1) {
                switch (o) {
                case 'u':
                        /*
                         * One user per listing.  A second --user is refused
                         * rather than taking the last: either reading of
                         * "--user a --user b" (both, or b) would show a
                         * listing that silently leaves out sessions the
                         * caller asked to see.
                         */
                        if (has_user)
                                return cli_usage_error(argv[0],
                                                       "--user given twice: the listing is of "
                                                       "one user (or of everyone without it)");
                        has_user = true;
                        if (!*optarg)
                                return cli_usage_error(argv[0], "--user needs a user name or uid");
                        if (parse_uid(optarg, &ask.req.uid))
                                ask.req.flags |= ROLED_SESSIONS_ONE_UID;
                        else
                                ask.name = optarg;
                        break;
                default:
                        r = cli_option(o, argv, &c.opts);
                        if (r != CLI_GO_ON)
                                return r;
                }
        }
        if (optind != argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
        ask.req.role = c.opts.role;
        return cli_call(call, print, &c, NULL);
}

const CliCommand cli_cmd_sessions = {
        .run = cmd_sessions,
};
