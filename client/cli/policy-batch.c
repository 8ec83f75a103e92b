/* SPDX-License-Identifier: MIT */
/*
 * policy-batch.c - `rolectl policy eval --batch`: one JSON request per line of
 * stdin, one answer per line of stdout, in order. A request carries its
 * policies inline, and a batch usually repeats the same few documents, so
 * each line is first scanned (and checked as JSON) without building a tree:
 * policies are looked up by their text in a small cache of compiled ones, and
 * only the small members (id, action, resource, context) go through jansson.
 * A line the scanner does not take (a JSON error, escaped or duplicate keys,
 * unusual shapes) goes the general way, a jansson tree of the whole line, with
 * the same answers. Decisions are the engine's; printing lives in cmd-policy.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cmd-policy.h"
#include "jsonspan.h"
#include "policy-batch.h"
#include "policy.h"

#define BATCH_LINE_MAX (16 * POLICY_DOCUMENT_MAX)
#define BATCH_POLICIES_MAX 64
#define SCAN_DEPTH_MAX 2048 /* jansson's own nesting limit */
#define SCAN_MEMBERS_MAX 32
#define CACHE_SLOTS 64

/* One policy of a request: its document text, or why it has none. */
typedef struct BatchPolicy {
        bool is_valid; /* a JSON object or a string */
        const char *text;
        size_t len;
        char *owned_text; /* when re-serialised (never expected) */
        json_t *owner;    /* keeps a decoded string alive */
} BatchPolicy;

typedef struct BatchReq {
        json_t *id, *action, *resource, *context; /* owned references; NULL when absent */
        JsonSpan *spans; /* texts of the numbers in context (and of the whole line) */
        bool has_policies, is_policies_array;
        size_t n_policies; /* may exceed BATCH_POLICIES_MAX: then an error */
        BatchPolicy policies[BATCH_POLICIES_MAX];
        bool has_session;
        BatchPolicy session;
} BatchReq;

static void batch_policy_deinit(BatchPolicy *bp)
{
        free(bp->owned_text);
        json_decref(bp->owner);
        *bp = (BatchPolicy){ 0 };
}

static void batch_req_deinit(BatchReq *rq)
{
        json_decref(rq->id);
        json_decref(rq->action);
        json_decref(rq->resource);
        json_decref(rq->context);
        jsonspan_free(rq->spans);
        for (size_t i = 0; i < rq->n_policies && i < BATCH_POLICIES_MAX; i++)
                batch_policy_deinit(&rq->policies[i]);
        batch_policy_deinit(&rq->session);
}

/* Compiled policies by document text. Direct-mapped: a new text takes its slot. */
typedef struct CacheEntry {
        uint64_t hash;
        char *text;
        size_t len;
        Policy *policy;        /* NULL: the document is malformed, msg says why */
        unsigned long used_by; /* serial of the last request that borrowed it */
        char msg[400];
} CacheEntry;

static CacheEntry cache[CACHE_SLOTS];
static unsigned long serial; /* of the request being decided */
static const unsigned char cache_key[crypto_shorthash_KEYBYTES];

static void cache_clear(void)
{
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
                free(cache[i].text);
                policy_free(cache[i].policy);
                cache[i] = (CacheEntry){ 0 };
        }
}

/*
 * The compiled form of document @text for the current request (serial): a
 * policy borrowed from the cache, valid until the next request, or, when its
 * slot holds another document this request borrowed, one the caller owns
 * (*ownedp, to free). POLICY_E_MALFORMED with @msg set when it is malformed.
 */
