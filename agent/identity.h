/* SPDX-License-Identifier: MIT */
/*
 * identity.h - who is on the other end of a Unix socket, as attested by the
 * kernel: SO_PEERCRED, a pidfd and /proc. Nothing the client says is used.
 * Hashing the executable is left to exehash.c (off the loop), judging the
 * identity to trust.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "exehash.h"

#define IDENTITY_NAME_MAX 64   /* user/group name incl. NUL; longer names fall back to the number */
#define IDENTITY_PATH_MAX 4096 /* executable path incl. NUL (PATH_MAX) */
#define IDENTITY_CGROUP_MAX 1024  /* cgroup v2 path incl. NUL */
#define IDENTITY_UNIT_MAX 256     /* systemd unit name incl. NUL (systemd's limit) */
#define IDENTITY_GROUPS_MAX 65536 /* supplementary groups (the kernel's NGROUPS_MAX) */

enum {
        IDENTITY_E_GONE = 1,   /* the peer exited, was replaced, or changed credentials meanwhile */
        IDENTITY_E_UNATTESTED, /* the kernel gave no usable pid (peer in another PID namespace) */
        IDENTITY_E_EXE_CHANGED, /* the process now runs another executable than the one attested */
        /* A later try with no pidfd from the first, on a kernel that opens one only by pid (no
         * SO_PEERPIDFD): the pid may name another process by now. */
        IDENTITY_E_UNPINNED,
};

/*
 * Identity - one attested peer process. Lives in the connection; initialise
 * with IDENTITY_INIT, release with identity_deinit(). About 5.5 KiB plus the
 * heap-allocated group list and key.
 *
 * Fields:
 *  pid, uid, gid   SO_PEERCRED at connect time (effective ids); /proc must agree
 *  ruid, rgid      the real ids: what SCM_CREDENTIALS reports for each
 *                  message the process sends (conn.c compares them); until
 *                  has_real_ids, the effective ids, and
 *                  identity_learn_real_ids() settles them with the first
 *                  message
 *  has_real_ids    ruid and rgid are settled; a message with other real ids
 *                  is someone else's
 *  pidfd           pins the process: SO_PEERPIDFD, or pidfd_open() right away
 *                  (on the first try only: identity_keep_pin())
 *  has_tried       identity_attest() failed before for this connection (the
 *                  agent short of descriptors or memory): the next try uses
 *                  the first try's pidfd, and never opens one by pid
 *  user, group     names of uid and gid; the decimal number when unresolved
 *                  (then has_user_name / has_group_name are false, and
 *                  name-based trust rules never match)
 *  gids, gid_names, n_gids
 *                  supplementary groups the process connected with
 *                  (SO_PEERGROUPS; the "Groups:" line of /proc/PID/status on
 *                  kernels without it) and their names (NULL where unresolved)
 *  exe             executable path (readlink /proc/PID/exe), without the
 *                  " (deleted)" suffix; empty when the agent may not read it
 *  is_exe_deleted  the executable was deleted or replaced after exec; path
 *                  rules then never match (the path names another file now)
 *  exe_fd          the mapped executable itself, opened through
 *                  /proc/PID/exe by identity_open_exe() when it is to be
 *                  hashed; -1 until then and when unreadable. Hash this,
 *                  not the path.
 *  exe_key         device, inode, size, mtime, ctime of exe_fd (exehash cache key);
 *                  exe rules compare its device and inode with the file their
 *                  path names in the agent's mount namespace, never the path
 *  has_exe_key     exe_key is valid
 *  is_exe_path_verified
 *                  exe, looked up in the agent's own mount namespace, is the
 *                  very file the process runs (same device and inode) and the
 *                  process shares the agent's namespaces: only then does the
 *                  path mean anything (roled:exe is set only then)
 *  is_foreign_ns   the process runs in another user namespace than the
 *                  agent (or the agent may not tell): exe rules do not match
 *                  it unless a role sets exe_foreign_namespaces.  Another
 *                  mount namespace alone does not count: outside a new user
 *                  namespace only privileged code can make one (systemd's
 *                  sandboxing gives the agent and hardened services their
 *                  own), and executables are compared by device and inode
 *  proc_fd         /proc/PID of the process, kept open: identity_check_exe()
 *                  looks through it (and through pidfd) before answering a
 *                  request that depends on the executable
 *  has_exe_sha256, exe_sha256
 *                  set by the agent after exehash_fd(exe_fd); trust.c
 *                  needs them only for exe_sha256 rules
 *  exe_hash_missing why the agent did not hash (too large, queue busy), for
 *                  the denial; NULL when it was never asked to
 *  has_cgroup      cgroup and unit were read: at attestation when
 *                  IDENTITY_READ_CGROUP (some role reads the unit), or later
 *                  by identity_read_cgroup(); until then both are empty
 *  cgroup          cgroup v2 path ("0::" line of /proc/PID/cgroup), may be empty
 *  unit            the systemd unit the process runs in, empty when none;
 *                  derived as systemd does: the first non-slice component, and
 *                  for a user manager (user@UID.service) the first non-slice
 *                  component below it, then is_user_unit is true
 *  login_session   the audit session id of the process (/proc/PID/sessionid):
 *                  the login it belongs to, given by pam_loginuid when the
 *                  login began, inherited by every process of that login
 *                  and unchangeable by them (logind names session-N.scope
 *                  after it); IDENTITY_NO_LOGIN (the kernel's "unset") for
 *                  services, and where the kernel has no audit support
 *  key             the cache key "<uid>:<gid>:<unit>:<exe>" (<unit> empty until
 *                  has_cgroup: identity_read_cgroup() rebuilds it), where <unit> is
 *                  "user:<name>" for user units and <exe> ends in " (deleted)"
 *                  for a deleted executable and in " (unverified)" for a path
 *                  that is not is_exe_path_verified. Units never contain '/' and exe
 *                  paths start with '/', so the key is unambiguous.
 */
