/* SPDX-License-Identifier: MIT */
/*
 * login.c - roled_login(): the Login method, for pam_roled.so.  Packs the
 * request with the shared codec's LoginReq rows and copies the reply; the
 * transport is client.c's.
 */
#include "client.h"

#include <string.h>

#include "codec.h"

static const char *const event_names[] = {
        [ROLED_LOGIN_START] = "start",
        [ROLED_LOGIN_END] = "end",
        [ROLED_LOGIN_CHECK] = "check",
};

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

ROLED_EXPORT roled_status roled_login(roled_client *client, const roled_login_request *req,
                                      roled_login_result *res)
{
        roled_login_result out = { 0 };
        const msgpack_object *m;
        ClientReply rep;
        roled_status st;

        if (!client || !req || !res || (unsigned)req->event > ROLED_LOGIN_CHECK ||
            (req->event == ROLED_LOGIN_END ? !req->login_id : !req->user))
                return ROLED_E_INVALID_ARGUMENT;
        pthread_mutex_lock(&client->lock);
        st = client_call(client, "Login", pack_login, req, false, &rep);
        if (st != ROLED_OK)
                goto out;
        m = rep.msg.result;
        if ((st = result_u32(client, m, "uid", &out.uid)) ||
            (st = result_str_opt(client, m, "loginId", out.login_id, sizeof(out.login_id))) ||
            (st = result_u32_opt(client, m, "logins", &out.n_logins)) ||
            (st = result_u32_opt(client, m, "assumable", &out.n_assumable)) ||
            (st = result_str_opt(client, m, "role", out.role, sizeof(out.role))) ||
            (st = result_str_opt(client, m, "reason", out.reason, sizeof(out.reason))) ||
            (st = result_u32_opt(client, m, "revoked", &out.n_revoked)))
                goto done;
        if (req->event == ROLED_LOGIN_START && !out.login_id[0]) {
                client_set_error(client, "roled sent no 'loginId'");
                st = ROLED_E_PROTOCOL;
                goto done;
        }
        *res = out;
done:
        client_reply_done(client, &rep);
out:
        pthread_mutex_unlock(&client->lock);
        return st;
}
