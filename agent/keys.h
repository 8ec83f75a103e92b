/* SPDX-License-Identifier: MIT */
/*
 * keys.h - the agent's key material: the Ed25519 token signing key, the HMAC
 * key that derives secret access keys, and retired public keys.
 *
 * Keys live in one directory (0700, owned by the agent's uid), created on
 * first start:
 *   signing.key   32-byte Ed25519 seed of the current signing key, 0600
 *   hmac.key      32-byte key for secret derivation, 0600; never rotated, since
 *                 live sessions' secrets are recomputed from it
 *   retired.keys  public keys replaced by keys_rotate() that may still verify
 *                 live tokens: records of 8-byte big-endian not-after time +
 *                 32-byte public key, 0600; absent until the first rotation
 *   revoked.list  revoked sessions (revfile.h), beside the keys
 * Files are written to a temporary name with O_EXCL, fsynced and renamed.
 * This module knows files and keys; what tokens say is token.h's business.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "secret.h"
#include "token.h"

#define KEYS_SEED_SIZE 32
#define KEYS_HMAC_SIZE 32
/* Retired keys stay trusted this long after rotation: the longest session. */
#define KEYS_RETIRE_SECONDS PROTO_DURATION_MAX
/* At most this many retired keys at once; rotating more often is refused. */
#define KEYS_RETIRED_MAX 32

enum {
        KEYS_E_INSECURE = 1, /* the dir or a key file is writable by others, or not ours */
        KEYS_E_CORRUPT,      /* a key file has the wrong type or size */
        KEYS_E_TOO_MANY,     /* keys_rotate(): KEYS_RETIRED_MAX retired keys are still live */
};

typedef struct Keys Keys;

/*
 * keys_load() - load the keys in @dir, creating the directory and missing keys.
 * @keysp:  on success, the keys (the caller frees them with keys_free())
 * @dir:    key directory; created 0700 if missing (its parent must exist)
 * @now:    current time; retired keys past their not-after are dropped
 * @errorp: on failure, if not NULL, a message naming the path and the
 *          reason, for the log (heap; the caller frees).  May stay NULL on -ENOMEM.
 *
 * The directory and every key file must be owned by the effective uid; the
 * directory must not be group/other-writable and key files must have no
 * group/other permission bits at all.  Secret bytes go straight into Secret
 * memory; the read buffer is wiped.
 *
 * Return: 0, KEYS_E_INSECURE, KEYS_E_CORRUPT, or -errno (the failing call).
 */
int keys_load(Keys **keysp, const char *dir, int64_t now, char **errorp);

/* keys_free() - wipe and free @k (NULL is fine).  Return: NULL. */
Keys *keys_free(Keys *k);

/*
 * keys_rotate() - replace the signing key with a new random one.
 * @k:      the loaded keys
 * @now:    current time; the old public key stays trusted until @now + KEYS_RETIRE_SECONDS
 * @errorp: as for keys_load()
 *
 * retired.keys is written before signing.key, so a crash in between leaves
 * the old key current and also listed as retired (load ignores that entry).
 * Retired keys that expired by @now are dropped on the way.  On failure @k is
 * unchanged.
 *
 * Return: 0, KEYS_E_TOO_MANY or -errno.
 */
int keys_rotate(Keys *k, int64_t now, char **errorp);

/* keys_prune() - forget retired keys whose not-after is <= @now (in memory only). */
void keys_prune(Keys *k, int64_t now);

/*
 * keys_public() - the verification keys: the current key first (not_after 0),
 * then the retired ones.  The array is borrowed; it is valid until the next
 * keys_rotate(), keys_prune() or keys_free().
 */
void keys_public(const Keys *k, const TokenPublicKey **keysp, size_t *np);

/* keys_signing_sk() - libsodium Ed25519 secret key (64 bytes: seed || pk) of the current key. */
const uint8_t *keys_signing_sk(const Keys *k);

/* keys_signing_id() - key id (TOKEN_KEY_ID_SIZE bytes) of the current signing key. */
const uint8_t *keys_signing_id(const Keys *k);

/* keys_hmac() - the KEYS_HMAC_SIZE-byte secret derivation key. */
const uint8_t *keys_hmac(const Keys *k);

DEFINE_TRIVIAL_CLEANUP_FUNC(Keys, keys_free);
