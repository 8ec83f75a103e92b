/* SPDX-License-Identifier: MIT */
/*
 * uidcount.h - how many of something each uid holds, for the per-uid limits:
 * the agent counts connections with one (conn.c), the session cache its
 * sessions with another (sessions.c). A small array of the uids that hold
 * any; the limits themselves are the caller's.
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
        UidCountEntry *entries; /* only uids with n > 0 */
        size_t n_entries;
        size_t size_entries;
} UidCount;

#define UIDCOUNT_INIT { NULL, 0, 0 }

/* uidcount_deinit() - free the table (safe on UIDCOUNT_INIT and twice). */
void uidcount_deinit(UidCount *u);

/*
 * uidcount_add() - one more for @uid, unless it already holds @max.
 * Return: 0, UIDCOUNT_E_LIMIT or -ENOMEM (nothing counted on either).
 */
int uidcount_add(UidCount *u, uint32_t uid, size_t max);

/* uidcount_drop() - one fewer for @uid (which must hold one). */
void uidcount_drop(UidCount *u, uint32_t uid);

/* uidcount_get() - how many @uid holds. */
size_t uidcount_get(const UidCount *u, uint32_t uid);
