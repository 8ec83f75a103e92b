/* SPDX-License-Identifier: MIT */
/*
 * test-namecache.c - user and group names kept briefly (agent/namecache.c):
 * a miss until learnt, then the same names identity.c would set (resolved
 * or the decimal number), expiry after NAMECACHE_TTL_MS, clear on reload,
 * and a caller with many groups (probe windows, so its own groups never
 * evict each other) mixed with many other ids.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "namecache.h"

/* An identity as identity_attest() leaves it: ids and groups, no names yet. */
static void make(Identity *id, uint32_t uid, uint32_t gid, size_t n_gids, uint32_t first_gid)
{
        *id = (Identity)IDENTITY_INIT;
        id->uid = uid;
        id->gid = gid;
        id->n_gids = n_gids;
        id->gids = calloc(n_gids ? n_gids : 1, sizeof(*id->gids));
        id->gid_names = calloc(n_gids ? n_gids : 1, sizeof(*id->gid_names));
        assert_non_null(id->gids);
        assert_non_null(id->gid_names);
        for (size_t i = 0; i < n_gids; i++)
                id->gids[i] = first_gid + (uint32_t)i;
}

/* Names as NSS would have given them: "u<uid>", "g<gid>", none for odd supplementary gids. */
static void resolve(Identity *id)
{
        snprintf(id->user, sizeof(id->user), "u%u", (unsigned)id->uid);
        id->has_user_name = true;
        snprintf(id->group, sizeof(id->group), "g%u", (unsigned)id->gid);
        id->has_group_name = true;
        for (size_t i = 0; i < id->n_gids; i++) {
                char name[32];

                if (id->gids[i] % 2)
                        continue;
                snprintf(name, sizeof(name), "g%u", (unsigned)id->gids[i]);
                id->gid_names[i] = strdup(name);
                assert_non_null(id->gid_names[i]);
        }
}

static void check_names(const Identity *id)
{
        char want[32];

        snprintf(want, sizeof(want), "u%u", (unsigned)id->uid);
        assert_string_equal(id->user, want);
        assert_true(id->has_user_name);
        snprintf(want, sizeof(want), "g%u", (unsigned)id->gid);
        assert_string_equal(id->group, want);
        for (size_t i = 0; i < id->n_gids; i++) {
                if (id->gids[i] % 2) {
                        assert_null(id->gid_names[i]);
                        continue;
                }
                snprintf(want, sizeof(want), "g%u", (unsigned)id->gids[i]);
                assert_non_null(id->gid_names[i]);
                assert_string_equal(id->gid_names[i], want);
        }
}

static void test_learn_fill_expire(void **state)
{
        NameCache *c = NULL;
        Identity learnt, id;
        uint64_t t0 = 5000;

        (void)state;
        assert_int_equal(namecache_new(&c), 0);
        make(&id, 1000, 1000, 3, 100);
        assert_int_equal(namecache_fill(c, &id, t0), NAMECACHE_E_MISS);
        assert_string_equal(id.user, "");
        identity_deinit(&id);

        make(&learnt, 1000, 1000, 3, 100);
        resolve(&learnt);
        namecache_learn(c, &learnt, t0);
        identity_deinit(&learnt);

        make(&id, 1000, 1000, 3, 100);
        assert_int_equal(namecache_fill(c, &id, t0 + NAMECACHE_TTL_MS - 1), 0);
        check_names(&id);
        identity_deinit(&id);

        /* Another group list needs its own lookups. */
        make(&id, 1000, 1000, 4, 100);
        assert_int_equal(namecache_fill(c, &id, t0 + 1), NAMECACHE_E_MISS);
        identity_deinit(&id);

        /* Too old, or a clock that went back: looked up again. */
        make(&id, 1000, 1000, 3, 100);
        assert_int_equal(namecache_fill(c, &id, t0 + NAMECACHE_TTL_MS), NAMECACHE_E_MISS);
        assert_int_equal(namecache_fill(c, &id, t0 - 1), NAMECACHE_E_MISS);
        identity_deinit(&id);

        /* A reload forgets everything. */
        make(&learnt, 1000, 1000, 3, 100);
        resolve(&learnt);
        namecache_learn(c, &learnt, t0);
        identity_deinit(&learnt);
        namecache_clear(c);
        make(&id, 1000, 1000, 3, 100);
        assert_int_equal(namecache_fill(c, &id, t0 + 1), NAMECACHE_E_MISS);
        identity_deinit(&id);
        c = namecache_free(c);
        assert_null(c);
}

static void test_unresolved(void **state)
{
        NameCache *c = NULL;
        Identity learnt, id;

        (void)state;
        assert_int_equal(namecache_new(&c), 0);
        /* NSS knew neither name: the numbers, and has_*_name false, exactly as identity.c sets
         * them. */
        make(&learnt, 4242, 4343, 0, 0);
        snprintf(learnt.user, sizeof(learnt.user), "4242");
        snprintf(learnt.group, sizeof(learnt.group), "4343");
        namecache_learn(c, &learnt, 1);
        identity_deinit(&learnt);
        make(&id, 4242, 4343, 0, 0);
        id.has_user_name = id.has_group_name = true;
        assert_int_equal(namecache_fill(c, &id, 2), 0);
        assert_string_equal(id.user, "4242");
        assert_false(id.has_user_name);
        assert_string_equal(id.group, "4343");
        assert_false(id.has_group_name);
        identity_deinit(&id);
        namecache_free(c);
}

static void test_many(void **state)
{
        NameCache *c = NULL;
        Identity learnt, id;

        (void)state;
        assert_int_equal(namecache_new(&c), 0);
        /* One caller with 200 groups: all of them stay, however they hash. */
        make(&learnt, 1000, 1000, 200, 5000);
        resolve(&learnt);
        namecache_learn(c, &learnt, 10);
        identity_deinit(&learnt);
        make(&id, 1000, 1000, 200, 5000);
        assert_int_equal(namecache_fill(c, &id, 11), 0);
        check_names(&id);
        identity_deinit(&id);

        /* 2,000 other uids pass by: the table stays bounded, the latest callers hit. */
        for (uint32_t uid = 20000; uid < 22000; uid++) {
                make(&learnt, uid, uid, 0, 0);
                resolve(&learnt);
                namecache_learn(c, &learnt, 20);
                identity_deinit(&learnt);
        }
        make(&id, 21999, 21999, 0, 0);
        assert_int_equal(namecache_fill(c, &id, 21), 0);
        check_names(&id);
        identity_deinit(&id);
        namecache_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_learn_fill_expire),
                cmocka_unit_test(test_unresolved),
                cmocka_unit_test(test_many),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
