/* SPDX-License-Identifier: MIT */
/*
 * context.c - the request context: condition keys mapped to one or more string
 * values, each key marked attested (the agent vouches for it) or not (the
 * request supplied it). Attested values can never be overridden by request
 * values, and the caller-describing namespaces only accept attested values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy-internal.h"

/*
 * Keys are found by a hash of their case-folded bytes once a context has
 * more than INDEX_FROM of them (a policy of many conditions against a
 * context of many keys would otherwise compare every key for every
 * condition); smaller contexts, the usual ones, are scanned.
 */
#define INDEX_FROM 16
#define INDEX_SLOTS 512 /* a power of two, at least twice POLICY_CONTEXT_KEYS_MAX */

struct PolicyContext {
        CtxEntry *entries;
        size_t n_entries;
        size_t size_entries;
        size_t n_bytes;  /* of all values, for POLICY_CONTEXT_BYTES_MAX */
        uint16_t *index; /* INDEX_SLOTS slots: entry + 1, 0 for none; NULL while small */
};

/* FNV-1a over the bytes as strcasecmp() compares them. */
static uint32_t key_hash(const char *key)
{
        uint32_t h = 2166136261u;
        for (const unsigned char *c = (const unsigned char *)key; *c; c++)
                h = (h ^ (uint32_t)tolower(*c)) * 16777619u;
        return h;
}

static void index_add(PolicyContext *ctx, size_t i)
{
        size_t s = ctx->entries[i].hash & (INDEX_SLOTS - 1);
        while (ctx->index[s])
                s = (s + 1) & (INDEX_SLOTS - 1);
        ctx->index[s] = (uint16_t)(i + 1);
}

/* After entries moved or left: index them again (or drop the index). */
static void index_rebuild(PolicyContext *ctx)
{
        if (ctx->n_entries <= INDEX_FROM) {
                free(ctx->index);
                ctx->index = NULL;
                return;
        }
        memset(ctx->index, 0, INDEX_SLOTS * sizeof(*ctx->index));
        for (size_t i = 0; i < ctx->n_entries; i++)
                index_add(ctx, i);
}

int policy_context_new(PolicyContext **ctxp)
{
        PolicyContext *ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        *ctxp = ctx;
        return 0;
}

static void entry_clear_values(PolicyContext *ctx, CtxEntry *e)
{
        for (size_t i = 0; i < e->n_values; i++) {
                ctx->n_bytes -= strlen(e->values[i]);
                free(e->values[i]);
        }
        e->n_values = 0;
        e->is_set = false;
}

static void entry_deinit(PolicyContext *ctx, CtxEntry *e)
{
        entry_clear_values(ctx, e);
        free(e->values);
        free(e->key);
        e->values = NULL;
        e->key = NULL;
        e->size_values = 0;
}

PolicyContext *policy_context_free(PolicyContext *ctx)
{
        if (!ctx)
                return NULL;
        for (size_t i = 0; i < ctx->n_entries; i++)
                entry_deinit(ctx, &ctx->entries[i]);
        free(ctx->entries);
        free(ctx->index);
        free(ctx);
        return NULL;
}

const CtxEntry *context_find(const PolicyContext *ctx, const char *key)
{
        if (!ctx->index) {
                for (size_t i = 0; i < ctx->n_entries; i++)
                        if (strcasecmp(ctx->entries[i].key, key) == 0)
                                return &ctx->entries[i];
                return NULL;
        }
        uint32_t h = key_hash(key);
        for (size_t s = h & (INDEX_SLOTS - 1); ctx->index[s]; s = (s + 1) & (INDEX_SLOTS - 1)) {
                const CtxEntry *e = &ctx->entries[ctx->index[s] - 1];
                if (e->hash == h && strcasecmp(e->key, key) == 0)
                        return e;
        }
        return NULL;
}

/*
 * The multivalued keys of IAM:reference_policies_condition-keys (their value
 * type is "Multivalued") and roled's own sets of groups.
 */
static const char *const multivalued_keys[] = {
        "aws:CalledVia",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceNamesList",
        "aws:ResourceOrgPaths",
        "aws:SourceOrgPaths",
        "aws:TagKeys",
        "aws:VpceOrgPaths",
        "roled:gids",
        "roled:groups",
};

bool context_is_multivalued(const CtxEntry *e)
{
        if (e->is_set || e->n_values > 1)
                return true;
        for (size_t i = 0; i < sizeof(multivalued_keys) / sizeof(multivalued_keys[0]); i++)
                if (strcasecmp(e->key, multivalued_keys[i]) == 0)
                        return true;
        return false;
}

