/* SPDX-License-Identifier: MIT */
/*
 * test-exe-claim - a session names the caller's executable (the token's
 * exe and exe-hash claims that roled_verify_token() and rolectl
 * verify-token show) only when the agent checked it for that request: for
 * a role whose answers rest on the executable (exe or exe_sha256 rules,
 * claim_exe = yes), where a request sent before the agent read the
 * executable is refused and the process must still run that file.  For
 * other roles neither check is made, so the session names no executable.
 * (The aws issuer's roled:exe tag and session name: tests/aws.)
 *
 * The attacks, as alice, with a "trusted program" (a copy of this binary
 * with one byte more, so another hash):
 *  1. write then exec: P writes ListRoles (which has the agent hash the
 *     executable it attested, for the exe_sha256 role) and GetCredentials
 *     of a role without exe rules, then execve()s the trusted program; C,
 *     holding a copy of the socket, reads the session.  RACE_ROUNDS rounds.
 *     Before the fix the token named the trusted program (path and hash)
 *     whenever the agent attested after the execve().
 *  2. exec after attestation: the trusted program connects and is attested
 *     (Hello), then execve()s this binary, which asks on that connection.
 *     Before the fix the token named the trusted program every time.
 * The legitimate trusted program still gets its exe claim (and hash) for
 * roles with exe rules, and for a role with claim_exe = yes; and a reload
 * that gives a role exe rules (or takes them away) never serves a session
 * cached before it with the other kind of claim.
 *
 * GetRole's exeClaim and exeClaimCauses (roled_role_exe_claim(), rolectl
 * explain, text and --json) say the same as the sessions do, for a role of
 * each kind (none; exe, exe_sha256 rules; a trust or permissions policy
 * reading roled:exe; claim_exe = yes; several at once) and across a reload.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <roled/roled.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"
#include "session.h"
#include "token.h"

#define RACE_ROUNDS 40

static TestAgent agent;
static const char *cfg;
static char self[PATH_MAX], self_hex[65];
static char impostor[PATH_MAX]; /* a copy of this binary that alice may run */
static char trusted[PATH_MAX], trusted_hex[65];

/* What a verifier sees in @token: its exe claim and exe hash ("" when none). */
typedef struct Seen {
        char exe[PATH_MAX];
        char xsh[65];
        char akid[64];
} Seen;

/*
 * seen() - verify @token with libroled against the agent at @socket
 * (signature and expiry: what a service does) and read its claims.
 * Return: true when it verifies.
 */
static bool seen(const char *socket, const char *token, Seen *s)
{
        roled_client *c = NULL;
        T_AUTO(roled_token_claims) t = NULL;
        TokenClaims tc = TOKEN_CLAIMS_INIT;
        bool ok = false;

        *s = (Seen){ 0 };
        if (t_connect(socket, &c) != ROLED_OK || t_verify_token(c, token, &t) != ROLED_OK) {
                fprintf(stderr, "# token does not verify: %s\n", t_last_error());
                goto out;
        }
        snprintf(s->exe, sizeof(s->exe), "%s", roled_token_claims_exe(t));
        snprintf(s->akid, sizeof(s->akid), "%s", roled_token_claims_access_key_id(t));
        /* The hash claim is not in the public API: read the verified token's claims map. */
        if (token_parse(token, strlen(token), &tc, NULL) != 0)
                goto out;
        if (tc.has_exe_sha256)
                sodium_bin2hex(s->xsh, sizeof(s->xsh), tc.exe_sha256, sizeof(tc.exe_sha256));
        ok = true;
out:
        token_claims_deinit(&tc);
        roled_client_close(c);
        return ok;
}

/*
 * 'T' when @s names the trusted program, 'I' the impostor (this binary or
 * its copy), 'N' nothing, 'X' anything else.
 */
static char verdict(const Seen *s)
{
        if (strcmp(s->exe, trusted) == 0 || strcmp(s->xsh, trusted_hex) == 0)
                return 'T';
        if (strcmp(s->exe, self) == 0 || strcmp(s->exe, impostor) == 0 ||
            strcmp(s->xsh, self_hex) == 0)
                return 'I';
        return !s->exe[0] && !s->xsh[0] ? 'N' : 'X';
}

/*
 * Read answers on @fd until the one to @msgid: 'S' a session (*@s holds
 * what its verified token names), 'R' refused, 'C' closed unanswered, 'X'
 * anything else.
 */
