/* SPDX-License-Identifier: MIT */
/*
 * match.c - wildcard and ARN matching, and policy-variable expansion. Patterns
 * arrive compiled (glob syntax with `\` escapes, pre-split ARNs); this file
 * only compares, it never allocates: expansion uses a bounded stack buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

#define NPOS SIZE_MAX

/*
 * Length of the character starting at s[i]: a complete UTF-8 sequence (a lead
 * byte followed by exactly the continuation bytes it announces), or else one
 * byte. Walking forward or backward (char_start()) splits any byte string the
 * same way, so `?` means the same thing from either end.
 */
static size_t utf8_len(const char *s, size_t i, size_t slen)
{
        unsigned char c = (unsigned char)s[i];
        size_t n = c >= 0xf8 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

        if (n > slen - i)
                return 1;
        for (size_t k = 1; k < n; k++)
                if (((unsigned char)s[i + k] & 0xc0) != 0x80)
                        return 1;
        return n;
}

/* Start of the character that ends at s[e] (exclusive), not before @lo; NPOS if e == lo. */
static size_t char_start(const char *s, size_t e, size_t lo)
{
        if (e <= lo)
                return NPOS;
        for (size_t n = 2; n <= 4 && e >= lo + n; n++) {
                unsigned char c = (unsigned char)s[e - n];
                if ((c & 0xc0) == 0x80)
                        continue;
                if (utf8_len(s, e - n, e) == n)
                        return e - n;
                break;
        }
        return e - 1;
}

/*
 * A segment is the text between two unescaped `*`: literal bytes (`\x` is a
 * literal x; a lone `\` at the very end is a literal backslash) and `?`.
 * next_token() reads one forward; it returns the byte, or -1 for `?`.
 */
static int next_token(const char *p, size_t len, size_t *i)
{
        char c = p[(*i)++];
        if (c == '?')
                return -1;
        if (c == '\\' && *i < len)
                return (unsigned char)p[(*i)++];
        return (unsigned char)c;
}

/* The token that ends at p[*k] (exclusive), read backward. */
static int prev_token(const char *p, size_t *k)
{
        size_t j = *k - 1, bs = 0;

        /* p[j] is escaped when an odd run of backslashes precedes it: escapes pair up
         * from the left, and every run starts after a character that is not one. */
        while (bs < j && p[j - 1 - bs] == '\\')
                bs++;
        if (bs % 2 == 1) {
                *k = j - 1;
                return (unsigned char)p[j];
        }
        *k = j;
        return p[j] == '?' ? -1 : (unsigned char)p[j];
}

/* Match segment p[0, plen) at s[i]; the end of the match, or NPOS. */
static size_t match_at(const char *p, size_t plen, const char *s, size_t slen, size_t i)
{
        for (size_t k = 0; k < plen;) {
                int t = next_token(p, plen, &k);
                if (i >= slen)
                        return NPOS;
                if (t < 0)
                        i += utf8_len(s, i, slen);
                else if ((unsigned char)s[i] == t)
                        i++;
                else
                        return NPOS;
        }
        return i;
}

/* Match segment p[0, plen) so that it ends exactly at s[slen], starting at or after @lo. */
static size_t match_end(const char *p, size_t plen, const char *s, size_t slen, size_t lo)
{
        size_t e = slen;

        for (size_t k = plen; k > 0;) {
                int t = prev_token(p, &k);
                if (t < 0) {
                        e = char_start(s, e, lo);
                        if (e == NPOS)
                                return NPOS;
                } else {
                        if (e <= lo || (unsigned char)s[e - 1] != t)
                                return NPOS;
                        e--;
                }
        }
        return e;
}

/* The character at s[i] (utf8_len() bytes) as a number: its code point, or 0x110000 + a stray byte. */
static uint32_t char_at(const char *s, size_t i, size_t n, size_t *lenp)
{
        static const unsigned char lead_bits[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
        size_t k = utf8_len(s, i, n);
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;

        *lenp = k;
        if (k == 1)
                return c < 0x80 ? c : 0x110000u + c;
        cp = c & lead_bits[k];
        for (size_t j = 1; j < k; j++)
                cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3f);
        return cp;
}

#define SHIFT_AND_CHARS POLICY_VALUE_MAX
#define SHIFT_AND_WORDS (SHIFT_AND_CHARS / 64)

typedef struct CharMask {
        uint32_t cp;
        uint64_t *mask;
} CharMask;

static int cmp_charmask(const void *a, const void *b)
{
        uint32_t x = ((const CharMask *)a)->cp, y = ((const CharMask *)b)->cp;
        return (x > y) - (x < y);
}

