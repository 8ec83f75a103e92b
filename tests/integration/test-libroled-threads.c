/* SPDX-License-Identifier: MIT */
/*
 * test-libroled-threads.c - libroled as a multi-threaded or event-driven
 * service uses it, against a real agent.
 *
 * With the agent stopped (SIGSTOP) and one thread waiting inside
 * roled_authorize(), a cached roled_get_credentials() in another thread
 * is answered at once; six threads with a 1 s timeout each give up after their own
 * second (the deadline bounds the whole call, the wait for other threads
 * included), and after SIGCONT the same clients work again.  Two threads'
 * Authorize calls share one connection (pipelined); asynchronous calls
 * are driven by poll() on roled_client_get_fd() and run their callbacks
 * only from roled_client_process(), and tests/example-uv/uv-client does the
 * same from a libuv loop.  tests/tsan builds this file a second
 * time with ThreadSanitizer.
 */
#include <poll.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <roled/roled.h>

#include "agent.h"

static TestAgent agent;

static const char policy[] =
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
        "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::data/*\"}]}";

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static roled_client *connect_timeout(int timeout_ms)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = NULL;

        o.socket_path = agent.socket;
        o.timeout_ms = timeout_ms;
        CHECK_MSG(roled_client_connect(&o, &c, &err) == ROLED_OK, "%s", roled_error_message(&err));
        roled_error_clear(&err);
        return c;
}

static roled_credentials *get_creds(roled_client *c, unsigned flags)
{
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_credentials *cr = NULL;

        req.role = "lib";
        req.flags = flags;
        CHECK_MSG(roled_get_credentials(c, &req, &cr, &err) == ROLED_OK, "%s",
                  roled_error_message(&err));
        roled_error_clear(&err);
        return cr;
}

typedef struct Waiter {
        roled_client *client;
        const roled_credentials *creds;
        roled_status status;
        int64_t elapsed_ms;
        atomic_bool is_done;
        char message[256];
} Waiter;

static void *authorize_thread(void *arg)
{
        Waiter *w = arg;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_authz_result *res = NULL;
        int64_t t0 = now_ms();

        q.session_token = roled_credentials_session_token(w->creds);
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/x";
        w->status = roled_authorize(w->client, &q, &res, &err);
        w->elapsed_ms = now_ms() - t0;
        snprintf(w->message, sizeof(w->message), "%s", roled_error_message(&err));
        roled_error_clear(&err);
        roled_authz_result_unref(res);
        atomic_store(&w->is_done, true);
        return NULL;
}

static void *whoami_thread(void *arg)
{
        Waiter *w = arg;
        roled_error err = ROLED_ERROR_INIT;
        roled_identity *id = NULL;
        int64_t t0 = now_ms();

        w->status = roled_whoami(w->client, &id, &err);
        w->elapsed_ms = now_ms() - t0;
        snprintf(w->message, sizeof(w->message), "%s", roled_error_message(&err));
        CHECK(w->status == ROLED_OK ? id != NULL : id == NULL);
        roled_error_clear(&err);
        roled_identity_unref(id);
        atomic_store(&w->is_done, true);
        return NULL;
}

