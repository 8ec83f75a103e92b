/* SPDX-License-Identifier: MIT */
/*
 * test-base.c - the base layer (base/): the civil calendar and the ISO-8601
 * formatter against glibc's gmtime_r(), the one duration grammar, the refresh
 * margin, and the safe-file checks and bounded reads on real files.
 */
#undef NDEBUG
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catbuf.h"
#include "civil.h"
#include "duration.h"
#include "refresh.h"
#include "names.h"
#include "safefile.h"
#include "secbuf.h"
#include "util.h"

static void test_iso8601(void **state)
{
        char buf[CIVIL_ISO8601_SIZE] = "untouched", want[32];

        (void)state;
        assert_int_equal(civil_format_iso8601(0, buf), 0);
        assert_string_equal(buf, "1970-01-01T00:00:00Z");
        assert_int_equal(civil_format_iso8601(1700000000, buf), 0);
        assert_string_equal(buf, "2023-11-14T22:13:20Z");
        assert_int_equal(civil_format_iso8601(951782400, buf),
                         0); /* leap day of a century leap year */
        assert_string_equal(buf, "2000-02-29T00:00:00Z");
        assert_int_equal(civil_format_iso8601(-1, buf), 0);
        assert_string_equal(buf, "1969-12-31T23:59:59Z");
        assert_int_equal(civil_format_iso8601(CIVIL_ISO8601_MAX, buf), 0);
        assert_string_equal(buf, "9999-12-31T23:59:59Z");
        assert_int_equal(civil_format_iso8601(CIVIL_ISO8601_MIN, buf), 0);
        assert_string_equal(buf, "0000-01-01T00:00:00Z");
        strcpy(buf, "untouched");
        assert_int_equal(civil_format_iso8601(CIVIL_ISO8601_MAX + 1, buf), -ERANGE);
        assert_int_equal(civil_format_iso8601(CIVIL_ISO8601_MIN - 1, buf), -ERANGE);
        assert_string_equal(buf, "untouched");
        /* Agrees with gmtime_r() every ~11.6 days over 1900..2200. */
        for (int64_t t = -2208988800LL; t < 7258118400LL; t += 999983) {
                time_t tt = (time_t)t;
                struct tm tm;

                gmtime_r(&tt, &tm);
                strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
                assert_int_equal(civil_format_iso8601(t, buf), 0);
                assert_string_equal(buf, want);
        }
}

static void test_civil_days(void **state)
{
        (void)state;
        assert_int_equal(civil_to_days(1970, 1, 1), 0);
        assert_int_equal(civil_to_days(2000, 3, 1), 11017);
        assert_int_equal(civil_to_days(1969, 12, 31), -1);
        /* civil_from_days() inverts civil_to_days() over four 400-year cycles. */
        for (int64_t days = -800 * 146097 / 400; days < 800 * 146097 / 400; days += 7) {
                int64_t y;
                int m, d;

                civil_from_days(days, &y, &m, &d);
                assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
                assert_int_equal(civil_to_days(y, m, d), days);
        }
}

static void test_duration(void **state)
{
        static const struct {
                const char *in;
                int r;
                uint32_t out;
        } cases[] = {
                { "900", 0, 900 },       { "900s", 0, 900 },
                { "15m", 0, 900 },       { "15M", 0, 900 },
                { "1h", 0, 3600 },       { "1H30M", 0, 5400 },
                { "1h30m", 0, 5400 },    { "12h", 0, 43200 },
                { "2h0m10s", 0, 7210 },  { "1h1", 0, 3601 },
                { "0", 0, 0 },           { "43200", 0, 43200 },
                { "", -EINVAL, 0 },      { "h", -EINVAL, 0 },
                { "15x", -EINVAL, 0 },   { "-5", -EINVAL, 0 },
                { "1.5h", -EINVAL, 0 },  { "15 m", -EINVAL, 0 },
                { "1hm", -EINVAL, 0 },   { "+5", -EINVAL, 0 },
                { "13h", -ERANGE, 0 },   { "43201", -ERANGE, 0 },
                { "12h1s", -ERANGE, 0 }, { "99999999999999999999", -ERANGE, 0 },
        };
        uint32_t v = 7;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r;

                v = 12345;
                r = duration_parse(cases[i].in, 43200, &v);
                if (r != cases[i].r)
                        fail_msg("'%s': got %d, want %d", cases[i].in, r, cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].out : 12345);
        }
        /* The configuration's bound: anything that fits in 32 bits. */
        assert_int_equal(duration_parse("4294967295", UINT32_MAX, &v), 0);
        assert_int_equal(v, 4294967295u);
        assert_int_equal(duration_parse("4294967296", UINT32_MAX, &v), -ERANGE);
        assert_int_equal(duration_parse("1193047h", UINT32_MAX, &v), -ERANGE);
        assert_int_equal(duration_parse(NULL, UINT32_MAX, &v), -EINVAL);
}

