/* SPDX-License-Identifier: MIT */
/*
 * test-early-after-reload - bytes a process sent before the agent read its
 * executable stay "sent before attestation" across a reload that makes a
 * role's trust rest on the executable.  While no role's trust does, the
 * agent does not count those bytes at attestation (nothing would ask); the
 * reload must count them then.  The process writes the first half of a
 * GetCredentials request while the agent is stopped (so the bytes are
 * certainly queued before the agent accepts and attests), the agent
 * attests the connection under a configuration without exe rules, the
 * configuration gains a role trusting this program by exe, and the process
 * completes the request: it must be answered SentBeforeAttestation, not
 * with credentials.  Sent again on the same connection it is served, and a
 * fresh connection is served.
 */
#undef NDEBUG
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

static int n_roles(void)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        int fd = raw_connect(agent.socket), n;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "ListRoles", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_STREQ(r.code, "");
        n = -1;
        CHECK(r.result.type == MSGPACK_OBJECT_MAP);
        for (uint32_t i = 0; i < r.result.via.map.size; i++) {
                const msgpack_object_kv *kv = &r.result.via.map.ptr[i];

                if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 5 &&
                    memcmp(kv->key.via.str.ptr, "roles", 5) == 0 &&
                    kv->val.type == MSGPACK_OBJECT_ARRAY)
                        n = (int)kv->val.via.array.size;
        }
        CHECK(n >= 0);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return n;
}

/* The answer to @msgid on @fd: its error code ("" on success). */
static void expect(int fd, uint32_t msgid, const char *code)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;

        CHECK(msgpack_unpacker_init(&up, 16384));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_MSG(strcmp(r.code, code) == 0, "answer %s (%s), expected \"%s\"", r.code, r.message,
                  code);
        CHECK_INT(r.msgid, ==, msgid);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX];
        msgpack_sbuffer sb;
        const char *cfg;
        size_t half;
        ssize_t n;
        int fd;

        test_init(argc, argv);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-plain.ini", "[role]\nname = plain\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        CHECK_INT(n_roles(), ==, 1);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCredentials", 1, "role", "by-exe");
        half = sb.size / 2;
        /* Queued while the agent cannot run: before it accepts, so before it reads our exe. */
        CHECK(kill(agent.pid, SIGSTOP) == 0);
        fd = raw_connect(agent.socket);
        CHECK(raw_send(fd, sb.data, half) == 0);
        CHECK(kill(agent.pid, SIGCONT) == 0);
        /* Accepted (and attested) in order: once this is answered, so was our connection. */
        check_served(agent.socket);

        config_put(cfg, "roles.d/20-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = root\nexe = %s\n", self);
        CHECK(kill(agent.pid, SIGHUP) == 0);
        for (int i = 0; n_roles() != 2; i++) {
                CHECK_MSG(i < 1000, "SIGHUP did not load the by-exe role");
                usleep(10 * 1000);
        }

        CHECK(raw_send(fd, sb.data + half, sb.size - half) == 0);
        expect(fd, 7, "SentBeforeAttestation");
        /* Sent again, it is this program's: served. */
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        expect(fd, 7, "");
        close(fd);
        fd = raw_connect(agent.socket);
        CHECK_INT(raw_hello(fd), ==, 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        expect(fd, 7, "");
        close(fd);
        msgpack_sbuffer_destroy(&sb);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
