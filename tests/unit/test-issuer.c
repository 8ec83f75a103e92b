/* SPDX-License-Identifier: MIT */
/*
 * test-issuer.c - the local issuer (agent/issuer_local.c): shape of minted
 * credentials, secret derivation, token claims, online verification with
 * revocation and key rotation, ISO 8601 formatting.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer_local.h"
#include "revocations.h"

#define NOW 1700000000

static char base[64];
static Keys *keys;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        char dir[128];

        (void)state;
        if (sodium_init() < 0)
                return -1;
        snprintf(base, sizeof(base), "/tmp/test-issuer-XXXXXX");
        if (!mkdtemp(base))
                return -1;
        snprintf(dir, sizeof(dir), "%s/keys", base);
        return keys_load(&keys, dir, NOW, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        keys = keys_free(keys);
        return nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static MintRequest request(void)
{
        return (MintRequest){
                .role = "web",
                .role_arn = "arn:aws:iam::000000000000:role/web",
                .account = "000000000000",
                .session_name = "alice-42",
                .uid = 1000,
                .gid = 1000,
                .user = "alice",
                .exe = "/usr/bin/python3.11",
                .unit = "web.service",
                .duration = 3600,
                .now = NOW,
        };
}

static void test_mint_shape(void **state)
{
        MintRequest req = request();
        Credentials c = CREDENTIALS_INIT, c2 = CREDENTIALS_INIT;
        char secret[ISSUER_SECRET_LEN + 1];
        TokenClaims claims = TOKEN_CLAIMS_INIT;
        uint8_t raw[64];
        size_t raw_len = 0;

        (void)state;
        assert_int_equal(issuer_local_mint(keys, &req, &c), 0);
        assert_int_equal(strlen(c.akid), 20);
        assert_memory_equal(c.akid, "ASIA", 4);
        assert_int_equal(strspn(c.akid + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16);
        assert_int_equal(strlen(c.sid), 32);
        assert_int_equal(strspn(c.sid, "0123456789abcdef"), 32);
        assert_int_equal(strlen(c.secret), 40);
        assert_int_equal(c.issued, NOW);
        assert_int_equal(c.expires, NOW + 3600);
        assert_string_equal(c.assumed_role_arn,
                            "arn:aws:sts::000000000000:assumed-role/web/alice-42");
        assert_int_equal(c.token_len, strlen(c.token));
        assert_true(c.token_len <= PROTO_TOKEN_MAX);

        /* secret = base64(HMAC-SHA-256(hmac key, akid))[0..40) */
        {
                uint8_t mac[32];
                char b64[45];

                crypto_auth_hmacsha256(mac, (const uint8_t *)c.akid, 20, keys_hmac(keys));
                sodium_bin2base64(b64, sizeof(b64), mac, 32, sodium_base64_VARIANT_ORIGINAL);
                assert_memory_equal(c.secret, b64, 40);
        }
        assert_int_equal(sodium_base642bin(raw, sizeof(raw), c.secret, 40, NULL, &raw_len, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_int_equal(raw_len, 30);
        issuer_local_secret_for(keys, c.akid, secret);
        assert_string_equal(secret, c.secret);

        /* The token carries the request. */
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW, NULL, &claims), 0);
        assert_string_equal(claims.akid, c.akid);
        assert_string_equal(claims.sid, c.sid);
        assert_string_equal(claims.role, "web");
        assert_string_equal(claims.arn, req.role_arn);
        assert_int_equal(claims.uid, 1000);
        assert_string_equal(claims.exe, "/usr/bin/python3.11");
        assert_string_equal(claims.unit, "web.service");
        assert_int_equal(claims.expires, NOW + 3600);
        assert_false(claims.has_policy);
        assert_null(claims.source_role);
        token_claims_deinit(&claims);

        /* Two mints never share ids or secrets. */
        assert_int_equal(issuer_local_mint(keys, &req, &c2), 0);
        assert_string_not_equal(c.akid, c2.akid);
        assert_string_not_equal(c.sid, c2.sid);
        assert_string_not_equal(c.secret, c2.secret);
        credentials_deinit(&c2);

        credentials_deinit(&c);
        assert_null(c.token);
        assert_int_equal(c.secret[0], 0);
        credentials_deinit(&c);
}

