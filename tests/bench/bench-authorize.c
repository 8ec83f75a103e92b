/* SPDX-License-Identifier: MIT */
/*
 * bench-authorize - closed-loop Authorize load against a running agent.
 *
 * It obtains one real session (GetCredentials through libroled) at start,
 * packs one Authorize request with that token, then keeps each of N
 * connections with exactly one request in flight: send the pre-encoded
 * bytes, wait for the whole reply (delimited by proto/'s bounded scanner),
 * send again.  After a warm-up it counts replies over a fixed duration and
 * prints decisions/s and p50/p99 latency from a 1 us histogram.  Replies
 * whose error is not nil are counted and reported; the first reply is
 * decoded in full to show the decision.  Not a ctest test: benchmarks never
 * assert timings.
 *
 *   bench-authorize --socket PATH [--role R] [--connections 32] [--duration 5]
 *                   [--warmup 1] [--action s3:GetObject] [--resource ARN]
 */
#include <errno.h>
#include <getopt.h>
#include <roled/roled.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc.h"
#include "scan.h"

#define CONNS_MAX 127  /* msgids 1..127 are one-byte fixints, which the reply check relies on */
#define HIST_US 200000 /* latencies above 200 ms land in the last bucket */

typedef struct Conn {
        int fd;
        uint8_t buf[4096];
        size_t len;
        Scan scan;
        int64_t sent_ns;
        uint8_t *req;
        size_t req_len;
        uint32_t msgid;
} Conn;

static uint64_t hist[HIST_US + 1];

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int send_req(Conn *c)
{
        size_t off = 0;

        c->sent_ns = now_ns();
        while (off < c->req_len) {
                ssize_t w = send(c->fd, c->req + off, c->req_len - off, MSG_NOSIGNAL);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t)w;
        }
        return 0;
}

/* pack() - the Authorize request of connection @msgid, owned by the caller. */
static uint8_t *pack(uint32_t msgid, const roled_credentials *cr, const char *action,
                     const char *resource, size_t *lenp)
{
        ProtoBuf b;
        uint8_t *p;

        proto_buf_init(&b, true);
        proto_pack_request(&b, msgid, "Authorize");
        msgpack_pack_map(&b.pk, 4);
        proto_pack_kv_str(&b, "sessionToken", roled_credentials_session_token(cr));
        proto_pack_kv_str(&b, "accessKeyId", roled_credentials_access_key_id(cr));
        proto_pack_kv_str(&b, "action", action);
        proto_pack_kv_str(&b, "resource", resource);
        if (b.is_oom) {
                proto_buf_deinit(&b);
                return NULL;
        }
        p = proto_buf_steal(&b, lenp);
        proto_buf_deinit(&b);
        return p;
}

/* describe() - decode one reply in full and print what the agent decided. */
static void describe(const uint8_t *buf, size_t len)
{
        msgpack_zone zone;
        msgpack_object obj;
        ProtoMsg msg;
        const char *s;
        size_t n;

        msgpack_zone_init(&zone, 1024);
        if (proto_decode(buf, len, &zone, &obj, &msg) != 0) {
                fprintf(stderr, "first reply: malformed\n");
        } else if (msg.error) {
                s = proto_error_message(msg.error, &n);
                fprintf(stderr, "first reply: error %.*s\n", (int)n, s);
        } else if (proto_get_str(msg.result, "decision", 64, &s, &n) == 0) {
                fprintf(stderr, "first reply: decision %.*s\n", (int)n, s);
        }
        msgpack_zone_destroy(&zone);
}

