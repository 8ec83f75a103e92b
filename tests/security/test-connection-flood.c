/* SPDX-License-Identifier: MIT */
/*
 * test-connection-flood - one uid flooding the socket cannot wedge the agent.
 * The agent runs with RLIMIT_NOFILE 1024 (soft and hard, so raising the soft
 * limit cannot help).  For 3 s bob opens connections in a tight loop and
 * holds them (up to 4,000, never sending), while another of his processes
 * connects and hangs up as fast as it can.  Alice is served during the flood
 * and after it, bob is served once his flood ends, the agent's log stays
 * small (no line per failed accept), and SIGTERM still stops it cleanly.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define FLOOD_MS 3000
#define HOLD_MAX 1000 /* bob's processes have the same 1024 descriptors */

static TestAgent agent;

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* nb_connect() - a non-blocking connect; the fd, or -1 when the backlog is full or fds ran out. */
static int nb_connect(void)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -1;
        memcpy(sa.sun_path, agent.socket, strlen(agent.socket) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void flood(bool is_holder)
{
        static int held[HOLD_MAX];
        long long end = now_ms() + FLOOD_MS;
        unsigned n_held = 0, n_made = 0;

        become(UID_BOB);
        while (now_ms() < end) {
                int fd = nb_connect();

                if (fd < 0)
                        continue;
                n_made++;
                if (is_holder && n_held < HOLD_MAX)
                        held[n_held++] = fd;
                else
                        close(fd);
        }
        fprintf(stderr, "# bob %s: %u connections made, %u held\n",
                is_holder ? "holder" : "churner", n_made, n_held);
        for (unsigned i = 0; i < n_held; i++)
                close(held[i]);
        _exit(0);
}

/* served_ms() - GetCallerIdentity as @uid on a fresh connection (10 s bounds); its latency. */
static int serve_check(void *arg)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        long long t0 = now_ms();
        int fd = raw_connect_bounded(agent.socket, 10);
        Resp r;

        (void)arg;
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_STREQ(r.code, "");
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        fprintf(stderr, "# uid %u served in %lld ms\n", (unsigned)getuid(), now_ms() - t0);
        return 0;
}

int main(int argc, char **argv)
{
        struct rlimit low = { 1024, 1024 };
        pid_t holder, churner;
        char *log;

        test_init(argc, argv);
        /* Lowered for good (a container's root may not raise a hard limit): the agent inherits it.
         */
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        agent_spawn(config_new(NULL), &agent);
        check_served(agent.socket);

        fflush(NULL);
        holder = fork();
        CHECK(holder >= 0);
        if (holder == 0)
                flood(true);
        churner = fork();
        CHECK(churner >= 0);
        if (churner == 0)
                flood(false);
        /* During the flood: alice, twice. */
        usleep(1000 * 1000);
        CHECK_INT(run_as(UID_ALICE, serve_check, NULL), ==, 0);
        usleep(1000 * 1000);
        CHECK_INT(run_as(UID_ALICE, serve_check, NULL), ==, 0);
        CHECK_INT(wait_status(holder), ==, 0);
        CHECK_INT(wait_status(churner), ==, 0);
        /* After it: alice, bob, root. */
        CHECK_INT(run_as(UID_ALICE, serve_check, NULL), ==, 0);
        CHECK_INT(run_as(UID_BOB, serve_check, NULL), ==, 0);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        log = agent_log(&agent);
        fprintf(stderr, "# agent log: %zu bytes\n", strlen(log));
        CHECK_MSG(strlen(log) < 64 * 1024, "the agent logged %zu bytes during a 3 s flood",
                  strlen(log));
        free(log);
        agent_stop(&agent);
        return 0;
}
