/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - from one scanned message to one reply: decode the envelope,
 * find the method in the table generated from proto.h, check the admin flag,
 * decode its parameters into the method's request struct (codec.h), call
 * handle_<WireName>(), and turn its return code into the reply.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "identity.h"
#include "codec.h"
#include "rpc.h"

typedef struct Conn Conn;

/* What a handler sees of one request. */
typedef struct Request {
        Agent *agent;
        Conn *conn;
        const Identity *id;             /* the attested caller */
        const ProtoMsg *msg;
        ProtoBuf *out;                  /* the handler packs its result map here */
        char errmsg[512];               /* set by request_fail() */
} Request;

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
 * Return: 0, or RPC_E_MALFORMED when the stream must be closed.
 */
int dispatch_message(Conn *c, const uint8_t *buf, size_t len, ProtoBuf *out);

#define HANDLER_DECLARE(name, req, rep) int handle_##name(Request *req, const Proto##req *in);
PROTO_PAYLOAD_METHODS(HANDLER_DECLARE)
#undef HANDLER_DECLARE
