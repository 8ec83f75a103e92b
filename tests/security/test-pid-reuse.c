/* SPDX-License-Identifier: MIT */
/*
 * test-pid-reuse - a connection whose process is gone by the time the
 * agent accepts it gets no identity, not even that of a new process that
 * took the same pid.  The agent is held with SIGSTOP while a child of uid
 * bob connects, hands the connected socket to the test (SCM_RIGHTS) and
 * exits; where the kernel lets us (ns_last_pid), a process of bob running
 * the executable the role trusts is then started on the very same pid.
 * After SIGCONT, requests on the orphaned socket get no credentials: the
 * agent closes it at accept time (identity.c checks the pidfd).  A control
 * run with the child still alive shows the same path is otherwise served.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define TRUSTED_EXE "/usr/bin/sleep"

static TestAgent agent;

static void send_fd(int sock, int fd)
{
        char c = 'x';
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u = { 0 };
        struct msghdr m = { .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        CHECK(sendmsg(sock, &m, 0) == 1);
}

static int recv_fd(int sock)
{
        char c;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr m = { .msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm;
        int fd;

        CHECK(recvmsg(sock, &m, 0) == 1);
        cm = CMSG_FIRSTHDR(&m);
        CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

/*
 * A child of uid bob connects while the agent is stopped and passes us the
 * socket; it stays alive until *@holdp is written to (or exits at once).
 */
static int connect_as_bob(bool is_kept_alive, pid_t *pidp, int *holdp)
{
        int sp[2], hold[2], fd;
        pid_t pid;

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
        CHECK(pipe2(hold, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                char c;

                become(UID_BOB);
                send_fd(sp[1], raw_connect(agent.socket));
                if (is_kept_alive) {
                        close(hold[1]);
                        (void)read(hold[0], &c, 1);
                }
                _exit(0);
        }
        close(sp[1]);
        close(hold[0]);
        fd = recv_fd(sp[0]);
        close(sp[0]);
        *pidp = pid;
        *holdp = hold[1];
        return fd;
}

/* Start bob running TRUSTED_EXE, on @pid if ns_last_pid lets us. Return: its pid. */
static pid_t reuse_pid(pid_t pid, bool *is_reusedp)
{
        for (int attempt = 0; attempt < 50; attempt++) {
                FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");
                pid_t p;

                if (f) {
                        fprintf(f, "%d", (int)pid - 1);
                        if (fclose(f) != 0)
                                f = NULL;
                }
                fflush(NULL);
                p = fork();
                CHECK(p >= 0);
                if (p == 0) {
                        become(UID_BOB);
                        execl(TRUSTED_EXE, TRUSTED_EXE, "60", (char *)NULL);
                        _exit(127);
                }
                if (p == pid || !f) {
                        *is_reusedp = p == pid;
                        return p;
                }
                kill(p, SIGKILL);
                (void)wait_status(p);
        }
        *is_reusedp = false;
        test_log("could not get pid %d again; testing the exited peer only", (int)pid);
        fflush(NULL);
        pid_t p = fork();
        CHECK(p >= 0);
        if (p == 0) {
                become(UID_BOB);
                execl(TRUSTED_EXE, TRUSTED_EXE, "60", (char *)NULL);
                _exit(127);
        }
        return p;
}

static void request(int fd, msgpack_unpacker *up, msgpack_unpacked *u, int *rp)
{
        msgpack_sbuffer sb;
        int r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCredentials", 1, "role", "sleepers");
        r = raw_send(fd, sb.data, sb.size);
        CHECK(r == 0 || r == -EPIPE || r == -ECONNRESET);
        msgpack_sbuffer_destroy(&sb);
        *rp = raw_recv(fd, up, u, 5000);
}

static void test_control_alive_peer(void)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp resp;
        pid_t pid;
        int hold, fd, r;

        CHECK(kill(agent.pid, SIGSTOP) == 0);
        fd = connect_as_bob(true, &pid, &hold);
        CHECK(kill(agent.pid, SIGCONT) == 0);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        /* Bob's process is alive and attested; it is not the trusted executable. */
        request(fd, &up, &u, &r);
        CHECK_INT(r, ==, 1);
        CHECK(resp_parse(&u.data, &resp));
        CHECK_STREQ(resp.code, "AccessDenied");
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        close(hold);
        CHECK_INT(wait_status(pid), ==, 0);
}

static void test_exited_peer(void)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp resp;
        pid_t pid, successor;
        bool is_reused;
        int hold, fd, r;
        char *log;

        CHECK(kill(agent.pid, SIGSTOP) == 0);
        fd = connect_as_bob(false, &pid, &hold);
        close(hold);
        CHECK_INT(wait_status(pid), ==, 0);
        successor = reuse_pid(pid, &is_reused);
        test_log("connector pid %d, successor pid %d running %s as bob%s", (int)pid, (int)successor,
                 TRUSTED_EXE, is_reused ? " (pid reused)" : "");
        /* Let the successor get to its exec before the agent looks at /proc. */
        for (int i = 0; i < 500; i++) {
                char path[64], target[256] = "";
                ssize_t n;

                snprintf(path, sizeof(path), "/proc/%d/exe", (int)successor);
                n = readlink(path, target, sizeof(target) - 1);
                if (n > 0 && strncmp(target, TRUSTED_EXE, (size_t)n) == 0)
                        break;
                usleep(10 * 1000);
        }
        CHECK(kill(agent.pid, SIGCONT) == 0);

        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        request(fd, &up, &u, &r);
        if (r == 1) {
                char s[16];

                CHECK(resp_parse(&u.data, &resp));
                CHECK_MSG(resp.code[0], "the orphaned connection was served with credentials");
                /* Nor does the refusal name the pid (in a child pid namespace, the host pid). */
                snprintf(s, sizeof(s), "%d", (int)pid);
                CHECK_MSG(!strstr(resp.message, s), "the refusal names pid %s: \"%s\"", s,
                          resp.message);
        } else {
                CHECK_MSG(r == 0, "expected the agent to close the connection, got %d", r);
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        kill(successor, SIGKILL);
        (void)wait_status(successor);
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "cannot be attested");
        free(log);
        check_served(agent.socket);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        if (access(TRUSTED_EXE, X_OK) != 0)
                TEST_SKIP("%s missing", TRUSTED_EXE);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/sleepers.ini",
                   "[role]\nname = sleepers\n[trust]\nusers = roledbob\nexe = " TRUSTED_EXE "\n");
        agent_spawn(cfg, &agent);
        test_control_alive_peer();
        test_exited_peer();
        agent_stop(&agent);
        return 0;
}
