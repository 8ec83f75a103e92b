/* SPDX-License-Identifier: MIT */
/*
 * sessions.h - the session cache (per role and caller identity, refreshed
 * ahead of expiry) and the set of revoked sessions.
 *
 * Both are hash tables keyed with SipHash under a random key, used from the
 * loop thread only; time is always passed in, never read here.  The cache
 * key is built by the caller (role, identity key, duration, policy digest);
 * minting, single flight and upstream backoff belong to the caller too.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"
#include "token.h"
#include "util.h"

typedef struct RevocationSet RevocationSet;

/* Refresh rule (DESIGN.md section 6). */
#define SESSIONS_JITTER_MAX 300 /* seconds: jitter is below min(5 min, lifetime/10) */

/* Hash chain header; first member of every table entry. */
typedef struct SessionLink {
        struct SessionLink *next;
        uint64_t hash;
} SessionLink;

/* SESSIONS_NO_LOGIN - login_session of a caller outside any login (the kernel's "unset"). */
#define SESSIONS_NO_LOGIN UINT32_MAX

/* Whose a session is: what sessions_insert() records besides the credentials. */
typedef struct SessionOwner {
        uint32_t uid;
        uint32_t login_session; /* the caller's audit session id, or SESSIONS_NO_LOGIN */
        const char *user;       /* the uid's name as attested (its number when unresolved) */
} SessionOwner;

/* One cached session; fields are read-only for callers. */
typedef struct Session {
        SessionLink link;   /* must stay first */
        int64_t refresh_at; /* served by sessions_lookup() while now < refresh_at */
        uint32_t uid;
        uint32_t login_session; /* SessionOwner's */
        Credentials creds;      /* owned; creds.issued/expires as passed to sessions_insert() */
        const char *role;       /* points into the same allocation */
        const char *user;       /* points into the same allocation */
        char key[];             /* the cache key, NUL-terminated, then the role, then the user */
} Session;

typedef struct SessionCache SessionCache;

/* sessions_jitter_max() - exclusive upper bound of the jitter: min(SESSIONS_JITTER_MAX,
 * lifetime/10). */
int64_t sessions_jitter_max(int64_t lifetime);

/* sessions_new() - an empty cache.  Return: 0 or -ENOMEM; the caller frees *@cachep. */
int sessions_new(SessionCache **cachep);

/* sessions_free() - wipe and free every session and the cache (NULL is fine).  Return: NULL. */
SessionCache *sessions_free(SessionCache *cache);

/*
 * sessions_lookup() - the cached session for @key if it is still fresh,
 * i.e. @now < expires - refresh_margin(lifetime) - jitter (base/refresh.h).
 * Never allocates.
 * Return: the session (borrowed; valid until the next insert, revoke, expire
 * or free), or NULL when there is none or it is due for refresh (the
 * caller mints a new one and inserts it under the same key).
 */
const Session *sessions_lookup(const SessionCache *cache, const char *key, int64_t now);

/*
 * sessions_lookup_unexpired() - like sessions_lookup() but accepts a session
 * that is due for refresh as long as @now < expires: for serving while the
 * upstream is down.
 */
const Session *sessions_lookup_unexpired(const SessionCache *cache, const char *key, int64_t now);

/*
 * sessions_insert() - cache a session under @key, replacing (and wiping) any
 * session already there.  The jitter is chosen here, once.
 * @cache:   the cache
 * @key:     cache key (copied)
 * @take:    credentials, moved into the cache; on success *@take is wiped
 *           and reset to CREDENTIALS_INIT, on failure it is left alone
 * @issued, @expires: lifetime of the session, Unix seconds (@expires > @issued)
 * @owner:   uid, login session and user name (copied), for revoking and listing
 * @role:    role name (copied), for sessions_revoke()
 * @sessionp: on success, if not NULL, the cached session (borrowed)
 *
 * Sessions that must never be served from the cache (AssumeRole) can still be
 * inserted under a key no lookup uses (e.g. "sid:" + session id) so that
 * sessions_revoke() finds them.
 *
 * Return: 0, -EINVAL (@expires <= @issued) or -ENOMEM.
 */
int sessions_insert(SessionCache *cache, const char *key, Credentials *take, int64_t issued,
                    int64_t expires, const SessionOwner *owner, const char *role,
                    const Session **sessionp);

/*
 * sessions_revoke() - drop the sessions of @uid (all, or only those of @role)
 * and remember their access key ids in @revoked until they expire.
 * @revoked: may be NULL to only drop them from the cache
 * @np:      on success, if not NULL, how many sessions were revoked
 *
 * Return: 0 or -ENOMEM (sessions handled before the failure stay revoked).
 */
int sessions_revoke(SessionCache *cache, uint32_t uid, const char *role, RevocationSet *revoked,
                    size_t *np);

/*
 * sessions_revoke_logins() - like sessions_revoke(), for the sessions of @uid
 * whose login session is one of @logins[0..@n_logins) (those of a login
 * group), and, with @is_unscoped, every session of @uid issued at or after
 * @since (Unix seconds: a login without a login session cannot be told from
 * the uid's services, so everything since the group began ends).
 */
