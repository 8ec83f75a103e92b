/* SPDX-License-Identifier: MIT */
/*
 * uidcount.c - per-uid counters (see uidcount.h). Few uids hold anything at
 * once, so a linear search of a dense array beats a hash table here.
 */
#include "uidcount.h"

#include <errno.h>
#include <stdlib.h>

#include "array.h"

static UidCountEntry *find(const UidCount *u, uint32_t uid)
{
        for (size_t i = 0; i < u->n_entries; i++)
                if (u->entries[i].uid == uid)
                        return &u->entries[i];
        return NULL;
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
                if (ARRAY_RESERVE(u->entries, u->n_entries, u->size_entries, 8))
                        return -ENOMEM;
                e = &u->entries[u->n_entries++];
                *e = (UidCountEntry){ .uid = uid };
        }
        e->n += n;
        return 0;
}

void uidcount_drop(UidCount *u, uint32_t uid, size_t n)
{
        UidCountEntry *e = find(u, uid);

        if (!e)
                return;
        e->n -= n < e->n ? n : e->n;
        if (e->n == 0)
                *e = u->entries[--u->n_entries];
}

size_t uidcount_get(const UidCount *u, uint32_t uid)
{
        const UidCountEntry *e = find(u, uid);

        return e ? e->n : 0;
}
