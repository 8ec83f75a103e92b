/* SPDX-License-Identifier: MIT */
/*
 * cli.c - helpers every rolectl subcommand uses: error lines and exit codes,
 * the shared option loop, one agent call (cli_call(): connect, call, report,
 * exit code), durations, shell quoting and the credential_process JSON.
 *
 * Everything here is on the credential_process path, so it uses no JSON
 * library and no stdio for output: text is built in a JsonBuf (wiped
 * afterwards, it holds secrets) and written with one write().
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

CliGlobals cli_globals;

int cli_write_all(int fd, const void *p, size_t n)
{
        const char *c = p;

        while (n > 0) {
                ssize_t w = write(fd, c, n);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                c += w;
                n -= (size_t)w;
        }
        return 0;
}

/* verror() - the body of cli_error(); the attribute lets callers' formats be checked through it. */
static void verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void verror(const char *fmt, va_list ap)
{
        char line[1024];
        int n;

        memcpy(line, "rolectl: ", 9);
        n = vsnprintf(line + 9, sizeof(line) - 10, fmt, ap);
        if (n < 0)
                n = 0;
        n = 9 + (n > (int)sizeof(line) - 11 ? (int)sizeof(line) - 11 : n);
        line[n++] = '\n';
        (void)cli_write_all(STDERR_FILENO, line, (size_t)n);
}

void cli_error(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        verror(fmt, ap);
        va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cli_error("%s (see 'rolectl %s --help')", msg, cmd);
        return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
        /*
         * getopt_long() leaves optind past an unknown long option or past an
         * option missing its argument; inside a cluster of short options
         * ("-xj") optind has not moved and only optopt names the culprit.
         */
        const char *prev = optind > 0 ? argv[optind - 1] : "";
        char name[3] = { '-', (char)optopt, '\0' };
        const char *opt = !strncmp(prev, "--", 2) || !optopt ? prev : name;
        size_t eq = strcspn(opt, "=");

        if (c == ':')
                return cli_usage_error(cmd, "option '%s' needs an argument", opt);
        return cli_usage_error(cmd, "unknown option '%.*s'", (int)eq, opt);
}

int cli_duration_error(const char *cmd, const char *text, int r)
{
        if (r == -ERANGE)
                return cli_usage_error(
                        cmd, "duration '%s' is out of range: 15m (900) to 12h (43200)", text);
        return cli_usage_error(cmd,
                               "invalid duration '%s': seconds, or hours, minutes and seconds "
                               "such as 900, 15m, 1h30m",
                               text);
}

int cli_status_exit(roled_status st)
{
        switch (st) {
        case ROLED_OK:
                return EXIT_OK;
        case ROLED_E_NO_AGENT:
        case ROLED_E_UNTRUSTED_AGENT:
        case ROLED_E_PROTOCOL:
        case ROLED_E_IO:
        case ROLED_E_TIMEOUT:
                return EXIT_UNREACHABLE;
        default:
                return EXIT_DENIED;
        }
}

/* The socket of the agent cli_connect() reached, for naming it in errors ("" before). */
static char agent_path[4096];

/*
 * fail() - report a failed call on one stderr line: "AccessDenied: <agent
 * message> (agent at PATH)" for the agent's answers, the connection problem
 * otherwise.  @err (the call's, may be NULL) has the message.
 * Return: cli_status_exit(@st).
 */
static int fail(const roled_error *err, roled_status st)
{
        const char *msg = err && err->status == st ? roled_error_message(err) : roled_strerror(st);

        if ((int)st > 0 && (int)st < ROLED_E_NO_AGENT)
                cli_error("%s: %s (agent at %s)", roled_status_name(st), msg,
                          *agent_path ? agent_path : "?");
        else if (*agent_path && !strstr(msg, agent_path))
                cli_error("%s (agent at %s)", msg, agent_path);
        else
                cli_error("%s", msg);
        return cli_status_exit(st);
}

