/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the bump allocator a compiled policy lives in. Compiling makes many
 * small objects that all die together with the policy, so they share chunks
 * and are released at once; evaluation only reads them.
 */
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

struct ArenaChunk {
        ArenaChunk *next;
        size_t used, size;
        _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK_MIN 4096

void *arena_alloc(Arena *a, size_t size)
{
        size = (size + 15) & ~(size_t)15;
        if (size == 0)
                size = 16;
        ArenaChunk *c = a->head;
        if (!c || c->size - c->used < size) {
                size_t n = size > ARENA_CHUNK_MIN ? size : ARENA_CHUNK_MIN;
                if (a->head && n < a->head->size * 2 && a->head->size < (1u << 20))
                        n = a->head->size * 2;
                c = malloc(sizeof(*c) + n);
                if (!c)
                        return NULL;
                c->next = a->head;
                c->used = 0;
                c->size = n;
                a->head = c;
        }
        void *p = c->data + c->used;
        c->used += size;
        memset(p, 0, size);
        return p;
}

char *arena_strndup(Arena *a, const char *s, size_t len)
{
        char *d = arena_alloc(a, len + 1);
        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

char *arena_strdup(Arena *a, const char *s)
{
        return arena_strndup(a, s, strlen(s));
}

void arena_release(Arena *a)
{
        while (a->head) {
                ArenaChunk *next = a->head->next;
                free(a->head);
                a->head = next;
        }
}

size_t arena_bytes(const Arena *a)
{
        size_t n = 0;

        for (const ArenaChunk *c = a->head; c; c = c->next)
                n += sizeof(*c) + c->size;
        return n;
}
