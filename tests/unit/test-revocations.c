/* SPDX-License-Identifier: MIT */
/*
 * test-revocations.c - the revocation set (agent/revocations.c) on its own:
 * revoked access key ids kept until their sessions would have expired, cuts
 * by uid and role, and growth of the table past many thousands of ids
 * (revoked.list on disk: test-statefile.c).  Needs no root.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "revocations.h"

#define T0 INT64_C(1700000000)

/* An access key id of exactly TOKEN_AKID_MAX characters, and one longer. */
#define AKID_LONGEST "ASIAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define AKID_TOO_LONG "ASIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

_Static_assert(sizeof(AKID_LONGEST) - 1 == TOKEN_AKID_MAX, "AKID_LONGEST is the longest id");

static int setup(void **state)
{
        (void)state;
        return sodium_init() < 0 ? -1 : 0;
}

/* An id is revoked until its session would have expired; a later expiry extends, never shortens.
 */
static void test_add(void **state)
{
        RevocationSet *rev = NULL;

        (void)state;
        assert_null(revocation_free(NULL));
        assert_int_equal(revocation_new(&rev), 0);
        assert_int_equal(revocation_count(rev), 0);
        assert_false(revocation_contains(rev, "ASIAONE", T0));

        assert_int_equal(revocation_add(rev, "ASIAONE", T0 + 100), 0);
        assert_true(revocation_contains(rev, "ASIAONE", T0));
        assert_true(revocation_contains(rev, "ASIAONE", T0 + 99));
        assert_false(revocation_contains(rev, "ASIAONE", T0 + 100));
        assert_false(revocation_contains(rev, "ASIATWO", T0));

        /* Added again: one entry, the later expiry kept. */
        assert_int_equal(revocation_add(rev, "ASIAONE", T0 + 200), 0);
        assert_int_equal(revocation_add(rev, "ASIAONE", T0 + 50), 0);
        assert_int_equal(revocation_count(rev), 1);
        assert_true(revocation_contains(rev, "ASIAONE", T0 + 199));
        assert_false(revocation_contains(rev, "ASIAONE", T0 + 200));

        /* The longest id fits; a longer one can neither be revoked nor found. */
        assert_int_equal(revocation_add(rev, AKID_LONGEST, T0 + 100), 0);
        assert_true(revocation_contains(rev, AKID_LONGEST, T0));
        assert_int_equal(revocation_add(rev, AKID_TOO_LONG, T0 + 100), -EINVAL);
        assert_false(revocation_contains(rev, AKID_TOO_LONG, T0));
        assert_int_equal(revocation_count(rev), 2);
        revocation_free(rev);
}

/* The claims a presented token carries, as revocation_revokes() reads them. */
static void test_revokes_by_id(void **state)
{
        RevocationSet *rev = NULL;
        TokenClaims c = {
                .akid = (char *)"ASIAONE", .role = (char *)"web", .uid = 1000, .issued = T0
        };

        (void)state;
        assert_int_equal(revocation_new(&rev), 0);
        assert_false(revocation_revokes(rev, &c, T0));
        assert_int_equal(revocation_add(rev, "ASIAONE", T0 + 100), 0);
        assert_true(revocation_revokes(rev, &c, T0 + 1));
        assert_false(revocation_revokes(rev, &c, T0 + 100));
        /* Claims without an access key id are judged by cuts alone. */
        c.akid = NULL;
        assert_false(revocation_revokes(rev, &c, T0 + 1));
        revocation_free(rev);
}

typedef struct Seen {
        int n;
        int64_t sum;    /* of the expiries seen */
        int stop_after; /* foreach callbacks return 7 at this many entries (0: never) */
} Seen;

static int see_entry(const char *akid, int64_t expires, void *arg)
{
        Seen *s = arg;

        assert_memory_equal(akid, "ASIA", 4);
        s->n++;
        s->sum += expires;
        return s->n == s->stop_after ? 7 : 0;
}

