/* SPDX-License-Identifier: MIT */
/*
 * test-sessions.c - the session cache (agent/sessions.c), driven by an
 * injectable clock: freshness, the refresh point and its jitter for short
 * and long lifetimes, replacement, revoking sessions into a RevocationSet
 * (the set itself: test-revocations.c), sweeping, and the memory cost of
 * 100,000 cached sessions.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "refresh.h"
#include "issuer_local.h"
#include "sessions.h"

/* A session owner outside any login. */
#define OWNER(uid) (&(SessionOwner){ (uid), SESSIONS_NO_LOGIN, "user" })

#define T0 1700000000

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static char base[64];
static Keys *keys;

/* The test clock: time moves only when a test says so. */
static int64_t fake_now = T0;
static int64_t fake_clock(void *userdata)
{
        return *(int64_t *)userdata;
}
static const Clock test_clock = { .now = fake_clock, .userdata = &fake_now };

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        char dir[128];

        (void)state;
        if (sodium_init() < 0)
                return -1;
        snprintf(base, sizeof(base), "/tmp/test-sessions-XXXXXX");
        if (!mkdtemp(base))
                return -1;
        snprintf(dir, sizeof(dir), "%s/keys", base);
        return keys_load(&keys, dir, T0, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        keys = keys_free(keys);
        return nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static Credentials mint(const char *role, uint32_t uid, int64_t duration)
{
        MintRequest req = {
                .role = role,
                .role_arn = "arn:aws:iam::000000000000:role/x",
                .account = "000000000000",
                .uid = uid,
                .gid = uid,
                .user = "u",
                .exe = "/bin/true",
                .duration = duration,
                .now = clock_now(&test_clock),
        };
        Credentials c = CREDENTIALS_INIT;

        assert_int_equal(issuer_local_mint(keys, &req, &c), 0);
        return c;
}

static const Session *insert(SessionCache *cache, const char *key, const char *role, uint32_t uid,
                             int64_t duration)
{
        Credentials c = mint(role, uid, duration);
        const Session *s = NULL;
        int64_t issued = c.issued, expires = c.expires;

        assert_int_equal(sessions_insert(cache, key, &c, issued, expires, OWNER(uid), role, &s), 0);
        assert_null(c.token); /* taken */
        assert_int_equal(c.secret[0], 0);
        return s;
}

static void test_margin(void **state)
{
        (void)state;
        /* jitter below min(5 min, lifetime/10) */
        assert_int_equal(sessions_jitter_max(900), 90);
        assert_int_equal(sessions_jitter_max(3000), 300);
        assert_int_equal(sessions_jitter_max(43200), 300);
}

/* check_refresh() - served until exactly refresh_at, which lies in the documented window. */
static void check_refresh(int64_t lifetime)
{
        SessionCache *cache = NULL;
        const Session *s;
        int64_t margin = refresh_margin(lifetime), jmax = sessions_jitter_max(lifetime);
        int64_t lo = T0 + lifetime - margin - jmax, hi = T0 + lifetime - margin;

        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        s = insert(cache, "k", "web", 1000, lifetime);
        assert_true(s->refresh_at > lo && s->refresh_at <= hi);
        assert_ptr_equal(sessions_lookup(cache, "k", clock_now(&test_clock)), s);
        fake_now = s->refresh_at - 1;
        assert_ptr_equal(sessions_lookup(cache, "k", clock_now(&test_clock)), s);
        fake_now = s->refresh_at;
        assert_null(sessions_lookup(cache, "k", clock_now(&test_clock)));
        /* Due for refresh but not expired: still there for an upstream outage. */
        assert_ptr_equal(sessions_lookup_unexpired(cache, "k", clock_now(&test_clock)), s);
        fake_now = T0 + lifetime - 1;
        assert_ptr_equal(sessions_lookup_unexpired(cache, "k", clock_now(&test_clock)), s);
        fake_now = T0 + lifetime;
        assert_null(sessions_lookup_unexpired(cache, "k", clock_now(&test_clock)));
        sessions_free(cache);
}

static void test_refresh_points(void **state)
{
        (void)state;
        check_refresh(900);   /* 15 min: margin 7.5 min, jitter < 90 s */
        check_refresh(3600);  /* 1 h: margin 20 min */
        check_refresh(43200); /* 12 h: margin 3 h, jitter < 5 min */
        /* A 15-minute session still has more than 5 minutes left when renewed. */
        assert_true(900 - (900 - refresh_margin(900)) > 300);
}

static void test_jitter_spread(void **state)
{
        SessionCache *cache = NULL;
        int64_t lifetime = 3600, hi = T0 + lifetime - refresh_margin(lifetime);
        int64_t lo = hi - sessions_jitter_max(lifetime), min = INT64_MAX, max = INT64_MIN;
        char key[32];

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        for (int i = 0; i < 200; i++) {
                Credentials c = CREDENTIALS_INIT;
                const Session *s;

                snprintf(key, sizeof(key), "k%d", i);
                snprintf(c.akid, sizeof(c.akid), "ASIA%016d", i);
                assert_int_equal(
                        sessions_insert(cache, key, &c, T0, T0 + lifetime, OWNER(1), "r", &s), 0);
                assert_true(s->refresh_at > lo && s->refresh_at <= hi);
                min = s->refresh_at < min ? s->refresh_at : min;
                max = s->refresh_at > max ? s->refresh_at : max;
        }
        /* 200 draws from 300 values: not all the same instant. */
        assert_true(max - min > 100);
        sessions_free(cache);
}

static void test_replace_and_keys(void **state)
{
        SessionCache *cache = NULL;
        const Session *a, *b, *a2;
        char akid[CREDENTIALS_AKID_MAX + 1];

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        assert_null(sessions_lookup(cache, "web|uid:1000", T0));
        a = insert(cache, "web|uid:1000", "web", 1000, 3600);
        b = insert(cache, "web|uid:1001", "web", 1001, 3600);
        assert_int_equal(sessions_count(cache), 2);
        assert_ptr_equal(sessions_lookup(cache, "web|uid:1000", T0), a);
        assert_ptr_equal(sessions_lookup(cache, "web|uid:1001", T0), b);
        assert_string_equal(a->key, "web|uid:1000");
        assert_string_equal(a->role, "web");
        assert_int_equal(a->uid, 1000);
        assert_null(sessions_lookup(cache, "web|uid:100", T0));
        snprintf(akid, sizeof(akid), "%s", a->creds.akid);
        /* Refresh: the caller mints again and inserts under the same key. */
        fake_now = a->refresh_at;
        assert_null(sessions_lookup(cache, "web|uid:1000", fake_now));
        a2 = insert(cache, "web|uid:1000", "web", 1000, 3600);
        assert_int_equal(sessions_count(cache), 2);
        assert_ptr_equal(sessions_lookup(cache, "web|uid:1000", fake_now), a2);
        assert_string_not_equal(a2->creds.akid, akid);
        /* Bad lifetimes are refused and the credentials stay with the caller. */
        {
                Credentials c = mint("web", 1, 900);

                assert_int_equal(sessions_insert(cache, "x", &c, T0, T0, OWNER(1), "web", NULL),
                                 -EINVAL);
                assert_non_null(c.token);
                credentials_deinit(&c);
        }
        sessions_free(cache);
        assert_null(sessions_free(NULL));
}

static void test_revoke(void **state)
{
        SessionCache *cache = NULL;
        RevocationSet *rev = NULL;
        const Session *s;
        Credentials keep = CREDENTIALS_INIT;
        char tok_web[PROTO_TOKEN_MAX + 1], tok_db[PROTO_TOKEN_MAX + 1],
                tok_other[PROTO_TOKEN_MAX + 1];
        size_t n = 99;

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        assert_int_equal(revocation_new(&rev), 0);
        s = insert(cache, "web|1000", "web", 1000, 3600);
        snprintf(tok_web, sizeof(tok_web), "%s", s->creds.token);
        s = insert(cache, "db|1000", "db", 1000, 7200);
        snprintf(tok_db, sizeof(tok_db), "%s", s->creds.token);
        s = insert(cache, "web|2000", "web", 2000, 3600);
        snprintf(tok_other, sizeof(tok_other), "%s", s->creds.token);
        /* An AssumeRole session, tracked under a key no lookup uses. */
        keep = mint("web", 1000, 900);
        assert_int_equal(sessions_insert(cache, "sid:x", &keep, keep.issued, keep.expires,
                                         OWNER(1000), "web", NULL),
                         0);
        assert_int_equal(sessions_count(cache), 4);

        /* By role: web sessions of uid 1000 only. */
        assert_int_equal(sessions_revoke(cache, 1000, "web", rev, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(sessions_count(cache), 2);
        assert_int_equal(revocation_count(rev), 2);
        assert_null(sessions_lookup(cache, "web|1000", T0));
        assert_non_null(sessions_lookup(cache, "db|1000", T0));
        assert_non_null(sessions_lookup(cache, "web|2000", T0));
        assert_int_equal(issuer_local_verify(keys, tok_web, strlen(tok_web), T0 + 1, rev, NULL),
                         ISSUER_E_REVOKED);
        assert_int_equal(issuer_local_verify(keys, tok_db, strlen(tok_db), T0 + 1, rev, NULL), 0);
        assert_int_equal(issuer_local_verify(keys, tok_other, strlen(tok_other), T0 + 1, rev, NULL),
                         0);

        /* All of a uid. */
        assert_int_equal(sessions_revoke(cache, 1000, NULL, rev, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(sessions_count(cache), 1);
        assert_int_equal(issuer_local_verify(keys, tok_db, strlen(tok_db), T0 + 1, rev, NULL),
                         ISSUER_E_REVOKED);
        assert_int_equal(sessions_revoke(cache, 1000, NULL, rev, &n), 0);
        assert_int_equal(n, 0);

        /* Revocations are remembered until the session would have expired. */
        assert_int_equal(revocation_count(rev), 3);
        assert_int_equal(revocation_expire(rev, T0 + 899), 0);
        assert_int_equal(revocation_expire(rev, T0 + 900), 1); /* the AssumeRole session */
        assert_int_equal(revocation_expire(rev, T0 + 3599), 0);
        assert_int_equal(revocation_expire(rev, T0 + 3600), 1); /* web */
        assert_int_equal(revocation_count(rev), 1);
        assert_int_equal(issuer_local_verify(keys, tok_db, strlen(tok_db), T0 + 3601, rev, NULL),
                         ISSUER_E_REVOKED);
        assert_int_equal(revocation_expire(rev, T0 + 7200), 1);
        assert_int_equal(revocation_count(rev), 0);
        revocation_free(rev);
        sessions_free(cache);
}

static const Session *insert_login(SessionCache *cache, const char *key, uint32_t uid,
                                   uint32_t login)
{
        Credentials c = mint("web", uid, 3600);
        const Session *s = NULL;
        int64_t issued = c.issued, expires = c.expires;

        assert_int_equal(sessions_insert(cache, key, &c, issued, expires,
                                         &(SessionOwner){ uid, login, "someone" }, "web", &s),
                         0);
        assert_string_equal(s->user, "someone");
        assert_int_equal(s->login_session, login);
        return s;
}

/*
 * A login group's sessions: those of the group's login sessions, whenever
 * issued; the uid's services (no login session) and other logins stay.  An
 * unscoped group also ends every session of the uid issued since it began.
 */
static void test_revoke_logins(void **state)
{
        SessionCache *cache = NULL;
        RevocationSet *rev = NULL;
        static const uint32_t group[] = { 5, 6 };
        size_t n = 99;

        (void)state;
        assert_int_equal(sessions_new(&cache), 0);
        assert_int_equal(revocation_new(&rev), 0);
        fake_now = T0;
        insert_login(cache, "login5-early|1000", 1000, 5);
        insert(cache, "service-early|1000", "web", 1000, 3600);
        fake_now = T0 + 10;
        insert_login(cache, "login6|1000", 1000, 6);
        insert_login(cache, "login7|1000", 1000, 7);
        insert(cache, "service|1000", "web", 1000, 3600);
        insert_login(cache, "login5|2000", 2000, 5);
        assert_int_equal(sessions_revoke_logins(cache, 1000, group, 2, false, T0 + 10, rev, &n), 0);
        assert_int_equal(n, 2);
        assert_null(sessions_lookup(cache, "login5-early|1000", T0 + 10));
        assert_null(sessions_lookup(cache, "login6|1000", T0 + 10));
        assert_non_null(sessions_lookup(cache, "login7|1000", T0 + 10));
        assert_non_null(sessions_lookup(cache, "service|1000", T0 + 10));
        assert_non_null(sessions_lookup(cache, "login5|2000", T0 + 10));
        assert_int_equal(revocation_count(rev), 2);
        /* Unscoped since T0 + 10: the later service session and login 7 go, the early service one
         * stays. */
        assert_int_equal(sessions_revoke_logins(cache, 1000, NULL, 0, true, T0 + 10, rev, &n), 0);
        assert_int_equal(n, 2);
        assert_non_null(sessions_lookup(cache, "service-early|1000", T0 + 10));
        assert_null(sessions_lookup(cache, "service|1000", T0 + 10));
        assert_null(sessions_lookup(cache, "login7|1000", T0 + 10));
        assert_int_equal(sessions_revoke_logins(cache, 1000, group, 2, false, T0, rev, &n), 0);
        assert_int_equal(n, 0);
        revocation_free(rev);
        sessions_free(cache);
}

static int count_each(const Session *s, void *arg)
{
        (void)s;
        ++*(int *)arg;
        return 0;
}

/* One session by its id: found, revoked alone and remembered; an unknown id ends nothing. */
static void test_revoke_id(void **state)
{
        SessionCache *cache = NULL;
        RevocationSet *rev = NULL;
        const Session *a, *b;
        char sid[CREDENTIALS_SID_LEN + 1], akid[CREDENTIALS_AKID_MAX + 1];
        size_t n = 99;
        int count = 0;

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        assert_int_equal(revocation_new(&rev), 0);
        a = insert(cache, "a", "web", 1000, 3600);
        b = insert(cache, "b", "web", 1000, 3600);
        assert_string_not_equal(a->creds.sid, b->creds.sid);
        assert_ptr_equal(sessions_find_id(cache, b->creds.sid), b);
        assert_null(sessions_find_id(cache, "00000000000000000000000000000000"));
        snprintf(sid, sizeof(sid), "%s", a->creds.sid);
        snprintf(akid, sizeof(akid), "%s", a->creds.akid);
        assert_int_equal(sessions_revoke_id(cache, sid, rev, &n), 0);
        assert_int_equal(n, 1);
        assert_null(sessions_find_id(cache, sid));
        assert_true(revocation_contains(rev, akid, T0));
        assert_int_equal(sessions_foreach(cache, count_each, &count), 0);
        assert_int_equal(count, 1);
        assert_int_equal(sessions_revoke_id(cache, sid, rev, &n), 0);
        assert_int_equal(n, 0);
        revocation_free(rev);
        sessions_free(cache);
}

static void test_expire(void **state)
{
        SessionCache *cache = NULL;

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        insert(cache, "a", "r", 1, 900);
        insert(cache, "b", "r", 1, 3600);
        insert(cache, "c", "r", 1, 43200);
        assert_int_equal(sessions_expire(cache, T0 + 899), 0);
        assert_int_equal(sessions_expire(cache, T0 + 900), 1);
        assert_int_equal(sessions_count(cache), 2);
        assert_int_equal(sessions_expire(cache, T0 + 86400), 2);
        assert_int_equal(sessions_count(cache), 0);
        sessions_free(cache);
}

/*
 * sessions_epoch() moves whenever a session leaves the cache (replaced,
 * revoked, expired) and never when one is only added, so a session a caller
 * found stays the one under its key while the epoch stands.
 */
static void test_epoch(void **state)
{
        SessionCache *cache = NULL;
        RevocationSet *rev = NULL;
        const Session *a;
        uint64_t e;
        size_t n;

        (void)state;
        fake_now = T0;
        assert_int_equal(sessions_new(&cache), 0);
        assert_int_equal(revocation_new(&rev), 0);
        e = sessions_epoch(cache);
        a = insert(cache, "a", "web", 1000, 3600);
        insert(cache, "b", "db", 1000, 900);
        insert(cache, "c", "web", 2000, 3600);
        assert_true(sessions_epoch(cache) == e); /* added only */
        assert_ptr_equal(sessions_lookup(cache, "a", T0), a);
        /* Replaced under its key. */
        insert(cache, "a", "web", 1000, 3600);
        assert_true(sessions_epoch(cache) != e);
        e = sessions_epoch(cache);
        /* Nothing revoked, nothing expired: the same. */
        assert_int_equal(sessions_revoke(cache, 3000, NULL, rev, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(sessions_expire(cache, T0 + 1), 0);
        assert_true(sessions_epoch(cache) == e);
        /* Revoked. */
        assert_int_equal(sessions_revoke(cache, 2000, NULL, rev, &n), 0);
        assert_int_equal(n, 1);
        assert_true(sessions_epoch(cache) != e);
        e = sessions_epoch(cache);
        /* Expired. */
        assert_int_equal(sessions_expire(cache, T0 + 900), 1);
        assert_true(sessions_epoch(cache) != e);
        revocation_free(rev);
        sessions_free(cache);
}

/* 100,000 sessions with realistic tokens: count, lookups, and memory per session. */
static void test_many(void **state)
{
        enum { N = 100000 };
        SessionCache *cache = NULL;
        Credentials proto = mint("web-frontend", 1000, 3600);
        struct mallinfo2 before, after;
        char key[96];
        size_t per;

        (void)state;
        before = mallinfo2();
        assert_int_equal(sessions_new(&cache), 0);
        for (int i = 0; i < N; i++) {
                Credentials c = CREDENTIALS_INIT;

                memcpy(&c, &proto, sizeof(c));
                snprintf(c.akid, sizeof(c.akid), "ASIA%016d", i);
                c.token = strdup(proto.token);
                c.assumed_role_arn = strdup(proto.assumed_role_arn);
                assert_non_null(c.token);
                assert_non_null(c.assumed_role_arn);
                snprintf(key, sizeof(key), "web-frontend|unit:svc-%d.service|3600|-", i);
                assert_int_equal(sessions_insert(cache, key, &c, T0, T0 + 3600, OWNER((uint32_t)i),
                                                 "web-frontend", NULL),
                                 0);
        }
        after = mallinfo2();
        assert_int_equal(sessions_count(cache), N);
        for (int i = 0; i < N; i += 997) {
                const Session *s;

                snprintf(key, sizeof(key), "web-frontend|unit:svc-%d.service|3600|-", i);
                s = sessions_lookup(cache, key, T0 + 1);
                assert_non_null(s);
                assert_int_equal(s->uid, (uint32_t)i);
        }
        per = (after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / N;
        print_message("%zu bytes per cached session (token %zu bytes)\n", per, proto.token_len);
#ifndef UNDER_ASAN
        assert_true(per < 4096);
#endif
        assert_int_equal(sessions_revoke(cache, 5, NULL, NULL, NULL), 0);
        assert_int_equal(sessions_count(cache), N - 1);
        assert_int_equal(sessions_expire(cache, T0 + 3600), N - 1);
        sessions_free(cache);
        credentials_deinit(&proto);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_margin),        cmocka_unit_test(test_refresh_points),
                cmocka_unit_test(test_jitter_spread), cmocka_unit_test(test_replace_and_keys),
                cmocka_unit_test(test_revoke),        cmocka_unit_test(test_revoke_logins),
                cmocka_unit_test(test_revoke_id),     cmocka_unit_test(test_expire),
                cmocka_unit_test(test_many),          cmocka_unit_test(test_epoch),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