static void test_mint_options(void **state)
{
        MintRequest req = request();
        Credentials c = CREDENTIALS_INIT;
        TokenClaims claims = TOKEN_CLAIMS_INIT;
        uint8_t digest[32];
        char exe[TOKEN_EXE_MAX + 2], cgroup[TOKEN_CGROUP_MAX + 2];
        size_t max = 0;

        (void)state;
        memset(digest, 7, sizeof(digest));
        req.policy_digest = digest;
        req.source_role = "base";
        req.session_name = NULL;
        req.duration = PROTO_DURATION_MAX;
        assert_int_equal(issuer_local_mint(keys, &req, &c), 0);
        assert_string_equal(c.assumed_role_arn, "arn:aws:sts::000000000000:assumed-role/web/alice");
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW, NULL, &claims), 0);
        assert_true(claims.has_policy);
        assert_memory_equal(claims.policy_digest, digest, 32);
        assert_string_equal(claims.source_role, "base");
        assert_int_equal(claims.expires, NOW + PROTO_DURATION_MAX);
        token_claims_deinit(&claims);
        credentials_deinit(&c);

        /* Out-of-range durations and missing fields are caller bugs. */
        req = request();
        req.duration = PROTO_DURATION_MIN - 1;
        assert_int_equal(issuer_local_mint(keys, &req, &c), -EINVAL);
        req.duration = PROTO_DURATION_MAX + 1;
        assert_int_equal(issuer_local_mint(keys, &req, &c), -EINVAL);
        req = request();
        req.role_arn = NULL;
        assert_int_equal(issuer_local_mint(keys, &req, &c), -EINVAL);
        /* A claim too long for a token. */
        req = request();
        memset(exe, 'x', sizeof(exe) - 1);
        exe[sizeof(exe) - 1] = 0;
        req.exe = exe;
        assert_int_equal(issuer_local_mint(keys, &req, &c), ISSUER_E_TOO_LONG);
        assert_null(c.token);
        /* Named in words, with its bound: the executable path, or whichever was too long. */
        assert_string_equal(issuer_local_unfit(&req, &max), "executable path");
        assert_int_equal(max, TOKEN_EXE_MAX);
        req = request();
        assert_null(issuer_local_unfit(&req, NULL));
        memset(cgroup, 'c', sizeof(cgroup) - 1);
        cgroup[0] = '/';
        cgroup[sizeof(cgroup) - 1] = 0;
        req.cgroup = cgroup;
        assert_int_equal(issuer_local_mint(keys, &req, &c), ISSUER_E_TOO_LONG);
        assert_string_equal(issuer_local_unfit(&req, &max), "cgroup path");
        assert_int_equal(max, TOKEN_CGROUP_MAX);
        req = request();
        req.user = cgroup + 1; /* longer than TOKEN_USER_MAX too */
        assert_string_equal(issuer_local_unfit(&req, NULL), "user name");
}

static void test_verify(void **state)
{
        MintRequest req = request();
        Credentials c = CREDENTIALS_INIT, other = CREDENTIALS_INIT;
        RevocationSet *rev = NULL;
        char *bad;

        (void)state;
        assert_int_equal(issuer_local_mint(keys, &req, &c), 0);
        assert_int_equal(issuer_local_mint(keys, &req, &other), 0);
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW + 3599, NULL, NULL),
                         0);
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW + 3600, NULL, NULL),
                         ISSUER_E_EXPIRED);
        assert_int_equal(issuer_local_verify(keys, "abc", 3, NOW, NULL, NULL), ISSUER_E_MALFORMED);
        bad = strdup(c.token);
        assert_non_null(bad);
        /* Change one base64 character in the signature (the last one before '=' padding). */
        {
                size_t i = c.token_len - 1;

                while (bad[i] == '=')
                        i--;
                i--;
                bad[i] = bad[i] == 'A' ? 'B' : 'A';
        }
        assert_int_equal(issuer_local_verify(keys, bad, c.token_len, NOW, NULL, NULL),
                         ISSUER_E_BAD_SIGNATURE);
        free(bad);

        /* Revocation: only the revoked session, only until it expires. */
        assert_int_equal(revocation_new(&rev), 0);
        assert_int_equal(revocation_add(rev, c.akid, c.expires), 0);
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW, rev, NULL),
                         ISSUER_E_REVOKED);
        assert_int_equal(issuer_local_verify(keys, other.token, other.token_len, NOW, rev, NULL),
                         0);
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW + 3600, rev, NULL),
                         ISSUER_E_EXPIRED);
        rev = revocation_free(rev);

        /* After rotation, tokens of the old key still verify; new ones use the new key. */
        assert_int_equal(keys_rotate(keys, NOW + 60, NULL), 0);
        assert_int_equal(issuer_local_verify(keys, c.token, c.token_len, NOW + 61, NULL, NULL), 0);
        credentials_deinit(&other);
        req.now = NOW + 61;
        assert_int_equal(issuer_local_mint(keys, &req, &other), 0);
        {
                uint8_t id[TOKEN_KEY_ID_SIZE];
                TokenClaims cl = TOKEN_CLAIMS_INIT;

                assert_int_equal(token_parse(other.token, other.token_len, &cl, id), 0);
                assert_memory_equal(id, keys_signing_id(keys), sizeof(id));
                token_claims_deinit(&cl);
        }
        assert_int_equal(
                issuer_local_verify(keys, other.token, other.token_len, NOW + 62, NULL, NULL), 0);
        credentials_deinit(&other);
        credentials_deinit(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mint_shape),
                cmocka_unit_test(test_mint_options),
                cmocka_unit_test(test_verify),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
