/* SPDX-License-Identifier: MIT */
/*
 * client.h - libroled internals: the roled_client object, its calls in
 * flight (Op) and the pieces each file owns.
 *
 * client.c finds and trusts the socket and owns the client's life (connect,
 * close, fork detection); io.c is the asynchronous core: one connection,
 * requests pipelined and matched by msgid, the agent's notifications, the
 * blocking wait every blocking call is built on and roled_client_process();
 * error.c the roled_error helpers; result.c the reference-counted result
 * objects; creds.c the credential cache; info.c, authz.c and verify.c the
 * calls.  Nothing here is exported: only roled_* in roled.h is.
 *
 * Locks: c->io guards the connection, the buffers and the Op lists and is
 * never held across poll() or a callback; c->cache_lock guards the
 * credential cache and c->keys_lock the verification keys, each held for a
 * lookup or an update only.  Order: io, then cache_lock or keys_lock.
 */
#pragma once

#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include <time.h>

#include "roled/roled.h"
#include "codec.h"
#include "rpc.h"
#include "scan.h"
#include "token.h"
#include "util.h"

#define CLIENT_TIMEOUT_DEFAULT_MS 5000
#define CLIENT_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define CLIENT_ERROR_MAX 512
#define CLIENT_CACHE_MAX 16 /* credential cache entries per client */
#define CLIENT_KEYS_MAX 16  /* cached token verification keys */
#define CLIENT_PEEK_MS 100  /* a cache-only client reads notifications at least this often */
#define CLIENT_KEYS_TTL 300 /* seconds before public keys are fetched again (in the background) */

/* What an Op's completion does. */
typedef enum OpMode {
        OP_BLOCKING, /* a thread waits on c->cond for it */
        OP_ASYNC,    /* roled_client_process() decodes it and runs the user's callback */
        OP_INTERNAL, /* on_done runs (under c->io) in whichever thread completes it */
} OpMode;

typedef enum OpState {
        OP_QUEUED, /* not yet written to the send buffer */
        OP_SENT,   /* in the send buffer or on the wire; msgid in flight */
        OP_DONE,   /* status (and reply) set */
} OpState;

typedef struct Op Op;

/*
 * ResultKind - a call's result type: the object's size and destructor, and
 * fill(), which fills a new (zeroed) object @obj from the method's reply
 * struct @reply (codec.h's Proto<Reply>, already decoded).  Return:
 * ROLED_OK, or an error with @err's message set (the object is then freed).
 */
typedef struct ResultKind {
        size_t size;
        void (*destroy)(void *obj);
        roled_status (*fill)(const void *reply, void *obj, roled_error *err);
} ResultKind;
/* OpDeliverFn - run the user's typed callback of an async call. */
typedef void (*OpDeliverFn)(roled_client *c, Op *op, roled_status st, void *obj,
                            const roled_error *err);

/* One call: its request bytes, its place in the client's lists and its answer. */
struct Op {
        Op *prev, *next; /* c->ops (QUEUED and SENT) or c->done */
        OpMode mode;
        OpState state;
        ProtoMethod method;
        uint32_t msgid;
        unsigned n_sends;  /* sends that reached the agent (any byte written) */
        unsigned n_unsent; /* connections that broke before any byte of it was written */
        uint64_t wstart;   /* where its bytes start in this connection's stream (c->wpos) */
        int64_t deadline;  /* CLOCK_MONOTONIC ms */
        ProtoBuf req;      /* the whole request (wiped: it may hold a token or policy) */
        /* The answer, set when state becomes OP_DONE. */
        roled_status status; /* ROLED_OK: rep_* hold a response (which may carry an agent error) */
        char *errmsg;        /* local failures: why */
        uint8_t *rep_buf;    /* a copy of the response bytes; wiped when freed */
        size_t rep_len;
        msgpack_zone *rep_zone;
        msgpack_object rep_obj;
        ProtoMsg rep_msg;
        /* OP_ASYNC */
        const ResultKind *result; /* what the answer becomes */
        OpDeliverFn deliver;
        void *cb;
        void *userdata;
        void *ready_obj; /* answered without the agent (a cache hit): the result */
        /* OP_INTERNAL: runs under c->io; must not take c->io or call back into the user. */
        void (*on_done)(roled_client *c, Op *op);
};

