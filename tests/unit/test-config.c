/* SPDX-License-Identifier: MIT */
/*
 * test-config.c - the configuration loader: the fixture in
 * tests/data/config/good, every error class with its file:line, unsafe
 * owners and modes, the embedded default and duration parsing. Fixtures are
 * copied into a private temporary folder so the checkout's modes do not matter.
 */
#undef NDEBUG
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "policy.h"
#include "token.h"
#include "util.h"

static void write_file(const char *dir, const char *rel, const char *text, mode_t mode)
{
        char path[4096];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void make_dir(const char *dir, const char *rel)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(chmod(path, 0755), 0);
}

static void copy_tree(const char *src, const char *dst)
{
        DIR *d = opendir(src);
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d))) {
                char s[4096], t[4096];
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
                snprintf(t, sizeof(t), "%s/%s", dst, de->d_name);
                assert_int_equal(stat(s, &st), 0);
                if (S_ISDIR(st.st_mode)) {
                        assert_int_equal(mkdir(t, 0755), 0);
                        assert_int_equal(chmod(t, 0755), 0);
                        copy_tree(s, t);
                } else {
                        char buf[65536];
                        int in = open(s, O_RDONLY | O_CLOEXEC), out;
                        ssize_t n;

                        assert_true(in >= 0);
                        out = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        assert_true(out >= 0);
                        while ((n = read(in, buf, sizeof(buf))) > 0)
                                assert_int_equal(write(out, buf, (size_t)n), n);
                        assert_int_equal(fchmod(out, 0644), 0);
                        close(in);
                        close(out);
                }
        }
        closedir(d);
}

static void remove_tree(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;

        if (!d) {
                (void)unlink(path);
                return;
        }
        while ((de = readdir(d))) {
                char p[4096];

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                remove_tree(p);
        }
        closedir(d);
        (void)rmdir(path);
}

/* A fresh folder with roles.d/ and policies/ holding one valid policy. */
static char *new_tree(void)
{
        char *dir = strdup("/tmp/roled-test-config-XXXXXX");

        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        make_dir(dir, "roles.d");
        make_dir(dir, "policies");
        write_file(dir, "policies/p.json", "{\"Version\":\"2012-10-17\",\"Statement\":[]}", 0644);
        return dir;
}