/* Keys that describe the caller; only the agent may set them. */
static bool is_reserved(const char *key)
{
        return strncasecmp(key, "roled:", 6) == 0 || strncasecmp(key, "aws:Principal", 13) == 0 ||
               strcasecmp(key, "aws:userid") == 0 || strcasecmp(key, "aws:username") == 0;
}

/*
 * room_and_copy() - room for one more item in *@itemsp (@n used, at most
 * @max) and a copy of @s for it: a new key or a new value.
 * Return: 0 (the caller owns *@copyp), -E2BIG or -ENOMEM.
 */
static int room_and_copy(void **itemsp, size_t n, size_t *sizep, size_t item_size, size_t initial,
                         size_t max, const char *s, char **copyp)
{
        char *copy;

        if (n >= max)
                return -E2BIG;
        if (array_reserve(itemsp, n, sizep, item_size, initial))
                return -ENOMEM;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *copyp = copy;
        return 0;
}
#define ROOM_AND_COPY(items, n, size, initial, max, s, copyp)                                      \
        room_and_copy((void **)&(items), (n), &(size), sizeof(*(items)), (initial), (max), (s),    \
                      (copyp))

int policy_context_set(PolicyContext *ctx, const char *key, const char *value, bool is_attested)
{
        size_t len = value ? strlen(value) : 0;
        CtxEntry *e;
        char *k, *v;
        int r;

        if (!key || !*key)
                return -EINVAL;
        if (!is_attested && is_reserved(key))
                return POLICY_E_RESERVED;
        if (len > POLICY_VALUE_MAX || ctx->n_bytes + len > POLICY_CONTEXT_BYTES_MAX)
                return -E2BIG;

        e = (CtxEntry *)context_find(ctx, key);
        if (e && e->is_attested && !is_attested)
                return POLICY_E_ATTESTED;
        if (e && !e->is_attested && is_attested) {
                /* An attested value supersedes whatever the request said. */
                entry_clear_values(ctx, e);
                e->is_attested = true;
        }
        if (!e) {
                r = ROOM_AND_COPY(ctx->entries, ctx->n_entries, ctx->size_entries, 16,
                                  POLICY_CONTEXT_KEYS_MAX, key, &k);
                if (r < 0)
                        return r;
                uint16_t *index = ctx->index;
                if (!index && ctx->n_entries >= INDEX_FROM &&
                    !(index = malloc(INDEX_SLOTS * sizeof(*index)))) {
                        free(k);
                        return -ENOMEM;
                }
                e = &ctx->entries[ctx->n_entries++];
                *e = (CtxEntry){ .key = k, .is_attested = is_attested, .hash = key_hash(key) };
                if (ctx->index) {
                        index_add(ctx, ctx->n_entries - 1);
                } else if (index) {
                        ctx->index = index;
                        index_rebuild(ctx);
                }
        }
        if (!value) {
                e->is_set = true;
                return 0;
        }
        r = ROOM_AND_COPY(e->values, e->n_values, e->size_values, 2, POLICY_CONTEXT_VALUES_MAX,
                          value, &v);
        if (r < 0)
                return r;
        e->values[e->n_values++] = v;
        ctx->n_bytes += len;
        return 0;
}

void policy_context_unset(PolicyContext *ctx, const char *key)
{
        CtxEntry *e = (CtxEntry *)context_find(ctx, key);

        if (!e)
                return;
        entry_deinit(ctx, e);
        *e = ctx->entries[--ctx->n_entries];
        index_rebuild(ctx);
}

void policy_context_clear_request(PolicyContext *ctx)
{
        size_t j = 0;
        for (size_t i = 0; i < ctx->n_entries; i++) {
                if (ctx->entries[i].is_attested)
                        ctx->entries[j++] = ctx->entries[i];
                else
                        entry_deinit(ctx, &ctx->entries[i]);
        }
        ctx->n_entries = j;
        index_rebuild(ctx);
}

bool policy_context_get(const PolicyContext *ctx, const char *key, const char *const **valuesp,
                        size_t *n_valuesp, bool *is_attestedp)
{
        const CtxEntry *e = context_find(ctx, key);
        if (!e)
                return false;
        if (valuesp)
                *valuesp = (const char *const *)e->values;
        if (n_valuesp)
                *n_valuesp = e->n_values;
        if (is_attestedp)
                *is_attestedp = e->is_attested;
        return true;
}
