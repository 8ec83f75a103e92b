/* SPDX-License-Identifier: MIT */
/*
 * test-logins - the login registry: ids, login groups (the group's start
 * survives the close of its first login, and a closed login stays in the
 * group until the last close names it), audit login sessions (each named
 * once; a login without one makes the end unscoped), the bound on kept
 * closed logins, unknown ids, the per-uid bound, and restoring saved logins.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logins.h"

static bool has_session(const LoginEnd *e, uint32_t s)
{
        for (size_t i = 0; i < e->n_sessions; i++)
                if (e->sessions[i] == s)
                        return true;
        return false;
}

static void test_groups(void **state)
{
        Logins *l = NULL;
        char a[LOGINS_ID_LEN + 1], b[LOGINS_ID_LEN + 1], c[LOGINS_ID_LEN + 1];
        LoginEnd e;

        (void)state;
        assert_int_equal(logins_new(&l), 0);
        assert_int_equal(logins_open(l, 1000, 11, 100, a), 0);
        assert_int_equal(strlen(a), LOGINS_ID_LEN);
        assert_int_equal(logins_open(l, 1000, 12, 200, b), 0);
        assert_int_equal(logins_open(l, 2000, 13, 300, c), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(logins_count_uid(l, 1000), 2);

        /* The first close ends nothing: the login is kept, closed. */
        assert_int_equal(logins_close(l, a, strlen(a), &e), 0);
        assert_int_equal(e.uid, 1000);
        assert_int_equal(e.n_left, 1);
        assert_false(e.is_ending);
        login_end_deinit(&e);
        assert_int_equal(logins_count_uid(l, 1000), 1);
        assert_int_equal(logins_count(l), 3);
        assert_int_equal(logins_close(l, a, strlen(a), &e), LOGINS_E_UNKNOWN);
        assert_int_equal(logins_close(l, b, 5, &e), LOGINS_E_UNKNOWN);

        /* The last close ends both logins' sessions, not the other uid's. */
        assert_int_equal(logins_close(l, b, strlen(b), &e), 0);
        assert_int_equal(e.n_left, 0);
        assert_true(e.is_ending);
        assert_false(e.is_unscoped);
        assert_int_equal(e.group_start, 100);
        assert_int_equal(e.n_sessions, 2);
        assert_true(has_session(&e, 11) && has_session(&e, 12) && !has_session(&e, 13));
        login_end_deinit(&e);
        assert_int_equal(logins_count(l), 1);
        assert_int_equal(logins_count_uid(l, 2000), 1);

        /* A login without an audit session makes the end unscoped. */
        assert_int_equal(logins_open(l, 2000, LOGINS_NO_SESSION, 400, a), 0);
        assert_int_equal(logins_close(l, c, strlen(c), &e), 0);
        assert_false(e.is_ending);
        login_end_deinit(&e);
        assert_int_equal(logins_close(l, a, strlen(a), &e), 0);
        assert_true(e.is_ending && e.is_unscoped);
        assert_int_equal(e.group_start, 300);
        assert_int_equal(e.n_sessions, 1);
        assert_true(has_session(&e, 13));
        login_end_deinit(&e);
        assert_int_equal(logins_count(l), 0);
        logins_free(l);
        assert_null(logins_free(NULL));
}

