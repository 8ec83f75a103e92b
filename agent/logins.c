/* SPDX-License-Identifier: MIT */
/*
 * logins.c - the open PAM logins: a flat array, searched linearly (admins
 * alone add to it and it is bounded, so a scan stays cheap), and the ids
 * drawn from libsodium's generator so one login cannot name another's.
 */
#include "logins.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

typedef struct Login {
        uint32_t uid;
        int64_t group_start;
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
                n += l->v[i].uid == uid;
        return n;
}

int logins_open(Logins *l, uint32_t uid, int64_t now, char idp[LOGINS_ID_LEN + 1],
                int64_t *group_startp)
{
        uint8_t raw[LOGINS_ID_LEN / 2];
        int64_t group_start = now;
        size_t n_uid = 0;
        Login *e;

        for (size_t i = 0; i < l->n; i++) {
                if (l->v[i].uid != uid)
                        continue;
                n_uid++;
                group_start = l->v[i].group_start;
        }
        if (n_uid >= LOGINS_PER_UID_MAX)
                return LOGINS_E_UID_FULL;
        if (l->n >= LOGINS_MAX)
                return LOGINS_E_FULL;
        if (ARRAY_RESERVE(l->v, l->n, l->size, 16) < 0)
                return -ENOMEM;
        e = &l->v[l->n++];
        e->uid = uid;
        e->group_start = group_start;
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(e->id, sizeof(e->id), raw, sizeof(raw));
        memcpy(idp, e->id, sizeof(e->id));
        *group_startp = group_start;
        return 0;
}

int logins_close(Logins *l, const char *id, size_t id_len, uint32_t *uidp, size_t *n_leftp,
                 int64_t *group_startp)
{
        for (size_t i = 0; i < l->n; i++) {
                Login *e = &l->v[i];
                uint32_t uid;

                if (id_len != LOGINS_ID_LEN || sodium_memcmp(e->id, id, LOGINS_ID_LEN) != 0)
                        continue;
                uid = e->uid;
                *group_startp = e->group_start;
                l->v[i] = l->v[--l->n];
                *uidp = uid;
                *n_leftp = logins_count_uid(l, uid);
                return 0;
        }
        return LOGINS_E_UNKNOWN;
}
