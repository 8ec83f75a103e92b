/* SPDX-License-Identifier: MIT */
/*
 * bench-exehash.c - what attesting an executable by hash costs: exehash_fd()
 * (agent/exehash.c) over a temporary file of random bytes, page cache warm,
 * reported as milliseconds per MiB (median of several passes).  Reference
 * figure only; it asserts nothing.
 *
 * usage: bench-exehash [MIB [PASSES]]   (default 64 MiB, 7 passes)
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"

#define CHUNK (1024 * 1024)
#define PASSES_MAX 64

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        long mib = argc > 1 ? atol(argv[1]) : 64;
        int passes = argc > 2 ? atoi(argv[2]) : 7;
        char path[] = "/tmp/bench-exehash-XXXXXX";
        double ms_per_mib[PASSES_MAX];
        uint8_t digest[EXEHASH_SIZE], *chunk;
        int fd, r;

        if (mib < 1 || passes < 1 || passes > PASSES_MAX) {
                fprintf(stderr, "usage: bench-exehash [MIB [PASSES(1..%d)]]\n", PASSES_MAX);
                return 2;
        }
        if (sodium_init() < 0)
                return 1;
        fd = mkstemp(path);
        if (fd < 0) {
                perror("bench-exehash: mkstemp");
                return 1;
        }
        unlink(path);
        chunk = malloc(CHUNK);
        if (!chunk)
                return 1;
        for (long i = 0; i < mib; i++) {
                randombytes_buf(chunk, CHUNK);
                if (write(fd, chunk, CHUNK) != CHUNK) {
                        perror("bench-exehash: write");
                        return 1;
                }
        }
        free(chunk);
        /* One untimed pass brings every page into the cache, like a running binary's. */
        r = exehash_fd(fd, (uint64_t)mib * CHUNK, digest);
        if (r != 0) {
                fprintf(stderr, "bench-exehash: exehash_fd: %d\n", r);
                return 1;
        }
        for (int i = 0; i < passes; i++) {
                double t0 = now_s();

                r = exehash_fd(fd, (uint64_t)mib * CHUNK, digest);
                if (r != 0)
                        return 1;
                ms_per_mib[i] = (now_s() - t0) * 1e3 / (double)mib;
        }
        close(fd);
        qsort(ms_per_mib, (size_t)passes, sizeof(double), cmp_double);
        printf("bench-exehash: %ld MiB, %d passes: median %.3f ms/MiB (min %.3f, max %.3f), %.0f "
               "MiB/s\n",
               mib, passes, ms_per_mib[passes / 2], ms_per_mib[0], ms_per_mib[passes - 1],
               1e3 / ms_per_mib[passes / 2]);
        return 0;
}
