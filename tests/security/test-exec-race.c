/* SPDX-License-Identifier: MIT */
/*
 * test-exec-race - attack 2 of issue 7: a process creates a socket, forks a
 * child that keeps a copy, connects, and at once execve()s the trusted
 * program; the child then sends requests on the shared connection.  Before
 * the fix the connection carried the identity of whatever /proc/PID/exe
 * showed when attestation ran (the trusted program about 2 times in 3), and
 * every request on it was served, whoever sent it, even after the attested
 * process had exited.  Now the agent checks the sender of every chunk
 * (SCM_CREDENTIALS) against the attested process and refuses anyone else
 * with an error naming both pids, so the race is lost every time.  It is
 * run RACE_ROUNDS times per variant: trusted program still running or
 * already exited, exe and exe_sha256 roles.  Every round must end with the
 * refusal (never a grant, never silence).
 *
 * The write-then-exec variant: P writes its own request and then
 * execve()s the trusted program, while C (holding a copy of the socket)
 * reads the answer.  The sender check passes (the bytes are P's), and
 * before the fix the request was answered as the trusted program's 36
 * times in 40.  Now a request sent before the agent read the executable
 * gets no answer that rests on it (SentBeforeAttestation; libroled sends it
 * again): never a grant.
 *
 * The genuine program is still served, and a libroled client that forks
 * keeps working in the parent, while in the child it answers ROLED_E_FORKED
 * and a client of the child's own is served.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <roled/roled.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

#define RACE_ROUNDS 40

static TestAgent agent;
static char genuine[PATH_MAX];

/*
 * One GetCredentials on @fd.  Return: 'G' granted, 'D' AccessDenied saying
 * the connection belongs to another process, or saying that the process that
 * connected exited or changed before it could be attested, 'C' closed
 * unanswered, 'X' anything else.
 */
static char ask(int fd, const char *role)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        char verdict = 'X';
        int n;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCredentials", 1, "role", role);
        if (raw_send(fd, sb.data, sb.size) != 0)
                return 'C'; /* the agent closed it already */
        msgpack_sbuffer_destroy(&sb);
        msgpack_unpacker_init(&up, 4096);
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 10000);
        if (n == 0 || n == -ECONNRESET || n == -EPIPE) {
                verdict = 'C'; /* closed unanswered: the agent's answer could not reach it */
        } else if (n == 1 && resp_parse(&u.data, &r)) {
                if (!r.code[0])
                        verdict = 'G';
                else if (strcmp(r.code, "AccessDenied") == 0 &&
                         (strstr(r.message, "belongs to another process") ||
                          strstr(r.message, "before the agent could attest it")))
                        verdict = 'D';
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        return verdict;
}

/* Client mode of the genuine copy: GetCredentials for ROLE over a fresh connection. */
static int client(const char *socket, const char *role)
{
        int fd = raw_try_connect(socket);

        /* A well-behaved raw client: Hello first, so the request is not sent before attestation. */
        return fd >= 0 && raw_hello(fd) == 0 && ask(fd, role) == 'G' ? 0 : 1;
}

typedef struct Race {
        const char *role;
        const char *mode;   /* what the trusted program does after execve(): "idle" or "exit" */
        bool is_after_exit; /* C asks only once P (the trusted program) has exited */
} Race;

/* Wait until @pid has exited (a zombie counts: its parent reaps it only at the end). */
static void wait_gone(pid_t pid)
{
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        if (pidfd >= 0)
                (void)poll(&pfd, 1, 5000);
        close(pidfd);
}

/* A socket and the agent's address, in a forked attacker (which exits 2 when it cannot). */
static int attacker_socket(struct sockaddr_un *sa)
{
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        if (fd < 0 || strlen(agent.socket) >= sizeof(sa->sun_path))
                _exit(2);
        *sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(sa->sun_path, agent.socket, strlen(agent.socket) + 1);
        return fd;
}

/* Spin until the other holder of @fd has connected it.  Return: true when it has. */
static bool wait_connected(int fd)
{
        for (int i = 0; i < 2000000; i++) {
                struct sockaddr_un peer;
                socklen_t len = sizeof(peer);

                if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
                        return true;
        }
        return false;
}

