/* SPDX-License-Identifier: MIT */
/*
 * test-agent-not-dumpable - the agent's memory (signing keys, secrets) is
 * out of reach of other processes of its own uid: with the agent running as
 * roledalice, another roledalice process cannot PTRACE_ATTACH to it nor
 * open its /proc/PID/mem or environ, while the same process can do both to
 * an ordinary roledalice process (the control); core files are off.
 */
#undef NDEBUG
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

static bool can_attach(pid_t pid)
{
        int st;

        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
                return false;
        CHECK(waitpid(pid, &st, __WALL) == pid);
        CHECK(ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0);
        return true;
}

static bool can_open(pid_t pid, const char *what)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

static int probe(void *arg)
{
        pid_t control;
        bool is_control_traceable, is_control_open;

        (void)arg;
        /* Switching uid made this process undumpable; an ordinary process of the uid is not. */
        CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
        control = fork();
        CHECK(control >= 0);
        if (control == 0) {
                pause();
                _exit(0);
        }
        is_control_traceable = can_attach(control);
        is_control_open = can_open(control, "environ") && can_open(control, "mem");
        kill(control, SIGKILL);
        (void)waitpid(control, NULL, 0);
        CHECK_MSG(is_control_open, "the control process's /proc files are not readable");

        CHECK_MSG(!can_open(agent.pid, "mem"), "/proc/%d/mem of the agent is readable by its uid",
                  (int)agent.pid);
        CHECK_MSG(!can_open(agent.pid, "environ"), "/proc/%d/environ of the agent is readable",
                  (int)agent.pid);
        if (is_control_traceable)
                CHECK_MSG(!can_attach(agent.pid), "PTRACE_ATTACH to the agent succeeded");
        else
                test_log("ptrace is restricted here; checked /proc only");
        CHECK(getuid() == UID_ALICE);
        return 0;
}

int main(int argc, char **argv)
{
        AgentOpts o = AGENT_OPTS_INIT;
        const char *cfg, *run = test_path("alice-run"), *keys = test_path("alice-keys");
        char *limits, path[64];

        test_init(argc, argv);
        CHECK(mkdir(run, 0755) == 0 && chown(run, UID_ALICE, UID_ALICE) == 0);
        CHECK(mkdir(keys, 0700) == 0 && chown(keys, UID_ALICE, UID_ALICE) == 0);
        cfg = config_new(NULL);
        config_put(cfg, "roled.ini", "[agent]\nkey_dir = %s\n", keys);
        config_put(cfg, "roles.d/r.ini", "[role]\nname = r\n[trust]\nusers = roledalice\n");
        o.uid = UID_ALICE;
        snprintf(agent.socket, sizeof(agent.socket), "%s/roled.sock", run);
        agent_spawn_opts(cfg, &o, &agent);
        check_served(agent.socket);

        CHECK_INT(run_as(UID_ALICE, probe, NULL), ==, 0);

        snprintf(path, sizeof(path), "/proc/%d/limits", (int)agent.pid);
        limits = read_file(path);
        CHECK(limits);
        CHECK_MSG(strstr(limits, "Max core file size        0                    0"),
                  "core files are not disabled: %s", limits);
        free(limits);
        agent_stop(&agent);
        return 0;
}
