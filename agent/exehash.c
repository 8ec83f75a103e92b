/* SPDX-License-Identifier: MIT */
/*
 * exehash.c - SHA-256 of an open executable (libsodium, streamed with
 * pread so the fd's offset is untouched) and an LRU cache of digests keyed by
 * device, inode, size, mtime and ctime. The cache is a flat array searched
 * linearly: at the default 1024 entries that is a few microseconds, well
 * below the cost of one /proc read, and it keeps eviction trivial.
 */
#include "exehash.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define READ_CHUNK (64 * 1024)

typedef struct CacheEntry {
        ExehashKey key;
        uint64_t last_used;
        uint8_t hash[EXEHASH_SIZE];
} CacheEntry;

/* One allocation: the cache and its max_entries entries. */
struct ExehashCache {
        size_t n_entries;
        size_t max_entries;
        uint64_t tick;
        CacheEntry entries[];
};

void exehash_key_from_stat(const struct stat *st, ExehashKey *key)
{
        memset(key, 0, sizeof(*key));
        key->dev = st->st_dev;
        key->ino = st->st_ino;
        key->size = st->st_size;
        key->mtime = st->st_mtim;
        key->ctime = st->st_ctim;
}

static bool key_equal(const ExehashKey *a, const ExehashKey *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int exehash_fd(int fd, uint64_t max, uint8_t out[EXEHASH_SIZE])
{
        _cleanup_free_ uint8_t *buf = NULL;
        crypto_hash_sha256_state state;
        struct stat before, after;
        ExehashKey kb, ka;
        uint64_t total = 0;

        if (fstat(fd, &before) < 0)
                return -errno;
        if (!S_ISREG(before.st_mode))
                return EXEHASH_E_NOT_REGULAR;
        if (before.st_size < 0 || (uint64_t)before.st_size > max)
                return EXEHASH_E_TOO_LARGE;

        buf = malloc(READ_CHUNK);
        if (!buf)
                return -ENOMEM;

        crypto_hash_sha256_init(&state);
        for (;;) {
                ssize_t n = pread(fd, buf, READ_CHUNK, (off_t)total);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                total += (uint64_t)n;
                /* The file may grow behind fstat()'s back; the bound holds regardless. */
                if (total > max)
                        return EXEHASH_E_TOO_LARGE;
                crypto_hash_sha256_update(&state, buf, (unsigned long long)n);
        }

        if (fstat(fd, &after) < 0)
                return -errno;
        exehash_key_from_stat(&before, &kb);
        exehash_key_from_stat(&after, &ka);
        if (!key_equal(&kb, &ka) || total != (uint64_t)after.st_size)
                return EXEHASH_E_CHANGED;

        crypto_hash_sha256_final(&state, out);
        return 0;
}

int exehash_cache_new(ExehashCache **cachep, size_t max_entries)
{
        ExehashCache *c;

        if (max_entries == 0)
                max_entries = EXEHASH_CACHE_ENTRIES_DEFAULT;
        if (max_entries > (SIZE_MAX - sizeof(*c)) / sizeof(c->entries[0]))
                return -ENOMEM;
        c = calloc(1, sizeof(*c) + max_entries * sizeof(c->entries[0]));
        if (!c)
                return -ENOMEM;
        c->max_entries = max_entries;
        *cachep = c;
        return 0;
}

ExehashCache *exehash_cache_free(ExehashCache *cache)
{
        free(cache);
        return NULL;
}

static CacheEntry *find(ExehashCache *cache, const ExehashKey *key)
{
        for (size_t i = 0; i < cache->n_entries; i++)
                if (key_equal(&cache->entries[i].key, key))
                        return &cache->entries[i];
        return NULL;
}

bool exehash_cache_lookup(ExehashCache *cache, const ExehashKey *key, uint8_t out[EXEHASH_SIZE])
{
        CacheEntry *e = find(cache, key);

        if (!e)
                return false;
        e->last_used = ++cache->tick;
        memcpy(out, e->hash, EXEHASH_SIZE);
        return true;
}

void exehash_cache_insert(ExehashCache *cache, const ExehashKey *key,
                          const uint8_t hash[EXEHASH_SIZE])
{
        CacheEntry *e = find(cache, key);

        if (!e) {
                if (cache->n_entries < cache->max_entries) {
                        e = &cache->entries[cache->n_entries++];
                } else {
                        e = &cache->entries[0];
                        for (size_t i = 1; i < cache->n_entries; i++)
                                if (cache->entries[i].last_used < e->last_used)
                                        e = &cache->entries[i];
                }
                e->key = *key;
        }
        memcpy(e->hash, hash, EXEHASH_SIZE);
        e->last_used = ++cache->tick;
}

size_t exehash_cache_size(const ExehashCache *cache)
{
        return cache->n_entries;
}
