/* SPDX-License-Identifier: MIT */
/*
 * test-trust.c - trust decisions, table-driven: every selector kind, OR
 * between principals, AND between constraints, id ranges, supplementary
 * groups, chained roles, denial reasons, and default-role selection in
 * config order, exe rules by file identity and namespace.  Roles and
 * identities are built in memory; exe rules stat() real files.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "trust.h"
#include "util.h"

static char *alice_bob[] = { "alice", "bob" };
static char *wheel[] = { "wheel" };
static char *deployer[] = { "Deployer" };
/* Exe rules name real files: they are matched by device and inode. */
static char *python[] = { "/usr/bin/env" };
static char *units_sys[] = { "deploy.service" };
static char *units_user[] = { "user:deploy.service" };
static IdRange r1000[] = { { 1000, 1999 } };
static IdRange g50[] = { { 50, 50 } };
static uint8_t hash_a[][32] = { { 0xaa, 1, 2, 3 } };

/* The process shows @path, and runs the file at @file (a bind mount elsewhere may make them
 * differ). */
static void set_exe(Identity *id, const char *path, const char *file)
{
        struct stat st;

        assert_int_equal(stat(file, &st), 0);
        strcpy(id->exe, path);
        exehash_key_from_stat(&st, &id->exe_key);
        id->has_exe_key = true;
        id->is_exe_path_verified = streq(path, file);
}

/* An identity: uid 1500 (carol), gid 100 (users), groups 100 and 50 (staff), python3 in
 * deploy.service. */
static Identity make_id(void)
{
        static gid_t gids[] = { 100, 50 };
        static char *gid_names[] = { "users", "staff" };
        Identity id = IDENTITY_INIT;

        id.pid = 4242;
        id.uid = 1500;
        id.gid = 100;
        id.gids = gids;
        id.gid_names = gid_names;
        id.n_gids = 2;
        id.has_user_name = true;
        id.has_group_name = true;
        strcpy(id.user, "carol");
        strcpy(id.group, "users");
        set_exe(&id, "/usr/bin/env", "/usr/bin/env");
        strcpy(id.unit, "deploy.service");
        return id;
}

typedef enum Mut {
        M_NONE,
        M_UID_2000,    /* uid out of 1000-1999 */
        M_USER_ALICE,  /* user name alice, uid 3000 */
        M_NO_NAMES,    /* names unresolved (numeric fallback "alice") */
        M_NO_STAFF,    /* no supplementary group 50/staff */
        M_GROUP_WHEEL, /* supplementary group 10 named wheel */
        M_EXE_PERL,
        M_EXE_SPOOFED, /* shows the rule's path, runs another file */
        M_FOREIGN_NS,  /* in another user namespace */
        M_EXE_DELETED,
        M_HASH_A,
        M_HASH_B,
        M_USER_UNIT,
        M_NO_UNIT,
} Mut;

static void mutate(Identity *id, Mut m)
{
        static gid_t wheel_gids[] = { 100, 10 };
        static char *wheel_names[] = { "users", "wheel" };

        switch (m) {
        case M_NONE:
                break;
        case M_UID_2000:
                id->uid = 2000;
                break;
        case M_USER_ALICE:
                id->uid = 3000;
                strcpy(id->user, "alice");
                break;
        case M_NO_NAMES:
                id->uid = 3000;
                strcpy(id->user, "alice");
                id->has_user_name = false;
                break;
        case M_NO_STAFF:
                id->n_gids = 1;
                break;
        case M_GROUP_WHEEL:
                id->gids = wheel_gids;
                id->gid_names = wheel_names;
                break;
        case M_EXE_PERL:
                set_exe(id, "/usr/bin/true", "/usr/bin/true");
                break;
        case M_EXE_SPOOFED:
                set_exe(id, "/usr/bin/env", "/usr/bin/true");
                break;
        case M_FOREIGN_NS:
                id->is_foreign_ns = true;
                break;
        case M_EXE_DELETED:
                id->is_exe_deleted = true;
                break;
        case M_HASH_A:
                id->has_exe_sha256 = true;
                memcpy(id->exe_sha256, hash_a[0], 32);
                break;
        case M_HASH_B:
                id->has_exe_sha256 = true;
                memset(id->exe_sha256, 0xbb, 32);
                break;
        case M_USER_UNIT:
                id->is_user_unit = true;
                break;
        case M_NO_UNIT:
                id->unit[0] = '\0';
                break;
        }
}

