/* SPDX-License-Identifier: MIT */
/*
 * decision.c - the names of the evaluation outcomes (decision.h), for the
 * policy engine, the agent's replies and libroled alike.
 */
#include "decision.h"

#include <string.h>

static const char *const names[DECISION_COUNT] = {
        [DECISION_IMPLICIT_DENY] = "implicit-deny",
        [DECISION_ALLOW] = "allow",
        [DECISION_EXPLICIT_DENY] = "explicit-deny",
};

const char *decision_name(unsigned decision)
{
        /* Fail closed: nothing unknown is ever named as an allow. */
        return names[decision < DECISION_COUNT ? decision : DECISION_IMPLICIT_DENY];
}

bool decision_parse(const char *s, size_t len, Decision *decisionp)
{
        for (unsigned i = 0; i < DECISION_COUNT; i++)
                if (len == strlen(names[i]) && memcmp(s, names[i], len) == 0) {
                        *decisionp = (Decision)i;
                        return true;
                }
        return false;
}