static void test_fixture(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        ConfigError err;
        const Role *deploy, *backup;

        (void)state;
        remove_tree(dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(chmod(dir, 0755), 0);
        copy_tree(ROLED_TEST_DATA "/config/good", dir);

        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_false(c->is_default_embedded);
        assert_string_equal(c->socket, "/run/roled-test/roled.sock");
        assert_string_equal(c->account, "123456789012");
        assert_string_equal(c->key_dir, "/var/lib/roled-test");
        assert_int_equal(c->max_connections_per_uid, 16);
        assert_int_equal(c->log_level, CONFIG_LOG_DEBUG);
        /* Each level's syslog priority, as main.c sets it. */
        assert_int_equal(config_log_level_priority(CONFIG_LOG_ERROR), LOG_LEVEL_ERROR);
        assert_int_equal(config_log_level_priority(CONFIG_LOG_WARNING), LOG_LEVEL_WARNING);
        assert_int_equal(config_log_level_priority(CONFIG_LOG_INFO), LOG_LEVEL_INFO);
        assert_int_equal(config_log_level_priority(CONFIG_LOG_DEBUG), 7);
        assert_int_equal(c->default_duration, 1800);
        assert_int_equal(c->n_roles, 2);

        deploy = &c->roles[0];
        assert_string_equal(deploy->name, "deploy");
        assert_string_equal(deploy->description, "Deploys the web site");
        assert_int_equal(deploy->max_session_duration, 7200);
        assert_string_equal(deploy->arn, "arn:aws:iam::123456789012:role/ci/deploy");
        assert_int_equal(strlen(deploy->role_id), CONFIG_ROLE_ID_LEN);
        assert_memory_equal(deploy->role_id, "AROA", 4);
        assert_int_equal(strspn(deploy->role_id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 17);
        assert_non_null(deploy->permissions);
        assert_non_null(strstr(deploy->permissions, "s3:PutObject"));
        assert_int_equal(deploy->permissions_len, strlen(deploy->permissions));
        assert_non_null(deploy->trust_policy);
        assert_non_null(strstr(deploy->trust_policy, "group:deploy"));
        /* Repeated list keys append. */
        assert_int_equal(deploy->trust.n_users, 3);
        assert_string_equal(deploy->trust.users[2], "carol");
        assert_int_equal(deploy->trust.n_uids, 2);
        assert_int_equal(deploy->trust.uids[0].lo, 1000);
        assert_int_equal(deploy->trust.uids[0].hi, 1999);
        assert_int_equal(deploy->trust.uids[1].lo, 2500);
        assert_int_equal(deploy->trust.uids[1].hi, 2500);
        assert_int_equal(deploy->trust.n_units, 2);
        assert_string_equal(deploy->trust.units[1], "user:deploy.service");
        assert_int_equal(deploy->trust.n_exes, 1);
        assert_int_equal(deploy->defaults.n_units, 1);
        assert_int_equal(deploy->defaults.uids[0].hi, 4294967294u);

        backup = &c->roles[1];
        assert_string_equal(backup->name, "Backup");
        assert_string_equal(backup->description, "");
        assert_string_equal(backup->path, "/");
        assert_string_equal(backup->arn, "arn:aws:iam::123456789012:role/Backup");
        assert_int_equal(backup->max_session_duration, 900);
        assert_null(backup->trust_policy);
        assert_int_equal(backup->trust.n_exe_sha256, 1);
        assert_int_equal(backup->trust.exe_sha256[0][0], 0xba);
        assert_int_equal(backup->trust.exe_sha256[0][31], 0xad);
        assert_int_equal(backup->trust.n_roles, 1);

        /* Case-insensitive lookup; role ids are deterministic and differ per name. */
        assert_ptr_equal(config_find_role(c, "BACKUP", 6), backup);
        assert_ptr_equal(config_find_role(c, "deployX", 6), deploy);
        assert_null(config_find_role(c, "deploy2", 7));
        assert_string_not_equal(deploy->role_id, backup->role_id);

        /* A roled.ini path works as well as its folder and gives the same role ids. */
        {
                _cleanup_(config_freep) Config *c2 = NULL;
                char ini[4096];

                snprintf(ini, sizeof(ini), "%s/roled.ini", dir);
                assert_int_equal(config_load(ini, geteuid(), &c2, &err), 0);
                assert_int_equal(c2->n_roles, 2);
                assert_string_equal(c2->roles[0].role_id, deploy->role_id);
        }
        remove_tree(dir);
}

/* Each case: a role file's text, the expected line and a substring of the message. */
typedef struct BadCase {
        const char *text;
        unsigned line;
        const char *message;
} BadCase;

static const BadCase bad_roles[] = {
        { "[role]\nname = a\n[trsut]\nusers = x\n", 3, "unknown section [trsut]" },
        { "[role]\nname = a\n[trsut]\n", 3, "unknown section" },
        { "[role]\nname = a\nnmae = b\n", 3, "unknown key 'nmae'" },
        { "[role]\nname = a\n[trust]\nuser = bob\n", 4, "unknown key 'user'" },
        { "[role]\nname = a\nname = b\n", 3, "duplicate key 'name'" },
        { "[role]\nname = a\nclaim_exe = maybe\n", 3, "claim_exe: 'maybe' is not true or false" },
        { "[role]\nname = a\n[role]\n", 3, "duplicate section [role]" },
        { "[role]\nname = bad name!\n", 2, "is not 1..64" },
        { "[role]\nname = a\nissuer = aws\n", 1, "issuer = aws needs [aws] role_arn" },
        { "[role]\nname = a\nissuer = vault\n", 3, "issuer: 'vault'" },
        { "[role]\nname = a\n[aws]\nrole_arn = arn:aws:iam::123456789012:role/x\n", 4,
          "[aws] is only for roles with issuer = aws" },
        { "[role]\nname = a\nissuer = aws\n[aws]\nrole_arn = arn:aws:iam::12345:role/x\n", 5,
          "role_arn:" },
        { "[role]\nname = a\nissuer = aws\n[aws]\nrole_arn = "
          "arn:aws:iam::123456789012:role/x\nrole_ar = y\n",
          6, "[aws] unknown key 'role_ar'" },
        { "[role]\nname = a\nissuer = aws\n[aws]\nrole_arn = "
          "arn:aws:iam::123456789012:role/x\nsession_policy = none\n",
          1, "roled.ini has no [aws] credentials_file" },
        { "[role]\nname = a\nmax_session_duration = 13h\n", 3, "max_session_duration" },
        { "[role]\nname = a\nmax_session_duration = 899\n", 3, "max_session_duration" },
        { "[role]\nname = a\nmax_session_duration = 1d\n", 3, "max_session_duration" },
        { "[role]\nname = a\npath = ci\n", 3, "path:" },
        { "[role]\nname = a\n\n[trust]\nuids = 10-5\n", 5, "invalid entry '10-5'" },
        { "[role]\nname = a\n[trust]\nuids = 4294967295\n", 4, "invalid entry" },
        { "[role]\nname = a\n[trust]\ngids = abc\n", 4, "invalid entry 'abc'" },
        { "[role]\nname = a\n[trust]\nexe = usr/bin/x\n", 4, "not an absolute, canonical path" },
        { "[role]\nname = a\n[trust]\nexe = /usr/bin/../bin/x\n", 4, "canonical" },
        { "[role]\nname = a\n[trust]\nexe_sha256 = abcd\n", 4, "64 hex digits" },
        { "[role]\nname = a\n[trust]\nunits = foo\n", 4, "not a unit name" },
        { "[role]\nname = a\n[default]\nroles = nosuch\n", 4, "no role named 'nosuch'" },
        { "[role]\nname = a\n[trust]\nusers =\n", 4, "empty list" },
        { "[role]\nname = a\n[trust]\nusers = a\n  b\n", 5, "indented line" },
        { "[role]\nname = a\n[trust]\nusers a\n", 4, "syntax error" },
        { "[role]\nname = a\npermissions = ../policies/nope.json\n", 3, "cannot open" },
        { "[role]\nname = a\npermissions = ../policies/bad.json\n", 3, "invalid JSON" },
        { "[role]\nname = a\npermissions = ../policies/array.json\n", 3, "not a JSON object" },
        { "[role]\nname = a\n[tags]\nteam = ops\nTEAM = dev\n", 5, "duplicate key 'TEAM'" },
        { "[role]\nname = a\n[tags]\nte*am = ops\n", 4, "[tags] key 'te*am'" },
        { "[role]\nname = a\n[tags]\nteam = o|ps\n", 4, "[tags] team: value" },
        { "[role]\nname = a\n[tagz]\nteam = ops\n", 3, "unknown section [tagz]" },
        { "name = a\n", 1, "outside of a section" },
        { "[trust]\nusers = a\n", 0, "no [role] section" },
        { "[role]\ndescription = x\n", 1, "has no name" },
};

static void test_bad_roles(void **state)
{
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad_roles); i++) {
                _cleanup_(config_freep) Config *c = NULL;
                _cleanup_free_ char *dir = new_tree();
                ConfigError err;
                char expect_file[4096];
                int r;

                write_file(dir, "policies/bad.json", "{\"Version\": }", 0644);
                write_file(dir, "policies/array.json", "[1, 2]", 0644);
                write_file(dir, "roles.d/r.ini", bad_roles[i].text, 0644);
                r = config_load(dir, geteuid(), &c, &err);
                if (r != CONFIG_E_INVALID || err.line != bad_roles[i].line ||
                    !strstr(err.message, bad_roles[i].message))
                        fail_msg("case %zu: r=%d line=%u message '%s'", i, r, err.line,
                                 err.message);
                assert_null(c);
                snprintf(expect_file, sizeof(expect_file), "%s/roles.d/r.ini", dir);
                assert_string_equal(err.file, expect_file);
                remove_tree(dir);
        }
}

