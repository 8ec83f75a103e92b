/* SPDX-License-Identifier: MIT */
/*
 * test-uidcount.c - per-uid counters (agent/uidcount.c): the limit, entries
 * dropped at zero and reused, many uids at once, and random adds and drops
 * checked against a plain array (which exercises removal inside probe runs).
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

/* 200,000 random operations on uids that collide in the table, against a reference. */
static void test_random(void **state)
{
        enum { UIDS = 4096, OPS = 200000 };
        static size_t ref[UIDS];
        UidCount u = UIDCOUNT_INIT;
        uint64_t x = 0x2545F4914F6CDD1DULL;
        size_t live = 0;

        (void)state;
        for (int op = 0; op < OPS; op++) {
                uint32_t idx, uid;
                size_t n;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                idx = (uint32_t)(x % UIDS);
                /* Multiples of 4096 and neighbours: long probe runs and wrap-around. */
                uid = idx % 2 ? idx * 4096u : 0xFFFFFFFFu - idx;
                n = (size_t)(x >> 40) % 4 + 1;
                if ((x >> 32) % 3) {
                        assert_int_equal(uidcount_add(&u, uid, n, SIZE_MAX), 0);
                        live += ref[idx] == 0;
                        ref[idx] += n;
                } else {
                        uidcount_drop(&u, uid, n);
                        if (ref[idx] != 0) {
                                ref[idx] -= n < ref[idx] ? n : ref[idx];
                                live -= ref[idx] == 0;
                        }
                }
                if (op % 1000 == 0)
                        for (uint32_t i = 0; i < UIDS; i++)
                                assert_int_equal(
                                        uidcount_get(&u, i % 2 ? i * 4096u : 0xFFFFFFFFu - i),
                                        ref[i]);
                assert_int_equal(u.n_entries, live);
        }
        for (uint32_t i = 0; i < UIDS; i++)
                assert_int_equal(uidcount_get(&u, i % 2 ? i * 4096u : 0xFFFFFFFFu - i), ref[i]);
        uidcount_deinit(&u);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_limit),
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_random),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
