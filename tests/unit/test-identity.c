/* SPDX-License-Identifier: MIT */
/*
 * test-identity.c - attesting socket peers with real processes: a forked
 * child connects over a Unix socket (as ourselves, and as uid/gid 65534 with
 * supplementary groups when root), and a child that has exited (zombie or
 * reaped) must give IDENTITY_E_GONE. Also the cgroup-to-unit derivation.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "identity.h"
#include "util.h"

typedef struct Server {
        char dir[64];
        struct sockaddr_un addr;
        int fd;
} Server;

static void server_open(Server *s)
{
        strcpy(s->dir, "/tmp/roled-test-identity-XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        assert_int_equal(chmod(s->dir, 0711), 0);
        memset(&s->addr, 0, sizeof(s->addr));
        s->addr.sun_family = AF_UNIX;
        snprintf(s->addr.sun_path, sizeof(s->addr.sun_path), "%s/s", s->dir);
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(s->fd >= 0);
        assert_int_equal(bind(s->fd, (struct sockaddr *)&s->addr, sizeof(s->addr)), 0);
        assert_int_equal(chmod(s->addr.sun_path, 0777), 0);
        assert_int_equal(listen(s->fd, 4), 0);
}

static void server_close(Server *s)
{
        close(s->fd);
        unlink(s->addr.sun_path);
        rmdir(s->dir);
}

typedef enum ChildMode {
        CHILD_STAY, /* connect, then wait until the parent closes the connection */
        CHILD_EXIT, /* connect and exit at once */
} ChildMode;

/* Fork a child that connects to @s; with @drop, as uid/gid 65534 with groups 65534 and 100 first.
 */
static pid_t spawn(const Server *s, ChildMode mode, bool drop)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                int fd;
                char c;

                if (drop) {
                        gid_t groups[] = { 65534, 100 };

                        if (setgroups(ELEMENTSOF(groups), groups) < 0 ||
                            setresgid(65534, 65534, 65534) < 0 ||
                            setresuid(65534, 65534, 65534) < 0)
                                _exit(2);
                }
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
                        _exit(3);
                if (mode == CHILD_STAY)
                        (void)read(fd, &c, 1);
                _exit(0);
        }
        return pid;
}