static const BadCase bad_agent[] = {
        { "[agent]\naccount = 12345\n", 2, "not 12 digits" },
        { "[agent]\nlog_level = verbose\n", 2, "log_level" },
        { "[agent]\nmax_connections_per_uid = 0\n", 2, "max_connections_per_uid" },
        { "[agent]\nsession_policy_bytes_max = 512K\n", 2,
          "session_policy_bytes_max: '512K' is not 1M..4G" },
        { "[agent]\nsession_policy_bytes_max = 5G\n", 2, "session_policy_bytes_max" },
        { "[agent]\nsession_policy_uid_bytes_max = 1000\n", 2,
          "session_policy_uid_bytes_max: '1000' is not 64K..4G" },
        { "[agent]\nsession_policy_uid_bytes_max = 2M\nsession_policy_uid_bytes_max = 2M\n", 3,
          "duplicate key" },
        { "[agent]\nsession_policy_uid_bytes_max = 8M\nsession_policy_bytes_max = 4M\n", 0,
          "session_policy_uid_bytes_max is larger than session_policy_bytes_max" },
        { "[agent]\nsession_policy_uid_bytes_max = 128M\n", 0,
          "session_policy_uid_bytes_max is larger than session_policy_bytes_max" },
        { "[agent]\ndefault_duration = 5m\n", 2, "default_duration" },
        { "[agent]\nsocket = relative.sock\n", 2, "socket" },
        { "[agent]\nkey_dir = keys\n", 2, "key_dir" },
        { "[agent]\nsockett = /x\n", 2, "unknown key 'sockett'" },
        { "[role]\nname = a\n", 1, "unknown section [role]" },
        { "[aws]\nregoin = us-east-1\n", 2, "[aws] unknown key 'regoin'" },
        { "[aws]\nsts_endpoint = http://sts.example.com/\n", 2, "http:// only for" },
        { "[aws]\nsts_endpoint = ftp://127.0.0.1/\n", 2, "sts_endpoint" },
        { "[aws]\nimds = on\nmfa_serial = arn:aws:iam::123456789012:mfa/ops\n", 0,
          "mfa_serial needs credentials_file" },
        { "[aws]\nimds = maybe\n", 2, "imds" },
        { "[aws]\ncredentials_file = creds\n", 2, "absolute path" },
        { "[aws]\nregion = us east\n", 2, "region" },
        { "[aws]\nregion = a\nregion = b\n", 3, "duplicate key 'region'" },
        { "[aws]\nmfa_serial = 123\n", 2, "mfa_serial" },
        { "[aws]\nmfa_process = ask-code\n", 2, "mfa_process: must start with an absolute path" },
};

