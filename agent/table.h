/* SPDX-License-Identifier: MIT */
/*
 * table.h - the chained hash table under the session cache and the
 * revocation set: string keys hashed with SipHash-2-4 (crypto_shorthash)
 * under a random per-table key, so that callers cannot force collisions,
 * over a power-of-two bucket array that doubles at load factor 1.
 *
 * Entries are the caller's structs, each starting with a TableLink; the
 * caller compares keys and allocates entries, the table links, sweeps and
 * frees them.  Used from the loop thread only.
 */
#pragma once

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

/* Hash chain header; the first member of every entry, so the two convert into each other. */
typedef struct TableLink {
        struct TableLink *next;
        uint64_t hash;
} TableLink;

typedef struct Table {
        TableLink **buckets;
        size_t n_buckets; /* power of two */
        size_t n;
        void (*free_entry)(TableLink *l);
        uint8_t key[crypto_shorthash_KEYBYTES];
} Table;

/*
 * table_init() - an empty table with a fresh hash key.
 * @free_entry: frees one entry (table_sweep() and table_deinit() call it)
 * Return: 0 or -ENOMEM.
 */
int table_init(Table *t, void (*free_entry)(TableLink *l));

/* table_deinit() - free every entry and the buckets (safe on a zeroed Table, and twice). */
void table_deinit(Table *t);

/* table_hash() - the hash of @s under @t's key. */
uint64_t table_hash(const Table *t, const char *s);

/* table_bucket() - the head of the chain @hash belongs in. */
static inline TableLink **table_bucket(const Table *t, uint64_t hash)
{
        return &t->buckets[hash & (t->n_buckets - 1)];
}

/* table_reserve() - grow so that one more entry keeps the load factor at most 1.  Return: 0 or
 * -ENOMEM. */
int table_reserve(Table *t);

/* table_link() - add @l (whose hash is set); table_reserve() must have succeeded. */
void table_link(Table *t, TableLink *l);

/* table_unlink() - take the entry *@p points at out of its chain (it is not freed). */
void table_unlink(Table *t, TableLink **p);

/*
 * table_sweep() - call @fn(l, @arg) for every entry.  @fn returns 0 to keep
 * the entry, a positive value to have it unlinked and freed, or a negative
 * one to stop the sweep there.
 * @np: the number of entries freed, also when stopped
 * Return: 0 or what @fn returned when it stopped the sweep.
 */
int table_sweep(Table *t, int (*fn)(TableLink *l, void *arg), void *arg, size_t *np);

/*
 * table_foreach() - call @fn(l, @arg) for every entry, in no particular
 * order; stops at the first non-zero return and passes it on.  @fn must not
 * change @t.
 */
int table_foreach(const Table *t, int (*fn)(const TableLink *l, void *arg), void *arg);
