/* SPDX-License-Identifier: MIT */
/*
 * client.c - the roled_client object and its connection to the agent.
 *
 * Owns finding the socket, trusting it both ways (file and directory owners
 * before connect(), SO_PEERCRED after, as sssd's client does), and one
 * request/response round trip with a poll() deadline, using the shared codec
 * in proto/ for framing (scan_feed) and envelopes (proto_decode).  What the
 * calls send and how results are read lives in creds.c, info.c and verify.c.
 */
#include "client.h"

#include "agentuser.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#define RBUF_INITIAL 4096

static __thread char tls_error[CLIENT_ERROR_MAX];
static __thread const roled_client *tls_owner;

void client_set_error(const roled_client *c, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(tls_error, sizeof(tls_error), fmt, ap);
        va_end(ap);
        /* The text ends up on one stderr line of rolectl: no control characters. */
        for (char *p = tls_error; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        tls_owner = c;
}

void client_clear_error(const roled_client *c)
{
        tls_error[0] = '\0';
        tls_owner = c;
}

ROLED_EXPORT const char *roled_client_last_error(roled_client *client)
{
        return tls_owner == client ? tls_error : "";
}

ROLED_EXPORT const char *roled_client_socket_path(roled_client *client)
{
        return client ? client->path : "";
}

ROLED_EXPORT void roled_client_set_timeout(roled_client *client, int timeout_ms)
{
        if (!client)
                return;
        pthread_mutex_lock(&client->lock);
        client->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_DEFAULT_MS;
        pthread_mutex_unlock(&client->lock);
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

/*
 * connect_path() - trust-check and connect to @path.
 * Return: ROLED_OK with *@fdp set, ROLED_E_NO_AGENT (errno in *@errp),
 * ROLED_E_UNTRUSTED_AGENT, or ROLED_E_NOMEM; the thread's error says why.
 */
static roled_status connect_path(const char *path, int *fdp, int *errp)
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
                client_set_error(NULL, "cannot reach roled at %s: %s", path, strerror(-r));
                return ROLED_E_NO_AGENT;
        }
        if (r > 0) {
                client_set_error(NULL, "refusing untrusted roled socket %s: %s", path, why);
                return ROLED_E_UNTRUSTED_AGENT;
        }
        /* Non-blocking: every wait goes through poll() with the request deadline. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                *errp = errno;
                client_set_error(NULL, "cannot reach roled at %s: %s", path, strerror(errno));
                return errno == ENOMEM || errno == ENOBUFS ? ROLED_E_NOMEM : ROLED_E_NO_AGENT;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        /* A Unix stream connect() completes or fails at once, except EAGAIN when the backlog is full. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                *errp = errno;
                client_set_error(NULL, "cannot reach roled at %s: %s", path, strerror(errno));
                return ROLED_E_NO_AGENT;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) {
                *errp = errno;
                client_set_error(NULL, "cannot reach roled at %s: %s", path, strerror(errno));
                return ROLED_E_NO_AGENT;
        }
        if (!owner_ok(cred.uid, euid)) {
                client_set_error(NULL, "refusing untrusted roled at %s: peer runs as uid %u",
                                 path, (unsigned)cred.uid);
                return ROLED_E_UNTRUSTED_AGENT;
        }
        *fdp = fd;
        fd = -1;
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_client_connect(const char *socket_path, roled_client **clientp)
{
        SocketList l;
        roled_client *c;
        roled_status st = ROLED_E_NO_AGENT;
        int fd = -1, err = 0;
        size_t i;

        client_clear_error(NULL);
        if (!clientp)
                return ROLED_E_INVALID_ARGUMENT;
        if (socket_path) {
                l.n = 0;
                if (!*socket_path || strlen(socket_path) >= CLIENT_PATH_MAX) {
                        client_set_error(NULL, "socket path is empty or too long");
                        return ROLED_E_INVALID_ARGUMENT;
                }
                memcpy(l.path[0], socket_path, strlen(socket_path) + 1);
                l.n = 1;
        } else {
                client_socket_search(&l);
                if (l.n == 0) {
                        client_set_error(NULL, "socket path in ROLED_SOCKET or XDG_RUNTIME_DIR is too long");
                        return ROLED_E_NO_AGENT;
                }
        }
        for (i = 0; i < l.n; i++) {
                st = connect_path(l.path[i], &fd, &err);
                /* Fall through to the next candidate only when nothing is there at all. */
                if (st != ROLED_E_NO_AGENT || (err != ENOENT && err != ECONNREFUSED))
                        break;
        }
        if (st != ROLED_OK)
                return st;
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return ROLED_E_NOMEM;
        }
        pthread_mutex_init(&c->lock, NULL);
        c->fd = fd;
        c->pid = getpid();
        c->timeout_ms = CLIENT_TIMEOUT_DEFAULT_MS;
        memcpy(c->path, l.path[i < l.n ? i : 0], CLIENT_PATH_MAX);
        *clientp = c;
        return ROLED_OK;
}

