/* SPDX-License-Identifier: MIT */
/*
 * test-libroled - libroled against a real agent: its in-process cache
 * answers without a round trip (the agent is stopped and the credentials
 * still come), is_fresh then fails with a connection error, the client
 * reconnects once the agent is back, one client is safe to share between
 * threads, and roled_verify_token() verifies offline and rejects a
 * tampered token with ROLED_E_BAD_SIGNATURE.
 */
#undef NDEBUG
#include <pthread.h>
#include <roled/roled.h>
#include <sodium.h>

#include "agent.h"

#define N_THREADS 8
#define N_CALLS 200

static TestAgent agent;
static const char *cfg;

static void test_cache_without_agent_and_reconnect(void)
{
        roled_client *c;
        roled_credentials a = { 0 }, b = { 0 };
        roled_request req = { .role = "lib" };
        roled_token_claims claims;
        roled_status s;

        CHECK_INT(roled_client_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(roled_get_credentials(c, &req, &a), ==, ROLED_OK);
        /* Fetches and keeps the agent's public keys. */
        CHECK_INT(roled_verify_token(c, a.session_token, &claims), ==, ROLED_OK);
        agent_stop(&agent);

        /* No agent: the in-process cache still answers, and tokens verify offline. */
        CHECK_INT(roled_get_credentials(c, &req, &b), ==, ROLED_OK);
        CHECK_STREQ(a.access_key_id, b.access_key_id);
        CHECK_STREQ(a.secret_access_key, b.secret_access_key);
        CHECK_STREQ(a.session_token, b.session_token);
        roled_credentials_clear(&b);
        CHECK_INT(roled_verify_token(c, a.session_token, &claims), ==, ROLED_OK);
        CHECK_STREQ(claims.access_key_id, a.access_key_id);
        CHECK_STREQ(claims.role, "lib");
        CHECK_INT(claims.uid, ==, 0);
        CHECK_INT(claims.expires, ==, a.expiration);

        req.is_fresh = true;
        s = roled_get_credentials(c, &req, &b);
        CHECK_MSG(s == ROLED_E_NO_AGENT || s == ROLED_E_IO, "is_fresh without agent: %s",
                  roled_status_name(s));
        CHECK(roled_client_last_error(c)[0]);

        /* The agent comes back on the same socket: the same client reconnects. */
        agent_spawn(cfg, &agent);
        CHECK_INT(roled_get_credentials(c, &req, &b), ==, ROLED_OK);
        CHECK_STREQ(b.role, "lib");
        roled_credentials_clear(&a);
        roled_credentials_clear(&b);
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
        roled_identity id;

        w->is_same = true;
        for (int i = 0; i < N_CALLS; i++) {
                roled_credentials cr = { 0 };
                roled_request req = { .role = "lib", .is_fresh = (i % 4 == 0) };

                if (i % 10 == 5) {
                        if (roled_whoami(w->client, &id) == ROLED_OK && id.uid == 0)
                                w->n_ok++;
                        continue;
                }
                if (roled_get_credentials(w->client, &req, &cr) != ROLED_OK)
                        continue;
                w->n_ok++;
                if (!w->akid[0])
                        snprintf(w->akid, sizeof(w->akid), "%s", cr.access_key_id);
                else if (strcmp(w->akid, cr.access_key_id) != 0)
                        w->is_same = false;
                roled_credentials_clear(&cr);
        }
        return NULL;
}

static void test_threads(void)
{
        roled_client *c;
        Worker w[N_THREADS] = { 0 };

        CHECK_INT(roled_client_connect(agent.socket, &c), ==, ROLED_OK);
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
        roled_credentials cr = { 0 };
        roled_request req = { .role = "lib", .is_fresh = true };
        roled_token_claims claims;
        char *bad;

        CHECK_INT(roled_client_connect(agent.socket, &c), ==, ROLED_OK);
        CHECK_INT(roled_get_credentials(c, &req, &cr), ==, ROLED_OK);
        CHECK_INT(roled_verify_token(c, cr.session_token, &claims), ==, ROLED_OK);
        CHECK_STREQ(claims.session_id, cr.session_id);
        CHECK_STREQ(claims.role_arn, cr.role_arn);
        CHECK_STREQ(claims.source_role, "");
        /* A flipped signature bit. */
        bad = tamper(cr.session_token, NULL, -1);
        CHECK_INT(roled_verify_token(c, bad, &claims), ==, ROLED_E_BAD_SIGNATURE);
        free(bad);
        /* A claim changed (another access key id): the claims parse, the signature does not hold. */
        bad = tamper(cr.session_token, cr.access_key_id + 4, 3);
        CHECK_INT(roled_verify_token(c, bad, &claims), ==, ROLED_E_BAD_SIGNATURE);
        free(bad);
        roled_credentials_clear(&cr);
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
