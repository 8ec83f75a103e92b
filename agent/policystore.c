/* SPDX-License-Identifier: MIT */
/*
 * policystore.c - session policies by digest, bounded in bytes (see
 * policystore.h).
 *
 * Items sit in one array, found by comparing digests (the byte bound keeps
 * it to a few thousand: every compiled policy holds at least one 4 KiB arena
 * chunk) and removed by moving the last one into the hole.  Per-uid charges
 * are a UidCount of bytes (uidcount.h), as connections and sessions are.
 */
#include "policystore.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "uidcount.h"

typedef struct StoredPolicy {
        uint8_t digest[32];
        Policy *policy;
        int64_t expires;
        size_t bytes;
        uint32_t uid; /* charged to */
} StoredPolicy;

struct PolicyStore {
        StoredPolicy *items;
        size_t n, size;
        size_t bytes, bytes_max, uid_bytes_max;
        UidCount uid_bytes; /* bytes charged to each uid */
};

int policy_store_new(PolicyStore **storep, size_t bytes_max, size_t uid_bytes_max)
{
        PolicyStore *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->bytes_max = bytes_max;
        s->uid_bytes_max = uid_bytes_max;
        *storep = s;
        return 0;
}

void policy_store_set_limits(PolicyStore *store, size_t bytes_max, size_t uid_bytes_max)
{
        store->bytes_max = bytes_max;
        store->uid_bytes_max = uid_bytes_max;
}

PolicyStore *policy_store_free(PolicyStore *store)
{
        if (!store)
                return NULL;
        for (size_t i = 0; i < store->n; i++)
                policy_free(store->items[i].policy);
        free(store->items);
        uidcount_deinit(&store->uid_bytes);
        free(store);
        return NULL;
}

static StoredPolicy *find(const PolicyStore *store, const uint8_t digest[32])
{
        for (size_t i = 0; i < store->n; i++)
                if (memcmp(store->items[i].digest, digest, 32) == 0)
                        return &store->items[i];
        return NULL;
}

size_t policy_store_uid_bytes(const PolicyStore *store, uint32_t uid)
{
        return uidcount_get(&store->uid_bytes, uid);
}

/* charge() - add @bytes to @uid's account, which must have room (checked by the caller). */
static int charge(PolicyStore *store, uint32_t uid, size_t bytes)
{
        int r = uidcount_add(&store->uid_bytes, uid, bytes, SIZE_MAX);

        return r > 0 ? -ENOSPC : r;
}

static void uncharge(PolicyStore *store, uint32_t uid, size_t bytes)
{
        uidcount_drop(&store->uid_bytes, uid, bytes);
}

/* has_room() - may @uid be charged @bytes more? */
static bool has_room(const PolicyStore *store, uint32_t uid, size_t bytes)
{
        return policy_store_uid_bytes(store, uid) + bytes <= store->uid_bytes_max;
}

/* extend() - a session of @uid expiring at @expires uses the stored @sp too. */
static int extend(PolicyStore *store, StoredPolicy *sp, uint32_t uid, int64_t expires)
{
        int r;

        if (expires <= sp->expires)
                return 0;
        /* The policy now lives as long as @uid's session: that uid pays for it. */
        if (uid != sp->uid) {
                if (!has_room(store, uid, sp->bytes))
                        return POLICY_STORE_E_UID_FULL;
                r = charge(store, uid, sp->bytes);
                if (r < 0)
                        return r;
                uncharge(store, sp->uid, sp->bytes);
                sp->uid = uid;
        }
        sp->expires = expires;
        return 0;
}

int policy_store_add(PolicyStore *store, const uint8_t digest[32], Policy *policy, uint32_t uid,
                     int64_t expires)
{
        StoredPolicy *sp = find(store, digest);
        size_t bytes;
        int r;

        if (sp) {
                policy_free(policy);
                return extend(store, sp, uid, expires);
        }
        bytes = policy_memory(policy) + sizeof(StoredPolicy);
        if (store->bytes + bytes > store->bytes_max) {
                policy_free(policy);
                return POLICY_STORE_E_FULL;
        }
        if (!has_room(store, uid, bytes)) {
                policy_free(policy);
                return POLICY_STORE_E_UID_FULL;
        }
        if (ARRAY_RESERVE(store->items, store->n, store->size, 16)) {
                policy_free(policy);
                return -ENOMEM;
        }
        r = charge(store, uid, bytes);
        if (r < 0) {
                policy_free(policy);
                return r;
        }
        sp = &store->items[store->n++];
        memcpy(sp->digest, digest, 32);
        sp->policy = policy;
        sp->expires = expires;
        sp->bytes = bytes;
        sp->uid = uid;
        store->bytes += bytes;
        return 0;
}

const Policy *policy_store_get(const PolicyStore *store, const uint8_t digest[32])
{
        const StoredPolicy *sp = find(store, digest);

        return sp ? sp->policy : NULL;
}

size_t policy_store_expire(PolicyStore *store, int64_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < store->n;) {
                StoredPolicy *sp = &store->items[i];

                if (sp->expires > now) {
                        i++;
                        continue;
                }
                uncharge(store, sp->uid, sp->bytes);
                store->bytes -= sp->bytes;
                policy_free(sp->policy);
                *sp = store->items[--store->n];
                n++;
        }
        /* After a burst, give the item array back once it is mostly empty. */
        if (store->size > 64 && store->n < store->size / 4) {
                size_t size = store->size / 2;
                StoredPolicy *items = realloc(store->items, size * sizeof(*items));

                if (items) {
                        store->items = items;
                        store->size = size;
                }
        }
        return n;
}

size_t policy_store_bytes(const PolicyStore *store)
{
        return store->bytes;
}

size_t policy_store_count(const PolicyStore *store)
{
        return store->n;
}
