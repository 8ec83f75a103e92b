/* SPDX-License-Identifier: MIT */
/*
 * test-policy-match.c - the wildcard matcher of agent/policy/match.c against
 * a reference that tries every way a `*` can match (exponential, so only on
 * short strings): random patterns of literals, `*`, `?` and escapes over
 * ASCII and multi-byte UTF-8, then hostile patterns that a backtracking
 * matcher needs seconds for, which must still give the right answer.
 */
#undef NDEBUG
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

#include "../util/glob-ref.h"

static const char *const atoms[] = { "a", "b", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                     "*", "?", "\\*",      "\\?",          "\\\\" };

static size_t random_text(char *buf, bool is_pattern)
{
        size_t n = (size_t)(rand() % 7), len = 0;
        size_t n_atoms = is_pattern ? sizeof(atoms) / sizeof(atoms[0]) : 5;

        for (size_t i = 0; i < n; i++) {
                const char *a = atoms[rand() % (int)n_atoms];
                if (!is_pattern && rand() % 4 == 0)
                        a = (const char *[]){ "*", "?", "\\" }[rand() % 3];
                memcpy(buf + len, a, strlen(a));
                len += strlen(a);
        }
        /* A lone backslash at the end of a pattern is a literal backslash. */
        if (is_pattern && rand() % 10 == 0)
                buf[len++] = '\\';
        buf[len] = '\0';
        return len;
}

static void test_against_reference(void)
{
        char p[64], s[64];
        size_t n_true = 0;

        srand(8);
        for (int i = 0; i < 300000; i++) {
                size_t plen = random_text(p, true), slen = random_text(s, false);
                bool want = ref_match(p, plen, s, slen), got = glob_match(p, plen, s, slen, NULL);
                if (want != got) {
                        fprintf(stderr,
                                "pattern \"%s\" subject \"%s\": reference %d, glob_match %d\n", p,
                                s, want, got);
                        abort();
                }
                n_true += want;
        }
        /* Both outcomes are well represented, so the comparison means something. */
        assert(n_true > 10000 && n_true < 290000);
        printf("300000 random pairs agree with the reference (%zu matches)\n", n_true);
}

/*
 * Long `?` segments between stars (up to 300 characters, so the searches run
 * over many 64-start blocks and offsets past one word): random segments over
 * a small alphabet with multi-byte characters, against subjects that hold a
 * planted instance (its `?` filled at random, sometimes one character
 * spoiled) inside random text, compared with the reference.
 */
static void test_long_segments(void)
{
        static const char *const chars[] = { "a", "b", "\xc3\xa9", "\xe2\x82\xac" };
        char *p = malloc(4096), *s = malloc(8192);
        size_t n_true = 0, n_pairs = 3000;

        srand(88);
        for (size_t i = 0; i < n_pairs; i++) {
                size_t plen = 0, slen = 0, n_segs = 1 + (size_t)(rand() % 2);
                int alpha = 1 + rand() % 4, q_pct = 10 + rand() % 80;
                p[plen++] = '*';
                size_t seg_start[2], seg_end[2];
                for (size_t g = 0; g < n_segs; g++) {
                        size_t n_tok = 1 + (size_t)(rand() % 300);
                        seg_start[g] = plen;
                        for (size_t t = 0; t < n_tok; t++) {
                                const char *c = rand() % 100 < q_pct ? "?" : chars[rand() % alpha];
                                memcpy(p + plen, c, strlen(c));
                                plen += strlen(c);
                        }
                        seg_end[g] = plen;
                        p[plen++] = '*';
                }
                /* Subject: noise, each segment filled in (maybe spoiled), noise. */
                size_t noise = (size_t)(rand() % 200);
                for (size_t g = 0; g <= n_segs; g++) {
                        for (size_t t = 0; t < noise; t++) {
                                const char *c = chars[rand() % alpha];
                                memcpy(s + slen, c, strlen(c));
                                slen += strlen(c);
                        }
                        if (g == n_segs)
                                break;
                        for (size_t k = seg_start[g]; k < seg_end[g];) {
                                const char *c;
                                size_t n;
                                if (p[k] == '?') {
                                        c = chars[rand() % 4];
                                        n = strlen(c);
                                        k++;
                                } else {
                                        c = p + k;
                                        n = strlen(chars[0]);
                                        for (int a = 0; a < 4; a++)
                                                if (strncmp(p + k, chars[a], strlen(chars[a])) == 0)
                                                        n = strlen(chars[a]);
                                        k += n;
                                }
                                if (rand() % 120 == 0) {
                                        c = chars[rand() % 4];
                                        n = strlen(c);
                                }
                                memcpy(s + slen, c, n);
                                slen += n;
                        }
                        noise = (size_t)(rand() % 100);
                }
                p[plen] = '\0';
                s[slen] = '\0';
                bool want = ref_match(p, plen, s, slen), got = glob_match(p, plen, s, slen, NULL);
                if (want != got) {
                        fprintf(stderr,
                                "pattern \"%s\" subject \"%s\": reference %d, glob_match %d\n", p,
                                s, want, got);
                        abort();
                }
                n_true += want;
        }
        assert(n_true > n_pairs / 10 && n_true < n_pairs * 9 / 10);
        printf("%zu long-segment pairs agree with the reference (%zu matches)\n", n_pairs, n_true);
        free(p);
        free(s);
}

/* Append @n copies of @unit to @buf at *@len. */
static void repeat(char *buf, size_t *len, const char *unit, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                memcpy(buf + *len, unit, strlen(unit));
                *len += strlen(unit);
        }
        buf[*len] = '\0';
}

