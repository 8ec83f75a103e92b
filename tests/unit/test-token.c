/* SPDX-License-Identifier: MIT */
/*
 * test-token.c - session token format (proto/token.c): round trip, signature,
 * key selection, expiry, and every way a hand-built claims map can be wrong.
 * Bad tokens are built and then properly signed, so the test shows the parser
 * (not the signature check) rejecting them.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

static uint8_t test_pk[crypto_sign_PUBLICKEYBYTES];
static uint8_t test_sk[crypto_sign_SECRETKEYBYTES];
static TokenPublicKey pub;

static int setup(void **state)
{
        (void)state;
        if (sodium_init() < 0)
                return -1;
        crypto_sign_keypair(test_pk, test_sk);
        memcpy(pub.pk, test_pk, sizeof(test_pk));
        token_key_id(test_pk, pub.id);
        pub.not_after = 0;
        return 0;
}

static TokenClaims sample(void)
{
        TokenClaims c = TOKEN_CLAIMS_INIT;

        c.akid = (char *)"ASIAABCDEFGHIJKLMNOP";
        c.sid = (char *)"00112233445566778899aabbccddeeff";
        c.role = (char *)"web";
        c.arn = (char *)"arn:aws:iam::000000000000:role/web";
        c.uid = 1000;
        c.gid = 100;
        c.user = (char *)"alice";
        c.exe = (char *)"/usr/bin/curl";
        c.unit = (char *)"web.service";
        c.issued = 1700000000;
        c.expires = 1700003600;
        return c;
}

static char *encode_ok(const TokenClaims *c)
{
        char *tok = NULL;

        assert_int_equal(token_encode(c, pub.id, test_sk, &tok), 0);
        assert_non_null(tok);
        assert_true(strlen(tok) <= PROTO_TOKEN_MAX);
        return tok;
}

static void test_key_id(void **state)
{
        uint8_t h[crypto_hash_sha256_BYTES], id[TOKEN_KEY_ID_SIZE];

        (void)state;
        crypto_hash_sha256(h, test_pk, sizeof(test_pk));
        token_key_id(test_pk, id);
        assert_memory_equal(id, h, TOKEN_KEY_ID_SIZE);
}

static void test_round_trip(void **state)
{
        TokenClaims in = sample(), out = TOKEN_CLAIMS_INIT;
        char *tok;

        (void)state;
        in.has_policy = true;
        memset(in.policy_digest, 0xab, sizeof(in.policy_digest));
        in.source_role = (char *)"base";
        tok = encode_ok(&in);
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.issued + 10, &out), 0);
        assert_string_equal(out.akid, in.akid);
        assert_string_equal(out.sid, in.sid);
        assert_string_equal(out.role, in.role);
        assert_string_equal(out.arn, in.arn);
        assert_int_equal(out.uid, 1000);
        assert_int_equal(out.gid, 100);
        assert_string_equal(out.user, "alice");
        assert_string_equal(out.exe, "/usr/bin/curl");
        assert_string_equal(out.unit, "web.service");
        assert_int_equal(out.issued, in.issued);
        assert_int_equal(out.expires, in.expires);
        assert_true(out.has_policy);
        assert_memory_equal(out.policy_digest, in.policy_digest, TOKEN_DIGEST_SIZE);
        assert_string_equal(out.source_role, "base");
        assert_null(out.gids);
        assert_false(out.has_exe_sha256);
        assert_null(out.cgroup);
        token_claims_deinit(&out);
        token_claims_deinit(&out); /* idempotent */
        free(tok);

        /* Groups, executable hash and cgroup travel when given. */
        {
                uint32_t gids[] = { 100, 10, 2200 };

                in = sample();
                in.gids = gids;
                in.n_gids = 3;
                in.has_exe_sha256 = true;
                memset(in.exe_sha256, 0x5a, sizeof(in.exe_sha256));
                in.cgroup = (char *)"/system.slice/web.service";
                tok = encode_ok(&in);
                assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.issued, &out), 0);
                assert_int_equal(out.n_gids, 3);
                assert_memory_equal(out.gids, gids, sizeof(gids));
                assert_true(out.has_exe_sha256);
                assert_memory_equal(out.exe_sha256, in.exe_sha256, sizeof(in.exe_sha256));
                assert_string_equal(out.cgroup, "/system.slice/web.service");
                token_claims_deinit(&out);
                free(tok);
                /* More groups than a token carries is refused at encode time. */
                in.n_gids = TOKEN_GIDS_MAX + 1;
                assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), TOKEN_E_TOO_LONG);
        }

        /* Without policy and source role, and NULL user/exe/unit become "". */
        in = sample();
        in.user = in.exe = in.unit = NULL;
        tok = encode_ok(&in);
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.issued, &out), 0);
        assert_false(out.has_policy);
        assert_null(out.source_role);
        assert_string_equal(out.user, "");
        assert_string_equal(out.unit, "");
        token_claims_deinit(&out);
        /* Claims are optional output. */
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.issued, NULL), 0);
        free(tok);
}

