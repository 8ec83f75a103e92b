/* SPDX-License-Identifier: MIT */
/*
 * test-lying-length - array32, map32, str32 and bin32 headers declaring up
 * to 4 GiB, followed by a few bytes, are refused (MessageTooLarge, msgid 0)
 * and the connection closed before anything is allocated for them: the
 * agent's resident memory does not jump.
 */
#undef NDEBUG
#include <unistd.h>

#include "agent.h"

static TestAgent agent;

typedef struct Lie {
        const char *what;
        const char *code; /* a top-level map is refused for not being an array first */
        uint8_t bytes[32];
        size_t len;
} Lie;

static const Lie lies[] = {
        { "top-level array32",
          "MessageTooLarge",
          { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02 },
          8 },
        { "top-level map32", "MalformedMessage", { 0xdf, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01 }, 7 },
        { "method str32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff, 'H', 'e' },
          10 },
        { "method bin32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xf0, 'H', 'e' },
          10 },
        { "params array32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x80 },
          15 },
        { "params map32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x91, 0xdf, 0xff, 0xff, 0xff, 0xff,
            0xa1, 'k' },
          17 },
        { "value str32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xa5, 'H', 'e', 'l', 'l', 'o', 0x91, 0x81, 0xa1, 'k', 0xdb, 0x80,
            0x00, 0x00, 0x00, 'v' },
          19 },
        { "ext32",
          "MessageTooLarge",
          { 0x94, 0x00, 0x01, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00 },
          10 },
};

static void test_lies(void)
{
        long before = agent_rss_kb(&agent), after;

        for (int round = 0; round < 20; round++)
                for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
                        if (round == 0)
                                test_log("%s", lies[i].what);
                        check_rejected(agent.socket, lies[i].bytes, lies[i].len, lies[i].code);
                }
        after = agent_rss_kb(&agent);
        test_log("VmRSS %ld kB before, %ld kB after", before, after);
        /* One honoured 4 GiB claim would be a jump of gigabytes; allow allocator noise. */
        CHECK_MSG(after - before < 32 * 1024, "agent RSS grew from %ld to %ld kB", before, after);
        CHECK(agent_alive(&agent));
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        agent_spawn(config_new(NULL), &agent);
        test_lies();
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
