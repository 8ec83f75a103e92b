/* SPDX-License-Identifier: MIT */
/*
 * parse.c - from JSON text to a compiled Policy: grammar checks with precise
 * MalformedPolicyDocument locations (IAM:reference_policies_grammar), actions
 * lower-cased and hashed by service, resources pre-split into ARN components,
 * policy variables turned into templates, condition values parsed once. Also
 * compiles the agent's shorthand trust rules into the same form. Matching
 * lives in match.c and condition.c, the decision in eval.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "jsonspan.h"
#include "policy-internal.h"

typedef struct Parser {
        Arena *arena;
        int version;
        int stmt;
        PolicyError *err;
        const char **keys;
        size_t n_keys, size_keys;
        const char *json; /* the document's text and tree, for number texts */
        size_t json_len;
        const json_t *root;
        JsonSpan *spans; /* built on first use */
        bool has_spans_failed;
} Parser;

static int fail(Parser *ps, const char *reason, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(Parser *ps, const char *reason, const char *field, const char *fmt, ...)
{
        PolicyError *err = ps->err;
        va_list ap;

        if (!err)
                return POLICY_E_MALFORMED;
        *err = (PolicyError){ .reason = reason, .statement = ps->stmt };
        snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return POLICY_E_MALFORMED;
}

/* Remember (lower-cased, once) a context key evaluation may read. */
static int need_key(Parser *ps, const char *key)
{
        char lower[256];
        size_t len = strlen(key);

        if (len >= sizeof(lower))
                len = sizeof(lower) - 1;
        for (size_t i = 0; i < len; i++)
                lower[i] = (char)tolower((unsigned char)key[i]);
        lower[len] = '\0';
        for (size_t i = 0; i < ps->n_keys; i++)
                if (strcmp(ps->keys[i], lower) == 0)
                        return 0;
        if (ARRAY_RESERVE(ps->keys, ps->n_keys, ps->size_keys, 16))
                return -ENOMEM;
        const char *k = arena_strdup(ps->arena, lower);
        if (!k)
                return -ENOMEM;
        ps->keys[ps->n_keys++] = k;
        return 0;
}

/*
 * json_depth_ok() - refuse nesting deeper than POLICY_DEPTH_MAX before the
 * JSON parser builds anything (a policy needs about six levels).
 */
int json_depth_ok(const char *json, size_t len)
{
        int depth = 0;
        bool in_str = false;

        for (size_t i = 0; i < len; i++) {
                char c = json[i];
                if (in_str) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                } else if (c == '{' || c == '[') {
                        if (++depth > POLICY_DEPTH_MAX)
                                return -E2BIG;
                } else if (c == '}' || c == ']') {
                        depth--;
                }
        }
        return 0;
}

enum {
        PC_GLOB = 1 << 0,     /* `*` and `?` are wildcards */
        PC_VARS = 1 << 1,     /* policy variables allowed (Version 2012-10-17) */
        PC_LOWER = 1 << 2,    /* lower-case (actions) */
        PC_ARN = 1 << 3,      /* pre-split into ARN components */
        PC_RESOURCE = 1 << 4, /* Resource element: variables only after the fifth colon */
};

/*
 * Compile one pattern. IAM:reference_policies_variables: `${key}`,
 * `${key, 'default'}`, escapes `${*}` `${?}` `${$}`; with 2008-10-17 or no
 * Version, `${...}` is literal text. In a Resource ARN a variable may only
 * stand in the resource part, after the fifth colon: before it (partition,
 * service, region, account) `${...}` is literal text, as in an old Version,
 * so "arn:aws:dynamodb:${aws:RequestedRegion}:..." names no real resource.
 */
