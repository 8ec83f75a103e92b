/* SPDX-License-Identifier: MIT */
/*
 * uidcount.c - per-uid counters (see uidcount.h): an open-addressing hash
 * table with linear probing, keyed by uid. A slot is free when its count is
 * zero, so an entry disappears exactly when its uid holds nothing, and
 * removal shifts the rest of the probe run back (no tombstones). Every
 * operation is O(1) on average however many uids hold something: a login
 * host with thousands of users, or a cache with a session per uid, costs
 * the same per call as a machine with three.
 */
#include "uidcount.h"

#include <errno.h>
#include <stdlib.h>

enum { UIDCOUNT_MIN_SLOTS = 16 };

static size_t slot_of(uint32_t uid, size_t size)
{
        /* Fibonacci hashing: consecutive uids spread over the table. */
        return (size_t)(((uint64_t)uid * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (size - 1);
}

static UidCountEntry *find(const UidCount *u, uint32_t uid)
{
        if (u->size_entries == 0)
                return NULL;
        for (size_t i = slot_of(uid, u->size_entries);; i = (i + 1) & (u->size_entries - 1)) {
                UidCountEntry *e = &u->entries[i];

                if (e->n == 0)
                        return NULL;
                if (e->uid == uid)
                        return e;
        }
}

static UidCountEntry *place(UidCountEntry *entries, size_t size, uint32_t uid)
{
        size_t i = slot_of(uid, size);

        while (entries[i].n != 0)
                i = (i + 1) & (size - 1);
        entries[i].uid = uid;
        return &entries[i];
}

/* Keep the table at most half full, so probe runs stay short. */
static int reserve(UidCount *u)
{
        UidCountEntry *entries;
        size_t size;

        if ((u->n_entries + 1) * 2 <= u->size_entries)
                return 0;
        size = u->size_entries ? u->size_entries * 2 : UIDCOUNT_MIN_SLOTS;
        if (size > SIZE_MAX / 2 / sizeof(*entries))
                return -ENOMEM;
        entries = calloc(size, sizeof(*entries));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < u->size_entries; i++)
                if (u->entries[i].n != 0)
                        place(entries, size, u->entries[i].uid)->n = u->entries[i].n;
        free(u->entries);
        u->entries = entries;
        u->size_entries = size;
        return 0;
}

/* Empty slot @i, then move later members of its probe run back into the gap. */
static void remove_at(UidCount *u, size_t i)
{
        size_t mask = u->size_entries - 1;

        u->entries[i].n = 0;
        u->n_entries--;
        for (size_t j = (i + 1) & mask; u->entries[j].n != 0; j = (j + 1) & mask) {
                size_t home = slot_of(u->entries[j].uid, u->size_entries);

                /* Leave j where it is when its home lies cyclically in (i, j]. */
                if (((j - home) & mask) < ((j - i) & mask))
                        continue;
                u->entries[i] = u->entries[j];
                u->entries[j].n = 0;
                i = j;
        }
}

void uidcount_deinit(UidCount *u)
{
        free(u->entries);
        *u = (UidCount)UIDCOUNT_INIT;
}

int uidcount_add(UidCount *u, uint32_t uid, size_t n, size_t max)
{
        UidCountEntry *e = find(u, uid);
        size_t held = e ? e->n : 0;

        if (n > max || held > max - n)
                return UIDCOUNT_E_LIMIT;
        if (n == 0)
                return 0;
        if (!e) {
                if (reserve(u) < 0)
                        return -ENOMEM;
                e = place(u->entries, u->size_entries, uid);
                u->n_entries++;
        }
        e->n += n;
        return 0;
}

void uidcount_drop(UidCount *u, uint32_t uid, size_t n)
{
        UidCountEntry *e = find(u, uid);

        if (!e)
                return;
        if (n < e->n)
                e->n -= n;
        else
                remove_at(u, (size_t)(e - u->entries));
}

size_t uidcount_get(const UidCount *u, uint32_t uid)
{
        const UidCountEntry *e = find(u, uid);

        return e ? e->n : 0;
}
