/* SPDX-License-Identifier: MIT */
/*
 * condition.c - condition operators and their evaluation, following
 * IAM:reference_policies_elements_condition_operators and
 * IAM:reference_policies_multi-value-conditions: values of one key are OR'ed
 * (negated operators: none may match), IfExists, ForAnyValue/ForAllValues,
 * missing keys. Value parsing (dates, numbers, CIDRs) is shared with parse.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>
#include <unicase.h>

#include "civil.h"
#include "policy-internal.h"

static const struct {
        const char *name;
        uint8_t op;
        bool is_negated;
} ops[] = {
        { "StringEquals", OP_STR_EQ, false },
        { "StringNotEquals", OP_STR_EQ, true },
        { "StringEqualsIgnoreCase", OP_STR_EQ_IC, false },
        { "StringNotEqualsIgnoreCase", OP_STR_EQ_IC, true },
        { "StringLike", OP_STR_LIKE, false },
        { "StringNotLike", OP_STR_LIKE, true },
        { "NumericEquals", OP_NUM_EQ, false },
        { "NumericNotEquals", OP_NUM_EQ, true },
        { "NumericLessThan", OP_NUM_LT, false },
        { "NumericLessThanEquals", OP_NUM_LE, false },
        { "NumericGreaterThan", OP_NUM_GT, false },
        { "NumericGreaterThanEquals", OP_NUM_GE, false },
        { "DateEquals", OP_DATE_EQ, false },
        { "DateNotEquals", OP_DATE_EQ, true },
        { "DateLessThan", OP_DATE_LT, false },
        { "DateLessThanEquals", OP_DATE_LE, false },
        { "DateGreaterThan", OP_DATE_GT, false },
        { "DateGreaterThanEquals", OP_DATE_GE, false },
        { "Bool", OP_BOOL, false },
        { "BinaryEquals", OP_BINARY, false },
        { "IpAddress", OP_IP, false },
        { "NotIpAddress", OP_IP, true },
        { "ArnEquals", OP_ARN, false },
        { "ArnLike", OP_ARN, false },
        { "ArnNotEquals", OP_ARN, true },
        { "ArnNotLike", OP_ARN, true },
        { "Null", OP_NULL, false },
};

/*
 * condition_op_lookup() - split "ForAnyValue:StringLikeIfExists" into its
 * parts. Operator names are case-sensitive, as AWS spells them. Return: 0;
 * POLICY_E_MALFORMED for an unknown operator (NullIfExists included).
 */
int condition_op_lookup(const char *name, uint8_t *opp, uint8_t *setp, bool *negatedp,
                        bool *if_existsp)
{
        uint8_t set = SET_NONE;
        bool if_exists = false;
        size_t len;

        if (strncmp(name, "ForAnyValue:", 12) == 0) {
                set = SET_ANY;
                name += 12;
        } else if (strncmp(name, "ForAllValues:", 13) == 0) {
                set = SET_ALL;
                name += 13;
        }
        len = strlen(name);
        if (len > 8 && strcmp(name + len - 8, "IfExists") == 0) {
                if_exists = true;
                len -= 8;
        }
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                if (strlen(ops[i].name) != len || strncmp(ops[i].name, name, len) != 0)
                        continue;
                if (ops[i].op == OP_NULL && if_exists)
                        return POLICY_E_MALFORMED;
                *opp = ops[i].op;
                *setp = set;
                *negatedp = ops[i].is_negated;
                *if_existsp = if_exists;
                return 0;
        }
        return POLICY_E_MALFORMED;
}

int parse_number(const char *s, double *vp)
{
        char *end;

        if (!*s || strlen(s) > 64)
                return -EINVAL;
        for (const char *c = s; *c; c++)
                if (!strchr("0123456789+-.eE", *c))
                        return -EINVAL;
        errno = 0;
        double v = strtod(s, &end);
        if (*end || errno || !isfinite(v))
                return -EINVAL;
        *vp = v;
        return 0;
}

static int digits(const char **s, int n, int *vp)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (**s < '0' || **s > '9')
                        return -EINVAL;
                v = v * 10 + (**s - '0');
                (*s)++;
        }
        *vp = v;
        return 0;
}

/* -?[0-9]+(\.[0-9]+)? */
static bool is_epoch(const char *s)
{
        size_t n;

        if (*s == '-')
                s++;
        n = strspn(s, "0123456789");
        if (n == 0)
                return false;
        s += n;
        if (*s == '.') {
                s++;
                n = strspn(s, "0123456789");
                if (n == 0)
                        return false;
                s += n;
        }
        return *s == '\0';
}

