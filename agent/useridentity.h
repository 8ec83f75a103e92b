/* SPDX-License-Identifier: MIT */
/*
 * useridentity.h - the identity of a user named by an administrator (Login,
 * Simulate's principal), as the agent would attest that user's login shell:
 * uid, primary and supplementary groups from NSS, no executable and no
 * unit.  NSS may block: only admin methods, never an ordinary request, call
 * this.
 */
#pragma once

#include "identity.h"

/*
 * useridentity_get() - fill @id (IDENTITY_INIT) for @user.
 * Return: 0, USERIDENTITY_E_NO_SUCH_USER or -errno; on failure the caller
 * still identity_deinit()s @id.
 */
enum {
        USERIDENTITY_E_NO_SUCH_USER = 1,
};
int useridentity_get(const char *user, Identity *id);

/*
 * useridentity_set_exe() - say @id runs the file @path names in the
 * agent's mount namespace (device and inode, as exe rules compare them).
 * Return: 0 or -errno (the file cannot be stat()ed, or the path is too long).
 */
int useridentity_set_exe(Identity *id, const char *path);

/*
 * useridentity_set_unit() - say @id runs in @unit, spelled as rules spell it
 * ("user:NAME" for a user manager's unit).  Return: 0 or -ENAMETOOLONG.
 */
int useridentity_set_unit(Identity *id, const char *unit);
