/* SPDX-License-Identifier: MIT */
/*
 * scan.c - bounded, resumable MessagePack scanner (see scan.h).
 *
 * Each call resumes at the first object whose header or payload had not fully
 * arrived, so a peer that dribbles a message byte by byte costs linear work.
 * Every declared length is checked against what can still fit under the limit:
 * a container of N elements needs at least N more bytes, a string of L bytes
 * needs L more bytes.
 */
#include "scan.h"

#include <string.h>

void scan_init(Scan *s, size_t limit)
{
        memset(s, 0, sizeof(*s));
        s->limit = limit;
        s->left[0] = 1;
}

static uint32_t be(const uint8_t *p, unsigned n)
{
        uint32_t v = 0;

        for (unsigned i = 0; i < n; i++)
                v = v << 8 | p[i];
        return v;
}

/*
 * The types 0xc0..0xdf, which say their size in their first byte or in a
 * big-endian length field after it. A type whose header is fixed is waited
 * for whole here; a fixext's payload size is fixed too, so scan_feed() waits
 * for its header and payload together.
 */
typedef struct Type {
        uint8_t size;      /* header bytes, length field and ext type byte included; 0: unused */
        uint8_t len_size;  /* bytes of the length field, 0 if none */
        uint8_t per_len;   /* what the length counts: 0 payload bytes, 1 array items, 2 map items */
        uint8_t fixed_len; /* payload bytes of a fixext */
} Type;

#define AT(b) [(b)-0xc0]
static const Type types[32] = {
        AT(0xc0) = { 1, 0, 0, 0 },  /* nil (0xc1 is never used) */
        AT(0xc2) = { 1, 0, 0, 0 },  /* false */
        AT(0xc3) = { 1, 0, 0, 0 },  /* true */
        AT(0xc4) = { 2, 1, 0, 0 },  /* bin 8 */
        AT(0xc5) = { 3, 2, 0, 0 },  /* bin 16 */
        AT(0xc6) = { 5, 4, 0, 0 },  /* bin 32 */
        AT(0xc7) = { 3, 1, 0, 0 },  /* ext 8 */
        AT(0xc8) = { 4, 2, 0, 0 },  /* ext 16 */
        AT(0xc9) = { 6, 4, 0, 0 },  /* ext 32 */
        AT(0xca) = { 5, 0, 0, 0 },  /* float 32 */
        AT(0xcb) = { 9, 0, 0, 0 },  /* float 64 */
        AT(0xcc) = { 2, 0, 0, 0 },  /* uint 8 */
        AT(0xcd) = { 3, 0, 0, 0 },  /* uint 16 */
        AT(0xce) = { 5, 0, 0, 0 },  /* uint 32 */
        AT(0xcf) = { 9, 0, 0, 0 },  /* uint 64 */
        AT(0xd0) = { 2, 0, 0, 0 },  /* int 8 */
        AT(0xd1) = { 3, 0, 0, 0 },  /* int 16 */
        AT(0xd2) = { 5, 0, 0, 0 },  /* int 32 */
        AT(0xd3) = { 9, 0, 0, 0 },  /* int 64 */
        AT(0xd4) = { 2, 0, 0, 1 },  /* fixext 1: type byte + 1 */
        AT(0xd5) = { 2, 0, 0, 2 },  /* fixext 2 */
        AT(0xd6) = { 2, 0, 0, 4 },  /* fixext 4 */
        AT(0xd7) = { 2, 0, 0, 8 },  /* fixext 8 */
        AT(0xd8) = { 2, 0, 0, 16 }, /* fixext 16 */
        AT(0xd9) = { 2, 1, 0, 0 },  /* str 8 */
        AT(0xda) = { 3, 2, 0, 0 },  /* str 16 */
        AT(0xdb) = { 5, 4, 0, 0 },  /* str 32 */
        AT(0xdc) = { 3, 2, 1, 0 },  /* array 16 */
        AT(0xdd) = { 5, 4, 1, 0 },  /* array 32 */
        AT(0xde) = { 3, 2, 2, 0 },  /* map 16 */
        AT(0xdf) = { 5, 4, 2, 0 },  /* map 32 */
};
#undef AT

/*
 * head() - classify the object header at @p (with @avail bytes available).
 * Sets *@hdrp to the header size, and either *@payloadp (bytes that follow)
 * or *@countp (child objects that follow).  Return: 0, SCAN_E_INCOMPLETE or
 * SCAN_E_MALFORMED.
 */
