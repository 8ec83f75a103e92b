/* SPDX-License-Identifier: MIT */
/*
 * sessions.h - the session cache (per role and caller identity, refreshed
 * ahead of expiry).
 *
 * A table.h hash table, used from the loop thread only; time is always
 * passed in, never read here.  The cache key is built by the caller (role,
 * identity key, duration, policy digest); minting, single flight and
 * upstream backoff belong to the caller too.  Revoking a session drops it
 * here and remembers it in a RevocationSet (revocations.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"
#include "revocations.h"
#include "table.h"
#include "token.h"
#include "util.h"

/* Refresh rule (DESIGN.md section 6). */
#define SESSIONS_JITTER_MAX 300 /* seconds: jitter is below min(5 min, lifetime/10) */

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
        TableLink link;     /* must stay first */
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
 * sessions_epoch() - a number that changes whenever a session leaves @cache
 * (replaced, revoked, expired).  While it stays the same, a session a lookup
 * found under a key is still the one under that key, so a caller that
 * remembers both may skip the next lookup of that key (checking the time
 * against refresh_at and expires itself).
 */
uint64_t sessions_epoch(const SessionCache *cache);

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

DEFINE_TRIVIAL_CLEANUP_FUNC(SessionCache, sessions_free);
