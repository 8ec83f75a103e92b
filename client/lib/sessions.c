/* SPDX-License-Identifier: MIT */
/*
 * sessions.c - roled_list_sessions() (ListSessions, every page gathered into
 * one reference-counted roled_session_list) and roled_revoke_session()
 * (Revoke of one session id).  Params and results go through the shared
 * codec's structs; the transport is io.c's.
 */
#include "client.h"

#include <errno.h>

/* One listed session: identifiers and times only (the agent never sends a secret here). */
#define SESSION_INFO_STRS(X)                                                                       \
        X(session_list, session_id)                                                                \
        X(session_list, access_key_id)                                                             \
        X(session_list, role)                                                                      \
        X(session_list, assumed_role_arn)                                                          \
        X(session_list, issuer)                                                                    \
        X(session_list, kind)                                                                      \
        X(session_list, user)

typedef struct SessionInfo {
        SESSION_INFO_STRS(RESULT_STR_MEMBER)
        uint32_t uid;
        time_t issued, expiration;
} SessionInfo;

RESULT_LIST(session_list, SessionInfo, SESSION_INFO_STRS, "", "", "", "", "", "", "", 0, 0, 0)
RESULT_LIST_GET(session_list, uint32_t, uid)
RESULT_LIST_GET(session_list, time_t, issued)
RESULT_LIST_GET(session_list, time_t, expiration)

/* What one page call reads into: the list being gathered and the next marker. */
typedef struct PageRead {
        roled_session_list *list;
        char marker[PROTO_SESSION_ID_MAX + 1];
        bool is_truncated;
} PageRead;

static roled_status read_page(const void *reply, void *arg, roled_error *err)
{
        const ProtoListSessionsRep *rep = reply;
        PageRead *pr = arg;
        roled_session_list *l = pr->list;
        roled_status st;

        if (rep->is_truncated && (!rep->marker.ptr || rep->marker.len == 0 || rep->sessions.n == 0))
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled sent a truncated page without a marker");
        if (l->n + rep->sessions.n > l->size) {
                size_t size = l->size ? l->size : 16;
                SessionInfo *v;

                while (size < l->n + rep->sessions.n)
                        size *= 2;
                v = reallocarray(l->v, size, sizeof(*v));
                if (!v)
                        return error_set(err, ROLED_E_NOMEM, "out of memory");
                l->v = v;
                l->size = size;
        }
        for (size_t i = 0; i < rep->sessions.n; i++) {
                const ProtoSessionSummary *s = &rep->sessions.items[i];
                SessionInfo *out = &l->v[l->n];

                if (s->uid > UINT32_MAX || s->issued > INT64_MAX || s->expiration > INT64_MAX)
                        return error_set(err, ROLED_E_PROTOCOL,
                                         "roled sent a session field out of range");
                /* Counted first, so the destructor frees a partly filled entry too. */
                *out = (SessionInfo){ .uid = (uint32_t)s->uid,
                                      .issued = (time_t)s->issued,
                                      .expiration = (time_t)s->expiration };
                l->n++;
                if ((st = result_strdup(s->session_id, "sessionId", false, &out->session_id,
                                        err)) ||
                    (st = result_strdup(s->access_key_id, "accessKeyId", false, &out->access_key_id,
                                        err)) ||
                    (st = result_strdup(s->role, "role", false, &out->role, err)) ||
                    (st = result_strdup(s->assumed_role_arn, "assumedRoleArn", false,
                                        &out->assumed_role_arn, err)) ||
                    (st = result_strdup(s->issuer, "issuer", false, &out->issuer, err)) ||
                    (st = result_strdup(s->kind, "kind", false, &out->kind, err)) ||
                    (st = result_strdup(s->user, "user", false, &out->user, err)))
                        return st;
        }
        pr->is_truncated = rep->is_truncated;
        if (rep->is_truncated) {
                char next[PROTO_SESSION_ID_MAX + 1];

                if (rep->marker.len > PROTO_SESSION_ID_MAX ||
                    memchr(rep->marker.ptr, '\0', rep->marker.len))
                        return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad 'marker' field");
                memcpy(next, rep->marker.ptr, rep->marker.len);
                next[rep->marker.len] = '\0';
                /* The marker must move forward, or a broken agent could keep us paging forever. */
                if (strcmp(next, pr->marker) <= 0)
                        return error_set(err, ROLED_E_PROTOCOL,
                                         "roled sent a marker that does not advance");
                memcpy(pr->marker, next, sizeof(next));
        }
        return ROLED_OK;
}

