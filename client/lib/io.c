/* SPDX-License-Identifier: MIT */
/*
 * io.c - the asynchronous core of libroled: one connection to the agent
 * with any number of calls in flight.
 *
 * A call is an Op: its request is appended to the send buffer (at most
 * PROTO_PIPELINE_MAX unanswered; the rest wait in order), and the response
 * carrying its msgid finishes it, whatever order answers come in.  A reply
 * is copied out of the receive buffer and unpacked into the Op's own zone,
 * so it is read later, outside c->io, by whoever waits for it.  Nothing here
 * ever blocks while holding c->io.
 *
 * Three kinds of waiting share this core:
 *  - blocking calls (io_call()): the first waiting thread polls the socket
 *    (it is "the reader"), the others sleep on c->cond; whoever reads
 *    finishes everybody's Ops, and each thread stops at its own deadline;
 *  - asynchronous calls: roled_client_process(), driven by the user's loop
 *    through the epoll descriptor, which also holds an eventfd that is
 *    signalled when a blocking reader finished an asynchronous call;
 *  - internal calls (a background key fetch): on_done runs under c->io in
 *    whichever thread finishes them.
 *
 * When the agent closes the connection (its idle timeout, a restart), calls
 * that had no answer are sent once more on a new connection, at once, also
 * when the close is seen only as a failed send(): those the agent never saw
 * always, those it may have seen only when their method is PROTO_F_RESEND
 * (may_resend()).
 */
#include "client.h"

#include "secbuf.h"

#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define RBUF_INITIAL 4096
#define OP_SENDS_MAX 2  /* sends that reached the agent */
#define OP_UNSENT_MAX 4 /* connections that broke before any byte of it was written */

/* ---- Op lists ---- */

static void list_append(Op **head, Op **tail, Op *op)
{
        op->prev = *tail;
        op->next = NULL;
        if (*tail)
                (*tail)->next = op;
        else
                *head = op;
        *tail = op;
}

static void list_remove(Op **head, Op **tail, Op *op)
{
        if (op->prev)
                op->prev->next = op->next;
        else
                *head = op->next;
        if (op->next)
                op->next->prev = op->prev;
        else
                *tail = op->prev;
        op->prev = op->next = NULL;
}

Op *op_new(roled_client *c, OpMode mode, ProtoMethod method, OpPackFn pack, const void *arg)
{
        Op *op = calloc(1, sizeof(*op));

        if (!op)
                return NULL;
        op->mode = mode;
        op->state = OP_QUEUED;
        op->method = method;
        proto_buf_init(&op->req, true);
        /* A placeholder msgid, replaced by set_msgid() when the Op is sent. */
        proto_pack_request(&op->req, UINT32_MAX, proto_method_name(method));
        if (pack)
                pack(&op->req, arg);
        else
                msgpack_pack_map(&op->req.pk, 0);
        if (op->req.is_oom)
                return op_free(op);
        return op;
}

static void op_drop_reply(Op *op)
{
        if (op->rep_zone) {
                msgpack_zone_free(op->rep_zone);
                op->rep_zone = NULL;
        }
        if (op->rep_buf) {
                sodium_memzero(op->rep_buf, op->rep_len);
                free(op->rep_buf);
                op->rep_buf = NULL;
        }
        op->rep_len = 0;
}

Op *op_free(Op *op)
{
        if (!op)
                return NULL;
        op_drop_reply(op);
        proto_buf_deinit(&op->req);
        free(op->errmsg);
        free(op);
        return NULL;
}

/*
 * set_msgid() - write @msgid into the request's envelope.  op_new() packed the
 * placeholder UINT32_MAX, which msgpack writes as 0xce and four bytes right
 * after the array and type bytes; the real msgid takes the same five bytes.
 */
