/* SPDX-License-Identifier: MIT */
/*
 * test-session-key - the session cache never serves a session whose claims
 * are not true of the caller:
 *  - a role whose permissions allow only one executable hash: alice's tool
 *    (version a) gets a session carrying hash a; the file at that path is
 *    then replaced by version b, and version b's GetCredentials must get a
 *    session carrying hash b (and Authorize denies it), not version a's
 *    cached one (which Authorize allows);
 *  - a Login pre-warms the role for the tool without hashing it: the tool's
 *    own GetCredentials then gets a session carrying its hash, which
 *    Authorize allows, not the hash-less pre-warmed one;
 *  - a session issued while no role read the cgroup (its token names none)
 *    is not served after a reload that makes the role's permissions deny
 *    the caller's cgroup: the new session names the cgroup and is denied,
 *    and Authorize judges the old token as nothing (implicit-deny), since
 *    the permissions now read a cgroup it does not name.
 * The attacker's view: a replaced binary or a reload must not let an old
 * session's claims stand for a caller they are not true of.
 */
#undef NDEBUG
#include <fcntl.h>
#include <limits.h>
#include <roled/roled.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"
#include "token.h"

static TestAgent agent;

/* The token's exe-sha256 claim in hex ("" when none), and its cg claim ("" when none). */
static void claims_of(const char *token, char hex[65], char *cg, size_t cg_size)
{
        TokenClaims tc = TOKEN_CLAIMS_INIT;

        hex[0] = '\0';
        cg[0] = '\0';
        CHECK_INT(token_parse(token, strlen(token), &tc, NULL), ==, 0);
        if (tc.has_exe_sha256)
                sodium_bin2hex(hex, 65, tc.exe_sha256, sizeof(tc.exe_sha256));
        if (tc.cgroup)
                snprintf(cg, cg_size, "%s", tc.cgroup);
        token_claims_deinit(&tc);
}

/* Authorize s3:GetObject with @token: "allow", "explicit-deny", "implicit-deny" or "error X". */
static void decision(const char *socket, const char *token, char *out, size_t size)
{
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        int fd = raw_connect(socket);

        snprintf(out, size, "?");
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 4, "Authorize", 3, "sessionToken", token, "action", "s3:GetObject",
                     "resource", "arn:aws:s3:::b/k");
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_unpacker_init(&up, 65536);
        msgpack_unpacked_init(&u);
        if (raw_recv(fd, &up, &u, 10000) == 1 && resp_parse(&u.data, &r)) {
                if (r.code[0])
                        snprintf(out, size, "error %.40s", r.code);
                else
                        resp_str(&r.result, "decision", out, size);
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
}

/* Child mode (run as alice, from the tool's path): "<xsh> <decision> <cg>" of GetCredentials. */
static int ask_mode(const char *socket, const char *role)
{
        roled_client *c = NULL;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        T_AUTO(roled_credentials) cr = NULL;
        char hex[65], cg[512], d[64];

        req.role = role;
        if (t_connect(socket, &c) != ROLED_OK || t_get_credentials(c, &req, &cr) != ROLED_OK) {
                fprintf(stderr, "role %s: %s\n", role, t_last_error());
                return 1;
        }
        claims_of(roled_credentials_session_token(cr), hex, cg, sizeof(cg));
        decision(socket, roled_credentials_session_token(cr), d, sizeof(d));
        printf("%s %s %s\n%s\n", hex[0] ? hex : "-", d, cg[0] ? cg : "-",
               roled_credentials_session_token(cr));
        roled_client_close(c);
        return 0;
}

/* Put @src at @dst as a new file (a package upgrade's rename). */
static void install(const char *src, const char *dst)
{
        char tmp[PATH_MAX];
        const char *cp[] = { "/bin/cp", src, tmp, NULL };

        snprintf(tmp, sizeof(tmp), "%s.new", dst);
        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        CHECK(chmod(tmp, 0755) == 0);
        CHECK(rename(tmp, dst) == 0);
}

