/* SPDX-License-Identifier: MIT */
/*
 * client.c - the roled_client object: finding the socket, trusting it both
 * ways (file and directory owners before connect(), SO_PEERCRED after, as
 * sssd's client does), the client's life from connect to close, and fork
 * detection.  Talking over the connection is io.c's.
 *
 * Fork: a client belongs to the process that created it.  A child that uses
 * its parent's client gets ROLED_E_FORKED from every call (it would
 * otherwise share the parent's connection, and with it the parent's attested
 * identity and answers); it creates its own client.  roled_client_close() in
 * the child only releases descriptors and memory.
 */
#include "client.h"

#include "agentuser.h"

#include <limits.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sodium.h>

static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
        atomic_fetch_add(&fork_generation, 1);
}

static void register_atfork(void)
{
        (void)pthread_atfork(NULL, NULL, on_fork_child);
}

int64_t client_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

roled_status client_check(const roled_client *c, roled_error *err)
{
        if (!c)
                return error_set(err, ROLED_E_INVALID_ARGUMENT, "no client given");
        if (atomic_load_explicit(&fork_generation, memory_order_relaxed) != c->fork_generation)
                return error_set(err, ROLED_E_FORKED,
                                 "this roled_client was created before fork(); connect a new one "
                                 "in this process");
        return ROLED_OK;
}

ROLED_EXPORT const char *roled_client_socket_path(const roled_client *client)
{
        return client ? client->path : "";
}

static bool add_path(SocketList *l, const char *a, const char *b)
{
        int n = snprintf(l->path[l->n], CLIENT_PATH_MAX, "%s%s", a, b);

        if (n < 0 || (size_t)n >= CLIENT_PATH_MAX)
                return false;
        l->n++;
        return true;
}

void client_socket_search(SocketList *l)
{
        const char *env = getenv("ROLED_SOCKET");
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        l->n = 0;
        if (env && *env) {
                /* An explicit choice is not second-guessed by falling back elsewhere. */
                add_path(l, env, "");
                return;
        }
        if (xdg && xdg[0] == '/')
                add_path(l, xdg, "/roled/roled.sock");
        add_path(l, ROLED_RUNDIR, "/roled.sock");
}

#ifndef ROLED_STATEDIR
#define ROLED_STATEDIR "/var/lib/roled"
#endif

/* Root, the caller itself, or the user the system agent runs as (agentuser.h). */
static bool owner_ok(uid_t owner, uid_t euid)
{
        return owner == 0 || owner == euid || agentuser_is(owner, ROLED_STATEDIR);
}

int client_check_trust(const char *path, uid_t euid, char *why, size_t why_size)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISSOCK(st.st_mode)) {
                snprintf(why, why_size, "not a socket");
                return 1;
        }
        if (!owner_ok(st.st_uid, euid)) {
                snprintf(why, why_size, "socket owned by uid %u", (unsigned)st.st_uid);
                return 1;
        }
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else if (slash == path)
                snprintf(dir, sizeof(dir), "/");
        else
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode)) {
                snprintf(why, why_size, "%s is not a directory", dir);
                return 1;
        }
        if (!owner_ok(st.st_uid, euid)) {
                snprintf(why, why_size, "directory %s owned by uid %u", dir, (unsigned)st.st_uid);
                return 1;
        }
        if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
                snprintf(why, why_size, "directory %s is writable by others", dir);
                return 1;
        }
        return 0;
}

