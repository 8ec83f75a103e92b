/* SPDX-License-Identifier: MIT */
/*
 * test-dispatch - the request layer without root: the agent's own modules
 * (config, keys, sessions, issuers, conn.c, dispatch.c, the handlers) in this
 * process, one end of a socketpair adopted as a connection (conn_adopt())
 * with an injected identity, the other end driven with raw MessagePack-RPC.
 *
 * The identity is this process as identity_from_socket() attests it, with
 * the uid, gid and names replaced by those of an unprivileged caller
 * (INJECTED_UID) that only the role "open" trusts: the agent's decisions see
 * that caller, while the kernel's SCM_CREDENTIALS still name this process,
 * as conn.c checks for every chunk.  Runs as any user, root or not.
 */
#undef NDEBUG
#include <errno.h>
#include <msgpack.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "access.h"
#include "agent.h"
#include "config.h"
#include "conn.h"
#include "exehash.h"
#include "flights.h"
#include "hashq.h"
#include "identity.h"
#include "issuer.h"
#include "keys.h"
#include "logins.h"
#include "policystore.h"
#include "reload.h"
#include "revocations.h"
#include "sessions.h"
#include "tokencache.h"
#include "rpc.h"
#include "util.h"

#define INJECTED_UID 4242
#define REPLY_WAIT_MS 5000

static char dir[] = "/tmp/roled-test-dispatch.XXXXXX";
static uv_loop_t loop;
static Agent agent = { .clock = CLOCK_SYSTEM };

/* The client end of one adopted connection and what has come back on it. */
typedef struct Client {
        int fd;
        msgpack_unpacker up;
        msgpack_unpacked u;
} Client;

/* A response, picked apart: msgid, error code ("" on success) and message, the result map. */
typedef struct Resp {
        uint32_t msgid;
        char code[64];
        char message[512];
        msgpack_object result;
} Resp;

/*
 * pack_request() - [0, msgid, method, [{k: v, ...}]] with @n_kv string
 * pairs appended to @sb; a value "#N" is packed as the number N.
 */
static void pack_request(msgpack_sbuffer *sb, uint32_t msgid, const char *method, int n_kv, ...)
{
        ProtoBuf b;
        va_list ap;

        proto_buf_init(&b, false);
        proto_pack_request(&b, msgid, method);
        msgpack_pack_map(&b.pk, (uint32_t)n_kv);
        va_start(ap, n_kv);
        for (int i = 0; i < n_kv; i++) {
                const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);

                if (v[0] == '#')
                        proto_pack_kv_uint(&b, k, strtoull(v + 1, NULL, 10));
                else
                        proto_pack_kv_str(&b, k, v);
        }
        va_end(ap);
        msgpack_sbuffer_write(sb, (const char *)b.data, b.len);
        proto_buf_deinit(&b);
}

static void copy_str(const msgpack_object *o, char *buf, size_t size)
{
        size_t n = o && o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;

        if (n >= size)
                n = size - 1;
        memcpy(buf, n ? o->via.str.ptr : "", n);
        buf[n] = '\0';
}

/* resp_parse() - @o as [1, msgid, error, result].  Return: true if it is one. */
static bool resp_parse(const msgpack_object *o, Resp *r)
{
        const msgpack_object *a = o->via.array.ptr;

        if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
            a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != 1 ||
            a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                return false;
        r->msgid = (uint32_t)a[1].via.u64;
        r->code[0] = r->message[0] = '\0';
        if (a[2].type == MSGPACK_OBJECT_MAP) {
                copy_str(proto_get(&a[2], "code"), r->code, sizeof(r->code));
                copy_str(proto_get(&a[2], "message"), r->message, sizeof(r->message));
        }
        r->result = a[3];
        return true;
}

static const char *resp_str(const msgpack_object *map, const char *key, char *buf, size_t size)
{
        copy_str(map->type == MSGPACK_OBJECT_MAP ? proto_get(map, key) : NULL, buf, size);
        return buf;
}

static long long resp_uint(const msgpack_object *map, const char *key)
{
        const msgpack_object *o = proto_get(map, key);

        return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long long)o->via.u64 : -1;
}

