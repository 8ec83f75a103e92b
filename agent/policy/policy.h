/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the IAM policy engine: parse and compile AWS-style policy
 * documents (identity, session and trust policies), then evaluate requests
 * against them with AWS's evaluation logic. The module is self-contained: no
 * I/O, no agent state; the caller hands in documents and a request context.
 *
 * Language: Version 2012-10-17 (policy variables) or 2008-10-17 (variables
 * are literal text), optional Id, Statement as object or array, Sid, Effect,
 * Action/NotAction, Resource/NotResource, Principal/NotPrincipal, Condition.
 * Duplicate keys and unknown elements are MalformedPolicyDocument.
 *
 * Matching: actions case-insensitively with `*`/`?`; resources
 * case-sensitively, ARN component by component (`*` does not cross `:` inside
 * the first five components, crosses `/` and `:` inside the resource part, and
 * a trailing `*` of a pattern with fewer than six components matches the rest,
 * so "arn:aws:ec2:*" covers every EC2 ARN). `?` matches one character (one
 * UTF-8 sequence).
 *
 * Principals (trust documents). AWS forms: "*", {"AWS": "*"},
 * {"AWS": "123456789012"} or "arn:aws:iam::123456789012:root" (the account:
 * matches aws:PrincipalAccount or the account of aws:PrincipalArn), any other
 * {"AWS": "<arn>"} (matches aws:PrincipalArn exactly). "Service",
 * "Federated" and "CanonicalUser" are accepted and never match on a local host.
 * roled's local forms, {"Local": [...]} with entries:
 *   "*"                      anyone
 *   "user:alice"             roled:user
 *   "uid:1000", "uid:1000-1999"  roled:uid (inclusive range)
 *   "group:wheel"            any value of roled:groups (all group names, primary included)
 *   "gid:10", "gid:10-20"    roled:gid or any value of roled:gids
 *   "exe:/usr/bin/foo"       roled:exe (exact path)
 *   "exe-sha256:<64 hex>"    roled:exe-sha256 (hex, case-insensitive)
 *   "unit:foo.service"       roled:unit
 *   "role:other"             roled:role (the role a chained caller holds)
 * Principals only ever match *attested* context values (see
 * policy_context_set()), so a request can never talk its way into a trust
 * policy. Several principals are OR'ed.
 *
 * Limits on documents (local choices, all reported as POLICY_E_MALFORMED
 * with a message): POLICY_DOCUMENT_MAX bytes per document (the IAM API
 * maximum), POLICY_STATEMENT_MAX statements, POLICY_DEPTH_MAX JSON nesting.
 * Limits on requests, so that what a caller hands in bounds the work: an
 * action of at most POLICY_ACTION_MAX bytes, a resource of at most
 * POLICY_RESOURCE_MAX, and a context of at most POLICY_CONTEXT_KEYS_MAX keys,
 * POLICY_CONTEXT_VALUES_MAX values per key, POLICY_VALUE_MAX bytes per value
 * and POLICY_CONTEXT_BYTES_MAX bytes in all (policy_context_set() refuses
 * more). Wildcards never backtrack (see glob_match() in match.c): matching
 * one pattern against one value costs time linear in their lengths for plain
 * text between stars, and a run with `?` between two `*` at most one word
 * operation per literal character per 64 places it could start (under 70,000
 * for a 4 KiB value, whatever the run's length), usually far less.
 *
 * Work per decision: what no single match costs can still add up (thousands
 * of patterns in a 128 KiB document, each against 256 KiB of values), so
 * policy_evaluate() meters the matching work of a decision, in units of
 * roughly a nanosecond here (a byte through a character loop, a bitset word,
 * a memmem() call's setup, eight bytes through memchr()-speed code, twelve
 * units a byte of Unicode case folding), and past POLICY_WORK_MAX units it
 * stops and refuses the decision: POLICY_E_WORK_LIMIT, an implicit deny with
 * no deciding statement, never an allow. That is a few milliseconds of
 * matching. A statement with two StringLike patterns against a 100-byte
 * value takes about 460 units; POLICY_STATEMENT_MAX such statements against
 * 64 values of 100 bytes about 420,000, of 1 KiB about 1,460,000. Every
 * hostile single pattern in tests/bench/bench-policy against 60 values of
 * 4 KiB is decided exactly, except two built to defeat the `?` search, which
 * are refused. AWS bounds requests far below these limits and would decide
 * them; refusing is the one place roled does not.
 *
 * Evaluation does not allocate, with two exceptions: libunistring may when it
 * case-folds a long non-ASCII value (...IgnoreCase), and the bitsets of a `?`
 * segment with more than about 60 distinct literal characters live on the
 * heap (if that fails, the segment is searched start by start instead). The
 * `?` search keeps its tables on the stack instead: about 190 KiB at its
 * deepest, so evaluate on a thread with an ordinary (8 MiB) stack.
 * Variables expand into a bounded stack buffer of POLICY_EXPAND_MAX bytes (a
 * longer expansion does not match).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decision.h"
#include "util.h"

#define POLICY_DOCUMENT_MAX 131072
#define POLICY_STATEMENT_MAX 1000
#define POLICY_DEPTH_MAX 16
#define POLICY_EXPAND_MAX 4096
#define POLICY_ACTION_MAX 256
#define POLICY_RESOURCE_MAX 2048        /* bytes in a request's resource (IAM's longest ARN) */
#define POLICY_CONTEXT_KEYS_MAX 256     /* keys in a request context */
#define POLICY_CONTEXT_VALUES_MAX 1024  /* values of one key */
#define POLICY_VALUE_MAX 4096           /* bytes in one context value (a Linux path, roled:exe) */
#define POLICY_CONTEXT_BYTES_MAX 262144 /* bytes of all values of a context together */
/* Matching work per decision, in units of about 1 ns (see below). */
#define POLICY_WORK_MAX 2000000

/* Documented outcomes (positive; failures are -errno). */
enum {
        POLICY_E_MALFORMED = 1, /* MalformedPolicyDocument: PolicyError says where and why */
        POLICY_E_ATTESTED,      /* context: key is attested, a request value may not change it */
        POLICY_E_RESERVED,      /* context: key is in a namespace only attested values may use */
        POLICY_E_WORK_LIMIT, /* evaluate: the decision needs more than POLICY_WORK_MAX work; refused
                              */
};

typedef struct Policy Policy;
typedef struct PolicyContext PolicyContext;
typedef struct PolicyLint PolicyLint;

/* Where and why a document is malformed. */
typedef struct PolicyError {
        const char *reason; /* static CamelCase reason, e.g. "SyntaxError",
                               "UnknownConditionOperator" */
        int statement;      /* 0-based statement index, -1 when not inside a statement */
        int line, column;   /* JSON syntax errors: 1-based position; 0 otherwise */
        char field[96];     /* e.g. "Condition.StringEquals.aws:username"; "" when not applicable */
        char message[256];  /* one human-readable sentence */
} PolicyError;

/* The outcomes and their names are base/decision.h's. */
typedef enum PolicyDecision {
        POLICY_IMPLICIT_DENY = DECISION_IMPLICIT_DENY,
        POLICY_ALLOW = DECISION_ALLOW,
        POLICY_EXPLICIT_DENY = DECISION_EXPLICIT_DENY,
} PolicyDecision;

#define POLICY_INDEX_NONE (-1)
#define POLICY_INDEX_SESSION (-2)

/*
 * The outcome of policy_evaluate(). For allow and explicit deny, the deciding
 * statement: the first matching Deny (identity policies in order, then the
 * session policy), or the first matching Allow of the identity policies. An
 * implicit deny has no statement (statement == -1); when it is the session
 * policy that failed to allow what the identity policies allowed, policy is
 * POLICY_INDEX_SESSION. Pointers borrow from the policies.
 */
typedef struct PolicyResult {
        PolicyDecision decision;
        int policy; /* index into identity[], POLICY_INDEX_SESSION or POLICY_INDEX_NONE */
        const char *policy_name; /* name given to policy_parse(), NULL if none */
        int statement;           /* 0-based statement index, -1 if none */
        const char *sid;         /* Sid of that statement, NULL if it has none */
} PolicyResult;

/*
 * policy_parse() - parse and compile one policy document.
 * @json:    the document; need not be NUL-terminated; the caller keeps it
 * @len:     its length in bytes (at most POLICY_DOCUMENT_MAX)
 * @name:    a name reported in results (file name, "inline", ...); copied; may be NULL
 * @policyp: receives the compiled policy on success; free with policy_free()
 * @err:     filled on POLICY_E_MALFORMED; may be NULL
 *
 * Return: 0; POLICY_E_MALFORMED (syntax, limits, unknown elements or condition
 * operators, bad values); -ENOMEM.
 */
int policy_parse(const char *json, size_t len, const char *name, Policy **policyp,
                 PolicyError *err);

/* policy_free() - free a policy (NULL is fine). Return: NULL. */
Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy, policy_free);