static char read_session(const char *socket, int fd, uint32_t msgid, Seen *s)
{
        char token[TEST_TOKEN_MAX] = "";
        msgpack_unpacker up;
        msgpack_unpacked u;
        char v = 'X';
        Resp r;
        int n;

        msgpack_unpacker_init(&up, 65536);
        msgpack_unpacked_init(&u);
        for (;;) {
                n = raw_recv(fd, &up, &u, 10000);
                if (n == 0 || n == -ECONNRESET || n == -EPIPE) {
                        v = 'C';
                        break;
                }
                if (n != 1 || !resp_parse(&u.data, &r))
                        break;
                if (r.msgid != msgid)
                        continue;
                if (r.code[0]) {
                        fprintf(stderr, "# refused: %s: %s\n", r.code, r.message);
                        v = 'R';
                } else if (resp_str(&r.result, "sessionToken", token, sizeof(token)) &&
                           seen(socket, token, s)) {
                        v = 'S';
                }
                break;
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        return v;
}

/* Spin until the other holder of @fd has connected it.  Return: true when it has. */
static bool wait_connected(int fd)
{
        for (int i = 0; i < 2000000; i++) {
                struct sockaddr_un peer;
                socklen_t len = sizeof(peer);

                if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
                        return true;
        }
        return false;
}

/*
 * One write-then-exec round, as the attacker: P makes a socket and forks C;
 * P connects, writes ListRoles and GetCredentials of @role in one go and
 * execve()s the trusted program (which idles); C reads the session and
 * writes its verdict to @report.
 */
static pid_t write_then_exec_once(const char *role, int report)
{
        pid_t p = fork();

        CHECK(p >= 0);
        if (p == 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                msgpack_sbuffer sb;
                pid_t c;

                if (fd < 0 || strlen(agent.socket) >= sizeof(sa.sun_path))
                        _exit(2);
                memcpy(sa.sun_path, agent.socket, strlen(agent.socket) + 1);
                c = fork();
                if (c < 0)
                        _exit(2);
                if (c == 0) {
                        Seen s = { 0 };
                        char v = wait_connected(fd) ? read_session(agent.socket, fd, 9, &s) : 'X';

                        if (v == 'S')
                                v = verdict(&s);
                        if (v != 'N' && v != 'R' && v != 'C')
                                fprintf(stderr, "# round: %c exe \"%s\" xsh \"%s\"\n", v, s.exe,
                                        s.xsh);
                        _exit(write(report, &v, 1) == 1 ? 0 : 3);
                }
                msgpack_sbuffer_init(&sb);
                pack_request(&sb, 8, "ListRoles", 0);
                pack_request(&sb, 9, "GetCredentials", 1, "role", role);
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    raw_send(fd, sb.data, sb.size) != 0)
                        _exit(2);
                execl(trusted, trusted, "idle", (char *)NULL);
                _exit(127);
        }
        return p;
}

/*
 * RACE_ROUNDS write-then-exec rounds for @arg's role.  Every round must end
 * with a session that names no executable (N), or without one (refused R,
 * closed C); one served at all.  Return: 0, or 10 when a session named an
 * executable (the trusted program: T, the impostor: I), 11 otherwise.
 */
static int write_then_exec(void *arg)
{
        const char *role = arg;
        pid_t ps[RACE_ROUNDS];
        int rep[2], n[128] = { 0 };

        CHECK(pipe(rep) == 0);
        for (int i = 0; i < RACE_ROUNDS; i++) {
                struct pollfd pfd = { .fd = rep[0], .events = POLLIN };
                char v = 'X';

                ps[i] = write_then_exec_once(role, rep[1]);
                if (poll(&pfd, 1, 15000) != 1 || read(rep[0], &v, 1) != 1)
                        v = 'X';
                n[(unsigned char)v & 127]++;
        }
        for (int i = 0; i < RACE_ROUNDS; i++)
                (void)wait_status(ps[i]);
        printf("write-then-exec role=%s: %d named the trusted program, %d the impostor, %d no "
               "executable, %d refused, %d closed, %d other\n",
               role, n['T'], n['I'], n['N'], n['R'], n['C'], n['X']);
        if (n['T'] || n['I'])
                return 10;
        return n['X'] || !n['N'] ? 11 : 0;
}

