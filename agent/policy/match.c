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

/* The character at s[i] (utf8_len() bytes) as a number: its code point, or 0x110000 + a stray byte.
 */
static uint32_t char_at(const char *s, size_t i, size_t n, size_t *lenp)
{
        static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
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

#define SEG_TOKENS_MAX POLICY_VALUE_MAX /* longer than any subject the engine takes */
#define SEG_STACK_WORDS 4096            /* bitsets that fit on the stack (32 KiB) */
#define TOK_ANY UINT32_MAX              /* the token of a `?` */

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return (x > y) - (x < y);
}

/*
 * Split segment p[0, plen) into tokens: TOK_ANY for `?`, else the literal
 * character (char_at() of the unescaped bytes, so a multi-byte character is
 * one token, as in the subject). Return: the number of tokens, or SIZE_MAX
 * when there are more than SEG_TOKENS_MAX.
 */
static size_t tokenize(const char *p, size_t plen, uint32_t *tok)
{
        unsigned char bytes[SEG_TOKENS_MAX];
        bool is_q[SEG_TOKENS_MAX];
        size_t nb = 0, n_tok = 0, k;

        for (size_t i = 0; i < plen;) {
                int t = next_token(p, plen, &i);
                if (nb == SEG_TOKENS_MAX)
                        return SIZE_MAX;
                is_q[nb] = t < 0;
                bytes[nb++] = t < 0 ? 0 : (unsigned char)t;
        }
        /* A literal character never spans a `?`: decode within the run of literal bytes. */
        for (size_t i = 0, run = 0; i < nb; i += k) {
                if (is_q[i]) {
                        tok[n_tok++] = TOK_ANY;
                        k = 1;
                        continue;
                }
                if (bytes[i] < 0x80) {
                        tok[n_tok++] = bytes[i];
                        k = 1;
                        continue;
                }
                if (run <= i)
                        for (run = i; run < nb && !is_q[run];)
                                run++;
                tok[n_tok++] = char_at((const char *)bytes, i, run, &k);
        }
        return n_tok;
}

/*
 * The subject as bitsets, one per distinct literal character of a segment
 * (bit k of a set: the subject's character k is that character), filled
 * lazily: a search only reads as far as it has to.
 */
typedef struct Sets {
        const char *s;
        size_t i, limit;        /* next byte to read, end of the subject */
        size_t nc;              /* characters read */
        size_t words, n_zeroed; /* words per set; words cleared so far in each */
        size_t n_ids, n_ascii;
        const int16_t *ascii_id;
        const uint32_t *others; /* the non-ASCII characters, sorted: ids n_ascii... */
        size_t n_others;
        uint64_t *bits;
} Sets;

/*
 * Read the subject until @want characters are in the sets (or it ends),
 * charging @w: two units a byte, sixteen more a non-ASCII character (a
 * binary search), one a cleared word. The word being filled stays in a
 * register while the character repeats. Words are cleared one ahead of the
 * characters read, and all of them once the subject ends, so bits_at()
 * never reads one that was not.
 */
