/* SPDX-License-Identifier: MIT */
/*
 * identity.c - attest the peer of a Unix socket from the kernel alone:
 * SO_PEERCRED, a pidfd (SO_PEERPIDFD, or pidfd_open() right away on older
 * kernels) and /proc/PID read through one directory fd. The process is
 * confirmed unchanged after the reads (pidfd not yet readable, same start
 * time), so a reused PID cannot lend its identity.  The executable is read
 * before and after the credentials, and judged by device and inode and by
 * the namespaces it runs in, never by its path alone. Hashing the executable is
 * exehash.c's business, judging the result trust.c's.
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
#include <unistd.h>

#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define PROC_FILE_MAX (1024 * 1024) /* /proc/PID/status with 65536 groups stays far below */
#define DELETED_SUFFIX " (deleted)"

/* The process behind @dirfd is gone when /proc answers ESRCH or ENOENT. */
static int gone_or(int r) {
        return (r == -ESRCH || r == -ENOENT) ? IDENTITY_E_GONE : r;
}

/* Read the whole (small, procfs) file @name below @dirfd into a NUL-terminated heap buffer. */
static int read_proc(int dirfd, const char *name, char **textp, size_t *lenp) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 4096, len = 0;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return gone_or(-errno);
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        char *p;

                        if (size >= PROC_FILE_MAX)
                                return -EFBIG;
                        size *= 2;
                        p = realloc(buf, size);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return gone_or(-errno);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *textp = steal_pointer(&buf);
        if (lenp)
                *lenp = len;
        return 0;
}

/* Field 22 of /proc/PID/stat; fields are counted after the parenthesised comm, which may hold anything. */
static int read_start_time(int dirfd, uint64_t *startp) {
        _cleanup_free_ char *text = NULL;
        char *p, *end;
        unsigned long long v;
        int r;

        r = read_proc(dirfd, "stat", &text, NULL);
        if (r != 0)
                return r;
        p = strrchr(text, ')');
        if (!p)
                return -EBADMSG;
        p++;
        /* After ")" comes field 3 (state); skip fields 3..21. */
        for (int field = 3; field < 22; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
        }
        p += strspn(p, " ");
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno != 0 || end == p)
                return -EBADMSG;
        *startp = v;
        return 0;
}

/* Find "@key:\t" at the start of a line of @text; return the rest of that line (NUL or newline ended). */
static const char *status_field(const char *text, const char *key) {
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ':')
                        return p + klen + 1;
        return NULL;
}

/* Parse up to @n unsigned ids from @s (stops at newline). */
static int parse_ids(const char *s, uint32_t *ids, size_t n, size_t *countp) {
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

/* The uid and gid lines must agree with SO_PEERCRED (effective ids); groups come from "Groups:". */
static int read_status(int dirfd, const struct ucred *cred, Identity *id) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint32_t *groups = NULL;
        uint32_t ids[4];
        const char *f;
        size_t n, n_groups = 0;
        int r;

        r = read_proc(dirfd, "status", &text, NULL);
        if (r != 0)
                return r;

        f = status_field(text, "Uid");
        if (!f || parse_ids(f, ids, ELEMENTSOF(ids), &n) != 0 || n != 4)
                return -EBADMSG;
        if (ids[1] != cred->uid)
                return IDENTITY_E_GONE;
        id->ruid = (uid_t)ids[0];
        f = status_field(text, "Gid");
        if (!f || parse_ids(f, ids, ELEMENTSOF(ids), &n) != 0 || n != 4)
                return -EBADMSG;
        if (ids[1] != cred->gid)
                return IDENTITY_E_GONE;
        id->rgid = (gid_t)ids[0];

        f = status_field(text, "Groups");
        if (!f)
                return -EBADMSG;
        groups = calloc(IDENTITY_GROUPS_MAX, sizeof(*groups));
        if (!groups)
                return -ENOMEM;
        r = parse_ids(f, groups, IDENTITY_GROUPS_MAX, &n_groups);
        if (r < 0)
                return r;

        id->gids = calloc(n_groups ? n_groups : 1, sizeof(*id->gids));
        id->gid_names = calloc(n_groups ? n_groups : 1, sizeof(*id->gid_names));
        if (!id->gids || !id->gid_names)
                return -ENOMEM;
        for (size_t i = 0; i < n_groups; i++)
                id->gids[i] = (gid_t)groups[i];
        id->n_gids = n_groups;
        return 0;
}

/*
 * Resolve a user (@is_user) or group name into @buf. Unknown ids and names
 * that do not fit give the decimal number and false in *@resolvedp.
 */
