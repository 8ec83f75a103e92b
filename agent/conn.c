/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one client connection (see conn.h).
 *
 * A new connection is counted against its uid at accept, from SO_PEERCRED,
 * before any other work.  Within the uid's limit it is attested at once, on
 * the loop, from the kernel alone (identity_attest(): socket options and
 * procfs).  What may wait (NSS, a path lookup or an open on a network or FUSE
 * filesystem) stays off the loop: names come from a short-lived cache
 * (namecache.c) and the executable's path is checked on the loop only when
 * it lives on a local filesystem (localfs.c); otherwise the rest of the
 * attestation runs in libuv's thread pool.  Then (when an exe_sha256 rule
 * could decide something for it) its executable is hashed in the hash
 * queue's own threads (hashq.c); only then is it read.  Past the limit it
 * is parked: accepted, neither attested nor read, until one of the uid's
 * connections closes (oldest parked first) or CONN_PARK_MS pass (then it is
 * answered Throttling and closed); one whose peer hangs up meanwhile is
 * closed at once (drop_hung_up()).  Parked connections hold a bounded share
 * of the descriptors (park()), counting the pidfd that pins a parked
 * caller's process on a kernel without SO_PEERPIDFD.
 *
 * Lifetime: a Conn holds one reference per open libuv handle (pipe,
 * timer), one per queued work item (attestation, a wait in the hash
 * queue) and one per deferred reply (dispatch.c: a handler waiting on an
 * upstream); conn_unref()
 * frees it when the last one goes, so a close that races with the thread
 * pool is safe.
 *
 * Reads are recvmsg() on the socket itself (libuv reads streams with read(),
 * which drops the sender): libuv's pipe only says when the socket is
 * readable, its alloc callback offering no buffer (libuv then calls the read
 * callback with UV_ENOBUFS without reading anything).  The listener set
 * SO_PASSCRED, so the kernel attaches the sending process's pid, uid and gid
 * to every chunk and never merges chunks of different senders.  A chunk from
 * any process other than the attested one (a child that inherited the
 * socket, a process it was handed to, a process that took the pid over) is
 * refused: the connection gets an AccessDenied error (naming no pid: the log
 * names both) and is closed.  Refusing rather than attesting the newcomer keeps one identity
 * per connection, so a request can never be answered with credentials
 * meant for the other process sharing the stream; libroled opens a new
 * connection after fork() for that reason.  This costs no system call: the
 * credentials arrive with the bytes.
 *
 * The hot path for a cached request is one recvmsg(), the handler, and one
 * send() per read batch: replies are gathered in c->out and sent when nothing
 * is queued (try_send()), falling back to a queued write that owns a copy.
 * The send waits for the end of the loop's pass (queue_send(): a prepare
 * handle, run just before the next poll), so the replies of every connection
 * served in one pass go out back to back.  Each send wakes a waiting client,
 * and in a burst of fresh connections the wake-ups then come together
 * instead of being spread between attestations, where each one woke a
 * client that had just gone back to sleep (and often preempted the agent).
 * A connection closed meanwhile sends what it has first (conn_close()).  A
 * deferred reply is packed into c->out later and sent with conn_send() at
 * once, behind whatever is already queued, so replies never interleave.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "dispatch.h"
#include "exehash.h"
#include "hashq.h"
#include "list.h"
#include "namecache.h"
#include "trust.h"
#include "log.h"
#include "util.h"

#define RBUF_INITIAL 4096
#define NOT_WATCHED "the agent cannot watch this connection; try again"
#define NO_MEMORY CONN_NO_MEMORY
#define RBUF_MAX (PROTO_MESSAGE_MAX + 4096)
#define CONN_SPARE_OUT_MAX 4096 /* a spare connection keeps a reply buffer up to this size */

typedef struct WriteReq {
        uv_write_t req;
        Conn *conn;
        size_t len;
        uint8_t data[];
} WriteReq;

static void conn_ref(Conn *c)
{
        c->n_refs++;
}

static void start_attest(Conn *c);
static void refuse(Conn *c, ProtoError code, const char *why);
static void read_now(Conn *c);
static void conn_unref(Conn *c);

enum {
        TURN_ATTEST = 1, /* attest, then read */
        TURN_READ,       /* read and answer what is there */
};

/*
 * Turns: fairness between uids.  A busy uid's connections do not work when
 * their event comes; they queue (oldest first, holding a reference), and
 * after each poll the loop gives turns for at most CONN_TURN_SLICE_US, then
 * takes new connections (accept_waiting()) and polls again without waiting
 * when another uid waits.  So a quiet uid's connection, whose events are
 * served during the poll, waits behind at most one slice of a flood, not
 * behind all of it.  A uid is busy only with others around (another uid's
 * connection open, or accepted within CONN_MIXED_MS): a uid alone on the
 * agent (a parallel build's credential_process calls) is served as its
 * events come, without turns.
 */
static bool has_others(Agent *a, uid_t uid);

static bool is_busy(const Conn *c)
{
        Agent *a = c->agent;

        if (uidcount_get(&a->conns_per_uid, c->peer_uid) <= CONN_FAIR_SHARE &&
            uidcount_get(&a->parked_per_uid, c->peer_uid) == 0)
                return false;
        return has_others(a, c->peer_uid) || uv_now(a->loop) - a->mixed_at < CONN_MIXED_MS;
}