static int compile_pattern(Parser *ps, const char *raw, unsigned flags, const char *field,
                           Pattern *pat)
{
        size_t rlen = strlen(raw);
        _cleanup_free_ char *out = malloc(2 * rlen + 1); /* target syntax */
        _cleanup_free_ char *lit = malloc(rlen + 1);     /* unescaped, no-variable case */
        _cleanup_free_ TplPart *parts = calloc(rlen + 1, sizeof(TplPart));
        size_t o = 0, l = 0, n_parts = 0, chunk = 0, n_colons = 0;
        bool has_wild = false, has_var = false, is_glob = flags & PC_GLOB;
        bool vars = (flags & PC_VARS) && ps->version == VERSION_2012;

        if (!out || !lit || !parts)
                return -ENOMEM;
        for (size_t i = 0; i < rlen; i++) {
                char c = raw[i];
                if (vars && c == '$' && raw[i + 1] == '{' &&
                    (!(flags & PC_RESOURCE) || n_colons >= 5)) {
                        const char *close = strchr(raw + i + 2, '}');
                        if (close) {
                                const char *in = raw + i + 2;
                                size_t in_len = (size_t)(close - in);
                                char esc = 0;
                                if (in_len == 1 && (*in == '*' || *in == '?' || *in == '$'))
                                        esc = *in;
                                if (esc) {
                                        if (is_glob && esc != '$')
                                                out[o++] = '\\';
                                        out[o++] = esc;
                                        lit[l++] = esc;
                                        i = (size_t)(close - raw);
                                        continue;
                                }
                                /* A variable: flush the literal chunk first. */
                                const char *comma = memchr(in, ',', in_len);
                                const char *kend = comma ? comma : close;
                                while (in < kend && isspace((unsigned char)*in))
                                        in++;
                                while (kend > in && isspace((unsigned char)kend[-1]))
                                        kend--;
                                if (kend == in)
                                        return fail(ps, "InvalidVariable", field,
                                                    "empty policy variable in \"%s\"", raw);
                                const char *def = NULL;
                                if (comma) {
                                        const char *d = comma + 1, *dend = close;
                                        while (d < dend && isspace((unsigned char)*d))
                                                d++;
                                        while (dend > d && isspace((unsigned char)dend[-1]))
                                                dend--;
                                        if (dend - d < 2 || *d != '\'' || dend[-1] != '\'')
                                                return fail(ps, "InvalidVariable", field,
                                                            "default of a policy variable must be "
                                                            "single-quoted in \"%s\"",
                                                            raw);
                                        def = arena_strndup(ps->arena, d + 1,
                                                            (size_t)(dend - d - 2));
                                        if (!def)
                                                return -ENOMEM;
                                }
                                if (o > chunk) {
                                        parts[n_parts].lit =
                                                arena_strndup(ps->arena, out + chunk, o - chunk);
                                        if (!parts[n_parts].lit)
                                                return -ENOMEM;
                                        parts[n_parts++].lit_len = (uint32_t)(o - chunk);
                                }
                                parts[n_parts].key =
                                        arena_strndup(ps->arena, in, (size_t)(kend - in));
                                if (!parts[n_parts].key)
                                        return -ENOMEM;
                                int r = need_key(ps, parts[n_parts].key);
                                if (r < 0)
                                        return r;
                                parts[n_parts++].def = def;
                                has_var = true;
                                i = (size_t)(close - raw);
                                chunk = o;
                                continue;
                        }
                }
                if (c == ':')
                        n_colons++;
                if (flags & PC_LOWER)
                        c = (char)tolower((unsigned char)c);
                if (is_glob && (c == '*' || c == '?'))
                        has_wild = true;
                if (is_glob && c == '\\')
                        out[o++] = '\\';
                out[o++] = c;
                lit[l++] = c;
        }
        out[o] = '\0';
        lit[l] = '\0';

        *pat = (Pattern){ .is_glob = is_glob };
        if (has_var) {
                if (o > chunk) {
                        parts[n_parts].lit = arena_strndup(ps->arena, out + chunk, o - chunk);
                        if (!parts[n_parts].lit)
                                return -ENOMEM;
                        parts[n_parts++].lit_len = (uint32_t)(o - chunk);
                }
                TplPart *p = arena_alloc(ps->arena, n_parts * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                memcpy(p, parts, n_parts * sizeof(*p));
                pat->kind = PAT_VAR;
                pat->parts = p;
                pat->n_parts = (uint32_t)n_parts;
                return 0;
        }
        if (is_glob && strcmp(out, "*") == 0) {
                pat->kind = PAT_ANY;
                pat->text = "*";
                pat->len = 1;
        } else if (is_glob && has_wild) {
                pat->kind = PAT_GLOB;
                pat->text = arena_strndup(ps->arena, out, o);
                pat->len = (uint32_t)o;
                glob_info(out, o, &pat->glob);
        } else {
                pat->kind = PAT_LITERAL;
                pat->text = arena_strndup(ps->arena, lit, l);
                pat->len = (uint32_t)l;
        }
        if (!pat->text)
                return -ENOMEM;
        if (flags & PC_ARN)
                arn_split(pat->text, pat->len, &pat->arn);
        return 0;
}

/*
 * A JSON scalar as condition-value text: strings, numbers, booleans. A number
 * is its text in the document (IAM:reference_policies_grammar: numbers are
 * condition values like strings), so "StringEquals": {"k": 3.14} compares
 * "3.14" and 1.0 stays "1.0". Only if the document cannot be indexed (never
 * expected) the shortest text that reads back as the same double is used.
 */
static int scalar_text(Parser *ps, json_t *v, char *buf, size_t size, const char **textp)
{
        if (json_is_string(v)) {
                *textp = json_string_value(v);
                return 0;
        }
        if (json_is_number(v) && ps->root && !ps->spans && !ps->has_spans_failed) {
                int r = jsonspan_new(&ps->spans, ps->json, ps->json_len, ps->root);
                if (r == -ENOMEM)
                        return r;
                ps->has_spans_failed = r < 0;
        }
        const char *t;
        size_t tlen;
        if (json_is_number(v) && jsonspan_get(ps->spans, v, &t, &tlen)) {
                *textp = arena_strndup(ps->arena, t, tlen);
                return *textp ? 0 : -ENOMEM;
        }
        if (json_is_integer(v)) {
                snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        } else if (json_is_real(v)) {
                for (int prec = 1; prec <= 17; prec++) {
                        snprintf(buf, size, "%.*g", prec, json_real_value(v));
                        if (strtod(buf, NULL) == json_real_value(v))
                                break;
                }
        } else if (json_is_boolean(v))
                snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
        else
                return -EINVAL;
        *textp = buf;
        return 0;
}

/* A single value or an array of them: count, and the i-th element. */
static size_t n_items(json_t *v)
{
        return json_is_array(v) ? json_array_size(v) : 1;
}

static json_t *item(json_t *v, size_t i)
{
        return json_is_array(v) ? json_array_get(v, i) : v;
}

/* What an entry of Action or Resource (or their Not forms) must look like, and how it compiles. */
typedef struct ListRule {
        const char *reason; /* fail()'s reason for an entry of another shape */
        const char *shape;  /* what the message says a valid entry is */
        bool (*is_valid)(const char *s);
        unsigned flags; /* compile_pattern()'s PC_* */
} ListRule;

/* IAM:reference_policies_elements_action: "*" or "service:action". */
static bool is_action(const char *s)
{
        const char *colon = strchr(s, ':');
        return strcmp(s, "*") == 0 || (colon && colon != s && colon[1]);
}

/* IAM:reference_policies_elements_resource: "*" or an ARN, variables allowed. */
static bool is_resource(const char *s)
{
        return strcmp(s, "*") == 0 || strncmp(s, "arn:", 4) == 0;
}

static const ListRule action_rule = { "InvalidAction", "\"*\" or \"service:action\"", is_action,
                                      PC_GLOB | PC_LOWER };
static const ListRule resource_rule = { "InvalidResource",
                                        "\"*\" or an ARN (arn:partition:service:...)", is_resource,
                                        PC_GLOB | PC_VARS | PC_ARN | PC_RESOURCE };

/* A string or a non-empty array of strings, each entry checked by @rule and compiled. */
static int compile_list(Parser *ps, json_t *v, const char *field, const ListRule *rule,
                        Pattern **patsp, uint32_t *np)
{
        size_t n = n_items(v);
        Pattern *pats;
        if (!json_is_string(v) && !json_is_array(v))
                return fail(ps, rule->reason, field, "%s must be a string or an array of strings",
                            field);
        if (n == 0)
                return fail(ps, rule->reason, field, "%s must not be empty", field);
        for (size_t i = 0; i < n; i++)
                if (!json_is_string(item(v, i)))
                        return fail(ps, rule->reason, field, "%s entries must be strings", field);
        pats = arena_alloc(ps->arena, n * sizeof(*pats));
        if (!pats)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(item(v, i));
                if (!rule->is_valid(s))
                        return fail(ps, rule->reason, field, "%s \"%s\" must be %s", field, s,
                                    rule->shape);
                int r = compile_pattern(ps, s, rule->flags, field, &pats[i]);
                if (r != 0)
                        return r;
        }
        *patsp = pats;
        *np = (uint32_t)n;
        return 0;
}

