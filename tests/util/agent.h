/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the shared harness of the integration and security tests: a
 * private temp folder per test, configuration writers, the agent spawner,
 * running code or commands as a test user, and raw MessagePack-RPC sockets
 * for the hostile-client tests.  The agent runs in system mode on a socket
 * in the test's folder (0755, socket 0666) so forked children that switch
 * to a test uid can reach it.
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "test.h"

/* The test users made by tests/util/setup-users. */
#define UID_ALICE 2101
#define UID_BOB 2102
#define UID_CAROL 2103
#define GID_OPS 2200

/*
 * test_init() - start a test: needs root (else exit 77) and the test users
 * (else exit 77); reads the binaries from argv[1] (roled) and argv[2]
 * (rolectl).  Cleans the private folder at exit.
 */
void test_init(int argc, char **argv);
/* test_roled(), test_rolectl() - the binaries under test. */
const char *test_roled(void);
const char *test_rolectl(void);
/* test_dir() - this test's private folder under /tmp (0755, root's). */
const char *test_dir(void);
/* test_path() - a new unique path below test_dir() named after @what (static storage). */
const char *test_path(const char *what);

/* read_file() - the whole file @path, NUL-terminated (heap), or NULL. */
char *read_file(const char *path);
/* write_file() - create @path with @mode holding @text. */
void write_file(const char *path, mode_t mode, const char *text);
/* file_sha256_hex() - the SHA-256 of the file @path, as 64 lowercase hex digits and a NUL. */
void file_sha256_hex(const char *path, char hex[65]);

/*
 * config_new() - a new configuration folder with roled.ini ([agent] key_dir
 * in the test folder, plus @agent_extra lines, may be NULL) and an empty
 * roles.d.  Return: its path (static storage).
 */