static void give_turns(uv_check_t *h);
static void send_queued(uv_prepare_t *h);
static bool accept_waiting(Agent *a, unsigned max);
static void no_buffer(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_readable(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void noop_idle(uv_idle_t *h)
{
        (void)h;
}

static void queue_turn(Conn *c, uint8_t turn)
{
        Agent *a = c->agent;

        if (c->turn) {
                /* Attesting comes first, and reading follows it anyway. */
                return;
        }
        if (!a->has_turns) {
                uv_check_init(a->loop, &a->turns);
                uv_idle_init(a->loop, &a->turns_more);
                a->turns.data = a->turns_more.data = a;
                uv_check_start(&a->turns, give_turns);
                uv_unref((uv_handle_t *)&a->turns);
                a->has_turns = true;
        }
        c->turn = turn;
        c->turn_next = NULL;
        if (a->turns_tail)
                a->turns_tail->turn_next = c;
        else
                a->turns_head = c;
        a->turns_tail = c;
        conn_ref(c);
        /* A turn given by the next check phase: the poll before it must not wait. */
        uv_idle_start(&a->turns_more, noop_idle);
}

/*
 * Is anyone else waiting (so that a slice of turns should end)?  Another
 * uid with a connection (whose events only the poll reports).  New
 * connections are taken between slices (accept_waiting()).
 */
static bool has_others(Agent *a, uid_t uid)
{
        return a->n_conns >
               uidcount_get(&a->conns_per_uid, uid) + uidcount_get(&a->parked_per_uid, uid);
}

/*
 * The turns left for the next check phase: their sockets unwatched until
 * then, or libuv would report each of them again at every poll meanwhile.
 */
static void unwatch_waiting(Agent *a)
{
        for (Conn *c = a->turns_head; c; c = c->turn_next)
                if (c->turn == TURN_READ && c->is_reading && !c->is_unwatched && !c->is_closing) {
                        (void)uv_read_stop((uv_stream_t *)&c->pipe);
                        c->is_unwatched = true;
                }
}

static void give_turns(uv_check_t *h)
{
        Agent *a = h->data;
        uint64_t slice, end;

        /* The answers of this poll's connections go before the turns' work, not after it. */
        if (a->has_sends && a->sends_head && a->turns_head)
                send_queued(&a->sends);
        slice = (uint64_t)CONN_TURN_SLICE_US * 1000;
        end = uv_hrtime() + slice;

        while (a->turns_head) {
                Conn *c = a->turns_head;
                uint8_t turn = c->turn;
                uid_t uid = c->peer_uid;

                a->turns_head = c->turn_next;
                if (!a->turns_head)
                        a->turns_tail = NULL;
                c->turn_next = NULL;
                c->turn = 0;
                if (!c->is_closing) {
                        c->is_in_turn = true;
                        if (turn == TURN_ATTEST) {
                                start_attest(c);
                        } else {
                                if (c->is_reading)
                                        read_now(c);
                                /* Its socket was left unwatched while it waited: watch it again. */
                                if (c->is_unwatched && !c->is_closing) {
                                        c->is_unwatched = false;
                                        if (c->is_reading &&
                                            uv_read_start((uv_stream_t *)&c->pipe, no_buffer,
                                                          on_readable) < 0)
                                                refuse(c, PROTO_INTERNAL, NOT_WATCHED);
                                }
                        }
                        c->is_in_turn = false;
                }
                conn_unref(c);
                /*
                 * A slice is over: take the new connections (a quiet uid's is
                 * served now), and go on only while nobody else waits.
                 */
                if (a->turns_head && uv_hrtime() >= end) {
                        if (accept_waiting(a, CONN_ACCEPT_PER_SLICE) || has_others(a, uid)) {
                                unwatch_waiting(a);
                                break;
                        }
                        end = uv_hrtime() + slice;
                }
        }
        if (!a->turns_head)
                uv_idle_stop(&a->turns_more);
}

static void on_park_poll_closed(uv_handle_t *h)
{
        Agent *a = h->data;

        safe_close(a->park_epfd);
}

/* Shutdown: the turns' handles (and the parked connections' watch) close with the connections. */
static void close_turns(Agent *a)
{
        while (a->turns_head) {
                Conn *c = a->turns_head;

                a->turns_head = c->turn_next;
                c->turn_next = NULL;
                c->turn = 0;
                conn_unref(c);
        }
        a->turns_tail = NULL;
        if (a->has_park_poll) {
                a->has_park_poll = false;
                uv_close((uv_handle_t *)&a->park_poll, on_park_poll_closed);
        }
        if (a->has_turns) {
                a->has_turns = false;
                uv_close((uv_handle_t *)&a->turns, NULL);
                uv_close((uv_handle_t *)&a->turns_more, NULL);
        }
        while (a->sends_head) {
                Conn *c = a->sends_head;

                a->sends_head = c->send_next;
                c->send_next = NULL;
                c->is_send_queued = false;
                conn_unref(c);
        }
        a->sends_tail = NULL;
        if (a->has_sends) {
                a->has_sends = false;
                uv_close((uv_handle_t *)&a->sends, NULL);
        }
}

static void send_queued(uv_prepare_t *h);

/*
 * @c's replies go out before the loop next polls, together with those of
 * the other connections served in this pass (see the top of this file).
 * The queue holds a reference.
 */
static void queue_send(Conn *c)
{
        Agent *a = c->agent;

        if (c->is_send_queued)
                return;
        if (!a->has_sends) {
                uv_prepare_init(a->loop, &a->sends);
                a->sends.data = a;
                uv_unref((uv_handle_t *)&a->sends);
                a->has_sends = true;
        }
        if (!a->sends_head)
                uv_prepare_start(&a->sends, send_queued);
        c->is_send_queued = true;
        c->send_next = NULL;
        if (a->sends_tail)
                a->sends_tail->send_next = c;
        else
                a->sends_head = c;
        a->sends_tail = c;
        conn_ref(c);
}

static void flush(Conn *c);
static void shrink(Conn *c);
static ssize_t try_send(Conn *c, const uint8_t *p, size_t len);

static void send_queued(uv_prepare_t *h)
{
        Agent *a = h->data;

        while (a->sends_head) {
                Conn *c = a->sends_head;

                a->sends_head = c->send_next;
                if (!a->sends_head)
                        a->sends_tail = NULL;
                c->send_next = NULL;
                c->is_send_queued = false;
                if (!c->is_closing) {
                        flush(c);
                        if (!c->is_closing)
                                shrink(c);
                }
                conn_unref(c);
        }
        uv_prepare_stop(&a->sends);
}

/* Descriptors the parked connections hold: each its socket, a pinned one its pidfd too. */
static size_t parked_fds(const Agent *a)
{
        return a->n_parked + a->n_parked_pinned;
}

/* A parked connection's place (take_park_place()), given back. */
static void give_park_place(Agent *a, uid_t uid)
{
        a->n_parked--;
        uidcount_drop(&a->parked_per_uid, uid, 1);
}

static void unlink_parked(Conn *c)
{
        Agent *a = c->agent;
        int fd;

        if (c->is_park_watched && uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0)
                (void)epoll_ctl(a->park_epfd, EPOLL_CTL_DEL, fd, NULL);
        c->is_park_watched = false;
        c->is_park_hung_up = false;
        if (!c->park_next)
                a->parked_tail = c->park_prev;
        LIST_UNLINK(park_prev, park_next, a->parked_head, c);
        c->park_prev = c->park_next = NULL;
        c->is_parked = false;
        if (c->is_park_pinned) {
                /* Its pidfd now counts with the connection's descriptors (main.c). */
                c->is_park_pinned = false;
                a->n_parked_pinned--;
        }
        give_park_place(a, c->peer_uid);
}

/*
 * Parked connections are not read, but their hang-ups are watched: each sits
 * in one epoll set of the agent's (park_epfd, itself watched by the loop)
 * with no event asked for, so only EPOLLHUP or EPOLLERR reports it: its peer
 * closed the connection (or shut it down both ways), and no answer can reach
 * it any more.  With nothing queued on its socket it is closed then and
 * gives its place back, instead of holding it until CONN_PARK_MS or its
 * admission, so a uid's fresh connection never waits behind, nor is refused
 * for, connections that are already gone.  With requests queued (a Revoke or
 * Logout sent without waiting for the answer) it stays parked, unwatched,
 * and they are served when it is admitted; its place goes first to a new
 * connection that needs one (evict_hung_up()).  A peer that only shut down
 * its sending side (a request written, then shutdown(SHUT_WR)) is not
 * reported: it still waits for its answer.
 */
static void drop_hung_up(Agent *a)
{
        struct epoll_event ev[64];
        int n;

        if (!a->has_park_poll)
                return;
        do {
                n = epoll_wait(a->park_epfd, ev, 64, 0);
                /* Each is a parked connection: closing it neither admits nor frees another. */
                for (int i = 0; i < n; i++) {
                        Conn *c = ev[i].data.ptr;
                        int fd, n_queued = 0;

                        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
                            ioctl(fd, SIOCINQ, &n_queued) < 0 || n_queued <= 0) {
                                conn_close(c);
                                continue;
                        }
                        /* Level-triggered: out of the set, or it would be reported forever. */
                        (void)epoll_ctl(a->park_epfd, EPOLL_CTL_DEL, fd, NULL);
                        c->is_park_watched = false;
                        c->is_park_hung_up = true;
                }
        } while (n == 64);
}

/*
 * Close the oldest parked connection whose peer hung up with requests queued
 * and that holds a place @uid needs for a connection of @n_fds descriptors
 * (any uid's when the parked connections' share of descriptors is spent,
 * else one of @uid's); false when there is none.
 */
static bool evict_hung_up(Agent *a, uid_t uid, size_t n_fds)
{
        bool is_full = parked_fds(a) + n_fds > a->max_parked_fds;
        bool is_uid_full = uidcount_get(&a->parked_per_uid, uid) >= CONN_PARKED_PER_UID_MAX;

        for (Conn *p = a->parked_head; p; p = p->park_next)
                if (p->is_park_hung_up && (p->peer_uid == uid || (is_full && !is_uid_full))) {
                        conn_close(p);
                        return true;
                }
        return false;
}

static void on_park_event(uv_poll_t *h, int status, int events)
{
        (void)status;
        (void)events;
        drop_hung_up(h->data);
}

/* Watch @c, just parked, for its peer's hang-up; without the watch it only waits longer. */
static void watch_parked(Conn *c)
{
        Agent *a = c->agent;
        struct epoll_event ev = { .events = 0, .data.ptr = c };
        int fd;

        if (!a->has_park_poll) {
                a->park_epfd = epoll_create1(EPOLL_CLOEXEC);
                if (a->park_epfd < 0)
                        return;
                if (uv_poll_init(a->loop, &a->park_poll, a->park_epfd) < 0) {
                        safe_close(a->park_epfd);
                        return;
                }
                a->park_poll.data = a;
                a->has_park_poll = true;
                (void)uv_poll_start(&a->park_poll, UV_READABLE, on_park_event);
                uv_unref((uv_handle_t *)&a->park_poll);
        }
        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
            epoll_ctl(a->park_epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
                c->is_park_watched = true;
}

/* A slot of @uid is free: the oldest connection of @uid that waits for one takes it. */
static void admit_parked(Agent *a, uid_t uid)
{
        /* Not one whose peer is gone already (a hang-up the loop has not reported yet). */
        drop_hung_up(a);
        for (Conn *p = a->parked_head; p; p = p->park_next) {
                if (p->peer_uid != uid)
                        continue;
                unlink_parked(p);
                if (uidcount_add(&a->conns_per_uid, uid, 1, a->max_conns_per_uid) != 0) {
                        refuse(p, PROTO_THROTTLING, NO_MEMORY);
                        return;
                }
                p->is_counted = true;
                uv_timer_stop(&p->timer);
                /* A uid with connections waiting is busy: its attestations take turns. */
                queue_turn(p, TURN_ATTEST);
                return;
        }
}

static void uncount(Conn *c)
{
        Agent *a = c->agent;

        if (c->is_parked)
                unlink_parked(c);
        if (!c->is_counted)
                return;
        c->is_counted = false;
        uidcount_drop(&a->conns_per_uid, c->peer_uid, 1);
        if (!a->is_stopping && a->parked_head)
                admit_parked(a, c->peer_uid);
}

/*
 * A freed connection is kept for the next one (conn_new()), up to
 * AGENT_SPARE_CONNS, while the agent is not stopping: a Conn
 * (some 6 KiB), its zone's first chunk (2 KiB) and its first read buffer
 * (RBUF_INITIAL) are each past glibc's per-thread cache, so a fresh
 * connection otherwise pays three large allocations, each of which first
 * consolidates the fast bins, and three frees; and its reply buffer grows
 * by three allocations (256, 512, 1024 bytes) for one set of credentials.
 * Kept with it: the zone, cleared, a read buffer of RBUF_INITIAL bytes and a
 * reply buffer of at most CONN_SPARE_OUT_MAX bytes, both wiped whole; the
 * rest is zeroed again by conn_new() as calloc() did.
 */
static void conn_free(Conn *c)
{
        Agent *a = c->agent;
        bool is_kept = !a->is_stopping && a->n_spare_conns < AGENT_SPARE_CONNS;

        if (c->rbuf) {
                if (is_kept && c->rsize == RBUF_INITIAL) {
                        sodium_memzero(c->rbuf, c->rsize);
                } else {
                        /* Consumed bytes were wiped as they were answered; past rlen nothing
                         * was kept. */
                        sodium_memzero(c->rbuf, c->rlen);
                        free(c->rbuf);
                        c->rbuf = NULL;
                }
        }
        if (is_kept && c->out.data && c->out.size <= CONN_SPARE_OUT_MAX && !c->out.is_oom) {
                sodium_memzero(c->out.data, c->out.size);
                c->out.len = 0;
        } else {
                proto_buf_deinit(&c->out);
                c->out.data = NULL;
        }
        if (c->handler_state && c->handler_state_free)
                c->handler_state_free(c->handler_state);
        identity_release(&c->id);
        if (is_kept) {
                msgpack_zone_clear(&c->zone);
                a->spare_conns[a->n_spare_conns++] = c;
                return;
        }
        msgpack_zone_destroy(&c->zone);
        free(c);
}

static void conn_free_spares(Agent *agent)
{
        while (agent->n_spare_conns > 0) {
                Conn *c = agent->spare_conns[--agent->n_spare_conns];

                free(c->rbuf);
                free(c->out.data);
                msgpack_zone_destroy(&c->zone);
                free(c);
        }
}

static void conn_unref(Conn *c)
{
        if (--c->n_refs == 0)
                conn_free(c);
}

void conn_hold(Conn *c)
{
        conn_ref(c);
}

void conn_release(Conn *c)
{
        conn_unref(c);
}

static void on_handle_closed(uv_handle_t *h)
{
        conn_unref(h->data);
}

void conn_close(Conn *c)
{
        Agent *a = c->agent;

        if (c->is_closing)
                return;
        /*
         * Replies waiting for the loop's next poll (queue_send()) go first,
         * as they would have had they been sent at once: a peer that sent
         * its request and hung up reads its answer.
         */
        if (c->is_send_queued && c->out.len > 0 && !c->out.is_oom)
                (void)try_send(c, c->out.data, c->out.len);
        c->is_closing = true;
        if (c->prev)
                c->prev->next = c->next;
        else if (a->conns == c)
                a->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        /*
         * c->next stays: a walk of agent->conns whose body closed @c (a
         * refusal, a failed send) goes on from it.  Nothing is freed before
         * the loop's closing phase, and a closed connection is reached only
         * from such a walk.
         */
        c->prev = NULL;
        a->n_conns--;
        /* After n_conns: a parked connection admitted here must not count this one as another
         * uid's. */
        uncount(c);
        /*
         * The connection no longer counts against the descriptor budget
         * (main.c's may_accept()), so its descriptors go now, not when its
         * last reference does: a flood of connections that hang up would
         * otherwise hold two per closed connection until the loop's closing
         * phase, and exhaust them within one iteration.  An attestation in
         * the thread pool holds its own until it returns: counted apart.
         */
        identity_close_fds(&c->id);
        if (c->is_in_pool)
                a->n_attesting_closed++;
        /* Pending writes are cancelled by uv_close(); their callbacks free their buffers. */
        uv_close((uv_handle_t *)&c->pipe, on_handle_closed);
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

void conn_count_early(Agent *agent)
{
        for (Conn *c = agent->conns; c; c = c->next) {
                int fd, n_queued;

                if (!c->is_early_uncounted || c->is_closing)
                        continue;
                c->is_early_uncounted = false;
                /*
                 * Every byte sent before the executable was read has been
                 * read (answered, or waiting in c->rbuf) or is queued now:
                 * all of them count, and the count errs on the safe side.
                 */
                if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
                    ioctl(fd, SIOCINQ, &n_queued) < 0) {
                        refuse(c, PROTO_INTERNAL, "the agent cannot read this connection's state");
                        continue;
                }
                c->n_early = c->n_dispatched + c->rlen + (uint64_t)(n_queued > 0 ? n_queued : 0);
        }
}

void conn_close_all(Agent *agent)
{
        while (agent->conns)
                conn_close(agent->conns);
        close_turns(agent);
        conn_free_spares(agent);
}

static void on_timeout(uv_timer_t *t)
{
        Conn *c = t->data;
        uint64_t now = uv_now(c->agent->loop);

        /* arm_timer() only moved the deadline: sleep again for what is left of it. */
        if (now < c->idle_deadline) {
                uv_timer_start(&c->timer, on_timeout, c->idle_deadline - now, 0);
                return;
        }
        log_debug("closing idle connection of uid %u pid %d", (unsigned)c->id.uid, (int)c->id.pid);
        conn_close(c);
}

/*
 * Close the connection after CONN_IDLE_MS without a read, or PROTO_IDLE_TIMEOUT_MS
 * while a partial message waits.  This runs after every read, and restarting a
 * libuv timer is a removal and an insertion in the loop's timer heap (a few per
 * cent of the agent's CPU at 64 busy connections), so a later deadline is only
 * recorded here and on_timeout() re-arms itself for the rest; the timer is
 * restarted only when the deadline moves earlier or the timer is not running.
 */
static void arm_timer(Conn *c)
{
        uint64_t ms = c->rlen > 0 ? PROTO_IDLE_TIMEOUT_MS : CONN_IDLE_MS;
        uint64_t deadline = uv_now(c->agent->loop) + ms;
        bool is_armed = uv_is_active((uv_handle_t *)&c->timer);

        if (!is_armed || deadline < c->idle_deadline)
                uv_timer_start(&c->timer, on_timeout, ms, 0);
        c->idle_deadline = deadline;
}

/* Room for the next chunk at the end of c->rbuf (grown up to RBUF_MAX). */
static void alloc_rbuf(Conn *c, uv_buf_t *buf)
{
        if (c->rsize - c->rlen < 1024 && c->rsize < RBUF_MAX) {
                size_t size = c->rsize ? c->rsize * 2 : RBUF_INITIAL;
                uint8_t *n;

                if (size > RBUF_MAX)
                        size = RBUF_MAX;
                n = malloc(size);
                if (n) {
                        /* Copy and wipe rather than realloc(): the old bytes may hold a token. */
                        if (c->rlen)
                                memcpy(n, c->rbuf, c->rlen);
                        if (c->rbuf) {
                                sodium_memzero(c->rbuf, c->rsize);
                                free(c->rbuf);
                        }
                        c->rbuf = n;
                        c->rsize = size;
                }
        }
        buf->base = (char *)c->rbuf + c->rlen;
        buf->len = c->rsize - c->rlen;
}

static void process(Conn *c);
static void start_hash(Conn *c);

/* libuv is never given a buffer: it only reports readability (UV_ENOBUFS), and on_readable() reads.
 */
static void no_buffer(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)h;
        (void)suggested;
        *buf = uv_buf_init(NULL, 0);
}

static void start_reading(Conn *c)
{
        if (c->is_closing || c->is_reading)
                return;
        c->is_unwatched = false;
        if (uv_read_start((uv_stream_t *)&c->pipe, no_buffer, on_readable) == 0)
                c->is_reading = true;
        else
                refuse(c, PROTO_INTERNAL, NOT_WATCHED);
}

static void stop_reading(Conn *c)
{
        (void)uv_read_stop((uv_stream_t *)&c->pipe);
        c->is_reading = false;
}

static void on_write(uv_write_t *req, int status)
{
        WriteReq *w = (WriteReq *)req;
        Conn *c = w->conn;

        sodium_memzero(w->data, w->len);
        free(w);
        if (status < 0 && status != UV_ECANCELED) {
                conn_close(c);
        } else if (c->is_paused && !c->is_closing && !c->is_hashing &&
                   uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) <
                           CONN_WRITE_QUEUE_MAX / 2) {
                /* Caught up: answer what was left buffered, then read on. */
                c->is_paused = false;
                start_reading(c);
                if (c->is_reading && c->rlen)
                        process(c);
        }
        conn_unref(c);
}

