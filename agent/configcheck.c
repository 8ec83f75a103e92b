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
#include <string.h>

#include "exerule.h"
#include "trust.h"
#include "util.h"

typedef struct Name {
        char *name;
        bool is_user;
        bool exists;
} Name;

struct ConfigcheckNames {
        Name *items; /* in the order configcheck_run() asks: role by role, [trust] then [default] */
        size_t n;
};

typedef struct Check {
        ConfigcheckFn fn;
        void *userdata;
        size_t n;
        const ConfigcheckNames *names;
        size_t next; /* the next entry of names->items */
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
static bool lookup(bool is_user, const char *name)
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

/* The answer configcheck_names_resolve() found for the next name (unknown names count as existing).
 */
static bool name_exists(Check *ck, bool is_user, const char *name)
{
        const Name *e;

        if (ck->next >= ck->names->n)
                return true;
        e = &ck->names->items[ck->next++];
        return e->is_user == is_user && streq(e->name, name) ? e->exists : true;
}

static int add_names(ConfigcheckNames *n, char *const *names, size_t count, bool is_user)
{
        for (size_t i = 0; i < count; i++) {
                char *copy = strdup(names[i]);

                if (!copy)
                        return -ENOMEM;
                n->items[n->n++] = (Name){ .name = copy, .is_user = is_user, .exists = true };
        }
        return 0;
}

int configcheck_names_new(const Config *config, ConfigcheckNames **np)
{
        _cleanup_(configcheck_names_freep) ConfigcheckNames *n = calloc(1, sizeof(*n));
        size_t total = 0;
        int r;

        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];

                total += role->trust.n_users + role->trust.n_groups + role->defaults.n_users +
                         role->defaults.n_groups;
        }
        n->items = calloc(total ? total : 1, sizeof(*n->items));
        if (!n->items)
                return -ENOMEM;
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];

                if ((r = add_names(n, role->trust.users, role->trust.n_users, true)) ||
                    (r = add_names(n, role->trust.groups, role->trust.n_groups, false)) ||
                    (r = add_names(n, role->defaults.users, role->defaults.n_users, true)) ||
                    (r = add_names(n, role->defaults.groups, role->defaults.n_groups, false)))
                        return r;
        }
        *np = steal_pointer(&n);
        return 0;
}

ConfigcheckNames *configcheck_names_free(ConfigcheckNames *n)
{
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n; i++)
                free(n->items[i].name);
        free(n->items);
        free(n);
        return NULL;
}

void configcheck_names_resolve(ConfigcheckNames *n)
{
        for (size_t i = 0; i < n->n; i++)
                n->items[i].exists = lookup(n->items[i].is_user, n->items[i].name);
}

/*
 * Warn about the user (@is_user) or group names of a section that exist
 * nowhere.  Return: whether one of them exists.
 */
static bool check_names(Check *ck, const Role *role, const char *section, bool is_user,
                        char *const *names, size_t n)
{
        bool has_match = false;

        for (size_t i = 0; i < n; i++) {
                if (name_exists(ck, is_user, names[i]))
                        has_match = true;
                else
                        warn(ck, role, "[%s] %s: no %s named '%s'; the entry matches nobody",
                             section, is_user ? "users" : "groups", is_user ? "user" : "group",
                             names[i]);
        }
        return has_match;
}

/* Warn about the entries of @t that match nobody; Return: whether any principal can still match. */
static bool check_section(Check *ck, const Role *role, const TrustRules *t, const char *section)
{
        bool can_match = t->is_any_user || t->n_uids || t->n_gids || t->n_roles;
        size_t n_resolved = 0;

        /* Both lists are walked whatever: name_exists() reads the resolved names in order. */
        if (check_names(ck, role, section, true, t->users, t->n_users))
                can_match = true;
        if (check_names(ck, role, section, false, t->groups, t->n_groups))
                can_match = true;
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

/*
 * Can every local user assume @role?  Asked of the trust decision itself
 * (trust.c), for a caller no rule can name: a uid outside every range the
 * role lists, no name, no group, no executable, in no unit.  If even that
 * caller is let in, [trust] and any trust_policy constrain nothing.
 */
static bool is_everyone(const Config *config, const AccessPolicies *aps, const Role *role)
{
        static const uint32_t candidates[] = { 4294967293u, 2147483646u, 65533u, 1u };
        Identity probe = IDENTITY_INIT;
        TrustScope ts = { .config = config, .access = aps, .now = 0 };

        probe.uid = candidates[0];
        for (size_t c = 0; c < ELEMENTSOF(candidates); c++) {
                bool is_named = false;

                for (size_t i = 0; i < role->trust.n_uids; i++)
                        if (candidates[c] >= role->trust.uids[i].lo &&
                            candidates[c] <= role->trust.uids[i].hi)
                                is_named = true;
                probe.uid = candidates[c];
                if (!is_named)
                        break;
        }
        probe.gid = probe.uid;
        snprintf(probe.user, sizeof(probe.user), "%u", (unsigned)probe.uid);
        snprintf(probe.group, sizeof(probe.group), "%u", (unsigned)probe.gid);
        return trust_decide(&ts, role, &probe, NULL, NULL, 0) == 0;
}

/*
 * [aws] with both credentials_file and imds = on: the file's keys sign every
 * STS call and the instance metadata service is never asked, as in the AWS
 * SDKs' default chain (a credentials file before IMDS).  That is what an SDK
 * user expects, so it loads; but imds = on then does nothing, which its
 * author should hear.
 */
static void check_aws(Check *ck, const Config *config)
{
        char msg[1024];

        if (!config->aws.imds || !config->aws.credentials_file)
                return;
        snprintf(msg, sizeof(msg),
                 "%s: [aws] imds = on is not used: credentials_file (%s) is set, and its keys "
                 "sign every STS call, as a credentials file comes before instance metadata in "
                 "the AWS SDKs' default chain; remove one of the two",
                 config->aws.imds_at ? config->aws.imds_at : config->path,
                 config->aws.credentials_file);
        ck->fn(ck->userdata, msg);
        ck->n++;
}

size_t configcheck_run(const Config *config, const AccessPolicies *aps,
                       const ConfigcheckNames *names, ConfigcheckFn fn, void *userdata)
{
        Check ck = { .fn = fn, .userdata = userdata, .names = names };

        check_aws(&ck, config);
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *role = &config->roles[i];
                bool can_trust = check_section(&ck, role, &role->trust, "trust");

                (void)check_section(&ck, role, &role->defaults, "default");
                if (!can_trust && !role->trust_policy)
                        warn(&ck, role,
                             "nobody can assume this role: [trust] names no principal that "
                             "exists%s",
                             role->trust.n_exes ? " or no exe path that exists" : "");
                else if (is_everyone(config, aps, role))
                        warn(&ck, role,
                             "every local user can assume this role: its trust lets in a caller "
                             "that no rule "
                             "names (any user, no exe, exe_sha256 or units constraint%s)",
                             role->trust_policy ? ", and a trust_policy that does not narrow it"
                                                : "");
        }
        return ck.n;
}
