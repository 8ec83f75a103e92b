/* SPDX-License-Identifier: MIT */
/*
 * sessions.c - the session cache (see sessions.h).
 *
 * A cached session is one allocation (entry, key, role and user together)
 * plus its token and ARN, linked into a table.h hash table; a UidCount keeps
 * the per-uid totals as sessions come and go.
 */
#include "sessions.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "refresh.h"
#include "uidcount.h"

struct SessionCache {
        Table t;
        UidCount uids;  /* live sessions per uid, for the per-uid limit */
        uint64_t epoch; /* sessions_epoch(): counts the sessions that left the cache */
};

_Static_assert(offsetof(Session, link) == 0, "Session must start with its TableLink");

int64_t sessions_jitter_max(int64_t lifetime)
{
        return lifetime / 10 < SESSIONS_JITTER_MAX ? lifetime / 10 : SESSIONS_JITTER_MAX;
}

static void session_free(TableLink *l)
{
        Session *s = (Session *)l;

        credentials_deinit(&s->creds);
        free(s);
}

int sessions_new(SessionCache **cachep)
{
        _cleanup_(sessions_freep) SessionCache *c = calloc(1, sizeof(*c));

        if (!c || table_init(&c->t, session_free) < 0)
                return -ENOMEM;
        *cachep = steal_pointer(&c);
        return 0;
}

SessionCache *sessions_free(SessionCache *cache)
{
        if (!cache)
                return NULL;
        table_deinit(&cache->t);
        uidcount_deinit(&cache->uids);
        free(cache);
        return NULL;
}

/* find() - the link pointing at the session for @key (hash @hash), or NULL. */
static TableLink **find(const SessionCache *cache, const char *key, uint64_t hash)
{
        TableLink **p = table_bucket(&cache->t, hash);

        for (; *p; p = &(*p)->next)
                if ((*p)->hash == hash && strcmp(((Session *)*p)->key, key) == 0)
                        return p;
        return NULL;
}

const Session *sessions_lookup_unexpired(const SessionCache *cache, const char *key, int64_t now)
{
        TableLink **p = find(cache, key, table_hash(&cache->t, key));
        const Session *s = p ? (const Session *)*p : NULL;

        return s && now < s->creds.expires ? s : NULL;
}

uint64_t sessions_epoch(const SessionCache *cache)
{
        return cache->epoch;
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
        TableLink **old;
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

                table_unlink(&cache->t, old);
                cache->epoch++;
                uidcount_drop(&cache->uids, o->uid, 1);
                session_free(&o->link);
        }
        table_link(&cache->t, &s->link);
        if (sessionp)
                *sessionp = s;
        return 0;
}

/* What sweep() drops, and where it remembers the dropped sessions. */
typedef struct Sweep {
        SessionCache *cache;
        bool (*pred)(const Session *s, const void *arg);
        const void *arg;
        RevocationSet *revoked; /* NULL: only drop them */
} Sweep;

static int sweep_one(TableLink *l, void *arg)
{
        const Sweep *w = arg;
        const Session *s = (const Session *)l;

        if (!w->pred(s, w->arg))
                return 0;
        if (w->revoked) {
                int r = revocation_add(w->revoked, s->creds.akid, s->creds.expires);

                if (r < 0)
                        return r;
        }
        uidcount_drop(&w->cache->uids, s->uid, 1);
        w->cache->epoch++;
        return 1;
}

/*
 * sweep() - remove every session for which @pred is true, remembering it in
 * @revoked first when that is not NULL.
 * @np: on success, if not NULL, how many were removed
 * Return: 0 or -ENOMEM (sessions removed before the failure stay removed).
 */
static int sweep(SessionCache *cache, bool (*pred)(const Session *, const void *), const void *arg,
                 RevocationSet *revoked, size_t *np)
{
        Sweep w = { cache, pred, arg, revoked };
        size_t n = 0;
        int r;

        r = table_sweep(&cache->t, sweep_one, &w, &n);
        if (r < 0)
                return r;
        if (np)
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

int sessions_revoke(SessionCache *cache, uint32_t uid, const char *role, RevocationSet *revoked,
                    size_t *np)
{
        RevokeMatch m = { .uid = uid, .role = role };

        return sweep(cache, match_revoke, &m, revoked, np);
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

        return sweep(cache, match_login, &m, revoked, np);
}

static bool match_id(const Session *s, const void *arg)
{
        return strcmp(s->creds.sid, arg) == 0;
}

int sessions_revoke_id(SessionCache *cache, const char *sid, RevocationSet *revoked, size_t *np)
{
        return sweep(cache, match_id, sid, revoked, np);
}

/* The caller's sessions_foreach() callback, carried through table_foreach(). */
typedef struct ForeachArg {
        int (*fn)(const Session *s, void *arg);
        void *arg;
} ForeachArg;

static int foreach_one(const TableLink *l, void *arg)
{
        const ForeachArg *f = arg;

        return f->fn((const Session *)l, f->arg);
}

int sessions_foreach(const SessionCache *cache, int (*fn)(const Session *s, void *arg), void *arg)
{
        ForeachArg f = { fn, arg };

        return table_foreach(&cache->t, foreach_one, &f);
}

/* The session sessions_find_id() looks for, and where it puts it. */
typedef struct FindId {
        const char *sid;
        const Session *found;
} FindId;

static int find_id(const Session *s, void *arg)
{
        FindId *f = arg;

        if (!match_id(s, f->sid))
                return 0;
        f->found = s;
        return 1;
}

const Session *sessions_find_id(const SessionCache *cache, const char *sid)
{
        FindId f = { sid, NULL };

        (void)sessions_foreach(cache, find_id, &f);
        return f.found;
}

static bool match_expired(const Session *s, const void *arg)
{
        return s->creds.expires <= *(const int64_t *)arg;
}

size_t sessions_expire(SessionCache *cache, int64_t now)
{
        size_t n = 0;

        (void)sweep(cache, match_expired, &now, NULL, &n);
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
