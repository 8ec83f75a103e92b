/* SPDX-License-Identifier: MIT */
/*
 * test-exe-mount-namespace - attack 1 of issue 7: an unprivileged user runs
 * `unshare -Urm`, bind-mounts a program of their own over the path a role's
 * `exe =` rule names, and runs it from there, so that /proc/PID/exe shows
 * the trusted path.  The agent matches exe rules by (device, inode) in its
 * own mount namespace and does not match processes of other namespaces at
 * all unless the role sets exe_foreign_namespaces, so the impostor is
 * refused on both kinds of role, with a reason that says why.  The genuine
 * program is still served: from the agent's namespace on both roles, and
 * from a private namespace on the role that allows it.
 *
 * The genuine program and the impostor are both copies of this test binary
 * (run as "client SOCKET ROLE": one raw GetCredentials): byte for byte the
 * same, so nothing but the file's identity can tell them apart.
 */
#undef NDEBUG
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;
static char genuine[PATH_MAX], impostor[PATH_MAX];

/* Client mode: GetCredentials for ROLE; prints "OK" or "CODE: message"; exit 0 only when granted.
 */
static int client(const char *socket, const char *role)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r = { 0 };
        int fd = raw_try_connect(socket), n;

        if (fd < 0) {
                printf("connect: %s\n", strerror(-fd));
                return 2;
        }
        /* (A request sent before attestation would be answered SentBeforeAttestation.) */
        if (raw_hello(fd) != 0) {
                printf("no answer to Hello\n");
                return 2;
        }
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCredentials", 1, "role", role);
        if (raw_send(fd, sb.data, sb.size) != 0)
                return 2;
        msgpack_sbuffer_destroy(&sb);
        msgpack_unpacker_init(&up, 4096);
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 10000);
        if (n != 1 || !resp_parse(&u.data, &r))
                printf("no answer (%d)\n", n);
        else if (r.code[0])
                printf("%s: %s\n", r.code, r.message);
        else
                printf("OK\n");
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return n != 1 ? 2 : r.code[0] ? 1 : 0;
}

static void copy_file(const char *from, const char *to, uid_t owner)
{
        char *argv[] = { "/bin/cp", (char *)from, (char *)to, NULL };
        pid_t pid = fork();

        CHECK(pid >= 0);
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        CHECK_INT(wait_status(pid), ==, 0);
        CHECK(chown(to, owner, owner) == 0);
        CHECK(chmod(to, 0755) == 0);
}

/* Run the genuine program as alice, optionally in a private user+mount namespace. */
static int run_genuine(bool in_userns, const char *role, char **outp)
{
        char *err = NULL;
        int st;
        const char *plain[] = { genuine, "client", agent.socket, role, NULL };
        const char *ns[] = {
                "/usr/bin/unshare", "-Urm", genuine, "client", agent.socket, role, NULL
        };

        st = run_cmd(UID_ALICE, NULL, NULL, in_userns ? ns : plain, outp, &err);
        if (st != 0 && err && err[0])
                printf("stderr: %s\n", err);
        free(err);
        return st;
}

/* The attack: in a private namespace, the impostor mounted over the genuine path, run by that path.
 */
static int run_attack(const char *role, char **outp)
{
        const char *argv[] = {
                "/usr/bin/unshare",
                "-Urm",
                "/bin/sh",
                "-c",
                "mount --bind \"$0\" \"$1\" || exit 3; "
                "[ \"$(readlink /proc/self/exe)\" ] && exec \"$1\" client \"$2\" \"$3\"",
                impostor,
                genuine,
                agent.socket,
                role,
                NULL
        };

        return run_cmd(UID_ALICE, NULL, NULL, argv, outp, NULL);
}

static void test_genuine_served(void)
{
        char *out = NULL;

        CHECK_MSG(run_genuine(false, "by-exe", &out) == 0, "genuine program refused: %s",
                  out ? out : "");
        CHECK_CONTAINS(out, "OK");
        free(out);
        CHECK_INT(run_genuine(false, "by-exe-any-ns", &out), ==, 0);
        free(out);
        /* The same file in a private namespace: only where the role allows foreign namespaces. */
        CHECK_INT(run_genuine(true, "by-exe-any-ns", &out), ==, 0);
        free(out);
        CHECK_INT(run_genuine(true, "by-exe", &out), ==, 1);
        CHECK_CONTAINS(out, "another user namespace");
        CHECK_CONTAINS(out, "exe_foreign_namespaces");
        free(out);
}

static void test_bind_mount_refused(void)
{
        char *out = NULL;

        /* Several times: the attack is deterministic, and so must be the refusal. */
        for (int i = 0; i < 5; i++) {
                CHECK_INT(run_attack("by-exe", &out), ==, 1);
                CHECK_CONTAINS(out, "AccessDenied");
                CHECK_CONTAINS(out, "another user namespace");
                free(out);
                CHECK_INT(run_attack("by-exe-any-ns", &out), ==, 1);
                CHECK_CONTAINS(out, "AccessDenied");
                CHECK_CONTAINS(out, "is not allowed");
                free(out);
        }
        /* The impostor under its own name, in the agent's namespace: not the file the rule names
         * either. */
        {
                const char *argv[] = { impostor, "client", agent.socket, "by-exe", NULL };

                CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, argv, &out, NULL), ==, 1);
                CHECK_CONTAINS(out, "is not allowed");
                free(out);
        }
}

int main(int argc, char **argv)
{
        const char *probe[] = { "/usr/bin/unshare", "-Urm", "/bin/true", NULL };
        char self[PATH_MAX];
        const char *cfg;
        ssize_t n;

        if (argc == 4 && strcmp(argv[1], "client") == 0)
                return client(argv[2], argv[3]);
        test_init(argc, argv);
        if (run_cmd(UID_ALICE, NULL, NULL, probe, NULL, NULL) != 0)
                TEST_SKIP("unprivileged user namespaces are not available");

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        snprintf(genuine, sizeof(genuine), "%s", test_path("genuine-client"));
        snprintf(impostor, sizeof(impostor), "%s", test_path("impostor-client"));
        copy_file(self, genuine, 0);
        copy_file(self, impostor, UID_ALICE);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-exe.ini",
                   "[role]\nname = by-exe\n[trust]\nusers = roledalice\nexe = %s\n", genuine);
        config_put(cfg, "roles.d/20-by-exe-any-ns.ini",
                   "[role]\nname = by-exe-any-ns\n[trust]\nusers = roledalice\nexe = %s\n"
                   "exe_foreign_namespaces = true\n",
                   genuine);
        agent_spawn(cfg, &agent);

        test_genuine_served();
        test_bind_mount_refused();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