const char *config_new(const char *agent_extra);
/* config_put() - write @relpath below @config_dir (0644), printf-style. */
void config_put(const char *config_dir, const char *relpath, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

typedef struct AgentOpts {
        const char *log_level;   /* --log-level, NULL: none */
        bool is_private_var_lib; /* a mount namespace with a private /var/lib (system key dir) */
        int listen_fd;           /* >= 0: pass as fd 3 with LISTEN_FDS=1/LISTEN_PID (no --socket) */
        bool is_no_wait;         /* do not wait for the socket */
        uid_t uid;               /* run the agent as this uid (0: root) */
        const char *preload;     /* LD_PRELOAD for the agent alone (a test shim), NULL: none */
        const char *const *env;  /* "NAME=value" strings for the agent alone (NULL-terminated) */
} AgentOpts;

#define AGENT_OPTS_INIT                                                                            \
        {                                                                                          \
                .listen_fd = -1                                                                    \
        }

typedef struct TestAgent {
        pid_t pid;
        char socket[256];
        char config[256];
        char log[256];
        bool is_activated; /* started with LISTEN_FDS: the socket file is not the agent's to remove
                            */
} TestAgent;

/*
 * agent_spawn() - start roled on a fresh socket in the test folder with
 * @config_dir (NULL: --config names an empty folder) and wait until the
 * socket answers.  Fails the test if the agent exits first.
 */
void agent_spawn(const char *config_dir, TestAgent *a);
/*
 * agent_spawn_opts() - agent_spawn() with @o.  @o->preload and @o->env are
 * set in the agent's process only, never in the test's, so neither reaches
 * the test's later children.  With a preload, verify_asan_link_order=0 is
 * added to the agent's ASAN_OPTIONS: a sanitized agent would refuse a library
 * preloaded ahead of its runtime, which comes first in it anyway.
 */
void agent_spawn_opts(const char *config_dir, const AgentOpts *o, TestAgent *a);
/*
 * agent_spawn_preloaded() - agent_spawn() of an agent that runs with the
 * shim @preload (LD_PRELOAD) and the "NAME=value" strings of @env
 * (NULL-terminated, may be NULL) that steer it; see agent_spawn_opts().
 */
void agent_spawn_preloaded(const char *config_dir, const char *preload, const char *const *env,
                           TestAgent *a);
/*
 * agent_run_fail() - start roled (same arguments) and expect it to exit by
 * itself.  Return: its exit status; *@logp (heap) its stderr.
 */
int agent_run_fail(const char *config_dir, const AgentOpts *o, TestAgent *a, char **logp);
/* agent_stop() - SIGTERM; checks it exits 0 and removed its socket (unless activated). */
void agent_stop(TestAgent *a);
/* agent_kill() - SIGKILL and reap (the socket file stays). */
void agent_kill(TestAgent *a);
/* agent_log() - what the agent wrote to stderr so far (heap). */
char *agent_log(const TestAgent *a);
/*
 * agent_log_with() - agent_log() once it holds @needle, or after 10 s (the
 * caller's check then fails on what is there).  An agent listens before it
 * has logged everything about its start (NSS lookups, valgrind).  Heap.
 */
char *agent_log_with(const TestAgent *a, const char *needle);
/* agent_rss_kb() - VmRSS of the agent in KiB. */
long agent_rss_kb(const TestAgent *a);
/* agent_alive() - kill(pid, 0) succeeds and the agent is not a zombie. */
bool agent_alive(const TestAgent *a);

/*
 * run_as() - fork; the child switches to @uid with @gid and its user's
 * supplementary groups (initgroups) and returns fn(arg) as its exit status.
 * @uid 0 keeps root.  Return: the child's exit status (128+sig if killed).
 */
int run_as(uid_t uid, int (*fn)(void *arg), void *arg);
/* become() - switch this (forked) process to @uid and its groups. */
void become(uid_t uid);
/* wait_status() - reap @pid; exit status, or 128+signal. */
int wait_status(pid_t pid);

/*
 * run_cmd() - run @argv as @uid with ROLED_SOCKET=@socket (NULL: unset) plus
 * the "NAME=value" strings of @env (NULL-terminated, may be NULL).
 * *@outp, *@errp (heap, may be NULL) receive stdout and stderr.
 * Return: the exit status.
 */
int run_cmd(uid_t uid, const char *socket, const char *const *env, const char *const *argv,
            char **outp, char **errp);
/* rolectl() - run_cmd() of rolectl with the given arguments (NULL-terminated). */
int rolectl(uid_t uid, const char *socket, char **outp, char **errp, ...) __attribute__((sentinel));
/* count_lines() - lines in @s (a last line without '\n' counts). */
int count_lines(const char *s);

/* Raw MessagePack-RPC, for hostile clients. */
/* raw_connect() - a blocking connected socket to @path (fails the test if it cannot). */
int raw_connect(const char *path);
/* raw_try_connect() - the same, or -errno. */
int raw_try_connect(const char *path);
/*
 * raw_connect_bounded() - raw_connect() whose connect() and sends give up
 * after @timeout_s (SO_SNDTIMEO also bounds a connect() that waits for room
 * in the agent's backlog); a failure fails the test.
 */
int raw_connect_bounded(const char *path, int timeout_s);
/* raw_send() - write all of @buf; Return: 0 or -errno (EPIPE once the agent closed). */
int raw_send(int fd, const void *buf, size_t len);
/*
 * raw_recv() - read one message into @u within @timeout_ms.
 * Return: 1 a message, 0 end of stream, -ETIMEDOUT, -EPROTO (unparseable), -errno.
 */
int raw_recv(int fd, msgpack_unpacker *up, msgpack_unpacked *u, int timeout_ms);
/*
 * raw_wait_notification() - does a notification (a msgpack-rpc message of
 * type 2, such as SessionsRevoked) come on @fd?  Replies read meanwhile are
 * skipped; the wait ends at end of stream or after @timeout_ms without a
 * message.
 */
bool raw_wait_notification(int fd, int timeout_ms);
/*
 * raw_hello() - one Hello round trip on @fd.  The agent reads nothing before
 * it has attested the connection, so what the caller sends after this is
 * not "sent before attestation" (PROTOCOL.md, SentBeforeAttestation): a raw
 * client asking for a role whose trust rests on the executable does this
 * first, or resends as libroled does.  Return: 0, or -errno / -EPROTO.
 */
int raw_hello(int fd);
/*
 * raw_wait_closed() - read (and drop) until the agent closes within @timeout_ms.
 * Return: true when closed.
 */
bool raw_wait_closed(int fd, int timeout_ms);

/*
 * pack_request() - [0, msgid, method, [{k: v, ...}]] with @n_kv string pairs
 * (a value starting with '#' is packed as the unsigned number after it).
 */
void pack_request(msgpack_sbuffer *sb, uint32_t msgid, const char *method, int n_kv, ...);

/* A response, picked apart. */
typedef struct Resp {
        uint32_t msgid;
        char code[64]; /* "" on success */
        char message[512];
        msgpack_object result; /* valid while the msgpack_unpacked lives */
} Resp;

/* resp_parse() - check @o is a response envelope and fill @r. Return: true if it is. */
bool resp_parse(const msgpack_object *o, Resp *r);
/* resp_str() - the string field @key of a result map, copied to @buf ("" if absent). */
const char *resp_str(const msgpack_object *map, const char *key, char *buf, size_t size);
/* resp_uint() - the uint field @key of a result map (-1 if absent). */
long long resp_uint(const msgpack_object *map, const char *key);
/*
 * call() - one request over a fresh raw connection; fills @r (string
 * fields copied; result not kept).  Return: the raw_recv() result.
 */
int call_raw(const char *socket, const void *req, size_t len, Resp *r, int timeout_ms);

/*
 * check_rejected() - send @len bytes of @msg on a fresh connection and check
 * the agent answers an error @code with msgid 0 and then closes the
 * connection (a send cut short by that close is fine).
 */
void check_rejected(const char *socket, const void *msg, size_t len, const char *code);
/*
 * check_answered() - send @msg on @fd (kept open) and check the answer to
 * @msgid carries error @code ("" for success).
 */
void check_answered(int fd, const void *msg, size_t len, uint32_t msgid, const char *code);
/*
 * expect_answer() - the next answer on @fd (within 10 s) is to @msgid (0 for
 * a refusal) with error @code ("" for success), its message containing
 * @message unless NULL.
 */
void expect_answer(int fd, uint32_t msgid, const char *code, const char *message);
/* read_loadavg() - /proc/loadavg's line without its newline into @buf ("" if unreadable). */
void read_loadavg(char *buf, size_t size);
/* is_answered() - has the agent answered or closed @fd already (no waiting)? */
bool is_answered(int fd);
/* check_served() - GetCallerIdentity on a fresh connection is answered. */
void check_served(const char *socket);