typedef struct Case {
        const char *what;
        TrustRules rules;
        Mut mut;
        const char *chained;
        int expect;
        const char *why; /* substring of the reason on denial */
} Case;

#define USERS(a) .users = a, .n_users = ELEMENTSOF(a)
#define GROUPS(a) .groups = a, .n_groups = ELEMENTSOF(a)
#define UIDS(a) .uids = a, .n_uids = ELEMENTSOF(a)
#define GIDS(a) .gids = a, .n_gids = ELEMENTSOF(a)
#define ROLES(a) .roles = a, .n_roles = ELEMENTSOF(a)
#define EXES(a) .exes = a, .n_exes = ELEMENTSOF(a)
#define HASHES(a) .exe_sha256 = a, .n_exe_sha256 = ELEMENTSOF(a)
#define UNITS(a) .units = a, .n_units = ELEMENTSOF(a)

static const Case cases[] = {
        { "empty trusts nobody",
          { 0 },
          M_NONE,
          NULL,
          TRUST_E_DENIED,
          "uid 1500 (carol) is not a trusted principal" },
        { "constraints alone trust nobody",
          { EXES(python) },
          M_NONE,
          NULL,
          TRUST_E_DENIED,
          "not a trusted principal" },
        { "any user", { .is_any_user = true }, M_NONE, NULL, 0, NULL },
        { "user name", { USERS(alice_bob) }, M_USER_ALICE, NULL, 0, NULL },
        { "user name no match", { USERS(alice_bob) }, M_NONE, NULL, TRUST_E_DENIED, "carol" },
        { "unresolved name never matches",
          { USERS(alice_bob) },
          M_NO_NAMES,
          NULL,
          TRUST_E_DENIED,
          "uid 3000" },
        { "uid range", { UIDS(r1000) }, M_NONE, NULL, 0, NULL },
        { "uid range upper bound", { UIDS(r1000) }, M_UID_2000, NULL, TRUST_E_DENIED, "uid 2000" },
        { "gid supplementary", { GIDS(g50) }, M_NONE, NULL, 0, NULL },
        { "gid supplementary absent",
          { GIDS(g50) },
          M_NO_STAFF,
          NULL,
          TRUST_E_DENIED,
          "principal" },
        { "group name supplementary", { GROUPS(wheel) }, M_GROUP_WHEEL, NULL, 0, NULL },
        { "group name absent", { GROUPS(wheel) }, M_NONE, NULL, TRUST_E_DENIED, "principal" },
        { "OR: second principal", { USERS(alice_bob), GIDS(g50) }, M_NONE, NULL, 0, NULL },
        { "OR: none",
          { USERS(alice_bob), GIDS(g50) },
          M_NO_STAFF,
          NULL,
          TRUST_E_DENIED,
          "principal" },
        { "chained role", { ROLES(deployer) }, M_NONE, "deployer", 0, NULL },
        { "roles need chaining", { ROLES(deployer) }, M_NONE, NULL, TRUST_E_DENIED, "principal" },
        { "other chained role",
          { ROLES(deployer) },
          M_NONE,
          "backup",
          TRUST_E_DENIED,
          "holding role backup" },
        { "exe allowed", { UIDS(r1000), EXES(python) }, M_NONE, NULL, 0, NULL },
        { "exe denied",
          { UIDS(r1000), EXES(python) },
          M_EXE_PERL,
          NULL,
          TRUST_E_DENIED,
          "role test: executable /usr/bin/true is not allowed" },
        { "exe by identity, not path",
          { UIDS(r1000), EXES(python) },
          M_EXE_SPOOFED,
          NULL,
          TRUST_E_DENIED,
          "executable /usr/bin/env is not allowed" },
        { "exe in a foreign namespace",
          { UIDS(r1000), EXES(python) },
          M_FOREIGN_NS,
          NULL,
          TRUST_E_DENIED,
          "exe_foreign_namespaces = true" },
        { "hash in a foreign namespace",
          { UIDS(r1000), HASHES(hash_a) },
          M_FOREIGN_NS,
          NULL,
          TRUST_E_DENIED,
          "another user namespace" },
        { "foreign namespace allowed",
          { UIDS(r1000), EXES(python), .is_exe_foreign_ns_allowed = true },
          M_FOREIGN_NS,
          NULL,
          0,
          NULL },
        { "exe deleted",
          { UIDS(r1000), EXES(python) },
          M_EXE_DELETED,
          NULL,
          TRUST_E_DENIED,
          "(deleted)" },
        { "hash unavailable",
          { UIDS(r1000), HASHES(hash_a) },
          M_NONE,
          NULL,
          TRUST_E_DENIED,
          "role test: executable hash unavailable" },
        { "hash match", { UIDS(r1000), HASHES(hash_a) }, M_HASH_A, NULL, 0, NULL },
        { "hash mismatch",
          { UIDS(r1000), HASHES(hash_a) },
          M_HASH_B,
          NULL,
          TRUST_E_DENIED,
          "sha256 bbbbbbbb" },
        { "system unit", { UIDS(r1000), UNITS(units_sys) }, M_NONE, NULL, 0, NULL },
        { "user unit is not the system unit",
          { UIDS(r1000), UNITS(units_sys) },
          M_USER_UNIT,
          NULL,
          TRUST_E_DENIED,
          "unit user:deploy.service is not allowed" },
        { "user unit", { UIDS(r1000), UNITS(units_user) }, M_USER_UNIT, NULL, 0, NULL },
        { "system unit is not the user unit",
          { UIDS(r1000), UNITS(units_user) },
          M_NONE,
          NULL,
          TRUST_E_DENIED,
          "unit deploy.service" },
        { "no unit",
          { UIDS(r1000), UNITS(units_sys) },
          M_NO_UNIT,
          NULL,
          TRUST_E_DENIED,
          "not in a systemd unit" },
        { "AND: all constraints",
          { UIDS(r1000), EXES(python), UNITS(units_sys), HASHES(hash_a) },
          M_HASH_A,
          NULL,
          0,
          NULL },
        { "AND: one constraint fails",
          { UIDS(r1000), EXES(python), UNITS(units_sys) },
          M_NO_UNIT,
          NULL,
          TRUST_E_DENIED,
          "not in a systemd unit" },
        { "AND: another constraint fails",
          { UIDS(r1000), EXES(python), UNITS(units_sys) },
          M_EXE_PERL,
          NULL,
          TRUST_E_DENIED,
          "executable /usr/bin/true" },
};

