/* SPDX-License-Identifier: MIT */
/*
 * table.c - the chained, SipHash-keyed hash table (see table.h).
 */
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_INITIAL 64

int table_init(Table *t, void (*free_entry)(TableLink *l))
{
        t->buckets = calloc(TABLE_INITIAL, sizeof(TableLink *));
        if (!t->buckets)
                return -ENOMEM;
        t->n_buckets = TABLE_INITIAL;
        t->n = 0;
        t->free_entry = free_entry;
        crypto_shorthash_keygen(t->key);
        return 0;
}

void table_deinit(Table *t)
{
        for (size_t i = 0; i < t->n_buckets; i++) {
                TableLink *l = t->buckets[i], *next;

                for (; l; l = next) {
                        next = l->next;
                        t->free_entry(l);
                }
        }
        free(t->buckets);
        t->buckets = NULL;
        t->n_buckets = 0;
        t->n = 0;
}

uint64_t table_hash(const Table *t, const char *s)
{
        uint8_t h[crypto_shorthash_BYTES];
        uint64_t v;

        crypto_shorthash(h, (const unsigned char *)s, strlen(s), t->key);
        memcpy(&v, h, sizeof(v));
        return v;
}

int table_reserve(Table *t)
{
        TableLink **nb;
        size_t n_new;

        if (t->n < t->n_buckets)
                return 0;
        if (t->n_buckets > SIZE_MAX / 2 / sizeof(TableLink *))
                return -ENOMEM;
        n_new = t->n_buckets * 2;
        nb = calloc(n_new, sizeof(TableLink *));
        if (!nb)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_buckets; i++) {
                TableLink *l = t->buckets[i], *next;

                for (; l; l = next) {
                        next = l->next;
                        l->next = nb[l->hash & (n_new - 1)];
                        nb[l->hash & (n_new - 1)] = l;
                }
        }
        free(t->buckets);
        t->buckets = nb;
        t->n_buckets = n_new;
        return 0;
}

void table_link(Table *t, TableLink *l)
{
        TableLink **b = table_bucket(t, l->hash);

        l->next = *b;
        *b = l;
        t->n++;
}

void table_unlink(Table *t, TableLink **p)
{
        *p = (*p)->next;
        t->n--;
}

int table_sweep(Table *t, int (*fn)(TableLink *l, void *arg), void *arg, size_t *np)
{
        size_t n = 0;

        for (size_t i = 0; i < t->n_buckets; i++) {
                TableLink **p = &t->buckets[i];

                while (*p) {
                        TableLink *l = *p;
                        int r = fn(l, arg);

                        if (r < 0) {
                                *np = n;
                                return r;
                        }
                        if (r == 0) {
                                p = &l->next;
                                continue;
                        }
                        table_unlink(t, p);
                        t->free_entry(l);
                        n++;
                }
        }
        *np = n;
        return 0;
}

int table_foreach(const Table *t, int (*fn)(const TableLink *l, void *arg), void *arg)
{
        for (size_t i = 0; i < t->n_buckets; i++)
                for (const TableLink *l = t->buckets[i]; l; l = l->next) {
                        int r = fn(l, arg);

                        if (r)
                                return r;
                }
        return 0;
}