static void set_msgid(Op *op, uint32_t msgid)
{
        uint8_t *p = op->req.data + 2;

        p[0] = 0xce;
        p[1] = (uint8_t)(msgid >> 24);
        p[2] = (uint8_t)(msgid >> 16);
        p[3] = (uint8_t)(msgid >> 8);
        p[4] = (uint8_t)msgid;
        op->msgid = msgid;
}

/* ---- finishing ---- */

/* finish() - @op is done (status set); hand it to whoever waits.  Under c->io; @op is off c->ops.
 */
static void finish(roled_client *c, Op *op)
{
        op->state = OP_DONE;
        switch (op->mode) {
        case OP_BLOCKING:
                pthread_cond_broadcast(&c->cond);
                break;
        case OP_ASYNC: {
                uint64_t one = 1;

                list_append(&c->done, &c->done_tail, op);
                /* Wake the loop: roled_client_process() runs the callback. */
                (void)!write(c->notify_fd, &one, sizeof(one));
                break;
        }
        case OP_INTERNAL:
                op->on_done(c, op);
                op_free(op);
                break;
        }
}

/* fail() - finish @op (already off c->ops) with a local error. */
static void fail(roled_client *c, Op *op, roled_status st, const char *msg)
{
        op->status = st;
        free(op->errmsg);
        op->errmsg = strdup(msg);
        finish(c, op);
}

static void take_off(roled_client *c, Op *op)
{
        if (op->state == OP_SENT)
                c->n_sent--;
        list_remove(&c->ops, &c->ops_tail, op);
}

/* ---- the connection ---- */

static void set_pollout(roled_client *c, bool on)
{
        struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = c->fd };

        if (c->fd < 0 || c->is_pollout == on)
                return;
        if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
                c->is_pollout = on;
}

/*
 * may_resend() - may @op, unanswered on a connection that broke, go out again
 * on a new one?  One whose bytes the kernel never took (a send() failed
 * before reaching it) was never seen by the agent: always, up to
 * OP_UNSENT_MAX times, so kick() ends.  One that reached the agent: only a
 * PROTO_F_RESEND method (a second Mfa would reuse a one-time code, a second
 * AssumeRole or Login make a second session or login), OP_SENDS_MAX times.
 */
static bool may_resend(const roled_client *c, Op *op)
{
        if (c->wdone <= op->wstart)
                return ++op->n_unsent < OP_UNSENT_MAX;
        op->n_sends++;
        return (proto_method_flags(op->method) & PROTO_F_RESEND) && op->n_sends < OP_SENDS_MAX;
}

/*
 * drop_connection() - close the connection after @why; calls in flight are
 * queued again when @is_retryable and may_resend() allows it, else they
 * fail with @st.
 */
static void drop_connection(roled_client *c, roled_status st, bool is_retryable, const char *why)
{
        Op *op, *next;

        if (c->fd >= 0) {
                (void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
                c->fd = safe_close(c->fd);
        }
        c->is_pollout = false;
        if (c->rbuf)
                sodium_memzero(c->rbuf, c->rsize);
        c->rlen = 0;
        proto_buf_reset(&c->wbuf);
        for (op = c->ops; op; op = next) {
                next = op->next;
                if (op->state != OP_SENT)
                        continue;
                if (is_retryable && may_resend(c, op)) {
                        op->state = OP_QUEUED;
                        c->n_sent--;
                        continue;
                }
                take_off(c, op);
                fail(c, op, st, why);
        }
        c->wpos = c->wdone = 0;
        /* Queued Ops go before those still waiting their first turn, in their old order. */
}

static roled_status reconnect(roled_client *c, char *why, size_t why_size)
{
        roled_error e = ROLED_ERROR_INIT;
        struct epoll_event ev = { .events = EPOLLIN };
        roled_status st;
        int fd, errnum;

        st = client_connect_path(c->path, &fd, &errnum, &e);
        if (st != ROLED_OK) {
                snprintf(why, why_size, "%s", roled_error_message(&e));
                roled_error_clear(&e);
                return st;
        }
        ev.data.fd = fd;
        if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                snprintf(why, why_size, "epoll_ctl: %s", strerror(errno));
                safe_close(fd);
                return ROLED_E_IO;
        }
        c->fd = fd;
        c->is_pollout = false;
        return ROLED_OK;
}