static int cache_lookup(const char *text, size_t len, const char *name, const Policy **policyp,
                        Policy **ownedp, char *msg, size_t size)
{
        unsigned char h[crypto_shorthash_BYTES];
        uint64_t hash;
        PolicyError err;
        Policy *p = NULL;
        int r;

        crypto_shorthash(h, (const unsigned char *)text, len, cache_key);
        memcpy(&hash, h, sizeof(hash));
        CacheEntry *e = &cache[hash % CACHE_SLOTS];
        bool is_hit =
                e->text && e->hash == hash && e->len == len && memcmp(e->text, text, len) == 0;
        if (!is_hit && e->text && e->used_by == serial) {
                r = policy_parse(text, len, NULL, &p, &err);
                if (r == POLICY_E_MALFORMED) {
                        char m[400];
                        cli_policy_format_error(m, sizeof(m), &err);
                        snprintf(msg, size, "%s: %s", name, m);
                }
                if (r != 0)
                        return r;
                *policyp = *ownedp = p;
                return 0;
        }
        if (!is_hit) {
                r = policy_parse(text, len, NULL, &p, &err);
                if (r < 0)
                        return r;
                char *copy = malloc(len + 1);
                if (!copy) {
                        policy_free(p);
                        return -ENOMEM;
                }
                memcpy(copy, text, len);
                copy[len] = '\0';
                free(e->text);
                policy_free(e->policy);
                *e = (CacheEntry){ .hash = hash, .text = copy, .len = len, .policy = p };
                if (r == POLICY_E_MALFORMED)
                        cli_policy_format_error(e->msg, sizeof(e->msg), &err);
        }
        if (!e->policy) {
                snprintf(msg, size, "%s: %s", name, e->msg);
                return POLICY_E_MALFORMED;
        }
        e->used_by = serial;
        *policyp = e->policy;
        return 0;
}

/*
 * The scanner: checks a line as JSON without building anything, and notes
 * where the members of the outer object are. It follows RFC 8259 as jansson
 * does; whatever it refuses goes the general way, which reports the error.
 */
typedef struct Scan {
        const char *s;
        size_t len, i;
} Scan;

static void ws(Scan *sc)
{
        while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
                                   sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
                sc->i++;
}

static bool is_cont(const Scan *sc, size_t i, unsigned char lo, unsigned char hi)
{
        return i < sc->len && (unsigned char)sc->s[i] >= lo && (unsigned char)sc->s[i] <= hi;
}

/* One UTF-8 sequence at sc->i (Unicode 3.9 table 3-7: no overlongs, surrogates or beyond U+10FFFF).
 */
static bool utf8_seq(Scan *sc)
{
        unsigned char c = (unsigned char)sc->s[sc->i];
        size_t i = sc->i;
        bool ok;

        if (c < 0x80)
                ok = true, i += 1;
        else if (c >= 0xc2 && c <= 0xdf)
                ok = is_cont(sc, i + 1, 0x80, 0xbf), i += 2;
        else if (c == 0xe0)
                ok = is_cont(sc, i + 1, 0xa0, 0xbf) && is_cont(sc, i + 2, 0x80, 0xbf), i += 3;
        else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
                ok = is_cont(sc, i + 1, 0x80, 0xbf) && is_cont(sc, i + 2, 0x80, 0xbf), i += 3;
        else if (c == 0xed)
                ok = is_cont(sc, i + 1, 0x80, 0x9f) && is_cont(sc, i + 2, 0x80, 0xbf), i += 3;
        else if (c == 0xf0)
                ok = is_cont(sc, i + 1, 0x90, 0xbf) && is_cont(sc, i + 2, 0x80, 0xbf) &&
                     is_cont(sc, i + 3, 0x80, 0xbf),
                i += 4;
        else if (c >= 0xf1 && c <= 0xf3)
                ok = is_cont(sc, i + 1, 0x80, 0xbf) && is_cont(sc, i + 2, 0x80, 0xbf) &&
                     is_cont(sc, i + 3, 0x80, 0xbf),
                i += 4;
        else if (c == 0xf4)
                ok = is_cont(sc, i + 1, 0x80, 0x8f) && is_cont(sc, i + 2, 0x80, 0xbf) &&
                     is_cont(sc, i + 3, 0x80, 0xbf),
                i += 4;
        else
                ok = false;
        if (ok)
                sc->i = i;
        return ok;
}

static int hexval(char c)
{
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
}

