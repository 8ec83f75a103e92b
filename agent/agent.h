/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the agent's state: one Agent per process, owned by main.c and
 * handed to every connection and handler.  Each member is owned by the module
 * named beside it; this header only ties them together.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "clock.h"
#include "listener.h"
#include "localfs.h"
#include "uidcount.h"

typedef struct Config Config;
typedef struct Keys Keys;
typedef struct SessionCache SessionCache;
typedef struct RevocationSet RevocationSet;
typedef struct AccessPolicies AccessPolicies;
typedef struct PolicyStore PolicyStore;
typedef struct TokenCache TokenCache;
typedef struct ExehashCache ExehashCache;
typedef struct HashQueue HashQueue;
typedef struct Conn Conn;
typedef struct Flights Flights;
typedef struct Logins Logins;
typedef struct NameCache NameCache;

#define AGENT_SPARE_CONNS 16 /* freed connections conn.c keeps for the next ones */

typedef struct Agent {
        uv_loop_t *loop;
        Listener listener;
        uv_signal_t sig_term, sig_int, sig_hup;
        uv_timer_t sweep; /* periodic expiry of cached sessions */

        bool is_user_mode;
        uid_t uid;         /* the agent's own uid (admin besides root) */
        char *config_path; /* directory or roled.ini; NULL: embedded default */
        char *socket_path;

        Config *config;             /* config.c; swapped whole on reload */
        unsigned config_generation; /* bumped on every successful reload */
        Keys *keys;                 /* keys.c */
        SessionCache *sessions;     /* sessions.c */
        RevocationSet *revoked;     /* revocations.c: revoked access key ids until they expire */
        char *key_dir;              /* where keys were loaded; revfile.c keeps revoked.list there */
        AccessPolicies *access;     /* access.c: compiled role policies, swapped with config */
        PolicyStore *session_policies; /* policystore.c: session policies of live sessions */
        Logins *logins;                /* logins.c: open PAM logins per uid (Login) */
        TokenCache *tokens;            /* tokencache.c: verified session tokens (Authorize) */
        ExehashCache *exehash;         /* exehash.c */
        Flights *flights;              /* flights.c: upstream calls in flight, backoff */
        void *issuer_state[4];         /* issuer.c: each driver's state, by RoleIssuer */
        HashQueue *hashq;              /* hashq.c: executable hashes, off libuv's pool */
        bool needs_exe_hash; /* some decision may need an executable hash: open executables */
        bool reads_units;    /* some role reads the unit: attestation reads the cgroup */
        bool counts_early;   /* some role's answers rest on the executable: conn.c counts what a
                                peer sent before its executable was read */
        Clock clock;

        Conn *conns; /* conn.c: every open connection */
        size_t n_conns;
        Conn *spare_conns[AGENT_SPARE_CONNS]; /* conn.c: freed, kept for the next ones */
        unsigned n_spare_conns;
        UidCount conns_per_uid;          /* conn.c: connections per uid (SO_PEERCRED at accept) */
        UidCount parked_per_uid;         /* conn.c: connections waiting for a slot, per uid */
        Conn *parked_head, *parked_tail; /* conn.c: those connections, oldest first */
        size_t n_parked;
        size_t n_parked_pinned; /* conn.c: of those, holding a pidfd too (identity_pin()) */
        int park_epfd;       /* conn.c: epoll set of the parked connections, for their hang-ups */
        uv_poll_t park_poll; /* conn.c: watches park_epfd */
        bool has_park_poll;  /* conn.c: park_epfd and park_poll are open */
        /* main.c: the descriptors parked connections may hold (sockets and pidfds: conn.c
           park()), a share of all, so waiting never starves others */
        size_t max_parked_fds;
        unsigned max_conns_per_uid;
        unsigned long max_fds;         /* soft RLIMIT_NOFILE, raised to the hard limit at start */
        unsigned n_attesting;          /* conn.c: attestations in the thread pool */
        unsigned n_attesting_closed;   /* conn.c: those of connections closed meanwhile */
        Conn *turns_head, *turns_tail; /* conn.c: busy uids' connections waiting for their turn */
        uv_check_t turns;              /* conn.c: gives those turns after each poll */
        uv_idle_t turns_more; /* conn.c: active while turns are left: poll without waiting */
        bool has_turns;       /* conn.c: turns and turns_more are initialised */
        Conn *sends_head, *sends_tail; /* conn.c: replies to send before the next poll */
        uv_prepare_t sends;            /* conn.c: sends them */
        bool has_sends;                /* conn.c: sends is initialised */
        uid_t last_accept_uid;         /* conn.c: the uid of the last connection accepted */
        uint64_t mixed_at; /* conn.c: loop time (ms) a connection of another uid came last */
        NameCache *names;  /* namecache.c: user and group names, briefly; NULL: always NSS */
        LocalFs localfs;   /* localfs.c: devices the loop may look up and open files on */

        int64_t started; /* wall clock at start */
        uint64_t n_requests;
        bool is_stopping;
} Agent;

/* agent_is_admin() - may @uid use admin methods (root or the agent's own uid)? */
static inline bool agent_is_admin(const Agent *a, uid_t uid)
{
        return uid == 0 || uid == a->uid;
}

/* agent_now() - the agent's clock, in Unix seconds. */
static inline int64_t agent_now(const Agent *a)
{
        return a->clock.now(a->clock.userdata);
}