static void put(const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
        char text[1024], why[512], *err = NULL;

        (void)state;
        assert_true(sodium_init() >= 0);
        assert_non_null(mkdtemp(dir));
        snprintf(text, sizeof(text), "%s/roles.d", dir);
        assert_int_equal(mkdir(text, 0700), 0);
        snprintf(text, sizeof(text), "[agent]\nkey_dir = %s/keys\n", dir);
        put("roled.ini", text);
        snprintf(text, sizeof(text), "[role]\nname = open\n[trust]\nuids = %d\n", INJECTED_UID);
        put("roles.d/10-open.ini", text);
        put("roles.d/20-closed.ini", "[role]\nname = closed\n[trust]\nuids = 1\n");

        /* What main() builds, minus the listener, the signals and the hardening. */
        agent.uid = getuid();
        agent.started = agent_now(&agent);
        agent.max_conns_per_uid = 64;
        agent.config_path = strdup(dir);
        assert_non_null(agent.config_path);
        if (agent_load_config(&agent, why, sizeof(why)) != 0)
                fail_msg("configuration: %s", why);
        if (keys_load(&agent.keys, agent.config->key_dir, agent_now(&agent), &err) != 0)
                fail_msg("keys: %s", err ? err : "?");
        agent.key_dir = strdup(agent.config->key_dir);
        assert_int_equal(sessions_new(&agent.sessions), 0);
        assert_int_equal(revocation_new(&agent.revoked), 0);
        assert_int_equal(policy_store_new(&agent.session_policies,
                                          agent.config->session_policy_bytes_max,
                                          agent.config->session_policy_uid_bytes_max),
                         0);
        assert_int_equal(tokencache_new(&agent.tokens), 0);
        assert_int_equal(flights_new(&agent, &agent.flights), 0);
        assert_int_equal(logins_new(&agent.logins), 0);
        assert_int_equal(exehash_cache_new(&agent.exehash, EXEHASH_CACHE_ENTRIES_DEFAULT), 0);
        assert_int_equal(uv_loop_init(&loop), 0);
        agent.loop = &loop;
        assert_int_equal(issuers_init(&agent), 0);
        assert_int_equal(
                hashq_new(&agent.hashq, &loop, agent.exehash, agent.config->exe_hash_max_size), 0);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];

        (void)state;
        agent.is_stopping = true;
        conn_close_all(&agent);
        issuers_fini(&agent);
        hashq_close(agent.hashq);
        agent.hashq = NULL;
        uv_run(&loop, UV_RUN_DEFAULT);
        assert_int_equal(uv_loop_close(&loop), 0);
        agent.flights = flights_free(agent.flights);
        agent.sessions = sessions_free(agent.sessions);
        agent.revoked = revocation_free(agent.revoked);
        agent.keys = keys_free(agent.keys);
        agent.exehash = exehash_cache_free(agent.exehash);
        agent.access = access_policies_free(agent.access);
        agent.session_policies = policy_store_free(agent.session_policies);
        agent.tokens = tokencache_free(agent.tokens);
        agent.logins = logins_free(agent.logins);
        agent.config = config_free(agent.config);
        uidcount_deinit(&agent.conns_per_uid);
        uidcount_deinit(&agent.parked_per_uid);
        free(agent.config_path);
        free(agent.key_dir);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* client_open() - a socketpair whose agent end is adopted with the injected identity. */
static void client_open(Client *cl)
{
        Identity id = IDENTITY_INIT;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        /* This process, attested as the agent attests any peer ... */
        assert_int_equal(identity_from_socket(sv[1], &id), 0);
        /* ... then presented as an unprivileged caller, whose messages the kernel names
         * with this process's real ids. */
        id.ruid = getuid();
        id.rgid = getgid();
        id.has_real_ids = true;
        id.uid = id.gid = INJECTED_UID;
        id.n_gids = 0;
        snprintf(id.user, sizeof(id.user), "injected");
        snprintf(id.group, sizeof(id.group), "injected");
        free(id.key);
        assert_true(asprintf(&id.key, "%u:%u::%s", INJECTED_UID, INJECTED_UID, id.exe) > 0);
        assert_int_equal(conn_adopt(&agent, sv[1], &id), 0);
        identity_deinit(&id);
        cl->fd = sv[0];
        assert_true(msgpack_unpacker_init(&cl->up, 4096));
        msgpack_unpacked_init(&cl->u);
}