/*
 * user_socket() - the user agent's socket the library's search tries first
 * (roled_client_connect(): $XDG_RUNTIME_DIR/roled/roled.sock), or NULL when
 * there is no search (--socket, $ROLED_SOCKET) or no $XDG_RUNTIME_DIR.
 */
static const char *user_socket(char *buf, size_t size)
{
        const char *env = getenv("ROLED_SOCKET");
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int n;

        if (cli_globals.socket_path || (env && *env) || !xdg || xdg[0] != '/')
                return NULL;
        n = snprintf(buf, size, "%s/roled/roled.sock", xdg);
        return n > 0 && (size_t)n < size ? buf : NULL;
}

/*
 * connect_agent() - the agent at --socket, or the search, with calls bounded
 * by @timeout_ms (0: libroled's default).  Return: EXIT_OK, or the exit code
 * after one stderr line.
 */
static int connect_agent(roled_client **clientp, int timeout_ms)
{
        char ubuf[4096];
        const char *user = user_socket(ubuf, sizeof(ubuf));
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_status st;
        const char *path;

        o.socket_path = cli_globals.socket_path;
        o.timeout_ms = timeout_ms;
        st = roled_client_connect(&o, clientp, &err);
        if (st != ROLED_OK) {
                const char *msg = roled_error_message(&err);
                int r;

                /* The library names the last socket it tried; name the user agent's too. */
                if (user && *msg && !strstr(msg, user)) {
                        cli_error("%s (and no user agent at %s)", msg, user);
                        r = cli_status_exit(st);
                } else {
                        r = fail(&err, st);
                }
                roled_error_clear(&err);
                return r;
        }
        path = roled_client_socket_path(*clientp);
        snprintf(agent_path, sizeof(agent_path), "%s", path);
        if (cli_globals.is_verbose) {
                if (user && !streq(path, user))
                        cli_error("no user agent at %s; the system agent at %s answered", user,
                                  path);
                else
                        cli_error("the agent at %s answered", path);
        }
        return EXIT_OK;
}

static void release(CliCall *c)
{
        roled_credentials_unref(c->creds);
        roled_identity_unref(c->identity);
        roled_role_list_unref(c->roles);
        roled_role_unref(c->role);
        roled_token_claims_unref(c->claims);
        roled_authz_result_unref(c->authz);
        roled_session_list_unref(c->sessions);
        free(c->text);
}

int cli_call(CliCallFn call, CliUseFn use, CliCall *c, roled_status *statusp)
{
        roled_error err = ROLED_ERROR_INIT;
        roled_client *client = NULL;
        roled_status st = ROLED_OK;
        int r = connect_agent(&client, c->timeout_ms);

        if (r == EXIT_OK) {
                st = call(client, c, &err);
                if (st != ROLED_OK)
                        r = fail(&err, st);
                else if (use)
                        r = use(client, c);
                roled_error_clear(&err);
                roled_client_close(client);
        }
        release(c);
        if (statusp)
                *statusp = st;
        return r;
}

int cli_run(const CliCommand *cmd, int argc, char **argv)
{
        CliCall c = { .n_operands = 0 };
        roled_status st;
        int r = cli_parse_options(argc, argv, cmd->options, &c.opts);

        if (r != CLI_GO_ON)
                return r;
        c.operands = argv + optind;
        c.n_operands = argc - optind;
        c.timeout_ms = cmd->timeout_ms;
        r = cli_call(cmd->call, cmd->use, &c, &st);
        if (st == ROLED_E_INVALID_PARAMETER_VALUE && c.opts.duration_seconds)
                r = EXIT_USAGE;
        return r;
}

static roled_status get_credentials(roled_client *client, CliCall *c, unsigned flags,
                                    roled_error *err)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;

        req.flags = flags;
        req.role = c->opts.role;
        req.duration_seconds = c->opts.duration_seconds;
        return roled_get_credentials(client, &req, &c->creds, err);
}

roled_status cli_call_get_credentials(roled_client *client, CliCall *c, roled_error *err)
{
        return get_credentials(client, c, 0, err);
}

