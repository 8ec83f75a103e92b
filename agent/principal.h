/* SPDX-License-Identifier: MIT */
/*
 * principal.h - the attested context keys of a principal, built in one
 * place for every caller: a trust decision about a connected process
 * (trust.c), Authorize about a session (from its token's claims) and
 * Simulate about a principal an administrator names.  What the keys mean is
 * PROTOCOL.md's "Context keys"; where the facts come from (the kernel, a
 * verified token, NSS) is the caller's business.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "identity.h"
#include "policy.h"
#include "token.h"

/*
 * The facts a context describes; every pointer is borrowed.  Groups: @gid
 * first, then every entry of @gids that differs from it (@gid_names, when
 * not NULL, names them index-aligned; a NULL entry has no name).
 */
typedef struct Principal {
        uint32_t uid;
        uint32_t gid;
        const char *user;  /* name, or NULL when uid has none */
        const char *group; /* primary group's name, or NULL */
        const uint32_t *gids;
        char *const *gid_names; /* NULL: look names up (NSS) when is_named_groups */
        size_t n_gids;
        bool is_named_groups;      /* gid_names == NULL: resolve roled:groups through NSS */
        const char *exe;           /* a path verified to name the running file, or NULL/"" */
        const uint8_t *exe_sha256; /* EXEHASH_SIZE bytes, or NULL */
        const char *unit;          /* as rules spell it ("user:" for user units), or NULL/"" */
        const char *cgroup;        /* or NULL/"" */
        const char *held_role; /* the role of the session the principal holds (chaining), or NULL */
        char unit_buf[IDENTITY_UNIT_MAX + 5]; /* principal_from_identity()'s spelling of the unit */
} Principal;

/* A session of a role: who the principal is once it has assumed @role. */
typedef struct PrincipalSession {
        const Role *role;
        const char *sid; /* session id ("simulated" for Simulate) */
        int64_t issued;  /* aws:TokenIssueTime */
} PrincipalSession;

/* principal_from_identity() - the facts of an attested caller (borrowed from @id; @p must not
 * outlive it). */
void principal_from_identity(const Identity *id, Principal *p);

/*
 * principal_from_claims() - the facts a verified session token carries
 * (borrowed from @cl); @is_named_groups: look group names up (NSS) for
 * roled:groups (only when a policy reads that key: it may block).
 */
void principal_from_claims(const TokenClaims *cl, bool is_named_groups, Principal *p);

/*
 * principal_unit() - the unit of @id as rules and tokens spell it
 * ("user:NAME" for a user manager's unit) into @buf.  Return: @buf, or ""
 * when @id is in no unit.
 */
const char *principal_unit(const Identity *id, char *buf, size_t size);

/*
 * principal_context() - the attested context keys of @p:
 * roled:uid/gid/gids/user/groups/exe/exe-sha256/unit/cgroup, aws:username,
 * aws:SecureTransport, aws:MultiFactorAuthPresent, and
 *  - without @session (the caller itself, asking to assume a role):
 *    roled:role = the held role, aws:userid = the uid, aws:PrincipalArn =
 *    the user's ARN in @config's account;
 *  - with @session: roled:role = its role, aws:PrincipalArn = the role's
 *    ARN, aws:userid = ROLEID:sid, aws:PrincipalTag/KEY = the role's tags,
 *    aws:TokenIssueTime, and aws:SourceIdentity = the held role.
 * @now: sets aws:CurrentTime and aws:EpochTime when >= 0 (a cached
 *       context leaves them to principal_context_set_time()).
 * Return: 0 or -errno; on 0 the caller owns *@ctxp.
 */
int principal_context(const Config *config, const Principal *p, const PrincipalSession *session,
                      int64_t now, PolicyContext **ctxp);

/*
 * principal_session_keys() - only the keys of principal_context() that a
 * session of @s->role carries whoever holds it (roled:role,
 * aws:PrincipalArn, aws:userid, the tags, aws:TokenIssueTime), into @ctx:
 * for Simulate about no principal in particular.  Return: 0 or -errno.
 */
int principal_session_keys(PolicyContext *ctx, const PrincipalSession *s);

/* principal_context_set_time() - (re)set aws:CurrentTime and aws:EpochTime to @now.  Return: 0 or
 * -errno. */
int principal_context_set_time(PolicyContext *ctx, int64_t now);