/* Action or NotAction; an action naming its service whole is hashed by it for eval.c. */
static int compile_actions(Parser *ps, json_t *v, const char *field, Statement *st)
{
        Pattern *pats;
        uint32_t n;
        int r = compile_list(ps, v, field, &action_rule, &pats, &n);
        if (r != 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(item(v, i));
                const char *colon = strchr(s, ':');
                if (colon && strcspn(s, "*?") > (size_t)(colon - s)) {
                        pats[i].has_svc = true;
                        pats[i].svc_hash = svc_hash(s, (size_t)(colon - s));
                }
        }
        st->actions = pats;
        st->n_actions = n;
        return 0;
}

/* Resource or NotResource. */
static int compile_resources(Parser *ps, json_t *v, const char *field, Statement *st)
{
        Pattern *pats;
        int r = compile_list(ps, v, field, &resource_rule, &pats, &st->n_resources);
        if (r == 0)
                st->resources = pats;
        return r;
}

static int parse_u32(const char *s, size_t len, uint32_t *vp)
{
        uint64_t v = 0;
        if (len == 0 || len > 10)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -EINVAL;
        *vp = (uint32_t)v;
        return 0;
}

static bool is_hex64(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!isxdigit((unsigned char)s[i]))
                        return false;
        return true;
}

