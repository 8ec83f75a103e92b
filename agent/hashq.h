/* SPDX-License-Identifier: MIT */
/*
 * hashq.h - the executable-hash queue: SHA-256 of executables on threads of
 * its own (never libuv's pool, which attests every connection, so a large
 * binary can delay nobody's attestation), one hash in flight per file version
 * however many connections wait for it (single flight), and bounds on what
 * one uid and everyone together may have queued.  Digests go into the
 * exehash cache; waiters are called back on the loop thread.  Deciding
 * whether a hash is needed is trust.c's business, hashing exehash.c's.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "exehash.h"

#define HASHQ_THREADS 2     /* hashing threads: at most this many cores go to hashing */
#define HASHQ_PER_UID_MAX 2 /* distinct files one uid may have queued or being hashed */
#define HASHQ_JOBS_MAX 64   /* distinct files queued or being hashed, all uids together */

enum {
        HASHQ_E_BUSY = 1, /* the uid (or the whole queue) is at its limit: not hashed */
};

typedef struct HashQueue HashQueue;

/*
 * HashqDoneFn - a hash finished (or was cancelled at shutdown).
 * @userdata: as submitted
 * @result: 0 (then @sha256 holds the digest), EXEHASH_E_* or -errno
 *          (-ECANCELED at shutdown)
 */
typedef void (*HashqDoneFn)(void *userdata, int result, const uint8_t sha256[EXEHASH_SIZE]);

/* What the queue has done since start (Status shows it to admins). */
typedef struct HashqStats {
        uint64_t n_started; /* hashes computed (or begun) */
        uint64_t n_joined;  /* waiters that joined a hash already queued for the same file */
        uint64_t n_refused; /* submissions refused with HASHQ_E_BUSY */
        unsigned n_active;  /* distinct files queued or being hashed now */
} HashqStats;

/*
 * hashq_new() - start the queue's threads.
 * @qp: receives the queue; the caller ends it with hashq_close()
 * @loop: the agent's loop (callbacks run on it)
 * @cache: where digests are stored (loop thread only, as exehash.h says)
 * @max_size: largest file hashed, in bytes (larger: EXEHASH_E_TOO_LARGE)
 * Return: 0 or -errno.
 */
int hashq_new(HashQueue **qp, uv_loop_t *loop, ExehashCache *cache, uint64_t max_size);

/* hashq_set_max_size() - change the size cap for hashes submitted from now on (reload). */
void hashq_set_max_size(HashQueue *q, uint64_t max_size);

/*
 * hashq_submit() - hash the file behind @fd (a version identified by @key)
 * for @uid, or join the hash already queued for @key.
 * @fd: duplicated; the caller keeps its own
 * @done: called exactly once, later, on the loop thread (never from inside
 *        hashq_submit())
 * Return: 0 (queued or joined), HASHQ_E_BUSY (@done will not be called), or -errno.
 */
int hashq_submit(HashQueue *q, const ExehashKey *key, int fd, uid_t uid, HashqDoneFn done,
                 void *userdata);

/* hashq_stats() - counters and the current load. */
void hashq_stats(const HashQueue *q, HashqStats *st);

/*
 * hashq_close() - stop: wait for the hashes being computed, call every
 * waiter with -ECANCELED, and free the queue once libuv has closed its
 * handle (drain the loop afterwards).  NULL is fine.
 */
void hashq_close(HashQueue *q);
