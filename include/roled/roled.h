/* SPDX-License-Identifier: MIT */
/*
 * roled.h - libroled, the client library of the roled credential agent.
 *
 * A process links libroled to obtain short-lived, AWS-shaped credentials for
 * a role from the local roled agent, to ask who the agent thinks it is, to
 * list the roles it may assume, and to verify session tokens.  This is the
 * only header users include; everything else in the library is hidden.
 *
 * Thread safety: every function may be called from any thread; a roled_client
 * serialises its own socket use, and its credential cache is shared by all
 * threads using that client.
 *
 * fork(): the agent answers a connection only for the process it attested
 * there, so a client used in a forked child opens a connection of its own
 * (the child is attested as itself) and leaves the parent's alone.
 */
#ifndef ROLED_ROLED_H
#define ROLED_ROLED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROLED_EXPORT __attribute__((visibility("default")))

/*
 * roled_status - what a call returned.  0 is success; the AWS-named codes are
 * the agent's answers, the rest are failures on this side of the socket.
 */
typedef enum roled_status {
        ROLED_OK = 0,
        /* The agent's answers (proto/PROTOCOL.md section 4). */
        ROLED_E_ACCESS_DENIED,
        ROLED_E_NO_SUCH_ENTITY,
        ROLED_E_INVALID_PARAMETER,
        ROLED_E_INVALID_PARAMETER_VALUE,
        ROLED_E_MALFORMED_POLICY_DOCUMENT,
        ROLED_E_EXPIRED_TOKEN,
        ROLED_E_INVALID_TOKEN,
        ROLED_E_REGION_DISABLED,
        ROLED_E_THROTTLING,
        ROLED_E_UPSTREAM_UNAVAILABLE,
        ROLED_E_UNSUPPORTED_VERSION,
        ROLED_E_UNSUPPORTED_OPERATION,
        ROLED_E_MESSAGE_TOO_LARGE,
        ROLED_E_MALFORMED_MESSAGE,
        ROLED_E_INTERNAL,
        ROLED_E_SIGNATURE_DOES_NOT_MATCH, /* Authorize of a SigV4 request: wrong signature */
        ROLED_E_INCOMPLETE_SIGNATURE,     /* ...: missing or malformed signing data */
        ROLED_E_REQUEST_EXPIRED,          /* ...: X-Amz-Date outside the allowed skew */
        /* This side of the socket. */
        ROLED_E_NO_AGENT = 100,   /* no socket found, or connect() failed */
        ROLED_E_UNTRUSTED_AGENT,  /* the socket or its peer is not owned by root or the agent's user */
        ROLED_E_PROTOCOL,         /* the agent sent something that is not a valid answer */
        ROLED_E_IO,               /* the connection failed or closed mid-request */
        ROLED_E_TIMEOUT,          /* no answer within the client's timeout */
        ROLED_E_NOMEM,
        ROLED_E_INVALID_ARGUMENT, /* bad argument to a library call */
        ROLED_E_BAD_SIGNATURE,    /* roled_verify_token(): the token does not verify */
} roled_status;

/* roled_strerror() - a static English description of @status. */
ROLED_EXPORT const char *roled_strerror(roled_status status);
/* roled_status_name() - the wire/AWS name of @status ("AccessDenied", ...), or a short name. */
ROLED_EXPORT const char *roled_status_name(roled_status status);

typedef struct roled_client roled_client;

/*
 * roled_client_connect() - find and connect to the agent.
 * @socket_path: the socket to use, or NULL to search $ROLED_SOCKET, then
 *               $XDG_RUNTIME_DIR/roled/roled.sock, then /run/roled/roled.sock
 * @clientp: the new client, owned by the caller (roled_client_close())
 *
 * Checks that the socket and its directory belong to root or to this
 * process's effective uid, that the directory is not writable by others
 * (unless sticky), and that the peer's SO_PEERCRED uid is root or this uid.
 * When searching, a candidate where nothing listens (no file, or connection
 * refused) is skipped; $ROLED_SOCKET, when set, is the only candidate.
 * On failure roled_client_last_error(NULL) says which socket and why, e.g.
 * "cannot reach roled at /run/roled/roled.sock: No such file or directory".
 * Return: ROLED_OK, ROLED_E_NO_AGENT, ROLED_E_UNTRUSTED_AGENT,
 * ROLED_E_INVALID_ARGUMENT (path empty or too long), ROLED_E_NOMEM.
 */
