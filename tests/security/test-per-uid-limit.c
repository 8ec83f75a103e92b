/* SPDX-License-Identifier: MIT */
/*
 * test-per-uid-limit - with max_connections_per_uid = 4 in roled.ini, bob's
 * fifth connection waits unread (parked) while his four are served and alice
 * still connects, and after CONN_PARK_MS it is answered Throttling and
 * closed; once bob closes one of his four, a waiting connection of his takes
 * the slot and is served.
 */
#undef NDEBUG
#include <fcntl.h>
#include <unistd.h>

#include "agent.h"

#define LIMIT 4

static TestAgent agent;

static void whoami_on(int fd, uint32_t msgid)
{
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, msgid, "GetCallerIdentity", 0);
        check_answered(fd, sb.data, sb.size, msgid, "");
        msgpack_sbuffer_destroy(&sb);
}

/* A parked connection: no answer until the park ends, then Throttling (msgid 0). */
static void expect_throttled(int fd)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 50, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 15000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_STREQ(r.code, "Throttling");
        CHECK_CONTAINS(r.message, "max_connections_per_uid");
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

static int alice(void *arg)
{
        (void)arg;
        check_served(agent.socket);
        return 0;
}

int main(int argc, char **argv)
{
        int go[2], done[2];
        pid_t pid;
        char c;

        test_init(argc, argv);
        agent_spawn(config_new("max_connections_per_uid = 4\n"), &agent);
        CHECK(pipe2(go, O_CLOEXEC) == 0 && pipe2(done, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                int fds[LIMIT], extra;

                become(UID_BOB);
                for (int i = 0; i < LIMIT; i++) {
                        fds[i] = raw_connect(agent.socket);
                        whoami_on(fds[i], (uint32_t)i + 1);
                }
                /* The kernel completes connect(); the agent parks it, then answers Throttling. */
                extra = raw_connect(agent.socket);
                expect_throttled(extra);
                CHECK_MSG(raw_wait_closed(extra, 5000), "bob's connection %d was not closed",
                          LIMIT + 1);
                close(extra);
                /* A parked connection takes the slot bob gives back. */
                extra = raw_connect(agent.socket);
                usleep(100 * 1000);
                close(fds[1]);
                whoami_on(extra, 60);
                fds[1] = extra;
                for (int i = 0; i < LIMIT; i++)
                        whoami_on(fds[i], (uint32_t)i + 10);
                CHECK(write(done[1], "x", 1) == 1);
                CHECK(read(go[0], &c, 1) == 1);
                close(fds[0]);
                /* The agent notices the close asynchronously: retry until a slot is free. */
                for (int i = 0;; i++) {
                        extra = raw_connect(agent.socket);
                        if (!raw_wait_closed(extra, 100))
                                break;
                        close(extra);
                        CHECK_MSG(i < 100, "bob never got a connection slot back");
                }
                whoami_on(extra, 99);
                _exit(0);
        }
        CHECK_INT(read(done[0], &c, 1), ==, 1);
        /* Bob is at his limit; alice is not affected. */
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        check_served(agent.socket);
        CHECK(write(go[1], "x", 1) == 1);
        CHECK_INT(wait_status(pid), ==, 0);
        agent_stop(&agent);
        return 0;
}
