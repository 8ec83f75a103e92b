/* SPDX-License-Identifier: MIT */
/*
 * decision.h - the three outcomes of an IAM evaluation and their names:
 * what the policy engine decides (PolicyDecision), what Authorize and
 * Simulate send as "decision", and what libroled reads back and names
 * (roled_decision).  The names are spelled here once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum Decision {
        DECISION_IMPLICIT_DENY, /* no statement allowed it */
        DECISION_ALLOW,
        DECISION_EXPLICIT_DENY, /* a Deny statement matched */
        DECISION_COUNT,
} Decision;

/* decision_name() - "implicit-deny", "allow" or "explicit-deny"; out of range: "implicit-deny". */
const char *decision_name(unsigned decision);

/*
 * decision_parse() - the decision the @len bytes at @s name, exactly.
 * Return: true with *@decisionp set; false (*@decisionp untouched) for any other text.
 */
bool decision_parse(const char *s, size_t len, Decision *decisionp);
