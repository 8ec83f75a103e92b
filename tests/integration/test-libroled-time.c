/* SPDX-License-Identifier: MIT */
#undef NDEBUG
/*
 * test-libroled-time.c - libroled's cache and keys as time passes, against
 * a real agent: what a service sees hours into its life, in seconds.
 *
 * Renewal: the agent runs under libfaketime (its clock jumps ahead by
 * rewriting a timestamp file); when one client's call makes the agent renew
 * a session, the agent's SessionRenewed notification makes another client
 * holding the old credentials fetch the new ones at its next call, long
 * before its own refresh time.  Loop-driven clients see it through their
 * descriptor.  The old credentials stay valid, and a Revoke still ends them.
 *
 * Keys: libroled's own clock is moved by this file's time(), which libroled
 * calls (an offset on the real time; nothing else is faked).  Public keys
 * older than CLIENT_KEYS_TTL are fetched again in the background: with the
 * agent stopped, verification goes on answering from the known keys; after
 * the agent's signing key was rotated (keys_rotate() on its key directory,
 * agent restarted), the background fetch brings the new key, so a token
 * signed with it verifies with the agent stopped again.
 *
 * The agent down: after kill -9, cached credentials due for renewal are
 * still served (stale-if-error) and the client reconnects when it is back.
 */
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <roled/roled.h>

#include "agent.h"
#include "keys.h"

static const char policy[] =
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
        "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::data/*\"}]}";

/* ---- libroled's clock ---- */

static atomic_llong time_offset; /* seconds added to the real time */

/* libroled fetches public keys again once they are this old (CLIENT_KEYS_TTL, client/lib/client.h).
 */
#define KEYS_STALE_SECONDS 301

/*
 * time() - the real CLOCK_REALTIME plus time_offset.  Defined here, it is
 * the time() libroled calls (the executable's definition comes first).
 */
time_t time(time_t *tp)
{
        struct timespec ts;
        time_t t;

        clock_gettime(CLOCK_REALTIME, &ts);
        t = ts.tv_sec + (time_t)atomic_load(&time_offset);
        if (tp)
                *tp = t;
        return t;
}

/* ---- helpers ---- */

static roled_client *connect_to(const TestAgent *a, int timeout_ms)
{
        roled_client_options o = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = NULL;

        o.socket_path = a->socket;
        o.timeout_ms = timeout_ms;
        CHECK_MSG(roled_client_connect(&o, &c, &err) == ROLED_OK, "%s", roled_error_message(&err));
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
        return cr;
}

static roled_status verify(roled_client *c, const roled_credentials *cr, roled_error *err)
{
        roled_token_claims *tc = NULL;
        roled_status st = roled_verify_token(c, roled_credentials_session_token(cr), &tc, err);

        if (st == ROLED_OK)
                CHECK_STREQ(roled_token_claims_access_key_id(tc),
                            roled_credentials_access_key_id(cr));
        roled_token_claims_unref(tc);
        return st;
}

typedef struct Verify {
        roled_client *client;
        const roled_credentials *creds;
        int n;
        roled_status status;
        char message[256];
        atomic_bool is_done;
} Verify;

static void *verify_thread(void *arg)
{
        Verify *v = arg;
        roled_error err = ROLED_ERROR_INIT;

        v->status = ROLED_OK;
        for (int i = 0; i < v->n && v->status == ROLED_OK; i++)
                v->status = verify(v->client, v->creds, &err);
        snprintf(v->message, sizeof(v->message), "%s", roled_error_message(&err));
        roled_error_clear(&err);
        atomic_store(&v->is_done, true);
        return NULL;
}

/*
 * verify_stopped() - @n verifications of @cr's token while @a is stopped
 * (SIGSTOP), which must all be answered before the agent runs again: the
 * client's timeout is a minute, so one that waited for the agent would
 * still be waiting when this gives up after 20 s.
 */
