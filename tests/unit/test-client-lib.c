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
        unsigned n_close_unread;  /* close this many connections at once, unread */
        unsigned n_closed_unread; /* ... and how many it has closed so far */
        unsigned n_close_read;    /* close this many after reading a request, unanswered */
        unsigned creds_lifetime;  /* seconds until the credentials expire (0: 3600) */
        bool is_silent;           /* answer nothing, like a stopped agent */
        bool is_denying;          /* GetCredentials: AccessDenied */
        /* The params of the last Authorize or Simulate, packed again (under lock). */
        uint8_t last_params[4096];
        size_t last_params_len;
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

/* The longest role ARN AWS takes (RoleArn: 20..2048), for role "far". */
#define LONG_ARN_LEN 2048
#define LONG_ARN_HEAD "arn:aws:iam::123456789012:role/"

static const char *long_arn(void)
{
        static char arn[LONG_ARN_LEN + 1];

        if (!arn[0]) {
                memset(arn, 'p', LONG_ARN_LEN);
                memcpy(arn, LONG_ARN_HEAD, strlen(LONG_ARN_HEAD));
                memcpy(arn + LONG_ARN_LEN - 4, "/far", 4);
                arn[LONG_ARN_LEN] = '\0';
        }
        return arn;
}

/* The string param @key of request @m ("" when absent). */
static ProtoStr param_str(const ProtoMsg *m, const char *key)
{
        if (m->params && m->params->type == MSGPACK_OBJECT_MAP)
                for (uint32_t i = 0; i < m->params->via.map.size; i++) {
                        const msgpack_object_kv *kv = &m->params->via.map.ptr[i];

                        if (kv->key.type == MSGPACK_OBJECT_STR &&
                            kv->val.type == MSGPACK_OBJECT_STR &&
                            kv->key.via.str.size == strlen(key) &&
                            !memcmp(kv->key.via.str.ptr, key, strlen(key)))
                                return (ProtoStr){ kv->val.via.str.ptr, kv->val.via.str.size };
                }
        return proto_str("");
}

/*
 * GetRole's exeClaim and exeClaimCauses by the role asked: "far" none (an
 * agent from before them), "claimed" both right; the others are answers a
 * client must refuse.
 */