typedef struct Identity {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        uid_t ruid;
        gid_t rgid;
        int pidfd;
        int exe_fd;
        int proc_fd;
        uint32_t login_session;
        gid_t *gids;
        char **gid_names;
        size_t n_gids;
        bool has_user_name;
        bool has_group_name;
        bool is_exe_deleted;
        bool is_user_unit;
        bool has_exe_key;
        bool is_exe_path_verified;
        bool is_foreign_ns;
        bool has_exe_sha256;
        bool has_real_ids;
        bool has_tried;
        bool has_cgroup;
        const char *exe_hash_missing; /* static text: why there is no exe_sha256, or NULL */
        char user[IDENTITY_NAME_MAX];
        char group[IDENTITY_NAME_MAX];
        char exe[IDENTITY_PATH_MAX];
        char cgroup[IDENTITY_CGROUP_MAX];
        char unit[IDENTITY_UNIT_MAX];
        ExehashKey exe_key;
        uint8_t exe_sha256[EXEHASH_SIZE];
        char *key;
} Identity;

#define IDENTITY_NO_LOGIN UINT32_MAX /* login_session outside any login */

#define IDENTITY_INIT                                                                              \
        {                                                                                          \
                .pidfd = -1, .exe_fd = -1, .proc_fd = -1, .login_session = IDENTITY_NO_LOGIN       \
        }

/* identity_init_zeroed() - make zeroed memory (calloc) IDENTITY_INIT without copying all of it. */
static inline void identity_init_zeroed(Identity *id)
{
        id->pidfd = id->exe_fd = id->proc_fd = -1;
        id->login_session = IDENTITY_NO_LOGIN;
}

