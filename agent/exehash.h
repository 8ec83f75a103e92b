/* SPDX-License-Identifier: MIT */
/*
 * exehash.h - SHA-256 of an executable, and a small cache of such hashes.
 *
 * exehash_fd() touches no shared state, so it may run on a libuv thread-pool
 * worker; the cache is single-threaded and meant for the loop thread only
 * (look up before queueing the work, insert when it completes). Deciding
 * whether a hash is needed belongs to trust.c, reading /proc to identity.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define EXEHASH_SIZE 32                            /* bytes of a SHA-256 digest */
#define EXEHASH_MAX_DEFAULT (256ull * 1024 * 1024) /* largest file hashed by default */
#define EXEHASH_CACHE_ENTRIES_DEFAULT 1024

enum {
        EXEHASH_E_TOO_LARGE = 1, /* the file is larger than the given maximum */
        EXEHASH_E_CHANGED,       /* the file changed while it was being hashed */
        EXEHASH_E_NOT_REGULAR,   /* the fd is not a regular file */
};

/*
 * ExehashKey - what identifies one version of a file: a cache hit requires
 * all fields equal. ctime is included because no user can set it, so an
 * in-place rewrite that restores size and mtime still changes the key.
 */
typedef struct ExehashKey {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        struct timespec ctime;
} ExehashKey;

typedef struct ExehashCache ExehashCache;

/*
 * exehash_key_from_stat() - fill @key from @st (as returned by fstat()).
 * @st: the file's status
 * @key: output
 */
void exehash_key_from_stat(const struct stat *st, ExehashKey *key);

/*
 * exehash_fd() - SHA-256 of the whole regular file behind @fd.
 * @fd: an open, readable file; read with pread() from offset 0, so its
 *      file offset is left alone and the caller keeps the fd
 * @max: largest size accepted, in bytes (EXEHASH_MAX_DEFAULT if in doubt)
 * @out: receives the 32-byte digest on success
 *
 * Thread-safe and touches no shared state: safe on a thread-pool worker.
 * Return: 0, EXEHASH_E_TOO_LARGE, EXEHASH_E_CHANGED (size, mtime or ctime
 *         moved while reading), EXEHASH_E_NOT_REGULAR, or -errno.
 */
int exehash_fd(int fd, uint64_t max, uint8_t out[EXEHASH_SIZE]);

/*
 * exehash_cache_new() - create an empty cache.
 * @cachep: receives the cache; the caller owns it (exehash_cache_free())
 * @max_entries: entries kept (0: EXEHASH_CACHE_ENTRIES_DEFAULT); when full,
 *               the least recently used entry is evicted
 * Return: 0 or -ENOMEM.
 */
int exehash_cache_new(ExehashCache **cachep, size_t max_entries);

/* exehash_cache_free() - free @cache (NULL is fine). Return: NULL. */
ExehashCache *exehash_cache_free(ExehashCache *cache);

/*
 * exehash_cache_lookup() - find the digest stored for @key.
 * @cache: the cache (loop thread only)
 * @key: the file version
 * @out: receives the digest on a hit
 * Return: true on a hit (the entry becomes most recently used).
 */
bool exehash_cache_lookup(ExehashCache *cache, const ExehashKey *key, uint8_t out[EXEHASH_SIZE]);

/*
 * exehash_cache_insert() - remember @hash for @key, replacing an entry with
 * the same key and evicting the least recently used one when full.
 * @cache: the cache (loop thread only)
 * @key: the file version the digest was computed for
 * @hash: the digest (copied)
 */
void exehash_cache_insert(ExehashCache *cache, const ExehashKey *key,
                          const uint8_t hash[EXEHASH_SIZE]);

/* exehash_cache_size() - number of entries currently stored. */
size_t exehash_cache_size(const ExehashCache *cache);