static void fake_exe_claim(ProtoStr role, ProtoGetRoleRep *rep)
{
        static const ProtoStr two[] = { { "exe", 3 }, { "permissions", 11 } };
        static const ProtoStr nul[] = { { "exe\0evil", 8 } };
        static ProtoStr many[PROTO_EXE_CLAIM_CAUSES_MAX + 1];
        static char long_name[PROTO_STRS_ITEM_MAX + 1];
        static const ProtoStr too_long[] = { { long_name, sizeof(long_name) } };

        for (size_t i = 0; i < PROTO_EXE_CLAIM_CAUSES_MAX + 1; i++)
                many[i] = proto_str("exe");
        memset(long_name, 'x', sizeof(long_name));
#define IS(name) (role.len == strlen(name) && !memcmp(role.ptr, name, role.len))
        if (IS("claimed")) {
                rep->has_exe_claim = true;
                rep->exe_claim_causes = (ProtoStrList){ two, 2 };
        } else if (IS("causes-but-no-claim")) {
                rep->exe_claim_causes = (ProtoStrList){ two, 2 };
        } else if (IS("claim-but-no-causes")) {
                rep->has_exe_claim = true;
                rep->exe_claim_causes = (ProtoStrList){ two, 0 };
        } else if (IS("claim-without-list")) {
                rep->has_exe_claim = true;
        } else if (IS("nul-in-cause")) {
                rep->has_exe_claim = true;
                rep->exe_claim_causes = (ProtoStrList){ nul, 1 };
        } else if (IS("too-many-causes")) {
                rep->has_exe_claim = true;
                rep->exe_claim_causes = (ProtoStrList){ many, PROTO_EXE_CLAIM_CAUSES_MAX + 1 };
        } else if (IS("long-cause")) {
                rep->has_exe_claim = true;
                rep->exe_claim_causes = (ProtoStrList){ too_long, 1 };
        }
#undef IS
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
        if ((m->method == PROTO_M_AUTHORIZE || m->method == PROTO_M_SIMULATE) && m->params) {
                msgpack_pack_object(&b.pk, *m->params);
                assert_true(b.len <= sizeof(f->last_params));
                memcpy(f->last_params, b.data, b.len);
                f->last_params_len = b.len;
                proto_buf_reset(&b);
        }
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
        case PROTO_M_LIST_ROLES:
                proto_pack_response_ok(&b, m->msgid);
                codec_encode_ListRolesRep(&b,
                                          &(ProtoListRolesRep){
                                                  .roles = { &(ProtoRoleSummary){
                                                                     .name = proto_str("far"),
                                                                     .description = proto_str(""),
                                                                     .arn = proto_str(long_arn()),
                                                                     .max_session_duration = 3600,
                                                                     .issuer = proto_str("aws"),
                                                                     .is_assumable = true,
                                                             },
                                                             1 },
                                          });
                break;
        case PROTO_M_GET_ROLE: {
                ProtoGetRoleRep rep = {
                        .name = proto_str("far"),
                        .arn = proto_str(long_arn()),
                        .role_id = proto_str("AROAEXAMPLEEXAMPLEEX"),
                        .description = proto_str(""),
                        .max_session_duration = 3600,
                        .issuer = proto_str("aws"),
                        .file = proto_str("/etc/roled/roles.d/far.ini"),
                };

                fake_exe_claim(param_str(m, "role"), &rep);
                proto_pack_response_ok(&b, m->msgid);
                codec_encode_GetRoleRep(&b, &rep);
                break;
        }
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
                        pthread_mutex_lock(&f->lock);
                        if (f->n_close_read > 0) {
                                /* As an agent killed after it read the request: no answer. */
                                f->n_close_read--;
                                if (m.method >= 0)
                                        f->n_requests[m.method]++;
                                pthread_mutex_unlock(&f->lock);
                                msgpack_zone_destroy(&zone);
                                return;
                        }
                        pthread_mutex_unlock(&f->lock);
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
                if (f->n_closed_unread < f->n_close_unread) {
                        /* As an agent killed right after accept(): the client's send fails. */
                        close(fd);
                        f->n_closed_unread++;
                        pthread_mutex_unlock(&f->lock);
                        continue;
                }
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

/*
 * The bytes libroled sent for Authorize and Simulate while it packed them by
 * hand (before proto/codec.h typed these requests), kept here as the
 * reference the typed requests must still match byte for byte.
 */
static void ref_pack_context(ProtoBuf *b, const roled_context_entry *ctx, size_t n)
{
        proto_pack_str(b, "context");
        msgpack_pack_map(&b->pk, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
                proto_pack_str(b, ctx[i].key);
                if (ctx[i].n_values == 1) {
                        proto_pack_str(b, ctx[i].values[0]);
                        continue;
                }
                msgpack_pack_array(&b->pk, (uint32_t)ctx[i].n_values);
                for (size_t j = 0; j < ctx[i].n_values; j++)
                        proto_pack_str(b, ctx[i].values[j]);
        }
}

/* The question both ask: action, resource, then region and context when given. */
static void ref_pack_question(ProtoBuf *b, const char *action, const char *resource,
                              const char *region, const roled_context_entry *ctx, size_t n_ctx)
{
        proto_pack_kv_str(b, "action", action);
        proto_pack_kv_str(b, "resource", resource);
        if (region)
                proto_pack_kv_str(b, "region", region);
        if (n_ctx)
                ref_pack_context(b, ctx, n_ctx);
}

static void ref_pack_authorize(ProtoBuf *b, const roled_authz_request *r)
{
        const roled_signed_request *sr = r->signed_request;
        bool has_akid = !sr && r->access_key_id;

        msgpack_pack_map(&b->pk, 3 + has_akid + !!r->region + !!r->n_context + 2 * !!sr);
        if (sr) {
                bool has_query = sr->query && *sr->query;

                proto_pack_str(b, "request");
                msgpack_pack_map(&b->pk, 4 + has_query);
                proto_pack_kv_str(b, "method", sr->method);
                proto_pack_kv_str(b, "path", sr->path);
                if (has_query)
                        proto_pack_kv_str(b, "query", sr->query);
                proto_pack_str(b, "headers");
                msgpack_pack_array(&b->pk, (uint32_t)sr->n_headers);
                for (size_t i = 0; i < sr->n_headers; i++) {
                        msgpack_pack_array(&b->pk, 2);
                        proto_pack_str(b, sr->headers[i].name);
                        proto_pack_str(b, sr->headers[i].value);
                }
                if (sr->payload_sha256)
                        proto_pack_kv_str(b, "payloadSha256", sr->payload_sha256);
                else
                        proto_pack_kv_bin(b, "body", sr->body ? sr->body : "",
                                          sr->body ? sr->body_len : 0);
                proto_pack_kv_str(b, "service", r->service);
                proto_pack_kv_str(b, "host", r->host);
        } else {
                proto_pack_kv_str(b, "sessionToken", r->session_token);
        }
        if (has_akid)
                proto_pack_kv_str(b, "accessKeyId", r->access_key_id);
        ref_pack_question(b, r->action, r->resource, r->region, r->context, r->n_context);
}

static void ref_pack_simulate(ProtoBuf *b, const roled_simulate_request *r)
{
        msgpack_pack_map(&b->pk,
                         3 + !!r->region + !!r->n_context + !!r->session_policy + !!r->principal);
        proto_pack_kv_str(b, "role", r->role);
        ref_pack_question(b, r->action, r->resource, r->region, r->context, r->n_context);
        if (r->session_policy)
                proto_pack_kv_str(b, "sessionPolicy", r->session_policy);
        if (r->principal)
                proto_pack_kv_str(b, "principal", r->principal);
}

/*
 * A role ARN as long as AWS allows comes back whole from ListRoles and
 * GetRole (the agent refuses a local role over 256 bytes, but an aws role's
 * ARN is STS's, and libroled has no fixed-size buffer for it).
 */
static void test_long_arn(void **state)
{
        Fake *f = fake_start("");
        roled_client *c = NULL;
        roled_role_list *l = NULL;
        roled_role *r = NULL;

        (void)state;
        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        assert_int_equal(roled_list_roles(c, &l, NULL), ROLED_OK);
        assert_int_equal(roled_role_list_count(l), 1);
        assert_int_equal(strlen(roled_role_list_arn(l, 0)), LONG_ARN_LEN);
        assert_string_equal(roled_role_list_arn(l, 0), long_arn());
        assert_int_equal(roled_get_role(c, "far", &r, NULL), ROLED_OK);
        assert_string_equal(roled_role_arn(r), long_arn());
        /* This agent's GetRole has no exeClaim (an agent from before it): unknown. */
        assert_int_equal(roled_role_exe_claim(r), -1);
        assert_int_equal(roled_role_exe_claim_cause_count(r), 0);
        assert_null(roled_role_exe_claim_cause(r, 0));
        roled_role_unref(r);
        roled_role_list_unref(l);
        roled_client_close(c);
        fake_stop(f);
}

/*
 * GetRole's exeClaim and exeClaimCauses from an agent: kept when they agree;
 * refused as a protocol error when they disagree, when a cause holds a NUL
 * or is longer than a name, or when there are more causes than allowed.
 * The error names the field the decoder refused.
 */
static void test_exe_claim_checked(void **state)
{
        static const char *const refused[] = { "causes-but-no-claim", "claim-but-no-causes",
                                               "claim-without-list" };
        Fake *f = fake_start("");
        roled_client *c = NULL;
        roled_role *r = NULL;
        roled_error e = ROLED_ERROR_INIT;

        (void)state;
        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        assert_int_equal(roled_get_role(c, "claimed", &r, NULL), ROLED_OK);
        assert_int_equal(roled_role_exe_claim(r), 1);
        assert_int_equal(roled_role_exe_claim_cause_count(r), 2);
        assert_string_equal(roled_role_exe_claim_cause(r, 0), "exe");
        assert_string_equal(roled_role_exe_claim_cause(r, 1), "permissions");
        assert_null(roled_role_exe_claim_cause(r, 2));
        roled_role_unref(r);
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                r = NULL;
                assert_int_equal(roled_get_role(c, refused[i], &r, &e), ROLED_E_PROTOCOL);
                assert_null(r);
                assert_non_null(strstr(roled_error_message(&e), "disagree"));
                roled_error_clear(&e);
        }
        for (int i = 0; i < 3; i++) {
                static const char *const bad[] = { "nul-in-cause", "too-many-causes",
                                                   "long-cause" };

                r = NULL;
                assert_int_equal(roled_get_role(c, bad[i], &r, &e), ROLED_E_PROTOCOL);
                assert_null(r);
                assert_string_equal(roled_error_message(&e),
                                    "roled sent a bad 'exeClaimCauses' field");
                roled_error_clear(&e);
        }
        /* The client still works. */
        assert_int_equal(roled_get_role(c, "far", &r, NULL), ROLED_OK);
        assert_int_equal(roled_role_exe_claim(r), -1);
        roled_role_unref(r);
        roled_client_close(c);
        fake_stop(f);
}

