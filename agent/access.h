/* SPDX-License-Identifier: MIT */
/*
 * access.h - the agent's use of the policy engine: every role's permissions
 * and trust compiled once per configuration, the attested request context,
 * and trust decisions ("may this identity assume this role?").
 *
 * The INI shorthand [trust] rules are compiled into an IAM trust document
 * (Principal {"Local": [...]} for users, groups, uids, gids and chained roles;
 * StringEquals conditions on roled:exe, roled:exe-sha256 and roled:unit for
 * the constraints), so one engine decides both that and a role's JSON
 * trust_policy.  When a role has both, both must allow.  The session
 * policies Authorize intersects with a role's permissions are kept by
 * policystore.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "identity.h"
#include "policy.h"

/* A role's compiled documents; index-aligned with Config.roles. */
typedef struct RolePolicies {
        Policy *permissions;    /* NULL: the role may do nothing (implicit deny) */
        Policy *trust_rules;    /* compiled [trust]; NULL when the section lists no principal */
        char *trust_rules_json; /* the trust document [trust] was compiled from (for GetRole) */
        Policy *trust_doc;      /* the JSON trust_policy; NULL when none */
        bool is_trust_static; /* trust reads no time keys: a decision may be memoised per connection
                               */
} RolePolicies;

typedef struct AccessPolicies {
        RolePolicies *roles;
        size_t n_roles;
} AccessPolicies;

/*
 * access_compile() - compile every role of @config.
 * @why: "file: statement N (field): reason" on POLICY_E_MALFORMED
 * Return: 0, POLICY_E_MALFORMED, or -ENOMEM.  On 0 the caller owns *@apsp.
 */
int access_compile(const Config *config, AccessPolicies **apsp, char *why, size_t why_len);
/* access_policies_free() - free (NULL is fine).  Return: NULL. */
AccessPolicies *access_policies_free(AccessPolicies *aps);
DEFINE_TRIVIAL_CLEANUP_FUNC(AccessPolicies, access_policies_free);

/*
 * access_identity_context() - the attested context keys of a caller:
 * roled:uid/user/gid/gids/groups/exe/exe-sha256/unit/cgroup, roled:role when
 * @chained_role is set, aws:username, aws:userid, aws:PrincipalArn,
 * aws:CurrentTime, aws:EpochTime, aws:SecureTransport,
 * aws:MultiFactorAuthPresent.  Return: 0 or -errno; the caller owns *@ctxp.
 */
int access_identity_context(const Config *config, const Identity *id, const char *chained_role,
                            int64_t now, PolicyContext **ctxp);

/*
 * access_trust() - may @id assume @role (chained from @chained_role, or NULL)?
 * Return: 0 allowed; TRUST_E_DENIED with @why naming the role and the reason;
 * -errno.
 */
int access_trust(const Config *config, const AccessPolicies *aps, const Role *role,
                 const Identity *id, const char *chained_role, int64_t now, char *why,
                 size_t why_len);

/* access_role_policies() - the compiled documents of @role (which must belong to @config). */
const RolePolicies *access_role_policies(const Config *config, const AccessPolicies *aps,
                                         const Role *role);
