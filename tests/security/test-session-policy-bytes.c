/* SPDX-License-Identifier: MIT */
/*
 * test-session-policy-bytes - session policies cannot grow the agent without
 * bound: bob calls AssumeRole up to 3,000 times, each with a different ~10 KB
 * session policy (once ~34 KB of agent memory each, ~100 MB in all), and is
 * answered Throttling long before that, with the agent's memory grown by a
 * few MiB at most; the same policy again still works (identical policies are
 * stored once), and alice still gets a session with a policy of her own.
 * Then the same against an agent whose roled.ini sets
 * session_policy_uid_bytes_max = 1M: bob is refused after about a quarter as many.
 */
#undef NDEBUG
#include <unistd.h>

#include "agent.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define CALLS_MAX 3000
#define POLICY_LEN 10000

static TestAgent agent;

/* policy() - a valid ~POLICY_LEN-byte session policy unique to @n. */
static void policy(unsigned n, char *buf, size_t size)
{
        size_t len = (size_t)snprintf(buf, size,
                                      "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
                                      "\"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": [");

        for (unsigned i = 0; len + 200 < POLICY_LEN; i++)
                len += (size_t)snprintf(
                        buf + len, size - len,
                        "%s\"arn:aws:s3:::bucket-%u-%u/some/long/prefix/for/padding/*\"",
                        i ? ", " : "", n, i);
        snprintf(buf + len, size - len, "]}]}");
}

/* assume() - AssumeRole of "shared" with session policy @n; the error code ("" on success). */
static void assume(int fd, unsigned n, char *code, size_t size)
{
        static char text[POLICY_LEN + 256];
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        Resp r;

        policy(n, text, sizeof(text));
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, n + 1, "AssumeRole", 2, "role", "shared", "policy", text);
        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK(raw_send(fd, sb.data, sb.size) == 0);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK(resp_parse(&u.data, &r));
        CHECK_INT(r.msgid, ==, n + 1);
        snprintf(code, size, "%s", r.code);
        CHECK_MSG(!r.code[0] || strcmp(r.code, "Throttling") == 0, "AssumeRole %u: %s: %s", n,
                  r.code, r.message);
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
}

/* bob() - distinct policies until Throttling; @arg: the most that may be stored (unsigned), or
 * NULL. */
static int bob(void *arg)
{
        int fd = raw_connect(agent.socket);
        char code[64];
        unsigned n;

        for (n = 0; n < CALLS_MAX; n++) {
                assume(fd, n, code, sizeof(code));
                if (code[0])
                        break;
        }
        CHECK_MSG(n < CALLS_MAX, "%u distinct session policies were all stored", n);
        CHECK_STREQ(code, "Throttling");
        printf("bob: %u distinct 10 KB session policies stored, then Throttling\n", n);
        if (arg)
                CHECK_MSG(n <= *(const unsigned *)arg, "%u stored, more than %u", n,
                          *(const unsigned *)arg);
        /* A policy the agent already holds costs nothing: still served. */
        assume(fd, 0, code, sizeof(code));
        CHECK_STREQ(code, "");
        close(fd);
        return 0;
}

static int alice(void *arg)
{
        int fd = raw_connect(agent.socket);
        char code[64];

        (void)arg;
        assume(fd, 100000, code, sizeof(code));
        CHECK_STREQ(code, "");
        close(fd);
        return 0;
}

static const char *config(const char *ini)
{
        const char *cfg = config_new(ini);

        config_put(cfg, "roles.d/p.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:*\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/shared.ini",
                   "[role]\nname = shared\npermissions = p.json\n[trust]\nuids = %d %d\n",
                   UID_ALICE, UID_BOB);
        return cfg;
}

int main(int argc, char **argv)
{
        /* 1 MiB holds about 16 of these (~60 KB compiled each); the default 4 MiB about 67. */
        unsigned small_max = 40;
        long before, after;

        test_init(argc, argv);
        agent_spawn(config(NULL), &agent);
        check_served(agent.socket);
        before = agent_rss_kb(&agent);
        CHECK_INT(run_as(UID_BOB, bob, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        check_served(agent.socket);
        after = agent_rss_kb(&agent);
        printf("agent RSS %ld KiB -> %ld KiB\n", before, after);
        /*
         * The per-uid bound is 4 MiB of compiled policies; sessions and allocator
         * slack add a little.  (ASan keeps freed memory in quarantine and pads
         * every block: its RSS says nothing about ours, and the count of stored
         * policies above is the bound's proof there.)
         */
#ifndef UNDER_ASAN
        CHECK_MSG(after - before < 16 * 1024, "agent grew by %ld KiB", after - before);
#endif
        agent_stop(&agent);

        /* The per-uid bound comes from roled.ini. */
        agent_spawn(config("session_policy_uid_bytes_max = 1M\n"), &agent);
        CHECK_INT(run_as(UID_BOB, bob, &small_max), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        agent_stop(&agent);
        return 0;
}
