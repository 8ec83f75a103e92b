/* SPDX-License-Identifier: MIT */
/*
 * codec.h - the typed payload of every method: one request and one reply
 * struct per method, each with one encode and one decode, shared by the agent
 * and libroled (chrony's candm.h is the model). A field's wire name, type,
 * bound and presence rule are written once, in the PROTO_<Struct>() rows
 * below; the structs, the schemas codec.c walks and the map sizes all come
 * from those rows. Envelopes stay in rpc.h; what a value means stays with the
 * handler (a role name's character set, a duration's range).
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "rpc.h"

/* A string or bin field: points into the message (decode) or the caller's memory (encode). */
typedef struct ProtoStr {
        const char *ptr; /* NULL: absent (or nil) */
        size_t len;      /* not counting any NUL */
} ProtoStr;

/* proto_str() - a ProtoStr of the NUL-terminated @s (NULL stays absent). */
static inline ProtoStr proto_str(const char *s)
{
        return (ProtoStr){ s, s ? __builtin_strlen(s) : 0 };
}

/* An unsigned integer the sender may leave out. */
typedef struct ProtoOptUint {
        uint64_t value;
        bool is_set;
} ProtoOptUint;

/* An array of uints below 2^32. */
typedef struct ProtoU32List {
        const uint32_t *items;
        size_t n;
} ProtoU32List;

/* An array of strings; items is NULL when absent (decoded strings point into the message). */
typedef struct ProtoStrList {
        const ProtoStr *items;
        size_t n;
} ProtoStrList;

/* A map of strings to strings; decoded copies are NUL-terminated (in the zone). */
typedef struct ProtoStrMap {
        const char *const *keys;
        const char *const *values;
        size_t n;
} ProtoStrMap;

/*
 * A list of [name, value] string pairs (SigV4 headers as received: order and
 * repeats kept).  Decoded strings point into the message.
 */
typedef struct ProtoPairs {
        const ProtoStr *names;
        const ProtoStr *values;
        size_t n;
} ProtoPairs;

/* One key of an Authorize/Simulate context: one string, or an array of them (maybe empty). */
typedef struct ProtoContextEntry {
        ProtoStr key;
        const ProtoStr *values;
        size_t n_values;
        bool is_list; /* sent as an array; one value without it is sent as a plain string */
} ProtoContextEntry;

/* A context map (key -> string or [string]); items is NULL when absent. */
typedef struct ProtoContext {
        const ProtoContextEntry *items;
        size_t n;
} ProtoContext;

/*
 * Presence rules: REQUIRED (decode: RPC_E_MISSING when absent), OPTIONAL
 * (left out of the map when absent), NULLABLE (nil when absent).
 */
enum { PROTO_REQUIRED, PROTO_OPTIONAL, PROTO_NULLABLE };

/*
 * Field rows: F(KIND, member, "wireName", max, presence, Sub). max bounds a
 * string's bytes or a list's items (0: no bound beyond the message's); Sub
 * names the struct of a LIST or STRUCT field (- elsewhere). Replies bound only
 * what PROTOCOL.md bounds; each client keeps its own buffer sizes. Kinds and their C types:
 *   STR, BIN  ProtoStr          UINT  uint64_t        OPT_UINT  ProtoOptUint
 *   BOOL      bool              U32S  ProtoU32List    STRMAP    ProtoStrMap
 *   STRS      ProtoStrList ([str, ...]; absent: items NULL; each a name: no NUL,
 *             at most PROTO_STRS_ITEM_MAX bytes)
 *   LIST      { const ProtoSub *items; size_t n; }    STRUCT    const ProtoSub * (NULL: nil)
 *   PAIRS     ProtoPairs ([[name, value], ...])     CONTEXT   ProtoContext (absent: items NULL)
 */
#define PROTO_HelloReq(F) F(OPT_UINT, version, "version", 0, PROTO_OPTIONAL, -)
#define PROTO_HelloRep(F)                                                                          \
        F(UINT, version, "version", 0, PROTO_REQUIRED, -)                                          \
        F(STR, agent, "agent", 0, PROTO_REQUIRED, -)                                               \
        F(STR, mode, "mode", 0, PROTO_REQUIRED, -)                                                 \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)

#define PROTO_GetCredentialsReq(F)                                                                 \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(OPT_UINT, duration_seconds, "durationSeconds", 0, PROTO_OPTIONAL, -)                     \
        F(STR, policy, "policy", PROTO_POLICY_MAX, PROTO_OPTIONAL, -)