roled_status cli_call_get_fresh_credentials(roled_client *client, CliCall *c, roled_error *err)
{
        return get_credentials(client, c, ROLED_CREDENTIALS_FRESH, err);
}

int cli_option(int c, char **argv, CliOptions *opts)
{
        int r;

        switch (c) {
        case 'r':
                opts->role = optarg;
                return CLI_GO_ON;
        case 'd':
                r = cli_parse_duration(optarg, &opts->duration_seconds);
                return r < 0 ? cli_duration_error(argv[0], optarg, r) : CLI_GO_ON;
        case 'j':
                opts->is_json = true;
                return CLI_GO_ON;
        case 'h':
                cli_print_help(argv[0], stdout);
                return EXIT_OK;
        default:
                return cli_bad_option(argv[0], c, argv);
        }
}

int cli_parse_options(int argc, char **argv, unsigned flags, CliOptions *optsp)
{
        /*
         * The tables are built on the stack from @flags: no option a command
         * does not document is accepted, and credential_process pays for no
         * allocation.  The long names start with different letters, so getopt
         * resolves abbreviations the same whatever the order.
         */
        struct option longopts[5];
        char optstring[17];
        CliOptions opts = { 0 };
        size_t n = 0, k = 0;
        int c, r, n_operands;

        if (!(flags & (CLI_OPT_PERMUTE | CLI_OPT_ONE_ROLE)))
                optstring[k++] = '+';
        optstring[k++] = ':';
        if (flags & CLI_OPT_ROLE) {
                longopts[n++] = (struct option){ CLI_LONGOPT_ROLE };
                optstring[k++] = 'r';
                optstring[k++] = ':';
        }
        if (flags & CLI_OPT_DURATION) {
                longopts[n++] = (struct option){ CLI_LONGOPT_DURATION };
                optstring[k++] = 'd';
                optstring[k++] = ':';
        }
        if (flags & CLI_OPT_JSON) {
                longopts[n++] = (struct option){ CLI_LONGOPT_JSON };
                optstring[k++] = 'j';
        }
        longopts[n++] = (struct option){ CLI_LONGOPT_HELP };
        longopts[n] = (struct option){ 0 };
        optstring[k++] = 'h';
        optstring[k] = '\0';

        while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
                r = cli_option(c, argv, &opts);
                if (r != CLI_GO_ON)
                        return r;
        }
        if (cli_globals.is_json) {
                if (!(flags & CLI_OPT_JSON))
                        return cli_usage_error(argv[0], "this command prints no JSON");
                opts.is_json = true;
        }
        if ((flags & CLI_OPT_COMMAND) && optind >= argc)
                return cli_usage_error(argv[0], "no command given");
        if ((flags & CLI_OPT_ONE_ROLE) && optind >= argc)
                return cli_usage_error(argv[0], "a ROLE is required");
        n_operands = flags & (CLI_OPT_OPERANDS | CLI_OPT_COMMAND) ? argc - optind
                     : flags & CLI_OPT_ONE_ROLE                   ? 1
                                                                  : 0;
        if (optind + n_operands < argc)
                return cli_usage_error(argv[0], "unexpected argument '%s'",
                                       argv[optind + n_operands]);
        *optsp = opts;
        return CLI_GO_ON;
}

int cli_parse_duration(const char *s, uint32_t *secondsp)
{
        uint32_t v;
        int r = duration_parse(s, CLI_DURATION_MAX, &v);

        if (r < 0)
                return r;
        if (v < CLI_DURATION_MIN)
                return -ERANGE;
        *secondsp = v;
        return 0;
}

void cli_shell_quote(JsonBuf *b, const char *s)
{
        static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   "_@%+=:,./-";
        const char *p;

        if (*s && strspn(s, safe) == strlen(s)) {
                json_rawz(b, s);
                return;
        }
        json_raw(b, "'", 1);
        while ((p = strchr(s, '\''))) {
                json_raw(b, s, (size_t)(p - s));
                json_raw(b, "'\\''", 4);
                s = p + 1;
        }
        json_rawz(b, s);
        json_raw(b, "'", 1);
}

