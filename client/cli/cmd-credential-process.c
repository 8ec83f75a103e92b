/* SPDX-License-Identifier: MIT */
/*
 * cmd-credential-process.c - `rolectl credential-process`: the AWS SDK
 * credential_process helper.  It prints exactly the JSON the SDKs parse and
 * nothing else, never reads stdin or prompts, and fails with one stderr line.
 *
 * This is rolectl's hot path (SDKs run it as a whole process): no config, no
 * JSON library, no libsodium initialisation, and a handful of syscalls
 * (lstat x2, socket, connect, getsockopt, one request write, poll + read, one
 * write to stdout).
 */
#include "cli.h"

static int print(roled_client *client, const CliCall *c)
{
        JsonBuf out = JSON_BUF_INIT;

        (void)client;
        cli_credential_process_json(&out, c->creds);
        return cli_emit(&out);
}

const CliCommand cli_cmd_credential_process = {
        .name = "credential-process",
        .options = CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_JSON,
        /* One process, one request: the in-process cache could never answer, so skip it. */
        .call = cli_call_get_fresh_credentials,
        .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS,
        .use = print,
        .summary = "print credentials as an AWS credential_process helper",
        .help = "NAME\n"
                "    rolectl credential-process - credentials for AWS SDKs (credential_process)\n"
                "\n"
                "SYNOPSIS\n"
                "    rolectl [--socket PATH] credential-process [--role ROLE] [--duration D] "
                "[--json]\n"
                "\n"
                "DESCRIPTION\n"
                "    Asks roled for the caller's credentials and prints them as the JSON object\n"
                "    AWS SDKs expect on a credential_process's standard output:\n"
                "    {\"Version\": 1, \"AccessKeyId\", \"SecretAccessKey\", \"SessionToken\",\n"
                "    \"Expiration\": \"YYYY-MM-DDTHH:MM:SSZ\"}.  Never reads standard input.\n"
                "    In ~/.aws/config:  credential_process = /usr/bin/rolectl credential-process "
                "--role deploy\n"
                "\n"
                "OPTIONS\n"
                "    -r, --role ROLE       the role (default: the caller's default role)\n"
                "    -d, --duration D      session lifetime, 15m..12h: 900, 15m, 1h30m (default: "
                "the agent's)\n"
                "    -j, --json            accepted; the output is always JSON\n"
                "    -h, --help            this text\n"
                "\n"
                "EXIT STATUS\n"
                "    0 credentials printed; 1 the agent refused (one line on stderr, e.g.\n"
                "    \"rolectl: AccessDenied: ...\"); 2 usage error; 3 the agent cannot be "
                "reached\n"
                "    or is not trusted.\n",
};