/* The credential map: the reply of GetCredentials and of AssumeRole. */
#define PROTO_CredentialsRep(F)                                                                    \
        F(STR, access_key_id, "accessKeyId", 0, PROTO_REQUIRED, -)                                 \
        F(STR, secret_access_key, "secretAccessKey", 0, PROTO_REQUIRED, -)                         \
        F(STR, session_token, "sessionToken", PROTO_TOKEN_MAX, PROTO_REQUIRED, -)                  \
        F(UINT, expiration, "expiration", 0, PROTO_REQUIRED, -)                                    \
        F(STR, expiration_iso, "expirationIso", 0, PROTO_OPTIONAL, -)                              \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(STR, role_arn, "roleArn", 0, PROTO_OPTIONAL, -)                                          \
        F(STR, assumed_role_arn, "assumedRoleArn", 0, PROTO_OPTIONAL, -)                           \
        F(STR, session_id, "sessionId", 0, PROTO_OPTIONAL, -)                                      \
        F(STR, issuer, "issuer", 0, PROTO_OPTIONAL, -)

#define PROTO_AssumeRoleReq(F)                                                                     \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(OPT_UINT, duration_seconds, "durationSeconds", 0, PROTO_OPTIONAL, -)                     \
        F(STR, policy, "policy", PROTO_POLICY_MAX, PROTO_OPTIONAL, -)                              \
        F(STR, session_name, "sessionName", PROTO_SESSION_NAME_MAX, PROTO_OPTIONAL, -)             \
        F(STR, session_token, "sessionToken", PROTO_TOKEN_MAX, PROTO_OPTIONAL, -)

#define PROTO_GetCallerIdentityRep(F)                                                              \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)                                                  \
        F(UINT, gid, "gid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, user, "user", 0, PROTO_REQUIRED, -)                                                 \
        F(STR, group, "group", 0, PROTO_REQUIRED, -)                                               \
        F(U32S, groups, "groups", 0, PROTO_REQUIRED, -)                                            \
        F(UINT, pid, "pid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, exe, "exe", 0, PROTO_REQUIRED, -)                                                   \
        F(STR, unit, "unit", 0, PROTO_REQUIRED, -)                                                 \
        F(STR, cgroup, "cgroup", 0, PROTO_REQUIRED, -)                                             \
        F(STR, account, "account", 0, PROTO_REQUIRED, -)                                           \
        F(STR, arn, "arn", 0, PROTO_REQUIRED, -)                                                   \
        F(STR, default_role, "defaultRole", PROTO_ROLE_NAME_MAX, PROTO_NULLABLE, -)                \
        F(STR, identity_key, "identityKey", 0, PROTO_REQUIRED, -)

/* One role in ListRoles. */
#define PROTO_RoleSummary(F)                                                                       \
        F(STR, name, "name", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, description, "description", 0, PROTO_REQUIRED, -)                                   \
        F(STR, arn, "arn", 0, PROTO_REQUIRED, -)                                                   \
        F(UINT, max_session_duration, "maxSessionDuration", 0, PROTO_REQUIRED, -)                  \
        F(STR, issuer, "issuer", 0, PROTO_REQUIRED, -)                                             \
        F(BOOL, is_default, "isDefault", 0, PROTO_REQUIRED, -)                                     \
        F(BOOL, is_assumable, "assumable", 0, PROTO_REQUIRED, -)
#define PROTO_ListRolesRep(F) F(LIST, roles, "roles", 0, PROTO_REQUIRED, RoleSummary)

/* One issuer's upstream, in Status and GetRole. */
#define PROTO_IssuerStatus(F)                                                                      \
        F(STR, issuer, "issuer", 0, PROTO_REQUIRED, -)                                             \
        F(STR, state, "state", 0, PROTO_REQUIRED, -)                                               \
        F(UINT, calls, "calls", 0, PROTO_REQUIRED, -)                                              \
        F(UINT, last_success, "lastSuccess", 0, PROTO_REQUIRED, -)                                 \
        F(UINT, last_failure, "lastFailure", 0, PROTO_REQUIRED, -)                                 \
        F(STR, last_error, "lastError", 0, PROTO_REQUIRED, -)                                      \
        F(STR, source, "source", 0, PROTO_OPTIONAL, -)                                             \
        F(OPT_UINT, mfa_expires, "mfaExpires", 0, PROTO_OPTIONAL, -)                               \
        F(OPT_UINT, mfa_waiting, "mfaWaiting", 0, PROTO_OPTIONAL, -)