/*
 * transfer() - one non-blocking send() (@is_send) or recv() of @len bytes at
 * @buf on the connection, EINTR retried.
 * Return: the bytes moved; 0 when the socket takes or holds nothing now; -1
 * when it failed (or the agent closed it), the connection dropped: a call
 * the agent may not have seen is sent again on a new one.
 */
static ssize_t transfer(roled_client *c, bool is_send, void *buf, size_t len)
{
        char why[CLIENT_ERROR_MAX];
        ssize_t n;
        int e;

        do {
                n = is_send ? send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                            : recv(c->fd, buf, len, MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n > 0)
                return n;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0;
        e = n < 0 ? errno : is_send ? EPIPE : 0;
        if (is_send)
                snprintf(why, sizeof(why), "sending to roled at %s: %s", c->path, strerror(e));
        else if (n == 0)
                snprintf(why, sizeof(why), "roled at %s closed the connection", c->path);
        else
                snprintf(why, sizeof(why), "receiving from roled at %s: %s", c->path, strerror(e));
        drop_connection(c, ROLED_E_IO,
                        is_send ? e == EPIPE || e == ECONNRESET || e == ENOTCONN
                                : n == 0 || e == ECONNRESET,
                        why);
        return -1;
}

/* flush() - write what the send buffer holds, as far as the socket takes it. */
static void flush(roled_client *c)
{
        size_t off = 0;

        while (c->fd >= 0 && off < c->wbuf.len) {
                ssize_t n = transfer(c, true, c->wbuf.data + off, c->wbuf.len - off);

                if (n < 0)
                        return;
                if (n == 0)
                        break;
                off += (size_t)n;
                c->wdone += (uint64_t)n;
        }
        if (off > 0) {
                /* Requests may carry tokens and policies: wipe what left the buffer. */
                memmove(c->wbuf.data, c->wbuf.data + off, c->wbuf.len - off);
                sodium_memzero(c->wbuf.data + c->wbuf.len - off, off);
                c->wbuf.len -= off;
        }
        set_pollout(c, c->wbuf.len > 0);
}

/* first_queued() - the first Op waiting to be sent, or NULL. */
static Op *first_queued(const roled_client *c)
{
        Op *op;

        for (op = c->ops; op && op->state != OP_QUEUED; op = op->next)
                ;
        return op;
}

/* send_queued() - move queued Ops, from @op on, into the send buffer (at most
 * PROTO_PIPELINE_MAX unanswered). */
static void send_queued(roled_client *c, Op *op)
{
        Op *next;

        for (; op && c->n_sent < PROTO_PIPELINE_MAX; op = next) {
                next = op->next;
                if (op->state != OP_QUEUED)
                        continue;
                if (++c->msgid == 0)
                        c->msgid = 1;
                set_msgid(op, c->msgid);
                if (proto_buf_append(&c->wbuf, op->req.data, op->req.len) < 0) {
                        take_off(c, op);
                        fail(c, op, ROLED_E_NOMEM, "out of memory");
                        continue;
                }
                op->state = OP_SENT;
                op->wstart = c->wpos;
                c->wpos += op->req.len;
                c->n_sent++;
        }
}

/*
 * kick() - connect if needed, move queued Ops into the send buffer and
 * flush.  A connection that breaks while we write (the agent was killed
 * after it accepted it) has put its calls back in the queue: they go out at
 * once on a new connection, as nothing else would wake a waiter that has no
 * connection to poll.  Each round counts a send or an unsent try of at
 * least one Op, and may_resend() bounds both, so this ends.
 */
static void kick(roled_client *c)
{
        Op *op, *next;
        char why[CLIENT_ERROR_MAX];
        roled_status st;

        for (;;) {
                op = first_queued(c);
                if (op && c->fd < 0) {
                        st = reconnect(c, why, sizeof(why));
                        if (st != ROLED_OK) {
                                for (op = c->ops; op; op = next) {
                                        next = op->next;
                                        take_off(c, op);
                                        fail(c, op, st, why);
                                }
                                return;
                        }
                }
                send_queued(c, op);
                flush(c);
                if (c->fd >= 0 || !first_queued(c))
                        return;
        }
}

static Op *find_sent(roled_client *c, uint32_t msgid)
{
        for (Op *op = c->ops; op; op = op->next)
                if (op->state == OP_SENT && op->msgid == msgid)
                        return op;
        return NULL;
}

/* is_note() - is @m the notification named @name? */
static bool is_note(const ProtoMsg *m, const char *name)
{
        size_t n = strlen(name);

        return m->method_name_len == n && memcmp(m->method_name, name, n) == 0;
}

/* renewed() - SessionRenewed: cached credentials with that access key id are due for renewal. */
static void renewed(roled_client *c, const ProtoMsg *m, msgpack_zone *zone)
{
        ProtoSessionRenewedNote note;
        const char *field;
        char akid[PROTO_AKID_MAX + 1];

        /* The old credentials stay valid: a note we cannot read changes nothing. */
        if (codec_decode_SessionRenewedNote(m->params, zone, &note, &field) != 0 ||
            !copy_strn(akid, sizeof(akid), note.access_key_id.ptr, note.access_key_id.len))
                return;
        creds_cache_renewed(c, akid);
}

/* notification() - act on what the agent tells us unasked. */
static void notification(roled_client *c, const ProtoMsg *m, msgpack_zone *zone)
{
        ProtoSessionsRevokedNote note;
        const char *field;
        char role[PROTO_ROLE_NAME_MAX + 1];

        if (is_note(m, PROTO_NOTE_SESSION_RENEWED)) {
                renewed(c, m, zone);
                return;
        }
        if (!is_note(m, PROTO_NOTE_SESSIONS_REVOKED))
                return; /* unknown notifications are ignored, as unknown fields are */
        /* A note we cannot read (or no memory to read it) forgets them all: safe, merely slower. */
        if (codec_decode_SessionsRevokedNote(m->params, zone, &note, &field) != 0 ||
            !note.role.ptr || !copy_strn(role, sizeof(role), note.role.ptr, note.role.len)) {
                creds_cache_revoked(c, NULL);
                return;
        }
        creds_cache_revoked(c, role);
}

/*
 * take_message() - the whole message at the start of the receive buffer
 * (@len bytes): finish the Op it answers, or act on the notification.
 * Return: false when the stream is broken (connection dropped).
 */
static bool take_message(roled_client *c, size_t len)
{
        Op tmp = { 0 }, *op;
        const ProtoMsg *m;

        tmp.rep_buf = malloc(len);
        tmp.rep_zone = msgpack_zone_new(2048);
        if (!tmp.rep_buf || !tmp.rep_zone) {
                op_drop_reply(&tmp);
                free(tmp.rep_buf);
                drop_connection(c, ROLED_E_NOMEM, false, "out of memory");
                return false;
        }
        memcpy(tmp.rep_buf, c->rbuf, len);
        tmp.rep_len = len;
        if (proto_decode(tmp.rep_buf, len, tmp.rep_zone, &tmp.rep_obj, &tmp.rep_msg) != 0) {
                op_drop_reply(&tmp);
                drop_connection(c, ROLED_E_PROTOCOL, false, "roled sent a malformed message");
                return false;
        }
        m = &tmp.rep_msg;
        if (m->type == PROTO_NOTIFICATION) {
                notification(c, m, tmp.rep_zone);
                op_drop_reply(&tmp);
                return true;
        }
        if (m->type == PROTO_RESPONSE && m->msgid == 0 && m->error) {
                /* The agent's last word before it closes this connection: it ends every call in
                 * flight. */
                char why[CLIENT_ERROR_MAX];
                size_t n;
                const char *s = proto_error_message(m->error, &n);
                roled_status st = status_from_proto(proto_error_code(m->error));

                snprintf(why, sizeof(why), "%.*s", (int)(n > 256 ? 256 : n), s);
                op_drop_reply(&tmp);
                drop_connection(c, st == ROLED_OK ? ROLED_E_PROTOCOL : st, false, why);
                return false;
        }
        op = m->type == PROTO_RESPONSE ? find_sent(c, m->msgid) : NULL;
        if (!op) {
                /* Not ours (a call that timed out and left): dropped, as PROTOCOL.md says. */
                op_drop_reply(&tmp);
                return true;
        }
        if (m->error && proto_error_code(m->error) == PROTO_SENT_BEFORE_ATTESTATION &&
            ++op->n_sends < OP_SENDS_MAX) {
                /*
                 * The request left before the agent had seen which program
                 * we run (a fresh connection's first bytes): send it again on
                 * this connection, now that the agent has (step() kicks it).
                 */
                op_drop_reply(&tmp);
                op->state = OP_QUEUED;
                c->n_sent--;
                return true;
        }
        take_off(c, op);
        op->rep_buf = tmp.rep_buf;
        op->rep_len = tmp.rep_len;
        op->rep_zone = tmp.rep_zone;
        /* rep_msg points into rep_obj's array, which lives in the zone; the root is copied. */
        op->rep_obj = tmp.rep_obj;
        op->rep_msg = tmp.rep_msg;
        op->status = ROLED_OK;
        finish(c, op);
        return true;
}

/* consume() - drop the first @n bytes of the receive buffer and wipe what they left behind. */
static void consume(roled_client *c, size_t n)
{
        memmove(c->rbuf, c->rbuf + n, c->rlen - n);
        sodium_memzero(c->rbuf + c->rlen - n, n);
        c->rlen -= n;
}

/* grow() - a receive buffer twice as large (at most PROTO_MESSAGE_MAX), the old one wiped. */
static int grow(roled_client *c)
{
        uint8_t *p = secbuf_grow(c->rbuf, c->rlen, &c->rsize, 1, RBUF_INITIAL, PROTO_MESSAGE_MAX);

        if (!p)
                return -ENOMEM;
        c->rbuf = p;
        return 0;
}

/* receive() - read what is there and take every whole message. */
static void receive(roled_client *c)
{
        while (c->fd >= 0) {
                ssize_t n;

                for (;;) {
                        Scan scan;
                        size_t len;
                        int r;

                        if (c->rlen == 0)
                                break;
                        scan_init(&scan, PROTO_MESSAGE_MAX);
                        r = scan_feed(&scan, c->rbuf, c->rlen, &len);
                        if (r == SCAN_E_INCOMPLETE)
                                break;
                        if (r != 0) {
                                drop_connection(c, ROLED_E_PROTOCOL, false,
                                                r == SCAN_E_TOO_LARGE
                                                        ? "roled sent a too large message"
                                                        : "roled sent a malformed message");
                                return;
                        }
                        if (!take_message(c, len))
                                return;
                        consume(c, len);
                }
                if (c->rlen == c->rsize) {
                        if (c->rsize >= PROTO_MESSAGE_MAX) {
                                drop_connection(c, ROLED_E_PROTOCOL, false,
                                                "roled sent a too large message");
                                return;
                        }
                        if (grow(c) < 0) {
                                drop_connection(c, ROLED_E_NOMEM, false, "out of memory");
                                return;
                        }
                }
                n = transfer(c, false, c->rbuf + c->rlen, c->rsize - c->rlen);
                if (n <= 0)
                        return;
                c->rlen += (size_t)n;
        }
}

/* expire() - fail async and internal Ops whose deadline passed; blocking ones are their threads'
 * business. */
static void expire(roled_client *c, int64_t now)
{
        Op *op, *next;

        for (op = c->ops; op; op = next) {
                char why[CLIENT_ERROR_MAX];

                next = op->next;
                if (op->mode == OP_BLOCKING || op->deadline > now)
                        continue;
                take_off(c, op);
                snprintf(why, sizeof(why), "no answer from roled at %s within %d ms", c->path,
                         c->timeout_ms);
                fail(c, op, ROLED_E_TIMEOUT, why);
        }
}

/* step() - everything that can be done now without waiting.  Under c->io. */
static void step(roled_client *c)
{
        receive(c);
        kick(c); /* flushes too, and reconnects when flushing broke the connection */
        expire(c, client_now_ms());
}

/* earliest() - the earliest deadline of an async or internal Op, or INT64_MAX. */
static int64_t earliest(const roled_client *c)
{
        int64_t t = INT64_MAX;

        for (const Op *op = c->ops; op; op = op->next)
                if (op->mode != OP_BLOCKING && op->deadline < t)
                        t = op->deadline;
        return t;
}

void io_pump(roled_client *c)
{
        pthread_mutex_lock(&c->io);
        step(c);
        pthread_mutex_unlock(&c->io);
}

void io_peek(roled_client *c)
{
        int64_t now = client_now_ms();
        long long last = atomic_load_explicit(&c->peeked_ms, memory_order_relaxed);

        if (now - last < CLIENT_PEEK_MS ||
            !atomic_compare_exchange_strong(&c->peeked_ms, &last, now))
                return;
        /* Whoever holds the lock is doing I/O already: its reads see the notification. */
        if (pthread_mutex_trylock(&c->io) != 0)
                return;
        if (c->fd >= 0)
                receive(c);
        pthread_mutex_unlock(&c->io);
}

/* ---- decoding an answer (outside c->io) ---- */

/* result_of() - the Op's result map (or the error into @err). */
static roled_status result_of(const Op *op, const msgpack_object **resultp, roled_error *err)
{
        const ProtoMsg *m = &op->rep_msg;

        if (op->status != ROLED_OK)
                return error_set(err, op->status, "%s",
                                 op->errmsg ? op->errmsg : roled_strerror(op->status));
        if (m->error) {
                size_t n;
                const char *s = proto_error_message(m->error, &n);
                roled_status st = status_from_proto(proto_error_code(m->error));

                if (st == ROLED_OK)
                        st = ROLED_E_PROTOCOL;
                if (n == 0)
                        return error_set(err, st, "%s", roled_strerror(st));
                return error_set(err, st, "%.*s",
                                 (int)(n > CLIENT_ERROR_MAX ? CLIENT_ERROR_MAX : n), s);
        }
        if (!m->result || m->result->type != MSGPACK_OBJECT_MAP)
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent a response without a result map");
        *resultp = m->result;
        return ROLED_OK;
}

/* The size of each method's reply struct, in PROTO_METHODS' order. */
static const size_t reply_sizes[PROTO_M_COUNT] = {
#define REPLY_SIZE(e, name, flags, req, rep) sizeof(Proto##rep),
        PROTO_METHODS(REPLY_SIZE)
#undef REPLY_SIZE
};

roled_status io_reply(Op *op, const void **repp, roled_error *err)
{
        const msgpack_object *result = NULL;
        const char *field = NULL;
        roled_status st = result_of(op, &result, err);
        void *rep;
        int r;

        if (st != ROLED_OK)
                return st;
        rep = msgpack_zone_malloc(op->rep_zone, reply_sizes[op->method]);
        if (!rep)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        /* Decoded first: result_decoded() reads the field it names. */
        r = codec_decode(result, op->rep_zone, codec_reply_schema(op->method), rep, &field);
        st = result_decoded(r, field, err);
        if (st == ROLED_OK)
                *repp = rep;
        return st;
}

/* decode_op() - the Op's answer into a result object (or the error into @err). */
static roled_status decode_op(Op *op, const ResultKind *kind, void **objp, roled_error *err)
{
        const void *rep = NULL;
        roled_status st;

        *objp = NULL;
        if (!kind) {
                const msgpack_object *result;

                return result_of(op, &result, err);
        }
        st = io_reply(op, &rep, err);
        return st == ROLED_OK ? result_decode(kind, rep, objp, err) : st;
}

/* ---- blocking calls ---- */

static void timed_wait(roled_client *c, int64_t deadline)
{
        struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };

        pthread_cond_timedwait(&c->cond, &c->io, &ts);
}

