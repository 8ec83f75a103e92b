/* SPDX-License-Identifier: MIT */
/*
 * rpc.h - MessagePack-RPC envelopes and field access, shared by agent and client.
 *
 * Decoding: a message the scanner (scan.h) accepted is unpacked with msgpack-c
 * into a caller-owned zone and split into a ProtoMsg; params and results are
 * maps read with proto_get_*().  Encoding: a ProtoBuf is a growable byte buffer
 * with a msgpack_packer writing into it; proto_pack_*() write envelopes and
 * key/value pairs.  Buffers that may hold secrets are wiped when reset or freed.
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum {
        RPC_E_MALFORMED = 1, /* not a valid MessagePack-RPC envelope */
        RPC_E_MISSING,       /* a required field is absent (or nil) */
        RPC_E_TYPE,          /* a field has the wrong type or is out of range */
};

/* A decoded envelope; pointers borrow the zone and the message bytes. */
typedef struct ProtoMsg {
        int type;                /* PROTO_REQUEST, PROTO_RESPONSE or PROTO_NOTIFICATION */
        uint32_t msgid;          /* requests and responses */
        ProtoMethod method;      /* requests and notifications; PROTO_M_UNKNOWN if unknown */
        const char *method_name; /* not NUL-terminated */
        size_t method_name_len;
        const msgpack_object *params; /* the params map, or NULL when [] or [{}] was sent */
        const msgpack_object *error;  /* responses: NULL when the error is nil */
        const msgpack_object *result; /* responses: NULL when nil */
} ProtoMsg;

/*
 * proto_decode() - unpack one scanned message and check its envelope.
 * @buf, @len: exactly one whole message (as delimited by scan_feed())
 * @zone: where msgpack-c allocates; the caller clears it after use
 * @obj: storage for the decoded objects (the caller keeps it alive with the
 *       zone); a request may leave only its params in it, or nothing
 * @msg: the envelope
 *
 * Return: 0, or RPC_E_MALFORMED when it is not a MessagePack-RPC message:
 * wrong arity or types, msgid over 32 bits, method name too long, params not
 * an array of at most one map.
 */
int proto_decode(const uint8_t *buf, size_t len, msgpack_zone *zone, msgpack_object *obj,
                 ProtoMsg *msg);

/* proto_get() - the value for @key in @map (NULL when @map is NULL, absent, or nil). */
const msgpack_object *proto_get(const msgpack_object *map, const char *key);
/*
 * proto_get_str() - string field: *@sp and *@lenp point into the message (not NUL-terminated).
 * Return: 0, RPC_E_MISSING, or RPC_E_TYPE (not a string, or longer than @max).
 */
int proto_get_str(const msgpack_object *map, const char *key, size_t max, const char **sp,
                  size_t *lenp);
/* proto_get_bin() - like proto_get_str() but accepts bin or str. */
int proto_get_bin(const msgpack_object *map, const char *key, size_t max, const uint8_t **pp,
                  size_t *lenp);
/* proto_str_eq() - does msgpack string @o equal the C string @s? */
bool proto_str_eq(const msgpack_object *o, const char *s);

/* ProtoBuf - growable output buffer with a packer bound to it. */
typedef struct ProtoBuf {
        uint8_t *data;
        size_t len;
        size_t size;
        bool is_secret; /* wipe on reset and free */
        bool is_oom;    /* an append failed; the buffer content is unusable */
        msgpack_packer pk;
} ProtoBuf;

/* proto_buf_init() - empty buffer; @is_secret: wipe contents on reset/free. */
void proto_buf_init(ProtoBuf *b, bool is_secret);
/* proto_buf_reset() - forget the contents (wiping if secret), keep the allocation. */
void proto_buf_reset(ProtoBuf *b);
/* proto_buf_deinit() - wipe if secret, free.  Safe to call twice. */
void proto_buf_deinit(ProtoBuf *b);
/* proto_buf_steal() - hand the bytes to the caller (free with free()); the buffer becomes empty. */
uint8_t *proto_buf_steal(ProtoBuf *b, size_t *lenp);
/* proto_buf_append() - raw bytes.  Return: 0 or -ENOMEM. */
int proto_buf_append(ProtoBuf *b, const void *p, size_t n);

/* proto_pack_request() - [0, msgid, method, [ ...: the caller packs one params map next. */
void proto_pack_request(ProtoBuf *b, uint32_t msgid, const char *method);
/* proto_pack_notification() - [2, method, [ ...: the caller packs one params map next. */
void proto_pack_notification(ProtoBuf *b, const char *method);
/*
 * proto_pack_response_ok() - [1, msgid, nil, ...: the caller packs the result next
 * (a map, by convention).
 */
void proto_pack_response_ok(ProtoBuf *b, uint32_t msgid);
/* proto_pack_response_error() - the whole [1, msgid, {code, message}, nil]. */
void proto_pack_response_error(ProtoBuf *b, uint32_t msgid, ProtoError code, const char *message);

/* Packing helpers for map bodies. */
void proto_pack_str(ProtoBuf *b, const char *s);
void proto_pack_strn(ProtoBuf *b, const char *s, size_t n);
void proto_pack_kv_str(ProtoBuf *b, const char *key, const char *val); /* nil when val is NULL */
void proto_pack_kv_strn(ProtoBuf *b, const char *key, const char *val, size_t n);
void proto_pack_kv_uint(ProtoBuf *b, const char *key, uint64_t val);
void proto_pack_kv_int(ProtoBuf *b, const char *key, int64_t val);
void proto_pack_kv_bool(ProtoBuf *b, const char *key, bool val);
void proto_pack_kv_bin(ProtoBuf *b, const char *key, const void *p, size_t n);

/* proto_error_code() - the ProtoError named in a response's error map (PROTO_INTERNAL if unknown).
 */
ProtoError proto_error_code(const msgpack_object *error);
/* proto_error_message() - the message string of an error map ("" if absent); not NUL-terminated. */
const char *proto_error_message(const msgpack_object *error, size_t *lenp);
