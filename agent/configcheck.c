/* SPDX-License-Identifier: MIT */
/*
 * configcheck.c - warnings about mistakes that silently narrow or widen
 * access (see configcheck.h).
 */
#include "configcheck.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "exerule.h"
#include "util.h"

typedef struct Check {
        ConfigcheckFn fn;
        void *userdata;
        size_t n;
} Check;

_printf_(3, 4) static void warn(Check *ck, const Role *role, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        int n;

        n = snprintf(msg, sizeof(msg), "%s:%u: role %s: ", role->file ? role->file : "(embedded)",
                     role->line, role->name);
        if (n < 0 || (size_t)n >= sizeof(msg))
                n = 0;
        va_start(ap, fmt);
        (void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
        va_end(ap);
        ck->fn(ck->userdata, msg);
        ck->n++;
}

/* Does NSS know @name?  Errors other than "not found" count as known: no false alarm. */
static bool name_exists(bool is_user, const char *name)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096;

        for (;;) {
                struct passwd pw, *pwp = NULL;
                struct group gr, *grp = NULL;
                char *p = realloc(buf, size);
                int r;

                if (!p)
                        return true;
                buf = p;
                r = is_user ? getpwnam_r(name, &pw, buf, size, &pwp)
                            : getgrnam_r(name, &gr, buf, size, &grp);
                if (r == ERANGE && size < 1024 * 1024) {
                        size *= 4;
                        continue;
                }
                if (r != 0)
                        return true;
                return is_user ? pwp != NULL : grp != NULL;
        }
}

/* Warn about the entries of @t that match nobody; Return: whether any principal can still match. */
static bool check_section(Check *ck, const Role *role, const TrustRules *t, const char *section)
{
        bool can_match = t->is_any_user || t->n_uids || t->n_gids || t->n_roles;
        size_t n_resolved = 0;

        for (size_t i = 0; i < t->n_users; i++) {
                if (name_exists(true, t->users[i]))
                        can_match = true;
                else
                        warn(ck, role, "[%s] users: no user named '%s'; the entry matches nobody",
                             section, t->users[i]);
        }
        for (size_t i = 0; i < t->n_groups; i++) {
                if (name_exists(false, t->groups[i]))
                        can_match = true;
                else
                        warn(ck, role, "[%s] groups: no group named '%s'; the entry matches nobody",
                             section, t->groups[i]);
        }
        for (size_t i = 0; i < t->n_exes; i++) {
                if (exerule_is_resolved(t->exe_rules, i))
                        n_resolved++;
                else
                        warn(ck, role,
                             "[%s] exe: %s does not exist (or the agent may not see it); it "
                             "matches nothing "
                             "until it does",
                             section, t->exes[i]);
        }
        return can_match && (t->n_exes == 0 || n_resolved > 0);
}

static bool is_everyone(const TrustRules *t)
{
        bool is_all_uids = false;

        for (size_t i = 0; i < t->n_uids; i++)
                if (t->uids[i].lo == 0 && t->uids[i].hi == UINT32_MAX)
                        is_all_uids = true;
        return (t->is_any_user || is_all_uids) && !t->n_exes && !t->n_exe_sha256 && !t->n_units;
}

size_t configcheck_run(const Config *config, ConfigcheckFn fn, void *userdata)
{
        Check ck = { .fn = fn, .userdata = userdata };

        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];
                bool can_trust = check_section(&ck, role, &role->trust, "trust");

                (void)check_section(&ck, role, &role->defaults, "default");
                if (!can_trust && !role->trust_policy)
                        warn(&ck, role,
                             "nobody can assume this role: [trust] names no principal that "
                             "exists%s",
                             role->trust.n_exes ? " or no exe path that exists" : "");
                else if (is_everyone(&role->trust) && !role->trust_policy)
                        warn(&ck, role,
                             "every local user can assume this role: [trust] allows any user with "
                             "no exe, "
                             "exe_sha256 or units constraint (and no trust_policy)");
        }
        return ck.n;
}