/* read_once() - as the reader: poll the connection (lock released) until @deadline, then step. */
static void read_once(roled_client *c, int64_t deadline)
{
        struct pollfd p[2] = {
                { .fd = c->fd, .events = POLLIN | (c->wbuf.len ? POLLOUT : 0) },
                { .fd = c->wake_fd, .events = POLLIN },
        };
        int64_t until = deadline, other = earliest(c), left;

        if (other < until)
                until = other;
        left = until - client_now_ms();
        if (left < 0)
                left = 0;
        c->has_reader = true;
        pthread_mutex_unlock(&c->io);
        (void)poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
        if (p[1].revents & POLLIN) {
                uint64_t v;

                (void)!read(c->wake_fd, &v, sizeof(v));
        }
        pthread_mutex_lock(&c->io);
        c->has_reader = false;
        step(c);
        /* Someone else may need to take over reading. */
        pthread_cond_broadcast(&c->cond);
}

/* enqueue() - (under c->io) queue @op and send what can be sent. */
static void enqueue(roled_client *c, Op *op)
{
        list_append(&c->ops, &c->ops_tail, op);
        kick(c);
        if (c->wbuf.len && c->has_reader) {
                uint64_t one = 1;

                /* The reader polls without POLLOUT: have it look again. */
                (void)!write(c->wake_fd, &one, sizeof(one));
        }
}

