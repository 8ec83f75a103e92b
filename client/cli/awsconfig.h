/* SPDX-License-Identifier: MIT */
/*
 * awsconfig.h - the text of an AWS shared config file (~/.aws/config) with
 * rolectl's own profiles replaced: pure text in, text out.  Reading, backing
 * up and writing the file is cmd-aws-config.c's.
 *
 * rolectl's profiles are the sections whose first line after the header is
 * AWSCONFIG_MARKER; every other line of the file is kept as it was.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "jsonw.h"

#define AWSCONFIG_MARKER "# managed by rolectl aws-config"

/* One profile to write: [profile @name] with credential_process = @command. */
typedef struct AwsProfile {
        const char *name;    /* the profile's name, e.g. "roled-deploy" */
        const char *command; /* the credential_process value, already quoted for a shell */
        bool is_skipped;     /* out: a section of that name exists and is not rolectl's */
} AwsProfile;

/*
 * awsconfig_merge() - @old (@old_len bytes, may hold no final newline) with
 * rolectl's sections removed, trailing blank lines dropped, and one section per
 * profile of @profiles that does not clash with a section rolectl does not
 * manage appended after a blank line.  Running it on its own output gives the
 * same text.
 * @out: receives the text (the caller owns and deinits it)
 * Return: the number of profiles written; clashing ones have is_skipped set.
 */
size_t awsconfig_merge(const char *old, size_t old_len, AwsProfile *profiles, size_t n_profiles,
                       JsonBuf *out);