static void test_bad_agent(void **state)
{
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad_agent); i++) {
                _cleanup_(config_freep) Config *c = NULL;
                _cleanup_free_ char *dir = new_tree();
                ConfigError err;
                int r;

                write_file(dir, "roled.ini", bad_agent[i].text, 0644);
                r = config_load(dir, geteuid(), &c, &err);
                if (r != CONFIG_E_INVALID || err.line != bad_agent[i].line ||
                    !strstr(err.message, bad_agent[i].message))
                        fail_msg("case %zu: r=%d line=%u message '%s'", i, r, err.line,
                                 err.message);
                remove_tree(dir);
        }
}

static void test_policy_bytes(void **state)
{
        _cleanup_(config_freep) Config *c = NULL, *d = NULL;
        _cleanup_free_ char *dir = new_tree();
        ConfigError err;

        (void)state;
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_int_equal(c->session_policy_bytes_max, 64ull << 20);
        assert_int_equal(c->session_policy_uid_bytes_max, 4ull << 20);
        /* Order does not matter: the per-uid bound is checked against the total once both are read.
         */
        write_file(dir, "roled.ini",
                   "[agent]\nsession_policy_uid_bytes_max = 100M\nsession_policy_bytes_max = 1G\n",
                   0644);
        assert_int_equal(config_load(dir, geteuid(), &d, &err), 0);
        assert_int_equal(d->session_policy_bytes_max, 1ull << 30);
        assert_int_equal(d->session_policy_uid_bytes_max, 100ull << 20);
        remove_tree(dir);
}

