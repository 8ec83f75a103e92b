/* SPDX-License-Identifier: MIT */
/*
 * test-client-cli.c - rolectl's helpers that need no agent: duration parsing,
 * the JSON escaper (its output parsed back with jansson), the
 * credential_process object, shell quoting and the env lines (both run
 * through /bin/sh and compared with what went in), exit-code mapping and the
 * shared subcommand option loop.
 */
#undef NDEBUG
#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <getopt.h>

#include "cli.h"
#include "client.h"

/*
 * cli.c's option loop prints help through rolectl.c, which holds main(); this
 * stands in for it and records which command's help was asked for.
 */
static const char *help_asked;

void cli_print_help(const char *name, FILE *f)
{
        (void)f;
        help_asked = name;
}

static void test_duration(void **state)
{
        static const struct {
                const char *in;
                int r;
                uint32_t out;
        } cases[] = {
                { "900", 0, 900 },       { "900s", 0, 900 },
                { "15m", 0, 900 },       { "1h", 0, 3600 },
                { "1h30m", 0, 5400 },    { "12h", 0, 43200 },
                { "43200", 0, 43200 },   { "2h0m10s", 0, 7210 },
                { "1H30M", 0, 5400 },    { "15M", 0, 900 },
                { "", -EINVAL, 0 },      { "0", -ERANGE, 0 },
                { "899", -ERANGE, 0 },   { "14m", -ERANGE, 0 },
                { "h", -EINVAL, 0 },     { "15x", -EINVAL, 0 },
                { "-5", -EINVAL, 0 },    { "1.5h", -EINVAL, 0 },
                { "15 m", -EINVAL, 0 },  { "13h", -ERANGE, 0 },
                { "43201", -ERANGE, 0 }, { "99999999999999999999", -ERANGE, 0 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t v = 12345;
                int r = cli_parse_duration(cases[i].in, &v);

                if (r != cases[i].r)
                        fail_msg("'%s': got %d, want %d", cases[i].in, r, cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].out : 12345);
        }
}

static void test_format_duration(void **state)
{
        char b[32];

        duration_format(3600, b, sizeof(b));
        assert_string_equal(b, "1h");
        duration_format(5400, b, sizeof(b));
        assert_string_equal(b, "1h30m");
        duration_format(45, b, sizeof(b));
        assert_string_equal(b, "45s");
        duration_format(0, b, sizeof(b));
        assert_string_equal(b, "0s");
}

