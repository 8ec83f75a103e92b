/* SPDX-License-Identifier: MIT */
/*
 * jsonspan.c - the text span of every value of a parsed JSON document. The
 * text is scanned once, noting where each value starts and ends in document
 * order; the jansson tree, walked in pre-order, lists its values in the same
 * order (jansson keeps object members in insertion order, and a document with
 * duplicate keys is refused before it gets here), so the two lists pair up.
 * Any disagreement (kind or count) refuses the whole index.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "jsonspan.h"
#include "util.h"

typedef struct Span {
        const json_t *v;
        size_t off, len;
} Span;

/* One allocation: the index and its spans. */
struct JsonSpan {
        const char *json;
        size_t n_spans;
        Span spans[]; /* sorted by v */
};

typedef struct Walk {
        const json_t **nodes;
        size_t n, size;
} Walk;

static int walk(Walk *w, const json_t *v, int depth)
{
        const char *key;
        json_t *child;
        size_t i;
        int r;

        if (depth > 4096)
                return -EINVAL;
        if (ARRAY_RESERVE(w->nodes, w->n, w->size, 64))
                return -ENOMEM;
        w->nodes[w->n++] = v;
        if (json_is_object(v)) {
                json_object_foreach((json_t *)v, key, child)
                {
                        r = walk(w, child, depth + 1);
                        if (r < 0)
                                return r;
                }
        } else if (json_is_array(v)) {
                json_array_foreach(v, i, child)
                {
                        r = walk(w, child, depth + 1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* End of the string whose opening quote is at s[i]: the index after the closing quote. */
static size_t string_end(const char *s, size_t len, size_t i)
{
        for (i++; i < len; i++) {
                if (s[i] == '\\')
                        i++;
                else if (s[i] == '"')
                        return i + 1;
        }
        return len;
}

static bool kind_matches(const json_t *v, char c)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return c == '{';
        case JSON_ARRAY:
                return c == '[';
        case JSON_STRING:
                return c == '"';
        case JSON_INTEGER:
        case JSON_REAL:
                return c == '-' || (c >= '0' && c <= '9');
        case JSON_TRUE:
                return c == 't';
        case JSON_FALSE:
                return c == 'f';
        default:
                return c == 'n';
        }
}

static int cmp_span(const void *a, const void *b)
{
        uintptr_t x = (uintptr_t)((const Span *)a)->v, y = (uintptr_t)((const Span *)b)->v;
        return (x > y) - (x < y);
}

int jsonspan_new(JsonSpan **spanp, const char *json, size_t len, const json_t *root)
{
        _cleanup_free_ const json_t **nodes = NULL;
        _cleanup_free_ size_t *stack = NULL;
        _cleanup_free_ JsonSpan *s = NULL;
        _cleanup_free_ bool *in_object = NULL;
        Span *spans;
        Walk w = { 0 };
        size_t k = 0, depth = 0, n_spans = 0;
        bool expect_key = false;
        int r;

        r = walk(&w, root, 0);
        nodes = w.nodes;
        if (r < 0)
                return r;
        stack = malloc(w.n * sizeof(*stack));
        in_object = malloc(w.n * sizeof(*in_object));
        /* Room for every value; true, false and null are left out at the end. */
        s = malloc(sizeof(*s) + w.n * sizeof(s->spans[0]));
        if (!stack || !in_object || !s)
                return -ENOMEM;
        spans = s->spans;
        for (size_t i = 0; i < len; i++) {
                char c = json[i];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':')
                        continue;
                if (c == ',') {
                        expect_key = depth > 0 && in_object[depth - 1];
                        continue;
                }
                if (c == '}' || c == ']') {
                        if (depth == 0)
                                return -EINVAL;
                        Span *sp = &spans[stack[--depth]];
                        sp->len = i + 1 - sp->off;
                        expect_key = false;
                        continue;
                }
                if (expect_key) {
                        if (c != '"')
                                return -EINVAL;
                        i = string_end(json, len, i) - 1;
                        expect_key = false;
                        continue;
                }
                /* The start of the k-th value. */
                if (k >= w.n || !kind_matches(nodes[k], c))
                        return -EINVAL;
                Span *sp = &spans[k];
                *sp = (Span){ .v = nodes[k], .off = i };
                k++;
                if (c == '{' || c == '[') {
                        in_object[depth] = c == '{';
                        stack[depth++] = (size_t)(sp - spans);
                        expect_key = c == '{';
                        continue;
                }
                size_t end = i + 1;
                if (c == '"')
                        end = string_end(json, len, i);
                else
                        while (end < len && json[end] &&
                               strchr("0123456789+-.eEtrufalsn", json[end]))
                                end++;
                sp->len = end - i;
                i = end - 1;
        }
        if (k != w.n || depth != 0)
                return -EINVAL;
        /* true, false and null are shared nodes: leave them out of the lookup. */
        for (size_t i = 0; i < k; i++)
                if (!json_is_true(spans[i].v) && !json_is_false(spans[i].v) &&
                    !json_is_null(spans[i].v))
                        spans[n_spans++] = spans[i];
        qsort(spans, n_spans, sizeof(*spans), cmp_span);
        s->json = json;
        s->n_spans = n_spans;
        *spanp = steal_pointer(&s);
        return 0;
}

JsonSpan *jsonspan_free(JsonSpan *s)
{
        free(s);
        return NULL;
}

bool jsonspan_get(const JsonSpan *s, const json_t *v, const char **textp, size_t *lenp)
{
        Span key = { .v = v };
        const Span *sp =
                s ? bsearch(&key, s->spans, s->n_spans, sizeof(*s->spans), cmp_span) : NULL;
        if (!sp)
                return false;
        *textp = s->json + sp->off;
        *lenp = sp->len;
        return true;
}
