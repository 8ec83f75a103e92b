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

int scan_feed(Scan *s, const uint8_t *buf, size_t len, size_t *msg_lenp)
{
        if (s->off == 0 && len > 0) {
                uint8_t b = buf[0];

                /* An RPC envelope is an array: reject anything else at once. */
                if ((b & 0xf0) != 0x90 && b != 0xdc && b != 0xdd)
                        return SCAN_E_MALFORMED;
        }
        for (;;) {
                size_t hdr;
                uint64_t payload, count;
                int r;

                if (s->off >= len)
                        return s->off >= s->limit ? SCAN_E_TOO_LARGE : SCAN_E_INCOMPLETE;
                r = head(buf + s->off, len - s->off, &hdr, &payload, &count);
                if (r)
                        return r;
                /* Everything declared must still fit under the limit. */
                if (hdr > s->limit - s->off || payload > s->limit - s->off - hdr ||
                    count > s->limit - s->off - hdr)
                        return SCAN_E_TOO_LARGE;
                if (count > 0 && s->depth + 1 > PROTO_DEPTH_MAX)
                        return SCAN_E_TOO_DEEP;
                if (s->off + hdr + payload > len)
                        return SCAN_E_INCOMPLETE;
                s->off += hdr + payload;
                s->left[s->depth]--;
                if (count > 0)
                        s->left[++s->depth] = (uint32_t)count;
                while (s->depth > 0 && s->left[s->depth] == 0)
                        s->depth--;
                if (s->depth == 0 && s->left[0] == 0) {
                        *msg_lenp = s->off;
                        return 0;
                }
        }
}
