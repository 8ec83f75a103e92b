/* SPDX-License-Identifier: MIT */
/*
 * trust.h - may this identity assume this role? Pure decisions over a Role's
 * [trust] and [default] sections (semantics in config.h) and an attested
 * Identity: no I/O, no allocation. Computing the executable hash is the
 * agent's job (off the loop), evaluating a JSON trust_policy the policy
 * engine's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "identity.h"

#define TRUST_WHY_MAX 256 /* a reason buffer that always fits */

enum {
        TRUST_E_DENIED = 1, /* the identity may not assume the role; @why says why */
};

/*
 * trust_check() - may @id assume @role?
 * @role: the role
 * @id: the attested caller; for exe_sha256 rules id->has_exe_sha256 must be
 *      set, or the answer is TRUST_E_DENIED ("executable hash unavailable")
 * @chained_role: the role whose credentials the caller presented (role
 *      chaining), or NULL; only the `roles` principal looks at it
 * @why: receives a one-line reason on denial naming @role and the failed
 *       rule, never other rules or roles; may be NULL
 * @why_len: size of @why
 *
 * Principals are checked first, then exe, exe_sha256 and units.
 * Return: 0 (allowed) or TRUST_E_DENIED.
 */
int trust_check(const Role *role, const Identity *id, const char *chained_role, char *why,
                size_t why_len);

/*
 * trust_is_default_for() - is @role the default role of @id: does @id match
 * its [default] section (principals and constraints, no chaining) and pass
 * trust_check() unchained?
 */
bool trust_is_default_for(const Role *role, const Identity *id);

/*
 * trust_default_role() - @id's default role: the first role, in config order
 * (roles.d file names in byte order), for which trust_is_default_for() holds.
 * Return: a role borrowed from @config, or NULL when there is none.
 */
const Role *trust_default_role(const Config *config, const Identity *id);

/*
 * trust_uses_exe() - does a decision about @role depend on the executable
 * (exe or exe_sha256 in [trust] or [default])?  Such answers are given only
 * after identity_check_exe().
 */
bool trust_uses_exe(const Role *role);

/* trust_needs_exe_hash() - does @role have exe_sha256 rules in [trust] or [default]? */
bool trust_needs_exe_hash(const Role *role);

/*
 * trust_identity_needs_exe_hash() - could an exe_sha256 rule decide anything
 * for @id: does a role with exe_sha256 rules name @id among the principals
 * of that section (or accept chained roles there), with no namespace rule
 * refusing it anyway?  Only then is its executable hashed.
 */
bool trust_identity_needs_exe_hash(const Config *config, const Identity *id);

/* trust_config_needs_exe_hash() - does any role of @config have exe_sha256 rules? */
bool trust_config_needs_exe_hash(const Config *config);
