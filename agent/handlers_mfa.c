/* SPDX-License-Identifier: MIT */
/*
 * handlers_mfa.c - the Mfa method: rolectl mfa CODE hands the aws issuer an
 * MFA code.  The handler checks the code's shape and defers the reply; who
 * may supply a code and what is done with it are issuer_aws.c's.  The code
 * is wiped here and never logged.
 */
#include <sodium.h>
#include <string.h>

#include "dispatch.h"
#include "issuer_aws.h"

typedef struct MfaReply {
        int64_t expires;
        size_t n_released;
} MfaReply;

static void pack_mfa(ProtoBuf *out, void *userdata)
{
        const MfaReply *m = userdata;

        codec_encode_MfaRep(out, &(ProtoMfaRep){
                                         .expiration = m->expires > 0 ? (uint64_t)m->expires : 0,
                                         .released = m->n_released,
                                 });
}

static void on_checked(void *userdata, int r, int64_t expires, size_t n_released,
                       const IssueError *err)
{
        Deferred *d = userdata;

        if (r == 0)
                deferred_reply(d, pack_mfa, &(MfaReply){ expires, n_released });
        else if (r > 0)
                deferred_fail(d, (int)err->code, "%s", err->message);
        else
                deferred_fail(d, r, "internal error");
}

int handle_Mfa(Request *req, const ProtoMfaReq *in)
{
        char code[PROTO_MFA_CODE_LEN + 1];
        IssueError err = { .code = PROTO_INTERNAL };
        Deferred *d;
        int r;

        /* The string points into the message: it has no NUL of its own. */
        if (in->code.len != PROTO_MFA_CODE_LEN)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "code: an MFA code is %d digits", PROTO_MFA_CODE_LEN);
        for (size_t i = 0; i < PROTO_MFA_CODE_LEN; i++)
                if (in->code.ptr[i] < '0' || in->code.ptr[i] > '9')
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "code: an MFA code is %d digits", PROTO_MFA_CODE_LEN);
        memcpy(code, in->code.ptr, PROTO_MFA_CODE_LEN);
        code[PROTO_MFA_CODE_LEN] = '\0';
        r = request_defer(req, &d);
        if (r) {
                sodium_memzero(code, sizeof(code));
                return r;
        }
        r = issuer_aws_mfa(req->agent, req->agent->config, req->id->uid, code, on_checked, d, &err);
        sodium_memzero(code, sizeof(code));
        if (r) {
                request_undefer(req, d);
                if (r > 0)
                        return request_fail(req, err.code, "%s", err.message);
                return r;
        }
        return 0;
}
