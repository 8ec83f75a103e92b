/* SPDX-License-Identifier: MIT */
/*
 * identity.c - attest the peer of a Unix socket from the kernel alone:
 * SO_PEERCRED, a pidfd (SO_PEERPIDFD, or pidfd_open() right away on older
 * kernels) and /proc/PID read through one directory fd. The process is
 * confirmed alive after the reads (its pidfd not yet readable): a pid cannot
 * be reused before its process has exited, so everything read through
 * /proc/PID was that process's and a reused PID cannot lend its identity.
 * The executable is read before and after the credentials, and judged by
 * device and inode and by the namespaces it runs in, never by its path
 * alone. Hashing the executable is exehash.c's business, judging the result
 * trust.c's.
 *
 * Two steps, so that the agent can attest on its loop: identity_attest()
 * asks only the kernel (socket options, procfs, and statx() of the
 * executable without asking its filesystem to revalidate), which never
 * waits on anything a caller controls; identity_finish() does what may
 * wait: a path lookup of the executable, opening it, and NSS.
 */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "catbuf.h"
#include "safefile.h"
#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define PROC_FILE_MAX (1024 * 1024) /* /proc/PID/status with 65536 groups stays far below */
#define DELETED_SUFFIX " (deleted)"

/* The process behind @dirfd is gone when /proc answers ESRCH or ENOENT. */
static int gone_or(int r)
{
        return (r == -ESRCH || r == -ENOENT) ? IDENTITY_E_GONE : r;
}

/* Read the whole (small, procfs) file @name below @dirfd into a NUL-terminated heap buffer. */
static int read_proc(int dirfd, const char *name, char **textp, size_t *lenp)
{
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return gone_or(-errno);
        r = safefile_read_all(fd, 4096, PROC_FILE_MAX, textp, lenp);
        return r == SAFEFILE_E_TOO_LARGE ? -EFBIG : gone_or(r);
}

/*
 * Read @name below @dirfd into @buf (NUL-terminated) with one read(), when
 * it fits.  The files read this way (status, cgroup) are single-record
 * seq_files: the kernel renders the whole file before the first read, so a
 * read shorter than asked for has returned all of it.
 * Return: 0, 1 when the file is @size - 1 bytes or larger (use read_proc()),
 *         IDENTITY_E_GONE, or -errno.
 */
static int read_small(int dirfd, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = -1;
        ssize_t n;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return gone_or(-errno);
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return gone_or(-errno);
        if ((size_t)n == size - 1)
                return 1;
        buf[n] = '\0';
        return 0;
}

#define SMALL_READ 4096

/* Find "@key:\t" at the start of a line of @text; return the rest of that line (NUL or newline
 * ended). */
static const char *status_field(const char *text, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ':')
                        return p + klen + 1;
        return NULL;
}

/* Parse up to @n unsigned ids from @s (stops at newline). */
static int parse_ids(const char *s, uint32_t *ids, size_t n, size_t *countp)
{
        size_t count = 0;

        for (;;) {
                char *end;
                unsigned long v;

                s += strspn(s, " \t");
                if (*s == '\n' || *s == '\0')
                        break;
                if (count == n)
                        return -E2BIG;
                errno = 0;
                v = strtoul(s, &end, 10);
                if (errno != 0 || end == s || v > UINT32_MAX)
                        return -EBADMSG;
                ids[count++] = (uint32_t)v;
                s = end;
        }
        *countp = count;
        return 0;
}

/* Count the ids on the line at @s (up to newline or NUL). */
static size_t count_ids(const char *s)
{
        size_t n = 0;

        for (;;) {
                s += strspn(s, " \t");
                if (*s == '\n' || *s == '\0')
                        return n;
                n++;
                s += strcspn(s, " \t\n");
        }
}

/*
 * The Uid and Gid lines: the effective ids must be @cred's (SO_PEERCRED), the
 * real ids go to *@ruidp and *@rgidp.
 */
