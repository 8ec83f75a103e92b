/* SPDX-License-Identifier: MIT */
/*
 * access.c - roles' compiled policies, the attested context and trust
 * decisions (see access.h).
 *
 * Compilation happens once per configuration load, never per request.  The
 * [trust] shorthand becomes an ordinary JSON trust document that goes through
 * policy_parse(), so it is decided by exactly the code that decides a
 * hand-written trust_policy.  trust.c's pure check is still asked first when
 * a request is denied: its reason ("uid 1001 (bob) is not a trusted
 * principal") is what the caller is told.
 */
#include "access.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "trust.h"
#include "util.h"

static int append_fmt(json_t *array, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int append_fmt(json_t *array, const char *fmt, ...)
{
        char buf[4200];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return -ENAMETOOLONG;
        return json_array_append_new(array, json_string(buf)) < 0 ? -ENOMEM : 0;
}

static int append_range(json_t *array, const char *kind, const IdRange *r)
{
        if (r->lo == r->hi)
                return append_fmt(array, "%s:%u", kind, r->lo);
        return append_fmt(array, "%s:%u-%u", kind, r->lo, r->hi);
}

static int add_condition(json_t *equals, const char *key, json_t *values)
{
        if (json_array_size(values) == 0) {
                json_decref(values);
                return 0;
        }
        return json_object_set_new(equals, key, values) < 0 ? -ENOMEM : 0;
}

/* The JSON trust document equivalent to a [trust] section, or NULL when it names nobody. */
static int rules_document(const Config *config, const TrustRules *t, json_t **docp)
{
        _cleanup_(json_decrefp) json_t *local = json_array(), *equals = json_object();
        _cleanup_(json_decrefp) json_t *exes = json_array(), *hashes = json_array(),
                                       *units = json_array();
        json_t *stmt, *doc;
        char hex[65];
        int r = 0;

        *docp = NULL;
        if (!local || !equals || !exes || !hashes || !units)
                return -ENOMEM;
        if (t->is_any_user)
                r = append_fmt(local, "*");
        for (size_t i = 0; r == 0 && i < t->n_users; i++)
                r = append_fmt(local, "user:%s", t->users[i]);
        for (size_t i = 0; r == 0 && i < t->n_groups; i++)
                r = append_fmt(local, "group:%s", t->groups[i]);
        for (size_t i = 0; r == 0 && i < t->n_uids; i++)
                r = append_range(local, "uid", &t->uids[i]);
        for (size_t i = 0; r == 0 && i < t->n_gids; i++)
                r = append_range(local, "gid", &t->gids[i]);
        for (size_t i = 0; r == 0 && i < t->n_roles; i++) {
                /* Role names are unique case-insensitively: match the canonical spelling. */
                const Role *other = config_find_role(config, t->roles[i], strlen(t->roles[i]));

                r = append_fmt(local, "role:%s", other ? other->name : t->roles[i]);
        }
        for (size_t i = 0; r == 0 && i < t->n_exes; i++)
                r = append_fmt(exes, "%s", t->exes[i]);
        for (size_t i = 0; r == 0 && i < t->n_exe_sha256; i++) {
                sodium_bin2hex(hex, sizeof(hex), t->exe_sha256[i], 32);
                r = append_fmt(hashes, "%s", hex);
        }
        for (size_t i = 0; r == 0 && i < t->n_units; i++)
                r = append_fmt(units, "%s", t->units[i]);
        if (r)
                return r;
        if (json_array_size(local) == 0)
                return 0;
        if ((r = add_condition(equals, "roled:exe", steal_pointer(&exes))) ||
            (r = add_condition(equals, "roled:exe-sha256", steal_pointer(&hashes))) ||
            (r = add_condition(equals, "roled:unit", steal_pointer(&units))))
                return r;
        stmt = json_pack("{s:s, s:s, s:[s], s:{s:O}}", "Sid", "TrustRules", "Effect", "Allow",
                         "Action", "sts:AssumeRole", "Principal", "Local", local);
        if (!stmt)
                return -ENOMEM;
        if (json_object_size(equals) > 0 &&
            json_object_set_new(stmt, "Condition", json_pack("{s:O}", "StringEquals", equals)) <
                    0) {
                json_decref(stmt);
                return -ENOMEM;
        }
        doc = json_pack("{s:s, s:[o]}", "Version", "2012-10-17", "Statement", stmt);
        if (!doc)
                return -ENOMEM;
        *docp = doc;
        return 0;
}

static int malformed(char *why, size_t why_len, const char *file, const char *what,
                     const PolicyError *err)
{
        snprintf(why, why_len, "%s: %s: %s%s%s (statement %d%s%s)", file, what, err->reason,
                 err->message[0] ? ": " : "", err->message, err->statement,
                 err->field[0] ? ", " : "", err->field);
        return POLICY_E_MALFORMED;
}

static int compile_role(const Config *config, const Role *role, RolePolicies *rp, char *why,
                        size_t why_len)
{
        _cleanup_(json_decrefp) json_t *doc = NULL;
        _cleanup_free_ char *text = NULL;
        PolicyError err;
        int r;

        if (role->permissions) {
                r = policy_parse(role->permissions, role->permissions_len,
                                 role->permissions_path ? role->permissions_path : role->name,
                                 &rp->permissions, &err);
                if (r == POLICY_E_MALFORMED)
                        return malformed(why, why_len, role->permissions_path, "permissions", &err);
                if (r)
                        return r;
        }
        if (role->trust_policy) {
                r = policy_parse(role->trust_policy, role->trust_policy_len,
                                 role->trust_policy_path ? role->trust_policy_path : role->name,
                                 &rp->trust_doc, &err);
                if (r == POLICY_E_MALFORMED)
                        return malformed(why, why_len, role->trust_policy_path, "trust policy",
                                         &err);
                if (r)
                        return r;
        }
        rp->is_trust_static =
                !(rp->trust_doc && (policy_needs_key(rp->trust_doc, "aws:CurrentTime") ||
                                    policy_needs_key(rp->trust_doc, "aws:EpochTime")));
        r = rules_document(config, &role->trust, &doc);
        if (r || !doc)
                return r;
        text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        r = policy_parse(text, strlen(text), role->file, &rp->trust_rules, &err);
        if (r == POLICY_E_MALFORMED)
                return malformed(why, why_len, role->file, "[trust]", &err);
        if (r == 0)
                rp->trust_rules_json = steal_pointer(&text);
        return r;
}

AccessPolicies *access_policies_free(AccessPolicies *aps)
{
        if (!aps)
                return NULL;
        for (size_t i = 0; i < aps->n_roles; i++) {
                policy_free(aps->roles[i].permissions);
                policy_free(aps->roles[i].trust_rules);
                free(aps->roles[i].trust_rules_json);
                policy_free(aps->roles[i].trust_doc);
        }
        free(aps->roles);
        free(aps);
        return NULL;
}

int access_compile(const Config *config, AccessPolicies **apsp, char *why, size_t why_len)
{
        _cleanup_(access_policies_freep) AccessPolicies *aps = calloc(1, sizeof(*aps));
        int r;

        if (!aps)
                return -ENOMEM;
        aps->roles = calloc(config->n_roles ? config->n_roles : 1, sizeof(*aps->roles));
        if (!aps->roles)
                return -ENOMEM;
        aps->n_roles = config->n_roles;
        for (size_t i = 0; i < config->n_roles; i++) {
                r = compile_role(config, &config->roles[i], &aps->roles[i], why, why_len);
                if (r)
                        return r;
        }
        *apsp = steal_pointer(&aps);
        return 0;
}

const RolePolicies *access_role_policies(const Config *config, const AccessPolicies *aps,
                                         const Role *role)
{
        size_t i = (size_t)(role - config->roles);

        return i < aps->n_roles ? &aps->roles[i] : NULL;
}

static int set_u32(PolicyContext *ctx, const char *key, uint32_t v)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%u", v);
        return policy_context_set(ctx, key, buf, true);
}

