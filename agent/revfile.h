/* SPDX-License-Identifier: MIT */
/*
 * revfile.h - revoked sessions on disk: revoked.list in the key directory,
 * so a revocation survives a restart or a kill -9 until the session it
 * names would have expired anyway.
 *
 * The file is text, one "ACCESSKEYID EXPIRES" line per revoked session
 * (Unix seconds) after a "roled-revoked 1" header, 0600 and owned by the
 * agent's uid like the keys next to it.  It is always replaced whole: a
 * temporary file (O_EXCL), fsync, rename, fsync of the directory, so a crash
 * leaves either the old list or the new one.  The in-memory set is
 * revocations.c's RevocationSet; this module only moves it to and from disk.
 */
#pragma once

#include <stdint.h>

#include "revocations.h"
#include "statefile.h"

#define REVFILE_NAME "revoked.list"
/*
 * The longest line a valid file holds: akid, space, up to 19 digits, newline;
 * or a cut: '@', 10 digits, two times a space and 19 digits, a space, a role
 * name, newline.
 */
#define REVFILE_LINE_MAX_AKID (TOKEN_AKID_MAX + 1 + 19 + 1)
#define REVFILE_LINE_MAX_CUT (1 + 10 + 2 * (1 + 19) + 1 + PROTO_ROLE_NAME_MAX + 1)
#define REVFILE_LINE_MAX                                                                           \
        (REVFILE_LINE_MAX_AKID > REVFILE_LINE_MAX_CUT ? REVFILE_LINE_MAX_AKID                      \
                                                      : REVFILE_LINE_MAX_CUT)

/* statefile.c's outcomes, which revfile_load() passes on. */
enum {
        REVFILE_E_INSECURE = STATEFILE_E_INSECURE, /* not a regular file of ours, or open to
                                                      group/others */
        REVFILE_E_CORRUPT = STATEFILE_E_CORRUPT,   /* not a list this module wrote */
};

/*
 * revfile_load() - add the entries of @dir/revoked.list that are still live
 * at @now to @set.  A missing file is an empty list.
 * @errorp: on failure, if not NULL, a message naming the file and the reason
 *          (heap; the caller frees)
 * Return: 0, REVFILE_E_INSECURE, REVFILE_E_CORRUPT or -errno.
 */
int revfile_load(const char *dir, RevocationSet *set, int64_t now, char **errorp);

/*
 * revfile_save() - atomically replace @dir/revoked.list with the entries of
 * @set that are still live at @now.
 * @errorp: as for revfile_load()
 * Return: 0 or -errno (the old file is then left as it was).
 */
int revfile_save(const char *dir, const RevocationSet *set, int64_t now, char **errorp);
