/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what rolectl's subcommands share: exit codes, the global options,
 * the common subcommand options (--json, --role, --duration, --help), one
 * agent request (cli_call(), cli_run(): connect, call, one stderr line and an
 * exit code on failure), durations, shell quoting and the credential_process
 * JSON.  Each subcommand lives in its own cmd-<name>.c as a CliCommand;
 * rolectl.c holds main() and the command table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "civil.h"
#include "duration.h"
#include "jsonw.h"
#include "roled/roled.h"
#include "util.h"

/* Exit codes (also in rolectl(1), EXIT STATUS). */
enum {
        EXIT_OK = 0,
        EXIT_DENIED =
                1, /* the agent answered with an error (AccessDenied, ...), or a local failure */
        EXIT_USAGE = 2,       /* bad command line */
        EXIT_UNREACHABLE = 3, /* no agent, untrusted agent, timeout, broken connection */
};

/*
 * Global options: main() takes them from before the command and from among
 * its options (up to "--", and for exec up to the command to run).
 */
typedef struct CliGlobals {
        const char *socket_path; /* --socket, or NULL to search */
        bool is_json;            /* -j/--json before the command */
        bool is_verbose;         /* -v, --verbose */
} CliGlobals;

extern CliGlobals cli_globals;

typedef struct CliCommand CliCommand;

/* cli_print_help() - write the help text of the command named @name to @f. */
void cli_print_help(const char *name, FILE *f);

/*
 * cli_help_text() - the help text of the command named @name: the file
 * client/cli/help/<name>.txt, which the build embeds (help.cmake).  Return:
 * the text, or NULL for a name without one.
 */
const char *cli_help_text(const char *name);

/* cli_error() - write "rolectl: <message>\n" to stderr in one write(). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_usage_error() - cli_error() plus a hint at `rolectl COMMAND --help`.  Return: EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * cli_bad_option() - the one usage line for getopt_long()'s '?' or ':' (@c)
 * after a loop whose optstring starts with ':' (after any '+'): "option
 * '--role' needs an argument" or "unknown option '--x'".  getopt itself
 * prints nothing (main() clears opterr).  Return: EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/*
 * cli_duration_error() - the usage line for a duration cli_parse_duration()
 * refused with @r: the grammar, or the allowed range.  Return: EXIT_USAGE.
 */
int cli_duration_error(const char *cmd, const char *text, int r);

/* What cli_parse_options() accepts besides -h/--help, and how it treats operands. */
enum {
        CLI_OPT_JSON = 1 << 0,     /* -j, --json */
        CLI_OPT_ROLE = 1 << 1,     /* -r, --role ROLE */
        CLI_OPT_DURATION = 1 << 2, /* -d, --duration D (checked with cli_parse_duration()) */
        CLI_OPT_OPERANDS =
                1 << 3, /* operands are the caller's to check; without it, any is an error */
        CLI_OPT_PERMUTE = 1 << 4, /* options may also follow operands; without it, the first operand
                                     ends them */
        CLI_OPT_COMMAND = 1 << 5, /* the operands are a command line to run: one at least */
        CLI_OPT_ONE_ROLE = 1 << 6, /* one operand, a ROLE, which options may also follow */
};

/* The options cli_parse_options() found; unset ones stay zero. */
typedef struct CliOptions {
        const char *role;          /* --role, borrowed from argv */
        uint32_t duration_seconds; /* --duration */
        bool is_json;              /* --json */
} CliOptions;

/* cli_parse_options() found no reason to stop: the command goes on. */
#define CLI_GO_ON (-1)

/*
 * cli_parse_options() - the getopt_long() loop the subcommands share.
 * @argc, @argv: the subcommand's, argv[0] its name
 * @flags: CLI_OPT_* bits
 * @optsp: on CLI_GO_ON, what was given
 * Return: CLI_GO_ON with optind at the first operand, or the exit code to
 * return at once: EXIT_OK after --help printed the command's help on stdout,
 * EXIT_USAGE after one stderr line (unknown option, invalid duration,
 * unexpected argument).
 */
int cli_parse_options(int argc, char **argv, unsigned flags, CliOptions *optsp);

