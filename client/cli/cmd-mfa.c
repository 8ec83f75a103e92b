/* SPDX-License-Identifier: MIT */
/*
 * cmd-mfa.c - `rolectl mfa [CODE]`: hand the agent an MFA code for its aws
 * issuer (roled_mfa()).  The code comes from the command line or, without
 * one (or with "-"), from the first line of standard input, which keeps it
 * out of other users' sight in /proc/PID/cmdline.  It is wiped once sent.
 */
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-json.h"

#define CODE_LEN 6

/* Read the code from stdin into @code (a prompt on stderr when stdin is a terminal). */
static int read_code(char code[CODE_LEN + 1])
{
        char line[64];
        size_t n;

        if (isatty(STDIN_FILENO))
                fputs("MFA code: ", stderr);
        if (!fgets(line, sizeof(line), stdin)) {
                cli_error("mfa: no code on standard input");
                return EXIT_USAGE;
        }
        n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n > CODE_LEN) {
                sodium_memzero(line, sizeof(line));
                return cli_usage_error("mfa", "an MFA code is six digits");
        }
        memcpy(code, line, n + 1);
        sodium_memzero(line, sizeof(line));
        return EXIT_OK;
}

/* call() - Mfa with the code in @c->data, which is wiped once sent. */
static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        roled_status st = roled_mfa(client, c->data, &c->time, &c->count, err);

        sodium_memzero(c->data, CODE_LEN + 1);
        return st;
}

static int print(roled_client *client, const CliCall *c)
{
        char iso[CIVIL_ISO8601_SIZE];

        (void)client;
        cli_format_iso(c->time, iso);
        if (c->opts.is_json)
                return cli_print_json(json_pack("{s:I, s:s, s:I}", "expiration",
                                                (json_int_t)c->time, "expirationIso", iso,
                                                "released", (json_int_t)c->count));
        printf("MFA session until %s; %u waiting request%s went on\n", iso, c->count,
               c->count == 1 ? "" : "s");
        return EXIT_OK;
}

static int cmd_mfa(int argc, char **argv)
{
        char code[CODE_LEN + 1] = "";
        /* The agent answers once STS has, which may take its whole HTTP timeout. */
        CliCall c = { .data = code, .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS };
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON | CLI_OPT_OPERANDS, &c.opts);
        if (r != CLI_GO_ON)
                return r;
        if (argc - optind > 1)
                return cli_usage_error("mfa", "one code at most");
        if (argc - optind == 1 && !streq(argv[optind], "-")) {
                if (strlen(argv[optind]) > CODE_LEN)
                        return cli_usage_error("mfa", "an MFA code is six digits");
                memcpy(code, argv[optind], strlen(argv[optind]) + 1);
        } else {
                r = read_code(code);
                if (r != EXIT_OK)
                        return r;
        }
        if (strlen(code) != CODE_LEN || strspn(code, "0123456789") != CODE_LEN) {
                sodium_memzero(code, sizeof(code));
                return cli_usage_error("mfa", "an MFA code is six digits");
        }
        r = cli_call(call, print, &c, NULL);
        /* A connection that failed never reached call(). */
        sodium_memzero(code, sizeof(code));
        return r;
}

const CliCommand cli_cmd_mfa = {
        .run = cmd_mfa,
};
