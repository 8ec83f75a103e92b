/* SPDX-License-Identifier: MIT */
/*
 * sessions.c - session cache and revocation set (see sessions.h).
 *
 * Both are chained hash tables over a power-of-two bucket array that doubles
 * at load factor 1, hashed with SipHash-2-4 (crypto_shorthash) under a random
 * per-table key so that callers cannot force collisions.  A cached session is
 * one allocation (entry, key and role together) plus its token and ARN.
 */
#include "sessions.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "refresh.h"
#include "uidcount.h"

#define TABLE_INITIAL 64

/* Every entry starts with its Link, so an entry and its Link convert into each other. */
typedef SessionLink Link;

typedef struct Table {
        Link **buckets;
        size_t n_buckets; /* power of two */
        size_t n;
        uint8_t key[crypto_shorthash_KEYBYTES];
} Table;

struct SessionCache {
        Table t;
        UidCount uids; /* live sessions per uid, for the per-uid limit */
};

typedef struct Revoked {
        Link link; /* first */
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

_Static_assert(offsetof(Session, link) == 0, "Session must start with its Link");
_Static_assert(offsetof(Revoked, link) == 0, "Revoked must start with its Link");

static int table_init(Table *t)
{
        t->buckets = calloc(TABLE_INITIAL, sizeof(Link *));
        if (!t->buckets)
                return -ENOMEM;
        t->n_buckets = TABLE_INITIAL;
        t->n = 0;
        crypto_shorthash_keygen(t->key);
        return 0;
}

static uint64_t table_hash(const Table *t, const char *s)
{
        uint8_t h[crypto_shorthash_BYTES];
        uint64_t v;

        crypto_shorthash(h, (const unsigned char *)s, strlen(s), t->key);
        memcpy(&v, h, sizeof(v));
        return v;
}

static Link **table_bucket(const Table *t, uint64_t hash)
{
        return &t->buckets[hash & (t->n_buckets - 1)];
}

/* table_reserve() - grow so that one more entry keeps the load factor at most 1. */
static int table_reserve(Table *t)
{
        Link **nb;
        size_t n_new;

        if (t->n < t->n_buckets)
                return 0;
        if (t->n_buckets > SIZE_MAX / 2 / sizeof(Link *))
                return -ENOMEM;
        n_new = t->n_buckets * 2;
        nb = calloc(n_new, sizeof(Link *));
        if (!nb)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_buckets; i++) {
                Link *l = t->buckets[i], *next;

                for (; l; l = next) {
                        next = l->next;
                        l->next = nb[l->hash & (n_new - 1)];
                        nb[l->hash & (n_new - 1)] = l;
                }
        }
        free(t->buckets);
        t->buckets = nb;
        t->n_buckets = n_new;
        return 0;
}

/* table_link() - add @l (whose hash is set); table_reserve() must have succeeded. */
static void table_link(Table *t, Link *l)
{
        Link **b = table_bucket(t, l->hash);

        l->next = *b;
        *b = l;
        t->n++;
}

/* --- sessions ------------------------------------------------------------------------ */

int64_t sessions_jitter_max(int64_t lifetime)
{
        return lifetime / 10 < SESSIONS_JITTER_MAX ? lifetime / 10 : SESSIONS_JITTER_MAX;
}

static void session_free(Session *s)
{
        credentials_deinit(&s->creds);
        free(s);
}

int sessions_new(SessionCache **cachep)
{
        SessionCache *c;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (table_init(&c->t) < 0) {
                free(c);
                return -ENOMEM;
        }
        *cachep = c;
        return 0;
}

SessionCache *sessions_free(SessionCache *cache)
{
        if (!cache)
                return NULL;
        for (size_t i = 0; i < cache->t.n_buckets; i++) {
                Link *l = cache->t.buckets[i], *next;

                for (; l; l = next) {
                        next = l->next;
                        session_free((Session *)l);
                }
        }
        free(cache->t.buckets);
        uidcount_deinit(&cache->uids);
        free(cache);
        return NULL;
}

/* find() - the link pointing at the session for @key (hash @hash), or NULL. */
static Link **find(const SessionCache *cache, const char *key, uint64_t hash)
{
        Link **p = table_bucket(&cache->t, hash);

        for (; *p; p = &(*p)->next)
                if ((*p)->hash == hash && strcmp(((Session *)*p)->key, key) == 0)
                        return p;
        return NULL;
}

const Session *sessions_lookup_unexpired(const SessionCache *cache, const char *key, int64_t now)
{
        Link **p = find(cache, key, table_hash(&cache->t, key));
        const Session *s = p ? (const Session *)*p : NULL;

        return s && now < s->creds.expires ? s : NULL;
}

