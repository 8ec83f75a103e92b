/* SPDX-License-Identifier: MIT */
/*
 * test-parked-hangup - connections of a uid that wait for a slot (parked,
 * unread) and whose peers hang up give their places back at once.  With
 * max_connections_per_uid = 2 and the agent at RLIMIT_NOFILE 1024 (so the
 * waiting connections have a bounded number of places), bob holds his two
 * slots, opens more connections than there are places (each sends a
 * request, as credential_process does), and hangs them all up.  His next
 * connection must wait for a slot, not be answered Throttling for places
 * held by connections that are gone, and be served as soon as he gives a
 * slot back; one that wrote its request and shut down only its sending side
 * is still answered.  Alice is served throughout.
 */
#undef NDEBUG
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define LIMIT 2
#define N_WAIT 300 /* more than the agent's places for waiting connections at 1024 fds */

static TestAgent agent;

static void send_whoami(int fd, uint32_t msgid)
{
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, msgid, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
}

static int alice(void *arg)
{
        (void)arg;
        check_served(agent.socket);
        return 0;
}

/* The parent runs alice: her answer also means the agent took every earlier connection. */
static void sync_alice(int to_parent, int from_parent)
{
        char c;

        CHECK(write(to_parent, "x", 1) == 1);
        CHECK(read(from_parent, &c, 1) == 1);
}

static void bob(int to_parent, int from_parent)
{
        static int waiting[N_WAIT];
        int held[LIMIT], fresh, half;
        unsigned n_throttled = 0;

        become(UID_BOB);
        for (int i = 0; i < LIMIT; i++) {
                msgpack_sbuffer sb;

                held[i] = raw_connect(agent.socket);
                msgpack_sbuffer_init(&sb);
                pack_request(&sb, (uint32_t)i + 1, "GetCallerIdentity", 0);
                check_answered(held[i], sb.data, sb.size, (uint32_t)i + 1, "");
                msgpack_sbuffer_destroy(&sb);
        }
        for (int i = 0; i < N_WAIT; i++) {
                waiting[i] = raw_connect(agent.socket);
                send_whoami(waiting[i], 100 + (uint32_t)i);
        }
        /* Alice connects after them: once she is answered, the agent has taken all of them. */
        sync_alice(to_parent, from_parent);
        for (int i = 0; i < N_WAIT; i++)
                if (is_answered(waiting[i]))
                        n_throttled++;
        fprintf(stderr, "# %u of bob's %d connections wait, %u were answered at once\n",
                N_WAIT - n_throttled, N_WAIT, n_throttled);
        CHECK_MSG(n_throttled > 0 && n_throttled < N_WAIT,
                  "expected the places for waiting connections to run out");
        /* bob gives up on all of them: every waiting place is held by a connection that is gone. */
        for (int i = 0; i < N_WAIT; i++)
                close(waiting[i]);

        /* His next connection waits for a slot rather than being refused. */
        fresh = raw_connect(agent.socket);
        send_whoami(fresh, 7);
        /* And so does one that wrote its request and shut down its sending side only. */
        half = raw_connect(agent.socket);
        send_whoami(half, 8);
        CHECK(shutdown(half, SHUT_WR) == 0);
        sync_alice(to_parent, from_parent);
        CHECK_MSG(!is_answered(fresh), "bob's new connection was answered before a slot was free");
        CHECK_MSG(!is_answered(half), "bob's half-closed connection was answered before a slot");

        close(held[0]);
        expect_answer(fresh, 7, "", NULL);
        close(held[1]);
        expect_answer(half, 8, "", NULL);
        close(fresh);
        close(half);
        _exit(0);
}

int main(int argc, char **argv)
{
        struct rlimit low = { 1024, 1024 };
        int up[2], down[2];
        pid_t pid;
        char c;

        test_init(argc, argv);
        /* The agent inherits it: a bounded number of places for waiting connections. */
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        agent_spawn(config_new("max_connections_per_uid = 2\n"), &agent);
        CHECK(pipe2(up, O_CLOEXEC) == 0 && pipe2(down, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* Only the parent's ends stay open there: bob sees it go if it fails. */
                close(up[0]);
                close(down[1]);
                bob(up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);
        for (int round = 0; round < 2; round++) {
                CHECK_INT(read(up[0], &c, 1), ==, 1);
                CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
                CHECK(write(down[1], "x", 1) == 1);
        }
        CHECK_INT(wait_status(pid), ==, 0);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
