/* SPDX-License-Identifier: MIT */
/*
 * test-sessions-list - ListSessions and Revoke of one session, against a real
 * agent with processes of different uids.  alice and bob each hold sessions;
 * `rolectl sessions` shows each of them their own and root everyone's, with
 * no secret or token in the output; bob can neither list alice's (AccessDenied)
 * nor revoke one of hers by id (NoSuchEntity, and her token still verifies);
 * alice revokes exactly one of hers (its token stops verifying, her other
 * one does not); root revokes bob's by id.  Pages: 150 more sessions of
 * alice's come back in pages of at most 100, in order, each session once,
 * and rolectl gathers them all.  Bad parameters get a clear error, exit 2
 * on the command line, and the agent keeps serving.
 */
#undef NDEBUG
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "session.h"

static TestAgent agent;

static void rpc(const msgpack_sbuffer *sb, Resp *r)
{
        session_rpc(agent.socket, sb, r, NULL);
}

/* The number of times @needle occurs in @hay. */
static int count(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* Run rolectl sessions --json as @uid (plus @extra, may be NULL); Return: its stdout (heap). */
static char *sessions_json(uid_t uid, const char *extra, const char *extra_value, int want_exit)
{
        char *out = NULL, *err = NULL;
        int st;

        if (extra)
                st = rolectl(uid, agent.socket, &out, &err, "sessions", "--json", extra,
                             extra_value, NULL);
        else
                st = rolectl(uid, agent.socket, &out, &err, "sessions", "--json", NULL);
        CHECK_MSG(st == want_exit, "rolectl sessions exited %d (want %d): %s", st, want_exit, err);
        free(err);
        return out;
}

/* Child: raw ListSessions pages of 100 as alice; checks order, uniqueness and the count. */
static int page_through(void *arg)
{
        size_t want = *(size_t *)arg, seen = 0;
        char marker[80] = "", last[80] = "";
        msgpack_sbuffer sb;
        int pages = 0;

        msgpack_sbuffer_init(&sb);
        for (;;) {
                msgpack_unpacker up;
                msgpack_unpacked u;
                const msgpack_object *list = NULL;
                bool is_truncated = false;
                int fd = raw_connect(agent.socket);
                Resp r;

                msgpack_sbuffer_clear(&sb);
                if (marker[0])
                        pack_request(&sb, 9, "ListSessions", 2, "maxItems", "#100", "marker",
                                     marker);
                else
                        pack_request(&sb, 9, "ListSessions", 1, "maxItems", "#100");
                CHECK(msgpack_unpacker_init(&up, 65536));
                msgpack_unpacked_init(&u);
                CHECK(raw_send(fd, sb.data, sb.size) == 0);
                CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
                CHECK(resp_parse(&u.data, &r));
                CHECK_STREQ(r.code, "");
                for (uint32_t i = 0; i < r.result.via.map.size; i++) {
                        const msgpack_object_kv *kv = &r.result.via.map.ptr[i];

                        if (kv->key.via.str.size == 8 &&
                            !memcmp(kv->key.via.str.ptr, "sessions", 8))
                                list = &kv->val;
                        if (kv->key.via.str.size == 11 &&
                            !memcmp(kv->key.via.str.ptr, "isTruncated", 11))
                                is_truncated = kv->val.via.boolean;
                }
                CHECK(list && list->type == MSGPACK_OBJECT_ARRAY);
                CHECK(list->via.array.size <= 100);
                for (uint32_t i = 0; i < list->via.array.size; i++) {
                        char sid[80], secret[64];

                        resp_str(&list->via.array.ptr[i], "sessionId", sid, sizeof(sid));
                        CHECK_INT(resp_uint(&list->via.array.ptr[i], "uid"), ==, UID_ALICE);
                        resp_str(&list->via.array.ptr[i], "secretAccessKey", secret,
                                 sizeof(secret));
                        CHECK_STREQ(secret, "");
                        CHECK_MSG(strcmp(sid, last) > 0, "page order: %s after %s", sid, last);
                        snprintf(last, sizeof(last), "%s", sid);
                        seen++;
                }
                if (is_truncated) {
                        resp_str(&r.result, "marker", marker, sizeof(marker));
                        CHECK_STREQ(marker, last);
                }
                pages++;
                msgpack_unpacked_destroy(&u);
                msgpack_unpacker_destroy(&up);
                close(fd);
                if (!is_truncated)
                        break;
        }
        msgpack_sbuffer_destroy(&sb);
        CHECK_INT((long long)seen, ==, (long long)want);
        CHECK_INT(pages, ==, (int)((want + 99) / 100));
        return 0;
}

static int assume_many(void *arg)
{
        int n = *(int *)arg;
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        for (int i = 0; i < n; i++) {
                Resp r;

                msgpack_sbuffer_clear(&sb);
                pack_request(&sb, 5, "AssumeRole", 1, "role", "shared");
                rpc(&sb, &r);
                CHECK_STREQ(r.code, "");
        }
        msgpack_sbuffer_destroy(&sb);
        return 0;
}

/* A raw request as @uid must be answered with error @code (the agent then still serves). */
typedef struct Bad {
        const char *k1, *v1, *k2, *v2;
        const char *code;
} Bad;

static int send_bad(void *arg)
{
        const Bad *b = arg;
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        if (b->k2)
                pack_request(&sb, 7, b->k1[0] == 'R' ? "Revoke" : "ListSessions", 2, b->k1 + 1,
                             b->v1, b->k2, b->v2);
        else
                pack_request(&sb, 7, b->k1[0] == 'R' ? "Revoke" : "ListSessions", 1, b->k1 + 1,
                             b->v1);
        rpc(&sb, &r);
        msgpack_sbuffer_destroy(&sb);
        CHECK_MSG(!strcmp(r.code, b->code), "%s=%s: got '%s' (%s), want %s", b->k1 + 1, b->v1,
                  r.code, r.message, b->code);
        return 0;
}

int main(int argc, char **argv)
{
        const char *cfg;
        char *out, *err = NULL;
        Minted alice, bob;
        int st, n_more = 150;
        size_t n_alice;

        test_init(argc, argv);
        cfg = config_shared("uids = %d %d\n", UID_ALICE, UID_BOB);
        agent_spawn(cfg, &agent);
        mint_as(agent.socket, UID_ALICE, "shared", &alice);
        mint_as(agent.socket, UID_BOB, "shared", &bob);

        /* Each user sees their own sessions, with no secret or token; root sees everyone's. */
        out = sessions_json(UID_ALICE, NULL, NULL, 0);
        CHECK(strstr(out, alice.get.akid) && strstr(out, alice.assumed.akid));
        CHECK(strstr(out, alice.get.sid) && strstr(out, alice.assumed.sid));
        CHECK(!strstr(out, bob.get.akid) && !strstr(out, bob.get.sid));
        CHECK(strstr(out, "\"kind\": \"cached\"") && strstr(out, "\"kind\": \"assumed\""));
        CHECK_INT(count(out, "\"user\": \"roledalice\""), ==, 2);
        CHECK(!strstr(out, "ecret") && !strstr(out, "oken") && !strstr(out, alice.get.token));
        free(out);
        out = sessions_json(UID_BOB, NULL, NULL, 0);
        CHECK(strstr(out, bob.get.sid) && strstr(out, bob.assumed.sid));
        CHECK(!strstr(out, alice.get.sid) && !strstr(out, alice.assumed.sid));
        free(out);
        out = sessions_json(0, NULL, NULL, 0);
        CHECK(strstr(out, alice.get.sid) && strstr(out, bob.get.sid));
        CHECK_INT(count(out, "\"sessionId\""), ==, 4);
        free(out);
        out = sessions_json(0, "--user", "2102", 0);
        CHECK_INT(count(out, "\"sessionId\""), ==, 2);
        CHECK(strstr(out, bob.get.sid) && !strstr(out, alice.get.sid));
        free(out);
        out = sessions_json(0, "--user", "roledalice", 0);
        CHECK_INT(count(out, "\"sessionId\""), ==, 2);
        CHECK(strstr(out, alice.assumed.sid) && !strstr(out, bob.assumed.sid));
        free(out);
        /* The table names the columns and the ids. */
        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, NULL, "sessions", NULL), ==, 0);
        CHECK(strstr(out, "SESSION ID") && strstr(out, alice.assumed.sid) && strstr(out, "shared"));
        free(out);

        /* bob may not list alice's sessions, nor revoke one of hers by id. */
        free(sessions_json(UID_BOB, "--user", "2101", 1));
        st = rolectl(UID_BOB, agent.socket, NULL, &err, "revoke", "--session", alice.assumed.sid,
                     NULL);
        CHECK_MSG(st == 1 && strstr(err, "NoSuchEntity"), "bob revoking alice's: %d %s", st, err);
        free(err);
        check_token(agent.socket, alice.assumed.token, true);
        check_token(agent.socket, alice.get.token, true);

        /* alice revokes exactly one of hers. */
        st = rolectl(UID_ALICE, agent.socket, &out, &err, "revoke", "--session", alice.assumed.sid,
                     "--json", NULL);
        CHECK_MSG(st == 0, "alice revoking hers: %d %s", st, err);
        CHECK(strstr(out, "\"revoked\": 1"));
        free(out);
        free(err);
        check_token(agent.socket, alice.assumed.token, false);
        check_token(agent.socket, alice.get.token, true);
        check_token(agent.socket, bob.assumed.token, true);
        out = sessions_json(UID_ALICE, NULL, NULL, 0);
        CHECK_INT(count(out, "\"sessionId\""), ==, 1);
        CHECK(!strstr(out, alice.assumed.sid));
        free(out);
        /* Again: it is gone. */
        st = rolectl(UID_ALICE, agent.socket, NULL, &err, "revoke", "--session", alice.assumed.sid,
                     NULL);
        CHECK_MSG(st == 1 && strstr(err, "NoSuchEntity"), "revoking twice: %d %s", st, err);
        free(err);

        /* root revokes bob's by id. */
        CHECK_INT(rolectl(0, agent.socket, NULL, NULL, "revoke", "--session", bob.get.sid, NULL),
                  ==, 0);
        check_token(agent.socket, bob.get.token, false);
        check_token(agent.socket, bob.assumed.token, true);

        /* Usage errors exit 2 before any agent is asked. */
        CHECK_INT(rolectl(UID_ALICE, agent.socket, NULL, NULL, "revoke", "--session", "", NULL), ==,
                  2);
        CHECK_INT(rolectl(UID_ALICE, agent.socket, NULL, NULL, "revoke", "--session", alice.get.sid,
                          "--role", "shared", NULL),
                  ==, 2);
        CHECK_INT(rolectl(UID_ALICE, agent.socket, NULL, NULL, "sessions", "extra", NULL), ==, 2);
        CHECK_INT(rolectl(UID_ALICE, agent.socket, NULL, NULL, "sessions", "--user", NULL), ==, 2);

        /* Bad parameters: a clear error, and everyone else is still served. */
        {
                static const Bad bad[] = {
                        { "LmaxItems", "#0", NULL, NULL, "InvalidParameterValue" },
                        { "LmaxItems", "#101", NULL, NULL, "InvalidParameterValue" },
                        { "Lrole", "no/such", NULL, NULL, "InvalidParameterValue" },
                        { "Lmarker", "", NULL, NULL, "InvalidParameterValue" },
                        { "Luid", "#99999999999", NULL, NULL, "InvalidParameterValue" },
                        { "Luid", "#0", NULL, NULL, "AccessDenied" },
                        { "RsessionId", "", NULL, NULL, "InvalidParameterValue" },
                        { "RsessionId", "00000000000000000000000000000000", NULL, NULL,
                          "NoSuchEntity" },
                        { "RsessionId", "x", "role", "shared", "InvalidParameterValue" },
                        { "RsessionId", "x", "uid", "#2101", "InvalidParameterValue" },
                };

                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                        CHECK_INT(run_as(UID_ALICE, send_bad, (void *)&bad[i]), ==, 0);
                check_served(agent.socket);
        }

        /* Pages: 151 sessions of alice's, 100 and 51, each once, in order; rolectl gathers all. */
        CHECK_INT(run_as(UID_ALICE, assume_many, &n_more), ==, 0);
        n_alice = 1 + (size_t)n_more;
        CHECK_INT(run_as(UID_ALICE, page_through, &n_alice), ==, 0);
        out = sessions_json(UID_ALICE, NULL, NULL, 0);
        CHECK_INT(count(out, "\"sessionId\""), ==, (int)n_alice);
        free(out);
        out = sessions_json(UID_BOB, NULL, NULL, 0);
        CHECK_INT(count(out, "\"sessionId\""), ==, 1);
        free(out);

        agent_stop(&agent);
        return 0;
}