/* One cached credential set, keyed by (role, duration, session policy). */
typedef struct CacheEntry {
        char *role; /* "" for the default role */
        uint32_t duration_seconds;
        char *policy;      /* NULL when none; compared in full */
        time_t refresh_at; /* serve as fresh while now < refresh_at */
        time_t expires;    /* serve at all (stale-if-error) while now < expires */
        bool is_refreshing;
        roled_credentials *creds;
} CacheEntry;

struct roled_client {
        unsigned fork_generation; /* client_fork_generation() when created */
        char path[CLIENT_PATH_MAX];
        int timeout_ms;
        int epfd;      /* what roled_client_get_fd() returns: holds fd and notify_fd */
        int notify_fd; /* eventfd: an async call finished in another thread */
        int wake_fd;   /* eventfd: the blocking reader should look again (send buffer) */

        pthread_mutex_t io;
        pthread_cond_t cond; /* an Op finished, or the reader role is free */
        int fd;              /* the connection, -1 while disconnected */
        bool is_pollout;     /* fd is registered for EPOLLOUT */
        bool has_reader;     /* a blocking thread is in poll() on fd */
        atomic_llong
                peeked_ms; /* io_peek(): when the socket was last looked at for notifications */
        uint32_t msgid;    /* last msgid used; 0 is never used */
        uint8_t *rbuf;     /* received, not yet consumed; wiped once consumed */
        size_t rlen, rsize;
        ProtoBuf wbuf; /* requests not yet written (secret: wiped) */
        Op *ops;       /* QUEUED and SENT, oldest first */
        Op *ops_tail;
        size_t n_sent;
        uint64_t wpos;  /* bytes appended to wbuf since the connection was made */
        uint64_t wdone; /* of those, bytes the kernel accepted */
        Op *done;       /* finished OP_ASYNC ops for roled_client_process() */
        Op *done_tail;

        pthread_mutex_t cache_lock;
        CacheEntry cache[CLIENT_CACHE_MAX];
        size_t n_cache;

        pthread_mutex_t keys_lock;
        TokenPublicKey keys[CLIENT_KEYS_MAX];
        size_t n_keys;
        time_t keys_fetched; /* 0: never */
        bool is_keys_fetching;
};

/* ---- client.c ---- */

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
 * Return: 0 when trusted; 1 when not; -errno when lstat() fails.
 */
int client_check_trust(const char *path, uid_t euid, char *why, size_t why_size);

/*
 * client_connect_path() - trust-check and connect to @path (non-blocking socket).
 * Return: ROLED_OK with *@fdp set, ROLED_E_NO_AGENT (errno in *@errp),
 * ROLED_E_UNTRUSTED_AGENT or ROLED_E_NOMEM, with @err's message set.
 */
roled_status client_connect_path(const char *path, int *fdp, int *errp, roled_error *err);

/* client_check() - the checks every call starts with (non-NULL, same process).  Return: ROLED_OK or
 * the error, with @err set. */
roled_status client_check(const roled_client *c, roled_error *err);

/* client_now_ms() - CLOCK_MONOTONIC in milliseconds. */
int64_t client_now_ms(void);

/* ---- error.c ---- */

/* error_set() - record a failure in @err (NULL is fine); control characters become spaces.  Return:
 * @st. */
roled_status error_set(roled_error *err, roled_status st, const char *fmt, ...) _printf_(3, 4);
/* error_copy() - @dst gets @src's status and message.  Return: @src->status. */
roled_status error_copy(roled_error *dst, const roled_error *src);

/* ---- io.c ---- */

/*
 * op_new() - a call of @method whose params map @pack writes (NULL: an empty map).
 * Return: the Op (owned by the caller until io_start()), or NULL on ENOMEM.
 */
typedef void (*OpPackFn)(ProtoBuf *b, const void *arg);
Op *op_new(roled_client *c, OpMode mode, ProtoMethod method, OpPackFn pack, const void *arg);
/* op_free() - free @op and what it holds (wiping its bytes).  Return: NULL. */
Op *op_free(Op *op);

/*
 * io_call() - start @op (OP_BLOCKING) and wait for it until the client's
 * timeout, counted from @start_ms.  On ROLED_OK the answer becomes a new
 * result of @result in *@objp.  Frees @op.  Return: ROLED_OK or the error
 * (@err set).
 */
roled_status io_call(roled_client *c, Op *op, int64_t start_ms, const ResultKind *result,
                     void **objp, roled_error *err);

/*
 * io_call_read() - like io_call(), but @read_fn reads the method's reply
 * struct itself (into @arg) before the Op, and the strings the struct points
 * to, are freed.
 */
