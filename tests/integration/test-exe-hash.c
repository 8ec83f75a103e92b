/* SPDX-License-Identifier: MIT */
/*
 * test-exe-hash - trust by executable SHA-256, end to end: the agent hashes
 * the caller's executable off its loop (the hash queue) when a request's
 * answer needs it, and only then,
 * and it hashes the file the process actually runs, not whatever sits at its
 * path now.  A copy of this binary is started, its file is then replaced on
 * disk, and only then does it ask: the hash rule still matches (the mapped
 * file is unchanged), the path rule no longer does (the path names another
 * file), and a JSON trust policy with a roled:exe-sha256 condition agrees.
 */
#undef NDEBUG
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <roled/roled.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

/* Child mode: wait for a byte on stdin, then ask for @role. Exit 0 served, 1 denied, 2 other. */
static int child(const char *socket, const char *role)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        char go;
        roled_status s;

        if (read(STDIN_FILENO, &go, 1) != 1)
                return 2;
        if (t_connect(socket, &c) != ROLED_OK)
                return 2;
        s = t_get_credentials(c, &req, &cr);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return s == ROLED_OK ? 0 : s == ROLED_E_ACCESS_DENIED ? 1 : 2;
}

/* A counter of the agent's Status (this process is root: it sees the hash queue's). */
static long long status_counter(roled_client *c, const char *key)
{
        char *text = NULL;
        json_t *j;
        long long v;

        CHECK_INT(t_agent_status_json(c, &text), ==, ROLED_OK);
        j = json_loads(text, 0, NULL);
        CHECK_MSG(json_is_integer(json_object_get(j, key)), "Status has no %s: %s", key, text);
        v = json_integer_value(json_object_get(j, key));
        json_decref(j);
        free(text);
        return v;
}

/*
 * Hashing is lazy: a connection whose requests never reach an exe_sha256
 * rule (Status, whoami, a role refused by its exe rule before any hash rule)
 * hashes nothing, although every hash role names it among its principals;
 * the first request that needs the hash computes it, once.
 */
static void test_lazy(void)
{
        roled_client *c;
        T_AUTO(roled_identity) id = NULL;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(req),
                                          .role = "by-path",
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(status_counter(c, "exeHashesStarted"), ==, 0);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_E_ACCESS_DENIED);
        CHECK_INT(status_counter(c, "exeHashesStarted"), ==, 0);
        req.role = "by-hash";
        CHECK_MSG(t_get_credentials(c, &req, &cr) == ROLED_OK, "%s", t_last_error());
        CHECK_INT(status_counter(c, "exeHashesStarted"), ==, 1);
        cr = roled_credentials_unref(cr);
        /* The connection keeps its hash: no second one. */
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        CHECK_INT(status_counter(c, "exeHashesStarted"), ==, 1);
        roled_client_close(c);
}

/*
 * A caller whose executable path is longer than a session token carries
 * (TOKEN_EXE_MAX, 1024 bytes), asking for a role whose trust rests on the
 * executable (so the token names it), is told that its executable path is
 * too long, not left to guess among the claims.
 */
static void test_long_exe_named(void)
{
        char dir[2048], exe[2100], *out = NULL, *err = NULL;
        const char *mkdir_argv[] = { "/bin/mkdir", "-p", dir, NULL };
        const char *cp_argv[] = { "/bin/cp", test_rolectl(), exe, NULL };
        const char *argv[] = { exe, "credential-process", "--role", "rolectl-by-hash", NULL };
        size_t len;

        len = (size_t)snprintf(dir, sizeof(dir), "%s/long", test_dir());
        while (len < 1100)
                len += (size_t)snprintf(dir + len, sizeof(dir) - len, "/%0200d",
                                        0); /* 200 '0's a component */
        snprintf(exe, sizeof(exe), "%s/rolectl", dir);
        CHECK_INT(run_cmd(0, NULL, NULL, mkdir_argv, NULL, NULL), ==, 0);
        CHECK_INT(run_cmd(0, NULL, NULL, cp_argv, NULL, NULL), ==, 0);
        CHECK_INT(run_cmd(0, agent.socket, NULL, argv, &out, &err), !=, 0);
        CHECK_CONTAINS(err, "its executable path is longer than a token carries (1024 bytes)");
        free(out);
        free(err);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
        char *cmd;

        CHECK(asprintf(&cmd, "cp '%s' '%s' && chmod %o '%s'", from, to, (unsigned)mode, to) > 0);
        CHECK_INT(system(cmd), ==, 0);
        free(cmd);
}

