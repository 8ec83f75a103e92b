/* SPDX-License-Identifier: MIT */
/*
 * bench-libroled.c - libroled from many threads on one client, against a
 * running agent; not a ctest test (tests/bench/run-bench runs it).
 *
 *   --mode cached:    --threads N threads call roled_get_credentials() for
 *                     the same role for --duration seconds (cache hits);
 *                     prints calls/s, p50/p99 (every 64th call timed) and how
 *                     many requests the agent served meanwhile (Status).
 *   --mode authorize: roled_authorize() with the role's session token from
 *                     1 thread, from 2 threads sharing one client
 *                     (pipelined) and from 2 threads with a client each,
 *                     each for --duration seconds, the three interleaved
 *                     --rounds times (default 3); prints the median rates
 *                     and the ratios to 1 thread, the target being that 2
 *                     threads on one client scale like 2 clients.  Each
 *                     round also gives this process's CPU time and context
 *                     switches per call, and with --agent-pid the agent's
 *                     CPU time per call (figures load does not distort as
 *                     much as rates).
 */
#include <getopt.h>
#include <pthread.h>
#include <roled/roled.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define THREADS_MAX 64
#define SAMPLES_MAX (1u << 20)

typedef struct Bench {
        roled_client *client;
        const char *role;
        const char *token;
        atomic_bool is_running;
} Bench;

typedef struct Worker {
        Bench *b;
        roled_client *client; /* NULL: b->client */
        pthread_t thread;
        uint64_t n_calls;
        uint64_t n_errors;
        uint32_t *samples; /* ns */
        size_t n_samples;
} Worker;

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cached_worker(void *arg)
{
        Worker *w = arg;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;

        req.role = w->b->role;
        while (atomic_load_explicit(&w->b->is_running, memory_order_relaxed)) {
                bool is_timed = (w->n_calls & 63) == 0 && w->n_samples < SAMPLES_MAX / THREADS_MAX;
                int64_t t0 = is_timed ? now_ns() : 0;
                roled_credentials *cr = NULL;

                if (roled_get_credentials(w->b->client, &req, &cr, NULL) != ROLED_OK)
                        w->n_errors++;
                roled_credentials_unref(cr);
                if (is_timed)
                        w->samples[w->n_samples++] = (uint32_t)(now_ns() - t0);
                w->n_calls++;
        }
        return NULL;
}

static void *authorize_worker(void *arg)
{
        Worker *w = arg;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;

        q.session_token = w->b->token;
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/obj";
        while (atomic_load_explicit(&w->b->is_running, memory_order_relaxed)) {
                roled_authz_result *res = NULL;

                if (roled_authorize(w->client ? w->client : w->b->client, &q, &res, NULL) !=
                    ROLED_OK)
                        w->n_errors++;
                roled_authz_result_unref(res);
                w->n_calls++;
        }
        return NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
        return v[n / 2];
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

        return x < y ? -1 : x > y;
}

/* What a run cost this process per call: CPU time and context switches (load does not inflate
 * these). */
typedef struct Cost {
        double cpu_us;
        double n_csw;
        double agent_us; /* the agent's CPU time per call (--agent-pid), or -1 */
} Cost;

static int agent_pid; /* --agent-pid: also count the agent's CPU time */

/* agent_cpu_us() - utime + stime of agent_pid from /proc, or -1. */
static double agent_cpu_us(void)
{
        char path[64], buf[1024], *p;
        unsigned long long ut, st;
        FILE *f;
        size_t n;

        if (agent_pid <= 0)
                return -1;
        snprintf(path, sizeof(path), "/proc/%d/stat", agent_pid);
        f = fopen(path, "r");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -1;
        return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

static double tv_us(struct timeval tv)
{
        return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

/* run() - @n threads of @fn for @duration seconds; returns calls/s, fills the totals and @costp. */
static double run(Bench *b, Worker *w, int n, void *(*fn)(void *), double duration,
                  uint64_t *errorsp, Cost *costp)
{
        uint64_t calls = 0, errors = 0;
        struct rusage u0, u1;
        double a0 = agent_cpu_us(), a1;
        int64_t t0;

        getrusage(RUSAGE_SELF, &u0);
        atomic_store(&b->is_running, true);
        t0 = now_ns();
        for (int i = 0; i < n; i++) {
                w[i].b = b;
                w[i].n_calls = w[i].n_errors = 0;
                w[i].n_samples = 0;
                pthread_create(&w[i].thread, NULL, fn, &w[i]);
        }
        while (now_ns() - t0 < (int64_t)(duration * 1e9)) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };

                nanosleep(&ts, NULL);
        }
        atomic_store(&b->is_running, false);
        for (int i = 0; i < n; i++) {
                pthread_join(w[i].thread, NULL);
                calls += w[i].n_calls;
                errors += w[i].n_errors;
        }
        getrusage(RUSAGE_SELF, &u1);
        a1 = agent_cpu_us();
        *errorsp = errors;
        if (costp && calls) {
                costp->cpu_us = (tv_us(u1.ru_utime) + tv_us(u1.ru_stime) - tv_us(u0.ru_utime) -
                                 tv_us(u0.ru_stime)) /
                                (double)calls;
                costp->n_csw = (double)(u1.ru_nvcsw + u1.ru_nivcsw - u0.ru_nvcsw - u0.ru_nivcsw) /
                               (double)calls;
                costp->agent_us = a0 >= 0 && a1 >= 0 ? (a1 - a0) / (double)calls : -1;
        }
        return (double)calls / ((double)(now_ns() - t0) / 1e9);
}

