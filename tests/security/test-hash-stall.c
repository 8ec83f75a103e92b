/* SPDX-License-Identifier: MIT */
/*
 * test-hash-stall - attack 3 of issue 7: when any role has exe_sha256, one
 * process running a 255 MiB (sparse) binary opens 64 connections, touching
 * the binary between rounds so no cached digest applies.  Before the fix
 * that queued 64 full hashes in the same 4-thread pool that attests
 * everyone, and other users' connections went unanswered for tens of
 * seconds.  Now hashes run in the hash queue's own threads, one per file
 * version (single flight), at most HASHQ_PER_UID_MAX per uid.
 *
 * Proven without timing: once the agent reports a hash in progress, bob
 * (another uid) is served, and the agent still reports the hash in progress
 * after bob's answer; all 64 of the attacker's requests are answered; the
 * agent started at most one hash per touched version; and the genuine
 * program, whose hash the role names, is still served.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define BIG_SIZE (255ll * 1024 * 1024)
#define ROUNDS 4
#define CONNS_PER_ROUND 16

static TestAgent agent;
static char genuine[PATH_MAX], big[PATH_MAX];

/* GetCredentials for @role on @fd; Return: 1 granted, 0 refused, -1 no answer. */
static int ask_on(int fd, const char *role, bool is_send, bool is_recv)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r = { 0 };
        int n = 1;

        if (is_send) {
                msgpack_sbuffer_init(&sb);
                pack_request(&sb, 1, "GetCredentials", 1, "role", role);
                n = raw_send(fd, sb.data, sb.size);
                msgpack_sbuffer_destroy(&sb);
                if (n != 0)
                        return -1;
        }
        if (!is_recv)
                return 0;
        msgpack_unpacker_init(&up, 4096);
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 60000);
        if (n == 1 && !resp_parse(&u.data, &r))
                n = -1;
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        return n != 1 ? -1 : r.code[0] ? 0 : 1;
}

/* Client mode (the genuine program): one GetCredentials; exit 0 when granted. */
static int client(const char *socket, const char *role)
{
        int fd = raw_try_connect(socket), r;

        if (fd < 0 || raw_hello(fd) != 0)
                return 2;
        r = ask_on(fd, role, true, true);
        close(fd);
        return r == 1 ? 0 : 1;
}

/*
 * Flood mode (the 255 MiB program): ROUNDS rounds of CONNS_PER_ROUND
 * connections, each asking for by-hash, the binary touched before each
 * round; "sent" on stdout once all are out; then every answer is read.
 * Exit 0 when all were answered (and none granted: the big program is not
 * the genuine one).
 */
static int flood(const char *socket, const char *self)
{
        int fds[ROUNDS * CONNS_PER_ROUND], n = 0, answered = 0, granted = 0;

        for (int round = 0; round < ROUNDS; round++) {
                struct timespec ts[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };

                if (utimensat(AT_FDCWD, self, ts, 0) < 0)
                        return 3;
                for (int i = 0; i < CONNS_PER_ROUND; i++) {
                        fds[n] = raw_try_connect(socket);
                        /* Hello first: a request sent before attestation would not reach the hash.
                         */
                        if (fds[n] < 0 || raw_hello(fds[n]) != 0 ||
                            ask_on(fds[n], "by-hash", true, false) != 0)
                                return 4;
                        n++;
                }
                usleep(20 * 1000);
        }
        printf("sent\n");
        fflush(stdout);
        for (int i = 0; i < n; i++) {
                int r = ask_on(fds[i], "by-hash", false, true);

                answered += r >= 0;
                granted += r == 1;
                close(fds[i]);
        }
        printf("answered %d of %d, granted %d\n", answered, n, granted);
        return answered == n && granted == 0 ? 0 : 5;
}

