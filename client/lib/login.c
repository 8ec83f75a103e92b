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

struct roled_login_result {
        ResultHead h;
        uint32_t uid, logins, assumable, revoked;
        char *login_id, *role, *reason;
};

static void login_result_destroy(void *obj)
{
        roled_login_result *r = obj;

        free(r->login_id);
        free(r->role);
        free(r->reason);
}

RESULT_REFS(login_result)
RESULT_GET(login_result, uint32_t, uid)
RESULT_GET_STR(login_result, login_id)
RESULT_GET(login_result, uint32_t, logins)
RESULT_GET(login_result, uint32_t, assumable)
RESULT_GET_STR(login_result, role)
RESULT_GET_STR(login_result, reason)
RESULT_GET(login_result, uint32_t, revoked)

static roled_status login_decode(const msgpack_object *m, msgpack_zone *zone, void **objp,
                                 roled_error *err)
{
        roled_login_result *r;
        ProtoLoginRep rep;
        const char *field = NULL;
        roled_status st;

        if ((st = result_decoded(codec_decode_LoginRep(m, zone, &rep, &field), field, err)))
                return st;
        if (rep.uid > UINT32_MAX || rep.logins > UINT32_MAX || rep.assumable > UINT32_MAX ||
            rep.revoked > UINT32_MAX)
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a count out of range in Login");
        r = result_alloc(sizeof(*r), login_result_destroy);
        if (!r)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        r->uid = (uint32_t)rep.uid;
        r->logins = (uint32_t)rep.logins;
        r->assumable = (uint32_t)rep.assumable;
        r->revoked = (uint32_t)rep.revoked;
        if ((st = result_strdup(rep.login_id, "loginId", false, &r->login_id, err)) ||
            (st = result_strdup(rep.role, "role", false, &r->role, err)) ||
            (st = result_strdup(rep.reason, "reason", false, &r->reason, err))) {
                result_unref(r);
                return st;
        }
        *objp = r;
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

static const CallKind login_call = { "roled_login", PROTO_M_LOGIN, read_login,
                                     pack_login,    login_decode,  NULL };

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
