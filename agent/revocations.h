/* SPDX-License-Identifier: MIT */
/*
 * revocations.h - the set of revoked sessions: access key ids revoked before
 * their expiry, and cuts that revoke every session of a uid (and role)
 * issued before a time.  Entries are kept until the sessions they name would
 * have expired anyway.
 *
 * Used from the loop thread only; time is always passed in, never read here.
 * Which sessions to revoke is sessions.c's business (sessions_revoke() adds
 * their ids here), checking a presented token issuer_local.c's, and keeping
 * the set across restarts revfile.c's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "token.h"
#include "util.h"

typedef struct RevocationSet RevocationSet;

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

DEFINE_TRIVIAL_CLEANUP_FUNC(RevocationSet, revocation_free);
