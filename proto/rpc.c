/* SPDX-License-Identifier: MIT */
/*
 * rpc.c - MessagePack-RPC envelopes, field access and the output buffer (see rpc.h).
 *
 * This is the only place besides codec users that touches msgpack-c types for
 * decoding; a msgpack parse failure becomes RPC_E_MALFORMED here and nowhere
 * else.  The method and error tables come from the X-macros in proto.h.
 */
#include "rpc.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct {
        const char *name;
        size_t len;
        unsigned flags;
} methods[] = {
#define PROTO_X_ROW(e, name, flags, req, rep) { #name, sizeof(#name) - 1, flags },
        PROTO_METHODS(PROTO_X_ROW)
#undef PROTO_X_ROW
};

static const char *const errors[] = {
#define PROTO_X_ROW(e, name) name,
        PROTO_ERRORS(PROTO_X_ROW)
#undef PROTO_X_ROW
};

const char *proto_method_name(ProtoMethod m)
{
        return (m >= 0 && m < PROTO_M_COUNT) ? methods[m].name : NULL;
}

unsigned proto_method_flags(ProtoMethod m)
{
        return (m >= 0 && m < PROTO_M_COUNT) ? methods[m].flags : 0;
}

ProtoMethod proto_method_lookup(const char *name, size_t len)
{
        for (int i = 0; i < PROTO_M_COUNT; i++)
                if (methods[i].len == len && memcmp(methods[i].name, name, len) == 0)
                        return (ProtoMethod)i;
        return PROTO_M_UNKNOWN;
}

const char *proto_error_name(ProtoError e)
{
        return ((int)e >= 0 && e < PROTO_ERROR_COUNT) ? errors[e] : NULL;
}

ProtoError proto_error_lookup(const char *name, size_t len)
{
        for (int i = 1; i < PROTO_ERROR_COUNT; i++)
                if (strlen(errors[i]) == len && memcmp(errors[i], name, len) == 0)
                        return (ProtoError)i;
        return PROTO_INTERNAL;
}

static bool get_u32(const msgpack_object *o, uint32_t *vp)
{
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
                return false;
        *vp = (uint32_t)o->via.u64;
        return true;
}

/* params: [] or [map] or [nil]; anything else is malformed. */
static bool get_params(const msgpack_object *o, const msgpack_object **paramsp)
{
        *paramsp = NULL;
        if (o->type == MSGPACK_OBJECT_NIL)
                return true;
        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > 1)
                return false;
        if (o->via.array.size == 0 || o->via.array.ptr[0].type == MSGPACK_OBJECT_NIL)
                return true;
        if (o->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
                return false;
        if (o->via.array.ptr[0].via.map.size > 0)
                *paramsp = &o->via.array.ptr[0];
        return true;
}

static bool get_method(const msgpack_object *o, ProtoMsg *msg)
{
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
            o->via.str.size > PROTO_METHOD_MAX)
                return false;
        msg->method_name = o->via.str.ptr;
        msg->method_name_len = o->via.str.size;
        msg->method = proto_method_lookup(o->via.str.ptr, o->via.str.size);
        return true;
}

/*
 * A request in the shape every client sends, [0, msgid, "Method", [params]]
 * with a fixarray, a msgid of at most 32 bits and a method name up to 255
 * bytes, decoded without unpacking the envelope: msgpack-c then unpacks
 * only the params (nothing at all for [], [{}], [nil] or nil), which halves
 * what decoding a request costs.  Anything else, including every malformed
 * message, goes to decode_any().  Return: 0, RPC_E_MALFORMED, or -EAGAIN
 * when the message is not in that shape.
 */