/*
 * What uv_try_write() does, without its layers (they were a tenth of a
 * cached request's instructions): one send() when nothing is queued before
 * it.  Return: the bytes sent (0 when the socket is full or a write is
 * queued), or -errno.
 */
static ssize_t try_send(Conn *c, const uint8_t *p, size_t len)
{
        int fd;
        ssize_t n;

        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > 0)
                return 0;
        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0)
                return -EBADF;
        do
                n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        return n;
}

/*
 * Drop what the peer sent (up to 64 KiB), so that closing the socket is an
 * orderly end of stream for it and an answer sent before is read, not lost
 * to a reset.
 */
static void drain(int fd)
{
        char sink[4096];

        for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
                ;
        sodium_memzero(sink, sizeof(sink));
}

/*
 * The agent has no memory to serve or answer the connection on @fd: send
 * CONN_NO_MEMORY_ANSWER with one send(), allocating nothing, before the
 * caller closes it.  (A full or gone peer misses it: the close says the rest.)
 */
static void refuse_raw(int fd)
{
        static const char answer[] = CONN_NO_MEMORY_ANSWER;

        _Static_assert(sizeof(CONN_NO_MEMORY) - 1 == 0x2d, "the str8 length in the answer");
        drain(fd);
        (void)send(fd, answer, sizeof(answer) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Send what the handlers put in c->out: try_send() first, queue the rest. */
static void flush(Conn *c)
{
        uv_buf_t b;
        ssize_t n;
        WriteReq *w;

        if (c->is_closing)
                goto out;
        /*
         * An answer left unfinished for want of memory (or never started: then
         * nothing is in c->out, and is_oom fails every later append): say so
         * rather than hang up, unless part of an earlier answer still waits to
         * be written (this one would cut it).
         */
        if (c->out.is_oom) {
                int fd;

                if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) == 0 &&
                    uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0)
                        refuse_raw(fd);
                conn_close(c);
                goto out;
        }
        if (c->out.len == 0)
                goto out;
        n = try_send(c, c->out.data, c->out.len);
        if (n == (ssize_t)c->out.len)
                goto out;
        if (n < 0) {
                conn_close(c);
                goto out;
        }
        w = malloc(sizeof(*w) + c->out.len - (size_t)n);
        if (!w) {
                conn_close(c);
                goto out;
        }
        w->conn = c;
        w->len = c->out.len - (size_t)n;
        memcpy(w->data, c->out.data + n, w->len);
        b = uv_buf_init((char *)w->data, (unsigned)w->len);
        if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write) < 0) {
                sodium_memzero(w->data, w->len);
                free(w);
                conn_close(c);
                goto out;
        }
        conn_ref(c);
        /* A peer that does not read its replies must not make us buffer without bound. */
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > CONN_WRITE_QUEUE_MAX) {
                stop_reading(c);
                c->is_paused = true;
        }