/*
 * Mode "ask SOCKET ROLE", run as the trusted program or the impostor: one
 * GetCredentials of ROLE through libroled (which resends a request refused
 * as SentBeforeAttestation); prints "exe|xsh|akid|token".  An AssumeRole of
 * ROLE on the same connection must name the same (exit 1 otherwise).
 */
static int ask_mode(const char *socket, const char *role)
{
        roled_client *c = NULL;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_credentials) assumed = NULL;
        Seen s, sa;

        req.role = role;
        if (t_connect(socket, &c) != ROLED_OK || t_get_credentials(c, &req, &cr) != ROLED_OK ||
            t_assume_role(c, role, 0, NULL, NULL, NULL, &assumed) != ROLED_OK) {
                fprintf(stderr, "role %s: %s\n", role, t_last_error());
                return 1;
        }
        if (!seen(socket, roled_credentials_session_token(cr), &s) ||
            !seen(socket, roled_credentials_session_token(assumed), &sa))
                return 1;
        if (strcmp(s.exe, sa.exe) != 0 || strcmp(s.xsh, sa.xsh) != 0) {
                fprintf(stderr,
                        "role %s: GetCredentials names \"%s\" \"%s\", AssumeRole \"%s\" \"%s\"\n",
                        role, s.exe, s.xsh, sa.exe, sa.xsh);
                return 1;
        }
        printf("%s|%s|%s|%s\n", s.exe, s.xsh, s.akid, roled_credentials_session_token(cr));
        roled_client_close(c);
        return 0;
}

/*
 * Mode "connect-exec SOCKET ROLE IMPOSTOR": as the trusted program, connect
 * and be attested (Hello answered), then execve() IMPOSTOR ("send-3 ROLE
 * SOCKET"), which asks on the inherited connection.
 */
static int connect_exec_mode(const char *socket, const char *role, const char *program)
{
        int fd = raw_connect(socket);

        if (fd != 3) {
                CHECK(dup2(fd, 3) == 3);
                close(fd);
        }
        CHECK(fcntl(3, F_SETFD, 0) == 0); /* kept across the execve() */
        CHECK_INT(raw_hello(3), ==, 0);
        execl(program, program, "send-3", role, socket, (char *)NULL);
        _exit(127);
}

/*
 * Mode "send-3 ROLE SOCKET": GetCredentials, then AssumeRole, of ROLE on fd
 * 3; prints how each was answered (read_session()) and what its session
 * names: "S|exe|xsh" lines.
 */
static int send3_mode(const char *role, const char *socket)
{
        static const char *const methods[] = { "GetCredentials", "AssumeRole" };

        for (uint32_t i = 0; i < 2; i++) {
                msgpack_sbuffer sb;
                Seen s = { 0 };
                char v;

                msgpack_sbuffer_init(&sb);
                pack_request(&sb, 5 + i, methods[i], 1, "role", role);
                CHECK(raw_send(3, sb.data, sb.size) == 0);
                msgpack_sbuffer_destroy(&sb);
                v = read_session(socket, 3, 5 + i, &s);
                printf("%c|%s|%s\n", v, s.exe, s.xsh);
        }
        return 0;
}

/*
 * ask() - as alice, @program asks for @role (mode "ask"); *@s gets what its
 * session names and @token (may be NULL) the session token.
 */
static void ask(const char *program, const char *role, Seen *s, char *token, size_t token_size)
{
        const char *argv[] = { program, "ask", agent.socket, role, NULL };
        char *out = NULL;
        char *f[4], *p;

        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, argv, &out, NULL), ==, 0);
        p = out;
        for (int i = 0; i < 4; i++)
                f[i] = strsep(&p, i < 3 ? "|" : "\n");
        CHECK(f[3]);
        *s = (Seen){ 0 };
        snprintf(s->exe, sizeof(s->exe), "%s", f[0]);
        snprintf(s->xsh, sizeof(s->xsh), "%s", f[1]);
        snprintf(s->akid, sizeof(s->akid), "%s", f[2]);
        if (token)
                snprintf(token, token_size, "%s", f[3]);
        free(out);
}

/*
 * As alice, @program asks for @role (mode "ask"); its session must name
 * @want_exe and @want_xsh ("" for none).  Return: the access key id (static).
 */
