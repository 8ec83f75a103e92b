/* SPDX-License-Identifier: MIT */
/*
 * rolectl.c - main(): global options, the command table and help.  Each
 * subcommand lives in cmd-<name>.c (rolectl policy in cmd-policy.c, owned by
 * the policy engine) and its help text in help/<name>.txt (embedded by the
 * build, see cli_help_text()); this file only dispatches, like
 * wireguard-tools' wg.c.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "cmd-policy.h"

static int cmd_help(int argc, char **argv);

static const CliCommand cli_cmd_policy = { .run = cmd_policy };
static const CliCommand cli_cmd_help = { .run = cmd_help };

/*
 * The commands by name, in the order `rolectl help` lists them with their
 * one-line summaries; help/<name>.txt is each one's help text.
 */
static const struct {
        const char *name;
        const CliCommand *cmd;
        const char *summary;
} commands[] = {
        { "credential-process", &cli_cmd_credential_process,
          "print credentials as an AWS credential_process helper" },
        { "env", &cli_cmd_env, "print credentials as shell export lines" },
        { "exec", &cli_cmd_exec, "run a command with a role's credentials in its environment" },
        { "assume", &cli_cmd_assume, "start a fresh session for a role (AssumeRole)" },
        { "whoami", &cli_cmd_whoami, "show the identity the agent sees (GetCallerIdentity)" },
        { "roles", &cli_cmd_roles, "list the roles you may see and assume (ListRoles)" },
        { "status", &cli_cmd_status, "show the agent's status" },
        { "sessions", &cli_cmd_sessions, "list your live sessions (ListSessions)" },
        { "revoke", &cli_cmd_revoke, "end your sessions (all, of one role, or one session)" },
        { "reload", &cli_cmd_reload, "make the agent re-read its configuration (admin)" },
        { "verify-token", &cli_cmd_verify_token,
          "verify a session token offline and show its claims" },
        { "check", &cli_cmd_check,
          "may a role do an action on a resource? (Simulate or Authorize)" },
        { "explain", &cli_cmd_explain, "show who may assume a role and what it may do (GetRole)" },
        { "aws-config", &cli_cmd_aws_config,
          "write credential_process profiles for your roles into ~/.aws/config" },
        { "mfa", &cli_cmd_mfa, "hand the agent an MFA code for its aws issuer" },
        { "policy", &cli_cmd_policy, "evaluate or validate IAM policy documents offline" },
        { "help", &cli_cmd_help, "show help for rolectl or one command" },
};

/* find_command() - the command named @name, or NULL. */
static const CliCommand *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return commands[i].cmd;
        return NULL;
}

void cli_print_help(const char *name, FILE *f)
{
        const char *text = cli_help_text(name);

        if (text)
                fputs(text, f);
}

static void usage(FILE *f)
{
        fputs("usage: rolectl [--socket PATH] [--json] [--verbose] COMMAND [ARGS...]\n"
              "       rolectl --version | --help\n\n"
              "Short-lived AWS-shaped credentials from the local roled agent.\n\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-20s %s\n", commands[i].name, commands[i].summary);
        fputs("\nOptions:\n"
              "  --socket PATH        the agent's socket (default: $ROLED_SOCKET, then\n"
              "                       $XDG_RUNTIME_DIR/roled/roled.sock, then " ROLED_RUNDIR
              "/roled.sock)\n"
              "  -j, --json           JSON output (every command that prints something)\n"
              "  -v, --verbose        say which agent answered, and why another did not\n"
              "  -V, --version        print the version\n"
              "  -h, --help           this text\n\n"
              "Global options may also follow the command (before any \"--\").\n\n"
              "Exit status: 0 success, 1 the agent refused or failed, 2 usage error,\n"
              "3 the agent cannot be reached or is not trusted.\n"
              "'rolectl help COMMAND' or 'rolectl COMMAND --help' describes one command.\n",
              f);
}

static int cmd_help(int argc, char **argv)
{
        if (argc < 2) {
                usage(stdout);
                return EXIT_OK;
        }
        if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                cli_print_help("help", stdout);
                return EXIT_OK;
        }
        if (!find_command(argv[1])) {
                cli_error("unknown command '%s' (see 'rolectl help')", argv[1]);
                return EXIT_USAGE;
        }
        cli_print_help(argv[1], stdout);
        return EXIT_OK;
}

enum { NOT_GLOBAL, GLOBAL, GLOBAL_EXIT };

/*
 * global() - apply @argv[*ip] if it is a global option other than --json and
 * --help (which mean something to each command too), moving *@ip past its
 * argument.  Return: GLOBAL, NOT_GLOBAL, or GLOBAL_EXIT with *@exitp the exit
 * code (--version printed, or a usage error reported).
 */

static int global(int argc, char **argv, int *ip, int *exitp)
{
        const char *a = argv[*ip];

        if (streq(a, "--socket")) {
                if (*ip + 1 >= argc) {
                        cli_error("option '--socket' needs a path (see 'rolectl --help')");
                        *exitp = EXIT_USAGE;
                        return GLOBAL_EXIT;
                }
                cli_globals.socket_path = argv[++*ip];
        } else if (!strncmp(a, "--socket=", 9)) {
                cli_globals.socket_path = a + 9;
        } else if (streq(a, "-v") || streq(a, "--verbose")) {
                cli_globals.is_verbose = true;
        } else if (streq(a, "-V") || streq(a, "--version")) {
                fputs("rolectl " ROLED_VERSION "\n", stdout);
                *exitp = EXIT_OK;
                return GLOBAL_EXIT;
        } else {
                return NOT_GLOBAL;
        }
        return GLOBAL;
}

int main(int argc, char **argv)
{
        const CliCommand *cmd;
        bool is_in_options = true;
        int i, n, ret;

        /* Every usage error is one line of ours: getopt stays quiet. */
        opterr = 0;
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];

                switch (global(argc, argv, &i, &ret)) {
                case GLOBAL:
                        continue;
                case GLOBAL_EXIT:
                        return ret;
                }
                if (streq(a, "-j") || streq(a, "--json")) {
                        cli_globals.is_json = true;
                } else if (streq(a, "--help") || streq(a, "-h")) {
                        usage(stdout);
                        return EXIT_OK;
                } else {
                        cli_error("unknown option '%s' (see 'rolectl --help')", a);
                        return EXIT_USAGE;
                }
        }
        if (i >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        cmd = find_command(argv[i]);
        if (!cmd) {
                cli_error("unknown command '%s' (see 'rolectl help')", argv[i]);
                return EXIT_USAGE;
        }
        /*
         * Global options may also come among the command's own, up to "--"
         * (and for exec, up to the command line it runs): they are taken out
         * here, in place, so the command's getopt never sees them.
         */
        argv[0] = argv[i];
        n = 1;
        for (i++; i < argc; i++) {
                if (is_in_options) {
                        if (streq(argv[i], "--")) {
                                is_in_options = false;
                        } else if (argv[i][0] != '-') {
                                if (cmd->is_passthrough)
                                        is_in_options = false;
                        } else {
                                switch (global(argc, argv, &i, &ret)) {
                                case GLOBAL:
                                        continue;
                                case GLOBAL_EXIT:
                                        return ret;
                                }
                        }
                }
                argv[n++] = argv[i];
        }
        argv[n] = NULL;
        cmd_policy_is_json = cli_globals.is_json;
        /* Subcommands see argv[0] == their name and parse the rest with getopt_long(). */
        return cmd->run ? cmd->run(n, argv) : cli_run(cmd, n, argv);
}