/* Are all 8 bytes of @v printable ASCII other than '"' and '\\'? (bit tricks on one word) */
static bool is_plain8(uint64_t v)
{
        const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');

        if (v & highs)
                return false;
        /* A byte below 0x20, or equal to '"' or '\\', sets its high bit in one of these
         * (a borrow may flag bytes above a real hit too, never a word without one). */
        uint64_t hit = ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b);
        return (hit & highs) == 0;
}

/* A string at sc->i (the opening quote). @has_escapep: it has a backslash. */
static bool scan_string(Scan *sc, bool *has_escapep)
{
        bool has_escape = false;

        sc->i++;
        while (sc->i < sc->len) {
                uint64_t w;
                if (sc->len - sc->i >= 8) {
                        memcpy(&w, sc->s + sc->i, 8);
                        if (is_plain8(w)) {
                                sc->i += 8;
                                continue;
                        }
                }
                unsigned char c = (unsigned char)sc->s[sc->i];
                if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                        sc->i++;
                        continue;
                }
                if (c == '"') {
                        sc->i++;
                        if (has_escapep)
                                *has_escapep = has_escape;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        /* \u escapes are decoded (and checked for surrogate pairs) by jansson
                         * wherever the value is used; here they only need their shape. */
                        has_escape = true;
                        if (sc->i + 1 >= sc->len)
                                return false;
                        char e = sc->s[sc->i + 1];
                        if (e == 'u') {
                                if (sc->i + 6 > sc->len)
                                        return false;
                                for (size_t k = 2; k < 6; k++)
                                        if (hexval(sc->s[sc->i + k]) < 0)
                                                return false;
                                sc->i += 6;
                        } else if (e && strchr("\"\\/bfnrt", e)) {
                                sc->i += 2;
                        } else {
                                return false;
                        }
                        continue;
                }
                if (!utf8_seq(sc))
                        return false;
        }
        return false;
}

