/* SPDX-License-Identifier: MIT */
/*
 * configcheck.h - warnings about a configuration that loads but does not
 * mean what its author probably meant: a user or group name that does not
 * exist (the entry matches nobody), an exe path that does not exist, a role
 * nobody can assume, a role every local user can assume.  The agent reports
 * them at start, on --check-config and on reload; loading and validating
 * the files is config.c's business, deciding trust trust.c's.
 */
#pragma once

#include <stddef.h>

#include "config.h"

/* ConfigcheckFn - one warning: "FILE:LINE: role NAME: what and why" (no newline). */
typedef void (*ConfigcheckFn)(void *userdata, const char *warning);

/*
 * configcheck_run() - check every role of @config and call @fn once per
 * warning.  Looks user and group names up through NSS (it may block).
 * Return: the number of warnings.
 */
size_t configcheck_run(const Config *config, ConfigcheckFn fn, void *userdata);