static const struct {
        const char *prefix;
        uint8_t kind;
        const char *key;
} local_kinds[] = {
        { "user:", PR_USER, "roled:user" },
        { "uid:", PR_UID, "roled:uid" },
        { "group:", PR_GROUP, "roled:groups" },
        { "gid:", PR_GID, "roled:gid" },
        { "exe:", PR_EXE, "roled:exe" },
        { "exe-sha256:", PR_EXE_SHA256, "roled:exe-sha256" },
        { "unit:", PR_UNIT, "roled:unit" },
        { "role:", PR_ROLE, "roled:role" },
};

/* One {"Local": ...} entry, documented in policy.h. */
static int compile_local(Parser *ps, const char *s, const char *field, Principal *pr)
{
        int r;

        if (strcmp(s, "*") == 0) {
                *pr = (Principal){ .kind = PR_ANY };
                return 0;
        }
        for (size_t i = 0; i < sizeof(local_kinds) / sizeof(local_kinds[0]); i++) {
                size_t plen = strlen(local_kinds[i].prefix);
                if (strncmp(s, local_kinds[i].prefix, plen) != 0)
                        continue;
                const char *v = s + plen;
                *pr = (Principal){ .kind = local_kinds[i].kind };
                if (!*v)
                        return fail(ps, "InvalidPrincipal", field,
                                    "empty value in Local principal \"%s\"", s);
                switch (pr->kind) {
                case PR_UID:
                case PR_GID: {
                        /* uid:N, uid:LO-HI, gid:N, gid:LO-HI (the INI shorthand allows ranges for
                         * both). */
                        const char *dash = strchr(v, '-');
                        if (parse_u32(v, dash ? (size_t)(dash - v) : strlen(v), &pr->lo) < 0 ||
                            parse_u32(dash ? dash + 1 : v, strlen(dash ? dash + 1 : v), &pr->hi) <
                                    0 ||
                            pr->lo > pr->hi)
                                return fail(ps, "InvalidPrincipal", field,
                                            "Local principal \"%s\" needs an id or a range lo-hi",
                                            s);
                        break;
                }
                case PR_EXE:
                        if (v[0] != '/')
                                return fail(ps, "InvalidPrincipal", field,
                                            "Local principal \"%s\" needs an absolute path", s);
                        break;
                case PR_EXE_SHA256:
                        if (!is_hex64(v))
                                return fail(ps, "InvalidPrincipal", field,
                                            "Local principal \"%s\" needs 64 hex digits", s);
                        break;
                default:
                        break;
                }
                pr->value = arena_strdup(ps->arena, v);
                if (!pr->value)
                        return -ENOMEM;
                r = need_key(ps, local_kinds[i].key);
                if (r == 0 && pr->kind == PR_GID)
                        r = need_key(ps, "roled:gids");
                return r;
        }
        return fail(ps, "InvalidPrincipal", field,
                    "unknown Local principal \"%s\" (user:, uid:, group:, gid:, exe:, exe-sha256:, "
                    "unit:, role: or \"*\")",
                    s);
}

