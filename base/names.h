/* SPDX-License-Identifier: MIT */
/*
 * names.h - the character sets of the names roled checks: IAM role and
 * session names (and the profile names pam_roled writes) are ASCII letters,
 * digits and a few punctuation characters.  One check for the agent, the
 * configuration, the aws issuer and the PAM module.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What IAM allows in role and session names besides letters and digits. */
#define NAME_IAM_EXTRA "_+=,.@-"

/* name_char_valid() - @c is an ASCII letter, a digit or one of @extra (never NUL). */
bool name_char_valid(char c, const char *extra);

/*
 * name_valid() - the @n bytes of @s are @min..@max characters, each
 * name_char_valid() (so a NUL byte inside is refused).
 */
bool name_valid(const char *s, size_t n, size_t min, size_t max, const char *extra);