typedef roled_status (*OpReadFn)(const void *rep, void *arg, roled_error *err);
roled_status io_call_read(roled_client *c, Op *op, int64_t start_ms, OpReadFn read_fn, void *arg,
                          roled_error *err);
/* io_call_raw() - io_call_read() with the result map as sent (a const msgpack_object *). */
roled_status io_call_raw(roled_client *c, Op *op, int64_t start_ms, OpReadFn read_fn, void *arg,
                         roled_error *err);
/*
 * io_reply() - a finished @op's answer as its method's reply struct, decoded
 * into op->rep_zone.  Return: ROLED_OK with *@repp set, or the error (the
 * agent's, a local failure, or a bad reply: ROLED_E_PROTOCOL naming the field).
 */
roled_status io_reply(Op *op, const void **repp, roled_error *err);

/*
 * io_start_async() - queue @op (OP_ASYNC, or OP_INTERNAL) and send what can be sent.
 * Takes @op.  Return: ROLED_OK, or the error (@err set; @op freed, nothing runs).
 */
roled_status io_start_async(roled_client *c, Op *op, roled_error *err);

/* io_finish_ready() - queue an OP_ASYNC @op already answered (op->ready_obj) for
 * roled_client_process(). */
void io_finish_ready(roled_client *c, Op *op);

/* io_pump() - read and write what can be done now, without waiting (a blocking-only user's chance
 * to take background answers). */
void io_pump(roled_client *c);

/*
 * io_peek() - at most every CLIENT_PEEK_MS, and only when c->io is free, read
 * what the agent sent without waiting: a client served from its cache alone
 * still learns of SessionsRevoked.  Never blocks.
 */
void io_peek(roled_client *c);

/* io_close() - fail every call (callbacks run), close descriptors, free buffers.  @is_child: after
 * fork, touch no lock. */
void io_close(roled_client *c, bool is_child);

/* ---- call.c ---- */

/* A method as the calls see it. */
typedef struct CallKind {
        const char *name; /* the public function, for argument errors: "roled_whoami" */
        ProtoMethod method;
        /*
         * read() - check the caller's request @req and copy what pack() needs
         * into @q (the call's own storage, honouring @req's size field).
         * NULL: pack() reads @req as it is.  Return: ROLED_OK or the error.
         */
        roled_status (*read)(const void *req, void *q, roled_error *err);
        OpPackFn pack;            /* NULL: an empty params map */
        const ResultKind *result; /* the call's result type */
        OpDeliverFn deliver;      /* the _async form: runs the user's typed callback */
} CallKind;

/*
 * call_check() - what a blocking call checks first: the client
 * (client_check()), then @resultp, the caller's result pointer (NULL is
 * refused).  Return: ROLED_OK or the error, with @err set.
 */
roled_status call_check(const roled_client *c, const CallKind *k, const void *resultp,
                        roled_error *err);
/*
 * call_check_out() - what a call with one out-pointer @outp (a pointer to a
 * pointer) checks first: *@outp set to NULL when @outp is given,
 * client_check(), then @outp itself, refused when NULL as "@fn(): @name is
 * NULL".  Return: ROLED_OK or the error, with @err set.
 */
roled_status call_check_out(const roled_client *c, void *outp, const char *fn, const char *name,
                            roled_error *err);
/*
 * call_wait() - one blocking call of @k: params packed from @arg (read only
 * here), waited for until the client's timeout counted from @start_ms, the
 * result decoded into *@objp.  Return: ROLED_OK or the error (@err set).
 */
roled_status call_wait(roled_client *c, const CallKind *k, const void *arg, int64_t start_ms,
                       void **objp, roled_error *err);
/*
 * call_read() - a blocking call whose answer is not a result object:
 * client_check(), params packed by @pack from @arg, the method's reply
 * struct read by @read_fn into @out.  Return: ROLED_OK or the error (@err set).
 */
roled_status call_read(roled_client *c, ProtoMethod method, OpPackFn pack, const void *arg,
                       OpReadFn read_fn, void *out, roled_error *err);
/*
 * call_blocking() - a whole blocking call: call_check(), @k->read of @req
 * into @q, call_wait().
 * @resultp: the caller's roled_<result> ** (of @k->result's type): the
 *           result, NULL on failure
 * Return: ROLED_OK or the error (@err set).
 */
roled_status call_blocking(roled_client *c, const CallKind *k, const void *req, void *q,
                           void *resultp, roled_error *err);
