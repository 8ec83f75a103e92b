/* SPDX-License-Identifier: MIT */
/*
 * eval.c - the decision, IAM:reference_policies_evaluation-logic: an explicit
 * Deny anywhere wins, identity policies need at least one Allow, and a session
 * policy (IAM:access_policies_boundaries) must Allow too. Statement matching
 * runs cheapest first (action, resource, principal, conditions) and never
 * allocates.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy-internal.h"

const char *policy_decision_str(PolicyDecision d)
{
        return decision_name((unsigned)d);
}

/* Principals only trust what the agent attested. */
static const CtxEntry *attested(const PolicyContext *ctx, const char *key)
{
        const CtxEntry *e = ctx ? context_find(ctx, key) : NULL;
        return e && e->is_attested ? e : NULL;
}

static bool has_value(const PolicyContext *ctx, const char *key, const char *value, bool is_ci,
                      Work *w)
{
        const CtxEntry *e = attested(ctx, key);
        if (e && !work_charge(w, 8 * e->n_values))
                return false;
        for (size_t i = 0; e && i < e->n_values; i++)
                if (is_ci ? strcasecmp(e->values[i], value) == 0 : strcmp(e->values[i], value) == 0)
                        return true;
        return false;
}

static bool has_id_in(const PolicyContext *ctx, const char *key, uint32_t lo, uint32_t hi, Work *w)
{
        const CtxEntry *e = attested(ctx, key);
        if (e && !work_charge(w, 16 * e->n_values))
                return false;
        for (size_t i = 0; e && i < e->n_values; i++) {
                const char *s = e->values[i];
                char *end;
                if (!isdigit((unsigned char)*s))
                        continue;
                errno = 0;
                unsigned long long v = strtoull(s, &end, 10);
                if (*end || errno || v > UINT32_MAX)
                        continue;
                if (v >= lo && v <= hi)
                        return true;
        }
        return false;
}

/* Charged to @w: a few units per attested value compared (see Work). */
static bool principal_match(const Principal *pr, const PolicyContext *ctx, Work *w)
{
        switch (pr->kind) {
        case PR_ANY:
                return true;
        case PR_AWS_ARN:
                return has_value(ctx, "aws:PrincipalArn", pr->value, false, w);
        case PR_AWS_ACCOUNT: {
                if (has_value(ctx, "aws:PrincipalAccount", pr->value, false, w))
                        return true;
                const CtxEntry *e = attested(ctx, "aws:PrincipalArn");
                if (e && !work_charge(w, 32 * e->n_values))
                        return false;
                for (size_t i = 0; e && i < e->n_values; i++) {
                        ArnSplit as;
                        arn_split(e->values[i], strlen(e->values[i]), &as);
                        if (as.n == ARN_SEGS && as.len[4] == strlen(pr->value) &&
                            memcmp(e->values[i] + as.off[4], pr->value, as.len[4]) == 0)
                                return true;
                }
                return false;
        }
        case PR_USER:
                return has_value(ctx, "roled:user", pr->value, false, w);
        case PR_UID:
                return has_id_in(ctx, "roled:uid", pr->lo, pr->hi, w);
        case PR_GROUP:
                return has_value(ctx, "roled:groups", pr->value, false, w);
        case PR_GID:
                return has_id_in(ctx, "roled:gid", pr->lo, pr->hi, w) ||
                       has_id_in(ctx, "roled:gids", pr->lo, pr->hi, w);
        case PR_EXE:
                return has_value(ctx, "roled:exe", pr->value, false, w);
        case PR_EXE_SHA256:
                return has_value(ctx, "roled:exe-sha256", pr->value, true, w);
        case PR_UNIT:
                return has_value(ctx, "roled:unit", pr->value, false, w);
        case PR_ROLE:
                return has_value(ctx, "roled:role", pr->value, false, w);
        default:
                return false;
        }
}

static bool action_match(const Statement *st, const Request *rq)
{
        for (uint32_t i = 0; i < st->n_actions; i++) {
                const Pattern *p = &st->actions[i];
                if (p->has_svc && p->svc_hash != rq->svc_hash)
                        continue;
                switch (p->kind) {
                case PAT_ANY:
                        return true;
                case PAT_LITERAL:
                        if (p->len == rq->action_len && memcmp(p->text, rq->action, p->len) == 0)
                                return true;
                        break;
                default:
                        if (glob_match(p->text, p->len, rq->action, rq->action_len, rq->work))
                                return true;
                        break;
                }
        }
        return false;
}

