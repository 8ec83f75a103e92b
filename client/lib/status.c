/* SPDX-License-Identifier: MIT */
/*
 * status.c - roled_status: names, descriptions, and the one place where the
 * agent's wire error codes (proto.h PROTO_ERRORS) become roled_status values.
 * It also holds the library's version and the small result-map readers
 * every call uses.
 */
#include "client.h"

#include <stdio.h>

/* The agent's codes keep the order of PROTO_ERRORS, so the mapping is checked at build time. */
_Static_assert((int)ROLED_E_ACCESS_DENIED == (int)PROTO_ACCESS_DENIED, "status order");
_Static_assert((int)ROLED_E_INTERNAL == (int)PROTO_INTERNAL, "status order");
_Static_assert((int)ROLED_E_REQUEST_EXPIRED == (int)PROTO_REQUEST_EXPIRED, "status order");
_Static_assert((int)ROLED_E_SENT_BEFORE_ATTESTATION == (int)PROTO_SENT_BEFORE_ATTESTATION,
               "status order");
_Static_assert((int)PROTO_ERROR_COUNT == (int)ROLED_E_SENT_BEFORE_ATTESTATION + 1, "status order");

roled_status status_from_proto(ProtoError e)
{
        if ((int)e <= 0 || e >= PROTO_ERROR_COUNT)
                return ROLED_E_INTERNAL;
        return (roled_status)e;
}

ROLED_EXPORT const char *roled_version(void)
{
        return ROLED_VERSION;
}

/* Descriptions of the agent's codes (and ROLED_OK), indexed by roled_status (PROTO_ERRORS' order).
 */
static const char *const agent_texts[PROTO_ERROR_COUNT] = {
        [ROLED_OK] = "success",
        [ROLED_E_ACCESS_DENIED] = "access denied",
        [ROLED_E_NO_SUCH_ENTITY] = "no such role",
        [ROLED_E_INVALID_PARAMETER] = "a required parameter is missing",
        [ROLED_E_INVALID_PARAMETER_VALUE] = "a parameter has the wrong type or is out of range",
        [ROLED_E_MALFORMED_POLICY_DOCUMENT] = "the session policy does not parse",
        [ROLED_E_EXPIRED_TOKEN] = "the session token has expired",
        [ROLED_E_INVALID_TOKEN] = "the session token does not verify or was revoked",
        [ROLED_E_REGION_DISABLED] = "region disabled",
        [ROLED_E_THROTTLING] = "too many requests",
        [ROLED_E_UPSTREAM_UNAVAILABLE] = "the issuer's upstream could not be reached",
        [ROLED_E_UNSUPPORTED_VERSION] = "protocol version not supported by the agent",
        [ROLED_E_UNSUPPORTED_OPERATION] = "operation not supported by the agent",
        [ROLED_E_MESSAGE_TOO_LARGE] = "message too large",
        [ROLED_E_MALFORMED_MESSAGE] = "the agent could not parse the request",
        [ROLED_E_INTERNAL] = "the agent failed internally",
        [ROLED_E_SIGNATURE_DOES_NOT_MATCH] = "the request signature does not match",
        [ROLED_E_INCOMPLETE_SIGNATURE] = "the request signature is missing or malformed",
        [ROLED_E_REQUEST_EXPIRED] = "the signed request is too old or not yet valid",
        /* One string in two pieces: the parentheses say so (clang's -Wstring-concatenation). */
        [ROLED_E_SENT_BEFORE_ATTESTATION] = ("the request was sent before the agent had seen the "
                                             "caller's program; send it again"),
};

/* This side's codes, from ROLED_E_NO_AGENT on: name and description. */
typedef struct LocalCode {
        const char *name, *text;
} LocalCode;

static const LocalCode local_codes[] = {
        [ROLED_E_NO_AGENT - ROLED_E_NO_AGENT] = { "NoAgent", "cannot reach roled" },
        [ROLED_E_UNTRUSTED_AGENT -
                ROLED_E_NO_AGENT] = { "UntrustedAgent", "the agent socket is not trusted" },
        [ROLED_E_PROTOCOL -
                ROLED_E_NO_AGENT] = { "ProtocolError", "the agent sent an invalid answer" },
        [ROLED_E_IO - ROLED_E_NO_AGENT] = { "IOError", "the connection to the agent failed" },
        [ROLED_E_TIMEOUT - ROLED_E_NO_AGENT] = { "Timeout", "the agent did not answer in time" },
        [ROLED_E_NOMEM - ROLED_E_NO_AGENT] = { "OutOfMemory", "out of memory" },
        [ROLED_E_INVALID_ARGUMENT - ROLED_E_NO_AGENT] = { "InvalidArgument", "invalid argument" },
        [ROLED_E_BAD_SIGNATURE -
                ROLED_E_NO_AGENT] = { "BadSignature", "the token does not verify" },
        [ROLED_E_FORKED - ROLED_E_NO_AGENT] = { "Forked", "the client belongs to the parent "
                                                          "process (used after fork())" },
        [ROLED_E_CANCELLED -
                ROLED_E_NO_AGENT] = { "Cancelled", "the call was cancelled by closing the client" },
};
_Static_assert(ELEMENTSOF(local_codes) == ROLED_E_CANCELLED - ROLED_E_NO_AGENT + 1,
               "every local code");

/* local_code() - @status's row in local_codes, or NULL. */
static const LocalCode *local_code(roled_status status)
{
        size_t i = (size_t)status - ROLED_E_NO_AGENT;

        return (int)status >= ROLED_E_NO_AGENT && i < ELEMENTSOF(local_codes) ? &local_codes[i]
                                                                              : NULL;
}

ROLED_EXPORT const char *roled_status_name(roled_status status)
{
        if (status == ROLED_OK)
                return "OK";
        if ((int)status > 0 && (int)status < PROTO_ERROR_COUNT)
                return proto_error_name((ProtoError)status);
        return local_code(status) ? local_code(status)->name : "Unknown";
}

ROLED_EXPORT const char *roled_strerror(roled_status status)
{
        if ((int)status >= 0 && (int)status < PROTO_ERROR_COUNT)
                return agent_texts[status];
        return local_code(status) ? local_code(status)->text : "unknown error";
}

roled_status result_decoded(int r, const char *field, roled_error *err)
{
        if (r == 0)
                return ROLED_OK;
        if (r == -ENOMEM)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad '%s' field", field ? field : "?");
}

roled_status result_strdup(ProtoStr s, const char *field, bool is_nullable, char **outp,
                           roled_error *err)
{
        char *p;

        if (!s.ptr) {
                *outp = is_nullable ? NULL : strdup("");
                return is_nullable || *outp ? ROLED_OK
                                            : error_set(err, ROLED_E_NOMEM, "out of memory");
        }
        if (memchr(s.ptr, '\0', s.len))
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad '%s' field", field);
        p = strndup(s.ptr, s.len);
        if (!p)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        *outp = p;
        return ROLED_OK;
}
