/* SPDX-License-Identifier: MIT */
/*
 * bench-fairness.c - how long one uid's load delays another uid's requests;
 * not a ctest test (tests/bench/run-bench runs it, as root, once
 * tests/util/setup-users made the test users).
 *
 *   bench-fairness [--rounds N] [--samples N] [--gap-us US] ROLED ROLECTL
 *
 * It starts a system-mode roled with the tests' harness (tests/util: a
 * private folder, no roles at all: GetCallerIdentity needs none, for alice
 * or bob) and measures alice's (uid 2101) GetCallerIdentity round trips on
 * one open connection, --gap-us apart, under each of bob's (uid 2102) loads:
 *
 *   alone  no load
 *   pipe1  bob pipelines GetCallerIdentity without pause on 1 connection
 *          (writes of 100 requests whenever the socket takes them, answers
 *          read as they come)
 *   pipe8  the same on 8 connections (CONN_FAIR_SHARE: bob is never "busy")
 *   flood  4 processes of bob, each in a loop: connect, one request, wait
 *          for its answer, close (as credential_process does)
 *   burst  1,000 concurrent clients of bob: 4 processes keep 250
 *          connections each asking; an answered one is closed and replaced
 *          by a new one (past max_connections_per_uid they wait, parked)
 *
 * Each load runs --rounds times, interleaved (alone, pipe1, ..., then again)
 * so that drift on a shared machine hits all alike; alice makes --samples /
 * --rounds round trips per round once bob's load is running (his answers
 * are counted: the wait is for answers, not a fixed time).  One line per
 * load after a "# " line saying what ran, key=value, the round trips of
 * all rounds pooled:
 *
 *   load=pipe8 p50=… p90=… p99=… max=… (µs) p99_x_alone_p50=… n=…
 *   round_p99=a,b,c bob_per_s=… bob_errors=… agent_cpu_wait_ms=… window_ms=…
 *
 * bob_per_s is bob's answers per second while alice measured, bob_errors
 * his error answers (Throttling) and failed connects, agent_cpu_wait_ms how
 * long the agent's loop thread waited for a CPU meanwhile
 * (/proc/PID/schedstat; on a 2-core machine bob's processes take CPUs from
 * the agent too) and window_ms how long alice's round trips took in all.
 * A round trip is what alice waits: her own wake-up is part of it.  A
 * broken load (bob's pipelined connection closed, alice not answered) ends
 * the run with status 1; figures are never a verdict here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "bench-clock.h"

#define SAMPLES_MAX 100000
#define ROUNDS_MAX 20
#define BOB_PROCS_MAX 4
#define BOB_CONNS_MAX 250
#define PIPELINE_DEPTH 100 /* requests per write of a pipelining connection */
#define LOAD_START_MS 20000
#define ANSWER_MS 10000

typedef struct Load {
        const char *name;
        int n_procs;   /* bob's processes (0: alice alone) */
        int n_conns;   /* connections per process */
        bool is_fresh; /* a connection per request; else pipelined on open connections */
} Load;

static const Load loads[] = {
        { "alone", 0, 0, false },
        { "pipe1", 1, 1, false },
        { "pipe8", 1, 8, false },
        { "flood", 4, 1, true },
        { "burst", BOB_PROCS_MAX, BOB_CONNS_MAX, true },
};
#define N_LOADS (sizeof(loads) / sizeof(loads[0]))

/* What alice's and bob's processes report, in memory shared across fork(). */
typedef struct Shared {
        atomic_bool is_stopping;
        atomic_uint_fast64_t n_answers; /* bob's successful answers */
        atomic_uint_fast64_t n_errors;  /* bob's error answers and failed connects */
        uint64_t lat_us[SAMPLES_MAX];   /* alice's round trips of one run */
} Shared;

static TestAgent agent;
static Shared *shared;
static int n_per_round = 200;
static int gap_us = 3000;

