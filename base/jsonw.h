/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h - a tiny JSON text writer: a growable buffer and string escaping,
 * in the base layer so that rolectl's credential_process path and libroled
 * (jsonmp.c: Status as JSON) need no JSON library.  The buffer may hold
 * secrets and is wiped when grown or freed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JsonBuf {
        char *data; /* NUL-terminated while !is_oom */
        size_t len;
        size_t size;
        bool is_oom; /* an append failed; the content is unusable */
} JsonBuf;

#define JSON_BUF_INIT                                                                              \
        {                                                                                          \
                NULL, 0, 0, false                                                                  \
        }

/* json_buf_deinit() - wipe and free the buffer; it becomes JSON_BUF_INIT. */
void json_buf_deinit(JsonBuf *b);
/* json_raw() - append @n bytes of @s verbatim. */
void json_raw(JsonBuf *b, const char *s, size_t n);
/* json_rawz() - append the C string @s verbatim. */
void json_rawz(JsonBuf *b, const char *s);
/*
 * json_str() - append @s[0..@n) as a JSON string literal, quotes included:
 * '"', '\\' and control characters are escaped, invalid UTF-8 becomes U+FFFD.
 */
void json_str(JsonBuf *b, const char *s, size_t n);
/* json_uint() - append a decimal unsigned integer. */
void json_uint(JsonBuf *b, uint64_t v);
