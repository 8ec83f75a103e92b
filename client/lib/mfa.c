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

static roled_status read_mfa(const void *reply, void *arg, roled_error *err)
{
        const ProtoMfaRep *rep = reply;

        (void)err;
        *(MfaAnswer *)arg = (MfaAnswer){ rep->expiration, rep->released };
        return ROLED_OK;
}

ROLED_EXPORT roled_status roled_mfa(roled_client *client, const char *code, int64_t *expirationp,
                                    uint32_t *n_releasedp, roled_error *err)
{
        MfaAnswer a = { 0, 0 };
        roled_status st;

        if ((st = client_check(client, err)))
                return st;
        if (!code || strlen(code) != PROTO_MFA_CODE_LEN ||
            strspn(code, "0123456789") != PROTO_MFA_CODE_LEN)
                return error_set(err, ROLED_E_INVALID_ARGUMENT,
                                 "roled_mfa(): an MFA code is %d digits", PROTO_MFA_CODE_LEN);
        st = call_read(client, PROTO_M_MFA, pack_mfa, code, read_mfa, &a, err);
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