/* bob_connect() - a connection to the agent whose connect() waits at most 1 s; or -errno. */
static int bob_connect(void)
{
        struct timeval tv = { .tv_sec = 1 };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(agent.socket);
        int fd, e;

        CHECK(len < sizeof(sa.sun_path));
        memcpy(sa.sun_path, agent.socket, len + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
            connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return fd;
        e = errno;
        close(fd);
        return -e;
}

/* count() - one answer bob read: a success or an error answer. */
static void count(const msgpack_object *o)
{
        Resp r;

        if (resp_parse(o, &r) && r.code[0] == '\0')
                atomic_fetch_add_explicit(&shared->n_answers, 1, memory_order_relaxed);
        else
                atomic_fetch_add_explicit(&shared->n_errors, 1, memory_order_relaxed);
}

/*
 * pipeline() - bob's pipelining process: @n_conns connections, each written
 * PIPELINE_DEPTH requests at a time whenever it takes them (a partial write
 * is finished before the next batch starts, so no request is cut), answers
 * read and counted as they come, until told to stop.
 */
static int pipeline(int n_conns)
{
        struct pollfd p[BOB_CONNS_MAX];
        msgpack_unpacker up[BOB_CONNS_MAX];
        size_t off[BOB_CONNS_MAX] = { 0 };
        msgpack_unpacked u;
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        for (int i = 0; i < PIPELINE_DEPTH; i++)
                pack_request(&sb, (uint32_t)i + 1, "GetCallerIdentity", 0);
        msgpack_unpacked_init(&u);
        for (int i = 0; i < n_conns; i++) {
                p[i] = (struct pollfd){ .fd = raw_connect(agent.socket),
                                        .events = POLLIN | POLLOUT };
                CHECK(raw_hello(p[i].fd) == 0);
                CHECK(fcntl(p[i].fd, F_SETFL, O_NONBLOCK) == 0);
                CHECK(msgpack_unpacker_init(&up[i], 65536));
        }
        while (!atomic_load(&shared->is_stopping)) {
                int n = poll(p, (nfds_t)n_conns, 50);

                CHECK(n >= 0 || errno == EINTR);
                for (int i = 0; i < n_conns && n > 0; i++) {
                        if (p[i].revents & POLLIN) {
                                ssize_t got;

                                CHECK(msgpack_unpacker_reserve_buffer(&up[i], 65536));
                                got = read(p[i].fd, msgpack_unpacker_buffer(&up[i]), 65536);
                                CHECK_MSG(got > 0 || (got < 0 && errno == EAGAIN),
                                          "bob's pipelining connection %d closed (%zd, %s)", i, got,
                                          got < 0 ? strerror(errno) : "end of stream");
                                if (got > 0)
                                        msgpack_unpacker_buffer_consumed(&up[i], (size_t)got);
                                while (msgpack_unpacker_next(&up[i], &u) == MSGPACK_UNPACK_SUCCESS)
                                        count(&u.data);
                        } else if (p[i].revents & (POLLHUP | POLLERR)) {
                                CHECK_MSG(false, "bob's pipelining connection %d hung up", i);
                        }
                        if (p[i].revents & POLLOUT) {
                                ssize_t w = write(p[i].fd, sb.data + off[i], sb.size - off[i]);

                                CHECK(w > 0 || (w < 0 && errno == EAGAIN));
                                if (w > 0)
                                        off[i] = (off[i] + (size_t)w) % sb.size;
                        }
                }
        }
        return 0;
}

/*
 * fresh() - bob's fresh-connection process: @n_conns clients at once, each
 * connects, sends one request and, once answered, closes and starts over
 * (a connection the agent hangs up on, or one that cannot connect, counts
 * as an error and starts over too).
 */
static int fresh(int n_conns)
{
        struct pollfd p[BOB_CONNS_MAX];
        msgpack_unpacked u;
        msgpack_unpacker up;
        msgpack_sbuffer sb;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCallerIdentity", 0);
        msgpack_unpacked_init(&u);
        CHECK(msgpack_unpacker_init(&up, 4096));
        for (int i = 0; i < n_conns; i++)
                p[i] = (struct pollfd){ .fd = -1, .events = POLLIN };
        while (!atomic_load(&shared->is_stopping)) {
                int n;

                for (int i = 0; i < n_conns && !atomic_load(&shared->is_stopping); i++) {
                        if (p[i].fd >= 0)
                                continue;
                        p[i].fd = bob_connect();
                        if (p[i].fd >= 0 && raw_send(p[i].fd, sb.data, sb.size) == 0)
                                continue;
                        atomic_fetch_add_explicit(&shared->n_errors, 1, memory_order_relaxed);
                        if (p[i].fd >= 0)
                                close(p[i].fd);
                        p[i].fd = -1;
                        usleep(1000);
                }
                n = poll(p, (nfds_t)n_conns, 50);
                CHECK(n >= 0 || errno == EINTR);
                for (int i = 0; i < n_conns && n > 0; i++) {
                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        if (raw_recv(p[i].fd, &up, &u, 1000) == 1)
                                count(&u.data);
                        else
                                atomic_fetch_add_explicit(&shared->n_errors, 1,
                                                          memory_order_relaxed);
                        close(p[i].fd);
                        p[i].fd = -1;
                        /* A fresh unpacker for the next connection: nothing carries over. */
                        msgpack_unpacker_destroy(&up);
                        CHECK(msgpack_unpacker_init(&up, 4096));
                }
        }
        return 0;
}

/* alice() - n_per_round GetCallerIdentity round trips on one connection, into shared->lat_us. */
static int alice(void *arg)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        msgpack_sbuffer sb;
        int fd = raw_connect(agent.socket);

        (void)arg;
        CHECK(raw_hello(fd) == 0);
        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 7, "GetCallerIdentity", 0);
        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        for (int i = -5; i < n_per_round; i++) { /* 5 round trips to warm up */
                uint64_t t0 = now_ns();
                Resp r;

                CHECK(raw_send(fd, sb.data, sb.size) == 0);
                CHECK_MSG(raw_recv(fd, &up, &u, ANSWER_MS) == 1, "alice was not answered");
                if (i >= 0)
                        shared->lat_us[i] = (now_ns() - t0) / 1000;
                CHECK(resp_parse(&u.data, &r) && r.code[0] == '\0' && r.msgid == 7);
                usleep((useconds_t)gap_us);
        }
        close(fd);
        return 0;
}

