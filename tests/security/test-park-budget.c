/* SPDX-License-Identifier: MIT */
/*
 * test-park-budget - on a kernel without SO_PEERPIDFD (Debian 12's 6.1;
 * emulated with the proc-fault library), a connection that waits for a slot
 * (parked) holds a pidfd pinning its caller besides its socket.  The agent
 * runs at RLIMIT_NOFILE 256 with max_connections_per_uid = 1; bob holds his
 * slot and floods it with connections, each sending a request.
 *   - The waiting connections, sockets and pidfds together, hold at most a
 *     quarter of the agent's descriptors; the rest are answered Throttling
 *     at once, and alice is served meanwhile.
 *   - Only the connections that wait are pinned: one answered Throttling
 *     because every place is taken costs no pidfd_open() (counted by
 *     proc-fault).
 *   - A pin that fails (pidfd_open() failing with EMFILE, more times than
 *     there are places, after a place was taken) gives the place back: each
 *     such connection is answered Throttling, and bob's next connection
 *     still waits for his slot and is served when he frees it.
 */
#undef NDEBUG
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define N_FDS 256         /* the agent's RLIMIT_NOFILE */
#define N_WAIT 100        /* more than the agent's places for waiting connections at N_FDS */
#define N_PIN_FAIL 4100   /* more than those places, and than CONN_PARKED_PER_UID_MAX (4096) */
#define N_ROUNDS 3        /* a round that ran into the 5 s wait limit tells nothing: again */
#define ROUND_MS_MAX 4500 /* below the agent's 5 s wait limit (CONN_PARK_MS) */

static TestAgent agent;
static char fault_flag[512]; /* pidfd_open() of bob's processes fails while this file exists */

/* How many times the agent opened a pidfd by pid for one of bob's processes. */
static int bob_pidfd_opens(void)
{
        char *log = agent_log(&agent), want[64];
        int n = 0;

        snprintf(want, sizeof(want), "proc-fault: pidfd_open uid %u\n", (unsigned)UID_BOB);
        for (const char *p = log; (p = strstr(p, want)); p++)
                n++;
        free(log);
        return n;
}

/* How many of the agent's descriptors are pidfds naming @pid. */
static int agent_pidfds_of(pid_t pid)
{
        char dir[64], path[400], want[32], *text;
        struct dirent *e;
        int n = 0;
        DIR *d;

        snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)agent.pid);
        snprintf(want, sizeof(want), "Pid:\t%d\n", (int)pid);
        d = opendir(dir);
        CHECK(d);
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                text = read_file(path);
                if (text && strstr(text, want))
                        n++;
                free(text);
        }
        closedir(d);
        return n;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A request on @fd; a connection answered at once may be closed already (its answer waits). */
static void send_whoami(int fd, uint32_t msgid)
{
        msgpack_sbuffer sb;
        int r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, msgid, "GetCallerIdentity", 0);
        r = raw_send(fd, sb.data, sb.size);
        CHECK_MSG(r == 0 || r == -EPIPE || r == -ECONNRESET, "send: %s", strerror(-r));
        msgpack_sbuffer_destroy(&sb);
}

static void tell(int fd, char c)
{
        CHECK(write(fd, &c, 1) == 1);
}

static char hear(int fd)
{
        char c;

        CHECK_INT(read(fd, &c, 1), ==, 1);
        return c;
}

static int alice(void *arg)
{
        (void)arg;
        check_served(agent.socket);
        return 0;
}

static void bob(int up, int down)
{
        static int waiting[N_WAIT];
        int held, further, fresh;

        become(UID_BOB);
        held = raw_connect(agent.socket);
        send_whoami(held, 1);
        expect_answer(held, 1, "", NULL);
        tell(up, 'h');

        for (int round = 0;; round++) {
                int n_waiting = 0;
                long long t0;
                char status;

                hear(down);
                t0 = now_ms();
                for (int i = 0; i < N_WAIT; i++) {
                        waiting[i] = raw_connect(agent.socket);
                        send_whoami(waiting[i], 100 + (uint32_t)i);
                }
                /* Alice connects after them: once she is answered, the agent has taken them all. */
                tell(up, 'f');
                hear(down);
                for (int i = 0; i < N_WAIT; i++)
                        if (!is_answered(waiting[i]))
                                n_waiting++;
                /* One more while every place is taken. */
                further = raw_connect(agent.socket);
                send_whoami(further, 7);
                {
                        msgpack_unpacker up_;
                        msgpack_unpacked u;
                        Resp r;

                        CHECK(msgpack_unpacker_init(&up_, 8192));
                        msgpack_unpacked_init(&u);
                        CHECK_INT(raw_recv(further, &up_, &u, 10000), ==, 1);
                        CHECK(resp_parse(&u.data, &r));
                        /* No waiting connection reached the wait limit before this answer. */
                        status = now_ms() - t0 < ROUND_MS_MAX ? 'k' : 'r';
                        if (status == 'k') {
                                CHECK_STREQ(r.code, "Throttling");
                                CHECK_INT(r.msgid, ==, 0);
                                CHECK_CONTAINS(r.message, "every place for connections "
                                                          "waiting for the agent is taken");
                        }
                        msgpack_unpacked_destroy(&u);
                        msgpack_unpacker_destroy(&up_);
                }
                close(further);
                for (int i = 0; i < N_WAIT; i++)
                        close(waiting[i]);
                CHECK(write(up, &n_waiting, sizeof(n_waiting)) == sizeof(n_waiting));
                tell(up, status);
                if (status == 'k')
                        break;
                CHECK_MSG(round + 1 < N_ROUNDS, "every round took longer than %d ms", ROUND_MS_MAX);
        }

        /* Pins that fail once a place is taken: each answered at once, its place given back. */
        hear(down);
        for (int i = 0; i < N_PIN_FAIL; i++) {
                int fd = raw_connect(agent.socket);

                send_whoami(fd, 200 + (uint32_t)i);
                expect_answer(fd, 0, "Throttling", "short of descriptors");
                close(fd);
        }
        tell(up, 'd');
        hear(down);
        fresh = raw_connect(agent.socket);
        send_whoami(fresh, 9);
        tell(up, 'p');
        hear(down);
        CHECK_MSG(!is_answered(fresh),
                  "after %d failed pins bob's connection found no place to "
                  "wait",
                  N_PIN_FAIL);
        close(held);
        expect_answer(fresh, 9, "", NULL);
        close(fresh);
        _exit(0);
}

