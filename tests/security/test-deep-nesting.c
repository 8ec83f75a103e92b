/* SPDX-License-Identifier: MIT */
/*
 * test-deep-nesting - nesting up to PROTO_DEPTH_MAX (8, envelope included)
 * is served; one level deeper, and a 100000-deep tower of one-element
 * arrays or maps, get MalformedMessage (msgid 0) and the connection closed,
 * without the agent recursing itself to death.
 */
#undef NDEBUG
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* [0, 1, "Hello", [{"x": [[...[1]...]]}]] nested @depth levels in all. */
static size_t pack_deep(uint8_t *buf, int depth)
{
        static const uint8_t head[] = { 0x94, 0x00, 0x01, 0xa5, 'H',  'e', 'l',
                                        'l',  'o',  0x91, 0x81, 0xa1, 'x' };
        size_t n = sizeof(head);

        memcpy(buf, head, n);
        /* envelope, params array and map are 3 levels; the rest are arrays. */
        for (int i = 3; i < depth; i++)
                buf[n++] = 0x91;
        buf[n++] = 0x01;
        return n;
}

static void test_limit(void)
{
        uint8_t buf[64];
        size_t n;
        int fd = raw_connect(agent.socket);

        n = pack_deep(buf, 8);
        check_answered(fd, buf, n, 1, "");
        close(fd);
        n = pack_deep(buf, 9);
        check_rejected(agent.socket, buf, n, "MalformedMessage");
}

static void test_towers(void)
{
        size_t n = 100000;
        uint8_t *buf = malloc(n + 1);

        CHECK(buf);
        memset(buf, 0x91, n);
        buf[n] = 0x01;
        check_rejected(agent.socket, buf, n + 1, "MalformedMessage");
        /* A tower of maps {0: {0: ...}}. */
        for (size_t i = 0; i + 1 < n; i += 2) {
                buf[i] = 0x81;
                buf[i + 1] = 0x00;
        }
        check_rejected(agent.socket, buf, n, "MalformedMessage");
        free(buf);
        CHECK(agent_alive(&agent));
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        agent_spawn(config_new(NULL), &agent);
        test_limit();
        test_towers();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
