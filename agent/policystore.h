/* SPDX-License-Identifier: MIT */
/*
 * policystore.h - the session policies of live sessions, kept for Authorize
 * (a token names its session policy by SHA-256 digest), with a bound on the
 * memory they hold: in all, and per uid.
 *
 * Identical policies are stored once (by digest).  A stored policy is charged
 * to one uid, the one whose session keeps it alive longest: when another
 * uid's session outlives the current holder's, the charge moves to that uid.
 * What counts is the compiled policy's heap (policy_memory()), not the text,
 * since that is what the agent keeps.  Time is always passed in; loop thread
 * only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/*
 * The bounds come from roled.ini (session_policy_bytes_max and
 * session_policy_uid_bytes_max; config.h has the defaults: room for a few
 * thousand distinct session policies in all, a hundred or so per uid).
 */

enum {
        POLICY_STORE_E_FULL = 1, /* the agent-wide bound would be exceeded */
        POLICY_STORE_E_UID_FULL, /* the uid's bound would be exceeded */
};

typedef struct PolicyStore PolicyStore;

/*
 * policy_store_new() - an empty store holding at most @bytes_max bytes of
 * compiled policies, at most @uid_bytes_max of them charged to one uid.
 * Return: 0 or -ENOMEM; the caller frees *@storep.
 */
int policy_store_new(PolicyStore **storep, size_t bytes_max, size_t uid_bytes_max);

/*
 * policy_store_set_limits() - new bounds (configuration reload), for what is
 * added from now on; what is stored stays until its sessions expire.
 */
void policy_store_set_limits(PolicyStore *store, size_t bytes_max, size_t uid_bytes_max);

/* policy_store_free() - free every policy and the store (NULL is fine).  Return: NULL. */
PolicyStore *policy_store_free(PolicyStore *store);

/*
 * policy_store_add() - keep @policy for a session of @uid expiring at @expires.
 * @policy: taken in every case; when @digest is stored already the stored
 *          copy stays (its expiry extended) and @policy is freed
 * Return: 0, POLICY_STORE_E_FULL, POLICY_STORE_E_UID_FULL (nothing changed)
 * or -ENOMEM.
 */
int policy_store_add(PolicyStore *store, const uint8_t digest[32], Policy *policy, uint32_t uid,
                     int64_t expires);

/* policy_store_get() - the stored policy for @digest, or NULL. */
const Policy *policy_store_get(const PolicyStore *store, const uint8_t digest[32]);

/* policy_store_expire() - drop policies whose sessions have all expired by @now.  Return: count. */
size_t policy_store_expire(PolicyStore *store, int64_t now);

/* policy_store_bytes() - bytes held in all; policy_store_uid_bytes(): charged to @uid. */
size_t policy_store_bytes(const PolicyStore *store);
size_t policy_store_uid_bytes(const PolicyStore *store, uint32_t uid);

/* policy_store_count() - number of distinct stored policies. */
size_t policy_store_count(const PolicyStore *store);