static int parse_status_ids(const char *text, const struct ucred *cred, uid_t *ruidp, gid_t *rgidp)
{
        uint32_t ids[4];
        const char *f;
        size_t n;

        f = status_field(text, "Uid");
        if (!f || parse_ids(f, ids, ELEMENTSOF(ids), &n) != 0 || n != 4)
                return -EBADMSG;
        if (ids[1] != cred->uid)
                return IDENTITY_E_GONE;
        *ruidp = (uid_t)ids[0];
        f = status_field(text, "Gid");
        if (!f || parse_ids(f, ids, ELEMENTSOF(ids), &n) != 0 || n != 4)
                return -EBADMSG;
        if (ids[1] != cred->gid)
                return IDENTITY_E_GONE;
        *rgidp = (gid_t)ids[0];
        return 0;
}

/* Room for @n supplementary groups (and their names, filled by resolve_names()). */
static int alloc_groups(Identity *id, size_t n)
{
        id->gids = calloc(n ? n : 1, sizeof(*id->gids));
        id->gid_names = calloc(n ? n : 1, sizeof(*id->gid_names));
        if (!id->gids || !id->gid_names)
                return -ENOMEM;
        return 0;
}

/* The uid and gid lines must agree with SO_PEERCRED (effective ids); groups come from "Groups:". */
static int parse_status(const char *text, const struct ucred *cred, Identity *id)
{
        const char *f;
        size_t n, n_groups = 0;
        int r;

        r = parse_status_ids(text, cred, &id->ruid, &id->rgid);
        if (r != 0)
                return r;
        f = status_field(text, "Groups");
        if (!f)
                return -EBADMSG;
        n = count_ids(f);
        if (n > IDENTITY_GROUPS_MAX)
                return -E2BIG;
        r = alloc_groups(id, n);
        if (r < 0)
                return r;
        /* gid_t is uint32_t on Linux. */
        r = parse_ids(f, (uint32_t *)id->gids, n, &n_groups);
        if (r < 0)
                return r;
        id->n_gids = n_groups;
        id->has_real_ids = true;
        return 0;
}

static int read_status(int dirfd, const struct ucred *cred, Identity *id)
{
        _cleanup_free_ char *text = NULL;
        char buf[SMALL_READ];
        int r;

        r = read_small(dirfd, "status", buf, sizeof(buf));
        if (r == 0)
                return parse_status(buf, cred, id);
        if (r != 1)
                return r;
        /* Thousands of groups: read it whole. */
        r = read_proc(dirfd, "status", &text, NULL);
        if (r != 0)
                return r;
        return parse_status(text, cred, id);
}

#define PEER_GROUPS_INLINE 64

/*
 * The supplementary groups the peer connected with (SO_PEERGROUPS): the
 * groups of the very credentials SO_PEERCRED reports, taken by the kernel at
 * connect(), so uid, gid and groups are one snapshot and no /proc file is
 * read for them.
 * Return: 0, 1 when the kernel lacks SO_PEERGROUPS (read status instead), or -errno.
 */
static int read_peer_groups(int fd, Identity *id)
{
        gid_t inline_groups[PEER_GROUPS_INLINE];
        _cleanup_free_ gid_t *heap = NULL;
        gid_t *groups = inline_groups;
        socklen_t len = sizeof(inline_groups);
        size_t n;
        int r;

        while (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
                if (errno == ENOPROTOOPT || errno == EINVAL || errno == EOPNOTSUPP)
                        return 1;
                /* More groups than fit: @len says how many bytes they take. */
                if (errno != ERANGE || heap || len / sizeof(gid_t) > IDENTITY_GROUPS_MAX)
                        return errno == ERANGE ? -E2BIG : -errno;
                heap = malloc(len ? len : 1);
                if (!heap)
                        return -ENOMEM;
                groups = heap;
        }
        n = len / sizeof(gid_t);
        r = alloc_groups(id, n);
        if (r < 0)
                return r;
        memcpy(id->gids, groups, n * sizeof(gid_t));
        id->n_gids = n;
        return 0;
}

/*
 * Resolve a user (@is_user) or group name into @buf. Unknown ids and names
 * that do not fit give the decimal number and false in *@resolvedp.
 */
