/* SPDX-License-Identifier: MIT */
/*
 * agentuser.h - is a uid the system agent's own user?  Besides root and the
 * caller's own uid, libroled trusts the unprivileged user the packaged system
 * agent runs as ("roled"): its socket folder, and when the agent binds the
 * socket itself instead of receiving it from roled.socket, the socket file
 * and the SO_PEERCRED uid belong to that user.
 *
 * That user is recognised by what only root can arrange: it owns the system
 * agent's state folder (ROLED_STATEDIR, /var/lib/roled, which the package's
 * tmpfiles.d and the unit's StateDirectory= create for it).  No name service
 * is asked, so rolectl stays a static binary that loads no NSS module.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * agentuser_is() - does @uid own the folder @state_dir?
 * @uid: an owner or peer uid that is neither root nor the caller's
 * @state_dir: the system agent's state folder (ROLED_STATEDIR)
 * Return: true when @state_dir is a folder (not a symlink) owned by @uid.
 */
bool agentuser_is(uid_t uid, const char *state_dir);
