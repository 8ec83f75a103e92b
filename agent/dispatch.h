/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - from one scanned message to one reply: decode the envelope,
 * find the method in the table generated from proto.h, check the admin flag,
 * decode its parameters into the method's request struct (codec.h), call
 * handle_<WireName>(), and turn its return code into the reply.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "identity.h"
#include "codec.h"
#include "rpc.h"

typedef struct Conn Conn;
typedef struct Role Role;

/* What a handler sees of one request. */
typedef struct Request {
        Agent *agent;
        Conn *conn;
        const Identity *id; /* the attested caller */
        const ProtoMsg *msg;
        ProtoBuf *out;        /* the handler packs its result map here */
        char errmsg[512];     /* set by request_fail() */
        bool is_deferred;     /* request_defer() took the reply over */
        bool is_waiting_hash; /* request_wait_hash(): ask again once the executable is hashed */
        bool is_early;        /* sent (in part) before the agent read the caller's executable */
} Request;

/*
 * request_wait_hash() - the answer to @req rests on the caller's executable
 * hash, which is not computed yet (trust_decide() said TRUST_E_NEEDS_HASH).
 * The handler returns this without packing anything: the connection hashes
 * the executable off the loop (hashq.c), reading nothing meanwhile, and then
 * dispatches the same message again, so a handler must not have changed
 * anything before asking.
 * Return: REQUEST_WAIT_HASH, which the handler returns as it is (it stops a
 * chain of checks like an error would; the dispatcher looks at the flag).
 */
#define REQUEST_WAIT_HASH 1000 /* above every ProtoError */
int request_wait_hash(Request *req);

/*
 * Deferred - the reply to a request that a handler answers later (an upstream
 * call).  It holds a reference to the connection; the reply goes through the
 * connection's write path like any other, so replies never interleave, and
 * other requests on the same or other connections are served meanwhile.
 * If the connection closed in between, the reply is dropped.
 */
typedef struct Deferred Deferred;

/* DEFERRED_MAX - deferred replies one connection may have outstanding (PROTO_PIPELINE_MAX). */
#define DEFERRED_MAX PROTO_PIPELINE_MAX

/*
 * request_defer() - answer @req later: the handler returns 0 without packing
 * anything and finishes *@dp with deferred_reply() or deferred_fail().
 * Return: 0, or PROTO_THROTTLING (after request_fail()) when the connection
 * already waits for DEFERRED_MAX replies.
 */
int request_defer(Request *req, Deferred **dp);

/*
 * request_undefer() - take back request_defer() while the handler still runs
 * (what it was to wait for could not start): free @d; the handler then
 * answers as usual.
 */
void request_undefer(Request *req, Deferred *d);

/* A packer of a deferred result map: append it to @out. */
typedef void (*DeferredPack)(ProtoBuf *out, void *userdata);

/* deferred_reply() - answer with the result map @pack packs, and free @d. */
void deferred_reply(Deferred *d, DeferredPack pack, void *userdata);

/*
 * deferred_fail() - answer with an error, as dispatch_message() would for a
 * handler's return code @r (positive ProtoError, or -errno: logged, Internal),
 * and free @d.
 */
void deferred_fail(Deferred *d, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * notify_revoked() - send SessionsRevoked (PROTOCOL.md section 5a) to every
 * connection of @uid, for its sessions of @role (NULL: all), so libroled
 * caches drop them at once. @req's own connection gets it too, appended to
 * its output: call it after the reply is encoded. Used by Revoke and by the
 * end of a uid's last login (handlers_session.c).
 */
void notify_revoked(Request *req, uint32_t uid, const char *role);

/*
 * Handlers, one per method: int handle_<WireName>(Request *req, const Proto<Req> *in),
 * e.g. handle_GetCredentials(). @in is the decoded request; its strings point
 * into the message until the handler returns. A handler returns 0 after
 * encoding its reply struct into req->out, a positive ProtoError after
 * request_fail(), or -errno (logged, answered Internal).
 */
/* request_fail() - set the error message of @req and return @code. */
int request_fail(Request *req, ProtoError code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * request_param_error() - turn a codec_decode() outcome for parameter @name
 * into InvalidParameter / InvalidParameterValue (or pass -errno through).
 */
int request_param_error(Request *req, int r, const char *name);

/*
 * request_token_error() - turn a failed issuer_local_verify() of the token a
 * request carries into ExpiredToken / InvalidClientTokenId (or pass -errno through).
 */
int request_token_error(Request *req, int r);

/*
 * dispatch_message() - handle one whole message from @c and append the reply to @out.
 * Return: 0, DISPATCH_WAIT_HASH (nothing answered: hash @c's executable, then
 * dispatch this message again), or RPC_E_MALFORMED when the stream must be
 * closed.
 */
enum {
        DISPATCH_WAIT_HASH = 100,
};
int dispatch_message(Conn *c, const uint8_t *buf, size_t len, ProtoBuf *out);

#define HANDLER_DECLARE(e, name, flags, req, rep)                                                  \
        int handle_##name(Request *req, const Proto##req *in);
PROTO_METHODS(HANDLER_DECLARE)
#undef HANDLER_DECLARE

/*
 * session_cache_key() - the key a session of @role for @id is cached under:
 * role, @id's identity key, @duration, the session policy's @digest (32
 * bytes, NULL: none), @id's login session, its cgroup (or that it was not
 * read), and whether the session names the executable (IssueRequest.
 * has_exe_claim; handlers_session.c): then also which file (device, inode,
 * size, times) and whether it was hashed.  @size: SESSION_KEY_MAX.
 * Return: 0, or -ENAMETOOLONG when it does not fit in @size.
 */
#define SESSION_KEY_MAX (IDENTITY_PATH_MAX + IDENTITY_CGROUP_MAX + 512)
int session_cache_key(const Role *role, const Identity *id, uint32_t duration,
                      const uint8_t *digest, bool has_exe_claim, char *buf, size_t size);

/*
 * session_prewarm() - issue and cache a session of @role for @id (a login's
 * identity, not the caller's), with the default duration, under the key
 * GetCredentials would use for @id (handlers_session.c; for Login).
 * @why: on TRUST_E_DENIED, why nothing was issued
 * Return: 0 (issued, or already cached), TRUST_E_DENIED or -errno.
 */
int session_prewarm(Request *req, const Identity *id, const Role *role, char *why, size_t why_len);
