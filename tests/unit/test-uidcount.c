/* SPDX-License-Identifier: MIT */
/*
 * test-uidcount.c - per-uid counters (agent/uidcount.c): the limit, entries
 * dropped at zero and reused, many uids at once.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "uidcount.h"

static void test_limit(void **state)
{
        UidCount u = UIDCOUNT_INIT;

        (void)state;
        assert_int_equal(uidcount_get(&u, 1000), 0);
        assert_int_equal(uidcount_add(&u, 1000, 1, 2), 0);
        assert_int_equal(uidcount_add(&u, 1000, 1, 2), 0);
        assert_int_equal(uidcount_add(&u, 1000, 1, 2), UIDCOUNT_E_LIMIT);
        assert_int_equal(uidcount_get(&u, 1000), 2);
        /* Another uid has its own count. */
        assert_int_equal(uidcount_add(&u, 1001, 1, 2), 0);
        assert_int_equal(uidcount_get(&u, 1001), 1);
        uidcount_drop(&u, 1000, 1);
        assert_int_equal(uidcount_add(&u, 1000, 1, 2), 0);
        assert_int_equal(uidcount_add(&u, 0, 1, 0), UIDCOUNT_E_LIMIT);
        assert_int_equal(uidcount_get(&u, 0), 0);
        /* Amounts: bytes against a budget, never below zero. */
        assert_int_equal(uidcount_add(&u, 7, 600, 1000), 0);
        assert_int_equal(uidcount_add(&u, 7, 401, 1000), UIDCOUNT_E_LIMIT);
        assert_int_equal(uidcount_add(&u, 7, 400, 1000), 0);
        assert_int_equal(uidcount_add(&u, 7, SIZE_MAX, SIZE_MAX), UIDCOUNT_E_LIMIT);
        uidcount_drop(&u, 7, 300);
        assert_int_equal(uidcount_get(&u, 7), 700);
        uidcount_drop(&u, 7, 5000);
        assert_int_equal(uidcount_get(&u, 7), 0);
        assert_int_equal(uidcount_add(&u, 8, 0, 0), 0);
        assert_int_equal(uidcount_get(&u, 8), 0);
        uidcount_deinit(&u);
        uidcount_deinit(&u);
}

static void test_many(void **state)
{
        UidCount u = UIDCOUNT_INIT;

        (void)state;
        for (uint32_t uid = 0; uid < 1000; uid++)
                for (uint32_t i = 0; i <= uid % 3; i++)
                        assert_int_equal(uidcount_add(&u, uid, 1, SIZE_MAX), 0);
        assert_int_equal(u.n_entries, 1000);
        for (uint32_t uid = 0; uid < 1000; uid++)
                assert_int_equal(uidcount_get(&u, uid), uid % 3 + 1);
        /* Dropping to zero removes the entry; the others keep their counts. */
        for (uint32_t uid = 0; uid < 1000; uid += 2)
                for (uint32_t i = 0; i <= uid % 3; i++)
                        uidcount_drop(&u, uid, 1);
        assert_int_equal(u.n_entries, 500);
        for (uint32_t uid = 0; uid < 1000; uid++)
                assert_int_equal(uidcount_get(&u, uid), uid % 2 ? uid % 3 + 1 : 0);
        uidcount_deinit(&u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_many),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
