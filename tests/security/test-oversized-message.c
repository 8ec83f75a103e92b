/* SPDX-License-Identifier: MIT */
/*
 * test-oversized-message - a message over PROTO_MESSAGE_MAX (64 KiB) gets
 * MessageTooLarge (msgid 0) and the connection is closed, whether the size
 * shows in a string header or only as bytes keep arriving; a message just
 * under the limit is served, and other connections are unaffected.
 */
#undef NDEBUG
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* [0, 1, "Hello", [{"client": <str of @n bytes>}]] */
static void pack_hello(msgpack_sbuffer *sb, size_t n)
{
        msgpack_packer pk;
        char *s = malloc(n);

        CHECK(s);
        memset(s, 'x', n);
        msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_str_with_body(&pk, "Hello", 5);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "client", 6);
        msgpack_pack_str_with_body(&pk, s, n);
        free(s);
}

static void test_too_large(void)
{
        msgpack_sbuffer sb;
        uint8_t *many;
        size_t n = 0;

        msgpack_sbuffer_init(&sb);
        pack_hello(&sb, 70000);
        check_rejected(agent.socket, sb.data, sb.size, "MessageTooLarge");
        msgpack_sbuffer_clear(&sb);
        pack_hello(&sb, 65536);
        check_rejected(agent.socket, sb.data, sb.size, "MessageTooLarge");
        msgpack_sbuffer_destroy(&sb);

        /* No single length says so: an array of 70000 small elements. */
        many = malloc(80000);
        CHECK(many);
        many[n++] = 0x94;
        many[n++] = 0x00;
        many[n++] = 0x01;
        many[n++] = 0xa5;
        memcpy(many + n, "Hello", 5);
        n += 5;
        many[n++] = 0xdd; /* array32 of 70000 fixints */
        many[n++] = 0x00;
        many[n++] = 0x01;
        many[n++] = 0x11;
        many[n++] = 0x70;
        memset(many + n, 0x01, 70000);
        n += 70000;
        check_rejected(agent.socket, many, n, "MessageTooLarge");
        free(many);
}

static void test_under_limit_served(void)
{
        msgpack_sbuffer sb;
        int fd = raw_connect(agent.socket);

        msgpack_sbuffer_init(&sb);
        pack_hello(&sb, 60000);
        CHECK(sb.size < 65536);
        check_answered(fd, sb.data, sb.size, 1, "");
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        agent_spawn(config_new(NULL), &agent);
        test_too_large();
        test_under_limit_served();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
