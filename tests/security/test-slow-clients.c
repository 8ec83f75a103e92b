/* SPDX-License-Identifier: MIT */
/*
 * test-slow-clients - 1,000 slow clients do not slow the agent down for
 * others: carol keeps 1,000 connections open and sends each request one byte
 * every 50 ms (about 2 s per request), all at once; meanwhile alice makes 50
 * requests on fresh connections, and their latency is reported next to her
 * latency before the slow clients came.  Every slow request is answered in
 * the end.  (max_connections_per_uid is raised for carol's 1,000.)
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define N_SLOW 1000
#define BYTE_EVERY_MS 50
#define N_PROBES 50

static TestAgent agent;

static long long now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int slow(void *arg)
{
        static int fds[N_SLOW];
        static msgpack_unpacker up[N_SLOW];
        int *ready = arg;
        msgpack_sbuffer sb;
        unsigned n_ok = 0;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 3, "GetCallerIdentity", 0);
        for (int i = 0; i < N_SLOW; i++) {
                fds[i] = raw_connect(agent.socket);
                CHECK(msgpack_unpacker_init(&up[i], 4096));
        }
        CHECK(write(ready[1], "x", 1) == 1);
        /* One byte on every connection, then wait: the agent holds 1,000 partial messages. */
        for (size_t b = 0; b < sb.size; b++) {
                for (int i = 0; i < N_SLOW; i++)
                        CHECK(write(fds[i], sb.data + b, 1) == 1);
                usleep(BYTE_EVERY_MS * 1000);
        }
        for (int i = 0; i < N_SLOW; i++) {
                msgpack_unpacked u;
                Resp r;

                msgpack_unpacked_init(&u);
                if (raw_recv(fds[i], &up[i], &u, 10000) == 1 && resp_parse(&u.data, &r) &&
                    !r.code[0])
                        n_ok++;
                msgpack_unpacked_destroy(&u);
                msgpack_unpacker_destroy(&up[i]);
                close(fds[i]);
        }
        msgpack_sbuffer_destroy(&sb);
        fprintf(stderr, "# carol: %u of %d slow requests answered (%zu bytes, one per %d ms)\n",
                n_ok, N_SLOW, sb.size, BYTE_EVERY_MS);
        return n_ok != N_SLOW;
}

static int cmp(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;

        return x < y ? -1 : x > y;
}

/* probe() - N_PROBES requests on fresh connections; prints p50 and max. */
static int probe(void *arg)
{
        long long lat[N_PROBES];

        for (int i = 0; i < N_PROBES; i++) {
                long long t0 = now_us();

                check_served(agent.socket);
                lat[i] = now_us() - t0;
        }
        qsort(lat, N_PROBES, sizeof(lat[0]), cmp);
        printf("alice %s: p50 %lld us, max %lld us over %d fresh connections\n", (const char *)arg,
               lat[N_PROBES / 2], lat[N_PROBES - 1], N_PROBES);
        fflush(stdout);
        return 0;
}

int main(int argc, char **argv)
{
        int ready[2];
        pid_t pid;
        char c;

        test_init(argc, argv);
        agent_spawn(config_new("max_connections_per_uid = 2000\n"), &agent);
        CHECK_INT(run_as(UID_ALICE, probe, "alone"), ==, 0);
        CHECK(pipe(ready) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = { N_SLOW + 64, N_SLOW + 64 };

                CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
                become(UID_CAROL);
                _exit(slow(ready));
        }
        CHECK(read(ready[0], &c, 1) == 1);
        usleep(200 * 1000);
        CHECK_INT(run_as(UID_ALICE, probe, "with 1,000 slow clients"), ==, 0);
        CHECK_INT(wait_status(pid), ==, 0);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
