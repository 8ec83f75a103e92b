/* SPDX-License-Identifier: MIT */
/*
 * test-notify-failed-send - a Revoke's SessionsRevoked notice goes to every
 * open connection of the uid, even when sending it to one of them fails
 * and closes that connection (its walk of agent->conns used to stop
 * there).  The uid has an older connection, then a newer one (walked
 * first) that cannot be written to (its reader shut down, so the agent's
 * send fails with EPIPE); a Revoke on a third connection must still notify
 * the older one.  Without the dead connection the older one is notified
 * too (the control), and the agent keeps serving.
 */
#undef NDEBUG
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* Revoke @role's sessions of our uid (a first cut of it: a notice goes out). */
static void revoke_role(const char *role)
{
        msgpack_sbuffer sb;
        int fd = raw_connect(agent.socket);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 9, "Revoke", 1, "role", role);
        check_answered(fd, sb.data, sb.size, 9, "");
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

int main(int argc, char **argv)
{
        const char *cfg;
        int old, dead;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-first.ini", "[role]\nname = first\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/20-second.ini", "[role]\nname = second\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);

        /* Control: an older connection of the uid is notified. */
        old = raw_connect(agent.socket);
        CHECK_INT(raw_hello(old), ==, 0);
        revoke_role("first");
        CHECK_MSG(raw_wait_notification(old, 5000),
                  "control: no SessionsRevoked on an open connection");
        close(old);

        /* A newer connection of the same uid that cannot be written to. */
        old = raw_connect(agent.socket);
        CHECK_INT(raw_hello(old), ==, 0);
        dead = raw_connect(agent.socket);
        CHECK_INT(raw_hello(dead), ==, 0);
        CHECK(shutdown(dead, SHUT_RD) == 0);
        revoke_role("second");
        CHECK_MSG(
                raw_wait_notification(old, 5000),
                "SessionsRevoked lost for an older connection after a failed send to a newer one");
        close(old);
        close(dead);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
