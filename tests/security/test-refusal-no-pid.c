/* SPDX-License-Identifier: MIT */
/*
 * test-refusal-no-pid - an error answer names no pid.  The agent knows a
 * caller by its pid in the agent's own pid namespace; a process in a child
 * namespace (a container) must not learn that host pid from an answer.
 * alice connects and is attested; a child of hers, which inherited the
 * socket, sends on it: the agent refuses (AccessDenied, msgid 0, "each
 * process needs its own connection") without naming either process's pid,
 * and its own log still names both.  (test-pid-reuse and
 * test-permissions-exe-early check the other refusals that named a pid.)
 */
#undef NDEBUG
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* Fail if @text holds the decimal @pid. */
static void check_no_pid(const char *text, pid_t pid)
{
        char s[16];

        snprintf(s, sizeof(s), "%d", (int)pid);
        CHECK_MSG(!strstr(text, s), "the answer names pid %s: \"%s\"", s, text);
}

/* As alice: attested on a connection, then a child of ours sends on it. */
static int share(void *unused)
{
        msgpack_sbuffer sb;
        pid_t parent = getpid(), child;
        int fd = raw_connect(agent.socket);

        (void)unused;
        CHECK_INT(raw_hello(fd), ==, 0);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 5, "GetCallerIdentity", 0);
        child = fork();
        CHECK(child >= 0);
        if (child == 0) {
                msgpack_unpacker up;
                msgpack_unpacked u;
                Resp r;

                CHECK(raw_send(fd, sb.data, sb.size) == 0);
                CHECK(msgpack_unpacker_init(&up, 8192));
                msgpack_unpacked_init(&u);
                CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
                CHECK(resp_parse(&u.data, &r));
                test_log("child %d: %s: %s", (int)getpid(), r.code, r.message);
                CHECK_STREQ(r.code, "AccessDenied");
                CHECK_INT(r.msgid, ==, 0);
                CHECK_CONTAINS(r.message, "each process needs its own connection");
                check_no_pid(r.message, getpid());
                check_no_pid(r.message, parent);
                _exit(0);
        }
        CHECK_INT(wait_status(child), ==, 0);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
        return 0;
}

int main(int argc, char **argv)
{
        char *log;

        test_init(argc, argv);
        agent_spawn(config_new(NULL), &agent);
        CHECK_INT(run_as(UID_ALICE, share, NULL), ==, 0);
        /* The agent's own log still says who was refused. */
        log = agent_log(&agent);
        CHECK_CONTAINS(log, "may not use it");
        free(log);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
