/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - validate, then dispatch (see dispatch.h).
 *
 * The dispatcher alone decides what a peer sees: a positive code becomes the
 * error reply, a negative one is logged once and answered with Internal, an
 * unknown method gets UnsupportedOperation, and a broken envelope closes the
 * connection.  A handler that fails after packing part of its result has
 * that part wiped and replaced by the error.
 */
#include "dispatch.h"

#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "issuer_local.h"
#include "log.h"

typedef int (*Call)(Request *req, const msgpack_object *params);

/*
 * call_<WireName>() - decode @params into the method's request struct, then
 * handle_<WireName>(). A parameter of the wrong type or a missing one is
 * answered before the handler runs.
 */
#define CALL_DEFINE(e, name, flags, req_type, rep_type)                                            \
        static int call_##name(Request *req, const msgpack_object *params)                         \
        {                                                                                          \
                Proto##req_type in;                                                                \
                const char *field = "";                                                            \
                int r = codec_decode_##req_type(params, &req->conn->zone, &in, &field);            \
                                                                                                   \
                if (r)                                                                             \
                        return request_param_error(req, r, field);                                 \
                return handle_##name(req, &in);                                                    \
        }
PROTO_METHODS(CALL_DEFINE)
#undef CALL_DEFINE

/* Indexed by ProtoMethod: one row per PROTO_METHODS row. */
static const Call calls[PROTO_M_COUNT] = {
#define CALL_ROW(e, name, flags, req_type, rep_type) call_##name,
        PROTO_METHODS(CALL_ROW)
#undef CALL_ROW
};

int request_fail(Request *req, ProtoError code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(req->errmsg, sizeof(req->errmsg), fmt, ap);
        va_end(ap);
        return (int)code;
}

_Static_assert(REQUEST_WAIT_HASH > PROTO_ERROR_COUNT, "REQUEST_WAIT_HASH is no ProtoError");

int request_wait_hash(Request *req)
{
        req->is_waiting_hash = true;
        return REQUEST_WAIT_HASH;
}

int request_param_error(Request *req, int r, const char *name)
{
        if (r < 0)
                return r;
        if (r == RPC_E_MISSING)
                return request_fail(req, PROTO_INVALID_PARAMETER, "missing required parameter '%s'",
                                    name);
        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                            "parameter '%s' has the wrong type or is out of range", name);
}

int request_token_error(Request *req, int r)
{
        if (r < 0)
                return r;
        if (r == ISSUER_E_EXPIRED)
                return request_fail(req, PROTO_EXPIRED_TOKEN,
                                    "the security token included in the request is expired");
        return request_fail(req, PROTO_INVALID_TOKEN,
                            "the security token included in the request is invalid");
}

#define ERRMSG_END (offsetof(Request, errmsg) + sizeof(((Request *)0)->errmsg))

