/* SPDX-License-Identifier: MIT */
/*
 * test-exehash.c - SHA-256 of an open file (known vectors, the size bound,
 * non-regular files, the fd offset left alone) and the LRU digest cache.
 */
#undef NDEBUG
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exehash.h"
#include "util.h"

static int temp_with(const char *text)
{
        char path[] = "/tmp/roled-test-exehash-XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        return fd;
}

static void test_hash(void **state)
{
        static const uint8_t abc[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                         0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                         0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                         0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
        static const uint8_t empty[32] = { 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                           0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                           0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                           0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
        _cleanup_close_ int fd = temp_with("abc");
        _cleanup_close_ int fd0 = temp_with("");
        uint8_t out[32];

        (void)state;
        assert_int_equal(exehash_fd(fd, EXEHASH_MAX_DEFAULT, out), 0);
        assert_memory_equal(out, abc, 32);
        /* pread: the file offset (3, after the write) is untouched. */
        assert_int_equal(lseek(fd, 0, SEEK_CUR), 3);
        assert_int_equal(exehash_fd(fd0, EXEHASH_MAX_DEFAULT, out), 0);
        assert_memory_equal(out, empty, 32);

        assert_int_equal(exehash_fd(fd, 3, out), 0);
        assert_int_equal(exehash_fd(fd, 2, out), EXEHASH_E_TOO_LARGE);
        assert_int_equal(exehash_fd(-1, 10, out), -EBADF);
}

static void test_large_file(void **state)
{
        _cleanup_close_ int fd = temp_with("");
        _cleanup_free_ uint8_t *buf = calloc(1, 300000);
        uint8_t out[32], again[32];

        (void)state;
        /* Longer than one read chunk, so streaming is exercised. */
        assert_non_null(buf);
        for (size_t i = 0; i < 300000; i++)
                buf[i] = (uint8_t)(i * 7);
        assert_int_equal(write(fd, buf, 300000), 300000);
        assert_int_equal(exehash_fd(fd, EXEHASH_MAX_DEFAULT, out), 0);
        assert_int_equal(exehash_fd(fd, EXEHASH_MAX_DEFAULT, again), 0);
        assert_memory_equal(out, again, 32);
        assert_int_equal(pwrite(fd, "x", 1, 200000), 1);
        assert_int_equal(exehash_fd(fd, EXEHASH_MAX_DEFAULT, again), 0);
        assert_memory_not_equal(out, again, 32);
        assert_int_equal(exehash_fd(fd, 299999, out), EXEHASH_E_TOO_LARGE);
}

static void test_not_regular(void **state)
{
        int p[2];
        uint8_t out[32];

        (void)state;
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(exehash_fd(p[0], EXEHASH_MAX_DEFAULT, out), EXEHASH_E_NOT_REGULAR);
        close(p[0]);
        close(p[1]);
}

static ExehashKey key(unsigned ino)
{
        ExehashKey k;

        memset(&k, 0, sizeof(k));
        k.dev = 8;
        k.ino = ino;
        k.size = 100;
        k.mtime.tv_sec = 1000;
        return k;
}

static void test_cache(void **state)
{
        ExehashCache *cache = NULL;
        uint8_t h[32], out[32];
        ExehashKey k;

        (void)state;
        assert_int_equal(exehash_cache_new(&cache, 3), 0);
        for (unsigned i = 1; i <= 3; i++) {
                memset(h, (int)i, 32);
                k = key(i);
                exehash_cache_insert(cache, &k, h);
        }
        assert_int_equal(exehash_cache_size(cache), 3);

        /* Any field differing misses: a rewritten file changes mtime or ctime. */
        k = key(1);
        assert_true(exehash_cache_lookup(cache, &k, out));
        assert_int_equal(out[0], 1);
        k.mtime.tv_nsec = 1;
        assert_false(exehash_cache_lookup(cache, &k, out));
        k = key(1);
        k.ctime.tv_sec = 5;
        assert_false(exehash_cache_lookup(cache, &k, out));
        k = key(1);
        k.size = 101;
        assert_false(exehash_cache_lookup(cache, &k, out));
        k = key(1);
        k.dev = 9;
        assert_false(exehash_cache_lookup(cache, &k, out));

        /* 1 was used last, so inserting 4 evicts 2 (least recently used). */
        k = key(3);
        assert_true(exehash_cache_lookup(cache, &k, out));
        k = key(1);
        assert_true(exehash_cache_lookup(cache, &k, out));
        memset(h, 4, 32);
        k = key(4);
        exehash_cache_insert(cache, &k, h);
        assert_int_equal(exehash_cache_size(cache), 3);
        k = key(2);
        assert_false(exehash_cache_lookup(cache, &k, out));
        for (unsigned i = 1; i <= 4; i++) {
                if (i == 2)
                        continue;
                k = key(i);
                assert_true(exehash_cache_lookup(cache, &k, out));
                assert_int_equal(out[31], i);
        }

        /* Re-inserting a key replaces its digest without growing. */
        memset(h, 9, 32);
        k = key(4);
        exehash_cache_insert(cache, &k, h);
        assert_int_equal(exehash_cache_size(cache), 3);
        assert_true(exehash_cache_lookup(cache, &k, out));
        assert_int_equal(out[0], 9);

        assert_null(exehash_cache_free(cache));
        assert_null(exehash_cache_free(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash),
                cmocka_unit_test(test_large_file),
                cmocka_unit_test(test_not_regular),
                cmocka_unit_test(test_cache),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