/*
 * Status: "scope" is "agent" for root and the agent's user (everything) or
 * "caller" for anyone else (sessions and connections are the caller's own;
 * the agent-wide counters and paths are left out).
 */
#define PROTO_StatusRep(F)                                                                         \
        F(STR, version, "version", 0, PROTO_REQUIRED, -)                                           \
        F(UINT, protocol, "protocol", 0, PROTO_REQUIRED, -)                                        \
        F(STR, mode, "mode", 0, PROTO_REQUIRED, -)                                                 \
        F(STR, scope, "scope", 0, PROTO_REQUIRED, -)                                               \
        F(UINT, sessions, "sessions", 0, PROTO_REQUIRED, -)                                        \
        F(UINT, connections, "connections", 0, PROTO_REQUIRED, -)                                  \
        F(OPT_UINT, pid, "pid", 0, PROTO_OPTIONAL, -)                                              \
        F(OPT_UINT, uptime, "uptime", 0, PROTO_OPTIONAL, -)                                        \
        F(OPT_UINT, roles, "roles", 0, PROTO_OPTIONAL, -)                                          \
        F(OPT_UINT, requests, "requests", 0, PROTO_OPTIONAL, -)                                    \
        F(STR, config_path, "configPath", 0, PROTO_OPTIONAL, -)                                    \
        F(OPT_UINT, exe_hashes_started, "exeHashesStarted", 0, PROTO_OPTIONAL, -)                  \
        F(OPT_UINT, exe_hashes_joined, "exeHashesJoined", 0, PROTO_OPTIONAL, -)                    \
        F(OPT_UINT, exe_hashes_refused, "exeHashesRefused", 0, PROTO_OPTIONAL, -)                  \
        F(OPT_UINT, exe_hashes_active, "exeHashesActive", 0, PROTO_OPTIONAL, -)                    \
        F(LIST, issuers, "issuers", 0, PROTO_OPTIONAL, IssuerStatus)

#define PROTO_ReloadRep(F) F(UINT, roles, "roles", 0, PROTO_REQUIRED, -)

#define PROTO_RevokeReq(F)                                                                         \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(OPT_UINT, uid, "uid", 0, PROTO_OPTIONAL, -)                                              \
        F(STR, session_id, "sessionId", PROTO_SESSION_ID_MAX, PROTO_OPTIONAL, -)
#define PROTO_RevokeRep(F) F(UINT, revoked, "revoked", 0, PROTO_REQUIRED, -)

/* One verification key in GetPublicKeys. */
#define PROTO_PublicKey(F)                                                                         \
        F(STR, key_id, "keyId", 0, PROTO_REQUIRED, -)                                              \
        F(BIN, public_key, "publicKey", 32, PROTO_REQUIRED, -)                                     \
        F(UINT, not_after, "notAfter", 0, PROTO_REQUIRED, -)
#define PROTO_GetPublicKeysRep(F) F(LIST, keys, "keys", 0, PROTO_REQUIRED, PublicKey)

#define PROTO_GetRoleReq(F) F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)
#define PROTO_GetRoleRep(F)                                                                        \
        F(STR, name, "name", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, arn, "arn", 0, PROTO_REQUIRED, -)                                                   \
        F(STR, role_id, "roleId", 0, PROTO_REQUIRED, -)                                            \
        F(STR, description, "description", 0, PROTO_REQUIRED, -)                                   \
        F(UINT, max_session_duration, "maxSessionDuration", 0, PROTO_REQUIRED, -)                  \
        F(STR, issuer, "issuer", 0, PROTO_REQUIRED, -)                                             \
        F(STR, file, "file", 0, PROTO_REQUIRED, -)                                                 \
        F(STR, trust_rules, "trustRules", 0, PROTO_NULLABLE, -)                                    \
        F(STR, default_rules, "defaultRules", 0, PROTO_OPTIONAL, -)                                \
        F(STR, trust_policy, "trustPolicy", 0, PROTO_NULLABLE, -)                                  \
        F(STR, permissions_policy, "permissionsPolicy", 0, PROTO_NULLABLE, -)                      \
        F(STRMAP, tags, "tags", 0, PROTO_REQUIRED, -)                                              \
        F(STRUCT, upstream, "upstream", 0, PROTO_OPTIONAL, IssuerStatus)                           \
        F(BOOL, has_exe_claim, "exeClaim", 0, PROTO_OPTIONAL, -)                                   \
        F(STRS, exe_claim_causes, "exeClaimCauses", PROTO_EXE_CLAIM_CAUSES_MAX, PROTO_OPTIONAL, -)