ROLED_EXPORT roled_status roled_client_connect(const char *socket_path, roled_client **clientp);
/* roled_client_close() - close and free @client (NULL is fine); wipes cached secrets. */
ROLED_EXPORT void roled_client_close(roled_client *client);
/*
 * roled_client_last_error() - the message for the last failed call made by
 * this thread on @client ("" if none): the agent's message for its errors, a
 * description for local ones; NULL @client: the last failed
 * roled_client_connect() of this thread.  One line, never holds secrets.
 * Valid until this thread's next call.
 */
ROLED_EXPORT const char *roled_client_last_error(roled_client *client);
/*
 * roled_client_set_timeout() - per-request timeout in milliseconds (default
 * 5000; a value <= 0 restores the default).
 */
ROLED_EXPORT void roled_client_set_timeout(roled_client *client, int timeout_ms);
/* roled_client_socket_path() - the socket @client connected to (borrowed). */
ROLED_EXPORT const char *roled_client_socket_path(roled_client *client);

/* Credentials, as AWS STS shapes them.  Strings are NUL-terminated. */
typedef struct roled_credentials {
        char access_key_id[33];
        char secret_access_key[64];
        char *session_token;        /* heap, owned by the struct */
        time_t expiration;          /* Unix seconds */
        char expiration_iso[32];    /* YYYY-MM-DDTHH:MM:SSZ */
        char role[65];
        char role_arn[257];
        char assumed_role_arn[384];
        char session_id[65];
        char issuer[16];
} roled_credentials;

/* roled_credentials_clear() - wipe and free what @creds holds (safe on a zeroed struct). */
ROLED_EXPORT void roled_credentials_clear(roled_credentials *creds);

/* Options for roled_get_credentials(); zero-initialise, then set what you need. */
typedef struct roled_request {
        const char *role;            /* NULL: the caller's default role */
        uint32_t duration_seconds;   /* 0: the agent's default */
        const char *session_policy;  /* NULL: none */
        bool is_fresh;               /* true: bypass libroled's in-process cache */
} roled_request;

/*
 * roled_get_credentials() - credentials for a role.
 * @client: connected client
 * @req: options, or NULL for the default role with default duration
 * @creds: filled on ROLED_OK; the caller clears it with roled_credentials_clear()
 *
 * Answers come from libroled's in-process cache (keyed by role, duration and
 * session policy) while now < expiration - margin, where margin =
 * max(20 minutes, lifetime / 4) capped at lifetime / 2 -- the rule the agent
 * renews by; otherwise, or with @req->is_fresh, the agent is asked and the
 * cache updated.
 * Return: ROLED_OK or a roled_status (roled_client_last_error() has the agent's message).
 */
ROLED_EXPORT roled_status roled_get_credentials(roled_client *client, const roled_request *req,
                                                roled_credentials *creds);

/*
 * roled_assume_role() - a fresh (uncached) session for @role.
 * @session_name: NULL for the default; @source_token: the caller's current
 * session token for role chaining, or NULL.
 */
ROLED_EXPORT roled_status roled_assume_role(roled_client *client, const char *role,
                                            uint32_t duration_seconds, const char *session_policy,
                                            const char *session_name, const char *source_token,
                                            roled_credentials *creds);

/* The identity the agent attested for this connection. */
typedef struct roled_identity {
        uint32_t uid, gid, pid;
        char user[257];
        char group[257];
        uint32_t groups[64];
        size_t n_groups;
        char exe[4096];
        char unit[256];
        char cgroup[512];
        char account[16];
        char arn[384];
        char default_role[65]; /* "" when none */
} roled_identity;

/* roled_whoami() - GetCallerIdentity. */
ROLED_EXPORT roled_status roled_whoami(roled_client *client, roled_identity *id);

typedef struct roled_role_info {
        char name[65];
        char description[256];
        char arn[257];
        uint32_t max_session_duration;
        char issuer[16];
        bool is_default;
        bool is_assumable;
} roled_role_info;

