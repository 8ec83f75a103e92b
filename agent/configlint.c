/* SPDX-License-Identifier: MIT */
/*
 * configlint.c - print the policy linter's findings for every role's
 * permissions and trust documents (configlint.h).  The documents and the
 * linter are the policy engine's; this file only walks the roles and words
 * the lines.
 */
#include "configlint.h"

#include <errno.h>

#include "policy.h"

static int lint_one(const Role *r, const char *text, size_t len, const char *path, PolicyKind kind,
                    FILE *f, size_t *np)
{
        PolicyLint *lint = NULL;
        int ret = policy_lint(text, len, kind, &lint);

        if (ret < 0)
                return ret;
        for (size_t i = 0; i < policy_lint_count(lint); i++) {
                const PolicyFinding *fd = policy_lint_get(lint, i);
                char where[128];

                if (fd->statement >= 0)
                        snprintf(where, sizeof(where), "Statement[%d]%s%s", fd->statement,
                                 *fd->field ? "." : "", fd->field);
                else
                        snprintf(where, sizeof(where), "%s", *fd->field ? fd->field : "document");
                fprintf(f, "%s: %s (role %s): %s: %s: %s\n",
                        fd->severity == POLICY_ERROR ? "error" : "warning", path ? path : r->file,
                        r->name, where, fd->code, fd->message);
                (*np)++;
        }
        policy_lint_free(lint);
        return 0;
}

int configlint_print(const Config *c, FILE *f, size_t *n_warningsp)
{
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; r == 0 && i < c->n_roles; i++) {
                const Role *role = &c->roles[i];

                if (role->permissions)
                        r = lint_one(role, role->permissions, role->permissions_len,
                                     role->permissions_path, POLICY_KIND_IDENTITY, f, &n);
                if (r == 0 && role->trust_policy)
                        r = lint_one(role, role->trust_policy, role->trust_policy_len,
                                     role->trust_policy_path, POLICY_KIND_TRUST, f, &n);
        }
        *n_warningsp = n;
        return r;
}
