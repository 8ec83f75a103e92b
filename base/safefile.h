/* SPDX-License-Identifier: MIT */
/*
 * safefile.h - may roled trust this file or folder, and bounded reads of it.
 * The checks the agent applies to its configuration, its signing keys (and
 * later its audit log): the kind of file, who owns it and which mode bits it
 * must not have. The caller opens the file (O_NOFOLLOW, O_NONBLOCK as it
 * needs), calls fstat(), and words the error its own way from the
 * SAFEFILE_E_* code; nothing here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum {
        SAFEFILE_E_TYPE = 1, /* not the kind asked for (regular file or folder) */
        SAFEFILE_E_OWNER,    /* owned by someone else */
        SAFEFILE_E_MODE,     /* has a forbidden mode bit */
        SAFEFILE_E_TOO_LARGE /* longer than the bound */
};

/* What a file must be to be trusted. */
typedef struct SafeFileRule {
        mode_t type;      /* S_IFREG or S_IFDIR */
        uid_t owner;      /* the one uid that may own it ... */
        bool is_root_ok;  /* ... or root too */
        mode_t forbidden; /* mode bits it must not have, e.g. 0022 */
} SafeFileRule;

/*
 * safefile_check() - does @st satisfy @rule?
 * Return: 0, SAFEFILE_E_TYPE, SAFEFILE_E_OWNER or SAFEFILE_E_MODE (checked in that order).
 */
int safefile_check(const struct stat *st, const SafeFileRule *rule);

/*
 * safefile_read() - read all of @fd into @buf[@max], retrying on EINTR.
 * One more byte is asked for, so a file that grew since fstat() is caught.
 * Return: 0 (length in *@lenp), SAFEFILE_E_TOO_LARGE (more than @max bytes)
 * or -errno of read(). @buf's contents are unspecified on failure.
 */
int safefile_read(int fd, void *buf, size_t max, size_t *lenp);

/*
 * safefile_read_all() - read all of @fd into a heap buffer of @initial bytes
 * (at least 2) that doubles whenever it is full, retrying on EINTR.
 * @max: the largest buffer to use (text of up to @max - 2 bytes: the buffer
 *        must have room left to see the end of the file)
 * @textp: on success the text, NUL-terminated (the caller frees)
 * @lenp: on success, if not NULL, its length
 * Return: 0, SAFEFILE_E_TOO_LARGE (the text needs a larger buffer), -ENOMEM
 * or -errno of read().
 */
int safefile_read_all(int fd, size_t initial, size_t max, char **textp, size_t *lenp);
