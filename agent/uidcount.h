/* SPDX-License-Identifier: MIT */
/*
 * uidcount.h - how much of something each uid holds, for the per-uid limits:
 * the agent counts connections with one (conn.c), the session cache its
 * sessions (sessions.c), the policy store the bytes of session policies
 * (policystore.c). Only uids that hold something have an entry; what a limit
 * means and how it is reported are the caller's. A hash table keyed by uid:
 * O(1) per call on average, however many uids hold something.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum {
        UIDCOUNT_E_LIMIT = 1, /* the uid already holds the most it may */
};

typedef struct UidCountEntry {
        uint32_t uid;
        size_t n;
} UidCountEntry;

typedef struct UidCount {
        UidCountEntry *entries; /* open addressing; a slot with n == 0 is free */
        size_t n_entries;       /* uids with n > 0 */
        size_t size_entries;    /* slots: 0 or a power of two */
} UidCount;

#define UIDCOUNT_INIT                                                                              \
        {                                                                                          \
                NULL, 0, 0                                                                         \
        }

/* uidcount_deinit() - free the table (safe on UIDCOUNT_INIT and twice). */
void uidcount_deinit(UidCount *u);

/*
 * uidcount_add() - @n more for @uid, unless it would then hold more than @max.
 * Return: 0, UIDCOUNT_E_LIMIT or -ENOMEM (nothing counted on either).
 */
int uidcount_add(UidCount *u, uint32_t uid, size_t n, size_t max);

/* uidcount_drop() - @n fewer for @uid (never below zero; the entry goes at zero). */
void uidcount_drop(UidCount *u, uint32_t uid, size_t n);

/* uidcount_get() - how many @uid holds. */
size_t uidcount_get(const UidCount *u, uint32_t uid);
