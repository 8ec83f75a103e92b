/* SPDX-License-Identifier: MIT */
/*
 * codec.c - encode and decode the payload structs of codec.h by walking the
 * schema generated from their field rows. The one place that knows how a
 * field kind looks in MessagePack; rpc.c keeps the envelopes.
 */
#include "codec.h"

#include <errno.h>
#include <string.h>

enum Kind {
        K_STR,
        K_BIN,
        K_UINT,
        K_OPT_UINT,
        K_BOOL,
        K_U32S,
        K_STRS,
        K_STRMAP,
        K_LIST,
        K_STRUCT,
        K_PAIRS,
        K_CONTEXT
};

typedef struct Field {
        const char *name;
        enum Kind kind;
        int presence;
        size_t offset;
        size_t max;
        const ProtoSchema *sub;
} Field;

struct ProtoSchema {
        const char *name;
        size_t size;
        const Field *fields;
        size_t n_fields;
};

/* A LIST member, as every PROTO_CTYPE_LIST() lays it out. */
typedef struct List {
        const void *items;
        size_t n;
} List;

/* The schema rows. Sub of a non-nested field is "-", which SUB_ turns into NULL. */
#define SUB_KIND_STR(sub) NULL
#define SUB_KIND_BIN(sub) NULL
#define SUB_KIND_UINT(sub) NULL
#define SUB_KIND_OPT_UINT(sub) NULL
#define SUB_KIND_BOOL(sub) NULL
#define SUB_KIND_U32S(sub) NULL
#define SUB_KIND_STRS(sub) NULL
#define SUB_KIND_STRMAP(sub) NULL
#define SUB_KIND_PAIRS(sub) NULL
#define SUB_KIND_CONTEXT(sub) NULL
#define SUB_KIND_LIST(sub) &codec_schema_##sub
#define SUB_KIND_STRUCT(sub) &codec_schema_##sub

/*
 * C has no way to pass a struct name into the row callback, so each struct
 * gets a tiny row macro of its own here; the rows themselves stay in codec.h.
 */
