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
 * head() - classify the object header at @p (with @avail bytes available).
 * Sets *@hdrp to the header size, and either *@payloadp (bytes that follow)
 * or *@countp (child objects that follow).  Return: 0, SCAN_E_INCOMPLETE or
 * SCAN_E_MALFORMED.
 */
static int head(const uint8_t *p, size_t avail, size_t *hdrp, uint64_t *payloadp, uint64_t *countp)
{
        uint8_t b = p[0];
        unsigned n = 0; /* bytes of length field */

        *payloadp = 0;
        *countp = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
                *hdrp = 1;
                return 0;
        }
        if ((b & 0xe0) == 0xa0) { /* fixstr */
                *hdrp = 1;
                *payloadp = b & 0x1f;
                return 0;
        }
        if ((b & 0xf0) == 0x90) { /* fixarray */
                *hdrp = 1;
                *countp = b & 0x0f;
                return 0;
        }
        if ((b & 0xf0) == 0x80) { /* fixmap */
                *hdrp = 1;
                *countp = 2u * (b & 0x0f);
                return 0;
        }
        switch (b) {
        case 0xc1:
                return SCAN_E_MALFORMED;
        case 0xcc:
        case 0xd0:
                *hdrp = 2;
                return avail >= 2 ? 0 : SCAN_E_INCOMPLETE;
        case 0xcd:
        case 0xd1:
                *hdrp = 3;
                return avail >= 3 ? 0 : SCAN_E_INCOMPLETE;
        case 0xca:
        case 0xce:
        case 0xd2:
                *hdrp = 5;
                return avail >= 5 ? 0 : SCAN_E_INCOMPLETE;
        case 0xcb:
        case 0xcf:
        case 0xd3:
                *hdrp = 9;
                return avail >= 9 ? 0 : SCAN_E_INCOMPLETE;
        case 0xd4:
                *hdrp = 2;
                *payloadp = 1;
                return 0; /* fixext 1: type byte + 1 */
        case 0xd5:
                *hdrp = 2;
                *payloadp = 2;
                return 0;
        case 0xd6:
                *hdrp = 2;
                *payloadp = 4;
                return 0;
        case 0xd7:
                *hdrp = 2;
                *payloadp = 8;
                return 0;
        case 0xd8:
                *hdrp = 2;
                *payloadp = 16;
                return 0;
        case 0xc4:
        case 0xd9:
                n = 1;
                break; /* bin8, str8 */
        case 0xc5:
        case 0xda:
                n = 2;
                break; /* bin16, str16 */
        case 0xc6:
        case 0xdb:
                n = 4;
                break; /* bin32, str32 */
        case 0xc7:
                n = 1;
                break; /* ext8 */
        case 0xc8:
                n = 2;
                break; /* ext16 */
        case 0xc9:
                n = 4;
                break; /* ext32 */
        case 0xdc:
                n = 2;
                break; /* array16 */
        case 0xdd:
                n = 4;
                break; /* array32 */
        case 0xde:
                n = 2;
                break; /* map16 */
        case 0xdf:
                n = 4;
                break; /* map32 */
        default:
                return SCAN_E_MALFORMED;
        }
        /* ext types carry a type byte after the length */
        size_t extra = (b >= 0xc7 && b <= 0xc9) ? 1 : 0;

        if (avail < 1 + n + extra)
                return SCAN_E_INCOMPLETE;
        uint64_t v = be(p + 1, n);

        *hdrp = 1 + n + extra;
        if (b == 0xdc || b == 0xdd)
                *countp = v;
        else if (b == 0xde || b == 0xdf)
                *countp = 2 * v;
        else
                *payloadp = v;
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