static void drop_connection(roled_client *c)
{
        c->fd = safe_close(c->fd);
        if (c->rbuf)
                sodium_memzero(c->rbuf, c->rsize);
        c->rlen = 0;
}

ROLED_EXPORT void roled_client_close(roled_client *client)
{
        if (!client)
                return;
        drop_connection(client);
        free(client->rbuf);
        creds_cache_clear(client);
        pthread_mutex_destroy(&client->lock);
        free(client);
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_fd() - poll @fd for @events until @deadline.  Return: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
        struct pollfd p = { .fd = fd, .events = events };

        for (;;) {
                int64_t left = deadline - now_ms();
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
                if (r > 0)
                        return 0;
                if (r == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

                if (w < 0) {
                        int r;

                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* grow() - make room to receive more; secrets never stay behind in a freed buffer. */
static int grow(roled_client *c)
{
        size_t size = c->rsize ? c->rsize * 2 : RBUF_INITIAL;
        uint8_t *p;

        if (size > PROTO_MESSAGE_MAX)
                size = PROTO_MESSAGE_MAX;
        p = malloc(size);
        if (!p)
                return -ENOMEM;
        if (c->rbuf) {
                memcpy(p, c->rbuf, c->rlen);
                sodium_memzero(c->rbuf, c->rsize);
                free(c->rbuf);
        }
        c->rbuf = p;
        c->rsize = size;
        return 0;
}

/* consume() - drop the first @n bytes of the receive buffer and wipe what they left behind. */
static void consume(roled_client *c, size_t n)
{
        memmove(c->rbuf, c->rbuf + n, c->rlen - n);
        sodium_memzero(c->rbuf + c->rlen - n, n);
        c->rlen -= n;
}

/* One attempt at a round trip; *@is_retryablep tells whether the agent went away before answering. */
static roled_status round_trip(roled_client *c, const ProtoBuf *req, uint32_t msgid,
                               int64_t deadline, ClientReply *rep, bool *is_retryablep)
{
        bool got_bytes = false;
        Scan scan;
        int r;

        *is_retryablep = false;
        r = send_all(c->fd, req->data, req->len, deadline);
        if (r == -ETIMEDOUT)
                goto timeout;
        if (r < 0) {
                *is_retryablep = r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN;
                client_set_error(c, "sending to roled at %s: %s", c->path, strerror(-r));
                return ROLED_E_IO;
        }
        scan_init(&scan, PROTO_MESSAGE_MAX);
        for (;;) {
                size_t len;
                ssize_t n;

                if (c->rlen > 0) {
                        r = scan_feed(&scan, c->rbuf, c->rlen, &len);
                        if (r == 0) {
                                msgpack_zone_init(&rep->zone, 2048);
                                rep->has_zone = true;
                                rep->msg_len = len;
                                if (proto_decode(c->rbuf, len, &rep->zone, &rep->obj, &rep->msg) != 0) {
                                        client_set_error(c, "roled sent a malformed message");
                                        return ROLED_E_PROTOCOL;
                                }
                                /*
                                 * Only the response to the request in flight is ours; msgid 0
                                 * carries the agent's last word before it closes the
                                 * connection.  Notifications and stale answers are skipped.
                                 */
                                if (rep->msg.type == PROTO_RESPONSE &&
                                    (rep->msg.msgid == msgid ||
                                     (rep->msg.msgid == 0 && rep->msg.error)))
                                        return ROLED_OK;
                                client_reply_done(c, rep);
                                scan_init(&scan, PROTO_MESSAGE_MAX);
                                continue;
                        }
                        if (r != SCAN_E_INCOMPLETE) {
                                client_set_error(c, "roled sent a %s message",
                                                 r == SCAN_E_TOO_LARGE ? "too large" : "malformed");
                                return ROLED_E_PROTOCOL;
                        }
                }
                if (c->rlen == c->rsize) {
                        if (c->rsize >= PROTO_MESSAGE_MAX) {
                                client_set_error(c, "roled sent a too large message");
                                return ROLED_E_PROTOCOL;
                        }
                        if (grow(c) < 0)
                                return ROLED_E_NOMEM;
                }
                /* Wait first: right after a send or a partial message, recv() would say EAGAIN. */
                r = wait_fd(c->fd, POLLIN, deadline);
                if (r == -ETIMEDOUT)
                        goto timeout;
                if (r < 0) {
                        client_set_error(c, "waiting for roled: %s", strerror(-r));
                        return ROLED_E_IO;
                }
                n = recv(c->fd, c->rbuf + c->rlen, c->rsize - c->rlen, 0);
                if (n > 0) {
                        c->rlen += (size_t)n;
                        got_bytes = true;
                        continue;
                }
                if (n == 0) {
                        *is_retryablep = !got_bytes;
                        client_set_error(c, "roled at %s closed the connection", c->path);
                        return ROLED_E_IO;
                }
                if (errno == EINTR || errno == EAGAIN)
                        continue;
                *is_retryablep = !got_bytes && errno == ECONNRESET;
                client_set_error(c, "receiving from roled at %s: %s", c->path, strerror(errno));
                return ROLED_E_IO;
        }
timeout:
        client_set_error(c, "no answer from roled at %s within %d ms", c->path, c->timeout_ms);
        return ROLED_E_TIMEOUT;
}

static roled_status reconnect(roled_client *c)
{
        int fd, err;
        roled_status st;

        drop_connection(c);
        st = connect_path(c->path, &fd, &err);
        if (st != ROLED_OK) {
                /* connect_path() wrote the reason for a NULL client; hand it to this one. */
                tls_owner = c;
                return st;
        }
        c->fd = fd;
        c->pid = getpid();
        return ROLED_OK;
}

roled_status client_call(roled_client *c, const char *method, ClientPackFn pack, const void *arg,
                         bool is_secret, ClientReply *rep)
{
        ProtoBuf req;
        int64_t deadline = now_ms() + c->timeout_ms;
        roled_status st;
        uint32_t msgid;
        bool is_retryable;

        client_clear_error(c);
        *rep = (ClientReply)CLIENT_REPLY_INIT;
        if (++c->msgid == 0)
                c->msgid = 1;
        msgid = c->msgid;
        proto_buf_init(&req, is_secret);
        proto_pack_request(&req, msgid, method);
        if (pack)
                pack(&req, arg);
        else
                msgpack_pack_map(&req.pk, 0);
        if (req.is_oom) {
                proto_buf_deinit(&req);
                return ROLED_E_NOMEM;
        }
        /*
         * The agent serves a connection only to the process it attested (it
         * checks the sender of every message): after fork() the child makes
         * its own.  Closing our copy leaves the parent's connection alone.
         */
        if (c->fd >= 0 && c->pid != getpid())
                drop_connection(c);
        for (int attempt = 0;; attempt++) {
                if (c->fd < 0) {
                        st = reconnect(c);
                        if (st != ROLED_OK)
                                break;
                }
                st = round_trip(c, &req, msgid, deadline, rep, &is_retryable);
                if (st == ROLED_OK || attempt > 0 || !is_retryable) {
                        if (st != ROLED_OK)
                                break;
                        goto answered;
                }
                /* The agent closed an idle connection or restarted: reconnect once. */
                drop_connection(c);
        }
        /* A failed exchange leaves the stream in an unknown state: start over next time. */
        client_reply_done(c, rep);
        drop_connection(c);
        proto_buf_deinit(&req);
        return st;

answered:
        proto_buf_deinit(&req);
        /* A retry that succeeded leaves no error behind. */
        client_clear_error(c);
        if (rep->msg.error) {
                ProtoError e = proto_error_code(rep->msg.error);
                size_t len;
                const char *m = proto_error_message(rep->msg.error, &len);

                client_set_error(c, "%.*s", (int)(len > CLIENT_ERROR_MAX ? CLIENT_ERROR_MAX : len), m);
                st = status_from_proto(e);
                /* msgid 0: the agent is closing this connection. */
                if (rep->msg.msgid == 0) {
                        client_reply_done(c, rep);
                        drop_connection(c);
                } else {
                        client_reply_done(c, rep);
                }
                return st == ROLED_OK ? ROLED_E_PROTOCOL : st;
        }
        if (!rep->msg.result || rep->msg.result->type != MSGPACK_OBJECT_MAP) {
                client_reply_done(c, rep);
                client_set_error(c, "roled sent a response without a result map");
                return ROLED_E_PROTOCOL;
        }
        return ROLED_OK;
}

void client_reply_done(roled_client *c, ClientReply *rep)
{
        if (rep->has_zone) {
                msgpack_zone_destroy(&rep->zone);
                rep->has_zone = false;
        }
        if (rep->msg_len) {
                consume(c, rep->msg_len);
                rep->msg_len = 0;
        }
}
