/* SPDX-License-Identifier: MIT */
/*
 * match.c - wildcard and ARN matching, and policy-variable expansion. Patterns
 * arrive compiled (glob syntax with `\` escapes, pre-split ARNs); this file
 * only compares, it never allocates: expansion uses a bounded stack buffer.
 */
#include <errno.h>
#include <string.h>

#include "policy-internal.h"

/* Length of the UTF-8 sequence starting at s[i] (1 for anything odd). */
static size_t utf8_len(const char *s, size_t i, size_t slen)
{
        unsigned char c = (unsigned char)s[i];
        size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        size_t k = 1;
        while (k < n && i + k < slen && ((unsigned char)s[i + k] & 0xc0) == 0x80)
                k++;
        return k;
}

/*
 * glob_match() - `*` matches any run (also empty), `?` one character, `\x` a
 * literal x. Iterative with one backtrack point, so linear-ish and no
 * recursion whatever the input.
 */
bool glob_match(const char *p, size_t plen, const char *s, size_t slen)
{
        size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

        while (si < slen) {
                if (pi < plen) {
                        char c = p[pi];
                        if (c == '*') {
                                star_p = ++pi;
                                star_s = si;
                                continue;
                        }
                        if (c == '?') {
                                pi++;
                                si += utf8_len(s, si, slen);
                                continue;
                        }
                        if (c == '\\' && pi + 1 < plen) {
                                if (p[pi + 1] == s[si]) {
                                        pi += 2;
                                        si++;
                                        continue;
                                }
                        } else if (c == s[si]) {
                                pi++;
                                si++;
                                continue;
                        }
                }
                if (star_p == SIZE_MAX)
                        return false;
                pi = star_p;
                si = ++star_s;
        }
        while (pi < plen && p[pi] == '*')
                pi++;
        return pi == plen;
}

void arn_split(const char *s, size_t len, ArnSplit *out)
{
        out->n = 0;
        if (len < 4 || memcmp(s, "arn:", 4) != 0)
                return;
        size_t start = 0;
        for (size_t i = 0; i < len && out->n < ARN_SEGS - 1; i++) {
                if (s[i] == ':') {
                        out->off[out->n] = (uint32_t)start;
                        out->len[out->n] = (uint32_t)(i - start);
                        out->n++;
                        start = i + 1;
                }
        }
        out->off[out->n] = (uint32_t)start;
        out->len[out->n] = (uint32_t)(len - start);
        out->n++;
}

/* Does the segment end in an unescaped `*`? */
static bool ends_in_star(const char *p, size_t len)
{
        if (len == 0 || p[len - 1] != '*')
                return false;
        size_t bs = 0;
        while (bs + 1 < len && p[len - 2 - bs] == '\\')
                bs++;
        return bs % 2 == 0;
}

/*
 * arn_match() - IAM:reference_policies_elements_resource: component by
 * component; `*` does not cross `:` in the first five components; the
 * resource part (sixth) is matched as a whole, so `*` crosses `/` and `:`
 * there; a pattern with fewer components whose last one ends in `*` covers
 * the rest ("arn:aws:ec2:*"). Non-ARN patterns or subjects: one glob.
 */
bool arn_match(const char *p, size_t plen, const ArnSplit *ps, const char *s, const ArnSplit *ss)
{
        size_t slen = ss->n ? ss->off[ss->n - 1] + ss->len[ss->n - 1] : strlen(s);

        if (ps->n == 0 || ss->n < ARN_SEGS)
                return glob_match(p, plen, s, slen);
        for (unsigned k = 0; k < ps->n; k++) {
                const char *pk = p + ps->off[k];
                size_t pl = ps->len[k];
                if (k + 1 == ps->n && ps->n < ARN_SEGS) {
                        if (!ends_in_star(pk, pl))
                                return false;
                        return glob_match(pk, pl, s + ss->off[k], slen - ss->off[k]);
                }
                if (!glob_match(pk, pl, s + ss->off[k], ss->len[k]))
                        return false;
        }
        return true;
}

uint32_t svc_hash(const char *s, size_t len)
{
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c + 32);
                h = (h ^ c) * 16777619u;
        }
        return h;
}

static int put(char *buf, size_t size, size_t *pos, const char *src, size_t len, bool is_glob)
{
        for (size_t i = 0; i < len; i++) {
                char c = src[i];
                if (is_glob && (c == '*' || c == '?' || c == '\\')) {
                        if (*pos + 1 >= size)
                                return -E2BIG;
                        buf[(*pos)++] = '\\';
                }
                if (*pos + 1 >= size)
                        return -E2BIG;
                buf[(*pos)++] = c;
        }
        return 0;
}

/*
 * IAM:reference_policies_variables: a variable takes the key's single value;
 * a missing (or multi-valued) key takes the default if there is one, else the
 * whole value cannot match. Substituted text is literal, never a wildcard.
 */
int expand(const Pattern *pat, const PolicyContext *ctx, char *buf, size_t size, size_t *lenp)
{
        size_t pos = 0;
        int r;

        for (uint32_t i = 0; i < pat->n_parts; i++) {
                const TplPart *part = &pat->parts[i];
                if (part->lit) {
                        if (pos + part->lit_len + 1 > size)
                                return -E2BIG;
                        memcpy(buf + pos, part->lit, part->lit_len);
                        pos += part->lit_len;
                        continue;
                }
                const CtxEntry *e = ctx ? context_find(ctx, part->key) : NULL;
                const char *v;
                if (e && e->n_values == 1)
                        v = e->values[0];
                else if (part->def)
                        v = part->def;
                else
                        return 1;
                r = put(buf, size, &pos, v, strlen(v), pat->is_glob);
                if (r < 0)
                        return r;
        }
        buf[pos] = '\0';
        *lenp = pos;
        return 0;
}

bool pattern_match_arn(const Pattern *pat, const PolicyContext *ctx, const char *s, size_t slen,
                       const ArnSplit *ss)
{
        char buf[POLICY_EXPAND_MAX];
        ArnSplit ps;
        size_t len;

        switch (pat->kind) {
        case PAT_ANY:
                return true;
        case PAT_LITERAL:
                return slen == pat->len && memcmp(s, pat->text, slen) == 0;
        case PAT_GLOB:
                return arn_match(pat->text, pat->len, &pat->arn, s, ss);
        default:
                if (expand(pat, ctx, buf, sizeof(buf), &len) != 0)
                        return false;
                arn_split(buf, len, &ps);
                return arn_match(buf, len, &ps, s, ss);
        }
}
