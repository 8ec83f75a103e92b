/* SPDX-License-Identifier: MIT */
/*
 * renewal.c - the SessionRenewed notification (see renewal.h).
 */
#include "renewal.h"

#include "codec.h"
#include "sessions.h"
#include "util.h"

void renewal_capture(const Agent *a, const char *key, int64_t now, Renewal *rn)
{
        const Session *s = sessions_lookup_unexpired(a->sessions, key, now);

        *rn = (Renewal){ .is_set = false };
        if (!s || !copy_strn(rn->role, sizeof(rn->role), s->role, strlen(s->role)) ||
            !copy_strn(rn->akid, sizeof(rn->akid), s->creds.akid, strlen(s->creds.akid)))
                return;
        rn->uid = s->uid;
        rn->is_set = true;
}

void renewal_notify(Agent *a, const Conn *except, const Renewal *rn)
{
        ProtoBuf b;

        if (!rn->is_set)
                return;
        proto_buf_init(&b, false);
        proto_pack_notification(&b, PROTO_NOTE_SESSION_RENEWED);
        codec_encode_SessionRenewedNote(&b, &(ProtoSessionRenewedNote){
                                                    .uid = rn->uid,
                                                    .role = proto_str(rn->role),
                                                    .access_key_id = proto_str(rn->akid),
                                            });
        if (!b.is_oom)
                conn_notify_uid_except(a, rn->uid, except, &b);
        proto_buf_deinit(&b);
}
