/* SPDX-License-Identifier: MIT */
/*
 * cmd-assume.c - `rolectl assume ROLE`: a fresh session for a role
 * (AssumeRole), optionally narrowed by a session policy or chained from the
 * caller's current session, printed as credential_process JSON (default),
 * full JSON, or shell export lines.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-json.h"

enum { OUT_PROCESS, OUT_JSON, OUT_ENV };

static const struct option options[] = {
        { "duration", required_argument, NULL, 'd' },
        { "policy", required_argument, NULL, 'p' },
        { "session-name", required_argument, NULL, 'n' },
        { "chain", no_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "env", no_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        {},
};

static int print_json(const roled_credentials *cr)
{
        char iso[CIVIL_ISO8601_SIZE];
        json_t *o;

        cli_format_iso(roled_credentials_expiration(cr), iso);
        o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", 1,
                      "AccessKeyId", roled_credentials_access_key_id(cr), "SecretAccessKey", roled_credentials_secret_access_key(cr),
                      "SessionToken", roled_credentials_session_token(cr), "Expiration", iso, "role", roled_credentials_role(cr),
                      "roleArn", roled_credentials_role_arn(cr), "assumedRoleArn", roled_credentials_assumed_role_arn(cr),
                      "sessionId", roled_credentials_session_id(cr), "issuer", roled_credentials_issuer(cr));
        return cli_emit_json(o);
}

int cmd_assume(int argc, char **argv)
{
        _cleanup_free_ char *policy = NULL;
        const char *session_name = NULL, *source_token = NULL;
        roled_assume_role_request req = ROLED_ASSUME_ROLE_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *creds = NULL;
        JsonBuf out = JSON_BUF_INIT;
        roled_client *client = NULL;
        uint32_t duration = 0;
        int c, r, output = cli_globals.is_json ? OUT_JSON : OUT_PROCESS;
        roled_status st;

        while ((c = getopt_long(argc, argv, ":d:p:n:cjeh", options, NULL)) != -1) {
                switch (c) {
                case 'd':
                        r = cli_parse_duration(optarg, &duration);
                        if (r < 0)
                                return cli_duration_error(argv[0], optarg, r);
                        break;
                case 'p':
                        free(policy);
                        policy = NULL;
                        r = cli_read_policy(optarg, &policy);
                        if (r < 0) {
                                cli_error("cannot read policy %s: %s", optarg,
                                          r == -EFBIG ? "larger than 10240 bytes" : strerror(-r));
                                return EXIT_USAGE;
                        }
                        break;
                case 'n':
                        session_name = optarg;
                        break;
                case 'c':
                        source_token = getenv(CLI_ENV_TOKEN);
                        if (!source_token || !*source_token)
                                return cli_usage_error(argv[0], "--chain needs $%s", CLI_ENV_TOKEN);
                        break;
                case 'j':
                        output = OUT_JSON;
                        break;
                case 'e':
                        output = OUT_ENV;
                        break;
                case 'h':
                        cli_print_help(cli_find_command(argv[0]), stdout);
                        return EXIT_OK;
                default:
                        return cli_bad_option(argv[0], c, argv);
                }
        }
        if (optind != argc - 1)
                return cli_usage_error(argv[0], optind >= argc ? "no role given" : "too many arguments");
        r = cli_connect(&client);
        if (r != EXIT_OK)
                return r;
        req.role = argv[optind];
        req.duration_seconds = duration;
        req.session_policy = policy;
        req.session_name = session_name;
        req.source_token = source_token;
        st = roled_assume_role(client, &req, &creds, &err);
        r = st == ROLED_OK ? EXIT_OK : cli_fail(&err, st);
        roled_error_clear(&err);
        roled_client_close(client);
        if (r != EXIT_OK)
                return r;
        switch (output) {
        case OUT_JSON:
                r = print_json(creds);
                break;
        case OUT_ENV:
                cli_env_lines(&out, creds);
                r = cli_emit(&out);
                break;
        default:
                cli_credential_process_json(&out, creds);
                r = cli_emit(&out);
                break;
        }
        roled_credentials_unref(creds);
        return r;
}

const CliCommand cli_cmd_assume = {
        .name = "assume",
        .run = cmd_assume,
        .summary = "start a fresh session for a role (AssumeRole)",
        .help =
"NAME\n"
"    rolectl assume - a fresh, uncached session for a role\n"
"\n"
"SYNOPSIS\n"
"    rolectl [--socket PATH] assume ROLE [--duration D] [--policy FILE]\n"
"                                   [--session-name NAME] [--chain] [--json | --env]\n"
"\n"
"OPTIONS\n"
"    -d, --duration D      session lifetime, 15m..12h: 900, 15m, 1h30m (default: the agent's)\n"
"    -p, --policy FILE     a session policy (IAM JSON, at most 10240 bytes; - is stdin)\n"
"    -n, --session-name N  the session name (default: <user>-<pid>)\n"
"    -c, --chain           role chaining: present $AWS_SESSION_TOKEN as the source session\n"
"    -j, --json            full JSON (credentials, role and session ARNs, issuer)\n"
"    -e, --env             shell export lines, as rolectl env prints them\n"
"    -h, --help            this text\n"
"    Default output: the credential_process JSON object.\n"
"\n"
"EXIT STATUS\n"
"    0 printed; 1 the agent refused; 2 usage error; 3 the agent cannot be reached.\n",
};
