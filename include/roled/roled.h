/* SPDX-License-Identifier: MIT */
/*
 * roled.h - libroled, the client library of the roled credential agent.
 *
 * A process links libroled to obtain short-lived, AWS-shaped credentials for
 * a role from the local roled agent, to ask who the agent thinks it is, to
 * list the roles it may assume, to verify session tokens and to ask the agent
 * whether a session may do something.  This is the only header users include.
 * libroled(3) is the manual; every function below names its THREAD SAFETY,
 * BLOCKING and ERRORS there and in short here.
 *
 * Shape, in the manner of sd-bus and libcurl's multi interface:
 *  - a roled_client is one connection with any number of calls in flight
 *    (pipelined, matched by msgid);
 *  - an event loop drives it with roled_client_get_fd(), _get_events(),
 *    _get_timeout() and _process(), and starts calls with the *_async()
 *    functions, whose callbacks run inside roled_client_process();
 *  - the blocking calls are built on the same core: any thread may make them
 *    at any time, several at once on one client, each bounded as a whole by
 *    the client's timeout;
 *  - results are opaque, reference-counted objects read through getters;
 *    secrets in them are wiped when the last reference goes;
 *  - every call takes an optional roled_error for its status and message;
 *  - fork(): a client belongs to the process that connected it.  The agent
 *    answers a connection only for the process it attested there, so in a
 *    forked child every call fails with ROLED_E_FORKED and the child
 *    connects a client of its own; the parent's connection is untouched.
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

/* The version of the header; roled_version() is the library's. */
#define ROLED_VERSION_MAJOR 0
#define ROLED_VERSION_MINOR 1
#define ROLED_VERSION_PATCH 0

/*
 * roled_status - what a call returned.  0 is success; the AWS-named codes are
 * the agent's answers, the rest are failures on this side of the socket.
 *
 * ROLED_E_IO does not always mean "nothing happened".  When the connection
 * breaks with a call unanswered, libroled sends the call again on a new
 * connection if the agent cannot have read it, or if running it twice is
 * harmless (reads, GetCredentials, Authorize, Reload).  These are never
 * sent twice once the agent may have read them: roled_assume_role() and
 * roled_assume_role_async() (each run mints a new session), roled_revoke()
 * (a second one would also end the sessions made in between),
 * roled_revoke_session() (a second one would find the session gone and
 * answer NoSuchEntity), roled_login() (a second login would be registered)
 * and roled_mfa() (the one-time code would be used twice).  From these,
 * ROLED_E_IO may mean that the agent received the call and acted on it: a
 * session was minted, sessions were ended, the login was counted, the code
 * was used.  Look before repeating one (roled_list_sessions(), or a fresh
 * MFA code).  ROLED_E_TIMEOUT leaves the same doubt for any call that was
 * sent.
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
        /*
         * The request was sent before the agent had seen the caller's
         * executable, and the answer rests on it: send it again on the same
         * connection.  libroled does so itself, once; callers see it only
         * if the agent answers it twice.
         */
        ROLED_E_SENT_BEFORE_ATTESTATION,
        /* This side of the socket. */
        ROLED_E_NO_AGENT = 100,  /* no socket found, or connect() failed */
        ROLED_E_UNTRUSTED_AGENT, /* the socket or its peer is not owned by root or the agent's user
                                  */
        ROLED_E_PROTOCOL,        /* the agent sent something that is not a valid answer */
        ROLED_E_IO,              /* the connection broke mid-request (see above) */
        ROLED_E_TIMEOUT,         /* no answer within the client's timeout */
        ROLED_E_NOMEM,
        ROLED_E_INVALID_ARGUMENT, /* bad argument to a library call */
        ROLED_E_BAD_SIGNATURE,    /* roled_verify_token(): the token does not verify */
        ROLED_E_FORKED,    /* the client was created by another process (used after fork()) */
        ROLED_E_CANCELLED, /* an asynchronous call ended by roled_client_close() */
} roled_status;

/* roled_strerror() - a static English description of @status.  Any thread; never blocks. */
ROLED_EXPORT const char *roled_strerror(roled_status status);
/* roled_status_name() - the wire/AWS name of @status ("AccessDenied", ...).  Any thread; never
 * blocks. */
ROLED_EXPORT const char *roled_status_name(roled_status status);
/* roled_version() - the library's version, "MAJOR.MINOR.PATCH".  Any thread; never blocks. */
ROLED_EXPORT const char *roled_version(void);

/*
 * roled_error - what went wrong with one call.  Declare it with
 * ROLED_ERROR_INIT, pass it to any number of calls (each failure replaces
 * the previous message, each success leaves it as it was) and release it
 * with roled_error_clear().  The message is one line and never holds a
 * secret.  Belongs to the caller: one roled_error per thread at a time.
 */
typedef struct roled_error {
        size_t size;         /* sizeof(roled_error), set by ROLED_ERROR_INIT */
        roled_status status; /* ROLED_OK until a call fails */
        char *message;       /* heap, owned by the struct; NULL: use roled_error_message() */
} roled_error;

#define ROLED_ERROR_INIT                                                                           \
        {                                                                                          \
                sizeof(roled_error), ROLED_OK, NULL                                                \
        }

