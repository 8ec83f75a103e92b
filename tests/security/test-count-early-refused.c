/* SPDX-License-Identifier: MIT */
/*
 * test-count-early-refused - a reload that makes a role's answers rest on
 * the executable counts, for every open connection, the bytes sent before
 * its executable was read (conn_count_early()).  A connection whose queue
 * cannot be read is refused and closed there; the walk must go on to the
 * other connections, or their early bytes get an answer that rests on the
 * executable.  Connection A writes half a GetCredentials request while the
 * agent is stopped; a newer connection B (walked first) has its SIOCINQ
 * fail once (tests/util/ioctl-fault.c) at the reload that adds a role
 * trusting this program by exe.  B is refused; A, completing its request,
 * must be answered SentBeforeAttestation, and served when it sends it again.
 */
#undef NDEBUG
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* The next message on @fd: its error code into @code ("" on success). */
static void answer(int fd, uint32_t msgid, char *code, size_t size)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;

        CHECK(msgpack_unpacker_init(&up, 16384));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_INT(r.msgid, ==, msgid);
        snprintf(code, size, "%s", r.code);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

int main(int argc, char **argv)
{
        const char *lib = getenv("ROLED_IOCTL_FAULT_LIB");
        char self[PATH_MAX], trigger[PATH_MAX + 48], code[64];
        msgpack_sbuffer sb;
        const char *cfg;
        size_t half;
        ssize_t n;
        int a_fd, b_fd;

        test_init(argc, argv);
        if (!lib)
                test_skip("ROLED_IOCTL_FAULT_LIB unset");
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        cfg = config_new(NULL);
        snprintf(trigger, sizeof(trigger), "ROLED_TEST_SIOCINQ_TRIGGER=%s/siocinq-fails", cfg);
        config_put(cfg, "roles.d/10-plain.ini", "[role]\nname = plain\n[trust]\nusers = root\n");
        agent_spawn_preloaded(cfg, lib, (const char *const[]){ trigger, NULL }, &agent);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCredentials", 1, "role", "by-exe");
        half = sb.size / 2;
        /* Queued while the agent cannot run: before it accepts, so before it reads our exe. */
        CHECK(kill(agent.pid, SIGSTOP) == 0);
        a_fd = raw_connect(agent.socket);
        CHECK(raw_send(a_fd, sb.data, half) == 0);
        CHECK(kill(agent.pid, SIGCONT) == 0);
        check_served(agent.socket);
        /* Newer, so ahead of A on agent->conns: the walk meets it first. */
        b_fd = raw_connect(agent.socket);
        CHECK_INT(raw_hello(b_fd), ==, 0);

        config_put(cfg, "siocinq-fails", "1");
        config_put(cfg, "roles.d/20-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = root\nexe = %s\n", self);
        CHECK(kill(agent.pid, SIGHUP) == 0);
        /* B's refusal says the reload has walked the connections. */
        answer(b_fd, 0, code, sizeof(code));
        CHECK_STREQ(code, "Internal");
        close(b_fd);

        CHECK(raw_send(a_fd, sb.data + half, sb.size - half) == 0);
        answer(a_fd, 7, code, sizeof(code));
        CHECK_MSG(strcmp(code, "SentBeforeAttestation") == 0,
                  "bytes sent before attestation were answered \"%s\" after the walk refused "
                  "another connection",
                  code);
        /* Sent again, it is this program's: served. */
        CHECK(raw_send(a_fd, sb.data, sb.size) == 0);
        answer(a_fd, 7, code, sizeof(code));
        CHECK_STREQ(code, "");
        close(a_fd);
        msgpack_sbuffer_destroy(&sb);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        return 0;
}