static bool digit_run(Scan *sc)
{
        size_t start = sc->i;
        while (sc->i < sc->len && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
                sc->i++;
        return sc->i > start;
}

static bool scan_number(Scan *sc)
{
        if (sc->s[sc->i] == '-')
                sc->i++;
        if (sc->i < sc->len && sc->s[sc->i] == '0')
                sc->i++;
        else if (!(sc->i < sc->len && sc->s[sc->i] >= '1' && sc->s[sc->i] <= '9') || !digit_run(sc))
                return false;
        if (sc->i < sc->len && sc->s[sc->i] == '.') {
                sc->i++;
                if (!digit_run(sc))
                        return false;
        }
        if (sc->i < sc->len && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
                sc->i++;
                if (sc->i < sc->len && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
                        sc->i++;
                if (!digit_run(sc))
                        return false;
        }
        return true;
}

static bool scan_literal(Scan *sc, const char *word)
{
        size_t n = strlen(word);
        if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
                return false;
        sc->i += n;
        return true;
}

static bool scan_value(Scan *sc, int depth);

/* An array or object at sc->i. */
static bool scan_container(Scan *sc, int depth)
{
        char close = sc->s[sc->i] == '{' ? '}' : ']';

        if (depth >= SCAN_DEPTH_MAX)
                return false;
        sc->i++;
        ws(sc);
        if (sc->i < sc->len && sc->s[sc->i] == close) {
                sc->i++;
                return true;
        }
        for (;;) {
                if (close == '}') {
                        if (sc->i >= sc->len || sc->s[sc->i] != '"' || !scan_string(sc, NULL))
                                return false;
                        ws(sc);
                        if (sc->i >= sc->len || sc->s[sc->i] != ':')
                                return false;
                        sc->i++;
                        ws(sc);
                }
                if (!scan_value(sc, depth + 1))
                        return false;
                ws(sc);
                if (sc->i >= sc->len)
                        return false;
                if (sc->s[sc->i] == close) {
                        sc->i++;
                        return true;
                }
                if (sc->s[sc->i] != ',')
                        return false;
                sc->i++;
                ws(sc);
        }
}

static bool scan_value(Scan *sc, int depth)
{
        if (sc->i >= sc->len)
                return false;
        switch (sc->s[sc->i]) {
        case '{':
        case '[':
                return scan_container(sc, depth);
        case '"':
                return scan_string(sc, NULL);
        case 't':
                return scan_literal(sc, "true");
        case 'f':
                return scan_literal(sc, "false");
        case 'n':
                return scan_literal(sc, "null");
        default:
                return scan_number(sc);
        }
}

typedef struct Member {
        const char *key; /* without quotes; no escapes */
        size_t key_len;
        const char *val;
        size_t val_len;
} Member;

/* The outer object's members; false sends the line the general way. */
static bool scan_request(const char *s, size_t len, Member *m, size_t *np)
{
        Scan sc = { .s = s, .len = len };
        size_t n = 0;

        ws(&sc);
        if (sc.i >= len || s[sc.i] != '{')
                return false;
        sc.i++;
        ws(&sc);
        if (sc.i < len && s[sc.i] == '}') {
                sc.i++;
        } else {
                for (;;) {
                        bool has_escape;
                        size_t k = sc.i;
                        if (n == SCAN_MEMBERS_MAX || sc.i >= len || s[sc.i] != '"' ||
                            !scan_string(&sc, &has_escape) || has_escape)
                                return false;
                        m[n].key = s + k + 1;
                        m[n].key_len = sc.i - k - 2;
                        for (size_t j = 0; j < n; j++)
                                if (m[j].key_len == m[n].key_len &&
                                    memcmp(m[j].key, m[n].key, m[n].key_len) == 0)
                                        return false; /* duplicate: jansson words the error */
                        ws(&sc);
                        if (sc.i >= len || s[sc.i] != ':')
                                return false;
                        sc.i++;
                        ws(&sc);
                        size_t v = sc.i;
                        if (!scan_value(&sc, 1))
                                return false;
                        m[n].val = s + v;
                        m[n].val_len = sc.i - v;
                        n++;
                        ws(&sc);
                        if (sc.i < len && s[sc.i] == '}') {
                                sc.i++;
                                break;
                        }
                        if (sc.i >= len || s[sc.i] != ',')
                                return false;
                        sc.i++;
                        ws(&sc);
                }
        }
        ws(&sc);
        if (sc.i != len)
                return false;
        *np = n;
        return true;
}

/* A member's value as a jansson value (small ones only: id, action, resource, context). */
static json_t *load_value(const Member *m)
{
        json_error_t jerr;
        return json_loadb(m->val, m->val_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
}

/* A policy given by its text in the line: an object is its own text, a string is decoded. */
static int policy_from_text(BatchPolicy *bp, const char *text, size_t len)
{
        json_error_t jerr;

        *bp = (BatchPolicy){ 0 };
        if (text[0] == '{') {
                *bp = (BatchPolicy){ .is_valid = true, .text = text, .len = len };
        } else if (text[0] == '"') {
                bp->owner = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
                if (!json_is_string(bp->owner))
                        return -EINVAL;
                *bp = (BatchPolicy){ .is_valid = true,
                                     .text = json_string_value(bp->owner),
                                     .len = json_string_length(bp->owner),
                                     .owner = bp->owner };
        }
        return 0;
}

/* The fast way: false when the line must go the general way. */
static bool request_from_scan(BatchReq *rq, const char *line, size_t len)
{
        Member m[SCAN_MEMBERS_MAX];
        size_t n;

        if (!scan_request(line, len, m, &n))
                return false;
        for (size_t i = 0; i < n; i++) {
                const Member *mb = &m[i];
#define IS(name) (mb->key_len == strlen(name) && memcmp(mb->key, name, mb->key_len) == 0)
                json_t **slot = IS("id")         ? &rq->id
                                : IS("action")   ? &rq->action
                                : IS("resource") ? &rq->resource
                                : IS("context")  ? &rq->context
                                                 : NULL;
                if (slot) {
                        *slot = load_value(mb);
                        if (!*slot)
                                return false;
                } else if (IS("policies")) {
                        rq->has_policies = true;
                        if (mb->val[0] != '[')
                                continue;
                        rq->is_policies_array = true;
                        Scan sc = { .s = mb->val, .len = mb->val_len, .i = 1 };
                        ws(&sc);
                        while (sc.i < sc.len && sc.s[sc.i] != ']') {
                                size_t start = sc.i;
                                if (!scan_value(&sc, 2))
                                        return false;
                                if (rq->n_policies < BATCH_POLICIES_MAX &&
                                    policy_from_text(&rq->policies[rq->n_policies], sc.s + start,
                                                     sc.i - start) < 0)
                                        return false;
                                rq->n_policies++;
                                ws(&sc);
                                if (sc.i < sc.len && sc.s[sc.i] == ',')
                                        sc.i++;
                                ws(&sc);
                        }
                } else if (IS("sessionPolicy")) {
                        if (mb->val_len == 4 && memcmp(mb->val, "null", 4) == 0)
                                continue;
                        rq->has_session = true;
                        if (policy_from_text(&rq->session, mb->val, mb->val_len) < 0)
                                return false;
                }
#undef IS
        }
        if (json_is_object(rq->context)) {
                const Member *c = NULL;
                for (size_t i = 0; i < n; i++)
                        if (m[i].key_len == 7 && memcmp(m[i].key, "context", 7) == 0)
                                c = &m[i];
                if (jsonspan_new(&rq->spans, c->val, c->val_len, rq->context) == -ENOMEM)
                        return false;
        }
        return true;
}

/* The general way, from a jansson tree of the whole line and its spans. */
static int request_from_tree(BatchReq *rq, json_t *req, const char *line, size_t len)
{
        json_t *v;
        int r = jsonspan_new(&rq->spans, line, len, req);

        if (r == -ENOMEM)
                return r;
        rq->id = json_incref(json_object_get(req, "id"));
        rq->action = json_incref(json_object_get(req, "action"));
        rq->resource = json_incref(json_object_get(req, "resource"));
        rq->context = json_incref(json_object_get(req, "context"));
        v = json_object_get(req, "policies");
        rq->has_policies = v != NULL;
        rq->is_policies_array = json_is_array(v);
        for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++, rq->n_policies++) {
                json_t *p = json_array_get(v, i);
                BatchPolicy *bp = &rq->policies[i];
                if (i >= BATCH_POLICIES_MAX)
                        continue;
                if (json_is_string(p)) {
                        *bp = (BatchPolicy){ .is_valid = true,
                                             .text = json_string_value(p),
                                             .len = json_string_length(p) };
                } else if (json_is_object(p)) {
                        bp->is_valid = true;
                        if (!jsonspan_get(rq->spans, p, &bp->text, &bp->len)) {
                                bp->owned_text = json_dumps(p, JSON_COMPACT);
                                if (!bp->owned_text)
                                        return -ENOMEM;
                                bp->text = bp->owned_text;
                                bp->len = strlen(bp->owned_text);
                        }
                }
        }
        v = json_object_get(req, "sessionPolicy");
        if (v && !json_is_null(v)) {
                rq->has_session = true;
                if (json_is_string(v)) {
                        rq->session = (BatchPolicy){ .is_valid = true,
                                                     .text = json_string_value(v),
                                                     .len = json_string_length(v) };
                } else if (json_is_object(v)) {
                        rq->session.is_valid = true;
                        if (!jsonspan_get(rq->spans, v, &rq->session.text, &rq->session.len)) {
                                rq->session.owned_text = json_dumps(v, JSON_COMPACT);
                                if (!rq->session.owned_text)
                                        return -ENOMEM;
                                rq->session.text = rq->session.owned_text;
                                rq->session.len = strlen(rq->session.owned_text);
                        }
                }
        }
        return 0;
}

/*
 * One context value: a string, a number (its JSON text: 3.14 stays "3.14") or
 * a boolean. A value the engine refuses gets a message naming the limit.
 */
static int context_add(PolicyContext *ctx, const JsonSpan *spans, const char *key, json_t *v,
                       char *msg, size_t size)
{
        char buf[128];
        const char *s, *t;
        size_t len;
        int r;

        if (json_is_string(v)) {
                s = json_string_value(v);
                if (strlen(s) != json_string_length(v)) {
                        snprintf(msg, size, "context key \"%s\": values must not contain NUL", key);
                        return -EINVAL;
                }
        } else if (json_is_number(v) && jsonspan_get(spans, v, &t, &len) && len < sizeof(buf)) {
                snprintf(buf, sizeof(buf), "%.*s", (int)len, t);
                s = buf;
        } else if (json_is_integer(v)) {
                snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                s = buf;
        } else if (json_is_real(v)) {
                snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
                s = buf;
        } else if (json_is_boolean(v)) {
                s = json_is_true(v) ? "true" : "false";
        } else {
                snprintf(msg, size,
                         "context key \"%s\": values must be strings, numbers, booleans or arrays "
                         "of them",
                         key);
                return -EINVAL;
        }
        r = policy_context_set(ctx, key, s, true);
        if (r == -E2BIG) {
                if (strlen(s) > POLICY_VALUE_MAX)
                        snprintf(msg, size,
                                 "context key \"%s\": a value of %zu bytes is longer than the "
                                 "limit of %d bytes "
                                 "per value (POLICY_VALUE_MAX)",
                                 key, strlen(s), POLICY_VALUE_MAX);
                else
                        snprintf(msg, size,
                                 "context key \"%s\": the context holds more than %d bytes of "
                                 "values in all "
                                 "(POLICY_CONTEXT_BYTES_MAX)",
                                 key, POLICY_CONTEXT_BYTES_MAX);
        } else if (r != 0) {
                snprintf(msg, size, "context key \"%s\": %s", key,
                         r < 0 ? strerror(-r) : "refused");
        }
        return r;
}

/* The request's "context", checked against the engine's documented limits first. */
static int context_load(PolicyContext *ctx, const JsonSpan *spans, json_t *jctx, char *msg,
                        size_t size)
{
        const char *key;
        json_t *v;
        int r;

        if (json_object_size(jctx) > POLICY_CONTEXT_KEYS_MAX) {
                snprintf(
                        msg, size,
                        "context has %zu keys, more than the limit of %d (POLICY_CONTEXT_KEYS_MAX)",
                        json_object_size(jctx), POLICY_CONTEXT_KEYS_MAX);
                return -E2BIG;
        }
        json_object_foreach(jctx, key, v)
        {
                if (!*key) {
                        snprintf(msg, size, "context keys must not be empty");
                        return -EINVAL;
                }
                if (!json_is_array(v)) {
                        r = context_add(ctx, spans, key, v, msg, size);
                        if (r != 0)
                                return r;
                        continue;
                }
                if (json_array_size(v) > POLICY_CONTEXT_VALUES_MAX) {
                        snprintf(msg, size,
                                 "context key \"%s\" has %zu values, more than the limit of %d per "
                                 "key "
                                 "(POLICY_CONTEXT_VALUES_MAX)",
                                 key, json_array_size(v), POLICY_CONTEXT_VALUES_MAX);
                        return -E2BIG;
                }
                /* An array is a set, even of one value (a multivalued key). */
                r = policy_context_set(ctx, key, NULL, true);
                if (r != 0) {
                        snprintf(msg, size, "context key \"%s\": %s", key,
                                 r < 0 ? strerror(-r) : "refused");
                        return r;
                }
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e)
                {
                        r = context_add(ctx, spans, key, e, msg, size);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

static int load_policy(const BatchPolicy *bp, const char *name, const Policy **policyp,
                       Policy **ownedp, char *msg, size_t size)
{
        if (!bp->is_valid) {
                snprintf(msg, size, "%s: a policy must be a JSON object or a string", name);
                return POLICY_E_MALFORMED;
        }
        int r = cache_lookup(bp->text, bp->len, name, policyp, ownedp, msg, size);
        if (r < 0)
                snprintf(msg, size, "%s: %s", name, strerror(-r));
        return r;
}

/* Decide one request into @out (which already holds "id"). */
static void batch_one(const BatchReq *rq, json_t *out)
{
        const char *code = "InvalidParameterValue";
        char msg[512] = "";
        const Policy *policies[BATCH_POLICIES_MAX];
        const Policy *session = NULL;
        Policy *owned[BATCH_POLICIES_MAX + 1] = { 0 };
        PolicyContext *ctx = NULL;
        PolicyResult res;
        int r;

        if (!rq->is_policies_array || rq->n_policies > BATCH_POLICIES_MAX) {
                snprintf(msg, sizeof(msg), "\"policies\" must be an array of at most %d policies",
                         BATCH_POLICIES_MAX);
                goto error;
        }
        if (!json_is_string(rq->action) || !json_is_string(rq->resource)) {
                snprintf(msg, sizeof(msg), "\"action\" and \"resource\" must be strings");
                goto error;
        }
        if (json_string_length(rq->action) > POLICY_ACTION_MAX ||
            json_string_length(rq->resource) > POLICY_RESOURCE_MAX) {
                snprintf(msg, sizeof(msg),
                         "\"action\" may have at most %d bytes (POLICY_ACTION_MAX) and "
                         "\"resource\" at most %d "
                         "(POLICY_RESOURCE_MAX)",
                         POLICY_ACTION_MAX, POLICY_RESOURCE_MAX);
                goto error;
        }
        if (rq->context && !json_is_object(rq->context)) {
                snprintf(msg, sizeof(msg), "\"context\" must be an object");
                goto error;
        }
        if (policy_context_new(&ctx) < 0) {
                snprintf(msg, sizeof(msg), "out of memory");
                goto error;
        }
        if (rq->context && context_load(ctx, rq->spans, rq->context, msg, sizeof(msg)) != 0)
                goto error;
        code = "MalformedPolicyDocument";
        serial++;
        for (size_t i = 0; i < rq->n_policies; i++) {
                char name[32];
                snprintf(name, sizeof(name), "policies[%zu]", i);
                if (load_policy(&rq->policies[i], name, &policies[i], &owned[i], msg,
                                sizeof(msg)) != 0)
                        goto error;
        }
        if (rq->has_session && load_policy(&rq->session, "sessionPolicy", &session,
                                           &owned[BATCH_POLICIES_MAX], msg, sizeof(msg)) != 0)
                goto error;
        code = "InvalidParameterValue";
        r = policy_evaluate(policies, rq->n_policies, session, json_string_value(rq->action),
                            json_string_value(rq->resource), ctx, &res);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "cannot evaluate: %s", strerror(-r));
                goto error;
        }
        if (r == POLICY_E_WORK_LIMIT) {
                /* An error line has no decision, so nothing reads this as an allow. */
                code = "EvaluationLimitExceeded";
                snprintf(msg, sizeof(msg),
                         "matching these policies against this request needs more than %d units of "
                         "work "
                         "(POLICY_WORK_MAX); denied without a decision",
                         POLICY_WORK_MAX);
                goto error;
        }
        json_object_set_new(out, "decision", json_string(policy_decision_str(res.decision)));
        json_object_set_new(out, "matched", cli_policy_matched_json(&res));
        goto out;
error : {
        json_t *e = json_object();
        json_object_set_new(e, "code", json_string(code));
        json_object_set_new(e, "message", json_string(msg));
        json_object_set_new(out, "error", e);
}
out:
        for (size_t i = 0; i < BATCH_POLICIES_MAX + 1; i++)
                policy_free(owned[i]);
        policy_context_free(ctx);
}

/*
 * The "id" of a request line that is not valid JSON, if it can still be read:
 * a member "id" of the outer object, before the point where the line breaks,
 * whose value parses on its own. NULL otherwise.
 */
static json_t *recover_id(const char *line, size_t len)
{
        int depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = line[i];
                if (c == '{' || c == '[') {
                        depth++;
                } else if (c == '}' || c == ']') {
                        depth--;
                } else if (c == '"') {
                        size_t start = i;
                        for (i++; i < len && line[i] != '"'; i++)
                                if (line[i] == '\\')
                                        i++;
                        if (depth != 1 || i >= len || i - start != 3 ||
                            memcmp(line + start, "\"id\"", 4) != 0)
                                continue;
                        size_t j = i + 1;
                        while (j < len && (line[j] == ' ' || line[j] == '\t'))
                                j++;
                        if (j >= len || line[j] != ':')
                                continue;
                        json_error_t jerr;
                        json_t *id = json_loadb(line + j + 1, len - j - 1,
                                                JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
                        if (id)
                                return id;
                }
        }
        return NULL;
}

/* Answer one line (@lineno counts from 1) into @out. */
static void answer(const char *line, size_t len, long lineno, json_t *out)
{
        BatchReq rq = { 0 };
        json_t *req = NULL;
        json_error_t jerr;
        char why[300] = "";

        if (len > BATCH_LINE_MAX) {
                snprintf(why, sizeof(why), "request line of %zu bytes, the limit is %d", len,
                         BATCH_LINE_MAX);
        } else if (!request_from_scan(&rq, line, len)) {
                batch_req_deinit(&rq);
                rq = (BatchReq){ 0 };
                req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
                if (!req)
                        snprintf(why, sizeof(why), "line %ld column %d: %s", lineno, jerr.column,
                                 jerr.text);
                else if (!json_is_object(req))
                        snprintf(why, sizeof(why), "a request must be a JSON object");
                else if (request_from_tree(&rq, req, line, len) < 0)
                        snprintf(why, sizeof(why), "out of memory");
        }
        if (why[0]) {
                json_t *id = json_is_object(req)     ? json_incref(json_object_get(req, "id"))
                             : len <= BATCH_LINE_MAX ? recover_id(line, len)
                                                     : NULL;
                json_object_set_new(out, "id", id ? id : json_null());
                json_object_set_new(out, "line", json_integer(lineno));
                json_t *e = json_object();
                json_object_set_new(e, "code", json_string("MalformedPolicyDocument"));
                json_object_set_new(e, "message", json_string(why));
                json_object_set_new(out, "error", e);
        } else {
                json_object_set(out, "id", rq.id ? rq.id : json_null());
                batch_one(&rq, out);
                if (json_object_get(out, "error"))
                        json_object_set_new(out, "line", json_integer(lineno));
        }
        batch_req_deinit(&rq);
        json_decref(req);
}

int policy_batch_run(void)
{
        char *line = NULL;
        size_t size = 0;
        ssize_t len;
        long lineno = 0;
        int r = 0;

        while ((len = getline(&line, &size, stdin)) >= 0) {
                lineno++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        line[--len] = '\0';
                if (strspn(line, " \t") == (size_t)len)
                        continue;
                json_t *out = json_object();
                if (!out) {
                        r = -ENOMEM;
                        break;
                }
                answer(line, (size_t)len, lineno, out);
                char *s = json_dumps(out, JSON_COMPACT);
                json_decref(out);
                if (!s || puts(s) == EOF)
                        r = -EIO;
                free(s);
                if (r < 0)
                        break;
                /* Answers are buffered while more requests are waiting, and flushed
                 * before reading would block, so a client that sends one request
                 * at a time still gets each answer at once. */
                struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
                if (poll(&pfd, 1, 0) == 0 && fflush(stdout) == EOF)
                        r = -EIO;
        }
        if (fflush(stdout) == EOF && r == 0)
                r = -EIO;
        if (r == 0 && ferror(stdin))
                r = errno ? -errno : -EIO;
        free(line);
        cache_clear();
        return r;
}