/* Status as root: the result map's @key (-1 when absent). */
static long long status_uint(const char *key)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        long long v = -1;
        int fd = raw_connect(agent.socket);

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "Status", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        msgpack_unpacker_init(&up, 4096);
        msgpack_unpacked_init(&u);
        CHECK(raw_recv(fd, &up, &u, 10000) == 1 && resp_parse(&u.data, &r) && !r.code[0]);
        v = resp_uint(&r.result, key);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return v;
}

static void copy_to(const char *self, const char *to, uid_t owner)
{
        const char *cp[] = { "/bin/cp", self, to, NULL };

        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        CHECK(chown(to, owner, owner) == 0);
        CHECK(chmod(to, 0755) == 0);
}

static int bob_asks(void *arg)
{
        int fd = raw_connect(agent.socket), r;

        (void)arg;
        r = ask_on(fd, "bob-role", true, true);
        close(fd);
        return r == 1 ? 0 : 1;
}

static void test_stall(void)
{
        int out[2];
        pid_t pid;
        char line[128] = "";
        FILE *f;
        long long started, active;
        int i;

        CHECK(pipe(out) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                dup2(out[1], 1);
                close(out[0]);
                become(UID_ALICE);
                execl(big, big, "flood", agent.socket, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        f = fdopen(out[0], "r");
        CHECK(f && fgets(line, sizeof(line), f));
        CHECK_CONTAINS(line, "sent");

        /* Wait until the agent has started hashing the big binary. */
        for (i = 0; i < 1000 && status_uint("exeHashesStarted") < 1; i++)
                usleep(10 * 1000);
        CHECK_MSG(i < 1000, "the agent never started hashing the attacker's binary");

        /* Another uid is served while that hash is still running. */
        CHECK_INT(run_as(UID_BOB, bob_asks, NULL), ==, 0);
        active = status_uint("exeHashesActive");
        CHECK_MSG(active >= 1,
                  "bob was served only after the attacker's hashes were done (%lld active)",
                  active);

        line[0] = '\0';
        CHECK(fgets(line, sizeof(line), f));
        printf("attacker: %s", line);
        fclose(f);
        CHECK_INT(wait_status(pid), ==, 0);

        started = status_uint("exeHashesStarted");
        printf("hashes started %lld, joined %lld, refused %lld (for %d connections, %d versions)\n",
               started, status_uint("exeHashesJoined"), status_uint("exeHashesRefused"),
               ROUNDS * CONNS_PER_ROUND, ROUNDS);
        CHECK_MSG(started <= ROUNDS, "%lld hashes for %d versions of one file", started, ROUNDS);
        CHECK_INT(status_uint("exeHashesActive"), ==, 0);
}

static void test_genuine_served(void)
{
        const char *argv[] = { genuine, "client", agent.socket, "by-hash", NULL };

        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, argv, NULL, NULL), ==, 0);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], hex[65];
        const char *cfg;
        ssize_t n;

        if (argc == 4 && strcmp(argv[1], "client") == 0)
                return client(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "flood") == 0) {
                n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n <= 0)
                        return 2;
                self[n] = '\0';
                return flood(argv[2], self);
        }
        test_init(argc, argv);
        CHECK(sodium_init() >= 0);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        snprintf(genuine, sizeof(genuine), "%s", test_path("genuine"));
        snprintf(big, sizeof(big), "%s", test_path("big-program"));
        copy_to(self, genuine, 0);
        copy_to(self, big, UID_ALICE);
        /* A hole after the program: 255 MiB to hash, nothing on disk. */
        CHECK(truncate(big, BIG_SIZE) == 0);
        file_sha256_hex(genuine, hex);

        cfg = config_new("exe_hash_max_size = 300M\n");
        config_put(cfg, "roles.d/10-by-hash.ini",
                   "[role]\nname = by-hash\n[trust]\nusers = roledalice\nexe_sha256 = %s\n", hex);
        config_put(cfg, "roles.d/20-bob.ini",
                   "[role]\nname = bob-role\n[trust]\nusers = roledbob\n");
        agent_spawn(cfg, &agent);

        test_genuine_served();
        test_stall();
        test_genuine_served();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