static bool sets_read(Sets *st, size_t want, Work *w)
{
        size_t i0 = st->i, n_wide = 0, k, acc_at = SIZE_MAX;
        uint64_t acc = 0;

        for (; st->nc < want && st->i < st->limit; st->i += k, st->nc++) {
                size_t nc = st->nc;
                long id;
                if (nc / 64 + 2 > st->n_zeroed) {
                        for (size_t x = 0; x < st->n_ids; x++)
                                st->bits[x * st->words + st->n_zeroed] = 0;
                        st->n_zeroed++;
                }
                if ((unsigned char)st->s[st->i] < 0x80) {
                        k = 1;
                        id = st->ascii_id[(unsigned char)st->s[st->i]];
                } else {
                        uint32_t cp = char_at(st->s, st->i, st->limit, &k);
                        const uint32_t *e = st->n_others ? bsearch(&cp, st->others, st->n_others,
                                                                   sizeof(*st->others), cmp_u32)
                                                         : NULL;
                        id = e ? (long)(st->n_ascii + (size_t)(e - st->others)) : -1;
                        n_wide++;
                }
                if (id >= 0) {
                        size_t at = (size_t)id * st->words + nc / 64;
                        if (at != acc_at) {
                                if (acc_at != SIZE_MAX)
                                        st->bits[acc_at] |= acc;
                                acc_at = at;
                                acc = 0;
                        }
                        acc |= 1ull << (nc % 64);
                }
        }
        if (acc_at != SIZE_MAX)
                st->bits[acc_at] |= acc;
        size_t n_clear = 0;
        if (st->i >= st->limit) {
                n_clear = (st->words - st->n_zeroed) * st->n_ids;
                for (size_t x = 0; x < st->n_ids; x++)
                        memset(st->bits + x * st->words + st->n_zeroed, 0,
                               (st->words - st->n_zeroed) * sizeof(*st->bits));
                st->n_zeroed = st->words;
        }
        return work_charge(w, 2 * (st->i - i0) + 16 * n_wide + n_clear +
                                      st->n_ids * (st->i - i0) / 64);
}

/* The 64 bits of bitset @t that start at bit @b. */
static inline uint64_t bits_at(const uint64_t *t, size_t b)
{
        size_t x = b / 64, r = b % 64;
        return r ? (t[x] >> r) | (t[x + 1] << (64 - r)) : t[x];
}

/* dst[x] &= the 64 bits of @src from bit 64x + @d, for words [0, @n): in place when dst == src
 * (reads run ahead). */
static void and_shifted(uint64_t *dst, const uint64_t *src, size_t d, size_t n)
{
        for (size_t x = 0; x < n; x++)
                dst[x] &= bits_at(src, 64 * x + d);
}

/* OR the 64 bits @v into @t at bit @b. */
static inline void or_at(uint64_t *t, size_t b, uint64_t v)
{
        size_t x = b / 64, r = b % 64;
        t[x] |= v << r;
        if (r)
                t[x + 1] |= v >> (64 - r);
}

#define LEVELS_MAX 13 /* doubling levels: runs of up to 2^13 - 1 > SEG_TOKENS_MAX tokens */

static inline bool has_bit(const uint64_t *t, size_t b)
{
        return (t[b / 64] >> (b % 64)) & 1;
}

/*
 * run_length() - how many offsets of the set @mem (bits, all under @n_tok)
 * the run of step @d starting at @j holds: j, j + d, ... while they are in
 * the set; 0 when @j does not start a run (j - d is in the set).
 */
static inline size_t run_length(const uint64_t *mem, size_t n_tok, size_t j, size_t d)
{
        size_t n = 0;

        if (j >= d && has_bit(mem, j - d))
                return 0;
        for (size_t k = j; k < n_tok && has_bit(mem, k); k += d)
                n++;
        return n;
}

/*
 * Offsets J (ascending, all under @n_tok, in @mem as bits) split into runs of step @d: a run
 * starts at each j with j - d not in J and goes on while j + d is. The cost
 * of taking them with doubling tables (see columns()), in word operations;
 * *levelsp: the tables needed.
 */
static size_t runs_cost(const uint32_t *off, size_t n_j, const uint64_t *mem, size_t n_tok,
                        size_t d, size_t words, size_t n_sw, size_t *levelsp)
{
        size_t cost = 0, levels = 0;

        for (size_t a = 0; a < n_j; a++) {
                size_t n = run_length(mem, n_tok, off[a], d);
                if (n == 0)
                        continue;
                cost += ((size_t)__builtin_popcountll(n)) * n_sw;
                while (levels < LEVELS_MAX && (1ull << levels) <= n)
                        levels++;
        }
        *levelsp = levels;
        return cost + levels * words;
}

