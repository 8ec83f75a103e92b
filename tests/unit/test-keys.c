/* SPDX-License-Identifier: MIT */
/*
 * test-keys.c - key directory and key files (agent/keys.c) and Secret buffers
 * (agent/secret.c): creation with safe modes, reload, refusal of unsafe
 * files, rotation with retired keys persisted and expired on time.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "secret.h"

#define NOW 1700000000

static char base[64];
static char dir[128];

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int setup(void **state)
{
        (void)state;
        if (sodium_init() < 0)
                return -1;
        snprintf(base, sizeof(base), "/tmp/test-keys-XXXXXX");
        if (!mkdtemp(base))
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* fresh() - a new, not yet existing key dir path under base. */
static const char *fresh(const char *name)
{
        snprintf(dir, sizeof(dir), "%s/%s", base, name);
        return dir;
}

static const char *path_of(const char *name)
{
        static char p[256];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return p;
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
        int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_secret(void **state)
{
        Secret *s = NULL;

        (void)state;
        assert_int_equal(secret_new(&s, 0), -EINVAL);
        assert_null(s);
        assert_int_equal(secret_new(&s, 48), 0);
        assert_int_equal(s->len, 48);
        for (size_t i = 0; i < s->len; i++)
                assert_int_equal(s->data[i], 0);
        memset(s->data, 0x5a, s->len);
        assert_int_equal(secret_readonly(s), 0);
        assert_int_equal(s->data[47], 0x5a);
        assert_null(secret_free(s));
        assert_null(secret_free(NULL));
}

static void test_create_and_reload(void **state)
{
        Keys *k = NULL, *k2 = NULL;
        const TokenPublicKey *pub, *pub2;
        size_t n, n2;
        struct stat st;
        char *err = NULL;

        (void)state;
        fresh("create");
        assert_int_equal(keys_load(&k, dir, NOW, &err), 0);
        assert_null(err);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(stat(path_of("signing.key"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, 32);
        assert_int_equal(stat(path_of("hmac.key"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, 32);
        assert_int_equal(access(path_of(".signing.key.tmp"), F_OK), -1);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1);
        assert_int_equal(pub[0].not_after, 0);
        /* The libsodium secret key ends with the public key; the id is its hash prefix. */
        assert_memory_equal(keys_signing_sk(k) + 32, pub[0].pk, 32);
        {
                uint8_t id[TOKEN_KEY_ID_SIZE];

                token_key_id(pub[0].pk, id);
                assert_memory_equal(id, keys_signing_id(k), sizeof(id));
        }

        /* Reload: the same keys. */
        assert_int_equal(keys_load(&k2, dir, NOW, &err), 0);
        keys_public(k2, &pub2, &n2);
        assert_int_equal(n2, 1);
        assert_memory_equal(pub[0].pk, pub2[0].pk, 32);
        assert_memory_equal(keys_hmac(k), keys_hmac(k2), KEYS_HMAC_SIZE);
        assert_memory_not_equal(keys_hmac(k), keys_signing_sk(k), KEYS_HMAC_SIZE);
        keys_free(k2);
        assert_null(keys_free(k));
        assert_null(keys_free(NULL));

        /* A missing parent is an error, not a silent mkdir -p. */
        fresh("no/such/parent");
        assert_int_equal(keys_load(&k, dir, NOW, &err), -ENOENT);
        assert_non_null(strstr(err, dir));
        free(err);
}

static void expect_refused(int want, const char *needle)
{
        Keys *k = NULL;
        char *err = NULL;

        assert_int_equal(keys_load(&k, dir, NOW, &err), want);
        assert_null(k);
        assert_non_null(err);
        assert_non_null(strstr(err, needle));
        free(err);
}

static void test_unsafe(void **state)
{
        uint8_t key[33] = { 1 };
        Keys *k = NULL;

        (void)state;
        /* Group-writable directory. */
        fresh("gw");
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(chmod(dir, 0770), 0);
        expect_refused(KEYS_E_INSECURE, dir);
        assert_int_equal(chmod(dir, 0755), 0);
        assert_int_equal(keys_load(&k, dir, NOW, NULL), 0); /* readable is fine */
        k = keys_free(k);

        /* Key file readable or writable by others. */
        fresh("mode");
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file("hmac.key", key, 32, 0644);
        expect_refused(KEYS_E_INSECURE, path_of("hmac.key"));
        assert_int_equal(chmod(path_of("hmac.key"), 0620), 0);
        expect_refused(KEYS_E_INSECURE, "hmac.key");
        assert_int_equal(chmod(path_of("hmac.key"), 0600), 0);
        assert_int_equal(keys_load(&k, dir, NOW, NULL), 0);
        k = keys_free(k);

        /* Wrong size. */
        fresh("size");
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file("signing.key", key, 31, 0600);
        expect_refused(KEYS_E_CORRUPT, path_of("signing.key"));
        write_file("signing.key", key, 33, 0600);
        expect_refused(KEYS_E_CORRUPT, path_of("signing.key"));
        write_file("signing.key", key, 32, 0600);
        write_file("retired.keys", key, 32, 0600);
        expect_refused(KEYS_E_CORRUPT, path_of("retired.keys"));

        /* A symlink in place of a key file, and a directory in place of one. */
        fresh("link");
        assert_int_equal(mkdir(dir, 0700), 0);
        write_file("real", key, 32, 0600);
        {
                char target[256];

                snprintf(target, sizeof(target), "%s", path_of("real"));
                assert_int_equal(symlink(target, path_of("hmac.key")), 0);
        }
        expect_refused(-ELOOP, "hmac.key");
        fresh("isdir");
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(mkdir(path_of("hmac.key"), 0700), 0);
        expect_refused(KEYS_E_INSECURE, "not a regular file");

        /* Owned by someone else (needs root to arrange). */
        if (geteuid() == 0) {
                fresh("owner");
                assert_int_equal(mkdir(dir, 0700), 0);
                write_file("hmac.key", key, 32, 0600);
                assert_int_equal(chown(path_of("hmac.key"), 12345, 12345), 0);
                expect_refused(KEYS_E_INSECURE, "owned by uid 12345");
                assert_int_equal(chown(path_of("hmac.key"), 0, 0), 0);
                assert_int_equal(chown(dir, 12345, 12345), 0);
                expect_refused(KEYS_E_INSECURE, "owned by uid 12345");
        }
}

static void test_rotate(void **state)
{
        Keys *k = NULL;
        const TokenPublicKey *pub;
        uint8_t old_pk[32], new_pk[32], hmac[KEYS_HMAC_SIZE];
        TokenClaims c = TOKEN_CLAIMS_INIT;
        char *tok = NULL, *err = NULL;
        size_t n;

        (void)state;
        fresh("rotate");
        assert_int_equal(keys_load(&k, dir, NOW, NULL), 0);
        keys_public(k, &pub, &n);
        memcpy(old_pk, pub[0].pk, 32);
        memcpy(hmac, keys_hmac(k), sizeof(hmac));

        /* A token signed by the key about to be retired. */
        c.akid = (char *)"ASIAAAAAAAAAAAAAAAAA";
        c.sid = (char *)"00";
        c.role = (char *)"r";
        c.arn = (char *)"arn";
        c.issued = NOW;
        c.expires = NOW + 43200;
        assert_int_equal(token_encode(&c, keys_signing_id(k), keys_signing_sk(k), &tok), 0);

        assert_int_equal(keys_rotate(k, NOW + 10, &err), 0);
        assert_null(err);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 2);
        memcpy(new_pk, pub[0].pk, 32);
        assert_memory_not_equal(new_pk, old_pk, 32);
        assert_int_equal(pub[0].not_after, 0);
        assert_memory_equal(pub[1].pk, old_pk, 32);
        assert_int_equal(pub[1].not_after, NOW + 10 + KEYS_RETIRE_SECONDS);
        assert_memory_equal(keys_hmac(k), hmac, sizeof(hmac)); /* never rotated */
        assert_int_equal(token_verify(tok, strlen(tok), pub, n, NOW + 100, NULL), 0);
        k = keys_free(k);

        /* Persisted: a restart still trusts the old key until its not-after. */
        assert_int_equal(keys_load(&k, dir, NOW + 20, NULL), 0);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 2);
        assert_memory_equal(pub[0].pk, new_pk, 32);
        assert_memory_equal(pub[1].pk, old_pk, 32);
        assert_int_equal(token_verify(tok, strlen(tok), pub, n, NOW + 100, NULL), 0);
        /* In memory, prune forgets it on time; so does a load after that time. */
        keys_prune(k, NOW + 10 + KEYS_RETIRE_SECONDS - 1);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 2);
        keys_prune(k, NOW + 10 + KEYS_RETIRE_SECONDS);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1);
        assert_int_equal(token_verify(tok, strlen(tok), pub, n, NOW + 100, NULL),
                         TOKEN_E_UNKNOWN_KEY);
        k = keys_free(k);
        assert_int_equal(keys_load(&k, dir, NOW + 10 + KEYS_RETIRE_SECONDS, NULL), 0);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1);
        k = keys_free(k);
        free(tok);
}