/* wait() - start @op (blocking) and wait until it is done or its deadline passed. */
static void wait(roled_client *c, Op *op, int64_t start_ms)
{
        op->mode = OP_BLOCKING;
        op->deadline = start_ms + c->timeout_ms;
        pthread_mutex_lock(&c->io);
        enqueue(c, op);
        for (;;) {
                int64_t now;

                if (op->state == OP_DONE)
                        break;
                now = client_now_ms();
                if (now >= op->deadline) {
                        char why[CLIENT_ERROR_MAX];

                        take_off(c, op);
                        snprintf(why, sizeof(why), "no answer from roled at %s within %d ms",
                                 c->path, c->timeout_ms);
                        op->status = ROLED_E_TIMEOUT;
                        op->errmsg = strdup(why);
                        op->state = OP_DONE;
                        break;
                }
                if (!c->has_reader)
                        read_once(c, op->deadline);
                else
                        timed_wait(c, op->deadline);
        }
        pthread_mutex_unlock(&c->io);
}

roled_status io_call(roled_client *c, Op *op, int64_t start_ms, const ResultKind *result,
                     void **objp, roled_error *err)
{
        roled_status st;

        wait(c, op, start_ms);
        st = decode_op(op, result, objp, err);
        op_free(op);
        return st;
}

