/* SPDX-License-Identifier: MIT */
/*
 * hashq.c - the executable-hash queue (see hashq.h).
 *
 * Jobs live in two places: the loop thread's table of active jobs (single
 * flight and the per-uid counts are looked up there, without a lock) and,
 * under the mutex, the FIFO the threads take work from and the list of
 * finished jobs they hand back through a uv_async_t.  A job's waiters and
 * its table slot belong to the loop thread; the threads only touch the
 * job's fd, size cap and result.
 */
#include "hashq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct Waiter {
        HashqDoneFn done;
        void *userdata;
        struct Waiter *next;
} Waiter;

typedef struct Job {
        ExehashKey key;
        uid_t uid; /* who started it: counted against that uid */
        int fd;
        uint64_t max_size;
        int result;
        uint8_t sha256[EXEHASH_SIZE];
        Waiter *waiters;  /* loop thread only */
        struct Job *next; /* pending or finished list (under the mutex) */
} Job;

struct HashQueue {
        uv_loop_t *loop;
        uv_async_t async;
        ExehashCache *cache;
        uint64_t max_size;

        Job *active[HASHQ_JOBS_MAX]; /* loop thread: queued or being hashed */
        unsigned n_active;
        HashqStats stats;

        pthread_mutex_t lock;
        pthread_cond_t cond;
        Job *pending, **pending_tail; /* FIFO for the threads */
        Job *finished;                /* back to the loop */
        bool is_stopping;
        pthread_t threads[HASHQ_THREADS];
        unsigned n_threads;
};

static bool same_key(const ExehashKey *a, const ExehashKey *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void *worker(void *arg)
{
        HashQueue *q = arg;

        pthread_mutex_lock(&q->lock);
        for (;;) {
                Job *j;

                while (!q->pending && !q->is_stopping)
                        pthread_cond_wait(&q->cond, &q->lock);
                if (q->is_stopping)
                        break;
                j = q->pending;
                q->pending = j->next;
                if (!q->pending)
                        q->pending_tail = &q->pending;
                pthread_mutex_unlock(&q->lock);

                j->result = exehash_fd(j->fd, j->max_size, j->sha256);

                pthread_mutex_lock(&q->lock);
                j->next = q->finished;
                q->finished = j;
                pthread_mutex_unlock(&q->lock);
                uv_async_send(&q->async);
                pthread_mutex_lock(&q->lock);
        }
        pthread_mutex_unlock(&q->lock);
        return NULL;
}

/* Take @j out of the active table, call its waiters, free it. */
static void finish(HashQueue *q, Job *j, int result)
{
        for (unsigned i = 0; i < q->n_active; i++)
                if (q->active[i] == j) {
                        q->active[i] = q->active[--q->n_active];
                        break;
                }
        if (result == 0)
                exehash_cache_insert(q->cache, &j->key, j->sha256);
        while (j->waiters) {
                Waiter *w = j->waiters;

                j->waiters = w->next;
                w->done(w->userdata, result, j->sha256);
                free(w);
        }
        safe_close(j->fd);
        free(j);
}

static void on_async(uv_async_t *a)
{
        HashQueue *q = a->data;
        Job *done;

        pthread_mutex_lock(&q->lock);
        done = q->finished;
        q->finished = NULL;
        pthread_mutex_unlock(&q->lock);
        while (done) {
                Job *j = done;

                done = j->next;
                finish(q, j, j->result);
        }
}

int hashq_new(HashQueue **qp, uv_loop_t *loop, ExehashCache *cache, uint64_t max_size)
{
        HashQueue *q = calloc(1, sizeof(*q));
        int r;

        if (!q)
                return -ENOMEM;
        q->loop = loop;
        q->cache = cache;
        q->max_size = max_size;
        q->pending_tail = &q->pending;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->cond, NULL);
        r = uv_async_init(loop, &q->async, on_async);
        if (r < 0) {
                pthread_cond_destroy(&q->cond);
                pthread_mutex_destroy(&q->lock);
                free(q);
                return r;
        }
        q->async.data = q;
        /* Pending hashes keep their connections, and so the loop, alive; the queue itself does not.
         */
        uv_unref((uv_handle_t *)&q->async);
        for (; q->n_threads < HASHQ_THREADS; q->n_threads++) {
                r = pthread_create(&q->threads[q->n_threads], NULL, worker, q);
                if (r != 0) {
                        hashq_close(q);
                        return -r;
                }
        }
        *qp = q;
        return 0;
}

void hashq_set_max_size(HashQueue *q, uint64_t max_size)
{
        q->max_size = max_size;
}

int hashq_submit(HashQueue *q, const ExehashKey *key, int fd, uid_t uid, HashqDoneFn done,
                 void *userdata)
{
        _cleanup_free_ Waiter *w = calloc(1, sizeof(*w));
        Job *j = NULL;
        unsigned n_uid = 0;

        if (!w)
                return -ENOMEM;
        w->done = done;
        w->userdata = userdata;
        for (unsigned i = 0; i < q->n_active; i++) {
                if (same_key(&q->active[i]->key, key))
                        j = q->active[i];
                n_uid += q->active[i]->uid == uid;
        }
        if (j) {
                w->next = j->waiters;
                j->waiters = steal_pointer(&w);
                q->stats.n_joined++;
                return 0;
        }
        if (n_uid >= HASHQ_PER_UID_MAX || q->n_active >= HASHQ_JOBS_MAX) {
                q->stats.n_refused++;
                return HASHQ_E_BUSY;
        }
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (j->fd < 0) {
                free(j);
                return -errno;
        }
        j->key = *key;
        j->uid = uid;
        j->max_size = q->max_size;
        j->waiters = steal_pointer(&w);
        q->active[q->n_active++] = j;
        q->stats.n_started++;

        pthread_mutex_lock(&q->lock);
        *q->pending_tail = j;
        q->pending_tail = &j->next;
        pthread_cond_signal(&q->cond);
        pthread_mutex_unlock(&q->lock);
        return 0;
}

void hashq_stats(const HashQueue *q, HashqStats *st)
{
        *st = q->stats;
        st->n_active = q->n_active;
}

static void on_closed(uv_handle_t *h)
{
        HashQueue *q = h->data;

        pthread_cond_destroy(&q->cond);
        pthread_mutex_destroy(&q->lock);
        free(q);
}

void hashq_close(HashQueue *q)
{
        if (!q)
                return;
        pthread_mutex_lock(&q->lock);
        q->is_stopping = true;
        pthread_cond_broadcast(&q->cond);
        pthread_mutex_unlock(&q->lock);
        for (unsigned i = 0; i < q->n_threads; i++)
                pthread_join(q->threads[i], NULL);
        /* Finished ones keep their results; the rest (still pending) are cancelled. */
        on_async(&q->async);
        while (q->n_active > 0)
                finish(q, q->active[0], -ECANCELED);
        uv_close((uv_handle_t *)&q->async, on_closed);
}
