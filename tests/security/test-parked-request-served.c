/* SPDX-License-Identifier: MIT */
/*
 * test-parked-request-served - a request written on a connection that waits
 * for a slot (parked: the uid is at max_connections_per_uid), whose client
 * then hangs up without waiting for the answer, is still served when the
 * connection is admitted: a fire-and-forget Revoke is not lost.  Bob holds
 * his two slots, opens a third connection, sends Revoke on it and closes it;
 * when he gives a slot back, the Revoke runs, and his open connection gets
 * its SessionsRevoked notice, and he is served after.  (That such waiting
 * connections yield their places to new connections that need one, rather
 * than get them refused, is test-parked-hangup's: its hung-up connections
 * each sent a request.)
 */
#undef NDEBUG
#include <fcntl.h>
#include <unistd.h>

#include "agent.h"

#define LIMIT 2

static TestAgent agent;

static void whoami(int fd, uint32_t msgid)
{
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, msgid, "GetCallerIdentity", 0);
        check_answered(fd, sb.data, sb.size, msgid, "");
        msgpack_sbuffer_destroy(&sb);
}

/* The parent answers on a root connection: the agent has accepted every earlier one. */
static void sync_parent(int to_parent, int from_parent)
{
        char c;

        CHECK(write(to_parent, "x", 1) == 1);
        CHECK(read(from_parent, &c, 1) == 1);
}

static void bob(int to_parent, int from_parent)
{
        int held[LIMIT], gone;
        msgpack_sbuffer sb;

        become(UID_BOB);
        for (int i = 0; i < LIMIT; i++) {
                held[i] = raw_connect(agent.socket);
                whoami(held[i], (uint32_t)i + 1);
        }
        /* Fire and forget, while at the limit: the connection waits, unread. */
        gone = raw_connect(agent.socket);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 9, "Revoke", 1, "role", "plain");
        CHECK(raw_send(gone, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        close(gone);
        /* Accepted (and parked) before the slot comes free. */
        sync_parent(to_parent, from_parent);
        /* A slot comes free: the waiting Revoke runs, and held[0] is told. */
        close(held[1]);
        CHECK_MSG(raw_wait_notification(held[0], 5000),
                  "a Revoke sent on a waiting connection before its client hung up was lost");
        /* Still served, with the slot given back by the Revoke's connection. */
        held[1] = raw_connect(agent.socket);
        whoami(held[1], 3);
        close(held[0]);
        close(held[1]);
        _exit(0);
}

int main(int argc, char **argv)
{
        int up[2], down[2];
        const char *cfg;
        pid_t pid;
        char c;

        test_init(argc, argv);
        cfg = config_new("max_connections_per_uid = 2\n");
        config_put(cfg, "roles.d/10-plain.ini",
                   "[role]\nname = plain\n[trust]\nusers = roledbob\n");
        agent_spawn(cfg, &agent);
        CHECK(pipe2(up, O_CLOEXEC) == 0 && pipe2(down, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                bob(up[1], down[0]);
        close(up[1]);
        CHECK_INT(read(up[0], &c, 1), ==, 1);
        check_served(agent.socket);
        CHECK(write(down[1], "x", 1) == 1);
        CHECK_INT(wait_status(pid), ==, 0);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
