/* SPDX-License-Identifier: MIT */
/*
 * test-same-decision - one trust decision everywhere.  A table of (caller,
 * role) rows, each with the decision it must get; for every row every path
 * that answers "may this caller assume this role?" is asked, by a real
 * process of the row's uid (and groups), running the row's executable:
 *
 *  - this test binary, through libroled: ListRoles (listed as assumable),
 *    GetCredentials, AssumeRole, GetRole (what explain shows);
 *  - rolectl, as the same uid: `roles --json`, `credential-process`,
 *    `assume`, `check` (a session and Authorize), `explain`;
 *  - an administrator: `rolectl check --as USER --context roled:exe=EXE`
 *    (Simulate for that principal, running that executable).
 *
 * Every role allows s3:GetObject on everything, so a `check` answer is the
 * trust decision.  The roles cover every kind of rule: users, groups
 * (supplementary), uid ranges, exe (by file), units, a JSON trust_policy
 * alone, one narrowing [trust], one reading roled:exe, and a policy over
 * aws:username.  A path that decides on its own (as ListRoles did for a role
 * with only a JSON trust_policy) fails the row and names the path.
 */
#undef NDEBUG
#include <jansson.h>
#include <limits.h>
#include <roled/roled.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;
static char self_exe[PATH_MAX];
static char rolectl_exe[PATH_MAX];

typedef enum Via {
        VIA_LIB,     /* this test binary, through libroled */
        VIA_ROLECTL, /* the rolectl executable */
} Via;

typedef struct Row {
        uid_t uid;
        const char *user;
        Via via;
        const char *role;
        bool is_allowed;
} Row;

#define A UID_ALICE, "roledalice"
#define B UID_BOB, "roledbob"
#define C UID_CAROL, "roledcarol"

/*
 * alice (2101, supplementary roledops), bob (2102, no extra groups), carol
 * (2103, roledops); each through libroled and through rolectl.
 */
static const Row rows[] = {
        /* users = roledalice */
        { A, VIA_LIB, "by-user", true },
        { A, VIA_ROLECTL, "by-user", true },
        { B, VIA_LIB, "by-user", false },
        { B, VIA_ROLECTL, "by-user", false },
        /* groups = roledops (supplementary for both members) */
        { A, VIA_LIB, "by-group", true },
        { B, VIA_ROLECTL, "by-group", false },
        { C, VIA_ROLECTL, "by-group", true },
        /* uids = 2102-2103 */
        { A, VIA_ROLECTL, "by-uids", false },
        { B, VIA_LIB, "by-uids", true },
        { C, VIA_LIB, "by-uids", true },
        /* users = roledalice roledbob, exe = this test binary */
        { A, VIA_LIB, "exe-test", true },
        { A, VIA_ROLECTL, "exe-test", false },
        { B, VIA_LIB, "exe-test", true },
        { B, VIA_ROLECTL, "exe-test", false },
        { C, VIA_LIB, "exe-test", false },
        /* users = roledbob, exe = rolectl */
        { B, VIA_ROLECTL, "exe-rolectl", true },
        { B, VIA_LIB, "exe-rolectl", false },
        { A, VIA_ROLECTL, "exe-rolectl", false },
        /* users = roledalice, units = demo.service: nobody here runs in it */
        { A, VIA_LIB, "by-unit", false },
        { A, VIA_ROLECTL, "by-unit", false },
        /* only a JSON trust_policy: Local uid:2103 */
        { C, VIA_LIB, "json-only", true },
        { C, VIA_ROLECTL, "json-only", true },
        { B, VIA_LIB, "json-only", false },
        { A, VIA_ROLECTL, "json-only", false },
        /* [trust] groups = roledops, narrowed by a trust_policy refusing aws:username roledcarol */
        { A, VIA_LIB, "json-narrow", true },
        { A, VIA_ROLECTL, "json-narrow", true },
        { C, VIA_LIB, "json-narrow", false },
        { C, VIA_ROLECTL, "json-narrow", false },
        { B, VIA_LIB, "json-narrow", false },
        /* only a trust_policy reading roled:exe (= rolectl) */
        { B, VIA_ROLECTL, "json-exe", true },
        { A, VIA_ROLECTL, "json-exe", true },
        { B, VIA_LIB, "json-exe", false },
        { C, VIA_LIB, "json-exe", false },
        {},
};