/* agent_requests() - the agent's "requests" counter (Status), or -1. */
static long long agent_requests(roled_client *c)
{
        char *json = NULL;
        const char *p;
        long long n = -1;

        if (roled_agent_status_json(c, &json, NULL) == ROLED_OK &&
            (p = strstr(json, "\"requests\": ")))
                n = strtoll(p + 12, NULL, 10);
        free(json);
        return n;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "role", required_argument, NULL, 'r' },
                { "threads", required_argument, NULL, 't' },
                { "duration", required_argument, NULL, 'd' },
                { "mode", required_argument, NULL, 'm' },
                { "rounds", required_argument, NULL, 'n' },
                { "agent-pid", required_argument, NULL, 'p' },
                {},
        };
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *cr = NULL;
        const char *mode = "cached";
        static Worker w[THREADS_MAX];
        Bench b = { 0 };
        double duration = 5;
        int n_threads = 16, n_rounds = 3, opt;
        uint64_t errors;

        while ((opt = getopt_long(argc, argv, "s:r:t:d:m:n:p:", options, NULL)) != -1) {
                switch (opt) {
                case 's':
                        o.socket_path = optarg;
                        break;
                case 'r':
                        b.role = optarg;
                        break;
                case 't':
                        n_threads = atoi(optarg);
                        break;
                case 'd':
                        duration = atof(optarg);
                        break;
                case 'm':
                        mode = optarg;
                        break;
                case 'n':
                        n_rounds = atoi(optarg);
                        break;
                case 'p':
                        agent_pid = atoi(optarg);
                        break;
                default:
                        return 2;
                }
        }
        if (!b.role || n_threads < 1 || n_threads > THREADS_MAX || duration <= 0 || n_rounds < 1 ||
            n_rounds > 99) {
                fprintf(stderr,
                        "usage: %s --socket PATH --role ROLE [--mode cached|authorize] "
                        "[--threads 1..%d] [--duration S] [--rounds N] [--agent-pid PID]\n",
                        argv[0], THREADS_MAX);
                return 2;
        }
        req.role = b.role;
        if (roled_client_connect(&o, &b.client, &err) != ROLED_OK ||
            roled_get_credentials(b.client, &req, &cr, &err) != ROLED_OK) {
                fprintf(stderr, "%s: %s\n", argv[0], roled_error_message(&err));
                roled_error_clear(&err);
                return 1;
        }
        b.token = roled_credentials_session_token(cr);
        for (int i = 0; i < THREADS_MAX; i++) {
                w[i].samples = malloc(sizeof(uint32_t) * (SAMPLES_MAX / THREADS_MAX));
                if (!w[i].samples)
                        return 1;
        }
        if (strcmp(mode, "cached") == 0) {
                static uint32_t all[SAMPLES_MAX];
                long long before = agent_requests(b.client), after;
                size_t n = 0;
                double rate = run(&b, w, n_threads, cached_worker, duration, &errors, NULL);

                after = agent_requests(b.client);
                for (int i = 0; i < n_threads; i++)
                        for (size_t j = 0; j < w[i].n_samples; j++)
                                all[n++] = w[i].samples[j];
                qsort(all, n, sizeof(all[0]), cmp_u32);
                /* The two Status calls are the agent's only other requests. */
                printf("cached: %d threads, %.0f calls/s, p50 %.2f us, p99 %.2f us, %llu errors, "
                       "%lld agent requests meanwhile\n",
                       n_threads, rate, n ? all[n / 2] / 1e3 : 0, n ? all[n * 99 / 100] / 1e3 : 0,
                       (unsigned long long)errors,
                       after >= 0 && before >= 0 ? after - before - 1 : -1);
        } else if (strcmp(mode, "authorize") == 0) {
                double one[99], two[99], sep[99];
                uint64_t e, errors_all = 0;
                Cost c1, c2, cs;
                roled_client *other = NULL;

                /* The second client of the "2 clients" runs; its first call connects it. */
                if (roled_client_connect(&o, &other, &err) != ROLED_OK) {
                        fprintf(stderr, "%s: %s\n", argv[0], roled_error_message(&err));
                        roled_error_clear(&err);
                        return 1;
                }
                for (int r = 0; r < n_rounds; r++) {
                        one[r] = run(&b, w, 1, authorize_worker, duration, &e, &c1);
                        errors_all += e;
                        two[r] = run(&b, w, 2, authorize_worker, duration, &e, &c2);
                        errors_all += e;
                        w[1].client = other;
                        sep[r] = run(&b, w, 2, authorize_worker, duration, &e, &cs);
                        w[1].client = NULL;
                        errors_all += e;
                        printf("round %d: 1 thread %.0f/s (%.1f us CPU, %.2f csw, agent %.1f us "
                               "per call), "
                               "2 threads on one client %.0f/s (%.1f us, %.2f csw, agent %.1f us), "
                               "2 clients %.0f/s (%.1f us, %.2f csw, agent %.1f us)\n",
                               r + 1, one[r], c1.cpu_us, c1.n_csw, c1.agent_us, two[r], c2.cpu_us,
                               c2.n_csw, c2.agent_us, sep[r], cs.cpu_us, cs.n_csw, cs.agent_us);
                }
                {
                        double m1 = median(one, n_rounds), m2 = median(two, n_rounds),
                               ms = median(sep, n_rounds);

                        printf("authorize: 1 thread %.0f/s, 2 threads on one client %.0f/s, ratio "
                               "%.2f, "
                               "2 clients %.0f/s, ratio %.2f, %llu errors (medians of %d rounds)\n",
                               m1, m2, m2 / m1, ms, ms / m1, (unsigned long long)errors_all,
                               n_rounds);
                }
                roled_client_close(other);
        } else {
                return 2;
        }
        roled_credentials_unref(cr);
        roled_client_close(b.client);
        for (int i = 0; i < THREADS_MAX; i++)
                free(w[i].samples);
        return 0;
}