static void test_across_files(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        ConfigError err;

        (void)state;
        /* Names are unique case-insensitively; the later file is blamed. */
        write_file(dir, "roles.d/a.ini", "[role]\nname = Deploy\n", 0644);
        write_file(dir, "roles.d/b.ini", "\n[role]\nname = deploy\n", 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_non_null(strstr(err.file, "roles.d/b.ini"));
        assert_int_equal(err.line, 2);
        assert_non_null(strstr(err.message, "already used"));

        /* Sorted by name, non-.ini and hidden files ignored, chaining resolved across files. */
        write_file(dir, "roles.d/b.ini",
                   "[role]\nname = second\n[trust]\nroles = DEPLOY\n[tags]\nteam = ops\nenv = prod "
                   "ci\n",
                   0644);
        write_file(dir, "roles.d/0.ini.bak", "garbage", 0644);
        write_file(dir, "roles.d/.hidden.ini", "garbage", 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_int_equal(c->n_roles, 2);
        assert_string_equal(c->roles[0].name, "Deploy");
        assert_string_equal(c->roles[1].name, "second");
        /* [tags]: IAM role tags, in file order (aws:PrincipalTag/<key> in policies). */
        assert_int_equal(c->roles[1].n_tags, 2);
        assert_string_equal(c->roles[1].tag_keys[0], "team");
        assert_string_equal(c->roles[1].tag_values[0], "ops");
        assert_string_equal(c->roles[1].tag_keys[1], "env");
        assert_string_equal(c->roles[1].tag_values[1], "prod ci");
        assert_int_equal(c->roles[0].n_tags, 0);
        assert_string_equal(c->account, "000000000000");
        assert_int_equal(c->roles[1].max_session_duration, 3600);
        assert_int_equal(c->default_duration, 3600);
        assert_int_equal(c->max_connections_per_uid, 64);
        assert_null(c->socket);
        remove_tree(dir);
}

static void test_limits(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        _cleanup_free_ char *big = NULL;
        char line[400];
        ConfigError err;

        (void)state;
        /* A line inih would split is refused, not misread. */
        memset(line, 'a', sizeof(line));
        memcpy(line, "[role]\nname = ", 14);
        line[sizeof(line) - 2] = '\n';
        line[sizeof(line) - 1] = '\0';
        write_file(dir, "roles.d/r.ini", line, 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_int_equal(err.line, 2);
        assert_non_null(strstr(err.message, "line longer"));

        /* Policies over 128 KiB are refused. */
        big = malloc(CONFIG_POLICY_MAX + 10);
        assert_non_null(big);
        memset(big, ' ', CONFIG_POLICY_MAX + 9);
        big[0] = '{';
        big[CONFIG_POLICY_MAX + 8] = '}';
        big[CONFIG_POLICY_MAX + 9] = '\0';
        write_file(dir, "policies/big.json", big, 0644);
        write_file(dir, "roles.d/r.ini", "[role]\nname = a\npermissions = ../policies/big.json\n",
                   0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_int_equal(err.line, 3);
        assert_non_null(strstr(err.message, "larger than"));

        /* One of exactly 128 KiB loads (the read buffer is sized from fstat()). */
        big[CONFIG_POLICY_MAX - 1] = '}';
        big[CONFIG_POLICY_MAX] = '\0';
        write_file(dir, "policies/big.json", big, 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        c = config_free(c);

        /* A file whose size fstat() does not tell is read whole: /proc/self/comm says 0 bytes
         * but holds the program's name, which is no 'key = value' line. */
        assert_int_equal(config_load("/proc/self/comm", geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_int_equal(err.line, 1);
        assert_non_null(strstr(err.message, "syntax error"));
        remove_tree(dir);
}

/*
 * A local role's session tokens carry its ARN (at most TOKEN_ARN_MAX bytes),
 * so one whose path and name make a longer ARN is refused at load, naming the
 * role and the limit, though IAM would take it (path 512, name 64).  A line
 * holds at most CONFIG_LINE_MAX bytes, so a path is at most 191 and an aws
 * role's role_arn at most 187: only a local role can go over.
 */
static void test_arn_length(void **state)
{
        /* "arn:aws:iam::000000000000:role" is 30 bytes; then the path, then the name. */
        enum { PREFIX = 30, PATH = CONFIG_LINE_MAX - 7 /* "path = " */ };
        static const size_t names[] = { TOKEN_ARN_MAX - PREFIX - PATH,
                                        TOKEN_ARN_MAX - PREFIX - PATH + 1, CONFIG_ROLE_NAME_MAX };
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        char path[PATH + 1], name[CONFIG_ROLE_NAME_MAX + 1], text[512], want[128];
        ConfigError err;

        (void)state;
        memset(path, 'p', PATH);
        path[0] = path[PATH - 1] = '/';
        path[PATH] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                memset(name, 'n', names[i]);
                name[names[i]] = '\0';
                snprintf(text, sizeof(text), "[role]\nname = %s\npath = %s\n", name, path);
                write_file(dir, "roles.d/r.ini", text, 0644);
                if (PREFIX + PATH + names[i] <= TOKEN_ARN_MAX) {
                        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
                        assert_int_equal(strlen(c->roles[0].arn), TOKEN_ARN_MAX);
                        c = config_free(c);
                        continue;
                }
                assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
                assert_null(c);
                assert_int_equal(err.line, 1);
                assert_non_null(strstr(err.file, "roles.d/r.ini"));
                snprintf(want, sizeof(want), "role '%s': its ARN", name);
                assert_non_null(strstr(err.message, want));
                snprintf(want, sizeof(want), "is %zu bytes, over the 256",
                         PREFIX + PATH + names[i]);
                assert_non_null(strstr(err.message, want));
        }
        remove_tree(dir);
}

static void test_unsafe(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        char path[4096];
        ConfigError err;

        (void)state;
        write_file(dir, "roles.d/r.ini", "[role]\nname = a\n", 0664);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_UNSAFE);
        assert_non_null(strstr(err.message, "writable by group or others"));

        write_file(dir, "roles.d/r.ini", "[role]\nname = a\npermissions = ../policies/p.json\n",
                   0644);
        snprintf(path, sizeof(path), "%s/policies/p.json", dir);
        assert_int_equal(chmod(path, 0646), 0);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_UNSAFE);
        assert_non_null(strstr(err.message, "writable by group or others"));
        assert_int_equal(err.line, 3);
        assert_int_equal(chmod(path, 0644), 0);

        snprintf(path, sizeof(path), "%s/roles.d", dir);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_UNSAFE);
        assert_int_equal(chmod(path, 0755), 0);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        c = config_free(c);

        /* Owned by someone who is neither root nor the agent. */
        if (geteuid() == 0) {
                snprintf(path, sizeof(path), "%s/roles.d/r.ini", dir);
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(config_load(dir, 0, &c, &err), CONFIG_E_UNSAFE);
                assert_non_null(strstr(err.message, "owned by uid 65534"));
                /* ... unless that someone is the agent. */
                assert_int_equal(config_load(dir, 65534, &c, &err), 0);
        }
        remove_tree(dir);
}

/* [aws] in roled.ini and roles.d: the source credentials file and an aws role. */
static void test_aws(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        char ini[8192], path[4096];
        ConfigError err;
        const Role *r;

        (void)state;
        snprintf(path, sizeof(path), "%s/aws-credentials", dir);
        snprintf(ini, sizeof(ini),
                 "[agent]\n[aws]\ncredentials_file = %s\nprofile = prod\nregion = eu-west-1\n",
                 path);
        write_file(dir, "roled.ini", ini, 0644);
        write_file(
                dir, "aws-credentials",
                "[default]\naws_access_key_id = AKIADEFAULTDEFAULT00\naws_secret_access_key = x\n"
                "[prod]\naws_access_key_id = AKIAPRODPRODPRODPROD\n"
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
                "aws_session_token = tok\nregion = ignored\n",
                0600);
        write_file(dir, "roles.d/a.ini",
                   "[role]\nname = a\nissuer = aws\nmax_session_duration = 4h\n"
                   "permissions = ../policies/p.json\n[aws]\nrole_arn = "
                   "arn:aws:iam::123456789012:role/ci/a\n"
                   "external_id = ext-123\n",
                   0644);
        write_file(dir, "roles.d/b.ini",
                   "[role]\nname = b\nissuer = aws\nmax_session_duration = 4h\n[aws]\n"
                   "role_arn = arn:aws:iam::123456789012:role/b\nsource_role = a\nsession_policy = "
                   "none\n",
                   0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_string_equal(c->aws.access_key_id, "AKIAPRODPRODPRODPROD");
        assert_string_equal(c->aws.session_token, "tok");
        assert_string_equal(c->aws.region, "eu-west-1");
        r = config_find_role(c, "a", 1);
        assert_int_equal(r->issuer, ROLE_ISSUER_AWS);
        assert_string_equal(r->arn, "arn:aws:iam::123456789012:role/ci/a");
        assert_string_equal(r->aws.external_id, "ext-123");
        assert_int_equal(r->aws.session_policy, AWS_SESSION_POLICY_INHERIT);
        assert_int_equal(r->max_session_duration, 4 * 3600);
        /* Role chaining: STS's one-hour limit. */
        r = config_find_role(c, "b", 1);
        assert_int_equal(r->max_session_duration, 3600);
        assert_int_equal(r->aws.session_policy, AWS_SESSION_POLICY_NONE);
        c = config_free(c);

        /* The credentials file holds a secret: group or other access at all is refused. */
        assert_int_equal(chmod(path, 0640), 0);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_UNSAFE);
        assert_non_null(strstr(err.message, "must be mode 0600"));
        assert_int_equal(chmod(path, 0600), 0);
        if (geteuid() == 0) {
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(config_load(dir, 0, &c, &err), CONFIG_E_UNSAFE);
                assert_non_null(strstr(err.message, "owned by uid 65534"));
                assert_int_equal(chown(path, 0, 0), 0);
        }
        /* A profile that is not there. */
        write_file(dir, "aws-credentials", "[default]\naws_access_key_id = AKIADEFAULTDEFAULT00\n",
                   0600);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_non_null(strstr(err.message, "no [prod] profile"));
        /* A chain of chains, and inherit without permissions. */
        write_file(dir, "aws-credentials",
                   "[prod]\naws_access_key_id = AKIAPRODPRODPRODPROD\naws_secret_access_key = s\n",
                   0600);
        write_file(dir, "roles.d/c.ini",
                   "[role]\nname = c\nissuer = aws\n[aws]\nrole_arn = "
                   "arn:aws:iam::123456789012:role/c\n"
                   "source_role = b\nsession_policy = none\n",
                   0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_non_null(strstr(err.message, "source_role: 'b'"));
        write_file(dir, "roles.d/c.ini",
                   "[role]\nname = c\nissuer = aws\n[aws]\nrole_arn = "
                   "arn:aws:iam::123456789012:role/c\n",
                   0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_non_null(strstr(err.message, "session_policy = inherit needs"));
        /* MFA: a serial alone (codes from rolectl mfa); a command needs the serial. */
        write_file(dir, "roles.d/c.ini",
                   "[role]\nname = c\nissuer = aws\n[aws]\nrole_arn = "
                   "arn:aws:iam::123456789012:role/c\n"
                   "session_policy = none\n",
                   0644);
        snprintf(ini, sizeof(ini),
                 "[aws]\ncredentials_file = %s\nprofile = prod\n"
                 "mfa_serial = arn:aws:iam::123456789012:mfa/ops\n",
                 path);
        write_file(dir, "roled.ini", ini, 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_null(c->aws.mfa_process);
        c = config_free(c);
        snprintf(ini, sizeof(ini),
                 "[aws]\ncredentials_file = %s\nprofile = prod\n"
                 "mfa_process = /usr/bin/ask code\n",
                 path);
        write_file(dir, "roled.ini", ini, 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), CONFIG_E_INVALID);
        assert_non_null(strstr(err.message, "mfa_process needs mfa_serial"));
        snprintf(
                ini, sizeof(ini),
                "[aws]\ncredentials_file = %s\nprofile = prod\n"
                "mfa_serial = arn:aws:iam::123456789012:mfa/ops\nmfa_process = /usr/bin/ask code\n",
                path);
        write_file(dir, "roled.ini", ini, 0644);
        assert_int_equal(config_load(dir, geteuid(), &c, &err), 0);
        assert_string_equal(c->aws.mfa_serial, "arn:aws:iam::123456789012:mfa/ops");
        assert_string_equal(c->aws.mfa_process, "/usr/bin/ask code");
        remove_tree(dir);
}

static void test_default(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        ConfigError err;

        (void)state;
        assert_int_equal(config_new_default(4242, &c), 0);
        assert_true(c->is_default_embedded);
        assert_int_equal(c->n_roles, 1);
        assert_string_equal(c->roles[0].name, "default");
        assert_string_equal(c->roles[0].description, "Embedded default role");
        assert_int_equal(c->roles[0].max_session_duration, 43200);
        assert_int_equal(c->roles[0].issuer, ROLE_ISSUER_LOCAL);
        assert_null(c->roles[0].permissions);
        assert_int_equal(c->roles[0].trust.n_uids, 1);
        assert_int_equal(c->roles[0].trust.uids[0].lo, 4242);
        assert_int_equal(c->roles[0].trust.uids[0].hi, 4242);
        assert_int_equal(c->roles[0].defaults.uids[0].lo, 4242);
        assert_false(c->roles[0].trust.is_any_user);
        assert_string_equal(c->roles[0].arn, "arn:aws:iam::000000000000:role/default");
        c = config_free(c);

        /* An empty folder (no roled.ini, no roles.d) gives the embedded default. */
        remove_tree(dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(config_load_mode(false, dir, 4242, &c, &err), 0);
        assert_true(c->is_default_embedded);
        assert_string_equal(c->folder, dir);
        assert_false(c->is_folder_missing);
        assert_string_equal(c->key_dir, ROLED_STATEDIR);
        assert_non_null(c->socket);
        c = config_free(c);

        setenv("XDG_STATE_HOME", "/tmp/state", 1);
        setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
        assert_int_equal(config_load_mode(true, dir, 4242, &c, &err), 0);
        assert_string_equal(c->key_dir, "/tmp/state/roled");
        assert_string_equal(c->socket, "/run/user/4242/roled/roled.sock");
        c = config_free(c);

        /* Once there is a roles.d, it is the configuration, even if empty. */
        make_dir(dir, "roles.d");
        assert_int_equal(config_load_mode(true, dir, geteuid(), &c, &err), 0);
        assert_false(c->is_default_embedded);
        assert_false(c->is_folder_missing);
        assert_string_equal(c->folder, dir);
        assert_int_equal(c->n_roles, 0);
        c = config_free(c);
        remove_tree(dir);

        /* The mode's folder may be missing altogether (user mode here; the
         * system folder is compiled in): the embedded default says so. */
        setenv("XDG_CONFIG_HOME", dir, 1);
        assert_int_equal(config_load_mode(true, NULL, 4242, &c, &err), 0);
        assert_true(c->is_default_embedded);
        assert_true(c->is_folder_missing);
        assert_non_null(strstr(c->folder, "/roled"));
        unsetenv("XDG_CONFIG_HOME");
}

/* The shipped examples load, and their policies compile with the policy engine. */
static void test_examples(void **state)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *dir = new_tree();
        ConfigError err;

        (void)state;
        remove_tree(dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(chmod(dir, 0755), 0);
        copy_tree(ROLED_SOURCE_DIR "/packaging/examples", dir);
        /* roled.ini is generated from roled.ini.in with this build's paths. */
        copy_tree(ROLED_BINARY_DIR "/packaging/examples", dir);
        if (config_load(dir, geteuid(), &c, &err) != 0)
                fail_msg("%s:%u: %s", err.file, err.line, err.message);
        assert_int_equal(c->n_roles, 3);
        assert_string_equal(c->roles[0].name, "web-deploy");
        assert_string_equal(c->roles[0].arn, "arn:aws:iam::000000000000:role/ci/web-deploy");
        assert_string_equal(c->roles[2].trust.roles[0], "web-deploy");
        for (size_t i = 0; i < c->n_roles; i++) {
                const Role *r = &c->roles[i];
                const char *docs[] = { r->permissions, r->trust_policy };
                const size_t lens[] = { r->permissions_len, r->trust_policy_len };

                for (size_t k = 0; k < ELEMENTSOF(docs); k++) {
                        Policy *policy = NULL;
                        PolicyError perr;

                        if (!docs[k])
                                continue;
                        memset(&perr, 0, sizeof(perr));
                        if (policy_parse(docs[k], lens[k], r->name, &policy, &perr) != 0)
                                fail_msg("role %s: policy %zu does not compile: %s", r->name, k,
                                         perr.message);
                        policy_free(policy);
                }
        }
        remove_tree(dir);
}

static void test_role_name(void **state)
{
        (void)state;
        assert_true(config_role_name_valid("a+=,.@_-Z9", 10));
        assert_false(config_role_name_valid("", 0));
        assert_false(config_role_name_valid("a b", 3));
        assert_false(config_role_name_valid("a/b", 3));
        assert_true(config_role_name_valid(
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64));
        assert_false(config_role_name_valid(
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture),      cmocka_unit_test(test_bad_roles),
                cmocka_unit_test(test_bad_agent),    cmocka_unit_test(test_policy_bytes),
                cmocka_unit_test(test_across_files), cmocka_unit_test(test_limits),
                cmocka_unit_test(test_unsafe),       cmocka_unit_test(test_default),
                cmocka_unit_test(test_aws),          cmocka_unit_test(test_role_name),
                cmocka_unit_test(test_examples),     cmocka_unit_test(test_arn_length),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