static void test_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Role role = { .name = "test", .trust = cases[i].rules };
                Identity id = make_id();
                char why[TRUST_WHY_MAX] = "";
                int r;

                if (role.trust.n_exes)
                        assert_int_equal(exerule_new(&role.trust.exe_rules, role.trust.exes,
                                                     role.trust.n_exes),
                                         0);

                mutate(&id, cases[i].mut);
                r = trust_rules_match(&role, &role.trust, &id, cases[i].chained, why, sizeof(why));
                if (r != cases[i].expect)
                        fail_msg("case '%s': got %d (%s)", cases[i].what, r, why);
                if (r != 0) {
                        if (strncmp(why, "role test: ", 11) != 0 || !strstr(why, cases[i].why))
                                fail_msg("case '%s': reason '%s'", cases[i].what, why);
                }
                /* A NULL reason buffer is fine and changes nothing. */
                assert_int_equal(
                        trust_rules_match(&role, &role.trust, &id, cases[i].chained, NULL, 0), r);
                role.trust.exe_rules = exerule_free(role.trust.exe_rules);
        }
}

static void test_reason_truncated(void **state)
{
        Role role = { .name = "a-rather-long-role-name" };
        Identity id = make_id();
        char why[16];

        (void)state;
        assert_int_equal(trust_rules_match(&role, &role.trust, &id, NULL, why, sizeof(why)),
                         TRUST_E_DENIED);
        assert_int_equal(strlen(why), sizeof(why) - 1);
        assert_int_equal(trust_rules_match(&role, &role.trust, &id, NULL, why, 1), TRUST_E_DENIED);
        assert_string_equal(why, "");
}

/* trust_default_role() over @config with its documents compiled, as the agent does. */
static int default_of(const Config *config, const Identity *id, const Role **rolep)
{
        AccessPolicies *aps = NULL;
        char why[256];
        int r;

        assert_int_equal(access_compile(config, &aps, why, sizeof(why)), 0);
        r = trust_default_role(&(TrustScope){ .config = config, .access = aps, .now = 1700000000 },
                               id, rolep);
        access_policies_free(aps);
        return r;
}