#define ROW(S, kind_, member_, wire_, max_, presence_, sub_)                                       \
        { .name = wire_,                                                                           \
          .kind = K_##kind_,                                                                       \
          .presence = presence_,                                                                   \
          .offset = offsetof(Proto##S, member_),                                                   \
          .max = max_,                                                                             \
          .sub = SUB_KIND_##kind_(sub_) },
#define ROW_HelloReq(...) ROW(HelloReq, __VA_ARGS__)
#define ROW_HelloRep(...) ROW(HelloRep, __VA_ARGS__)
#define ROW_GetCredentialsReq(...) ROW(GetCredentialsReq, __VA_ARGS__)
#define ROW_CredentialsRep(...) ROW(CredentialsRep, __VA_ARGS__)
#define ROW_AssumeRoleReq(...) ROW(AssumeRoleReq, __VA_ARGS__)
#define ROW_GetCallerIdentityRep(...) ROW(GetCallerIdentityRep, __VA_ARGS__)
#define ROW_RoleSummary(...) ROW(RoleSummary, __VA_ARGS__)
#define ROW_ListRolesRep(...) ROW(ListRolesRep, __VA_ARGS__)
#define ROW_IssuerStatus(...) ROW(IssuerStatus, __VA_ARGS__)
#define ROW_StatusRep(...) ROW(StatusRep, __VA_ARGS__)
#define ROW_ReloadRep(...) ROW(ReloadRep, __VA_ARGS__)
#define ROW_RevokeReq(...) ROW(RevokeReq, __VA_ARGS__)
#define ROW_RevokeRep(...) ROW(RevokeRep, __VA_ARGS__)
#define ROW_PublicKey(...) ROW(PublicKey, __VA_ARGS__)
#define ROW_GetPublicKeysRep(...) ROW(GetPublicKeysRep, __VA_ARGS__)
#define ROW_GetRoleReq(...) ROW(GetRoleReq, __VA_ARGS__)
#define ROW_GetRoleRep(...) ROW(GetRoleRep, __VA_ARGS__)
#define ROW_AuthorizeReq(...) ROW(AuthorizeReq, __VA_ARGS__)
#define ROW_SimulateReq(...) ROW(SimulateReq, __VA_ARGS__)
#define ROW_Match(...) ROW(Match, __VA_ARGS__)
#define ROW_DecisionRep(...) ROW(DecisionRep, __VA_ARGS__)
#define ROW_LoginReq(...) ROW(LoginReq, __VA_ARGS__)
#define ROW_LoginRep(...) ROW(LoginRep, __VA_ARGS__)
#define ROW_MfaReq(...) ROW(MfaReq, __VA_ARGS__)
#define ROW_MfaRep(...) ROW(MfaRep, __VA_ARGS__)
#define ROW_SessionsRevokedNote(...) ROW(SessionsRevokedNote, __VA_ARGS__)
#define ROW_SessionRenewedNote(...) ROW(SessionRenewedNote, __VA_ARGS__)
#define ROW_ListSessionsReq(...) ROW(ListSessionsReq, __VA_ARGS__)
#define ROW_SessionSummary(...) ROW(SessionSummary, __VA_ARGS__)
#define ROW_ListSessionsRep(...) ROW(ListSessionsRep, __VA_ARGS__)
#define ROW_SignedRequest(...) ROW(SignedRequest, __VA_ARGS__)

#define DEFINE_SCHEMA(S)                                                                           \
        static const Field fields_##S[] = { PROTO_##S(ROW_##S) };                                  \
        const ProtoSchema codec_schema_##S = { #S, sizeof(Proto##S), fields_##S,                   \
                                               sizeof(fields_##S) / sizeof(fields_##S[0]) };
PROTO_PAYLOADS(DEFINE_SCHEMA)
#undef DEFINE_SCHEMA
const ProtoSchema codec_schema_Empty = { "Empty", sizeof(ProtoEmpty), NULL, 0 };

/* Each method's payload schemas, from its PROTO_METHODS row. */
static const ProtoSchema *const requests[PROTO_M_COUNT] = {
#define REQ_ROW(e, name, flags, req, rep) &codec_schema_##req,
        PROTO_METHODS(REQ_ROW)
#undef REQ_ROW
};
static const ProtoSchema *const replies[PROTO_M_COUNT] = {
#define REP_ROW(e, name, flags, req, rep) &codec_schema_##rep,
        PROTO_METHODS(REP_ROW)
#undef REP_ROW
};

const ProtoSchema *codec_request_schema(ProtoMethod m)
{
        return m >= 0 && m < PROTO_M_COUNT ? requests[m] : NULL;
}

const ProtoSchema *codec_reply_schema(ProtoMethod m)
{
        return m >= 0 && m < PROTO_M_COUNT ? replies[m] : NULL;
}

/* --- encode ---------------------------------------------------------------------------- */

static bool is_absent(const Field *f, const void *p)
{
        switch (f->kind) {
        case K_STR:
        case K_BIN:
                return ((const ProtoStr *)p)->ptr == NULL;
        case K_OPT_UINT:
                return !((const ProtoOptUint *)p)->is_set;
        case K_STRUCT:
                return *(const void *const *)p == NULL;
        case K_CONTEXT:
                return ((const ProtoContext *)p)->items == NULL;
        case K_STRS:
                return ((const ProtoStrList *)p)->items == NULL;
        default:
                return false;
        }
}

static void encode_value(ProtoBuf *b, const Field *f, const void *p)
{
        msgpack_packer *pk = &b->pk;

        if (is_absent(f, p)) {
                msgpack_pack_nil(pk);
                return;
        }
        switch (f->kind) {
        case K_STR:
                proto_pack_strn(b, ((const ProtoStr *)p)->ptr, ((const ProtoStr *)p)->len);
                break;
        case K_BIN:
                msgpack_pack_bin(pk, ((const ProtoStr *)p)->len);
                msgpack_pack_bin_body(pk, ((const ProtoStr *)p)->ptr, ((const ProtoStr *)p)->len);
                break;
        case K_UINT:
                msgpack_pack_uint64(pk, *(const uint64_t *)p);
                break;
        case K_OPT_UINT:
                msgpack_pack_uint64(pk, ((const ProtoOptUint *)p)->value);
                break;
        case K_BOOL:
                if (*(const bool *)p)
                        msgpack_pack_true(pk);
                else
                        msgpack_pack_false(pk);
                break;
        case K_U32S: {
                const ProtoU32List *l = p;

                msgpack_pack_array(pk, l->n);
                for (size_t i = 0; i < l->n; i++)
                        msgpack_pack_uint32(pk, l->items[i]);
                break;
        }
        case K_STRS: {
                const ProtoStrList *l = p;

                msgpack_pack_array(pk, l->n);
                for (size_t i = 0; i < l->n; i++)
                        proto_pack_strn(b, l->items[i].ptr, l->items[i].len);
                break;
        }
        case K_STRMAP: {
                const ProtoStrMap *m = p;

                msgpack_pack_map(pk, m->n);
                for (size_t i = 0; i < m->n; i++)
                        proto_pack_kv_str(b, m->keys[i], m->values[i]);
                break;
        }
        case K_LIST: {
                const List *l = p;

                msgpack_pack_array(pk, l->n);
                for (size_t i = 0; i < l->n; i++)
                        codec_encode(b, f->sub, (const char *)l->items + i * f->sub->size);
                break;
        }
        case K_STRUCT:
                codec_encode(b, f->sub, *(const void *const *)p);
                break;
        case K_PAIRS: {
                const ProtoPairs *l = p;

                msgpack_pack_array(pk, l->n);
                for (size_t i = 0; i < l->n; i++) {
                        msgpack_pack_array(pk, 2);
                        proto_pack_strn(b, l->names[i].ptr, l->names[i].len);
                        proto_pack_strn(b, l->values[i].ptr, l->values[i].len);
                }
                break;
        }
        case K_CONTEXT: {
                const ProtoContext *c = p;

                msgpack_pack_map(pk, c->n);
                for (size_t i = 0; i < c->n; i++) {
                        const ProtoContextEntry *e = &c->items[i];

                        proto_pack_strn(b, e->key.ptr, e->key.len);
                        if (!e->is_list && e->n_values == 1) {
                                proto_pack_strn(b, e->values[0].ptr, e->values[0].len);
                                continue;
                        }
                        msgpack_pack_array(pk, e->n_values);
                        for (size_t j = 0; j < e->n_values; j++)
                                proto_pack_strn(b, e->values[j].ptr, e->values[j].len);
                }
                break;
        }
        }
}

void codec_encode(ProtoBuf *b, const ProtoSchema *schema, const void *x)
{
        size_t n = 0;

        for (size_t i = 0; i < schema->n_fields; i++) {
                const Field *f = &schema->fields[i];

                n += !(f->presence == PROTO_OPTIONAL && is_absent(f, (const char *)x + f->offset));
        }
        msgpack_pack_map(&b->pk, n);
        for (size_t i = 0; i < schema->n_fields; i++) {
                const Field *f = &schema->fields[i];
                const void *p = (const char *)x + f->offset;

                if (f->presence == PROTO_OPTIONAL && is_absent(f, p))
                        continue;
                proto_pack_str(b, f->name);
                encode_value(b, f, p);
        }
}

/* --- decode ---------------------------------------------------------------------------- */

static bool is_str(const msgpack_object *o, size_t max)
{
        return o->type == MSGPACK_OBJECT_STR && (max == 0 || o->via.str.size <= max);
}

/* A NUL-terminated copy of string @o in @zone, refusing embedded NULs. */
static int zone_str(msgpack_zone *zone, const msgpack_object *o, const char **sp)
{
        char *s;

        if (o->type != MSGPACK_OBJECT_STR || memchr(o->via.str.ptr, '\0', o->via.str.size))
                return RPC_E_TYPE;
        s = msgpack_zone_malloc(zone, o->via.str.size + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, o->via.str.ptr, o->via.str.size);
        s[o->via.str.size] = '\0';
        *sp = s;
        return 0;
}

/* Room for @n items of @size in @zone; an empty list gets a pointer that is never read. */
static void *zone_array(msgpack_zone *zone, size_t n, size_t size)
{
        static char empty;

        /* n is a count from a scanned message (under PROTO_MESSAGE_MAX), size a struct's. */
        return n ? msgpack_zone_malloc(zone, n * size) : &empty;
}

/*
 * zone_items() - room in @zone for one @size-byte item per element of @o,
 * which must be a @type (array or map) of at most @f->max elements.
 * Return: the items, or NULL with *@rp set (RPC_E_TYPE or -ENOMEM).
 */
static void *zone_items(msgpack_zone *zone, const Field *f, const msgpack_object *o,
                        msgpack_object_type type, size_t size, int *rp)
{
        uint32_t n;
        void *items;

        *rp = RPC_E_TYPE;
        if (o->type != type)
                return NULL;
        n = type == MSGPACK_OBJECT_MAP ? o->via.map.size : o->via.array.size;
        if (f->max && n > f->max)
                return NULL;
        items = zone_array(zone, n, size);
        if (!items)
                *rp = -ENOMEM;
        return items;
}

static int decode_value(const Field *f, const msgpack_object *o, msgpack_zone *zone, void *p)
{
        int r;

        switch (f->kind) {
        case K_STR:
                if (!is_str(o, f->max))
                        return RPC_E_TYPE;
                *(ProtoStr *)p = (ProtoStr){ o->via.str.ptr, o->via.str.size };
                return 0;
        case K_BIN:
                if (o->type == MSGPACK_OBJECT_BIN && (f->max == 0 || o->via.bin.size <= f->max)) {
                        *(ProtoStr *)p = (ProtoStr){ o->via.bin.ptr, o->via.bin.size };
                        return 0;
                }
                if (!is_str(o, f->max))
                        return RPC_E_TYPE;
                *(ProtoStr *)p = (ProtoStr){ o->via.str.ptr, o->via.str.size };
                return 0;
        case K_UINT:
        case K_OPT_UINT:
                if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                        return RPC_E_TYPE;
                if (f->kind == K_OPT_UINT)
                        *(ProtoOptUint *)p = (ProtoOptUint){ o->via.u64, true };
                else
                        *(uint64_t *)p = o->via.u64;
                return 0;
        case K_BOOL:
                if (o->type != MSGPACK_OBJECT_BOOLEAN)
                        return RPC_E_TYPE;
                *(bool *)p = o->via.boolean;
                return 0;
        case K_U32S: {
                uint32_t *items = zone_items(zone, f, o, MSGPACK_OBJECT_ARRAY, sizeof(*items), &r);

                if (!items)
                        return r;
                for (uint32_t i = 0; i < o->via.array.size; i++) {
                        const msgpack_object *v = &o->via.array.ptr[i];

                        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 > UINT32_MAX)
                                return RPC_E_TYPE;
                        items[i] = (uint32_t)v->via.u64;
                }
                *(ProtoU32List *)p = (ProtoU32List){ items, o->via.array.size };
                return 0;
        }
        case K_STRS: {
                ProtoStr *items = zone_items(zone, f, o, MSGPACK_OBJECT_ARRAY, sizeof(*items), &r);

                if (!items)
                        return r;
                for (uint32_t i = 0; i < o->via.array.size; i++) {
                        const msgpack_object *v = &o->via.array.ptr[i];

                        if (!is_str(v, PROTO_STRS_ITEM_MAX) ||
                            memchr(v->via.str.ptr, '\0', v->via.str.size))
                                return RPC_E_TYPE;
                        items[i] = (ProtoStr){ v->via.str.ptr, v->via.str.size };
                }
                *(ProtoStrList *)p = (ProtoStrList){ items, o->via.array.size };
                return 0;
        }
        case K_STRMAP: {
                /* The keys, then the values, in one array. */
                const char **keys =
                        zone_items(zone, f, o, MSGPACK_OBJECT_MAP, 2 * sizeof(*keys), &r);
                const char **values = keys ? keys + o->via.map.size : NULL;

                if (!keys)
                        return r;
                for (uint32_t i = 0; i < o->via.map.size; i++)
                        if ((r = zone_str(zone, &o->via.map.ptr[i].key, &keys[i])) ||
                            (r = zone_str(zone, &o->via.map.ptr[i].val, &values[i])))
                                return r;
                *(ProtoStrMap *)p = (ProtoStrMap){ keys, values, o->via.map.size };
                return 0;
        }
        case K_LIST: {
                char *items = zone_items(zone, f, o, MSGPACK_OBJECT_ARRAY, f->sub->size, &r);
                const char *ignored;

                if (!items)
                        return r;
                for (uint32_t i = 0; i < o->via.array.size; i++) {
                        if (o->via.array.ptr[i].type != MSGPACK_OBJECT_MAP)
                                return RPC_E_TYPE;
                        r = codec_decode(&o->via.array.ptr[i], zone, f->sub,
                                         items + i * f->sub->size, &ignored);
                        if (r)
                                return r < 0 ? r : RPC_E_TYPE;
                }
                *(List *)p = (List){ items, o->via.array.size };
                return 0;
        }
        case K_STRUCT: {
                void *sub;
                const char *ignored;

                if (o->type != MSGPACK_OBJECT_MAP)
                        return RPC_E_TYPE;
                sub = msgpack_zone_malloc(zone, f->sub->size);
                if (!sub)
                        return -ENOMEM;
                r = codec_decode(o, zone, f->sub, sub, &ignored);
                if (r)
                        return r < 0 ? r : RPC_E_TYPE;
                *(const void **)p = sub;
                return 0;
        }
        case K_PAIRS: {
                /* The names, then the values, in one array. */
                ProtoStr *names =
                        zone_items(zone, f, o, MSGPACK_OBJECT_ARRAY, 2 * sizeof(*names), &r);
                ProtoStr *values = names ? names + o->via.array.size : NULL;

                if (!names)
                        return r;
                for (uint32_t i = 0; i < o->via.array.size; i++) {
                        const msgpack_object *h = &o->via.array.ptr[i];

                        if (h->type != MSGPACK_OBJECT_ARRAY || h->via.array.size != 2 ||
                            !is_str(&h->via.array.ptr[0], 0) || !is_str(&h->via.array.ptr[1], 0))
                                return RPC_E_TYPE;
                        names[i] = (ProtoStr){ h->via.array.ptr[0].via.str.ptr,
                                               h->via.array.ptr[0].via.str.size };
                        values[i] = (ProtoStr){ h->via.array.ptr[1].via.str.ptr,
                                                h->via.array.ptr[1].via.str.size };
                }
                *(ProtoPairs *)p = (ProtoPairs){ names, values, o->via.array.size };
                return 0;
        }
        case K_CONTEXT: {
                ProtoContextEntry *items =
                        zone_items(zone, f, o, MSGPACK_OBJECT_MAP, sizeof(*items), &r);

                if (!items)
                        return r;
                for (uint32_t i = 0; i < o->via.map.size; i++) {
                        const msgpack_object *k = &o->via.map.ptr[i].key,
                                             *v = &o->via.map.ptr[i].val;
                        const msgpack_object *vals = v;
                        uint32_t n = 1;
                        ProtoStr *values;

                        if (!is_str(k, 0))
                                return RPC_E_TYPE;
                        items[i] =
                                (ProtoContextEntry){ .key = { k->via.str.ptr, k->via.str.size } };
                        if (v->type == MSGPACK_OBJECT_ARRAY) {
                                vals = v->via.array.ptr;
                                n = v->via.array.size;
                                items[i].is_list = true;
                        }
                        values = zone_array(zone, n, sizeof(*values));
                        if (!values)
                                return -ENOMEM;
                        for (uint32_t j = 0; j < n; j++) {
                                if (!is_str(&vals[j], 0))
                                        return RPC_E_TYPE;
                                values[j] = (ProtoStr){ vals[j].via.str.ptr, vals[j].via.str.size };
                        }
                        items[i].values = values;
                        items[i].n_values = n;
                }
                *(ProtoContext *)p = (ProtoContext){ items, o->via.map.size };
                return 0;
        }
        }
        return RPC_E_TYPE;
}

int codec_decode(const msgpack_object *map, msgpack_zone *zone, const ProtoSchema *schema, void *x,
                 const char **fieldp)
{
        memset(x, 0, schema->size);
        if (map && map->type != MSGPACK_OBJECT_MAP)
                return RPC_E_TYPE;
        if (!map) {
                /* No parameters (most requests): only a required field is wrong then. */
                for (size_t i = 0; i < schema->n_fields; i++) {
                        if (schema->fields[i].presence == PROTO_REQUIRED) {
                                *fieldp = schema->fields[i].name;
                                return RPC_E_MISSING;
                        }
                }
                return 0;
        }
        for (size_t i = 0; i < schema->n_fields; i++) {
                const Field *f = &schema->fields[i];
                const msgpack_object *o = proto_get(map, f->name);
                int r;

                if (!o) {
                        if (f->presence != PROTO_REQUIRED)
                                continue;
                        *fieldp = f->name;
                        return RPC_E_MISSING;
                }
                r = decode_value(f, o, zone, (char *)x + f->offset);
                if (r) {
                        *fieldp = f->name;
                        return r;
                }
        }
        return 0;
}