static void test_bound(void **state)
{
        Logins *l = NULL;
        char id[LOGINS_ID_LEN + 1], keep[LOGINS_ID_LEN + 1];
        LoginEnd e;

        (void)state;
        assert_int_equal(logins_new(&l), 0);
        for (int i = 0; i < LOGINS_PER_UID_MAX; i++)
                assert_int_equal(logins_open(l, 7, (uint32_t)i, 0, id), 0);
        assert_int_equal(logins_open(l, 7, 0, 0, id), LOGINS_E_UID_FULL);
        assert_int_equal(logins_open(l, 8, 0, 0, id), 0);
        logins_free(l);

        /* One login stays open while others come and go: at most 64 closed ones are kept. */
        assert_int_equal(logins_new(&l), 0);
        assert_int_equal(logins_open(l, 9, 1, 0, keep), 0);
        for (uint32_t i = 0; i < LOGINS_CLOSED_PER_UID_MAX + 10; i++) {
                assert_int_equal(logins_open(l, 9, 100 + i, 0, id), 0);
                assert_int_equal(logins_close(l, id, strlen(id), &e), 0);
                if (i < LOGINS_CLOSED_PER_UID_MAX) {
                        assert_false(e.is_ending);
                } else {
                        /* Past the bound, a login's sessions end with it, alone. */
                        assert_true(e.is_ending);
                        assert_int_equal(e.n_sessions, 1);
                        assert_int_equal(e.sessions[0], 100 + i);
                }
                login_end_deinit(&e);
        }
        assert_int_equal(logins_count(l), 1 + LOGINS_CLOSED_PER_UID_MAX);
        /* A login in a session already kept ends with the group, not before. */
        assert_int_equal(logins_open(l, 9, 100, 0, id), 0);
        assert_int_equal(logins_close(l, id, strlen(id), &e), 0);
        assert_false(e.is_ending);
        login_end_deinit(&e);
        assert_int_equal(logins_close(l, keep, strlen(keep), &e), 0);
        assert_true(e.is_ending);
        assert_int_equal(e.n_sessions, 1 + LOGINS_CLOSED_PER_UID_MAX);
        login_end_deinit(&e);
        assert_int_equal(logins_count(l), 0);
        logins_free(l);
}

typedef struct Saved {
        char id[4][LOGINS_ID_LEN + 1];
        uint32_t uid[4], session[4];
        int64_t start[4];
        bool is_open[4];
        int n;
} Saved;

static int save(const char *id, uint32_t uid, uint32_t session, int64_t start, bool is_open,
                void *arg)
{
        Saved *s = arg;

        assert_true(s->n < 4);
        memcpy(s->id[s->n], id, LOGINS_ID_LEN + 1);
        s->uid[s->n] = uid;
        s->session[s->n] = session;
        s->start[s->n] = start;
        s->is_open[s->n] = is_open;
        s->n++;
        return 0;
}

static void test_restore(void **state)
{
        Logins *l = NULL, *back = NULL;
        char a[LOGINS_ID_LEN + 1], b[LOGINS_ID_LEN + 1];
        Saved s = { 0 };
        LoginEnd e;

        (void)state;
        assert_int_equal(logins_new(&l), 0);
        assert_int_equal(logins_open(l, 5, 21, 50, a), 0);
        assert_int_equal(logins_open(l, 5, 22, 60, b), 0);
        assert_int_equal(logins_close(l, a, strlen(a), &e), 0);
        login_end_deinit(&e);
        assert_int_equal(logins_foreach(l, save, &s), 0);
        assert_int_equal(s.n, 2);

        assert_int_equal(logins_new(&back), 0);
        for (int i = 0; i < s.n; i++)
                assert_int_equal(logins_restore(back, s.id[i], s.uid[i], s.session[i], s.start[i],
                                                s.is_open[i]),
                                 0);
        assert_int_equal(logins_restore(back, s.id[0], 5, 1, 1, true), LOGINS_E_EXISTS);
        assert_int_equal(logins_count_uid(back, 5), 1);
        /* The restored group ends as the original would have. */
        assert_int_equal(logins_close(back, a, strlen(a), &e), LOGINS_E_UNKNOWN);
        assert_int_equal(logins_close(back, b, strlen(b), &e), 0);
        assert_true(e.is_ending);
        assert_int_equal(e.group_start, 50);
        assert_true(has_session(&e, 21) && has_session(&e, 22));
        login_end_deinit(&e);
        logins_free(back);
        logins_free(l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_groups),
                cmocka_unit_test(test_bound),
                cmocka_unit_test(test_restore),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
