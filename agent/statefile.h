/* SPDX-License-Identifier: MIT */
/*
 * statefile.h - reading the agent's small state files in the key directory
 * (revoked.list, logins.list): the file is opened through its folder with
 * O_NOFOLLOW and checked (a regular file of the agent's uid, no group or
 * other bits) before a byte of it is believed, then handed to the caller one
 * bounded line at a time.  What the lines mean is the caller's; replacing a
 * file whole is atomicfile.c's.  Also the one helper that words the
 * "DIR/NAME: reason" messages of these modules and keys.c.
 */
#pragma once

#include <stddef.h>

#include "util.h"

enum {
        STATEFILE_E_INSECURE = 1, /* not a regular file of ours, or open to group/others */
        STATEFILE_E_CORRUPT,      /* no line at all, or a line @line_fn refused */
};

/*
 * statefile_error() - replace *@errorp (heap; the caller frees) with the
 * message @fmt formats; nothing when @errorp is NULL.  On out of memory
 * *@errorp becomes NULL.
 */
void statefile_error(char **errorp, const char *fmt, ...) _printf_(2, 3);

/*
 * statefile_read() - call @line_fn(line, line_no, @arg) for every line of
 * @dir/@name, in order, once the file has passed the checks.  A missing file
 * has no lines and is not an error.
 * @what:   what the file holds, for the message of a corrupt one
 *          ("DIR/NAME:LINE: not a WHAT written by roled")
 * @line, @line_size: the caller's buffer; a line that does not fit reaches
 *          @line_fn in pieces, the first without its newline
 * @line_fn: returns 0 to go on, STATEFILE_E_CORRUPT or -errno to stop
 * @errorp: on failure, if not NULL, a message naming the file and the reason
 *          (heap; the caller frees); none for a -errno of @line_fn
 * Return: 0, STATEFILE_E_INSECURE, STATEFILE_E_CORRUPT or -errno.
 */
int statefile_read(const char *dir, const char *name, const char *what, char *line,
                   size_t line_size, int (*line_fn)(char *line, unsigned line_no, void *arg),
                   void *arg, char **errorp);