/* read_answer() - io_call_read() (@is_raw: io_call_raw()). */
static roled_status read_answer(roled_client *c, Op *op, int64_t start_ms, bool is_raw,
                                OpReadFn read_fn, void *arg, roled_error *err)
{
        const msgpack_object *result = NULL;
        const void *rep = NULL;
        roled_status st;

        wait(c, op, start_ms);
        st = is_raw ? result_of(op, &result, err) : io_reply(op, &rep, err);
        if (st == ROLED_OK)
                st = read_fn(is_raw ? (const void *)result : rep, arg, err);
        op_free(op);
        return st;
}

roled_status io_call_read(roled_client *c, Op *op, int64_t start_ms, OpReadFn read_fn, void *arg,
                          roled_error *err)
{
        return read_answer(c, op, start_ms, false, read_fn, arg, err);
}

roled_status io_call_raw(roled_client *c, Op *op, int64_t start_ms, OpReadFn read_fn, void *arg,
                         roled_error *err)
{
        return read_answer(c, op, start_ms, true, read_fn, arg, err);
}

/* ---- asynchronous calls ---- */

roled_status io_start_async(roled_client *c, Op *op, roled_error *err)
{
        op->deadline = client_now_ms() + c->timeout_ms;
        pthread_mutex_lock(&c->io);
        enqueue(c, op);
        pthread_mutex_unlock(&c->io);
        /*
         * A failure to connect has already finished the Op; its callback
         * runs from roled_client_process() like any other answer.
         */
        (void)err;
        return ROLED_OK;
}

