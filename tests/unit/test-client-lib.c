/* SPDX-License-Identifier: MIT */
/*
 * test-client-lib.c - libroled against a scripted fake agent in a thread:
 * socket search order, "no agent", the round trip (notifications and stale
 * msgids skipped), error mapping and messages, the credential cache and its
 * margin rule, transparent reconnect, the request timeout, and the msgpack to
 * JSON writer behind t_agent_status_json().
 */
#undef NDEBUG
#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "../util/libtest.h"
#include "jsonmp.h"

/* The fake agent: one thread, one connection at a time, scripted by method. */
typedef struct Fake {
        char dir[64];
        char path[128];
        int listen_fd;
        int stop[2];
        pthread_t thread;
        pthread_mutex_t lock;
        unsigned n_requests[PROTO_M_COUNT];
        unsigned n_connections;
        bool is_one_per_conn; /* close each connection after one answer */
        /* Set by a test while the fake runs (under lock): */
        unsigned creds_lifetime; /* seconds until the credentials expire (0: 3600) */
        bool is_silent;          /* answer nothing, like a stopped agent */
        bool is_denying;         /* GetCredentials: AccessDenied */
} Fake;

/* make_tmpdir() - a fresh private directory /tmp/roled-test-?????? (mkdtemp's template). */
static void make_tmpdir(char *buf, size_t size)
{
        int n = snprintf(buf, size, "/tmp/roled-test-%6s", "");

        assert_true(n > 6 && (size_t)n < size);
        memset(buf + n - 6, 'X', 6);
        assert_non_null(mkdtemp(buf));
}

static void pack_creds(ProtoBuf *b, uint64_t exp)
{
        msgpack_pack_map(&b->pk, 10);
        proto_pack_kv_str(b, "accessKeyId", "ASIAAAAAAAAAAAAAAAAA");
        proto_pack_kv_str(b, "secretAccessKey", "0123456789012345678901234567890123456789");
        proto_pack_kv_str(b, "sessionToken", "dG9rZW4=");
        proto_pack_kv_uint(b, "expiration", exp);
        proto_pack_kv_str(b, "expirationIso", "2030-01-01T00:00:00Z");
        proto_pack_kv_str(b, "role", "deploy");
        proto_pack_kv_str(b, "roleArn", "arn:aws:iam::000000000000:role/deploy");
        proto_pack_kv_str(b, "assumedRoleArn", "arn:aws:sts::000000000000:assumed-role/deploy/s");
        proto_pack_kv_str(b, "sessionId", "abcdef");
        proto_pack_kv_str(b, "issuer", "local");
}

static void send_buf(int fd, ProtoBuf *b)
{
        assert_int_equal(send(fd, b->data, b->len, MSG_NOSIGNAL), (ssize_t)b->len);
        proto_buf_reset(b);
}

