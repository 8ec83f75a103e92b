/* SPDX-License-Identifier: MIT */
/*
 * options.c - parse pam_roled's module arguments (see options.h and
 * pam_roled(8)).  Each bad argument is logged once and skipped.
 */
#include "options.h"

#include "names.h"

#include <security/pam_ext.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static bool role_valid(const char *s)
{
        return name_valid(s, strlen(s), 1, PAM_ROLED_ROLE_MAX, NAME_IAM_EXTRA);
}

/* AWS profile names: what ~/.aws/config accepts in a [profile NAME] header, without spaces. */
static bool profile_valid(const char *s)
{
        return name_valid(s, strlen(s), 1, PAM_ROLED_PROFILE_MAX, NAME_IAM_EXTRA "/");
}

static bool flag(const char *arg, const char *name, bool *b)
{
        if (strcmp(arg, name) != 0)
                return false;
        *b = true;
        return true;
}

void options_parse(pam_handle_t *pamh, int argc, const char **argv, PamOptions *o)
{
        *o = (PamOptions){ 0 };
        for (int i = 0; i < argc; i++) {
                const char *arg = argv[i];

                if (!arg) {
                        pam_syslog(pamh, LOG_WARNING, "ignoring a missing module argument");
                        continue;
                }
                if (flag(arg, "debug", &o->is_debug) || flag(arg, "enforce", &o->is_enforce) ||
                    flag(arg, "require_role", &o->is_require_role) ||
                    flag(arg, "aws_profile", &o->has_aws_profile))
                        continue;
                if (strncmp(arg, "role=", 5) == 0) {
                        if (role_valid(arg + 5))
                                snprintf(o->role, sizeof(o->role), "%s", arg + 5);
                        else
                                pam_syslog(pamh, LOG_WARNING,
                                           "ignoring role=: a role name is 1..64 characters of "
                                           "[A-Za-z0-9+=,.@_-]");
                        continue;
                }
                if (strncmp(arg, "socket=", 7) == 0) {
                        if (arg[7] == '/' && strlen(arg + 7) < sizeof(o->socket))
                                snprintf(o->socket, sizeof(o->socket), "%s", arg + 7);
                        else
                                pam_syslog(pamh, LOG_WARNING,
                                           "ignoring socket=: it needs an absolute path shorter "
                                           "than %d bytes",
                                           PAM_ROLED_SOCKET_MAX);
                        continue;
                }
                if (strncmp(arg, "aws_profile=", 12) == 0) {
                        if (profile_valid(arg + 12)) {
                                snprintf(o->aws_profile, sizeof(o->aws_profile), "%s", arg + 12);
                                o->has_aws_profile = true;
                        } else {
                                pam_syslog(pamh, LOG_WARNING,
                                           "ignoring aws_profile=: a profile name is 1..128 "
                                           "characters of [A-Za-z0-9+=,.@_/-]");
                        }
                        continue;
                }
                /* Only the name up to '=' is logged: a mistyped value might be anything. */
                pam_syslog(pamh, LOG_WARNING, "ignoring unknown module argument '%.*s'",
                           (int)strcspn(arg, "=") > 64 ? 64 : (int)strcspn(arg, "="), arg);
        }
}