static bool statement_match(const Statement *st, const Request *rq)
{
        bool m;

        /* IAM:reference_policies_elements_notaction: NotAction matches every other action. */
        if (action_match(st, rq) == st->is_not_action)
                return false;
        if (st->has_resource) {
                m = false;
                for (uint32_t i = 0; !m && i < st->n_resources; i++)
                        m = pattern_match_arn(&st->resources[i], rq->ctx, rq->resource,
                                              rq->resource_len, &rq->rsplit, rq->work);
                if (m == st->is_not_resource)
                        return false;
        }
        if (st->has_principal) {
                m = false;
                for (uint32_t i = 0; !m && i < st->n_principals; i++)
                        m = principal_match(&st->principals[i], rq->ctx, rq->work);
                if (m == st->is_not_principal)
                        return false;
        }
        /* IAM:reference_policies_multi-value-conditions: operators and keys are AND'ed. */
        for (uint32_t i = 0; i < st->n_conds; i++)
                if (!condition_eval(&st->conds[i], rq->ctx, rq->work))
                        return false;
        return true;
}

static void decide(PolicyResult *res, PolicyDecision d, const Policy *p, int index, size_t stmt)
{
        res->decision = d;
        res->policy = index;
        res->policy_name = p->name;
        res->statement = (int)stmt;
        res->sid = p->statements[stmt].sid;
}

/*
 * Scan one policy: return true at the first matching Deny (written to @deny);
 * otherwise note the first matching Allow in @allow (if not set yet). Stops
 * when the work meter runs out (the caller refuses the decision).
 */
static bool scan(const Policy *p, int index, const Request *rq, PolicyResult *deny,
                 PolicyResult *allow, bool *has_allowp)
{
        /* The scan itself, charged at once: a store per statement would cost more than the rest. */
        work_charge(rq->work, 4 * p->n_statements);
        for (size_t j = 0; j < p->n_statements && !work_out(rq->work); j++) {
                const Statement *st = &p->statements[j];
                if (!st->is_deny && *has_allowp)
                        continue;
                if (!statement_match(st, rq))
                        continue;
                if (st->is_deny) {
                        decide(deny, POLICY_EXPLICIT_DENY, p, index, j);
                        return true;
                }
                decide(allow, POLICY_ALLOW, p, index, j);
                *has_allowp = true;
        }
        return false;
}

int policy_evaluate(const Policy *const *identity, size_t n_identity, const Policy *session,
                    const char *action, const char *resource, const PolicyContext *ctx,
                    PolicyResult *res)
{
        char action_lc[POLICY_ACTION_MAX + 1];
        PolicyResult deny, allow, session_allow;
        bool has_allow = false, has_session_allow = false;
        Work work = { 0 };
        Request rq;
        size_t alen;

        if (!action || !resource)
                return -EINVAL;
        alen = strlen(action);
        if (alen > POLICY_ACTION_MAX ||
            strnlen(resource, POLICY_RESOURCE_MAX + 1) > POLICY_RESOURCE_MAX)
                return -EINVAL;
        for (size_t i = 0; i < alen; i++)
                action_lc[i] = (char)tolower((unsigned char)action[i]);
        action_lc[alen] = '\0';
        const char *colon = memchr(action_lc, ':', alen);
        rq = (Request){
                .action = action_lc,
                .action_len = alen,
                .svc_hash = svc_hash(action_lc, colon ? (size_t)(colon - action_lc) : alen),
                .resource = resource,
                .resource_len = strlen(resource),
                .ctx = ctx,
                .work = &work,
        };
        arn_split(resource, rq.resource_len, &rq.rsplit);

        bool is_denied = false;
        for (size_t i = 0; i < n_identity && !is_denied; i++)
                is_denied = scan(identity[i], (int)i, &rq, &deny, &allow, &has_allow);
        if (session && !is_denied)
                is_denied = scan(session, POLICY_INDEX_SESSION, &rq, &deny, &session_allow,
                                 &has_session_allow);
        /* Past the limit some match answered without looking: no part of this decision stands. */
        if (work_out(&work)) {
                *res = (PolicyResult){ .decision = POLICY_IMPLICIT_DENY,
                                       .policy = POLICY_INDEX_NONE,
                                       .statement = -1 };
                return POLICY_E_WORK_LIMIT;
        }
        if (is_denied) {
                *res = deny;
                return 0;
        }
        if (!has_allow) {
                *res = (PolicyResult){ .decision = POLICY_IMPLICIT_DENY,
                                       .policy = POLICY_INDEX_NONE,
                                       .statement = -1 };
                return 0;
        }
        if (session && !has_session_allow) {
                *res = (PolicyResult){ .decision = POLICY_IMPLICIT_DENY,
                                       .policy = POLICY_INDEX_SESSION,
                                       .policy_name = session->name,
                                       .statement = -1 };
                return 0;
        }
        *res = allow;
        return 0;
}
