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
#include "session.h"

static TestAgent agent;

static int revoke_all(void *arg)
{
        msgpack_sbuffer sb;
        Resp r;

        (void)arg;
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 3, "Revoke", 0);
        session_rpc(agent.socket, &sb, &r, NULL);
        msgpack_sbuffer_destroy(&sb);
        CHECK_STREQ(r.code, "");
        return 0;
}

/* Alice's sessions are revoked, bob's are not. */
static void check_tokens(const Minted *alice, const Minted *bob)
{
        check_token(agent.socket, alice->get.token, false);
        check_token(agent.socket, alice->assumed.token, false);
        check_token(agent.socket, bob->get.token, true);
        check_token(agent.socket, bob->assumed.token, true);
}

int main(int argc, char **argv)
{
        const char *cfg;
        char list[512], *text, *log = NULL;
        Minted alice, bob, bob2;
        AgentOpts o = AGENT_OPTS_INIT;
        struct stat st;

        test_init(argc, argv);
        cfg = config_shared("uids = %d %d\n", UID_ALICE, UID_BOB);
        agent_spawn(cfg, &agent);
        mint_as(agent.socket, UID_ALICE, "shared", &alice);
        mint_as(agent.socket, UID_BOB, "shared", &bob);
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
        mint_as(agent.socket, UID_BOB, "shared", &bob2);
        for (int round = 0; round < 2; round++) {
                check_token(agent.socket, bob.get.token, false);
                check_token(agent.socket, bob.assumed.token, false);
                check_token(agent.socket, bob2.get.token, true);
                check_token(agent.socket, bob2.assumed.token, true);
                check_token(agent.socket, alice.get.token, false);
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