static int see_cut(uint32_t uid, const char *role, int64_t before, int64_t until, void *arg)
{
        Seen *s = arg;

        assert_true(uid == 1 || uid == 2);
        assert_string_equal(role, uid == 1 ? "web" : "");
        assert_true(before < until);
        s->n++;
        s->sum += until;
        return s->n == s->stop_after ? 7 : 0;
}

/* entries() - what revocation_foreach() visits, told to stop at @stop_after; it returns @r. */
static Seen entries(const RevocationSet *rev, int stop_after, int r)
{
        Seen seen = { .stop_after = stop_after };

        assert_int_equal(revocation_foreach(rev, see_entry, &seen), r);
        return seen;
}

/* cuts() - the same for revocation_foreach_cut(). */
static Seen cuts(const RevocationSet *rev, int stop_after, int r)
{
        Seen seen = { .stop_after = stop_after };

        assert_int_equal(revocation_foreach_cut(rev, see_cut, &seen), r);
        return seen;
}

/* Expiry forgets ids and cuts alike; foreach visits each entry once and stops when told. */
static void test_expire_and_foreach(void **state)
{
        RevocationSet *rev = NULL;

        (void)state;
        assert_int_equal(revocation_new(&rev), 0);
        assert_int_equal(revocation_add(rev, "ASIAA", T0 + 10), 0);
        assert_int_equal(revocation_add(rev, "ASIAB", T0 + 20), 0);
        assert_int_equal(revocation_add(rev, "ASIAC", T0 + 30), 0);
        assert_int_equal(revocation_cut(rev, 1, "web", T0, T0 + 15), 0);
        assert_int_equal(revocation_cut(rev, 2, "", T0, T0 + 25), 0);

        assert_int_equal(entries(rev, 0, 0).n, 3);
        assert_int_equal(entries(rev, 0, 0).sum, 3 * T0 + 60);
        assert_int_equal(entries(rev, 2, 7).n, 2);
        assert_int_equal(cuts(rev, 0, 0).n, 2);
        assert_int_equal(cuts(rev, 0, 0).sum, 2 * T0 + 40);
        assert_int_equal(cuts(rev, 1, 7).n, 1);

        assert_int_equal(revocation_expire(rev, T0 + 9), 0);
        assert_int_equal(revocation_expire(rev, T0 + 15), 2); /* ASIAA and uid 1's cut */
        assert_int_equal(revocation_count(rev), 2);
        assert_false(revocation_contains(rev, "ASIAA", T0));
        assert_true(revocation_contains(rev, "ASIAB", T0));
        assert_int_equal(cuts(rev, 0, 0).n, 1);
        assert_int_equal(revocation_expire(rev, T0 + 30), 3);
        assert_int_equal(revocation_count(rev), 0);
        assert_int_equal(entries(rev, 0, 0).n, 0);
        assert_int_equal(cuts(rev, 0, 0).n, 0);
        revocation_free(rev);
}

/* Cuts: every session of a uid (and role) issued before a time, whether the cache knew it or not.
 */