/* The request of one page. */
typedef struct PageAsk {
        const roled_sessions_request *req;
        const char *marker;
        uint32_t max_items;
} PageAsk;

static void pack_page(ProtoBuf *b, const void *arg)
{
        const PageAsk *a = arg;
        bool has_uid = a->req->flags & ROLED_SESSIONS_ONE_UID;

        codec_encode_ListSessionsReq(b,
                                     &(ProtoListSessionsReq){
                                             .uid = { a->req->uid, has_uid },
                                             .role = proto_str(a->req->role),
                                             .marker = proto_str(a->marker[0] ? a->marker : NULL),
                                             .max_items = { a->max_items, a->max_items != 0 },
                                     });
}

/* list_pages() - ListSessions for @req, page after page into @pr->list (at most @max_items in one
 * page, 0: the agent's). */
static roled_status list_pages(roled_client *client, const roled_sessions_request *req,
                               uint32_t max_items, bool is_one_page, PageRead *pr, roled_error *err)
{
        do {
                PageAsk ask = { req, pr->marker, max_items };
                roled_status st = call_read(client, PROTO_M_LIST_SESSIONS, pack_page, &ask,
                                            read_page, pr, err);

                if (st != ROLED_OK)
                        return st;
        } while (pr->is_truncated && !is_one_page);
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_list_sessions(roled_client *client,
                                              const roled_sessions_request *req,
                                              roled_session_list **listp, roled_error *err)
{
        roled_sessions_request q = ROLED_SESSIONS_REQUEST_INIT;
        PageRead pr = { 0 };
        roled_status st;

        if (listp)
                *listp = NULL;
        if ((st = client_check(client, err)))
                return st;
        if (req && req->size >= sizeof(size_t))
                memcpy(&q, req, req->size < sizeof(q) ? req->size : sizeof(q));
        if (!listp || (req && req->size < sizeof(size_t)) || (q.flags & ~ROLED_SESSIONS_ONE_UID))
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_list_sessions(): needs listp, and a request from "
                                 "ROLED_SESSIONS_REQUEST_INIT");
        pr.list = result_alloc(sizeof(*pr.list), session_list_destroy);
        if (!pr.list)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = list_pages(client, &q, 0, false, &pr, err);
        if (st != ROLED_OK) {
                result_unref(pr.list);
                return st;
        }
        *listp = pr.list;
        return ROLED_OK;
}

static void pack_revoke_session(ProtoBuf *b, const void *arg)
{
        codec_encode_RevokeReq(b, &(ProtoRevokeReq){ .session_id = proto_str(arg) });
}

ROLED_EXPORT roled_status roled_revoke_session(roled_client *client, const char *session_id,
                                               roled_error *err)
{
        roled_sessions_request q = ROLED_SESSIONS_REQUEST_INIT;
        PageRead pr = { 0 };
        uint64_t n = 0;
        roled_status st;

        if ((st = client_check(client, err)))
                return st;
        if (!session_id || !session_id[0] || strlen(session_id) > PROTO_SESSION_ID_MAX)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_revoke_session(): needs a session id of 1..%d bytes",
                                 PROTO_SESSION_ID_MAX);
        /*
         * An agent that predates sessionId would ignore it and revoke every
         * session of the caller.  ListSessions came with it: one short page
         * first makes such an agent answer UnsupportedOperation instead.
         */
        pr.list = result_alloc(sizeof(*pr.list), session_list_destroy);
        if (!pr.list)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = list_pages(client, &q, 1, true, &pr, err);
        result_unref(pr.list);
        if (st != ROLED_OK)
                return st;
        if ((st = call_read(client, PROTO_M_REVOKE, pack_revoke_session, session_id, read_revoked,
                            &n, err)))
                return st;
        if (n != 1)
                return error_set(err, ROLED_E_PROTOCOL,
                                 "roled revoked %llu sessions for one session id",
                                 (unsigned long long)n);
        /*
         * Which cached set held it is not known here (the cache is keyed by
         * role and duration): drop them all; the next call asks the agent.
         */
        creds_cache_revoked(client, NULL);
        return ROLED_OK;
}