/* agent_cpu_wait_ns() - how long the agent waited for a CPU so far (schedstat), or 0. */
static uint64_t agent_cpu_wait_ns(void)
{
        unsigned long long run = 0, wait = 0;
        char path[64];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)agent.pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%llu %llu", &run, &wait) != 2)
                wait = 0;
        fclose(f);
        return wait;
}

/* One load's figures over all rounds. */
typedef struct Result {
        uint64_t *lat_us; /* n_rounds * n_per_round */
        int n;
        uint64_t round_p99[ROUNDS_MAX];
        uint64_t n_bob_answers, n_bob_errors, bob_ns, cpu_wait_ns;
} Result;

/* run() - one round of @l: start bob's load, wait for his answers, alice measures, stop bob. */
static void run(const Load *l, int round, Result *res)
{
        pid_t bob[BOB_PROCS_MAX];
        uint64_t t0, t1, a0, e0, w0, deadline, warm = (uint64_t)(l->n_procs * l->n_conns) * 2 + 500;

        atomic_store(&shared->is_stopping, false);
        atomic_store(&shared->n_answers, 0);
        atomic_store(&shared->n_errors, 0);
        fflush(NULL);
        for (int i = 0; i < l->n_procs; i++) {
                bob[i] = fork();
                CHECK(bob[i] >= 0);
                if (bob[i] == 0) {
                        become(UID_BOB);
                        _exit(l->is_fresh ? fresh(l->n_conns) : pipeline(l->n_conns));
                }
        }
        deadline = now_ns() + LOAD_START_MS * 1000000ull;
        while (l->n_procs > 0 && atomic_load(&shared->n_answers) < warm) {
                CHECK_MSG(now_ns() < deadline, "%s: bob had %llu answers after %d ms", l->name,
                          (unsigned long long)atomic_load(&shared->n_answers), LOAD_START_MS);
                usleep(1000);
        }
        a0 = atomic_load(&shared->n_answers);
        e0 = atomic_load(&shared->n_errors);
        w0 = agent_cpu_wait_ns();
        t0 = now_ns();
        CHECK_INT(run_as(UID_ALICE, alice, NULL), ==, 0);
        t1 = now_ns();
        res->cpu_wait_ns += agent_cpu_wait_ns() - w0;
        res->n_bob_answers += atomic_load(&shared->n_answers) - a0;
        res->n_bob_errors += atomic_load(&shared->n_errors) - e0;
        res->bob_ns += t1 - t0;
        atomic_store(&shared->is_stopping, true);
        for (int i = 0; i < l->n_procs; i++)
                CHECK_MSG(wait_status(bob[i]) == 0, "%s: a process of bob's load failed", l->name);
        memcpy(res->lat_us + res->n, shared->lat_us, (size_t)n_per_round * sizeof(uint64_t));
        qsort(shared->lat_us, (size_t)n_per_round, sizeof(uint64_t), cmp_u64);
        res->round_p99[round] = shared->lat_us[n_per_round * 99 / 100];
        res->n += n_per_round;
}