/* answer() - reply to one request; returns false when the fake should stay silent. */
static bool answer(Fake *f, int fd, const ProtoMsg *m)
{
        unsigned lifetime;
        bool is_silent, is_denying;
        ProtoBuf b;

        proto_buf_init(&b, false);
        pthread_mutex_lock(&f->lock);
        if (m->method >= 0)
                f->n_requests[m->method]++;
        lifetime = f->creds_lifetime ? f->creds_lifetime : 3600;
        is_silent = f->is_silent;
        is_denying = f->is_denying;
        pthread_mutex_unlock(&f->lock);
        if (is_silent) {
                proto_buf_deinit(&b);
                return false;
        }
        switch (m->method) {
        case PROTO_M_GET_CREDENTIALS:
                if (is_denying) {
                        proto_pack_response_error(&b, m->msgid, PROTO_ACCESS_DENIED,
                                                  "role deploy: not trusted");
                        break;
                }
                /* A notification and a stale answer first: the client must skip both. */
                proto_pack_notification(&b, "CredentialsRenewed");
                msgpack_pack_map(&b.pk, 0);
                send_buf(fd, &b);
                proto_pack_response_ok(&b, m->msgid + 1000);
                pack_creds(&b, 1);
                send_buf(fd, &b);
                proto_pack_response_ok(&b, m->msgid);
                pack_creds(&b, (uint64_t)time(NULL) + lifetime);
                break;
        case PROTO_M_REVOKE:
                proto_pack_response_error(
                        &b, m->msgid, PROTO_ACCESS_DENIED,
                        "role deploy: uid 1001 (bob) is not\na trusted principal");
                break;
        case PROTO_M_RELOAD:
                proto_buf_deinit(&b);
                return false;
        case PROTO_M_STATUS:
                proto_pack_response_ok(&b, m->msgid);
                msgpack_pack_map(&b.pk, 4);
                proto_pack_kv_str(&b, "version", "0.1.0 \"q\"");
                proto_pack_kv_uint(&b, "uptime", 42);
                proto_pack_kv_bool(&b, "ok", true);
                proto_pack_str(&b, "list");
                msgpack_pack_array(&b.pk, 2);
                msgpack_pack_nil(&b.pk);
                msgpack_pack_int64(&b.pk, -5);
                break;
        case PROTO_M_GET_CALLER_IDENTITY:
                proto_pack_response_ok(&b, m->msgid);
                codec_encode_GetCallerIdentityRep(
                        &b, &(ProtoGetCallerIdentityRep){
                                    .uid = 1001,
                                    .gid = 1001,
                                    .user = proto_str("bob"),
                                    .group = proto_str("bob"),
                                    .groups = { (const uint32_t[]){ 1001, 27 }, 2 },
                                    .pid = 42,
                                    .exe = proto_str("/usr/bin/x"),
                                    .unit = proto_str(""),
                                    .cgroup = proto_str("/"),
                                    .account = proto_str("000000000000"),
                                    .arn = proto_str("arn:aws:iam::000000000000:user/bob"),
                                    .identity_key = proto_str("1001:1001::/usr/bin/x"),
                            });
                break;
        default:
                proto_pack_response_error(&b, m->msgid, PROTO_UNSUPPORTED_OPERATION, "no");
                break;
        }
        send_buf(fd, &b);
        proto_buf_deinit(&b);
        return true;
}

static void serve(Fake *f, int fd)
{
        uint8_t buf[PROTO_MESSAGE_MAX];
        size_t len = 0;
        Scan s;

        scan_init(&s, sizeof(buf));
        for (;;) {
                size_t mlen;
                ssize_t n;
                int r = len ? scan_feed(&s, buf, len, &mlen) : SCAN_E_INCOMPLETE;

                if (r == 0) {
                        msgpack_zone zone;
                        msgpack_object obj;
                        ProtoMsg m;
                        bool is_answered;

                        msgpack_zone_init(&zone, 1024);
                        assert_int_equal(proto_decode(buf, mlen, &zone, &obj, &m), 0);
                        assert_int_equal(m.type, PROTO_REQUEST);
                        is_answered = answer(f, fd, &m);
                        msgpack_zone_destroy(&zone);
                        memmove(buf, buf + mlen, len - mlen);
                        len -= mlen;
                        scan_init(&s, sizeof(buf));
                        if (is_answered && f->is_one_per_conn)
                                return;
                        continue;
                }
                assert_int_equal(r, SCAN_E_INCOMPLETE);
                n = recv(fd, buf + len, sizeof(buf) - len, 0);
                if (n <= 0)
                        return;
                len += (size_t)n;
        }
}

static void *fake_main(void *arg)
{
        Fake *f = arg;

        for (;;) {
                struct pollfd p[2] = { { f->listen_fd, POLLIN, 0 }, { f->stop[0], POLLIN, 0 } };
                int fd;

                assert_true(poll(p, 2, -1) > 0);
                if (p[1].revents)
                        return NULL;
                fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                assert_true(fd >= 0);
                pthread_mutex_lock(&f->lock);
                f->n_connections++;
                pthread_mutex_unlock(&f->lock);
                serve(f, fd);
                close(fd);
        }
}