static int decode_request(const uint8_t *buf, size_t len, msgpack_zone *zone, msgpack_object *obj,
                          ProtoMsg *msg)
{
        size_t off = 2, n_name;
        const uint8_t *p;
        uint32_t msgid;

        if (len < 5 || buf[0] != 0x94 || buf[1] != PROTO_REQUEST)
                return -EAGAIN;
        /* msgid: a positive fixint or a uint8, uint16 or uint32 */
        if (buf[off] < 0x80) {
                msgid = buf[off++];
        } else if (buf[off] == 0xcc && len - off > 1) {
                msgid = buf[off + 1];
                off += 2;
        } else if (buf[off] == 0xcd && len - off > 2) {
                msgid = (uint32_t)buf[off + 1] << 8 | buf[off + 2];
                off += 3;
        } else if (buf[off] == 0xce && len - off > 4) {
                msgid = (uint32_t)buf[off + 1] << 24 | (uint32_t)buf[off + 2] << 16 |
                        (uint32_t)buf[off + 3] << 8 | buf[off + 4];
                off += 5;
        } else {
                return -EAGAIN;
        }
        /* method: a fixstr or a str8 */
        if (off < len && (buf[off] & 0xe0) == 0xa0) {
                n_name = buf[off++] & 0x1f;
        } else if (off + 1 < len && buf[off] == 0xd9) {
                n_name = buf[off + 1];
                off += 2;
        } else {
                return -EAGAIN;
        }
        if (n_name == 0 || n_name > PROTO_METHOD_MAX || len - off <= n_name)
                return -EAGAIN;
        msg->type = PROTO_REQUEST;
        msg->msgid = msgid;
        msg->method_name = (const char *)buf + off;
        msg->method_name_len = n_name;
        msg->method = proto_method_lookup(msg->method_name, n_name);
        off += n_name;
        /* params: nil, [], [nil], [{}] or [one map] and nothing after it */
        p = buf + off;
        len -= off;
        if ((len == 1 && (p[0] == 0xc0 || p[0] == 0x90)) ||
            (len == 2 && p[0] == 0x91 && (p[1] == 0xc0 || p[1] == 0x80)))
                return 0;
        if (p[0] != 0x91)
                return -EAGAIN;
        off = 1;
        if (msgpack_unpack((const char *)p, len, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS ||
            off != len || obj->type != MSGPACK_OBJECT_MAP)
                return RPC_E_MALFORMED;
        if (obj->via.map.size > 0)
                msg->params = obj;
        return 0;
}

/* The general decoder: unpack the whole message, then check its envelope. */
static int decode_any(const uint8_t *buf, size_t len, msgpack_zone *zone, msgpack_object *obj,
                      ProtoMsg *msg)
{
        size_t off = 0;
        const msgpack_object *a;
        uint32_t n;

        memset(msg, 0, sizeof(*msg));
        msg->method = PROTO_M_UNKNOWN;
        if (msgpack_unpack((const char *)buf, len, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS ||
            off != len || obj->type != MSGPACK_OBJECT_ARRAY)
                return RPC_E_MALFORMED;
        a = obj->via.array.ptr;
        n = obj->via.array.size;
        /* Range-check before narrowing: 2^32 must not become PROTO_REQUEST. */
        if (n < 3 || a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            a[0].via.u64 > PROTO_NOTIFICATION)
                return RPC_E_MALFORMED;
        msg->type = (int)a[0].via.u64;
        switch (msg->type) {
        case PROTO_REQUEST:
                if (n != 4 || !get_u32(&a[1], &msg->msgid) || !get_method(&a[2], msg) ||
                    !get_params(&a[3], &msg->params))
                        return RPC_E_MALFORMED;
                return 0;
        case PROTO_RESPONSE:
                if (n != 4 || !get_u32(&a[1], &msg->msgid))
                        return RPC_E_MALFORMED;
                if (a[2].type != MSGPACK_OBJECT_NIL) {
                        if (a[2].type != MSGPACK_OBJECT_MAP)
                                return RPC_E_MALFORMED;
                        msg->error = &a[2];
                }
                if (a[3].type != MSGPACK_OBJECT_NIL)
                        msg->result = &a[3];
                return 0;
        case PROTO_NOTIFICATION:
                if (n != 3 || !get_method(&a[1], msg) || !get_params(&a[2], &msg->params))
                        return RPC_E_MALFORMED;
                return 0;
        default:
                return RPC_E_MALFORMED;
        }
}

int proto_decode(const uint8_t *buf, size_t len, msgpack_zone *zone, msgpack_object *obj,
                 ProtoMsg *msg)
{
        int r;

        memset(msg, 0, sizeof(*msg));
        msg->method = PROTO_M_UNKNOWN;
        r = decode_request(buf, len, zone, obj, msg);
        if (r != -EAGAIN)
                return r;
        return decode_any(buf, len, zone, obj, msg);
}

bool proto_str_eq(const msgpack_object *o, const char *s)
{
        size_t n = strlen(s);

        return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
               memcmp(o->via.str.ptr, s, n) == 0;
}

const msgpack_object *proto_get(const msgpack_object *map, const char *key)
{
        if (!map || map->type != MSGPACK_OBJECT_MAP)
                return NULL;
        for (uint32_t i = 0; i < map->via.map.size; i++) {
                const msgpack_object_kv *kv = &map->via.map.ptr[i];

                if (proto_str_eq(&kv->key, key))
                        return kv->val.type == MSGPACK_OBJECT_NIL ? NULL : &kv->val;
        }
        return NULL;
}

int proto_get_str(const msgpack_object *map, const char *key, size_t max, const char **sp,
                  size_t *lenp)
{
        const msgpack_object *o = proto_get(map, key);

        if (!o)
                return RPC_E_MISSING;
        if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max)
                return RPC_E_TYPE;
        *sp = o->via.str.ptr;
        *lenp = o->via.str.size;
        return 0;
}

int proto_get_bin(const msgpack_object *map, const char *key, size_t max, const uint8_t **pp,
                  size_t *lenp)
{
        const msgpack_object *o = proto_get(map, key);

        if (!o)
                return RPC_E_MISSING;
        if (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size <= max) {
                *pp = (const uint8_t *)o->via.bin.ptr;
                *lenp = o->via.bin.size;
                return 0;
        }
        if (o->type == MSGPACK_OBJECT_STR && o->via.str.size <= max) {
                *pp = (const uint8_t *)o->via.str.ptr;
                *lenp = o->via.str.size;
                return 0;
        }
        return RPC_E_TYPE;
}

ProtoError proto_error_code(const msgpack_object *error)
{
        const msgpack_object *c = proto_get(error, "code");

        if (!c || c->type != MSGPACK_OBJECT_STR)
                return PROTO_INTERNAL;
        return proto_error_lookup(c->via.str.ptr, c->via.str.size);
}

const char *proto_error_message(const msgpack_object *error, size_t *lenp)
{
        const msgpack_object *m = proto_get(error, "message");

        if (!m || m->type != MSGPACK_OBJECT_STR) {
                *lenp = 0;
                return "";
        }
        *lenp = m->via.str.size;
        return m->via.str.ptr;
}

/* Output buffer. */

static void wipe(ProtoBuf *b)
{
        if (b->is_secret && b->data)
                sodium_memzero(b->data, b->size);
}

int proto_buf_append(ProtoBuf *b, const void *p, size_t n)
{
        if (b->is_oom)
                return -ENOMEM;
        if (n > b->size - b->len) {
                size_t size = b->size ? b->size : 256;
                uint8_t *data;

                while (size - b->len < n)
                        size *= 2;
                data = malloc(size);
                if (!data) {
                        b->is_oom = true;
                        return -ENOMEM;
                }
                if (b->len)
                        memcpy(data, b->data, b->len);
                /* realloc() would leave a secret copy behind; copy and wipe instead. */
                wipe(b);
                free(b->data);
                b->data = data;
                b->size = size;
        }
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

static int buf_write(void *data, const char *p, size_t n)
{
        return proto_buf_append(data, p, n) ? -1 : 0;
}

void proto_buf_init(ProtoBuf *b, bool is_secret)
{
        memset(b, 0, sizeof(*b));
        b->is_secret = is_secret;
        msgpack_packer_init(&b->pk, b, buf_write);
}

void proto_buf_reset(ProtoBuf *b)
{
        if (b->is_secret && b->data)
                sodium_memzero(b->data, b->len);
        b->len = 0;
        b->is_oom = false;
}

void proto_buf_deinit(ProtoBuf *b)
{
        wipe(b);
        free(b->data);
        b->data = NULL;
        b->len = b->size = 0;
}

uint8_t *proto_buf_steal(ProtoBuf *b, size_t *lenp)
{
        uint8_t *p = b->data;

        *lenp = b->len;
        b->data = NULL;
        b->len = b->size = 0;
        return p;
}

void proto_pack_str(ProtoBuf *b, const char *s)
{
        proto_pack_strn(b, s, strlen(s));
}

void proto_pack_strn(ProtoBuf *b, const char *s, size_t n)
{
        msgpack_pack_str(&b->pk, n);
        msgpack_pack_str_body(&b->pk, s, n);
}

void proto_pack_request(ProtoBuf *b, uint32_t msgid, const char *method)
{
        msgpack_pack_array(&b->pk, 4);
        msgpack_pack_uint8(&b->pk, PROTO_REQUEST);
        msgpack_pack_uint32(&b->pk, msgid);
        proto_pack_str(b, method);
        msgpack_pack_array(&b->pk, 1);
}

void proto_pack_notification(ProtoBuf *b, const char *method)
{
        msgpack_pack_array(&b->pk, 3);
        msgpack_pack_uint8(&b->pk, PROTO_NOTIFICATION);
        proto_pack_str(b, method);
        msgpack_pack_array(&b->pk, 1);
}

/*
 * The header of every successful reply, [1, msgid, nil, ...], in one append
 * rather than four through the packer (it is packed for every request).  The
 * bytes are msgpack-c's: a positive integer in its shortest form.
 */
void proto_pack_response_ok(ProtoBuf *b, uint32_t msgid)
{
        uint8_t h[8] = { 0x94, PROTO_RESPONSE };
        size_t n = 2;

        if (msgid < 0x80) {
                h[n++] = (uint8_t)msgid;
        } else if (msgid <= UINT8_MAX) {
                h[n++] = 0xcc;
                h[n++] = (uint8_t)msgid;
        } else if (msgid <= UINT16_MAX) {
                h[n++] = 0xcd;
                h[n++] = (uint8_t)(msgid >> 8);
                h[n++] = (uint8_t)msgid;
        } else {
                h[n++] = 0xce;
                h[n++] = (uint8_t)(msgid >> 24);
                h[n++] = (uint8_t)(msgid >> 16);
                h[n++] = (uint8_t)(msgid >> 8);
                h[n++] = (uint8_t)msgid;
        }
        h[n++] = 0xc0;
        (void)proto_buf_append(b, h, n);
}

void proto_pack_response_error(ProtoBuf *b, uint32_t msgid, ProtoError code, const char *message)
{
        msgpack_pack_array(&b->pk, 4);
        msgpack_pack_uint8(&b->pk, PROTO_RESPONSE);
        msgpack_pack_uint32(&b->pk, msgid);
        msgpack_pack_map(&b->pk, 2);
        proto_pack_kv_str(b, "code", proto_error_name(code) ? proto_error_name(code) : "Internal");
        proto_pack_kv_str(b, "message", message ? message : "");
        msgpack_pack_nil(&b->pk);
}

void proto_pack_kv_str(ProtoBuf *b, const char *key, const char *val)
{
        proto_pack_str(b, key);
        if (val)
                proto_pack_str(b, val);
        else
                msgpack_pack_nil(&b->pk);
}

void proto_pack_kv_strn(ProtoBuf *b, const char *key, const char *val, size_t n)
{
        proto_pack_str(b, key);
        proto_pack_strn(b, val, n);
}

void proto_pack_kv_uint(ProtoBuf *b, const char *key, uint64_t val)
{
        proto_pack_str(b, key);
        msgpack_pack_uint64(&b->pk, val);
}

void proto_pack_kv_int(ProtoBuf *b, const char *key, int64_t val)
{
        proto_pack_str(b, key);
        msgpack_pack_int64(&b->pk, val);
}

void proto_pack_kv_bool(ProtoBuf *b, const char *key, bool val)
{
        proto_pack_str(b, key);
        if (val)
                msgpack_pack_true(&b->pk);
        else
                msgpack_pack_false(&b->pk);
}

void proto_pack_kv_bin(ProtoBuf *b, const char *key, const void *p, size_t n)
{
        proto_pack_str(b, key);
        msgpack_pack_bin(&b->pk, n);
        msgpack_pack_bin_body(&b->pk, p, n);
}