static void test_duration_format(void **state)
{
        char b[32];
        uint32_t v;

        (void)state;
        duration_format(3600, b, sizeof(b));
        assert_string_equal(b, "1h");
        duration_format(5400, b, sizeof(b));
        assert_string_equal(b, "1h30m");
        duration_format(45, b, sizeof(b));
        assert_string_equal(b, "45s");
        duration_format(0, b, sizeof(b));
        assert_string_equal(b, "0s");
        /* What it prints, the grammar reads back. */
        for (uint32_t s = 0; s <= 43200; s += 37) {
                duration_format(s, b, sizeof(b));
                assert_int_equal(duration_parse(b, 43200, &v), 0);
                assert_int_equal(v, s);
        }
}

static void test_refresh_margin(void **state)
{
        (void)state;
        /* max(20 min, lifetime/4), at most lifetime/2 */
        assert_int_equal(refresh_margin(900), 450);
        assert_int_equal(refresh_margin(2400), 1200);
        assert_int_equal(refresh_margin(3600), 1200);
        assert_int_equal(refresh_margin(4800), 1200);
        assert_int_equal(refresh_margin(7200), 1800);
        assert_int_equal(refresh_margin(43200), 10800);
}

/* A fresh folder of our own under $TMPDIR (tests of parallel worktrees may run at once). */
static char *make_dir(void)
{
        const char *tmp = getenv("TMPDIR");
        char *dir;

        assert_true(asprintf(&dir, "%s/test-base-XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        assert_non_null(mkdtemp(dir));
        return dir;
}

static void test_safefile_check(void **state)
{
        _cleanup_free_ char *dir = make_dir(), *file = NULL;
        _cleanup_close_ int fd = -1;
        SafeFileRule rule = { .type = S_IFREG, .owner = geteuid(), .forbidden = 0077 };
        struct stat st;

        (void)state;
        assert_true(asprintf(&file, "%s/f", dir) > 0);
        fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(safefile_check(&st, &rule), 0);
        assert_int_equal(fchmod(fd, 0640), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(safefile_check(&st, &rule), SAFEFILE_E_MODE);
        rule.forbidden = 0022;
        assert_int_equal(safefile_check(&st, &rule), 0);
        rule.owner = geteuid() + 1;
        assert_int_equal(safefile_check(&st, &rule), SAFEFILE_E_OWNER);
        rule.is_root_ok = true;
        assert_int_equal(safefile_check(&st, &rule), geteuid() == 0 ? 0 : SAFEFILE_E_OWNER);
        rule.type = S_IFDIR;
        assert_int_equal(safefile_check(&st, &rule), SAFEFILE_E_TYPE);
        assert_int_equal(stat(dir, &st), 0);
        rule = (SafeFileRule){ .type = S_IFDIR, .owner = geteuid(), .forbidden = 0022 };
        assert_int_equal(safefile_check(&st, &rule), 0);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_safefile_read(void **state)
{
        _cleanup_free_ char *dir = make_dir(), *file = NULL;
        _cleanup_close_ int fd = -1;
        char buf[16];
        size_t len = 99;

        (void)state;
        assert_true(asprintf(&file, "%s/f", dir) > 0);
        fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        /* Empty. */
        assert_int_equal(safefile_read(fd, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 0);
        /* Exactly the bound. */
        assert_int_equal(pwrite(fd, "0123456789abcdef", 16, 0), 16);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(safefile_read(fd, buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 16);
        assert_memory_equal(buf, "0123456789abcdef", 16);
        /* One byte over. */
        assert_int_equal(pwrite(fd, "!", 1, 16), 1);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        len = 99;
        assert_int_equal(safefile_read(fd, buf, sizeof(buf), &len), SAFEFILE_E_TOO_LARGE);
        assert_int_equal(len, 99);
        /* A read error comes back as -errno. */
        assert_int_equal(safefile_read(-1, buf, sizeof(buf), &len), -EBADF);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* Whole files of any length up to the bound, through a buffer that doubles. */
static void test_safefile_read_all(void **state)
{
        _cleanup_free_ char *dir = make_dir(), *file = NULL;
        _cleanup_close_ int fd = -1;
        char data[100], *text = NULL;
        size_t len = 99;

        (void)state;
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (char)('a' + i % 26);
        assert_true(asprintf(&file, "%s/f", dir) > 0);
        fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        /* Empty: "", NUL-terminated. */
        assert_int_equal(safefile_read_all(fd, 4, 64, &text, &len), 0);
        assert_int_equal(len, 0);
        assert_string_equal(text, "");
        free(text);
        /* 62 bytes fit a 64-byte buffer, read through four doublings. */
        assert_int_equal(pwrite(fd, data, 62, 0), 62);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(safefile_read_all(fd, 4, 64, &text, NULL), 0);
        assert_int_equal(strlen(text), 62);
        assert_memory_equal(text, data, 62);
        free(text);
        /* One byte more fills it, and a full buffer must grow past the bound to find the end. */
        assert_int_equal(pwrite(fd, data, 63, 0), 63);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        text = NULL;
        assert_int_equal(safefile_read_all(fd, 4, 64, &text, &len), SAFEFILE_E_TOO_LARGE);
        assert_null(text);
        assert_int_equal(safefile_read_all(-1, 4, 64, &text, &len), -EBADF);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_secbuf_grow(void **state)
{
        size_t size = 0;
        char *b, *p;

        (void)state;
        /* From nothing: the initial size, clamped to the maximum. */
        b = secbuf_grow(NULL, 0, &size, 10, 64, 48);
        assert_non_null(b);
        assert_int_equal(size, 48);
        memcpy(b, "0123456789", 10);
        /* Room already there: the same buffer. */
        assert_ptr_equal(secbuf_grow(b, 10, &size, 38, 64, 1 << 20), b);
        /* More: doubled until it fits, the bytes kept. */
        p = secbuf_grow(b, 10, &size, 100, 64, 1 << 20);
        assert_non_null(p);
        assert_int_equal(size, 192);
        assert_memory_equal(p, "0123456789", 10);
        b = p;
        /* Past the maximum: refused, nothing changed. */
        assert_null(secbuf_grow(b, 10, &size, 1 << 20, 64, 1 << 20));
        assert_int_equal(size, 192);
        /* Up to the maximum exactly. */
        p = secbuf_grow(b, 10, &size, 300, 64, 310);
        assert_non_null(p);
        assert_int_equal(size, 310);
        assert_memory_equal(p, "0123456789", 10);
        free(p);
}

/* catbuf.h writes what snprintf() with %s, %u and PRIu64 writes, and refuses what does not fit. */
static void test_catbuf(void **state)
{
        static const uint32_t values[] = { 0,           1,           9,          10,
                                           99,          100,         4294967,    65534,
                                           2147483647u, 4294967294u, 4294967295u };
        static const uint64_t values64[] = { 0,           9,           10,
                                             4294967295u, 4294967296u, 10000000000000000000u,
                                             UINT64_MAX };
        char buf[64], want[64];
        CatBuf b;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                b = catbuf_init(buf, sizeof(buf));
                catbuf_str(&b, "/proc/");
                catbuf_u32(&b, values[i]);
                catbuf_mem(&b, "\x1f", 1);
                catbuf_str(&b, "");
                snprintf(want, sizeof(want), "/proc/%u\x1f", (unsigned)values[i]);
                assert_string_equal(buf, want);
                assert_int_equal(catbuf_done(&b), (long)strlen(want));
        }
        for (size_t i = 0; i < ELEMENTSOF(values64); i++) {
                b = catbuf_init(buf, sizeof(buf));
                catbuf_u64(&b, values64[i]);
                catbuf_str(&b, ".");
                snprintf(want, sizeof(want), "%" PRIu64 ".", values64[i]);
                assert_string_equal(buf, want);
                assert_int_equal(catbuf_done(&b), (long)strlen(want));
        }
        /* Exactly full (NUL included), then one byte too many. */
        b = catbuf_init(buf, 4);
        catbuf_str(&b, "abc");
        assert_int_equal(catbuf_done(&b), 3);
        assert_string_equal(buf, "abc");
        b = catbuf_init(buf, 4);
        catbuf_str(&b, "ab");
        catbuf_u32(&b, 12);
        assert_int_equal(catbuf_done(&b), -1);
        assert_string_equal(buf, "ab");
        /* Nothing after an overflow is appended, even what would fit. */
        catbuf_str(&b, "");
        catbuf_mem(&b, "x", 0);
        assert_int_equal(catbuf_done(&b), -1);
        b = catbuf_init(buf, 1);
        catbuf_str(&b, "");
        assert_int_equal(catbuf_done(&b), 0);
        assert_string_equal(buf, "");
}

static void test_names(void **state)
{
        (void)state;
        assert_true(name_valid("deploy-ci_1+=,.@", 16, 1, 64, NAME_IAM_EXTRA));
        assert_false(name_valid("", 0, 1, 64, NAME_IAM_EXTRA));
        assert_false(name_valid("a", 1, 2, 64, NAME_IAM_EXTRA));
        assert_false(name_valid("abc", 3, 1, 2, NAME_IAM_EXTRA));
        assert_false(name_valid("a b", 3, 1, 64, NAME_IAM_EXTRA));
        assert_false(name_valid("a/b", 3, 1, 64, NAME_IAM_EXTRA));
        assert_true(name_valid("a/b", 3, 1, 64, NAME_IAM_EXTRA "/"));
        /* A NUL inside the counted bytes is refused, though strchr() finds the terminator. */
        assert_false(name_valid("ab\0c", 4, 1, 64, NAME_IAM_EXTRA));
        assert_false(name_char_valid('\0', NAME_IAM_EXTRA));
        assert_false(name_valid("r\xc3\xa9le", 5, 1, 64, NAME_IAM_EXTRA));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_iso8601),        cmocka_unit_test(test_civil_days),
                cmocka_unit_test(test_duration),       cmocka_unit_test(test_duration_format),
                cmocka_unit_test(test_refresh_margin), cmocka_unit_test(test_safefile_check),
                cmocka_unit_test(test_safefile_read),  cmocka_unit_test(test_safefile_read_all),
                cmocka_unit_test(test_secbuf_grow),    cmocka_unit_test(test_names),
                cmocka_unit_test(test_catbuf),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