static int lookup_name(bool is_user, uint32_t xid, char *buf, size_t size, bool *resolvedp) {
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

int identity_unit_from_cgroup(const char *cgroup, char *unit, size_t unit_size, bool *is_user_unitp) {
        static const char *const suffixes[] = { ".service", ".scope", ".socket", ".mount", ".swap" };
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

static int read_cgroup(int dirfd, Identity *id) {
        _cleanup_free_ char *text = NULL;
        const char *line;
        size_t len;
        int r;

        r = read_proc(dirfd, "cgroup", &text, NULL);
        if (r != 0)
                return r;
        for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, "0::", 3) == 0)
                        break;
        if (!line || !*line)
                return 0; /* cgroup v1 only: no unit */
        line += 3;
        len = strcspn(line, "\n");
        if (len >= sizeof(id->cgroup))
                return -ENAMETOOLONG;
        memcpy(id->cgroup, line, len);
        id->cgroup[len] = '\0';
        r = identity_unit_from_cgroup(id->cgroup, id->unit, sizeof(id->unit), &id->is_user_unit);
        if (r < 0)
                return r;
        return 0;
}

/*
 * The executable: its path (readlink) and the mapped file itself (open
 * through the magic link, so a file renamed or replaced on disk meanwhile
 * does not matter). A non-root agent may not look at other users' or
 * non-dumpable processes' exe: that leaves exe empty and exe_fd -1, which no
 * exe rule matches.
 */