/* What each path answered, and its error text when it refused. */
typedef struct Answer {
        const char *path;
        bool is_allowed;
        char detail[256];
} Answer;

#define PATHS_MAX 8

/* A MAP_SHARED page would do; the libroled answers come back through a pipe instead. */
typedef struct LibAnswers {
        int n;
        Answer a[PATHS_MAX];
} LibAnswers;

static void note(LibAnswers *out, const char *path, bool is_allowed, const char *detail)
{
        Answer *a = &out->a[out->n++];

        a->path = path;
        a->is_allowed = is_allowed;
        /* Cut to the field on purpose (the precision says so to gcc -O2). */
        snprintf(a->detail, sizeof(a->detail), "%.*s", (int)sizeof(a->detail) - 1,
                 detail ? detail : "");
}

static int lib_fd = -1; /* write end, in the child */

/* As the row's uid, this binary asks through libroled: ListRoles, GetCredentials, AssumeRole,
 * GetRole. */
static int ask_lib(void *arg)
{
        const Row *row = arg;
        LibAnswers out = { .n = 0 };
        roled_client *c;
        T_AUTO(roled_role_list) list = NULL;
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_role) role = NULL;
        roled_credentials_request req = { .size = sizeof(req),
                                          .role = row->role,
                                          .flags = ROLED_CREDENTIALS_FRESH };
        bool is_listed = false;
        roled_status st;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_list_roles(c, &list), ==, ROLED_OK);
        for (size_t i = 0; i < roled_role_list_count(list); i++)
                if (strcmp(roled_role_list_name(list, i), row->role) == 0)
                        is_listed = roled_role_list_is_assumable(list, i);
        note(&out, "ListRoles", is_listed, NULL);
        st = t_get_credentials(c, &req, &cr);
        note(&out, "GetCredentials", st == ROLED_OK, t_last_error());
        cr = roled_credentials_unref(cr);
        st = t_assume_role(c, row->role, 0, NULL, NULL, NULL, &cr);
        note(&out, "AssumeRole", st == ROLED_OK, t_last_error());
        st = t_get_role(c, row->role, &role);
        note(&out, "GetRole", st == ROLED_OK, t_last_error());
        roled_client_close(c);
        CHECK(write(lib_fd, &out, sizeof(out)) == (ssize_t)sizeof(out));
        return 0;
}

static void ask_through_lib(const Row *row, LibAnswers *out)
{
        int fds[2];

        CHECK(pipe(fds) == 0);
        lib_fd = fds[1];
        CHECK_INT(run_as(row->uid, ask_lib, (void *)row), ==, 0);
        close(fds[1]);
        CHECK(read(fds[0], out, sizeof(*out)) == (ssize_t)sizeof(*out));
        close(fds[0]);
}

/* Is @role listed as assumable in `rolectl roles --json` output? */
static bool listed(const char *json, const char *role)
{
        json_t *arr = json_loads(json ? json : "", 0, NULL), *e;
        bool is_listed = false;
        size_t i;

        CHECK_MSG(json_is_array(arr), "rolectl roles --json printed no array: %s",
                  json ? json : "");
        json_array_foreach(arr, i,
                           e) if (json_is_string(json_object_get(e, "name")) &&
                                  strcmp(json_string_value(json_object_get(e, "name")), role) == 0)
                is_listed = json_is_true(json_object_get(e, "assumable"));
        json_decref(arr);
        return is_listed;
}

/* Run rolectl as @uid; Return: exit status 0 → allowed, 1 → refused (anything else fails the test).
 */