/* A copy of this binary with @extra bytes appended (another hash), and its hash. */
static void variant(const char *self, const char *path, int extra, char hex[65])
{
        const char *cp[] = { "/bin/cp", self, path, NULL };
        int fd;

        CHECK_INT(run_cmd(0, NULL, NULL, cp, NULL, NULL), ==, 0);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK(fd >= 0 && write(fd, "\n\n\n\n", (size_t)extra) == extra);
        close(fd);
        CHECK(chmod(path, 0755) == 0);
        file_sha256_hex(path, hex);
}

static char last_token[8192]; /* the session token of the last ask_as_alice() */

/* alice runs @tool in ask mode for @role: its output line (the token in last_token). */
static void ask_as_alice(const char *tool, const char *role, char *line, size_t size)
{
        const char *argv[] = { tool, "ask", agent.socket, role, NULL };
        char *out = NULL, *nl;

        CHECK_INT(run_cmd(UID_ALICE, NULL, NULL, argv, &out, NULL), ==, 0);
        CHECK(out && (nl = strchr(out, '\n')));
        *nl = '\0';
        snprintf(line, size, "%s", out);
        snprintf(last_token, sizeof(last_token), "%s", nl + 1);
        last_token[strcspn(last_token, "\n")] = '\0';
        free(out);
}

static void put_hash_role(const char *cfg, const char *hex)
{
        config_put(cfg, "roles.d/perm.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"roled:exe-sha256\": \"%s\"}}}]}",
                   hex);
        config_put(cfg, "roles.d/perm.ini",
                   "[role]\nname = perm\npermissions = perm.json\n[trust]\nusers = roledalice\n");
}

static void test_replaced_file(const char *va, const char *vb, const char *ha, const char *hb,
                               const char *tool)
{
        const char *cfg = config_new(NULL);
        char line[1024], want[256];

        put_hash_role(cfg, ha);
        agent_spawn(cfg, &agent);
        install(va, tool);
        ask_as_alice(tool, "perm", line, sizeof(line));
        snprintf(want, sizeof(want), "%s allow -", ha);
        CHECK_STREQ(line, want);
        /* The same path, another file: its own hash, which the permissions do not allow. */
        install(vb, tool);
        ask_as_alice(tool, "perm", line, sizeof(line));
        snprintf(want, sizeof(want), "%s implicit-deny -", hb);
        CHECK_MSG(strcmp(line, want) == 0,
                  "version b at the same path got '%s' (version a's cached session?), want '%s'",
                  line, want);
        agent_stop(&agent);
}

static void test_prewarm_unhashed(const char *va, const char *ha, const char *tool)
{
        char extra[PATH_MAX + 64], line[1024], want[256];
        const char *cfg;
        msgpack_sbuffer sb;
        msgpack_unpacker up;
        msgpack_unpacked u;
        Resp r;
        int fd;

        install(va, tool);
        snprintf(extra, sizeof(extra), "login_prewarm_exe = %s\n", tool);
        cfg = config_new(extra);
        put_hash_role(cfg, ha);
        memset(&agent, 0, sizeof(agent));
        agent_spawn(cfg, &agent);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 3, "Login", 3, "event", "start", "user", "roledalice", "role", "perm");
        fd = raw_connect(agent.socket);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_unpacker_init(&up, 65536);
        msgpack_unpacked_init(&u);
        CHECK(raw_recv(fd, &up, &u, 10000) == 1 && resp_parse(&u.data, &r));
        CHECK_MSG(!r.code[0], "Login start: %s %s", r.code, r.message);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
        close(fd);
        /* The tool itself: a session carrying its hash, not the pre-warmed hash-less one. */
        ask_as_alice(tool, "perm", line, sizeof(line));
        snprintf(want, sizeof(want), "%s allow -", ha);
        CHECK_MSG(strcmp(line, want) == 0, "after a pre-warm the tool got '%s', want '%s'", line,
                  want);
        agent_stop(&agent);
}

/* This process's cgroup v2 path (the "0::" line), or false. */
static bool own_cgroup(char *cg, size_t size)
{
        char *text = read_file("/proc/self/cgroup"), *line;

        if (!text)
                return false;
        line = strstr(text, "0::");
        if (!line || (line != text && line[-1] != '\n')) {
                free(text);
                return false;
        }
        line += 3;
        line[strcspn(line, "\n")] = '\0';
        snprintf(cg, size, "%s", line);
        free(text);
        return cg[0] == '/';
}

