/* SPDX-License-Identifier: MIT */
/*
 * array.h - growing a heap array by doubling, the one way: `items` holds @n
 * used of @size allocated. Nothing here frees; the array's owner does.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * array_reserve() - make room for one more item in *@itemsp (@n used, *@sizep
 * allocated items of @item_size each): double the allocation, or start at @initial.
 * Return: 0, or -ENOMEM with *@itemsp and *@sizep unchanged.
 */
static inline int array_reserve(void **itemsp, size_t n, size_t *sizep, size_t item_size,
                                size_t initial)
{
        size_t size = *sizep ? *sizep * 2 : initial;
        void *p;

        if (n < *sizep)
                return 0;
        if (size > SIZE_MAX / item_size)
                return -ENOMEM;
        p = realloc(*itemsp, size * item_size);
        if (!p)
                return -ENOMEM;
        *itemsp = p;
        *sizep = size;
        return 0;
}

/* ARRAY_RESERVE() - array_reserve() for the typed array @items: `ARRAY_RESERVE(l->findings, l->n,
 * l->size, 8)`. */
#define ARRAY_RESERVE(items, n, size, initial)                                                     \
        array_reserve((void **)&(items), (n), &(size), sizeof(*(items)), (initial))