/*
 * Authorize's "request": the SigV4-signed HTTP request a service received.
 * body or payloadSha256 (neither: an empty body); the agent bounds each
 * part by sigv4.h's limits.
 */
#define PROTO_SignedRequest(F)                                                                     \
        F(STR, method, "method", 0, PROTO_REQUIRED, -)                                             \
        F(STR, path, "path", 0, PROTO_REQUIRED, -)                                                 \
        F(STR, query, "query", 0, PROTO_OPTIONAL, -)                                               \
        F(PAIRS, headers, "headers", 0, PROTO_REQUIRED, -)                                         \
        F(STR, payload_sha256, "payloadSha256", 0, PROTO_OPTIONAL, -)                              \
        F(BIN, body, "body", 0, PROTO_OPTIONAL, -)

/*
 * sessionToken is required unless request is given; service and host with
 * request (the handler checks).  The rows keep the order libroled has always
 * sent them in (the credential first), so its bytes on the wire stay the same.
 */
#define PROTO_AuthorizeReq(F)                                                                      \
        F(STRUCT, request, "request", 0, PROTO_OPTIONAL, SignedRequest)                            \
        F(STR, service, "service", PROTO_SERVICE_MAX, PROTO_OPTIONAL, -)                           \
        F(STR, host, "host", PROTO_HOST_MAX, PROTO_OPTIONAL, -)                                    \
        F(STR, session_token, "sessionToken", PROTO_TOKEN_MAX, PROTO_OPTIONAL, -)                  \
        F(STR, access_key_id, "accessKeyId", PROTO_AKID_MAX, PROTO_OPTIONAL, -)                    \
        F(STR, action, "action", PROTO_ACTION_MAX, PROTO_REQUIRED, -)                              \
        F(STR, resource, "resource", PROTO_RESOURCE_MAX, PROTO_REQUIRED, -)                        \
        F(STR, region, "region", PROTO_REGION_MAX, PROTO_OPTIONAL, -)                              \
        F(CONTEXT, context, "context", 0, PROTO_OPTIONAL, -)

#define PROTO_SimulateReq(F)                                                                       \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, action, "action", PROTO_ACTION_MAX, PROTO_REQUIRED, -)                              \
        F(STR, resource, "resource", PROTO_RESOURCE_MAX, PROTO_REQUIRED, -)                        \
        F(STR, region, "region", PROTO_REGION_MAX, PROTO_OPTIONAL, -)                              \
        F(CONTEXT, context, "context", 0, PROTO_OPTIONAL, -)                                       \
        F(STR, session_policy, "sessionPolicy", PROTO_POLICY_MAX, PROTO_OPTIONAL, -)               \
        F(STR, principal, "principal", PROTO_USER_NAME_MAX, PROTO_OPTIONAL, -)

/* The statement a decision rests on. */
#define PROTO_Match(F)                                                                             \
        F(STR, policy, "policy", 0, PROTO_REQUIRED, -)                                             \
        F(UINT, statement, "statement", 0, PROTO_REQUIRED, -)                                      \
        F(STR, sid, "sid", 0, PROTO_NULLABLE, -)
/* The decision: the reply of Authorize and of Simulate. */
#define PROTO_DecisionRep(F)                                                                       \
        F(STR, decision, "decision", 0, PROTO_REQUIRED, -)                                         \
        F(STRUCT, matched, "matched", 0, PROTO_NULLABLE, Match)                                    \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, reason, "reason", 0, PROTO_OPTIONAL, -)

/* Login: event is "start", "end" or "check" (the handler checks which fields each needs). */
#define PROTO_LoginReq(F)                                                                          \
        F(STR, event, "event", 16, PROTO_REQUIRED, -)                                              \
        F(STR, user, "user", PROTO_USER_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(STR, service, "service", PROTO_LOGIN_ITEM_MAX, PROTO_OPTIONAL, -)                        \
        F(STR, tty, "tty", PROTO_LOGIN_ITEM_MAX, PROTO_OPTIONAL, -)                                \
        F(STR, rhost, "rhost", PROTO_LOGIN_ITEM_MAX, PROTO_OPTIONAL, -)                            \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(STR, login_id, "loginId", PROTO_LOGIN_ID_MAX, PROTO_OPTIONAL, -)
#define PROTO_LoginRep(F)                                                                          \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, login_id, "loginId", PROTO_LOGIN_ID_MAX, PROTO_OPTIONAL, -)                         \
        F(UINT, logins, "logins", 0, PROTO_REQUIRED, -)                                            \
        F(UINT, assumable, "assumable", 0, PROTO_REQUIRED, -)                                      \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_NULLABLE, -)                               \
        F(STR, reason, "reason", 0, PROTO_OPTIONAL, -)                                             \
        F(UINT, revoked, "revoked", 0, PROTO_REQUIRED, -)