/*
 * call_async() - a whole _async call: client_check(), a NULL @cb refused,
 * @k->read of @req into @q, the Op queued; @cb (the user's typed callback,
 * run by @k->deliver) gets the result from roled_client_process().
 * Return: ROLED_OK when @cb will run; otherwise the error and @cb never runs.
 */
roled_status call_async(roled_client *c, const CallKind *k, const void *req, void *q, void *cb,
                        void *userdata, roled_error *err);

/* ---- status.c ---- */

/* status_from_proto() - the roled_status for an agent error code. */
roled_status status_from_proto(ProtoError e);

/*
 * result_decoded() - the outcome of a codec_decode_<Struct>() of a result:
 * ROLED_OK for 0, ROLED_E_NOMEM, or ROLED_E_PROTOCOL naming @field.
 */
roled_status result_decoded(int r, const char *field, roled_error *err);
/*
 * result_strdup() - a NUL-terminated heap copy of the decoded string @s;
 * absent gives "" (NULL with @is_nullable).
 * Return: ROLED_OK, ROLED_E_PROTOCOL (a NUL byte inside; names @field) or ROLED_E_NOMEM.
 */
roled_status result_strdup(ProtoStr s, const char *field, bool is_nullable, char **outp,
                           roled_error *err);

/* result_u32() - @v into *@outp when it fits a uint32_t.  Return: false (*@outp untouched) if not.
 */
static inline bool result_u32(uint64_t v, uint32_t *outp)
{
        if (v > UINT32_MAX)
                return false;
        *outp = (uint32_t)v;
        return true;
}

/* ---- result.c ---- */

/* The head of every result object: reference count and destructor. */
typedef struct ResultHead {
        atomic_uint n_refs;
        void (*destroy)(void *obj); /* frees what the object holds, not the object */
} ResultHead;

/* result_alloc() - a zeroed object of @size bytes with one reference. */
void *result_alloc(size_t size, void (*destroy)(void *obj));
void *result_ref(void *obj);
void *result_unref(void *obj);
/* result_wipe_free() - wipe a heap string and free it.  Return: NULL. */
char *result_wipe_free(char *s);
/*
 * result_decode() - a new result of @kind filled from the reply struct
 * @reply.  Return: ROLED_OK with *@objp set, or the error (@err set).
 */
roled_status result_decode(const ResultKind *kind, const void *reply, void **objp,
                           roled_error *err);

/* roled_credentials (creds.c), from GetCredentials' and AssumeRole's reply. */
extern const ResultKind credentials_kind;
/* read_revoked() - OpReadFn of Revoke (info.c): the count revoked into a uint64_t. */
roled_status read_revoked(const void *reply, void *arg, roled_error *err);
/* token_claims_new() - a roled_token_claims from verified claims (moved out of @tc). */
roled_token_claims *token_claims_new(TokenClaims *tc);

/* ---- creds.c ---- */

/* creds_cache_clear() - drop every cached credential set of @c. */
void creds_cache_clear(roled_client *c);
/* creds_cache_revoked() - drop cached sets of @role ("" or NULL: all); the SessionsRevoked
 * notification. */
void creds_cache_revoked(roled_client *c, const char *role);
/*
 * creds_cache_renewed() - the agent replaced the session of access key id
 * @akid (SessionRenewed): entries holding it are due for renewal now; they
 * still serve other threads, and stale-if-error, until they expire.
 */
void creds_cache_renewed(roled_client *c, const char *akid);

/* Getter boilerplate for the result objects (their prototypes are in roled.h). */
#define RESULT_REFS(type)                                                                          \
        ROLED_EXPORT roled_##type *roled_##type##_ref(roled_##type *x)                             \
        {                                                                                          \
                return result_ref(x);                                                              \
        }                                                                                          \
        ROLED_EXPORT roled_##type *roled_##type##_unref(roled_##type *x)                           \
        {                                                                                          \
                return result_unref(x);                                                            \
        }
#define RESULT_GET_STR(type, field)                                                                \
        ROLED_EXPORT const char *roled_##type##_##field(const roled_##type *x)                     \
        {                                                                                          \
                return x && x->field ? x->field : "";                                              \
        }
#define RESULT_GET(type, rtype, field)                                                             \
        ROLED_EXPORT rtype roled_##type##_##field(const roled_##type *x)                           \
        {                                                                                          \
                return x ? x->field : (rtype)0;                                                    \
        }