static int head(const uint8_t *p, size_t avail, size_t *hdrp, uint64_t *payloadp, uint64_t *countp)
{
        uint8_t b = p[0];
        const Type *t;

        *payloadp = 0;
        *countp = 0;
        *hdrp = 1;
        if (b <= 0x7f || b >= 0xe0) /* positive and negative fixint */
                return 0;
        if ((b & 0xe0) == 0xa0) { /* fixstr */
                *payloadp = b & 0x1f;
                return 0;
        }
        if ((b & 0xf0) == 0x90) { /* fixarray */
                *countp = b & 0x0f;
                return 0;
        }
        if ((b & 0xf0) == 0x80) { /* fixmap */
                *countp = 2u * (b & 0x0f);
                return 0;
        }
        t = &types[b - 0xc0];
        if (t->size == 0)
                return SCAN_E_MALFORMED;
        if (t->fixed_len > 0) {
                *hdrp = t->size;
                *payloadp = t->fixed_len;
                return 0;
        }
        if (avail < t->size)
                return SCAN_E_INCOMPLETE;
        *hdrp = t->size;
        if (t->per_len > 0)
                *countp = (uint64_t)t->per_len * be(p + 1, t->len_size);
        else
                *payloadp = be(p + 1, t->len_size);
        return 0;
}

/*
 * flat_request() - the length of the message at @buf if it has the shape
 * nearly every request has, [type, msgid, "Method", params] with a
 * fixarray, a fixint type, a msgid that is a fixint or a uint8/16/32, a
 * fixstr method and params nil, [], [nil] or [{}], and is all there: found
 * without walking it object by object.  Return: its length, or 0 (then the
 * general scan decides).
 */
static size_t flat_request(const uint8_t *buf, size_t len)
{
        size_t off = 2;

        if (len < 6 || buf[0] != 0x94 || buf[1] > 0x7f)
                return 0;
        switch (buf[2]) {
        case 0xcc:
                off += 2;
                break;
        case 0xcd:
                off += 3;
                break;
        case 0xce:
                off += 5;
                break;
        default:
                if (buf[2] > 0x7f)
                        return 0;
                off += 1;
        }
        if (off >= len || (buf[off] & 0xe0) != 0xa0)
                return 0;
        off += 1 + (buf[off] & 0x1f);
        if (off >= len)
                return 0;
        if (buf[off] == 0xc0 || buf[off] == 0x90)
                return off + 1;
        if (buf[off] == 0x91 && off + 1 < len && (buf[off + 1] == 0x80 || buf[off + 1] == 0xc0))
                return off + 2;
        return 0;
}

int scan_feed(Scan *s, const uint8_t *buf, size_t len, size_t *msg_lenp)
{
        /* The state lives in locals while scanning and is stored on the way out. */
        size_t off = s->off, limit = s->limit;
        unsigned depth = s->depth;
        int r;

        if (off == 0 && len > 0) {
                uint8_t b = buf[0];
                size_t n = flat_request(buf, len);

                if (n > 0 && n <= limit) {
                        s->off = n;
                        s->depth = 0;
                        s->left[0] = 0;
                        *msg_lenp = n;
                        return 0;
                }

                /* An RPC envelope is an array: reject anything else at once. */
                if ((b & 0xf0) != 0x90 && b != 0xdc && b != 0xdd)
                        return SCAN_E_MALFORMED;
        }
        for (;;) {
                size_t hdr = 1;
                uint64_t payload = 0, count = 0;
                uint8_t b;

                if (off >= len) {
                        r = off >= limit ? SCAN_E_TOO_LARGE : SCAN_E_INCOMPLETE;
                        break;
                }
                b = buf[off];
                /* One-byte headers, what a request is mostly made of, without head(). */
                if ((b & 0xe0) == 0xa0) { /* fixstr */
                        payload = b & 0x1f;
                } else if ((b & 0xf0) == 0x90) { /* fixarray */
                        count = b & 0x0f;
                } else if ((b & 0xf0) == 0x80) { /* fixmap */
                        count = 2u * (b & 0x0f);
                } else if (!(b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)) {
                        r = head(buf + off, len - off, &hdr, &payload, &count);
                        if (r)
                                break;
                }
                /* Everything declared must still fit under the limit. */
                if (hdr > limit - off || payload > limit - off - hdr || count > limit - off - hdr) {
                        r = SCAN_E_TOO_LARGE;
                        break;
                }
                if (count > 0 && depth + 1 > PROTO_DEPTH_MAX) {
                        r = SCAN_E_TOO_DEEP;
                        break;
                }
                if (off + hdr + payload > len) {
                        r = SCAN_E_INCOMPLETE;
                        break;
                }
                off += hdr + payload;
                s->left[depth]--;
                if (count > 0)
                        s->left[++depth] = (uint32_t)count;
                while (depth > 0 && s->left[depth] == 0)
                        depth--;
                if (depth == 0 && s->left[0] == 0) {
                        *msg_lenp = off;
                        r = 0;
                        break;
                }
        }
        s->off = off;
        s->depth = depth;
        return r;
}
