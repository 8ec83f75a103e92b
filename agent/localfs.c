/* SPDX-License-Identifier: MIT */
/*
 * localfs.c - the devices of local filesystems (see localfs.h).
 */
#include "localfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"
#include "util.h"

#define MOUNTINFO "/proc/self/mountinfo"
#define MOUNTINFO_MAX (16u << 20)

/* Filesystems whose lookups and opens are served by the kernel alone. */
static const char *const local_types[] = {
        "bcachefs", "btrfs",    "devtmpfs", "erofs", "exfat",  "ext2",    "ext3",
        "ext4",     "f2fs",     "iso9660",  "jfs",   "nilfs2", "overlay", "ramfs",
        "reiserfs", "squashfs", "tmpfs",    "vfat",  "xfs",    "zfs",
};

bool localfs_is_local_type(const char *fstype)
{
        for (size_t i = 0; i < ELEMENTSOF(local_types); i++)
                if (strcmp(fstype, local_types[i]) == 0)
                        return true;
        return false;
}

/* The whole of /proc/self/mountinfo, NUL-terminated. */
static int read_table(char **textp)
{
        _cleanup_close_ int fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        r = safefile_read_all(fd, 16384, MOUNTINFO_MAX, textp, NULL);
        return r == SAFEFILE_E_TOO_LARGE ? -EFBIG : r;
}

/*
 * One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER".
 * Return: true with *devp when it is a local filesystem.
 */
static bool parse_line(const char *line, dev_t *devp)
{
        unsigned maj, min;
        const char *sep, *type;
        char fstype[32];
        size_t len;

        if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2)
                return false;
        sep = strstr(line, " - ");
        if (!sep)
                return false;
        type = sep + 3;
        len = strcspn(type, " \n");
        if (len == 0 || len >= sizeof(fstype))
                return false;
        memcpy(fstype, type, len);
        fstype[len] = '\0';
        if (!localfs_is_local_type(fstype))
                return false;
        *devp = makedev(maj, min);
        return true;
}

static void reload(LocalFs *l)
{
        _cleanup_free_ char *text = NULL;
        dev_t *devs = NULL;
        size_t n = 0, size = 0;
        int r;

        l->is_stale = false;
        r = read_table(&text);
        if (r < 0) {
                log_warning_ratelimited(
                        "cannot read %s: %s; attesting every caller in the thread pool", MOUNTINFO,
                        strerror(-r));
                free(l->devs);
                l->devs = NULL;
                l->n_devs = 0;
                return;
        }
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                dev_t dev;

                if (parse_line(line, &dev)) {
                        if (n == size) {
                                dev_t *p = realloc(devs, (size ? size * 2 : 16) * sizeof(*devs));

                                if (!p) {
                                        n = 0;
                                        break;
                                }
                                devs = p;
                                size = size ? size * 2 : 16;
                        }
                        devs[n++] = dev;
                }
                if (!nl)
                        break;
                line = nl + 1;
        }
        free(l->devs);
        l->devs = devs;
        l->n_devs = n;
}

/*
 * The kernel reports a change as POLLPRI with POLLERR, once per change;
 * libuv stops the handle on POLLERR (status UV_EBADF), so watch again.
 */
static void on_change(uv_poll_t *h, int status, int events)
{
        LocalFs *l = h->data;

        (void)events;
        l->is_stale = true;
        if (status < 0 && uv_poll_start(&l->watch, UV_PRIORITIZED, on_change) < 0) {
                /* Not watched any more: read the table before every answer (slow, never stale). */
                l->is_always_stale = true;
        }
}

int localfs_open(LocalFs *l, uv_loop_t *loop)
{
        int r;

        l->is_stale = true;
        l->fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
        if (l->fd < 0)
                return 0; /* nothing counts as local */
        r = uv_poll_init(loop, &l->watch, l->fd);
        if (r < 0) {
                l->fd = safe_close(l->fd);
                return 0;
        }
        l->watch.data = l;
        l->is_watched = true;
        r = uv_poll_start(&l->watch, UV_PRIORITIZED, on_change);
        if (r < 0) {
                localfs_close(l);
                return r;
        }
        /* The agent's own hold on the loop must not keep it running. */
        uv_unref((uv_handle_t *)&l->watch);
        return 0;
}

bool localfs_has(LocalFs *l, dev_t dev)
{
        if (l->fd < 0)
                return false;
        if (l->is_stale || l->is_always_stale)
                reload(l);
        for (size_t i = 0; i < l->n_devs; i++)
                if (l->devs[i] == dev)
                        return true;
        return false;
}

static void on_closed(uv_handle_t *h)
{
        LocalFs *l = h->data;

        l->fd = safe_close(l->fd);
}

void localfs_close(LocalFs *l)
{
        if (l->is_watched) {
                l->is_watched = false;
                uv_close((uv_handle_t *)&l->watch, on_closed);
        } else {
                l->fd = safe_close(l->fd);
        }
        free(l->devs);
        l->devs = NULL;
        l->n_devs = 0;
}