static int lookup_name(bool is_user, uint32_t xid, char *buf, size_t size, bool *resolvedp)
{
        _cleanup_free_ char *scratch = NULL;
        size_t scratch_size = 1024;
        const char *name = NULL;

        for (;;) {
                struct passwd pw, *pwp = NULL;
                struct group gr, *grp = NULL;
                char *p;
                int r;

                p = realloc(scratch, scratch_size);
                if (!p)
                        return -ENOMEM;
                scratch = p;
                if (is_user) {
                        r = getpwuid_r((uid_t)xid, &pw, scratch, scratch_size, &pwp);
                        if (r == 0 && pwp)
                                name = pwp->pw_name;
                } else {
                        r = getgrgid_r((gid_t)xid, &gr, scratch, scratch_size, &grp);
                        if (r == 0 && grp)
                                name = grp->gr_name;
                }
                if (r == ERANGE && scratch_size < 1024 * 1024) {
                        scratch_size *= 4;
                        continue;
                }
                break;
        }

        if (name && strlen(name) < size) {
                strcpy(buf, name);
                *resolvedp = true;
        } else {
                (void)snprintf(buf, size, "%" PRIu32, xid);
                *resolvedp = false;
        }
        return 0;
}

int identity_unit_from_cgroup(const char *cgroup, char *unit, size_t unit_size, bool *is_user_unitp)
{
        static const char *const suffixes[] = { ".service", ".scope", ".socket", ".mount",
                                                ".swap" };
        const char *p = cgroup;
        bool is_user = false;

        if (unit_size == 0)
                return -ENAMETOOLONG;
        unit[0] = '\0';
        *is_user_unitp = false;

        while (*p) {
                size_t len;
                bool has_suffix = false;

                p += strspn(p, "/");
                len = strcspn(p, "/");
                if (len == 0)
                        break;
                if (len > 6 && memcmp(p + len - 6, ".slice", 6) == 0) {
                        p += len;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                        size_t sl = strlen(suffixes[i]);

                        if (len > sl && memcmp(p + len - sl, suffixes[i], sl) == 0)
                                has_suffix = true;
                }
                if (!has_suffix)
                        return 0; /* a non-unit component before any unit: no unit */
                if (len >= unit_size)
                        return -ENAMETOOLONG;
                memcpy(unit, p, len);
                unit[len] = '\0';
                *is_user_unitp = is_user;

                /*
                 * A user manager (user@UID.service) is itself a system unit,
                 * but the processes below it belong to user units: continue
                 * into its subtree, as systemd's cg_path_get_user_unit() does.
                 * Anything further below a unit is that unit's own business
                 * (delegation), so it must never rename the unit.
                 */
                if (!is_user && len > 13 && strncmp(p, "user@", 5) == 0 &&
                    memcmp(p + len - 8, ".service", 8) == 0 && p[len] == '/') {
                        const char *rest = p + len;

                        rest += strspn(rest, "/");
                        if (*rest) {
                                is_user = true;
                                p = rest;
                                continue;
                        }
                }
                return 0;
        }
        return 0;
}

/* The cgroup v2 path into @cgroup (IDENTITY_CGROUP_MAX), and the unit it names into @unit. */
static int read_cgroup_to(int dirfd, char *cgroup, char *unit, bool *is_user_unitp)
{
        _cleanup_free_ char *heap = NULL;
        char buf[SMALL_READ];
        const char *text = buf, *line;
        size_t len;
        int r;

        r = read_small(dirfd, "cgroup", buf, sizeof(buf));
        if (r == 1) {
                /* Many cgroup v1 hierarchies with long paths: read it whole. */
                r = read_proc(dirfd, "cgroup", &heap, NULL);
                text = heap;
        }
        if (r != 0)
                return r;
        for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, "0::", 3) == 0)
                        break;
        if (!line || !*line)
                return 0; /* cgroup v1 only: no unit */
        line += 3;
        len = strcspn(line, "\n");
        if (len >= IDENTITY_CGROUP_MAX)
                return -ENAMETOOLONG;
        memcpy(cgroup, line, len);
        cgroup[len] = '\0';
        r = identity_unit_from_cgroup(cgroup, unit, IDENTITY_UNIT_MAX, is_user_unitp);
        if (r < 0)
                return r;
        return 0;
}

static int read_cgroup(int dirfd, Identity *id)
{
        return read_cgroup_to(dirfd, id->cgroup, id->unit, &id->is_user_unit);
}

