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

static const char *const atoms[] = {"a", "b", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "*", "?", "\\*", "\\?",
                                    "\\\\"};

static size_t random_text(char *buf, bool is_pattern)
{
        size_t n = (size_t)(rand() % 7), len = 0;
        size_t n_atoms = is_pattern ? sizeof(atoms) / sizeof(atoms[0]) : 5;

        for (size_t i = 0; i < n; i++) {
                const char *a = atoms[rand() % (int)n_atoms];
                if (!is_pattern && rand() % 4 == 0)
                        a = (const char *[]){"*", "?", "\\"}[rand() % 3];
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
                bool want = ref_match(p, plen, s, slen), got = glob_match(p, plen, s, slen);
                if (want != got) {
                        fprintf(stderr, "pattern \"%s\" subject \"%s\": reference %d, glob_match %d\n", p, s, want,
                                got);
                        abort();
                }
                n_true += want;
        }
        /* Both outcomes are well represented, so the comparison means something. */
        assert(n_true > 10000 && n_true < 290000);
        printf("300000 random pairs agree with the reference (%zu matches)\n", n_true);
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
        assert(!glob_match(p, plen, v, vlen));
        /* Shorter than the value: many stars, each segment nearly matching everywhere. */
        size_t n = 0;
        for (int k = 0; k < 60; k++) {
                p[n++] = '*';
                for (int j = 0; j < 30; j++)
                        p[n++] = 'a';
        }
        p[n++] = 'b';
        p[n++] = '*';
        assert(!glob_match(p, n, v, vlen));
        v[vlen - 1] = 'b';
        assert(glob_match(p, n, v, vlen));
        /* `?` segments and escapes. */
        n = 0;
        p[n++] = '*';
        for (int j = 0; j < 1000; j++) {
                p[n++] = '?';
                p[n++] = 'a';
        }
        p[n++] = 'c';
        assert(!glob_match(p, n, v, vlen));
        n = 0;
        p[n++] = '*';
        for (int j = 0; j < 1000; j++) {
                p[n++] = '\\';
                p[n++] = 'a';
        }
        p[n++] = 'b';
        assert(glob_match(p, n, v, vlen));
        free(v);
        free(p);
}

int main(void)
{
        test_against_reference();
        test_hostile();
        return 0;
}