int main(int argc, char **argv)
{
        const char *lib = getenv("ROLED_PROC_FAULT_LIB");
        struct rlimit low = { N_FDS, N_FDS };
        int up[2], down[2], n_waiting = 0;
        pid_t pid;
        char status = 0, env_bob[64], env_count[64], env_flag[600];

        test_init(argc, argv);
        if (!lib)
                TEST_SKIP("ROLED_PROC_FAULT_LIB unset");
        snprintf(fault_flag, sizeof(fault_flag), "%s", test_path("pidfd-fault"));
        /* The agent inherits it: a bounded number of places for waiting connections. */
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        snprintf(env_bob, sizeof(env_bob), "ROLED_TEST_PIDFD_EMFILE_UID=%u", (unsigned)UID_BOB);
        snprintf(env_count, sizeof(env_count), "ROLED_TEST_PIDFD_EMFILE_COUNT=%d", N_PIN_FAIL);
        snprintf(env_flag, sizeof(env_flag), "ROLED_TEST_PIDFD_EMFILE_WHILE=%s", fault_flag);
        agent_spawn_preloaded(config_new("max_connections_per_uid = 1\n"), lib,
                              (const char *const[]){ "ROLED_TEST_NO_PEERPIDFD=1", env_bob,
                                                     env_count, env_flag, NULL },
                              &agent);
        CHECK(pipe2(up, O_CLOEXEC) == 0 && pipe2(down, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* Only the parent's ends: bob sees its exit as the end of the pipe. */
                close(up[0]);
                close(down[1]);
                bob(up[1], down[0]);
        }
        close(up[1]);
        close(down[0]);
        CHECK_INT(hear(up[0]), ==, 'h');

        for (int round = 0; round < N_ROUNDS && status != 'k'; round++) {
                int opens0, opens1, opens2, pidfds;

                opens0 = bob_pidfd_opens();
                tell(down[1], 'g');
                CHECK_INT(hear(up[0]), ==, 'f');
                /* Alice is served while bob's connections wait. */
                CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
                opens1 = bob_pidfd_opens();
                pidfds = agent_pidfds_of(pid);
                tell(down[1], 'g');
                CHECK(read(up[0], &n_waiting, sizeof(n_waiting)) == sizeof(n_waiting));
                status = hear(up[0]);
                opens2 = bob_pidfd_opens();
                fprintf(stderr,
                        "# round %d: %d of bob's %d connections waited (%d pidfds naming him), "
                        "pidfd_open() %d times for them and %d for one more%s\n",
                        round, n_waiting, N_WAIT, pidfds, opens1 - opens0, opens2 - opens1,
                        status == 'k' ? "" : "; too slow, again");
                if (status != 'k')
                        continue;
                CHECK_MSG(opens2 == opens1,
                          "a connection answered Throttling for want of a place cost %d "
                          "pidfd_open()",
                          opens2 - opens1);
                CHECK_MSG(n_waiting > 0 && n_waiting < N_WAIT,
                          "expected the places for waiting connections to run out");
                /* Every waiting connection holds a pidfd: its socket and it count. */
                CHECK_INT(pidfds, >=, n_waiting);
                CHECK_MSG(2 * n_waiting <= N_FDS / 4,
                          "%d waiting connections hold %d descriptors, more than a quarter of %d",
                          n_waiting, 2 * n_waiting, N_FDS);
                CHECK_INT(opens1 - opens0, ==, n_waiting);
        }
        CHECK_INT(status, ==, 'k');

        write_file(fault_flag, 0600, "");
        tell(down[1], 'g');
        CHECK_INT(hear(up[0]), ==, 'd');
        CHECK(unlink(fault_flag) == 0);
        tell(down[1], 'g');
        CHECK_INT(hear(up[0]), ==, 'p');
        /* Her answer means the agent took bob's connection before hers. */
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        tell(down[1], 'g');
        CHECK_INT(wait_status(pid), ==, 0);
        check_served(agent.socket);
        CHECK(agent_alive(&agent));
        agent_stop(&agent);
        printf("test-park-budget: OK\n");
        return 0;
}
