/* SPDX-License-Identifier: MIT */
/*
 * test-untrusted-socket - libroled and rolectl never talk to a socket they
 * cannot trust: one owned (with its folder) by another uid, or one whose
 * listening peer (SO_PEERCRED) is neither root nor the caller, even in a
 * root-owned folder.  The fake agents record what they receive: nothing.
 * The real agent's socket is trusted by the same caller (the control).
 */
#undef NDEBUG
#include <fcntl.h>
#include <poll.h>
#include <roled/roled.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static volatile size_t *received; /* MAP_SHARED: bytes the fake agent got */

/* Accept and count bytes until killed (or the test is gone). */
static _Noreturn void fake_agent(int lfd)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
                int fd = accept(lfd, NULL, NULL);
                char buf[512];
                ssize_t n;

                if (fd < 0)
                        continue;
                while ((n = read(fd, buf, sizeof(buf))) > 0)
                        *received += (size_t)n;
                close(fd);
        }
}

/* A fake agent on @path: bound by root (0666), listen()ing as @listen_uid. */
static pid_t start_fake(const char *path, uid_t bind_uid, uid_t listen_uid)
{
        int sp[2];
        pid_t pid;
        char c;

        CHECK(pipe2(sp, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int fd;

                become(bind_uid);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
                CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
                CHECK(chmod(path, 0666) == 0);
                /* SO_PEERCRED of a listening socket is taken at listen(). */
                if (listen_uid != bind_uid)
                        CHECK(setresuid(listen_uid, listen_uid, listen_uid) == 0);
                CHECK(listen(fd, 8) == 0);
                CHECK(write(sp[1], "x", 1) == 1);
                fake_agent(fd);
        }
        close(sp[1]);
        CHECK(read(sp[0], &c, 1) == 1);
        close(sp[0]);
        return pid;
}

static int refuses(void *arg)
{
        const char *path = arg;
        roled_client *c = NULL;
        char *out = NULL, *err = NULL;
        int r;

        CHECK_INT(t_connect(path, &c), ==, ROLED_E_UNTRUSTED_AGENT);
        CHECK(c == NULL);
        CHECK_CONTAINS(t_last_error(), path);
        r = rolectl(getuid(), path, &out, &err, "credential-process", NULL);
        CHECK_MSG(r == 3, "rolectl exited %d: %s", r, err);
        CHECK_INT(count_lines(err), ==, 1);
        CHECK_STREQ(out, "");
        free(out);
        free(err);
        return 0;
}

static int trusts_real_agent(void *arg)
{
        roled_client *c;
        T_AUTO(roled_identity) id = NULL;

        (void)arg;
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        roled_client_close(c);
        return 0;
}

static void test_owned_by_another_uid(void)
{
        const char *dir = test_path("bobs-dir");
        char path[256];
        pid_t fake;

        CHECK(mkdir(dir, 0755) == 0 && chown(dir, UID_BOB, UID_BOB) == 0);
        snprintf(path, sizeof(path), "%s/roled.sock", dir);
        fake = start_fake(path, UID_BOB, UID_BOB);
        *received = 0;
        CHECK_INT(run_as(UID_ALICE, refuses, path), ==, 0);
        /* Root does not trust bob's socket either. */
        CHECK_INT(run_as(0, refuses, path), ==, 0);
        kill(fake, SIGKILL);
        (void)wait_status(fake);
        CHECK_INT(*received, ==, 0);
}

static void test_peer_not_trusted(void)
{
        const char *path = test_path("planted.sock");
        pid_t fake;

        /* The file and folder are root's; the process listening is bob's. */
        fake = start_fake(path, 0, UID_BOB);
        *received = 0;
        CHECK_INT(run_as(UID_ALICE, refuses, (void *)path), ==, 0);
        CHECK_INT(run_as(0, refuses, (void *)path), ==, 0);
        kill(fake, SIGKILL);
        (void)wait_status(fake);
        CHECK_INT(*received, ==, 0);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        received = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(received != MAP_FAILED);
        agent_spawn(config_new(NULL), &agent);
        CHECK_INT(run_as(UID_ALICE, trusts_real_agent, NULL), ==, 0);
        test_owned_by_another_uid();
        test_peer_not_trusted();
        agent_stop(&agent);
        return 0;
}
