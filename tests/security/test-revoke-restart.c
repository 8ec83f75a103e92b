/* SPDX-License-Identifier: MIT */
/*
 * test-revoke-restart - a revocation outlives the agent: alice revokes her
 * sessions, the agent is killed with SIGKILL and started again on the same
 * key directory, and Authorize still refuses both revoked tokens while bob's
 * token, issued before the kill, is still accepted (keys persisted) and bob
 * is still served.  Then bob revokes his sessions on the restarted agent,
 * which never saw them issued: his tokens from before the restart are
 * refused (Revoke's cut by issue time), a session he gets afterwards is
 * accepted, and both stay so across another SIGKILL and restart.
 * revoked.list is 0600 and holds no secret; a list that
 * is not one roled wrote stops the agent at start with the file's name
 * (failing closed instead of forgetting revocations).
 */
#undef NDEBUG
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

#define TOKEN_MAX 8192

static TestAgent agent;

typedef struct Session {
        char akid[64];
        char secret[128];
        char token[TOKEN_MAX];
} Session;

/* rpc() - one request on a fresh connection; copies the session fields of a success. */
static void rpc(const msgpack_sbuffer *sb, Resp *r, Session *s)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        int fd = raw_connect(agent.socket);

        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK(raw_send(fd, sb->data, sb->size) == 0);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK_MSG(resp_parse(&u.data, r), "not a response envelope");
        if (s && !r->code[0]) {
                resp_str(&r->result, "accessKeyId", s->akid, sizeof(s->akid));
                resp_str(&r->result, "secretAccessKey", s->secret, sizeof(s->secret));
                resp_str(&r->result, "sessionToken", s->token, sizeof(s->token));
                CHECK(s->akid[0] && s->token[0]);
        }
        r->result.type = MSGPACK_OBJECT_NIL;
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
}

/* What a child minted, sent back to the parent through a pipe. */
typedef struct Minted {
        Session get, assumed;
} Minted;

static int mint(void *arg)
{
        int wfd = *(int *)arg;
        Minted m = { 0 };
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCredentials", 1, "role", "shared");
        rpc(&sb, &r, &m.get);
        CHECK_STREQ(r.code, "");
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 2, "AssumeRole", 1, "role", "shared");
        rpc(&sb, &r, &m.assumed);
        CHECK_STREQ(r.code, "");
        msgpack_sbuffer_destroy(&sb);
        CHECK(write(wfd, &m, sizeof(m)) == (ssize_t)sizeof(m));
        return 0;
}

static void mint_as(uid_t uid, Minted *m)
{
        int p[2];

        CHECK(pipe(p) == 0);
        CHECK_INT(run_as(uid, mint, &p[1]), ==, 0);
        CHECK(read(p[0], m, sizeof(*m)) == (ssize_t)sizeof(*m));
        close(p[0]);
        close(p[1]);
}

static int revoke_all(void *arg)
{
        msgpack_sbuffer sb;
        Resp r;

        (void)arg;
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 3, "Revoke", 0);
        rpc(&sb, &r, NULL);
        msgpack_sbuffer_destroy(&sb);
        CHECK_STREQ(r.code, "");
        return 0;
}

/* authorize() - the Authorize error code for @token ("" when answered with a decision). */
static void authorize(const char *token, char *code, size_t size)
{
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 4, "Authorize", 3, "sessionToken", token, "action", "s3:GetObject",
                     "resource", "arn:aws:s3:::b/k");
        rpc(&sb, &r, NULL);
        msgpack_sbuffer_destroy(&sb);
        snprintf(code, size, "%s", r.code);
}

static void check_tokens(const Minted *alice, const Minted *bob)
{
        char code[64];

        authorize(alice->get.token, code, sizeof(code));
        CHECK_STREQ(code, "InvalidClientTokenId");
        authorize(alice->assumed.token, code, sizeof(code));
        CHECK_STREQ(code, "InvalidClientTokenId");
        authorize(bob->get.token, code, sizeof(code));
        CHECK_STREQ(code, "");
        authorize(bob->assumed.token, code, sizeof(code));
        CHECK_STREQ(code, "");
}

int main(int argc, char **argv)
{
        const char *cfg;
        char list[512], *text, *log = NULL;
        Minted alice, bob, bob2;
        AgentOpts o = AGENT_OPTS_INIT;
        struct stat st;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/p.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/shared.ini",
                   "[role]\nname = shared\npermissions = p.json\n[trust]\nuids = %d %d\n",
                   UID_ALICE, UID_BOB);
        agent_spawn(cfg, &agent);
        mint_as(UID_ALICE, &alice);
        mint_as(UID_BOB, &bob);
        CHECK_INT(run_as(UID_ALICE, revoke_all, NULL), ==, 0);
        check_tokens(&alice, &bob);

        /* SIGKILL: no chance to save anything at exit; what Revoke wrote must suffice. */
        agent_kill(&agent);
        agent_spawn(cfg, &agent);
        check_tokens(&alice, &bob);
        check_served(agent.socket);

        /*
         * Sessions from before the restart, revoked after it.  Issue times
         * have a resolution of one second and the cut takes sessions issued
         * before the second of the Revoke: let that second pass.
         */
        sleep(1);
        CHECK_INT(run_as(UID_BOB, revoke_all, NULL), ==, 0);
        mint_as(UID_BOB, &bob2);
        for (int round = 0; round < 2; round++) {
                char code[64];

                authorize(bob.get.token, code, sizeof(code));
                CHECK_STREQ(code, "InvalidClientTokenId");
                authorize(bob.assumed.token, code, sizeof(code));
                CHECK_STREQ(code, "InvalidClientTokenId");
                authorize(bob2.get.token, code, sizeof(code));
                CHECK_STREQ(code, "");
                authorize(bob2.assumed.token, code, sizeof(code));
                CHECK_STREQ(code, "");
                authorize(alice.get.token, code, sizeof(code));
                CHECK_STREQ(code, "InvalidClientTokenId");
                if (round == 0) {
                        agent_kill(&agent);
                        agent_spawn(cfg, &agent);
                }
        }

        /* The list sits beside the keys, private, naming access key ids only. */
        snprintf(list, sizeof(list), "%s/keys/revoked.list",
                 test_dir()); /* config_new()'s key_dir */
        CHECK_MSG(stat(list, &st) == 0, "%s: missing", list);
        CHECK_INT(st.st_mode & 07777, ==, 0600);
        text = read_file(list);
        CHECK(text);
        CHECK_CONTAINS(text, alice.get.akid);
        CHECK_CONTAINS(text, alice.assumed.akid);
        CHECK_NOT_CONTAINS(text, bob2.get.akid);
        CHECK_CONTAINS(text, "\n@"); /* the cuts */
        CHECK_NOT_CONTAINS(text, alice.get.secret);
        free(text);
        agent_stop(&agent);

        /* A list roled did not write: refuse to start rather than forget revocations. */
        write_file(list, 0600, "ASIAEXAMPLE 12x\n");
        CHECK_INT(agent_run_fail(cfg, &o, &agent, &log), !=, 0);
        CHECK_CONTAINS(log, "revoked.list");
        free(log);
        printf("ok: revocations survive SIGKILL and restart, and reach sessions from before it\n");
        return 0;
}