static void test_stopped_agent(void)
{
        roled_client *c = connect_timeout(3000), *quick = connect_timeout(1000);
        roled_credentials *cr = get_creds(c, 0), *again;
        Waiter slow = { .client = c, .creds = cr }, six[6];
        pthread_t t, ts[6];

        CHECK(kill(agent.pid, SIGSTOP) == 0);
        CHECK(pthread_create(&t, NULL, authorize_thread, &slow) == 0);
        /* Let the Authorize get on its way; whether it has or not, the rest must hold. */
        usleep(100 * 1000);
        again = get_creds(c, 0);
        CHECK_STREQ(roled_credentials_access_key_id(again), roled_credentials_access_key_id(cr));
        CHECK_MSG(!atomic_load(&slow.is_done), "the Authorize on a stopped agent returned first");
        roled_credentials_unref(again);

        /* Six threads, one client, 1 s each: each call is bounded by its own deadline. */
        for (int i = 0; i < 6; i++) {
                six[i] = (Waiter){ .client = quick };
                CHECK(pthread_create(&ts[i], NULL, whoami_thread, &six[i]) == 0);
        }
        for (int i = 0; i < 6; i++) {
                CHECK(pthread_join(ts[i], NULL) == 0);
                CHECK_INT(six[i].status, ==, ROLED_E_TIMEOUT);
                CHECK_CONTAINS(six[i].message, "within 1000 ms");
                /* A deadline (1 s) with room for a loaded machine, not a speed target. */
                CHECK_MSG(six[i].elapsed_ms < 2500,
                          "thread %d waited %lld ms for a 1000 ms timeout", i,
                          (long long)six[i].elapsed_ms);
        }
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_INT(slow.status, ==, ROLED_E_TIMEOUT);
        CHECK_CONTAINS(slow.message, "within 3000 ms");

        /* Back: the stale answers are dropped by msgid and every client works again. */
        CHECK(kill(agent.pid, SIGCONT) == 0);
        slow = (Waiter){ .client = c, .creds = cr };
        authorize_thread(&slow);
        CHECK_MSG(slow.status == ROLED_OK, "%s", slow.message);
        six[0] = (Waiter){ .client = quick };
        whoami_thread(&six[0]);
        CHECK_MSG(six[0].status == ROLED_OK, "%s", six[0].message);
        roled_credentials_unref(cr);
        roled_client_close(quick);
        roled_client_close(c);
}

typedef struct Pipe {
        roled_client *client;
        const roled_credentials *creds;
        int n_allowed;
} Pipe;

static void *authorize_many(void *arg)
{
        Pipe *p = arg;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;

        q.session_token = roled_credentials_session_token(p->creds);
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/x";
        for (int i = 0; i < 300; i++) {
                roled_authz_result *res = NULL;

                if (roled_authorize(p->client, &q, &res, NULL) == ROLED_OK &&
                    roled_authz_result_decision(res) == ROLED_DECISION_ALLOW)
                        p->n_allowed++;
                roled_authz_result_unref(res);
        }
        return NULL;
}

static void *cached_many(void *arg)
{
        roled_client *c = arg;

        for (int i = 0; i < 20000; i++)
                roled_credentials_unref(get_creds(c, 0));
        return NULL;
}

/* Several threads on one client: Authorize pipelined, cached calls beside them. */
static void test_threads_share_a_client(void)
{
        roled_client *c = connect_timeout(0);
        roled_credentials *cr = get_creds(c, ROLED_CREDENTIALS_FRESH);
        Pipe p[3] = { { c, cr, 0 }, { c, cr, 0 }, { c, cr, 0 } };
        pthread_t t[5];

        for (int i = 0; i < 3; i++)
                CHECK(pthread_create(&t[i], NULL, authorize_many, &p[i]) == 0);
        for (int i = 3; i < 5; i++)
                CHECK(pthread_create(&t[i], NULL, cached_many, c) == 0);
        for (int i = 0; i < 5; i++)
                CHECK(pthread_join(t[i], NULL) == 0);
        for (int i = 0; i < 3; i++)
                CHECK_INT(p[i].n_allowed, ==, 300);
        roled_credentials_unref(cr);
        roled_client_close(c);
}

/* The event-loop side: callbacks run from roled_client_process(), never from the call. */
typedef struct Loop {
        int n_creds, n_authz, n_identity;
        bool is_in_call;
        char akid[64];
} Loop;

static void on_creds(roled_client *c, roled_status st, roled_credentials *cr,
                     const roled_error *err, void *userdata)
{
        Loop *l = userdata;

        CHECK(!l->is_in_call);
        CHECK_MSG(st == ROLED_OK, "%s", roled_error_message(err));
        if (l->akid[0])
                CHECK_STREQ(roled_credentials_access_key_id(cr), l->akid);
        snprintf(l->akid, sizeof(l->akid), "%s", roled_credentials_access_key_id(cr));
        l->n_creds++;
        roled_credentials_unref(cr);
}

static void on_authz(roled_client *c, roled_status st, roled_authz_result *res,
                     const roled_error *err, void *userdata)
{
        Loop *l = userdata;

        CHECK(!l->is_in_call);
        CHECK_MSG(st == ROLED_OK, "%s", roled_error_message(err));
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_ALLOW);
        l->n_authz++;
        roled_authz_result_unref(res);
}

