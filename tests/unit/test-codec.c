/* SPDX-License-Identifier: MIT */
/*
 * test-codec.c - the typed payloads (proto/codec.c): for every method, its
 * request and its reply filled field by field from the schema, encoded,
 * unpacked, decoded and encoded again to the same bytes; absent optional
 * fields left out and nullable ones sent as nil; the wire names of the
 * credential map as PROTOCOL.md spells them; and decode errors naming the field.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schema's fields are private to codec.c: the generic round trip walks them. */
#include "codec.c"
#include "util.h"

/* Strings built for one filled struct; freed with it. */
typedef struct Fill {
        char *strs[256];
        size_t n_strs;
        void *allocs[64];
        size_t n_allocs;
} Fill;

static void fill_free(Fill *fl)
{
        for (size_t i = 0; i < fl->n_strs; i++)
                free(fl->strs[i]);
        for (size_t i = 0; i < fl->n_allocs; i++)
                free(fl->allocs[i]);
}

static const char *fill_str(Fill *fl, const char *name, unsigned seed, size_t max)
{
        char *s;

        assert_true(fl->n_strs < ELEMENTSOF(fl->strs));
        assert_true(asprintf(&s, "%s-%u", name, seed) > 0);
        if (max && strlen(s) > max)
                s[max] = '\0';
        fl->strs[fl->n_strs++] = s;
        return s;
}

static void *fill_alloc(Fill *fl, size_t size)
{
        void *p = calloc(1, size ? size : 1);

        assert_non_null(p);
        assert_true(fl->n_allocs < ELEMENTSOF(fl->allocs));
        fl->allocs[fl->n_allocs++] = p;
        return p;
}

/* fill() - give every field of @x (of @s) a value derived from @seed; @sparse leaves optional ones
 * out. */
static void fill(Fill *fl, const ProtoSchema *s, void *x, unsigned seed, bool sparse)
{
        memset(x, 0, s->size);
        for (size_t i = 0; i < s->n_fields; i++) {
                const Field *f = &s->fields[i];
                void *p = (char *)x + f->offset;
                unsigned v = seed * 31 + (unsigned)i;

                if (sparse && f->presence != PROTO_REQUIRED)
                        continue;
                switch (f->kind) {
                case K_STR:
                case K_BIN:
                        *(ProtoStr *)p = proto_str(fill_str(fl, f->name, v, f->max));
                        break;
                case K_UINT:
                        *(uint64_t *)p = (uint64_t)v << (i % 3 * 16);
                        break;
                case K_OPT_UINT:
                        *(ProtoOptUint *)p = (ProtoOptUint){ v, true };
                        break;
                case K_BOOL:
                        *(bool *)p = v % 2;
                        break;
                case K_U32S: {
                        uint32_t *items = fill_alloc(fl, 3 * sizeof(*items));

                        items[0] = v;
                        items[1] = UINT32_MAX;
                        items[2] = 0;
                        *(ProtoU32List *)p = (ProtoU32List){ items, 3 };
                        break;
                }
                case K_STRS: {
                        /* Two strings, one of them empty. */
                        ProtoStr *items = fill_alloc(fl, 2 * sizeof(*items));

                        items[0] = proto_str(fill_str(fl, "s", v, 0));
                        items[1] = proto_str("");
                        *(ProtoStrList *)p = (ProtoStrList){ items, 2 };
                        break;
                }
                case K_STRMAP: {
                        const char **keys = fill_alloc(fl, 2 * sizeof(*keys));
                        const char **values = fill_alloc(fl, 2 * sizeof(*values));

                        keys[0] = fill_str(fl, "k", v, 0);
                        values[0] = fill_str(fl, "v", v, 0);
                        keys[1] = fill_str(fl, "k", v + 1, 0);
                        values[1] = "";
                        *(ProtoStrMap *)p = (ProtoStrMap){ keys, values, 2 };
                        break;
                }
                case K_LIST: {
                        char *items = fill_alloc(fl, 2 * f->sub->size);

                        fill(fl, f->sub, items, v, sparse);
                        fill(fl, f->sub, items + f->sub->size, v + 1, !sparse);
                        *(List *)p = (List){ items, 2 };
                        break;
                }
                case K_STRUCT: {
                        void *sub = fill_alloc(fl, f->sub->size);

                        fill(fl, f->sub, sub, v, sparse);
                        *(const void **)p = sub;
                        break;
                }
                case K_PAIRS: {
                        ProtoStr *names = fill_alloc(fl, 2 * sizeof(*names));
                        ProtoStr *values = fill_alloc(fl, 2 * sizeof(*values));

                        names[0] = proto_str(fill_str(fl, "h", v, 0));
                        values[0] = proto_str(fill_str(fl, "hv", v, 0));
                        /* A repeated name, kept in order. */
                        names[1] = names[0];
                        values[1] = proto_str("");
                        *(ProtoPairs *)p = (ProtoPairs){ names, values, 2 };
                        break;
                }
                case K_CONTEXT: {
                        /* One value (a string), two values and none (arrays). */
                        ProtoContextEntry *items = fill_alloc(fl, 3 * sizeof(*items));
                        ProtoStr *values = fill_alloc(fl, 3 * sizeof(*values));

                        values[0] = proto_str(fill_str(fl, "cv", v, 0));
                        values[1] = proto_str(fill_str(fl, "cv", v + 1, 0));
                        values[2] = proto_str("");
                        items[0] = (ProtoContextEntry){ proto_str(fill_str(fl, "ck", v, 0)), values,
                                                        1, false };
                        items[1] = (ProtoContextEntry){ proto_str(fill_str(fl, "ck", v + 1, 0)),
                                                        values + 1, 2, true };
                        items[2] = (ProtoContextEntry){ proto_str(fill_str(fl, "ck", v + 2, 0)),
                                                        values, 0, true };
                        *(ProtoContext *)p = (ProtoContext){ items, 3 };
                        break;
                }
                }
        }
}