/*
 * Whole-subject passes for the characters where they are cheaper than the
 * block by block search's worst case (one word per token per 64 starts), so
 * that a segment built to make every start fail late, on one token, is still
 * decided in a few passes. For character c at offsets J and its set T:
 * - runs: J as runs o, o + d, ..., o + (n-1)d of one step d (the first gap
 *   between offsets, or the period of the gaps, whichever splits J into
 *   fewer): start i survives a run when T holds i + o + kd for every k.
 *   Tables X_k (X_0 = T, X_k+1 = X_k AND X_k shifted by 2^k d: 2^k terms
 *   each) are built once, and a run of n takes one pass per bit of n;
 * - kills: every position k where the subject is not c kills the starts
 *   k - j, j in J: J reversed, ORed into a dead set once per such k.
 * The chosen characters' tokens leave lit_bit[] (the rest stay for the
 * blocks); *alive holds the starts they leave, @n_starts of them. Return:
 * the number of literal tokens left; SIZE_MAX when @w ran out.
 */
static size_t columns(const Sets *st, uint32_t *lit_bit, size_t n_lit, size_t n_tok,
                      size_t n_starts, uint64_t *alive, uint64_t *scratch, Work *w)
{
        size_t words = st->words, bits_per_set = words * 64, n_sw = (n_starts + 63) / 64;
        size_t rev_words = (n_tok + 63) / 64, dead_off = rev_words * 64, kept = 0;
        uint64_t *rev = scratch, *dead = rev + rev_words + 1, *x = dead + 2 * rev_words + words + 2;
        uint32_t off[SEG_TOKENS_MAX];
        uint16_t fail[SEG_TOKENS_MAX];

        for (size_t s = 0; s < n_sw; s++)
                alive[s] = ~0ull;
        if (n_starts % 64)
                alive[n_sw - 1] = (1ull << (n_starts % 64)) - 1;
        for (size_t g = 0, e; g < n_lit; g = e) {
                size_t id = lit_bit[g] / bits_per_set, lo = id * bits_per_set, n_j;
                const uint64_t *t = st->bits + id * words;
                for (e = g; e < n_lit && lit_bit[e] >= lo && lit_bit[e] < lo + bits_per_set; e++)
                        off[e - g] = lit_bit[e] - (uint32_t)lo;
                n_j = e - g;
                if (!work_charge(w, 4 * n_j + words))
                        return SIZE_MAX;
                /* J as bits (here, reversed: bit n_tok - 1 - j), for the runs and the kills. */
                memset(rev, 0, (rev_words + 1) * sizeof(*rev));
                for (size_t a = 0; a < n_j; a++)
                        rev[off[a] / 64] |= 1ull << (off[a] % 64);
                /* Steps: the first gap, and the period of the gaps (KMP's failure function). */
                size_t steps[2] = { n_j > 1 ? off[1] - off[0] : 1, 0 };
                if (n_j > 2) {
                        size_t n_gaps = n_j - 1;
                        fail[0] = 0;
                        for (size_t i = 1, k = 0; i < n_gaps; i++) {
                                while (k > 0 && off[i + 1] - off[i] != off[k + 1] - off[k])
                                        k = fail[k - 1];
                                if (off[i + 1] - off[i] == off[k + 1] - off[k])
                                        k++;
                                fail[i] = (uint16_t)k;
                        }
                        size_t period = n_gaps - fail[n_gaps - 1];
                        steps[1] = off[period] - off[0];
                }
                size_t cost_blocks = n_j * n_sw, n_other = 0, best_step = 0, cost_runs = SIZE_MAX,
                       levels = 0;
                for (size_t c = 0; c < 2; c++) {
                        size_t lv, cost;
                        if (steps[c] == 0 || (c == 1 && steps[1] == steps[0]))
                                continue;
                        cost = runs_cost(off, n_j, rev, n_tok, steps[c], words, n_sw, &lv);
                        if (cost < cost_runs) {
                                cost_runs = cost;
                                best_step = steps[c];
                                levels = lv;
                        }
                }
                for (size_t y = 0; y * 64 < st->nc; y++) {
                        uint64_t m = y * 64 + 64 <= st->nc ? ~0ull : (1ull << (st->nc % 64)) - 1;
                        n_other += (size_t)__builtin_popcountll(~t[y] & m);
                }
                size_t cost_kills = n_other * (rev_words + 1) + words;
                if (cost_blocks <= cost_runs && cost_blocks <= cost_kills) {
                        memmove(lit_bit + kept, lit_bit + g, n_j * sizeof(*lit_bit));
                        kept += n_j;
                        continue;
                }
                if (!work_charge(w, 2 * (cost_runs < cost_kills ? cost_runs : cost_kills)))
                        return SIZE_MAX;
                if (cost_runs < cost_kills) {
                        /* x + k * words: X_k for k >= 1 (X_0 is T). */
                        size_t d = best_step;
                        for (size_t k = 1; k < levels; k++) {
                                const uint64_t *prev = k == 1 ? t : x + (k - 2) * words;
                                uint64_t *cur = x + (k - 1) * words;
                                size_t dk = d << (k - 1),
                                       n = dk / 64 + 2 < words ? words - 2 - dk / 64 : 0;
                                /* Only words whose reads stay inside the table: the rest lie past
                                 * every start plus its run, never read. */
                                memcpy(cur, prev, words * sizeof(*cur));
                                and_shifted(cur, prev, dk, n);
                        }
                        for (size_t a = 0; a < n_j; a++) {
                                size_t n = run_length(rev, n_tok, off[a], d);
                                for (size_t k = 0, shift = off[a]; n; k++, n >>= 1) {
                                        if (!(n & 1))
                                                continue;
                                        and_shifted(alive, k == 0 ? t : x + (k - 1) * words, shift,
                                                    n_sw);
                                        shift += d << k;
                                }
                        }
                        continue;
                }
                /* Reversed offsets: bit n_tok - 1 - j for each j in J. */
                memset(rev, 0, (rev_words + 1) * sizeof(*rev));
                for (size_t a = 0; a < n_j; a++) {
                        size_t j = n_tok - 1 - off[a];
                        rev[j / 64] |= 1ull << (j % 64);
                }
                /* dead bit dead_off + i: start i meets a position that is not c. */
                memset(dead, 0, (2 * rev_words + words + 2) * sizeof(*dead));
                for (size_t y = 0; y * 64 < st->nc; y++) {
                        uint64_t m = y * 64 + 64 <= st->nc ? ~0ull : (1ull << (st->nc % 64)) - 1;
                        for (uint64_t z = ~t[y] & m; z; z &= z - 1) {
                                size_t k = y * 64 + (size_t)__builtin_ctzll(z);
                                /* Start k - j is bit dead_off + k - (n_tok - 1) + (n_tok - 1 - j).
                                 */
                                for (size_t v = 0; v < rev_words; v++)
                                        or_at(dead, dead_off + k + 1 - n_tok + 64 * v, rev[v]);
                        }
                }
                for (size_t s = 0; s < n_sw; s++)
                        alive[s] &= ~bits_at(dead, dead_off + 64 * s);
        }
        return kept;
}

