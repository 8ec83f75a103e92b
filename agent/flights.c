/* SPDX-License-Identifier: MIT */
/*
 * flights.c - single flight, waiters and backoff per cache key (see flights.h).
 *
 * A Flight lives while a call is in flight or its key is in backoff, and is
 * dropped once neither holds.  Lifetimes: a Flight is the userdata of its
 * driver's IssueDone, so it is never freed while is_in_flight; each waiter
 * is a Deferred that holds its connection.
 */
#include "flights.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "codec.h"
#include "conn.h"
#include "log.h"
#include "renewal.h"
#include "util.h"

#define BUCKETS 1024

typedef struct Flight {
        struct Flight *next;
        Flights *table;
        uint64_t hash;
        char *key;
        char *role; /* role name and ARN at the time of the call, for the replies */
        char *role_arn;
        uint32_t uid; /* the owner of the session it caches (the key names them) */
        uint32_t login_session;
        char *user;
        bool is_in_flight;
        Deferred **waiters;
        size_t n_waiters, waiters_size;
        unsigned n_failures; /* transient failures in a row */
        int64_t retry_at;    /* no new call before this (Unix seconds) */
        IssueError last_err;
        bool has_last_err;
} Flight;

struct Flights {
        Agent *agent;
        uint8_t hash_key[crypto_shorthash_KEYBYTES];
        Flight *buckets[BUCKETS];
        size_t n;
};

int flights_new(Agent *agent, Flights **tp)
{
        Flights *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->agent = agent;
        randombytes_buf(t->hash_key, sizeof(t->hash_key));
        *tp = t;
        return 0;
}

static uint64_t hash_of(const Flights *t, const char *key)
{
        uint8_t h[crypto_shorthash_BYTES];
        uint64_t v;

        crypto_shorthash(h, (const uint8_t *)key, strlen(key), t->hash_key);
        memcpy(&v, h, sizeof(v));
        return v;
}

static Flight *find(Flights *t, const char *key, uint64_t hash)
{
        for (Flight *f = t->buckets[hash % BUCKETS]; f; f = f->next)
                if (f->hash == hash && strcmp(f->key, key) == 0)
                        return f;
        return NULL;
}

static void flight_free(Flight *f)
{
        for (size_t i = 0; i < f->n_waiters; i++)
                deferred_fail(f->waiters[i], -ECANCELED, "shutting down");
        free(f->waiters);
        free(f->key);
        free(f->role);
        free(f->role_arn);
        free(f->user);
        free(f);
}

static void unlink_flight(Flight *f)
{
        Flights *t = f->table;

        for (Flight **p = &t->buckets[f->hash % BUCKETS]; *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        t->n--;
                        return;
                }
}

/* Drop @f once nothing needs it: no call in flight, no waiter, no backoff. */
static void maybe_drop(Flight *f, int64_t now)
{
        if (f->is_in_flight || f->n_waiters > 0 || (f->n_failures > 0 && now < f->retry_at))
                return;
        unlink_flight(f);
        flight_free(f);
}

Flights *flights_free(Flights *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < BUCKETS; i++)
                while (t->buckets[i]) {
                        Flight *f = t->buckets[i];

                        t->buckets[i] = f->next;
                        flight_free(f);
                }
        free(t);
        return NULL;
}

size_t flights_count(const Flights *t)
{
        return t->n;
}

void flights_pack_credentials(ProtoBuf *out, const char *role, const char *role_arn,
                              const Credentials *cr)
{
        char iso[CIVIL_ISO8601_SIZE];

        civil_format_iso8601(cr->expires, iso);
        codec_encode_CredentialsRep(out,
                                    &(ProtoCredentialsRep){
                                            .access_key_id = proto_str(cr->akid),
                                            .secret_access_key = proto_str(cr->secret),
                                            .session_token = { cr->token, cr->token_len },
                                            .expiration = (uint64_t)cr->expires,
                                            .expiration_iso = proto_str(iso),
                                            .role = proto_str(role),
                                            .role_arn = proto_str(role_arn),
                                            .assumed_role_arn = proto_str(cr->assumed_role_arn),
                                            .session_id = proto_str(cr->sid),
                                            .issuer = proto_str(cr->issuer ? cr->issuer : "local"),
                                    });
}

typedef struct PackSession {
        const Flight *f;
        const Session *s;
} PackSession;

static void pack_session(ProtoBuf *out, void *userdata)
{
        const PackSession *p = userdata;

        flights_pack_credentials(out, p->f->role, p->f->role_arn, &p->s->creds);
}

/* Jittered exponential backoff: a uniform wait in [d/2, d], d doubling from the minimum. */
static int64_t backoff_delay(unsigned n_failures)
{
        int64_t d = FLIGHTS_BACKOFF_MIN;

        for (unsigned i = 1; i < n_failures && d < FLIGHTS_BACKOFF_MAX; i++)
                d *= 2;
        if (d > FLIGHTS_BACKOFF_MAX)
                d = FLIGHTS_BACKOFF_MAX;
        return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d - d / 2 + 1));
}

static void record_failure(Flight *f, const IssueError *err, int64_t now)
{
        f->last_err = *err;
        f->has_last_err = true;
        if (!err->is_transient) {
                f->n_failures = 0;
                return;
        }
        f->n_failures++;
        f->retry_at = now + backoff_delay(f->n_failures);
}