static int read_exe(int dirfd, Identity *id) {
        struct stat st;
        ssize_t n;
        size_t dl = strlen(DELETED_SUFFIX);

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

        id->exe_fd = openat(dirfd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (id->exe_fd >= 0) {
                if (fstat(id->exe_fd, &st) < 0)
                        return -errno;
        } else {
                if (errno != EACCES && errno != EPERM)
                        return gone_or(-errno);
                if (fstatat(dirfd, "exe", &st, 0) < 0)
                        return (errno == EACCES || errno == EPERM) ? 0 : gone_or(-errno);
        }
        exehash_key_from_stat(&st, &id->exe_key);
        id->has_exe_key = true;
        return 0;
}

/* The executable's device and inode now, through the same directory fd. */
static int stat_exe(int dirfd, struct stat *st) {
        if (fstatat(dirfd, "exe", st, 0) < 0)
                return gone_or(-errno);
        return 0;
}

/*
 * Read again after the credentials: a process caught in execve() of another
 * (say setuid) program may show the old executable and the new ids, or the
 * reverse.  Both reads naming the same file, with the ids read in between,
 * means the ids belong to that file's process image.
 */
static int recheck_exe(int dirfd, const Identity *id) {
        struct stat st;
        int r;

        if (!id->has_exe_key)
                return 0;
        r = stat_exe(dirfd, &st);
        if (r != 0)
                return r;
        if (st.st_dev != id->exe_key.dev || st.st_ino != id->exe_key.ino)
                return IDENTITY_E_GONE;
        return 0;
}

typedef struct AgentNs {
        int error;
        struct stat mnt, user;
} AgentNs;

static AgentNs agent_ns;
static pthread_once_t agent_ns_once = PTHREAD_ONCE_INIT;

static void read_agent_ns(void) {
        if (stat("/proc/self/ns/mnt", &agent_ns.mnt) < 0 || stat("/proc/self/ns/user", &agent_ns.user) < 0)
                agent_ns.error = -errno;
}

static bool same_ns(int dirfd, const char *name, const struct stat *mine) {
        struct stat st;

        return fstatat(dirfd, name, &st, 0) == 0 && st.st_dev == mine->st_dev && st.st_ino == mine->st_ino;
}

/*
 * Namespaces: a process in another user namespace may mount what it likes
 * (unshare -Urm needs no privilege), so it is foreign; a namespace link the
 * agent may not read counts as foreign too: the agent cannot tell.  Another
 * mount namespace in the same user namespace only privileged code can make
 * (systemd's sandboxing gives the agent and hardened services their own), so
 * it alone is not foreign; executables are compared by device and inode in
 * any case.  The path is verified only when it names, in our namespace, the
 * very file the process runs.
 */
static void read_ns(int dirfd, Identity *id) {
        struct stat st;

        (void)pthread_once(&agent_ns_once, read_agent_ns);
        id->is_foreign_ns = agent_ns.error != 0 || !same_ns(dirfd, "ns/user", &agent_ns.user);
        id->is_exe_path_verified = !id->is_foreign_ns && id->has_exe_key && id->exe[0] &&
                                   !id->is_exe_deleted && stat(id->exe, &st) == 0 &&
                                   st.st_dev == id->exe_key.dev && st.st_ino == id->exe_key.ino;
}

/* The pid the pidfd refers to, from /proc/self/fdinfo (-1 once the process has been reaped). */
static int pidfd_pid(int pidfd, pid_t *pidp) {
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

int identity_check_exe(const Identity *id) {
        struct stat st;
        int r;

        r = identity_check_alive(id);
        if (r != 0)
                return r;
        if (!id->has_exe_key || id->proc_fd < 0)
                return IDENTITY_E_EXE_CHANGED;
        r = stat_exe(id->proc_fd, &st);
        if (r != 0)
                return r;
        if (st.st_dev != id->exe_key.dev || st.st_ino != id->exe_key.ino)
                return IDENTITY_E_EXE_CHANGED;
        return 0;
}

int identity_check_alive(const Identity *id) {
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

static int open_pidfd(int fd, pid_t pid) {
        socklen_t len = sizeof(int);
        int pidfd = -1;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
                return pidfd;
        /* The kernel refuses a pidfd for a peer that has already exited. */
        if (errno == ESRCH)
                return -IDENTITY_E_GONE;
        if (errno != ENOPROTOOPT && errno != EINVAL && errno != EOPNOTSUPP)
                return -errno;

        /*
         * Older kernels: pin the pid now. A process that exited and whose pid
         * was reused between connect() and here would go unnoticed by the
         * pidfd, but not by the uid check against SO_PEERCRED.
         */
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return errno == ESRCH ? -IDENTITY_E_GONE : -errno;
        return pidfd;
}

static int build_key(Identity *id) {
        const char *unit_prefix = id->is_user_unit ? "user:" : "";
        /* A path that does not name the running file in our namespace must not share a key with one that does. */
        const char *deleted = id->is_exe_deleted          ? DELETED_SUFFIX
                              : !id->is_exe_path_verified && id->exe[0] ? " (unverified)"
                                                                        : "";

        if (asprintf(&id->key, "%u:%u:%s%s:%s%s", (unsigned)id->uid, (unsigned)id->gid, unit_prefix,
                     id->unit, id->exe, deleted) < 0) {
                id->key = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int resolve_names(Identity *id) {
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
                if (resolved) {
                        id->gid_names[i] = strdup(name);
                        if (!id->gid_names[i])
                                return -ENOMEM;
                }
        }
        return 0;
}

int identity_from_socket(int fd, Identity *idp) {
        _cleanup_(identity_deinit) Identity id = IDENTITY_INIT;
        _cleanup_close_ int dirfd = -1;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        char path[64];
        uint64_t start_after;
        pid_t pidfd_is;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof(cred) || cred.pid <= 0)
                return IDENTITY_E_UNATTESTED;
        id.pid = cred.pid;
        id.uid = cred.uid;
        id.gid = cred.gid;

        id.pidfd = open_pidfd(fd, cred.pid);
        if (id.pidfd < 0) {
                r = id.pidfd;
                id.pidfd = -1;
                return r == -IDENTITY_E_GONE ? IDENTITY_E_GONE : r;
        }
        r = pidfd_pid(id.pidfd, &pidfd_is);
        if (r < 0)
                return r;
        if (pidfd_is <= 0)
                return pidfd_is == 0 ? IDENTITY_E_UNATTESTED : IDENTITY_E_GONE;
        if (pidfd_is != cred.pid)
                return IDENTITY_E_GONE;

        /* One directory fd: once the process dies, reads through it fail instead of reaching a successor. */
        (void)snprintf(path, sizeof(path), "/proc/%d", (int)cred.pid);
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return gone_or(-errno);

        r = read_start_time(dirfd, &id.start_time);
        if (r != 0)
                return r;
        /* The executable before and after the credentials: see recheck_exe(). */
        r = read_exe(dirfd, &id);
        if (r != 0)
                return r;
        r = read_status(dirfd, &cred, &id);
        if (r != 0)
                return r;
        r = recheck_exe(dirfd, &id);
        if (r != 0)
                return r;
        read_ns(dirfd, &id);
        r = read_cgroup(dirfd, &id);
        if (r != 0)
                return r;

        r = read_start_time(dirfd, &start_after);
        if (r != 0)
                return r;
        if (start_after != id.start_time)
                return IDENTITY_E_GONE;
        r = identity_check_alive(&id);
        if (r != 0)
                return r;

        /* Names last: NSS may be slow, and nothing here depends on the process any more. */
        r = resolve_names(&id);
        if (r < 0)
                return r;
        r = build_key(&id);
        if (r < 0)
                return r;

        id.proc_fd = steal_fd(&dirfd);
        *idp = id;
        id = (Identity)IDENTITY_INIT;
        return 0;
}

void identity_deinit(Identity *id) {
        if (!id)
                return;
        safe_close(id->pidfd);
        safe_close(id->exe_fd);
        safe_close(id->proc_fd);
        if (id->gid_names)
                for (size_t i = 0; i < id->n_gids; i++)
                        free(id->gid_names[i]);
        free(id->gid_names);
        free(id->gids);
        free(id->key);
        *id = (Identity)IDENTITY_INIT;
}
