/* SPDX-License-Identifier: MIT */
/*
 * test-pid-namespace - a caller in a child pid namespace (a container) does
 * not learn its pid in the agent's namespace from an answer.  Before,
 * GetCallerIdentity's pid was the host pid, and AssumeRole's default session
 * name was "<user>-<host pid>", in the session name and assumed-role ARN.
 * Now a caller outside the agent's pid namespace is shown pid 0, and the
 * default session name is "<user>-" and 8 random hex digits.  Callers: root
 * in a new pid namespace, alice in a new user+pid namespace (as a rootless
 * container runs), and alice in the agent's namespace, who still sees her pid.
 */
#undef NDEBUG
#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* What one caller was told, sent from the caller to its parent through a pipe. */
typedef struct Told {
        long long pid;
        pid_t ns_pid;           /* the caller's getpid() */
        char session_name[128]; /* from the assumed-role ARN */
        char arn[256];
        char whoami_pid[128]; /* the pid line of `rolectl whoami` (root's callers) */
} Told;

static void ask(Told *t)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        int fd = raw_connect(agent.socket);

        memset(t, 0, sizeof(*t));
        t->ns_pid = getpid();
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCallerIdentity", 0);
        pack_request(&sb, 2, "AssumeRole", 1, "role", "open");
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK(msgpack_unpacker_init(&up, 1 << 16));
        msgpack_unpacked_init(&u);
        for (int i = 0; i < 2; i++) {
                CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
                CHECK(resp_parse(&u.data, &r));
                CHECK_MSG(!r.code[0], "msgid %u: %s: %s", (unsigned)r.msgid, r.code, r.message);
                if (r.msgid == 1) {
                        t->pid = resp_uint(&r.result, "pid");
                } else {
                        /* The session name is the ARN's last part: assumed-role/ROLE/NAME. */
                        resp_str(&r.result, "assumedRoleArn", t->arn, sizeof(t->arn));
                        CHECK(strrchr(t->arn, '/'));
                        snprintf(t->session_name, sizeof(t->session_name), "%s",
                                 strrchr(t->arn, '/') + 1);
                }
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

/* The pid line of `rolectl whoami` as root in this process's pid namespace. */
static void whoami_pid_line(Told *t)
{
        char *out = NULL, *line;

        CHECK_INT(rolectl(0, agent.socket, &out, NULL, "whoami", NULL), ==, 0);
        line = strstr(out, "\npid ");
        CHECK_MSG(line, "no pid line: %s", out);
        snprintf(t->whoami_pid, sizeof(t->whoami_pid), "%.*s", (int)strcspn(line + 1, "\n"),
                 line + 1);
        free(out);
}

/* The default session name: "<user>-" and 8 lower-case hex digits, naming no pid. */
static void check_name(const Told *t, const char *user, pid_t host_pid)
{
        char s[16], prefix[64];
        const char *hex = t->session_name + strlen(user) + 1;

        snprintf(s, sizeof(s), "%d", (int)host_pid);
        snprintf(prefix, sizeof(prefix), "%s-", user);
        test_log("%s: pid %lld, sessionName %s, assumedRoleArn %s (host pid %s)", user, t->pid,
                 t->session_name, t->arn, s);
        CHECK_MSG(!strncmp(t->session_name, prefix, strlen(prefix)) && strlen(hex) == 8 &&
                          strspn(hex, "0123456789abcdef") == 8,
                  "default session name \"%s\" is not %sXXXXXXXX", t->session_name, prefix);
        CHECK_MSG(strcmp(hex, s) != 0, "the session name names pid %s", s);
        CHECK_MSG(!strstr(t->arn, s), "the ARN %s names pid %s", t->arn, s);
}

/*
 * Fork a caller in new namespaces (@flags; as @uid unless 0) and return what
 * it was told and its pid in the agent's namespace (the fork in this one).
 * The two writers use two pipes: the caller may finish before its parent
 * has written the caller's pid.
 * Return: false when the kernel would not make the namespaces (a chroot
 * refuses a new user namespace; some hosts forbid unprivileged ones).
 */
static bool ask_in_namespace(uid_t uid, int flags, Told *t, pid_t *host_pid)
{
        int pp[2], tp[2];
        pid_t outer;
        ssize_t n;
        int st;

        CHECK(pipe(pp) == 0);
        CHECK(pipe(tp) == 0);
        outer = fork();
        CHECK(outer >= 0);
        if (outer == 0) {
                pid_t inner;

                close(pp[0]);
                close(tp[0]);
                if (uid)
                        become(uid);
                if (unshare(flags) != 0) {
                        if (errno == EPERM || errno == EINVAL || errno == ENOSPC)
                                _exit(77);
                        CHECK_MSG(false, "unshare: %s", strerror(errno));
                }
                inner = fork();
                CHECK(inner >= 0);
                if (inner == 0) {
                        Told told;

                        close(pp[1]);
                        ask(&told);
                        if (!uid)
                                whoami_pid_line(&told);
                        CHECK(write(tp[1], &told, sizeof(told)) == (ssize_t)sizeof(told));
                        _exit(0);
                }
                close(tp[1]);
                /* Still in the agent's pid namespace: fork() returned the host pid. */
                CHECK(write(pp[1], &inner, sizeof(inner)) == (ssize_t)sizeof(inner));
                _exit(wait_status(inner));
        }
        close(pp[1]);
        close(tp[1]);
        n = read(pp[0], host_pid, sizeof(*host_pid));
        close(pp[0]);
        if (n == 0) {
                st = wait_status(outer);
                close(tp[0]);
                if (st == 77) {
                        printf("skip: no new namespaces (0x%x) here for uid %u\n", (unsigned)flags,
                               (unsigned)uid);
                        return false;
                }
                CHECK_MSG(false, "the caller's parent exited (%d) before naming it", st);
        }
        CHECK(n == (ssize_t)sizeof(*host_pid));
        n = read(tp[0], t, sizeof(*t));
        close(tp[0]);
        st = wait_status(outer);
        CHECK_MSG(n == (ssize_t)sizeof(*t), "the caller told %zd bytes and exited %d", n, st);
        CHECK_INT(st, ==, 0);
        return true;
}

/* alice in the agent's namespace: her own pid, and still no pid in the name. */
static int alice_at_home(void *unused)
{
        Told t;

        (void)unused;
        ask(&t);
        CHECK_INT(t.pid, ==, (long long)getpid());
        check_name(&t, getpwuid(UID_ALICE)->pw_name, getpid());
        return 0;
}

int main(int argc, char **argv)
{
        const char *cfg;
        Told t;
        pid_t host_pid;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/open.ini", "[role]\nname = open\n[trust]\nuids = 0-65535\n");
        agent_spawn(cfg, &agent);

        /* rolectl in the agent's namespace shows the pid. */
        whoami_pid_line(&t);
        CHECK_MSG(strcmp(t.whoami_pid, "pid") && !strchr(t.whoami_pid, '-'),
                  "rolectl whoami in the agent's namespace: %s", t.whoami_pid);

        if (ask_in_namespace(0, CLONE_NEWPID, &t, &host_pid)) {
                CHECK_INT(t.ns_pid, ==, 1);
                CHECK_INT(t.pid, ==, 0);
                check_name(&t, "root", host_pid);
                test_log("rolectl whoami: %s", t.whoami_pid);
                CHECK_CONTAINS(t.whoami_pid, "- (not in the agent's pid namespace)");
        }
        if (ask_in_namespace(UID_ALICE, CLONE_NEWUSER | CLONE_NEWPID, &t, &host_pid)) {
                CHECK_INT(t.ns_pid, ==, 1);
                CHECK_INT(t.pid, ==, 0);
                check_name(&t, getpwuid(UID_ALICE)->pw_name, host_pid);
        }

        CHECK_INT(run_as(UID_ALICE, alice_at_home, NULL), ==, 0);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
