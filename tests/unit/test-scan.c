/* SPDX-License-Identifier: MIT */
/*
 * test-scan.c - the bounded MessagePack scanner (proto/scan.c): byte-by-byte
 * feeding, every lying length form, the depth limit, the size limit, invalid
 * bytes and the top-level-array rule.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

/* scan_all() - scan @buf in one call with limit @limit. */
static int scan_all(const uint8_t *buf, size_t len, size_t limit, size_t *msg_lenp)
{
        Scan s;
        size_t dummy = 0;

        scan_init(&s, limit);
        return scan_feed(&s, buf, len, msg_lenp ? msg_lenp : &dummy);
}

/* A real request with every kind of object in it. */
static size_t sample(uint8_t *out, size_t size)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;
        static const char bin[300] = { 1 };
        size_t n;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_uint32(&pk, 0xdeadbeef);
        msgpack_pack_str_with_body(&pk, "GetCredentials", 14);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 8);
        msgpack_pack_str_with_body(&pk, "role", 4);
        msgpack_pack_str_with_body(&pk, "web", 3);
        msgpack_pack_str_with_body(&pk, "d", 1);
        msgpack_pack_uint64(&pk, 1ull << 40);
        msgpack_pack_str_with_body(&pk, "neg", 3);
        msgpack_pack_int64(&pk, -(1ll << 40));
        msgpack_pack_str_with_body(&pk, "f", 1);
        msgpack_pack_double(&pk, 1.5);
        msgpack_pack_str_with_body(&pk, "bin", 3);
        msgpack_pack_bin_with_body(&pk, bin, sizeof(bin));
        msgpack_pack_str_with_body(&pk, "ext", 3);
        msgpack_pack_ext_with_body(&pk, "abcd", 4, 7);
        msgpack_pack_str_with_body(&pk, "list", 4);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_nil(&pk);
        msgpack_pack_true(&pk);
        msgpack_pack_map(&pk, 0);
        msgpack_pack_str_with_body(&pk, "long", 4);
        msgpack_pack_str_with_body(&pk, bin, 40);
        n = sb.size;
        assert_true(n <= size);
        memcpy(out, sb.data, n);
        msgpack_sbuffer_destroy(&sb);
        return n;
}

static void test_whole_and_trailing(void **state)
{
        uint8_t buf[1024];
        size_t n = sample(buf, sizeof(buf)), m = 0;

        (void)state;
        assert_int_equal(scan_all(buf, n, PROTO_MESSAGE_MAX, &m), 0);
        assert_int_equal(m, n);
        /* The next message's first bytes do not matter. */
        buf[n] = 0x94;
        buf[n + 1] = 0xc1;
        assert_int_equal(scan_all(buf, n + 2, PROTO_MESSAGE_MAX, &m), 0);
        assert_int_equal(m, n);
        /* Exactly at the limit is fine, one byte less is not. */
        assert_int_equal(scan_all(buf, n, n, &m), 0);
        assert_int_equal(scan_all(buf, n, n - 1, &m), SCAN_E_TOO_LARGE);
        /* Empty arrays and an empty input. */
        assert_int_equal(scan_all((const uint8_t *)"\x90", 1, 16, &m), 0);
        assert_int_equal(m, 1);
        assert_int_equal(scan_all(buf, 0, 16, &m), SCAN_E_INCOMPLETE);
}

static void test_byte_by_byte(void **state)
{
        uint8_t buf[1024];
        size_t n = sample(buf, sizeof(buf)), m = 0;
        Scan s;

        (void)state;
        scan_init(&s, PROTO_MESSAGE_MAX);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(scan_feed(&s, buf, i, &m), SCAN_E_INCOMPLETE);
        assert_int_equal(scan_feed(&s, buf, n, &m), 0);
        assert_int_equal(m, n);

        /* Every split point in two calls. */
        for (size_t cut = 0; cut < n; cut++) {
                scan_init(&s, PROTO_MESSAGE_MAX);
                assert_int_equal(scan_feed(&s, buf, cut, &m), SCAN_E_INCOMPLETE);
                assert_int_equal(scan_feed(&s, buf, n, &m), 0);
                assert_int_equal(m, n);
        }
}

/* lying() - [x] where x is the header @hdr (with its length field), no payload. */
static int lying(const uint8_t *hdr, size_t n, size_t limit)
{
        uint8_t buf[16];

        buf[0] = 0x91;
        memcpy(buf + 1, hdr, n);
        return scan_all(buf, 1 + n, limit, NULL);
}