void cli_format_iso(int64_t t, char buf[CIVIL_ISO8601_SIZE])
{
        /* Out of the four-digit years, show the nearest end rather than nothing. */
        if (civil_format_iso8601(t, buf) < 0)
                (void)civil_format_iso8601(t < 0 ? CIVIL_ISO8601_MIN : CIVIL_ISO8601_MAX, buf);
}

static void kv(JsonBuf *b, const char *key, const char *val)
{
        json_raw(b, ", ", 2);
        json_str(b, key, strlen(key));
        json_raw(b, ": ", 2);
        json_str(b, val, strlen(val));
}

void cli_credential_process_json(JsonBuf *b, const roled_credentials *creds)
{
        char iso[CIVIL_ISO8601_SIZE];

        /* Expiration is formatted here from the number, so its shape never depends on the agent. */
        cli_format_iso(roled_credentials_expiration(creds), iso);
        json_rawz(b, "{\"Version\": 1");
        kv(b, "AccessKeyId", roled_credentials_access_key_id(creds));
        kv(b, "SecretAccessKey", roled_credentials_secret_access_key(creds));
        kv(b, "SessionToken", roled_credentials_session_token(creds));
        kv(b, "Expiration", iso);
        json_rawz(b, "}\n");
}

static void export_line(JsonBuf *b, const char *name, const char *val)
{
        json_rawz(b, "export ");
        json_rawz(b, name);
        json_raw(b, "=", 1);
        cli_shell_quote(b, val);
        json_raw(b, "\n", 1);
}

void cli_env_lines(JsonBuf *b, const roled_credentials *creds)
{
        char iso[CIVIL_ISO8601_SIZE];

        cli_format_iso(roled_credentials_expiration(creds), iso);
        export_line(b, CLI_ENV_ACCESS_KEY, roled_credentials_access_key_id(creds));
        export_line(b, CLI_ENV_SECRET_KEY, roled_credentials_secret_access_key(creds));
        export_line(b, CLI_ENV_TOKEN, roled_credentials_session_token(creds));
        export_line(b, CLI_ENV_EXPIRATION, iso);
}

int cli_emit(JsonBuf *b)
{
        int r;

        if (b->is_oom) {
                json_buf_deinit(b);
                cli_error("out of memory");
                return EXIT_DENIED;
        }
        r = cli_write_all(STDOUT_FILENO, b->data, b->len);
        json_buf_deinit(b);
        if (r < 0) {
                cli_error("writing to standard output: %s", strerror(-r));
                return EXIT_DENIED;
        }
        return EXIT_OK;
}

/* read_file() - the whole of @path into *@textp.  Return: 0, -EFBIG, -ENOMEM, -EIO or fopen()'s
 * -errno. */
static int read_file(const char *path, char **textp)
{
        FILE *f = streq(path, "-") ? stdin : fopen(path, "re");
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r = 0;

        if (!f)
                return -errno;
        buf = malloc(CLI_POLICY_FILE_MAX + 2);
        if (buf)
                n = fread(buf, 1, CLI_POLICY_FILE_MAX + 1, f);
        if (!buf)
                r = -ENOMEM;
        else if (ferror(f))
                r = -EIO;
        else if (n > CLI_POLICY_FILE_MAX)
                r = -EFBIG;
        if (f != stdin)
                fclose(f);
        if (r < 0)
                return r;
        buf[n] = '\0';
        *textp = steal_pointer(&buf);
        return 0;
}

int cli_read_policy(const char *what, const char *path, char **textp)
{
        int r;

        free(*textp);
        *textp = NULL;
        r = read_file(path, textp);
        if (r < 0) {
                cli_error("cannot read %s %s: %s", what, path,
                          r == -EFBIG ? "larger than 10240 bytes" : strerror(-r));
                return EXIT_USAGE;
        }
        return EXIT_OK;
}