/*
 * cli_option() - one step of a command's own getopt_long() loop, for what
 * cli_parse_options() accepts too: -r ROLE, -d D, -j, -h, and getopt's '?'
 * and ':' (@c).  A command with options of its own calls it from its
 * switch's default (its optstring starts with ':', after any '+').
 * Return: CLI_GO_ON with @opts updated, or the exit code to return at once:
 * EXIT_OK after --help, EXIT_USAGE after one stderr line.
 */
int cli_option(int c, char **argv, CliOptions *opts);

/*
 * The long options cli_option() takes, as the fields of getopt_long() rows
 * (<getopt.h>): a command with options of its own puts those it accepts in its
 * table, { CLI_LONGOPT_JSON }.
 */
#define CLI_LONGOPT_ROLE "role", required_argument, NULL, 'r'
#define CLI_LONGOPT_DURATION "duration", required_argument, NULL, 'd'
#define CLI_LONGOPT_JSON "json", no_argument, NULL, 'j'
#define CLI_LONGOPT_HELP "help", no_argument, NULL, 'h'

/*
 * One run of a command that asks the agent something: what it asks with, and
 * what the agent answered.  The call fills the answer fields it needs;
 * cli_call() releases them all afterwards.
 */
typedef struct CliCall {
        CliOptions opts;
        char **operands; /* argv after the options (cli_run()), borrowed */
        int n_operands;
        void *data; /* the command's own state, for commands that parse their own options */
        roled_credentials *creds;
        roled_identity *identity;
        roled_role_list *roles;
        roled_role *role;
        roled_token_claims *claims;
        roled_authz_result *authz;
        roled_session_list *sessions;
        char *text;   /* heap */
        int64_t time; /* a time in the answer (Mfa: when the MFA session ends) */
        uint32_t count;
        int timeout_ms; /* bound on the call; 0: libroled's default (5 s) */
} CliCall;

/* Makes the request(s) on @client and keeps the answer in @c.  Return: the call's status. */
typedef roled_status (*CliCallFn)(roled_client *client, CliCall *c, roled_error *err);
/* Uses the answer (prints it, writes it, runs a command with it).  Return: the exit code. */
typedef int (*CliUseFn)(roled_client *client, const CliCall *c);

/*
 * A subcommand (rolectl.c's table gives its name and summary,
 * help/<name>.txt its help text).  Commands that ask the agent one thing set
 * .options, .call and .use, and cli_run() does the rest; the others (their
 * own options, no agent) set .run.
 */
struct CliCommand {
        bool is_passthrough; /* its first operand starts a command line rolectl leaves alone */
        int (*run)(int argc,
                   char **argv); /* argv[0] == the command's name; returns the exit code */
        unsigned options;        /* CLI_OPT_*, for cli_run() */
        CliCallFn call;
        CliUseFn use;   /* runs after .call returned ROLED_OK; NULL: nothing to print */
        int timeout_ms; /* bound on the call; 0: libroled's default (5 s) */
};

/*
 * How long a request that may wait for STS is given: the agent's HTTP timeout
 * (agent/http.h, 15 s) and some, so that a slow upstream is reported as the
 * agent's UpstreamUnavailable, not as an agent that cannot be reached.
 */
#define CLI_UPSTREAM_TIMEOUT_MS 20000

/*
 * cli_call() - the steps every agent request of rolectl shares: connect
 * (cli_globals.socket_path or the search), @call, @use on success, close,
 * release the answer in @c.  A failed connect or call is reported on one
 * stderr line: "rolectl: AccessDenied: <agent message> (agent at PATH)" for
 * the agent's answers, the connection problem otherwise.
 * @statusp: the call's status (ROLED_OK when it never ran), or NULL
 * Return: the exit code: @use's (EXIT_OK without one), or the failure's
 * (cli_status_exit()).
 */
int cli_call(CliCallFn call, CliUseFn use, CliCall *c, roled_status *statusp);

/*
 * cli_run() - run @cmd (argv[0] its name): cli_parse_options() with
 * @cmd->options, then cli_call() with @cmd->call and @cmd->use.  When
 * --duration was given and the agent refuses it as over the role's maximum
 * (InvalidParameterValue), that is a usage error, like any duration out of
 * range.
 * Return: the exit code.
 */