static void client_close(Client *cl)
{
        close(cl->fd);
        msgpack_unpacked_destroy(&cl->u);
        msgpack_unpacker_destroy(&cl->up);
        /* Let the agent see the end of stream and free the connection. */
        for (int i = 0; i < 100 && agent.n_conns > 0; i++)
                uv_run(&loop, UV_RUN_NOWAIT);
}

static void client_send(Client *cl, const void *p, size_t n)
{
        assert_int_equal(send(cl->fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/*
 * client_next() - run the agent's loop until the next whole message arrives.
 * Return: 1 with it in cl->u, 0 when the agent closed the connection.
 */
static int client_next(Client *cl)
{
        for (int waited = 0; waited < REPLY_WAIT_MS; waited++) {
                struct pollfd p = { .fd = cl->fd, .events = POLLIN };
                ssize_t n;

                if (msgpack_unpacker_next(&cl->up, &cl->u) == MSGPACK_UNPACK_SUCCESS)
                        return 1;
                uv_run(&loop, UV_RUN_NOWAIT);
                if (poll(&p, 1, 1) <= 0)
                        continue;
                assert_true(msgpack_unpacker_reserve_buffer(&cl->up, 4096));
                n = recv(cl->fd, msgpack_unpacker_buffer(&cl->up), 4096, MSG_DONTWAIT);
                if (n == 0)
                        return 0;
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                assert_true(n > 0);
                msgpack_unpacker_buffer_consumed(&cl->up, (size_t)n);
        }
        fail_msg("no reply within %d ms", REPLY_WAIT_MS);
        return -1;
}

/* client_reply() - the next reply, which must answer @msgid with error @code ("" for success). */
static Resp client_reply(Client *cl, uint32_t msgid, const char *code)
{
        Resp r;

        assert_int_equal(client_next(cl), 1);
        assert_true(resp_parse(&cl->u.data, &r));
        assert_int_equal(r.msgid, msgid);
        if (strcmp(r.code, code) != 0)
                fail_msg("msgid %u: expected '%s', got '%s' (%s)", msgid, code, r.code, r.message);
        return r;
}

/* call() - one request with @n_kv string pairs; its reply must carry @code. */
static Resp call(Client *cl, uint32_t msgid, const char *method, const char *code, int n_kv, ...)
{
        msgpack_sbuffer sb;
        va_list ap;

        msgpack_sbuffer_init(&sb);
        va_start(ap, n_kv);
        switch (n_kv) {
        case 0:
                pack_request(&sb, msgid, method, 0);
                break;
        case 1: {
                const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);

                pack_request(&sb, msgid, method, 1, k, v);
                break;
        }
        default: {
                const char *k1 = va_arg(ap, const char *), *v1 = va_arg(ap, const char *);
                const char *k2 = va_arg(ap, const char *), *v2 = va_arg(ap, const char *);

                pack_request(&sb, msgid, method, 2, k1, v1, k2, v2);
                break;
        }
        }
        va_end(ap);
        client_send(cl, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        return client_reply(cl, msgid, code);
}

/* A method served: the handler sees the injected caller, not this process's uid. */
static void test_served(void **state)
{
        Client cl;
        char buf[256];
        Resp r;

        (void)state;
        client_open(&cl);
        r = call(&cl, 1, "GetCallerIdentity", "", 0);
        assert_int_equal(resp_uint(&r.result, "uid"), INJECTED_UID);
        assert_string_equal(resp_str(&r.result, "user", buf, sizeof(buf)), "injected");
        r = call(&cl, 2, "GetCredentials", "", 1, "role", "open");
        assert_true(strlen(resp_str(&r.result, "accessKeyId", buf, sizeof(buf))) > 0);
        assert_string_equal(resp_str(&r.result, "role", buf, sizeof(buf)), "open");
        /* The same caller again: the session cache answers with the same session. */
        r = call(&cl, 3, "GetCredentials", "", 1, "role", "open");
        client_close(&cl);
}

/* The sessionIds of a ListSessions result, as one comma-joined string in @buf. */
static const char *listed_ids(const msgpack_object *result, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        assert_int_equal(result->type, MSGPACK_OBJECT_MAP);
        for (uint32_t i = 0; i < result->via.map.size; i++) {
                const msgpack_object_kv *kv = &result->via.map.ptr[i];

                if (kv->key.via.str.size != 8 || memcmp(kv->key.via.str.ptr, "sessions", 8) != 0)
                        continue;
                assert_int_equal(kv->val.type, MSGPACK_OBJECT_ARRAY);
                for (uint32_t k = 0; k < kv->val.via.array.size; k++) {
                        char sid[80];

                        resp_str(&kv->val.via.array.ptr[k], "sessionId", sid, sizeof(sid));
                        len += (size_t)snprintf(buf + len, size - len, "%s,", sid);
                        assert_true(len < size);
                }
        }
        return buf;
}

/*
 * ListSessions and Revoke of one session id: the injected caller sees and
 * ends only its own sessions; another uid's is neither listed nor ended, and
 * naming it answers as an unknown id would.
 */
static void test_sessions_own_only(void **state)
{
        static const char other_sid[] = "0123456789abcdef0123456789abcdef";
        Credentials other = CREDENTIALS_INIT;
        int64_t now = agent_now(&agent);
        char sid[80], ids[4096];
        const Session *s;
        Client cl;
        Resp r;

        (void)state;
        client_open(&cl);
        r = call(&cl, 1, "GetCredentials", "", 1, "role", "open");
        resp_str(&r.result, "sessionId", sid, sizeof(sid));
        assert_int_equal(strlen(sid), 32);
        /* Another uid's session, as the agent holds one. */
        snprintf(other.akid, sizeof(other.akid), "ASIAOTHERUIDSESSION1");
        snprintf(other.sid, sizeof(other.sid), "%s", other_sid);
        other.issuer = "local";
        assert_int_equal(sessions_insert(agent.sessions, "other-uid-key", &other, now, now + 3600,
                                         &(SessionOwner){ 7, SESSIONS_NO_LOGIN, "other" }, "open",
                                         &s),
                         0);

        r = call(&cl, 2, "ListSessions", "", 0);
        listed_ids(&r.result, ids, sizeof(ids));
        assert_non_null(strstr(ids, sid));
        assert_null(strstr(ids, other_sid));
        r = call(&cl, 3, "ListSessions", "", 1, "uid", "#4242");
        assert_non_null(strstr(listed_ids(&r.result, ids, sizeof(ids)), sid));
        call(&cl, 4, "ListSessions", "AccessDenied", 1, "uid", "#7");
        call(&cl, 5, "ListSessions", "InvalidParameterValue", 1, "maxItems", "#0");
        r = call(&cl, 6, "Revoke", "NoSuchEntity", 1, "sessionId", other_sid);
        assert_null(strstr(r.message, "other"));
        assert_non_null(sessions_find_id(agent.sessions, other_sid));
        /* Its own, exactly: the other uid's stays. */
        r = call(&cl, 7, "Revoke", "", 1, "sessionId", sid);
        assert_int_equal(resp_uint(&r.result, "revoked"), 1);
        assert_null(sessions_find_id(agent.sessions, sid));
        assert_non_null(sessions_find_id(agent.sessions, other_sid));
        assert_int_equal(sessions_revoke_id(agent.sessions, other_sid, NULL, NULL), 0);
        client_close(&cl);
}

/*
 * One connection remembers the session it was last served (handlers_session.c
 * memo_lookup()): asked again it gets the same, but once that session is
 * revoked or expired from the cache the next answer is a new session, never
 * the one that left.
 */
/* get_live() - GetCredentials for role open; what it served must be a live cached session. */
static void get_live(Client *cl, uint32_t msgid, char *akid, size_t akid_size, char *sid,
                     size_t sid_size)
{
        Resp r = call(cl, msgid, "GetCredentials", "", 1, "role", "open");
        const Session *s;

        resp_str(&r.result, "accessKeyId", akid, akid_size);
        resp_str(&r.result, "sessionId", sid, sid_size);
        s = sessions_find_id(agent.sessions, sid);
        assert_non_null(s);
        assert_string_equal(s->creds.akid, akid);
}

static void test_memo_follows_cache(void **state)
{
        char a1[40], a2[40], a3[40], a4[40], sid[80], sid3[80];
        Client cl;
        Resp r;

        (void)state;
        client_open(&cl);
        get_live(&cl, 1, a1, sizeof(a1), sid, sizeof(sid));
        get_live(&cl, 2, a2, sizeof(a2), sid3, sizeof(sid3));
        assert_string_equal(a1, a2);
        r = call(&cl, 3, "Revoke", "", 1, "sessionId", sid);
        assert_int_equal(resp_uint(&r.result, "revoked"), 1);
        /* The uid's connections are told (SessionsRevoked), this one too. */
        assert_int_equal(client_next(&cl), 1);
        assert_int_equal(cl.u.data.type, MSGPACK_OBJECT_ARRAY);
        assert_int_equal(cl.u.data.via.array.ptr[0].via.u64, PROTO_NOTIFICATION);
        get_live(&cl, 4, a3, sizeof(a3), sid3, sizeof(sid3));
        assert_string_not_equal(a3, a1);
        /* Expired out of the cache behind the connection's back. */
        assert_int_equal(sessions_expire(agent.sessions, INT64_MAX), 1);
        get_live(&cl, 5, a4, sizeof(a4), sid3, sizeof(sid3));
        assert_string_not_equal(a4, a3);
        assert_string_not_equal(a4, a1);
        client_close(&cl);
}

/* Methods refused for this identity, while the connection keeps serving it. */
static void test_refused(void **state)
{
        Client cl;
        Resp r;

        (void)state;
        client_open(&cl);
        r = call(&cl, 1, "GetCredentials", "AccessDenied", 1, "role", "closed");
        assert_non_null(strstr(r.message, "closed"));
        /* Admin-only methods: the injected uid is neither root nor the agent's. */
        call(&cl, 2, "Reload", "AccessDenied", 0);
        /* A role the caller may not see is not told apart from one that does not exist. */
        call(&cl, 3, "GetRole", "AccessDenied", 1, "role", "nosuchrole");
        call(&cl, 4, "GetCallerIdentity", "", 0);
        client_close(&cl);
}

/* Bad parameters and unknown methods are answered and the connection stays. */
static void test_bad_request_kept(void **state)
{
        Client cl;

        (void)state;
        client_open(&cl);
        call(&cl, 1, "NoSuchMethod", "UnsupportedOperation", 0);
        call(&cl, 2, "GetCredentials", "InvalidParameterValue", 1, "durationSeconds", "soon");
        call(&cl, 3, "GetCredentials", "InvalidParameterValue", 2, "role", "open",
             "durationSeconds", "#5");
        call(&cl, 4, "GetRole", "InvalidParameter", 0);
        call(&cl, 5, "GetCallerIdentity", "", 0);
        client_close(&cl);
}

/*
 * n_items() - the entries of the map or array whose body starts at @s (just
 * after its '{' or '['), in pack_spec()'s notation: commas outside nested
 * brackets and quotes, plus one, or 0 for an empty one.
 */
static uint32_t n_items(const char *s)
{
        uint32_t n = 0;
        bool is_empty = true;
        int depth = 0;

        for (;; s++) {
                switch (*s) {
                case '\'':
                        s = strchr(s + 1, '\'');
                        assert_non_null(s);
                        is_empty = false;
                        break;
                case '{':
                case '[':
                        depth++;
                        is_empty = false;
                        break;
                case '}':
                case ']':
                        if (depth-- == 0)
                                return is_empty ? 0 : n + 1;
                        break;
                case ',':
                        n += depth == 0;
                        break;
                case '\0':
                        fail_msg("unbalanced spec");
                        return 0;
                default:
                        is_empty = false;
                }
        }
}

/*
 * pack_spec() - pack the value @*sp spells and move past it: {k:v,...},
 * [v,...], 'string', a decimal uint, or ~ for nil (no blanks anywhere).
 */
static void pack_spec(msgpack_packer *pk, const char **sp)
{
        const char *s = *sp, *end;
        bool is_map = *s == '{';
        uint32_t n;
        char *after;

        switch (*s) {
        case '{':
        case '[':
                n = n_items(s + 1);
                if (is_map)
                        msgpack_pack_map(pk, n);
                else
                        msgpack_pack_array(pk, n);
                s++;
                for (uint32_t i = 0; i < n; i++) {
                        if (i)
                                assert_int_equal(*s++, ',');
                        pack_spec(pk, &s);
                        if (is_map) {
                                assert_int_equal(*s++, ':');
                                pack_spec(pk, &s);
                        }
                }
                assert_int_equal(*s++, is_map ? '}' : ']');
                break;
        case '\'':
                end = strchr(s + 1, '\'');
                msgpack_pack_str_with_body(pk, s + 1, (size_t)(end - s - 1));
                s = end + 1;
                break;
        case '~':
                msgpack_pack_nil(pk);
                s++;
                break;
        default:
                msgpack_pack_uint64(pk, strtoull(s, &after, 10));
                assert_true(after != s);
                s = after;
        }
        *sp = s;
}

/* call_spec() - one @method request whose params map pack_spec() makes of @spec. */
static Resp call_spec(Client *cl, uint32_t msgid, const char *method, const char *spec,
                      const char *code)
{
        ProtoBuf b;
        const char *s = spec;

        proto_buf_init(&b, false);
        proto_pack_request(&b, msgid, method);
        pack_spec(&b.pk, &s);
        assert_int_equal(*s, '\0');
        client_send(cl, b.data, b.len);
        proto_buf_deinit(&b);
        return client_reply(cl, msgid, code);
}

/*
 * Authorize's "request" and "context" are decoded whole, as one parameter
 * each (PROTOCOL.md, Authorize): anything wrong inside them, a missing
 * request.method included, is InvalidParameterValue naming "request" or
 * "context", and comes before a missing action (row order).  The limits the
 * handler checks after decoding name the part.
 */
static void test_authorize_malformed_fields(void **state)
{
#define AR "'action':'s3:GetObject','resource':'*',"
        static const struct {
                const char *spec, *code, *field;
        } cases[] = {
                { "{" AR "'request':{'path':'/','headers':[]}}", "InvalidParameterValue",
                  "'request'" },
                { "{" AR "'request':{'method':~,'path':'/','headers':[]}}", "InvalidParameterValue",
                  "'request'" },
                { "{" AR "'request':{'method':'GET','path':'/'}}", "InvalidParameterValue",
                  "'request'" },
                { "{" AR "'request':{'method':'GET','path':'/','headers':[['host']]}}",
                  "InvalidParameterValue", "'request'" },
                { "{" AR "'request':{'method':'GET','path':'/','headers':[['host',5]]}}",
                  "InvalidParameterValue", "'request'" },
                { "{" AR "'request':{'method':'GET','path':'/','headers':[],'query':5}}",
                  "InvalidParameterValue", "'request'" },
                { "{" AR "'request':'GET'}", "InvalidParameterValue", "'request'" },
                { "{'request':{'path':'/','headers':[]}}", "InvalidParameterValue", "'request'" },
                { "{" AR "'request':{'method':'GETGETGETGETGETGETGETGETGETGETGET','path':'/',"
                  "'headers':[]}}",
                  "InvalidParameterValue", "'request.method'" },
                { "{" AR "'context':{5:'a'}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':{'k':5}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':{'k':['a',5]}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':{'k':[~]}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':{'k':~}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':{'k':{}}}", "InvalidParameterValue", "'context'" },
                { "{" AR "'context':['k','v']}", "InvalidParameterValue", "'context'" },
                { "{" AR "'request':{'method':'GET','path':'/','headers':[],'body':5}}",
                  "InvalidParameterValue", "'request'" },
                /* Decoded before the token is looked at. */
                { "{" AR "'sessionToken':'bogus','context':{'k':5}}", "InvalidParameterValue",
                  "'context'" },
                { "{" AR "'sessionToken':'bogus','context':{'k':'v'}}", "InvalidClientTokenId",
                  "invalid" },
                /* Well-formed: the next check speaks (no token). */
                { "{" AR "'context':{'k':[],'j':'v','l':['a','b']}}", "InvalidParameter",
                  "'sessionToken'" },
                { "{" AR "'context':~}", "InvalidParameter", "'sessionToken'" },
        };
#undef AR
        char headers[64 * 16 + 256], *p = headers;
        Client cl;
        Resp r;

        (void)state;
        client_open(&cl);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                r = call_spec(&cl, (uint32_t)i + 1, "Authorize", cases[i].spec, cases[i].code);
                if (!strstr(r.message, cases[i].field))
                        fail_msg("case %zu: '%s' does not name %s", i, r.message, cases[i].field);
        }
        /* 65 headers: decoded, then refused by the handler with the limit. */
        p += sprintf(p, "{'action':'a:b','resource':'*','request':{'method':'GET','path':'/',"
                        "'headers':[");
        for (int i = 0; i < 65; i++)
                p += sprintf(p, "%s['h%d','v']", i ? "," : "", i);
        sprintf(p, "]}}");
        r = call_spec(&cl, 100, "Authorize", headers, "InvalidParameterValue");
        assert_non_null(strstr(r.message, "request.headers must be an array of at most 64"));
        call(&cl, 101, "GetCallerIdentity", "", 0);
        client_close(&cl);
}

/* A malformed message is answered (msgid 0) and the connection is closed: the stream is out of
 * sync. */
static void test_malformed_closed(void **state)
{
        /* [0, 7, 42, []]: the method is not a string; then 0xc1, a byte MessagePack never uses. */
        static const uint8_t bad_envelope[] = { 0x94, 0x00, 0x07, 0x2a, 0x90 };
        static const uint8_t never_used[] = { 0xc1 };
        const struct {
                const uint8_t *p;
                size_t n;
        } cases[] = { { bad_envelope, sizeof(bad_envelope) }, { never_used, sizeof(never_used) } };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t before = agent.n_conns;
                Client cl;

                client_open(&cl);
                assert_int_equal(agent.n_conns, before + 1);
                call(&cl, 1, "GetCallerIdentity", "", 0);
                client_send(&cl, cases[i].p, cases[i].n);
                client_reply(&cl, 0, "MalformedMessage");
                assert_int_equal(client_next(&cl), 0);
                client_close(&cl);
                assert_int_equal(agent.n_conns, before);
        }
        /* Others are served as before. */
        {
                Client cl;

                client_open(&cl);
                call(&cl, 1, "GetCallerIdentity", "", 0);
                client_close(&cl);
        }
}

/* Pipelined requests, sent in one write, are answered in the order they were sent. */
static void test_pipelining_order(void **state)
{
        enum { N = 40 };
        msgpack_sbuffer sb;
        Client cl;

        (void)state;
        client_open(&cl);
        msgpack_sbuffer_init(&sb);
        for (uint32_t i = 1; i <= N; i++) {
                switch (i % 4) {
                case 0:
                        pack_request(&sb, 1000 + i, "NoSuchMethod", 0);
                        break;
                case 1:
                        pack_request(&sb, 1000 + i, "GetCredentials", 1, "role", "open");
                        break;
                case 2:
                        pack_request(&sb, 1000 + i, "GetCredentials", 1, "role", "closed");
                        break;
                default:
                        pack_request(&sb, 1000 + i, "GetCallerIdentity", 0);
                        break;
                }
        }
        client_send(&cl, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        for (uint32_t i = 1; i <= N; i++) {
                static const char *const codes[] = { "UnsupportedOperation", "", "AccessDenied",
                                                     "" };

                client_reply(&cl, 1000 + i, codes[i % 4]);
        }
        client_close(&cl);
}

/*
 * The answer a connection gets when the agent has no memory to serve or
 * answer it (conn.c sends it as it stands, allocating nothing) is the one
 * proto_pack_response_error() makes: Throttling, msgid 0, CONN_NO_MEMORY.
 */
static void test_no_memory_answer(void **state)
{
        static const char spelled[] = CONN_NO_MEMORY_ANSWER;
        ProtoBuf b;

        (void)state;
        proto_buf_init(&b, false);
        proto_pack_response_error(&b, 0, PROTO_THROTTLING, CONN_NO_MEMORY);
        assert_false(b.is_oom);
        assert_int_equal(b.len, sizeof(spelled) - 1);
        assert_memory_equal(b.data, spelled, b.len);
        proto_buf_deinit(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_memory_answer),
                cmocka_unit_test(test_served),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_sessions_own_only),
                cmocka_unit_test(test_memo_follows_cache),
                cmocka_unit_test(test_bad_request_kept),
                cmocka_unit_test(test_authorize_malformed_fields),
                cmocka_unit_test(test_malformed_closed),
                cmocka_unit_test(test_pipelining_order),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
