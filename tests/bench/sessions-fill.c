/* SPDX-License-Identifier: MIT */
/*
 * sessions-fill.c - fill a running agent with N fresh sessions: N AssumeRole
 * calls for one role, spread over a few connections with a bounded number of
 * requests in flight on each.  Every AssumeRole mints and stores a new session
 * (handlers_session.c), so the agent's RSS before and after tells the memory
 * one cached session costs.  Not a test: it asserts nothing about timings.
 *
 * usage: sessions-fill SOCKET [N [ROLE [CONNS [DEPTH]]]]
 * Prints "sessions-fill: N ok, E errors, S s" and exits non-zero on any error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc.h"
#include "scan.h"

#define CONNS_MAX 16
#define DEPTH_MAX PROTO_PIPELINE_MAX

typedef struct Peer {
        int fd;
        uint8_t *buf; /* received bytes not yet consumed */
        size_t len, size;
        Scan scan;
} Peer;

static int connect_to(const char *path)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(a.sun_path))
                return -ENAMETOOLONG;
        memcpy(a.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -errno;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Read one whole reply from @p; return 0 when it is [1, id, nil, result], 1 for an error reply. */
static int read_reply(Peer *p)
{
        for (;;) {
                size_t msg_len;
                int r = p->len ? scan_feed(&p->scan, p->buf, p->len, &msg_len) : SCAN_E_INCOMPLETE;

                if (r == 0) {
                        msgpack_zone zone;
                        msgpack_object root;
                        ProtoMsg msg;
                        int rc;

                        msgpack_zone_init(&zone, 4096);
                        rc = proto_decode(p->buf, msg_len, &zone, &root, &msg);
                        if (rc == 0 && msg.type == PROTO_RESPONSE && msg.error) {
                                size_t n;
                                const char *m = proto_error_message(msg.error, &n);

                                fprintf(stderr, "sessions-fill: error reply: %.*s\n", (int)n, m);
                                rc = 1;
                        } else if (rc == 0 && (msg.type != PROTO_RESPONSE || !msg.result)) {
                                rc = 1;
                        }
                        msgpack_zone_destroy(&zone);
                        memmove(p->buf, p->buf + msg_len, p->len - msg_len);
                        p->len -= msg_len;
                        scan_init(&p->scan, PROTO_MESSAGE_MAX);
                        return rc ? 1 : 0;
                }
                if (r != SCAN_E_INCOMPLETE) {
                        fprintf(stderr, "sessions-fill: unparsable reply (scan code %d)\n", r);
                        exit(1);
                }
                if (p->size - p->len < 4096) {
                        p->size = p->size ? p->size * 2 : 65536;
                        p->buf = realloc(p->buf, p->size);
                        if (!p->buf) {
                                fprintf(stderr, "sessions-fill: out of memory\n");
                                exit(1);
                        }
                }
                ssize_t n = read(p->fd, p->buf + p->len, p->size - p->len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "sessions-fill: the agent closed the connection\n");
                        exit(1);
                }
                p->len += (size_t)n;
        }
}

int main(int argc, char **argv)
{
        const char *path = argc > 1 ? argv[1] : NULL;
        long total = argc > 2 ? atol(argv[2]) : 100000;
        const char *role = argc > 3 ? argv[3] : "default";
        int n_conns = argc > 4 ? atoi(argv[4]) : 4;
        int depth = argc > 5 ? atoi(argv[5]) : 32;
        Peer peers[CONNS_MAX] = { { 0 } };
        ProtoBuf req;
        long sent = 0, ok = 0, errors = 0;
        uint32_t msgid = 0;
        struct timespec t0, t1;

        if (!path || total < 1 || n_conns < 1 || n_conns > CONNS_MAX || depth < 1 ||
            depth > DEPTH_MAX) {
                fprintf(stderr,
                        "usage: sessions-fill SOCKET [N [ROLE [CONNS(1..%d) [DEPTH(1..%d)]]]]\n",
                        CONNS_MAX, DEPTH_MAX);
                return 2;
        }
        for (int i = 0; i < n_conns; i++) {
                peers[i].fd = connect_to(path);
                if (peers[i].fd < 0) {
                        fprintf(stderr, "sessions-fill: connect %s: %s\n", path,
                                strerror(-peers[i].fd));
                        return 1;
                }
                scan_init(&peers[i].scan, PROTO_MESSAGE_MAX);
        }
        proto_buf_init(&req, false);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /*
         * Rounds: every connection gets up to @depth requests written in one
         * write(), then their replies are read back in order.  The agent
         * serves one connection's batch while the next one's is in its socket.
         */
        while (sent < total) {
                int n_in[CONNS_MAX] = { 0 };

                for (int i = 0; i < n_conns && sent < total; i++) {
                        proto_buf_reset(&req);
                        for (int k = 0; k < depth && sent < total; k++, sent++) {
                                proto_pack_request(&req, ++msgid, "AssumeRole");
                                msgpack_pack_map(&req.pk, 1);
                                proto_pack_kv_str(&req, "role", role);
                                n_in[i]++;
                        }
                        if (req.is_oom || write_all(peers[i].fd, req.data, req.len) < 0) {
                                fprintf(stderr, "sessions-fill: sending failed\n");
                                return 1;
                        }
                }
                for (int i = 0; i < n_conns; i++)
                        for (int k = 0; k < n_in[i]; k++) {
                                if (read_reply(&peers[i]) == 0)
                                        ok++;
                                else
                                        errors++;
                        }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("sessions-fill: %ld ok, %ld errors, %.2f s\n", ok, errors,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        proto_buf_deinit(&req);
        for (int i = 0; i < n_conns; i++) {
                close(peers[i].fd);
                free(peers[i].buf);
        }
        return errors ? 1 : 0;
}