static bool is_account(const char *s)
{
        return strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* IAM:reference_policies_elements_principal, plus {"Local": ...}. */
static int compile_principals(Parser *ps, json_t *v, const char *field, Statement *st)
{
        size_t n = 0, k = 0;
        const char *key;
        json_t *val;
        char f[96];
        int r;

        if (json_is_string(v)) {
                if (strcmp(json_string_value(v), "*") != 0)
                        return fail(ps, "InvalidPrincipal", field,
                                    "%s must be \"*\" or an object such as {\"AWS\": ...} or "
                                    "{\"Local\": ...}",
                                    field);
                Principal *pr = arena_alloc(ps->arena, sizeof(*pr));
                if (!pr)
                        return -ENOMEM;
                pr->kind = PR_ANY;
                st->principals = pr;
                st->n_principals = 1;
                return 0;
        }
        if (!json_is_object(v) || json_object_size(v) == 0)
                return fail(ps, "InvalidPrincipal", field, "%s must be \"*\" or a non-empty object",
                            field);
        json_object_foreach(v, key, val)
        {
                snprintf(f, sizeof(f), "%s.%s", field, key);
                if (strcmp(key, "AWS") && strcmp(key, "Service") && strcmp(key, "Federated") &&
                    strcmp(key, "CanonicalUser") && strcmp(key, "Local"))
                        return fail(ps, "InvalidPrincipal", f,
                                    "unknown principal type \"%s\" (AWS, Service, Federated, "
                                    "CanonicalUser, Local)",
                                    key);
                if ((!json_is_string(val) && !json_is_array(val)) || n_items(val) == 0)
                        return fail(ps, "InvalidPrincipal", f,
                                    "%s must be a string or a non-empty array", f);
                n += n_items(val);
        }
        Principal *prs = arena_alloc(ps->arena, n * sizeof(*prs));
        if (!prs)
                return -ENOMEM;
        json_object_foreach(v, key, val)
        {
                snprintf(f, sizeof(f), "%s.%s", field, key);
                for (size_t i = 0; i < n_items(val); i++) {
                        json_t *e = item(val, i);
                        Principal *pr = &prs[k++];
                        if (!json_is_string(e) || !*json_string_value(e))
                                return fail(ps, "InvalidPrincipal", f,
                                            "%s entries must be non-empty strings", f);
                        const char *s = json_string_value(e);
                        if (strcmp(key, "Local") == 0) {
                                r = compile_local(ps, s, f, pr);
                                if (r != 0)
                                        return r;
                                continue;
                        }
                        if (strcmp(key, "AWS") != 0) {
                                pr->kind = PR_NEVER;
                                continue;
                        }
                        if (strcmp(s, "*") == 0) {
                                pr->kind = PR_ANY;
                                continue;
                        }
                        if (strpbrk(s, "*?"))
                                return fail(ps, "InvalidPrincipal", f,
                                            "principal \"%s\": no partial wildcards in principals",
                                            s);
                        if (is_account(s)) {
                                pr->kind = PR_AWS_ACCOUNT;
                                pr->value = arena_strdup(ps->arena, s);
                        } else if (strncmp(s, "arn:", 4) == 0) {
                                ArnSplit as;
                                arn_split(s, strlen(s), &as);
                                if (as.n < ARN_SEGS)
                                        return fail(ps, "InvalidPrincipal", f,
                                                    "principal \"%s\" is not an ARN", s);
                                if (strcmp(s + as.off[5], "root") == 0 && as.len[4] == 12) {
                                        pr->kind = PR_AWS_ACCOUNT;
                                        pr->value = arena_strndup(ps->arena, s + as.off[4], 12);
                                } else {
                                        pr->kind = PR_AWS_ARN;
                                        pr->value = arena_strdup(ps->arena, s);
                                }
                        } else {
                                return fail(ps, "InvalidPrincipal", f,
                                            "AWS principal \"%s\" must be \"*\", an account id or "
                                            "an ARN",
                                            s);
                        }
                        if (!pr->value)
                                return -ENOMEM;
                        r = need_key(ps, "aws:PrincipalArn");
                        if (r == 0 && pr->kind == PR_AWS_ACCOUNT)
                                r = need_key(ps, "aws:PrincipalAccount");
                        if (r < 0)
                                return r;
                }
        }
        st->principals = prs;
        st->n_principals = (uint32_t)n;
        return 0;
}

static int compile_cond_value(Parser *ps, Condition *c, json_t *jv, const char *field,
                              CondValue *cv)
{
        char buf[64];
        const char *s;
        int r;

        r = scalar_text(ps, jv, buf, sizeof(buf), &s);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(ps, "InvalidConditionValue", field,
                            "condition values must be strings, numbers or booleans");
        switch (c->op) {
        case OP_STR_EQ:
        case OP_STR_EQ_IC:
                return compile_pattern(ps, s, PC_VARS, field, &cv->pat);
        case OP_BOOL:
                r = compile_pattern(ps, s, PC_VARS, field, &cv->pat);
                if (r == 0 && cv->pat.kind != PAT_VAR && strcasecmp(s, "true") &&
                    strcasecmp(s, "false"))
                        return fail(ps, "InvalidConditionValue", field,
                                    "Bool value \"%s\" is not true or false", s);
                return r;
        case OP_STR_LIKE:
                return compile_pattern(ps, s, PC_GLOB | PC_VARS, field, &cv->pat);
        case OP_ARN:
                return compile_pattern(ps, s, PC_GLOB | PC_VARS | PC_ARN, field, &cv->pat);
        case OP_NUM_EQ:
        case OP_NUM_LT:
        case OP_NUM_LE:
        case OP_NUM_GT:
        case OP_NUM_GE:
                if (parse_number(s, &cv->num) < 0)
                        return fail(ps, "InvalidConditionValue", field, "\"%s\" is not a number",
                                    s);
                return 0;
        case OP_DATE_EQ:
        case OP_DATE_LT:
        case OP_DATE_LE:
        case OP_DATE_GT:
        case OP_DATE_GE:
                if (parse_date(s, &cv->date) < 0)
                        return fail(ps, "InvalidConditionValue", field,
                                    "\"%s\" is not an ISO 8601 date or epoch seconds", s);
                return 0;
        case OP_BINARY: {
                size_t len = strlen(s), bin_len;
                uint8_t *bin = arena_alloc(ps->arena, len + 1);
                if (!bin)
                        return -ENOMEM;
                if (sodium_base642bin(bin, len + 1, s, len, NULL, &bin_len, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0)
                        return fail(ps, "InvalidConditionValue", field, "\"%s\" is not base64", s);
                cv->bin = bin;
                cv->bin_len = bin_len;
                return 0;
        }
        case OP_IP:
                if (parse_cidr(s, &cv->family, cv->addr, &cv->prefix) < 0)
                        return fail(ps, "InvalidConditionValue", field,
                                    "\"%s\" is not an IP address or CIDR", s);
                return 0;
        case OP_NULL:
                if (strcasecmp(s, "true") && strcasecmp(s, "false"))
                        return fail(ps, "InvalidConditionValue", field,
                                    "Null value \"%s\" is not true or false", s);
                cv->flag = strcasecmp(s, "true") == 0;
                return 0;
        default:
                return -EINVAL;
        }
}

/* IAM:reference_policies_elements_condition: {"Operator": {"key": value(s)}}. */
static int compile_conditions(Parser *ps, json_t *v, Statement *st)
{
        const char *opname, *key;
        json_t *block, *vals;
        size_t n = 0, k = 0;
        char f[96];
        int r;

        if (!json_is_object(v))
                return fail(ps, "InvalidCondition", "Condition", "Condition must be an object");
        json_object_foreach(v, opname, block)
        {
                uint8_t op, set;
                bool neg, ife;
                snprintf(f, sizeof(f), "Condition.%s", opname);
                if (condition_op_lookup(opname, &op, &set, &neg, &ife) != 0)
                        return fail(ps, "UnknownConditionOperator", f,
                                    "unknown condition operator \"%s\"", opname);
                if (!json_is_object(block))
                        return fail(ps, "InvalidCondition", f,
                                    "%s must map condition keys to values", f);
                n += json_object_size(block);
        }
        Condition *conds = arena_alloc(ps->arena, (n ? n : 1) * sizeof(*conds));
        if (!conds)
                return -ENOMEM;
        json_object_foreach(v, opname, block)
        {
                json_object_foreach(block, key, vals)
                {
                        Condition *c = &conds[k++];
                        snprintf(f, sizeof(f), "Condition.%s.%s", opname, key);
                        (void)condition_op_lookup(opname, &c->op, &c->set, &c->is_negated,
                                                  &c->if_exists);
                        if (!*key)
                                return fail(ps, "InvalidCondition", f, "empty condition key");
                        if (!json_is_array(vals) && !json_is_string(vals) &&
                            !json_is_number(vals) && !json_is_boolean(vals))
                                return fail(
                                        ps, "InvalidConditionValue", f,
                                        "condition values must be a scalar or an array of scalars");
                        c->key = arena_strdup(ps->arena, key);
                        if (!c->key)
                                return -ENOMEM;
                        r = need_key(ps, key);
                        if (r < 0)
                                return r;
                        size_t nv = n_items(vals);
                        CondValue *cvs = arena_alloc(ps->arena, (nv ? nv : 1) * sizeof(*cvs));
                        if (!cvs)
                                return -ENOMEM;
                        for (size_t i = 0; i < nv; i++) {
                                r = compile_cond_value(ps, c, item(vals, i), f, &cvs[i]);
                                if (r != 0)
                                        return r;
                        }
                        c->values = cvs;
                        c->n_values = (uint32_t)nv;
                }
        }
        st->conds = conds;
        st->n_conds = (uint32_t)n;
        return 0;
}

/* A statement's elements (IAM:reference_policies_grammar); each Not form follows its plain one. */
enum {
        E_SID,
        E_EFFECT,
        E_ACTION,
        E_NOT_ACTION,
        E_RESOURCE,
        E_NOT_RESOURCE,
        E_PRINCIPAL,
        E_NOT_PRINCIPAL,
        E_CONDITION,
        E_COUNT,
};

static const char *const element_names[E_COUNT] = { "Sid",       "Effect",       "Action",
                                                    "NotAction", "Resource",     "NotResource",
                                                    "Principal", "NotPrincipal", "Condition" };

typedef int CompileFn(Parser *ps, json_t *v, const char *field, Statement *st);

/*
 * compile_either() - compile element @e or its Not form (the next element),
 * whichever the statement gives, with @compile. *@hasp: whether either is
 * given; *@is_notp: whether it is the Not form. Both at once fail with @reason.
 */
static int compile_either(Parser *ps, json_t *const el[E_COUNT], int e, const char *reason,
                          CompileFn *compile, Statement *st, bool *is_notp, bool *hasp)
{
        if (el[e] && el[e + 1])
                return fail(ps, reason, element_names[e + 1],
                            "a statement cannot have both %s and %s", element_names[e],
                            element_names[e + 1]);
        *is_notp = el[e + 1] != NULL;
        *hasp = el[e] || el[e + 1];
        if (!*hasp)
                return 0;
        return compile(ps, el[e + *is_notp], element_names[e + *is_notp], st);
}

static int compile_statement(Parser *ps, json_t *js, Statement *st)
{
        json_t *el[E_COUNT] = { NULL }, *sid, *effect;
        const char *key;
        json_t *val;
        bool has_action;
        int r;

        if (!json_is_object(js))
                return fail(ps, "InvalidStatement", "", "a statement must be an object");
        json_object_foreach(js, key, val)
        {
                int e = 0;
                while (e < E_COUNT && strcmp(key, element_names[e]) != 0)
                        e++;
                if (e == E_COUNT)
                        return fail(ps, "UnknownElement", key, "unknown statement element \"%s\"",
                                    key);
                el[e] = val;
        }
        sid = el[E_SID];
        if (sid) {
                if (!json_is_string(sid))
                        return fail(ps, "InvalidSid", "Sid", "Sid must be a string");
                st->sid = arena_strdup(ps->arena, json_string_value(sid));
                if (!st->sid)
                        return -ENOMEM;
        }
        effect = el[E_EFFECT];
        if (!effect)
                return fail(ps, "MissingEffect", "Effect", "statement has no Effect");
        if (!json_is_string(effect) || (strcmp(json_string_value(effect), "Allow") &&
                                        strcmp(json_string_value(effect), "Deny")))
                return fail(ps, "InvalidEffect", "Effect", "Effect must be \"Allow\" or \"Deny\"");
        st->is_deny = strcmp(json_string_value(effect), "Deny") == 0;

        r = compile_either(ps, el, E_ACTION, "InvalidAction", compile_actions, st,
                           &st->is_not_action, &has_action);
        if (r == 0 && !has_action)
                r = fail(ps, "MissingAction", "Action", "statement has no Action or NotAction");
        if (r == 0)
                r = compile_either(ps, el, E_PRINCIPAL, "InvalidPrincipal", compile_principals, st,
                                   &st->is_not_principal, &st->has_principal);
        if (r == 0)
                r = compile_either(ps, el, E_RESOURCE, "InvalidResource", compile_resources, st,
                                   &st->is_not_resource, &st->has_resource);
        /* Only trust (resource-based) documents may leave Resource out. */
        if (r == 0 && !st->has_resource && !st->has_principal)
                r = fail(ps, "MissingResource", "Resource",
                         "statement has no Resource or NotResource");
        if (r == 0 && el[E_CONDITION])
                r = compile_conditions(ps, el[E_CONDITION], st);
        return r;
}

static Policy *policy_new(const char *name)
{
        Policy *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        if (name) {
                p->name = arena_strdup(&p->arena, name);
                if (!p->name) {
                        free(p);
                        return NULL;
                }
        }
        return p;
}

/* Move the key list into the arena: the policy owns one allocation tree. */
static int finish(Parser *ps, Policy *p)
{
        const char **keys = arena_alloc(&p->arena, (ps->n_keys + 1) * sizeof(*keys));
        if (!keys)
                return -ENOMEM;
        if (ps->n_keys)
                memcpy(keys, ps->keys, ps->n_keys * sizeof(*keys));
        p->keys = keys;
        p->n_keys = ps->n_keys;
        return 0;
}

static void parser_release(Parser *ps)
{
        ps->spans = jsonspan_free(ps->spans);
}

int policy_parse(const char *json, size_t len, const char *name, Policy **policyp, PolicyError *err)
{
        _cleanup_(policy_freep) Policy *p = NULL;
        json_auto_t *root = NULL;
        json_t *stmts = NULL, *val;
        json_error_t jerr;
        const char *key;
        int r;

        p = policy_new(name);
        if (!p)
                return -ENOMEM;
        _cleanup_(parser_release) Parser ps = {
                .arena = &p->arena, .stmt = -1, .err = err, .json = json, .json_len = len
        };
        _cleanup_free_ const char **keys_guard = NULL;

        if (len > POLICY_DOCUMENT_MAX)
                return fail(&ps, "DocumentTooLarge", "",
                            "policy document is %zu bytes, the limit is %d", len,
                            POLICY_DOCUMENT_MAX);
        if (json_depth_ok(json, len) < 0)
                return fail(&ps, "NestingTooDeep", "",
                            "policy document nests deeper than %d levels", POLICY_DEPTH_MAX);
        root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                r = fail(&ps, "SyntaxError", "", "%s", jerr.text);
                if (err) {
                        err->line = jerr.line;
                        err->column = jerr.column;
                }
                return r;
        }
        if (!json_is_object(root))
                return fail(&ps, "SyntaxError", "", "a policy document must be a JSON object");
        ps.root = root;

        val = json_object_get(root, "Version");
        if (val) {
                const char *v = json_is_string(val) ? json_string_value(val) : "";
                if (strcmp(v, "2012-10-17") == 0)
                        p->version = VERSION_2012;
                else if (strcmp(v, "2008-10-17") == 0)
                        p->version = VERSION_2008;
                else
                        return fail(&ps, "InvalidVersion", "Version",
                                    "Version must be \"2012-10-17\" or \"2008-10-17\"");
        }
        ps.version = p->version;
        json_object_foreach(root, key, val)
        {
                if (strcmp(key, "Statement") == 0)
                        stmts = val;
                else if (strcmp(key, "Id") == 0) {
                        if (!json_is_string(val))
                                return fail(&ps, "InvalidId", "Id", "Id must be a string");
                } else if (strcmp(key, "Version") != 0)
                        return fail(&ps, "UnknownElement", key, "unknown policy element \"%s\"",
                                    key);
        }
        if (!stmts)
                return fail(&ps, "MissingStatement", "Statement", "policy has no Statement");
        if (!json_is_object(stmts) && !json_is_array(stmts))
                return fail(&ps, "InvalidStatement", "Statement",
                            "Statement must be an object or an array");
        size_t n = n_items(stmts);
        if (n == 0)
                return fail(&ps, "InvalidStatement", "Statement", "Statement must not be empty");
        if (n > POLICY_STATEMENT_MAX)
                return fail(&ps, "TooManyStatements", "Statement",
                            "policy has %zu statements, the limit is %d", n, POLICY_STATEMENT_MAX);
        Statement *sts = arena_alloc(&p->arena, n * sizeof(*sts));
        if (!sts)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ps.stmt = (int)i;
                r = compile_statement(&ps, item(stmts, i), &sts[i]);
                keys_guard = ps.keys;
                if (r != 0)
                        return r;
        }
        ps.stmt = -1;
        p->statements = sts;
        p->n_statements = n;
        r = finish(&ps, p);
        if (r < 0)
                return r;
        *policyp = p;
        p = NULL;
        return 0;
}

Policy *policy_free(Policy *p)
{
        if (!p)
                return NULL;
        arena_release(&p->arena);
        free(p);
        return NULL;
}

const char *policy_name(const Policy *p)
{
        return p->name;
}

size_t policy_n_statements(const Policy *p)
{
        return p->n_statements;
}

size_t policy_memory(const Policy *p)
{
        return sizeof(*p) + arena_bytes(&p->arena);
}

bool policy_needs_key(const Policy *p, const char *key)
{
        for (size_t i = 0; i < p->n_keys; i++)
                if (strcasecmp(p->keys[i], key) == 0)
                        return true;
        return false;
}
