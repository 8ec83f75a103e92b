/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one client connection: attestation at accept, the sender of
 * every received chunk checked against the attested process, message
 * assembly with the bounded scanner, the write path, idle timeouts and close.
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
#define CONN_WRITE_QUEUE_MAX (64u << 10) /* stop reading (and answering) while more is unsent */
#define CONN_OUT_FLUSH (16u << 10)       /* flush replies once this much waits in c->out */
#define CONN_OUT_KEEP (64u << 10)        /* a reply buffer larger than this is freed when empty */
/*
 * A uid's connections past max_connections_per_uid wait, accepted but not
 * read or attested, for one of its slots (oldest first), at most
 * CONN_PARK_MS; then they are answered Throttling and closed.  One whose
 * peer hangs up meanwhile is closed at once and frees its place.  At most
 * CONN_PARKED_PER_UID_MAX wait per uid, and all of them together hold at
 * most the agent's max_parked_fds descriptors (a socket each, and a pidfd
 * each on a kernel without SO_PEERPIDFD); more are answered at once.
 */
#define CONN_PARK_MS 5000
/*
 * Fairness between uids: a uid with more than CONN_FAIR_SHARE connections
 * (or any parked) is busy while other uids are around (a connection open, or
 * one accepted in the last CONN_MIXED_MS), and its connections' work
 * (attestation, reading and answering) waits for a turn after the loop's
 * poll, CONN_TURN_SLICE_US of it at a time, with up to CONN_ACCEPT_PER_SLICE
 * new connections taken between slices; other uids' connections are served
 * as their events come.
 */
#define CONN_FAIR_SHARE 8
#define CONN_TURN_SLICE_US 50
/*
 * Answers one connection gives per wake-up (a readable event, or a turn)
 * while another uid has a connection: the rest of what it pipelined waits
 * for its next turn, so a uid with few connections that pipelines without
 * pause delays another's request by at most this many answers per
 * connection, not by all it wrote.
 */
#define CONN_ANSWERS_PER_WAKE 16
#define CONN_ACCEPT_PER_SLICE 32 /* connections taken from the listening socket between slices */
#define CONN_MIXED_MS 1000 /* a uid is busy only while others came this recently (or are open) */
#define CONN_PARKED_PER_UID_MAX 4096
/*
 * An attestation that fails for want of descriptors or memory (EMFILE,
 * ENFILE, ENOMEM, ENOBUFS, EAGAIN) is tried again every CONN_ATTEST_RETRY_MS,
 * CONN_ATTEST_TRIES times in all; then the connection is answered Throttling.
 * The tries go on with the first's pidfd (identity_keep_pin()); one that has
 * none, on a kernel that would open one by pid, is answered Throttling too.
 */
#define CONN_ATTEST_RETRY_MS 20
#define CONN_ATTEST_TRIES 25
/*
 * What a connection the agent has no memory to serve or to answer gets
 * before it is closed: Throttling for msgid 0, packed as
 * proto_pack_response_error() packs it (test-dispatch compares them), but
 * spelled out, so that sending it allocates nothing.
 */
#define CONN_NO_MEMORY "the agent is short of memory; try again later"
#define CONN_NO_MEMORY_ANSWER                                                                      \
        "\x94\x01\x00\x82\xa4"                                                                     \
        "code"                                                                                     \
        "\xaa"                                                                                     \
        "Throttling"                                                                               \
        "\xa7"                                                                                     \
        "message"                                                                                  \
        "\xd9\x2d" CONN_NO_MEMORY "\xc0"