int cli_run(const CliCommand *cmd, int argc, char **argv);

/*
 * cli_call_get_credentials(), cli_call_get_fresh_credentials() - CliCallFn:
 * GetCredentials for the role and duration in @c->opts, into @c->creds (the
 * second skips the in-process cache: for one-request processes).
 */
roled_status cli_call_get_credentials(roled_client *client, CliCall *c, roled_error *err);
roled_status cli_call_get_fresh_credentials(roled_client *client, CliCall *c, roled_error *err);

/* cli_status_exit() - the exit code for @st (EXIT_OK, EXIT_DENIED or EXIT_UNREACHABLE). */
int cli_status_exit(roled_status st);

/*
 * cli_parse_duration() - parse a session duration (base/duration.h: "900",
 * "15m", "1h30m", units in either case).
 * @s: the text; @secondsp: on 0, the duration in seconds
 * Return: 0, or -EINVAL (not the grammar) or -ERANGE (outside
 * CLI_DURATION_MIN..CLI_DURATION_MAX).  The agent checks the role's own maximum.
 */
int cli_parse_duration(const char *s, uint32_t *secondsp);

#define CLI_DURATION_MIN 900   /* 15 min, PROTO_DURATION_MIN */
#define CLI_DURATION_MAX 43200 /* 12 h, PROTO_DURATION_MAX */

/*
 * cli_shell_quote() - append @s to @b quoted for POSIX sh: bare when it holds
 * only [A-Za-z0-9_@%+=:,./-] (and is not empty), else in single quotes with
 * each ' written as '\''.
 */
void cli_shell_quote(JsonBuf *b, const char *s);

/*
 * cli_format_iso() - UTC "YYYY-MM-DDTHH:MM:SSZ" of @t into @buf (civil_format_iso8601(),
 * clamped to years 0000..9999).
 */
void cli_format_iso(int64_t t, char buf[CIVIL_ISO8601_SIZE]);

/*
 * cli_credential_process_json() - the object AWS SDKs expect from a
 * credential_process: {"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken", "Expiration"}, followed by a newline.
 */
void cli_credential_process_json(JsonBuf *b, const roled_credentials *creds);

/* cli_env_lines() - "export AWS_...=..." lines for the four AWS_* variables. */
void cli_env_lines(JsonBuf *b, const roled_credentials *creds);

/* cli_write_all() - write @n bytes to @fd.  Return: 0 or -errno. */
int cli_write_all(int fd, const void *p, size_t n);

/* cli_emit() - write @b to stdout and wipe it.  Return: EXIT_OK, or EXIT_DENIED after a stderr
 * line. */
int cli_emit(JsonBuf *b);

#define CLI_POLICY_FILE_MAX 10240 /* PROTOCOL.md: a session policy is at most 10240 bytes */

/*
 * cli_read_policy() - the whole of @path ("-": stdin) into a NUL-terminated
 * heap string *@textp, owned by the caller (what *@textp held is freed).
 * @what: how the error names the file ("policy", "session policy")
 * Return: EXIT_OK, or EXIT_USAGE after one stderr line (unreadable, or over
 * CLI_POLICY_FILE_MAX bytes).
 */
int cli_read_policy(const char *what, const char *path, char **textp);

/* The AWS_* variables rolectl env and rolectl exec set. */
#define CLI_ENV_ACCESS_KEY "AWS_ACCESS_KEY_ID"
#define CLI_ENV_SECRET_KEY "AWS_SECRET_ACCESS_KEY"
#define CLI_ENV_TOKEN "AWS_SESSION_TOKEN"
#define CLI_ENV_EXPIRATION "AWS_CREDENTIAL_EXPIRATION"

extern const CliCommand cli_cmd_credential_process, cli_cmd_env, cli_cmd_exec, cli_cmd_whoami,
        cli_cmd_roles, cli_cmd_assume, cli_cmd_status, cli_cmd_reload, cli_cmd_revoke,
        cli_cmd_sessions, cli_cmd_verify_token, cli_cmd_check, cli_cmd_explain, cli_cmd_aws_config,
        cli_cmd_mfa;