static const char *check_claims(const char *program, const char *role, const char *want_exe,
                                const char *want_xsh, char *token, size_t token_size)
{
        static char akid[64];
        Seen s;

        ask(program, role, &s, token, token_size);
        CHECK_MSG(strcmp(s.exe, want_exe) == 0 && strcmp(s.xsh, want_xsh) == 0,
                  "role %s asked by %s: the session names exe \"%s\" xsh \"%s\", expected \"%s\" "
                  "and \"%s\"",
                  role, program, s.exe, s.xsh, want_exe, want_xsh);
        snprintf(akid, sizeof(akid), "%s", s.akid);
        return akid;
}

/* rolectl verify-token shows @token's exe as @want ("-": none). */
static void check_rolectl(const char *token, const char *want)
{
        char *env_token = NULL, *out = NULL;
        const char *env[] = { NULL, NULL };
        char line[PATH_MAX + 32];

        CHECK(asprintf(&env_token, "AWS_SESSION_TOKEN=%s", token) > 0);
        env[0] = env_token;
        {
                const char *argv[] = { test_rolectl(), "verify-token", NULL };

                CHECK_INT(run_cmd(UID_ALICE, agent.socket, env, argv, &out, NULL), ==, 0);
        }
        snprintf(line, sizeof(line), "\nexe          %s\n", want);
        CHECK_MSG(strstr(out, line), "rolectl verify-token: no \"exe          %s\" line in:\n%s",
                  want, out);
        free(out);
        free(env_token);
}

static void test_write_then_exec(void)
{
        CHECK_INT(run_as(UID_ALICE, write_then_exec, (void *)"plain"), ==, 0);
}

static void test_exec_after_attestation(void)
{
        const char *argv[] = { trusted, "connect-exec", agent.socket, "plain", impostor, NULL };
        char *out = NULL;
        char *p, *f[3];

        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, argv, &out, NULL), ==, 0);
        printf("exec after attestation, role plain (GetCredentials, AssumeRole):\n%s", out);
        p = out;
        for (int n = 0; n < 2; n++) {
                Seen s = { 0 };

                for (int i = 0; i < 3; i++)
                        f[i] = strsep(&p, i < 2 ? "|" : "\n");
                CHECK_MSG(f[2] && strcmp(f[0], "S") == 0, "role plain: not served: %s", out);
                snprintf(s.exe, sizeof(s.exe), "%s", f[1]);
                snprintf(s.xsh, sizeof(s.xsh), "%s", f[2]);
                CHECK_MSG(verdict(&s) == 'N',
                          "role plain: the session %s asked for on the connection the trusted "
                          "program opened names exe \"%s\" xsh \"%s\"",
                          impostor, s.exe, s.xsh);
        }
        free(out);
}

static void test_genuine(void)
{
        char token[TEST_TOKEN_MAX];

        check_claims(trusted, "by-exe", trusted, "", token, sizeof(token));
        check_rolectl(token, trusted);
        check_claims(trusted, "by-hash", trusted, trusted_hex, NULL, 0);
        check_claims(trusted, "claimed", trusted, "", NULL, 0);
        check_claims(impostor, "claimed", impostor, "", NULL, 0);
        /* No exe rules: the genuine program is served too, and named by nothing. */
        check_claims(trusted, "plain", "", "", token, sizeof(token));
        check_rolectl(token, "-");
}

/*
 * get_role_claim() - GetRole of @role (as root, an administrator) through
 * libroled: roled_role_exe_claim(), and its causes joined with "," into
 * @causes.
 */
static int get_role_claim(const char *role, char *causes, size_t size)
{
        roled_client *c = NULL;
        T_AUTO(roled_role) r = NULL;
        size_t n = 0;
        int claim;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_role(c, role, &r), ==, ROLED_OK);
        claim = roled_role_exe_claim(r);
        causes[0] = '\0';
        for (size_t i = 0; i < roled_role_exe_claim_cause_count(r); i++)
                n += (size_t)snprintf(causes + n, size - n, "%s%s", i ? "," : "",
                                      roled_role_exe_claim_cause(r, i));
        CHECK(n < size);
        r = roled_role_unref(r);
        roled_client_close(c);
        return claim;
}

/*
 * `rolectl explain @role` as root, text and --json, says what GetRole said:
 * @claim and @causes (joined with ", " in the text, "," here).
 */
