/* SPDX-License-Identifier: MIT */
/*
 * catbuf.h - build a string piece by piece into a fixed buffer, without
 * snprintf(): for the paths and keys made once per connection, where
 * snprintf()'s format parsing was about a fifth of the agent's own
 * instructions per fresh connection.
 *
 *     CatBuf b = catbuf_init(buf, sizeof(buf));
 *     catbuf_str(&b, "/proc/");
 *     catbuf_u32(&b, pid);
 *     if (!catbuf_done(&b)) ... did not fit ...
 *
 * The output is what snprintf() with "%s" and "%u" would write.  A piece that
 * does not fit marks the buffer as overflowed; catbuf_done() then fails and
 * the buffer holds a NUL-terminated prefix.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct CatBuf {
        char *buf;
        size_t size; /* of buf, NUL included; at least 1 */
        size_t len;
        bool is_over;
} CatBuf;

static inline CatBuf catbuf_init(char *buf, size_t size)
{
        buf[0] = '\0';
        return (CatBuf){ .buf = buf, .size = size };
}

/* catbuf_mem() - append @n bytes of @s (no NUL among them). */
static inline void catbuf_mem(CatBuf *b, const void *s, size_t n)
{
        if (b->is_over || n >= b->size - b->len) {
                b->is_over = true;
                return;
        }
        memcpy(b->buf + b->len, s, n);
        b->len += n;
        b->buf[b->len] = '\0';
}

static inline void catbuf_str(CatBuf *b, const char *s)
{
        catbuf_mem(b, s, strlen(s));
}

/* catbuf_u64() - append @v in decimal, as "%" PRIu64 would. */
static inline void catbuf_u64(CatBuf *b, uint64_t v)
{
        char d[20];
        size_t i = sizeof(d);

        do {
                d[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        catbuf_mem(b, d + i, sizeof(d) - i);
}

/*
 * catbuf_u32() - append @v in decimal, as "%u" would.  The 64-bit division
 * by 10 is one multiply as the 32-bit one is: no cost to the per-connection
 * paths that use it.
 */
static inline void catbuf_u32(CatBuf *b, uint32_t v)
{
        catbuf_u64(b, v);
}

/* catbuf_done() - did every piece fit?  Return: the length, or -1 when one did not. */
static inline long catbuf_done(const CatBuf *b)
{
        return b->is_over ? -1 : (long)b->len;
}
