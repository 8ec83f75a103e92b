/* SPDX-License-Identifier: MIT */
/*
 * listener.c - the listening socket (see listener.h).
 *
 * libuv 1.44's uv_pipe_bind() silently truncates long paths and reports a
 * missing directory as EACCES, so the length and the directory are checked
 * here first.  A socket file left by a crashed agent is replaced; one that
 * still answers is another running agent and is left alone.
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SD_LISTEN_FDS_START 3

int listener_activation_fd(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        int fd = -1;

        if (pid && fds && strtol(pid, NULL, 10) == (long)getpid() && strtol(fds, NULL, 10) >= 1) {
                struct stat st;

                if (fstat(SD_LISTEN_FDS_START, &st) == 0 && S_ISSOCK(st.st_mode)) {
                        fd = SD_LISTEN_FDS_START;
                        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
                }
        }
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return fd;
}

/* Make sure the socket's directory exists with the right owner and mode. */
static int prepare_dir(const char *path, bool is_shared, char *errbuf, size_t errlen)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash;
        struct stat st;
        mode_t mode = is_shared ? 0755 : 0700;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (mkdir(dir, mode) < 0 && errno != EEXIST) {
                snprintf(errbuf, errlen, "cannot create %s: %s", dir, strerror(errno));
                return LISTENER_E_PATH;
        }
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                snprintf(errbuf, errlen, "%s is not a directory", dir);
                return LISTENER_E_PATH;
        }
        if (st.st_uid != getuid() && st.st_uid != 0) {
                snprintf(errbuf, errlen, "%s belongs to uid %u, not to us or root", dir,
                         (unsigned)st.st_uid);
                return LISTENER_E_PATH;
        }
        if ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX)) {
                snprintf(errbuf, errlen, "%s is writable by others", dir);
                return LISTENER_E_PATH;
        }
        /* A directory we just created (or own) gets the mode the mode asks for. */
        if (st.st_uid == getuid() && (st.st_mode & 07777) != mode && !(st.st_mode & S_ISVTX))
                (void)chmod(dir, mode);
        return 0;
}

/* Is something answering on @path?  Return: 1 yes, 0 no (stale), negative on error. */
static int probe(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return 1;
        return (errno == ECONNREFUSED || errno == ENOENT) ? 0 : -errno;
}

static void on_backoff(uv_timer_t *t)
{
        Listener *l = t->data;

        if (!l->is_open || !l->is_deferred)
                return;
        if (l->may_accept && !l->may_accept(l->userdata)) {
                uv_timer_start(&l->backoff, on_backoff, LISTENER_BACKOFF_MS, 0);
                return;
        }
        /* Taking the waiting connection (uv_accept()) makes libuv watch the socket again. */
        l->is_deferred = false;
        l->on_connection(l->userdata, (uv_stream_t *)&l->pipe);
}

void listener_defer(Listener *l)
{
        if (!l->is_open || l->is_deferred)
                return;
        l->is_deferred = true;
        uv_timer_start(&l->backoff, on_backoff, LISTENER_BACKOFF_MS, 0);
}

/*
 * After the poll phase, whose events (hang-ups, requests) were served: a new
 * burst.  The connection held back is taken now, which makes libuv watch
 * the listening socket again.
 */
static void on_next_burst(uv_check_t *h)
{
        Listener *l = h->data;

        l->n_burst = 0;
        if (!l->is_open || !l->is_held)
                return;
        l->is_held = false;
        if (l->may_accept && !l->may_accept(l->userdata)) {
                l->is_deferred = true;
                uv_timer_start(&l->backoff, on_backoff, LISTENER_BACKOFF_MS, 0);
                return;
        }
        l->n_burst++;
        l->on_connection(l->userdata, (uv_stream_t *)&l->pipe);
}