static void check_explain(const char *role, int claim, const char *causes)
{
        const char *text[] = { test_rolectl(), "explain", role, NULL };
        const char *json[] = { test_rolectl(), "explain", role, "--json", NULL };
        char *out = NULL, line[512], joined[256] = "";
        json_t *j, *list, *e;
        size_t i, n = 0;

        CHECK_INT(run_cmd(0, agent.socket, NULL, text, &out, NULL), ==, 0);
        if (claim) {
                char spaced[256];
                size_t k = 0;

                for (const char *p = causes; *p && k + 2 < sizeof(spaced); p++) {
                        spaced[k++] = *p;
                        if (*p == ',')
                                spaced[k++] = ' ';
                }
                spaced[k] = '\0';
                snprintf(line, sizeof(line),
                         "\nexe claim    yes (%s): sessions name the caller's program\n", spaced);
        } else {
                snprintf(line, sizeof(line), "\nexe claim    no: sessions name no program\n");
        }
        CHECK_MSG(strstr(out, line), "rolectl explain %s: no line \"%s\" in:\n%s", role, line + 1,
                  out);
        free(out);
        CHECK_INT(run_cmd(0, agent.socket, NULL, json, &out, NULL), ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "rolectl explain %s --json: not JSON: %s", role, out);
        CHECK_MSG(json_is_boolean(json_object_get(j, "exeClaim")) &&
                          json_is_true(json_object_get(j, "exeClaim")) == (claim == 1),
                  "rolectl explain %s --json: exeClaim is not %s: %s", role,
                  claim ? "true" : "false", out);
        list = json_object_get(j, "exeClaimCauses");
        CHECK_MSG(json_is_array(list), "rolectl explain %s --json: no exeClaimCauses array: %s",
                  role, out);
        json_array_foreach(list, i, e)
        {
                CHECK(json_is_string(e));
                n += (size_t)snprintf(joined + n, sizeof(joined) - n, "%s%s", i ? "," : "",
                                      json_string_value(e));
        }
        CHECK_MSG(strcmp(joined, causes) == 0,
                  "rolectl explain %s --json: exeClaimCauses \"%s\", expected \"%s\"", role, joined,
                  causes);
        json_decref(j);
        free(out);
}

/*
 * check_role_agrees() - GetRole of @role says exeClaim @want_causes != ""
 * because of @want_causes ("," between names), rolectl explain says so
 * too, and a session of the role, asked for by the trusted program, names
 * it (its token's exe claim, as roled_verify_token() and rolectl
 * verify-token show it) exactly when GetRole says so.
 */
static void check_role_agrees(const char *role, const char *want_causes)
{
        char causes[256], token[TEST_TOKEN_MAX];
        int claim = get_role_claim(role, causes, sizeof(causes));
        Seen s;

        printf("role %s: GetRole exeClaim %d, causes \"%s\"\n", role, claim, causes);
        CHECK_MSG(claim == (want_causes[0] != '\0') && strcmp(causes, want_causes) == 0,
                  "role %s: GetRole says exeClaim %d because of \"%s\", expected \"%s\"", role,
                  claim, causes, want_causes);
        check_explain(role, claim, causes);
        ask(trusted, role, &s, token, sizeof(token));
        CHECK_MSG((s.exe[0] != '\0') == (claim == 1),
                  "role %s: GetRole says exeClaim %d, its session names exe \"%s\"", role, claim,
                  s.exe);
        CHECK_STREQ(s.exe, claim ? trusted : "");
        if (!claim)
                CHECK_STREQ(s.xsh, "");
        check_rolectl(token, claim ? trusted : "-");
}

static void test_get_role_agrees(void)
{
        check_role_agrees("plain", "");
        check_role_agrees("by-exe", "exe");
        check_role_agrees("by-hash", "exe_sha256");
        check_role_agrees("by-trust-policy", "trust_policy");
        check_role_agrees("by-permissions", "permissions");
        check_role_agrees("no-exe-read", "");
        check_role_agrees("claimed", "claim_exe");
        check_role_agrees("many", "exe,permissions,claim_exe");
}

static void put_switch(bool has_exe_rule)
{
        config_put(cfg, "roles.d/50-switch.ini",
                   "[role]\nname = switch\n[trust]\nusers = roledalice\n%s%s%s",
                   has_exe_rule ? "exe = " : "", has_exe_rule ? trusted : "",
                   has_exe_rule ? "\n" : "");
}

static void reload(void)
{
        roled_client *c = NULL;
        uint32_t n;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_reload(c, &n), ==, ROLED_OK);
        roled_client_close(c);
}