/* policy_name() - the name given at parse time, or NULL. */
const char *policy_name(const Policy *p);

/* policy_n_statements() - number of statements. */
size_t policy_n_statements(const Policy *p);

/* policy_memory() - heap bytes the compiled policy holds, for callers that bound what they keep. */
size_t policy_memory(const Policy *p);

/*
 * policy_needs_key() - does evaluating @p ever look at context key @key?
 * @key: a condition key, compared case-insensitively (e.g. "roled:exe-sha256")
 *
 * Covers condition keys, policy variables and the keys principals read, so
 * the agent can skip costly attestation (hashing an executable) that no rule
 * needs. Return: true if the key may be read.
 */
bool policy_needs_key(const Policy *p, const char *key);

/*
 * policy_context_new() - an empty request context.
 * Return: 0 (*ctxp owned by the caller; free with policy_context_free()); -ENOMEM.
 */
int policy_context_new(PolicyContext **ctxp);

/* policy_context_free() - free a context (NULL is fine). Return: NULL. */
PolicyContext *policy_context_free(PolicyContext *ctx);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyContext, policy_context_free);

/*
 * policy_context_set() - add one value to a context key (a second call with the
 * same key makes it multi-valued).
 * @key:         looked up case-insensitively; copied
 * @value:       copied; NULL creates the key with no value (a present, empty set)
 * @is_attested: true when the agent vouches for the value (kernel-attested
 *               identity, agent-computed facts); false for values supplied by a
 *               request (an Authorize caller)
 *
 * An attested value replaces request-supplied values of the key. Keys under
 * "roled:", "aws:Principal", "aws:userid" and "aws:username" describe the
 * caller and may only be set attested, so a request can never forge them (not
 * even when the agent left one unset).
 *
 * A key set with a NULL value is a set (multivalued) even when it ends up
 * with one value; so are the keys IAM documents as multivalued (aws:TagKeys,
 * aws:CalledVia, aws:PrincipalServiceNamesList, aws:*OrgPaths) and
 * roled:groups and roled:gids. Multivalued keys are never policy variables
 * (IAM:reference_policies_variables): "${aws:TagKeys}" stays unresolved.
 *
 * Return: 0; POLICY_E_ATTESTED (the key already has attested values and
 * @is_attested is false: nothing changed); POLICY_E_RESERVED (reserved key,
 * @is_attested false: nothing changed); -EINVAL (empty key); -E2BIG (more than
 * POLICY_CONTEXT_KEYS_MAX keys, more than POLICY_CONTEXT_VALUES_MAX values
 * for the key, a value longer than POLICY_VALUE_MAX bytes, or values of more
 * than POLICY_CONTEXT_BYTES_MAX bytes in all: nothing changed); -ENOMEM.
 */
