/* SPDX-License-Identifier: MIT */
/*
 * loginfile.h - the PAM logins on disk: logins.list in the key directory,
 * so a login that began before an agent restart still ends its sessions
 * when it closes after it.
 *
 * Text, one "ID UID SESSION GROUP_START OPEN" line per login after a
 * "roled-logins 1 BOOT_ID" header, 0600 and owned by the agent's uid like the keys
 * next to it, replaced whole (atomicfile.c) after every change.  No secret:
 * a login id only lets root or the agent's user end that login.  At most
 * LOGINS_MAX lines, each bounded, so the file is bounded too.  The registry
 * itself is logins.c's; this module only moves it to and from disk.
 *
 * Logins do not outlive the machine: audit session ids start again at boot
 * and no PAM stack of the last boot will close its login, so a list written
 * during another boot (the kernel's boot_id) is not loaded.
 */
#pragma once

#include <stdint.h>

#include "logins.h"
#include "statefile.h"

#define LOGINFILE_NAME "logins.list"

/* statefile.c's outcomes, which loginfile_load() passes on, and one of its own. */
enum {
        LOGINFILE_E_INSECURE = STATEFILE_E_INSECURE, /* not a regular file of ours, or open to
                                                        group/others */
        LOGINFILE_E_CORRUPT = STATEFILE_E_CORRUPT,   /* not a list this module wrote */
        LOGINFILE_E_OTHER_BOOT, /* written during another boot: its logins ended with it */
};

/*
 * loginfile_load() - add the logins of @dir/logins.list to @l.  A missing
 * file is an empty list.
 * @errorp: on failure, if not NULL, a message naming the file and the reason
 *          (heap; the caller frees)
 * Return: 0, LOGINFILE_E_INSECURE, LOGINFILE_E_CORRUPT,
 * LOGINFILE_E_OTHER_BOOT (nothing loaded) or -errno (@l may then hold the
 * lines before the bad one).
 */
int loginfile_load(const char *dir, Logins *l, char **errorp);

/*
 * loginfile_save() - atomically replace @dir/logins.list with the logins of @l.
 * Return: 0 or -errno (the old file is then left as it was).
 */
int loginfile_save(const char *dir, const Logins *l, char **errorp);