/*
 * The leftmost match of the tokens tok[0, n_tok) (some `?`) in s[from, limit):
 * its end, NPOS for none, or SEG_NOMEM when the bitsets cannot be allocated.
 *
 * Candidates rather than states: start k survives literal token j when bit
 * k + j of its character's set is on, so 64 starts are tested against a
 * token in one word operation, and `?` tokens cost nothing. Starts are tried
 * 64 at a time from the left, reading the subject only as far as they reach;
 * each block takes the tokens rarest character first (by the first block's
 * text) and stops at the first token that leaves none of its starts, so a
 * match near the start costs about the segment's length, as a Shift-And
 * would. When that could cost many passes over the subject (the worst case
 * is one word operation per literal token per 64 starts that fit: a long
 * segment with many starts), the whole subject is read first: a literal it
 * lacks ends the search, and columns() decides the characters it can in a
 * few passes (segments built so that every start fails late, on one token).
 * Nothing here grows with the segment's length per subject character the way
 * a Shift-And's ceil(length / 64) words do.
 */
#define SEG_NOMEM (SIZE_MAX - 1)
static size_t find_tokens(const uint32_t *tok, size_t n_tok, const char *s, size_t from,
                          size_t limit, Work *w)
{
        uint64_t stack[SEG_STACK_WORDS], scratch_stack[SEG_STACK_WORDS], *scratch = scratch_stack;
        uint32_t others[SEG_TOKENS_MAX];  /* distinct non-ASCII literal characters, sorted */
        uint32_t lit_bit[SEG_TOKENS_MAX]; /* literal tokens, grouped by character: bit of start 0 */
        uint32_t count[SEG_TOKENS_MAX +
                       128]; /* per character: occurrences in the first block's text */
        uint32_t
                slot[SEG_TOKENS_MAX + 128]; /* per character: literal tokens, then its first slot */
        uint16_t order[SEG_TOKENS_MAX + 128]; /* characters, rarest first */
        int16_t ascii_id[128];
        size_t n_others = 0, n_ids = 0, n_lit = 0;

        if (!work_charge(w, 32))
                return NPOS;
        /* Number the distinct literal characters: ASCII first, then the others. */
        memset(ascii_id, -1, sizeof(ascii_id));
        for (size_t j = 0; j < n_tok; j++) {
                if (tok[j] == TOK_ANY)
                        continue;
                n_lit++;
                if (tok[j] >= 128)
                        others[n_others++] = tok[j];
                else if (ascii_id[tok[j]] < 0)
                        ascii_id[tok[j]] = (int16_t)n_ids++;
        }
        size_t n_ascii = n_ids;
        if (n_others) {
                qsort(others, n_others, sizeof(*others), cmp_u32);
                size_t u = 0;
                for (size_t e = 0; e < n_others; e++)
                        if (u == 0 || others[u - 1] != others[e])
                                others[u++] = others[e];
                n_others = u;
                n_ids += u;
        }

        /* Per set: every start plus every offset, and the word bits_at() reads past it. */
        size_t words = (limit - from) / 64 + 3;
        Sets st = { .s = s,
                    .i = from,
                    .limit = limit,
                    .words = words,
                    .n_ids = n_ids,
                    .n_ascii = n_ascii,
                    .ascii_id = ascii_id,
                    .others = others,
                    .n_others = n_others };
        if (n_ids * words > UINT32_MAX / 64)
                return SEG_NOMEM; /* lit_bit[] numbers the bits in 32 bits: search start by start */
        st.bits =
                n_ids * words <= SEG_STACK_WORDS ? stack : malloc(n_ids * words * sizeof(*st.bits));
        if (!st.bits)
                return SEG_NOMEM;

        size_t end = NPOS;
        if (!sets_read(&st, 64 + n_tok - 1, w))
                goto out;
        /* Literal tokens grouped by character, the rarest in the first block's text first. */
        for (size_t id = 0; id < n_ids; id++) {
                order[id] = (uint16_t)id;
                slot[id] = 0;
                count[id] = 0;
                for (size_t x = 0; x < st.n_zeroed && x < words; x++)
                        count[id] += (uint32_t)__builtin_popcountll(st.bits[id * words + x]);
        }
        for (size_t a = 1; a < n_ids; a++) { /* insertion sort: stable, and usually a handful */
                uint16_t x = order[a];
                size_t b = a;
                for (; b > 0 && count[order[b - 1]] > count[x]; b--)
                        order[b] = order[b - 1];
                order[b] = x;
        }
        uint16_t id_of[SEG_TOKENS_MAX];
        for (size_t j = 0; j < n_tok; j++) {
                if (tok[j] == TOK_ANY)
                        continue;
                size_t id = tok[j] < 128 ? (size_t)ascii_id[tok[j]]
                                         : n_ascii + (size_t)((const uint32_t *)bsearch(
                                                                      &tok[j], others, n_others,
                                                                      sizeof(*others), cmp_u32) -
                                                              others);
                id_of[j] = (uint16_t)id;
                slot[id_of[j]]++;
        }
        for (size_t a = 0, next = 0; a < n_ids; a++) {
                size_t id = order[a], n = slot[id];
                slot[id] = (uint32_t)next;
                next += n;
        }
        for (size_t j = 0; j < n_tok; j++)
                if (tok[j] != TOK_ANY)
                        lit_bit[slot[id_of[j]]++] = (uint32_t)(id_of[j] * words * 64 + j);
        /* Tokens read, numbered, sorted into slots: four passes over the segment. */
        if (!work_charge(w, 2 * n_ids + 4 * n_tok))
                goto out;

        /*
         * When the blocks' worst case is many passes' worth (a long segment,
         * many starts), read the whole subject and let columns() take the
         * characters it can decide in fewer.
         */
        uint64_t *alive0 = NULL;
        size_t most_starts = limit - from >= n_tok ? limit - from - n_tok + 1 : 0;
        if (n_lit * ((most_starts + 63) / 64) > 8 * (words + n_ids)) {
                if (!sets_read(&st, SIZE_MAX, w))
                        goto out;
                if (st.nc < n_tok)
                        goto out;
                /* A literal character the subject lacks: no start fits. */
                for (size_t id = 0; id < n_ids; id++) {
                        uint64_t any = 0;
                        for (size_t x = 0; x < words; x++)
                                any |= st.bits[id * words + x];
                        if (!any)
                                goto out;
                }
                size_t n_sw = (st.nc - n_tok + 1 + 63) / 64, n_rev = (n_tok + 63) / 64;
                size_t n_scratch = n_sw + 3 * n_rev + words + 4 + (LEVELS_MAX - 1) * words;
                scratch = n_scratch <= SEG_STACK_WORDS ? scratch_stack
                                                       : malloc(n_scratch * sizeof(*scratch));
                if (!scratch) {
                        end = SEG_NOMEM;
                        goto out;
                }
                alive0 = scratch;
                n_lit = columns(&st, lit_bit, n_lit, n_tok, st.nc - n_tok + 1, alive0,
                                scratch + n_sw, w);
                if (n_lit == SIZE_MAX)
                        goto out;
        }

        for (size_t base = 0;; base += 64) {
                if (!sets_read(&st, base + 64 + n_tok - 1, w))
                        goto out;
                if (st.nc < base + n_tok)
                        break; /* no start left that fits */
                size_t n_starts = st.nc - n_tok + 1 - base;
                uint64_t alive = n_starts >= 64 ? ~0ull : (1ull << n_starts) - 1;
                if (alive0)
                        alive &= alive0[base / 64];
                size_t t = 0;
                for (; t < n_lit && alive; t++)
                        alive &= bits_at(st.bits, base + lit_bit[t]);
                if (!work_charge(w, 3 * t + 2))
                        goto out;
                if (!alive)
                        continue;
                /* The leftmost surviving start: walk to the end of its match. */
                size_t first = base + (size_t)__builtin_ctzll(alive), i = from;
                for (size_t c = 0; c < first + n_tok; c++)
                        i += utf8_len(s, i, limit);
                end = i;
                break;
        }
out:
        if (scratch != scratch_stack)
                free(scratch);
        if (st.bits != stack)
                free(st.bits);
        return end;
}