/*
 * The audit session id.  A kernel without audit support has no sessionid
 * file, and a process whose pam_loginuid never ran reads (unset): both mean
 * "in no login".  Without audit support there is no file at all, which reads
 * like a gone process: a process that did go is caught by the pidfd check
 * after all the reads.
 */
static void read_login_session(int dirfd, Identity *id)
{
        char buf[32], *end;
        unsigned long long v;

        id->login_session = IDENTITY_NO_LOGIN;
        if (read_small(dirfd, "sessionid", buf, sizeof(buf)) != 0)
                return;
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno == 0 && end != buf && v < IDENTITY_NO_LOGIN)
                id->login_session = (uint32_t)v;
}

/*
 * Device, inode, size and times of the executable, through the magic link,
 * from what the kernel has (AT_STATX_DONT_SYNC: a network or FUSE
 * filesystem is not asked, so this never waits on a server or on a FUSE
 * daemon the caller runs).  Device and inode never need asking.
 */
static int statx_exe(int dirfd, struct stat *st)
{
        struct statx sx;

        if (statx(dirfd, "exe", AT_STATX_DONT_SYNC,
                  STATX_INO | STATX_SIZE | STATX_MTIME | STATX_CTIME, &sx) < 0)
                return -errno;
        memset(st, 0, sizeof(*st));
        st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        st->st_ino = sx.stx_ino;
        st->st_size = (off_t)sx.stx_size;
        st->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
        st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
        st->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
        st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
        return 0;
}

/*
 * The executable: its path (readlink) and the file it names by device and
 * inode (through the magic link, so a file renamed or replaced on disk
 * meanwhile does not matter). A non-root agent may not look at other users'
 * or non-dumpable processes' exe: that leaves exe empty and no key, which no
 * exe rule matches.  The file itself is opened only for hashing
 * (identity_open_exe()).
 */
static int read_exe(int dirfd, Identity *id)
{
        struct stat st;
        ssize_t n;
        size_t dl = strlen(DELETED_SUFFIX);
        int r;

        n = readlinkat(dirfd, "exe", id->exe, sizeof(id->exe));
        if (n < 0) {
                id->exe[0] = '\0';
                if (errno == EACCES || errno == EPERM)
                        return 0;
                return gone_or(-errno);
        }
        if ((size_t)n >= sizeof(id->exe))
                return -ENAMETOOLONG;
        id->exe[n] = '\0';
        if ((size_t)n > dl && strcmp(id->exe + n - dl, DELETED_SUFFIX) == 0) {
                id->exe[n - dl] = '\0';
                id->is_exe_deleted = true;
        }
        r = statx_exe(dirfd, &st);
        if (r == -EACCES || r == -EPERM)
                return 0;
        if (r < 0)
                return gone_or(r);
        exehash_key_from_stat(&st, &id->exe_key);
        id->has_exe_key = true;
        return 0;
}

/*
 * Read again after the credentials: a process caught in execve() of another
 * (say setuid) program may show the old executable and the new ids, or the
 * reverse.  Both reads naming the same file, with the ids read in between,
 * means the ids belong to that file's process image.
 */
static int recheck_exe(int dirfd, const Identity *id)
{
        struct stat st;
        int r;

        if (!id->has_exe_key)
                return 0;
        r = statx_exe(dirfd, &st);
        if (r != 0)
                return gone_or(r);
        if (st.st_dev != id->exe_key.dev || st.st_ino != id->exe_key.ino)
                return IDENTITY_E_GONE;
        return 0;
}

typedef struct AgentNs {
        int error;
        struct stat user;
} AgentNs;

static AgentNs agent_ns;
static pthread_once_t agent_ns_once = PTHREAD_ONCE_INIT;

static void read_agent_ns(void)
{
        if (stat("/proc/self/ns/user", &agent_ns.user) < 0)
                agent_ns.error = -errno;
}

static bool same_ns(int dirfd, const char *name, const struct stat *mine)
{
        struct stat st;

        return fstatat(dirfd, name, &st, 0) == 0 && st.st_dev == mine->st_dev &&
               st.st_ino == mine->st_ino;
}

