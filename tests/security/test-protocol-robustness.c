/* SPDX-License-Identifier: MIT */
/*
 * test-protocol-robustness - a deterministic stream of 4000 hostile
 * messages built from real request shapes (including a real session token),
 * truncated, with flipped bytes, with random length headers, spliced or
 * pure noise, sent over 8 connections (reopened whenever the agent closes
 * one).  Afterwards the agent is alive and a good client is served.
 */
#undef NDEBUG
#include <errno.h>
#include <poll.h>
#include <roled/roled.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

#define N_MESSAGES 4000
#define N_CONNS 8

static TestAgent agent;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)(rng >> 11);
}

/*
 * Drop whatever the agent sent, giving it a millisecond to answer first.
 * Return: false once it closed the connection.
 */
static bool drain(int fd)
{
        char buf[8192];

        for (int wait_ms = 1;; wait_ms = 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, wait_ms) <= 0)
                        return true;
                n = read(fd, buf, sizeof(buf));
                if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                        return false;
        }
}

int main(int argc, char **argv)
{
        msgpack_sbuffer seeds[6];
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "fz",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        int fds[N_CONNS], n_sent[N_CONNS] = { 0 };
        uint8_t buf[2048];
        const char *cfg;
        unsigned n_reopened = 0;

        test_init(argc, argv);
        cfg = config_new("max_connections_per_uid = 64\n");
        config_put(cfg, "roles.d/fz.ini",
                   "[role]\nname = fz\nmax_session_duration = 2h\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/fz2.ini", "[role]\nname = fz2\n[trust]\nroles = fz\n");
        agent_spawn(cfg, &agent);
        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);

        for (size_t i = 0; i < 6; i++)
                msgpack_sbuffer_init(&seeds[i]);
        pack_request(&seeds[0], 1, "GetCredentials", 2, "role", "fz", "durationSeconds", "#1800");
        pack_request(&seeds[1], 2, "AssumeRole", 3, "role", "fz2", "sessionToken",
                     roled_credentials_session_token(cr), "sessionName", "fuzz");
        pack_request(&seeds[2], 3, "Hello", 2, "version", "#1", "client", "fuzzer");
        pack_request(&seeds[3], 4, "GetCredentials", 2, "role", "fz", "policy",
                     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                     "\"s3:*\",\"Resource\":\"*\"}]}");
        pack_request(&seeds[4], 5, "Revoke", 1, "role", "fz");
        pack_request(&seeds[5], 6, "ListRoles", 0);

        for (int i = 0; i < N_CONNS; i++)
                fds[i] = raw_connect(agent.socket);
        for (int i = 0; i < N_MESSAGES; i++) {
                const msgpack_sbuffer *s = &seeds[next() % 6];
                size_t n = s->size < sizeof(buf) ? s->size : sizeof(buf);
                int k = (int)(next() % N_CONNS), r;

                memcpy(buf, s->data, n);
                switch (next() % 6) {
                case 0: /* truncated */
                        n = next() % n;
                        break;
                case 1: /* flipped bytes */
                        for (int f = 1 + (int)(next() % 4); f > 0; f--)
                                buf[next() % n] ^= (uint8_t)(1u << (next() % 8));
                        break;
                case 2: { /* a random length header somewhere */
                        static const uint8_t heads[] = { 0xdc, 0xdd, 0xde, 0xdf,
                                                         0xda, 0xdb, 0xc5, 0xc6 };
                        size_t at = next() % n;

                        buf[at] = heads[next() % sizeof(heads)];
                        for (size_t j = at + 1; j < at + 5 && j < n; j++)
                                buf[j] = (uint8_t)next();
                        break;
                }
                case 3: /* random bytes overwritten */
                        for (size_t j = next() % n; j < n; j += 1 + next() % 16)
                                buf[j] = (uint8_t)next();
                        break;
                case 4: { /* two seeds spliced */
                        const msgpack_sbuffer *t = &seeds[next() % 6];
                        size_t cut = next() % n, tail = next() % t->size;

                        if (cut + (t->size - tail) <= sizeof(buf)) {
                                memcpy(buf + cut, t->data + tail, t->size - tail);
                                n = cut + (t->size - tail);
                        }
                        break;
                }
                default: /* noise */
                        n = 1 + next() % 64;
                        for (size_t j = 0; j < n; j++)
                                buf[j] = (uint8_t)next();
                        break;
                }
                r = raw_send(fds[k], buf, n);
                if (r < 0 || !drain(fds[k])) {
                        close(fds[k]);
                        fds[k] = raw_connect(agent.socket);
                        n_reopened++;
                }
                /* Most mutants leave a partial message behind: start afresh every few sends. */
                else if (++n_sent[k] % 3 == 0) {
                        close(fds[k]);
                        fds[k] = raw_connect(agent.socket);
                }
        }
        for (int i = 0; i < N_CONNS; i++)
                close(fds[i]);
        test_log("%u connections closed by the agent and reopened", n_reopened);
        CHECK(n_reopened > 0);

        CHECK(agent_alive(&agent));
        check_served(agent.socket);
        cr = roled_credentials_unref(cr);
        req.flags = ROLED_CREDENTIALS_FRESH;
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        for (size_t i = 0; i < 6; i++)
                msgpack_sbuffer_destroy(&seeds[i]);
        agent_stop(&agent);
        return 0;
}