/*
 * Ask the fake Authorize @q (NULL: Simulate @sq) through @c, and check that
 * the params it received are the reference packer's bytes.
 */
static void assert_sends_same(Fake *f, roled_client *c, const roled_authz_request *q,
                              const roled_simulate_request *sq)
{
        roled_authz_result *res = NULL;
        roled_error e = ROLED_ERROR_INIT;
        ProtoBuf ref;

        proto_buf_init(&ref, false);
        if (q) {
                assert_int_equal(roled_authorize(c, q, &res, &e), ROLED_E_UNSUPPORTED_OPERATION);
                ref_pack_authorize(&ref, q);
        } else {
                assert_int_equal(roled_simulate(c, sq, &res, &e), ROLED_E_UNSUPPORTED_OPERATION);
                ref_pack_simulate(&ref, sq);
        }
        assert_null(res);
        roled_error_clear(&e);
        pthread_mutex_lock(&f->lock);
        assert_int_equal(f->last_params_len, ref.len);
        assert_memory_equal(f->last_params, ref.data, ref.len);
        f->last_params_len = 0;
        pthread_mutex_unlock(&f->lock);
        proto_buf_deinit(&ref);
}

static void test_authz_wire_bytes(void **state)
{
        static const char *const one[] = { "home/" }, *const two[] = { "a", "b" };
        const roled_context_entry ctx[] = {
                { "s3:prefix", one, 1 },
                { "s3:x-multi", two, 2 },
                { "roled:none", NULL, 0 },
                { "s3:single-list", two, 1 }, /* one value: a plain string */
        };
        const roled_header headers[] = { { "host", "example.com" },
                                         { "x-amz-date", "20300101T000000Z" },
                                         { "x-amz-date", "again" } };
        roled_signed_request sr = ROLED_SIGNED_REQUEST_INIT;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        roled_simulate_request sq = ROLED_SIMULATE_REQUEST_INIT;
        Fake *f = fake_start("");
        roled_client *c = NULL;

        (void)state;
        assert_int_equal(t_connect(f->path, &c), ROLED_OK);
        /* A session token with everything optional, then with nothing optional. */
        q.session_token = "dG9rZW4=";
        q.access_key_id = "ASIAAAAAAAAAAAAAAAAA";
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::b/k";
        q.region = "eu-west-1";
        q.context = ctx;
        q.n_context = ELEMENTSOF(ctx);
        assert_sends_same(f, c, &q, NULL);
        q.access_key_id = q.region = NULL;
        q.n_context = 0;
        assert_sends_same(f, c, &q, NULL);
        /* A signed request: with a query, repeated headers and a body; a hash; neither. */
        sr.method = "PUT";
        sr.path = "/b/k";
        sr.query = "x-id=PutObject&a=b";
        sr.headers = headers;
        sr.n_headers = ELEMENTSOF(headers);
        sr.body = "body\0bytes";
        sr.body_len = 10;
        q = (roled_authz_request)ROLED_AUTHZ_REQUEST_INIT;
        q.signed_request = &sr;
        q.service = "s3";
        q.host = "example.com";
        q.access_key_id = "ASIAAAAAAAAAAAAAAAAA"; /* not sent with a signed request */
        q.action = "s3:PutObject";
        q.resource = "arn:aws:s3:::b/k";
        q.context = ctx;
        q.n_context = 1;
        assert_sends_same(f, c, &q, NULL);
        sr.query = "";
        sr.payload_sha256 = "UNSIGNED-PAYLOAD";
        assert_sends_same(f, c, &q, NULL);
        sr.payload_sha256 = NULL;
        sr.body = NULL;
        sr.n_headers = 0;
        assert_sends_same(f, c, &q, NULL);
        /* Simulate with every optional field, then with none. */
        sq.role = "deploy";
        sq.action = "s3:GetObject";
        sq.resource = "*";
        sq.region = "us-east-1";
        sq.context = ctx;
        sq.n_context = ELEMENTSOF(ctx);
        sq.session_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
        sq.principal = "bob";
        assert_sends_same(f, c, NULL, &sq);
        sq.region = sq.session_policy = sq.principal = NULL;
        sq.n_context = 0;
        assert_sends_same(f, c, NULL, &sq);
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

/*
 * test_reconnect_send_fails() - the agent accepted the connection and died
 * before the call was written (kill -9 between accept and the client's
 * first request): send() fails with EPIPE, and the call goes out again on a
 * new connection at once.
 */
static void test_reconnect_send_fails(void **state)
{
        Fake *f = fake_start("");
        T_AUTO(roled_identity) id = NULL;
        roled_client *c = NULL;
        bool is_closed = false;

        pthread_mutex_lock(&f->lock);
        f->n_close_unread = 1;
        pthread_mutex_unlock(&f->lock);
        assert_int_equal(t_connect_timeout(f->path, 10000, &c), ROLED_OK);
        /* Wait until the fake has closed the connection libroled holds. */
        for (int i = 0; i < 5000 && !is_closed; i++) {
                pthread_mutex_lock(&f->lock);
                is_closed = f->n_closed_unread == 1;
                pthread_mutex_unlock(&f->lock);
                if (!is_closed)
                        usleep(1000);
        }
        assert_true(is_closed);
        /* Before the fix it waited, with no connection, until "no answer ... within 10000 ms". */
        assert_int_equal(t_whoami(c, &id), ROLED_OK);
        assert_string_equal(t_last_error(), "");
        assert_int_equal(roled_identity_uid(id), 1001);
        assert_int_equal(fake_count(f, PROTO_M_GET_CALLER_IDENTITY), 1);
        assert_int_equal(f->n_connections, 2);
        roled_client_close(c);
        fake_stop(f);
}

/* close_next() - have the fake close connections unread until @n_unread in all have been, then
 * the next @n_read after reading a request (unanswered). */
static void close_next(Fake *f, unsigned n_unread, unsigned n_read)
{
        pthread_mutex_lock(&f->lock);
        f->n_close_unread = n_unread;
        f->n_close_read = n_read;
        pthread_mutex_unlock(&f->lock);
}

/* connect_closed() - a client whose connection the fake closed unread, when it closed
 * @n_unread in all (0: connected as usual). */
static roled_client *connect_closed(Fake *f, unsigned n_unread)
{
        roled_client *c = NULL;
        bool is_closed = n_unread == 0;

        assert_int_equal(t_connect_timeout(f->path, 10000, &c), ROLED_OK);
        for (int i = 0; i < 5000 && !is_closed; i++) {
                pthread_mutex_lock(&f->lock);
                is_closed = f->n_closed_unread == n_unread;
                pthread_mutex_unlock(&f->lock);
                if (!is_closed)
                        usleep(1000);
        }
        assert_true(is_closed);
        return c;
}

/*
 * test_no_resend_after_read() - the agent read an Mfa (or a Login) and died
 * before answering: the call is not sent again (a second Mfa would reuse
 * the one-time code, a second Login register a second login) and fails
 * with ROLED_E_IO; the fake saw it exactly once.  The next call, on a new
 * connection, is served.
 */
static void test_no_resend_after_read(void **state)
{
        Fake *f = fake_start("");
        T_AUTO(roled_login_result) lr = NULL;
        roled_error e = ROLED_ERROR_INIT;
        T_AUTO(roled_identity) id = NULL;
        roled_client *c;

        (void)state;
        close_next(f, 0, 1);
        c = connect_closed(f, 0);
        assert_int_equal(t_note(roled_mfa(c, "123456", NULL, NULL, &e), &e), ROLED_E_IO);
        assert_non_null(strstr(t_last_error(), "closed the connection"));
        assert_null(strstr(t_last_error(), "123456"));
        assert_int_equal(fake_count(f, PROTO_M_MFA), 1);
        close_next(f, 0, 1);
        assert_int_equal(t_login(c, T_LOGIN_REQ(.event = ROLED_LOGIN_START, .user = "bob"), &lr),
                         ROLED_E_IO);
        assert_int_equal(fake_count(f, PROTO_M_LOGIN), 1);
        assert_int_equal(t_whoami(c, &id), ROLED_OK);
        assert_int_equal(f->n_connections, 3);
        roled_client_close(c);
        fake_stop(f);
}

/*
 * test_resend_after_read() - the agent read a GetCallerIdentity and died
 * before answering: it is idempotent, so it goes out again on a new
 * connection and is answered.
 */
static void test_resend_after_read(void **state)
{
        Fake *f = fake_start("");
        T_AUTO(roled_identity) id = NULL;
        roled_client *c;

        (void)state;
        close_next(f, 0, 1);
        c = connect_closed(f, 0);
        assert_int_equal(t_whoami(c, &id), ROLED_OK);
        assert_string_equal(t_last_error(), "");
        assert_int_equal(roled_identity_uid(id), 1001);
        assert_int_equal(fake_count(f, PROTO_M_GET_CALLER_IDENTITY), 2);
        assert_int_equal(f->n_connections, 2);
        roled_client_close(c);
        fake_stop(f);
}

/*
 * test_unsent_not_counted() - a send that failed before any byte left
 * (EPIPE on a connection the agent closed unread) does not count as a
 * send: an idempotent call then read by a dying agent is still sent once
 * more (three connections, two requests seen), and an Mfa that never
 * reached the agent goes out on the new connection (and gets the fake's
 * answer, not ROLED_E_IO).
 */
static void test_unsent_not_counted(void **state)
{
        Fake *f = fake_start("");
        T_AUTO(roled_identity) id = NULL;
        roled_error e = ROLED_ERROR_INIT;
        roled_client *c;

        (void)state;
        close_next(f, 1, 1);
        c = connect_closed(f, 1);
        assert_int_equal(t_whoami(c, &id), ROLED_OK);
        assert_string_equal(t_last_error(), "");
        assert_int_equal(fake_count(f, PROTO_M_GET_CALLER_IDENTITY), 2);
        assert_int_equal(f->n_connections, 3);
        roled_client_close(c);

        close_next(f, 2, 0);
        c = connect_closed(f, 2);
        assert_int_equal(t_note(roled_mfa(c, "123456", NULL, NULL, &e), &e),
                         ROLED_E_UNSUPPORTED_OPERATION);
        assert_int_equal(fake_count(f, PROTO_M_MFA), 1);
        assert_int_equal(f->n_connections, 5);
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
                cmocka_unit_test(test_exe_claim_checked),
                cmocka_unit_test(test_credentials_and_cache),
                cmocka_unit_test(test_stale_if_error),
                cmocka_unit_test(test_agent_error),
                cmocka_unit_test(test_authz_wire_bytes),
                cmocka_unit_test(test_reconnect),
                cmocka_unit_test(test_reconnect_send_fails),
                cmocka_unit_test(test_no_resend_after_read),
                cmocka_unit_test(test_resend_after_read),
                cmocka_unit_test(test_unsent_not_counted),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_status_json),
                cmocka_unit_test(test_long_arn),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