/*
 * Namespaces: a process in another user namespace may mount what it likes
 * (unshare -Urm needs no privilege), so it is foreign; a namespace link the
 * agent may not read counts as foreign too: the agent cannot tell.  Another
 * mount namespace in the same user namespace only privileged code can make
 * (systemd's sandboxing gives the agent and hardened services their own), so
 * it alone is not foreign; executables are compared by device and inode in
 * any case.
 */
static void read_ns(int dirfd, Identity *id)
{
        (void)pthread_once(&agent_ns_once, read_agent_ns);
        id->is_foreign_ns = agent_ns.error != 0 || !same_ns(dirfd, "ns/user", &agent_ns.user);
}

/*
 * The path is verified only when it names, in our namespace, the very file
 * the process runs.  A path lookup: it may wait on the filesystem.
 */
static void verify_exe_path(Identity *id)
{
        struct stat st;

        id->is_exe_path_verified = !id->is_foreign_ns && id->has_exe_key && id->exe[0] &&
                                   !id->is_exe_deleted && stat(id->exe, &st) == 0 &&
                                   st.st_dev == id->exe_key.dev && st.st_ino == id->exe_key.ino;
}

/* The pid the pidfd refers to, from /proc/self/fdinfo (-1 once the process has been reaped). */
static int pidfd_pid(int pidfd, pid_t *pidp)
{
        _cleanup_free_ char *text = NULL;
        char name[64];
        const char *f;
        long v;
        int r;

        (void)snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", pidfd);
        r = read_proc(AT_FDCWD, name, &text, NULL);
        if (r != 0)
                return r < 0 ? r : -EBADMSG;
        f = status_field(text, "Pid");
        if (!f)
                return -EBADMSG;
        v = strtol(f, NULL, 10);
        *pidp = (pid_t)v;
        return 0;
}

int identity_check_exe(const Identity *id)
{
        struct stat st;
        int r;

        r = identity_check_alive(id);
        if (r != 0)
                return r;
        if (!id->has_exe_key || id->proc_fd < 0)
                return IDENTITY_E_EXE_CHANGED;
        r = statx_exe(id->proc_fd, &st);
        if (r != 0)
                return gone_or(r);
        if (st.st_dev != id->exe_key.dev || st.st_ino != id->exe_key.ino)
                return IDENTITY_E_EXE_CHANGED;
        return 0;
}

int identity_check_alive(const Identity *id)
{
        struct pollfd pfd = { .fd = id->pidfd, .events = POLLIN };
        int n;

        if (id->pidfd < 0)
                return IDENTITY_E_GONE;
        do
                n = poll(&pfd, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        /* A pidfd becomes readable when its process exits (zombie or reaped). */
        if (n > 0)
                return IDENTITY_E_GONE;
        return 0;
}

/* A pidfd for @fd's peer, @pid; by pid (older kernels) only when @may_open_by_pid. */
/* Does the kernel name a socket's peer process itself (SO_PEERPIDFD)?  -1: not known yet. */
static int has_peer_pidfd = -1;

static int open_pidfd(int fd, pid_t pid, bool may_open_by_pid)
{
        socklen_t len = sizeof(int);
        int pidfd = -1, r;
        pid_t is;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0) {
                has_peer_pidfd = 1;
                return pidfd;
        }
        /*
         * The kernel refuses a pidfd for a peer that has already exited and
         * been reaped: ESRCH, or EINVAL from kernels 6.5 to about 6.13, whose
         * pidfd_prepare() refuses a pid with no task left.  Such a peer's pid
         * may name another process by now, so it is never opened by pid, and
         * the kernel is not taken for one without SO_PEERPIDFD (an unknown
         * socket option is ENOPROTOOPT).
         */
        if (errno == ESRCH || errno == EINVAL)
                return -IDENTITY_E_GONE;
        if (errno != ENOPROTOOPT && errno != EOPNOTSUPP)
                return -errno;
        has_peer_pidfd = 0;
        /*
         * A later try (the first was short of descriptors or memory, up to
         * CONN_ATTEST_TRIES * CONN_ATTEST_RETRY_MS ago) has no pidfd of the
         * first's: the pid may have been reused meanwhile, and a pidfd opened
         * by pid now could pin another process, whose /proc the reads would
         * then attest as the caller.
         */
        if (!may_open_by_pid)
                return -IDENTITY_E_UNPINNED;

        /*
         * Older kernels: pin the pid now. A process that exited and whose pid
         * was reused between connect() and here would go unnoticed by the
         * pidfd, but not by the uid check against SO_PEERCRED.
         */
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return errno == ESRCH ? -IDENTITY_E_GONE : -errno;
        /*
         * The pidfd must name the pid SO_PEERCRED gave (the kernel's
         * SO_PEERPIDFD names the peer's struct pid itself, so only this path
         * needs the check).
         */
        r = pidfd_pid(pidfd, &is);
        if (r == 0 && is != pid)
                r = is == 0 ? -IDENTITY_E_UNATTESTED : -IDENTITY_E_GONE;
        if (r != 0) {
                close(pidfd);
                return r;
        }
        return pidfd;
}

