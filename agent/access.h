/* SPDX-License-Identifier: MIT */
/*
 * access.h - every role's documents compiled once per configuration: its
 * permissions policy, its JSON trust_policy, and the IAM trust document its
 * INI [trust] rules stand for (Principal {"Local": [...]} for users, groups,
 * uids, gids and chained roles; StringEquals conditions on roled:exe,
 * roled:exe-sha256 and roled:unit for the constraints), which GetRole shows.
 * Deciding trust is trust.c's, building context keys principal.c's; the
 * session policies Authorize intersects with a role's permissions are kept
 * by policystore.c.
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
        Policy *permissions; /* NULL: the role may do nothing (implicit deny) */
        Policy *trust_rules; /* [trust] as a document (shown, not evaluated); NULL when it lists no
                                principal */
        char *trust_rules_json;   /* the trust document [trust] was compiled from (for GetRole) */
        char *default_rules_json; /* [default] in the same form (for GetRole); NULL when it names
                                     nobody */
        Policy *trust_doc;        /* the JSON trust_policy; NULL when none */
        bool is_trust_static; /* trust reads no time keys: a decision may be memoised per connection
                               */
        bool is_trust_doc_exe;    /* the trust_policy reads roled:exe or roled:exe-sha256 */
        bool is_trust_doc_hash;   /* ... roled:exe-sha256 */
        bool is_permissions_hash; /* the permissions read roled:exe-sha256 (its sessions must carry
                                     it) */
        bool is_trust_doc_unit;   /* the trust_policy reads roled:unit or roled:cgroup */
        bool is_permissions_unit; /* the permissions read roled:unit or roled:cgroup */
        bool is_permissions_exe;  /* the permissions read roled:exe or roled:exe-sha256 (as a
                                     condition key or a policy variable): Authorize's answer rests
                                     on the executable the session was issued to */
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

/* access_role_policies() - the compiled documents of @role (which must belong to @config). */
const RolePolicies *access_role_policies(const Config *config, const AccessPolicies *aps,
                                         const Role *role);
