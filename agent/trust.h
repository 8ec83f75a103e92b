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
        TRUST_E_DENIED = 1,     /* the identity may not assume the role; @why says why */
        TRUST_E_NEEDS_HASH = 2, /* the answer rests on the executable's hash, not computed yet */
};

/*
 * trust_can_hash() - could @id's executable still be hashed for a decision:
 * the agent holds it open and has neither its hash nor a reason why not?
 * A decision that reaches an exe_sha256 rule (or a trust_policy reading
 * roled:exe-sha256) for such an identity answers TRUST_E_NEEDS_HASH: the
 * caller hashes it (off the loop, hashq.c) and asks again.  Identities
 * without an open executable (Login's, Simulate's) are decided at once.
 */
bool trust_can_hash(const Identity *id);

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
 * units, exe_sha256 last, trust_rules_match()), and a JSON trust_policy, when the role has
 * one, must allow too, evaluated over principal_context() of @id.  A role
 * with neither names nobody.
 * @s: the configuration and time the decision is made against
 * @role: the role, one of @s->config's
 * @id: the attested caller; see trust_can_hash() for exe_sha256 rules
 * @chained_role: the role whose credentials the caller presented (role
 *      chaining), or NULL; the `roles` principal and roled:role look at it
 * @why: receives a one-line reason on denial naming @role and the failed
 *       rule, never other rules or roles; may be NULL
 * @why_len: size of @why
 * Return: 0 (allowed), TRUST_E_DENIED, TRUST_E_NEEDS_HASH, or -errno.
 */
int trust_decide(const TrustScope *s, const Role *role, const Identity *id,
                 const char *chained_role, char *why, size_t why_len);

/*
 * trust_default_role() - @id's default role: the first role, in config order
 * (roles.d file names in byte order), whose [default] section @id matches
 * (principals and constraints, no chaining) and which trust_decide() lets
 * @id assume.
 * @rolep: receives a role borrowed from @s->config, or NULL when there is none
 * Return: 0, TRUST_E_NEEDS_HASH (as for trust_decide()) or -errno.
 */
int trust_default_role(const TrustScope *s, const Identity *id, const Role **rolep);

/*
 * trust_rules_match() - does @id satisfy the section @rules (&role->trust or
 * &role->defaults) of @role?  Only a part of the decision: callers outside
 * trust.c ask trust_decide(); this is exported for the unit tests of the
 * INI rules' semantics.
 * Return: 0, TRUST_E_DENIED (with @why, as for trust_decide()) or
 * TRUST_E_NEEDS_HASH.
 */
int trust_rules_match(const Role *role, const TrustRules *rules, const Identity *id,
                      const char *chained_role, char *why, size_t why_len);

/*
 * trust_rests_on_exe() - does an answer about @role rest on the executable:
 * exe or exe_sha256 in [trust] or [default], a JSON trust_policy that reads
 * roled:exe or roled:exe-sha256, permissions that read either (Authorize
 * evaluates the session's), or claim_exe = true?  Such answers are given
 * only to requests sent after the executable was read, and only after
 * identity_check_exe(); and only their sessions name the executable
 * (issuer.h has_exe_claim).
 */
bool trust_rests_on_exe(const TrustScope *s, const Role *role);

/* Why trust_rests_on_exe() holds for a role: one bit per cause. */
enum {
        TRUST_EXE_BY_EXE = 1 << 0,          /* exe rules in [trust] or [default] */
        TRUST_EXE_BY_EXE_SHA256 = 1 << 1,   /* exe_sha256 rules in [trust] or [default] */
        TRUST_EXE_BY_TRUST_POLICY = 1 << 2, /* the trust_policy reads roled:exe(-sha256) */
        TRUST_EXE_BY_PERMISSIONS = 1 << 3,  /* the permissions read roled:exe(-sha256) */
        TRUST_EXE_BY_CLAIM_EXE = 1 << 4,    /* claim_exe = true */
        TRUST_EXE_BY_COUNT = 5,
};

/*
 * trust_exe_claim_causes() - every cause (TRUST_EXE_BY_*) for which an
 * answer about @role rests on the executable; 0 when none does.
 * trust_rests_on_exe() is this != 0: the issuers' has_exe_claim and
 * GetRole's exeClaim come from here.
 */
unsigned trust_exe_claim_causes(const TrustScope *s, const Role *role);

/*
 * trust_exe_cause_name() - the name of one TRUST_EXE_BY_* bit, as GetRole's
 * exeClaimCauses spells it (the configuration key: "exe", "exe_sha256",
 * "trust_policy", "permissions", "claim_exe"), or NULL for another value.
 */
const char *trust_exe_cause_name(unsigned cause);

/* trust_needs_exe_hash() - does @role have exe_sha256 rules in [trust] or [default]? */
bool trust_needs_exe_hash(const Role *role);

/*
 * trust_config_rests_on_exe() - does trust_rests_on_exe() hold for any role
 * of @config?  Only then does a request's answer ever rest on the
 * executable, and conn.c counts the bytes a peer sent before its executable
 * was read.
 */
bool trust_config_rests_on_exe(const Config *config, const AccessPolicies *aps);

/*
 * trust_config_reads_unit() - does any role of @config read the caller's
 * systemd unit or cgroup: a unit rule in [trust] or [default], a trust
 * or permissions policy reading roled:unit or roled:cgroup, or an aws role
 * (its sessions' roled:unit tag is for IAM policies)?  Only then does
 * attestation read the cgroup (IDENTITY_READ_CGROUP), and only then do
 * sessions name a unit and the session cache tell units apart.
 */
bool trust_config_reads_unit(const Config *config, const AccessPolicies *aps);

/*
 * trust_config_needs_exe_hash() - could any request under @config need an
 * executable's hash: an exe_sha256 rule, or a trust_policy or permissions
 * policy that reads roled:exe-sha256?  Only then does attestation open the
 * caller's executable (so that it can be hashed when a request needs it).
 */
bool trust_config_needs_exe_hash(const Config *config, const AccessPolicies *aps);