/*
 * The leftmost match of a segment with `?` in s[from, limit), Shift-And over
 * characters: bit j of the state is set when the first j + 1 tokens match the
 * characters just read, so each subject character costs one pass over
 * ceil(segment characters / 64) words, whatever the pattern. The first
 * match to end is also the leftmost to start (every match spans the same
 * number of characters). Return: its end, NPOS for none, or -ENOMEM-ish
 * SIZE_MAX - 1 when the masks cannot be allocated (the caller searches
 * another way).
 */
#define SHIFT_AND_NOMEM (SIZE_MAX - 1)
static size_t shift_and(const char *p, size_t plen, const char *s, size_t from, size_t limit)
{
        unsigned char bytes[SHIFT_AND_CHARS];
        bool is_q[SHIFT_AND_CHARS];
        uint32_t tok[SHIFT_AND_CHARS];
        CharMask ents_stack[64];
        uint64_t words_stack[512], state[SHIFT_AND_WORDS], q[SHIFT_AND_WORDS];
        size_t nb = 0, n_tok = 0, n_ents = 0, k;

        /* Tokens: the segment unescaped, then literal bytes grouped into characters. */
        for (size_t i = 0; i < plen;) {
                int t = next_token(p, plen, &i);
                if (nb == SHIFT_AND_CHARS)
                        return SHIFT_AND_NOMEM; /* longer than any subject the engine takes */
                is_q[nb] = t < 0;
                bytes[nb++] = t < 0 ? 0 : (unsigned char)t;
        }
        for (size_t i = 0; i < nb; i += k) {
                if (is_q[i]) {
                        tok[n_tok++] = UINT32_MAX;
                        k = 1;
                        continue;
                }
                size_t run = i;
                while (run < nb && !is_q[run])
                        run++;
                tok[n_tok++] = char_at((const char *)bytes, i, run, &k);
        }
        size_t words = (n_tok + 63) / 64, n_lit = 0;
        for (size_t j = 0; j < n_tok; j++)
                n_lit += tok[j] != UINT32_MAX;
        /* One mask per distinct literal character: the literal tokens sorted by
         * character (each one's position rides in the mask pointer's place),
         * then one mask per run of equal characters. */
        CharMask *ents = n_lit <= sizeof(ents_stack) / sizeof(ents_stack[0]) ? ents_stack : malloc(n_lit * sizeof(*ents));
        if (!ents)
                return SHIFT_AND_NOMEM;
        memset(q, 0, words * sizeof(*q));
        for (size_t j = 0; j < n_tok; j++) {
                if (tok[j] == UINT32_MAX)
                        q[j / 64] |= 1ull << (j % 64);
                else
                        ents[n_ents++] = (CharMask){.cp = tok[j], .mask = (uint64_t *)(uintptr_t)j};
        }
        qsort(ents, n_ents, sizeof(*ents), cmp_charmask);
        size_t n_uniq = 0;
        for (size_t e = 0; e < n_ents; e++)
                n_uniq += e == 0 || ents[e].cp != ents[e - 1].cp;
        uint64_t *pool = n_uniq * words <= sizeof(words_stack) / sizeof(words_stack[0])
                                 ? words_stack
                                 : malloc(n_uniq * words * sizeof(*pool));
        if (!pool) {
                if (ents != ents_stack)
                        free(ents);
                return SHIFT_AND_NOMEM;
        }
        n_uniq = 0;
        for (size_t e = 0; e < n_ents; e++) {
                size_t j = (size_t)(uintptr_t)ents[e].mask;
                if (n_uniq == 0 || ents[n_uniq - 1].cp != ents[e].cp) {
                        uint64_t *m = pool + n_uniq * words;
                        memcpy(m, q, words * sizeof(*m));
                        ents[n_uniq++] = (CharMask){.cp = ents[e].cp, .mask = m};
                }
                ents[n_uniq - 1].mask[j / 64] |= 1ull << (j % 64);
        }
        n_ents = n_uniq;
        /* ASCII characters find their mask in a table, others by binary search. */
        const uint64_t *ascii[128];
        for (size_t c = 0; c < 128; c++)
                ascii[c] = q;
        for (size_t e = 0; e < n_ents && ents[e].cp < 128; e++)
                ascii[ents[e].cp] = ents[e].mask;

        size_t end = NPOS;
        uint64_t last = 1ull << ((n_tok - 1) % 64);
        memset(state, 0, words * sizeof(*state));
        for (size_t i = from; i < limit; i += k) {
                const uint64_t *m;
                if ((unsigned char)s[i] < 0x80) {
                        k = 1;
                        m = ascii[(unsigned char)s[i]];
                } else {
                        CharMask key = {.cp = char_at(s, i, limit, &k)};
                        const CharMask *e = bsearch(&key, ents, n_ents, sizeof(*ents), cmp_charmask);
                        m = e ? e->mask : q;
                }
                if (words == 1) {
                        state[0] = ((state[0] << 1) | 1) & m[0];
                        if (state[0] & last) {
                                end = i + k;
                                break;
                        }
                        continue;
                }
                uint64_t carry = 1;
                for (size_t w = 0; w < words; w++) {
                        uint64_t next = (state[w] << 1) | carry;
                        carry = state[w] >> 63;
                        state[w] = next & m[w];
                }
                if (state[words - 1] & last) {
                        end = i + k;
                        break;
                }
        }
        if (ents != ents_stack)
                free(ents);
        if (pool != words_stack)
                free(pool);
        return end;
}