/*
 * parse_date() - the W3C profiles of ISO 8601 (https://www.w3.org/TR/NOTE-datetime,
 * which IAM:reference_policies_elements_condition_operators names): "2024",
 * "2024-01", "2024-01-31", "2024-01-31T12:00Z", "2024-01-31T12:00:00Z",
 * "2024-01-31T12:00:00.5+02:00" (no zone means UTC; a year or month alone
 * means its first instant), or seconds since the epoch ("1700000000",
 * fractions allowed), to milliseconds. Four digits alone are a year, never
 * epoch seconds.
 */
int parse_date(const char *s, int64_t *msp)
{
        int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0;
        const char *p = s;

        if (!*s || strlen(s) > 64)
                return -EINVAL;
        if (is_epoch(s) && !(strlen(s) == 4 && strspn(s, "0123456789") == 4)) {
                double v;
                if (parse_number(s, &v) < 0 || fabs(v) > 1e14)
                        return -EINVAL;
                *msp = (int64_t)llround(v * 1000.0);
                return 0;
        }
        if (digits(&p, 4, &y) < 0)
                return -EINVAL;
        bool has_day = false;
        if (*p == '-') {
                p++;
                if (digits(&p, 2, &mo) < 0)
                        return -EINVAL;
                if (*p == '-') {
                        p++;
                        if (digits(&p, 2, &d) < 0)
                                return -EINVAL;
                        has_day = true;
                }
        }
        if (mo < 1 || mo > 12 || d < 1 || d > 31)
                return -EINVAL;
        int64_t offset_min = 0;
        if (has_day && (*p == 'T' || *p == 't')) {
                p++;
                if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &sec) < 0)
                                return -EINVAL;
                        if (*p == '.') {
                                p++;
                                int n = 0, scale = 100;
                                while (*p >= '0' && *p <= '9') {
                                        if (n++ < 3) {
                                                ms += (*p - '0') * scale;
                                                scale /= 10;
                                        }
                                        p++;
                                }
                                if (n == 0)
                                        return -EINVAL;
                        }
                }
                if (h > 24 || mi > 59 || sec > 60)
                        return -EINVAL;
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1, oh, om;
                        if (digits(&p, 2, &oh) < 0)
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
                                return -EINVAL;
                        offset_min = sign * (oh * 60 + om);
                }
        }
        if (*p)
                return -EINVAL;
        int64_t secs = civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
        *msp = secs * 1000 + ms;
        return 0;
}

int parse_cidr(const char *s, uint8_t *familyp, uint8_t addr[16], uint8_t *prefixp)
{
        char host[64];
        const char *slash = strchr(s, '/');
        size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
        int prefix = -1;

        if (hlen == 0 || hlen >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (slash) {
                const char *p = slash + 1;
                size_t n = strlen(p);
                if (n == 0 || n > 3 || strspn(p, "0123456789") != n)
                        return -EINVAL;
                prefix = atoi(p);
        }
        memset(addr, 0, 16);
        if (inet_pton(AF_INET, host, addr) == 1) {
                if (prefix > 32)
                        return -EINVAL;
                *familyp = 4;
                *prefixp = (uint8_t)(prefix < 0 ? 32 : prefix);
                return 0;
        }
        if (inet_pton(AF_INET6, host, addr) == 1) {
                if (prefix > 128)
                        return -EINVAL;
                *familyp = 6;
                *prefixp = (uint8_t)(prefix < 0 ? 128 : prefix);
                return 0;
        }
        return -EINVAL;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
        unsigned bytes = bits / 8, rest = bits % 8;
        if (memcmp(a, b, bytes) != 0)
                return false;
        if (rest == 0)
                return true;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (a[bytes] & mask) == (b[bytes] & mask);
}

/*
 * BinaryEquals: does base64 @r decode to exactly @bin? Decoded a block of
 * groups at a time, so any length compares, byte for byte, in constant space.
 */
static bool binary_equal(const char *r, const uint8_t *bin, size_t bin_len)
{
        unsigned char chunk[768];
        size_t rlen = strlen(r), off = 0;

        if (rlen % 4 != 0)
                return false;
        for (size_t i = 0; i < rlen; i += 1024) {
                size_t n = rlen - i < 1024 ? rlen - i : 1024, got;
                /* Padding may only end the value: every block but the last is whole groups. */
                if (i + n < rlen && memchr(r + i, '=', n))
                        return false;
                if (sodium_base642bin(chunk, sizeof(chunk), r + i, n, NULL, &got, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0)
                        return false;
                if (got > bin_len - off || memcmp(chunk, bin + off, got) != 0)
                        return false;
                off += got;
        }
        return off == bin_len;
}

/* What folding a byte costs, in Work units (bench-policy's IgnoreCase row). */
#define CASEFOLD_UNITS_PER_BYTE 12

static bool is_ascii(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] >= 0x80)
                        return false;
        return true;
}

