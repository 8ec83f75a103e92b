/* SPDX-License-Identifier: MIT */
/*
 * jsonw.h - a tiny JSON text writer: a growable buffer, string escaping and
 * a msgpack-to-JSON conversion.  It exists so that the credential_process
 * path of rolectl and roled_agent_status_json() need no JSON library; the
 * buffer may hold secrets and is wiped when grown or freed.
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JsonBuf {
        char *data; /* NUL-terminated while !is_oom */
        size_t len;
        size_t size;
        bool is_oom; /* an append failed; the content is unusable */
} JsonBuf;

#define JSON_BUF_INIT { NULL, 0, 0, false }

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
/* json_msgpack() - append @o as JSON (map keys must be strings; bin becomes null). */
void json_msgpack(JsonBuf *b, const msgpack_object *o);
