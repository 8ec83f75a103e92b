/* SPDX-License-Identifier: MIT */
/*
 * localfs.h - may the loop touch a file on this device?  The devices of the
 * local filesystems (ext4, xfs, btrfs, tmpfs, overlay, ...) mounted in the
 * agent's mount namespace.  A path lookup or an open() on a network or FUSE
 * filesystem may wait for a server, or for a FUSE daemon the caller itself
 * runs, so a caller whose executable lives anywhere else is attested in the
 * thread pool (conn.c).  The list comes from /proc/self/mountinfo and is
 * read again after the mount table changes (the kernel flags the open
 * file with POLLPRI).  The loop starts watching in its first turn, and the
 * table is first read on the first question, after that.  Loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

typedef struct LocalFs {
        uv_poll_t watch; /* POLLPRI on fd: the mount table changed */
        int fd;          /* /proc/self/mountinfo, watched; -1 when not open */
        dev_t *devs;     /* devices of local filesystems */
        size_t n_devs;
        bool is_stale;        /* read the table again before the next answer */
        bool is_always_stale; /* the watch failed: read it before every answer */
        bool is_watched;
} LocalFs;

#define LOCALFS_INIT                                                                               \
        {                                                                                          \
                .fd = -1, .is_stale = true                                                         \
        }

/*
 * localfs_open() - read the mount table and watch it for changes.  Without
 * /proc/self/mountinfo no device counts as local (everything goes to the
 * thread pool), which is slower, never wrong.
 * Return: 0 or -errno (from libuv).
 */
int localfs_open(LocalFs *l, uv_loop_t *loop);

/* localfs_has() - is @dev the device of a local filesystem mounted here? */
bool localfs_has(LocalFs *l, dev_t dev);

/* localfs_close() - stop watching and free the list (safe on LOCALFS_INIT and twice). */
void localfs_close(LocalFs *l);

/* localfs_is_local_type() - is @fstype (mountinfo's name) a local filesystem? */
bool localfs_is_local_type(const char *fstype);
