/* SPDX-License-Identifier: MIT */
/*
 * test-attest-transient - an attestation that fails for want of descriptors
 * does not drop the connection.  The agent runs under proc-fault (an
 * LD_PRELOAD library: opening /proc/PID of one of alice's processes fails
 * with EMFILE, a chosen number of times), so attesting alice's connections
 * meets the error an agent short of descriptors meets.
 *   - A few failures: the agent tries again, and alice's request is answered
 *     with her identity on the same connection.
 *   - Failures without end: alice gets an error answer she can act on
 *     (Throttling, msgid 0, a message saying why), never a bare close; bob,
 *     meanwhile, is served.
 * Then as on a kernel without SO_PEERPIDFD (proc-fault makes the socket
 * option fail), where the agent opens a pidfd by pid, and a pid looked up
 * again after a retry's wait may belong to another process by then:
 *   - the retries go on with the pidfd of the first try: one pidfd_open()
 *     for alice's connection, however many tries;
 *   - when the first try got no pidfd at all (pidfd_open() fails), alice is
 *     answered Throttling rather than her pid looked up again later.
 */
#undef NDEBUG
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* GetCallerIdentity on a fresh connection: 0 answered with the caller's uid, 1 otherwise. */
static int call(void *arg)
{
        const char *want = arg; /* NULL: success; else the error code expected */
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        int fd = raw_connect_bounded(agent.socket, 10), n;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 5, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 10000);
        CHECK_MSG(n == 1, "uid %u: no answer (%s)", (unsigned)getuid(),
                  n == 0 ? "the agent closed the connection" : strerror(-n));
        CHECK(resp_parse(&u.data, &r));
        fprintf(stderr, "# uid %u: %s%s%s\n", (unsigned)getuid(), r.code[0] ? r.code : "answered",
                r.code[0] ? ": " : "", r.message);
        if (!want) {
                CHECK_STREQ(r.code, "");
                CHECK_INT(r.msgid, ==, 5);
                CHECK_INT(resp_uint(&r.result, "uid"), ==, (long long)getuid());
        } else {
                CHECK_STREQ(r.code, want);
                /* Refused before any of it was read: the answer names no request. */
                CHECK_INT(r.msgid, ==, 0);
                CHECK_CONTAINS(r.message, "try again later");
                /* And the agent closes the connection after it. */
                msgpack_unpacked_destroy(&u);
                msgpack_unpacked_init(&u);
                CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 0);
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return 0;
}

/* Start the agent under proc-fault with the "NAME=value" strings of @env. */
static void spawn_faulty(const char *lib, const char *const *env)
{
        memset(&agent, 0, sizeof(agent));
        agent_spawn_preloaded(config_new(NULL), lib, env, &agent);
}

/* How many times the agent opened a pidfd by pid for one of alice's processes. */
static int alice_pidfd_opens(void)
{
        char *log = agent_log(&agent), want[64];
        int n = 0;

        snprintf(want, sizeof(want), "proc-fault: pidfd_open uid %u\n", (unsigned)UID_ALICE);
        for (const char *p = log; (p = strstr(p, want)); p++)
                n++;
        free(log);
        return n;
}

int main(int argc, char **argv)
{
        const char *lib = getenv("ROLED_PROC_FAULT_LIB");
        char emfile_uid[48], pidfd_uid[48], *log;

        test_init(argc, argv);
        if (!lib)
                test_skip("ROLED_PROC_FAULT_LIB unset");
        snprintf(emfile_uid, sizeof(emfile_uid), "ROLED_TEST_PROC_EMFILE_UID=%u",
                 (unsigned)UID_ALICE);
        snprintf(pidfd_uid, sizeof(pidfd_uid), "ROLED_TEST_PIDFD_EMFILE_UID=%u",
                 (unsigned)UID_ALICE);

        /* Three failures: tried again, and served on the same connection. */
        spawn_faulty(lib,
                     (const char *const[]){ emfile_uid, "ROLED_TEST_PROC_EMFILE_COUNT=3", NULL });
        CHECK_INT(run_as(UID_ALICE, call, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, call, NULL), ==, 0);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "Too many open files): trying again");
        free(log);
        agent_stop(&agent);

        /* Failures without end: an answer saying so, and bob is served all the while. */
        spawn_faulty(lib, (const char *const[]){ emfile_uid, "ROLED_TEST_PROC_EMFILE_COUNT=1000000",
                                                 NULL });
        CHECK_INT(run_as(UID_ALICE, call, "Throttling"), ==, 0);
        CHECK_INT(run_as(UID_BOB, call, NULL), ==, 0);
        check_served(agent.socket);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "answered Throttling");
        free(log);
        agent_stop(&agent);

        /* No SO_PEERPIDFD, three failures after the pidfd: served, the pid looked up once. */
        spawn_faulty(lib, (const char *const[]){ "ROLED_TEST_NO_PEERPIDFD=1", emfile_uid,
                                                 "ROLED_TEST_PROC_EMFILE_COUNT=3", NULL });
        CHECK_INT(run_as(UID_ALICE, call, NULL), ==, 0);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "Too many open files): trying again");
        free(log);
        CHECK_INT(alice_pidfd_opens(), ==, 1);
        agent_stop(&agent);

        /* No SO_PEERPIDFD and no pidfd at all: Throttling, not another look-up by pid. */
        spawn_faulty(lib, (const char *const[]){ "ROLED_TEST_NO_PEERPIDFD=1", pidfd_uid,
                                                 "ROLED_TEST_PIDFD_EMFILE_COUNT=1", NULL });
        CHECK_INT(run_as(UID_ALICE, call, "Throttling"), ==, 0);
        CHECK_INT(alice_pidfd_opens(), ==, 1);
        /* The shortage passed: bob, and alice again, are served (her pid looked up once more). */
        CHECK_INT(run_as(UID_BOB, call, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, call, NULL), ==, 0);
        CHECK_INT(alice_pidfd_opens(), ==, 2);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "gives one only by pid");
        free(log);
        agent_stop(&agent);
        return 0;
}
