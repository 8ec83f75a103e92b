/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the roled wire protocol in one header, shared by agent and client.
 *
 * Owns the protocol version and its change log, every limit, the method list
 * and the error-code list (one X-macro each, so enums, dispatch tables and log
 * names all come from one row).  The byte-level work lives in scan.c (where
 * does a message end), rpc.c (MessagePack-RPC envelopes and field access).
 * proto/PROTOCOL.md is the normative text; keep the two in step.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * PROTO_VERSION - the protocol version negotiated by Hello.
 *
 * 1: first version: Hello, GetCredentials, AssumeRole, GetCallerIdentity,
 *    ListRoles, Status, Reload, Revoke, GetPublicKeys, GetRole, Authorize, Simulate;
 *    later Login (PAM logins; an agent without it answers UnsupportedOperation),
 *    Mfa (an MFA code for the aws issuer; likewise), the SessionRenewed
 *    notification (clients ignore notifications they do not know), and
 *    ListSessions and Revoke's sessionId (an older agent answers
 *    UnsupportedOperation, and ignores sessionId: libroled asks ListSessions
 *    first), and GetRole's exeClaim and exeClaimCauses (new map keys: older
 *    clients ignore them; an older agent sends neither).
 */
#define PROTO_VERSION 1
#define PROTO_VERSION_MIN 1

/* Limits (PROTOCOL.md section "Limits"). */
#define PROTO_MESSAGE_MAX (64 * 1024) /* bytes in one message */
#define PROTO_DEPTH_MAX 8             /* nesting of arrays/maps, envelope included */
#define PROTO_METHOD_MAX 64           /* bytes in a method name */
#define PROTO_ROLE_NAME_MAX 64        /* IAM RoleName: 1..64 [\w+=,.@-] */
#define PROTO_POLICY_MAX 10240        /* session policy document, bytes */
#define PROTO_TOKEN_MAX 4096          /* session token, bytes */
#define PROTO_DURATION_MIN 900        /* seconds */
#define PROTO_DURATION_MAX 43200      /* seconds */
#define PROTO_DURATION_DEFAULT 3600   /* seconds */
#define PROTO_IDLE_TIMEOUT_MS 10000   /* a connection with a partial message */
#define PROTO_PIPELINE_MAX 64         /* requests in flight per connection */
#define PROTO_SESSION_NAME_MAX 64     /* AssumeRole sessionName: 2..64 [\w+=,.@-] */
#define PROTO_AKID_MAX 128            /* Authorize accessKeyId, bytes */
#define PROTO_ACTION_MAX 256          /* Authorize/Simulate action, bytes */
#define PROTO_RESOURCE_MAX 2048       /* Authorize/Simulate resource, bytes */
#define PROTO_REGION_MAX 63           /* Authorize/Simulate region, bytes */
#define PROTO_SERVICE_MAX 64          /* Authorize service (a SigV4 scope's), bytes */
#define PROTO_HOST_MAX 1024           /* Authorize host (a Host header's value), bytes */
#define PROTO_CONTEXT_KEYS_MAX 64     /* keys in an Authorize/Simulate context map */
#define PROTO_CONTEXT_KEY_MAX 128     /* bytes in a context key */
#define PROTO_CONTEXT_VALUE_MAX 1024  /* bytes in a context value */
#define PROTO_USER_NAME_MAX 256       /* Login user, bytes */
#define PROTO_LOGIN_ITEM_MAX 256      /* Login service, tty, rhost, bytes each */
#define PROTO_LOGIN_ID_MAX 64         /* Login loginId, bytes */
#define PROTO_MFA_CODE_LEN 6          /* Mfa code: exactly six ASCII digits */
#define PROTO_SESSION_ID_MAX 64       /* Revoke sessionId, ListSessions marker, bytes */
#define PROTO_LIST_SESSIONS_MAX 100   /* sessions in one ListSessions page (maxItems) */
#define PROTO_EXE_CLAIM_CAUSES_MAX 32 /* GetRole exeClaimCauses: names (5 today) */
#define PROTO_STRS_ITEM_MAX 64        /* bytes in one name of an array of names */

/* MessagePack-RPC message types: the first element of the envelope array. */
enum {
        PROTO_REQUEST = 0,
        PROTO_RESPONSE = 1,
        PROTO_NOTIFICATION = 2,
};

/* Notifications the agent sends (PROTOCOL.md section 5a); their params are codec.h structs. */
#define PROTO_NOTE_SESSIONS_REVOKED "SessionsRevoked" /* ProtoSessionsRevokedNote */
#define PROTO_NOTE_SESSION_RENEWED "SessionRenewed"   /* ProtoSessionRenewedNote */

/* Method flags. */
#define PROTO_F_NONE 0u
#define PROTO_F_ADMIN 1u /* only root or the agent's own uid */
/* A client may send it again after the connection broke with it unanswered: a second
 * execution changes nothing a caller could tell (reads, cached answers, Reload). */
#define PROTO_F_RESEND 2u

/*
 * PROTO_METHODS - every method: X(ENUM, WireName, flags, Req, Rep), where Req
 * and Rep name its request and reply payloads (codec.h's ProtoReq and
 * ProtoRep; Empty is a map with no fields).
 */
