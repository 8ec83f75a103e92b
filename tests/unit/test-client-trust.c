/* SPDX-License-Identifier: MIT */
/*
 * test-client-trust.c - libroled refuses agents it cannot trust: a socket file
 * owned by another uid (refused before connect()), a directory owned by
 * another uid, and a root-owned socket whose listening process runs as
 * another uid (refused via SO_PEERCRED).  Needs root to make files and
 * processes of uid 65534; exits 77 (skipped) otherwise.  The system agent's
 * user, the owner of its state folder, is trusted.
 */
#undef NDEBUG
#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentuser.h"
#include "client.h"
#include "../util/libtest.h"

#define NOBODY 65534

static char dir[64];

static int bind_socket(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        return fd;
}

static void test_socket_owner(void **state)
{
        char path[128];
        roled_client *c = NULL;
        int fd;

        snprintf(path, sizeof(path), "%s/roled.sock", dir);
        fd = bind_socket(path);
        assert_int_equal(listen(fd, 4), 0);
        /* Root's own socket is fine... */
        assert_int_equal(t_connect(path, &c), ROLED_OK);
        roled_client_close(c);
        c = NULL;
        /* ...the same socket owned by someone else is not, even though root listens. */
        assert_int_equal(chown(path, NOBODY, NOBODY), 0);
        assert_int_equal(t_connect(path, &c), ROLED_E_UNTRUSTED_AGENT);
        assert_null(c);
        assert_non_null(strstr(t_last_error(), "socket owned by uid 65534"));
        close(fd);
        unlink(path);
}

static void test_dir_owner(void **state)
{
        char sub[128], path[160];
        roled_client *c = NULL;
        int fd;

        snprintf(sub, sizeof(sub), "%s/d", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        snprintf(path, sizeof(path), "%s/roled.sock", sub);
        fd = bind_socket(path);
        assert_int_equal(listen(fd, 4), 0);
        assert_int_equal(chown(sub, NOBODY, NOBODY), 0);
        assert_int_equal(t_connect(path, &c), ROLED_E_UNTRUSTED_AGENT);
        assert_non_null(strstr(t_last_error(), "owned by uid 65534"));
        close(fd);
        unlink(path);
        rmdir(sub);
}

static void test_peer_uid(void **state)
{
        char path[128], ready;
        roled_client *c = NULL;
        int fd, sync[2], status;
        pid_t pid;

        snprintf(path, sizeof(path), "%s/peer.sock", dir);
        /* Bound by root, so the file passes the lstat() checks. */
        fd = bind_socket(path);
        assert_int_equal(pipe(sync), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* SO_PEERCRED reports the credentials at listen() time: drop first. */
                if (setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
                    setresuid(NOBODY, NOBODY, NOBODY) < 0 || listen(fd, 4) < 0)
                        _exit(1);
                if (write(sync[1], "r", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(sync[1]);
        assert_int_equal(read(sync[0], &ready, 1), 1);
        assert_int_equal(t_connect(path, &c), ROLED_E_UNTRUSTED_AGENT);
        assert_null(c);
        assert_non_null(strstr(t_last_error(), "peer runs as uid 65534"));
        kill(pid, SIGTERM);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        close(sync[0]);
        close(fd);
        unlink(path);
}

/*
 * The system agent's user is the owner of its state folder (ROLED_STATEDIR,
 * made for it by root): a socket and a peer of that uid are trusted, those
 * of any other uid still are not.  A folder of our own stands in for
 * /var/lib/roled; the packaging test (tests/packaging) connects to a real
 * agent running as the packaged roled user.
 */
static void test_agent_user(void **state)
{
        char state_dir[128], link[160];

        snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
        snprintf(link, sizeof(link), "%s/state-link", dir);
        assert_false(agentuser_is(NOBODY, state_dir));
        assert_int_equal(mkdir(state_dir, 0700), 0);
        assert_int_equal(chown(state_dir, NOBODY, NOBODY), 0);
        assert_true(agentuser_is(NOBODY, state_dir));
        assert_false(agentuser_is(NOBODY - 1, state_dir));
        /* Root is trusted anyway; a root-owned state folder adds no one. */
        assert_false(agentuser_is(0, state_dir));
        /* A symlink is not the folder, whoever owns its target. */
        assert_int_equal(symlink(state_dir, link), 0);
        assert_false(agentuser_is(NOBODY, link));
        unlink(link);
        rmdir(state_dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_socket_owner),
                cmocka_unit_test(test_dir_owner),
                cmocka_unit_test(test_peer_uid),
                cmocka_unit_test(test_agent_user),
        };
        int r;

        if (geteuid() != 0) {
                fprintf(stderr, "test-client-trust: needs root (files and processes of uid %d)\n",
                        NOBODY);
                return 77;
        }
        /* mkdtemp() wants the template to end in six 'X'. */
        snprintf(dir, sizeof(dir), "/tmp/roled-trust-%6s", "");
        memset(dir + strlen(dir) - 6, 'X', 6);
        if (!mkdtemp(dir))
                return 1;
        chmod(dir, 0755);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        rmdir(dir);
        return r;
}
