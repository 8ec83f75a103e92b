/* SPDX-License-Identifier: MIT */
/*
 * trust.h - may this identity assume this role, and if not, why?  The one
 * place that answers it, for every method and command: a Role's [trust]
 * and [default] sections (semantics in config.h) and its JSON trust_policy
 * (through the policy engine), against an attested Identity.  No I/O: the
 * executable hash is computed by the agent beforehand (off the loop), the
 * documents are compiled by access.c, the context keys built by principal.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "access.h"
#include "agent.h"
#include "config.h"
#include "identity.h"

#define TRUST_WHY_MAX 256 /* a reason buffer that always fits */

enum {
        TRUST_E_DENIED = 1, /* the identity may not assume the role; @why says why */
};

/*
 * Where a decision is made: the configuration, its compiled documents
 * (access.c) and the time (for a JSON trust_policy's time keys).
 */
typedef struct TrustScope {
        const Config *config;
        const AccessPolicies *access;
        int64_t now;
} TrustScope;

/* trust_scope_of() - the agent's current configuration, at the agent's time. */
static inline TrustScope trust_scope_of(const Agent *a)
{
        return (TrustScope){ .config = a->config, .access = a->access, .now = agent_now(a) };
}

/*
 * trust_decide() - may @id assume @role?  The one trust decision: ListRoles,
 * the default-role choice, GetCredentials, AssumeRole, GetRole, Login,
 * pre-warming and Simulate (for a principal an administrator names) all ask
 * here.  [trust] must allow (principals first, then exe, exe_sha256 and
 * units, trust_rules_match()), and a JSON trust_policy, when the role has
 * one, must allow too, evaluated over principal_context() of @id.  A role
 * with neither names nobody.
 * @s: the configuration and time the decision is made against
 * @role: the role, one of @s->config's
 * @id: the attested caller; for exe_sha256 rules id->has_exe_sha256 must be
 *      set, or the answer is TRUST_E_DENIED ("executable hash unavailable")
 * @chained_role: the role whose credentials the caller presented (role
 *      chaining), or NULL; the `roles` principal and roled:role look at it
 * @why: receives a one-line reason on denial naming @role and the failed
 *       rule, never other rules or roles; may be NULL
 * @why_len: size of @why
 * Return: 0 (allowed), TRUST_E_DENIED, or -errno.
 */
int trust_decide(const TrustScope *s, const Role *role, const Identity *id, const char *chained_role,
                 char *why, size_t why_len);

/*
 * trust_default_role() - @id's default role: the first role, in config order
 * (roles.d file names in byte order), whose [default] section @id matches
 * (principals and constraints, no chaining) and which trust_decide() lets
 * @id assume.
 * @rolep: receives a role borrowed from @s->config, or NULL when there is none
 * Return: 0 or -errno.
 */
int trust_default_role(const TrustScope *s, const Identity *id, const Role **rolep);

/*
 * trust_rules_match() - does @id satisfy the section @rules (&role->trust or
 * &role->defaults) of @role?  Only a part of the decision: callers outside
 * trust.c ask trust_decide(); this is exported for the unit tests of the
 * INI rules' semantics.
 * Return: 0 or TRUST_E_DENIED (with @why, as for trust_decide()).
 */
int trust_rules_match(const Role *role, const TrustRules *rules, const Identity *id, const char *chained_role,
                      char *why, size_t why_len);

/*
 * trust_uses_exe() - does a decision about @role depend on the executable
 * (exe or exe_sha256 in [trust] or [default], or a JSON trust_policy that
 * reads roled:exe or roled:exe-sha256)?  Such answers are given only after
 * identity_check_exe().
 */
bool trust_uses_exe(const TrustScope *s, const Role *role);

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
