/* SPDX-License-Identifier: MIT */
/*
 * issuer.h - the driver interface behind which credentials are minted, in the
 * spirit of chrony's RefclockDriver: each issuer (local, aws) is one
 * IssuerDriver with init, issue, verify, describe and fini.  A driver may
 * answer at once or later (an upstream call): then it calls the IssueDone
 * callback exactly once, from the loop, after issue() has returned.
 * Who may have which role is trust.c's business; caching and single flight
 * belong to sessions.c and flights.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "config.h"
#include "credentials.h"
#include "identity.h"
#include "proto.h"
#include "token.h"

enum {
        ISSUER_E_MALFORMED = 1, /* verify: not a token we can read */
        ISSUER_E_UNKNOWN_KEY,   /* verify: not signed by one of our keys (current or retired) */
        ISSUER_E_BAD_SIGNATURE, /* verify: the signature does not verify */
        ISSUER_E_EXPIRED,       /* verify: authentic but expired */
        ISSUER_E_REVOKED,       /* verify: authentic, unexpired, but revoked */
        ISSUER_E_TOO_LONG, /* issue: a claim (e.g. the executable path) is over its token bound */
        ISSUER_E_TOO_MANY_GROUPS, /* issue: the caller is in more groups than a token carries */
        ISSUER_E_FAILED,          /* issue: refused or failed; the IssueError says how */
        ISSUER_E_PENDING,         /* issue: the answer comes later through IssueDone */
        ISSUER_E_UNSUPPORTED,     /* the driver does not do this (e.g. verify for aws) */
};

/*
 * IssueRequest - what to issue; every pointer is borrowed for the duration of
 * issue() only (a driver that answers later copies what it keeps).
 *  session_name   NULL: the driver derives one from the caller
 *  policy         the caller's session policy text, or NULL
 *  policy_digest  its SHA-256, or NULL
 *  source_role    chaining: the role of the caller's current session, or NULL
 *  cache_key      the session cache key the answer will be kept under (for logs)
 *  has_exe_claim  the session may name the caller's executable: the role's
 *                 answers rest on it (trust_rests_on_exe()), so the agent
 *                 checked that this request was sent after it read the
 *                 executable and that the process still runs that file
 *                 (handlers_session.c).  Otherwise the executable the agent
 *                 saw at attestation need not be the program that wrote the
 *                 request (an execve() either side of it), and the session
 *                 names none: no exe or exe hash claim, no roled:exe tag,
 *                 no program in an aws session name (issuer_exe())
 */
typedef struct IssueRequest {
        const Config *config;
        const Role *role;
        const Identity *id;
        uint32_t duration;
        const char *session_name;
        const char *policy;
        size_t policy_len;
        const uint8_t *policy_digest;
        const char *source_role;
        const char *cache_key;
        int64_t now;
        bool has_exe_claim;
} IssueRequest;

/*
 * issuer_exe() - the executable path a session for @req may name: the
 * attested path when @req has_exe_claim and the path names, in the agent's
 * namespace, the file the process runs (identity.h is_exe_path_verified);
 * "" otherwise.
 */
const char *issuer_exe(const IssueRequest *req);

/* issuer_exe_sha256() - the same for the executable's SHA-256 (32 bytes), or NULL. */
const uint8_t *issuer_exe_sha256(const IssueRequest *req);

/*
 * IssueError - why an issue failed (ISSUER_E_FAILED): the code the caller
 * sees, a message (an upstream's own code and message are kept in it), and
 * whether trying again later may help (network, throttling, 5xx).
 */
typedef struct IssueError {
        ProtoError code;
        bool is_transient;
        char message[512];
} IssueError;

/*
 * IssueDone - the later answer of an ISSUER_E_PENDING issue().
 * @r:    0 (then *@take holds the credentials; the callee moves or deinits
 *        them), ISSUER_E_FAILED with @err set, or -errno (-ECANCELED at shutdown)
 */
typedef void (*IssueDone)(void *userdata, int r, Credentials *take, const IssueError *err);

/* IssuerHealth - what status and explain show about an issuer's upstream. */
typedef struct IssuerHealth {
        const char *state;      /* "ok", "failing", "unknown" (no call yet) or "local" */
        int64_t last_success;   /* Unix seconds, 0: never */
        int64_t last_failure;   /* Unix seconds, 0: never */
        uint64_t n_calls;       /* upstream calls started */
        char last_error[512];   /* "" when none */
        const char *source;     /* aws: "credentials_file" or "imds"; NULL otherwise */
        bool has_mfa;           /* aws with mfa_serial: the two below mean something */
        int64_t mfa_expires;    /* when the MFA session ends (Unix seconds), 0: none */
        uint64_t n_mfa_waiting; /* requests waiting for the MFA session (a code) */
} IssuerHealth;

typedef struct IssuerDriver {
        const char *name;
        /* init() - set up the driver's state.  Return: 0 or -errno. */
        int (*init)(Agent *agent, void **statep);
        /* fini() - free the state; pending issues get IssueDone(-ECANCELED) first. */
        void (*fini)(void *state);
        /*
         * issue() - mint or fetch credentials.
         * Return: 0 with *@out filled (the caller deinits it), ISSUER_E_PENDING
         * (@done will be called with @userdata), ISSUER_E_FAILED with *@err
         * filled, another positive ISSUER_E_*, or -errno.
         */
        int (*issue)(void *state, const IssueRequest *req, Credentials *out, IssueError *err,
                     IssueDone done, void *userdata);
        /*
         * verify() - verify a session token this issuer minted (NULL: cannot).
         * Return: 0 (claims filled when not NULL), ISSUER_E_* or -errno.
         */
        int (*verify)(void *state, const char *token, size_t len, int64_t now, TokenClaims *claims);
        /* describe() - the upstream's health, for status and explain (@role may be NULL). */
        void (*describe)(void *state, const Role *role, IssuerHealth *h);
} IssuerDriver;

/* issuer_driver() - the driver of @issuer. */
const IssuerDriver *issuer_driver(RoleIssuer issuer);

/* issuer_name() - "local" or "aws". */
const char *issuer_name(RoleIssuer issuer);

/* issuers_init() - init every driver into @agent->issuer_state.  Return: 0 or -errno. */
int issuers_init(Agent *agent);

/* issuers_fini() - fini every driver (NULL states are skipped). */
void issuers_fini(Agent *agent);

/*
 * issuer_issue() - issue() of the role's driver (see IssuerDriver).
 */
int issuer_issue(Agent *agent, const IssueRequest *req, Credentials *out, IssueError *err,
                 IssueDone done, void *userdata);

/*
 * issuer_verify() - verify a token with the local issuer (the only one whose
 * tokens the agent can read).  Return: as IssuerDriver.verify.
 */
int issuer_verify(Agent *agent, const char *token, size_t len, int64_t now, TokenClaims *claims);

/* issuer_describe() - the health of @role's issuer (or of @issuer when @role is NULL). */
void issuer_describe(Agent *agent, RoleIssuer issuer, const Role *role, IssuerHealth *h);
