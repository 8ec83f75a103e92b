/* SPDX-License-Identifier: MIT */
/*
 * options.h - pam_roled's module arguments.  Unknown or malformed arguments
 * are logged with pam_syslog() and ignored, never fatal: a typo in a PAM
 * stack must not lock users out.  What each option does is pam_roled.c's.
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>

#define PAM_ROLED_ROLE_MAX 64
#define PAM_ROLED_SOCKET_MAX 108 /* sun_path */
#define PAM_ROLED_PROFILE_MAX 128

typedef struct PamOptions {
        bool is_debug;        /* debug: log every step at LOG_DEBUG */
        bool is_enforce;      /* enforce: fail when roled cannot be reached or refuses */
        bool is_require_role; /* require_role: account denies users who may assume no role */
        bool has_aws_profile; /* aws_profile[=NAME]: export AWS_PROFILE */
        char aws_profile[PAM_ROLED_PROFILE_MAX + 1]; /* "" : the pre-warmed role's name */
        char role[PAM_ROLED_ROLE_MAX + 1]; /* role=NAME: pre-warm this role ("": default) */
        char socket[PAM_ROLED_SOCKET_MAX]; /* socket=PATH ("": libroled's search) */
} PamOptions;

/* options_parse() - fill @o from the module arguments, logging and skipping bad ones. */
void options_parse(pam_handle_t *pamh, int argc, const char **argv, PamOptions *o);
