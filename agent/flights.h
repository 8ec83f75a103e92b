/* SPDX-License-Identifier: MIT */
/*
 * flights.h - single flight per session cache key for issuers that answer
 * later (an upstream call): one call in flight per (role, identity key);
 * askers that come meanwhile wait on it with deferred replies; after a
 * failure a jittered exponential backoff, during which a cached session is
 * served while it is unexpired (never after) and the last error otherwise.
 * A driver that answers at once (local) costs one hash lookup here.
 * The cache itself is sessions.c's; the drivers are issuer.h's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "issuer.h"
#include "sessions.h"

#define FLIGHTS_MAX 65536       /* keys with a call in flight or in backoff */
#define FLIGHTS_BACKOFF_MIN 4   /* seconds: the first transient failure waits 2..4 s */
#define FLIGHTS_BACKOFF_MAX 300 /* seconds: the longest wait between attempts */

enum {
        FLIGHTS_E_WAIT = 1, /* the request waits on a flight: its reply is deferred */
        FLIGHTS_E_FAILED,   /* the issuer failed; the IssueError says how */
};

typedef struct Flights Flights;

/* flights_new() - an empty table for @agent.  Return: 0 or -ENOMEM. */
int flights_new(Agent *agent, Flights **tp);

/* flights_free() - free @t; waiters still queued are answered Internal.  Return: NULL. */
Flights *flights_free(Flights *t);

/*
 * flights_issue() - get credentials for @ir->cache_key, which the cache had no
 * fresh session for.
 * @t:      the table
 * @req:    the request (deferred when it has to wait)
 * @ir:     what to issue; @ir->cache_key names the flight
 * @stale:  the cached session due for refresh but unexpired, or NULL
 * @sp:     on 0: the session to answer with now (borrowed from the cache)
 * @is_newp: on 0: whether *@sp was issued just now (false: @stale, served
 *          while its refresh runs or the upstream is down)
 * @err:    on FLIGHTS_E_FAILED: the error to answer with
 *
 * Return: 0, FLIGHTS_E_WAIT, FLIGHTS_E_FAILED, a positive ISSUER_E_* of a
 * synchronous driver, a positive ProtoError after request_fail(), or -errno.
 */
int flights_issue(Flights *t, Request *req, const IssueRequest *ir, const Session *stale,
                  const Session **sp, bool *is_newp, IssueError *err);

/* flights_count() - keys in flight or in backoff. */
size_t flights_count(const Flights *t);

/*
 * flights_pack_credentials() - the credential map of PROTOCOL.md (GetCredentials'
 * and AssumeRole's result) for @cr of role @role (@role_arn).
 */
void flights_pack_credentials(ProtoBuf *out, const char *role, const char *role_arn,
                              const Credentials *cr);
