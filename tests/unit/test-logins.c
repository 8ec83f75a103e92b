/* SPDX-License-Identifier: MIT */
/*
 * test-logins - the open-login registry: ids, login groups (the group's
 * start survives the close of its first login), unknown ids, the per-uid bound.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logins.h"

static void test_groups(void **state)
{
        Logins *l = NULL;
        char a[LOGINS_ID_LEN + 1], b[LOGINS_ID_LEN + 1], c[LOGINS_ID_LEN + 1];
        int64_t start = 0;
        uint32_t uid = 0;
        size_t left = 99;

        (void)state;
        assert_int_equal(logins_new(&l), 0);
        assert_int_equal(logins_open(l, 1000, 100, a, &start), 0);
        assert_int_equal(start, 100);
        assert_int_equal(strlen(a), LOGINS_ID_LEN);
        assert_int_equal(logins_open(l, 1000, 200, b, &start), 0);
        assert_int_equal(start, 100); /* joins the group */
        assert_int_equal(logins_open(l, 2000, 300, c, &start), 0);
        assert_int_equal(start, 300);
        assert_string_not_equal(a, b);
        assert_int_equal(logins_count_uid(l, 1000), 2);

        assert_int_equal(logins_close(l, a, strlen(a), &uid, &left, &start), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(left, 1);
        assert_int_equal(logins_close(l, a, strlen(a), &uid, &left, &start), LOGINS_E_UNKNOWN);
        assert_int_equal(logins_close(l, b, 5, &uid, &left, &start), LOGINS_E_UNKNOWN);
        assert_int_equal(logins_close(l, b, strlen(b), &uid, &left, &start), 0);
        assert_int_equal(left, 0);
        assert_int_equal(start, 100); /* the group started with the first login */
        assert_int_equal(logins_count_uid(l, 2000), 1);
        logins_free(l);
        assert_null(logins_free(NULL));
}

static void test_bound(void **state)
{
        Logins *l = NULL;
        char id[LOGINS_ID_LEN + 1];
        int64_t start;

        (void)state;
        assert_int_equal(logins_new(&l), 0);
        for (int i = 0; i < LOGINS_PER_UID_MAX; i++)
                assert_int_equal(logins_open(l, 7, i, id, &start), 0);
        assert_int_equal(logins_open(l, 7, 0, id, &start), LOGINS_E_UID_FULL);
        assert_int_equal(logins_open(l, 8, 0, id, &start), 0);
        logins_free(l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_groups),
                cmocka_unit_test(test_bound),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