int policy_context_set(PolicyContext *ctx, const char *key, const char *value, bool is_attested);

/*
 * policy_context_unset() - remove @key and all its values, attested or not
 * (the caller replacing an attested value it set, e.g. the current time).
 */
void policy_context_unset(PolicyContext *ctx, const char *key);

/* policy_context_clear_request() - drop every key that is not attested. */
void policy_context_clear_request(PolicyContext *ctx);

/*
 * policy_context_get() - look a key up (case-insensitively).
 * @valuesp:   receives the borrowed value array (valid until the next change)
 * @n_valuesp: receives its length (0 for a present, empty key)
 * @is_attestedp: receives whether the key is attested; may be NULL
 *
 * Return: true if the key is present.
 */
bool policy_context_get(const PolicyContext *ctx, const char *key, const char *const **valuesp,
                        size_t *n_valuesp, bool *is_attestedp);

/*
 * policy_evaluate() - decide a request, AWS style: an explicit Deny in any
 * policy wins; otherwise some identity policy must Allow; and if @session is
 * given it must Allow as well (it only narrows; a Deny in it is an explicit
 * deny). Trust documents are evaluated the same way (pass the trust policy as
 * the only identity policy, action "sts:AssumeRole", resource the role ARN);
 * statements with Principal/NotPrincipal apply only to matching principals.
 * @identity:   @n_identity policies (entries may not be NULL)
 * @session:    optional session policy (NULL: none)
 * @action:     "service:Action", compared case-insensitively
 * @resource:   the resource ARN (or any string); case-sensitive
 * @ctx:        request context; may be NULL (no keys)
 * @res:        receives the decision and the deciding statement
 *
 * Does not allocate (but see the two exceptions above). Return: 0;
 * POLICY_E_WORK_LIMIT (matching needed more than POLICY_WORK_MAX units of
 * work, see above: refused, and *res is an implicit deny with policy
 * POLICY_INDEX_NONE and no statement, so a caller that reads only the
 * decision still denies); -EINVAL (NULL action/resource, an action longer
 * than POLICY_ACTION_MAX, or a resource longer than POLICY_RESOURCE_MAX).
 */
