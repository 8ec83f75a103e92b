/* SPDX-License-Identifier: MIT */
/*
 * revocations.c - the revocation set (see revocations.h).
 *
 * Revoked access key ids live in a table.h hash table, one small allocation
 * each; cuts are few (one per uid and role) and kept in an array that is
 * searched in order.
 */
#include "revocations.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

typedef struct Revoked {
        TableLink link; /* first */
        int64_t expires;
        char akid[TOKEN_AKID_MAX + 1];
} Revoked;

typedef struct RevocationCut {
        uint32_t uid;
        char role[PROTO_ROLE_NAME_MAX + 1]; /* "" for every role */
        int64_t before, until;
} RevocationCut;

struct RevocationSet {
        Table t;
        RevocationCut *cuts; /* few: searched in order */
        size_t n_cuts, size_cuts;
};

_Static_assert(offsetof(Revoked, link) == 0, "Revoked must start with its TableLink");

static void revoked_free(TableLink *l)
{
        free(l);
}

int revocation_new(RevocationSet **setp)
{
        _cleanup_(revocation_freep) RevocationSet *set = calloc(1, sizeof(*set));

        if (!set || table_init(&set->t, revoked_free) < 0)
                return -ENOMEM;
        *setp = steal_pointer(&set);
        return 0;
}

RevocationSet *revocation_free(RevocationSet *set)
{
        if (!set)
                return NULL;
        table_deinit(&set->t);
        free(set->cuts);
        free(set);
        return NULL;
}

static Revoked *revoked_find(const RevocationSet *set, const char *akid, uint64_t hash)
{
        for (TableLink *l = *table_bucket(&set->t, hash); l; l = l->next)
                if (l->hash == hash && strcmp(((Revoked *)l)->akid, akid) == 0)
                        return (Revoked *)l;
        return NULL;
}

int revocation_add(RevocationSet *set, const char *akid, int64_t expires)
{
        size_t len = strnlen(akid, TOKEN_AKID_MAX + 1);
        uint64_t hash;
        Revoked *r;

        if (len > TOKEN_AKID_MAX)
                return -EINVAL;
        hash = table_hash(&set->t, akid);
        r = revoked_find(set, akid, hash);
        if (r) {
                if (expires > r->expires)
                        r->expires = expires;
                return 0;
        }
        if (table_reserve(&set->t) < 0)
                return -ENOMEM;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->link.hash = hash;
        r->expires = expires;
        memcpy(r->akid, akid, len + 1);
        table_link(&set->t, &r->link);
        return 0;
}

bool revocation_contains(const RevocationSet *set, const char *akid, int64_t now)
{
        const Revoked *r;

        if (strnlen(akid, TOKEN_AKID_MAX + 1) > TOKEN_AKID_MAX)
                return false;
        r = revoked_find(set, akid, table_hash(&set->t, akid));
        return r && now < r->expires;
}

static int is_expired(TableLink *l, void *arg)
{
        return ((Revoked *)l)->expires <= *(const int64_t *)arg;
}

size_t revocation_expire(RevocationSet *set, int64_t now)
{
        size_t n = 0;

        (void)table_sweep(&set->t, is_expired, &now, &n);
        for (size_t i = 0; i < set->n_cuts;) {
                if (set->cuts[i].until > now) {
                        i++;
                        continue;
                }
                set->cuts[i] = set->cuts[--set->n_cuts];
                n++;
        }
        return n;
}

int revocation_cut(RevocationSet *set, uint32_t uid, const char *role, int64_t before,
                   int64_t until)
{
        size_t len = strnlen(role, PROTO_ROLE_NAME_MAX + 1);
        RevocationCut *c;

        if (len > PROTO_ROLE_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < set->n_cuts; i++) {
                c = &set->cuts[i];
                if (c->uid != uid || strcmp(c->role, role) != 0)
                        continue;
                if (before <= c->before && until <= c->until)
                        return REVOCATION_E_UNCHANGED;
                if (before > c->before)
                        c->before = before;
                if (until > c->until)
                        c->until = until;
                return 0;
        }
        if (set->n_cuts == REVOCATION_CUTS_MAX)
                return REVOCATION_E_FULL;
        if (set->n_cuts == set->size_cuts) {
                size_t size = set->size_cuts ? set->size_cuts * 2 : 8;
                RevocationCut *p = realloc(set->cuts, size * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                set->cuts = p;
                set->size_cuts = size;
        }
        c = &set->cuts[set->n_cuts++];
        c->uid = uid;
        memcpy(c->role, role, len + 1);
        c->before = before;
        c->until = until;
        return 0;
}

bool revocation_revokes(const RevocationSet *set, const TokenClaims *c, int64_t now)
{
        if (c->akid && revocation_contains(set, c->akid, now))
                return true;
        for (size_t i = 0; i < set->n_cuts; i++) {
                const RevocationCut *k = &set->cuts[i];

                if (k->uid == c->uid && now < k->until && c->issued < k->before &&
                    (!k->role[0] || (c->role && strcmp(k->role, c->role) == 0)))
                        return true;
        }
        return false;
}

int revocation_foreach_cut(const RevocationSet *set,
                           int (*fn)(uint32_t uid, const char *role, int64_t before, int64_t until,
                                     void *arg),
                           void *arg)
{
        for (size_t i = 0; i < set->n_cuts; i++) {
                const RevocationCut *k = &set->cuts[i];
                int res = fn(k->uid, k->role, k->before, k->until, arg);

                if (res)
                        return res;
        }
        return 0;
}

size_t revocation_count(const RevocationSet *set)
{
        return set->t.n;
}

/* The caller's revocation_foreach() callback, carried through table_foreach(). */
typedef struct ForeachArg {
        int (*fn)(const char *akid, int64_t expires, void *arg);
        void *arg;
} ForeachArg;

static int foreach_one(const TableLink *l, void *arg)
{
        const ForeachArg *f = arg;
        const Revoked *r = (const Revoked *)l;

        return f->fn(r->akid, r->expires, f->arg);
}

int revocation_foreach(const RevocationSet *set,
                       int (*fn)(const char *akid, int64_t expires, void *arg), void *arg)
{
        ForeachArg f = { fn, arg };

        return table_foreach(&set->t, foreach_one, &f);
}