static void answer_waiters(Flight *f, const Session *s, const IssueError *err, int r)
{
        PackSession p = { .f = f, .s = s };
        Deferred **w = f->waiters;
        size_t n = f->n_waiters;

        f->waiters = NULL;
        f->n_waiters = f->waiters_size = 0;
        for (size_t i = 0; i < n; i++) {
                if (s)
                        deferred_reply(w[i], pack_session, &p);
                else if (err)
                        deferred_fail(w[i], (int)err->code, "%s", err->message);
                else
                        deferred_fail(w[i], r, "internal error");
        }
        free(w);
}

static void on_done(void *userdata, int r, Credentials *take, const IssueError *err)
{
        Flight *f = userdata;
        Agent *a = f->table->agent;
        int64_t now = agent_now(a);
        const Session *s = NULL;

        f->is_in_flight = false;
        if (r == 0) {
                Renewal rn;

                renewal_capture(a, f->key, now, &rn);
                r = sessions_insert(a->sessions, f->key, take, take->issued, take->expires,
                                    &(SessionOwner){ f->uid, f->login_session, f->user }, f->role,
                                    &s);
                credentials_deinit(take);
                if (r == 0) {
                        f->n_failures = 0;
                        f->has_last_err = false;
                        /* Called from the issuer's completion, outside any handler. */
                        renewal_notify(a, NULL, &rn);
                }
                answer_waiters(f, s, NULL, r);
        } else if (r == ISSUER_E_FAILED) {
                record_failure(f, err, now);
                /* While the upstream is down, what is cached serves until it expires. */
                if (err->is_transient)
                        s = sessions_lookup_unexpired(a->sessions, f->key, now);
                answer_waiters(f, s, err, 0);
        } else {
                answer_waiters(f, NULL, NULL, r < 0 ? r : -EIO);
        }
        maybe_drop(f, now);
}

static int add_waiter(Flight *f, Request *req)
{
        Deferred *d;
        int r;

        if (f->n_waiters == f->waiters_size) {
                size_t size = f->waiters_size ? 2 * f->waiters_size : 4;
                Deferred **n = realloc(f->waiters, size * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                f->waiters = n;
                f->waiters_size = size;
        }
        r = request_defer(req, &d);
        if (r)
                return r;
        f->waiters[f->n_waiters++] = d;
        return FLIGHTS_E_WAIT;
}

static int new_flight(Flights *t, const IssueRequest *ir, uint64_t hash, Flight **fp)
{
        Flight *f;

        if (t->n >= FLIGHTS_MAX)
                return -EAGAIN;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->table = t;
        f->hash = hash;
        f->uid = ir->id->uid;
        f->login_session = ir->id->login_session;
        f->user = strdup(ir->id->user);
        f->key = strdup(ir->cache_key);
        f->role = strdup(ir->role->name);
        f->role_arn = strdup(ir->role->arn);
        if (!f->key || !f->role || !f->role_arn || !f->user) {
                flight_free(f);
                return -ENOMEM;
        }
        f->next = t->buckets[hash % BUCKETS];
        t->buckets[hash % BUCKETS] = f;
        t->n++;
        *fp = f;
        return 0;
}

int flights_issue(Flights *t, Request *req, const IssueRequest *ir, const Session *stale,
                  const Session **sp, bool *is_newp, IssueError *err)
{
        Agent *a = t->agent;
        uint64_t hash = hash_of(t, ir->cache_key);
        Flight *f = find(t, ir->cache_key, hash);
        Credentials cr = CREDENTIALS_INIT;
        const Session *s;
        int r;

        if (f && f->is_in_flight) {
                if (stale)
                        goto serve_stale;
                return add_waiter(f, req);
        }
        if (f && f->n_failures > 0 && ir->now < f->retry_at) {
                if (stale)
                        goto serve_stale;
                *err = f->last_err;
                return FLIGHTS_E_FAILED;
        }
        if (!f) {
                r = new_flight(t, ir, hash, &f);
                if (r == -EAGAIN)
                        return request_fail(req, PROTO_THROTTLING,
                                            "the agent is waiting for too many upstream calls");
                if (r)
                        return r;
        }
        r = issuer_issue(a, ir, &cr, err, on_done, f);
        if (r == 0) {
                Renewal rn;

                renewal_capture(a, ir->cache_key, ir->now, &rn);
                r = sessions_insert(
                        a->sessions, ir->cache_key, &cr, cr.issued, cr.expires,
                        &(SessionOwner){ ir->id->uid, ir->id->login_session, ir->id->user },
                        ir->role->name, &s);
                credentials_deinit(&cr);
                f->n_failures = 0;
                maybe_drop(f, ir->now);
                if (r)
                        return r;
                /* This connection's handler is writing its reply: the new session is in it. */
                renewal_notify(a, req->conn, &rn);
                *sp = s;
                *is_newp = true;
                return 0;
        }
        if (r == ISSUER_E_PENDING) {
                f->is_in_flight = true;
                if (stale)
                        goto serve_stale;
                return add_waiter(f, req);
        }
        if (r == ISSUER_E_FAILED) {
                record_failure(f, err, ir->now);
                maybe_drop(f, ir->now);
                if (stale && err->is_transient)
                        goto serve_stale;
                return FLIGHTS_E_FAILED;
        }
        maybe_drop(f, ir->now);
        return r;
serve_stale:
        *sp = stale;
        *is_newp = false;
        return 0;
}
