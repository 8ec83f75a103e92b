/* SPDX-License-Identifier: MIT */
/*
 * useridentity.c - an Identity from NSS for a user name (useridentity.h).
 */
#include "useridentity.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exehash.h"
#include "util.h"

#define SCRATCH_MAX (1024 * 1024) /* NSS buffer bound */

/* Look @name up through NSS (getpwnam_r, getgrgid_r, getgrouplist), growing the buffer on ERANGE.
 */
static int lookup_user(const char *name, struct passwd *pw, char **bufp)
{
        size_t size = 4096;

        for (;;) {
                struct passwd *pwp = NULL;
                char *buf = malloc(size);
                int r;

                if (!buf)
                        return -ENOMEM;
                r = getpwnam_r(name, pw, buf, size, &pwp);
                if (r == ERANGE && size < SCRATCH_MAX) {
                        free(buf);
                        size *= 2;
                        continue;
                }
                if (r || !pwp) {
                        free(buf);
                        return r ? -r : -ENOENT;
                }
                *bufp = buf;
                return 0;
        }
}

static void group_name(gid_t gid, char *dst, size_t size, bool *has_namep)
{
        char buf[16384];
        struct group gr, *grp = NULL;

        if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp) == 0 && grp &&
            strlen(grp->gr_name) < size) {
                snprintf(dst, size, "%s", grp->gr_name);
                *has_namep = true;
                return;
        }
        snprintf(dst, size, "%u", (unsigned)gid);
        *has_namep = false;
}

int useridentity_get(const char *user, Identity *id)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        struct passwd pw;
        int n = 64, r;

        r = lookup_user(user, &pw, &buf);
        if (r == -ENOENT)
                return USERIDENTITY_E_NO_SUCH_USER;
        if (r)
                return r;
        id->uid = pw.pw_uid;
        id->gid = pw.pw_gid;
        id->has_user_name = strlen(pw.pw_name) < sizeof(id->user);
        snprintf(id->user, sizeof(id->user), id->has_user_name ? "%s" : "%.0s%u", pw.pw_name,
                 (unsigned)pw.pw_uid);
        group_name(pw.pw_gid, id->group, sizeof(id->group), &id->has_group_name);
        for (;;) {
                int want = n;
                gid_t *g = reallocarray(groups, (size_t)n, sizeof(*g));

                if (!g)
                        return -ENOMEM;
                groups = g;
                if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &want) >= 0) {
                        n = want;
                        break;
                }
                if (want <= n || want > IDENTITY_GROUPS_MAX)
                        return -E2BIG;
                n = want;
        }
        id->gid_names = calloc((size_t)n + 1, sizeof(*id->gid_names));
        if (!id->gid_names)
                return -ENOMEM;
        id->gids = steal_pointer(&groups);
        id->n_gids = (size_t)n;
        for (size_t i = 0; i < id->n_gids; i++) {
                char name[IDENTITY_NAME_MAX];
                bool has_name;

                group_name(id->gids[i], name, sizeof(name), &has_name);
                if (has_name && !(id->gid_names[i] = strdup(name)))
                        return -ENOMEM;
        }
        if (asprintf(&id->key, "%u:%u::", (unsigned)id->uid, (unsigned)id->gid) < 0) {
                id->key = NULL;
                return -ENOMEM;
        }
        return 0;
}

int useridentity_set_exe(Identity *id, const char *path)
{
        struct stat st;

        if (strlen(path) >= sizeof(id->exe))
                return -ENAMETOOLONG;
        if (stat(path, &st) < 0)
                return -errno;
        snprintf(id->exe, sizeof(id->exe), "%s", path);
        exehash_key_from_stat(&st, &id->exe_key);
        id->has_exe_key = true;
        id->is_exe_path_verified = true;
        return 0;
}

int useridentity_set_unit(Identity *id, const char *unit)
{
        bool is_user = strncmp(unit, "user:", 5) == 0;

        if (strlen(unit + (is_user ? 5 : 0)) >= sizeof(id->unit))
                return -ENAMETOOLONG;
        snprintf(id->unit, sizeof(id->unit), "%s", unit + (is_user ? 5 : 0));
        id->is_user_unit = is_user;
        return 0;
}