void io_finish_ready(roled_client *c, Op *op)
{
        pthread_mutex_lock(&c->io);
        op->status = ROLED_OK;
        finish(c, op);
        pthread_mutex_unlock(&c->io);
}

ROLED_EXPORT int roled_client_get_fd(roled_client *client)
{
        return client ? client->epfd : -1;
}

ROLED_EXPORT short roled_client_get_events(roled_client *client)
{
        return client ? POLLIN : 0;
}

ROLED_EXPORT int roled_client_get_timeout(roled_client *client)
{
        int64_t t, left;

        if (!client)
                return -1;
        pthread_mutex_lock(&client->io);
        t = client->done ? 0 : earliest(client);
        pthread_mutex_unlock(&client->io);
        if (t == INT64_MAX)
                return -1;
        if (t == 0)
                return 0;
        left = t - client_now_ms();
        return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* deliver() - decode an async Op's answer and run its callback (no lock held). */
static void deliver(roled_client *c, Op *op)
{
        roled_error e = ROLED_ERROR_INIT;
        void *obj = op->ready_obj;
        roled_status st = ROLED_OK;

        op->ready_obj = NULL;
        if (!obj)
                st = decode_op(op, op->result, &obj, &e);
        op->deliver(c, op, st, obj, st == ROLED_OK ? NULL : &e);
        roled_error_clear(&e);
}

/*
 * deliver_done() - (called with c->io held, which it releases) take the
 * finished async Ops and run their callbacks, without a lock, so that they
 * may start new calls.
 */
static void deliver_done(roled_client *c)
{
        Op *done = c->done, *op;

        c->done = c->done_tail = NULL;
        pthread_mutex_unlock(&c->io);
        while ((op = done)) {
                done = op->next;
                deliver(c, op);
                op_free(op);
        }
}

ROLED_EXPORT roled_status roled_client_process(roled_client *client, roled_error *err)
{
        roled_status st = client_check(client, err);
        uint64_t v;

        if (st != ROLED_OK)
                return st;
        pthread_mutex_lock(&client->io);
        (void)!read(client->notify_fd, &v, sizeof(v));
        step(client);
        deliver_done(client);
        return ROLED_OK;
}

void io_close(roled_client *c, bool is_child)
{
        Op *op, *done;

        if (!is_child) {
                pthread_mutex_lock(&c->io);
                while ((op = c->ops)) {
                        take_off(c, op);
                        fail(c, op, ROLED_E_CANCELLED, "the client was closed");
                }
                deliver_done(c);
        } else {
                /* The parent's threads own these; in the child nobody waits for them. */
                for (op = c->ops; op; op = done) {
                        done = op->next;
                        if (op->mode != OP_BLOCKING)
                                op_free(op);
                }
                for (op = c->done; op; op = done) {
                        done = op->next;
                        op_free(op);
                }
        }
        c->fd = safe_close(c->fd);
        c->epfd = safe_close(c->epfd);
        c->notify_fd = safe_close(c->notify_fd);
        c->wake_fd = safe_close(c->wake_fd);
        if (c->rbuf)
                sodium_memzero(c->rbuf, c->rsize);
        free(c->rbuf);
        c->rbuf = NULL;
        proto_buf_deinit(&c->wbuf);
}
