/* SPDX-License-Identifier: MIT */
/*
 * agentuser.c - is a uid the system agent's user (see agentuser.h)?  One
 * lstat(); what a trusted owner means is client.c's business.
 */
#include "agentuser.h"

#include <sys/stat.h>

bool agentuser_is(uid_t uid, const char *state_dir)
{
        struct stat st;

        /* Only root can create or chown an entry of /var/lib, so its owner
         * is the user root chose to run the system agent as. */
        if (uid == 0 || lstat(state_dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return false;
        return st.st_uid == uid;
}