/*
 * Start the copy at @exe asking for @role, replace the file at @exe (new
 * inode, other content) when @is_replace, then let it ask.  Return: its exit code.
 */
static int ask_from(const char *exe, const char *role, bool is_replace)
{
        int go[2];
        pid_t pid;

        CHECK_INT(pipe(go), ==, 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                dup2(go[0], STDIN_FILENO);
                close(go[0]);
                close(go[1]);
                execl(exe, exe, "--child", agent.socket, role, (char *)NULL);
                _exit(3);
        }
        close(go[0]);
        /* Let the child finish exec before its file is replaced. */
        for (int i = 0; i < 200; i++) {
                char link[64], target[PATH_MAX];
                ssize_t n;

                snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
                n = readlink(link, target, sizeof(target) - 1);
                if (n > 0 && (target[n] = '\0', strncmp(target, exe, strlen(exe)) == 0))
                        break;
                usleep(10000);
        }
        if (is_replace) {
                CHECK_INT(unlink(exe), ==, 0);
                write_file(exe, 0755, "#!/bin/sh\nexit 0\n");
        }
        CHECK_INT(write(go[1], "g", 1), ==, 1);
        close(go[1]);
        return wait_status(pid);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], hash[65], true_hash[65], rolectl_hash[65], copy[PATH_MAX];
        const char *cfg;
        ssize_t n;

        if (argc == 4 && strcmp(argv[1], "--child") == 0)
                return child(argv[2], argv[3]);
        test_init(argc, argv);
        CHECK(sodium_init() >= 0);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        file_sha256_hex(self, hash);
        file_sha256_hex("/usr/bin/true", true_hash);
        file_sha256_hex(test_rolectl(), rolectl_hash);
        snprintf(copy, sizeof(copy), "%s/copy-of-test", test_dir());

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/10-by-hash.ini",
                   "[role]\nname = by-hash\n[trust]\nuids = 0\nexe_sha256 = %s\n", hash);
        config_put(cfg, "roles.d/11-by-other-hash.ini",
                   "[role]\nname = by-other-hash\n[trust]\nuids = 0\nexe_sha256 = %s\n", true_hash);
        config_put(cfg, "roles.d/12-by-path.ini",
                   "[role]\nname = by-path\n[trust]\nuids = 0\nexe = %s\n", copy);
        config_put(cfg, "roles.d/14-rolectl-by-hash.ini",
                   "[role]\nname = rolectl-by-hash\n[trust]\nuids = 0\nexe_sha256 = %s\n",
                   rolectl_hash);
        config_put(cfg, "roles.d/13-by-doc.ini",
                   "[role]\nname = by-doc\ntrust_policy = ../doc.json\n[trust]\nuids = 0\n");
        config_put(cfg, "doc.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": \"uid:0\"}, "
                   "\"Condition\": {\"StringEquals\": {\"roled:exe-sha256\": \"%s\"}}}]}\n",
                   hash);
        agent_spawn(cfg, &agent);
        test_lazy();

        /* The unchanged copy: its hash is this binary's, and its path is the trusted one. */
        copy_file(self, copy, 0755);
        CHECK_INT(ask_from(copy, "by-hash", false), ==, 0);
        CHECK_INT(ask_from(copy, "by-path", false), ==, 0);
        CHECK_INT(ask_from(copy, "by-doc", false), ==, 0);
        CHECK_INT(ask_from(copy, "by-other-hash", false), ==, 1);

        /* Replaced on disk after exec: the mapped file still hashes the same; the path lies now. */
        copy_file(self, copy, 0755);
        CHECK_INT(ask_from(copy, "by-hash", true), ==, 0);
        copy_file(self, copy, 0755);
        CHECK_INT(ask_from(copy, "by-path", true), ==, 1);
        copy_file(self, copy, 0755);
        CHECK_INT(ask_from(copy, "by-doc", true), ==, 0);

        /* rolectl is another executable: the hash rule refuses it, with the role named. */
        {
                char *out = NULL, *err = NULL;

                CHECK_INT(rolectl(0, agent.socket, &out, &err, "credential-process", "--role",
                                  "by-hash", NULL),
                          ==, 1);
                CHECK_CONTAINS(err, "by-hash");
                free(out);
                free(err);
        }
        test_long_exe_named();
        agent_stop(&agent);
        printf("test-exe-hash: OK\n");
        return 0;
}