#define PROTO_METHODS(X)                                                                           \
        X(HELLO, Hello, PROTO_F_RESEND, HelloReq, HelloRep)                                        \
        X(GET_CREDENTIALS, GetCredentials, PROTO_F_RESEND, GetCredentialsReq, CredentialsRep)      \
        X(ASSUME_ROLE, AssumeRole, PROTO_F_NONE, AssumeRoleReq, CredentialsRep)                    \
        X(GET_CALLER_IDENTITY, GetCallerIdentity, PROTO_F_RESEND, Empty, GetCallerIdentityRep)     \
        X(LIST_ROLES, ListRoles, PROTO_F_RESEND, Empty, ListRolesRep)                              \
        X(STATUS, Status, PROTO_F_RESEND, Empty, StatusRep)                                        \
        X(RELOAD, Reload, PROTO_F_ADMIN | PROTO_F_RESEND, Empty, ReloadRep)                        \
        X(REVOKE, Revoke, PROTO_F_NONE, RevokeReq, RevokeRep)                                      \
        X(GET_PUBLIC_KEYS, GetPublicKeys, PROTO_F_RESEND, Empty, GetPublicKeysRep)                 \
        X(GET_ROLE, GetRole, PROTO_F_RESEND, GetRoleReq, GetRoleRep)                               \
        X(AUTHORIZE, Authorize, PROTO_F_RESEND, AuthorizeReq, DecisionRep)                         \
        X(SIMULATE, Simulate, PROTO_F_ADMIN | PROTO_F_RESEND, SimulateReq, DecisionRep)            \
        X(LOGIN, Login, PROTO_F_ADMIN, LoginReq, LoginRep)                                         \
        X(MFA, Mfa, PROTO_F_NONE, MfaReq, MfaRep)                                                  \
        X(LIST_SESSIONS, ListSessions, PROTO_F_RESEND, ListSessionsReq, ListSessionsRep)

typedef enum ProtoMethod {
#define PROTO_X_ENUM(e, name, flags, req, rep) PROTO_M_##e,
        PROTO_METHODS(PROTO_X_ENUM)
#undef PROTO_X_ENUM
                PROTO_M_COUNT,
        PROTO_M_UNKNOWN = -1,
} ProtoMethod;

/*
 * PROTO_ERRORS - every error code a response may carry: X(ENUM, "WireName").
 * Names reuse AWS's where AWS has one.  PROTO_OK is not an error.
 */
#define PROTO_ERRORS(X)                                                                            \
        X(OK, "")                                                                                  \
        X(ACCESS_DENIED, "AccessDenied")                                                           \
        X(NO_SUCH_ENTITY, "NoSuchEntity")                                                          \
        X(INVALID_PARAMETER, "InvalidParameter")                                                   \
        X(INVALID_PARAMETER_VALUE, "InvalidParameterValue")                                        \
        X(MALFORMED_POLICY_DOCUMENT, "MalformedPolicyDocument")                                    \
        X(EXPIRED_TOKEN, "ExpiredToken")                                                           \
        X(INVALID_TOKEN, "InvalidClientTokenId")                                                   \
        X(REGION_DISABLED, "RegionDisabled")                                                       \
        X(THROTTLING, "Throttling")                                                                \
        X(UPSTREAM_UNAVAILABLE, "UpstreamUnavailable")                                             \
        X(UNSUPPORTED_VERSION, "UnsupportedVersion")                                               \
        X(UNSUPPORTED_OPERATION, "UnsupportedOperation")                                           \
        X(MESSAGE_TOO_LARGE, "MessageTooLarge")                                                    \
        X(MALFORMED_MESSAGE, "MalformedMessage")                                                   \
        X(INTERNAL, "Internal")                                                                    \
        X(SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch")                                       \
        X(INCOMPLETE_SIGNATURE, "IncompleteSignature")                                             \
        X(REQUEST_EXPIRED, "RequestExpired")                                                       \
        X(SENT_BEFORE_ATTESTATION, "SentBeforeAttestation")

typedef enum ProtoError {
#define PROTO_X_ENUM(e, name) PROTO_##e,
        PROTO_ERRORS(PROTO_X_ENUM)
#undef PROTO_X_ENUM
                PROTO_ERROR_COUNT,
} ProtoError;

/* proto_method_name() - the wire name of @m, or NULL when out of range. */
const char *proto_method_name(ProtoMethod m);
/* proto_method_flags() - PROTO_F_* of @m (0 when out of range). */
unsigned proto_method_flags(ProtoMethod m);
/* proto_method_lookup() - the method named by @name[0..@len), or PROTO_M_UNKNOWN. */
ProtoMethod proto_method_lookup(const char *name, size_t len);
/* proto_error_name() - the wire name of @e ("" for PROTO_OK, NULL when out of range). */
const char *proto_error_name(ProtoError e);
/* proto_error_lookup() - the code named by @name[0..@len), or PROTO_INTERNAL when unknown. */
ProtoError proto_error_lookup(const char *name, size_t len);