static void verify_stopped(const TestAgent *a, roled_client *c, const roled_credentials *cr, int n,
                           const char *what)
{
        Verify v = { .client = c, .creds = cr, .n = n };
        pthread_t t;
        int i;

        CHECK(kill(a->pid, SIGSTOP) == 0);
        CHECK(pthread_create(&t, NULL, verify_thread, &v) == 0);
        for (i = 0; i < 2000 && !atomic_load(&v.is_done); i++)
                usleep(10 * 1000);
        CHECK(kill(a->pid, SIGCONT) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_MSG(i < 2000, "%s: roled_verify_token() waited for the stopped agent", what);
        CHECK_MSG(v.status == ROLED_OK, "%s: %s", what, v.message);
}

static long agent_requests(roled_client *c)
{
        roled_error err = ROLED_ERROR_INIT;
        char *json = NULL;
        const char *p;
        long n;

        CHECK_MSG(roled_agent_status_json(c, &json, &err) == ROLED_OK, "%s",
                  roled_error_message(&err));
        p = strstr(json, "\"requests\": ");
        CHECK(p != NULL);
        n = strtol(p + strlen("\"requests\": "), NULL, 10);
        free(json);
        return n;
}

/*
 * wait_answered() - wait until the agent has handled @n requests beyond
 * @before besides the Status calls asked here (its replies are then on
 * their way: the agent answers a request before it reads the next).
 */
static void wait_answered(roled_client *status, long before, long n)
{
        for (long polls = 1; polls <= 500; polls++) {
                if (agent_requests(status) - before - polls >= n)
                        return;
                usleep(10 * 1000);
        }
        test_fail(__FILE__, __LINE__, "the agent did not get the request within 5 s");
}

/* authorize() - Authorize with @cr's token: ROLED_OK (and an Allow) or the error. */
static roled_status authorize(roled_client *c, const roled_credentials *cr)
{
        roled_authz_request q = ROLED_AUTHZ_REQUEST_INIT;
        roled_authz_result *res = NULL;
        roled_status st;

        q.session_token = roled_credentials_session_token(cr);
        q.action = "s3:GetObject";
        q.resource = "arn:aws:s3:::data/x";
        st = roled_authorize(c, &q, &res, NULL);
        if (st == ROLED_OK)
                CHECK_INT(roled_authz_result_decision(res), ==, ROLED_DECISION_ALLOW);
        roled_authz_result_unref(res);
        return st;
}

static const char *config_lib(void)
{
        const char *cfg = config_new(NULL);

        config_put(cfg, "roles.d/lib.json", "%s", policy);
        config_put(cfg, "roles.d/lib.ini",
                   "[role]\nname = lib\npermissions = lib.json\n[trust]\nusers = root\n");
        return cfg;
}

/* ---- renewal ---- */

static void set_agent_clock(const char *file, long offset)
{
        char text[32];

        snprintf(text, sizeof(text), "%+ld\n", offset);
        write_file(file, 0644, text);
        /* FAKETIME_NO_CACHE: the agent reads the file at every clock call. */
}

static void test_renewal_notification(void)
{
        const char *faketime = getenv("ROLED_TEST_FAKETIME");
        const char *clock_file = test_path("agent-clock");
        TestAgent a = { 0 };
        roled_client *blocking, *looped, *other;
        roled_credentials *old_b, *old_l, *renewed, *x;
        struct pollfd p;
        char clock_env[300];

        CHECK_MSG(faketime && access(faketime, R_OK) == 0,
                  "libfaketime not found (ROLED_TEST_FAKETIME=%s): packaging/scripts/install-deps "
                  "installs it",
                  faketime ? faketime : "");
        write_file(clock_file, 0644, "+0\n");
        /* Only the agent runs under libfaketime, with its own clock file; its timers stay real. */
        snprintf(clock_env, sizeof(clock_env), "FAKETIME_TIMESTAMP_FILE=%s", clock_file);
        agent_spawn_preloaded(config_lib(), faketime,
                              (const char *const[]){ clock_env, "FAKETIME_NO_CACHE=1",
                                                     "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL },
                              &a);

        blocking = connect_to(&a, 5000);
        looped = connect_to(&a, 5000);
        other = connect_to(&a, 5000);
        /* One process, one identity: all three share the agent's session. */
        old_b = get_creds(blocking, 0);
        old_l = get_creds(looped, 0);
        CHECK_STREQ(roled_credentials_access_key_id(old_l), roled_credentials_access_key_id(old_b));

        /*
         * 2,500 s later for the agent: past the session's refresh time
         * (expiry - 1,200 s - jitter below 300 s for the default hour),
         * before its expiry.  libroled's own refresh time is still 40
         * minutes away, so without the notification both clients would
         * keep serving the old key.
         */
        set_agent_clock(clock_file, 2500);
        renewed = get_creds(other, 0);
        CHECK_MSG(strcmp(roled_credentials_access_key_id(renewed),
                         roled_credentials_access_key_id(old_b)) != 0,
                  "the agent did not renew the session");

        /* The loop-driven client: its descriptor becomes readable, process() takes the note. */
        p = (struct pollfd){ .fd = roled_client_get_fd(looped),
                             .events = roled_client_get_events(looped) };
        CHECK_MSG(poll(&p, 1, 5000) == 1, "no notification within 5 s");
        CHECK_INT(roled_client_process(looped, NULL), ==, ROLED_OK);
        x = get_creds(looped, 0);
        CHECK_MSG(
                streq(roled_credentials_access_key_id(x), roled_credentials_access_key_id(renewed)),
                "the loop-driven client served %s, not the renewed %s",
                roled_credentials_access_key_id(x), roled_credentials_access_key_id(renewed));
        roled_credentials_unref(x);

        /* The blocking-only client looks at its socket at its next call after 100 ms. */
        usleep(150 * 1000);
        x = get_creds(blocking, 0);
        CHECK_MSG(
                streq(roled_credentials_access_key_id(x), roled_credentials_access_key_id(renewed)),
                "the blocking client served %s, not the renewed %s",
                roled_credentials_access_key_id(x), roled_credentials_access_key_id(renewed));
        roled_credentials_unref(x);

        /*
         * A renewal is not a revocation: the old credentials still work.  A
         * Revoke must end them too, although the agent no longer hands them
         * out: whoever kept a copy (another process, an exported environment)
         * must not outlive `rolectl revoke`.
         */
        CHECK_INT(authorize(blocking, old_b), ==, ROLED_OK);
        {
                char *out = NULL, *errs = NULL;

                CHECK_INT(rolectl(0, a.socket, &out, &errs, "revoke", "--role", "lib", NULL), ==,
                          0);
                CHECK_CONTAINS(out, "revoked");
                free(out);
                free(errs);
        }
        CHECK_INT(authorize(blocking, old_b), ==, ROLED_E_INVALID_TOKEN);
        CHECK_INT(authorize(blocking, renewed), ==, ROLED_E_INVALID_TOKEN);

        roled_credentials_unref(old_b);
        roled_credentials_unref(old_l);
        roled_credentials_unref(renewed);
        roled_client_close(blocking);
        roled_client_close(looped);
        roled_client_close(other);
        agent_stop(&a);
}

/* ---- keys ---- */

static void rotate_keys(void)
{
        char dir[300], *err = NULL;
        Keys *k = NULL;
        int r;

        snprintf(dir, sizeof(dir), "%s/keys", test_dir());
        r = keys_load(&k, dir, (int64_t)time(NULL) - atomic_load(&time_offset), &err);
        CHECK_MSG(r == 0, "keys_load(%s): %d %s", dir, r, err ? err : "");
        r = keys_rotate(k, (int64_t)time(NULL) - atomic_load(&time_offset), &err);
        CHECK_MSG(r == 0, "keys_rotate(%s): %d %s", dir, r, err ? err : "");
        keys_free(k);
        free(err);
}

static void test_keys_refetched_in_background(void)
{
        TestAgent a = { 0 };
        roled_client *c, *status;
        roled_credentials *cr1, *cr2;
        roled_error err = ROLED_ERROR_INIT;
        const char *cfg = config_lib();
        long before;

        agent_spawn(cfg, &a);
        c = connect_to(&a, 60000);
        status = connect_to(&a, 5000);
        cr1 = get_creds(c, 0);
        /* The first verification fetches the keys. */
        CHECK_INT(verify(c, cr1, &err), ==, ROLED_OK);

        /*
         * Stale keys and a stopped agent: answered from the known keys.  The
         * background fetch they start is answered after SIGCONT and taken by
         * the next verification.
         */
        before = agent_requests(status);
        atomic_store(&time_offset, KEYS_STALE_SECONDS);
        verify_stopped(&a, c, cr1, 3, "stale keys");
        wait_answered(status, before, 1);
        CHECK_INT(verify(c, cr1, &err), ==, ROLED_OK);

        /* The agent's signing key is rotated (the old one is retired, still trusted). */
        agent_stop(&a);
        rotate_keys();
        agent_spawn(cfg, &a);
        roled_client_close(status);
        status = connect_to(&a, 5000);
        /* A token signed with the new key, from a client of its own. */
        {
                roled_client *fresh = connect_to(&a, 5000);

                cr2 = get_creds(fresh, 0);
                roled_client_close(fresh);
        }
        CHECK_MSG(strncmp(roled_credentials_session_token(cr2),
                          roled_credentials_session_token(cr1), 12) != 0,
                  "the new token names the same key");

        /*
         * Some minutes later the keys are stale again: a verification answers
         * from the known keys and starts a background GetPublicKeys; once the
         * agent has answered it, the agent is stopped, and the new token
         * verifies with the keys that fetch brought.
         */
        atomic_store(&time_offset, 2 * (KEYS_STALE_SECONDS));
        before = agent_requests(status);
        CHECK_INT(verify(c, cr1, &err), ==, ROLED_OK);
        wait_answered(status, before, 1);
        verify_stopped(&a, c, cr2, 1, "a token of the rotated key");
        verify_stopped(&a, c, cr1, 1, "a token of the retired key");

        roled_error_clear(&err);
        roled_credentials_unref(cr1);
        roled_credentials_unref(cr2);
        roled_client_close(c);
        roled_client_close(status);
        atomic_store(&time_offset, 0);
        agent_stop(&a);
}

/* ---- the agent down ---- */

/*
 * kill -9 of the agent (its socket file stays, nobody listens): a cached set
 * is served while it is fresh, and once it is due for renewal it is still
 * served, at once, until it expires (stale-if-error); a call the cache
 * cannot answer fails at once with ROLED_E_NO_AGENT.  When the agent is
 * back on the same socket, the next call reconnects and renews.
 */
static void test_served_while_agent_down(void)
{
        const char *cfg = config_lib();
        TestAgent a = { 0 };
        roled_client *c;
        roled_credentials *cr1, *x;
        roled_identity *who = NULL;
        roled_error err = ROLED_ERROR_INIT;

        agent_spawn(cfg, &a);
        c = connect_to(&a, 2000);
        cr1 = get_creds(c, 0);
        agent_kill(&a);

        x = get_creds(c, 0);
        CHECK_STREQ(roled_credentials_access_key_id(x), roled_credentials_access_key_id(cr1));
        roled_credentials_unref(x);
        /* 2,500 s on: past libroled's refresh time (20 minutes before the hour ends), not expired.
         */
        atomic_store(&time_offset, 2500);
        for (int i = 0; i < 3; i++) {
                x = get_creds(c, 0);
                CHECK_STREQ(roled_credentials_access_key_id(x),
                            roled_credentials_access_key_id(cr1));
                roled_credentials_unref(x);
        }
        CHECK_INT(roled_whoami(c, &who, &err), ==, ROLED_E_NO_AGENT);
        CHECK(who == NULL);

        agent_spawn(cfg, &a);
        x = get_creds(c, 0);
        CHECK_MSG(!streq(roled_credentials_access_key_id(x), roled_credentials_access_key_id(cr1)),
                  "not renewed after the agent came back");
        roled_credentials_unref(x);
        atomic_store(&time_offset, 0);
        roled_error_clear(&err);
        roled_credentials_unref(cr1);
        roled_client_close(c);
        agent_stop(&a);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        test_renewal_notification();
        test_keys_refetched_in_background();
        test_served_while_agent_down();
        return 0;
}
