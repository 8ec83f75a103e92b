/* SPDX-License-Identifier: MIT */
/*
 * test-park-pid-reuse - on a kernel without SO_PEERPIDFD (Debian 12's 6.1;
 * emulated here with the proc-fault library), a connection over its uid's
 * limit waits for a slot before it is attested.  The attack: alice holds
 * her one slot; her process P connects (and waits), writes
 * GetCallerIdentity, hands the socket to a child and exits; the pid P had
 * is taken again (ns_last_pid) by a trusted program of alice's; then alice
 * frees her slot.  Had the agent looked the pid up only then, the waiting
 * connection would be attested as the trusted program.  It pinned P when it
 * accepted the connection, so P's exit is seen: the answer is AccessDenied,
 * never an identity naming the trusted program.  A connection that waits
 * the same way from a process that stays is served (the legitimate caller).
 */
#undef NDEBUG
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/*
 * The first answer on @fd: writes "exe PATH" (an identity) or "error CODE"
 * or "none" to @out.
 */
static void first_answer(int fd, int out)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        char exe[PATH_MAX], line[PATH_MAX + 64];
        Resp r;

        msgpack_unpacker_init(&up, 1 << 16);
        msgpack_unpacked_init(&u);
        if (raw_recv(fd, &up, &u, 15000) == 1 && resp_parse(&u.data, &r)) {
                if (r.code[0])
                        snprintf(line, sizeof(line), "error %.60s", r.code);
                else
                        snprintf(line, sizeof(line), "exe %s",
                                 resp_str(&r.result, "exe", exe, sizeof(exe)));
        } else {
                snprintf(line, sizeof(line), "none");
        }
        CHECK(write(out, line, strlen(line)) == (ssize_t)strlen(line));
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
}

/* alice's one slot, held until a byte comes on @hold (a child; returns its pid). */
static pid_t hold_slot(int hold[2])
{
        int ready[2];
        pid_t holder;
        char b;

        CHECK(pipe(hold) == 0 && pipe(ready) == 0);
        holder = fork();
        CHECK(holder >= 0);
        if (holder == 0) {
                int fd;

                close(hold[1]);
                become(UID_ALICE);
                fd = raw_connect(agent.socket);
                CHECK(raw_hello(fd) == 0);
                CHECK(write(ready[1], "r", 1) == 1);
                (void)!read(hold[0], &b, 1);
                close(fd);
                _exit(0);
        }
        close(hold[0]);
        CHECK(read(ready[0], &b, 1) == 1);
        close(ready[0]);
        close(ready[1]);
        return holder;
}

/* A connection of alice's that waits for her slot and asks GetCallerIdentity; its pid. */
/*
 * Has the agent pinned @pid (a pidfd naming it among its descriptors)?  The
 * pin is taken when the agent accepts the waiting connection; before that,
 * on such a kernel, nothing can tell a reused pid from the caller (the
 * window between connect() and accept(), which this test does not open).
 */
static bool agent_pins(pid_t pid)
{
        char dir[64], path[400], want[32], *text;
        DIR *d;
        struct dirent *e;
        bool found = false;

        snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)agent.pid);
        snprintf(want, sizeof(want), "Pid:\t%d\n", (int)pid);
        d = opendir(dir);
        if (!d)
                return false;
        while (!found && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                text = read_file(path);
                found = text && strstr(text, want);
                free(text);
        }
        closedir(d);
        return found;
}

/* Does the agent pin a waiting connection's process (no SO_PEERPIDFD)?  Else it asks the socket. */
static bool agent_pins_parked = true;

static pid_t waiting_request(int *answer, bool exits)
{
        int report[2], ans[2], go[2];
        pid_t p;

        CHECK(pipe(report) == 0 && pipe(ans) == 0 && pipe(go) == 0);
        p = fork();
        CHECK(p >= 0);
        if (p == 0) {
                msgpack_sbuffer sb;
                int fd;

                close(ans[0]);
                become(UID_ALICE);
                fd = raw_connect(agent.socket);
                msgpack_sbuffer_init(&sb);
                pack_request(&sb, 5, "GetCallerIdentity", 0);
                CHECK(raw_send(fd, sb.data, sb.size) == 0);
                msgpack_sbuffer_destroy(&sb);
                if (exits) {
                        char b;

                        /* A child keeps the socket and reads the answer; P itself exits. */
                        if (fork() == 0) {
                                first_answer(fd, ans[1]);
                                _exit(0);
                        }
                        (void)!read(go[0], &b, 1);
                        _exit(0);
                }
                first_answer(fd, ans[1]);
                _exit(0);
        }
        close(ans[1]);
        close(report[0]);
        close(report[1]);
        close(go[0]);
        if (exits && agent_pins_parked) {
                /* P exits once the agent has accepted (and pinned) its connection. */
                for (int i = 0; i < 1000 && !agent_pins(p); i++)
                        usleep(10 * 1000);
                CHECK_MSG(agent_pins(p), "the agent did not pin pid %d within 10 s", (int)p);
        }
        CHECK(write(go[1], "g", 1) == 1);
        close(go[1]);
        *answer = ans[0];
        return p;
}