static bool rolectl_says(LibAnswers *out, const char *path, uid_t uid, const char *const *args)
{
        const char *argv[16] = { test_rolectl() };
        char *o = NULL, *e = NULL;
        size_t n = 1;
        int st;

        for (; *args; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        st = run_cmd(uid, agent.socket, NULL, argv, &o, &e);
        CHECK_MSG(st == 0 || st == 1, "%s: rolectl exited %d: %s", path, st, e ? e : "");
        note(out, path, st == 0, st == 0 ? o : e);
        free(o);
        free(e);
        return st == 0;
}

static void ask_through_rolectl(const Row *row, LibAnswers *out)
{
        char *o = NULL, *e = NULL;
        int st;

        st = rolectl(row->uid, agent.socket, &o, &e, "roles", "--json", NULL);
        CHECK_MSG(st == 0, "rolectl roles: %d %s", st, e ? e : "");
        note(out, "rolectl roles", listed(o, row->role), NULL);
        free(o);
        free(e);
        rolectl_says(out, "rolectl credential-process", row->uid,
                     (const char *[]){ "credential-process", "--role", row->role, NULL });
        rolectl_says(out, "rolectl assume", row->uid,
                     (const char *[]){ "assume", row->role, NULL });
        rolectl_says(out, "rolectl check", row->uid,
                     (const char *[]){ "check", "--role", row->role, "--action", "s3:GetObject",
                                       "--resource", "arn:aws:s3:::bucket/key", NULL });
        rolectl_says(out, "rolectl explain", row->uid,
                     (const char *[]){ "explain", row->role, NULL });
}

/* The administrator's question about the row's principal: Simulate, with the executable as a fact.
 */
static void ask_admin(const Row *row, LibAnswers *out)
{
        char exe[PATH_MAX + 16];

        snprintf(exe, sizeof(exe), "roled:exe=%s", row->via == VIA_LIB ? self_exe : rolectl_exe);
        rolectl_says(out, "rolectl check --as (Simulate)", 0,
                     (const char *[]){ "check", "--as", row->user, "--context", exe, "--role",
                                       row->role, "--action", "s3:GetObject", "--resource",
                                       "arn:aws:s3:::bucket/key", NULL });
}

static void test_rows(void)
{
        int n_rows = 0, n_answers = 0;

        for (const Row *row = rows; row->role; row++, n_rows++) {
                LibAnswers out = { .n = 0 };

                if (row->via == VIA_LIB)
                        ask_through_lib(row, &out);
                else
                        ask_through_rolectl(row, &out);
                ask_admin(row, &out);
                for (int i = 0; i < out.n; i++, n_answers++)
                        CHECK_MSG(out.a[i].is_allowed == row->is_allowed,
                                  "%s via %s, role %s: %s says %s, the row wants %s (%s)",
                                  row->user, row->via == VIA_LIB ? "libroled" : "rolectl",
                                  row->role, out.a[i].path,
                                  out.a[i].is_allowed ? "allowed" : "refused",
                                  row->is_allowed ? "allowed" : "refused", out.a[i].detail);
        }
        printf("test-same-decision: %d rows, %d answers, all agree\n", n_rows, n_answers);
}

/* A refusal says why, and the same why on every path that shows one: GetCredentials and Simulate.
 */
static void test_same_reason(void)
{
        char *o = NULL, *e = NULL, *so = NULL, *se = NULL;

        CHECK_INT(rolectl(UID_CAROL, agent.socket, &o, &e, "credential-process", "--role",
                          "json-narrow", NULL),
                  ==, 1);
        CHECK_INT(rolectl(0, agent.socket, &so, &se, "check", "--as", "roledcarol", "--role",
                          "json-narrow", "--action", "s3:GetObject", "--resource",
                          "arn:aws:s3:::bucket/key", NULL),
                  ==, 1);
        CHECK_CONTAINS(e, "role json-narrow: trust policy");
        CHECK_CONTAINS(so, "role json-narrow: trust policy");
        free(o);
        free(e);
        free(so);
        free(se);
}

/*
 * The default-role choice is the same decision: [default] picks among the
 * roles trust_decide() allows, so GetCallerIdentity, ListRoles' default
 * mark, and GetCredentials without a role name one role (or none).
 */
static int default_role(void *arg)
{
        const char *want = arg;
        roled_client *c;
        T_AUTO(roled_identity) id = NULL;
        T_AUTO(roled_role_list) list = NULL;
        T_AUTO(roled_credentials) cr = NULL;
        const char *marked = "";
        roled_status st;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_whoami(c, &id), ==, ROLED_OK);
        CHECK_INT(t_list_roles(c, &list), ==, ROLED_OK);
        for (size_t i = 0; i < roled_role_list_count(list); i++)
                if (roled_role_list_is_default(list, i))
                        marked = roled_role_list_name(list, i);
        st = t_get_credentials(c, NULL, &cr);
        CHECK_MSG(strcmp(roled_identity_default_role(id), want) == 0,
                  "uid %u: GetCallerIdentity's default is '%s', want '%s'", (unsigned)getuid(),
                  roled_identity_default_role(id), want);
        CHECK_MSG(strcmp(marked, want) == 0, "uid %u: ListRoles marks '%s', want '%s'",
                  (unsigned)getuid(), marked, want);
        if (want[0]) {
                CHECK_MSG(st == ROLED_OK, "uid %u: GetCredentials of the default: %s",
                          (unsigned)getuid(), t_last_error());
                CHECK_STREQ(roled_credentials_role(cr), want);
        } else {
                CHECK_INT(st, ==, ROLED_E_ACCESS_DENIED);
        }
        roled_client_close(c);
        return 0;
}