int identity_build_key(Identity *id)
{
        const char *unit_prefix = id->is_user_unit ? "user:" : "";
        /* A path that does not name the running file in our namespace must not share a key with one
         * that does. */
        const char *deleted = id->is_exe_deleted                        ? DELETED_SUFFIX
                              : !id->is_exe_path_verified && id->exe[0] ? " (unverified)"
                                                                        : "";

        /* What "%u:%u:%s%s:%s%s" would make, without snprintf() (catbuf.h). */
        size_t size = 2 * 10 + 3 + strlen(unit_prefix) + strlen(id->unit) + strlen(id->exe) +
                      strlen(deleted) + 1;
        CatBuf b;

        free(id->key);
        id->key = malloc(size);
        if (!id->key)
                return -ENOMEM;
        b = catbuf_init(id->key, size);
        catbuf_u32(&b, id->uid);
        catbuf_mem(&b, ":", 1);
        catbuf_u32(&b, id->gid);
        catbuf_mem(&b, ":", 1);
        catbuf_str(&b, unit_prefix);
        catbuf_str(&b, id->unit);
        catbuf_mem(&b, ":", 1);
        catbuf_str(&b, id->exe);
        catbuf_str(&b, deleted);
        return catbuf_done(&b) < 0 ? -ENAMETOOLONG : 0; /* cannot: size counts every piece */
}

static int resolve_names(Identity *id)
{
        int r;

        r = lookup_name(true, id->uid, id->user, sizeof(id->user), &id->has_user_name);
        if (r < 0)
                return r;
        r = lookup_name(false, id->gid, id->group, sizeof(id->group), &id->has_group_name);
        if (r < 0)
                return r;
        for (size_t i = 0; i < id->n_gids; i++) {
                char name[IDENTITY_NAME_MAX];
                bool resolved;

                r = lookup_name(false, id->gids[i], name, sizeof(name), &resolved);
                if (r < 0)
                        return r;
                free(id->gid_names[i]);
                id->gid_names[i] = NULL;
                if (resolved) {
                        id->gid_names[i] = strdup(name);
                        if (!id->gid_names[i])
                                return -ENOMEM;
                }
        }
        return 0;
}

