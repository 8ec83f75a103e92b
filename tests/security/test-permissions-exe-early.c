/* SPDX-License-Identifier: MIT */
/*
 * test-permissions-exe-early - an answer rests on the executable when the
 * role's PERMISSIONS read roled:exe-sha256 or roled:exe, not only when its
 * trust does: the session carries the attested executable and Authorize
 * evaluates it.  No role here has exe rules in its trust.
 *
 * 1. A GetCredentials request queued while the agent is stopped (so before
 *    it accepts the connection and reads the executable) may have been
 *    written by the program the process ran before an execve(): for a role
 *    whose permissions read roled:exe-sha256 (or roled:exe) it must be
 *    answered SentBeforeAttestation, not with a session that Authorize
 *    allows.  Sent again on the same connection it is served and allowed.
 * 2. A connection attested while the process ran a trusted program, whose
 *    process then execve()s another program that sends the request, must be
 *    refused (AccessDenied: it runs another executable) rather than given a
 *    session carrying the trusted program's hash.  The trusted program
 *    itself is served and allowed.
 */
#undef NDEBUG
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "session.h"

static TestAgent agent;

/* The answer to @msgid on @fd: its code ("" on success); a session token into @token. */
static void answer(int fd, uint32_t msgid, char *code, size_t code_size, char *token,
                   size_t token_size)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        char pid[16];

        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_INT(r.msgid, ==, msgid);
        snprintf(code, code_size, "%s", r.code);
        if (!r.code[0])
                resp_str(&r.result, "sessionToken", token, token_size);
        else
                fprintf(stderr, "# %s: %s\n", r.code, r.message);
        /* No answer names our pid (in a child pid namespace, it would be the host pid). */
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        CHECK_MSG(!strstr(r.message, pid), "the answer names our pid %s: \"%s\"", pid, r.message);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

/* Authorize s3:GetObject with @token on a fresh connection: "allow" or "deny". */
static void decision(const char *socket, const char *token, char *out, size_t size)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        int fd = raw_connect(socket);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 4, "Authorize", 3, "sessionToken", token, "action", "s3:GetObject",
                     "resource", "arn:aws:s3:::b/k");
        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_STREQ(r.code, "");
        resp_str(&r.result, "decision", out, size);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

static void check_early(const char *role)
{
        char code[64], token[TEST_TOKEN_MAX], dec[32] = "";
        msgpack_sbuffer sb;
        int fd;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCredentials", 1, "role", role);
        /* Queued while the agent cannot run: before it accepts, so before it reads our exe. */
        CHECK(kill(agent.pid, SIGSTOP) == 0);
        fd = raw_connect(agent.socket);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK(kill(agent.pid, SIGCONT) == 0);
        answer(fd, 7, code, sizeof(code), token, sizeof(token));
        if (!code[0])
                decision(agent.socket, token, dec, sizeof(dec));
        CHECK_MSG(strcmp(code, "SentBeforeAttestation") == 0,
                  "role %s: a request sent before attestation was answered \"%s\" (Authorize: %s)",
                  role, code, dec);
        /* Sent again, it is this program's: served, and Authorize allows. */
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        answer(fd, 7, code, sizeof(code), token, sizeof(token));
        CHECK_MSG(!code[0], "role %s: resent request answered %s", role, code);
        decision(agent.socket, token, dec, sizeof(dec));
        CHECK_STREQ(dec, "allow");
        close(fd);
        msgpack_sbuffer_destroy(&sb);
}

/* Mode --send ROLE SOCKET WANT: on fd 3 (attested before our execve), ask for ROLE. */
static int send_mode(char **argv)
{
        char code[64], token[TEST_TOKEN_MAX], dec[32] = "";
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 8, "GetCredentials", 1, "role", argv[2]);
        CHECK(raw_send(3, sb.data, sb.size) == 0);
        answer(3, 8, code, sizeof(code), token, sizeof(token));
        if (!code[0])
                decision(argv[3], token, dec, sizeof(dec));
        CHECK_MSG(strcmp(code, argv[4]) == 0,
                  "role %s after execve: answered \"%s\" (Authorize: %s), expected \"%s\"", argv[2],
                  code, dec, argv[4]);
        if (!code[0])
                CHECK_STREQ(dec, "allow");
        msgpack_sbuffer_destroy(&sb);
        return 0;
}

/*
 * Mode --connect-exec SOCKET ROLE PROGRAM WANT: connect (as this trusted
 * copy), wait until attested, then execve PROGRAM which sends the request.
 */
static int connect_exec_mode(char **argv)
{
        int fd = raw_connect(argv[2]);

        if (fd != 3) {
                CHECK(dup2(fd, 3) == 3);
                close(fd);
        }
        CHECK(fcntl(3, F_SETFD, 0) == 0);
        CHECK_INT(raw_hello(3), ==, 0); /* answered: attested, running this program */
        execl(argv[4], argv[4], "--send", argv[3], argv[2], argv[5], (char *)NULL);
        _exit(127);
}

static void run_exec(const char *program, const char *role, const char *then, const char *want)
{
        pid_t pid = fork();

        CHECK(pid >= 0);
        if (pid == 0) {
                execl(program, program, "--connect-exec", agent.socket, role, then, want,
                      (char *)NULL);
                _exit(127);
        }
        CHECK_INT(wait_status(pid), ==, 0);
}

static void put_permissions(const char *cfg, const char *file, const char *key, const char *value)
{
        config_put(cfg, file,
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"%s\": \"%s\"}}}]}",
                   key, value);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], hex[65], trusted[PATH_MAX], thex[65];
        const char *cp[] = { "/bin/cp", NULL, NULL, NULL };
        const char *cfg;
        ssize_t n;
        int fd;

        if (argc > 4 && strcmp(argv[1], "--send") == 0)
                return send_mode(argv);
        if (argc > 5 && strcmp(argv[1], "--connect-exec") == 0)
                return connect_exec_mode(argv);
        test_init(argc, argv);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        file_sha256_hex(self, hex);
        /* A trusted program: a copy of this one with another hash. */
        snprintf(trusted, sizeof(trusted), "%s", test_path("trusted-program"));
        cp[1] = self;
        cp[2] = trusted;
        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        fd = open(trusted, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
        close(fd);
        CHECK(chmod(trusted, 0755) == 0);
        file_sha256_hex(trusted, thex);

        cfg = config_new(NULL);
        put_permissions(cfg, "roles.d/hash.json", "roled:exe-sha256", hex);
        put_permissions(cfg, "roles.d/path.json", "roled:exe", self);
        put_permissions(cfg, "roles.d/trusted.json", "roled:exe-sha256", thex);
        config_put(cfg, "roles.d/perm-hash.ini",
                   "[role]\nname = perm-hash\npermissions = hash.json\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/perm-path.ini",
                   "[role]\nname = perm-path\npermissions = path.json\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/perm-trusted.ini",
                   "[role]\nname = perm-trusted\npermissions = trusted.json\n[trust]\n"
                   "users = root\n");
        agent_spawn(cfg, &agent);

        check_early("perm-hash");
        check_early("perm-path");
        /* The trusted program asks itself: served, allowed. */
        run_exec(trusted, "perm-trusted", trusted, "");
        /* Attested as the trusted program, asking after execve() of another: refused. */
        run_exec(trusted, "perm-trusted", self, "AccessDenied");

        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
