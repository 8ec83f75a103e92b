/* SPDX-License-Identifier: MIT */
/*
 * test-libroled - libroled against a real agent: its in-process cache
 * answers without a round trip (the agent is stopped and the credentials
 * still come), is_fresh then fails with a connection error, the client
 * reconnects once the agent is back, one client is safe to share between
 * threads, and t_verify_token() verifies offline and rejects a
 * tampered token with ROLED_E_BAD_SIGNATURE.
 */
#undef NDEBUG
#include <pthread.h>
#include <roled/roled.h>
#include <sodium.h>

#include "agent.h"
#include "libtest.h"

#define N_THREADS 8
#define N_CALLS 200

static TestAgent agent;
static const char *cfg;

static void test_cache_without_agent_and_reconnect(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) a = NULL, *b = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "lib" };
        T_AUTO(roled_token_claims) claims = NULL;
        roled_status s;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &a), ==, ROLED_OK);
        /* Fetches and keeps the agent's public keys. */
        CHECK_INT(t_verify_token(c, roled_credentials_session_token(a), &claims), ==, ROLED_OK);
        agent_stop(&agent);

        /* No agent: the in-process cache still answers, and tokens verify offline. */
        CHECK_INT(t_get_credentials(c, &req, &b), ==, ROLED_OK);
        CHECK_STREQ(roled_credentials_access_key_id(a), roled_credentials_access_key_id(b));
        CHECK_STREQ(roled_credentials_secret_access_key(a), roled_credentials_secret_access_key(b));
        CHECK_STREQ(roled_credentials_session_token(a), roled_credentials_session_token(b));
        b = roled_credentials_unref(b);
        CHECK_INT(t_verify_token(c, roled_credentials_session_token(a), &claims), ==, ROLED_OK);
        CHECK_STREQ(roled_token_claims_access_key_id(claims), roled_credentials_access_key_id(a));
        CHECK_STREQ(roled_token_claims_role(claims), "lib");
        CHECK_INT(roled_token_claims_uid(claims), ==, 0);
        CHECK_INT(roled_token_claims_expires(claims), ==, roled_credentials_expiration(a));

        req.flags = ROLED_CREDENTIALS_FRESH;
        s = t_get_credentials(c, &req, &b);
        CHECK_MSG(s == ROLED_E_NO_AGENT || s == ROLED_E_IO, "is_fresh without agent: %s",
                  roled_status_name(s));
        CHECK(t_last_error()[0]);

        /* The agent comes back on the same socket: the same client reconnects. */
        agent_spawn(cfg, &agent);
        CHECK_INT(t_get_credentials(c, &req, &b), ==, ROLED_OK);
        CHECK_STREQ(roled_credentials_role(b), "lib");
        a = roled_credentials_unref(a);
        b = roled_credentials_unref(b);
        roled_client_close(c);
}

typedef struct Worker {
        pthread_t thread;
        roled_client *client;
        int n_ok;
        char akid[33];
        bool is_same;
} Worker;

static void *work(void *arg)
{
        Worker *w = arg;
        T_AUTO(roled_identity) id = NULL;

        w->is_same = true;
        for (int i = 0; i < N_CALLS; i++) {
                T_AUTO(roled_credentials) cr = NULL;
                roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                                  .role = "lib",
                                                  .flags = ((i % 4 == 0)) ? ROLED_CREDENTIALS_FRESH
                                                                          : 0 };

                if (i % 10 == 5) {
                        if (t_whoami(w->client, &id) == ROLED_OK && roled_identity_uid(id) == 0)
                                w->n_ok++;
                        continue;
                }
                if (t_get_credentials(w->client, &req, &cr) != ROLED_OK)
                        continue;
                w->n_ok++;
                if (!w->akid[0])
                        snprintf(w->akid, sizeof(w->akid), "%s",
                                 roled_credentials_access_key_id(cr));
                else if (strcmp(w->akid, roled_credentials_access_key_id(cr)) != 0)
                        w->is_same = false;
                cr = roled_credentials_unref(cr);
        }
        return NULL;
}

static void test_threads(void)
{
        roled_client *c;
        Worker w[N_THREADS] = { 0 };

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        for (int i = 0; i < N_THREADS; i++) {
                w[i].client = c;
                CHECK(pthread_create(&w[i].thread, NULL, work, &w[i]) == 0);
        }
        for (int i = 0; i < N_THREADS; i++) {
                CHECK(pthread_join(w[i].thread, NULL) == 0);
                CHECK_INT(w[i].n_ok, ==, N_CALLS);
                CHECK(w[i].is_same);
                CHECK_STREQ(w[i].akid, w[0].akid);
        }
        roled_client_close(c);
}

/* @token with one byte changed at @pos of its decoded bytes (counted from the end if negative). */
static char *tamper(const char *token, const char *find, long pos)
{
        size_t cap = strlen(token), len, n;
        uint8_t *raw = malloc(cap);
        char *out = malloc(cap * 2 + 4);

        CHECK(raw && out);
        CHECK(sodium_base642bin(raw, cap, token, strlen(token), NULL, &len, NULL,
                                sodium_base64_VARIANT_ORIGINAL) == 0);
        if (find) {
                uint8_t *p = memmem(raw, len, find, strlen(find));

                CHECK(p);
                pos = (p - raw) + pos;
        } else if (pos < 0) {
                pos = (long)len + pos;
        }
        CHECK(pos >= 0 && (size_t)pos < len);
        /* Stay a base32 letter when changing the access key id, so the claims still parse. */
        raw[pos] = find ? (raw[pos] == 'A' ? 'B' : 'A') : raw[pos] ^ 0x01;
        n = cap * 2 + 4;
        sodium_bin2base64(out, n, raw, len, sodium_base64_VARIANT_ORIGINAL);
        free(raw);
        return out;
}

static void test_verify_token(void)
{
        roled_client *c;
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "lib",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        T_AUTO(roled_token_claims) claims = NULL;
        char *bad;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        CHECK_INT(t_verify_token(c, roled_credentials_session_token(cr), &claims), ==, ROLED_OK);
        CHECK_STREQ(roled_token_claims_session_id(claims), roled_credentials_session_id(cr));
        CHECK_STREQ(roled_token_claims_role_arn(claims), roled_credentials_role_arn(cr));
        CHECK_STREQ(roled_token_claims_source_role(claims), "");
        /* A flipped signature bit. */
        bad = tamper(roled_credentials_session_token(cr), NULL, -1);
        CHECK_INT(t_verify_token(c, bad, &claims), ==, ROLED_E_BAD_SIGNATURE);
        free(bad);
        /* A claim changed (another access key id): the claims parse, the signature does not hold.
         */
        bad = tamper(roled_credentials_session_token(cr), roled_credentials_access_key_id(cr) + 4,
                     3);
        CHECK_INT(t_verify_token(c, bad, &claims), ==, ROLED_E_BAD_SIGNATURE);
        free(bad);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
}

int main(int argc, char **argv)
{
        test_init(argc, argv);
        CHECK(sodium_init() >= 0);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/lib.ini", "[role]\nname = lib\n[trust]\nusers = root\n");
        agent_spawn(cfg, &agent);
        test_cache_without_agent_and_reconnect();
        test_threads();
        test_verify_token();
        agent_stop(&agent);
        return 0;
}