out:
        proto_buf_reset(&c->out);
}

/*
 * After a burst, give back what a quiet connection does not need: a reply
 * buffer grown past CONN_OUT_KEEP, and a read buffer grown past RBUF_INITIAL
 * once nothing waits in it (both wiped on the way out).
 */
static void shrink(Conn *c)
{
        if (c->out.size > CONN_OUT_KEEP && c->out.len == 0) {
                proto_buf_deinit(&c->out);
                proto_buf_init(&c->out, true);
        }
        if (c->rlen == 0 && c->rsize > RBUF_INITIAL) {
                sodium_memzero(c->rbuf, c->rsize);
                free(c->rbuf);
                c->rbuf = NULL;
                c->rsize = 0;
        }
}

void conn_send(Conn *c)
{
        if (c->agent->sends_head)
                send_queued(&c->agent->sends);
        flush(c);
}

void conn_notify_uid(Agent *agent, uint32_t uid, Conn *self, const ProtoBuf *msg)
{
        for (Conn *c = agent->conns; c; c = c->next) {
                if (c->is_closing || !c->is_counted || c->peer_uid != uid)
                        continue;
                /* A failed append leaves is_oom set, and flush() closes that connection. */
                (void)proto_buf_append(&c->out, msg->data, msg->len);
                /* @self is in the middle of a read batch: its replies go out together after it. */
                if (c != self)
                        flush(c);
        }
}

void conn_notify_uid_except(Agent *agent, uint32_t uid, const Conn *except, const ProtoBuf *msg)
{
        for (Conn *c = agent->conns; c; c = c->next) {
                if (c == except || c->is_closing || !c->is_counted || c->peer_uid != uid)
                        continue;
                (void)proto_buf_append(&c->out, msg->data, msg->len);
                flush(c);
        }
}