/*
 * identity_attest() - attest the peer of a connected Unix socket from the
 * kernel alone: everything but names, the path check and the key.
 * @fd: the accepted socket
 * @cred: its SO_PEERCRED (read at accept)
 * @id: an IDENTITY_INIT (or deinitialised) struct, or one identity_keep_pin()
 *      left for another try, filled in place; on success the caller owns its
 *      fds and allocations (identity_deinit()); on failure it is as
 *      identity_keep_pin() leaves it (identity_deinit() closes its pidfd)
 *
 * Never waits on anything a caller controls, so it may run on the loop:
 * socket options, procfs reads through one /proc/PID directory fd, and
 * statx() of the executable without revalidation.  uid, gid and groups are
 * the credentials the process connected with (SO_PEERCRED, SO_PEERGROUPS:
 * one snapshot the kernel took at connect()); the executable is what it
 * runs now.  After the reads it checks that the pidfd's process is still
 * alive, so a reused PID can never lend its identity.  The pidfd is the
 * kernel's for the socket's peer (SO_PEERPIDFD), or one kept from an earlier
 * try; only a first try on a kernel without SO_PEERPIDFD opens one by pid
 * (pidfd_open()), since a pid looked up later may have been reused.
 * Return: 0, IDENTITY_E_GONE, IDENTITY_E_UNATTESTED, IDENTITY_E_UNPINNED
 *         (a later try that has no pidfd and may not open one), or -errno.
 */
int identity_attest(int fd, const struct ucred *cred, unsigned flags, Identity *id);

/*
 * identity_read_cgroup() - read @id's cgroup and unit now, if identity_attest()
 * did not (has_cgroup), through its /proc/PID directory, then check that the
 * process is still alive and rebuild the key.  What a process's cgroup is
 * when it asks serves as well as what it was when it connected: it could
 * have moved before connecting.
 * Return: 0, IDENTITY_E_GONE, or -errno.
 */
int identity_read_cgroup(Identity *id);

/*
 * identity_cgroup_now() - what identity_read_cgroup() would read, into
 * @cgroup (IDENTITY_CGROUP_MAX) and @unit (IDENTITY_UNIT_MAX), leaving @id
 * as it is (GetCallerIdentity shows it without making sessions name it).
 * Return: 0, IDENTITY_E_GONE, or -errno; on failure both are empty.
 */
int identity_cgroup_now(const Identity *id, char *cgroup, char *unit, bool *is_user_unitp);

/*
 * identity_pin() - for a connection attested later (one that waits for a
 * slot): on a kernel without SO_PEERPIDFD, pin @cred's process now
 * (pidfd_open() by pid, checked against the pid), since a pid looked up at
 * the attestation may have been reused by then; identity_attest() goes on
 * with that pidfd.  Where the socket itself names its peer (SO_PEERPIDFD)
 * it holds nothing.
 * Return: 0 (@id's pidfd is >= 0 when it holds one), IDENTITY_E_GONE,
 *         IDENTITY_E_UNATTESTED, or -errno.
 */
int identity_pin(int fd, const struct ucred *cred, Identity *id);

/*
 * identity_will_pin() - would identity_pin() hold a pidfd for @id?  True
 * unless @id holds one already or the kernel is known to name a socket's
 * peer (SO_PEERPIDFD); until a first attestation has told, true, so a
 * caller counting descriptors counts the pidfd.
 */
bool identity_will_pin(const Identity *id);

/*
 * identity_keep_pin() - after a failed attestation that is to be tried again:
 * release everything of @id but its pidfd (if it has one), and mark it
 * has_tried, so that identity_attest() goes on from the same process rather
 * than looking the pid up again.  identity_deinit() closes the pidfd.
 */
void identity_keep_pin(Identity *id);

/*
 * identity_learn_real_ids() - may a message whose sender the kernel names
 * with real ids @ruid and @rgid (SCM_CREDENTIALS; the pid the caller has
 * compared) come from @id's process?  The first answer settles the real ids
 * for the connection (has_real_ids): real ids equal to the effective ids it
 * connected with are taken as they are; others only when /proc/PID/status,
 * read now, shows those real ids with the effective ids it connected with,
 * the process still alive and running the executable attested (a setuid
 * program).  Later messages must carry the settled ids.
 * Return: 0 when they may, IDENTITY_E_GONE when not, or -errno.
 */
