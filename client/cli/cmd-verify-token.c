/* SPDX-License-Identifier: MIT */
/*
 * cmd-verify-token.c - `rolectl verify-token`: check a session token offline
 * against the agent's public keys (signature and expiry, not revocation) and
 * print its claims.  The token comes from $AWS_SESSION_TOKEN, else stdin.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-json.h"
#include "safefile.h"

#define TOKEN_TEXT_MAX 4096 /* PROTOCOL.md: a session token is at most 4096 bytes */

/*
 * read_token() - one token from stdin into @buf (surrounding whitespace
 * dropped).  Return: 0, -EFBIG (over TOKEN_TEXT_MAX bytes) or -errno.
 */
static int read_token(char buf[TOKEN_TEXT_MAX + 1])
{
        size_t n, start = 0;
        int r = safefile_read(STDIN_FILENO, buf, TOKEN_TEXT_MAX, &n);

        if (r == SAFEFILE_E_TOO_LARGE)
                return -EFBIG;
        if (r < 0)
                return r;
        while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
                n--;
        while (start < n && strchr(" \t\r\n", buf[start]))
                start++;
        memmove(buf, buf + start, n - start);
        buf[n - start] = '\0';
        return 0;
}

static int print_claims(const roled_token_claims *t, bool is_json)
{
        char iat[CIVIL_ISO8601_SIZE], exp[CIVIL_ISO8601_SIZE], pol[65] = "";

        cli_format_iso(roled_token_claims_issued(t), iat);
        cli_format_iso(roled_token_claims_expires(t), exp);
        if (roled_token_claims_policy_sha256(t))
                sodium_bin2hex(pol, sizeof(pol), roled_token_claims_policy_sha256(t), 32);
        if (is_json) {
                json_t *o = json_pack(
                        "{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
                        "valid", 1, "accessKeyId", roled_token_claims_access_key_id(t), "sessionId",
                        roled_token_claims_session_id(t), "role", roled_token_claims_role(t),
                        "roleArn", roled_token_claims_role_arn(t), "uid",
                        (json_int_t)roled_token_claims_uid(t), "gid",
                        (json_int_t)roled_token_claims_gid(t), "user", roled_token_claims_user(t),
                        "exe", roled_token_claims_exe(t), "unit", roled_token_claims_unit(t),
                        "issued", iat, "expires", exp, "policySha256",
                        roled_token_claims_policy_sha256(t) ? pol : NULL, "sourceRole",
                        roled_token_claims_source_role(t)[0] ? roled_token_claims_source_role(t)
                                                             : NULL);

                return cli_print_json(o);
        }
        printf("valid        yes (signature and expiry; revocation is checked by the agent)\n");
        printf("role         %s (%s)\n", roled_token_claims_role(t),
               roled_token_claims_role_arn(t));
        printf("access key   %s\n", roled_token_claims_access_key_id(t));
        printf("session      %s\n", roled_token_claims_session_id(t));
        printf("caller       uid %u (%s), gid %u\n", roled_token_claims_uid(t),
               roled_token_claims_user(t), roled_token_claims_gid(t));
        /* Only a role whose answers rest on the executable has sessions that name it. */
        printf("exe          %s\n", roled_token_claims_exe(t)[0] ? roled_token_claims_exe(t) : "-");
        printf("unit         %s\n",
               roled_token_claims_unit(t)[0] ? roled_token_claims_unit(t) : "-");
        printf("issued       %s\n", iat);
        printf("expires      %s\n", exp);
        if (roled_token_claims_policy_sha256(t))
                printf("policy       sha256:%s\n", pol);
        if (roled_token_claims_source_role(t)[0])
                printf("chained from %s\n", roled_token_claims_source_role(t));
        return EXIT_OK;
}

/* call() - VerifyToken for the token in @c->data. */
static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_verify_token(client, c->data, &c->claims, err);
}

static int print(roled_client *client, const CliCall *c)
{
        (void)client;
        return print_claims(c->claims, c->opts.is_json);
}

static int cmd_verify_token(int argc, char **argv)
{
        _cleanup_free_ char *buf = NULL;
        const char *token = getenv(CLI_ENV_TOKEN);
        CliCall c = { .n_operands = 0 };
        int r;

        r = cli_parse_options(argc, argv, CLI_OPT_JSON, &c.opts);
        if (r != CLI_GO_ON)
                return r;
        if (!token || !*token) {
                buf = malloc(TOKEN_TEXT_MAX + 1);
                if (!buf) {
                        cli_error("out of memory");
                        return EXIT_DENIED;
                }
                r = read_token(buf);
                if (r < 0) {
                        cli_error("reading the token from stdin: %s",
                                  r == -EFBIG ? "longer than 4096 bytes" : strerror(-r));
                        return EXIT_USAGE;
                }
                if (!*buf)
                        return cli_usage_error(argv[0], "no token in $%s or on stdin",
                                               CLI_ENV_TOKEN);
                token = buf;
        }
        c.data = (void *)token;
        return cli_call(call, print, &c, NULL);
}

const CliCommand cli_cmd_verify_token = {
        .run = cmd_verify_token,
};