static void test_parse_without_key(void **state)
{
        TokenClaims in = sample(), out = TOKEN_CLAIMS_INIT;
        uint8_t id[TOKEN_KEY_ID_SIZE];
        char *tok;

        (void)state;
        tok = encode_ok(&in);
        assert_int_equal(token_parse(tok, strlen(tok), &out, id), 0);
        assert_memory_equal(id, pub.id, TOKEN_KEY_ID_SIZE);
        assert_string_equal(out.role, "web");
        token_claims_deinit(&out);
        /* The length bounds the input: no NUL needed, a prefix is not a token. */
        assert_int_equal(token_parse(tok, strlen(tok) - 4, &out, NULL), TOKEN_E_MALFORMED);
        free(tok);
}

static void test_expiry(void **state)
{
        TokenClaims in = sample(), out = TOKEN_CLAIMS_INIT;
        char *tok;

        (void)state;
        tok = encode_ok(&in);
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.expires - 1, NULL), 0);
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.expires, &out),
                         TOKEN_E_EXPIRED);
        assert_null(out.akid); /* outputs untouched on failure */
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, in.expires + 86400, NULL),
                         TOKEN_E_EXPIRED);
        free(tok);
}

static void test_keys(void **state)
{
        TokenClaims in = sample();
        TokenPublicKey keys[3];
        uint8_t pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
        char *tok;

        (void)state;
        crypto_sign_keypair(pk2, sk2);
        tok = encode_ok(&in);
        /* No keys, or only another key: unknown. */
        assert_int_equal(token_verify(tok, strlen(tok), NULL, 0, in.issued, NULL),
                         TOKEN_E_UNKNOWN_KEY);
        memcpy(keys[0].pk, pk2, sizeof(pk2));
        token_key_id(pk2, keys[0].id);
        keys[0].not_after = 0;
        assert_int_equal(token_verify(tok, strlen(tok), keys, 1, in.issued, NULL),
                         TOKEN_E_UNKNOWN_KEY);
        /* Found among several. */
        keys[1] = pub;
        assert_int_equal(token_verify(tok, strlen(tok), keys, 2, in.issued, NULL), 0);
        /* A retired key is trusted until its not_after, then not. */
        keys[1].not_after = in.issued + 100;
        assert_int_equal(token_verify(tok, strlen(tok), keys, 2, in.issued + 99, NULL), 0);
        assert_int_equal(token_verify(tok, strlen(tok), keys, 2, in.issued + 100, NULL),
                         TOKEN_E_UNKNOWN_KEY);
        /* Right key id, wrong public key: the signature fails. */
        keys[2] = pub;
        memcpy(keys[2].pk, pk2, sizeof(pk2));
        assert_int_equal(token_verify(tok, strlen(tok), &keys[2], 1, in.issued, NULL),
                         TOKEN_E_BAD_SIGNATURE);
        free(tok);
}

