/* SPDX-License-Identifier: MIT */
/*
 * trust.c - the trust decision (trust.h): does an attested Identity satisfy
 * a role's [trust] (may assume) or [default] (gets it as default role)
 * section, and does the role's JSON trust_policy allow it?  Semantics are
 * documented in config.h; this file does no I/O and keeps no state, so the
 * answers depend on nothing but the arguments.
 */
#include "trust.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "principal.h"
#include "util.h"

static bool in_ranges(const IdRange *r, size_t n, uint32_t v)
{
        for (size_t i = 0; i < n; i++)
                if (v >= r[i].lo && v <= r[i].hi)
                        return true;
        return false;
}

static bool in_names(char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], name))
                        return true;
        return false;
}

static bool has_principals(const TrustRules *t)
{
        return t->is_any_user || t->n_users || t->n_groups || t->n_uids || t->n_gids || t->n_roles;
}

/* Principals: users ∪ groups ∪ uids ∪ gids ∪ roles. */
static bool match_principal(const TrustRules *t, const Identity *id, const char *chained_role)
{
        if (t->is_any_user)
                return true;
        if (id->has_user_name && in_names(t->users, t->n_users, id->user))
                return true;
        if (in_ranges(t->uids, t->n_uids, id->uid))
                return true;
        if (in_ranges(t->gids, t->n_gids, id->gid))
                return true;
        if (id->has_group_name && in_names(t->groups, t->n_groups, id->group))
                return true;
        for (size_t i = 0; i < id->n_gids; i++) {
                if (in_ranges(t->gids, t->n_gids, id->gids[i]))
                        return true;
                if (id->gid_names[i] && in_names(t->groups, t->n_groups, id->gid_names[i]))
                        return true;
        }
        if (chained_role)
                for (size_t i = 0; i < t->n_roles; i++)
                        if (strcasecmp(t->roles[i], chained_role) == 0)
                                return true;
        return false;
}

/*
 * By file identity: the device and inode of the file the process runs
 * against those the rule paths name in the agent's mount namespace.  A
 * deleted executable is no longer what any path names.
 */
static bool match_exe(const TrustRules *t, const Identity *id)
{
        return id->has_exe_key && !id->is_exe_deleted &&
               exerule_match(t->exe_rules, id->exe_key.dev, id->exe_key.ino, &id->exe_key.ctime);
}

static bool match_exe_sha256(const TrustRules *t, const Identity *id)
{
        if (!id->has_exe_sha256)
                return false;
        for (size_t i = 0; i < t->n_exe_sha256; i++)
                if (memcmp(t->exe_sha256[i], id->exe_sha256, EXEHASH_SIZE) == 0)
                        return true;
        return false;
}

/* Rules keep "user:" on user-manager units; the identity keeps a flag. */
static bool match_unit(const TrustRules *t, const Identity *id)
{
        if (!id->unit[0])
                return false;
        for (size_t i = 0; i < t->n_units; i++) {
                const char *u = t->units[i];
                bool is_user = strncmp(u, "user:", 5) == 0;

                if (is_user)
                        u += 5;
                if (is_user == id->is_user_unit && streq(u, id->unit))
                        return true;
        }
        return false;
}

