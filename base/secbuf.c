/* SPDX-License-Identifier: MIT */
/*
 * secbuf.c - growing a heap buffer without leaving its old bytes behind
 * (secbuf.h).
 */
#include "secbuf.h"

#include <stdlib.h>
#include <string.h>

void *secbuf_grow(void *data, size_t len, size_t *sizep, size_t need, size_t initial, size_t max)
{
        size_t size = *sizep ? *sizep : initial < max ? initial : max;
        void *p;

        if (data && need <= *sizep - len)
                return data;
        if (need > max - len)
                return NULL;
        while (size - len < need)
                size = size > max / 2 ? max : size * 2;
        p = malloc(size);
        if (!p)
                return NULL;
        if (data) {
                memcpy(p, data, len);
                explicit_bzero(data, *sizep);
                free(data);
        }
        *sizep = size;
        return p;
}