/* Reply to a message that cannot be parsed, then close: the stream is out of sync. */
static void fail_stream(Conn *c, int scan_error)
{
        ProtoError code =
                scan_error == SCAN_E_TOO_LARGE ? PROTO_MESSAGE_TOO_LARGE : PROTO_MALFORMED_MESSAGE;
        char too_large[48];
        const char *why = scan_error == SCAN_E_TOO_LARGE  ? too_large
                          : scan_error == SCAN_E_TOO_DEEP ? "message nested too deeply"
                                                          : "not a MessagePack-RPC message";

        snprintf(too_large, sizeof(too_large), "message exceeds %d bytes", PROTO_MESSAGE_MAX);

        log_info_ratelimited("closing connection of uid %u pid %d: %s", (unsigned)c->id.uid,
                             (int)c->id.pid, why);
        proto_pack_response_error(&c->out, 0, code, why);
        flush(c);
        conn_close(c);
}

/*
 * Answer the complete messages in c->rbuf, oldest first.  The replies are
 * flushed after every PROTO_PIPELINE_MAX answers and whenever CONN_OUT_FLUSH
 * bytes of them are waiting, so neither the reply
 * buffer nor the write queue grows with what a peer pipelines.  When the
 * write queue is over CONN_WRITE_QUEUE_MAX (a peer that does not read its
 * replies), flush() has stopped reading: the rest stays in c->rbuf, unparsed,
 * until on_write() sees the queue drain and calls this again.
 */
static void process(Conn *c)
{
        size_t consumed = 0;
        unsigned n_answered = 0;

        while (consumed < c->rlen && !c->is_closing && c->is_reading && !c->is_hashing) {
                size_t msg_len;
                int r;

                if (n_answered == PROTO_PIPELINE_MAX) {
                        flush(c);
                        n_answered = 0;
                        continue;
                }
                /* Enough for one wake-up while others wait: the rest in a turn. */
                if (c->n_wake >= CONN_ANSWERS_PER_WAKE && has_others(c->agent, c->peer_uid)) {
                        c->has_backlog = true;
                        break;
                }
                r = scan_feed(&c->scan, c->rbuf + consumed, c->rlen - consumed, &msg_len);
                if (r == SCAN_E_INCOMPLETE)
                        break;
                if (r) {
                        fail_stream(c, r);
                        return;
                }
                r = dispatch_message(c, c->rbuf + consumed, msg_len, &c->out);
                msgpack_zone_clear(&c->zone);
                if (r != DISPATCH_WAIT_HASH)
                        c->n_dispatched += msg_len;
                if (r == DISPATCH_WAIT_HASH) {
                        /* This message again once the executable is hashed (on_hashed()). */
                        scan_init(&c->scan, PROTO_MESSAGE_MAX);
                        start_hash(c);
                        continue;
                }
                consumed += msg_len;
                n_answered++;
                c->n_wake++;
                scan_init(&c->scan, PROTO_MESSAGE_MAX);
                if (r) {
                        fail_stream(c, SCAN_E_MALFORMED);
                        return;
                }
                if (c->out.len >= CONN_OUT_FLUSH)
                        flush(c);
        }
        if (c->is_closing)
                return;
        /* Keep only what is not answered yet, and wipe what was consumed. */
        if (consumed > 0) {
                memmove(c->rbuf, c->rbuf + consumed, c->rlen - consumed);
                sodium_memzero(c->rbuf + c->rlen - consumed, consumed);
                c->rlen -= consumed;
        }
        /*
         * A new connection's first answers wait for the end of the pass, with
         * those of the other connections accepted in it; a connection that
         * goes on asking is answered at once, so its client works on the
         * answer while the agent serves the next one.
         */
        if ((c->out.len > 0 || c->out.is_oom) && !c->has_answered) {
                c->has_answered = true;
                queue_send(c);
        } else if (c->out.len > 0 || c->out.is_oom) {
                /* Answers leave in the order they were made, across connections too. */
                if (c->agent->sends_head)
                        send_queued(&c->agent->sends);
                flush(c);
                if (c->is_closing)
                        return;
                shrink(c);
        } else {
                shrink(c);
        }
        if (c->has_backlog)
                queue_turn(c, TURN_READ);
        /* A connection waiting for its hash is not idle, whatever the hash queue's backlog. */
        if (c->is_hashing)
                uv_timer_stop(&c->timer);
        else
                arm_timer(c);
}

static void on_hashed(void *userdata, int result, const uint8_t sha256[EXEHASH_SIZE])
{
        Conn *c = userdata;

        if (result == 0) {
                memcpy(c->id.exe_sha256, sha256, EXEHASH_SIZE);
                c->id.has_exe_sha256 = true;
        } else {
                c->id.exe_hash_missing =
                        result == EXEHASH_E_TOO_LARGE ? "larger than exe_hash_max_size"
                        : result == EXEHASH_E_CHANGED ? "the file changed while it was hashed"
                                                      : "it could not be hashed";
                if (result != -ECANCELED)
                        log_warning_ratelimited("cannot hash executable %s of pid %d: %s",
                                                c->id.exe, (int)c->id.pid,
                                                result > 0 ? c->id.exe_hash_missing
                                                           : strerror(-result));
        }
        /* Answer the waiting request either way: rules that need the hash deny without it. */
        c->is_hashing = false;
        /* (on_write() left a drained queue to us while the hash ran.) */
        if (c->is_paused && !c->is_closing &&
            uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) < CONN_WRITE_QUEUE_MAX / 2)
                c->is_paused = false;
        if (!c->is_closing && !c->is_paused) {
                start_reading(c);
                process(c);
        }
        conn_unref(c);
}

/*
 * A request's answer rests on the executable's hash (request_wait_hash()):
 * take it from the cache, or hash in the hash queue (hashq.c: its own
 * threads, single flight per file version, a per-uid limit) and read
 * nothing more meanwhile; the request is dispatched again either way.  A
 * hash that cannot be had leaves a reason in exe_hash_missing, so the
 * request is then decided (denied) without it.
 */
static void start_hash(Conn *c)
{
        Agent *a = c->agent;
        int r;

        if (c->is_hashing)
                return;
        if (exehash_cache_lookup(a->exehash, &c->id.exe_key, c->id.exe_sha256)) {
                c->id.has_exe_sha256 = true;
                return;
        }
        r = hashq_submit(a->hashq, &c->id.exe_key, c->id.exe_fd, c->id.uid, on_hashed, c);
        if (r == 0) {
                conn_ref(c);
                c->is_hashing = true;
                stop_reading(c);
                return;
        }
        if (r == HASHQ_E_BUSY) {
                c->id.exe_hash_missing =
                        "too many executables of this uid are being hashed; try again";
                log_info_ratelimited(
                        "not hashing executable %s of pid %d: uid %u is at its hash limit",
                        c->id.exe, (int)c->id.pid, (unsigned)c->id.uid);
        } else {
                c->id.exe_hash_missing = "it could not be hashed";
        }
}

/*
 * Refuse a connection before reading it: answer @code (msgid 0: nothing of
 * the peer's was read) and close.  What the peer sent is dropped first
 * (drain()).  (A peer that is gone costs one failed send.)
 */
static void refuse(Conn *c, ProtoError code, const char *why)
{
        int fd;

        if (c->is_closing)
                return;
        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0)
                drain(fd);
        proto_pack_response_error(&c->out, 0, code, why);
        flush(c);
        conn_close(c);
}

/*
 * Bytes from a process other than the attested one: answer (msgid 0, the
 * stream is not ours to parse any more) and close.  Both processes see the
 * error; the attested one's next request reconnects.
 */
