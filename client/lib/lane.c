/* SPDX-License-Identifier: MIT */
/*
 * lane.c - a blocking call on a connection it uses alone.  io.c sends a
 * blocking call here when the client's shared connection already has calls
 * in flight: one socket has one wakeup, so threads sharing it hand answers
 * (and the reading) to each other through c->io and c->cond, a context
 * switch and lock traffic per call that N clients do not pay.  On a lane
 * the calling thread writes, sleeps in poll() and is woken by its own
 * answer, with no lock held.  Which calls get a lane, and how many lanes a
 * client has, is io.c's business (CLIENT_LANES_MAX).
 *
 * A lane speaks the same protocol as the shared connection: the answer is
 * matched by msgid (an answer to an earlier call that timed out is
 * dropped), notifications are acted on, and a connection the agent closed
 * before answering is opened again and the call sent once more.
 */
#include "client.h"

#include "secbuf.h"

#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>

#define LANE_RBUF_INITIAL 4096
#define LANE_SENDS_MAX 2

void lane_close(Lane *lane)
{
        lane->fd = safe_close(lane->fd);
        if (lane->rbuf)
                sodium_memzero(lane->rbuf, lane->rsize);
        free(lane->rbuf);
        lane->rbuf = NULL;
        lane->rlen = lane->rsize = 0;
}

/* fail() - end @op with a local error; the lane's connection is closed (a late answer must not be
 * read as the next call's). */
static void fail(Lane *lane, Op *op, roled_status st, const char *fmt, ...) _printf_(4, 5);
static void fail(Lane *lane, Op *op, roled_status st, const char *fmt, ...)
{
        char why[CLIENT_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        lane_close(lane);
        op_drop_reply(op);
        op->status = st;
        free(op->errmsg);
        op->errmsg = strdup(why);
        op->state = OP_DONE;
}

/* wait_fd() - poll @fd for @events until @deadline.  Return: 1 ready, 0 deadline passed. */
static int wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int64_t left = deadline - client_now_ms();
                int n;

                if (left <= 0)
                        return 0;
                n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
                if (n > 0)
                        return 1;
                if (n < 0 && errno != EINTR)
                        return 1; /* let the send or recv report it */
        }
}

typedef enum Outcome {
        LANE_DONE,   /* op->state is OP_DONE */
        LANE_RESEND, /* the agent closed the connection before answering */
} Outcome;

static Outcome send_op(roled_client *c, Lane *lane, Op *op)
{
        size_t off = 0;

        while (off < op->req.len) {
                ssize_t n = send(lane->fd, op->req.data + off, op->req.len - off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n > 0) {
                        off += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (!wait_fd(lane->fd, POLLOUT, op->deadline)) {
                                fail(lane, op, ROLED_E_TIMEOUT,
                                     "no answer from roled at %s within %d ms", c->path,
                                     c->timeout_ms);
                                return LANE_DONE;
                        }
                        continue;
                }
                if (off == 0 && n < 0 &&
                    (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)) {
                        lane_close(lane);
                        return LANE_RESEND;
                }
                fail(lane, op, ROLED_E_IO, "sending to roled at %s: %s", c->path,
                     strerror(n < 0 ? errno : EPIPE));
                return LANE_DONE;
        }
        return LANE_DONE;
}

/* take() - the whole message at the start of the buffer (@len bytes).  Return: true when it
 * answered @op. */
static bool take(roled_client *c, Lane *lane, Op *op, size_t len)
{
        Op tmp = { 0 };
        const ProtoMsg *m;
        roled_status st = op_take_reply(&tmp, lane->rbuf, len);

        if (st != ROLED_OK) {
                fail(lane, op, st, "%s",
                     st == ROLED_E_NOMEM ? "out of memory" : "roled sent a malformed message");
                return true;
        }
        m = &tmp.rep_msg;
        if (m->type == PROTO_NOTIFICATION) {
                io_notification(c, m, tmp.rep_zone);
                op_drop_reply(&tmp);
                return false;
        }
        if (m->type == PROTO_RESPONSE && m->msgid == 0 && m->error) {
                /* The agent's last word before it closes this connection. */
                size_t n;
                const char *s = proto_error_message(m->error, &n);
                roled_status est = status_from_proto(proto_error_code(m->error));

                fail(lane, op, est == ROLED_OK ? ROLED_E_PROTOCOL : est, "%.*s",
                     (int)(n > 256 ? 256 : n), s);
                op_drop_reply(&tmp);
                return true;
        }
        if (m->type != PROTO_RESPONSE || m->msgid != op->msgid) {
                /* An answer to a call that timed out and left: dropped, as PROTOCOL.md says. */
                op_drop_reply(&tmp);
                return false;
        }
        op->rep_buf = tmp.rep_buf;
        op->rep_len = tmp.rep_len;
        op->rep_zone = tmp.rep_zone;
        op->rep_obj = tmp.rep_obj;
        op->rep_msg = tmp.rep_msg;
        op->status = ROLED_OK;
        op->state = OP_DONE;
        return true;
}