/*
 * Segments built so that every start fails, and late: on exactly one of
 * its tokens (a `b` in a run of `a`s; a spoilt pair in a run of `?a`), also
 * slightly off period and in multi-byte characters, against 4 KiB subjects,
 * then with one fitting instance planted. The answer must be the
 * reference's, and the work metered (deterministic units, not time) must stay
 * within four passes over the subject: the block-by-block search alone would
 * spend three units per token per 64 starts (200,000 for the first shape).
 */
static void test_late_failures(void)
{
        char *p = malloc(16384), *s = malloc(16384);
        size_t n_as_built = 0;
        struct {
                const char *head, *unit, *tail; /* pattern: `*` head unit^n tail `*` */
                size_t n;
                const char *period; /* subject: period repeated (NULL: a run of `a`s), maybe an
                                       instance planted */
        } shapes[] = {
                { "?", "a", "", 2047, NULL },
                { "?", "a", "", 300, NULL },
                { "", "?a", "c", 1000, "ca" },
                { "", "?a", "c", 70, "ca" },
                { "", "?a?a?a?a?a?a??", "", 140, "ca" },
                { "", "?\xc3\xa9", "", 600, "x\xc3\xa9" },
        };

        for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
                for (int planted = 0; planted < 2; planted++) {
                        size_t plen = 0, slen = 0, n = shapes[k].n;
                        repeat(p, &plen, "*", 1);
                        repeat(p, &plen, shapes[k].head, 1);
                        repeat(p, &plen, shapes[k].unit, n);
                        repeat(p, &plen, shapes[k].tail, 1);
                        repeat(p, &plen, "*", 1);
                        /* The subject: the period, one character spoilt every period-and-a-bit. */
                        char period[16384];
                        size_t per = 0;
                        if (shapes[k].period) {
                                /* One period shorter than the run, so every window meets the spoilt
                                 * byte. */
                                repeat(period, &per, shapes[k].period, n - 1);
                        } else {
                                repeat(period, &per, "a", n);
                        }
                        /* Spoil the last byte (an `a`, or the last byte of an é). */
                        if (per == 0 || per >= sizeof(period))
                                abort();
                        period[per - 1] = 'b';
                        while (slen + per <= POLICY_VALUE_MAX)
                                repeat(s, &slen, period, 1);
                        if (planted) {
                                /* An instance: the head's `?`, the units with `?` filled, the tail.
                                 */
                                size_t at = slen / 2, q = 0;
                                char inst[16384];
                                for (size_t i = 1; i + 1 < plen; i++)
                                        inst[q++] = p[i] == '?' ? 'x' : p[i];
                                memcpy(s + (at + q <= slen ? at : slen - q), inst, q);
                        }
                        Work w = { 0 };
                        bool want = ref_match(p, plen, s, slen),
                             got = glob_match(p, plen, s, slen, &w);
                        if (want != got) {
                                fprintf(stderr,
                                        "shape %zu planted %d: reference %d, glob_match %d\n", k,
                                        planted, want, got);
                                abort();
                        }
                        n_as_built += want == (planted != 0);
                        /* A pass over the subject: two units a byte, sixteen more a non-ASCII
                         * character. */
                        size_t n_wide = 0;
                        for (size_t i = 0; i < slen; i++)
                                n_wide += (unsigned char)s[i] >= 0xc0;
                        if (w.spent > 4 * (2 * slen + 16 * n_wide)) {
                                fprintf(stderr, "shape %zu planted %d: %llu units\n", k, planted,
                                        (unsigned long long)w.spent);
                                abort();
                        }
                }
        }
        /* The subjects are what they were built to be (the é one is off by its spoilt byte). */
        assert(n_as_built >= 2 * sizeof(shapes) / sizeof(shapes[0]) - 1);
        printf("late-failing segments decided in a few passes\n");
        free(p);
        free(s);
}

static void test_hostile(void)
{
        size_t vlen = POLICY_VALUE_MAX, plen = 20002;
        char *v = malloc(vlen + 1), *p = malloc(plen + 1);

        /* The pattern: `*` + 20,000 x `a` + `b`, longer than any value. */
        memset(v, 'a', vlen);
        v[vlen] = '\0';
        p[0] = '*';
        memset(p + 1, 'a', plen - 2);
        p[plen - 1] = 'b';
        assert(!glob_match(p, plen, v, vlen, NULL));
        /* Shorter than the value: many stars, each segment nearly matching everywhere. */
        size_t n = 0;
        for (int k = 0; k < 60; k++) {
                p[n++] = '*';
                for (int j = 0; j < 30; j++)
                        p[n++] = 'a';
        }
        p[n++] = 'b';
        p[n++] = '*';
        assert(!glob_match(p, n, v, vlen, NULL));
        v[vlen - 1] = 'b';
        assert(glob_match(p, n, v, vlen, NULL));
        /* `?` segments and escapes. */
        n = 0;
        p[n++] = '*';
        for (int j = 0; j < 1000; j++) {
                p[n++] = '?';
                p[n++] = 'a';
        }
        p[n++] = 'c';
        assert(!glob_match(p, n, v, vlen, NULL));
        n = 0;
        p[n++] = '*';
        for (int j = 0; j < 1000; j++) {
                p[n++] = '\\';
                p[n++] = 'a';
        }
        p[n++] = 'b';
        assert(glob_match(p, n, v, vlen, NULL));
        free(v);
        free(p);
}

int main(void)
{
        test_against_reference();
        test_long_segments();
        test_late_failures();
        test_hostile();
        return 0;
}