static void test_cgroup_reload(const char *va, const char *tool)
{
        const char *cfg = config_new(NULL);
        char cg[512], line[1024], want[1024], first[1024], old_token[8192], d[64];
        roled_client *c = NULL;
        uint32_t n;

        if (!own_cgroup(cg, sizeof(cg))) {
                printf("skip: cgroup reload: no cgroup v2 line in /proc/self/cgroup\n");
                return;
        }
        config_put(cfg, "roles.d/cg.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/cg.ini",
                   "[role]\nname = cg\npermissions = cg.json\n[trust]\nusers = roledalice\n");
        memset(&agent, 0, sizeof(agent));
        agent_spawn(cfg, &agent);
        install(va, tool);
        /* No role reads the cgroup: the session names none, and is allowed. */
        ask_as_alice(tool, "cg", first, sizeof(first));
        CHECK_STREQ(first, "- allow -");
        snprintf(old_token, sizeof(old_token), "%s", last_token);
        config_put(cfg, "roles.d/cg.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}, {\"Effect\": \"Deny\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"roled:cgroup\": \"%s\"}}}]}",
                   cg);
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_reload(c, &n), ==, ROLED_OK);
        roled_client_close(c);
        /* alice runs in this test's cgroup (run_cmd forks): the new session names it, denied. */
        ask_as_alice(tool, "cg", line, sizeof(line));
        snprintf(want, sizeof(want), "- explicit-deny %s", cg);
        CHECK_MSG(strcmp(line, want) == 0,
                  "after the reload alice got '%s' (the session cached before it?), want '%s'",
                  line, want);
        /*
         * The token issued before the reload names no cgroup: the permissions
         * that now read it judge it as nothing (fail closed), never as allowed.
         */
        decision(agent.socket, old_token, d, sizeof(d));
        CHECK_MSG(strcmp(d, "implicit-deny") == 0,
                  "the token issued before the reload got '%s' from Authorize", d);
        agent_stop(&agent);
}

static char *shared_token; /* MAP_SHARED: a child's token for the parent */

/* As alice: AssumeRole "cg" with the session policy in @arg (or GetCredentials when NULL). */
static int token_as_alice(void *arg)
{
        roled_client *c = NULL;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;

        req.role = "cg";
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        if (arg)
                CHECK_INT(t_assume_role(c, "cg", 0, arg, NULL, NULL, &cr), ==, ROLED_OK);
        else
                CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        snprintf(shared_token, 8192, "%s", roled_credentials_session_token(cr));
        roled_client_close(c);
        return 0;
}

/*
 * While no role reads the unit, a session policy that does (a caller narrowing
 * the credentials it hands on: "never from any cgroup") cannot be judged: the
 * token names no cgroup.  Authorize must not allow it as if the Deny did not
 * apply; a token without such a policy is allowed.  The same for a session
 * policy reading roled:exe on a role whose sessions name no executable.
 */
