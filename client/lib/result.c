/* SPDX-License-Identifier: MIT */
/*
 * result.c - what every libroled result object shares: a ResultHead with
 * an atomic reference count and a destructor that wipes and frees what the
 * object holds, and their making from a decoded reply (result_decode()).
 * The objects themselves, their getters and their fill functions live with
 * their calls (creds.c, info.c, authz.c, login.c, sessions.c, verify.c).  Objects are
 * immutable once returned, so any thread may read them and take or drop
 * references.
 */
#include "client.h"

#include <sodium.h>

void *result_alloc(size_t size, void (*destroy)(void *obj))
{
        ResultHead *h = calloc(1, size);

        if (!h)
                return NULL;
        atomic_init(&h->n_refs, 1);
        h->destroy = destroy;
        return h;
}

void *result_ref(void *obj)
{
        ResultHead *h = obj;

        if (h)
                atomic_fetch_add_explicit(&h->n_refs, 1, memory_order_relaxed);
        return obj;
}

void *result_unref(void *obj)
{
        ResultHead *h = obj;

        if (!h)
                return NULL;
        /* Release, then acquire before destroying: the last owner sees every other owner's reads
         * done. */
        if (atomic_fetch_sub_explicit(&h->n_refs, 1, memory_order_acq_rel) != 1)
                return NULL;
        h->destroy(h);
        free(h);
        return NULL;
}

char *result_wipe_free(char *s)
{
        if (s) {
                sodium_memzero(s, strlen(s));
                free(s);
        }
        return NULL;
}

roled_status result_decode(const ResultKind *kind, const void *reply, void **objp, roled_error *err)
{
        void *obj = result_alloc(kind->size, kind->destroy);
        roled_status st;

        if (!obj)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = kind->fill(reply, obj, err);
        if (st != ROLED_OK) {
                result_unref(obj);
                return st;
        }
        *objp = obj;
        return ROLED_OK;
}