static void consume(Lane *lane, size_t n)
{
        memmove(lane->rbuf, lane->rbuf + n, lane->rlen - n);
        sodium_memzero(lane->rbuf + lane->rlen - n, n);
        lane->rlen -= n;
}

/* grow() - a receive buffer twice as large (at most PROTO_MESSAGE_MAX), the old one wiped. */
static int grow(Lane *lane)
{
        uint8_t *p = secbuf_grow(lane->rbuf, lane->rlen, &lane->rsize, 1, LANE_RBUF_INITIAL,
                                 PROTO_MESSAGE_MAX);

        if (!p)
                return -ENOMEM;
        lane->rbuf = p;
        return 0;
}

static Outcome receive(roled_client *c, Lane *lane, Op *op)
{
        for (;;) {
                ssize_t n;

                while (lane->rlen > 0) {
                        Scan scan;
                        size_t len;
                        int r;

                        scan_init(&scan, PROTO_MESSAGE_MAX);
                        r = scan_feed(&scan, lane->rbuf, lane->rlen, &len);
                        if (r == SCAN_E_INCOMPLETE)
                                break;
                        if (r != 0) {
                                fail(lane, op, ROLED_E_PROTOCOL, "%s",
                                     r == SCAN_E_TOO_LARGE ? "roled sent a too large message"
                                                           : "roled sent a malformed message");
                                return LANE_DONE;
                        }
                        if (take(c, lane, op, len)) {
                                if (lane->fd >= 0)
                                        consume(lane, len);
                                return LANE_DONE;
                        }
                        consume(lane, len);
                }
                if (lane->rlen == lane->rsize) {
                        if (lane->rsize >= PROTO_MESSAGE_MAX) {
                                fail(lane, op, ROLED_E_PROTOCOL, "roled sent a too large message");
                                return LANE_DONE;
                        }
                        if (grow(lane) < 0) {
                                fail(lane, op, ROLED_E_NOMEM, "out of memory");
                                return LANE_DONE;
                        }
                }
                n = recv(lane->fd, lane->rbuf + lane->rlen, lane->rsize - lane->rlen, MSG_DONTWAIT);
                if (n > 0) {
                        lane->rlen += (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (!wait_fd(lane->fd, POLLIN, op->deadline)) {
                                fail(lane, op, ROLED_E_TIMEOUT,
                                     "no answer from roled at %s within %d ms", c->path,
                                     c->timeout_ms);
                                return LANE_DONE;
                        }
                        continue;
                }
                if (n == 0 || errno == ECONNRESET) {
                        /* Closed before answering (the agent's idle timeout, a restart): call
                         * again. */
                        lane_close(lane);
                        return LANE_RESEND;
                }
                fail(lane, op, ROLED_E_IO, "receiving from roled at %s: %s", c->path,
                     strerror(errno));
                return LANE_DONE;
        }
}

void lane_call(roled_client *c, Lane *lane, Op *op)
{
        for (unsigned n_sends = 0;; n_sends++) {
                if (n_sends == LANE_SENDS_MAX) {
                        fail(lane, op, ROLED_E_IO, "roled at %s closed the connection", c->path);
                        return;
                }
                if (lane->fd < 0) {
                        roled_error e = ROLED_ERROR_INIT;
                        int errnum;
                        roled_status st = client_connect_path(c->path, &lane->fd, &errnum, &e);

                        if (st != ROLED_OK) {
                                fail(lane, op, st, "%s", roled_error_message(&e));
                                roled_error_clear(&e);
                                return;
                        }
                }
                if (++lane->msgid == 0)
                        lane->msgid = 1;
                op_set_msgid(op, lane->msgid);
                if (send_op(c, lane, op) == LANE_RESEND)
                        continue;
                if (op->state == OP_DONE)
                        return;
                if (receive(c, lane, op) == LANE_DONE)
                        return;
        }
}
