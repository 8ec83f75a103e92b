/* SPDX-License-Identifier: MIT */
/*
 * test-pipelining - 64 requests (PROTO_PIPELINE_MAX) of mixed methods in
 * one write are all answered, each msgid exactly once and with the answer
 * its request asked for.  And while another uid has a connection (so each
 * wake-up answers at most CONN_ANSWERS_PER_WAKE and the rest waits for a
 * turn), 3,000 requests in one write are all answered, in order, and so
 * are 3,000 more followed by a half-close, before the end of the stream.
 */
#undef NDEBUG
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define N 64
#define BASE 5000000u

static TestAgent agent;

static void test_one_write(void)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        bool seen[N] = { false };
        int fd = raw_connect(agent.socket);

        msgpack_sbuffer_init(&sb);
        for (uint32_t i = 0; i < N; i++) {
                switch (i % 4) {
                case 0:
                        pack_request(&sb, BASE + i, "GetCallerIdentity", 0);
                        break;
                case 1:
                        pack_request(&sb, BASE + i, "GetCredentials", 1, "role", "p");
                        break;
                case 2:
                        pack_request(&sb, BASE + i, "Frobnicate", 0);
                        break;
                default:
                        pack_request(&sb, BASE + i, "GetCredentials", 1, "role", "nope");
                        break;
                }
        }
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        for (int n = 0; n < N; n++) {
                Resp r;
                uint32_t i;
                char buf[64];

                CHECK_INT(raw_recv(fd, &up, &u, 5000), ==, 1);
                CHECK(resp_parse(&u.data, &r));
                CHECK(r.msgid >= BASE && r.msgid < BASE + N);
                i = r.msgid - BASE;
                CHECK_MSG(!seen[i], "msgid %u answered twice", r.msgid);
                seen[i] = true;
                switch (i % 4) {
                case 0:
                        CHECK_STREQ(r.code, "");
                        CHECK_INT(resp_uint(&r.result, "uid"), ==, 0);
                        break;
                case 1:
                        CHECK_STREQ(r.code, "");
                        CHECK_STREQ(resp_str(&r.result, "role", buf, sizeof(buf)), "p");
                        CHECK(strncmp(resp_str(&r.result, "accessKeyId", buf, sizeof(buf)), "ASIA",
                                      4) == 0);
                        break;
                case 2:
                        CHECK_STREQ(r.code, "UnsupportedOperation");
                        break;
                default:
                        CHECK_STREQ(r.code, "NoSuchEntity");
                        break;
                }
        }
        /* Nothing more is owed. */
        CHECK_INT(raw_recv(fd, &up, &u, 200), ==, -ETIMEDOUT);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

#define MANY 3000

static void test_others_connected(void)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        int hold[2], fd;
        pid_t other;
        char b;

        /* Another uid's connection, open throughout. */
        CHECK(pipe(hold) == 0);
        other = fork();
        CHECK(other >= 0);
        if (other == 0) {
                close(hold[1]);
                become(UID_ALICE);
                fd = raw_connect(agent.socket);
                CHECK(raw_hello(fd) == 0);
                (void)!read(hold[0], &b, 1);
                close(fd);
                _exit(0);
        }
        close(hold[0]);
        usleep(100 * 1000);

        fd = raw_connect(agent.socket);
        msgpack_sbuffer_init(&sb);
        for (uint32_t i = 0; i < MANY; i++)
                pack_request(&sb, BASE + i, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK(msgpack_unpacker_init(&up, 1 << 16));
        msgpack_unpacked_init(&u);
        for (uint32_t i = 0; i < MANY; i++) {
                Resp r;

                CHECK_MSG(raw_recv(fd, &up, &u, 10000) == 1, "answer %u of %u missing", i, MANY);
                CHECK(resp_parse(&u.data, &r));
                CHECK_STREQ(r.code, "");
                CHECK_INT(r.msgid, ==, BASE + i);
        }
        /* And with a half-close after them: answered, then the end of the stream. */
        msgpack_sbuffer_clear(&sb);
        for (uint32_t i = 0; i < MANY; i++)
                pack_request(&sb, BASE + i, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK(shutdown(fd, SHUT_WR) == 0);
        for (uint32_t i = 0; i < MANY; i++) {
                Resp r;

                CHECK_MSG(raw_recv(fd, &up, &u, 10000) == 1, "answer %u of %u missing", i, MANY);
                CHECK(resp_parse(&u.data, &r));
                CHECK_INT(r.msgid, ==, BASE + i);
        }
        CHECK(raw_wait_closed(fd, 5000));
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
        CHECK(write(hold[1], "g", 1) == 1);
        CHECK_INT(wait_status(other), ==, 0);
        close(hold[1]);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/p.ini", "[role]\nname = p\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_one_write();
        test_others_connected();
        agent_stop(&agent);
        return 0;
}