static int accept_one(const Server *s)
{
        int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

static void reap(pid_t pid)
{
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_self(void **state)
{
        Server s;
        Identity id = IDENTITY_INIT;
        char exe[4096], key[8300];
        ssize_t n;
        pid_t pid;
        int fd;

        (void)state;
        server_open(&s);
        pid = spawn(&s, CHILD_STAY, false);
        fd = accept_one(&s);
        assert_int_equal(identity_from_socket(fd, &id), 0);

        assert_int_equal(id.pid, pid);
        assert_int_equal(id.uid, geteuid());
        assert_int_equal(id.gid, getegid());
        assert_true(id.pidfd >= 0);
        /* The child is a fork of this test, so it runs the same executable. */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = '\0';
        assert_string_equal(id.exe, exe);
        assert_false(id.is_exe_deleted);
        assert_true(id.exe_fd >= 0);
        assert_true(id.has_exe_key);
        {
                struct stat st;
                uint8_t h1[32], h2[32];
                int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

                assert_true(self >= 0);
                assert_int_equal(fstat(self, &st), 0);
                assert_int_equal(id.exe_key.ino, st.st_ino);
                assert_int_equal(id.exe_key.dev, st.st_dev);
                assert_int_equal(id.exe_key.size, st.st_size);
                assert_int_equal(exehash_fd(self, EXEHASH_MAX_DEFAULT, h1), 0);
                assert_int_equal(exehash_fd(id.exe_fd, EXEHASH_MAX_DEFAULT, h2), 0);
                assert_memory_equal(h1, h2, 32);
                close(self);
        }
        assert_int_equal((int)id.n_gids, getgroups(0, NULL));
        if (geteuid() == 0) {
                assert_true(id.has_user_name);
                assert_string_equal(id.user, "root");
        }
        assert_non_null(id.key);
        snprintf(key, sizeof(key), "%u:%u:%s%s:%s", (unsigned)id.uid, (unsigned)id.gid,
                 id.is_user_unit ? "user:" : "", id.unit, exe);
        assert_string_equal(id.key, key);
        assert_int_equal(identity_check_alive(&id), 0);

        close(fd);
        reap(pid);
        /* The pidfd notices the exit. */
        assert_int_equal(identity_check_alive(&id), IDENTITY_E_GONE);

        identity_deinit(&id);
        assert_int_equal(id.pidfd, -1);
        assert_int_equal(id.exe_fd, -1);
        assert_null(id.key);
        identity_deinit(&id);
        server_close(&s);
}

static void test_other_uid(void **state)
{
        Server s;
        Identity id = IDENTITY_INIT;
        bool has_100 = false;
        pid_t pid;
        int fd;

        (void)state;
        if (geteuid() != 0)
                skip();
        server_open(&s);
        pid = spawn(&s, CHILD_STAY, true);
        fd = accept_one(&s);
        assert_int_equal(identity_from_socket(fd, &id), 0);
        assert_int_equal(id.pid, pid);
        assert_int_equal(id.uid, 65534);
        assert_int_equal(id.gid, 65534);
        assert_int_equal(id.n_gids, 2);
        for (size_t i = 0; i < id.n_gids; i++)
                if (id.gids[i] == 100)
                        has_100 = true;
        assert_true(has_100);
        /* root may read the exe of any process. */
        assert_true(id.exe[0] == '/');
        assert_true(strncmp(id.key, "65534:65534:", 12) == 0);
        close(fd);
        reap(pid);
        identity_deinit(&id);
        server_close(&s);
}

/*
 * Real ids: what the kernel names the sender of each message with
 * (SCM_CREDENTIALS).  A plain process's real ids are the effective ids it
 * connected with; a setuid program's (real 65534, effective root) are
 * learnt from /proc/PID/status.  Once settled, other real ids are refused.
 */
static void test_real_ids(void **state)
{
        Server s;

        (void)state;
        if (geteuid() != 0)
                skip();
        server_open(&s);
        for (int is_setuid = 0; is_setuid <= 1; is_setuid++) {
                Identity id = IDENTITY_INIT;
                pid_t pid = fork();
                int fd;

                assert_true(pid >= 0);
                if (pid == 0) {
                        int cfd;
                        char c;

                        if (is_setuid && (setresgid(65534, 0, 0) < 0 || setresuid(65534, 0, 0) < 0))
                                _exit(2);
                        cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        if (cfd < 0 ||
                            connect(cfd, (const struct sockaddr *)&s.addr, sizeof(s.addr)) < 0)
                                _exit(3);
                        (void)read(cfd, &c, 1);
                        _exit(0);
                }
                fd = accept_one(&s);
                assert_int_equal(identity_from_socket(fd, &id), 0);
                assert_int_equal(id.uid, 0);
                assert_int_equal(id.gid, 0);
                assert_false(id.has_real_ids);
                if (is_setuid) {
                        /* Not its real ids: /proc says 65534. */
                        assert_int_equal(identity_learn_real_ids(&id, 1, 1), IDENTITY_E_GONE);
                        assert_false(id.has_real_ids);
                        assert_int_equal(identity_learn_real_ids(&id, 65534, 65534), 0);
                        assert_int_equal(id.ruid, 65534);
                        assert_int_equal(id.rgid, 65534);
                        /* Settled: the effective ids are not its real ids. */
                        assert_int_equal(identity_learn_real_ids(&id, 0, 0), IDENTITY_E_GONE);
                } else {
                        assert_int_equal(identity_learn_real_ids(&id, 0, 0), 0);
                        assert_int_equal(identity_learn_real_ids(&id, 65534, 65534),
                                         IDENTITY_E_GONE);
                }
                assert_true(id.has_real_ids);
                assert_int_equal(identity_learn_real_ids(&id, id.ruid, id.rgid), 0);
                close(fd);
                reap(pid);
                identity_deinit(&id);
        }
        server_close(&s);
}

static void test_gone(void **state)
{
        Server s;

        (void)state;
        server_open(&s);
        for (int reaped = 0; reaped <= 1; reaped++) {
                Identity id = IDENTITY_INIT;
                pid_t pid = spawn(&s, CHILD_EXIT, false);
                int fd = accept_one(&s);
                siginfo_t si;
                int r;

                if (reaped) {
                        reap(pid);
                } else {
                        /* Wait for the exit but leave a zombie: /proc/PID still exists. */
                        memset(&si, 0, sizeof(si));
                        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
                }
                r = identity_from_socket(fd, &id);
                if (r != IDENTITY_E_GONE)
                        fail_msg("reaped=%d: got %d", reaped, r);
                /* Nothing is handed out on failure. */
                assert_int_equal(id.pidfd, -1);
                assert_null(id.key);
                close(fd);
                if (!reaped)
                        reap(pid);
        }
        server_close(&s);
}

static void test_unattested(void **state)
{
        Identity id = IDENTITY_INIT;
        int p[2];

        (void)state;
        /* Not a socket at all. */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(identity_from_socket(p[0], &id), -ENOTSOCK);
        close(p[0]);
        close(p[1]);
}

static void test_unit_from_cgroup(void **state)
{
        static const struct {
                const char *cgroup;
                const char *unit;
                bool is_user;
        } cases[] = {
                { "/system.slice/nginx.service", "nginx.service", false },
                { "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service",
                  false },
                { "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", false },
                { "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
                  "foo.service", true },
                { "/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope", true },
                { "/user.slice/user-1000.slice/user@1000.service", "user@1000.service", false },
                /* A delegated subtree cannot rename its unit. */
                { "/system.slice/docker.service/evil.service", "docker.service", false },
                { "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service/sshd.service",
                  "x.service", true },
                { "/system.slice/foo.socket", "foo.socket", false },
                { "/", "", false },
                { "", "", false },
                { "/init.scope", "init.scope", false },
                { "/machine.slice/libpod-abc/payload", "", false },
                { "/system.slice", "", false },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char unit[IDENTITY_UNIT_MAX];
                bool is_user = true;

                assert_int_equal(
                        identity_unit_from_cgroup(cases[i].cgroup, unit, sizeof(unit), &is_user),
                        0);
                if (!streq(unit, cases[i].unit) || is_user != cases[i].is_user)
                        fail_msg("'%s': got '%s' user=%d", cases[i].cgroup, unit, is_user);
        }
        {
                char small[8];
                bool is_user;

                assert_int_equal(identity_unit_from_cgroup("/system.slice/nginx.service", small,
                                                           sizeof(small), &is_user),
                                 -ENAMETOOLONG);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_self),       cmocka_unit_test(test_other_uid),
                cmocka_unit_test(test_real_ids),   cmocka_unit_test(test_gone),
                cmocka_unit_test(test_unattested), cmocka_unit_test(test_unit_from_cgroup),
        };

        /* A pidfd-less kernel cannot attest anything. */
        if (access("/proc/self/status", R_OK) != 0)
                return 77;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
