/* SPDX-License-Identifier: MIT */
/*
 * test-kill9-under-load - the agent is killed with SIGKILL while alice and
 * bob keep running `rolectl credential-process` in tight loops, and is
 * started again on the same listening socket (socket activation, as
 * roled.socket does it: the socket outlives the service, so connections made
 * in the gap wait in its backlog).  No call fails, calls succeed after the
 * restart, and the restarted agent (keys persisted) accepts a session token
 * it issued before the kill and still refuses one carol revoked before it.
 *
 * A call whose connection the killed agent had accepted but not read used to
 * wait, with no connection, for rolectl's whole 20 s timeout (libroled did
 * not reconnect when send() failed); test-client-lib
 * test_reconnect_send_fails is that moment, made deterministic.
 */
#undef NDEBUG
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "session.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define LOAD_SECONDS 4
#define KILL_AFTER_MS 1500

static TestAgent agent;

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct Tally {
        unsigned ok, failed;
        double last_ok; /* CLOCK_MONOTONIC (system-wide) of the last success */
        char first_error[256];
} Tally;

/* load() - credential-process in a loop until the deadline; the tally goes out through @fd. */
static void load(uid_t uid, int fd)
{
        double end = now_s() + LOAD_SECONDS;
        Tally t = { 0 };

        while (now_s() < end) {
                char *out = NULL, *err = NULL;
                int rc = rolectl(uid, agent.socket, &out, &err, "credential-process", "--role",
                                 "shared", NULL);

                if (rc == 0 && out && strstr(out, "\"SessionToken\"")) {
                        t.ok++;
                        t.last_ok = now_s();
                } else {
                        if (!t.failed++)
                                snprintf(t.first_error, sizeof(t.first_error),
                                         "exit %d: %s [%.80s]", rc, err ? err : "",
                                         out ? out : "(no output)");
                }
                free(out);
                free(err);
        }
        CHECK(write(fd, &t, sizeof(t)) == (ssize_t)sizeof(t));
        _exit(0);
}

/* token_of() - a session token of role shared, minted by @uid with rolectl credential-process. */
static void token_of(uid_t uid, char *buf, size_t size)
{
        char *out = NULL, *err = NULL, *p, *e;

        CHECK_INT(rolectl(uid, agent.socket, &out, &err, "credential-process", "--role", "shared",
                          NULL),
                  ==, 0);
        p = strstr(out, "\"SessionToken\": \"");
        CHECK(p);
        p += strlen("\"SessionToken\": \"");
        e = strchr(p, '"');
        CHECK(e && (size_t)(e - p) < size);
        snprintf(buf, size, "%.*s", (int)(e - p), p);
        free(out);
        free(err);
}

/* check_tokens() - @kept is accepted, @revoked refused. */
static void check_tokens(const char *kept, const char *revoked)
{
        check_token(agent.socket, kept, true);
        check_token(agent.socket, revoked, false);
}

int main(int argc, char **argv)
{
        const uid_t uids[] = { UID_ALICE, UID_BOB, UID_ALICE, UID_BOB };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        AgentOpts o = AGENT_OPTS_INIT;
        char token[8192], revoked[8192], *out = NULL, *err = NULL;
        const char *cfg;
        pid_t pids[4];
        int fd, p[2];
        unsigned ok = 0;
        double restarted;

        test_init(argc, argv);
        cfg = config_shared("users = root\nuids = %d %d %d\n", UID_ALICE, UID_BOB, UID_CAROL);
        /* The socket is the test's, as it would be systemd's: it survives the agent. */
        snprintf(agent.socket, sizeof(agent.socket), "%s", test_path("activated.sock"));
        CHECK(strlen(agent.socket) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, agent.socket, strlen(agent.socket) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        CHECK(chmod(agent.socket, 0666) == 0 && listen(fd, 128) == 0);
        o.listen_fd = fd;
        agent_spawn_opts(cfg, &o, &agent);
        token_of(0, token, sizeof(token));
        /* Carol's session ends before the kill: revoked.list must outlive it. */
        token_of(UID_CAROL, revoked, sizeof(revoked));
        CHECK_INT(rolectl(UID_CAROL, agent.socket, &out, &err, "revoke", NULL), ==, 0);
        CHECK_CONTAINS(out, "revoked: 1 session");
        free(out);
        free(err);
        check_tokens(token, revoked);

        CHECK(pipe(p) == 0);
        fflush(NULL);
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                pids[i] = fork();
                CHECK(pids[i] >= 0);
                if (pids[i] == 0)
                        load(uids[i], p[1]);
        }
        usleep(KILL_AFTER_MS * 1000);
        agent_kill(&agent);
        agent_spawn_opts(cfg, &o, &agent);
        restarted = now_s();
        test_log("agent restarted after SIGKILL");
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                Tally t;

                CHECK_INT(wait_status(pids[i]), ==, 0);
                CHECK(read(p[0], &t, sizeof(t)) == (ssize_t)sizeof(t));
                test_log("client %zu: %u ok, %u failed", i, t.ok, t.failed);
                CHECK_MSG(t.failed == 0, "a credential-process call failed across the restart: %s",
                          t.first_error);
                CHECK_MSG(t.last_ok > restarted, "client %zu was not served by the restarted agent",
                          i);
                ok += t.ok;
        }
        printf("%u credential-process calls across a SIGKILL and restart, none failed\n", ok);
        CHECK(ok > 0);
        /* Keys and revocations persisted: the token from before the kill still verifies, carol's
         * revoked one still does not. */
        check_tokens(token, revoked);
        check_served(agent.socket);
        agent_stop(&agent);
        close(fd);
        return 0;
}