static void refuse_sender(Conn *c, const struct ucred *from)
{
        /* No pid in the answer: a peer in a child pid namespace would learn its pid in ours. */
        const char *why =
                from ? "this connection belongs to another process: each process needs its own "
                       "connection (after fork(), connect again)"
                     : "the kernel did not name the sender of a message";

        if (from)
                log_warning_ratelimited("closing the connection of pid %d (uid %u): pid %d "
                                        "(uid %u) sent on it, and may not use it",
                                        (int)c->id.pid, (unsigned)c->id.uid, (int)from->pid,
                                        (unsigned)from->uid);
        else
                log_warning_ratelimited("closing the connection of pid %d (uid %u): %s",
                                        (int)c->id.pid, (unsigned)c->id.uid, why);
        proto_pack_response_error(&c->out, 0, PROTO_ACCESS_DENIED, why);
        flush(c);
        conn_close(c);
}

/*
 * The sender of one chunk, from SCM_CREDENTIALS: the attested pid, and the
 * real ids the first chunk settled (identity_learn_real_ids(); they are
 * the effective ids of SO_PEERCRED but for a setuid program).  Descriptors
 * someone passed along are closed unseen.
 */
static bool is_attested_sender(Conn *c, struct msghdr *m, struct ucred *fromp, bool *has_fromp)
{
        bool is_ok = false;

        *has_fromp = false;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
                if (cm->cmsg_level != SOL_SOCKET)
                        continue;
                if (cm->cmsg_type == SCM_RIGHTS) {
                        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t i = 0; i < n; i++) {
                                int fd;

                                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                                safe_close(fd);
                        }
                } else if (cm->cmsg_type == SCM_CREDENTIALS &&
                           cm->cmsg_len == CMSG_LEN(sizeof(*fromp))) {
                        memcpy(fromp, CMSG_DATA(cm), sizeof(*fromp));
                        *has_fromp = true;
                        is_ok = fromp->pid == c->id.pid &&
                                identity_learn_real_ids(&c->id, fromp->uid, fromp->gid) == 0;
                }
        }
        return is_ok;
}

/*
 * Read what is there, as libuv would: until the kernel has less than a
 * full buffer (or a chunk of another sender ends the read early, which the
 * next wakeup picks up), at most 32 times per wakeup for fairness.
 */
static void read_now(Conn *c)
{
        int fd;

        c->n_wake = 0;
        /* What an earlier wake-up left unanswered comes before anything newer. */
        if (c->has_backlog) {
                c->has_backlog = false;
                process(c);
                if (c->is_closing || c->has_backlog)
                        return;
        }
        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0) {
                conn_close(c);
                return;
        }
        for (int round = 0; round < 32 && c->is_reading && !c->is_closing; round++) {
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
                } control;
                struct ucred from;
                bool has_from;
                uv_buf_t buf;
                struct iovec iov;
                struct msghdr m = { .msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = control.buf,
                                    .msg_controllen = sizeof(control.buf) };
                ssize_t n;

                alloc_rbuf(c, &buf);
                if (buf.len == 0) {
                        /* No memory for a read buffer: say so rather than hang up. */
                        refuse(c, PROTO_THROTTLING, NO_MEMORY);
                        return;
                }
                iov = (struct iovec){ .iov_base = buf.base, .iov_len = buf.len };
                n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        conn_close(c);
                        return;
                }
                if (!is_attested_sender(c, &m, &from, &has_from)) {
                        sodium_memzero(buf.base, (size_t)n);
                        refuse_sender(c, has_from ? &from : NULL);
                        return;
                }
                c->rlen += (size_t)n;
                process(c);
                if ((size_t)n < buf.len || c->has_backlog)
                        return;
        }
}

/* The socket is readable: read now, or (a busy uid) when the connection's turn comes. */
static void on_readable(uv_stream_t *stream, ssize_t nread, const uv_buf_t *unused)
{
        Conn *c = stream->data;

        (void)unused;
        if (nread != UV_ENOBUFS) {
                conn_close(c);
                return;
        }
        if (c->turn)
                return; /* queued already (libuv reports the socket again until it is read) */
        if (!c->is_in_turn && is_busy(c)) {
                queue_turn(c, TURN_READ);
                return;
        }
        read_now(c);
}

/* Errors that say the agent, not the peer, was short of something: worth another try. */
static bool is_transient(int result)
{
        return result == -EMFILE || result == -ENFILE || result == -ENOMEM || result == -ENOBUFS ||
               result == -EAGAIN || result == -EINTR;
}

static void on_attest_retry(uv_timer_t *t)
{
        Conn *c = t->data;

        if (c->is_closing)
                return;
        if (is_busy(c))
                queue_turn(c, TURN_ATTEST);
        else
                start_attest(c);
}

/*
 * @c's peer could not be attested (@result: IDENTITY_E_* or -errno).  When
 * the agent was short of descriptors or memory, that is not the peer's
 * doing: try again shortly (unread, as before, and with the pidfd of the
 * first try: identity_keep_pin()), and answer Throttling once
 * CONN_ATTEST_TRIES have failed, or once a try finds no pidfd to go on with
 * where the kernel would open one only by pid.  Otherwise answer
 * AccessDenied.  Either way the peer learns why, never a bare close.
 */
static void refuse_unattested(Conn *c, int result)
{
        char why[200];

        if (c->is_closing) {
                identity_deinit(&c->id);
                return;
        }
        if (is_transient(result) && ++c->n_attest_tries < CONN_ATTEST_TRIES) {
                log_info_ratelimited("cannot attest a connection of uid %u now (%s): "
                                     "trying again in %d ms",
                                     (unsigned)c->peer_uid, strerror(-result),
                                     CONN_ATTEST_RETRY_MS);
                identity_keep_pin(&c->id);
                uv_timer_start(&c->timer, on_attest_retry, CONN_ATTEST_RETRY_MS, 0);
                return;
        }
        identity_deinit(&c->id);
        if (is_transient(result) || result == IDENTITY_E_UNPINNED) {
                if (result == IDENTITY_E_UNPINNED)
                        log_warning_ratelimited(
                                "cannot attest a connection of uid %u: its first try got no "
                                "pidfd, and this kernel gives one only by pid, too late now: "
                                "answered Throttling",
                                (unsigned)c->peer_uid);
                else
                        log_warning_ratelimited("cannot attest a connection of uid %u (%s, %d "
                                                "tries): answered Throttling",
                                                (unsigned)c->peer_uid, strerror(-result),
                                                CONN_ATTEST_TRIES);
                snprintf(why, sizeof(why),
                         "the agent is short of %s to attest this connection; try again later",
                         result == -EMFILE || result == -ENFILE    ? "file descriptors"
                         : result == -ENOMEM || result == -ENOBUFS ? "memory"
                                                                   : "resources");
                refuse(c, PROTO_THROTTLING, why);
                return;
        }
        /* The pid goes to the log only: a peer in a child pid namespace would learn its pid in
         * ours from the answer. */
        log_info_ratelimited("refusing a connection of uid %u (pid %d) whose peer cannot be "
                             "attested: %s",
                             (unsigned)c->peer_uid, (int)c->peer_cred.pid,
                             result < 0 ? strerror(-result) : "process gone or changed");
        if (result == IDENTITY_E_GONE || result == IDENTITY_E_EXE_CHANGED)
                snprintf(why, sizeof(why),
                         "the process that connected exited or changed before the agent could "
                         "attest it");
        else if (result == IDENTITY_E_UNATTESTED)
                snprintf(why, sizeof(why),
                         "the kernel names no process for this connection (a peer in another pid "
                         "namespace?): the agent cannot attest it");
        else
                snprintf(why, sizeof(why), "the agent cannot attest the process that connected: %s",
                         result < 0 ? strerror(-result) : "unknown error");
        refuse(c, PROTO_ACCESS_DENIED, why);
}

/* Attested (c->id complete): serve.  (An executable is hashed when a request needs it:
 * start_hash().) */