const Session *sessions_lookup(const SessionCache *cache, const char *key, int64_t now)
{
        const Session *s = sessions_lookup_unexpired(cache, key, now);

        return s && now < s->refresh_at ? s : NULL;
}

int sessions_insert(SessionCache *cache, const char *key, Credentials *take, int64_t issued,
                    int64_t expires, const SessionOwner *owner, const char *role,
                    const Session **sessionp)
{
        const char *user = owner->user ? owner->user : "";
        uint32_t uid = owner->uid;
        size_t key_len = strlen(key), role_len = strlen(role), user_len = strlen(user);
        int64_t lifetime, jitter_max, jitter = 0;
        uint64_t hash = table_hash(&cache->t, key);
        Link **old;
        Session *s;
        int r;

        if (expires <= issued)
                return -EINVAL;
        r = table_reserve(&cache->t);
        if (r < 0)
                return r;
        /* The limit is the handler's to word (Throttling); here it only counts. */
        r = uidcount_add(&cache->uids, uid, 1, SIZE_MAX);
        if (r)
                return r < 0 ? r : -ENOSPC;
        s = malloc(sizeof(*s) + key_len + 1 + role_len + 1 + user_len + 1);
        if (!s) {
                uidcount_drop(&cache->uids, uid, 1);
                return -ENOMEM;
        }
        s->link.hash = hash;
        s->uid = uid;
        memcpy(s->key, key, key_len + 1);
        memcpy(s->key + key_len + 1, role, role_len + 1);
        s->role = s->key + key_len + 1;
        memcpy(s->key + key_len + 1 + role_len + 1, user, user_len + 1);
        s->user = s->role + role_len + 1;
        s->login_session = owner->login_session;

        /* Chosen once per session, so sessions minted together renew apart. */
        lifetime = expires - issued;
        jitter_max = sessions_jitter_max(lifetime);
        if (jitter_max > 0)
                jitter = randombytes_uniform((uint32_t)jitter_max);
        s->refresh_at = expires - refresh_margin(lifetime) - jitter;

        s->creds = *take;
        s->creds.issued = issued;
        s->creds.expires = expires;
        /* The token and ARN moved; wipe the caller's copy of the secret. */
        sodium_memzero(take, sizeof(*take));

        old = find(cache, key, hash);
        if (old) {
                Session *o = (Session *)*old;

                *old = o->link.next;
                cache->t.n--;
                uidcount_drop(&cache->uids, o->uid, 1);
                session_free(o);
        }
        table_link(&cache->t, &s->link);
        if (sessionp)
                *sessionp = s;
        return 0;
}

/* sweep() - remove every session for which @pred is true, calling @on_drop first. */
static int sweep(SessionCache *cache, bool (*pred)(const Session *, const void *), const void *arg,
                 int (*on_drop)(const Session *, void *), void *drop_arg, size_t *np)
{
        size_t n = 0;

        for (size_t i = 0; i < cache->t.n_buckets; i++) {
                Link **p = &cache->t.buckets[i];

                while (*p) {
                        Session *s = (Session *)*p;

                        if (!pred(s, arg)) {
                                p = &(*p)->next;
                                continue;
                        }
                        if (on_drop) {
                                int r = on_drop(s, drop_arg);

                                if (r < 0) {
                                        *np = n;
                                        return r;
                                }
                        }
                        *p = s->link.next;
                        cache->t.n--;
                        uidcount_drop(&cache->uids, s->uid, 1);
                        session_free(s);
                        n++;
                }
        }
        *np = n;
        return 0;
}

typedef struct RevokeMatch {
        uint32_t uid;
        const char *role;
} RevokeMatch;

static bool match_revoke(const Session *s, const void *arg)
{
        const RevokeMatch *m = arg;

        return s->uid == m->uid && (!m->role || strcmp(s->role, m->role) == 0);
}

static int remember_revoked(const Session *s, void *arg)
{
        return arg ? revocation_add(arg, s->creds.akid, s->creds.expires) : 0;
}

int sessions_revoke(SessionCache *cache, uint32_t uid, const char *role, RevocationSet *revoked,
                    size_t *np)
{
        RevokeMatch m = { .uid = uid, .role = role };
        size_t n = 0;
        int r;

        r = sweep(cache, match_revoke, &m, remember_revoked, revoked, &n);
        if (r < 0)
                return r;
        if (np)
                *np = n;
        return 0;
}