int sessions_revoke_logins(SessionCache *cache, uint32_t uid, const uint32_t *logins,
                           size_t n_logins, bool is_unscoped, int64_t since, RevocationSet *revoked,
                           size_t *np);

/*
 * sessions_foreach() - call @fn(s, @arg) for every cached session, in no
 * particular order; stops at the first non-zero return and passes it on.
 * @fn must not change @cache.  Return: 0 or what @fn returned.
 */
int sessions_foreach(const SessionCache *cache, int (*fn)(const Session *s, void *arg), void *arg);

/* sessions_find_id() - the session whose session id is @sid, or NULL (a scan of the cache). */
const Session *sessions_find_id(const SessionCache *cache, const char *sid);

/*
 * sessions_revoke_id() - like sessions_revoke(), for the one session whose
 * session id is @sid (*@np is 0 when there is none).
 */
int sessions_revoke_id(SessionCache *cache, const char *sid, RevocationSet *revoked, size_t *np);

/*
 * SESSIONS_ASSUME_PREFIX - the start of the key an AssumeRole session is kept
 * under (a key no lookup uses), so listings can tell it from a cached one.
 */
#define SESSIONS_ASSUME_PREFIX "assume\x1f"

/* sessions_expire() - drop (and wipe) every session with expires <= @now.  Return: how many. */
size_t sessions_expire(SessionCache *cache, int64_t now);

/* sessions_count() - number of cached sessions. */
size_t sessions_count(const SessionCache *cache);

/* sessions_count_uid() - how many sessions of @uid the cache holds (for the per-uid limit). */
size_t sessions_count_uid(const SessionCache *cache, uint32_t uid);

/* revocation_new() - an empty set.  Return: 0 or -ENOMEM; the caller frees *@setp. */
int revocation_new(RevocationSet **setp);

/* revocation_free() - free @set (NULL is fine).  Return: NULL. */
RevocationSet *revocation_free(RevocationSet *set);

/*
 * revocation_add() - remember that @akid is revoked until @expires.
 * Return: 0, -EINVAL (@akid longer than TOKEN_AKID_MAX) or -ENOMEM.
 */
int revocation_add(RevocationSet *set, const char *akid, int64_t expires);

/* revocation_contains() - is @akid revoked (and its session not yet expired at @now)?  Never
 * allocates. */
bool revocation_contains(const RevocationSet *set, const char *akid, int64_t now);

/* revocation_expire() - forget entries with expires <= @now.  Return: how many. */
size_t revocation_expire(RevocationSet *set, int64_t now);

/*
 * Cuts: "every session of @uid (of @role, or of every role when @role is
 * "") issued before @before is revoked", kept until @until (when the last
 * such session has expired).  Revoke records one besides the access key ids
 * of the sessions it found, so sessions this agent issued before a restart,
 * which it cannot list, are revoked too.  One cut per (uid, role): a newer
 * one replaces it.  At most REVOCATION_CUTS_MAX.
 */
#define REVOCATION_CUTS_MAX 4096

enum {
        REVOCATION_E_FULL = 1,  /* REVOCATION_CUTS_MAX cuts already */
        REVOCATION_E_UNCHANGED, /* an equal or wider cut was there */
};

/*
 * revocation_cut() - add or widen the cut of (@uid, @role).
 * Return: 0 when it changed the set, REVOCATION_E_UNCHANGED when an equal or
 *         wider cut was there, REVOCATION_E_FULL, -EINVAL (@role too long)
 *         or -ENOMEM.
 */
int revocation_cut(RevocationSet *set, uint32_t uid, const char *role, int64_t before,
                   int64_t until);

/*
 * revocation_revokes() - is the session @c (its access key id, uid, role
 * and issue time) revoked at @now, by its access key id or by a cut?
 * Never allocates.
 */
bool revocation_revokes(const RevocationSet *set, const TokenClaims *c, int64_t now);

/*
 * revocation_foreach_cut() - call @fn(uid, role, before, until, @arg) for
 * every cut; stops at the first non-zero return and passes it on.
 */
int revocation_foreach_cut(const RevocationSet *set,
                           int (*fn)(uint32_t uid, const char *role, int64_t before, int64_t until,
                                     void *arg),
                           void *arg);

/* revocation_count() - number of remembered entries. */
size_t revocation_count(const RevocationSet *set);

/*
 * revocation_foreach() - call @fn(akid, expires, @arg) for every entry, in no
 * particular order; stops at the first non-zero return and passes it on.
 * @fn must not change @set.  Return: 0 or what @fn returned.
 */
int revocation_foreach(const RevocationSet *set,
                       int (*fn)(const char *akid, int64_t expires, void *arg), void *arg);

DEFINE_TRIVIAL_CLEANUP_FUNC(SessionCache, sessions_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(RevocationSet, revocation_free);