/*
 * A session cached for a role without exe rules (no claim) is not served
 * once a reload gives the role exe rules, and one cached with the claim is
 * not served once they are gone: the cache key says which kind it is.
 */
static void test_reload_switches_claim(void)
{
        char before[64], with[64];

        snprintf(before, sizeof(before), "%s", check_claims(trusted, "switch", "", "", NULL, 0));
        check_role_agrees("switch", "");
        put_switch(true);
        reload();
        snprintf(with, sizeof(with), "%s", check_claims(trusted, "switch", trusted, "", NULL, 0));
        CHECK(strcmp(before, with) != 0);
        check_role_agrees("switch", "exe");
        put_switch(false);
        reload();
        CHECK(strcmp(check_claims(trusted, "switch", "", "", NULL, 0), with) != 0);
        check_role_agrees("switch", "");
}

int main(int argc, char **argv)
{
        const char *cp[] = { "/bin/cp", NULL, NULL, NULL };
        ssize_t n;
        int fd;

        if (argc == 2 && strcmp(argv[1], "idle") == 0) {
                usleep(100 * 1000);
                return 0;
        }
        CHECK(sodium_init() >= 0);
        if (argc == 4 && strcmp(argv[1], "ask") == 0)
                return ask_mode(argv[2], argv[3]);
        if (argc == 5 && strcmp(argv[1], "connect-exec") == 0)
                return connect_exec_mode(argv[2], argv[3], argv[4]);
        if (argc == 4 && strcmp(argv[1], "send-3") == 0)
                return send3_mode(argv[2], argv[3]);
        test_init(argc, argv);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        file_sha256_hex(self, self_hex);
        snprintf(impostor, sizeof(impostor), "%s", test_path("impostor-program"));
        snprintf(trusted, sizeof(trusted), "%s", test_path("trusted-program"));
        cp[1] = self;
        cp[2] = impostor;
        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        CHECK(chmod(impostor, 0755) == 0);
        cp[2] = trusted;
        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        /* One byte more (the loader ignores it): another hash than this binary's. */
        fd = open(trusted, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
        close(fd);
        CHECK(chmod(trusted, 0755) == 0);
        file_sha256_hex(trusted, trusted_hex);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = roledalice\nexe = %s\n", trusted);
        config_put(cfg, "roles.d/20-by-hash.ini",
                   "[role]\nname = by-hash\n[trust]\nusers = roledalice\nexe_sha256 = %s\n",
                   trusted_hex);
        config_put(cfg, "roles.d/30-plain.ini",
                   "[role]\nname = plain\n[trust]\nusers = roledalice\n");
        config_put(cfg, "roles.d/40-claimed.ini",
                   "[role]\nname = claimed\nclaim_exe = yes\n[trust]\nusers = roledalice\n");
        /* Policies that read roled:exe, and one that reads other keys only. */
        config_put(cfg, "roles.d/reads-exe.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"roled:exe\": \"/usr/bin/aws\"}}}]}");
        config_put(cfg, "roles.d/reads-user.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"roled:user\": \"roledalice\"}}}]}");
        config_put(cfg, "roles.d/trust-exe.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": "
                   "\"user:roledalice\"}, \"Condition\": {\"StringLike\": {\"roled:exe\": "
                   "\"/*\"}}}]}");
        config_put(cfg, "roles.d/41-by-permissions.ini",
                   "[role]\nname = by-permissions\npermissions = reads-exe.json\n[trust]\n"
                   "users = roledalice\n");
        config_put(cfg, "roles.d/42-by-trust-policy.ini",
                   "[role]\nname = by-trust-policy\ntrust_policy = trust-exe.json\n[trust]\n"
                   "users = roledalice\n");
        config_put(cfg, "roles.d/43-no-exe-read.ini",
                   "[role]\nname = no-exe-read\npermissions = reads-user.json\n[trust]\n"
                   "users = roledalice\n");
        config_put(cfg, "roles.d/44-many.ini",
                   "[role]\nname = many\nclaim_exe = yes\npermissions = reads-exe.json\n"
                   "[trust]\nusers = roledalice\nexe = %s\n",
                   trusted);
        put_switch(false);
        agent_spawn(cfg, &agent);

        test_genuine();
        test_get_role_agrees();
        test_exec_after_attestation();
        test_write_then_exec();
        test_reload_switches_claim();
        test_genuine();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
