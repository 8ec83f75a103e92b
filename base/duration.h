/* SPDX-License-Identifier: MIT */
/*
 * duration.h - the one duration grammar of roled, for the agent's
 * configuration and rolectl's options alike: one or more groups of decimal
 * digits, each with an optional unit h, m or s (either case), the last group
 * alone allowed to omit it: "900", "900s", "15m", "1h30m", "2H0m10S". No signs,
 * spaces or fractions. Range checks (900 s .. 12 h for sessions) stay with the
 * caller, which knows what the number is for.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * duration_parse() - parse @s into seconds.
 * @s: the text, NUL-terminated
 * @max: the largest total accepted
 * @secondsp: the result, written on success only
 * Return: 0, -EINVAL (not the grammar) or -ERANGE (more than @max).
 */
int duration_parse(const char *s, uint64_t max, uint32_t *secondsp);

/*
 * duration_format() - @seconds in the grammar's shortest form ("1h30m", "45s",
 * "0s") into @buf[@size], truncated to fit.
 */
void duration_format(uint32_t seconds, char *buf, size_t size);