static void test_default_role(void **state)
{
        static IdRange other[] = { { 5000, 5000 } };
        Role roles[4] = {
                /* default for carol, but carol is not trusted: skipped */
                { .name = "untrusted", .defaults = { UIDS(r1000) }, .trust = { UIDS(other) } },
                /* trusted, not a default */
                { .name = "plain", .trust = { UIDS(r1000) } },
                /* the first real match */
                { .name = "web",
                  .defaults = { UIDS(r1000), UNITS(units_sys) },
                  .trust = { UIDS(r1000) } },
                /* also matches, but later in config order */
                { .name = "later",
                  .defaults = { .is_any_user = true },
                  .trust = { .is_any_user = true } },
        };
        Config config = { .roles = roles, .n_roles = ELEMENTSOF(roles) };
        Identity id = make_id();
        const Role *def = NULL;

        (void)state;
        /* roles[0]'s [default] matches, but its [trust] does not: not a default. */
        assert_int_equal(trust_rules_match(&roles[0], &roles[0].defaults, &id, NULL, NULL, 0), 0);
        assert_int_equal(default_of(&config, &id, &def), 0);
        assert_ptr_equal(def, &roles[2]);

        /* Not in the unit any more: falls through to the next role. */
        mutate(&id, M_NO_UNIT);
        assert_int_equal(default_of(&config, &id, &def), 0);
        assert_ptr_equal(def, &roles[3]);

        config.n_roles = 3;
        assert_int_equal(default_of(&config, &id, &def), 0);
        assert_null(def);

        /* [default] never matches through chaining. */
        roles[1].defaults = (TrustRules){ ROLES(deployer) };
        roles[1].trust = (TrustRules){ ROLES(deployer) };
        config.roles = &roles[1];
        config.n_roles = 1;
        assert_int_equal(default_of(&config, &id, &def), 0);
        assert_null(def);
}

static void test_needs_hash(void **state)
{
        static IdRange other[] = { { 5000, 5000 } };
        Role roles[2] = {
                { .name = "a", .trust = { UIDS(r1000) } },
                { .name = "b", .defaults = { UIDS(r1000), HASHES(hash_a) } },
        };
        Role hashed = { .name = "h", .trust = { UIDS(r1000), HASHES(hash_a) } };
        Role elsewhere = { .name = "e", .trust = { UIDS(other), HASHES(hash_a) } };
        Identity id = make_id();

        (void)state;
        assert_false(trust_needs_exe_hash(&roles[0]));
        assert_true(trust_needs_exe_hash(&roles[1]));

        /* Without an open executable nothing waits: the rule denies at once. */
        assert_int_equal(trust_rules_match(&hashed, &hashed.trust, &id, NULL, NULL, 0),
                         TRUST_E_DENIED);
        /* With one, a rule that gets as far as the hash asks for it; one whose principals fail does
         * not. */
        id.exe_fd = 0;
        assert_true(trust_can_hash(&id));
        assert_int_equal(trust_rules_match(&hashed, &hashed.trust, &id, NULL, NULL, 0),
                         TRUST_E_NEEDS_HASH);
        assert_int_equal(trust_rules_match(&elsewhere, &elsewhere.trust, &id, NULL, NULL, 0),
                         TRUST_E_DENIED);
        /* Once hashed (or refused a hash), the rule decides. */
        memcpy(id.exe_sha256, hash_a[0], sizeof(id.exe_sha256));
        id.has_exe_sha256 = true;
        assert_false(trust_can_hash(&id));
        assert_int_equal(trust_rules_match(&hashed, &hashed.trust, &id, NULL, NULL, 0), 0);
        id.has_exe_sha256 = false;
        id.exe_hash_missing = "larger than exe_hash_max_size";
        assert_false(trust_can_hash(&id));
        assert_int_equal(trust_rules_match(&hashed, &hashed.trust, &id, NULL, NULL, 0),
                         TRUST_E_DENIED);
}

/*
 * Which roles' answers rest on the executable (and so whose sessions name it): exe and
 * exe_sha256 rules, and claim_exe = true without any rule; not a role with neither.
 */