_printf_(4, 5) static int deny(char *why, size_t why_len, const Role *role, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!why || why_len == 0)
                return TRUST_E_DENIED;
        n = snprintf(why, why_len, "role %s: ", role->name);
        if (n >= 0 && (size_t)n < why_len) {
                va_start(ap, fmt);
                (void)vsnprintf(why + n, why_len - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return TRUST_E_DENIED;
}

bool trust_can_hash(const Identity *id)
{
        return !id->has_exe_sha256 && !id->exe_hash_missing && id->exe_fd >= 0 && id->has_exe_key;
}

/*
 * Check @t against @id; on failure write the reason (if @why) and return
 * TRUST_E_DENIED.  The hash is checked last and asked for
 * (TRUST_E_NEEDS_HASH) only once everything else matched: principals,
 * namespace, exe and units.
 */
static int check_rules(const Role *role, const TrustRules *t, const Identity *id,
                       const char *chained_role, char *why, size_t why_len)
{
        if (!has_principals(t) || !match_principal(t, id, chained_role)) {
                if (chained_role)
                        return deny(why, why_len, role,
                                    "uid %u (%s) holding role %s is not a trusted principal",
                                    (unsigned)id->uid, id->user, chained_role);
                return deny(why, why_len, role, "uid %u (%s) is not a trusted principal",
                            (unsigned)id->uid, id->user);
        }
        /* (An executable the agent may not look at matches nothing anyway: that reason is more
         * useful.) */
        if ((t->n_exes || t->n_exe_sha256) && id->has_exe_key && id->is_foreign_ns &&
            !t->is_exe_foreign_ns_allowed)
                return deny(why, why_len, role,
                            "the caller runs in another user namespace than the agent (a "
                            "container, unshare -U); exe rules match only the agent's namespaces "
                            "unless the role sets exe_foreign_namespaces = true");
        if (t->n_exes && !match_exe(t, id)) {
                if (!id->exe[0])
                        return deny(why, why_len, role, "executable unknown");
                return deny(why, why_len, role, "executable %s%s is not allowed", id->exe,
                            id->is_exe_deleted ? " (deleted)" : "");
        }
        if (t->n_units && !match_unit(t, id)) {
                if (!id->unit[0])
                        return deny(why, why_len, role, "caller is not in a systemd unit");
                return deny(why, why_len, role, "unit %s%s is not allowed",
                            id->is_user_unit ? "user:" : "", id->unit);
        }
        if (t->n_exe_sha256 && !match_exe_sha256(t, id)) {
                if (trust_can_hash(id))
                        return TRUST_E_NEEDS_HASH;
                if (!id->has_exe_sha256)
                        return deny(why, why_len, role, "executable hash unavailable%s%s%s",
                                    id->exe_hash_missing ? " (" : "",
                                    id->exe_hash_missing ? id->exe_hash_missing : "",
                                    id->exe_hash_missing ? ")" : "");
                return deny(why, why_len, role,
                            "executable %s: sha256 %02x%02x%02x%02x... is not allowed",
                            id->exe[0] ? id->exe : "(unknown)", id->exe_sha256[0],
                            id->exe_sha256[1], id->exe_sha256[2], id->exe_sha256[3]);
        }
        return 0;
}

int trust_rules_match(const Role *role, const TrustRules *rules, const Identity *id,
                      const char *chained_role, char *why, size_t why_len)
{
        return check_rules(role, rules, id, chained_role, why, why_len);
}

/* The JSON trust_policy, over the caller's context keys. */
static int check_document(const TrustScope *s, const Role *role, const RolePolicies *rp,
                          const Identity *id, const char *chained_role, char *why, size_t why_len)
{
        const Policy *doc = rp->trust_doc;
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        Principal p;
        PolicyResult res;
        int r;

        if (rp->is_trust_doc_hash && trust_can_hash(id))
                return TRUST_E_NEEDS_HASH;
        principal_from_identity(id, &p);
        p.held_role = chained_role;
        r = principal_context(s->config, &p, NULL, s->now, &ctx);
        if (r)
                return r;
        r = policy_evaluate(&doc, 1, NULL, "sts:AssumeRole", role->arn, ctx, &res);
        if (r == POLICY_E_WORK_LIMIT)
                return deny(why, why_len, role,
                            "trust policy %s: denied without a decision (more matching work than "
                            "one decision "
                            "may take, POLICY_WORK_MAX)",
                            policy_name(doc) ? policy_name(doc) : "");
        if (r)
                return r;
        if (res.decision == POLICY_ALLOW)
                return 0;
        return deny(why, why_len, role, "trust policy %s: %s",
                    policy_name(doc) ? policy_name(doc) : "",
                    res.decision == POLICY_EXPLICIT_DENY ? "explicitly denied"
                                                         : "no statement allows this caller");
}

int trust_decide(const TrustScope *s, const Role *role, const Identity *id,
                 const char *chained_role, char *why, size_t why_len)
{
        const RolePolicies *rp = access_role_policies(s->config, s->access, role);
        const Policy *doc = rp ? rp->trust_doc : NULL;

        if (!has_principals(&role->trust) && !doc)
                return deny(why, why_len, role, "its trust policy names no principal");
        /*
         * [trust] is decided here by rule: exe rules compare file identities
         * and namespaces, which no context key can express (the document it
         * compiles to is only what GetRole shows).  The JSON trust_policy can
         * only narrow it.
         */
        if (has_principals(&role->trust)) {
                int r = check_rules(role, &role->trust, id, chained_role, why, why_len);

                if (r)
                        return r;
        }
        if (!doc)
                return 0;
        return check_document(s, role, rp, id, chained_role, why, why_len);
}

int trust_default_role(const TrustScope *s, const Identity *id, const Role **rolep)
{
        for (size_t i = 0; i < s->config->n_roles; i++) {
                const Role *role = &s->config->roles[i];
                int r;

                r = check_rules(role, &role->defaults, id, NULL, NULL, 0);
                if (r == TRUST_E_DENIED)
                        continue;
                if (r)
                        return r;
                r = trust_decide(s, role, id, NULL, NULL, 0);
                if (r < 0 || r == TRUST_E_NEEDS_HASH)
                        return r;
                if (r == 0) {
                        *rolep = role;
                        return 0;
                }
        }
        *rolep = NULL;
        return 0;
}

unsigned trust_exe_claim_causes(const TrustScope *s, const Role *role)
{
        const RolePolicies *rp = access_role_policies(s->config, s->access, role);
        unsigned causes = 0;

        if (role->trust.n_exes || role->defaults.n_exes)
                causes |= TRUST_EXE_BY_EXE;
        if (trust_needs_exe_hash(role))
                causes |= TRUST_EXE_BY_EXE_SHA256;
        if (rp && rp->is_trust_doc_exe)
                causes |= TRUST_EXE_BY_TRUST_POLICY;
        if (rp && rp->is_permissions_exe)
                causes |= TRUST_EXE_BY_PERMISSIONS;
        if (role->is_exe_claimed)
                causes |= TRUST_EXE_BY_CLAIM_EXE;
        return causes;
}

const char *trust_exe_cause_name(unsigned cause)
{
        switch (cause) {
        case TRUST_EXE_BY_EXE:
                return "exe";
        case TRUST_EXE_BY_EXE_SHA256:
                return "exe_sha256";
        case TRUST_EXE_BY_TRUST_POLICY:
                return "trust_policy";
        case TRUST_EXE_BY_PERMISSIONS:
                return "permissions";
        case TRUST_EXE_BY_CLAIM_EXE:
                return "claim_exe";
        default:
                return NULL;
        }
}

/* The issuers' test (has_exe_claim), and GetRole's exeClaim: one function. */
bool trust_rests_on_exe(const TrustScope *s, const Role *role)
{
        return trust_exe_claim_causes(s, role) != 0;
}

bool trust_needs_exe_hash(const Role *role)
{
        return role->trust.n_exe_sha256 > 0 || role->defaults.n_exe_sha256 > 0;
}

bool trust_config_rests_on_exe(const Config *config, const AccessPolicies *aps)
{
        TrustScope s = { .config = config, .access = aps };

        for (size_t i = 0; i < config->n_roles; i++)
                if (trust_rests_on_exe(&s, &config->roles[i]))
                        return true;
        return false;
}

bool trust_config_reads_unit(const Config *config, const AccessPolicies *aps)
{
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];
                const RolePolicies *rp = access_role_policies(config, aps, role);

                /*
                 * An aws role's sessions carry the roled:unit tag, which IAM
                 * policies the agent cannot see may read.
                 */
                if (role->trust.n_units || role->defaults.n_units ||
                    role->issuer == ROLE_ISSUER_AWS ||
                    (rp && (rp->is_trust_doc_unit || rp->is_permissions_unit)))
                        return true;
        }
        return false;
}

bool trust_config_needs_exe_hash(const Config *config, const AccessPolicies *aps)
{
        for (size_t i = 0; i < config->n_roles; i++) {
                const RolePolicies *rp = access_role_policies(config, aps, &config->roles[i]);

                if (trust_needs_exe_hash(&config->roles[i]) ||
                    (rp && (rp->is_trust_doc_hash || rp->is_permissions_hash)))
                        return true;
        }
        return false;
}