static uint64_t percentile(uint64_t total, double q)
{
        uint64_t want = (uint64_t)((double)total * q), seen = 0;

        for (size_t i = 0; i <= HIST_US; i++) {
                seen += hist[i];
                if (seen > want)
                        return i;
        }
        return HIST_US;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "role", required_argument, NULL, 'r' },
                { "connections", required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "warmup", required_argument, NULL, 'w' },
                { "action", required_argument, NULL, 'a' },
                { "resource", required_argument, NULL, 'R' },
                {},
        };
        const char *path = NULL, *role = NULL, *action = "s3:GetObject";
        const char *resource = "arn:aws:s3:::bench/object";
        double duration = 5, warmup = 1;
        int n_conns = 32, opt, ep;
        roled_client *client;
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_credentials_request rq = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *cr = NULL;
        roled_status st;
        Conn *conns;
        uint64_t done = 0, errors = 0, total = 0;
        int64_t t0, t_measure, t_end;
        bool is_measuring = false, is_described = false;

        while ((opt = getopt_long(argc, argv, "s:r:c:d:w:a:R:", options, NULL)) != -1) {
                switch (opt) {
                case 's':
                        path = optarg;
                        break;
                case 'r':
                        role = optarg;
                        break;
                case 'c':
                        n_conns = atoi(optarg);
                        break;
                case 'd':
                        duration = atof(optarg);
                        break;
                case 'w':
                        warmup = atof(optarg);
                        break;
                case 'a':
                        action = optarg;
                        break;
                case 'R':
                        resource = optarg;
                        break;
                default:
                        fprintf(stderr,
                                "usage: %s --socket PATH [--role R] [--connections N] "
                                "[--duration S] [--warmup S] [--action A] [--resource ARN]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (!path || n_conns < 1 || n_conns > CONNS_MAX || duration <= 0 || warmup < 0) {
                fprintf(stderr, "%s: --socket is required; 1..%d connections\n", argv[0],
                        CONNS_MAX);
                return 2;
        }
        o.socket_path = path;
        st = roled_client_connect(&o, &client, &err);
        rq.role = role;
        if (st == ROLED_OK)
                st = roled_get_credentials(client, &rq, &cr, &err);
        roled_client_close(client);
        if (st != ROLED_OK) {
                fprintf(stderr, "%s: %s: %s\n", argv[0], roled_status_name(st),
                        roled_error_message(&err));
                roled_error_clear(&err);
                return 1;
        }
        conns = calloc((size_t)n_conns, sizeof(*conns));
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (!conns || ep < 0) {
                perror("setup");
                return 1;
        }
        for (int i = 0; i < n_conns; i++) {
                Conn *c = &conns[i];
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

                c->msgid = (uint32_t)i + 1;
                c->req = pack(c->msgid, cr, action, resource, &c->req_len);
                c->fd = dial(path);
                if (!c->req || c->fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
                        perror("connect");
                        return 1;
                }
                scan_init(&c->scan, PROTO_MESSAGE_MAX);
        }
        cr = roled_credentials_unref(cr);
        t0 = now_ns();
        t_measure = t0 + (int64_t)(warmup * 1e9);
        t_end = t_measure + (int64_t)(duration * 1e9);
        for (int i = 0; i < n_conns; i++)
                if (send_req(&conns[i]) < 0) {
                        perror("send");
                        return 1;
                }
        for (;;) {
                struct epoll_event evs[64];
                int n = epoll_wait(ep, evs, 64, 1000);
                int64_t now = now_ns();

                if (n < 0 && errno != EINTR) {
                        perror("epoll_wait");
                        return 1;
                }
                if (!is_measuring && now >= t_measure) {
                        is_measuring = true;
                        t_measure = now;
                }
                if (now >= t_end)
                        break;
                for (int e = 0; e < n; e++) {
                        Conn *c = evs[e].data.ptr;
                        ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
                        size_t msg_len;
                        int s;

                        if (r <= 0) {
                                fprintf(stderr, "connection %u: %s\n", c->msgid,
                                        r == 0 ? "closed by the agent" : strerror(errno));
                                return 1;
                        }
                        c->len += (size_t)r;
                        s = scan_feed(&c->scan, c->buf, c->len, &msg_len);
                        if (s == SCAN_E_INCOMPLETE && c->len < sizeof(c->buf))
                                continue;
                        if (s != 0) {
                                fprintf(stderr, "connection %u: bad reply (%d)\n", c->msgid, s);
                                return 1;
                        }
                        if (!is_described) {
                                describe(c->buf, msg_len);
                                is_described = true;
                        }
                        /* [1, msgid, nil, {...}]: msgids are below 128, so fixints. */
                        if (msg_len < 4 || c->buf[0] != 0x94 || c->buf[1] != 0x01 ||
                            c->buf[2] != c->msgid || c->buf[3] != 0xc0)
                                errors += is_measuring;
                        if (is_measuring) {
                                uint64_t us = (uint64_t)(now - c->sent_ns) / 1000;

                                hist[us > HIST_US ? HIST_US : us]++;
                                done++;
                        }
                        memmove(c->buf, c->buf + msg_len, c->len - msg_len);
                        c->len -= msg_len;
                        scan_init(&c->scan, PROTO_MESSAGE_MAX);
                        if (send_req(c) < 0) {
                                perror("send");
                                return 1;
                        }
                }
        }
        total = done;
        printf("connections %d, duration %.1f s: %llu decisions, %.0f decisions/s, "
               "p50 %llu us, p99 %llu us, errors %llu\n",
               n_conns, (double)(t_end - t_measure) / 1e9, (unsigned long long)done,
               (double)done / ((double)(t_end - t_measure) / 1e9),
               (unsigned long long)percentile(total, 0.50),
               (unsigned long long)percentile(total, 0.99), (unsigned long long)errors);
        for (int i = 0; i < n_conns; i++) {
                close(conns[i].fd);
                free(conns[i].req);
        }
        free(conns);
        close(ep);
        return errors ? 1 : 0;
}
