/* SPDX-License-Identifier: MIT */
/*
 * test-pipeline-flood - pipelined requests a peer never reads the answers
 * to cannot balloon the agent: carol (a uid with no role) opens 64
 * connections and writes ~68 KiB of pipelined GetCallerIdentity requests on
 * each without ever reading (once: 5 MiB -> 2.7 GiB).  The agent answers at
 * most PROTO_PIPELINE_MAX per pass, stops reading a connection whose unsent
 * replies pass its bound, and its peak RSS (VmHWM) stays below 64 MiB;
 * alice is served meanwhile, and once carol reads, every request she sent is
 * answered in order.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

#define N_CONNS 64
#define BYTES_PER_CONN (68 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static TestAgent agent;

/* peak_kb() - the agent's VmHWM (peak resident set) in KiB. */
static long peak_kb(void)
{
        char path[64], *text, *p;
        long kb = -1;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)agent.pid);
        text = read_file(path);
        CHECK(text);
        p = strstr(text, "VmHWM:");
        if (p)
                kb = strtol(p + 6, NULL, 10);
        free(text);
        return kb;
}

static int alice(void *arg)
{
        (void)arg;
        check_served(agent.socket);
        return 0;
}

/*
 * carol() - the attack: every connection gets BYTES_PER_CONN of requests
 * (as much as the kernel takes without blocking, for 2 s), nothing is read;
 * then, on a signal from the parent, connection 0 reads all its answers.
 */
static int carol(void *arg)
{
        int *pipes = arg;
        static int fds[N_CONNS];
        static uint8_t req[BYTES_PER_CONN + 64];
        size_t req_len = 0, n_req = 0, sent[N_CONNS] = { 0 };
        msgpack_sbuffer sb;
        char c;

        msgpack_sbuffer_init(&sb);
        while (req_len + 32 < BYTES_PER_CONN) {
                msgpack_sbuffer_clear(&sb);
                pack_request(&sb, (uint32_t)n_req + 1, "GetCallerIdentity", 0);
                memcpy(req + req_len, sb.data, sb.size);
                req_len += sb.size;
                n_req++;
        }
        msgpack_sbuffer_destroy(&sb);
        for (int i = 0; i < N_CONNS; i++) {
                fds[i] = raw_connect(agent.socket);
                CHECK(fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0);
        }
        for (int round = 0; round < 200; round++) {
                for (int i = 0; i < N_CONNS; i++) {
                        ssize_t n;

                        if (sent[i] == req_len)
                                continue;
                        n = write(fds[i], req + sent[i], req_len - sent[i]);
                        if (n > 0)
                                sent[i] += (size_t)n;
                        else
                                CHECK_MSG(errno == EAGAIN, "write: %s", strerror(errno));
                }
                usleep(10 * 1000);
        }
        fprintf(stderr,
                "# carol: %zu requests (%zu bytes) per connection; connection 0 sent %zu bytes\n",
                n_req, req_len, sent[0]);
        CHECK(write(pipes[1], "x", 1) == 1);
        CHECK(read(pipes[0], &c, 1) == 1);
        /* Now read connection 0 to the end of what it sent: every answer arrives, in order. */
        {
                msgpack_unpacker up;
                msgpack_unpacked u;
                size_t n_got = 0;

                CHECK(fcntl(fds[0], F_SETFL, 0) == 0);
                while (sent[0] < req_len) {
                        /* Blocking now: the agent reads on once we read its answers. */
                        struct pollfd pfd = { .fd = fds[0], .events = POLLIN | POLLOUT };

                        CHECK(poll(&pfd, 1, 10000) > 0);
                        if (pfd.revents & POLLOUT) {
                                ssize_t n = send(fds[0], req + sent[0], req_len - sent[0],
                                                 MSG_DONTWAIT);

                                if (n > 0)
                                        sent[0] += (size_t)n;
                        }
                        if (pfd.revents & POLLIN)
                                break;
                }
                CHECK(msgpack_unpacker_init(&up, 65536));
                msgpack_unpacked_init(&u);
                while (n_got < n_req) {
                        Resp r;

                        if (sent[0] < req_len) {
                                ssize_t n = send(fds[0], req + sent[0], req_len - sent[0],
                                                 MSG_DONTWAIT);

                                if (n > 0)
                                        sent[0] += (size_t)n;
                        }
                        CHECK_MSG(raw_recv(fds[0], &up, &u, 10000) == 1,
                                  "answer %zu of %zu missing", n_got + 1, n_req);
                        CHECK(resp_parse(&u.data, &r));
                        CHECK_STREQ(r.code, "");
                        CHECK_INT(r.msgid, ==, n_got + 1);
                        n_got++;
                }
                msgpack_unpacked_destroy(&u);
                msgpack_unpacker_destroy(&up);
                fprintf(stderr, "# carol: all %zu answers read on connection 0\n", n_got);
        }
        for (int i = 0; i < N_CONNS; i++)
                close(fds[i]);
        return 0;
}

int main(int argc, char **argv)
{
        int to_parent[2], to_child[2], pipes[2];
        long before, after;
        pid_t pid;
        char c;

        test_init(argc, argv);
        agent_spawn(config_new(NULL), &agent);
        check_served(agent.socket);
        before = peak_kb();
        CHECK(pipe(to_parent) == 0 && pipe(to_child) == 0);
        pipes[0] = to_child[0];
        pipes[1] = to_parent[1];
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                become(UID_CAROL);
                _exit(carol(pipes));
        }
        CHECK(read(to_parent[0], &c, 1) == 1);
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        after = peak_kb();
        printf("agent peak RSS (VmHWM): %ld KiB before, %ld KiB under the attack\n", before, after);
#ifndef UNDER_ASAN
        CHECK_MSG(after < 64 * 1024, "agent peak RSS %ld KiB", after);
#endif
        CHECK(write(to_child[1], "x", 1) == 1);
        CHECK_INT(wait_status(pid), ==, 0);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
