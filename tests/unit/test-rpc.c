/* SPDX-License-Identifier: MIT */
/*
 * test-rpc.c - MessagePack-RPC envelopes and field access (proto/rpc.c):
 * round trips of request, notification, response and error through the
 * scanner and the decoder, every malformed envelope shape, the typed field
 * getters, the method and error tables, and the output buffer.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "scan.h"

/* decode_bytes() - scan then decode @p; the caller destroys the zone. */
static int decode_bytes(const uint8_t *p, size_t n, msgpack_zone *zone, msgpack_object *obj,
                        ProtoMsg *msg)
{
        Scan s;
        size_t m = 0;

        scan_init(&s, PROTO_MESSAGE_MAX);
        assert_int_equal(scan_feed(&s, p, n, &m), 0);
        assert_int_equal(m, n);
        assert_true(msgpack_zone_init(zone, 1024));
        return proto_decode(p, n, zone, obj, msg);
}

static void test_request_round_trip(void **state)
{
        ProtoBuf b;
        msgpack_zone zone;
        msgpack_object obj;
        const msgpack_object *v;
        ProtoMsg msg;
        const char *s;
        const uint8_t *bp;
        size_t n;

        (void)state;
        proto_buf_init(&b, false);
        proto_pack_request(&b, 0xfffffffe, "GetCredentials");
        msgpack_pack_map(&b.pk, 6);
        proto_pack_kv_str(&b, "role", "web");
        proto_pack_kv_uint(&b, "durationSeconds", 900);
        proto_pack_kv_bool(&b, "flag", true);
        proto_pack_kv_bin(&b, "blob", "\x00\x01", 2);
        proto_pack_kv_str(&b, "nothing", NULL);
        proto_pack_kv_int(&b, "neg", -5);
        assert_false(b.is_oom);
        assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
        assert_int_equal(msg.type, PROTO_REQUEST);
        assert_int_equal(msg.msgid, 0xfffffffe);
        assert_int_equal(msg.method, PROTO_M_GET_CREDENTIALS);
        assert_int_equal(msg.method_name_len, 14);
        assert_memory_equal(msg.method_name, "GetCredentials", 14);
        assert_non_null(msg.params);

        assert_int_equal(proto_get_str(msg.params, "role", 64, &s, &n), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(s, "web", 3);
        assert_int_equal(proto_get_str(msg.params, "role", 2, &s, &n), RPC_E_TYPE);
        assert_int_equal(proto_get_str(msg.params, "durationSeconds", 64, &s, &n), RPC_E_TYPE);
        assert_int_equal(proto_get_str(msg.params, "absent", 64, &s, &n), RPC_E_MISSING);
        assert_int_equal(proto_get_str(msg.params, "nothing", 64, &s, &n), RPC_E_MISSING);
        /* The packers' integers and Booleans come back as such. */
        v = proto_get(msg.params, "durationSeconds");
        assert_true(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 == 900);
        v = proto_get(msg.params, "neg");
        assert_true(v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && v->via.i64 == -5);
        v = proto_get(msg.params, "flag");
        assert_true(v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean);
        assert_int_equal(proto_get_bin(msg.params, "blob", 2, &bp, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(bp[1], 1);
        assert_int_equal(proto_get_bin(msg.params, "blob", 1, &bp, &n), RPC_E_TYPE);
        assert_int_equal(proto_get_bin(msg.params, "role", 3, &bp, &n), 0); /* str accepted */
        assert_null(proto_get(NULL, "role"));
        assert_null(proto_get(msg.params, "nothing"));
        msgpack_zone_destroy(&zone);
        proto_buf_deinit(&b);
        proto_buf_deinit(&b); /* twice is fine */
}

static void test_notification_and_responses(void **state)
{
        ProtoBuf b;
        msgpack_zone zone;
        msgpack_object obj;
        ProtoMsg msg;
        const char *m;
        size_t n;

        (void)state;
        proto_buf_init(&b, true);
        proto_pack_notification(&b, "Renewed");
        msgpack_pack_map(&b.pk, 0);
        assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
        assert_int_equal(msg.type, PROTO_NOTIFICATION);
        assert_int_equal(msg.method, PROTO_M_UNKNOWN);
        assert_memory_equal(msg.method_name, "Renewed", 7);
        assert_null(msg.params); /* [{}] means no parameters */
        msgpack_zone_destroy(&zone);

        proto_buf_reset(&b);
        assert_int_equal(b.len, 0);
        proto_pack_response_ok(&b, 7);
        msgpack_pack_map(&b.pk, 1);
        proto_pack_kv_str(&b, "accessKeyId", "ASIA");
        assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
        assert_int_equal(msg.type, PROTO_RESPONSE);
        assert_int_equal(msg.msgid, 7);
        assert_null(msg.error);
        assert_non_null(msg.result);
        assert_true(proto_str_eq(proto_get(msg.result, "accessKeyId"), "ASIA"));
        msgpack_zone_destroy(&zone);

        proto_buf_reset(&b);
        proto_pack_response_error(&b, 9, PROTO_ACCESS_DENIED, "role web: not trusted");
        assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
        assert_int_equal(msg.msgid, 9);
        assert_non_null(msg.error);
        assert_null(msg.result);
        assert_int_equal(proto_error_code(msg.error), PROTO_ACCESS_DENIED);
        m = proto_error_message(msg.error, &n);
        assert_int_equal(n, strlen("role web: not trusted"));
        assert_memory_equal(m, "role web: not trusted", n);
        msgpack_zone_destroy(&zone);

        /* An out-of-range code is sent as Internal; a NULL message as "". */
        proto_buf_reset(&b);
        proto_pack_response_error(&b, 1, PROTO_ERROR_COUNT, NULL);
        assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
        assert_int_equal(proto_error_code(msg.error), PROTO_INTERNAL);
        m = proto_error_message(msg.error, &n);
        assert_int_equal(n, 0);
        msgpack_zone_destroy(&zone);
        {
                uint8_t *p;

                p = proto_buf_steal(&b, &n);
                assert_non_null(p);
                assert_true(n > 0);
                assert_null(b.data);
                free(p);
        }
        proto_buf_deinit(&b);
}

/* expect() - raw bytes @bytes must decode with result @want (@line: for the failure message). */
static void expect(const char *bytes, size_t n, int want, int line)
{
        msgpack_zone zone;
        msgpack_object obj;
        ProtoMsg msg;
        int r;

        assert_true(msgpack_zone_init(&zone, 256));
        r = proto_decode((const uint8_t *)bytes, n, &zone, &obj, &msg);
        msgpack_zone_destroy(&zone);
        if (r != want)
                fail_msg("line %d: proto_decode() = %d, want %d", line, r, want);
}

#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, want, __LINE__)

/*
 * same() - @bytes (a fixarray envelope) must decode exactly as the same
 * message with an array16 envelope does: proto_decode() decodes the usual
 * request shape by hand and everything else through msgpack-c, so this
 * holds the one against the other.
 */
static void same(const char *bytes, size_t n, int line)
{
        msgpack_zone za, zb;
        msgpack_object oa, ob;
        ProtoMsg a, b;
        char wide[160];
        int ra, rb;

        assert_true(n > 0 && n + 2 <= sizeof(wide) && ((uint8_t)bytes[0] & 0xf0) == 0x90);
        wide[0] = (char)0xdc;
        wide[1] = 0;
        wide[2] = (char)(bytes[0] & 0x0f);
        memcpy(wide + 3, bytes + 1, n - 1);
        assert_true(msgpack_zone_init(&za, 256));
        assert_true(msgpack_zone_init(&zb, 256));
        ra = proto_decode((const uint8_t *)bytes, n, &za, &oa, &a);
        rb = proto_decode((const uint8_t *)wide, n + 2, &zb, &ob, &b);
        if (ra != rb)
                fail_msg("line %d: proto_decode() = %d, %d with array16", line, ra, rb);
        if (ra == 0) {
                if (a.type != b.type || a.msgid != b.msgid || a.method != b.method ||
                    a.method_name_len != b.method_name_len ||
                    (a.method_name_len > 0 &&
                     memcmp(a.method_name, b.method_name, a.method_name_len) != 0) ||
                    !a.params != !b.params ||
                    (a.params && !msgpack_object_equal(*a.params, *b.params)))
                        fail_msg("line %d: the two decodings differ", line);
        }
        msgpack_zone_destroy(&za);
        msgpack_zone_destroy(&zb);
}

#define SAME(lit) same(lit, sizeof(lit) - 1, __LINE__)

static void test_request_shapes_agree(void **state)
{
        (void)state;
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x80");
        SAME("\x94\x00\x01\xaeGetCredentials\x90");
        SAME("\x94\x00\x01\xaeGetCredentials\xc0");
        SAME("\x94\x00\x01\xaeGetCredentials\x91\xc0");
        SAME("\x94\x00\x7f\xa4Nope\x91\x80");
        SAME("\x94\x00\xcc\x80\xa5Hello\x91\x80");
        SAME("\x94\x00\xcd\x12\x34\xa5Hello\x91\x80");
        SAME("\x94\x00\xce\xff\xff\xff\xff\xa5Hello\x91\x80");
        SAME("\x94\x00\xcf\x00\x00\x00\x00\x00\x00\x00\x02\xa5Hello\x91\x80");
        SAME("\x94\x00\xd0\x05\xa5Hello\x91\x80"); /* int8 5 */
        SAME("\x94\x00\xd0\xfb\xa5Hello\x91\x80"); /* int8 -5 */
        SAME("\x94\x00\x01\xd9\x05Hello\x91\x80"); /* str8 name */
        SAME("\x94\x00\x01\xc4\x05Hello\x91\x80"); /* bin name */
        SAME("\x94\x00\x01\xa0\x91\x80");          /* empty name */
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x81\xa4role\xa3web");
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x82\xa4role\xa3web\xa1x\x01");
        SAME("\x94\x00\x01\xaeGetCredentials\x91\xde\x00\x00"); /* map16 of 0 */
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x81\xa4role"); /* truncated */
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x80\x80");     /* trailing byte */
        SAME("\x94\x00\x01\xaeGetCredentials\x90\x80");
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x01");
        SAME("\x94\x00\x01\xaeGetCredentials\x91\x90");
        SAME("\x94\x00\x01\xaeGetCredentials\x92\x80\x80");
        SAME("\x94\x00\x01\xaeGetCredentials\x80");
        SAME("\x94\x00\x01\xaeGetCredentials\xdc\x00\x01\x80");
        SAME("\x94\x00\x01\xaeGetCredentials"); /* no params */
        SAME("\x94\x00\x01\xaeGetCredential");  /* name cut short */
        SAME("\x94\x00\xcd\x12");               /* msgid cut short */
        SAME("\x94\x01\x01\xc0\x80");           /* a response */
        SAME("\x94\x02\x01\xa5Hello\x91\x80");  /* type 2 with 4 elements */
        SAME("\x93\x02\xa5Hello\x91\x80");      /* a notification */
}

static void test_envelope_shapes(void **state)
{
        char method[PROTO_METHOD_MAX + 2];
        char buf[128];

        (void)state;
        EXPECT("\x94\x00\x01\xa5Hello\x90", 0);                       /* [0,1,"Hello",[]] */
        EXPECT("\x94\x00\x01\xa5Hello\x91\xc0", 0);                   /* [nil] */
        EXPECT("\x94\x00\x01\xa5Hello\xc0", 0);                       /* nil params */
        EXPECT("\x94\x00\x01\xa5Hello\x91\x80", 0);                   /* [{}] */
        EXPECT("\x94\x00\x01\xa5Hello\x92\x80\x80", RPC_E_MALFORMED); /* two maps */
        EXPECT("\x94\x00\x01\xa5Hello\x91\x01", RPC_E_MALFORMED);     /* [1] */
        EXPECT("\x94\x00\x01\xa5Hello\x80", RPC_E_MALFORMED);         /* bare map */
        EXPECT("\x93\x00\x01\xa5Hello", RPC_E_MALFORMED);             /* request of 3 */
        EXPECT("\x95\x00\x01\xa5Hello\x90\x90", RPC_E_MALFORMED);     /* request of 5 */
        EXPECT("\x94\x00\xff\xa5Hello\x90", RPC_E_MALFORMED);         /* msgid -1 */
        EXPECT("\x94\x00\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xa5Hello\x90", RPC_E_MALFORMED);
        EXPECT("\x94\x00\xce\xff\xff\xff\xff\xa5Hello\x90", 0);   /* msgid 2^32-1 */
        EXPECT("\x94\x00\x01\xa0\x90", RPC_E_MALFORMED);          /* empty method */
        EXPECT("\x94\x00\x01\x01\x90", RPC_E_MALFORMED);          /* method not a str */
        EXPECT("\x94\x00\x01\xc4\x05Hello\x90", RPC_E_MALFORMED); /* method as bin */
        EXPECT("\x94\x03\x01\xa5Hello\x90", RPC_E_MALFORMED);     /* type 3 */
        EXPECT("\x94\xff\x01\xa5Hello\x90", RPC_E_MALFORMED);     /* type -1 */
        EXPECT("\x94\xa1x\x01\xa5Hello\x90", RPC_E_MALFORMED);    /* type a str */
        /* A type that only equals 0 when truncated to int. */
        EXPECT("\x94\xcf\x00\x00\x00\x01\x00\x00\x00\x00\x01\xa5Hello\x90", RPC_E_MALFORMED);
        EXPECT("\x94\x01\x01\xc0\xc0", 0);                /* response nil/nil */
        EXPECT("\x94\x01\x01\x01\xc0", RPC_E_MALFORMED);  /* error not a map */
        EXPECT("\x93\x01\x01\xc0", RPC_E_MALFORMED);      /* response of 3 */
        EXPECT("\x93\x02\xa1x\x90", 0);                   /* notification */
        EXPECT("\x94\x02\xa1x\x90\x90", RPC_E_MALFORMED); /* notification of 4 */
        EXPECT("\x92\x00\x01", RPC_E_MALFORMED);
        EXPECT("\x90", RPC_E_MALFORMED);
        EXPECT("\x81\x00\x00", RPC_E_MALFORMED);                  /* not an array */
        EXPECT("\x94\x00\x01\xa5Hello", RPC_E_MALFORMED);         /* truncated */
        EXPECT("\x94\x00\x01\xa5Hello\x90\x00", RPC_E_MALFORMED); /* trailing byte */

        /* Method names up to PROTO_METHOD_MAX bytes. */
        for (size_t len = PROTO_METHOD_MAX; len <= PROTO_METHOD_MAX + 1; len++) {
                size_t o = 0;

                memset(method, 'M', len);
                buf[o++] = (char)0x94;
                buf[o++] = 0x00;
                buf[o++] = 0x01;
                buf[o++] = (char)0xd9;
                buf[o++] = (char)len;
                memcpy(buf + o, method, len);
                o += len;
                buf[o++] = (char)0x90;
                expect(buf, o, len <= PROTO_METHOD_MAX ? 0 : RPC_E_MALFORMED, __LINE__);
        }
}

static void test_tables(void **state)
{
        (void)state;
        for (int m = 0; m < PROTO_M_COUNT; m++) {
                const char *name = proto_method_name((ProtoMethod)m);

                assert_non_null(name);
                assert_true(strlen(name) <= PROTO_METHOD_MAX);
                assert_int_equal(proto_method_lookup(name, strlen(name)), m);
        }
        assert_null(proto_method_name(PROTO_M_COUNT));
        assert_null(proto_method_name(PROTO_M_UNKNOWN));
        assert_int_equal(proto_method_lookup("Hell", 4), PROTO_M_UNKNOWN);
        assert_int_equal(proto_method_lookup("HelloX", 6), PROTO_M_UNKNOWN);
        assert_int_equal(proto_method_lookup("HelloX", 5), PROTO_M_HELLO);
        assert_int_equal(proto_method_flags(PROTO_M_RELOAD), PROTO_F_ADMIN | PROTO_F_RESEND);
        assert_int_equal(proto_method_flags(PROTO_M_GET_CREDENTIALS), PROTO_F_RESEND);
        assert_int_equal(proto_method_flags(PROTO_M_MFA), PROTO_F_NONE);
        assert_int_equal(proto_method_flags(PROTO_M_COUNT), 0);
        for (int e = 1; e < PROTO_ERROR_COUNT; e++) {
                const char *name = proto_error_name((ProtoError)e);

                assert_int_equal(proto_error_lookup(name, strlen(name)), e);
        }
        assert_string_equal(proto_error_name(PROTO_OK), "");
        assert_string_equal(proto_error_name(PROTO_INVALID_TOKEN), "InvalidClientTokenId");
        assert_null(proto_error_name(PROTO_ERROR_COUNT));
        assert_int_equal(proto_error_lookup("NoSuchThing", 11), PROTO_INTERNAL);
        assert_int_equal(proto_error_lookup("", 0), PROTO_INTERNAL);
}

/*
 * proto_pack_response_ok() writes its header by hand: the same bytes as
 * msgpack-c's packer, for msgids at every width boundary.
 */
static void test_response_header_bytes(void **state)
{
        static const uint32_t ids[] = { 0,     1,      0x7f,    0x80,       0xff,
                                        0x100, 0xffff, 0x10000, 0x7fffffff, UINT32_MAX };
        ProtoBuf b, ref;

        (void)state;
        proto_buf_init(&b, false);
        proto_buf_init(&ref, false);
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                msgpack_zone zone;
                msgpack_object obj;
                ProtoMsg msg;

                proto_buf_reset(&b);
                proto_buf_reset(&ref);
                proto_pack_response_ok(&b, ids[i]);
                msgpack_pack_array(&ref.pk, 4);
                msgpack_pack_uint8(&ref.pk, PROTO_RESPONSE);
                msgpack_pack_uint32(&ref.pk, ids[i]);
                msgpack_pack_nil(&ref.pk);
                assert_int_equal(b.len, ref.len);
                assert_memory_equal(b.data, ref.data, b.len);
                msgpack_pack_nil(&b.pk);
                assert_int_equal(decode_bytes(b.data, b.len, &zone, &obj, &msg), 0);
                assert_int_equal(msg.type, PROTO_RESPONSE);
                assert_int_equal(msg.msgid, ids[i]);
                msgpack_zone_destroy(&zone);
        }
        proto_buf_deinit(&b);
        proto_buf_deinit(&ref);
}

static void test_buffer(void **state)
{
        ProtoBuf b;
        uint8_t big[5000];

        (void)state;
        memset(big, 0x42, sizeof(big));
        proto_buf_init(&b, true);
        for (int i = 0; i < 10; i++)
                assert_int_equal(proto_buf_append(&b, big, sizeof(big)), 0);
        assert_int_equal(b.len, 10 * sizeof(big));
        assert_true(b.size >= b.len);
        assert_int_equal(b.data[b.len - 1], 0x42);
        proto_buf_reset(&b);
        assert_int_equal(b.len, 0);
        /* The contents were wiped, the allocation kept. */
        assert_non_null(b.data);
        assert_int_equal(b.data[0], 0);
        assert_int_equal(b.data[sizeof(big)], 0);
        proto_buf_deinit(&b);
        assert_null(b.data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request_round_trip),
                cmocka_unit_test(test_notification_and_responses),
                cmocka_unit_test(test_envelope_shapes),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_request_shapes_agree),
                cmocka_unit_test(test_response_header_bytes),
                cmocka_unit_test(test_buffer),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
