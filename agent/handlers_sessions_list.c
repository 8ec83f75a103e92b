/* SPDX-License-Identifier: MIT */
/*
 * handlers_sessions_list.c - the ListSessions method: the live sessions a
 * caller may see (their own; an admin's, every uid's or one uid's), one page
 * at a time in session id order, as IAM's ListAccessKeys pages with a marker.
 * Only what identifies a session goes out, never its secret or token.  The
 * cache itself is sessions.c's; ending a session is Revoke's
 * (handlers_session.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"
#include "sessions.h"

/*
 * The page being gathered: the (max + 1) smallest session ids after the
 * marker that pass the filters, kept as a max-heap on the session id so a
 * scan of the whole cache costs O(n log max) and no allocation beyond it.
 * The one extra tells whether the listing goes on.
 */
typedef struct Page {
        uint32_t uid;
        bool is_one_uid;
        const char *role;   /* NULL: any */
        const char *marker; /* "" : from the start */
        int64_t now;
        const Session *heap[PROTO_LIST_SESSIONS_MAX + 1];
        size_t n, max; /* max: maxItems + 1 */
        ProtoSessionSummary items[PROTO_LIST_SESSIONS_MAX];
} Page;

static int cmp_id(const Session *a, const Session *b)
{
        return strcmp(a->creds.sid, b->creds.sid);
}

static void sift_down(Page *p, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, top = i;
                const Session *t;

                if (l < p->n && cmp_id(p->heap[l], p->heap[top]) > 0)
                        top = l;
                if (r < p->n && cmp_id(p->heap[r], p->heap[top]) > 0)
                        top = r;
                if (top == i)
                        return;
                t = p->heap[i];
                p->heap[i] = p->heap[top];
                p->heap[top] = t;
                i = top;
        }
}

static void sift_up(Page *p, size_t i)
{
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                const Session *t;

                if (cmp_id(p->heap[parent], p->heap[i]) >= 0)
                        return;
                t = p->heap[i];
                p->heap[i] = p->heap[parent];
                p->heap[parent] = t;
                i = parent;
        }
}

static int gather(const Session *s, void *arg)
{
        Page *p = arg;

        if ((p->is_one_uid && s->uid != p->uid) || s->creds.expires <= p->now ||
            (p->role && strcmp(s->role, p->role) != 0) || strcmp(s->creds.sid, p->marker) <= 0)
                return 0;
        if (p->n < p->max) {
                p->heap[p->n++] = s;
                sift_up(p, p->n - 1);
        } else if (cmp_id(s, p->heap[0]) < 0) {
                p->heap[0] = s;
                sift_down(p, 0);
        }
        return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
        return cmp_id(*(const Session *const *)a, *(const Session *const *)b);
}

static bool is_assumed(const Session *s)
{
        return strncmp(s->key, SESSIONS_ASSUME_PREFIX, strlen(SESSIONS_ASSUME_PREFIX)) == 0;
}

/* Who the caller may list: their own sessions; an admin every uid's, or @in_uid's. */
static int read_scope(Request *req, ProtoOptUint in_uid, Page *p)
{
        bool is_admin = agent_is_admin(req->agent, req->id->uid);

        if (in_uid.is_set) {
                if (in_uid.value > UINT32_MAX)
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "uid is out of range");
                if (in_uid.value != req->id->uid && !is_admin)
                        return request_fail(
                                req, PROTO_ACCESS_DENIED,
                                "only root and the agent's user may list another uid's sessions");
                p->uid = (uint32_t)in_uid.value;
                p->is_one_uid = true;
                return 0;
        }
        p->uid = req->id->uid;
        p->is_one_uid = !is_admin;
        return 0;
}

int handle_ListSessions(Request *req, const ProtoListSessionsReq *in)
{
        _cleanup_free_ char *role = NULL;
        char marker[PROTO_SESSION_ID_MAX + 1] = "";
        ProtoSessionSummary *items;
        Page *p;
        size_t n;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        items = p->items;
        p->now = agent_now(req->agent);
        p->max = PROTO_LIST_SESSIONS_MAX + 1;
        if ((r = read_scope(req, in->uid, p)))
                goto out;
        if (in->max_items.is_set) {
                if (in->max_items.value < 1 || in->max_items.value > PROTO_LIST_SESSIONS_MAX) {
                        r = request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                         "maxItems must be 1..%d", PROTO_LIST_SESSIONS_MAX);
                        goto out;
                }
                p->max = (size_t)in->max_items.value + 1;
        }
        if (in->role.ptr) {
                if (!config_role_name_valid(in->role.ptr, in->role.len)) {
                        r = request_fail(
                                req, PROTO_INVALID_PARAMETER_VALUE,
                                "role name must be 1..64 characters of [A-Za-z0-9+=,.@_-]");
                        goto out;
                }
                role = strndup(in->role.ptr, in->role.len);
                if (!role) {
                        r = -ENOMEM;
                        goto out;
                }
                p->role = role;
        }
        if (in->marker.ptr) {
                if (in->marker.len == 0 || memchr(in->marker.ptr, '\0', in->marker.len)) {
                        r = request_param_error(req, RPC_E_TYPE, "marker");
                        goto out;
                }
                memcpy(marker, in->marker.ptr, in->marker.len);
        }
        p->marker = marker;

        (void)sessions_foreach(req->agent->sessions, gather, p);
        qsort(p->heap, p->n, sizeof(p->heap[0]), cmp_ptr);
        n = p->n < p->max - 1 ? p->n : p->max - 1;
        for (size_t i = 0; i < n; i++) {
                const Session *s = p->heap[i];

                items[i] = (ProtoSessionSummary){
                        .session_id = proto_str(s->creds.sid),
                        .access_key_id = proto_str(s->creds.akid),
                        .role = proto_str(s->role),
                        .assumed_role_arn = proto_str(
                                s->creds.assumed_role_arn ? s->creds.assumed_role_arn : ""),
                        .issuer = proto_str(s->creds.issuer ? s->creds.issuer : ""),
                        .kind = proto_str(is_assumed(s) ? "assumed" : "cached"),
                        .uid = s->uid,
                        .user = proto_str(s->user),
                        .issued = s->creds.issued > 0 ? (uint64_t)s->creds.issued : 0,
                        .expiration = s->creds.expires > 0 ? (uint64_t)s->creds.expires : 0,
                };
        }
        codec_encode_ListSessionsRep(
                req->out,
                &(ProtoListSessionsRep){
                        .sessions = { items, n },
                        .is_truncated = p->n > n,
                        .marker = proto_str(p->n > n ? items[n - 1].session_id.ptr : NULL),
                });
        r = 0;
out:
        free(p);
        return r;
}
