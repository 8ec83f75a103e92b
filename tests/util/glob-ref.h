/* SPDX-License-Identifier: MIT */
/*
 * glob-ref.h - the reference wildcard matcher that test-policy-match and
 * fuzz-policy compare the engine's matcher with: every way a `*` can match,
 * tried one after the other (exponential; fine for test-sized inputs).
 * `*` and `?` take whole UTF-8 characters; `\` escapes the next byte.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

static inline size_t ref_char_len(const char *s, size_t i, size_t slen)
{
        unsigned char c = (unsigned char)s[i];
        size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return n <= slen - i ? n : 1;
}

static inline bool ref_match(const char *p, size_t plen, const char *s, size_t slen)
{
        if (plen == 0)
                return slen == 0;
        if (p[0] == '*') {
                for (size_t i = 0;; i += ref_char_len(s, i, slen)) {
                        if (ref_match(p + 1, plen - 1, s + i, slen - i))
                                return true;
                        if (i >= slen)
                                return false;
                }
        }
        if (slen == 0)
                return false;
        if (p[0] == '?') {
                size_t n = ref_char_len(s, 0, slen);
                return ref_match(p + 1, plen - 1, s + n, slen - n);
        }
        if (p[0] == '\\' && plen > 1)
                return s[0] == p[1] && ref_match(p + 2, plen - 2, s + 1, slen - 1);
        return s[0] == p[0] && ref_match(p + 1, plen - 1, s + 1, slen - 1);
}