/* flip() - decode @tok, xor byte @at (negative: from the end) with @mask, re-encode. */
static char *flip(const char *tok, long at, uint8_t mask)
{
        uint8_t bin[PROTO_TOKEN_MAX];
        size_t n = 0, sz;
        char *out;

        assert_int_equal(sodium_base642bin(bin, sizeof(bin), tok, strlen(tok), NULL, &n, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        bin[at < 0 ? (long)n + at : at] ^= mask;
        sz = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
        out = malloc(sz);
        assert_non_null(out);
        sodium_bin2base64(out, sz, bin, n, sodium_base64_VARIANT_ORIGINAL);
        return out;
}

static void test_tamper(void **state)
{
        TokenClaims in = sample();
        char *tok, *bad;
        size_t n;

        (void)state;
        tok = encode_ok(&in);
        n = strlen(tok);
        /* Signature bit. */
        bad = flip(tok, -1, 0x01);
        assert_int_equal(token_verify(bad, strlen(bad), &pub, 1, in.issued, NULL),
                         TOKEN_E_BAD_SIGNATURE);
        free(bad);
        /* A claims byte: the "web" role name becomes "wec" and still parses. */
        {
                uint8_t bin[PROTO_TOKEN_MAX];
                size_t bl = 0;
                uint8_t *p;

                assert_int_equal(sodium_base642bin(bin, sizeof(bin), tok, n, NULL, &bl, NULL,
                                                   sodium_base64_VARIANT_ORIGINAL),
                                 0);
                p = memmem(bin, bl, "\xa3web", 4);
                assert_non_null(p);
                bad = flip(tok, (long)(p + 3 - bin), 0x01);
                assert_int_equal(token_verify(bad, strlen(bad), &pub, 1, in.issued, NULL),
                                 TOKEN_E_BAD_SIGNATURE);
                free(bad);
        }
        /* Key id byte: no such key. */
        bad = flip(tok, 1, 0x80);
        assert_int_equal(token_verify(bad, strlen(bad), &pub, 1, in.issued, NULL),
                         TOKEN_E_UNKNOWN_KEY);
        free(bad);
        /* Version byte. */
        bad = flip(tok, 0, 0x03);
        assert_int_equal(token_verify(bad, strlen(bad), &pub, 1, in.issued, NULL),
                         TOKEN_E_MALFORMED);
        free(bad);
        free(tok);
}

static void test_bad_base64(void **state)
{
        TokenClaims in = sample(), out = TOKEN_CLAIMS_INIT;
        char *tok, *big;
        size_t n;

        (void)state;
        tok = encode_ok(&in);
        n = strlen(tok);
        assert_int_equal(token_verify("", 0, &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        assert_int_equal(token_verify("!!!!", 4, &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        assert_int_equal(token_verify("AAAA", 4, &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        /* URL-safe alphabet is another variant: refused. */
        assert_int_equal(token_verify("-_-_", 4, &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        /* Trailing bytes after the base64. */
        big = calloc(1, PROTO_TOKEN_MAX + 8);
        assert_non_null(big);
        memcpy(big, tok, n);
        big[n] = 'A';
        assert_int_equal(token_parse(big, n + 1, &out, NULL), TOKEN_E_MALFORMED);
        memcpy(big + n, "====", 4);
        assert_int_equal(token_parse(big, n + 4, &out, NULL), TOKEN_E_MALFORMED);
        /* Over PROTO_TOKEN_MAX, even if it is all valid base64. */
        memset(big, 'A', PROTO_TOKEN_MAX + 4);
        assert_int_equal(token_parse(big, PROTO_TOKEN_MAX + 4, &out, NULL), TOKEN_E_MALFORMED);
        assert_int_equal(token_parse(big, PROTO_TOKEN_MAX, &out, NULL), TOKEN_E_MALFORMED);
        assert_null(out.akid);
        free(big);
        free(tok);
}

static void test_encode_limits(void **state)
{
        TokenClaims in = sample(), out = TOKEN_CLAIMS_INIT;
        char role[TOKEN_ROLE_MAX + 2], arn[TOKEN_ARN_MAX + 1], user[TOKEN_USER_MAX + 1];
        char exe[TOKEN_EXE_MAX + 2], unit[TOKEN_UNIT_MAX + 1];
        char *tok = NULL;

        (void)state;
        /* Every claim at its bound still fits the protocol's token limit. */
        memset(role, 'r', TOKEN_ROLE_MAX);
        role[TOKEN_ROLE_MAX] = 0;
        memset(arn, 'a', TOKEN_ARN_MAX);
        arn[TOKEN_ARN_MAX] = 0;
        memset(user, 'u', TOKEN_USER_MAX);
        user[TOKEN_USER_MAX] = 0;
        memset(exe, 'e', TOKEN_EXE_MAX);
        exe[TOKEN_EXE_MAX] = 0;
        memset(unit, 'n', TOKEN_UNIT_MAX);
        unit[TOKEN_UNIT_MAX] = 0;
        in.role = in.source_role = role;
        in.arn = arn;
        in.user = user;
        in.exe = exe;
        in.unit = unit;
        in.has_policy = true;
        in.uid = in.gid = UINT32_MAX;
        in.issued = INT64_MAX - 1;
        in.expires = INT64_MAX;
        tok = encode_ok(&in);
        assert_int_equal(token_parse(tok, strlen(tok), &out, NULL), 0);
        assert_int_equal(strlen(out.exe), TOKEN_EXE_MAX);
        assert_int_equal(out.uid, UINT32_MAX);
        assert_int_equal(out.expires, INT64_MAX);
        token_claims_deinit(&out);
        free(tok);
        tok = NULL;

        /* One byte more is refused. */
        exe[TOKEN_EXE_MAX] = 'e';
        exe[TOKEN_EXE_MAX + 1] = 0;
        assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), TOKEN_E_TOO_LONG);
        assert_null(tok);
        in = sample();
        role[TOKEN_ROLE_MAX] = 'r';
        role[TOKEN_ROLE_MAX + 1] = 0;
        in.role = role;
        assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), TOKEN_E_TOO_LONG);
        /* Missing required claims and impossible times are caller bugs. */
        in = sample();
        in.akid = NULL;
        assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), -EINVAL);
        in = sample();
        in.expires = in.issued - 1;
        assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), -EINVAL);
        in = sample();
        in.issued = -5;
        assert_int_equal(token_encode(&in, pub.id, test_sk, &tok), -EINVAL);
        assert_null(tok);
}

/* --- hand-built claims --------------------------------------------------------------- */

typedef void (*PackFn)(msgpack_packer *pk);

static void kv_str(msgpack_packer *pk, const char *k, const char *v, size_t vn)
{
        msgpack_pack_str_with_body(pk, k, strlen(k));
        msgpack_pack_str_with_body(pk, v, vn);
}

static void kv_uint(msgpack_packer *pk, const char *k, uint64_t v)
{
        msgpack_pack_str_with_body(pk, k, strlen(k));
        msgpack_pack_uint64(pk, v);
}

/* The 11 required claims, well formed, except that @skip is left out. */
static void base_claims(msgpack_packer *pk, const char *skip)
{
        static const char *const strs[][2] = {
                { "akid", "ASIAABCDEFGHIJKLMNOP" },
                { "sid", "00ff" },
                { "role", "web" },
                { "arn", "arn" },
                { "user", "alice" },
                { "exe", "/bin/sh" },
                { "unit", "" },
        };
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                if (!skip || strcmp(skip, strs[i][0]) != 0)
                        kv_str(pk, strs[i][0], strs[i][1], strlen(strs[i][1]));
        if (!skip || strcmp(skip, "uid") != 0)
                kv_uint(pk, "uid", 1);
        if (!skip || strcmp(skip, "gid") != 0)
                kv_uint(pk, "gid", 1);
        if (!skip || strcmp(skip, "iat") != 0)
                kv_uint(pk, "iat", 100);
        if (!skip || strcmp(skip, "exp") != 0)
                kv_uint(pk, "exp", 200);
}

/* build() - version || key id || @claims || signature, base64, signed with the test key. */
static char *build(uint8_t version, const void *claims, size_t n)
{
        uint8_t bin[PROTO_TOKEN_MAX];
        uint8_t *p = bin;
        size_t len, sz;
        char *out;

        assert_true(1 + TOKEN_KEY_ID_SIZE + n + TOKEN_SIGNATURE_SIZE <= sizeof(bin));
        *p++ = version;
        memcpy(p, pub.id, TOKEN_KEY_ID_SIZE);
        p += TOKEN_KEY_ID_SIZE;
        memcpy(p, claims, n);
        p += n;
        len = (size_t)(p - bin);
        crypto_sign_detached(p, NULL, bin, len, test_sk);
        len += TOKEN_SIGNATURE_SIZE;
        sz = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
        out = malloc(sz);
        assert_non_null(out);
        sodium_bin2base64(out, sz, bin, len, sodium_base64_VARIANT_ORIGINAL);
        return out;
}

/* verify_built() - token_verify() of claims packed by @fn (a map of @n_entries entries). */
static int verify_built(uint32_t n_entries, PackFn fn, const uint8_t *suffix, size_t n_suffix)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;
        char *tok;
        int r;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, n_entries);
        fn(&pk);
        if (n_suffix)
                msgpack_sbuffer_write(&sb, (const char *)suffix, n_suffix);
        tok = build(TOKEN_VERSION, sb.data, sb.size);
        r = token_verify(tok, strlen(tok), &pub, 1, 150, NULL);
        free(tok);
        msgpack_sbuffer_destroy(&sb);
        return r;
}