static void on_identity(roled_client *c, roled_status st, roled_identity *id,
                        const roled_error *err, void *userdata)
{
        Loop *l = userdata;

        CHECK(!l->is_in_call);
        CHECK_INT(st, ==, ROLED_OK);
        CHECK_INT(roled_identity_pid(id), ==, getpid());
        l->n_identity++;
        roled_identity_unref(id);
}

static void on_cancelled(roled_client *c, roled_status st, roled_identity *id,
                         const roled_error *err, void *userdata)
{
        Loop *l = userdata;

        CHECK_INT(st, ==, ROLED_E_CANCELLED);
        CHECK(!id);
        CHECK_CONTAINS(roled_error_message(err), "closed");
        l->n_identity++;
}

static void run_loop(roled_client *c, const int *counter, int want)
{
        int64_t end = now_ms() + 10000;

        while (*counter < want) {
                struct pollfd p = { .fd = roled_client_get_fd(c),
                                    .events = roled_client_get_events(c) };
                int timeout = roled_client_get_timeout(c);

                CHECK_MSG(now_ms() < end, "the loop did not finish");
                CHECK(poll(&p, 1, timeout < 0 || timeout > 1000 ? 1000 : timeout) >= 0);
                CHECK_INT(roled_client_process(c, NULL), ==, ROLED_OK);
        }
}

static void test_async(void)
{
        roled_client *c = connect_timeout(0);
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        roled_credentials *cr;
        Loop l = { 0 };
        int fd = roled_client_get_fd(c);

        req.role = "lib";
        CHECK(fd >= 0);
        /* A miss, then a hit: both answered from the loop. */
        l.is_in_call = true;
        CHECK_INT(roled_get_credentials_async(c, &req, on_creds, &l, NULL), ==, ROLED_OK);
        l.is_in_call = false;
        run_loop(c, &l.n_creds, 1);
        l.is_in_call = true;
        CHECK_INT(roled_get_credentials_async(c, &req, on_creds, &l, NULL), ==, ROLED_OK);
        l.is_in_call = false;
        CHECK_INT(roled_client_get_timeout(c), ==, 0);
        run_loop(c, &l.n_creds, 2);

        /* Many calls in flight at once on the one connection, more than the pipeline holds. */
        cr = get_creds(c, 0);
        q.session_token = roled_credentials_session_token(cr);
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/y";
        l.is_in_call = true;
        for (int i = 0; i < 100; i++)
                CHECK_INT(roled_authorize_async(c, &q, on_authz, &l, NULL), ==, ROLED_OK);
        CHECK_INT(roled_whoami_async(c, on_identity, &l, NULL), ==, ROLED_OK);
        l.is_in_call = false;
        CHECK(roled_client_get_timeout(c) > 0);
        run_loop(c, &l.n_authz, 100);
        run_loop(c, &l.n_identity, 1);
        CHECK_INT(roled_client_get_fd(c), ==, fd);
        CHECK_INT(roled_client_get_timeout(c), ==, -1);
        roled_credentials_unref(cr);

        /* Closing with a call in flight: its callback runs with ROLED_E_CANCELLED. */
        CHECK_INT(roled_whoami_async(c, on_cancelled, &l, NULL), ==, ROLED_OK);
        roled_client_close(c);
        CHECK_INT(l.n_identity, ==, 2);
}

/* The libuv example: 200 Authorize calls in flight from one loop, which keeps running. */
static void test_libuv_example(void)
{
        const char *uv = getenv("ROLED_UV_CLIENT");
        const char *argv[] = {
                uv, "--socket", agent.socket, "--role", "lib", "--calls", "200", NULL
        };
        char *out = NULL, *err = NULL;

        CHECK_MSG(uv && *uv, "ROLED_UV_CLIENT is not set");
        CHECK_MSG(run_cmd(0, NULL, NULL, argv, &out, &err) == 0, "%s%s", out, err);
        CHECK_CONTAINS(out, "200 of 200 allowed, 0 failed");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/lib.json", "%s", policy);
        config_put(cfg, "roles.d/lib.ini",
                   "[role]\nname = lib\npermissions = lib.json\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_threads_share_a_client();
        test_async();
        if (getenv("ROLED_UV_CLIENT"))
                test_libuv_example();
        test_stopped_agent();
        agent_stop(&agent);
        return 0;
}
