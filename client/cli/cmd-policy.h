/* SPDX-License-Identifier: MIT */
/*
 * cmd-policy.h - `rolectl policy`: evaluate and lint IAM policy documents
 * offline, with the agent's own policy engine (agent/policy). No agent needed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "policy.h"

/*
 * cmd_policy() - run `rolectl policy eval ...` or `rolectl policy validate ...`.
 * @argc, @argv: the arguments starting at the subcommand word (argv[0] == "policy")
 *
 * Return: the process exit status. eval: 0 when the evaluation ran, whatever the
 * decision (with --exit-status: 0 allow, 1 deny); --batch: 0 unless stdin or
 * stdout failed. validate: 0 no errors (warnings may be printed), 1 errors.
 * 2 for bad usage or unreadable/invalid input, with one line on stderr.
 */
int cmd_policy(int argc, char **argv);

/* cmd_policy_is_json - rolectl's global --json came before "policy": as if --json were given. */
extern bool cmd_policy_is_json;

/*
 * cli_policy_format_error() - "Statement[2].Condition.X: message" (or "line L
 * column C: ..." for syntax errors) into @out, for a malformed document.
 */
void cli_policy_format_error(char *out, size_t size, const PolicyError *err);

/* cli_policy_matched_json() - the "matched" member of an answer: a new reference. */
json_t *cli_policy_matched_json(const PolicyResult *res);