static void p_good(msgpack_packer *pk)
{
        base_claims(pk, NULL);
}
static void p_unknown(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        kv_uint(pk, "nbf", 1);
}
static void p_dup(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        kv_str(pk, "role", "x", 1);
}
static void p_missing_exp(msgpack_packer *pk)
{
        base_claims(pk, "exp");
}
static void p_missing_akid(msgpack_packer *pk)
{
        base_claims(pk, "akid");
}
static void p_uid_str(msgpack_packer *pk)
{
        base_claims(pk, "uid");
        kv_str(pk, "uid", "1", 1);
}
static void p_uid_big(msgpack_packer *pk)
{
        base_claims(pk, "uid");
        kv_uint(pk, "uid", 1ull << 32);
}
static void p_uid_neg(msgpack_packer *pk)
{
        base_claims(pk, "uid");
        msgpack_pack_str_with_body(pk, "uid", 3);
        msgpack_pack_int64(pk, -1);
}
static void p_exp_before_iat(msgpack_packer *pk)
{
        base_claims(pk, "exp");
        kv_uint(pk, "exp", 99);
}
static void p_exp_huge(msgpack_packer *pk)
{
        base_claims(pk, "exp");
        kv_uint(pk, "exp", (uint64_t)INT64_MAX + 1);
}
static void p_role_long(msgpack_packer *pk)
{
        char r[TOKEN_ROLE_MAX + 1];

        memset(r, 'x', sizeof(r));
        base_claims(pk, "role");
        kv_str(pk, "role", r, sizeof(r));
}
static void p_role_nul(msgpack_packer *pk)
{
        base_claims(pk, "role");
        kv_str(pk, "role", "we\0b", 4);
}
static void p_role_bin(msgpack_packer *pk)
{
        base_claims(pk, "role");
        msgpack_pack_str_with_body(pk, "role", 4);
        msgpack_pack_bin_with_body(pk, "web", 3);
}
static void p_pol_short(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "pol", 3);
        msgpack_pack_bin_with_body(pk, "0123456789", 10);
}
static void p_pol_str(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        kv_str(pk, "pol", "01234567890123456789012345678901", 32);
}
static void p_key_int(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_int(pk, 1);
        msgpack_pack_int(pk, 1);
}
static void p_nested(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "src", 3);
        msgpack_pack_array(pk, 1);
        msgpack_pack_array(pk, 0);
}

