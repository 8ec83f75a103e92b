/* SPDX-License-Identifier: MIT */
/*
 * lint.c - policy_lint(): what policy_parse() rejects, reported as errors with
 * locations, plus warnings about risky or dated constructs a reviewer should
 * see (over-broad grants, Allow with NotAction/NotResource, old or missing
 * Version, duplicate Sids, Principal where it does not belong). Works on the
 * JSON tree so it can keep going where the compiler stops at the first error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy-internal.h"

struct PolicyLint {
        PolicyFinding *findings;
        size_t n, size, n_errors;
};

static int add(PolicyLint *l, PolicySeverity sev, const char *code, int stmt, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int add(PolicyLint *l, PolicySeverity sev, const char *code, int stmt, const char *field,
               const char *fmt, ...)
{
        va_list ap;

        if (ARRAY_RESERVE(l->findings, l->n, l->size, 8))
                return -ENOMEM;
        PolicyFinding *f = &l->findings[l->n++];
        *f = (PolicyFinding){ .severity = sev, .code = code, .statement = stmt };
        snprintf(f->field, sizeof(f->field), "%s", field ? field : "");
        va_start(ap, fmt);
        vsnprintf(f->message, sizeof(f->message), fmt, ap);
        va_end(ap);
        if (sev == POLICY_ERROR)
                l->n_errors++;
        return 0;
}

PolicyLint *policy_lint_free(PolicyLint *lint)
{
        if (!lint)
                return NULL;
        free(lint->findings);
        free(lint);
        return NULL;
}

size_t policy_lint_count(const PolicyLint *lint)
{
        return lint->n;
}

size_t policy_lint_n_errors(const PolicyLint *lint)
{
        return lint->n_errors;
}

const PolicyFinding *policy_lint_get(const PolicyLint *lint, size_t i)
{
        return i < lint->n ? &lint->findings[i] : NULL;
}

static size_t n_items(json_t *v)
{
        return json_is_array(v) ? json_array_size(v) : 1;
}

static json_t *item(json_t *v, size_t i)
{
        return json_is_array(v) ? json_array_get(v, i) : v;
}

static bool has_string(json_t *v, bool (*pred)(const char *))
{
        for (size_t i = 0; v && i < n_items(v); i++) {
                json_t *e = item(v, i);
                if (json_is_string(e) && pred(json_string_value(e)))
                        return true;
        }
        return false;
}

static bool is_star(const char *s)
{
        return strcmp(s, "*") == 0;
}

/* "*" or "service:*" (IAM:reference_policies_elements_action). */
static bool is_broad_action(const char *s)
{
        const char *colon = strchr(s, ':');
        return strcmp(s, "*") == 0 || (colon && strcmp(colon + 1, "*") == 0);
}

static bool is_var(const char *s)
{
        return strstr(s, "${") != NULL;
}

/* IAM:reference_policies_elements_resource: no wildcards in the service component. */
static bool has_service_wildcard(const char *s)
{
        ArnSplit as;
        arn_split(s, strlen(s), &as);
        return as.n >= 3 && strcspn(s + as.off[2], "*?") < as.len[2];
}

/* "${" before the fifth colon of an ARN. */
static bool has_early_var(const char *s)
{
        const char *v = strstr(s, "${");
        int n = 0;

        if (!v || strncmp(s, "arn:", 4) != 0)
                return false;
        for (const char *c = s; c < v; c++)
                n += *c == ':';
        return n < 5;
}

static bool any_var_in_conditions(json_t *cond)
{
        const char *op, *key;
        json_t *block, *vals;

        if (!json_is_object(cond))
                return false;
        json_object_foreach(cond, op, block)
        {
                if (!json_is_object(block))
                        continue;
                json_object_foreach(block, key, vals)
                {
                        if (has_string(vals, is_var))
                                return true;
                }
        }
        return false;
}

