/* SPDX-License-Identifier: MIT */
/*
 * scan.h - bounded, resumable MessagePack scanner.
 *
 * Finds where one message ends in a stream buffer without allocating, and
 * rejects lying lengths, oversized messages and deep nesting before anything
 * is handed to msgpack-c (which allocates for the counts a message declares).
 * It knows nothing about RPC envelopes beyond "the top level is an array".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum {
        SCAN_E_INCOMPLETE = 1, /* valid so far, more bytes needed */
        SCAN_E_MALFORMED,      /* not MessagePack, or the top level is not an array */
        SCAN_E_TOO_LARGE,      /* the message is, or declares to be, over the limit */
        SCAN_E_TOO_DEEP,       /* nesting deeper than PROTO_DEPTH_MAX */
};

/* Scanner state; the buffer it scans may grow between calls but must keep its prefix. */
typedef struct Scan {
        size_t off;                         /* bytes of the current message accepted so far */
        size_t limit;                       /* maximum message size */
        unsigned depth;                     /* current nesting depth */
        uint32_t left[PROTO_DEPTH_MAX + 1]; /* objects still expected at each depth */
} Scan;

/* scan_init() - prepare @s for a new message of at most @limit bytes. */
void scan_init(Scan *s, size_t limit);

/*
 * scan_feed() - continue scanning the message that starts at @buf.
 * @s:    scanner state; after SCAN_E_INCOMPLETE call again with more bytes
 * @buf:  the bytes received so far for this message (the prefix seen before is unchanged)
 * @len:  number of bytes in @buf
 * @msg_lenp: on success, the length of the complete message
 *
 * Return: 0 when a whole message is present (its length in *@msg_lenp),
 * SCAN_E_INCOMPLETE, SCAN_E_MALFORMED, SCAN_E_TOO_LARGE or SCAN_E_TOO_DEEP.
 * Work over the life of one message is linear in its length.
 */
int scan_feed(Scan *s, const uint8_t *buf, size_t len, size_t *msg_lenp);