/* fake_start() - a fake agent listening on <tmpdir>/@sub/roled.sock (@sub may be ""). */
static Fake *fake_start(const char *sub)
{
        Fake *f = calloc(1, sizeof(*f));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char d[64];
        int n;

        assert_non_null(f);
        make_tmpdir(f->dir, sizeof(f->dir));
        snprintf(d, sizeof(d), "%.32s%s%.16s", f->dir, *sub ? "/" : "", sub);
        if (*sub)
                assert_int_equal(mkdir(d, 0700), 0);
        n = snprintf(f->path, sizeof(f->path), "%.63s/roled.sock", d);
        assert_true(n > 0 && (size_t)n < sizeof(sa.sun_path));
        memcpy(sa.sun_path, f->path, (size_t)n + 1);
        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->listen_fd >= 0);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->listen_fd, 16), 0);
        assert_int_equal(pipe(f->stop), 0);
        pthread_mutex_init(&f->lock, NULL);
        assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
        return f;
}

static unsigned fake_count(Fake *f, ProtoMethod m)
{
        unsigned n;

        pthread_mutex_lock(&f->lock);
        n = f->n_requests[m];
        pthread_mutex_unlock(&f->lock);
        return n;
}

static void fake_stop(Fake *f)
{
        char cmd[256];

        assert_int_equal(write(f->stop[1], "x", 1), 1);
        pthread_join(f->thread, NULL);
        close(f->listen_fd);
        close(f->stop[0]);
        close(f->stop[1]);
        pthread_mutex_destroy(&f->lock);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(f);
}

static void test_search_order(void **state)
{
        SocketList l;

        setenv("ROLED_SOCKET", "/x/agent.sock", 1);
        setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
        client_socket_search(&l);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.path[0], "/x/agent.sock");

        setenv("ROLED_SOCKET", "", 1);
        client_socket_search(&l);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.path[0], "/run/user/1000/roled/roled.sock");
        assert_string_equal(l.path[1], ROLED_RUNDIR "/roled.sock");

        unsetenv("ROLED_SOCKET");
        setenv("XDG_RUNTIME_DIR", "relative", 1);
        client_socket_search(&l);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.path[0], ROLED_RUNDIR "/roled.sock");

        unsetenv("XDG_RUNTIME_DIR");
        client_socket_search(&l);
        assert_int_equal(l.n, 1);
}

static void test_search_connects_user_socket(void **state)
{
        Fake *f = fake_start("roled");
        roled_client *c = NULL;
        T_AUTO(roled_identity) id = NULL;
        size_t n_groups;

        unsetenv("ROLED_SOCKET");
        setenv("XDG_RUNTIME_DIR", f->dir, 1);
        assert_int_equal(t_connect(NULL, &c), ROLED_OK);
        assert_string_equal(roled_client_socket_path(c), f->path);
        assert_int_equal(t_whoami(c, &id), ROLED_OK);
        assert_int_equal(roled_identity_uid(id), 1001);
        assert_string_equal(roled_identity_user(id), "bob");
        assert_int_equal(roled_identity_groups(id, &n_groups)[1], 27);
        assert_int_equal(n_groups, 2);
        roled_client_close(c);
        unsetenv("XDG_RUNTIME_DIR");
        fake_stop(f);
}

static void test_no_agent(void **state)
{
        char dir[64], path[96];
        roled_client *c = NULL;
        struct stat st;

        make_tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/roled.sock", dir);
        assert_int_equal(t_connect(path, &c), ROLED_E_NO_AGENT);
        assert_null(c);
        assert_non_null(strstr(t_last_error(), path));
        assert_non_null(strstr(t_last_error(), "No such file or directory"));

        /* $ROLED_SOCKET is the only candidate when set. */
        setenv("ROLED_SOCKET", path, 1);
        assert_int_equal(t_connect(NULL, &c), ROLED_E_NO_AGENT);
        unsetenv("ROLED_SOCKET");

        /* A user dir without a socket falls through to the system socket. */
        setenv("XDG_RUNTIME_DIR", dir, 1);
        if (lstat(ROLED_RUNDIR "/roled.sock", &st) < 0) {
                assert_int_equal(t_connect(NULL, &c), ROLED_E_NO_AGENT);
                assert_non_null(strstr(t_last_error(), ROLED_RUNDIR "/roled.sock"));
        }
        unsetenv("XDG_RUNTIME_DIR");

        /* A stale socket file with nobody listening. */
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);

                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
                assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
                close(fd);
                assert_int_equal(t_connect(path, &c), ROLED_E_NO_AGENT);
                assert_non_null(strstr(t_last_error(), "Connection refused"));
                unlink(path);
        }
        rmdir(dir);
}