int identity_learn_real_ids(Identity *id, uid_t ruid, gid_t rgid);

enum {
        IDENTITY_READ_CGROUP = 1 << 2, /* identity_attest(): read the cgroup (has_cgroup) */
        IDENTITY_RESOLVE_NAMES =
                1 << 0, /* user and group names through NSS (else the caller set them) */
        IDENTITY_OPEN_EXE = 1 << 1, /* open exe_fd (identity_open_exe()) */
};

/*
 * identity_finish() - the steps of attestation that may wait: check that
 * the executable's path names, in the agent's namespace, the file the
 * process runs (a path lookup: is_exe_path_verified), then per @flags
 * resolve names and open the executable; then build the key.
 * @id: from identity_attest(); names already set unless IDENTITY_RESOLVE_NAMES
 * Return: 0, IDENTITY_E_GONE, IDENTITY_E_EXE_CHANGED, or -errno.
 */
int identity_finish(Identity *id, unsigned flags);

/*
 * identity_open_exe() - open the executable @id runs (for hashing) through
 * proc_fd, and check it is the file attested (device and inode).  Opening
 * may wait on the file's filesystem.  Nothing to do (0) when it is open
 * already, when there is no key, or when the agent may not open it.
 * Return: 0, IDENTITY_E_EXE_CHANGED, IDENTITY_E_GONE, or -errno.
 */
int identity_open_exe(Identity *id);

/*
 * identity_from_socket() - identity_attest() from the socket's own
 * SO_PEERCRED, then identity_finish() resolving names and opening the
 * executable.  Blocks on NSS: not for the loop.
 * Return: as identity_attest() and identity_finish().
 */
int identity_from_socket(int fd, Identity *id);

/*
 * identity_check_alive() - is @id's process still the one attested?
 * @id: an attested identity
 * Return: 0 when the pidfd's process is alive, IDENTITY_E_GONE otherwise,
 *         or -errno.
 */
int identity_check_alive(const Identity *id);

/*
 * identity_check_exe() - is @id's process still alive and running the
 * executable it was attested with (same device and inode)?  Two system calls:
 * poll() on the pidfd and fstatat() of /proc/PID/exe through proc_fd.  For
 * requests whose answer depends on the executable.
 * @id: an attested identity
 * Return: 0, IDENTITY_E_GONE, IDENTITY_E_EXE_CHANGED (an execve() since), or -errno.
 */
int identity_check_exe(const Identity *id);

/*
 * identity_unit_from_cgroup() - derive the systemd unit from a cgroup v2 path.
 * @cgroup: e.g. "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service"
 * @unit: receives the unit name ("" when the path is in no unit)
 * @unit_size: size of @unit
 * @is_user_unitp: receives true when the unit belongs to a user manager
 * Return: 0, or -ENAMETOOLONG when the unit name does not fit.
 */
int identity_unit_from_cgroup(const char *cgroup, char *unit, size_t unit_size,
                              bool *is_user_unitp);

/*
 * identity_build_key() - (re)build @id->key from uid, gid, unit and
 * executable as identity_finish() does, for an identity put together by
 * hand (a login's, handlers_login.c).  Return: 0 or -ENOMEM.
 */
int identity_build_key(Identity *id);

/*
 * identity_deinit() - close the fds and free the allocations of @id, leaving
 * it as IDENTITY_INIT (safe to call twice).
 */
void identity_deinit(Identity *id);

/*
 * identity_close_fds() - close the pidfd, the /proc/PID directory and the
 * executable of @id, keeping everything read through them.  For a connection
 * that has closed: nothing can be checked against the process any more, and
 * its descriptors go back at once rather than when the last reference goes.
 */
void identity_close_fds(Identity *id);

/*
 * identity_release() - close the fds and free the allocations of @id, whose
 * memory is freed right after: nothing is reset (use identity_deinit()
 * for an Identity that lives on).
 */
void identity_release(Identity *id);