static void test_lying_lengths(void **state)
{
        (void)state;
        /* 16- and 32-bit lengths far over what can follow under the limit. */
        assert_int_equal(lying((const uint8_t *)"\xda\xff\xff", 3, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdb\xff\xff\xff\xff", 5, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xc5\xff\xff", 3, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xc6\x7f\xff\xff\xff", 5, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdc\xff\xff", 3, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdd\xff\xff\xff\xff", 5, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xde\x80\x00", 3, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdf\xff\xff\xff\xff", 5, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xc9\xff\xff\xff\xff\x01", 6, PROTO_MESSAGE_MAX),
                         SCAN_E_TOO_LARGE);
        /* The bound is exact: what still fits after the header is accepted as "more to come". */
        assert_int_equal(lying((const uint8_t *)"\xda\x00\x0c", 3, 16),
                         SCAN_E_INCOMPLETE); /* 1+3+12 */
        assert_int_equal(lying((const uint8_t *)"\xda\x00\x0d", 3, 16), SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdc\x00\x0c", 3, 16), SCAN_E_INCOMPLETE);
        assert_int_equal(lying((const uint8_t *)"\xdc\x00\x0d", 3, 16), SCAN_E_TOO_LARGE);
        /* A map of n pairs needs 2n objects. */
        assert_int_equal(lying((const uint8_t *)"\xde\x00\x06", 3, 16), SCAN_E_INCOMPLETE);
        assert_int_equal(lying((const uint8_t *)"\xde\x00\x07", 3, 16), SCAN_E_TOO_LARGE);
        assert_int_equal(lying((const uint8_t *)"\xdf\x00\x00\x00\x06", 5, 18), SCAN_E_INCOMPLETE);
        assert_int_equal(lying((const uint8_t *)"\xdf\x00\x00\x00\x07", 5, 18), SCAN_E_TOO_LARGE);
        /* The top-level array itself may lie too. */
        assert_int_equal(
                scan_all((const uint8_t *)"\xdd\xff\xff\xff\xff", 5, PROTO_MESSAGE_MAX, NULL),
                SCAN_E_TOO_LARGE);
        /* A header split across calls. */
        assert_int_equal(lying((const uint8_t *)"\xdb\xff", 2, PROTO_MESSAGE_MAX),
                         SCAN_E_INCOMPLETE);
}

static void test_depth(void **state)
{
        uint8_t buf[32];

        (void)state;
        /* n nested one-element arrays around an integer, the envelope included. */
        for (unsigned n = 1; n <= PROTO_DEPTH_MAX + 2; n++) {
                size_t m = 0;

                memset(buf, 0x91, n);
                buf[n] = 0x01;
                assert_int_equal(scan_all(buf, n + 1, PROTO_MESSAGE_MAX, &m),
                                 n <= PROTO_DEPTH_MAX ? 0 : SCAN_E_TOO_DEEP);
                if (n <= PROTO_DEPTH_MAX)
                        assert_int_equal(m, n + 1);
        }
        /* Maps count too: [ {k: {k: ...}} ]. */
        {
                size_t o = 0;

                buf[o++] = 0x91;
                for (unsigned i = 1; i < PROTO_DEPTH_MAX; i++) {
                        buf[o++] = 0x81;
                        buf[o++] = 0x01;
                }
                buf[o++] = 0x81; /* one level too deep */
                buf[o++] = 0x01;
                buf[o++] = 0x02;
                assert_int_equal(scan_all(buf, o, PROTO_MESSAGE_MAX, NULL), SCAN_E_TOO_DEEP);
        }
        /* Empty containers do not nest. */
        memset(buf, 0x91, PROTO_DEPTH_MAX);
        buf[PROTO_DEPTH_MAX] = 0x90;
        assert_int_equal(scan_all(buf, PROTO_DEPTH_MAX + 1, PROTO_MESSAGE_MAX, NULL), 0);
}

static void test_malformed(void **state)
{
        (void)state;
        /* 0xc1 is never used, anywhere. */
        assert_int_equal(scan_all((const uint8_t *)"\x92\x01\xc1", 3, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\xc1", 1, 64, NULL), SCAN_E_MALFORMED);
        /* Top level must be an array. */
        assert_int_equal(scan_all((const uint8_t *)"\x80", 1, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\xa1x", 2, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\x01", 1, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\xc0", 1, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\xde\x00\x00", 3, 64, NULL), SCAN_E_MALFORMED);
        assert_int_equal(scan_all((const uint8_t *)"\xdc\x00\x00", 3, 64, NULL), 0);
}

static void test_too_large(void **state)
{
        uint8_t *buf = malloc(PROTO_MESSAGE_MAX + 16);
        size_t m = 0;

        (void)state;
        assert_non_null(buf);
        /* [bin32 of (limit - 6) bytes] is exactly the limit; one more byte is over. */
        buf[0] = 0x91;
        buf[1] = 0xc6;
        for (uint32_t extra = 0; extra < 2; extra++) {
                uint32_t n = PROTO_MESSAGE_MAX - 6 + extra;

                buf[2] = (uint8_t)(n >> 24);
                buf[3] = (uint8_t)(n >> 16);
                buf[4] = (uint8_t)(n >> 8);
                buf[5] = (uint8_t)n;
                memset(buf + 6, 0, n);
                assert_int_equal(scan_all(buf, 6 + n, PROTO_MESSAGE_MAX, &m),
                                 extra ? SCAN_E_TOO_LARGE : 0);
        }
        /* Many small objects that add up past the limit, fed in chunks. */
        {
                Scan s;
                int r = SCAN_E_INCOMPLETE;
                size_t len = 0;

                buf[0] = 0xdc;
                buf[1] = 0x01;
                buf[2] = 0xf4; /* 500 uint8s: the count fits under 1000 bytes, the bytes do not */
                memset(buf + 3, 0xcc, PROTO_MESSAGE_MAX + 13);
                scan_init(&s, 100);
                assert_int_equal(scan_feed(&s, buf, 3, &m), SCAN_E_TOO_LARGE);
                scan_init(&s, 1000);
                for (len = 3; len < 2000 && r == SCAN_E_INCOMPLETE; len += 7)
                        r = scan_feed(&s, buf, len, &m);
                assert_int_equal(r, SCAN_E_TOO_LARGE);
        }
        free(buf);
}

/*
 * dribbled() - scan @buf[0..@len) as a peer sending a byte at a time would
 * make the connection do: only the first call could take scan_feed()'s
 * shortcut for the usual request shape (and with one byte it cannot), so
 * this is the object-by-object walk.
 */
static int dribbled(const uint8_t *buf, size_t len, size_t limit, size_t *msg_lenp)
{
        Scan s;
        int r = SCAN_E_INCOMPLETE;

        scan_init(&s, limit);
        for (size_t i = 1; i <= len && r == SCAN_E_INCOMPLETE; i++)
                r = scan_feed(&s, buf, i, msg_lenp);
        return r;
}

/*
 * The usual request shapes, which scan_feed() measures without walking
 * them, scan as the walk does: whole, cut at every length, with bytes after
 * them, and under a limit too small for them.
 */
static void test_flat_requests_agree(void **state)
{
        static const struct {
                const char *bytes;
                size_t len;
        } msgs[] = {
#define M(lit) { lit, sizeof(lit) - 1 }
                M("\x94\x00\x01\xaeGetCredentials\x91\x80"),
                M("\x94\x00\x01\xaeGetCredentials\x91\xc0"),
                M("\x94\x00\x01\xaeGetCredentials\x90"),
                M("\x94\x00\x01\xaeGetCredentials\xc0"),
                M("\x94\x00\xcc\xff\xa4Ping\x91\x80"),
                M("\x94\x00\xcd\x01\x00\xa4Ping\x91\x80"),
                M("\x94\x00\xce\x01\x00\x00\x00\xa4Ping\x91\x80"),
                M("\x94\x00\xcf\x00\x00\x00\x00\x00\x00\x00\x01\xa4Ping\x91\x80"),
                M("\x94\x01\x01\xa0\x90"),
                M("\x94\x7f\x7f\xbf"
                  "0123456789012345678901234567890\x90"),
                M("\x94\x00\x01\xa4Ping\x91\x81\xa1k\x01"),
                M("\x94\x00\x01\xa4Ping\x92\x80\x80"),
                M("\x94\x00\x01\xa4Ping\x91\x90"),
                M("\x94\x00\x01\xd9\x04Ping\x91\x80"),
                M("\x94\xff\x01\xa4Ping\x91\x80"),
                M("\x94\x00\xc1\xa4Ping\x91\x80"),
                M("\x93\x00\x01\xa4Ping"),
#undef M
        };
        uint8_t buf[128];

        (void)state;
        for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
                size_t n = msgs[i].len;

                memcpy(buf, msgs[i].bytes, n);
                memcpy(buf + n, "\x94\x00\x02\xa4Ping\x90", 8); /* a second message after it */
                for (size_t len = 1; len <= n + 8; len++) {
                        for (size_t limit = n - 1; limit <= n; limit++) {
                                size_t a = 0, b = 0;
                                int ra = scan_all(buf, len, limit, &a);
                                int rb = dribbled(buf, len, limit, &b);

                                if (ra != rb || (ra == 0 && a != b))
                                        fail_msg("message %zu, %zu bytes, limit %zu: %d (%zu) "
                                                 "in one call, %d (%zu) dribbled",
                                                 i, len, limit, ra, a, rb, b);
                        }
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_and_trailing),  cmocka_unit_test(test_byte_by_byte),
                cmocka_unit_test(test_lying_lengths),       cmocka_unit_test(test_depth),
                cmocka_unit_test(test_malformed),           cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_flat_requests_agree),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
