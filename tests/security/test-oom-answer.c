/* SPDX-License-Identifier: MIT */
/*
 * test-oom-answer - an agent out of memory while it answers one caller says
 * so, and goes on serving.  The agent runs under alloc-fault (an LD_PRELOAD
 * library): from the moment the loop reads alice's first message until it
 * next sends or polls, every allocation of the loop's thread fails, so no
 * byte of her answer can be put together.  She must get Throttling with
 * msgid 0 and the agent's "short of memory" text, then end of stream; the
 * old agent dropped the answer without a word and left the connection open
 * until its idle timeout, failing every later answer on it.  Her next
 * connection, and bob's, are served as usual.
 */
#undef NDEBUG
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

/* GetCallerIdentity on a fresh connection: answered (@want_oom false) or the memory refusal. */
static int call(void *arg)
{
        bool want_oom = arg != NULL;
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        int fd = raw_connect_bounded(agent.socket, 10), n;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 5, "GetCallerIdentity", 0);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        msgpack_sbuffer_destroy(&sb);
        CHECK(msgpack_unpacker_init(&up, 8192));
        msgpack_unpacked_init(&u);
        n = raw_recv(fd, &up, &u, 5000);
        CHECK_MSG(n == 1, "uid %u: no answer (%s)", (unsigned)getuid(),
                  n == 0 ? "the agent closed the connection" : strerror(-n));
        CHECK(resp_parse(&u.data, &r));
        test_log("uid %u: %s%s%s", (unsigned)getuid(), r.code[0] ? r.code : "answered",
                 r.code[0] ? ": " : "", r.message);
        if (want_oom) {
                CHECK_STREQ(r.code, "Throttling");
                CHECK_INT(r.msgid, ==, 0);
                CHECK_STREQ(r.message, "the agent is short of memory; try again later");
                msgpack_unpacked_destroy(&u);
                msgpack_unpacked_init(&u);
                CHECK_INT(raw_recv(fd, &up, &u, 5000), ==, 0);
        } else {
                CHECK_STREQ(r.code, "");
                CHECK_INT(r.msgid, ==, 5);
                CHECK_INT(resp_uint(&r.result, "uid"), ==, (long long)getuid());
        }
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
        return 0;
}

int main(int argc, char **argv)
{
        const char *lib = getenv("ROLED_ALLOC_FAULT_LIB");
        char uid[48];

        test_init(argc, argv);
        if (!lib)
                test_skip("ROLED_ALLOC_FAULT_LIB unset");
#ifdef __SANITIZE_ADDRESS__
        /* Its malloc() would stand before the sanitizer's, which must own the heap. */
        test_skip("alloc-fault cannot run under AddressSanitizer");
#endif
        snprintf(uid, sizeof(uid), "ROLED_TEST_ALLOC_FAIL_UID=%u", (unsigned)UID_ALICE);
        agent_spawn_preloaded(config_new(NULL), lib,
                              (const char *const[]){ uid, "ROLED_TEST_ALLOC_FAIL_COUNT=1", NULL },
                              &agent);

        CHECK_INT(run_as(UID_ALICE, call, "oom"), ==, 0);
        /* The fault was one message long: alice, then bob, are served. */
        CHECK_INT(run_as(UID_ALICE, call, NULL), ==, 0);
        CHECK_INT(run_as(UID_BOB, call, NULL), ==, 0);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
