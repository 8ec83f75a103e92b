/* SPDX-License-Identifier: MIT */
/*
 * renewal.h - telling a uid's connections that a cached session was
 * replaced by a new one (the SessionRenewed notification, PROTOCOL.md
 * section 5a), so libroled caches holding the old credentials fetch the new
 * ones instead of using the old ones until their own refresh time.
 *
 * sessions_insert() frees the session it replaces, so a caller about to
 * insert first captures what it replaces (renewal_capture()) and, once the
 * insert succeeded, sends the note (renewal_notify()).  Who inserts is
 * flights.c's and prewarm.c's business.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "conn.h"
#include "credentials.h"
#include "proto.h"

/* What an insert is about to replace: an unexpired session under the same key. */
typedef struct Renewal {
        bool is_set;
        uint32_t uid;
        char role[PROTO_ROLE_NAME_MAX + 1];
        char akid[CREDENTIALS_AKID_MAX + 1];
} Renewal;

/* renewal_capture() - fill @rn from the unexpired session cached under @key (is_set false: none).
 */
void renewal_capture(const Agent *a, const char *key, int64_t now, Renewal *rn);

/*
 * renewal_notify() - when @rn is set, send SessionRenewed to every
 * connection of its uid but @except, the connection whose handler is
 * writing a reply now (NULL outside a handler).  @except's own client gets
 * the new credentials in that reply.  Best effort: without memory the
 * clients renew at their own refresh time, as before.
 */
void renewal_notify(Agent *a, const Conn *except, const Renewal *rn);