/*
 * The leftmost match of segment p[0, plen) in s[from, limit): its end, or NPOS.
 * A segment of plain bytes (the common case, escapes resolved) is found with
 * memmem(), linear in both lengths; one with `?` by find_tokens().
 */
static size_t find_segment(const char *p, size_t plen, const char *s, size_t from, size_t limit,
                           Work *w)
{
        uint32_t tok[SEG_TOKENS_MAX];
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
                /* memmem() sets up per call (a table or a factorization of the
                 * needle), then scans: a byte at a time for a needle of two or
                 * more, as memchr() (many bytes a step) for one. */
                const char *m = memmem(s + from, limit - from, lit, n);
                size_t scanned = m ? (size_t)(m - s) - from + n : limit - from;
                if (!work_charge(w, 256 + n + (n == 1 ? scanned / 8 : scanned)))
                        return NPOS;
                return m ? (size_t)(m - s) + n : NPOS;
        }
        size_t n_tok = tokenize(p, plen, tok);
        if (n_tok != SIZE_MAX) {
                size_t end = find_tokens(tok, n_tok, s, from, limit, w);
                if (end != SEG_NOMEM)
                        return end;
        }
        /* Longer than any subject the engine takes, or out of memory for the
         * bitsets: try each start, at most the segment's length each. */
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
                if (!work_charge(w, plen))
                        return NPOS;
                size_t e = match_at(p, plen, s, limit, i);
                if (e != NPOS)
                        return e;
        }
        return NPOS;
}