typedef struct Conn {
        uv_pipe_t pipe; /* writes, accept, and readability; never read through libuv */
        uv_timer_t timer;
        uint64_t idle_deadline; /* loop time (ms) at which the idle timer closes the conn */
        Agent *agent;
        Conn *prev, *next;   /* agent->conns; once closed, next is still the successor it had */
        unsigned n_refs;     /* open handles + queued work + deferred replies */
        unsigned n_deferred; /* dispatch.c: replies a handler will send later */

        Identity id;            /* attested at accept; never from the peer */
        uid_t peer_uid;         /* SO_PEERCRED at accept: what the per-uid limit counts */
        struct ucred peer_cred; /* all of SO_PEERCRED at accept, for the attestation */
        bool is_counted;        /* counted against the uid's connection limit */
        bool is_parked;         /* over that limit: waits, unread, on agent->parked_* */
        bool is_park_watched;   /* parked, and on agent->park_epfd for its peer's hang-up */
        bool is_park_pinned;    /* parked, holding a pidfd (identity_pin(): old kernels) */
        bool is_park_hung_up;   /* parked, its peer hung up after sending requests: they are
                                   served when it is admitted, unless its place is needed */
        Conn *park_prev, *park_next;
        bool is_closing;
        bool is_reading;
        uint8_t turn;      /* the work waiting on agent->turns_* (TURN_*), or 0 */
        bool is_in_turn;   /* its turn is being given now: work, don't queue */
        bool is_unwatched; /* reading, but libuv not watching the socket until the turn */
        Conn *turn_next;
        Conn *send_next; /* on agent->sends_*: its replies go out before the next poll */
        bool is_send_queued;
        bool is_paused;   /* not read (nor answered) until the write queue drains */
        bool is_hashing;  /* not read (nor answered) until the executable is hashed */
        bool has_backlog; /* stopped at CONN_ANSWERS_PER_WAKE: c->rbuf is answered in a turn */
        unsigned n_wake;  /* answers given since this wake-up began */
        bool is_in_pool;  /* its attestation (with its descriptors) is in the thread pool */
        uint8_t n_attest_tries; /* attestations that failed for want of descriptors or memory */

        uint8_t *rbuf; /* received bytes: at most one partial message after the consumed ones */
        size_t rlen, rsize;
        uint64_t n_dispatched;   /* stream bytes of the messages answered so far */
        uint64_t n_early;        /* stream bytes the peer sent before its executable was read */
        bool is_early_uncounted; /* n_early not counted yet: no role's trust rested on the exe */
        bool has_answered;       /* its first answers went out: later ones are sent at once */
        Scan scan;
        msgpack_zone zone; /* decoded request, cleared after each message */
        ProtoBuf out;      /* replies of one read batch (secret: wiped) */

        /*
         * The handlers' own per-connection state (handlers_session.c keeps its
         * memos here), opaque to the transport: conn_free() calls
         * handler_state_free(handler_state) when both are set.
         */
        void *handler_state;
        void (*handler_state_free)(void *state);
} Conn;

/* conn_accept() - accept one connection from @server and attest its peer. */
void conn_accept(Agent *agent, uv_stream_t *server);
/*
 * conn_adopt() - serve @fd, a connected socket whose peer is @id, as if it
 * had been accepted and attested (tests drive dispatch over a socketpair with
 * an injected identity this way).  Every chunk read must still come from
 * @id's pid, real uid and real gid (SCM_CREDENTIALS).  Takes @fd, closed on
 * failure, and @id's contents (reset to IDENTITY_INIT).
 * Return: 0 or -errno.
 */
int conn_adopt(Agent *agent, int fd, Identity *id);
/* conn_close() - close @c (idempotent); it is freed once libuv is done with it. */
void conn_close(Conn *c);
/* conn_hold() - take a reference on @c (a deferred reply); conn_release() drops it. */
void conn_hold(Conn *c);
/* conn_release() - drop a reference; the last one frees @c. */
void conn_release(Conn *c);
/*
 * conn_send() - send what was packed into c->out outside a read (a deferred
 * reply), after the replies already queued.  Does nothing on a closing @c.
 */
void conn_send(Conn *c);
/*
 * conn_notify_uid() - send the whole notification @msg to every counted
 * connection whose SO_PEERCRED uid is @uid (parked ones wait unread and get
 * nothing).  @self, the connection whose request caused it, gets it after the
 * replies of its current read batch; the others at once.
 */
void conn_notify_uid(Agent *agent, uint32_t uid, Conn *self, const ProtoBuf *msg);
/*
 * conn_notify_uid_except() - like conn_notify_uid(), but @except (may be
 * NULL) gets nothing and every other connection gets @msg at once: for a
 * notification raised while @except's handler is writing its reply.
 */
void conn_notify_uid_except(Agent *agent, uint32_t uid, const Conn *except, const ProtoBuf *msg);
/*
 * conn_count_early() - count n_early on the connections attested while no
 * role's trust rested on the executable (a configuration where one does
 * was just installed): every byte read or queued so far counts as sent
 * before the executable was read.
 */
void conn_count_early(Agent *agent);
/* conn_close_all() - close every connection (shutdown) and free the spare ones. */
void conn_close_all(Agent *agent);