/*
 * ...IgnoreCase: equal under Unicode full case folding (libunistring's
 * u8_casecmp(), no normalization), so "ÅSA" equals "åsa" and "Straße" equals
 * "STRASSE". ASCII-only pairs take the short way. A value that is not valid
 * UTF-8 cannot be folded; it then compares ASCII-case-insensitively.
 */
static bool casefold_equal(const char *a, size_t alen, const char *b, size_t blen, Work *w)
{
        int res;

        if (!work_charge(w, (alen + blen) / 2))
                return false;
        if (is_ascii(a, alen) && is_ascii(b, blen))
                return alen == blen && strncasecmp(a, b, alen) == 0;
        /* Folding runs character by character through libunistring, and
         * allocates when a value is long. */
        if (!work_charge(w, CASEFOLD_UNITS_PER_BYTE * (alen + blen)))
                return false;
        if (u8_casecmp((const uint8_t *)a, alen, (const uint8_t *)b, blen, NULL, NULL, &res) == 0)
                return res == 0;
        return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* The policy value as text: compiled, or expanded into buf. NULL: no match. */
static const char *value_text(const Pattern *pat, const PolicyContext *ctx, char *buf, size_t size,
                              size_t *lenp)
{
        if (pat->kind != PAT_VAR) {
                *lenp = pat->len;
                return pat->text;
        }
        if (expand(pat, ctx, buf, size, lenp) != 0)
                return NULL;
        return buf;
}

/* The relations of the Numeric and Date operators, in the order of OP_NUM_* and OP_DATE_*. */
enum { REL_EQ, REL_LT, REL_LE, REL_GT, REL_GE };
_Static_assert(OP_NUM_LT - OP_NUM_EQ == REL_LT && OP_NUM_LE - OP_NUM_EQ == REL_LE &&
                       OP_NUM_GT - OP_NUM_EQ == REL_GT && OP_NUM_GE - OP_NUM_EQ == REL_GE,
               "OP_NUM_* follow the REL_* order");
_Static_assert(OP_DATE_LT - OP_DATE_EQ == REL_LT && OP_DATE_LE - OP_DATE_EQ == REL_LE &&
                       OP_DATE_GT - OP_DATE_EQ == REL_GT && OP_DATE_GE - OP_DATE_EQ == REL_GE,
               "OP_DATE_* follow the REL_* order");

/*
 * holds() - does relation @rel hold between the request's value and the
 * policy's, given @cmp: below, at or above zero as the request's value is
 * less than, equal to or greater than the policy's (numbers are finite, so
 * they always compare).
 */
static bool holds(int rel, int cmp)
{
        switch (rel) {
        case REL_EQ:
                return cmp == 0;
        case REL_LT:
                return cmp < 0;
        case REL_LE:
                return cmp <= 0;
        case REL_GT:
                return cmp > 0;
        default:
                return cmp >= 0;
        }
}

/*
 * ordered_match() - a Numeric or Date operator: the request value @r, read as
 * the operator's type, against the policy's value @v. A value that does not
 * read matches nothing.
 */
static bool ordered_match(uint8_t op, const CondValue *v, const char *r)
{
        bool is_date = op >= OP_DATE_EQ && op <= OP_DATE_GE;
        double num;
        int64_t date;
        int cmp;

        if (is_date) {
                if (parse_date(r, &date) < 0)
                        return false;
                cmp = (date > v->date) - (date < v->date);
        } else {
                if (parse_number(r, &num) < 0)
                        return false;
                cmp = (num > v->num) - (num < v->num);
        }
        return holds(op - (is_date ? OP_DATE_EQ : OP_NUM_EQ), cmp);
}

/*
 * One request value @r (@rlen bytes) against one policy value, the positive
 * form of the operator, charged to @w (see Work): a few units a pair, the
 * bytes compared, and what the wildcard matcher spends.
 */
static bool match_one(const Condition *c, const CondValue *v, const char *r, size_t rlen,
                      const PolicyContext *ctx, Work *w)
{
        char buf[POLICY_EXPAND_MAX];
        const char *t;
        size_t len;

        if (!work_charge(w, 8))
                return false;
        switch (c->op) {
        case OP_STR_EQ:
        case OP_STR_EQ_IC:
        case OP_BOOL:
                t = value_text(&v->pat, ctx, buf, sizeof(buf), &len);
                if (!t || !work_charge(w, v->pat.kind == PAT_VAR ? len : 0))
                        return false;
                if (c->op == OP_STR_EQ)
                        return rlen == len && memcmp(t, r, len) == 0;
                if (c->op == OP_BOOL)
                        return strcasecmp(t, r) == 0;
                return casefold_equal(t, len, r, rlen, w);
        case OP_STR_LIKE:
                /* A wildcard-free value is compiled unescaped ("${*}" became a bare
                 * "*"), so it must be compared, never globbed. */
                if (v->pat.kind == PAT_LITERAL)
                        return rlen == v->pat.len && memcmp(v->pat.text, r, v->pat.len) == 0;
                if (v->pat.kind == PAT_GLOB)
                        return glob_match_info(v->pat.text, v->pat.len, &v->pat.glob, r, rlen, w);
                t = value_text(&v->pat, ctx, buf, sizeof(buf), &len);
                return t && glob_match(t, len, r, rlen, w);
        case OP_NUM_EQ:
        case OP_NUM_LT:
        case OP_NUM_LE:
        case OP_NUM_GT:
        case OP_NUM_GE:
        case OP_DATE_EQ:
        case OP_DATE_LT:
        case OP_DATE_LE:
        case OP_DATE_GT:
        case OP_DATE_GE:
                return work_charge(w, 64) && ordered_match(c->op, v, r);
        case OP_BINARY:
                return work_charge(w, rlen) && binary_equal(r, v->bin, v->bin_len);
        case OP_IP: {
                uint8_t fam, addr[16], prefix;
                if (!work_charge(w, 64) || strchr(r, '/') || parse_cidr(r, &fam, addr, &prefix) < 0)
                        return false;
                return fam == v->family && prefix_equal(addr, v->addr, v->prefix);
        }
        case OP_ARN: {
                ArnSplit rs;
                if (!work_charge(w, rlen / 4))
                        return false;
                arn_split(r, rlen, &rs);
                if (rs.n < ARN_SEGS)
                        return false;
                return pattern_match_arn(&v->pat, ctx, r, rlen, &rs, w);
        }
        default:
                return false;
        }
}

static bool any_match(const Condition *c, const char *r, const PolicyContext *ctx, Work *w)
{
        size_t rlen = strlen(r);

        if (!work_charge(w, rlen / 8))
                return false;
        for (uint32_t i = 0; i < c->n_values && !work_out(w); i++)
                if (match_one(c, &c->values[i], r, rlen, ctx, w))
                        return true;
        return false;
}

/*
 * condition_eval() - one operator and key of a Condition block.
 * IAM:reference_policies_elements_condition_operators,
 * IAM:reference_policies_multi-value-conditions:
 * - missing key: positive operators false, negated operators true,
 *   ...IfExists true, ForAllValues true, ForAnyValue false; a key present
 *   with an empty set of values counts as missing;
 * - Null: true means "absent", false "present";
 * - plain operator: some request value matches some policy value
 *   (negated: no pair matches);
 * - ForAnyValue: some request value passes; ForAllValues: every one does,
 *   where a request value passes a negated operator if it matches no
 *   policy value.
 */
bool condition_eval(const Condition *c, const PolicyContext *ctx, Work *w)
{
        const CtxEntry *e = ctx ? context_find(ctx, c->key) : NULL;
        bool is_present = e && e->n_values > 0;

        if (c->op == OP_NULL) {
                for (uint32_t i = 0; i < c->n_values; i++)
                        if (c->values[i].flag == !is_present)
                                return true;
                return false;
        }
        if (!is_present) {
                if (c->if_exists || c->set == SET_ALL)
                        return true;
                if (c->set == SET_ANY)
                        return false;
                return c->is_negated;
        }
        /* Past the work limit the answer is never used (policy_evaluate() refuses): stop. */
        switch (c->set) {
        case SET_ALL:
                for (size_t i = 0; i < e->n_values && !work_out(w); i++)
                        if (any_match(c, e->values[i], ctx, w) == c->is_negated)
                                return false;
                return true;
        case SET_ANY:
                for (size_t i = 0; i < e->n_values && !work_out(w); i++)
                        if (any_match(c, e->values[i], ctx, w) != c->is_negated)
                                return true;
                return false;
        default:
                for (size_t i = 0; i < e->n_values && !work_out(w); i++)
                        if (any_match(c, e->values[i], ctx, w))
                                return !c->is_negated;
                return c->is_negated;
        }
}