int dispatch_message(Conn *c, const uint8_t *buf, size_t len, ProtoBuf *out)
{
        msgpack_object root;
        ProtoMsg msg;
        Request req;
        size_t mark;
        int r;

        if (proto_decode(buf, len, &c->zone, &root, &msg))
                return RPC_E_MALFORMED;
        if (msg.type == PROTO_NOTIFICATION)
                return 0; /* no method takes notifications from clients in version 1 */
        if (msg.type != PROTO_REQUEST)
                return RPC_E_MALFORMED;
        c->agent->n_requests++;
        if (msg.method == PROTO_M_UNKNOWN) {
                proto_pack_response_error(out, msg.msgid, PROTO_UNSUPPORTED_OPERATION,
                                          "unknown method");
                return 0;
        }
        if ((proto_method_flags(msg.method) & PROTO_F_ADMIN) &&
            !agent_is_admin(c->agent, c->id.uid)) {
                char why[160];

                snprintf(why, sizeof(why), "%s is reserved for root and the agent's user",
                         proto_method_name(msg.method));
                proto_pack_response_error(out, msg.msgid, PROTO_ACCESS_DENIED, why);
                return 0;
        }
        /*
         * The cgroup is read at attestation only while some role reads the
         * unit (reload.c).  A connection attested before a reload made one
         * do so reads it now.
         */
        if (c->agent->reads_units && !c->id.has_cgroup && c->id.proc_fd >= 0) {
                r = identity_read_cgroup(&c->id);
                if (r != 0) {
                        proto_pack_response_error(
                                out, msg.msgid,
                                r == IDENTITY_E_GONE ? PROTO_ACCESS_DENIED : PROTO_INTERNAL,
                                r == IDENTITY_E_GONE ? "the calling process has exited"
                                                     : "the agent cannot read the caller's cgroup");
                        return 0;
                }
        }
        /*
         * Everything zero but errmsg, which only request_fail() fills: zeroing
         * all of it cost more than the rest of this function.
         */
        memset(&req, 0, offsetof(Request, errmsg));
        memset((char *)&req + ERRMSG_END, 0, sizeof(req) - ERRMSG_END);
        req.errmsg[0] = '\0';
        req.agent = c->agent;
        req.conn = c;
        req.id = &c->id;
        req.msg = &msg;
        req.out = out;
        req.is_early = c->n_dispatched < c->n_early;
        mark = out->len;
        proto_pack_response_ok(out, msg.msgid);
        r = calls[msg.method](&req, msg.params);
        if (req.is_waiting_hash) {
                /* Nothing answered: the same message comes again (and is counted then). */
                sodium_memzero(out->data + mark, out->len - mark);
                out->len = mark;
                c->agent->n_requests--;
                return DISPATCH_WAIT_HASH;
        }
        if (r == 0 && req.is_deferred) {
                /* The answer comes later: take the envelope back. */
                out->len = mark;
                return 0;
        }
        if (r == 0)
                return 0;
        /* Drop the partial result (it may hold secrets) and answer the error instead. */
        sodium_memzero(out->data + mark, out->len - mark);
        out->len = mark;
        out->is_oom = false;
        if (r < 0) {
                log_ratelimited(LOG_LEVEL_ERROR, "%s for uid %u failed: %s",
                                proto_method_name(msg.method), (unsigned)c->id.uid, strerror(-r));
                proto_pack_response_error(out, msg.msgid, PROTO_INTERNAL,
                                          "internal error; see the agent's log");
        } else {
                proto_pack_response_error(out, msg.msgid, (ProtoError)r, req.errmsg);
        }
        return 0;
}

struct Deferred {
        Conn *conn;
        uint32_t msgid;
        ProtoMethod method;
};

int request_defer(Request *req, Deferred **dp)
{
        Conn *c = req->conn;
        Deferred *d;

        if (c->n_deferred >= DEFERRED_MAX)
                return request_fail(req, PROTO_THROTTLING,
                                    "this connection already waits for %d answers", DEFERRED_MAX);
        d = malloc(sizeof(*d));
        if (!d)
                return -ENOMEM;
        *d = (Deferred){ .conn = c, .msgid = req->msg->msgid, .method = req->msg->method };
        conn_hold(c);
        c->n_deferred++;
        req->is_deferred = true;
        *dp = d;
        return 0;
}

static void deferred_free(Deferred *d)
{
        d->conn->n_deferred--;
        conn_release(d->conn);
        free(d);
}

void request_undefer(Request *req, Deferred *d)
{
        req->is_deferred = false;
        deferred_free(d);
}

void deferred_reply(Deferred *d, DeferredPack pack, void *userdata)
{
        Conn *c = d->conn;
        size_t mark = c->out.len;

        if (!c->is_closing) {
                proto_pack_response_ok(&c->out, d->msgid);
                pack(&c->out, userdata);
                if (c->out.is_oom) {
                        sodium_memzero(c->out.data + mark, c->out.len - mark);
                        c->out.len = mark;
                        c->out.is_oom = false;
                        proto_pack_response_error(&c->out, d->msgid, PROTO_INTERNAL,
                                                  "internal error; see the agent's log");
                }
                conn_send(c);
        }
        deferred_free(d);
}

void deferred_fail(Deferred *d, int r, const char *fmt, ...)
{
        Conn *c = d->conn;
        char msg[512];
        va_list ap;

        if (!c->is_closing) {
                if (r < 0) {
                        log_error("%s for uid %u failed: %s", proto_method_name(d->method),
                                  (unsigned)c->id.uid, strerror(-r));
                        proto_pack_response_error(&c->out, d->msgid, PROTO_INTERNAL,
                                                  "internal error; see the agent's log");
                } else {
                        va_start(ap, fmt);
                        vsnprintf(msg, sizeof(msg), fmt, ap);
                        va_end(ap);
                        proto_pack_response_error(&c->out, d->msgid, (ProtoError)r, msg);
                }
                conn_send(c);
        }
        deferred_free(d);
}