/* roled_error_message() - @err's message, or roled_strerror(@err->status) when it has none. */
ROLED_EXPORT const char *roled_error_message(const roled_error *err);
/* roled_error_clear() - free the message and reset @err to ROLED_ERROR_INIT (NULL is fine). */
ROLED_EXPORT void roled_error_clear(roled_error *err);

typedef struct roled_client roled_client;

/* Options for roled_client_connect(); start from ROLED_CLIENT_OPTIONS_INIT. */
typedef struct roled_client_options {
        size_t size;             /* sizeof(roled_client_options), set by the _INIT macro */
        const char *socket_path; /* NULL: $ROLED_SOCKET, then $XDG_RUNTIME_DIR/roled/roled.sock,
                                    then /run/roled/roled.sock */
        int timeout_ms;          /* bound on each whole call; <= 0: 5000 */
} roled_client_options;

#define ROLED_CLIENT_OPTIONS_INIT                                                                  \
        {                                                                                          \
                sizeof(roled_client_options), NULL, 0                                              \
        }

/*
 * roled_client_connect() - find, check and connect to the agent.
 * @opts: options, or NULL for the defaults
 * @clientp: the new client (roled_client_close()); NULL on failure
 * @err: optional
 *
 * Checks that the socket and its directory belong to root or to this
 * process's effective uid, that the directory is not writable by others
 * (unless sticky), and that the peer's SO_PEERCRED uid is root or this uid.
 * When searching, a candidate where nothing listens is skipped.
 * THREAD SAFETY: any thread.  BLOCKING: connect() on a Unix socket only.
 * ERRORS: ROLED_E_NO_AGENT, ROLED_E_UNTRUSTED_AGENT, ROLED_E_INVALID_ARGUMENT
 * (path empty or too long, @clientp NULL), ROLED_E_NOMEM.
 */
ROLED_EXPORT roled_status roled_client_connect(const roled_client_options *opts,
                                               roled_client **clientp, roled_error *err);
/*
 * roled_client_close() - end every call in flight (async callbacks run with
 * ROLED_E_CANCELLED), close and free @client (NULL is fine); wipes cached
 * secrets.  THREAD SAFETY: once, when no other thread uses @client.
 * BLOCKING: no.  In a child after fork() it only frees memory.
 */
ROLED_EXPORT void roled_client_close(roled_client *client);
/* roled_client_socket_path() - the socket @client connected to (borrowed).  Any thread; never
 * blocks. */
ROLED_EXPORT const char *roled_client_socket_path(const roled_client *client);

/*
 * Event-loop integration.  roled_client_get_fd() is one file descriptor that
 * stays the same for the client's life (it is an epoll instance holding the
 * connection, whichever connection that is now); poll it for
 * roled_client_get_events() and, whenever it is ready or
 * roled_client_get_timeout() milliseconds have passed, call
 * roled_client_process().  THREAD SAFETY: any thread, but callbacks of
 * asynchronous calls run only inside roled_client_process(), so call it from
 * one thread (the loop's).  BLOCKING: never.
 */
ROLED_EXPORT int roled_client_get_fd(roled_client *client);
/* roled_client_get_events() - the poll(2) events to wait for on roled_client_get_fd() (POLLIN). */
ROLED_EXPORT short roled_client_get_events(roled_client *client);
/* roled_client_get_timeout() - ms until roled_client_process() must run at the latest; -1: no
 * deadline. */
ROLED_EXPORT int roled_client_get_timeout(roled_client *client);
/*
 * roled_client_process() - read and write what can be done without
 * blocking, act on the agent's notifications, end calls whose time is up,
 * and run the callbacks of finished asynchronous calls.
 * ERRORS: ROLED_E_FORKED, ROLED_E_INVALID_ARGUMENT; a broken connection is
 * reported to the calls it ends, not here.
 */
ROLED_EXPORT roled_status roled_client_process(roled_client *client, roled_error *err);

/*
 * Credentials, as AWS STS shapes them: an immutable, reference-counted
 * object.  Getters never return NULL for a valid object ("" when absent).
 * roled_credentials_ref() adds a reference; roled_credentials_unref() drops
 * one and wipes the secrets with the last (NULL is fine; returns NULL).
 * THREAD SAFETY: an object may be read and ref/unref'd from any thread.
 */