typedef struct LoginMatch {
        uint32_t uid;
        const uint32_t *logins;
        size_t n_logins;
        bool is_unscoped;
        int64_t since;
} LoginMatch;

static bool match_login(const Session *s, const void *arg)
{
        const LoginMatch *m = arg;

        if (s->uid != m->uid)
                return false;
        if (m->is_unscoped && s->creds.issued >= m->since)
                return true;
        if (s->login_session == SESSIONS_NO_LOGIN)
                return false;
        for (size_t i = 0; i < m->n_logins; i++)
                if (m->logins[i] == s->login_session)
                        return true;
        return false;
}

int sessions_revoke_logins(SessionCache *cache, uint32_t uid, const uint32_t *logins,
                           size_t n_logins, bool is_unscoped, int64_t since, RevocationSet *revoked,
                           size_t *np)
{
        LoginMatch m = { uid, logins, n_logins, is_unscoped, since };
        size_t n = 0;
        int r;

        r = sweep(cache, match_login, &m, remember_revoked, revoked, &n);
        if (r < 0)
                return r;
        if (np)
                *np = n;
        return 0;
}

static bool match_id(const Session *s, const void *arg)
{
        return strcmp(s->creds.sid, arg) == 0;
}

int sessions_revoke_id(SessionCache *cache, const char *sid, RevocationSet *revoked, size_t *np)
{
        size_t n = 0;
        int r;

        r = sweep(cache, match_id, sid, remember_revoked, revoked, &n);
        if (r < 0)
                return r;
        if (np)
                *np = n;
        return 0;
}

int sessions_foreach(const SessionCache *cache, int (*fn)(const Session *s, void *arg), void *arg)
{
        for (size_t i = 0; i < cache->t.n_buckets; i++)
                for (const Link *l = cache->t.buckets[i]; l; l = l->next) {
                        int r = fn((const Session *)l, arg);

                        if (r)
                                return r;
                }
        return 0;
}

const Session *sessions_find_id(const SessionCache *cache, const char *sid)
{
        for (size_t i = 0; i < cache->t.n_buckets; i++)
                for (const Link *l = cache->t.buckets[i]; l; l = l->next)
                        if (match_id((const Session *)l, sid))
                                return (const Session *)l;
        return NULL;
}

static bool match_expired(const Session *s, const void *arg)
{
        return s->creds.expires <= *(const int64_t *)arg;
}

size_t sessions_expire(SessionCache *cache, int64_t now)
{
        size_t n = 0;

        (void)sweep(cache, match_expired, &now, NULL, NULL, &n);
        return n;
}

size_t sessions_count(const SessionCache *cache)
{
        return cache->t.n;
}

size_t sessions_count_uid(const SessionCache *cache, uint32_t uid)
{
        return uidcount_get(&cache->uids, uid);
}

/* --- revocation set -------------------------------------------------------------------- */

int revocation_new(RevocationSet **setp)
{
        RevocationSet *set;

        set = calloc(1, sizeof(*set));
        if (!set)
                return -ENOMEM;
        if (table_init(&set->t) < 0) {
                free(set);
                return -ENOMEM;
        }
        *setp = set;
        return 0;
}

RevocationSet *revocation_free(RevocationSet *set)
{
        if (!set)
                return NULL;
        for (size_t i = 0; i < set->t.n_buckets; i++) {
                Link *l = set->t.buckets[i], *next;

                for (; l; l = next) {
                        next = l->next;
                        free(l);
                }
        }
        free(set->t.buckets);
        free(set->cuts);
        free(set);
        return NULL;
}

static Revoked *revoked_find(const RevocationSet *set, const char *akid, uint64_t hash)
{
        for (Link *l = *table_bucket(&set->t, hash); l; l = l->next)
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

size_t revocation_expire(RevocationSet *set, int64_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < set->t.n_buckets; i++) {
                Link **p = &set->t.buckets[i];

                while (*p) {
                        Revoked *r = (Revoked *)*p;

                        if (r->expires > now) {
                                p = &(*p)->next;
                                continue;
                        }
                        *p = r->link.next;
                        set->t.n--;
                        free(r);
                        n++;
                }
        }
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

int revocation_foreach(const RevocationSet *set,
                       int (*fn)(const char *akid, int64_t expires, void *arg), void *arg)
{
        for (size_t i = 0; i < set->t.n_buckets; i++)
                for (const Link *l = set->t.buckets[i]; l; l = l->next) {
                        const Revoked *r = (const Revoked *)l;
                        int res = fn(r->akid, r->expires, arg);

                        if (res)
                                return res;
                }
        return 0;
}