static void attested(Conn *c)
{
        arm_timer(c);
        start_reading(c);
        /*
         * A credential_process client sends its request as soon as it is
         * connected, so it is usually here already: answer it now rather
         * than one poll later (an empty socket costs one recvmsg()).
         */
        if (c->is_reading && !c->is_closing)
                read_now(c);
}

typedef struct AttestWork {
        uv_work_t req;
        Conn *conn;
        unsigned flags; /* identity_finish() flags */
        int result;
        Identity id; /* from identity_attest(); moved back into the Conn when finished */
} AttestWork;

/*
 * The rest of an attestation that may wait: NSS (which may ask a directory
 * service) and a path lookup or open on a filesystem that is not local.
 * The connection is not read until it is done.  Everything the worker
 * touches is its own (the identity and its descriptors moved into the work).
 */
static void attest_work(uv_work_t *req)
{
        AttestWork *w = (AttestWork *)req;

        w->result = identity_finish(&w->id, w->flags);
}

static void on_attested(uv_work_t *req, int status)
{
        AttestWork *w = (AttestWork *)req;
        Conn *c = w->conn;

        c->agent->n_attesting--;
        c->is_in_pool = false;
        if (c->is_closing)
                c->agent->n_attesting_closed--;
        if (status < 0 || w->result != 0) {
                /* Back to the connection: a retry goes on with its pidfd (refuse_unattested()). */
                c->id = w->id;
                refuse_unattested(c, status < 0 ? status : w->result);
                goto out;
        }
        if (c->agent->names)
                namecache_learn(c->agent->names, &w->id, uv_now(c->agent->loop));
        c->id = w->id;
        if (c->is_closing) {
                identity_close_fds(&c->id);
                goto out;
        }
        attested(c);
out:
        free(w);
        conn_unref(c);
}

/* Finish attesting @c in the thread pool; @id moves into the work. */
static void finish_in_pool(Conn *c, Identity *id, unsigned flags)
{
        AttestWork *w = malloc(sizeof(*w));

        if (!w) {
                c->id = *id;
                *id = (Identity)IDENTITY_INIT;
                refuse_unattested(c, -ENOMEM);
                return;
        }
        w->conn = c;
        w->flags = flags;
        w->result = 0;
        w->id = *id;
        *id = (Identity)IDENTITY_INIT;
        if (uv_queue_work(c->agent->loop, &w->req, attest_work, on_attested) < 0) {
                c->id = w->id;
                free(w);
                refuse_unattested(c, -ENOMEM);
                return;
        }
        c->agent->n_attesting++;
        c->is_in_pool = true;
        conn_ref(c);
}

/*
 * Attest @c's peer: the kernel's part at once, on the loop.  When every name
 * is cached and the executable (if any is to be looked at) lives on a local
 * filesystem, nothing left can wait and the attestation ends here too;
 * otherwise the rest goes to the thread pool.  The connection is read once
 * that is done.
 */
static void start_attest(Conn *c)
{
        Agent *a = c->agent;
        unsigned flags = a->needs_exe_hash ? IDENTITY_OPEN_EXE : 0;
        int fd, r, n_early;

        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0) {
                conn_close(c);
                return;
        }
        r = identity_attest(fd, &c->peer_cred, a->reads_units ? IDENTITY_READ_CGROUP : 0, &c->id);
        if (r != 0) {
                refuse_unattested(c, r);
                return;
        }
        /*
         * Nothing has been read from the socket yet, so every byte the peer
         * sent before identity_attest() read its executable is queued now
         * (with perhaps a few sent after: the count errs on the safe side).
         * Those bytes may have been written by the program the process ran
         * before an execve(); the request they hold gets no answer that
         * rests on the executable (handlers_session.c) and is sent again.
         * While no role's trust rests on the executable, nothing asks, and
         * the count waits for a configuration that does (conn_count_early()).
         */
        if (a->counts_early) {
                if (ioctl(fd, SIOCINQ, &n_early) < 0) {
                        refuse_unattested(c, -errno);
                        return;
                }
                c->n_early = (uint64_t)(n_early > 0 ? n_early : 0);
        } else {
                c->is_early_uncounted = true;
        }
        r = a->names ? namecache_fill(a->names, &c->id, uv_now(a->loop)) : NAMECACHE_E_MISS;
        if (r < 0) {
                refuse_unattested(c, r);
                return;
        }
        if (r == NAMECACHE_E_MISS)
                flags |= IDENTITY_RESOLVE_NAMES;
        if ((flags & IDENTITY_RESOLVE_NAMES) ||
            (c->id.has_exe_key && !localfs_has(&a->localfs, c->id.exe_key.dev))) {
                Identity id = c->id;

                c->id = (Identity)IDENTITY_INIT;
                finish_in_pool(c, &id, flags);
                return;
        }
        r = identity_finish(&c->id, flags);
        if (r != 0) {
                refuse_unattested(c, r);
                return;
        }
        attested(c);
}

static void throttle(Conn *c, const char *why)
{
        refuse(c, PROTO_THROTTLING, why);
}

static void on_park_timeout(uv_timer_t *t)
{
        Conn *c = t->data;
        char why[160];

        log_info_ratelimited(
                "uid %u waited %d ms for one of its %u connections: answered Throttling",
                (unsigned)c->peer_uid, CONN_PARK_MS, c->agent->max_conns_per_uid);
        snprintf(why, sizeof(why),
                 "uid %u has %u connections open, the most the agent serves at once for one uid "
                 "(max_connections_per_uid); try again later",
                 (unsigned)c->peer_uid, c->agent->max_conns_per_uid);
        throttle(c, why);
}

/*
 * Is there room for one more waiting connection of @uid, holding @n_fds
 * descriptors?  Takes the place when there is: counts it in n_parked and
 * against @uid (give_park_place() undoes that; unlink_parked() once parked).
 */
static bool take_park_place(Agent *a, uid_t uid, size_t n_fds)
{
        if (parked_fds(a) + n_fds > a->max_parked_fds ||
            uidcount_add(&a->parked_per_uid, uid, 1, CONN_PARKED_PER_UID_MAX) != 0)
                return false;
        a->n_parked++;
        return true;
}

/* Over the uid's limit: wait for a slot (oldest first), unread, for at most CONN_PARK_MS. */
static void park(Conn *c)
{
        Agent *a = c->agent;
        /* Its socket, and a pidfd where it is pinned (below). */
        size_t n_fds = identity_will_pin(&c->id) ? 2 : 1;
        bool has_place;
        int fd, r;

        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0) {
                conn_close(c);
                return;
        }

        /*
         * Waiting connections hold only their socket (and pidfd), and only a
         * share of the descriptors: past that, or past the uid's own bound,
         * the answer is immediate, so a flood of one uid never keeps others
         * from being accepted.  Places held by connections whose peers hung
         * up are given back first (those with requests queued only when
         * needed).  The place comes before the pin, so a connection
         * answered at once costs no pidfd.
         */
        has_place = take_park_place(a, c->peer_uid, n_fds);
        if (!has_place && a->has_park_poll) {
                drop_hung_up(a);
                has_place = take_park_place(a, c->peer_uid, n_fds);
        }
        while (!has_place && evict_hung_up(a, c->peer_uid, n_fds))
                has_place = take_park_place(a, c->peer_uid, n_fds);
        if (!has_place && parked_fds(a) + n_fds > a->max_parked_fds) {
                /* Not this uid's doing, necessarily: the answer does not blame it. */
                log_info_ratelimited("no place for a waiting connection of uid %u (%zu "
                                     "connections of all uids wait): answered Throttling",
                                     (unsigned)c->peer_uid, a->n_parked);
                throttle(c, "every place for connections waiting for the agent is taken, by "
                            "connections of all users; try again later");
                return;
        }
        if (!has_place) {
                log_info_ratelimited(
                        "too many connections of uid %u are waiting: answered Throttling",
                        (unsigned)c->peer_uid);
                throttle(c, "too many connections of this uid are waiting for the agent; "
                            "try again later");
                return;
        }

        /*
         * On a kernel without SO_PEERPIDFD the process is pinned now: looked
         * up by pid when its slot comes, up to CONN_PARK_MS later, the pid
         * could name another process of the uid (the caller exits, a child
         * keeps the socket, the pid is reused), whose /proc would then be
         * attested as the caller.
         */
        r = identity_pin(fd, &c->peer_cred, &c->id);
        if (r != 0) {
                /* Nothing ran since the place was taken: it goes back as it was. */
                give_park_place(a, c->peer_uid);
                if (r < 0 && is_transient(r))
                        throttle(c, "the agent is short of descriptors; try again later");
                else
                        refuse(c, PROTO_ACCESS_DENIED,
                               r == IDENTITY_E_GONE
                                       ? "the process exited before it could be attested"
                                       : "the agent cannot attest this connection");
                return;
        }
        c->is_parked = true;
        if (c->id.pidfd >= 0) {
                c->is_park_pinned = true;
                a->n_parked_pinned++;
        }
        c->park_prev = a->parked_tail;
        if (a->parked_tail)
                a->parked_tail->park_next = c;
        else
                a->parked_head = c;
        a->parked_tail = c;
        uv_timer_start(&c->timer, on_park_timeout, CONN_PARK_MS, 0);
        watch_parked(c);
}

