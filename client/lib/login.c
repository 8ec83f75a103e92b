/* SPDX-License-Identifier: MIT */
/*
 * login.c - roled_login(): the Login method, for pam_roled.so.  Packs the
 * request with the shared codec's LoginReq rows and decodes the reply into a
 * reference-counted roled_login_result; the transport is io.c's.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

static const char *const event_names[] = {
        [ROLED_LOGIN_START] = "start",
        [ROLED_LOGIN_END] = "end",
        [ROLED_LOGIN_CHECK] = "check",
};

#define LOGIN_STRS(X)                                                                              \
        X(login_result, login_id)                                                                  \
        X(login_result, role)                                                                      \
        X(login_result, reason)

struct roled_login_result {
        ResultHead h;
        uint32_t uid, logins, assumable, revoked;
        LOGIN_STRS(RESULT_STR_MEMBER)
};

RESULT_OBJECT(login_result, LoginRep, LOGIN_STRS, RESULT_NO_REST)
RESULT_GET(login_result, uint32_t, uid)
RESULT_GET(login_result, uint32_t, logins)
RESULT_GET(login_result, uint32_t, assumable)
RESULT_GET(login_result, uint32_t, revoked)

static roled_status login_result_fill(const ProtoLoginRep *rep, roled_login_result *r,
                                      roled_error *err)
{
        roled_status st;

        if (!result_u32(rep->uid, &r->uid) || !result_u32(rep->logins, &r->logins) ||
            !result_u32(rep->assumable, &r->assumable) || !result_u32(rep->revoked, &r->revoked))
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a count out of range in Login");
        if ((st = result_strdup(rep->login_id, "loginId", false, &r->login_id, err)) ||
            (st = result_strdup(rep->role, "role", false, &r->role, err)) ||
            (st = result_strdup(rep->reason, "reason", false, &r->reason, err)))
                return st;
        return ROLED_OK;
}

static void pack_login(ProtoBuf *b, const void *arg)
{
        const roled_login_request *req = arg;

        codec_encode_LoginReq(b, &(ProtoLoginReq){
                                         .event = proto_str(event_names[req->event]),
                                         .user = proto_str(req->user),
                                         .service = proto_str(req->service),
                                         .tty = proto_str(req->tty),
                                         .rhost = proto_str(req->rhost),
                                         .role = proto_str(req->role),
                                         .login_id = proto_str(req->login_id),
                                 });
}

/* read_login() - CallKind.read of Login: @reqp into the roled_login_request @qp. */
static roled_status read_login(const void *reqp, void *qp, roled_error *err)
{
        const roled_login_request *req = reqp;
        roled_login_request *q = qp;

        *q = (roled_login_request){ 0 };
        if (req && req->size >= sizeof(size_t))
                memcpy(q, req, req->size < sizeof(*q) ? req->size : sizeof(*q));
        if (!req || req->size < sizeof(size_t) || (unsigned)q->event > ROLED_LOGIN_CHECK ||
            (q->event == ROLED_LOGIN_END ? !q->login_id : !q->user))
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_login(): needs a known event, and a user (start, check) or "
                                 "a login id (end)");
        return ROLED_OK;
}

static const CallKind login_call = { "roled_login", PROTO_M_LOGIN,      read_login,
                                     pack_login,    &login_result_kind, NULL };

ROLED_EXPORT roled_status roled_login(roled_client *client, const roled_login_request *req,
                                      roled_login_result **resp, roled_error *err)
{
        roled_login_request q;
        roled_status st = call_blocking(client, &login_call, req, &q, resp, err);

        if (st == ROLED_OK && q.event == ROLED_LOGIN_START && !(*resp)->login_id[0]) {
                *resp = result_unref(*resp);
                return error_set(err, ROLED_E_PROTOCOL, "roled sent no 'loginId'");
        }
        return st;
}