int access_identity_context(const Config *config, const Identity *id, const char *chained_role,
                            int64_t now, PolicyContext **ctxp)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        char buf[IDENTITY_UNIT_MAX + 600];
        int r;

        r = policy_context_new(&ctx);
        if (r)
                return r;
        if ((r = set_u32(ctx, "roled:uid", id->uid)) || (r = set_u32(ctx, "roled:gid", id->gid)) ||
            (r = set_u32(ctx, "roled:gids", id->gid)))
                return r;
        if (id->has_user_name && ((r = policy_context_set(ctx, "roled:user", id->user, true)) ||
                                  (r = policy_context_set(ctx, "aws:username", id->user, true))))
                return r;
        if (id->has_group_name && (r = policy_context_set(ctx, "roled:groups", id->group, true)))
                return r;
        for (size_t i = 0; i < id->n_gids; i++) {
                if (id->gids[i] != id->gid && (r = set_u32(ctx, "roled:gids", id->gids[i])))
                        return r;
                if (id->gid_names[i] && id->gids[i] != id->gid &&
                    (r = policy_context_set(ctx, "roled:groups", id->gid_names[i], true)))
                        return r;
        }
        /*
         * The path means something only when it names, in the agent's
         * namespace, the very file the process runs (identity.c checked);
         * otherwise leave the key absent.
         */
        if (id->is_exe_path_verified && (r = policy_context_set(ctx, "roled:exe", id->exe, true)))
                return r;
        if (id->has_exe_sha256) {
                sodium_bin2hex(buf, 65, id->exe_sha256, 32);
                if ((r = policy_context_set(ctx, "roled:exe-sha256", buf, true)))
                        return r;
        }
        if (id->unit[0]) {
                snprintf(buf, sizeof(buf), "%s%s", id->is_user_unit ? "user:" : "", id->unit);
                if ((r = policy_context_set(ctx, "roled:unit", buf, true)))
                        return r;
        }
        if (id->cgroup[0] && (r = policy_context_set(ctx, "roled:cgroup", id->cgroup, true)))
                return r;
        if (chained_role && (r = policy_context_set(ctx, "roled:role", chained_role, true)))
                return r;
        snprintf(buf, sizeof(buf), "%u", id->uid);
        if ((r = policy_context_set(ctx, "aws:userid", buf, true)))
                return r;
        snprintf(buf, sizeof(buf), "arn:aws:iam::%s:user/%s", config->account, id->user);
        if ((r = policy_context_set(ctx, "aws:PrincipalArn", buf, true)))
                return r;
        if ((r = civil_format_iso8601(now, buf)) ||
            (r = policy_context_set(ctx, "aws:CurrentTime", buf, true)))
                return r;
        snprintf(buf, sizeof(buf), "%lld", (long long)now);
        if ((r = policy_context_set(ctx, "aws:EpochTime", buf, true)) ||
            (r = policy_context_set(ctx, "aws:SecureTransport", "true", true)) ||
            (r = policy_context_set(ctx, "aws:MultiFactorAuthPresent", "false", true)))
                return r;
        *ctxp = steal_pointer(&ctx);
        return 0;
}

