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
_Static_assert((int)PROTO_ERROR_COUNT == (int)ROLED_E_REQUEST_EXPIRED + 1, "status order");

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

ROLED_EXPORT const char *roled_status_name(roled_status status)
{
        switch (status) {
        case ROLED_OK:
                return "OK";
        case ROLED_E_NO_AGENT:
                return "NoAgent";
        case ROLED_E_UNTRUSTED_AGENT:
                return "UntrustedAgent";
        case ROLED_E_PROTOCOL:
                return "ProtocolError";
        case ROLED_E_IO:
                return "IOError";
        case ROLED_E_TIMEOUT:
                return "Timeout";
        case ROLED_E_NOMEM:
                return "OutOfMemory";
        case ROLED_E_INVALID_ARGUMENT:
                return "InvalidArgument";
        case ROLED_E_BAD_SIGNATURE:
                return "BadSignature";
        case ROLED_E_FORKED:
                return "Forked";
        case ROLED_E_CANCELLED:
                return "Cancelled";
        default:
                if ((int)status > 0 && (int)status < PROTO_ERROR_COUNT)
                        return proto_error_name((ProtoError)status);
                return "Unknown";
        }
}

ROLED_EXPORT const char *roled_strerror(roled_status status)
{
        switch (status) {
        case ROLED_OK:
                return "success";
        case ROLED_E_ACCESS_DENIED:
                return "access denied";
        case ROLED_E_NO_SUCH_ENTITY:
                return "no such role";
        case ROLED_E_INVALID_PARAMETER:
                return "a required parameter is missing";
        case ROLED_E_INVALID_PARAMETER_VALUE:
                return "a parameter has the wrong type or is out of range";
        case ROLED_E_MALFORMED_POLICY_DOCUMENT:
                return "the session policy does not parse";
        case ROLED_E_EXPIRED_TOKEN:
                return "the session token has expired";
        case ROLED_E_INVALID_TOKEN:
                return "the session token does not verify or was revoked";
        case ROLED_E_REGION_DISABLED:
                return "region disabled";
        case ROLED_E_THROTTLING:
                return "too many requests";
        case ROLED_E_UPSTREAM_UNAVAILABLE:
                return "the issuer's upstream could not be reached";
        case ROLED_E_UNSUPPORTED_VERSION:
                return "protocol version not supported by the agent";
        case ROLED_E_UNSUPPORTED_OPERATION:
                return "operation not supported by the agent";
        case ROLED_E_MESSAGE_TOO_LARGE:
                return "message too large";
        case ROLED_E_MALFORMED_MESSAGE:
                return "the agent could not parse the request";
        case ROLED_E_INTERNAL:
                return "the agent failed internally";
        case ROLED_E_SIGNATURE_DOES_NOT_MATCH:
                return "the request signature does not match";
        case ROLED_E_INCOMPLETE_SIGNATURE:
                return "the request signature is missing or malformed";
        case ROLED_E_REQUEST_EXPIRED:
                return "the signed request is too old or not yet valid";
        case ROLED_E_NO_AGENT:
                return "cannot reach roled";
        case ROLED_E_UNTRUSTED_AGENT:
                return "the agent socket is not trusted";
        case ROLED_E_PROTOCOL:
                return "the agent sent an invalid answer";
        case ROLED_E_IO:
                return "the connection to the agent failed";
        case ROLED_E_TIMEOUT:
                return "the agent did not answer in time";
        case ROLED_E_NOMEM:
                return "out of memory";
        case ROLED_E_INVALID_ARGUMENT:
                return "invalid argument";
        case ROLED_E_BAD_SIGNATURE:
                return "the token does not verify";
        case ROLED_E_FORKED:
                return "the client belongs to the parent process (used after fork())";
        case ROLED_E_CANCELLED:
                return "the call was cancelled by closing the client";
        }
        return "unknown error";
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
                return is_nullable || *outp ? ROLED_OK : error_set(err, ROLED_E_NOMEM, "out of memory");
        }
        if (memchr(s.ptr, '\0', s.len))
                return error_set(err, ROLED_E_PROTOCOL, "roled sent a bad '%s' field", field);
        p = strndup(s.ptr, s.len);
        if (!p)
                return error_set(err, ROLED_E_NOMEM, "out of memory");
        *outp = p;
        return ROLED_OK;
}
