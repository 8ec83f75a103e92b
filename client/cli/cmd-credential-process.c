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
        .options = CLI_OPT_ROLE | CLI_OPT_DURATION | CLI_OPT_JSON,
        /* One process, one request: the in-process cache could never answer, so skip it. */
        .call = cli_call_get_fresh_credentials,
        .timeout_ms = CLI_UPSTREAM_TIMEOUT_MS,
        .use = print,
};