/*
 * roled_list_roles() - roles visible to the caller.
 * @rolesp: array of *@n_rolesp entries, owned by the caller (free())
 */
ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_info **rolesp,
                                           size_t *n_rolesp);

/*
 * roled_revoke() - end the caller's sessions (of @role, or all when NULL);
 * *@n_revokedp (may be NULL) gets the count.  Also empties @client's cache.
 */
ROLED_EXPORT roled_status roled_revoke(roled_client *client, const char *role, uint32_t *n_revokedp);

/*
 * roled_reload() - ask the agent to re-read its configuration (admin only);
 * *@n_rolesp (may be NULL) gets the number of roles now loaded.
 */
ROLED_EXPORT roled_status roled_reload(roled_client *client, uint32_t *n_rolesp);

/*
 * roled_agent_status_json() - the agent's Status as a JSON object text.
 * @jsonp: heap string owned by the caller (free()).
 */
ROLED_EXPORT roled_status roled_agent_status_json(roled_client *client, char **jsonp);

/* Claims carried by a verified session token. */
typedef struct roled_token_claims {
        char access_key_id[33];
        char session_id[65];
        char role[65];
        char role_arn[257];
        uint32_t uid, gid;
        char user[257];
        char exe[4096];
        char unit[257];
        time_t issued, expires;
        bool has_policy;
        uint8_t policy_sha256[32];
        char source_role[65]; /* "" unless chained */
} roled_token_claims;

/*
 * roled_verify_token() - verify a session token offline.
 * @client: used once to fetch and cache the agent's public keys (GetPublicKeys)
 * @token: the session token
 * @claims: filled on ROLED_OK
 *
 * Checks the signature against the agent's keys and the expiry against the
 * clock.  It does not know about revocation: ask the agent (Authorize) for that.
 * The keys are fetched again after 5 minutes, or at once when the token names
 * a key the client does not have (rotation).
 * Return: ROLED_OK, ROLED_E_BAD_SIGNATURE (wrong or unknown key),
 * ROLED_E_EXPIRED_TOKEN (authentic but expired), ROLED_E_INVALID_TOKEN (not
 * a roled token, or too long), or a connection error.
 */
ROLED_EXPORT roled_status roled_verify_token(roled_client *client, const char *token,
                                             roled_token_claims *claims);

/*
 * Authorization: "may this session do this?"
 *
 * A local service that received a caller's roled credentials asks the agent
 * with roled_authorize(); an administrator asks about a role with
 * roled_simulate(); anyone the role trusts reads its definition with
 * roled_get_role().  The agent evaluates IAM policies by AWS's rules:
 * an explicit Deny wins, otherwise an Allow is needed (in the session
 * policy too, when the session has one).
 */

/* roled_decision - the outcome of an evaluation. */
typedef enum roled_decision {
        ROLED_DECISION_IMPLICIT_DENY = 0, /* no statement allowed it (or the agent could not evaluate) */
        ROLED_DECISION_ALLOW,
        ROLED_DECISION_EXPLICIT_DENY,     /* a Deny statement matched */
} roled_decision;

/* roled_decision_name() - "allow", "explicit-deny" or "implicit-deny" (the wire names). */
ROLED_EXPORT const char *roled_decision_name(roled_decision decision);

/* One HTTP header as the service received it (name and value NUL-terminated). */
typedef struct roled_header {
        const char *name;
        const char *value;
} roled_header;

/*
 * roled_signed_request - a whole SigV4-signed HTTP request, as received.
 * The agent takes the session token from x-amz-security-token (which must be
 * signed), recomputes the secret of the access key id and checks the
 * signature (Authorization header or presigned query) and X-Amz-Date.
 */
typedef struct roled_signed_request {
        const char *method;          /* "GET", ... */
        const char *path;            /* raw, as on the request line, without the query */
        const char *query;           /* raw, without '?'; NULL or "": none */
        const roled_header *headers; /* every header received, at most 64 */
        size_t n_headers;
        const char *payload_sha256;  /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; NULL: use @body */
        const void *body;            /* when payload_sha256 is NULL: the body (NULL with 0: empty) */
        size_t body_len;
} roled_signed_request;

