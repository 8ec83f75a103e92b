/* SPDX-License-Identifier: MIT */
/*
 * mfa.c - roled_mfa(): the Mfa method, an MFA code for the agent's aws
 * issuer.  Packs the request with the shared codec's MfaReq row, reads the
 * MfaRep; the code is wiped from the request buffer with it (io.c wipes
 * every request once sent) and never copied into an error message.
 */
#include "client.h"

#include <string.h>

typedef struct MfaAnswer {
        uint64_t expiration, released;
} MfaAnswer;

static void pack_mfa(ProtoBuf *b, const void *arg)
{
        codec_encode_MfaReq(b, &(ProtoMfaReq){ .code = proto_str(arg) });
}

static roled_status read_mfa(const msgpack_object *m, msgpack_zone *zone, void *arg,
                             roled_error *err)
{
        ProtoMfaRep rep;
        const char *field = NULL;
        roled_status st = result_decoded(codec_decode_MfaRep(m, zone, &rep, &field), field, err);

        if (st == ROLED_OK)
                *(MfaAnswer *)arg = (MfaAnswer){ rep.expiration, rep.released };
        return st;
}

ROLED_EXPORT roled_status roled_mfa(roled_client *client, const char *code, int64_t *expirationp,
                                    uint32_t *n_releasedp, roled_error *err)
{
        int64_t start = client_now_ms();
        MfaAnswer a = { 0, 0 };
        roled_status st;
        Op *op;

        if ((st = client_check(client, err)))
                return st;
        if (!code || strlen(code) != PROTO_MFA_CODE_LEN ||
            strspn(code, "0123456789") != PROTO_MFA_CODE_LEN)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_mfa(): an MFA code is %d digits", PROTO_MFA_CODE_LEN);
        op = op_new(client, OP_BLOCKING, PROTO_M_MFA, pack_mfa, code);
        if (!op)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        st = io_call_read(client, op, start, read_mfa, &a, err);
        if (st != ROLED_OK)
                return st;
        if (a.expiration > INT64_MAX || a.released > UINT32_MAX)
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a number out of range in Mfa");
        if (expirationp)
                *expirationp = (int64_t)a.expiration;
        if (n_releasedp)
                *n_releasedp = (uint32_t)a.released;
        return ROLED_OK;
}