/* Encode @x, unpack it, decode it into @y and encode @y: the same bytes. */
static void round_trip(const ProtoSchema *s, const void *x)
{
        ProtoBuf a, b;
        msgpack_zone zone;
        msgpack_object obj;
        size_t off = 0;
        const char *field = NULL;
        void *y = calloc(1, s->size);

        assert_non_null(y);
        proto_buf_init(&a, false);
        proto_buf_init(&b, false);
        msgpack_zone_init(&zone, 1024);
        codec_encode(&a, s, x);
        assert_false(a.is_oom);
        assert_int_equal(msgpack_unpack((const char *)a.data, a.len, &off, &zone, &obj),
                         MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(off, a.len);
        assert_int_equal(obj.type, MSGPACK_OBJECT_MAP);
        if (codec_decode(&obj, &zone, s, y, &field) != 0)
                fail_msg("%s: decode failed at '%s'", s->name, field ? field : "?");
        codec_encode(&b, s, y);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        msgpack_zone_destroy(&zone);
        proto_buf_deinit(&a);
        proto_buf_deinit(&b);
        free(y);
}

static void test_round_trip_every_method(void **state)
{
        (void)state;
        for (int m = 0; m < PROTO_M_COUNT; m++) {
                const ProtoSchema *sch[2] = { codec_request_schema(m), codec_reply_schema(m) };

                for (int k = 0; k < 2; k++) {
                        for (int sparse = 0; sparse < 2; sparse++) {
                                Fill fl = { .n_strs = 0 };
                                void *x = fill_alloc(&fl, sch[k]->size);

                                fill(&fl, sch[k], x, (unsigned)m * 7 + (unsigned)k, sparse);
                                round_trip(sch[k], x);
                                fill_free(&fl);
                        }
                }
        }
        assert_null(codec_request_schema(PROTO_M_COUNT));
        assert_null(codec_reply_schema(PROTO_M_UNKNOWN));
        assert_ptr_equal(codec_request_schema(PROTO_M_GET_CREDENTIALS),
                         &codec_schema_GetCredentialsReq);
        assert_ptr_equal(codec_reply_schema(PROTO_M_ASSUME_ROLE), &codec_schema_CredentialsRep);
        assert_ptr_equal(codec_reply_schema(PROTO_M_SIMULATE), &codec_schema_DecisionRep);
}

/* The credential map with the wire names PROTOCOL.md gives, read back typed. */
static void test_credentials_wire_names(void **state)
{
        static const char *const names[] = { "accessKeyId", "secretAccessKey", "sessionToken",
                                             "expiration",  "expirationIso",   "role",
                                             "roleArn",     "assumedRoleArn",  "sessionId",
                                             "issuer" };
        ProtoCredentialsRep in = {
                .access_key_id = proto_str("ASIAAAAAAAAAAAAAAAAA"),
                .secret_access_key = proto_str("s3cr3t"),
                .session_token = proto_str("tok"),
                .expiration = 1700000000,
                .expiration_iso = proto_str("2023-11-14T22:13:20Z"),
                .role = proto_str("web"),
        }, out;
        ProtoBuf b;
        msgpack_zone zone;
        msgpack_object obj;
        size_t off = 0;
        const char *field;

        (void)state;
        proto_buf_init(&b, true);
        msgpack_zone_init(&zone, 1024);
        codec_encode_CredentialsRep(&b, &in);
        assert_int_equal(msgpack_unpack((const char *)b.data, b.len, &off, &zone, &obj),
                         MSGPACK_UNPACK_SUCCESS);
        /* Six fields set; the four optional ones left out. */
        assert_int_equal(obj.via.map.size, 6);
        for (size_t i = 0; i < 6; i++)
                assert_true(proto_str_eq(&obj.via.map.ptr[i].key, names[i]));
        for (size_t i = 6; i < ELEMENTSOF(names); i++)
                assert_null(proto_get(&obj, names[i]));
        assert_int_equal(codec_decode_CredentialsRep(&obj, &zone, &out, &field), 0);
        assert_int_equal(out.expiration, 1700000000);
        assert_int_equal(out.secret_access_key.len, 6);
        assert_memory_equal(out.secret_access_key.ptr, "s3cr3t", 6);
        assert_null(out.role_arn.ptr);
        msgpack_zone_destroy(&zone);
        proto_buf_deinit(&b);
}

/* Unpack the msgpack bytes @p[0..@n) into @obj in @zone. */
static void unpack(const char *p, size_t n, msgpack_zone *zone, msgpack_object *obj)
{
        size_t off = 0;

        assert_int_equal(msgpack_unpack(p, n, &off, zone, obj), MSGPACK_UNPACK_SUCCESS);
}
#define UNPACK(lit) unpack(lit, sizeof(lit) - 1, &zone, &obj)

/* Authorize's action and resource, the two fields it requires. */
static void pack_target(ProtoBuf *b)
{
        proto_pack_kv_str(b, "action", "a");
        proto_pack_kv_str(b, "resource", "r");
}

static void test_decode_errors(void **state)
{
        msgpack_zone zone;
        msgpack_object obj;
        ProtoAssumeRoleReq ar;
        ProtoGetCredentialsReq gc;
        ProtoDecisionRep dr;
        ProtoAuthorizeReq az;
        ProtoBuf mb;
        const char *field = NULL;

        (void)state;
        msgpack_zone_init(&zone, 1024);
        proto_buf_init(&mb, false);
        /* No parameters at all: optional fields absent, required ones missing. */
        assert_int_equal(codec_decode_GetCredentialsReq(NULL, &zone, &gc, &field), 0);
        assert_null(gc.role.ptr);
        assert_false(gc.duration_seconds.is_set);
        assert_int_equal(codec_decode_AssumeRoleReq(NULL, &zone, &ar, &field), RPC_E_MISSING);
        assert_string_equal(field, "role");
        /* {"role": "r", "durationSeconds": "x"}: the wrong type, named. */
        UNPACK("\x82\xa4role\xa1r\xaf"
               "durationSeconds\xa1x");
        assert_int_equal(codec_decode_AssumeRoleReq(&obj, &zone, &ar, &field), RPC_E_TYPE);
        assert_string_equal(field, "durationSeconds");
        /* {"role": nil}: nil counts as absent. */
        UNPACK("\x81\xa4role\xc0");
        assert_int_equal(codec_decode_AssumeRoleReq(&obj, &zone, &ar, &field), RPC_E_MISSING);
        /* A role name one byte over PROTO_ROLE_NAME_MAX. */
        {
                char buf[80] = "\x81\xa4role\xd9\x41";

                memset(buf + 8, 'a', 65);
                unpack(buf, 8 + 65, &zone, &obj);
                assert_int_equal(codec_decode_GetCredentialsReq(&obj, &zone, &gc, &field),
                                 RPC_E_TYPE);
                assert_string_equal(field, "role");
        }
        /* A nested struct of the wrong shape: {"decision": "allow", "matched": 1, "role": "r"}. */
        UNPACK("\x83\xa8"
               "decision\xa5"
               "allow\xa7matched\x01\xa4role\xa1r");
        assert_int_equal(codec_decode_DecisionRep(&obj, &zone, &dr, &field), RPC_E_TYPE);
        assert_string_equal(field, "matched");
        /* A context value that is not a string: the whole context is refused, named. */
        msgpack_pack_map(&mb.pk, 3);
        proto_pack_str(&mb, "context");
        msgpack_pack_map(&mb.pk, 1);
        proto_pack_kv_uint(&mb, "k", 1);
        pack_target(&mb);
        unpack((const char *)mb.data, mb.len, &zone, &obj);
        assert_int_equal(codec_decode_AuthorizeReq(&obj, &zone, &az, &field), RPC_E_TYPE);
        assert_string_equal(field, "context");
        proto_buf_reset(&mb);
        /* A signed request's header that is not a [name, value] pair, then one that is. */
        for (int is_pair = 0; is_pair < 2; is_pair++) {
                msgpack_pack_map(&mb.pk, 3);
                proto_pack_str(&mb, "request");
                msgpack_pack_map(&mb.pk, 3);
                proto_pack_kv_str(&mb, "method", "GET");
                proto_pack_kv_str(&mb, "path", "/");
                proto_pack_str(&mb, "headers");
                msgpack_pack_array(&mb.pk, 1);
                msgpack_pack_array(&mb.pk, 1 + is_pair);
                proto_pack_str(&mb, "h");
                if (is_pair)
                        proto_pack_str(&mb, "v");
                pack_target(&mb);
                unpack((const char *)mb.data, mb.len, &zone, &obj);
                if (!is_pair) {
                        assert_int_equal(codec_decode_AuthorizeReq(&obj, &zone, &az, &field),
                                         RPC_E_TYPE);
                        assert_string_equal(field, "request");
                        proto_buf_reset(&mb);
                        continue;
                }
                assert_int_equal(codec_decode_AuthorizeReq(&obj, &zone, &az, &field), 0);
                assert_non_null(az.request);
                assert_int_equal(az.request->headers.n, 1);
                assert_memory_equal(az.request->headers.values[0].ptr, "v", 1);
                assert_null(az.request->body.ptr);
                assert_null(az.context.items);
        }
        /* Not a map at all. */
        UNPACK("\x91\x01");
        assert_int_equal(codec_decode_GetCredentialsReq(&obj, &zone, &gc, &field), RPC_E_TYPE);
        proto_buf_deinit(&mb);
        msgpack_zone_destroy(&zone);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip_every_method),
                cmocka_unit_test(test_credentials_wire_names),
                cmocka_unit_test(test_decode_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