static void on_connection(uv_stream_t *server, int status)
{
        Listener *l = server->data;

        if (status < 0) {
                /*
                 * EMFILE/ENFILE: libuv has already dropped what waited in the
                 * backlog (its spare-descriptor trick).  Rate-limited: a flood
                 * must not become a flood of log lines.
                 */
                log_warning_ratelimited("accept failed: %s", uv_strerror(status));
                return;
        }
        if (l->may_accept && !l->may_accept(l->userdata)) {
                if (!l->is_deferred)
                        log_warning_ratelimited(
                                "no room for another connection (descriptors or "
                                "attestations at their limit): accepting again later");
                l->is_deferred = true;
                uv_timer_start(&l->backoff, on_backoff, LISTENER_BACKOFF_MS, 0);
                return;
        }
        if (l->n_burst >= LISTENER_ACCEPT_BURST) {
                /* Not taken: libuv stops watching the socket until on_next_burst() takes it. */
                l->is_held = true;
                return;
        }
        l->n_burst++;
        l->on_connection(l->userdata, server);
}

int listener_open(Listener *l, uv_loop_t *loop, const char *path, bool is_shared, char *errbuf,
                  size_t errlen)
{
        struct sockaddr_un sa;
        struct stat st;
        int fd, r;

        r = uv_pipe_init(loop, &l->pipe, 0);
        if (r < 0)
                return r;
        l->pipe.data = l;
        uv_timer_init(loop, &l->backoff);
        l->backoff.data = l;
        uv_check_init(loop, &l->next_burst);
        l->next_burst.data = l;
        uv_check_start(&l->next_burst, on_next_burst);
        uv_unref((uv_handle_t *)&l->next_burst);
        l->is_open = true;

        fd = listener_activation_fd();
        if (fd >= 0) {
                r = uv_pipe_open(&l->pipe, fd);
                if (r < 0)
                        return r;
                l->is_activated = true;
                log_info("listening on the socket passed by systemd");
        } else {
                if (!path || strlen(path) >= sizeof(sa.sun_path)) {
                        snprintf(errbuf, errlen, "socket path is longer than %zu bytes",
                                 sizeof(sa.sun_path) - 1);
                        return LISTENER_E_PATH;
                }
                r = prepare_dir(path, is_shared, errbuf, errlen);
                if (r)
                        return r;
                if (lstat(path, &st) == 0) {
                        if (!S_ISSOCK(st.st_mode)) {
                                snprintf(errbuf, errlen, "%s exists and is not a socket", path);
                                return LISTENER_E_PATH;
                        }
                        r = probe(path);
                        if (r == 1) {
                                snprintf(errbuf, errlen, "another agent is listening on %s", path);
                                return LISTENER_E_IN_USE;
                        }
                        log_info("replacing stale socket %s", path);
                        if (unlink(path) < 0 && errno != ENOENT)
                                return -errno;
                }
                r = uv_pipe_bind(&l->pipe, path);
                if (r < 0) {
                        snprintf(errbuf, errlen, "cannot bind %s: %s", path, uv_strerror(r));
                        return r;
                }
                l->path = strdup(path);
                if (!l->path)
                        return -ENOMEM;
                if (chmod(path, is_shared ? 0666 : 0600) < 0)
                        return -errno;
        }
        /*
         * Accepted sockets inherit SO_PASSCRED from the listener, so every
         * byte a client sends, even before accept() and before attestation,
         * carries its sender (conn.c checks each chunk against the attested
         * process).
         */
        r = uv_fileno((uv_handle_t *)&l->pipe, &fd);
        if (r < 0)
                return r;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0) {
                r = -errno;
                snprintf(errbuf, errlen, "cannot set SO_PASSCRED: %s", strerror(-r));
                return r;
        }
        r = uv_listen((uv_stream_t *)&l->pipe, 511, on_connection);
        if (r < 0) {
                snprintf(errbuf, errlen, "cannot listen: %s", uv_strerror(r));
                return r;
        }
        return 0;
}

void listener_close(Listener *l)
{
        if (!l->is_open)
                return;
        l->is_open = false;
        if (l->path) {
                (void)unlink(l->path);
                free(l->path);
                l->path = NULL;
        }
        if (!uv_is_closing((uv_handle_t *)&l->pipe))
                uv_close((uv_handle_t *)&l->pipe, NULL);
        if (!uv_is_closing((uv_handle_t *)&l->backoff))
                uv_close((uv_handle_t *)&l->backoff, NULL);
        if (!uv_is_closing((uv_handle_t *)&l->next_burst))
                uv_close((uv_handle_t *)&l->next_burst, NULL);
}