/* One extra request context key with one or more values (an IAM multi-valued key when > 1). */
typedef struct roled_context_entry {
        const char *key;            /* e.g. "s3:prefix"; at most 128 bytes */
        const char *const *values;  /* @n_values strings of at most 1024 bytes each */
        size_t n_values;            /* 0: the key is present with no value */
} roled_context_entry;

/* A question for roled_authorize(); zero-initialise, then set what you need. */
typedef struct roled_authz_request {
        const char *session_token;   /* the caller's session token, or NULL with @signed_request */
        const char *access_key_id;   /* optional with @session_token: must be the token's */
        const roled_signed_request *signed_request; /* instead of @session_token */
        const char *action;          /* required, e.g. "s3:GetObject" (1..256 bytes) */
        const char *resource;        /* required, e.g. "arn:aws:s3:::bucket/key" (1..2048 bytes) */
        const char *region;          /* aws:RequestedRegion; NULL: none (signed: the credential scope's,
                                      * and when set, the scope must name this region) */
        const roled_context_entry *context; /* extra keys; they can never override attested ones */
        size_t n_context;            /* at most 64 */
        /* With @signed_request, required: the endpoint the request must have been signed for. */
        const char *service;         /* the credential scope's service, e.g. "s3" */
        const char *host;            /* the signed Host header, e.g. "127.0.0.1:8080" (case-insensitive) */
} roled_authz_request;

/* A question for roled_simulate(); zero-initialise, then set what you need. */
typedef struct roled_simulate_request {
        const char *role;            /* required */
        const char *action;          /* required */
        const char *resource;        /* required */
        const char *region;          /* NULL: none */
        const roled_context_entry *context; /* every key is taken as given, roled:* included */
        size_t n_context;
        const char *session_policy;  /* JSON to intersect with, or NULL */
} roled_simulate_request;

/* The agent's answer to roled_authorize() and roled_simulate(). */
typedef struct roled_authz_result {
        roled_decision decision;
        bool has_match;              /* a statement decided; the next three fields describe it */
        char policy[4096];           /* "session policy", or the permissions policy's file */
        uint32_t statement;          /* 0-based index in that policy */
        char sid[256];               /* "" when the statement has no Sid */
        char role[65];               /* the role whose permissions were evaluated */
        char reason[512];            /* "" unless the agent denied without evaluating */
} roled_authz_result;

/*
 * roled_authorize() - may the session behind @req do @req->action on
 * @req->resource?  (Authorize)
 * @client: connected client
 * @req: the session (token, or a whole signed request) and the question
 * @res: filled on ROLED_OK, whatever the decision
 *
 * The agent verifies the token (signature, expiry, revocation) and takes
 * the principal's context keys (roled:*, aws:username = the local user,
 * aws:userid, aws:PrincipalArn, ...) from its signed claims.  A deny is a
 * decision, not an error: check @res->decision.
 * Return: ROLED_OK; ROLED_E_INVALID_TOKEN (bad or revoked token, or an
 * access key id that is not the token's), ROLED_E_EXPIRED_TOKEN,
 * ROLED_E_INVALID_PARAMETER_VALUE (also: a context key that names an
 * attested key), ROLED_E_INVALID_PARAMETER; with a signed request
 * ROLED_E_SIGNATURE_DOES_NOT_MATCH, ROLED_E_INCOMPLETE_SIGNATURE,
 * (also: signed for another service, region or host than @req names),
 * ROLED_E_REQUEST_EXPIRED; ROLED_E_INVALID_ARGUMENT (no action, resource
 * or session, or a signed request without service and host); or a
 * connection error.  roled_client_last_error() has the
 * agent's message.
 */
ROLED_EXPORT roled_status roled_authorize(roled_client *client, const roled_authz_request *req,
                                          roled_authz_result *res);

/*
 * roled_simulate() - what would @req->role's permissions decide for this
 * action, resource and context?  (Simulate; root or the agent's user only)
 * @client: connected client
 * @req: the role, the question and an optional session policy
 * @res: filled on ROLED_OK, whatever the decision
 *
 * Return: ROLED_OK; ROLED_E_ACCESS_DENIED (not an administrator),
 * ROLED_E_NO_SUCH_ENTITY, ROLED_E_MALFORMED_POLICY_DOCUMENT,
 * ROLED_E_INVALID_PARAMETER(_VALUE), ROLED_E_INVALID_ARGUMENT, or a
 * connection error.
 */
