/* SPDX-License-Identifier: MIT */
/*
 * client.h - libroled internals: the roled_client object, the trusted
 * connection and one request/response round trip over the shared codec.
 *
 * client.c owns the socket (search order, trust checks, SO_PEERCRED, poll()
 * timeouts, transparent reconnect) and the per-thread error text; creds.c owns
 * the credential cache, info.c the small calls, verify.c the token keys.
 * Nothing here is exported: only roled_* in roled.h is.
 */
#pragma once

#include <msgpack.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

#include "roled/roled.h"
#include "rpc.h"
#include "scan.h"
#include "token.h"
#include "util.h"

#define CLIENT_TIMEOUT_DEFAULT_MS 5000
#define CLIENT_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define CLIENT_ERROR_MAX 512
#define CLIENT_CACHE_MAX 16 /* credential cache entries per client */
#define CLIENT_KEYS_MAX 16  /* cached token verification keys */
#define CLIENT_KEYS_TTL 300 /* seconds before public keys are fetched again */

/* One cached credential set, keyed by (role, duration, session policy). */
typedef struct CacheEntry {
        char *role;   /* "" for the default role */
        uint32_t duration_seconds;
        char *policy; /* NULL when none; compared in full, so no digest collisions */
        time_t refresh_at; /* serve from the cache while now < refresh_at */
        roled_credentials creds;
} CacheEntry;

struct roled_client {
        pthread_mutex_t lock; /* the socket, msgid, receive buffer, cache and keys */
        int fd;               /* -1 while disconnected */
        pid_t pid;            /* the process that connected fd: a forked child reconnects */
        char path[CLIENT_PATH_MAX];
        uint32_t msgid;       /* last msgid sent; 0 is never used */
        int timeout_ms;
        uint8_t *rbuf;        /* received, not yet consumed bytes; wiped once consumed */
        size_t rlen, rsize;
        CacheEntry cache[CLIENT_CACHE_MAX];
        size_t n_cache;
        TokenPublicKey keys[CLIENT_KEYS_MAX];
        size_t n_keys;
        time_t keys_fetched;  /* 0: never */
};

/* The candidate socket paths, in search order. */
typedef struct SocketList {
        char path[3][CLIENT_PATH_MAX];
        size_t n;
} SocketList;

/*
 * client_socket_search() - the socket paths to try, in order: $ROLED_SOCKET
 * alone when set (non-empty), else $XDG_RUNTIME_DIR/roled/roled.sock (when
 * XDG_RUNTIME_DIR is an absolute path) and then the system socket.  A path
 * too long for sun_path is left out.
 */
void client_socket_search(SocketList *l);

/*
 * client_check_trust() - lstat() the socket at @path and its directory.
 * @euid: the uid (besides root) allowed to own them
 * @why, @why_size: on 1, why the socket is not trusted
 *
 * Return: 0 when both are owned by root or @euid, @path is a socket and the
 * directory is not writable by others (unless sticky); 1 when not; -errno
 * when lstat() fails.
 */
int client_check_trust(const char *path, uid_t euid, char *why, size_t why_size);

/* A decoded response; borrows the client's receive buffer until client_reply_done(). */
typedef struct ClientReply {
        msgpack_zone zone;
        msgpack_object obj;
        ProtoMsg msg;
        size_t msg_len; /* bytes of rbuf it occupies */
        bool has_zone;
} ClientReply;

#define CLIENT_REPLY_INIT { .has_zone = false }

/* Packs the params map of a request; @arg is the caller's. */
typedef void (*ClientPackFn)(ProtoBuf *b, const void *arg);

/*
 * client_call() - one request and its response; the caller holds c->lock.
 * @c:         the client (reconnected once, transparently, if the agent went away)
 * @method:    the wire method name
 * @pack:      packs the params map, or NULL for an empty one
 * @arg:       passed to @pack
 * @is_secret: the request carries a secret (a token or policy): wipe its buffer
 * @rep:       on ROLED_OK, the response, whose result map is rep->msg.result;
 *             the caller copies what it needs and then calls client_reply_done()
 *
 * Return: ROLED_OK, the agent's error mapped to a roled_status (message in the
 * thread's last error), ROLED_E_IO, ROLED_E_TIMEOUT, ROLED_E_PROTOCOL,
 * ROLED_E_NO_AGENT, ROLED_E_UNTRUSTED_AGENT or ROLED_E_NOMEM.
 */
roled_status client_call(roled_client *c, const char *method, ClientPackFn pack, const void *arg,
                         bool is_secret, ClientReply *rep);

/* client_reply_done() - free @rep's zone and wipe and drop its bytes from the receive buffer. */
void client_reply_done(roled_client *c, ClientReply *rep);

/* client_set_error() - set this thread's last error for @c (NULL: for a failed connect). */
void client_set_error(const roled_client *c, const char *fmt, ...) _printf_(2, 3);
/* client_clear_error() - forget this thread's last error. */
void client_clear_error(const roled_client *c);

/* status_from_proto() - the roled_status for an agent error code. */
roled_status status_from_proto(ProtoError e);

/*
 * Result-map readers: copy field @key into @dst[@size] / *@vp.  Return:
 * ROLED_OK, or ROLED_E_PROTOCOL (with @c's error set) when the field is
 * absent, mistyped or too long.  The _opt variants give "" / 0 when absent.
 */
roled_status result_str(roled_client *c, const msgpack_object *map, const char *key, char *dst,
                        size_t size);
roled_status result_str_opt(roled_client *c, const msgpack_object *map, const char *key,
                            char *dst, size_t size);
roled_status result_u32(roled_client *c, const msgpack_object *map, const char *key, uint32_t *vp);
roled_status result_u32_opt(roled_client *c, const msgpack_object *map, const char *key,
                            uint32_t *vp);

/* creds_cache_clear() - wipe and drop every cached credential set of @c. */
void creds_cache_clear(roled_client *c);