/* conn_new() - a connection on agent->conns with its pipe and timer initialised, nothing open yet.
 */
static Conn *conn_new(Agent *agent)
{
        Conn *c;

        if (agent->n_spare_conns > 0) {
                /* conn_free() kept it: all zero again but its cleared zone and wiped buffers. */
                msgpack_zone zone;
                uint8_t *rbuf, *out;
                size_t out_size;

                c = agent->spare_conns[--agent->n_spare_conns];
                zone = c->zone;
                rbuf = c->rbuf;
                out = c->out.data;
                out_size = c->out.size;
                memset(c, 0, sizeof(*c));
                c->zone = zone;
                if (rbuf) {
                        c->rbuf = rbuf;
                        c->rsize = RBUF_INITIAL;
                }
                proto_buf_init(&c->out, true);
                if (out) {
                        c->out.data = out;
                        c->out.size = out_size;
                }
        } else {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return NULL;
                if (!msgpack_zone_init(&c->zone, 2048)) {
                        free(c);
                        return NULL;
                }
                proto_buf_init(&c->out, true);
        }
        c->agent = agent;
        identity_init_zeroed(&c->id);
        scan_init(&c->scan, PROTO_MESSAGE_MAX);
        uv_pipe_init(agent->loop, &c->pipe, 0);
        uv_timer_init(agent->loop, &c->timer);
        c->pipe.data = c;
        c->timer.data = c;
        c->n_refs = 2;
        c->next = agent->conns;
        if (agent->conns)
                agent->conns->prev = c;
        agent->conns = c;
        agent->n_conns++;
        return c;
}

int conn_adopt(Agent *agent, int fd, Identity *id)
{
        Conn *c = conn_new(agent);
        int r;

        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        r = uv_pipe_open(&c->pipe, fd);
        if (r < 0) {
                safe_close(fd);
                conn_close(c);
                return r;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
        c->peer_uid = id->uid;
        r = uidcount_add(&agent->conns_per_uid, c->peer_uid, 1, UINT32_MAX);
        if (r) {
                conn_close(c);
                return r < 0 ? r : -EUSERS;
        }
        c->is_counted = true;
        c->id = *id;
        *id = (Identity)IDENTITY_INIT;
        arm_timer(c);
        start_reading(c);
        return 0;
}

/* Count, park or attest @c, whose socket was just accepted (its pipe open). */
static void accepted(Conn *c)
{
        Agent *agent = c->agent;
        struct ucred cred;
        socklen_t cred_len = sizeof(cred);
        int fd, r;

        /*
         * Count the connection against its uid now, from the kernel's record,
         * before any attestation work: a uid flooding the socket costs an
         * accept and a getsockopt per connection, never a pidfd, a /proc read
         * or a thread-pool job, and cannot hold the slots of other uids.
         */
        if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0) {
                conn_close(c);
                return;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0 ||
            cred_len != sizeof(cred)) {
                refuse(c, PROTO_INTERNAL, "the kernel gave no credentials for this connection");
                return;
        }
        c->peer_uid = cred.uid;
        c->peer_cred = cred;
        if (cred.uid != agent->last_accept_uid) {
                agent->last_accept_uid = cred.uid;
                agent->mixed_at = uv_now(agent->loop);
        }
        /*
         * SO_PASSCRED comes from the listener: the kernel copies it to each
         * connection as it is made.  Connections made before the agent set
         * it on a socket systemd passed (socket activation) lack it, and
         * without it recvmsg() names no sender and every message is refused.
         * Those wait first in the queue, so once one accepted socket has the
         * flag, all later ones have it too.
         */
        if (!agent->listener.is_passcred_inherited) {
                int on = 0;
                socklen_t on_len = sizeof(on);

                if (getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, &on_len) == 0 && on)
                        agent->listener.is_passcred_inherited = true;
                else
                        (void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
        }
        r = uidcount_add(&agent->conns_per_uid, cred.uid, 1, agent->max_conns_per_uid);
        if (r == UIDCOUNT_E_LIMIT) {
                park(c);
                return;
        }
        if (r) {
                log_error("out of memory counting a connection of uid %u", (unsigned)cred.uid);
                refuse(c, PROTO_THROTTLING, NO_MEMORY);
                return;
        }
        c->is_counted = true;
        if (is_busy(c))
                queue_turn(c, TURN_ATTEST);
        else
                start_attest(c);
}

void conn_accept(Agent *agent, uv_stream_t *server)
{
        Conn *c = conn_new(agent);
        int r;

        if (!c) {
                log_error("out of memory accepting a connection: accepting again later");
                listener_defer(&agent->listener);
                return;
        }
        r = uv_accept(server, (uv_stream_t *)&c->pipe);
        if (r < 0) {
                log_warning_ratelimited("accept failed: %s", uv_strerror(r));
                conn_close(c);
                return;
        }
        accepted(c);
}

/*
 * Between turns: take the connections waiting in the listening socket's
 * queue now rather than after the next poll, so that a quiet uid's fresh
 * connection (a credential_process call) is served within one turn of a
 * busy uid's work, not behind the rest of the slice and the poll's events.
 * Only while there is room (the listener's may_accept()); an accept error
 * (EMFILE) is left for libuv's own accept to meet and report.  At most
 * @max, FIFO like the kernel's queue.  One accept4() when none waits.
 * Return: false when the queue was found empty, true when connections may
 * still wait there (for the poll and libuv's accept).
 */
static bool accept_waiting(Agent *a, unsigned max)
{
        Listener *l = &a->listener;
        int lfd;

        /* Held or deferred: the listener takes the waiting one first, when it may. */
        if (!l->is_open || l->is_deferred || l->is_held || a->is_stopping ||
            uv_fileno((uv_handle_t *)&l->pipe, &lfd) < 0)
                return false;
        for (unsigned i = 0; i < max; i++) {
                Conn *c;
                int fd;

                if (l->may_accept && !l->may_accept(l->userdata))
                        return true;
                fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return errno != EAGAIN && errno != EWOULDBLOCK;
                /* No memory for the connection: Throttling, written by hand. */
                c = conn_new(a);
                if (!c) {
                        refuse_raw(fd);
                        safe_close(fd);
                        return true;
                }
                if (uv_pipe_open(&c->pipe, fd) < 0) {
                        refuse_raw(fd);
                        safe_close(fd);
                        conn_close(c);
                        return true;
                }
                accepted(c);
        }
        return true;
}