int access_trust(const Config *config, const AccessPolicies *aps, const Role *role,
                 const Identity *id, const char *chained_role, int64_t now, char *why,
                 size_t why_len)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        const RolePolicies *rp = access_role_policies(config, aps, role);
        const Policy *docs[2];
        size_t n = 0;
        PolicyResult res;
        int r;

        if (!rp || (!rp->trust_rules && !rp->trust_doc)) {
                snprintf(why, why_len, "role %s: its trust policy names no principal", role->name);
                return TRUST_E_DENIED;
        }
        /*
         * [trust] is decided by trust.c alone: exe rules compare file
         * identities and namespaces there, which no context key can express
         * (the compiled document is what GetRole shows).  The JSON
         * trust_policy can only narrow it.
         */
        if (rp->trust_rules && trust_check(role, id, chained_role, why, why_len) != 0)
                return TRUST_E_DENIED;
        if (rp->trust_doc)
                docs[n++] = rp->trust_doc;
        if (n == 0)
                return 0;
        r = access_identity_context(config, id, chained_role, now, &ctx);
        if (r)
                return r;
        /* Every document must allow on its own: the JSON trust_policy only narrows [trust]. */
        for (size_t i = 0; i < n; i++) {
                r = policy_evaluate(&docs[i], 1, NULL, "sts:AssumeRole", role->arn, ctx, &res);
                if (r == POLICY_E_WORK_LIMIT) {
                        snprintf(why, why_len,
                                 "role %s: trust policy %s: denied without a decision (more "
                                 "matching work than one decision may take, POLICY_WORK_MAX)",
                                 role->name, policy_name(docs[i]) ? policy_name(docs[i]) : "");
                        return TRUST_E_DENIED;
                }
                if (r)
                        return r;
                if (res.decision == POLICY_ALLOW)
                        continue;
                snprintf(why, why_len, "role %s: trust policy %s: %s", role->name,
                         policy_name(docs[i]) ? policy_name(docs[i]) : "",
                         res.decision == POLICY_EXPLICIT_DENY ? "explicitly denied"
                                                              : "no statement allows this caller");
                return TRUST_E_DENIED;
        }
        return 0;
}