/* C's last act: verdict @v to the attacker through @report. */
static _Noreturn void report_verdict(int report, char v)
{
        if (write(report, &v, 1) != 1)
                _exit(3);
        _exit(0);
}

/*
 * One round, as the attacker (alice): P makes a socket and forks C; P
 * connects and execve()s the trusted program; C waits until the socket is
 * connected, sends GetCredentials, and writes its verdict to @report.
 */
static pid_t race_once(const void *arg, int report)
{
        const Race *race = arg;
        struct sockaddr_un sa;
        pid_t p = fork();

        CHECK(p >= 0);
        if (p == 0) {
                int fd = attacker_socket(&sa);
                pid_t c = fork();

                if (c < 0)
                        _exit(2);
                if (c == 0) {
                        char v = 'X';

                        /* Ask as soon as P has connected. */
                        if (wait_connected(fd)) {
                                if (race->is_after_exit)
                                        wait_gone(getppid());
                                v = ask(fd, race->role);
                        }
                        report_verdict(report, v);
                }
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                        _exit(2);
                execl(genuine, genuine, race->mode, (char *)NULL);
                _exit(127);
        }
        return p;
}

/*
 * RACE_ROUNDS rounds of @once(@arg), each reporting one verdict: 'G'
 * granted, 'X' anything unexpected (or nothing within 15 s), any other
 * letter a refusal.  Return: 10 when one was granted, 11 when one was
 * neither, else 0 (the attacker's exit status).
 */
static int rounds(pid_t (*once)(const void *arg, int report), const void *arg, const char *what)
{
        pid_t ps[RACE_ROUNDS];
        int rep[2], granted = 0, refused = 0, other = 0;

        CHECK(pipe(rep) == 0);
        for (int i = 0; i < RACE_ROUNDS; i++) {
                struct pollfd pfd = { .fd = rep[0], .events = POLLIN };
                char v = 'X';

                ps[i] = once(arg, rep[1]);
                if (poll(&pfd, 1, 15000) == 1 && read(rep[0], &v, 1) == 1) {
                        granted += v == 'G';
                        refused += v != 'G' && v != 'X';
                        other += v == 'X';
                } else {
                        other++;
                }
        }
        for (int i = 0; i < RACE_ROUNDS; i++)
                (void)wait_status(ps[i]);
        printf("%s: %d granted, %d refused, %d other\n", what, granted, refused, other);
        return granted > 0 ? 10 : other > 0 ? 11 : 0;
}

static int attacker(void *arg)
{
        const Race *race = arg;
        char what[128];

        snprintf(what, sizeof(what), "race role=%s trusted program %s%s", race->role, race->mode,
                 race->is_after_exit ? ", asked after it exited" : "");
        return rounds(race_once, race, what);
}

static void test_race(void)
{
        static const Race races[] = {
                { "by-exe", "idle", false }, { "by-exe", "idle", true },
                { "by-exe", "exit", false }, { "by-hash", "idle", false },
                { "by-hash", "idle", true },
        };

        for (size_t i = 0; i < sizeof(races) / sizeof(races[0]); i++)
                CHECK_INT(run_as(UID_ALICE, attacker, (void *)&races[i]), ==, 0);
}

/*
 * The write-then-exec attack, as alice: P makes a socket and forks C; P
 * connects, writes GetCredentials for @role and at once execve()s the
 * trusted program (which idles and reads nothing); C, holding a copy of the
 * socket, reads the answer and reports it: 'G' granted, 'R' refused with an
 * error, 'C' closed unanswered.  The request is P's own (the sender check
 * passes), written while P still ran the impostor.
 */
static pid_t write_then_exec_once(const void *arg, int report)
{
        const char *role = arg;
        struct sockaddr_un sa;
        pid_t p = fork();

        CHECK(p >= 0);
        if (p == 0) {
                int fd = attacker_socket(&sa);
                msgpack_sbuffer sb;
                pid_t c = fork();

                if (c < 0)
                        _exit(2);
                if (c == 0) {
                        msgpack_unpacker up;
                        msgpack_unpacked u;
                        Resp r;
                        char v = 'X';
                        int n;

                        (void)wait_connected(fd);
                        msgpack_unpacker_init(&up, 4096);
                        msgpack_unpacked_init(&u);
                        n = raw_recv(fd, &up, &u, 10000);
                        if (n == 0 || n == -ECONNRESET || n == -EPIPE)
                                v = 'C';
                        else if (n == 1 && resp_parse(&u.data, &r))
                                v = r.code[0] ? 'R' : 'G';
                        report_verdict(report, v);
                }
                msgpack_sbuffer_init(&sb);
                pack_request(&sb, 9, "GetCredentials", 1, "role", role);
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    raw_send(fd, sb.data, sb.size) != 0)
                        _exit(2);
                execl(genuine, genuine, "idle", (char *)NULL);
                _exit(127);
        }
        return p;
}

