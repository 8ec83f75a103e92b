/* SPDX-License-Identifier: MIT */
/*
 * test.h - CHECK macros for the integration and security tests.  A failed
 * CHECK prints file:line and the expression and ends the process with 1
 * (with _exit() in a forked child, so the parent's atexit cleanup stays the
 * parent's).  TEST_SKIP() ends it with 77, ctest's "skipped".
 */
#pragma once

#undef NDEBUG
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* test_fail() - report a failed check and end this process (1). */
_Noreturn void test_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* test_skip() - report why the test cannot run here and exit 77. */
_Noreturn void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* test_log() - one progress line on stderr (shown by ctest on failure). */
void test_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                         \
        } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        test_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
        } while (0)

#define CHECK_INT(a, op, b)                                                                        \
        do {                                                                                       \
                long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
                if (!(check_a_ op check_b_))                                                       \
                        test_fail(__FILE__, __LINE__, "CHECK(%s %s %s): %lld vs %lld", #a, #op,    \
                                  #b, check_a_, check_b_);                                         \
        } while (0)

#define CHECK_STREQ(a, b)                                                                          \
        do {                                                                                       \
                const char *check_a_ = (a), *check_b_ = (b);                                       \
                if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0)                     \
                        test_fail(__FILE__, __LINE__, "CHECK_STREQ(%s, %s): \"%s\" vs \"%s\"", #a, \
                                  #b, check_a_ ? check_a_ : "(null)",                              \
                                  check_b_ ? check_b_ : "(null)");                                 \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
        do {                                                                                       \
                const char *check_h_ = (hay), *check_n_ = (needle);                                \
                if (!check_h_ || !strstr(check_h_, check_n_))                                      \
                        test_fail(__FILE__, __LINE__,                                              \
                                  "CHECK_CONTAINS(%s, %s): \"%s\" lacks \"%s\"", #hay, #needle,    \
                                  check_h_ ? check_h_ : "(null)", check_n_);                       \
        } while (0)

#define CHECK_NOT_CONTAINS(hay, needle)                                                            \
        do {                                                                                       \
                const char *check_h_ = (hay), *check_n_ = (needle);                                \
                if (check_h_ && strstr(check_h_, check_n_))                                        \
                        test_fail(__FILE__, __LINE__, "CHECK_NOT_CONTAINS(%s, %s): found \"%s\"",  \
                                  #hay, #needle, check_n_);                                        \
        } while (0)

#define TEST_SKIP(...) test_skip(__VA_ARGS__)