#define RESULT_GET_NULLABLE(type, field) RESULT_GET(type, const char *, field)

/*
 * A result type's heap strings are rows X(type, member), stated once and
 * expanded into the struct's members (RESULT_STR_MEMBER), its destructor
 * (RESULT_FREE, or RESULT_WIPE_FREE for a secret; on a variable named x)
 * and its getters (RESULT_GET_STR, or RESULT_GET_NULLABLE).
 */
#define RESULT_STR_MEMBER(type, field) char *field;
#define RESULT_FREE(type, field) free(x->field);
#define RESULT_WIPE_FREE(type, field) result_wipe_free(x->field);

/*
 * RESULT_KIND() - the ResultKind <type>_kind: roled_<type> made from the
 * reply struct Proto<Rep> by <type>_fill() (declared here, typed; the file
 * defines it) and freed by <type>_destroy().  Not static: creds.c's is
 * declared below for test-client-cli.
 */
#define RESULT_KIND(type, Rep)                                                                     \
        static roled_status type##_fill(const Proto##Rep *rep, roled_##type *x, roled_error *err); \
        static roled_status type##_fill_reply(const void *reply, void *obj, roled_error *err)      \
        {                                                                                          \
                return type##_fill(reply, obj, err);                                               \
        }                                                                                          \
        const ResultKind type##_kind = { sizeof(roled_##type), type##_destroy, type##_fill_reply };

/*
 * RESULT_OBJECT() - what a result type made from the reply struct
 * Proto<Rep>, with the string rows STRS, gets: its destructor
 * <type>_destroy() (each string freed, then free_rest(x) for what else it
 * holds; RESULT_NO_REST: nothing), _ref, _unref, the string getters and
 * RESULT_KIND().
 */
#define RESULT_OBJECT(type, Rep, STRS, free_rest)                                                  \
        static void type##_destroy(void *obj)                                                      \
        {                                                                                          \
                roled_##type *x = obj;                                                             \
                                                                                                   \
                STRS(RESULT_FREE)                                                                  \
                free_rest(x);                                                                      \
        }                                                                                          \
        RESULT_REFS(type)                                                                          \
        STRS(RESULT_GET_STR)                                                                       \
        RESULT_KIND(type, Rep)
#define RESULT_NO_REST(x) (void)(x)

/*
 * RESULT_LIST() - a result object holding a list of @Entry, whose strings
 * are the rows @STRS: the struct roled_<type> (entries v[0..n), room for
 * size), its destructor <type>_destroy() (the strings of each entry, then
 * the array), _ref and _unref, roled_<type>_count(), the getters of the
 * entries' strings, and entry(), which gives the entry at an
 * index, or one initialized with the rest of the arguments when the index is
 * out of range or there is no list.  RESULT_LIST_GET(type, rtype, field):
 * the getter of one other entry field.
 */
#define RESULT_LIST(type, Entry, STRS, ...)                                                        \
        struct roled_##type {                                                                      \
                ResultHead h;                                                                      \
                Entry *v;                                                                          \
                size_t n, size;                                                                    \
        };                                                                                         \
        static void type##_destroy(void *obj)                                                      \
        {                                                                                          \
                roled_##type *l = obj;                                                             \
                                                                                                   \
                for (size_t i = 0; i < l->n; i++) {                                                \
                        Entry *x = &l->v[i];                                                       \
                                                                                                   \
                        STRS(RESULT_FREE)                                                          \
                }                                                                                  \
                free(l->v);                                                                        \
        }                                                                                          \
        RESULT_REFS(type)                                                                          \
        ROLED_EXPORT size_t roled_##type##_count(const roled_##type *list)                         \
        {                                                                                          \
                return list ? list->n : 0;                                                         \
        }                                                                                          \
        static const Entry *entry(const roled_##type *l, size_t i)                                 \
        {                                                                                          \
                static const Entry none = { __VA_ARGS__ };                                         \
                                                                                                   \
                return l && i < l->n ? &l->v[i] : &none;                                           \
        }                                                                                          \
        STRS(RESULT_LIST_GET_STR)
#define RESULT_LIST_GET(type, rtype, field)                                                        \
        ROLED_EXPORT rtype roled_##type##_##field(const roled_##type *list, size_t i)              \
        {                                                                                          \
                return entry(list, i)->field;                                                      \
        }
#define RESULT_LIST_GET_STR(type, field) RESULT_LIST_GET(type, const char *, field)