static int lint_statement(PolicyLint *l, json_t *st, int i, bool is_trust, PolicyKind kind,
                          bool is_2012, json_t *stmts)
{
        json_t *sid = json_object_get(st, "Sid");
        json_t *effect = json_object_get(st, "Effect");
        json_t *action = json_object_get(st, "Action");
        json_t *resource = json_object_get(st, "Resource");
        json_t *cond = json_object_get(st, "Condition");
        bool is_allow = json_is_string(effect) && strcmp(json_string_value(effect), "Allow") == 0;
        bool has_principal =
                json_object_get(st, "Principal") || json_object_get(st, "NotPrincipal");
        const char *op;
        json_t *block;
        int r = 0;

        if (json_is_string(sid)) {
                const char *s = json_string_value(sid);
                for (const char *c = s; *c && r == 0; c++)
                        if (!isalnum((unsigned char)*c)) {
                                r = add(l, POLICY_WARNING, "InvalidSid", i, "Sid",
                                        "Sid \"%s\" should only use A-Z, a-z and 0-9", s);
                                break;
                        }
                for (int j = 0; j < i && r == 0; j++) {
                        json_t *o = json_object_get(item(stmts, (size_t)j), "Sid");
                        if (json_is_string(o) && strcmp(json_string_value(o), s) == 0)
                                r = add(l, POLICY_WARNING, "DuplicateSid", i, "Sid",
                                        "Sid \"%s\" is also used by Statement[%d]; Sids must be "
                                        "unique",
                                        s, j);
                }
        }
        if (json_is_object(cond)) {
                json_object_foreach(cond, op, block)
                {
                        uint8_t o, set;
                        bool neg, ife;
                        char f[96];
                        if (r == 0 && condition_op_lookup(op, &o, &set, &neg, &ife) != 0) {
                                snprintf(f, sizeof(f), "Condition.%s", op);
                                r = add(l, POLICY_ERROR, "UnknownConditionOperator", i, f,
                                        "unknown condition operator \"%s\"", op);
                        }
                }
        }
        if (r == 0 && is_allow && json_object_get(st, "NotAction"))
                r = add(l, POLICY_WARNING, "AllowWithNotAction", i, "NotAction",
                        "Allow with NotAction grants every action not listed, including future "
                        "ones");
        if (r == 0 && is_allow && json_object_get(st, "NotResource"))
                r = add(l, POLICY_WARNING, "AllowWithNotResource", i, "NotResource",
                        "Allow with NotResource grants every resource not listed");
        if (r == 0 && is_allow && has_string(action, is_broad_action) &&
            has_string(resource, is_star))
                r = add(l, POLICY_WARNING, "OverBroadGrant", i, "Action",
                        "Allow of \"*\" or \"service:*\" on Resource \"*\"%s",
                        cond ? " (narrowed only by conditions)" : "; grant only what is needed");
        if (r == 0 && (has_string(resource, has_service_wildcard) ||
                       has_string(json_object_get(st, "NotResource"), has_service_wildcard)))
                r = add(l, POLICY_WARNING, "WildcardInService", i,
                        resource ? "Resource" : "NotResource",
                        "wildcards are not allowed in the service component of a resource ARN");
        if (r == 0 && !is_2012 &&
            (has_string(resource, is_var) ||
             has_string(json_object_get(st, "NotResource"), is_var) || any_var_in_conditions(cond)))
                r = add(l, POLICY_WARNING, "VariableInOldVersion", i, "Version",
                        "policy variables need Version \"2012-10-17\"; here ${...} is literal "
                        "text");
        if (r == 0 && is_2012 &&
            (has_string(resource, has_early_var) ||
             has_string(json_object_get(st, "NotResource"), has_early_var)))
                r = add(l, POLICY_WARNING, "VariableBeforeResourcePart", i,
                        resource ? "Resource" : "NotResource",
                        "policy variables only work in the resource part of an ARN (after the "
                        "fifth colon); "
                        "here ${...} is literal text");
        if (r == 0 && has_principal && !is_trust)
                r = add(l, POLICY_WARNING, "PrincipalInIdentityPolicy", i, "Principal",
                        "Principal belongs in trust and resource policies, not identity policies");
        if (r == 0 && !has_principal && kind == POLICY_KIND_TRUST)
                r = add(l, POLICY_ERROR, "MissingPrincipal", i, "Principal",
                        "a trust policy statement needs a Principal");
        if (r == 0 && is_trust && json_object_get(st, "NotPrincipal"))
                r = add(l, POLICY_WARNING, "NotPrincipalInTrustPolicy", i, "NotPrincipal",
                        "NotPrincipal is not allowed in trust policies");
        return r;
}

/* add_parse_error() - @err from policy_parse() as an error finding of statement @stmt. */
static int add_parse_error(PolicyLint *l, const PolicyError *err, int stmt)
{
        int r = add(l, POLICY_ERROR, err->reason, stmt, err->field, "%s", err->message);

        if (r < 0)
                return r;
        l->findings[l->n - 1].line = err->line;
        l->findings[l->n - 1].column = err->column;
        return 0;
}

