/* SPDX-License-Identifier: MIT */
/*
 * access.c - roles' compiled policies (see access.h).
 *
 * Compilation happens once per configuration load, never per request.  The
 * [trust] shorthand is also rendered as the JSON trust document it stands
 * for and checked by policy_parse(), so GetRole can show it; deciding trust
 * is trust.c's.
 */
#include "access.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The JSON trust document equivalent to a [trust] or [default] section (its
 * one statement's Sid is @sid), or NULL when it names nobody.
 */
static int rules_document(const Config *config, const TrustRules *t, const char *sid, json_t **docp)
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
        stmt = json_pack("{s:s, s:s, s:[s], s:{s:O}}", "Sid", sid, "Effect", "Allow", "Action",
                         "sts:AssumeRole", "Principal", "Local", local);
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

/*
 * parse() - compile one policy document of a role, named @file (or @name when
 * it has no file of its own); a malformed one is worded into @why as
 * "FILE: WHAT: reason (statement N, field)".
 */
static int parse(const char *text, size_t len, const char *file, const char *name, const char *what,
                 Policy **policyp, char *why, size_t why_len)
{
        PolicyError err;
        int r = policy_parse(text, len, file ? file : name, policyp, &err);

        if (r == POLICY_E_MALFORMED)
                snprintf(why, why_len, "%s: %s: %s%s%s (statement %d%s%s)", file, what, err.reason,
                         err.message[0] ? ": " : "", err.message, err.statement,
                         err.field[0] ? ", " : "", err.field);
        return r;
}

static int compile_role(const Config *config, const Role *role, RolePolicies *rp, char *why,
                        size_t why_len)
{
        _cleanup_(json_decrefp) json_t *doc = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (role->permissions &&
            (r = parse(role->permissions, role->permissions_len, role->permissions_path, role->name,
                       "permissions", &rp->permissions, why, why_len)))
                return r;
        if (role->trust_policy &&
            (r = parse(role->trust_policy, role->trust_policy_len, role->trust_policy_path,
                       role->name, "trust policy", &rp->trust_doc, why, why_len)))
                return r;
        rp->is_trust_doc_hash =
                rp->trust_doc && policy_needs_key(rp->trust_doc, "roled:exe-sha256");
        rp->is_trust_doc_exe = rp->is_trust_doc_hash ||
                               (rp->trust_doc && policy_needs_key(rp->trust_doc, "roled:exe"));
        rp->is_permissions_hash =
                rp->permissions && policy_needs_key(rp->permissions, "roled:exe-sha256");
        rp->is_permissions_exe =
                rp->is_permissions_hash ||
                (rp->permissions && policy_needs_key(rp->permissions, "roled:exe"));
        rp->is_trust_doc_unit = rp->trust_doc && (policy_needs_key(rp->trust_doc, "roled:unit") ||
                                                  policy_needs_key(rp->trust_doc, "roled:cgroup"));
        rp->is_permissions_unit =
                rp->permissions && (policy_needs_key(rp->permissions, "roled:unit") ||
                                    policy_needs_key(rp->permissions, "roled:cgroup"));
        rp->is_trust_static =
                !(rp->trust_doc && (policy_needs_key(rp->trust_doc, "aws:CurrentTime") ||
                                    policy_needs_key(rp->trust_doc, "aws:EpochTime")));
        r = rules_document(config, &role->defaults, "DefaultRules", &doc);
        if (r)
                return r;
        if (doc && !(rp->default_rules_json = json_dumps(doc, JSON_COMPACT)))
                return -ENOMEM;
        json_decref(steal_pointer(&doc));
        r = rules_document(config, &role->trust, "TrustRules", &doc);
        if (r || !doc)
                return r;
        text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        r = parse(text, strlen(text), role->file, role->file, "[trust]", &rp->trust_rules, why,
                  why_len);
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
                free(aps->roles[i].default_rules_json);
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