static void test_untrusted_dir_mode(void **state)
{
        Fake *f = fake_start("");
        roled_client *c = NULL;

        /* A directory anyone may write to lets anyone plant a socket... */
        assert_int_equal(chmod(f->dir, 0777), 0);
        assert_int_equal(t_connect(f->path, &c), ROLED_E_UNTRUSTED_AGENT);
        assert_non_null(strstr(t_last_error(), "writable by others"));
        /* ...unless it is sticky, like /tmp. */
        assert_int_equal(chmod(f->dir, 01777), 0);
        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        roled_client_close(c);
        fake_stop(f);
}

static void test_credentials_and_cache(void **state)
{
        Fake *f = fake_start("");
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "deploy" };
        T_AUTO(roled_credentials) cr = NULL, *cr2 = NULL;
        roled_client *c = NULL;

        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        assert_int_equal(t_get_credentials(c, &req, &cr), ROLED_OK);
        assert_string_equal(roled_credentials_access_key_id(cr), "ASIAAAAAAAAAAAAAAAAA");
        assert_string_equal(roled_credentials_session_token(cr), "dG9rZW4=");
        assert_string_equal(roled_credentials_role(cr), "deploy");
        assert_true(roled_credentials_expiration(cr) > time(NULL) + 3000);
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 1);

        /* Same key: from the cache. */
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        assert_string_equal(roled_credentials_secret_access_key(cr2),
                            roled_credentials_secret_access_key(cr));
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 1);
        cr2 = roled_credentials_unref(cr2);

        /* Another duration, another policy, the default role, or is_fresh: the agent. */
        req.duration_seconds = 900;
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        cr2 = roled_credentials_unref(cr2);
        req.session_policy = "{}";
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        cr2 = roled_credentials_unref(cr2);
        assert_int_equal(t_get_credentials(c, NULL, &cr2), ROLED_OK);
        cr2 = roled_credentials_unref(cr2);
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 4);
        req.flags = ROLED_CREDENTIALS_FRESH;
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        cr2 = roled_credentials_unref(cr2);
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 5);
        req.flags = 0;
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        cr2 = roled_credentials_unref(cr2);
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 5);
        /* All of it over one connection. */
        assert_int_equal(f->n_connections, 1);

        cr = roled_credentials_unref(cr);
        assert_null(cr);
        roled_client_close(c);
        fake_stop(f);
}

static void fake_set(Fake *f, unsigned lifetime, bool is_silent, bool is_denying)
{
        pthread_mutex_lock(&f->lock);
        f->creds_lifetime = lifetime;
        f->is_silent = is_silent;
        f->is_denying = is_denying;
        pthread_mutex_unlock(&f->lock);
}

/*
 * Stale-if-error: credentials due for renewal but not expired are served when
 * the agent does not answer, never when it answers no, and never once expired.
 */
static void test_stale_if_error(void **state)
{
        Fake *f = fake_start("");
        roled_credentials_request req = { .size = sizeof(req), .role = "deploy" };
        T_AUTO(roled_credentials) cr = NULL, *cr2 = NULL;
        roled_client *c = NULL;

        /* 10 minutes left of a 1 h session: past the 20-minute margin, so every call asks. */
        fake_set(f, 600, false, false);
        assert_int_equal(t_connect_timeout(f->path, 300, &c), ROLED_OK);
        assert_int_equal(t_get_credentials(c, &req, &cr), ROLED_OK);
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 2);
        assert_true(cr2 != cr);

        /* The agent stops answering: the cached set, still valid, is the answer. */
        fake_set(f, 600, true, false);
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        assert_string_equal(t_last_error(), "");
        assert_int_equal(fake_count(f, PROTO_M_GET_CREDENTIALS), 3);
        assert_true(roled_credentials_expiration(cr2) > time(NULL));

        /* An answer that says no is not masked. */
        fake_set(f, 600, false, true);
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_E_ACCESS_DENIED);
        assert_null(cr2);
        assert_string_equal(t_last_error(), "role deploy: not trusted");

        /* A set that expires in a second is served stale only until it expires. */
        fake_set(f, 1, false, false);
        req.duration_seconds = 900;
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_OK);
        fake_set(f, 1, true, false);
        while (time(NULL) < roled_credentials_expiration(cr2))
                usleep(50 * 1000);
        assert_int_equal(t_get_credentials(c, &req, &cr2), ROLED_E_TIMEOUT);
        assert_non_null(strstr(t_last_error(), "within 300 ms"));
        roled_client_close(c);
        fake_stop(f);
}

