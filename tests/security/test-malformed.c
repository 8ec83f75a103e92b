/* SPDX-License-Identifier: MIT */
/*
 * test-malformed - input that is not a MessagePack-RPC request: random
 * bytes, a non-array top level, the never-used byte 0xc1, wrong envelope
 * arity or types, a msgid over 32 bits, params that are not [map] get
 * MalformedMessage (msgid 0) and a close; an unknown method gets
 * UnsupportedOperation and wrong field types InvalidParameterValue (missing
 * ones InvalidParameter) on a connection that stays open.  The agent keeps
 * serving throughout.
 */
#undef NDEBUG
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static void rejected(const char *what, const uint8_t *msg, size_t len)
{
        test_log("%s", what);
        check_rejected(agent.socket, msg, len, "MalformedMessage");
}

static void test_closed(void)
{
        rejected("0xc1", B(0xc1));
        rejected("0xc1 inside an envelope", B(0x94, 0x00, 0x01, 0xc1, 0x90));
        rejected("top-level int", B(0x05));
        rejected("top-level string", B(0xa3, 'a', 'b', 'c'));
        rejected("top-level map", B(0x81, 0xa1, 'k', 0x00));
        rejected("top-level nil", B(0xc0));
        rejected("empty array", B(0x90));
        rejected("request of arity 3", B(0x93, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o'));
        rejected("request of arity 5",
                 B(0x95, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90, 0x00));
        rejected("type as string", B(0x94, 0xa1, '0', 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("type 3", B(0x94, 0x03, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("type 2^32",
                 B(0x94, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("a response from the client", B(0x94, 0x01, 0x01, 0xc0, 0x80));
        rejected("msgid as string", B(0x94, 0x00, 0xa1, '1', 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("negative msgid", B(0x94, 0x00, 0xff, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("msgid 2^32",
                 B(0x94, 0x00, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("method as int", B(0x94, 0x00, 0x01, 0x05, 0x90));
        rejected("method as bin", B(0x94, 0x00, 0x01, 0xc4, 0x05, 'H', 'e', 'l', 'l', 'o', 0x90));
        rejected("params as map", B(0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x80));
        rejected("params as int", B(0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x05));
        rejected("params [5]", B(0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x91, 0x05));
        rejected("params [{}, {}]",
                 B(0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x92, 0x80, 0x80));
}

static void test_random_bytes(void)
{
        uint32_t x = 0x2545f491;
        uint8_t buf[256];

        /* Fixed seed; each buffer starts with a byte that cannot begin a request array. */
        for (int i = 0; i < 64; i++) {
                size_t n = 1 + i * 3 % 200;

                for (size_t j = 0; j < n; j++) {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        buf[j] = (uint8_t)x;
                }
                if ((buf[0] & 0xf0) == 0x90 || buf[0] == 0xdc || buf[0] == 0xdd)
                        buf[0] = 0xc1;
                check_rejected(agent.socket, buf, n, "MalformedMessage");
        }
}

static void test_kept_open(void)
{
        msgpack_sbuffer sb;
        int fd = raw_connect(agent.socket);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 11, "NoSuchMethod", 0);
        check_answered(fd, sb.data, sb.size, 11, "UnsupportedOperation");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 12, "getcredentials", 0);
        check_answered(fd, sb.data, sb.size, 12, "UnsupportedOperation");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 13, "GetCredentials", 1, "role", "#5");
        check_answered(fd, sb.data, sb.size, 13, "InvalidParameterValue");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 14, "GetCredentials", 2, "role", "m", "durationSeconds", "an hour");
        check_answered(fd, sb.data, sb.size, 14, "InvalidParameterValue");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 15, "GetCredentials", 1, "role", "bad/name");
        check_answered(fd, sb.data, sb.size, 15, "InvalidParameterValue");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 16, "AssumeRole", 0);
        check_answered(fd, sb.data, sb.size, 16, "InvalidParameter");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 17, "Hello", 1, "version", "two");
        check_answered(fd, sb.data, sb.size, 17, "InvalidParameterValue");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 18, "AssumeRole", 2, "role", "m", "sessionToken", "not a token");
        check_answered(fd, sb.data, sb.size, 18, "InvalidClientTokenId");
        msgpack_sbuffer_clear(&sb);
        /* Unknown fields are ignored; the largest msgid is fine. */
        pack_request(&sb, UINT32_MAX, "GetCredentials", 2, "role", "m", "colour", "blue");
        check_answered(fd, sb.data, sb.size, UINT32_MAX, "");
        msgpack_sbuffer_clear(&sb);
        /* [nil] and [] params mean defaults. */
        check_answered(fd, B(0x94, 0x00, 0x13, 0xa6, 'S', 't', 'a', 't', 'u', 's', 0x91, 0xc0),
                       0x13, "");
        check_answered(fd, B(0x94, 0x00, 0x14, 0xa6, 'S', 't', 'a', 't', 'u', 's', 0x90), 0x14, "");
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/m.ini", "[role]\nname = m\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_closed();
        test_random_bytes();
        test_kept_open();
        CHECK(agent_alive(&agent));
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
