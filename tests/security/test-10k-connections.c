/* SPDX-License-Identifier: MIT */
/*
 * test-10k-connections - 10,000 connections with zero errors.  Ten client
 * processes of alice (max_connections_per_uid raised to 65535 for her, as an
 * administrator would for a busy service) each open 1,000 connections at
 * once, send one GetCallerIdentity on each and read every answer, then do
 * it again with fresh connections until 10,000 have been answered.  The
 * agent takes as many at once as its descriptor limit allows and leaves the
 * rest in the kernel's backlog (a non-blocking connect() that finds the
 * backlog full is retried): no connection is refused, dropped or answered
 * with an error, bob is served during the load, and the most connections the
 * agent held at once (Status) is reported.
 */
#undef NDEBUG
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define N_PROCS 10
#define PER_PROC 1000
#define DEADLINE_S 120

static TestAgent agent;

/* One connection's state: connecting, sent, answered. */
typedef struct Client {
        int fd;
        bool is_sent;
        msgpack_unpacker up;
} Client;

static int clients(void *arg)
{
        static Client cl[PER_PROC];
        static struct pollfd pfd[PER_PROC];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        time_t end = time(NULL) + DEADLINE_S;
        unsigned n_made = 0, n_done = 0, n_errors = 0;
        msgpack_sbuffer sb;

        (void)arg;
        memcpy(sa.sun_path, agent.socket, strlen(agent.socket) + 1);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCallerIdentity", 0);
        for (int i = 0; i < PER_PROC; i++)
                cl[i].fd = -1;
        while (n_done < PER_PROC && time(NULL) < end) {
                /* Open what is not open yet; a full backlog (EAGAIN) is tried again next round. */
                for (int i = 0; i < PER_PROC && n_made < PER_PROC; i++) {
                        int fd;

                        if (cl[i].fd >= 0 || cl[i].is_sent)
                                continue;
                        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                        CHECK(fd >= 0);
                        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                                CHECK_MSG(errno == EAGAIN, "connect: %s", strerror(errno));
                                close(fd);
                                break;
                        }
                        CHECK(send(fd, sb.data, sb.size, 0) == (ssize_t)sb.size);
                        CHECK(msgpack_unpacker_init(&cl[i].up, 4096));
                        cl[i].fd = fd;
                        cl[i].is_sent = true;
                        n_made++;
                }
                for (int i = 0; i < PER_PROC; i++)
                        pfd[i] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
                if (poll(pfd, PER_PROC, 100) < 0)
                        CHECK(errno == EINTR);
                for (int i = 0; i < PER_PROC; i++) {
                        msgpack_unpacked u;
                        Resp r;

                        if (cl[i].fd < 0 || !pfd[i].revents)
                                continue;
                        msgpack_unpacked_init(&u);
                        if (raw_recv(cl[i].fd, &cl[i].up, &u, 5000) == 1 &&
                            resp_parse(&u.data, &r) && !r.code[0] && r.msgid == 7)
                                n_done++;
                        else
                                n_errors++;
                        msgpack_unpacked_destroy(&u);
                        msgpack_unpacker_destroy(&cl[i].up);
                        close(cl[i].fd);
                        cl[i].fd = -1;
                }
        }
        msgpack_sbuffer_destroy(&sb);
        if (n_errors || n_done < PER_PROC)
                fprintf(stderr, "# pid %d: %u answered, %u errors, %u made\n", (int)getpid(),
                        n_done, n_errors, n_made);
        return n_errors || n_done < PER_PROC;
}

static int bob(void *arg)
{
        (void)arg;
        check_served(agent.socket);
        return 0;
}

/* status_connections() - the agent's open connections, from Status. */
static long long status_connections(void)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        long long n;
        int fd = raw_connect(agent.socket);
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 9, "Status", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        n = resp_uint(&r.result, "connections");
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return n;
}

int main(int argc, char **argv)
{
        pid_t pids[N_PROCS];
        long long peak = 0;
        int n_left = N_PROCS;

        test_init(argc, argv);
        agent_spawn(config_new("max_connections_per_uid = 65535\n"), &agent);
        fflush(NULL);
        for (int i = 0; i < N_PROCS; i++) {
                pids[i] = fork();
                CHECK(pids[i] >= 0);
                if (pids[i] == 0) {
                        struct rlimit rl = { PER_PROC + 64, PER_PROC + 64 };

                        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
                        become(UID_ALICE);
                        _exit(clients(NULL));
                }
        }
        /* While they run: bob is served, and the agent's load is sampled. */
        CHECK_INT(run_as(UID_BOB, bob, NULL), ==, 0);
        while (n_left > 0) {
                long long n = status_connections();

                if (n > peak)
                        peak = n;
                for (int i = 0; i < N_PROCS; i++) {
                        int st;

                        if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) != pids[i])
                                continue;
                        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client process %d failed",
                                  i);
                        pids[i] = 0;
                        n_left--;
                }
                usleep(50 * 1000);
        }
        printf("%d connections answered, at most %lld open in the agent at once\n",
               N_PROCS * PER_PROC, peak);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