typedef struct roled_credentials roled_credentials;
ROLED_EXPORT roled_credentials *roled_credentials_ref(roled_credentials *creds);
ROLED_EXPORT roled_credentials *roled_credentials_unref(roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_access_key_id(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_secret_access_key(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_session_token(const roled_credentials *creds);
ROLED_EXPORT time_t roled_credentials_expiration(const roled_credentials *creds); /* Unix seconds */
ROLED_EXPORT const char *
roled_credentials_expiration_iso(const roled_credentials *creds); /* YYYY-MM-DDTHH:MM:SSZ */
ROLED_EXPORT const char *roled_credentials_role(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_role_arn(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_assumed_role_arn(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_session_id(const roled_credentials *creds);
ROLED_EXPORT const char *roled_credentials_issuer(const roled_credentials *creds);

#define ROLED_CREDENTIALS_FRESH 1u /* bypass libroled's in-process cache */

/* What roled_get_credentials() asks for; start from ROLED_CREDENTIALS_REQUEST_INIT. */
typedef struct roled_credentials_request {
        size_t size;                /* sizeof(roled_credentials_request) */
        const char *role;           /* NULL: the caller's default role */
        uint32_t duration_seconds;  /* 0: the agent's default */
        const char *session_policy; /* NULL: none */
        unsigned flags;             /* ROLED_CREDENTIALS_* */
} roled_credentials_request;

#define ROLED_CREDENTIALS_REQUEST_INIT                                                             \
        {                                                                                          \
                sizeof(roled_credentials_request), NULL, 0, NULL, 0                                \
        }

/* Completion of an asynchronous credentials call: @creds is the callback's to unref (NULL on
 * error). */
typedef void (*roled_credentials_cb)(roled_client *client, roled_status status,
                                     roled_credentials *creds, const roled_error *err,
                                     void *userdata);

/*
 * roled_get_credentials() - credentials for a role.
 * @req: what to ask, or NULL for the default role with default duration
 * @credsp: a new reference on ROLED_OK, NULL otherwise
 *
 * Served from libroled's in-process cache (keyed by role, duration and
 * session policy) while now < expiration - margin, margin = max(20 min,
 * lifetime / 4) capped at lifetime / 2, the rule the agent renews by; then
 * the agent is asked.  When the agent cannot answer (ROLED_E_TIMEOUT,
 * ROLED_E_IO, ROLED_E_NO_AGENT, Internal, UpstreamUnavailable) the cached
 * set is served until it actually expires (stale-if-error).  While one
 * thread renews an entry, others get the cached set at once.  The agent's
 * SessionsRevoked notification empties the matching entries, and its
 * SessionRenewed notification (a session replaced ahead of its expiry) makes
 * the entry holding the old credentials due for renewal: in a client driven
 * by roled_client_process() as soon as it runs, otherwise at the next call
 * that comes 100 ms or more after the previous look.
 * THREAD SAFETY: any thread.  BLOCKING: not on a cache hit (a short lock);
 * otherwise until the answer or the client's timeout.
 * ERRORS: the agent's (AccessDenied, NoSuchEntity, InvalidParameterValue,
 * MalformedPolicyDocument, UpstreamUnavailable, Throttling), ROLED_E_TIMEOUT,
 * ROLED_E_IO, ROLED_E_NO_AGENT, ROLED_E_UNTRUSTED_AGENT, ROLED_E_PROTOCOL,
 * ROLED_E_NOMEM, ROLED_E_INVALID_ARGUMENT, ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_get_credentials(roled_client *client,
                                                const roled_credentials_request *req,
                                                roled_credentials **credsp, roled_error *err);
/*
 * roled_get_credentials_async() - the same, answered through @cb from
 * roled_client_process() (a cache hit too: never from inside this call).
 * Return: ROLED_OK when @cb will run; otherwise the error and @cb never runs.
 */
ROLED_EXPORT roled_status roled_get_credentials_async(roled_client *client,
                                                      const roled_credentials_request *req,
                                                      roled_credentials_cb cb, void *userdata,
                                                      roled_error *err);

/* What roled_assume_role() asks for; start from ROLED_ASSUME_ROLE_REQUEST_INIT. */
typedef struct roled_assume_role_request {
        size_t size;                /* sizeof(roled_assume_role_request) */
        const char *role;           /* required */
        uint32_t duration_seconds;  /* 0: the agent's default */
        const char *session_policy; /* NULL: none */
        const char *session_name;   /* NULL: <user>-XXXXXXXX (random hex) */
        const char *source_token;   /* the caller's current session token, for role chaining */
} roled_assume_role_request;

#define ROLED_ASSUME_ROLE_REQUEST_INIT                                                             \
        {                                                                                          \
                sizeof(roled_assume_role_request), NULL, 0, NULL, NULL, NULL                       \
        }

/*
 * roled_assume_role() - a fresh (uncached) session.  THREAD SAFETY: any
 * thread.  BLOCKING: until the answer or the client's timeout.  ERRORS: as
 * roled_get_credentials(), plus ROLED_E_INVALID_TOKEN for a bad source token;
 * ROLED_E_IO may mean a session was minted (never sent twice: roled_status).
 */
ROLED_EXPORT roled_status roled_assume_role(roled_client *client,
                                            const roled_assume_role_request *req,
                                            roled_credentials **credsp, roled_error *err);
ROLED_EXPORT roled_status roled_assume_role_async(roled_client *client,
                                                  const roled_assume_role_request *req,
                                                  roled_credentials_cb cb, void *userdata,
                                                  roled_error *err);

/* The identity the agent attested for this connection (GetCallerIdentity); reference-counted. */
typedef struct roled_identity roled_identity;
ROLED_EXPORT roled_identity *roled_identity_ref(roled_identity *id);
ROLED_EXPORT roled_identity *roled_identity_unref(roled_identity *id);
ROLED_EXPORT uint32_t roled_identity_uid(const roled_identity *id);
ROLED_EXPORT uint32_t roled_identity_gid(const roled_identity *id);
/* 0 when the caller is not in the agent's pid namespace (the agent shows no host pid). */
ROLED_EXPORT uint32_t roled_identity_pid(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_user(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_group(const roled_identity *id);
/* roled_identity_groups() - every gid the agent saw (primary and supplementary); *@n_groupsp gets
 * the count. */
ROLED_EXPORT const uint32_t *roled_identity_groups(const roled_identity *id, size_t *n_groupsp);
ROLED_EXPORT const char *roled_identity_exe(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_unit(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_cgroup(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_account(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_arn(const roled_identity *id);
ROLED_EXPORT const char *roled_identity_default_role(const roled_identity *id); /* "" when none */

typedef void (*roled_identity_cb)(roled_client *client, roled_status status, roled_identity *id,
                                  const roled_error *err, void *userdata);
/* roled_whoami() - GetCallerIdentity.  Any thread; blocks until the answer or the timeout;
 * connection errors. */
ROLED_EXPORT roled_status roled_whoami(roled_client *client, roled_identity **idp,
                                       roled_error *err);
ROLED_EXPORT roled_status roled_whoami_async(roled_client *client, roled_identity_cb cb,
                                             void *userdata, roled_error *err);

/* The roles visible to the caller (ListRoles); reference-counted, read by index. */
typedef struct roled_role_list roled_role_list;
ROLED_EXPORT roled_role_list *roled_role_list_ref(roled_role_list *list);
ROLED_EXPORT roled_role_list *roled_role_list_unref(roled_role_list *list);
ROLED_EXPORT size_t roled_role_list_count(const roled_role_list *list);
/* Getters for entry @i < roled_role_list_count(); out of range gives "" / 0 / false. */
ROLED_EXPORT const char *roled_role_list_name(const roled_role_list *list, size_t i);
ROLED_EXPORT const char *roled_role_list_description(const roled_role_list *list, size_t i);
ROLED_EXPORT const char *roled_role_list_arn(const roled_role_list *list, size_t i);
ROLED_EXPORT uint32_t roled_role_list_max_session_duration(const roled_role_list *list, size_t i);
ROLED_EXPORT const char *roled_role_list_issuer(const roled_role_list *list, size_t i);
ROLED_EXPORT bool roled_role_list_is_default(const roled_role_list *list, size_t i);
ROLED_EXPORT bool roled_role_list_is_assumable(const roled_role_list *list, size_t i);

/* roled_list_roles() - ListRoles.  Any thread; blocks until the answer or the timeout; connection
 * errors. */
ROLED_EXPORT roled_status roled_list_roles(roled_client *client, roled_role_list **listp,
                                           roled_error *err);

/*
 * roled_revoke() - end the caller's sessions (of @role, or all when NULL);
 * *@n_revokedp (may be NULL) gets the count.  Empties @client's cache of
 * them; the agent also tells every other connection of this uid.
 * Any thread; blocks until the answer or the timeout; connection errors
 * (ROLED_E_IO may mean the sessions were revoked: never sent twice,
 * roled_status).
 */
ROLED_EXPORT roled_status roled_revoke(roled_client *client, const char *role, uint32_t *n_revokedp,
                                       roled_error *err);

/*
 * Live sessions (ListSessions): what identifies each one, never its secret or
 * token.  A user sees their own; root and the agent's user see every uid's,
 * or one uid's with ROLED_SESSIONS_ONE_UID.
 */
#define ROLED_SESSIONS_ONE_UID 1u /* only @uid's sessions (another uid's: admins only) */

/* What roled_list_sessions() asks for; start from ROLED_SESSIONS_REQUEST_INIT. */
typedef struct roled_sessions_request {
        size_t size;      /* sizeof(roled_sessions_request) */
        const char *role; /* NULL: any role */
        uint32_t uid;     /* with ROLED_SESSIONS_ONE_UID */
        unsigned flags;   /* ROLED_SESSIONS_* */
} roled_sessions_request;

#define ROLED_SESSIONS_REQUEST_INIT                                                                \
        {                                                                                          \
                sizeof(roled_sessions_request), NULL, 0, 0                                         \
        }

/* The listed sessions, in session id order; reference-counted, read by index. */
typedef struct roled_session_list roled_session_list;
ROLED_EXPORT roled_session_list *roled_session_list_ref(roled_session_list *list);
ROLED_EXPORT roled_session_list *roled_session_list_unref(roled_session_list *list);
ROLED_EXPORT size_t roled_session_list_count(const roled_session_list *list);
/* Getters for entry @i < roled_session_list_count(); out of range gives "" / 0. */
ROLED_EXPORT const char *roled_session_list_session_id(const roled_session_list *list, size_t i);
ROLED_EXPORT const char *roled_session_list_access_key_id(const roled_session_list *list, size_t i);
ROLED_EXPORT const char *roled_session_list_role(const roled_session_list *list, size_t i);
ROLED_EXPORT const char *roled_session_list_assumed_role_arn(const roled_session_list *list,
                                                             size_t i);
ROLED_EXPORT const char *roled_session_list_issuer(const roled_session_list *list,
                                                   size_t i); /* "local", "aws" */
ROLED_EXPORT const char *roled_session_list_kind(const roled_session_list *list,
                                                 size_t i); /* "cached", "assumed" */
ROLED_EXPORT uint32_t roled_session_list_uid(const roled_session_list *list, size_t i);
ROLED_EXPORT const char *roled_session_list_user(const roled_session_list *list,
                                                 size_t i); /* the uid's name (or number) */
ROLED_EXPORT time_t roled_session_list_issued(const roled_session_list *list,
                                              size_t i); /* Unix seconds */
ROLED_EXPORT time_t roled_session_list_expiration(const roled_session_list *list,
                                                  size_t i); /* Unix seconds */

/*
 * roled_list_sessions() - the live sessions the caller may see (ListSessions,
 * every page of it).
 * @req: NULL for the defaults (own sessions; an admin's: every uid's)
 * @listp: a new reference on ROLED_OK, NULL otherwise
 * THREAD SAFETY: any thread.  BLOCKING: one call per 100 sessions, each
 * until the answer or the client's timeout.
 * ERRORS: ROLED_E_ACCESS_DENIED (another uid's, not an admin),
 * ROLED_E_INVALID_PARAMETER_VALUE, ROLED_E_UNSUPPORTED_OPERATION (an older
 * agent), ROLED_E_INVALID_ARGUMENT, connection errors, ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_list_sessions(roled_client *client,
                                              const roled_sessions_request *req,
                                              roled_session_list **listp, roled_error *err);

/*
 * roled_revoke_session() - end exactly one session, named by its session id
 * (roled_session_list_session_id(), roled_credentials_session_id()): the
 * caller's own, or anyone's for root and the agent's user.  Empties
 * @client's credential cache; the agent tells the owner's connections.
 * THREAD SAFETY: any thread.  BLOCKING: two calls, each until the answer or
 * the client's timeout.
 * ERRORS: ROLED_E_NO_SUCH_ENTITY (no live session with that id that the
 * caller may end: another user's looks the same as none),
 * ROLED_E_UNSUPPORTED_OPERATION (an agent without ListSessions: nothing is
 * revoked), ROLED_E_INVALID_ARGUMENT, connection errors (ROLED_E_IO from
 * the Revoke may mean the session was ended: never sent twice, roled_status),
 * ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_revoke_session(roled_client *client, const char *session_id,
                                               roled_error *err);

/*
 * roled_reload() - ask the agent to re-read its configuration (admin only);
 * *@n_rolesp (may be NULL) gets the number of roles now loaded.
 * ERRORS: ROLED_E_ACCESS_DENIED, ROLED_E_INVALID_PARAMETER_VALUE (broken
 * configuration: the message names file:line), connection errors.
 */
ROLED_EXPORT roled_status roled_reload(roled_client *client, uint32_t *n_rolesp, roled_error *err);

/* roled_agent_status_json() - the agent's Status as a JSON object text; *@jsonp is the caller's
 * (free()). */
ROLED_EXPORT roled_status roled_agent_status_json(roled_client *client, char **jsonp,
                                                  roled_error *err);

/* Claims carried by a verified session token; reference-counted. */
typedef struct roled_token_claims roled_token_claims;
ROLED_EXPORT roled_token_claims *roled_token_claims_ref(roled_token_claims *claims);
ROLED_EXPORT roled_token_claims *roled_token_claims_unref(roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_access_key_id(const roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_session_id(const roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_role(const roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_role_arn(const roled_token_claims *claims);
ROLED_EXPORT uint32_t roled_token_claims_uid(const roled_token_claims *claims);
ROLED_EXPORT uint32_t roled_token_claims_gid(const roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_user(const roled_token_claims *claims);
/*
 * roled_token_claims_exe() - the caller's executable, or "" when the session
 * names none: only sessions of roles whose answers rest on the executable
 * (exe rules, claim_exe; PROTOCOL.md section 6) name it.  Which roles those
 * are: roled_role_exe_claim().
 */
ROLED_EXPORT const char *roled_token_claims_exe(const roled_token_claims *claims);
ROLED_EXPORT const char *roled_token_claims_unit(const roled_token_claims *claims);
ROLED_EXPORT time_t roled_token_claims_issued(const roled_token_claims *claims);
ROLED_EXPORT time_t roled_token_claims_expires(const roled_token_claims *claims);
/* roled_token_claims_policy_sha256() - the session policy's SHA-256 (32 bytes), or NULL when none.
 */
ROLED_EXPORT const uint8_t *roled_token_claims_policy_sha256(const roled_token_claims *claims);
ROLED_EXPORT const char *
roled_token_claims_source_role(const roled_token_claims *claims); /* "" unless chained */

/*
 * roled_verify_token() - verify a session token offline.
 * @claims: a new reference on ROLED_OK, NULL otherwise
 *
 * Checks the signature against the agent's public keys and the expiry
 * against the clock; it does not know about revocation (roled_authorize()
 * does).  The keys come from the agent once; after 5 minutes they are
 * fetched again in the background while the known keys keep verifying, so a
 * slow or stopped agent does not delay verification.  Only a token naming a
 * key the client does not have (rotation) waits for the agent.
 * THREAD SAFETY: any thread.  BLOCKING: no, except for the first call and an
 * unknown key (then until the answer or the timeout).
 * ERRORS: ROLED_E_BAD_SIGNATURE, ROLED_E_EXPIRED_TOKEN (authentic but
 * expired), ROLED_E_INVALID_TOKEN (not a roled token, or too long),
 * connection errors while fetching keys, ROLED_E_INVALID_ARGUMENT, ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_verify_token(roled_client *client, const char *token,
                                             roled_token_claims **claimsp, roled_error *err);

/*
 * Authorization: "may this session do this?"  A local service that
 * received a caller's roled credentials asks with roled_authorize(); an
 * administrator asks about a role with roled_simulate(); anyone the role
 * trusts reads its definition with roled_get_role().
 */

/* roled_decision - the outcome of an evaluation. */
typedef enum roled_decision {
        ROLED_DECISION_IMPLICIT_DENY =
                0, /* no statement allowed it (or the agent could not evaluate) */
        ROLED_DECISION_ALLOW,
        ROLED_DECISION_EXPLICIT_DENY, /* a Deny statement matched */
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
        size_t size;                 /* sizeof(roled_signed_request) */
        const char *method;          /* "GET", ... */
        const char *path;            /* raw, as on the request line, without the query */
        const char *query;           /* raw, without '?'; NULL or "": none */
        const roled_header *headers; /* every header received, at most 64 */
        size_t n_headers;
        const char *payload_sha256; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; NULL: use
                                       @body */
        const void *body;           /* when payload_sha256 is NULL: the body (NULL with 0: empty) */
        size_t body_len;
} roled_signed_request;

#define ROLED_SIGNED_REQUEST_INIT                                                                  \
        {                                                                                          \
                sizeof(roled_signed_request), NULL, NULL, NULL, NULL, 0, NULL, NULL, 0             \
        }

/* One extra request context key with one or more values (an IAM multi-valued key when > 1). */
typedef struct roled_context_entry {
        const char *key;           /* e.g. "s3:prefix"; at most 128 bytes */
        const char *const *values; /* @n_values strings of at most 1024 bytes each */
        size_t n_values;           /* 0: the key is present with no value */
} roled_context_entry;

/* A question for roled_authorize(); start from ROLED_AUTHZ_REQUEST_INIT. */
typedef struct roled_authz_request {
        size_t size;               /* sizeof(roled_authz_request) */
        const char *session_token; /* the caller's session token, or NULL with @signed_request */
        const char *access_key_id; /* optional with @session_token: must be the token's */
        const roled_signed_request *signed_request; /* instead of @session_token */
        const char *action;   /* required, e.g. "s3:GetObject" (1..256 bytes) */
        const char *resource; /* required, e.g. "arn:aws:s3:::bucket/key" (1..2048 bytes) */
        const char *region;   /* aws:RequestedRegion; NULL: none (signed: the credential scope's,
                               * and when set, the scope must name this region) */
        const roled_context_entry *context; /* extra keys; they can never override attested ones */
        size_t n_context;                   /* at most 64 */
        /* With @signed_request, required: the endpoint the request must have been signed for. */
        const char *service; /* the credential scope's service, e.g. "s3" */
        const char *host;    /* the signed Host header, e.g. "127.0.0.1:8080" (case-insensitive) */
} roled_authz_request;

#define ROLED_AUTHZ_REQUEST_INIT                                                                   \
        {                                                                                          \
                sizeof(roled_authz_request), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,    \
                        NULL                                                                       \
        }

/* A question for roled_simulate(); start from ROLED_SIMULATE_REQUEST_INIT. */
typedef struct roled_simulate_request {
        size_t size;                        /* sizeof(roled_simulate_request) */
        const char *role;                   /* required */
        const char *action;                 /* required */
        const char *resource;               /* required */
        const char *region;                 /* NULL: none */
        const roled_context_entry *context; /* every key is taken as given, roled:* included */
        size_t n_context;
        const char *session_policy; /* JSON to intersect with, or NULL */
        /*
         * A user name, or NULL.  Set: the agent first decides whether that
         * user (as NSS knows them; running the file of a roled:exe context
         * key, in the unit of roled:unit, holding roled:role) may assume
         * @role, exactly as for their own GetCredentials (a refusal is an
         * implicit deny with the reason), then evaluates over the keys their
         * session would carry, plus the context's request keys.
         */
        const char *principal;
} roled_simulate_request;

#define ROLED_SIMULATE_REQUEST_INIT                                                                \
        {                                                                                          \
                sizeof(roled_simulate_request), NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL        \
        }

/* The agent's answer to roled_authorize() and roled_simulate(); reference-counted. */
typedef struct roled_authz_result roled_authz_result;
ROLED_EXPORT roled_authz_result *roled_authz_result_ref(roled_authz_result *res);
ROLED_EXPORT roled_authz_result *roled_authz_result_unref(roled_authz_result *res);
ROLED_EXPORT roled_decision roled_authz_result_decision(const roled_authz_result *res);
/* roled_authz_result_has_match() - a statement decided; _policy, _statement and _sid describe it.
 */
ROLED_EXPORT bool roled_authz_result_has_match(const roled_authz_result *res);
ROLED_EXPORT const char *roled_authz_result_policy(
        const roled_authz_result *res); /* "session policy", or the policy's file */
ROLED_EXPORT uint32_t roled_authz_result_statement(const roled_authz_result *res); /* 0-based */
ROLED_EXPORT const char *roled_authz_result_sid(const roled_authz_result *res); /* "" when none */
ROLED_EXPORT const char *roled_authz_result_role(const roled_authz_result *res);
ROLED_EXPORT const char *
roled_authz_result_reason(const roled_authz_result *res); /* "" unless denied without evaluating */

typedef void (*roled_authz_cb)(roled_client *client, roled_status status, roled_authz_result *res,
                               const roled_error *err, void *userdata);

/*
 * roled_authorize() - may the session behind @req do @req->action on
 * @req->resource?  (Authorize)  A deny is a decision, not an error.
 * @resp: a new reference on ROLED_OK, whatever the decision; NULL otherwise
 * THREAD SAFETY: any thread; several threads' calls are pipelined on the one
 * connection.  BLOCKING: until the answer or the client's timeout.
 * ERRORS: ROLED_E_INVALID_TOKEN (bad or revoked token, or an access key id
 * that is not the token's), ROLED_E_EXPIRED_TOKEN,
 * ROLED_E_INVALID_PARAMETER(_VALUE); with a signed request
 * ROLED_E_SIGNATURE_DOES_NOT_MATCH (also: signed for another service, region
 * or host than @req names), ROLED_E_INCOMPLETE_SIGNATURE,
 * ROLED_E_REQUEST_EXPIRED; ROLED_E_INVALID_ARGUMENT (no action, resource or
 * session, or a signed request without service and host); connection
 * errors; ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_authorize(roled_client *client, const roled_authz_request *req,
                                          roled_authz_result **resp, roled_error *err);
ROLED_EXPORT roled_status roled_authorize_async(roled_client *client,
                                                const roled_authz_request *req, roled_authz_cb cb,
                                                void *userdata, roled_error *err);

/*
 * roled_simulate() - what would @req->role's permissions decide?  (Simulate;
 * root or the agent's user only.)  Blocking like roled_authorize().
 * ERRORS: ROLED_E_ACCESS_DENIED, ROLED_E_NO_SUCH_ENTITY,
 * ROLED_E_MALFORMED_POLICY_DOCUMENT, ROLED_E_INVALID_PARAMETER(_VALUE),
 * ROLED_E_INVALID_ARGUMENT, connection errors.
 */
ROLED_EXPORT roled_status roled_simulate(roled_client *client, const roled_simulate_request *req,
                                         roled_authz_result **resp, roled_error *err);

/* A role's definition, as IAM's GetRole shows it; reference-counted. */
typedef struct roled_role roled_role;
ROLED_EXPORT roled_role *roled_role_ref(roled_role *role);
ROLED_EXPORT roled_role *roled_role_unref(roled_role *role);
ROLED_EXPORT const char *roled_role_name(const roled_role *role);
ROLED_EXPORT const char *roled_role_arn(const roled_role *role);
ROLED_EXPORT const char *roled_role_role_id(const roled_role *role); /* "AROA..." */
ROLED_EXPORT const char *roled_role_description(const roled_role *role);
ROLED_EXPORT uint32_t roled_role_max_session_duration(const roled_role *role);
ROLED_EXPORT const char *roled_role_issuer(const roled_role *role);
ROLED_EXPORT const char *roled_role_file(const roled_role *role);
/* The documents are NULL when the role has none. */
ROLED_EXPORT const char *roled_role_trust_rules_json(const roled_role *role);
/* [default] in the form of trust_rules_json (an agent before this field: NULL). */
ROLED_EXPORT const char *roled_role_default_rules_json(const roled_role *role);
ROLED_EXPORT const char *roled_role_trust_policy_json(const roled_role *role);
ROLED_EXPORT const char *roled_role_permissions_policy_json(const roled_role *role);
/* The role's [tags] (its sessions' aws:PrincipalTag/KEY keys), in no particular order; @i < count.
 */
ROLED_EXPORT size_t roled_role_tag_count(const roled_role *role);
ROLED_EXPORT const char *roled_role_tag_key(const roled_role *role, size_t i);
ROLED_EXPORT const char *roled_role_tag_value(const roled_role *role, size_t i);
/*
 * roled_role_exe_claim() - do the role's sessions name the caller's
 * executable (the token's exe claim, roled:exe in roled_authorize(), an aws
 * session's roled:exe tag and USER@PROGRAM session name)?  1 yes, 0 no, -1
 * the agent does not say (one from before GetRole's exeClaim).  The agent
 * answers from the test its issuers make for each session.
 */
ROLED_EXPORT int roled_role_exe_claim(const roled_role *role);
/*
 * Why they do: the causes, in this order, each once: "exe" or "exe_sha256"
 * (rules of [trust] or [default]), "trust_policy" or "permissions" (that
 * policy reads roled:exe or roled:exe-sha256), "claim_exe" (claim_exe = yes);
 * none when they do not.  Other names may come from a newer agent.  NULL
 * when @i is not below the count (as roled_role_tag_key()).
 */
ROLED_EXPORT size_t roled_role_exe_claim_cause_count(const roled_role *role);
ROLED_EXPORT const char *roled_role_exe_claim_cause(const roled_role *role, size_t i);

/*
 * roled_get_role() - a role's definition (GetRole).  Administrators see
 * every role; others only roles that trust them.  Blocking like
 * roled_authorize().  ERRORS: ROLED_E_ACCESS_DENIED, ROLED_E_NO_SUCH_ENTITY
 * (administrators only), ROLED_E_INVALID_PARAMETER_VALUE,
 * ROLED_E_INVALID_ARGUMENT, connection errors.
 */
ROLED_EXPORT roled_status roled_get_role(roled_client *client, const char *name, roled_role **rolep,
                                         roled_error *err);

/*
 * Logins (for PAM): pam_roled.so tells the agent that a login started or
 * ended.  Root and the agent's user only.
 */
typedef enum roled_login_event {
        ROLED_LOGIN_START = 0, /* a login of @user started: recorded, and a session pre-warmed */
        ROLED_LOGIN_END, /* the login @login_id ended; the last one of its uid ends its sessions */
        ROLED_LOGIN_CHECK, /* nothing recorded: how many roles may @user assume? */
} roled_login_event;

/* A Login request; start from ROLED_LOGIN_REQUEST_INIT, then set what the event needs. */
typedef struct roled_login_request {
        size_t size; /* sizeof(roled_login_request) */
        roled_login_event event;
        const char *user;     /* START, CHECK: the user logging in */
        const char *service;  /* START, optional: PAM_SERVICE */
        const char *tty;      /* START, optional: PAM_TTY */
        const char *rhost;    /* START, optional: PAM_RHOST */
        const char *role;     /* START, optional: pre-warm this role instead of the default one */
        const char *login_id; /* END: what START returned */
} roled_login_request;

#define ROLED_LOGIN_REQUEST_INIT                                                                   \
        {                                                                                          \
                sizeof(roled_login_request), ROLED_LOGIN_START, NULL, NULL, NULL, NULL, NULL, NULL \
        }

/* The agent's answer to roled_login(); reference-counted.  Strings are "" when absent. */
typedef struct roled_login_result roled_login_result;
ROLED_EXPORT roled_login_result *roled_login_result_ref(roled_login_result *res);
ROLED_EXPORT roled_login_result *roled_login_result_unref(roled_login_result *res);
ROLED_EXPORT uint32_t roled_login_result_uid(const roled_login_result *res); /* the user's uid */
ROLED_EXPORT const char *
roled_login_result_login_id(const roled_login_result *res); /* START: the id for END */
ROLED_EXPORT uint32_t roled_login_result_logins(
        const roled_login_result *res); /* the uid's open logins after this event */
ROLED_EXPORT uint32_t roled_login_result_assumable(
        const roled_login_result
                *res); /* START, CHECK: roles the user may assume as a login shell */
ROLED_EXPORT const char *roled_login_result_role(
        const roled_login_result *res); /* START: pre-warmed; CHECK: the default role */
ROLED_EXPORT const char *
roled_login_result_reason(const roled_login_result *res); /* START: why nothing was pre-warmed */
ROLED_EXPORT uint32_t roled_login_result_revoked(
        const roled_login_result *res); /* END: sessions ended with the uid's last login */

/*
 * roled_login() - tell the agent about a login (Login).
 * @req: the event and its fields
 * @resp: a new reference on ROLED_OK, NULL otherwise
 * THREAD SAFETY: any thread.  BLOCKING: until the answer or the client's timeout.
 * ERRORS: ROLED_E_ACCESS_DENIED (not root or the agent's user),
 * ROLED_E_NO_SUCH_ENTITY (unknown user, or END of an unknown login),
 * ROLED_E_THROTTLING (too many open logins), ROLED_E_INVALID_ARGUMENT,
 * ROLED_E_INVALID_PARAMETER(_VALUE), ROLED_E_UNSUPPORTED_OPERATION (an
 * agent without Login), connection errors (ROLED_E_IO may mean the event
 * was registered: never sent twice, roled_status), ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_login(roled_client *client, const roled_login_request *req,
                                      roled_login_result **resp, roled_error *err);

/*
 * roled_mfa() - hand the agent an MFA code for its aws issuer (roled.ini
 * [aws] mfa_serial; the Mfa method).  The agent exchanges its source
 * credentials for an MFA session (STS GetSessionToken with the code), which
 * then signs every AssumeRole for every local caller until it expires, and
 * sends the requests that waited for it.  Root and the agent's user may send
 * a code at any time; another user only while a request of theirs waits for
 * the MFA session.  The code is wiped from the library's buffers once sent.
 * @code: six ASCII digits
 * @expirationp: may be NULL; when the MFA session ends (Unix seconds)
 * @n_releasedp: may be NULL; requests that had waited for it
 * THREAD SAFETY: any thread.  BLOCKING: until STS has answered (up to 15 s
 * when it is slow: give the client a timeout_ms above that) or the client's
 * timeout.
 * ERRORS: ROLED_E_ACCESS_DENIED (not allowed to send a code, or STS refused
 * it: the message keeps STS's code and message), ROLED_E_NO_SUCH_ENTITY (the
 * agent has no mfa_serial), ROLED_E_THROTTLING (another code or mfa_process
 * is in progress, or too many wrong codes from users: 5 per 5 minutes),
 * ROLED_E_UPSTREAM_UNAVAILABLE, ROLED_E_INVALID_ARGUMENT (not six digits),
 * ROLED_E_UNSUPPORTED_OPERATION (an agent without Mfa), connection errors
 * (ROLED_E_IO may mean the code was used: never sent twice, roled_status),
 * ROLED_E_FORKED.
 */
ROLED_EXPORT roled_status roled_mfa(roled_client *client, const char *code, int64_t *expirationp,
                                    uint32_t *n_releasedp, roled_error *err);

#ifdef __cplusplus
}
#endif

#endif