int policy_evaluate(const Policy *const *identity, size_t n_identity, const Policy *session,
                    const char *action, const char *resource, const PolicyContext *ctx,
                    PolicyResult *res);

/* policy_decision_str() - "allow", "explicit-deny" or "implicit-deny". */
const char *policy_decision_str(PolicyDecision d);

typedef enum PolicyKind {
        POLICY_KIND_AUTO,     /* a trust document if every statement has a Principal */
        POLICY_KIND_IDENTITY, /* identity or session policy: Principal is suspicious */
        POLICY_KIND_TRUST,    /* trust document: Principal is required */
} PolicyKind;

typedef enum PolicySeverity {
        POLICY_WARNING,
        POLICY_ERROR,
} PolicySeverity;

/* One lint finding. */
typedef struct PolicyFinding {
        PolicySeverity severity;
        const char *code; /* static CamelCase code, e.g. "OverBroadGrant" */
        int statement;    /* 0-based, -1 for the document */
        int line, column; /* syntax errors only; 0 otherwise */
        char field[96];
        char message[256];
} PolicyFinding;

/*
 * policy_lint() - check a document: everything policy_parse() rejects (errors),
 * every unknown condition operator (errors), and risky or dated constructs
 * (warnings): "OverBroadGrant" (Allow of "*" or "service:*" on Resource "*"),
 * "AllowWithNotAction", "AllowWithNotResource", "MissingVersion",
 * "OldVersion", "DuplicateSid", "InvalidSid", "PrincipalInIdentityPolicy",
 * "MissingPrincipal" (error, trust documents), "NotPrincipalInTrustPolicy",
 * "VariableInOldVersion", "VariableBeforeResourcePart", "WildcardInService".
 * @kind:  what the document is meant to be
 * @lintp: receives the findings (possibly none); free with policy_lint_free()
 *
 * Return: 0; -ENOMEM; -EINVAL (len > 16 * POLICY_DOCUMENT_MAX).
 */
int policy_lint(const char *json, size_t len, PolicyKind kind, PolicyLint **lintp);

/* policy_lint_free() - free findings (NULL is fine). Return: NULL. */
PolicyLint *policy_lint_free(PolicyLint *lint);

/* policy_lint_count() - number of findings. */
size_t policy_lint_count(const PolicyLint *lint);

/* policy_lint_n_errors() - number of findings with severity POLICY_ERROR. */
size_t policy_lint_n_errors(const PolicyLint *lint);

/* policy_lint_get() - finding @i (< count), borrowed from @lint. */
const PolicyFinding *policy_lint_get(const PolicyLint *lint, size_t i);