static int write_then_exec(void *arg)
{
        char what[128];

        snprintf(what, sizeof(what), "write-then-exec role=%s", (const char *)arg);
        return rounds(write_then_exec_once, arg, what);
}

static void test_write_then_exec(void)
{
        CHECK_INT(run_as(UID_ALICE, write_then_exec, (void *)"by-exe"), ==, 0);
        CHECK_INT(run_as(UID_ALICE, write_then_exec, (void *)"by-hash"), ==, 0);
}

static void test_genuine_served(void)
{
        const char *by_exe[] = { genuine, "client", agent.socket, "by-exe", NULL };
        const char *by_hash[] = { genuine, "client", agent.socket, "by-hash", NULL };

        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, by_exe, NULL, NULL), ==, 0);
        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, by_hash, NULL, NULL), ==, 0);
}

static roled_status get_fresh(roled_client *c)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        T_AUTO(roled_credentials) cr = NULL;

        req.role = "by-user";
        req.flags = ROLED_CREDENTIALS_FRESH;
        return t_get_credentials(c, &req, &cr);
}

/*
 * A libroled client on both sides of fork(): the parent's client keeps being
 * served; in the child the inherited client answers ROLED_E_FORKED (it never
 * writes to the parent's connection) and a client of the child's own is served.
 */
static int forking_client(void *arg)
{
        roled_client *c;
        pid_t pid;

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(get_fresh(c), ==, ROLED_OK);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                roled_client *own = NULL;
                bool ok = get_fresh(c) == ROLED_E_FORKED &&
                          t_connect(agent.socket, &own) == ROLED_OK && get_fresh(own) == ROLED_OK &&
                          get_fresh(own) == ROLED_OK;

                roled_client_close(own);
                roled_client_close(c);
                _exit(ok ? 0 : 1);
        }
        CHECK_INT(wait_status(pid), ==, 0);
        CHECK_INT(get_fresh(c), ==, ROLED_OK);
        roled_client_close(c);
        return 0;
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], hex[65];
        const char *cfg;
        ssize_t n;

        if (argc == 4 && strcmp(argv[1], "client") == 0)
                return client(argv[2], argv[3]);
        if (argc == 2 && strcmp(argv[1], "idle") == 0) {
                usleep(100 * 1000);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "exit") == 0)
                return 0;
        test_init(argc, argv);
        CHECK(sodium_init() >= 0);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        snprintf(genuine, sizeof(genuine), "%s", test_path("trusted-program"));
        {
                const char *cp[] = { "/bin/cp", self, genuine, NULL };

                int fd;

                CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
                CHECK(chmod(genuine, 0755) == 0);
                /*
                 * One byte more (the loader ignores it): the trusted program's
                 * hash is not this binary's, so an attacker running this
                 * binary is an impostor for by-hash too.
                 */
                fd = open(genuine, O_WRONLY | O_APPEND | O_CLOEXEC);
                CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
                close(fd);
        }
        file_sha256_hex(genuine, hex);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = roledalice\nexe = %s\n", genuine);
        config_put(cfg, "roles.d/20-by-hash.ini",
                   "[role]\nname = by-hash\n[trust]\nusers = roledalice\nexe_sha256 = %s\n", hex);
        config_put(cfg, "roles.d/30-by-user.ini",
                   "[role]\nname = by-user\n[trust]\nusers = roledalice\n");
        agent_spawn(cfg, &agent);

        test_genuine_served();
        test_race();
        test_write_then_exec();
        test_genuine_served();
        CHECK_INT(run_as(UID_ALICE, forking_client, NULL), ==, 0);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