/* identity_attest() into @id (IDENTITY_INIT, or a kept pin); on failure the caller resets it. */
static int attest(int fd, const struct ucred *cred, unsigned flags, Identity *id)
{
        _cleanup_close_ int dirfd = -1;
        char path[64];
        CatBuf path_b;
        int r;

        if (cred->pid <= 0)
                return IDENTITY_E_UNATTESTED;
        id->pid = cred->pid;
        id->uid = cred->uid;
        id->gid = cred->gid;

        /* A try after a failed one goes on with the first's pidfd, if it had one. */
        if (id->pidfd < 0)
                id->pidfd = open_pidfd(fd, cred->pid, !id->has_tried);
        if (id->pidfd < 0) {
                r = id->pidfd;
                id->pidfd = -1;
                return r == -IDENTITY_E_GONE         ? IDENTITY_E_GONE
                       : r == -IDENTITY_E_UNATTESTED ? IDENTITY_E_UNATTESTED
                       : r == -IDENTITY_E_UNPINNED   ? IDENTITY_E_UNPINNED
                                                     : r;
        }

        /* One directory fd: once the process dies, reads through it fail instead of reaching a
         * successor. */
        path_b = catbuf_init(path, sizeof(path));
        catbuf_str(&path_b, "/proc/");
        catbuf_u32(&path_b, (uint32_t)cred->pid); /* > 0, checked above */
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return gone_or(-errno);

        r = read_exe(dirfd, id);
        if (r != 0)
                return r;
        /*
         * The ids are SO_PEERCRED's and the groups SO_PEERGROUPS': the
         * credentials the process connected with, one snapshot, whatever it
         * ran then or runs now.  The real ids, which the kernel reports with
         * every message (SCM_CREDENTIALS), are learnt with the first message
         * (identity_learn_real_ids()).  Only a kernel without SO_PEERGROUPS
         * has the status file read, between two looks at the executable: see
         * recheck_exe().
         */
        id->ruid = cred->uid;
        id->rgid = cred->gid;
        r = read_peer_groups(fd, id);
        if (r == 1) {
                r = read_status(dirfd, cred, id);
                if (r != 0)
                        return r;
                r = recheck_exe(dirfd, id);
        }
        if (r != 0)
                return r;
        read_ns(dirfd, id);
        /* Only while some role reads the unit: the read takes the kernel's css_set lock. */
        if (flags & IDENTITY_READ_CGROUP) {
                r = read_cgroup(dirfd, id);
                if (r != 0)
                        return r;
                id->has_cgroup = true;
        }
        read_login_session(dirfd, id);

        /*
         * Still alive after the reads: the pid was not free to be reused
         * meanwhile, so /proc/PID was this process all along.
         */
        r = identity_check_alive(id);
        if (r != 0)
                return r;

        id->proc_fd = steal_fd(&dirfd);
        return 0;
}

/*
 * Filled in place (an Identity is some 5.5 KiB: no copy of it per
 * connection), and on failure back to IDENTITY_INIT but for the pidfd.
 */
int identity_attest(int fd, const struct ucred *cred, unsigned flags, Identity *id)
{
        int r = attest(fd, cred, flags, id);

        if (r != 0)
                identity_keep_pin(id);
        return r;
}

int identity_cgroup_now(const Identity *id, char *cgroup, char *unit, bool *is_user_unitp)
{
        int r;

        cgroup[0] = unit[0] = '\0';
        *is_user_unitp = false;
        if (id->proc_fd < 0)
                return IDENTITY_E_GONE;
        r = read_cgroup_to(id->proc_fd, cgroup, unit, is_user_unitp);
        if (r == 0)
                r = identity_check_alive(id);
        if (r != 0) {
                /* Nothing half read stays behind. */
                cgroup[0] = unit[0] = '\0';
                *is_user_unitp = false;
                return gone_or(r);
        }
        return 0;
}

int identity_pin(int fd, const struct ucred *cred, Identity *id)
{
        int pidfd;

        if (id->pidfd >= 0 || has_peer_pidfd == 1)
                return 0;
        if (cred->pid <= 0)
                return IDENTITY_E_UNATTESTED;
        pidfd = open_pidfd(fd, cred->pid, true);
        if (pidfd < 0)
                return pidfd == -IDENTITY_E_GONE         ? IDENTITY_E_GONE
                       : pidfd == -IDENTITY_E_UNATTESTED ? IDENTITY_E_UNATTESTED
                                                         : pidfd;
        if (has_peer_pidfd == 1) {
                /* The socket names its peer: nothing to hold until the attestation. */
                close(pidfd);
                return 0;
        }
        id->pidfd = pidfd;
        return 0;
}

bool identity_will_pin(const Identity *id)
{
        return id->pidfd < 0 && has_peer_pidfd != 1;
}

int identity_read_cgroup(Identity *id)
{
        int r;

        if (id->has_cgroup)
                return 0;
        r = identity_cgroup_now(id, id->cgroup, id->unit, &id->is_user_unit);
        if (r != 0)
                return r;
        id->has_cgroup = true;
        r = identity_build_key(id);
        if (r != 0) {
                /* Read again with the next request, key and all; until then the unread key. */
                id->has_cgroup = false;
                id->cgroup[0] = id->unit[0] = '\0';
                id->is_user_unit = false;
                (void)identity_build_key(id);
        }
        return r;
}

