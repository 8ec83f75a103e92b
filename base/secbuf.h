/* SPDX-License-Identifier: MIT */
/*
 * secbuf.h - growing a heap buffer that may hold secrets (credentials,
 * tokens, request bytes): the bytes are copied to the new buffer and the old
 * one is wiped before it is freed, where realloc() would leave them in freed
 * memory.  The buffers themselves (JsonBuf, an HTTP body, a receive buffer)
 * stay with their owners.
 */
#pragma once

#include <stddef.h>

/*
 * secbuf_grow() - room for @need more bytes after the @len used of @data
 * (*@sizep bytes, NULL when 0): @data itself when they fit, else a new buffer
 * of at least @initial bytes, doubled until they fit, holding @data's @len
 * bytes; @data is then wiped and freed and *@sizep updated.
 * @max: the largest buffer allowed
 * Return: the buffer to use, or NULL (no memory, or @max would be exceeded)
 * with @data and *@sizep unchanged.
 */
void *secbuf_grow(void *data, size_t len, size_t *sizep, size_t need, size_t initial, size_t max);
