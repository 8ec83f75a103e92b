/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle - starting and stopping the agent: SIGTERM exits 0 and
 * removes the socket; a stale socket left by a SIGKILLed agent is replaced
 * on the next start; a second agent on a live socket refuses to start and
 * leaves the first one serving; socket activation (LISTEN_FDS/LISTEN_PID
 * with the listening socket as fd 3) serves on the passed socket.
 */
#undef NDEBUG
#include <errno.h>
#include <roled/roled.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static const char *cfg;

static void check_serves(const char *socket)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "life",
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_connect(socket, &c), ==, ROLED_OK);
        CHECK_MSG(t_get_credentials(c, &req, &cr) == ROLED_OK, "%s", t_last_error());
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
}

static void test_sigterm(void)
{
        TestAgent a = { 0 };
        struct stat st;

        agent_spawn(cfg, &a);
        CHECK(stat(a.socket, &st) == 0 && S_ISSOCK(st.st_mode));
        CHECK_INT(st.st_mode & 0777, ==, 0666);
        check_serves(a.socket);
        agent_stop(&a);
}

static void test_stale_socket(void)
{
        TestAgent a = { 0 };
        struct stat st;
        char *log;

        agent_spawn(cfg, &a);
        agent_kill(&a);
        CHECK_MSG(stat(a.socket, &st) == 0 && S_ISSOCK(st.st_mode),
                  "SIGKILL should leave the socket");
        CHECK_INT(raw_try_connect(a.socket), ==, -ECONNREFUSED);
        agent_spawn(cfg, &a);
        check_serves(a.socket);
        log = agent_log(&a);
        CHECK_CONTAINS(log, "stale");
        free(log);
        agent_stop(&a);
}

static void test_second_agent(void)
{
        TestAgent a = { 0 }, b = { 0 };
        AgentOpts o = AGENT_OPTS_INIT;
        char *log = NULL;

        agent_spawn(cfg, &a);
        snprintf(b.socket, sizeof(b.socket), "%s", a.socket);
        CHECK_INT(agent_run_fail(cfg, &o, &b, &log), !=, 0);
        CHECK_CONTAINS(log, "another agent");
        CHECK_INT(count_lines(log), ==, 1);
        free(log);
        /* The first agent's socket is untouched and still answers. */
        check_serves(a.socket);
        agent_stop(&a);
}

static void test_socket_activation(void)
{
        TestAgent a = { 0 };
        AgentOpts o = AGENT_OPTS_INIT;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = test_path("activated.sock");
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        roled_client *c;
        char *json = NULL;

        CHECK(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        CHECK(chmod(path, 0666) == 0);
        CHECK(listen(fd, 16) == 0);
        o.listen_fd = fd;
        snprintf(a.socket, sizeof(a.socket), "%s", path);
        agent_spawn_opts(cfg, &o, &a);
        close(fd);
        check_serves(path);
        CHECK_INT(t_connect(path, &c), ==, ROLED_OK);
        CHECK_INT(t_agent_status_json(c, &json), ==, ROLED_OK);
        CHECK_CONTAINS(json, "\"mode\"");
        free(json);
        roled_client_close(c);
        agent_stop(&a);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/life.ini", "[role]\nname = life\n[trust]\nusers = root\n");
        test_sigterm();
        test_stale_socket();
        test_second_agent();
        test_socket_activation();
        return 0;
}