/*
 * lint_statements_parse() - compile each statement of @root alone, in a
 * document with @root's Version, and add the first error of each that fails
 * (UnknownConditionOperator aside: the walk reports those).
 * Return: 0 or -ENOMEM.
 */
static int lint_statements_parse(PolicyLint *l, json_t *root)
{
        json_t *stmts = json_object_get(root, "Statement"), *ver = json_object_get(root, "Version");

        for (size_t i = 0; stmts && i < n_items(stmts); i++) {
                json_t *doc = json_object(), *one = json_array();
                PolicyError err;
                Policy *p = NULL;
                char *text;
                int r;

                if (!doc || !one || json_array_append(one, item(stmts, i)) < 0 ||
                    json_object_set_new(doc, "Statement", one) < 0 ||
                    (ver && json_object_set(doc, "Version", ver) < 0)) {
                        json_decref(doc);
                        return -ENOMEM;
                }
                text = json_dumps(doc, JSON_COMPACT);
                json_decref(doc);
                if (!text)
                        return -ENOMEM;
                r = policy_parse(text, strlen(text), NULL, &p, &err);
                free(text);
                policy_free(p);
                if (r < 0)
                        return r;
                if (r == POLICY_E_MALFORMED &&
                    strcmp(err.reason, "UnknownConditionOperator") != 0 &&
                    (r = add_parse_error(l, &err, (int)i)) < 0)
                        return r;
        }
        return 0;
}

int policy_lint(const char *json, size_t len, PolicyKind kind, PolicyLint **lintp)
{
        PolicyLint *l;
        PolicyError err;
        Policy *p = NULL;
        json_t *root, *stmts, *ver;
        json_error_t jerr;
        int r;

        if (len > 16 * (size_t)POLICY_DOCUMENT_MAX)
                return -EINVAL;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        r = policy_parse(json, len, NULL, &p, &err);
        p = policy_free(p);
        if (r < 0)
                goto fail;
        bool is_malformed = r == POLICY_E_MALFORMED;
        if (len > POLICY_DOCUMENT_MAX || json_depth_ok(json, len) < 0)
                root = NULL;
        else
                root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (root && !json_is_object(root))
                root = (json_decref(root), NULL);
        /*
         * The compiler stops at its first error.  When the document is JSON
         * with statements, every statement is also compiled on its own, so
         * each broken one is reported besides a document-level error
         * (unknown operators, all of them, come from the walk below).
         */
        if (is_malformed && strcmp(err.reason, "UnknownConditionOperator") != 0) {
                json_t *all = root ? json_object_get(root, "Statement") : NULL;

                r = 0;
                if (!all || err.statement < 0)
                        r = add_parse_error(l, &err, err.statement);
                if (r == 0 && (json_is_array(all) || json_is_object(all)))
                        r = lint_statements_parse(l, root);
                if (r < 0) {
                        json_decref(root);
                        goto fail;
                }
        }
        if (!root) {
                *lintp = l;
                return 0;
        }
        r = 0;
        ver = json_object_get(root, "Version");
        if (!ver)
                r = add(l, POLICY_WARNING, "MissingVersion", -1, "Version",
                        "no Version: policy variables are literal text; use \"2012-10-17\"");
        else if (json_is_string(ver) && strcmp(json_string_value(ver), "2008-10-17") == 0)
                r = add(l, POLICY_WARNING, "OldVersion", -1, "Version",
                        "Version \"2008-10-17\" has no policy variables; use \"2012-10-17\"");
        bool is_2012 = json_is_string(ver) && strcmp(json_string_value(ver), "2012-10-17") == 0;
        stmts = json_object_get(root, "Statement");
        if (stmts && (json_is_object(stmts) || json_is_array(stmts))) {
                bool is_trust = kind == POLICY_KIND_TRUST;
                if (kind == POLICY_KIND_AUTO && n_items(stmts) > 0) {
                        is_trust = true;
                        for (size_t i = 0; i < n_items(stmts); i++) {
                                json_t *st = item(stmts, i);
                                if (!json_object_get(st, "Principal") &&
                                    !json_object_get(st, "NotPrincipal"))
                                        is_trust = false;
                        }
                }
                for (size_t i = 0; r == 0 && i < n_items(stmts); i++) {
                        json_t *st = item(stmts, i);
                        if (json_is_object(st))
                                r = lint_statement(l, st, (int)i, is_trust, kind, is_2012, stmts);
                }
        }
        json_decref(root);
        if (r < 0)
                goto fail;
        *lintp = l;
        return 0;
fail:
        policy_lint_free(l);
        return r;
}