static void test_rotate_crash_and_limit(void **state)
{
        Keys *k = NULL;
        const TokenPublicKey *pub;
        uint8_t rec[40];
        char *err = NULL;
        size_t n;
        int r = 0, i;

        (void)state;
        fresh("crash");
        assert_int_equal(keys_load(&k, dir, NOW, NULL), 0);
        keys_public(k, &pub, &n);
        /* retired.keys written, signing.key not yet replaced: the current key is listed. */
        for (int b = 0; b < 8; b++)
                rec[b] = (uint8_t)((uint64_t)(NOW + 1000) >> (56 - 8 * b));
        memcpy(rec + 8, pub[0].pk, 32);
        k = keys_free(k);
        write_file("retired.keys", rec, sizeof(rec), 0600);
        assert_int_equal(keys_load(&k, dir, NOW, NULL), 0);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1);

        /* Rotating faster than keys retire hits the bound and changes nothing. */
        for (i = 0; i < KEYS_RETIRED_MAX + 1; i++) {
                r = keys_rotate(k, NOW + i, &err);
                if (r)
                        break;
        }
        assert_int_equal(r, KEYS_E_TOO_MANY);
        assert_int_equal(i, KEYS_RETIRED_MAX);
        assert_non_null(strstr(err, dir));
        free(err);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1 + KEYS_RETIRED_MAX);
        /* Once the oldest retired key expires there is room again. */
        assert_int_equal(keys_rotate(k, NOW + KEYS_RETIRE_SECONDS, NULL), 0);
        keys_public(k, &pub, &n);
        assert_int_equal(n, 1 + KEYS_RETIRED_MAX);
        k = keys_free(k);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_secret),
                cmocka_unit_test(test_create_and_reload),
                cmocka_unit_test(test_unsafe),
                cmocka_unit_test(test_rotate),
                cmocka_unit_test(test_rotate_crash_and_limit),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