static void read_answer(int fd, char *buf, size_t size)
{
        ssize_t n = read(fd, buf, size - 1);

        CHECK(n > 0);
        buf[n] = '\0';
        close(fd);
}

/* The trusted program, as alice, on pid @want (ns_last_pid); its pid, or -1. */
static pid_t take_pid(pid_t want, const char *trusted)
{
        for (int i = 0; i < 20; i++) {
                char last[16];
                int pfd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
                pid_t t;

                if (pfd < 0)
                        return -1;
                snprintf(last, sizeof(last), "%d", (int)want - 1);
                if (write(pfd, last, strlen(last)) <= 0) {
                        close(pfd);
                        return -1;
                }
                close(pfd);
                t = fork();
                CHECK(t >= 0);
                if (t == 0) {
                        if (getpid() != want)
                                _exit(0);
                        become(UID_ALICE);
                        execl(trusted, trusted, "idle", "5000", (char *)NULL);
                        _exit(127);
                }
                if (t == want)
                        return t;
                (void)wait_status(t);
        }
        return -1;
}

/*
 * The attack: alice's P waits for her slot (held through @hold), writes
 * GetCallerIdentity, hands the socket to a child and exits; the trusted
 * program takes P's pid; then the slot frees.  The answer must not be an
 * identity naming the trusted program.
 */
static void attack(const char *trusted, int hold[2])
{
        char got[PATH_MAX + 64];
        pid_t holder, p, victim;
        int answer;

        test_log("the attack, %s", agent_pins_parked ? "no SO_PEERPIDFD (the agent pins)"
                                                     : "SO_PEERPIDFD, EINVAL once reaped");
        holder = hold_slot(hold);
        p = waiting_request(&answer, true);
        CHECK_INT(wait_status(p), ==, 0);
        victim = take_pid(p, trusted);
        if (victim < 0) {
                printf("skip: pid %d could not be taken again (ns_last_pid)\n", (int)p);
                CHECK(write(hold[1], "g", 1) == 1);
                (void)wait_status(holder);
                close(hold[1]);
                close(answer);
                return;
        }
        usleep(100 * 1000);
        CHECK(write(hold[1], "g", 1) == 1);
        CHECK_INT(wait_status(holder), ==, 0);
        close(hold[1]);
        read_answer(answer, got, sizeof(got));
        kill(victim, SIGTERM);
        (void)wait_status(victim);
        CHECK_MSG(strncmp(got, "exe ", 4) != 0,
                  "the waiting connection of an exited process was attested as pid %d's "
                  "program: %s",
                  (int)p, got);
        CHECK_STREQ(got, "error AccessDenied");
        check_served(agent.socket);
}

int main(int argc, char **argv)
{
        const char *lib = getenv("ROLED_PROC_FAULT_LIB");
        char self[PATH_MAX], trusted[PATH_MAX], got[PATH_MAX + 64], want[PATH_MAX + 8];
        const char *cp[] = { "/bin/cp", NULL, NULL, NULL };
        int hold[2], answer, fd;
        pid_t holder, p;
        ssize_t n;

        if (argc == 3 && strcmp(argv[1], "idle") == 0) {
                usleep((unsigned)atoi(argv[2]) * 1000);
                return 0;
        }
        test_init(argc, argv);
        if (!lib)
                TEST_SKIP("ROLED_PROC_FAULT_LIB unset");
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        snprintf(trusted, sizeof(trusted), "%s", test_path("trusted-program"));
        cp[1] = self;
        cp[2] = trusted;
        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        fd = open(trusted, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
        close(fd);
        CHECK(chmod(trusted, 0755) == 0);
        CHECK(chmod(test_dir(), 0755) == 0);

        agent_spawn_preloaded(config_new("max_connections_per_uid = 1\n"), lib,
                              (const char *const[]){ "ROLED_TEST_NO_PEERPIDFD=1", NULL }, &agent);

        /* The legitimate caller: waits for the slot, stays, and is served as itself. */
        holder = hold_slot(hold);
        p = waiting_request(&answer, false);
        usleep(200 * 1000);
        CHECK(write(hold[1], "g", 1) == 1);
        CHECK_INT(wait_status(holder), ==, 0);
        read_answer(answer, got, sizeof(got));
        snprintf(want, sizeof(want), "exe %s", self);
        CHECK_STREQ(got, want);
        CHECK_INT(wait_status(p), ==, 0);
        close(hold[1]);

        attack(trusted, hold);
        agent_stop(&agent);

        /*
         * Kernels 6.5 to about 6.13 have SO_PEERPIDFD but answer EINVAL for a
         * peer already reaped.  The agent, asking the socket when the slot
         * frees, must take that for a process gone, not for a kernel without
         * SO_PEERPIDFD whose pid it may open: that pid is the trusted
         * program's by then.
         */
        agent_spawn_preloaded(config_new("max_connections_per_uid = 1\n"), lib,
                              (const char *const[]){ "ROLED_TEST_PEERPIDFD_REAPED_EINVAL=1", NULL },
                              &agent);
        agent_pins_parked = false;
        attack(trusted, hold);
        agent_stop(&agent);
        printf("test-park-pid-reuse: OK\n");
        return 0;
}
