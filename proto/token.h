/* SPDX-License-Identifier: MIT */
/*
 * token.h - session tokens (PROTOCOL.md section 6): encode, parse, verify.
 *
 * A token is base64 of version || key id || claims map || Ed25519 signature.
 * This module knows the byte format and the signature scheme only; which keys
 * exist, rotation and revocation belong to the agent (agent/keys.c,
 * agent/issuer_local.c).  It is shared by the agent and libroled and so uses
 * nothing but libsodium, msgpack-c and the proto/ scanner.
 */
#pragma once

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define TOKEN_VERSION 1
#define TOKEN_KEY_ID_SIZE 8
#define TOKEN_PUBLIC_KEY_SIZE crypto_sign_PUBLICKEYBYTES /* 32 */
#define TOKEN_SIGNATURE_SIZE crypto_sign_BYTES           /* 64 */
#define TOKEN_DIGEST_SIZE 32                             /* SHA-256 of a session policy */

/*
 * Upper bounds of each string claim, in bytes.  With these the largest token
 * stays well under PROTO_TOKEN_MAX, so a token that encodes always fits.
 */
#define TOKEN_AKID_MAX 32
#define TOKEN_SID_MAX 64
#define TOKEN_ROLE_MAX PROTO_ROLE_NAME_MAX
#define TOKEN_ARN_MAX 256
#define TOKEN_USER_MAX 256
#define TOKEN_EXE_MAX 1024
#define TOKEN_UNIT_MAX 256
#define TOKEN_GIDS_MAX 64 /* primary + supplementary groups carried in a token */
#define TOKEN_CGROUP_MAX 384

enum {
        TOKEN_E_MALFORMED = 1, /* not a token of a version we know, or its claims are bad */
        TOKEN_E_UNKNOWN_KEY,   /* signed by a key that is not (or no longer) trusted */
        TOKEN_E_BAD_SIGNATURE, /* the signature does not verify */
        TOKEN_E_EXPIRED,       /* authentic, but now >= expires */
        TOKEN_E_TOO_LONG,      /* token_encode(): a claim is over its TOKEN_*_MAX */
};

/*
 * The signed claims.  token_parse()/token_verify() fill every string (heap,
 * owned by the struct, free with token_claims_deinit()); token_encode() only
 * borrows them, and treats a NULL user/exe/unit as "".
 */
typedef struct TokenClaims {
        char *akid; /* access key id, ASIA... */
        char *sid;  /* session id, hex */
        char *role; /* role name */
        char *arn;  /* role ARN */
        uint32_t uid;
        uint32_t gid;
        char *user;
        char *exe;
        char *unit;      /* "" when not in a systemd unit */
        int64_t issued;  /* Unix seconds */
        int64_t expires; /* Unix seconds */
        bool has_policy; /* a session policy narrowed this session */
        uint8_t policy_digest[TOKEN_DIGEST_SIZE];
        char *source_role; /* role of the session this one was chained from, or NULL */
        uint32_t *gids;    /* primary and supplementary groups ("gids"), or NULL */
        size_t n_gids;
        bool has_exe_sha256; /* "xsh": SHA-256 of the executable, when the agent hashed it */
        uint8_t exe_sha256[32];
        char *cgroup; /* "cg": cgroup v2 path, or NULL */
} TokenClaims;

#define TOKEN_CLAIMS_INIT                                                                          \
        {                                                                                          \
                0                                                                                  \
        }

/* A verification key, as returned by GetPublicKeys. */
typedef struct TokenPublicKey {
        uint8_t id[TOKEN_KEY_ID_SIZE];
        uint8_t pk[TOKEN_PUBLIC_KEY_SIZE];
        int64_t not_after; /* 0 while current; else tokens are rejected from this time on */
} TokenPublicKey;

/* token_claims_deinit() - free the strings of @c and reset it to TOKEN_CLAIMS_INIT.  Idempotent. */
void token_claims_deinit(TokenClaims *c);

/* token_key_id() - key id of Ed25519 public key @pk: first 8 bytes of its SHA-256. */
void token_key_id(const uint8_t pk[TOKEN_PUBLIC_KEY_SIZE], uint8_t id[TOKEN_KEY_ID_SIZE]);

/*
 * token_encode() - build and sign a session token.
 * @claims: what to sign (borrowed); akid, sid, role and arn must be non-NULL
 * @key_id: id of the public half of @sk (token_key_id())
 * @sk:     libsodium Ed25519 secret key (seed || public key)
 * @tokenp: on success, the NUL-terminated base64 token (heap; the caller frees)
 *
 * Return: 0, TOKEN_E_TOO_LONG (a string claim is over its bound, or holds a
 * NUL byte), -EINVAL (a required claim is NULL), or -ENOMEM.
 */
int token_encode(const TokenClaims *claims, const uint8_t key_id[TOKEN_KEY_ID_SIZE],
                 const uint8_t sk[crypto_sign_SECRETKEYBYTES], char **tokenp);

/*
 * token_claim_unfit() - which claim keeps @claims from being encoded
 * (token_encode()'s TOKEN_E_TOO_LONG): the first over its bound or holding a
 * NUL byte, by its name in the token ("exe", "cg", "user"...).
 * @maxp: receives its bound (bytes, or groups for "gids"); may be NULL
 * Return: the claim's name (static), or NULL when every claim fits.
 */
const char *token_claim_unfit(const TokenClaims *claims, size_t *maxp);

/*
 * token_parse() - decode a token's claims without checking its signature.
 * @tok, @len: the base64 token (at most PROTO_TOKEN_MAX bytes, no NUL needed)
 * @claims:    on success, the claims (the caller deinits them)
 * @key_id:    on success, the key id it names (may be NULL)
 *
 * Only for display and for picking a key: nothing in an unverified token is
 * to be trusted.  Unknown versions, unknown or duplicate claim names, wrong
 * types, over-long strings and trailing bytes are all malformed.
 *
 * Return: 0, TOKEN_E_MALFORMED or -ENOMEM.
 */
int token_parse(const char *tok, size_t len, TokenClaims *claims,
                uint8_t key_id[TOKEN_KEY_ID_SIZE]);

/*
 * token_verify() - parse a token, check its signature against @keys and its expiry.
 * @tok, @len:     the base64 token
 * @keys, @n_keys: trusted keys; a key whose not_after is set and <= @now is not trusted
 * @now:           current Unix time
 * @claims:        on success, the verified claims (may be NULL)
 *
 * The signature is checked before the expiry, so TOKEN_E_EXPIRED is only
 * returned for authentic tokens.
 *
 * Return: 0, TOKEN_E_MALFORMED, TOKEN_E_UNKNOWN_KEY, TOKEN_E_BAD_SIGNATURE,
 * TOKEN_E_EXPIRED, or -ENOMEM.
 */
int token_verify(const char *tok, size_t len, const TokenPublicKey *keys, size_t n_keys,
                 int64_t now, TokenClaims *claims);