/* Mfa: the code is six digits (the handler checks them); it is never logged or echoed. */
#define PROTO_MfaReq(F) F(STR, code, "code", PROTO_MFA_CODE_LEN, PROTO_REQUIRED, -)
#define PROTO_MfaRep(F)                                                                            \
        F(UINT, expiration, "expiration", 0, PROTO_REQUIRED, -)                                    \
        F(UINT, released, "released", 0, PROTO_REQUIRED, -)
/* The params of the SessionsRevoked notification (PROTOCOL.md section 5a). */
#define PROTO_SessionsRevokedNote(F)                                                               \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)
/* The params of the SessionRenewed notification (PROTOCOL.md section 5a). */
#define PROTO_SessionRenewedNote(F)                                                                \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, access_key_id, "accessKeyId", PROTO_AKID_MAX, PROTO_REQUIRED, -)

/* ListSessions: one page, in sessionId order, after marker (PROTOCOL.md). */
#define PROTO_ListSessionsReq(F)                                                                   \
        F(OPT_UINT, uid, "uid", 0, PROTO_OPTIONAL, -)                                              \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_OPTIONAL, -)                               \
        F(STR, marker, "marker", PROTO_SESSION_ID_MAX, PROTO_OPTIONAL, -)                          \
        F(OPT_UINT, max_items, "maxItems", 0, PROTO_OPTIONAL, -)
/* One live session: what it is, never its secret or token. */
#define PROTO_SessionSummary(F)                                                                    \
        F(STR, session_id, "sessionId", PROTO_SESSION_ID_MAX, PROTO_REQUIRED, -)                   \
        F(STR, access_key_id, "accessKeyId", 0, PROTO_REQUIRED, -)                                 \
        F(STR, role, "role", PROTO_ROLE_NAME_MAX, PROTO_REQUIRED, -)                               \
        F(STR, assumed_role_arn, "assumedRoleArn", 0, PROTO_REQUIRED, -)                           \
        F(STR, issuer, "issuer", 0, PROTO_REQUIRED, -)                                             \
        F(STR, kind, "kind", 0, PROTO_REQUIRED, -)                                                 \
        F(UINT, uid, "uid", 0, PROTO_REQUIRED, -)                                                  \
        F(STR, user, "user", 0, PROTO_REQUIRED, -)                                                 \
        F(UINT, issued, "issued", 0, PROTO_REQUIRED, -)                                            \
        F(UINT, expiration, "expiration", 0, PROTO_REQUIRED, -)
#define PROTO_ListSessionsRep(F)                                                                   \
        F(LIST, sessions, "sessions", PROTO_LIST_SESSIONS_MAX, PROTO_REQUIRED, SessionSummary)     \
        F(BOOL, is_truncated, "isTruncated", 0, PROTO_REQUIRED, -)                                 \
        F(STR, marker, "marker", PROTO_SESSION_ID_MAX, PROTO_OPTIONAL, -)

/* Every payload struct, each after the ones it contains: X(Struct). */
#define PROTO_PAYLOADS(X)                                                                          \
        X(HelloReq)                                                                                \
        X(HelloRep)                                                                                \
        X(GetCredentialsReq)                                                                       \
        X(CredentialsRep)                                                                          \
        X(AssumeRoleReq)                                                                           \
        X(GetCallerIdentityRep)                                                                    \
        X(RoleSummary)                                                                             \
        X(ListRolesRep)                                                                            \
        X(IssuerStatus)                                                                            \
        X(StatusRep)                                                                               \
        X(ReloadRep)                                                                               \
        X(RevokeReq)                                                                               \
        X(RevokeRep)                                                                               \
        X(PublicKey)                                                                               \
        X(GetPublicKeysRep)                                                                        \
        X(GetRoleReq)                                                                              \
        X(GetRoleRep)                                                                              \
        X(SignedRequest)                                                                           \
        X(AuthorizeReq)                                                                            \
        X(SimulateReq)                                                                             \
        X(Match)                                                                                   \
        X(DecisionRep)                                                                             \
        X(LoginReq)                                                                                \
        X(LoginRep)                                                                                \
        X(MfaReq)                                                                                  \
        X(MfaRep)                                                                                  \
        X(SessionsRevokedNote)                                                                     \
        X(SessionRenewedNote)                                                                      \
        X(ListSessionsReq)                                                                         \
        X(SessionSummary)                                                                          \
        X(ListSessionsRep)

