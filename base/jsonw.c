/* SPDX-License-Identifier: MIT */
/*
 * jsonw.c - the tiny JSON writer of jsonw.h (base layer: libc only).  Escaping follows RFC 8259:
 * quote, backslash and control characters are escaped and everything else
 * passes through as UTF-8; bytes that are not valid UTF-8 become U+FFFD so
 * the output always parses.
 */
#include "jsonw.h"

#include "secbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_buf_deinit(JsonBuf *b)
{
        if (b->data) {
                explicit_bzero(b->data, b->size);
                free(b->data);
        }
        *b = (JsonBuf)JSON_BUF_INIT;
}

void json_raw(JsonBuf *b, const char *s, size_t n)
{
        char *p;

        if (b->is_oom)
                return;
        p = secbuf_grow(b->data, b->len, &b->size, n + 1, 1024, SIZE_MAX);
        if (!p) {
                b->is_oom = true;
                return;
        }
        b->data = p;
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void json_rawz(JsonBuf *b, const char *s)
{
        json_raw(b, s, strlen(s));
}

/* utf8_len() - length of the valid UTF-8 sequence at @p (at most @n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t cp;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, cp = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, cp = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_str(JsonBuf *b, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, run = 0;

        json_raw(b, "\"", 1);
        while (i < n) {
                const char *esc = NULL;
                char u[8];
                size_t len = utf8_len(p + i, n - i);

                if (len == 1 && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\') {
                        i++;
                        continue;
                }
                if (len > 1) {
                        i += len;
                        continue;
                }
                /* Flush the plain run before p[i], then write p[i]'s escape. */
                json_raw(b, s + run, i - run);
                switch (len ? p[i] : 0x100) {
                case '"':
                        esc = "\\\"";
                        break;
                case '\\':
                        esc = "\\\\";
                        break;
                case '\n':
                        esc = "\\n";
                        break;
                case '\r':
                        esc = "\\r";
                        break;
                case '\t':
                        esc = "\\t";
                        break;
                case '\b':
                        esc = "\\b";
                        break;
                case '\f':
                        esc = "\\f";
                        break;
                case 0x100:
                        esc = "\\ufffd";
                        break;
                default:
                        snprintf(u, sizeof(u), "\\u%04x", p[i]);
                        esc = u;
                }
                json_rawz(b, esc);
                i++;
                run = i;
        }
        json_raw(b, s + run, n - run);
        json_raw(b, "\"", 1);
}

void json_uint(JsonBuf *b, uint64_t v)
{
        char num[24];
        int n = snprintf(num, sizeof(num), "%" PRIu64, v);

        json_raw(b, num, (size_t)n);
}