/*
 * The leftmost match of segment p[0, plen) in s[from, limit): its end, or NPOS.
 * A segment of plain bytes (the common case, escapes resolved) is found with
 * memmem(), linear in both lengths; one with `?` by shift_and(), which costs
 * ceil(characters / 64) word operations per subject character.
 */
static size_t find_segment(const char *p, size_t plen, const char *s, size_t from, size_t limit)
{
        char lit[POLICY_VALUE_MAX];
        size_t n = 0;
        bool has_q = false;

        for (size_t k = 0; k < plen && !has_q;) {
                int t = next_token(p, plen, &k);
                if (t < 0)
                        has_q = true;
                else if (n < sizeof(lit))
                        lit[n++] = (char)t;
                else
                        has_q = true; /* too long to copy: take the general path */
        }
        if (!has_q) {
                const char *m = memmem(s + from, limit - from, lit, n);
                return m ? (size_t)(m - s) + n : NPOS;
        }
        size_t end = shift_and(p, plen, s, from, limit);
        if (end != SHIFT_AND_NOMEM)
                return end;
        /* Out of memory for the masks: try each start, at most the segment's length each. */
        int first = -1;
        size_t k0 = 0;
        if (plen > 0)
                first = next_token(p, plen, &k0);
        /* Candidates start where a character does: at the next occurrence of a
         * leading literal byte, or one character further for a leading `?`. */
        for (size_t i = from; i < limit; i += first >= 0 ? 1 : utf8_len(s, i, limit)) {
                if (first >= 0) {
                        const char *c = memchr(s + i, first, limit - i);
                        if (!c)
                                return NPOS;
                        i = (size_t)(c - s);
                }
                size_t e = match_at(p, plen, s, limit, i);
                if (e != NPOS)
                        return e;
        }
        return NPOS;
}

/* Index of the next unescaped `*` in p[i, plen), or plen. */
static size_t next_star(const char *p, size_t plen, size_t i)
{
        for (; i < plen; i++) {
                if (p[i] == '*')
                        return i;
                if (p[i] == '\\')
                        i++;
        }
        return plen;
}

/*
 * glob_match() - `*` matches any run of characters (also empty), `?` one
 * character (utf8_len()), `\x` a literal x. No backtracking: the text before
 * the first `*` must match at the start, the text after the last one at the
 * end, and each segment between them is matched at its leftmost place after
 * the previous one, which is enough because a `*` follows it. The cost is
 * linear in the pattern plus, per segment, linear in the subject (segments
 * with `?`: at most the segment's length per subject byte); nothing is
 * allocated.
 */
void glob_info(const char *p, size_t plen, GlobInfo *gi)
{
        *gi = (GlobInfo){.first = NPOS};
        for (size_t i = 0; i < plen; i++) {
                if (p[i] == '*') {
                        if (gi->first == NPOS)
                                gi->first = i;
                        gi->last = i;
                        continue;
                }
                if (p[i] == '\\' && i + 1 < plen)
                        i++;
                gi->min++;
        }
}

bool glob_match(const char *p, size_t plen, const char *s, size_t slen)
{
        GlobInfo gi;

        glob_info(p, plen, &gi);
        return glob_match_info(p, plen, &gi, s, slen);
}

bool glob_match_info(const char *p, size_t plen, const GlobInfo *gi, const char *s, size_t slen)
{
        size_t first = gi->first, last = gi->last;

        /* A pattern needs at least one byte per literal or `?`: a pattern longer
         * than the subject is refused before any search. */
        if (gi->min > slen)
                return false;
        if (first == NPOS)
                return match_at(p, plen, s, slen, 0) == slen;
        size_t pos = match_at(p, first, s, slen, 0);
        if (pos == NPOS)
                return false;
        size_t tail = match_end(p + last + 1, plen - last - 1, s, slen, pos);
        if (tail == NPOS)
                return false;
        for (size_t i = first + 1; i < last;) {
                size_t j = next_star(p, last, i);
                if (j > i) {
                        pos = find_segment(p + i, j - i, s, pos, tail);
                        if (pos == NPOS)
                                return false;
                }
                i = j + 1;
        }
        return true;
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
 * a missing key takes the default if there is one, else the whole value
 * cannot match. Only single-valued keys are variables: a multivalued key
 * (context_is_multivalued()) counts as missing, whatever number of values it
 * holds in this request. Substituted text is literal, never a wildcard.
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
                if (e && e->n_values == 1 && !context_is_multivalued(e))
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
