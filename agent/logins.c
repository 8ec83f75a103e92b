/* SPDX-License-Identifier: MIT */
/*
 * logins.c - the PAM logins: a flat array, searched linearly (admins alone
 * add to it and it is bounded, so a scan stays cheap), and the ids drawn from
 * libsodium's generator so one login cannot name another's.
 */
#include "logins.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

typedef struct Login {
        uint32_t uid;
        uint32_t session;
        int64_t group_start;
        bool is_open;
        char id[LOGINS_ID_LEN + 1];
} Login;

struct Logins {
        Login *v;
        size_t n, size;
};

int logins_new(Logins **lp)
{
        Logins *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        *lp = l;
        return 0;
}

Logins *logins_free(Logins *l)
{
        if (l) {
                free(l->v);
                free(l);
        }
        return NULL;
}

size_t logins_count_uid(const Logins *l, uint32_t uid)
{
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++)
                n += l->v[i].uid == uid && l->v[i].is_open;
        return n;
}

size_t logins_count(const Logins *l)
{
        return l->n;
}

static int add(Logins *l, const Login *e)
{
        if (l->n >= LOGINS_MAX)
                return LOGINS_E_FULL;
        if (ARRAY_RESERVE(l->v, l->n, l->size, 16) < 0)
                return -ENOMEM;
        l->v[l->n++] = *e;
        return 0;
}

int logins_open(Logins *l, uint32_t uid, uint32_t session, int64_t now, char idp[LOGINS_ID_LEN + 1])
{
        uint8_t raw[LOGINS_ID_LEN / 2];
        Login e = { .uid = uid, .session = session, .group_start = now, .is_open = true };
        size_t n_open = 0;
        int r;

        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].uid != uid)
                        continue;
                n_open += l->v[i].is_open;
                e.group_start = l->v[i].group_start;
        }
        if (n_open >= LOGINS_PER_UID_MAX)
                return LOGINS_E_UID_FULL;
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(e.id, sizeof(e.id), raw, sizeof(raw));
        r = add(l, &e);
        if (r)
                return r;
        memcpy(idp, e.id, sizeof(e.id));
        return 0;
}

static int end_add(LoginEnd *end, const Login *e)
{
        if (e->session == LOGINS_NO_SESSION) {
                end->is_unscoped = true;
                return 0;
        }
        for (size_t i = 0; i < end->n_sessions; i++)
                if (end->sessions[i] == e->session)
                        return 0;
        end->sessions[end->n_sessions++] = e->session;
        return 0;
}

int logins_close(Logins *l, const char *id, size_t id_len, LoginEnd *endp)
{
        LoginEnd end = { 0 };
        size_t at = SIZE_MAX, n_closed = 0, n_uid = 0;
        bool has_twin = false;
        Login *e;

        if (id_len != LOGINS_ID_LEN)
                return LOGINS_E_UNKNOWN;
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].is_open && sodium_memcmp(l->v[i].id, id, LOGINS_ID_LEN) == 0)
                        at = i;
        if (at == SIZE_MAX)
                return LOGINS_E_UNKNOWN;
        e = &l->v[at];
        end.uid = e->uid;
        end.group_start = e->group_start;
        for (size_t i = 0; i < l->n; i++) {
                const Login *o = &l->v[i];

                if (o->uid != e->uid || i == at)
                        continue;
                n_uid++;
                end.n_left += o->is_open;
                n_closed += !o->is_open;
                has_twin |= !o->is_open && o->session == e->session;
        }
        if (end.n_left > 0 && n_closed < LOGINS_CLOSED_PER_UID_MAX && !has_twin) {
                /* Kept, closed, until the group ends. */
                e->is_open = false;
                *endp = end;
                return 0;
        }
        end.is_ending = true;
        end.sessions = calloc(end.n_left > 0 ? 1 : n_uid + 1, sizeof(*end.sessions));
        if (!end.sessions)
                return -ENOMEM;
        if (end.n_left > 0) {
                /*
                 * A twin (the same session, kept already) ends with the group
                 * anyway; past the bound this login ends now, on its own.
                 */
                if (!has_twin)
                        end_add(&end, e);
                else
                        end.is_ending = false;
                l->v[at] = l->v[--l->n];
                *endp = end;
                return 0;
        }
        /* The last open login: the whole group ends. */
        for (size_t i = l->n; i-- > 0;) {
                if (l->v[i].uid != end.uid)
                        continue;
                end_add(&end, &l->v[i]);
                l->v[i] = l->v[--l->n];
        }
        *endp = end;
        return 0;
}

void login_end_deinit(LoginEnd *e)
{
        free(e->sessions);
        e->sessions = NULL;
        e->n_sessions = 0;
}

int logins_foreach(const Logins *l,
                   int (*fn)(const char *id, uint32_t uid, uint32_t session, int64_t group_start,
                             bool is_open, void *arg),
                   void *arg)
{
        for (size_t i = 0; i < l->n; i++) {
                const Login *e = &l->v[i];
                int r = fn(e->id, e->uid, e->session, e->group_start, e->is_open, arg);

                if (r)
                        return r;
        }
        return 0;
}

int logins_restore(Logins *l, const char *id, uint32_t uid, uint32_t session, int64_t group_start,
                   bool is_open)
{
        Login e = {
                .uid = uid, .session = session, .group_start = group_start, .is_open = is_open
        };

        if (strlen(id) != LOGINS_ID_LEN)
                return -EINVAL;
        for (size_t i = 0; i < l->n; i++)
                if (sodium_memcmp(l->v[i].id, id, LOGINS_ID_LEN) == 0)
                        return LOGINS_E_EXISTS;
        memcpy(e.id, id, LOGINS_ID_LEN + 1);
        return add(l, &e);
}