static void p_gids_empty(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "gids", 4);
        msgpack_pack_array(pk, 0);
}
static void p_gids_str(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "gids", 4);
        msgpack_pack_array(pk, 1);
        msgpack_pack_str_with_body(pk, "10", 2);
}
static void p_gids_many(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "gids", 4);
        msgpack_pack_array(pk, TOKEN_GIDS_MAX + 1);
        for (int i = 0; i <= TOKEN_GIDS_MAX; i++)
                msgpack_pack_uint32(pk, (uint32_t)i);
}
static void p_xsh_short(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "xsh", 3);
        msgpack_pack_bin_with_body(pk, "0123456789", 10);
}
static void p_gids_good(msgpack_packer *pk)
{
        base_claims(pk, NULL);
        msgpack_pack_str_with_body(pk, "gids", 4);
        msgpack_pack_array(pk, 2);
        msgpack_pack_uint32(pk, 100);
        msgpack_pack_uint32(pk, 10);
}

static void test_claims_shapes(void **state)
{
        static const uint8_t extra_byte[] = { 0xc0 };

        (void)state;
        assert_int_equal(verify_built(11, p_good, NULL, 0), 0);
        assert_int_equal(verify_built(12, p_unknown, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_dup, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(10, p_missing_exp, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(10, p_missing_akid, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_uid_str, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_uid_big, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_uid_neg, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_exp_before_iat, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_exp_huge, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_role_long, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_role_nul, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_role_bin, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_pol_short, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_pol_str, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_key_int, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_nested, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_gids_good, NULL, 0), 0);
        assert_int_equal(verify_built(12, p_gids_empty, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_gids_str, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_gids_many, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(12, p_xsh_short, NULL, 0), TOKEN_E_MALFORMED);
        /* A map that declares more entries than it has, or has bytes after it. */
        assert_int_equal(verify_built(12, p_good, NULL, 0), TOKEN_E_MALFORMED);
        assert_int_equal(verify_built(11, p_good, extra_byte, 1), TOKEN_E_MALFORMED);
}

static void test_claims_not_map(void **state)
{
        static const uint8_t arr[] = { 0x90 };
        static const uint8_t lying[] = { 0xdf, 0x7f, 0xff, 0xff, 0xff };
        static const uint8_t bad[] = { 0xc1 };
        char *tok;

        (void)state;
        tok = build(TOKEN_VERSION, arr, sizeof(arr));
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        free(tok);
        /* A map32 declaring 2^31 entries: the scanner refuses before msgpack-c allocates. */
        tok = build(TOKEN_VERSION, lying, sizeof(lying));
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        free(tok);
        tok = build(TOKEN_VERSION, bad, sizeof(bad));
        assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, 0, NULL), TOKEN_E_MALFORMED);
        free(tok);
        /* Version 2 with perfectly good version-1 claims. */
        {
                msgpack_sbuffer sb;
                msgpack_packer pk;

                msgpack_sbuffer_init(&sb);
                msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
                msgpack_pack_map(&pk, 11);
                base_claims(&pk, NULL);
                tok = build(2, sb.data, sb.size);
                assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, 0, NULL),
                                 TOKEN_E_MALFORMED);
                free(tok);
                tok = build(TOKEN_VERSION, sb.data, sb.size);
                assert_int_equal(token_verify(tok, strlen(tok), &pub, 1, 150, NULL), 0);
                free(tok);
                msgpack_sbuffer_destroy(&sb);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_id),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_parse_without_key),
                cmocka_unit_test(test_expiry),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_tamper),
                cmocka_unit_test(test_bad_base64),
                cmocka_unit_test(test_encode_limits),
                cmocka_unit_test(test_claims_shapes),
                cmocka_unit_test(test_claims_not_map),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