static void print_load(const Load *l, Result *res, int n_rounds, uint64_t alone_p50)
{
        uint64_t *v = res->lat_us;
        int n = res->n;

        qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
        printf("load=%s p50=%" PRIu64 " p90=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64
               " p99_x_alone_p50=%.2f n=%d round_p99=",
               l->name, v[n / 2], v[n * 9 / 10], v[n * 99 / 100], v[n - 1],
               (double)v[n * 99 / 100] / alone_p50, n);
        for (int r = 0; r < n_rounds; r++)
                printf("%s%" PRIu64, r ? "," : "", res->round_p99[r]);
        printf(" bob_per_s=%.0f bob_errors=%llu agent_cpu_wait_ms=%.1f window_ms=%.0f\n",
               res->bob_ns ? res->n_bob_answers * 1e9 / (double)res->bob_ns : 0.0,
               (unsigned long long)res->n_bob_errors, (double)res->cpu_wait_ns / 1e6,
               (double)res->bob_ns / 1e6);
}

static void usage(const char *argv0)
{
        fprintf(stderr, "usage: %s [--rounds N] [--samples N] [--gap-us US] ROLED ROLECTL\n",
                argv0);
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "rounds", required_argument, NULL, 'r' },
                { "samples", required_argument, NULL, 'n' },
                { "gap-us", required_argument, NULL, 'g' },
                {},
        };
        static Result results[N_LOADS];
        AgentOpts o = AGENT_OPTS_INIT;
        char *targs[3];
        int n_rounds = 3, n_samples = 600, opt;
        char load[64] = "";

        while ((opt = getopt_long(argc, argv, "r:n:g:", options, NULL)) != -1) {
                switch (opt) {
                case 'r':
                        n_rounds = atoi(optarg);
                        break;
                case 'n':
                        n_samples = atoi(optarg);
                        break;
                case 'g':
                        gap_us = atoi(optarg);
                        break;
                default:
                        usage(argv[0]);
                }
        }
        if (argc - optind != 2 || n_rounds < 1 || n_rounds > ROUNDS_MAX || gap_us < 0 ||
            n_samples < n_rounds * 10 || n_samples > SAMPLES_MAX)
                usage(argv[0]);
        n_per_round = n_samples / n_rounds;
        targs[0] = argv[0];
        targs[1] = argv[optind];
        targs[2] = argv[optind + 1];
        test_init(3, targs);
        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                      0);
        CHECK(shared != MAP_FAILED);
        for (size_t i = 0; i < N_LOADS; i++) {
                results[i].lat_us =
                        calloc((size_t)n_rounds * (size_t)n_per_round, sizeof(uint64_t));
                CHECK(results[i].lat_us);
        }
        o.log_level = "warning";
        agent_spawn_opts(config_new(NULL), &o, &agent);
        read_loadavg(load, sizeof(load));
        printf("# alice (uid %d): GetCallerIdentity round trips on one connection, %d us apart, "
               "%d per load in %d interleaved rounds; bob (uid %d) has no roles, nor does alice; "
               "load average %s\n",
               UID_ALICE, gap_us, n_per_round * n_rounds, n_rounds, UID_BOB, load);
        for (int r = 0; r < n_rounds; r++)
                for (size_t i = 0; i < N_LOADS; i++) {
                        fprintf(stderr, "bench-fairness: round %d/%d, %s\n", r + 1, n_rounds,
                                loads[i].name);
                        run(&loads[i], r, &results[i]);
                }
        qsort(results[0].lat_us, (size_t)results[0].n, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < N_LOADS; i++)
                print_load(&loads[i], &results[i], n_rounds,
                           results[0].lat_us[results[0].n / 2] ? results[0].lat_us[results[0].n / 2]
                                                               : 1);
        check_served(agent.socket);
        agent_stop(&agent);
        return 0;
}
