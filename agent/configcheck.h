/* SPDX-License-Identifier: MIT */
/*
 * configcheck.h - warnings about a configuration that loads but does not
 * mean what its author probably meant: a user or group name that does not
 * exist (the entry matches nobody), an exe path that does not exist, a role
 * nobody can assume, a role every local user can assume, [aws] imds = on
 * beside a credentials_file (which wins, so imds does nothing).  The agent reports
 * them at start, on --check-config and on reload; loading and validating
 * the files is config.c's business, deciding trust trust.c's (asked here
 * about a caller no rule names).
 *
 * The names are looked up through NSS, which may ask a directory service:
 * configcheck_names_new() copies them on the loop, configcheck_names_resolve()
 * looks them up in any thread, configcheck_run() reports on the loop.
 */
#pragma once

#include <stddef.h>

#include "access.h"
#include "config.h"

/* ConfigcheckFn - one warning: "FILE:LINE: role NAME: what and why", or "FILE:LINE: [aws] ..."
 * (no newline). */
typedef void (*ConfigcheckFn)(void *userdata, const char *warning);

/* Every user and group name the [trust] and [default] sections of a configuration name. */
typedef struct ConfigcheckNames ConfigcheckNames;

/* configcheck_names_new() - copy the names of @config.  Return: 0 or -ENOMEM; the caller owns *@np.
 */
int configcheck_names_new(const Config *config, ConfigcheckNames **np);

/* configcheck_names_free() - NULL is fine.  Return: NULL. */
ConfigcheckNames *configcheck_names_free(ConfigcheckNames *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigcheckNames, configcheck_names_free);

/* configcheck_names_resolve() - look every name up (NSS; blocks; any thread). */
void configcheck_names_resolve(ConfigcheckNames *n);

/*
 * configcheck_run() - check every role of @config and call @fn once per
 * warning.  No NSS: users and groups are what @names (resolved, and made
 * from this @config) says.
 * @aps: @config's compiled documents (the trust decision needs them)
 * Return: the number of warnings.
 */
size_t configcheck_run(const Config *config, const AccessPolicies *aps,
                       const ConfigcheckNames *names, ConfigcheckFn fn, void *userdata);