roled_status client_connect_path(const char *path, int *fdp, int *errp, roled_error *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct ucred cred;
        socklen_t cred_len = sizeof(cred);
        uid_t euid = geteuid();
        char why[PATH_MAX + 64];
        int r;

        *errp = 0;
        r = client_check_trust(path, euid, why, sizeof(why));
        if (r < 0) {
                *errp = -r;
                return error_set(err, ROLED_E_NO_AGENT, "cannot reach roled at %s: %s", path,
                                 strerror(-r));
        }
        if (r > 0)
                return error_set(err, ROLED_E_UNTRUSTED_AGENT,
                                 "refusing untrusted roled socket %s: %s", path, why);
        /* Non-blocking: every wait goes through poll() or the caller's event loop. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                *errp = errno;
                return error_set(
                        err, errno == ENOMEM || errno == ENOBUFS ? ROLED_E_NOMEM : ROLED_E_NO_AGENT,
                        "cannot reach roled at %s: %s", path, strerror(*errp));
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        /* A Unix stream connect() completes or fails at once, except EAGAIN when the backlog is
         * full. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) {
                *errp = errno;
                return error_set(err, ROLED_E_NO_AGENT, "cannot reach roled at %s: %s", path,
                                 strerror(*errp));
        }
        if (!owner_ok(cred.uid, euid))
                return error_set(err, ROLED_E_UNTRUSTED_AGENT,
                                 "refusing untrusted roled at %s: peer runs as uid %u", path,
                                 (unsigned)cred.uid);
        *fdp = fd;
        fd = -1;
        return ROLED_OK;
}

/* new_client() - the object with its locks and descriptors, not yet connected. */
static roled_status new_client(const char *path, int timeout_ms, roled_client **cp,
                               roled_error *err)
{
        roled_client *c = calloc(1, sizeof(*c));
        pthread_condattr_t ca;
        struct epoll_event ev = { .events = EPOLLIN };

        if (!c)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        c->fork_generation = atomic_load(&fork_generation);
        c->fd = c->epfd = c->notify_fd = c->wake_fd = -1;
        c->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_DEFAULT_MS;
        memcpy(c->path, path, strlen(path) + 1);
        pthread_mutex_init(&c->io, NULL);
        pthread_mutex_init(&c->cache_lock, NULL);
        pthread_mutex_init(&c->keys_lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->cond, &ca);
        pthread_condattr_destroy(&ca);
        proto_buf_init(&c->wbuf, true);
        c->epfd = epoll_create1(EPOLL_CLOEXEC);
        c->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ev.data.fd = c->notify_fd;
        if (c->epfd < 0 || c->notify_fd < 0 || c->wake_fd < 0 ||
            epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->notify_fd, &ev) < 0) {
                int e = errno;

                roled_client_close(c);
                return error_set(err, e == ENOMEM ? ROLED_E_NOMEM : ROLED_E_IO,
                                 "cannot create the client's descriptors: %s", strerror(e));
        }
        *cp = c;
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_client_connect(const roled_client_options *opts,
                                               roled_client **clientp, roled_error *err)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_client *c = NULL;
        roled_status st = ROLED_E_NO_AGENT;
        SocketList l = { .n = 0 };
        int fd = -1, e = 0;
        size_t i;

        if (clientp)
                *clientp = NULL;
        if (!clientp)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_client_connect(): clientp is NULL");
        if (opts) {
                if (opts->size < sizeof(size_t))
                        return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                         "roled_client_connect(): options without a size (use "
                                         "ROLED_CLIENT_OPTIONS_INIT)");
                memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
        }
        pthread_once(&atfork_once, register_atfork);
        if (o.socket_path) {
                size_t len = strlen(o.socket_path);

                if (len == 0 || len >= CLIENT_PATH_MAX)
                        return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                         "socket path is empty or longer than %zu bytes",
                                         CLIENT_PATH_MAX - 1);
                memcpy(l.path[0], o.socket_path, len + 1);
                l.n = 1;
        } else {
                client_socket_search(&l);
                if (l.n == 0)
                        return error_set(
                                err, ROLED_E_NO_AGENT,
                                "socket path in ROLED_SOCKET or XDG_RUNTIME_DIR is too long");
        }
        for (i = 0; i < l.n; i++) {
                st = client_connect_path(l.path[i], &fd, &e, err);
                /* Fall through to the next candidate only when nothing is there at all. */
                if (st != ROLED_E_NO_AGENT || (e != ENOENT && e != ECONNREFUSED))
                        break;
        }
        if (st != ROLED_OK)
                return st;
        st = new_client(l.path[i], o.timeout_ms, &c, err);
        if (st != ROLED_OK) {
                safe_close(fd);
                return st;
        }
        c->fd = fd;
        {
                struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

                if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        st = error_set(err, ROLED_E_IO, "epoll_ctl: %s", strerror(errno));
                        roled_client_close(c);
                        return st;
                }
        }
        *clientp = c;
        return ROLED_OK;
}

ROLED_EXPORT void roled_client_close(roled_client *client)
{
        bool is_child;

        if (!client)
                return;
        is_child = atomic_load(&fork_generation) != client->fork_generation;
        io_close(client, is_child);
        /* Nobody else uses the client now (the contract), so the cache needs no lock. */
        creds_cache_clear(client);
        if (!is_child) {
                pthread_mutex_destroy(&client->io);
                pthread_mutex_destroy(&client->cache_lock);
                pthread_mutex_destroy(&client->keys_lock);
                pthread_cond_destroy(&client->cond);
        }
        sodium_memzero(client->keys, sizeof(client->keys));
        free(client);
}
