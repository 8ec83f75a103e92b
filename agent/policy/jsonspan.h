/* SPDX-License-Identifier: MIT */
/*
 * jsonspan.h - where each value of a JSON document that jansson parsed sits
 * in the document's text. jansson keeps numbers as binary (3.14 comes back
 * as 3.1400000000000001) and re-serialises objects its own way; IAM compares
 * a number in a string condition as its JSON text, and `rolectl policy eval
 * --batch` hands a policy object's own text to the parser. Objects, arrays,
 * strings and numbers can be looked up (true, false and null are shared
 * singletons in jansson and have no span).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct JsonSpan JsonSpan;

/*
 * jsonspan_new() - index the values of @root, parsed by jansson from @json.
 * @json:   the text (need not be NUL-terminated); the caller keeps it and
 *          must keep it unchanged while the index is used
 * @len:    its length
 * @root:   what json_loadb(@json, @len, ...) returned; the caller keeps it
 * @spanp:  receives the index; free with jsonspan_free()
 *
 * Return: 0; -EINVAL when the text and the tree do not correspond; -ENOMEM.
 */
int jsonspan_new(JsonSpan **spanp, const char *json, size_t len, const json_t *root);

/* jsonspan_free() - free an index (NULL is fine). Return: NULL. */
JsonSpan *jsonspan_free(JsonSpan *s);

/*
 * jsonspan_get() - the text of value @v: *textp points into the document,
 * *lenp is its length in bytes. Return: false when @v is not in the index.
 */
bool jsonspan_get(const JsonSpan *s, const json_t *v, const char **textp, size_t *lenp);