static void check_json_roundtrip_n(const char *in, size_t n, const char *want, size_t want_len)
{
        JsonBuf b = JSON_BUF_INIT;
        json_error_t err;
        json_t *v;

        json_str(&b, in, n);
        assert_false(b.is_oom);
        v = json_loads(b.data, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        if (!v)
                fail_msg("%s does not parse: %s", b.data, err.text);
        assert_true(json_is_string(v));
        assert_int_equal(json_string_length(v), want_len);
        assert_memory_equal(json_string_value(v), want, want_len);
        json_decref(v);
        json_buf_deinit(&b);
}

static void check_json_roundtrip(const char *in, size_t n, const char *want)
{
        check_json_roundtrip_n(in, n, want, strlen(want));
}

static void test_json_escape(void **state)
{
        char ctl[32];

        check_json_roundtrip("plain", 5, "plain");
        check_json_roundtrip("", 0, "");
        check_json_roundtrip("q\"b\\s/", 6, "q\"b\\s/");
        check_json_roundtrip("a\nb\tc\rd\be\ff", 11, "a\nb\tc\rd\be\ff");
        for (int i = 1; i < 32; i++)
                ctl[i - 1] = (char)i;
        ctl[31] = '\0';
        check_json_roundtrip(ctl, 31, ctl);
        check_json_roundtrip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", 14,
                             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
        /* Invalid UTF-8 (stray continuation, overlong, surrogate, truncated) becomes U+FFFD. */
        check_json_roundtrip("a\x80z", 3, "a\xef\xbf\xbdz");
        check_json_roundtrip("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
        check_json_roundtrip("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        check_json_roundtrip("x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd");
        /* An embedded NUL survives as \u0000. */
        check_json_roundtrip_n("a\0b", 3, "a\0b", 3);
}

/* sample() - a credentials object decoded, as libroled does, from a result map. */
static roled_credentials *sample(void)
{
        msgpack_zone zone;
        msgpack_object obj;
        ProtoCredentialsRep rep;
        const char *field = NULL;
        ProtoBuf b;
        void *c = NULL;

        proto_buf_init(&b, true);
        msgpack_pack_map(&b.pk, 4);
        proto_pack_kv_str(&b, "accessKeyId", "ASIAABCDEFGHIJKLMNOP");
        proto_pack_kv_str(&b, "secretAccessKey", "abcd/EFGH+ijkl0123456789abcdefghijklmnop");
        proto_pack_kv_str(&b, "sessionToken", "AQID+/v=\"weird'token\\");
        proto_pack_kv_uint(&b, "expiration", 1900000000); /* 2030-03-17T17:46:40Z */
        msgpack_zone_init(&zone, 1024);
        assert_int_equal(msgpack_unpack((const char *)b.data, b.len, NULL, &zone, &obj),
                         MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(codec_decode_CredentialsRep(&obj, &zone, &rep, &field), 0);
        assert_int_equal(result_decode(&credentials_kind, &rep, &c, NULL), ROLED_OK);
        msgpack_zone_destroy(&zone);
        proto_buf_deinit(&b);
        return c;
}

static void test_credential_process_json(void **state)
{
        roled_credentials *c = sample();
        JsonBuf b = JSON_BUF_INIT;
        json_error_t err;
        json_t *o;

        cli_credential_process_json(&b, c);
        assert_false(b.is_oom);
        assert_int_equal(b.data[b.len - 1], '\n');
        o = json_loads(b.data, 0, &err);
        assert_non_null(o);
        assert_int_equal(json_object_size(o), 5);
        /* Version must be the JSON number 1: SDKs reject the string "1". */
        assert_true(json_is_integer(json_object_get(o, "Version")));
        assert_int_equal(json_integer_value(json_object_get(o, "Version")), 1);
        assert_string_equal(json_string_value(json_object_get(o, "AccessKeyId")),
                            roled_credentials_access_key_id(c));
        assert_string_equal(json_string_value(json_object_get(o, "SecretAccessKey")),
                            roled_credentials_secret_access_key(c));
        assert_string_equal(json_string_value(json_object_get(o, "SessionToken")),
                            roled_credentials_session_token(c));
        assert_string_equal(json_string_value(json_object_get(o, "Expiration")),
                            "2030-03-17T17:46:40Z");
        json_decref(o);
        json_buf_deinit(&b);
        assert_null(b.data);
        roled_credentials_unref(c);
}

/* sh_output() - run @script with /bin/sh -c and return its standard output (heap). */
static char *sh_output(const char *script)
{
        int p[2], status;
        char *out = calloc(1, 65536);
        size_t n = 0;
        ssize_t r;
        pid_t pid;

        assert_non_null(out);
        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(p[1], 1);
                close(p[0]);
                close(p[1]);
                execl("/bin/sh", "sh", "-c", script, (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        while ((r = read(p[0], out + n, 65535 - n)) > 0)
                n += (size_t)r;
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return out;
}

static void test_shell_quote(void **state)
{
        static const char *const cases[] = {
                "abc", "",  "it's", "a b",    "$HOME",    "`id`", "back\\slash", "'''", "a\nb",
                "*",   "~", "x;y",  "\"dq\"", "AQID+/v=", "-n",   "$(id)",       "!",
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                JsonBuf b = JSON_BUF_INIT;
                char *out;

                json_rawz(&b, "printf '%s' ");
                cli_shell_quote(&b, cases[i]);
                assert_false(b.is_oom);
                out = sh_output(b.data);
                if (strcmp(out, cases[i]) != 0)
                        fail_msg("%s printed '%s'", b.data, out);
                free(out);
                json_buf_deinit(&b);
        }
        /* Safe words stay bare, so the output is readable. */
        {
                JsonBuf b = JSON_BUF_INIT;

                cli_shell_quote(&b, "ASIA/x+y=z");
                assert_string_equal(b.data, "ASIA/x+y=z");
                json_buf_deinit(&b);
        }
}

static void test_env_lines(void **state)
{
        roled_credentials *c = sample();
        JsonBuf b = JSON_BUF_INIT;
        char *out;

        cli_env_lines(&b, c);
        json_rawz(&b, "printf '%s|%s|%s|%s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" "
                      "\"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"");
        assert_false(b.is_oom);
        assert_non_null(strstr(b.data, "export AWS_ACCESS_KEY_ID=ASIAABCDEFGHIJKLMNOP\n"));
        out = sh_output(b.data);
        assert_string_equal(out, "ASIAABCDEFGHIJKLMNOP|abcd/EFGH+ijkl0123456789abcdefghijklmnop|"
                                 "AQID+/v=\"weird'token\\|2030-03-17T17:46:40Z");
        free(out);
        json_buf_deinit(&b);
        roled_credentials_unref(c);
}

static void test_format_iso(void **state)
{
        char b[32], want[32];

        cli_format_iso(0, b);
        assert_string_equal(b, "1970-01-01T00:00:00Z");
        cli_format_iso(951782400, b); /* a leap day in a century leap year */
        assert_string_equal(b, "2000-02-29T00:00:00Z");
        cli_format_iso(-1, b);
        assert_string_equal(b, "1969-12-31T23:59:59Z");
        /* Agrees with gmtime_r() every ~11 days over 1970..2100. */
        for (int64_t t = 0; t < 4102444800; t += 999983) {
                time_t tt = (time_t)t;
                struct tm tm;

                gmtime_r(&tt, &tm);
                strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
                cli_format_iso(t, b);
                assert_string_equal(b, want);
        }
}

static void test_exit_codes(void **state)
{
        assert_int_equal(cli_status_exit(ROLED_OK), 0);
        assert_int_equal(cli_status_exit(ROLED_E_ACCESS_DENIED), EXIT_DENIED);
        assert_int_equal(cli_status_exit(ROLED_E_INTERNAL), EXIT_DENIED);
        assert_int_equal(cli_status_exit(ROLED_E_NO_AGENT), EXIT_UNREACHABLE);
        assert_int_equal(cli_status_exit(ROLED_E_UNTRUSTED_AGENT), EXIT_UNREACHABLE);
        assert_int_equal(cli_status_exit(ROLED_E_TIMEOUT), EXIT_UNREACHABLE);
        assert_int_equal(EXIT_USAGE, 2);
}

/* parse() - cli_parse_options() on a NULL-terminated argv, from a fresh getopt state. */
static int parse(char **argv, unsigned flags, CliOptions *opts)
{
        int argc = 0;

        while (argv[argc])
                argc++;
        optind = 0;
        opterr = 0;
        return cli_parse_options(argc, argv, flags, opts);
}

static void test_parse_options(void **state)
{
        const unsigned cred = CLI_OPT_ROLE | CLI_OPT_DURATION;
        CliOptions opts;

        {
                char *argv[] = { "status", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON, &opts), CLI_GO_ON);
                assert_false(opts.is_json);
                assert_null(opts.role);
                assert_int_equal(opts.duration_seconds, 0);
                assert_int_equal(optind, 1);
        }
        {
                char *argv[] = { "status", "--json", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON, &opts), CLI_GO_ON);
                assert_true(opts.is_json);
        }
        {
                char *argv[] = { "env", "--role", "deploy", "-d", "15m", "-j", NULL };

                assert_int_equal(parse(argv, cred | CLI_OPT_JSON, &opts), CLI_GO_ON);
                assert_string_equal(opts.role, "deploy");
                assert_int_equal(opts.duration_seconds, 900);
                assert_true(opts.is_json);
        }
        {
                /* Without CLI_OPT_PERMUTE the first operand ends the options: the rest is CMD's. */
                char *argv[] = { "exec", "-r", "deploy", "cmd", "--duration", "1h", NULL };

                assert_int_equal(parse(argv, cred | CLI_OPT_OPERANDS, &opts), CLI_GO_ON);
                assert_int_equal(optind, 3);
                assert_int_equal(opts.duration_seconds, 0);
        }
        {
                char *argv[] = { "explain", "admin", "--json", NULL };

                assert_int_equal(
                        parse(argv, CLI_OPT_JSON | CLI_OPT_OPERANDS | CLI_OPT_PERMUTE, &opts),
                        CLI_GO_ON);
                assert_true(opts.is_json);
                assert_string_equal(argv[optind], "admin");
        }
        {
                char *argv[] = { "explain", "--json", "admin", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON | CLI_OPT_ONE_ROLE, &opts), CLI_GO_ON);
                assert_true(opts.is_json);
                assert_int_equal(optind, 2);
        }
        {
                char *argv[] = { "exec", "--", "cmd", "-x", NULL };

                assert_int_equal(parse(argv, cred | CLI_OPT_COMMAND, &opts), CLI_GO_ON);
                assert_string_equal(argv[optind], "cmd");
        }

        /* Every refusal leaves *opts alone. */
        opts = (CliOptions){ .role = "untouched" };
        {
                char *argv[] = { "status", "extra", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "reload", "--json", NULL };

                assert_int_equal(parse(argv, 0, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "revoke", "-d", "1h", NULL };

                assert_int_equal(parse(argv, CLI_OPT_ROLE, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "env", "--duration", "0", NULL };

                assert_int_equal(parse(argv, cred, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "credential-process", "--role", NULL };

                assert_int_equal(parse(argv, cred, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "explain", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON | CLI_OPT_ONE_ROLE, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "explain", "a", "--json", "b", NULL };

                assert_int_equal(parse(argv, CLI_OPT_JSON | CLI_OPT_ONE_ROLE, &opts), EXIT_USAGE);
        }
        {
                char *argv[] = { "exec", "--role", "deploy", NULL };

                assert_int_equal(parse(argv, cred | CLI_OPT_COMMAND, &opts), EXIT_USAGE);
        }
        assert_string_equal(opts.role, "untouched");

        {
                char *argv[] = { "status", "--help", "extra", NULL };

                help_asked = NULL;
                assert_int_equal(parse(argv, CLI_OPT_JSON, &opts), EXIT_OK);
                assert_string_equal(help_asked, "status");
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_format_duration),
                cmocka_unit_test(test_json_escape),
                cmocka_unit_test(test_credential_process_json),
                cmocka_unit_test(test_shell_quote),
                cmocka_unit_test(test_env_lines),
                cmocka_unit_test(test_format_iso),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_parse_options),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
