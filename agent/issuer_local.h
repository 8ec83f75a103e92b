/* SPDX-License-Identifier: MIT */
/*
 * issuer_local.h - the local issuer: the agent acting as STS.
 *
 * Mints AWS-shaped credentials (ASIA access key id, a 40-character secret
 * derived from the HMAC key, a signed session token) and verifies its own
 * tokens online, revocation included.  Deciding who may have which role is
 * trust.c's job; caching sessions is sessions.c's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"
#include "issuer.h"
#include "keys.h"
#include "token.h"

#define ISSUER_AKID_LEN 20 /* "ASIA" + 16 base32 characters */
#define ISSUER_SECRET_LEN 40
#define ISSUER_SID_LEN CREDENTIALS_SID_LEN

/* Defined in revocations.h: sessions revoked before their expiry. */
typedef struct RevocationSet RevocationSet;

/* What to mint; every pointer is borrowed for the duration of the call. */
typedef struct MintRequest {
        const char *role;         /* role name */
        const char *role_arn;     /* arn:aws:iam::<account>:role/<name> */
        const char *account;      /* account id for the assumed-role ARN */
        const char *session_name; /* NULL: the user name */
        uint32_t uid;
        uint32_t gid;
        const char *user;
        const char *exe;
        const char *unit;             /* NULL or "" when not in a unit */
        int64_t duration;             /* seconds, PROTO_DURATION_MIN..PROTO_DURATION_MAX */
        const uint8_t *policy_digest; /* SHA-256 of the session policy, or NULL */
        const char *source_role;      /* role of the chaining session, or NULL */
        const uint32_t *gids; /* primary and supplementary groups (at most TOKEN_GIDS_MAX) */
        size_t n_gids;
        const uint8_t *exe_sha256; /* the executable's SHA-256 when the agent hashed it, or NULL */
        const char *cgroup;        /* cgroup v2 path, or NULL / "" */
        int64_t now;               /* issue time, Unix seconds */
} MintRequest;

/* The local driver (issuer.h); its state is the Agent. */
extern const IssuerDriver issuer_local_driver;

/*
 * issuer_local_mint() - mint a new session.
 * @keys: signing and HMAC keys
 * @req:  what to mint
 * @out:  on success, the credentials (the caller deinits them)
 *
 * Return: 0, ISSUER_E_TOO_LONG, -EINVAL (a required field is NULL or the
 * duration is out of range) or -ENOMEM.
 */
int issuer_local_mint(const Keys *keys, const MintRequest *req, Credentials *out);

/*
 * issuer_local_unfit() - what of @req makes issuer_local_mint() answer
 * ISSUER_E_TOO_LONG, in words ("executable path", "cgroup path", "user
 * name"...), with its bound in @maxp (may be NULL).
 * Return: static text, or NULL when everything fits.
 */
const char *issuer_local_unfit(const MintRequest *req, size_t *maxp);

/*
 * issuer_local_secret_for() - recompute the secret access key of @akid.
 * @out: 40 characters and a NUL; the caller wipes it when done.
 * Works for any string; it is up to the caller to have checked that @akid is ours.
 */
void issuer_local_secret_for(const Keys *keys, const char *akid, char out[ISSUER_SECRET_LEN + 1]);

/*
 * issuer_local_verify() - verify one of our session tokens online.
 * @keys:    current and retired keys
 * @token, @len: the token
 * @now:     current Unix time
 * @revoked: revoked sessions (NULL: none)
 * @claims:  on success, the verified claims (may be NULL; the caller deinits them)
 *
 * Return: 0, ISSUER_E_MALFORMED, ISSUER_E_UNKNOWN_KEY, ISSUER_E_BAD_SIGNATURE,
 * ISSUER_E_EXPIRED, ISSUER_E_REVOKED or -ENOMEM.
 */
int issuer_local_verify(const Keys *keys, const char *token, size_t len, int64_t now,
                        const RevocationSet *revoked, TokenClaims *claims);