void identity_keep_pin(Identity *id)
{
        int pidfd = steal_fd(&id->pidfd);

        identity_deinit(id);
        id->pidfd = pidfd;
        id->has_tried = true;
}

int identity_learn_real_ids(Identity *id, uid_t ruid, gid_t rgid)
{
        const struct ucred cred = { .pid = id->pid, .uid = id->uid, .gid = id->gid };
        char buf[SMALL_READ];
        _cleanup_free_ char *heap = NULL;
        const char *text = buf;
        uid_t is_ruid;
        gid_t is_rgid;
        int r;

        if (id->has_real_ids)
                return (ruid == id->ruid && rgid == id->rgid) ? 0 : IDENTITY_E_GONE;
        if (ruid == id->uid && rgid == id->gid) {
                /* Real ids that are the effective ids it connected with: nothing to look up. */
                id->has_real_ids = true;
                return 0;
        }
        if (id->proc_fd < 0)
                return IDENTITY_E_GONE;
        r = read_small(id->proc_fd, "status", buf, sizeof(buf));
        if (r == 1) {
                r = read_proc(id->proc_fd, "status", &heap, NULL);
                text = heap;
        }
        if (r != 0)
                return gone_or(r);
        r = parse_status_ids(text, &cred, &is_ruid, &is_rgid);
        if (r != 0)
                return r;
        if (is_ruid != ruid || is_rgid != rgid)
                return IDENTITY_E_GONE;
        /* Read from the process attested, still running the executable attested. */
        r = identity_check_alive(id);
        if (r == 0 && id->has_exe_key)
                r = recheck_exe(id->proc_fd, id);
        if (r != 0)
                return r;
        id->ruid = ruid;
        id->rgid = rgid;
        id->has_real_ids = true;
        return 0;
}

int identity_open_exe(Identity *id)
{
        struct stat st;
        int fd;

        if (id->exe_fd >= 0 || !id->has_exe_key || id->proc_fd < 0)
                return 0;
        fd = openat(id->proc_fd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return (errno == EACCES || errno == EPERM) ? 0 : gone_or(-errno);
        if (fstat(fd, &st) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        if (st.st_dev != id->exe_key.dev || st.st_ino != id->exe_key.ino) {
                close(fd);
                return IDENTITY_E_EXE_CHANGED;
        }
        /* What the open file says now is what a hash of it is filed under. */
        exehash_key_from_stat(&st, &id->exe_key);
        id->exe_fd = fd;
        return 0;
}

int identity_finish(Identity *id, unsigned flags)
{
        int r;

        verify_exe_path(id);
        if (flags & IDENTITY_RESOLVE_NAMES) {
                r = resolve_names(id);
                if (r < 0)
                        return r;
        }
        if (flags & IDENTITY_OPEN_EXE) {
                r = identity_open_exe(id);
                if (r != 0)
                        return r;
        }
        return identity_build_key(id);
}

int identity_from_socket(int fd, Identity *idp)
{
        _cleanup_(identity_deinit) Identity id = IDENTITY_INIT;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof(cred))
                return IDENTITY_E_UNATTESTED;
        r = identity_attest(fd, &cred, IDENTITY_READ_CGROUP, &id);
        if (r != 0)
                return r;
        r = identity_finish(&id, IDENTITY_RESOLVE_NAMES | IDENTITY_OPEN_EXE);
        if (r != 0)
                return r;
        *idp = id;
        id = (Identity)IDENTITY_INIT;
        return 0;
}

void identity_deinit(Identity *id)
{
        if (!id)
                return;
        identity_release(id);
        *id = (Identity)IDENTITY_INIT;
}

void identity_close_fds(Identity *id)
{
        id->pidfd = safe_close(id->pidfd);
        id->exe_fd = safe_close(id->exe_fd);
        id->proc_fd = safe_close(id->proc_fd);
}

void identity_release(Identity *id)
{
        identity_close_fds(id);
        if (id->gid_names)
                for (size_t i = 0; i < id->n_gids; i++)
                        free(id->gid_names[i]);
        free(id->gid_names);
        free(id->gids);
        free(id->key);
}