/* C types of the kinds (see the field rows). */
#define PROTO_CTYPE_STR(sub) ProtoStr
#define PROTO_CTYPE_BIN(sub) ProtoStr
#define PROTO_CTYPE_UINT(sub) uint64_t
#define PROTO_CTYPE_OPT_UINT(sub) ProtoOptUint
#define PROTO_CTYPE_BOOL(sub) bool
#define PROTO_CTYPE_U32S(sub) ProtoU32List
#define PROTO_CTYPE_STRS(sub) ProtoStrList
#define PROTO_CTYPE_STRMAP(sub) ProtoStrMap
#define PROTO_CTYPE_LIST(sub)                                                                      \
        struct {                                                                                   \
                const Proto##sub *items;                                                           \
                size_t n;                                                                          \
        }
#define PROTO_CTYPE_STRUCT(sub) const Proto##sub *
#define PROTO_CTYPE_PAIRS(sub) ProtoPairs
#define PROTO_CTYPE_CONTEXT(sub) ProtoContext

/* The map with no fields (requests of methods without parameters). */
typedef struct ProtoEmpty {
        char unused;
} ProtoEmpty;

#define PROTO_X_MEMBER(kind, member, name, max, presence, sub) PROTO_CTYPE_##kind(sub) member;
#define PROTO_X_STRUCT(S)                                                                          \
        typedef struct Proto##S {                                                                  \
                PROTO_##S(PROTO_X_MEMBER)                                                          \
        } Proto##S;
PROTO_PAYLOADS(PROTO_X_STRUCT)
#undef PROTO_X_STRUCT

/* The schema codec.c walks: one per payload struct, generated from its rows. */
typedef struct ProtoSchema ProtoSchema;

/*
 * codec_encode() - pack @x (a struct of @schema) as one map into @b. Absent
 * OPTIONAL fields are left out, absent NULLABLE ones packed as nil. Running
 * out of memory marks @b->is_oom, as every packer does.
 */
void codec_encode(ProtoBuf *b, const ProtoSchema *schema, const void *x);

/*
 * codec_decode() - fill @x (a struct of @schema) from @map.
 * @map: the params or result map; NULL (no parameters) reads as an empty map
 * @zone: where lists, string maps and nested structs are allocated (the
 *        message's zone, so they live as long as the message)
 * @fieldp: on RPC_E_MISSING or RPC_E_TYPE, the wire name of the field
 * Strings point into the message and are not NUL-terminated. Unknown fields
 * are ignored, and a field that is nil counts as absent.
 * Return: 0, RPC_E_MISSING (a REQUIRED field is absent), RPC_E_TYPE (wrong
 * type, or over its bound) or -ENOMEM. @x is unspecified on failure.
 */
int codec_decode(const msgpack_object *map, msgpack_zone *zone, const ProtoSchema *schema, void *x,
                 const char **fieldp);

/* The schemas, and typed wrappers: codec_encode_<Struct>(), codec_decode_<Struct>(). */
#define PROTO_X_DECLARE(S)                                                                         \
        extern const ProtoSchema codec_schema_##S;                                                 \
        static inline void codec_encode_##S(ProtoBuf *b, const Proto##S *x)                        \
        {                                                                                          \
                codec_encode(b, &codec_schema_##S, x);                                             \
        }                                                                                          \
        static inline int codec_decode_##S(const msgpack_object *map, msgpack_zone *zone,          \
                                           Proto##S *x, const char **fieldp)                       \
        {                                                                                          \
                return codec_decode(map, zone, &codec_schema_##S, x, fieldp);                      \
        }
PROTO_PAYLOADS(PROTO_X_DECLARE)
PROTO_X_DECLARE(Empty)
#undef PROTO_X_DECLARE

/* codec_request_schema(), codec_reply_schema() - @m's payload schemas (NULL when out of range). */
const ProtoSchema *codec_request_schema(ProtoMethod m);
const ProtoSchema *codec_reply_schema(ProtoMethod m);