/* Index of the next unescaped `*` in p[i, plen), or plen. */
static size_t next_star(const char *p, size_t plen, size_t i)
{
        /* @i starts a token (it follows a `*`), so a `*` is escaped exactly when
         * an odd run of backslashes, which cannot reach back past @i, precedes it. */
        for (const char *c; i < plen && (c = memchr(p + i, '*', plen - i));) {
                size_t j = (size_t)(c - p), bs = 0;
                while (j - bs > i && p[j - 1 - bs] == '\\')
                        bs++;
                if (bs % 2 == 0)
                        return j;
                i = j + 1;
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
        *gi = (GlobInfo){ .first = NPOS };
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

bool glob_match(const char *p, size_t plen, const char *s, size_t slen, Work *w)
{
        GlobInfo gi;

        if (!work_charge(w, plen))
                return false;
        glob_info(p, plen, &gi);
        return glob_match_info(p, plen, &gi, s, slen, w);
}

bool glob_match_info(const char *p, size_t plen, const GlobInfo *gi, const char *s, size_t slen,
                     Work *w)
{
        size_t first = gi->first, last = gi->last;

        /* A pattern needs at least one byte per literal or `?`: a pattern longer
         * than the subject is refused before any search. */
        if (gi->min > slen)
                return false;
        /* The pattern once through character loops (segments charge their searches). */
        if (!work_charge(w, plen + 4))
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
                        pos = find_segment(p + i, j - i, s, pos, tail, w);
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
bool arn_match(const char *p, size_t plen, const ArnSplit *ps, const char *s, const ArnSplit *ss,
               Work *w)
{
        size_t slen = ss->n ? ss->off[ss->n - 1] + ss->len[ss->n - 1] : strlen(s);

        if (ps->n == 0 || ss->n < ARN_SEGS)
                return glob_match(p, plen, s, slen, w);
        for (unsigned k = 0; k < ps->n; k++) {
                const char *pk = p + ps->off[k];
                size_t pl = ps->len[k];
                if (k + 1 == ps->n && ps->n < ARN_SEGS) {
                        if (!ends_in_star(pk, pl))
                                return false;
                        return glob_match(pk, pl, s + ss->off[k], slen - ss->off[k], w);
                }
                if (!glob_match(pk, pl, s + ss->off[k], ss->len[k], w))
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
                       const ArnSplit *ss, Work *w)
{
        char buf[POLICY_EXPAND_MAX];
        ArnSplit ps;
        size_t len;

        if (!work_charge(w, 4 + slen / 8))
                return false;
        switch (pat->kind) {
        case PAT_ANY:
                return true;
        case PAT_LITERAL:
                return slen == pat->len && memcmp(s, pat->text, slen) == 0;
        case PAT_GLOB:
                return arn_match(pat->text, pat->len, &pat->arn, s, ss, w);
        default:
                if (expand(pat, ctx, buf, sizeof(buf), &len) != 0 || !work_charge(w, len))
                        return false;
                arn_split(buf, len, &ps);
                return arn_match(buf, len, &ps, s, ss, w);
        }
}
