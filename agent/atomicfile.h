/* SPDX-License-Identifier: MIT */
/*
 * atomicfile.h - replace a small state file of the agent whole: a temporary
 * file next to it (O_EXCL, 0600), written by the caller, fsync, rename over
 * the old one, fsync of the folder, so a crash leaves either the old file or
 * the new one.  Used for revoked.list (revfile.c) and logins.list
 * (loginfile.c); what goes into the file is the caller's.
 */
#pragma once

#include <stdio.h>

/*
 * atomicfile_replace() - atomically replace @dir/@name with what @write_fn
 * writes to the FILE it is given.
 * @write_fn: returns 0 or -errno (the old file then stays)
 * @errorp: on failure, if not NULL, "DIR/NAME: cannot write: REASON" (heap; the caller frees)
 * Return: 0 or -errno (the old file is then left as it was).
 */
int atomicfile_replace(const char *dir, const char *name, int (*write_fn)(FILE *f, void *arg),
                       void *arg, char **errorp);
