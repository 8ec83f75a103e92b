/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one client connection: attestation at accept, message assembly
 * with the bounded scanner, the write path, idle timeouts and close.
 * What a message means is dispatch.c's business.
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "agent.h"
#include "identity.h"
#include "rpc.h"
#include "scan.h"

#define CONN_IDLE_MS (5 * 60 * 1000)     /* no request in flight, nothing buffered */
#define CONN_WRITE_QUEUE_MAX (1u << 20)   /* stop reading while more is unsent */

typedef struct Conn {
        uv_pipe_t pipe;
        uv_timer_t timer;
        uint64_t idle_deadline;         /* loop time (ms) at which the idle timer closes the conn */
        Agent *agent;
        Conn *prev, *next;              /* agent->conns */
        unsigned n_refs;                /* open handles + queued work */

        Identity id;                    /* attested at accept; never from the peer */
        bool is_counted;                /* counted against the uid's connection limit */
        bool is_closing;
        bool is_reading;

        uint8_t *rbuf;                  /* received bytes: at most one partial message after the consumed ones */
        size_t rlen, rsize;
        Scan scan;
        msgpack_zone zone;              /* decoded request, cleared after each message */
        ProtoBuf out;                   /* replies of one read batch (secret: wiped) */

        /* Per-connection memo of the caller's default role, valid for one config generation. */
        unsigned memo_generation;
        const void *memo_default_role;
        bool has_memo;
        /* The last role this connection was found to be trusted for (unchained), and when. */
        const void *memo_trusted_role;
        unsigned memo_trusted_generation;
        /*
         * handlers_session.c: what the last cached GetCredentials computed, so
         * that repeating it costs a lookup and a copy.  memo_key is the cache key
         * for (memo_key_role, memo_key_duration) without a session policy;
         * memo_reply is the packed result map for the session memo_reply_session
         * (compared, never dereferenced: the akid and issue time rule out a new
         * session at a recycled address).  Both hold for one config generation.
         * memo_reply holds a secret: wiped when replaced and in conn_free().
         */
        char *memo_key;
        const void *memo_key_role;
        uint32_t memo_key_duration;
        unsigned memo_key_generation;
        uint8_t *memo_reply;
        size_t memo_reply_len;
        const void *memo_reply_session;
        const void *memo_reply_role;
        char memo_reply_akid[32];
        int64_t memo_reply_issued;
        unsigned memo_reply_generation;
} Conn;

/* conn_accept() - accept one connection from @server and attest its peer. */
void conn_accept(Agent *agent, uv_stream_t *server);
/* conn_close() - close @c (idempotent); it is freed once libuv is done with it. */
void conn_close(Conn *c);
/* conn_close_all() - close every connection (shutdown). */
void conn_close_all(Agent *agent);