ROLED_EXPORT roled_status roled_simulate(roled_client *client, const roled_simulate_request *req,
                                         roled_authz_result *res);

/* A role's definition, as IAM's GetRole shows it.  Every string is heap, owned by the struct. */
typedef struct roled_role {
        char *name;
        char *arn;
        char *role_id;               /* "AROA..." */
        char *description;           /* "" when none */
        uint32_t max_session_duration; /* seconds */
        char *issuer;
        char *file;                  /* where the role is defined */
        char *trust_rules_json;      /* the IAM trust document [trust] compiles to, or NULL */
        char *trust_policy_json;     /* the role's JSON trust document, or NULL */
        char *permissions_policy_json; /* its permissions policy, or NULL */
} roled_role;

/* roled_role_clear() - free what @role holds and zero it (safe on a zeroed struct). */
ROLED_EXPORT void roled_role_clear(roled_role *role);

/*
 * roled_get_role() - a role's definition (GetRole).
 * @client: connected client
 * @name: the role name
 * @role: filled on ROLED_OK; the caller frees it with roled_role_clear()
 *
 * Administrators see every role; others only roles that trust them.
 * Return: ROLED_OK; ROLED_E_ACCESS_DENIED (not trusted, or no such role for
 * a non-administrator), ROLED_E_NO_SUCH_ENTITY (administrators only),
 * ROLED_E_INVALID_PARAMETER_VALUE, ROLED_E_INVALID_ARGUMENT, ROLED_E_NOMEM,
 * or a connection error.
 */
ROLED_EXPORT roled_status roled_get_role(roled_client *client, const char *name, roled_role *role);

/*
 * Logins (for PAM): pam_roled.so tells the agent that a login started or
 * ended.  Root and the agent's user only.
 */
typedef enum roled_login_event {
        ROLED_LOGIN_START = 0, /* a login of @user started: recorded, and a session pre-warmed */
        ROLED_LOGIN_END,       /* the login @login_id ended; the last one of its uid ends its sessions */
        ROLED_LOGIN_CHECK,     /* nothing recorded: how many roles may @user assume? */
} roled_login_event;

/* A Login request; zero-initialise, then set what the event needs. */
typedef struct roled_login_request {
        roled_login_event event;
        const char *user;     /* START, CHECK: the user logging in */
        const char *service;  /* START, optional: PAM_SERVICE */
        const char *tty;      /* START, optional: PAM_TTY */
        const char *rhost;    /* START, optional: PAM_RHOST */
        const char *role;     /* START, optional: pre-warm this role instead of the default one */
        const char *login_id; /* END: what START returned */
} roled_login_request;

/* The agent's answer to roled_login(). */
typedef struct roled_login_result {
        uint32_t uid;          /* the user's uid */
        char login_id[65];     /* START: the login's id, for END */
        uint32_t n_logins;     /* the uid's open logins after this event */
        uint32_t n_assumable;  /* START, CHECK: roles the user may assume as a login shell */
        char role[65];         /* START: the role pre-warmed; CHECK: the default role; "" when none */
        char reason[256];      /* START: why nothing was pre-warmed ("" otherwise) */
        uint32_t n_revoked;    /* END: sessions ended because the uid's last login ended */
} roled_login_result;

/*
 * roled_login() - tell the agent about a login (Login).
 * @client: connected client
 * @req: the event and its fields
 * @res: filled on ROLED_OK
 * Return: ROLED_OK; ROLED_E_ACCESS_DENIED (not root or the agent's user),
 * ROLED_E_NO_SUCH_ENTITY (unknown user, or END of an unknown login),
 * ROLED_E_THROTTLING (too many open logins), ROLED_E_INVALID_ARGUMENT,
 * ROLED_E_INVALID_PARAMETER(_VALUE), ROLED_E_UNSUPPORTED_OPERATION (an
 * agent without Login), or a connection error.
 */
ROLED_EXPORT roled_status roled_login(roled_client *client, const roled_login_request *req,
                                      roled_login_result *res);

#ifdef __cplusplus
}
#endif

#endif
