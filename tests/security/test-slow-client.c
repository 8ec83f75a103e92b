/* SPDX-License-Identifier: MIT */
/*
 * test-slow-client - 100 connections that send half a request and stall,
 * and one that sends nothing, do not keep a good client from being served;
 * a stalled one that completes its request is answered; the agent closes
 * the partial ones after PROTO_IDLE_TIMEOUT_MS (10 s; we allow 13 s).
 */
#undef NDEBUG
#include <roled/roled.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

#define N_SLOW 100

static TestAgent agent;

int main(int argc, char **argv)
{
        msgpack_sbuffer sb;
        int slow[N_SLOW], silent;
        size_t half;
        roled_client *c;
        T_AUTO(roled_identity) id = NULL;

        test_init(argc, argv);
        agent_spawn(config_new("max_connections_per_uid = 1000\n"), &agent);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCallerIdentity", 1, "padding", "0123456789abcdef0123456789abcdef");
        half = sb.size / 2;
        for (int i = 0; i < N_SLOW; i++) {
                slow[i] = raw_connect(agent.socket);
                CHECK(raw_send(slow[i], sb.data, half) == 0);
        }
        silent = raw_connect(agent.socket);

        /* A good client, with a 2 s request timeout, is answered meanwhile. */
        CHECK_INT(t_connect_timeout(agent.socket, 2000, &c), ==, ROLED_OK);
        for (int i = 0; i < 20; i++)
                CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        roled_client_close(c);

        /* One stalled client finishes its request and is answered. */
        check_answered(slow[0], sb.data + half, sb.size - half, 7, "");

        /* The partial ones are closed once their idle timeout passes. */
        for (int i = 1; i < N_SLOW; i++)
                CHECK_MSG(raw_wait_closed(slow[i], i == 1 ? 13000 : 2000),
                          "partial connection %d still open", i);
        CHECK(agent_alive(&agent));
        check_served(agent.socket);
        for (int i = 0; i < N_SLOW; i++)
                close(slow[i]);
        close(silent);
        msgpack_sbuffer_destroy(&sb);
        agent_stop(&agent);
        return 0;
}
