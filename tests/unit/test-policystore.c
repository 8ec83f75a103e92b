/* SPDX-License-Identifier: MIT */
/*
 * test-policystore.c - the bounded store of session policies
 * (agent/policystore.c): identical policies are kept once, the per-uid and
 * agent-wide byte bounds refuse what would cross them and nothing else, the
 * charge follows the uid whose session keeps a policy alive longest, and
 * expiry gives every byte back.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "policystore.h"

#define T0 1700000000

/* make() - a compiled policy naming bucket @n, and its digest. */
static Policy *make(unsigned n, uint8_t digest[32])
{
        char json[512];
        Policy *p = NULL;
        PolicyError err;
        int len = snprintf(
                json, sizeof(json),
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::bucket-%u/*\"}]}",
                n);

        assert_int_equal(policy_parse(json, (size_t)len, "session policy", &p, &err), 0);
        crypto_hash_sha256(digest, (const uint8_t *)json, (size_t)len);
        return p;
}

/* One policy's charge, measured on an empty store. */
static size_t one_policy_bytes(void)
{
        PolicyStore *s;
        uint8_t d[32];
        size_t n;

        assert_int_equal(policy_store_new(&s, SIZE_MAX, SIZE_MAX), 0);
        assert_int_equal(policy_store_add(s, d, make(0, d), 1000, T0 + 900), 0);
        n = policy_store_bytes(s);
        policy_store_free(s);
        return n;
}

static void test_identical_stored_once(void **state)
{
        PolicyStore *s;
        uint8_t d[32];
        size_t one = one_policy_bytes();

        (void)state;
        assert_int_equal(policy_store_new(&s, SIZE_MAX, one), 0);
        /* A thousand sessions with the same policy: one copy, one charge. */
        for (int i = 0; i < 1000; i++)
                assert_int_equal(policy_store_add(s, d, make(7, d), 1000, T0 + 900 + i), 0);
        assert_int_equal(policy_store_count(s), 1);
        assert_int_equal(policy_store_bytes(s), one);
        assert_int_equal(policy_store_uid_bytes(s, 1000), one);
        assert_non_null(policy_store_get(s, d));
        policy_store_free(s);
}

static void test_uid_bound(void **state)
{
        PolicyStore *s;
        uint8_t d[32], other[32];
        size_t one = one_policy_bytes();

        (void)state;
        assert_true(one > 1000);
        assert_int_equal(policy_store_new(&s, SIZE_MAX, 3 * one), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(policy_store_add(s, d, make(i, d), 1000, T0 + 900), 0);
        assert_int_equal(policy_store_add(s, d, make(3, d), 1000, T0 + 900),
                         POLICY_STORE_E_UID_FULL);
        assert_null(policy_store_get(s, d));
        /* Reusing a stored policy costs nothing, so it is still allowed. */
        assert_int_equal(policy_store_add(s, other, make(1, other), 1000, T0 + 1000), 0);
        /* Another uid is not affected. */
        assert_int_equal(policy_store_add(s, d, make(3, d), 2000, T0 + 900), 0);
        assert_int_equal(policy_store_uid_bytes(s, 1000), 3 * one);
        assert_int_equal(policy_store_uid_bytes(s, 2000), one);
        policy_store_free(s);
}

static void test_global_bound(void **state)
{
        PolicyStore *s;
        uint8_t d[32];
        size_t one = one_policy_bytes();

        (void)state;
        assert_int_equal(policy_store_new(&s, 4 * one, 2 * one), 0);
        /* Two uids at their own bound fill the agent; a third uid is refused, with FULL. */
        for (unsigned i = 0; i < 4; i++)
                assert_int_equal(policy_store_add(s, d, make(i, d), 1000 + i / 2, T0 + 900), 0);
        assert_int_equal(policy_store_add(s, d, make(9, d), 3000, T0 + 900), POLICY_STORE_E_FULL);
        assert_int_equal(policy_store_bytes(s), 4 * one);
        /* Expiry gives the bytes back, in all and per uid. */
        assert_int_equal(policy_store_expire(s, T0 + 899), 0);
        assert_int_equal(policy_store_expire(s, T0 + 900), 4);
        assert_int_equal(policy_store_bytes(s), 0);
        assert_int_equal(policy_store_uid_bytes(s, 1000), 0);
        assert_int_equal(policy_store_add(s, d, make(9, d), 3000, T0 + 2000), 0);
        policy_store_free(s);
}

static void test_charge_follows_longest_session(void **state)
{
        PolicyStore *s;
        uint8_t d[32];
        size_t one = one_policy_bytes();

        (void)state;
        assert_int_equal(policy_store_new(&s, SIZE_MAX, one), 0);
        assert_int_equal(policy_store_add(s, d, make(5, d), 1000, T0 + 900), 0);
        /* uid 2000's session outlives uid 1000's: it now pays for the policy. */
        assert_int_equal(policy_store_add(s, d, make(5, d), 2000, T0 + 3600), 0);
        assert_int_equal(policy_store_uid_bytes(s, 1000), 0);
        assert_int_equal(policy_store_uid_bytes(s, 2000), one);
        /* uid 1000 is free again for a policy of its own. */
        assert_int_equal(policy_store_add(s, d, make(6, d), 1000, T0 + 900), 0);
        /* A shorter session of uid 1000 on 2000's policy moves nothing. */
        assert_int_equal(policy_store_add(s, d, make(5, d), 1000, T0 + 1000), 0);
        assert_int_equal(policy_store_uid_bytes(s, 2000), one);
        /* A longer one would, but uid 1000 has no room: refused, nothing changes. */
        assert_int_equal(policy_store_add(s, d, make(5, d), 1000, T0 + 7200),
                         POLICY_STORE_E_UID_FULL);
        assert_int_equal(policy_store_uid_bytes(s, 2000), one);
        assert_int_equal(policy_store_expire(s, T0 + 3600), 2);
        assert_int_equal(policy_store_count(s), 0);
        policy_store_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identical_stored_once),
                cmocka_unit_test(test_uid_bound),
                cmocka_unit_test(test_global_bound),
                cmocka_unit_test(test_charge_follows_longest_session),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