static void test_agent_error(void **state)
{
        Fake *f = fake_start("");
        roled_client *c = NULL;
        uint32_t n = 7;

        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        assert_int_equal(t_revoke(c, "deploy", &n), ROLED_E_ACCESS_DENIED);
        assert_int_equal(n, 7);
        /* The message is the agent's, on one line. */
        assert_string_equal(t_last_error(),
                            "role deploy: uid 1001 (bob) is not a trusted principal");
        assert_string_equal(roled_status_name(ROLED_E_ACCESS_DENIED), "AccessDenied");
        assert_string_equal(roled_status_name(ROLED_E_INTERNAL), "Internal");
        assert_string_equal(roled_status_name(ROLED_E_NO_AGENT), "NoAgent");
        assert_int_equal(status_from_proto(PROTO_INVALID_TOKEN), ROLED_E_INVALID_TOKEN);
        assert_int_equal(status_from_proto(PROTO_THROTTLING), ROLED_E_THROTTLING);
        roled_client_close(c);
        fake_stop(f);
}

static void test_reconnect(void **state)
{
        Fake *f = fake_start("");
        T_AUTO(roled_identity) id = NULL;
        roled_client *c = NULL;

        f->is_one_per_conn = true;
        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        /* The fake closes after each answer, as the agent does with idle connections. */
        for (int i = 0; i < 3; i++) {
                assert_int_equal(t_whoami(c, &id), ROLED_OK);
                assert_string_equal(t_last_error(), "");
        }
        assert_int_equal(fake_count(f, PROTO_M_GET_CALLER_IDENTITY), 3);
        assert_int_equal(f->n_connections, 3);
        roled_client_close(c);
        fake_stop(f);
}

static void test_timeout(void **state)
{
        Fake *f = fake_start("");
        roled_client *c = NULL;
        struct timespec t0, t1;
        char *json = NULL;
        long ms;

        assert_int_equal(t_connect_timeout(f->path, 200, &c), ROLED_OK);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(t_reload(c, NULL), ROLED_E_TIMEOUT);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        assert_true(ms >= 190 && ms < 2000);
        assert_non_null(strstr(t_last_error(), "within 200 ms"));
        /* The connection stays: a late answer would be dropped by its msgid. */
        assert_int_equal(t_agent_status_json(c, &json), ROLED_OK);
        free(json);
        assert_int_equal(f->n_connections, 1);
        roled_client_close(c);
        fake_stop(f);
}

static void test_status_json(void **state)
{
        Fake *f = fake_start("");
        roled_client *c = NULL;
        json_error_t err;
        char *text = NULL;
        json_t *o;

        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        assert_int_equal(t_agent_status_json(c, &text), ROLED_OK);
        o = json_loads(text, 0, &err);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "version")), "0.1.0 \"q\"");
        assert_int_equal(json_integer_value(json_object_get(o, "uptime")), 42);
        assert_true(json_is_true(json_object_get(o, "ok")));
        assert_true(json_is_null(json_array_get(json_object_get(o, "list"), 0)));
        assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "list"), 1)), -5);
        json_decref(o);
        free(text);
        roled_client_close(c);
        fake_stop(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_search_order),
                cmocka_unit_test(test_search_connects_user_socket),
                cmocka_unit_test(test_no_agent),
                cmocka_unit_test(test_untrusted_dir_mode),
                cmocka_unit_test(test_credentials_and_cache),
                cmocka_unit_test(test_stale_if_error),
                cmocka_unit_test(test_agent_error),
                cmocka_unit_test(test_reconnect),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_status_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