static void test_default_role(void)
{
        /* carol matches json-narrow's [default] too, but its trust_policy refuses her. */
        CHECK_INT(run_as(UID_CAROL, default_role, "json-only"), ==, 0);
        CHECK_INT(run_as(UID_ALICE, default_role, "json-narrow"), ==, 0);
        CHECK_INT(run_as(UID_BOB, default_role, ""), ==, 0);
}

static void resolve(const char *path, char *out)
{
        CHECK_MSG(realpath(path, out) != NULL, "realpath %s", path);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        resolve("/proc/self/exe", self_exe);
        resolve(test_rolectl(), rolectl_exe);

        cfg = config_new(NULL);
        config_put(cfg, "roles.d/allow.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/only-carol.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": \"uid:%d\"}}]}",
                   UID_CAROL);
        config_put(
                cfg, "roles.d/not-carol.json",
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": \"*\"}, \"Condition\": "
                "{\"StringNotEquals\": {\"aws:username\": \"roledcarol\"}}}]}");
        config_put(
                cfg, "roles.d/rolectl-only.json",
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": \"*\"}, \"Condition\": "
                "{\"StringEquals\": {\"roled:exe\": \"%s\"}}}]}",
                rolectl_exe);
        config_put(
                cfg, "roles.d/10-by-user.ini",
                "[role]\nname = by-user\npermissions = allow.json\n[trust]\nusers = roledalice\n");
        config_put(
                cfg, "roles.d/11-by-group.ini",
                "[role]\nname = by-group\npermissions = allow.json\n[trust]\ngroups = roledops\n");
        config_put(cfg, "roles.d/12-by-uids.ini",
                   "[role]\nname = by-uids\npermissions = allow.json\n[trust]\nuids = 2102-2103\n");
        config_put(cfg, "roles.d/13-exe-test.ini",
                   "[role]\nname = exe-test\npermissions = allow.json\n[trust]\nusers = roledalice "
                   "roledbob\n"
                   "exe = %s\n",
                   self_exe);
        config_put(cfg, "roles.d/14-exe-rolectl.ini",
                   "[role]\nname = exe-rolectl\npermissions = allow.json\n[trust]\nusers = "
                   "roledbob\nexe = %s\n",
                   rolectl_exe);
        config_put(cfg, "roles.d/15-by-unit.ini",
                   "[role]\nname = by-unit\npermissions = allow.json\n[trust]\nusers = roledalice\n"
                   "units = demo.service\n");
        config_put(cfg, "roles.d/16-json-only.ini",
                   "[role]\nname = json-only\npermissions = allow.json\ntrust_policy = "
                   "only-carol.json\n"
                   "[default]\nusers = roledcarol\n");
        config_put(cfg, "roles.d/17-json-narrow.ini",
                   "[role]\nname = json-narrow\npermissions = allow.json\ntrust_policy = "
                   "not-carol.json\n"
                   "[trust]\ngroups = roledops\n[default]\ngroups = roledops\n");
        config_put(cfg, "roles.d/18-json-exe.ini",
                   "[role]\nname = json-exe\npermissions = allow.json\ntrust_policy = "
                   "rolectl-only.json\n");
        agent_spawn(cfg, &agent);

        test_rows();
        test_same_reason();
        test_default_role();
        agent_stop(&agent);
        return 0;
}
