/* SPDX-License-Identifier: MIT */
/*
 * uv-client.c - libroled on a libuv loop, as an event-driven service uses it.
 *
 * The client's descriptor (roled_client_get_fd(), stable for the client's
 * life) is watched with a uv_poll_t, its next deadline
 * (roled_client_get_timeout()) with a uv_timer_t, and both call
 * roled_client_process(), which runs the callbacks of the calls started
 * with the *_async() functions.  Nothing here blocks the loop: a repeating
 * 1 ms timer keeps ticking while the calls are in flight, and the program
 * checks that it did.
 *
 * Usage: uv-client --socket PATH --role ROLE [--calls N]
 * Gets credentials for ROLE, then asks N Authorize questions with their
 * session token at once (pipelined on the one connection); exit 0 when every
 * answer came and the loop ran meanwhile.
 */
#include <getopt.h>
#include <roled/roled.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef struct App {
        uv_loop_t *loop;
        roled_client *client;
        uv_poll_t poll;
        uv_timer_t deadline;  /* roled_client_get_timeout() */
        uv_timer_t heartbeat; /* proves the loop keeps running */
        unsigned n_ticks;
        int n_calls;
        int n_pending;
        int n_allowed;
        int n_failed;
} App;

static void on_deadline(uv_timer_t *t);

/* drive() - let libroled work, then wait for what it waits for next. */
static void drive(App *a)
{
        int timeout;

        roled_client_process(a->client, NULL);
        if (a->n_pending == 0) {
                uv_poll_stop(&a->poll);
                uv_timer_stop(&a->deadline);
                uv_timer_stop(&a->heartbeat);
                return;
        }
        timeout = roled_client_get_timeout(a->client);
        if (timeout >= 0)
                uv_timer_start(&a->deadline, on_deadline, (uint64_t)timeout, 0);
        else
                uv_timer_stop(&a->deadline);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
        drive(p->data);
}

static void on_deadline(uv_timer_t *t)
{
        drive(t->data);
}

static void on_tick(uv_timer_t *t)
{
        ((App *)t->data)->n_ticks++;
}

static void on_authz(roled_client *c, roled_status st, roled_authz_result *res,
                     const roled_error *err, void *userdata)
{
        App *a = userdata;

        a->n_pending--;
        if (st != ROLED_OK) {
                fprintf(stderr, "uv-client: Authorize: %s\n", roled_error_message(err));
                a->n_failed++;
                return;
        }
        if (roled_authz_result_decision(res) == ROLED_DECISION_ALLOW)
                a->n_allowed++;
        roled_authz_result_unref(res);
}

static void on_creds(roled_client *c, roled_status st, roled_credentials *cr,
                     const roled_error *err, void *userdata)
{
        App *a = userdata;
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;

        a->n_pending--;
        if (st != ROLED_OK) {
                fprintf(stderr, "uv-client: GetCredentials: %s\n", roled_error_message(err));
                a->n_failed++;
                return;
        }
        /* Every question goes out now; the answers come back in any order, matched by msgid. */
        q.session_token = roled_credentials_session_token(cr);
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/report";
        for (int i = 0; i < a->n_calls; i++) {
                if (roled_authorize_async(c, &q, on_authz, a, NULL) == ROLED_OK)
                        a->n_pending++;
                else
                        a->n_failed++;
        }
        /* The request is packed when the call starts: the credentials may go. */
        roled_credentials_unref(cr);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "role", required_argument, NULL, 'r' },
                { "calls", required_argument, NULL, 'n' },
                {},
        };
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_credentials_request req = ROLED_CREDENTIALS_REQUEST_INIT;
        roled_error err = ROLED_ERROR_INIT;
        App a = { .loop = uv_default_loop(), .n_calls = 100 };
        int opt;

        while ((opt = getopt_long(argc, argv, "s:r:n:", options, NULL)) != -1) {
                if (opt == 's')
                        o.socket_path = optarg;
                else if (opt == 'r')
                        req.role = optarg;
                else if (opt == 'n')
                        a.n_calls = atoi(optarg);
                else
                        return 2;
        }
        if (roled_client_connect(&o, &a.client, &err) != ROLED_OK) {
                fprintf(stderr, "uv-client: %s\n", roled_error_message(&err));
                roled_error_clear(&err);
                return 1;
        }
        uv_poll_init(a.loop, &a.poll, roled_client_get_fd(a.client));
        uv_timer_init(a.loop, &a.deadline);
        uv_timer_init(a.loop, &a.heartbeat);
        a.poll.data = a.deadline.data = a.heartbeat.data = &a;
        /* roled_client_get_events() is POLLIN, which is UV_READABLE. */
        uv_poll_start(&a.poll, UV_READABLE, on_poll);
        uv_timer_start(&a.heartbeat, on_tick, 1, 1);
        if (roled_get_credentials_async(a.client, &req, on_creds, &a, &err) != ROLED_OK) {
                fprintf(stderr, "uv-client: %s\n", roled_error_message(&err));
                roled_error_clear(&err);
                return 1;
        }
        a.n_pending = 1;
        drive(&a);
        uv_run(a.loop, UV_RUN_DEFAULT);
        uv_close((uv_handle_t *)&a.poll, NULL);
        uv_close((uv_handle_t *)&a.deadline, NULL);
        uv_close((uv_handle_t *)&a.heartbeat, NULL);
        uv_run(a.loop, UV_RUN_DEFAULT);
        roled_client_close(a.client);
        uv_loop_close(a.loop);
        printf("uv-client: %d of %d allowed, %d failed, loop ticked %u times meanwhile\n",
               a.n_allowed, a.n_calls, a.n_failed, a.n_ticks);
        return a.n_failed == 0 && a.n_allowed == a.n_calls && a.n_ticks > 0 ? 0 : 1;
}