static void test_session_policy_unit(void)
{
        const char *cfg = config_new(NULL);
        char d[64];

        config_put(cfg, "roles.d/all.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:*\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/cg.ini",
                   "[role]\nname = cg\npermissions = all.json\n[trust]\nusers = roledalice\n");
        memset(&agent, 0, sizeof(agent));
        agent_spawn(cfg, &agent);
        shared_token = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(shared_token != MAP_FAILED);
        CHECK_INT(run_as(UID_ALICE, token_as_alice, NULL), ==, 0);
        decision(agent.socket, shared_token, d, sizeof(d));
        CHECK_STREQ(d, "allow");
        CHECK_INT(run_as(UID_ALICE, token_as_alice,
                         (void *)"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
                                 "\"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}, "
                                 "{\"Effect\": \"Deny\", \"Action\": \"s3:GetObject\", "
                                 "\"Resource\": \"*\", \"Condition\": {\"StringLike\": "
                                 "{\"roled:cgroup\": \"*\"}}}]}"),
                  ==, 0);
        decision(agent.socket, shared_token, d, sizeof(d));
        CHECK_MSG(strcmp(d, "allow") != 0,
                  "a session policy denying every cgroup was judged without one: %s", d);
        CHECK_STREQ(d, "implicit-deny");
        /* The same for the executable, which sessions of this role do not name. */
        CHECK_INT(run_as(UID_ALICE, token_as_alice,
                         (void *)"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
                                 "\"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}, "
                                 "{\"Effect\": \"Deny\", \"Action\": \"s3:GetObject\", "
                                 "\"Resource\": \"*\", \"Condition\": {\"StringLike\": "
                                 "{\"roled:exe\": \"*\"}}}]}"),
                  ==, 0);
        decision(agent.socket, shared_token, d, sizeof(d));
        CHECK_MSG(strcmp(d, "allow") != 0,
                  "a session policy denying every executable was judged without one: %s", d);
        CHECK_STREQ(d, "implicit-deny");
        munmap(shared_token, 8192);
        agent_stop(&agent);
}

/*
 * A host without cgroup v2 (the agent reads the caller's cgroup and finds no
 * "0::" line): the token's cg claim is present and empty, and a role whose
 * permissions read roled:unit judges it (allow: the Deny names another
 * unit), rather than failing closed as for a token issued unread.
 */
static void test_cgroup_v1_host(void)
{
        const char *lib = getenv("ROLED_CGROUP_V1_LIB");
        const char *cfg = config_new(NULL);
        char d[64];
        TokenClaims tc = TOKEN_CLAIMS_INIT;

        if (!lib) {
                printf("skip: cgroup v1 host: ROLED_CGROUP_V1_LIB unset\n");
                return;
        }
        config_put(cfg, "roles.d/cg.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}, {\"Effect\": \"Deny\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\", \"Condition\": "
                   "{\"StringEquals\": {\"roled:unit\": \"evil.service\"}}}]}");
        config_put(cfg, "roles.d/cg.ini",
                   "[role]\nname = cg\npermissions = cg.json\n[trust]\nusers = roledalice\n");
        memset(&agent, 0, sizeof(agent));
        agent_spawn_preloaded(cfg, lib, NULL, &agent);
        shared_token = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CHECK(shared_token != MAP_FAILED);
        CHECK_INT(run_as(UID_ALICE, token_as_alice, NULL), ==, 0);
        CHECK_INT(token_parse(shared_token, strlen(shared_token), &tc, NULL), ==, 0);
        CHECK_MSG(tc.cgroup && !tc.cgroup[0], "cg claim: %s", tc.cgroup ? tc.cgroup : "(none)");
        token_claims_deinit(&tc);
        decision(agent.socket, shared_token, d, sizeof(d));
        CHECK_STREQ(d, "allow");
        munmap(shared_token, 8192);
        agent_stop(&agent);
}

int main(int argc, char **argv)
{
        char self[PATH_MAX], va[PATH_MAX], vb[PATH_MAX], tool[PATH_MAX], ha[65], hb[65];
        ssize_t n;

        CHECK(sodium_init() >= 0);
        if (argc == 4 && strcmp(argv[1], "ask") == 0)
                return ask_mode(argv[2], argv[3]);
        test_init(argc, argv);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        CHECK(n > 0);
        self[n] = '\0';
        snprintf(va, sizeof(va), "%s", test_path("version-a"));
        snprintf(vb, sizeof(vb), "%s", test_path("version-b"));
        snprintf(tool, sizeof(tool), "%s", test_path("tool"));
        variant(self, va, 1, ha);
        variant(self, vb, 2, hb);
        CHECK(strcmp(ha, hb) != 0);
        /* alice must reach the tool: the test folder is root's. */
        CHECK(chmod(test_dir(), 0755) == 0);

        test_replaced_file(va, vb, ha, hb, tool);
        test_prewarm_unhashed(va, ha, tool);
        test_cgroup_reload(va, tool);
        test_session_policy_unit();
        test_cgroup_v1_host();
        printf("test-session-key: OK\n");
        return 0;
}