static void test_cuts(void **state)
{
        RevocationSet *rev = NULL;
        TokenClaims web = { .akid = (char *)"ASIAWEB",
                            .role = (char *)"web",
                            .uid = 1000,
                            .issued = T0 },
                    db = { .akid = (char *)"ASIADB",
                           .role = (char *)"db",
                           .uid = 1000,
                           .issued = T0 },
                    other = { .akid = (char *)"ASIAOTHER",
                              .role = (char *)"web",
                              .uid = 1001,
                              .issued = T0 };

        (void)state;
        assert_int_equal(revocation_new(&rev), 0);
        assert_false(revocation_revokes(rev, &web, T0));
        /* One role of uid 1000, sessions issued before T0 + 10. */
        assert_int_equal(revocation_cut(rev, 1000, "web", T0 + 10, T0 + 100), 0);
        assert_true(revocation_revokes(rev, &web, T0 + 20));
        assert_false(revocation_revokes(rev, &db, T0 + 20));
        assert_false(revocation_revokes(rev, &other, T0 + 20));
        /* Issued in the second of the cut or later: not revoked. */
        web.issued = T0 + 10;
        assert_false(revocation_revokes(rev, &web, T0 + 20));
        web.issued = T0;
        /* The same or a narrower cut changes nothing; a later one widens it. */
        assert_int_equal(revocation_cut(rev, 1000, "web", T0 + 5, T0 + 100),
                         REVOCATION_E_UNCHANGED);
        assert_int_equal(revocation_cut(rev, 1000, "web", T0 + 30, T0 + 130), 0);
        web.issued = T0 + 20;
        assert_true(revocation_revokes(rev, &web, T0 + 40));
        /* Every role of the uid. */
        assert_int_equal(revocation_cut(rev, 1000, "", T0 + 10, T0 + 100), 0);
        assert_true(revocation_revokes(rev, &db, T0 + 20));
        assert_false(revocation_revokes(rev, &other, T0 + 20));
        /* Kept until the longest session it could revoke has expired. */
        assert_false(revocation_revokes(rev, &db, T0 + 100));
        assert_int_equal(revocation_expire(rev, T0 + 100), 1);
        assert_int_equal(revocation_expire(rev, T0 + 130), 1);
        assert_false(revocation_revokes(rev, &web, T0 + 40));
        /* Bounded. */
        for (uint32_t uid = 0; uid < REVOCATION_CUTS_MAX; uid++)
                assert_int_equal(revocation_cut(rev, uid, "", T0, T0 + 100), 0);
        assert_int_equal(revocation_cut(rev, REVOCATION_CUTS_MAX, "", T0, T0 + 100),
                         REVOCATION_E_FULL);
        assert_int_equal(revocation_cut(rev, 5, "", T0 + 1, T0 + 100),
                         0); /* an existing one still widens */
        {
                char long_role[PROTO_ROLE_NAME_MAX + 2];

                memset(long_role, 'r', sizeof(long_role) - 1);
                long_role[sizeof(long_role) - 1] = '\0';
                assert_int_equal(revocation_cut(rev, 1, long_role, T0, T0 + 100), -EINVAL);
        }
        revocation_free(rev);
}

/* 20,000 ids: the table grows many times over and still finds each one, and nothing else. */
static void test_many(void **state)
{
        enum { N = 20000 };
        RevocationSet *rev = NULL;
        char akid[TOKEN_AKID_MAX + 1];

        (void)state;
        assert_int_equal(revocation_new(&rev), 0);
        for (int i = 0; i < N; i++) {
                snprintf(akid, sizeof(akid), "ASIA%016d", i);
                assert_int_equal(revocation_add(rev, akid, T0 + 1 + i % 2), 0);
        }
        assert_int_equal(revocation_count(rev), N);
        for (int i = 0; i < N; i++) {
                snprintf(akid, sizeof(akid), "ASIA%016d", i);
                assert_true(revocation_contains(rev, akid, T0));
                snprintf(akid, sizeof(akid), "ASIB%016d", i);
                assert_false(revocation_contains(rev, akid, T0));
        }
        assert_int_equal(entries(rev, 0, 0).n, N);
        /* Half expire at T0 + 1, the other half a second later. */
        assert_int_equal(revocation_expire(rev, T0 + 1), N / 2);
        assert_int_equal(revocation_count(rev), N / 2);
        for (int i = 0; i < N; i++) {
                snprintf(akid, sizeof(akid), "ASIA%016d", i);
                assert_int_equal(revocation_contains(rev, akid, T0 + 1), i % 2 == 1);
        }
        revocation_free(rev);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_add),
                cmocka_unit_test(test_revokes_by_id),
                cmocka_unit_test(test_expire_and_foreach),
                cmocka_unit_test(test_cuts),
                cmocka_unit_test(test_many),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