static void test_rests_on_exe(void **state)
{
        Role roles[4] = {
                { .name = "plain", .trust = { UIDS(r1000) } },
                { .name = "claimed", .trust = { UIDS(r1000) }, .is_exe_claimed = true },
                { .name = "hash", .trust = { UIDS(r1000), HASHES(hash_a) } },
                { .name = "exe", .defaults = { UIDS(r1000), EXES(python) } },
        };
        Config config = { .roles = roles, .n_roles = 4 };
        AccessPolicies aps = { 0 };
        TrustScope ts = { .config = &config, .access = &aps };

        (void)state;
        assert_false(trust_rests_on_exe(&ts, &roles[0]));
        assert_true(trust_rests_on_exe(&ts, &roles[1]));
        assert_true(trust_rests_on_exe(&ts, &roles[2]));
        assert_true(trust_rests_on_exe(&ts, &roles[3]));
        /* Why, as GetRole's exeClaimCauses names it. */
        assert_int_equal(trust_exe_claim_causes(&ts, &roles[0]), 0);
        assert_int_equal(trust_exe_claim_causes(&ts, &roles[1]), TRUST_EXE_BY_CLAIM_EXE);
        assert_int_equal(trust_exe_claim_causes(&ts, &roles[2]), TRUST_EXE_BY_EXE_SHA256);
        assert_int_equal(trust_exe_claim_causes(&ts, &roles[3]), TRUST_EXE_BY_EXE);
        assert_string_equal(trust_exe_cause_name(TRUST_EXE_BY_EXE), "exe");
        assert_string_equal(trust_exe_cause_name(TRUST_EXE_BY_EXE_SHA256), "exe_sha256");
        assert_string_equal(trust_exe_cause_name(TRUST_EXE_BY_TRUST_POLICY), "trust_policy");
        assert_string_equal(trust_exe_cause_name(TRUST_EXE_BY_PERMISSIONS), "permissions");
        assert_string_equal(trust_exe_cause_name(TRUST_EXE_BY_CLAIM_EXE), "claim_exe");
        assert_null(trust_exe_cause_name(1u << TRUST_EXE_BY_COUNT));
        assert_null(trust_exe_cause_name(TRUST_EXE_BY_EXE | TRUST_EXE_BY_CLAIM_EXE));
        assert_true(trust_config_rests_on_exe(&config, &aps));
        config.n_roles = 1;
        assert_false(trust_config_rests_on_exe(&config, &aps));
}

/*
 * Which configurations make attestation read the cgroup: a units rule in [trust] or
 * [default], or an aws role (its sessions' roled:unit tag); not plain local roles.
 */
static void test_config_reads_unit(void **state)
{
        char *unit_names[1] = { "demo.service" };
        Role roles[4] = {
                { .name = "plain", .trust = { UIDS(r1000) } },
                { .name = "aws", .trust = { UIDS(r1000) }, .issuer = ROLE_ISSUER_AWS },
                { .name = "unit", .trust = { UIDS(r1000), .units = unit_names, .n_units = 1 } },
                { .name = "default-unit",
                  .trust = { UIDS(r1000) },
                  .defaults = { UIDS(r1000), .units = unit_names, .n_units = 1 } },
        };
        Config config = { .roles = roles, .n_roles = 1 };
        AccessPolicies aps = { 0 };

        (void)state;
        assert_false(trust_config_reads_unit(&config, &aps));
        for (size_t i = 1; i < 4; i++) {
                config.roles = &roles[i];
                assert_true(trust_config_reads_unit(&config, &aps));
        }
}

/* A rule's file replaced on disk (a package upgrade renames the new file over it): the new file
 * matches. */
static void test_exe_replaced(void **state)
{
        char dir[] = "/tmp/roled-test-trust-XXXXXX", path[64], tmp[64];
        char *paths[1] = { path };
        TrustRules t = { UIDS(r1000), .exes = paths, .n_exes = 1 };
        Role role = { .name = "test" };
        Identity id = make_id();
        FILE *f;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/prog", dir);
        snprintf(tmp, sizeof(tmp), "%s/prog.new", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(exerule_new(&t.exe_rules, t.exes, t.n_exes), 0);
        role.trust = t;
        set_exe(&id, path, path);
        assert_int_equal(trust_rules_match(&role, &role.trust, &id, NULL, NULL, 0), 0);

        f = fopen(tmp, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(rename(tmp, path), 0);
        set_exe(&id, path, path);
        assert_int_equal(trust_rules_match(&role, &role.trust, &id, NULL, NULL, 0), 0);

        /* The old file is not what the path names any more. */
        f = fopen(tmp, "w");
        assert_non_null(f);
        fclose(f);
        set_exe(&id, path, tmp);
        assert_int_equal(trust_rules_match(&role, &role.trust, &id, NULL, NULL, 0), TRUST_E_DENIED);
        exerule_free(t.exe_rules);
        unlink(tmp);
        unlink(path);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_exe_replaced),
                cmocka_unit_test(test_reason_truncated),
                cmocka_unit_test(test_default_role),
                cmocka_unit_test(test_needs_hash),
                cmocka_unit_test(test_rests_on_exe),
                cmocka_unit_test(test_config_reads_unit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
