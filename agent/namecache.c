/* SPDX-License-Identifier: MIT */
/*
 * namecache.c - user and group names by id, briefly (see namecache.h).
 * An unresolved id is remembered too (as unresolved), so an unknown uid
 * flooding the socket costs one NSS lookup per NAMECACHE_TTL_MS, not one
 * per connection.
 */
#include "namecache.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catbuf.h"

typedef struct NameEntry {
        uint64_t at; /* loop time (ms) it was learnt; 0: empty */
        uint32_t xid;
        bool is_user;
        bool is_resolved; /* false: NSS knew no name (or it was too long) */
        char name[IDENTITY_NAME_MAX];
} NameEntry;

struct NameCache {
        NameEntry slots[NAMECACHE_SLOTS];
};

int namecache_new(NameCache **cp)
{
        NameCache *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        *cp = c;
        return 0;
}

NameCache *namecache_free(NameCache *c)
{
        free(c);
        return NULL;
}

void namecache_clear(NameCache *c)
{
        for (size_t i = 0; i < NAMECACHE_SLOTS; i++)
                c->slots[i].at = 0;
}

#define PROBE                                                                                      \
        8 /* an entry lives in one of PROBE slots from its hash (the oldest there gives way) */

static size_t home(bool is_user, uint32_t xid)
{
        /* Fibonacci hashing; users and groups in different halves of the sequence. */
        uint32_t h = (xid * 2654435761u) ^ (is_user ? 0x9e3779b9u : 0);

        return (h >> 7) & (NAMECACHE_SLOTS - 1);
}

static bool is_fresh(const NameEntry *e, uint64_t now_ms)
{
        return e->at != 0 && now_ms >= e->at && now_ms - e->at < NAMECACHE_TTL_MS;
}

/* A fresh entry for (@is_user, @xid), or NULL. */
static const NameEntry *find(NameCache *c, bool is_user, uint32_t xid, uint64_t now_ms)
{
        size_t h = home(is_user, xid);

        for (size_t i = 0; i < PROBE; i++) {
                const NameEntry *e = &c->slots[(h + i) & (NAMECACHE_SLOTS - 1)];

                if (e->at != 0 && e->is_user == is_user && e->xid == xid)
                        return is_fresh(e, now_ms) ? e : NULL;
        }
        return NULL;
}

static void put(NameCache *c, bool is_user, uint32_t xid, const char *name, bool is_resolved,
                uint64_t now_ms)
{
        size_t h = home(is_user, xid);
        NameEntry *e = NULL, *victim = NULL;

        for (size_t i = 0; i < PROBE && !e; i++) {
                NameEntry *s = &c->slots[(h + i) & (NAMECACHE_SLOTS - 1)];

                if (s->at != 0 && s->is_user == is_user && s->xid == xid)
                        e = s;
                else if (!victim ||
                         (is_fresh(victim, now_ms) && (!is_fresh(s, now_ms) || s->at < victim->at)))
                        victim = s;
        }
        if (!e)
                e = victim;
        e->at = now_ms ? now_ms : 1;
        e->xid = xid;
        e->is_user = is_user;
        e->is_resolved = is_resolved;
        snprintf(e->name, sizeof(e->name), "%s", name);
}

/*
 * Copy a cached name as identity.c's lookup_name() would have set it (@size
 * is IDENTITY_NAME_MAX, as is e->name: it fits).
 */
static void copy_name(const NameEntry *e, char *buf, size_t size, bool *resolvedp)
{
        CatBuf b = catbuf_init(buf, size);

        if (e->is_resolved)
                catbuf_str(&b, e->name);
        else
                catbuf_u32(&b, e->xid);
        *resolvedp = e->is_resolved;
}

int namecache_fill(NameCache *c, Identity *id, uint64_t now_ms)
{
        const NameEntry *user = find(c, true, id->uid, now_ms);
        const NameEntry *group = find(c, false, id->gid, now_ms);
        char **names;

        if (!user || !group)
                return NAMECACHE_E_MISS;
        for (size_t i = 0; i < id->n_gids; i++)
                if (!find(c, false, id->gids[i], now_ms))
                        return NAMECACHE_E_MISS;
        names = calloc(id->n_gids ? id->n_gids : 1, sizeof(*names));
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < id->n_gids; i++) {
                const NameEntry *e = find(c, false, id->gids[i], now_ms);

                if (e->is_resolved && !(names[i] = strdup(e->name))) {
                        for (size_t j = 0; j < i; j++)
                                free(names[j]);
                        free(names);
                        return -ENOMEM;
                }
        }
        copy_name(user, id->user, sizeof(id->user), &id->has_user_name);
        copy_name(group, id->group, sizeof(id->group), &id->has_group_name);
        if (id->gid_names)
                for (size_t i = 0; i < id->n_gids; i++)
                        free(id->gid_names[i]);
        free(id->gid_names);
        id->gid_names = names;
        return 0;
}

void namecache_learn(NameCache *c, const Identity *id, uint64_t now_ms)
{
        put(c, true, id->uid, id->user, id->has_user_name, now_ms);
        put(c, false, id->gid, id->group, id->has_group_name, now_ms);
        for (size_t i = 0; i < id->n_gids; i++)
                put(c, false, id->gids[i], id->gid_names[i] ? id->gid_names[i] : "",
                    id->gid_names[i] != NULL, now_ms);
}
