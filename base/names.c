/* SPDX-License-Identifier: MIT */
/*
 * names.c - name character checks (names.h).
 */
#include "names.h"

#include <string.h>

bool name_char_valid(char c, const char *extra)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr(extra, c));
}

bool name_valid(const char *s, size_t n, size_t min, size_t max, const char *extra)
{
        if (n < min || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!name_char_valid(s[i], extra))
                        return false;
        return true;
}
