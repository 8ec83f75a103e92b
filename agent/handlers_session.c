/* SPDX-License-Identifier: MIT */
/*
 * handlers_session.c - the methods that issue and end sessions:
 * GetCredentials (cached per role and caller identity), AssumeRole (always
 * fresh, with role chaining) and Revoke (by uid and role, or one session).  Trust decisions come
 * from trust.c, minting from the role's issuer (issuer.h) through single flight (flights.c), the
 * cache from sessions.c; this file only turns parameters into those calls and their results into
 * replies.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "catbuf.h"
#include "civil.h"
#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "flights.h"
#include "issuer.h"
#include "keys.h"
#include "log.h"
#include "policy.h"
#include "policystore.h"
#include "revfile.h"
#include "revocations.h"
#include "sessions.h"
#include "trust.h"
#include "names.h"
#include "util.h"

#define CHAINED_DURATION_MAX 3600

/*
 * What this file remembers per connection (Conn.handler_state), so that a
 * repeated cached GetCredentials costs a lookup and a copy. Every memo holds
 * for one config generation. Pointers in it are compared, never dereferenced
 * (the akid and issue time rule out a new session at a recycled address).
 */
typedef struct Memo {
        /* The caller's default role. */
        const Role *default_role;
        unsigned default_generation;
        bool has_default;
        /* The last role this connection was found to be trusted for (unchained). */
        const Role *trusted_role;
        unsigned trusted_generation;
        /* The cache key for (key_role, key_duration) without a session policy. */
        char *key;
        const Role *key_role;
        uint32_t key_duration;
        unsigned key_generation;
        bool key_hashed;     /* the executable was hashed (the key says so) */
        unsigned key_serial; /* changes with the key */
        /*
         * The session found under that key (memo_lookup()): still the one
         * under it while the cache's epoch stays session_epoch.
         */
        const Session *session;
        const SessionCache *session_cache;
        uint64_t session_epoch;
        unsigned session_key_serial;
        /* The packed result map for session reply_session: holds a secret, wiped when dropped. */
        uint8_t *reply;
        size_t reply_len;
        const Session *reply_session;
        const Role *reply_role;
        char reply_akid[CREDENTIALS_AKID_MAX + 1];
        int64_t reply_issued;
        unsigned reply_generation;
} Memo;

static void memo_free(void *state)
{
        Memo *m = state;

        free(m->key);
        if (m->reply) {
                sodium_memzero(m->reply, m->reply_len);
                free(m->reply);
        }
        free(m);
}

/* The connection's memo, made on first use; NULL without memory (then nothing is memoised). */
static Memo *memo_of(Request *req)
{
        Conn *c = req->conn;

        if (!c->handler_state) {
                c->handler_state = calloc(1, sizeof(Memo));
                c->handler_state_free = memo_free;
        }
        return c->handler_state;
}

/* What GetCredentials and AssumeRole have in common once parameters are read. */
typedef struct Ask {
        const Role *role;
        uint32_t duration;
        const char *policy; /* session policy text (in the message), or NULL */
        size_t policy_len;
        uint8_t policy_digest[32];
        char session_name[PROTO_ROLE_NAME_MAX + 1];
        Policy *session_policy; /* compiled policy, kept in the store once a session uses it */
        TokenClaims source;     /* chaining: the caller's current session */
        bool has_source;        /* source may hold something (read_chaining() filled it) */
        bool is_chained;
        bool has_exe_claim; /* check_trust() checked the executable for this request (issuer.h) */
} Ask;

static void ask_deinit(Ask *ask)
{
        if (ask->has_source)
                token_claims_deinit(&ask->source);
        policy_free(ask->session_policy);
}

/*
 * Keep the session policy for Authorize as long as a session that carries it
 * lives.  The store is bounded in bytes, in all and per uid, so session
 * policies cannot grow the agent without limit; past a bound the caller is
 * told to slow down, and identical policies cost nothing more.
 */
static int keep_policy(Request *req, Ask *ask, int64_t expires)
{
        int r;

        if (!ask->session_policy)
                return 0;
        r = policy_store_add(req->agent->session_policies, ask->policy_digest,
                             steal_pointer(&ask->session_policy), req->id->uid, expires);
        switch (r) {
        case POLICY_STORE_E_UID_FULL:
                return request_fail(
                        req, PROTO_THROTTLING,
                        "uid %u holds as many distinct session policies as the agent keeps "
                        "for one uid; reuse a policy, revoke sessions or let them expire",
                        (unsigned)req->id->uid);
        case POLICY_STORE_E_FULL:
                return request_fail(
                        req, PROTO_THROTTLING,
                        "the agent holds as many distinct session policies as it keeps; "
                        "try again later");
        default:
                return r;
        }
}

static void pack_credentials(Request *req, const Role *role, const Credentials *cr)
{
        flights_pack_credentials(req->out, role->name, role->arn, cr);
}

/* The same answer for "no such role" and "not trusted", so names cannot be probed. */
static int deny_unknown(Request *req, const char *name, size_t len)
{
        if (agent_is_admin(req->agent, req->id->uid))
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "role %.*s does not exist", (int)len,
                                    name);
        return request_fail(req, PROTO_ACCESS_DENIED,
                            "role %.*s: uid %u (%s) is not a trusted principal", (int)len, name,
                            (unsigned)req->id->uid, req->id->user);
}

/*
 * The caller's default role (NULL: none), memoised on the connection for one
 * config generation.  Return: 0, TRUST_E_NEEDS_HASH or -errno.
 */
static int default_role(Request *req, const Role **rolep)
{
        Memo *m = memo_of(req);
        TrustScope ts;
        const Role *role;
        int r;

        if (m && m->has_default && m->default_generation == req->agent->config_generation) {
                *rolep = m->default_role;
                return 0;
        }
        ts = trust_scope_of(req->agent);
        r = trust_default_role(&ts, req->id, &role);
        if (r)
                return r;
        if (m) {
                m->default_role = role;
                m->default_generation = req->agent->config_generation;
                m->has_default = true;
        }
        *rolep = role;
        return 0;
}

/* @in_role: the role parameter (absent: the default role; AssumeRole's decoder requires it). */
static int read_role(Request *req, ProtoStr in_role, Ask *ask)
{
        const char *name = in_role.ptr;
        size_t len = in_role.len;

        if (!name) {
                int r = default_role(req, &ask->role);

                if (r == TRUST_E_NEEDS_HASH)
                        return request_wait_hash(req);
                if (r)
                        return r;
                if (!ask->role)
                        return request_fail(req, PROTO_ACCESS_DENIED,
                                            "uid %u (%s) has no default role; name one with --role",
                                            (unsigned)req->id->uid, req->id->user);
                return 0;
        }
        if (!config_role_name_valid(name, len))
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "role name must be 1..64 characters of [A-Za-z0-9+=,.@_-]");
        ask->role = config_find_role(req->agent->config, name, len);
        if (!ask->role)
                return deny_unknown(req, name, len);
        return 0;
}

static int read_duration(Request *req, ProtoOptUint in_duration, Ask *ask)
{
        uint64_t d = in_duration.value;
        uint32_t max = ask->role->max_session_duration;

        if (ask->is_chained && max > CHAINED_DURATION_MAX)
                max = CHAINED_DURATION_MAX;
        if (!in_duration.is_set) {
                d = req->agent->config->default_duration;
                ask->duration = (uint32_t)(d < max ? d : max);
                return 0;
        }
        if (d < PROTO_DURATION_MIN || d > max) {
                if (ask->is_chained && d > CHAINED_DURATION_MAX)
                        return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                            "durationSeconds %llu exceeds the 1 hour session limit "
                                            "for roles assumed by role chaining",
                                            (unsigned long long)d);
                return request_fail(
                        req, PROTO_INVALID_PARAMETER_VALUE,
                        "durationSeconds %llu is outside %d..%u (role %s allows at most %u)",
                        (unsigned long long)d, PROTO_DURATION_MIN, max, ask->role->name, max);
        }
        ask->duration = (uint32_t)d;
        return 0;
}

static int read_policy(Request *req, ProtoStr in_policy, Ask *ask)
{
        PolicyError err;
        int r;

        ask->policy = in_policy.ptr;
        ask->policy_len = in_policy.len;
        if (!ask->policy)
                return 0;
        r = policy_parse(ask->policy, ask->policy_len, "session policy", &ask->session_policy,
                         &err);
        if (r < 0)
                return r;
        if (r)
                return request_fail(req, PROTO_MALFORMED_POLICY_DOCUMENT,
                                    "session policy: %s%s%s (statement %d%s%s)", err.reason,
                                    err.message[0] ? ": " : "", err.message, err.statement,
                                    err.field[0] ? ", " : "", err.field);
        crypto_hash_sha256(ask->policy_digest, (const uint8_t *)ask->policy, ask->policy_len);
        return 0;
}

static int check_trust(Request *req, Ask *ask)
{
        Agent *a = req->agent;
        Memo *m = memo_of(req);
        const RolePolicies *rp = access_role_policies(a->config, a->access, ask->role);
        /* trust_rests_on_exe() reads no time: the clock is read only for trust_decide() below. */
        TrustScope ts = { .config = a->config, .access = a->access };
        bool uses_exe = req->id->has_exe_key && trust_rests_on_exe(&ts, ask->role);
        char why[TRUST_WHY_MAX];
        int r;

        /*
         * A request sent before the agent read the executable may have been
         * written by the program the process ran before an execve() (the
         * kernel names a sender by process, not by program): it gets no
         * answer that rests on the executable.  Sent again on this
         * connection, it is the program's that the agent saw (libroled
         * resends by itself).
         */
        if (req->is_early && uses_exe)
                return request_fail(
                        req, PROTO_SENT_BEFORE_ATTESTATION,
                        "role %s: this request was sent before the agent had seen which program "
                        "the process runs, and the role's trust or permissions rest on it; send "
                        "it again on this connection",
                        ask->role->name);
        /*
         * An answer that rests on the executable is given only while the
         * attested process lives and still runs that file: the connection
         * may outlive it, or it may have called execve() since.  (Without
         * an executable the agent may read, exe rules deny on their own.)
         */
        if (uses_exe) {
                r = identity_check_exe(req->id);
                if (r < 0)
                        return r;
                if (r)
                        return request_fail(
                                req, PROTO_ACCESS_DENIED,
                                "role %s: the process %s since it connected; credentials "
                                "that depend on the executable need a new connection",
                                ask->role->name,
                                r == IDENTITY_E_GONE ? "has exited" : "runs another executable");
        }
        /*
         * Only then may the session name the executable: for other roles
         * neither check is made (they would cost every fresh connection a
         * system call), so the program the agent saw need not be the one
         * that wrote this request.
         */
        ask->has_exe_claim = uses_exe;
        /*
         * A session carries roled:exe-sha256 only if the executable was
         * hashed before it was issued: hash it now when the role's
         * permissions read that key.
         */
        if (rp && rp->is_permissions_hash && trust_can_hash(req->id))
                return request_wait_hash(req);
        /* Unchained, time-independent trust depends only on role, identity and config. */
        if (!ask->is_chained && m && m->trusted_role == ask->role &&
            m->trusted_generation == a->config_generation)
                return 0;
        ts = trust_scope_of(a);
        r = trust_decide(&ts, ask->role, req->id, ask->is_chained ? ask->source.role : NULL, why,
                         sizeof(why));
        if (r == TRUST_E_NEEDS_HASH)
                return request_wait_hash(req);
        if (r == TRUST_E_DENIED)
                return request_fail(req, PROTO_ACCESS_DENIED, "%s", why);
        if (r)
                return r;
        if (!ask->is_chained && m && rp && rp->is_trust_static) {
                m->trusted_role = ask->role;
                m->trusted_generation = a->config_generation;
        }
        return 0;
}

static IssueRequest issue_request(Request *req, const Ask *ask, const char *key)
{
        return (IssueRequest){
                .config = req->agent->config,
                .role = ask->role,
                .id = req->id,
                .duration = ask->duration,
                .session_name = ask->session_name[0] ? ask->session_name : NULL,
                .policy = ask->policy,
                .policy_len = ask->policy_len,
                .policy_digest = ask->policy ? ask->policy_digest : NULL,
                .source_role = ask->is_chained ? ask->source.role : NULL,
                .cache_key = key,
                .now = agent_now(req->agent),
                .has_exe_claim = ask->has_exe_claim,
        };
}

/* Turn what flights_issue() returned into the reply's status. */
static int issue_result(Request *req, int r, const IssueError *err)
{
        switch (r) {
        case ISSUER_E_TOO_LONG:
                /* The issuer names what was too long. */
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "%s",
                                    err->message[0] ? err->message
                                                    : "the caller's identity does not fit in a "
                                                      "session token");
        case ISSUER_E_TOO_MANY_GROUPS:
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "uid %u is in more than %d groups, more than a session "
                                    "token can carry",
                                    (unsigned)req->id->uid, TOKEN_GIDS_MAX);
        case FLIGHTS_E_FAILED:
                return request_fail(req, err->code, "%s", err->message);
        default:
                return r;
        }
}

/*
 * One uid may hold at most max_sessions_per_uid live sessions, so no caller can
 * grow the agent's memory without bound (AssumeRole stores every session it
 * mints, for Revoke).  Renewing a session that is still cached replaces it and
 * is never refused.
 */
static int check_session_limit(Request *req)
{
        size_t n = sessions_count_uid(req->agent->sessions, req->id->uid);
        unsigned max = req->agent->config->max_sessions_per_uid;

        if (n < max)
                return 0;
        return request_fail(req, PROTO_THROTTLING,
                            "uid %u holds %zu live sessions, the most the agent keeps for one uid "
                            "(max_sessions_per_uid); revoke some or let them expire",
                            (unsigned)req->id->uid, n);
}

/*
 * The cache key: role, attested identity key, duration, policy digest, login
 * session, cgroup and whether the session names the executable.  Processes
 * of one service (same uid, gid, cgroup and executable) share it; processes
 * of two logins do not, so ending one login ends exactly the sessions its
 * processes were given (handlers_login.c).  A session that names the
 * executable is never served to a request the agent did not check it for,
 * nor one that names none to a request it did (a reload may change which a
 * role's are); one that names it is served only to a process of that very
 * file (a path replaced since names another, with another hash), and one
 * that carries the hash only to a process whose file was hashed (a
 * pre-warmed session has none).  The cgroup itself, not only the unit: the
 * token's cg claim names it; "?" while it was not read, so a session issued
 * before a reload that makes roles read it is not served after it.
 */
int session_cache_key(const Role *role, const Identity *id, uint32_t duration,
                      const uint8_t *digest, bool has_exe_claim, char *buf, size_t size)
{
        char hex[65] = "-";
        /* What "%s\x1f%s\x1f%u\x1f%s\x1f%u\x1f%s" would make, without snprintf() (catbuf.h). */
        CatBuf b = catbuf_init(buf, size);

        /* An identity without its key (no memory when it was rebuilt) shares no one's. */
        if (!id->key)
                return -ENOMEM;
        if (digest)
                sodium_bin2hex(hex, sizeof(hex), digest, 32);
        catbuf_str(&b, role->name);
        catbuf_mem(&b, "\x1f", 1);
        catbuf_str(&b, id->key);
        catbuf_mem(&b, "\x1f", 1);
        catbuf_u32(&b, duration);
        catbuf_mem(&b, "\x1f", 1);
        catbuf_str(&b, hex);
        catbuf_mem(&b, "\x1f", 1);
        catbuf_u32(&b, id->login_session);
        catbuf_mem(&b, "\x1f", 1);
        /* Paths start with '/': "?" is a cgroup the agent did not read. */
        catbuf_str(&b, id->has_cgroup ? id->cgroup : "?");
        catbuf_mem(&b, "\x1f", 1);
        if (has_exe_claim && id->has_exe_key) {
                const ExehashKey *k = &id->exe_key;

                catbuf_str(&b, "exe ");
                catbuf_u64(&b, (uint64_t)k->dev);
                catbuf_mem(&b, " ", 1);
                catbuf_u64(&b, (uint64_t)k->ino);
                catbuf_mem(&b, " ", 1);
                catbuf_u64(&b, (uint64_t)k->size);
                catbuf_mem(&b, " ", 1);
                catbuf_u64(&b, (uint64_t)k->mtime.tv_sec);
                catbuf_mem(&b, ".", 1);
                catbuf_u64(&b, (uint64_t)k->mtime.tv_nsec);
                catbuf_mem(&b, " ", 1);
                catbuf_u64(&b, (uint64_t)k->ctime.tv_sec);
                catbuf_mem(&b, ".", 1);
                catbuf_u64(&b, (uint64_t)k->ctime.tv_nsec);
                catbuf_str(&b, id->has_exe_sha256 ? " #" : "");
        } else {
                catbuf_str(&b, has_exe_claim ? "exe" : "-");
        }
        return catbuf_done(&b) < 0 ? -ENAMETOOLONG : 0;
}

static int cache_key(Request *req, const Ask *ask, char *buf, size_t size)
{
        return session_cache_key(ask->role, req->id, ask->duration,
                                 ask->policy ? ask->policy_digest : NULL, ask->has_exe_claim, buf,
                                 size);
}

/*
 * The cache key of @ask, memoised on the connection: the identity key is fixed
 * at accept, so without a session policy the key only changes with the role,
 * the duration or the configuration (has_exe_claim too: it follows from the
 * role and the configuration for one connection).  snprintf() of the key was about a fifth
 * of a cached GetCredentials' instructions.  Return: the key (borrowed from
 * @buf or the Conn until the next request), or NULL with *@rp = -errno.
 */
static const char *memo_cache_key(Request *req, const Ask *ask, char *buf, size_t size, int *rp)
{
        Memo *m = memo_of(req);
        unsigned generation = req->agent->config_generation;
        char *copy;

        *rp = 0;
        if (!ask->policy && m && m->key && m->key_role == ask->role &&
            m->key_duration == ask->duration && m->key_generation == generation &&
            m->key_hashed == req->id->has_exe_sha256)
                return m->key;
        *rp = cache_key(req, ask, buf, size);
        if (*rp < 0)
                return NULL;
        if (ask->policy || !m)
                return buf;
        /* Without memory for the memo, serve the request anyway. */
        copy = strdup(buf);
        if (!copy)
                return buf;
        free(m->key);
        m->key = copy;
        m->key_serial++;
        m->key_role = ask->role;
        m->key_duration = ask->duration;
        m->key_generation = generation;
        m->key_hashed = req->id->has_exe_sha256;
        return m->key;
}

/*
 * sessions_lookup() of @key, remembered on the connection when @key is the
 * memoised one (memo_cache_key()): while no session left the cache since
 * (sessions_epoch()), the session found then is still the one under the
 * key, and only the time decides.  Hashing the key (it holds the caller's
 * executable and cgroup paths) and comparing it was about a seventh of a
 * cached GetCredentials' instructions.
 */
static const Session *memo_lookup(Request *req, const char *key, int64_t now)
{
        Memo *m = memo_of(req);
        const SessionCache *cache = req->agent->sessions;
        const Session *s;

        if (m && key == m->key && m->session && m->session_cache == cache &&
            m->session_key_serial == m->key_serial && m->session_epoch == sessions_epoch(cache)) {
                s = m->session;
                return now < s->refresh_at && now < s->creds.expires ? s : NULL;
        }
        s = sessions_lookup(cache, key, now);
        if (m && key == m->key && s) {
                m->session = s;
                m->session_cache = cache;
                m->session_epoch = sessions_epoch(cache);
                m->session_key_serial = m->key_serial;
        }
        return s;
}

/*
 * Pack the result for session @s, reusing the bytes packed for the same
 * session on this connection the last time: the result depends only on the
 * session (immutable once cached) and the role (fixed for one config
 * generation).  Packing it field by field was about half of a cached
 * GetCredentials' instructions.
 */
static void pack_cached_credentials(Request *req, const Role *role, const Session *s)
{
        Memo *m = memo_of(req);
        unsigned generation = req->agent->config_generation;
        size_t mark = req->out->len;
        uint8_t *copy;

        if (m && m->reply && m->reply_session == s && m->reply_role == role &&
            m->reply_generation == generation && m->reply_issued == s->creds.issued &&
            strcmp(m->reply_akid, s->creds.akid) == 0) {
                proto_buf_append(req->out, m->reply, m->reply_len);
                return;
        }
        pack_credentials(req, role, &s->creds);
        if (req->out->is_oom || !m)
                return;
        /* Without memory for the memo, the reply is still complete. */
        copy = malloc(req->out->len - mark);
        if (!copy)
                return;
        memcpy(copy, req->out->data + mark, req->out->len - mark);
        if (m->reply) {
                sodium_memzero(m->reply, m->reply_len);
                free(m->reply);
        }
        m->reply = copy;
        m->reply_len = req->out->len - mark;
        m->reply_session = s;
        m->reply_role = role;
        m->reply_generation = generation;
        m->reply_issued = s->creds.issued;
        _Static_assert(sizeof(m->reply_akid) >= sizeof(s->creds.akid), "reply_akid fits an akid");
        memcpy(m->reply_akid, s->creds.akid, sizeof(s->creds.akid));
}

/*
 * issue() - get a session for @ask through its issuer and keep it: in the
 * cache under @key, or, for AssumeRole (@key NULL), under a key of its own
 * that no lookup uses, so Revoke still finds it.  The session policy is kept
 * for Authorize.  An issuer that answers later defers the reply: then
 * issue() returns FLIGHTS_E_WAIT and the flight answers.
 */
static int issue(Request *req, Ask *ask, const char *key, const Session *stale, const Session **sp)
{
        char own_key[64];
        uint8_t rnd[16];
        char hex[33];
        IssueError err = { .code = PROTO_INTERNAL };
        IssueRequest ir;
        bool is_new = false;
        int r;

        if (!key) {
                randombytes_buf(rnd, sizeof(rnd));
                sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
                snprintf(own_key, sizeof(own_key), SESSIONS_ASSUME_PREFIX "%s", hex);
                key = own_key;
        }
        ir = issue_request(req, ask, key);
        r = flights_issue(req->agent->flights, req, &ir, stale, sp, &is_new, &err);
        if (r)
                return r == FLIGHTS_E_WAIT ? r : issue_result(req, r, &err);
        if (is_new)
                return keep_policy(req, ask, (*sp)->creds.expires);
        return 0;
}

int handle_GetCredentials(Request *req, const ProtoGetCredentialsReq *in)
{
        _cleanup_(ask_deinit) Ask ask = { .source = TOKEN_CLAIMS_INIT };
        const Session *s;
        char buf[SESSION_KEY_MAX];
        const char *key;
        int64_t now = agent_now(req->agent);
        int r;

        if ((r = read_role(req, in->role, &ask)) || (r = check_trust(req, &ask)) ||
            (r = read_duration(req, in->duration_seconds, &ask)) ||
            (r = read_policy(req, in->policy, &ask)))
                return r;
        key = memo_cache_key(req, &ask, buf, sizeof(buf), &r);
        if (!key)
                return r;
        s = memo_lookup(req, key, now);
        if (!s) {
                const Session *stale = sessions_lookup_unexpired(req->agent->sessions, key, now);

                if (!stale && (r = check_session_limit(req)))
                        return r;
                r = issue(req, &ask, key, stale, &s);
                if (r == FLIGHTS_E_WAIT)
                        return 0;
                if (r)
                        return r;
        }
        pack_cached_credentials(req, ask.role, s);
        return 0;
}

/* STS's RoleSessionName: 2..64 characters of IAM's name alphabet. */
static bool session_name_valid(const char *s, size_t n)
{
        return name_valid(s, n, 2, 64, NAME_IAM_EXTRA);
}

static int read_chaining(Request *req, ProtoStr tok, Ask *ask)
{
        int r;

        if (!tok.ptr)
                return 0;
        ask->has_source = true;
        r = issuer_verify(req->agent, tok.ptr, tok.len, agent_now(req->agent), &ask->source);
        if (r)
                return request_token_error(req, r);
        if (ask->source.uid != req->id->uid)
                return request_fail(
                        req, PROTO_ACCESS_DENIED,
                        "the session token belongs to uid %u, not to the caller (uid %u)",
                        (unsigned)ask->source.uid, (unsigned)req->id->uid);
        ask->is_chained = true;
        return 0;
}

/*
 * The default AssumeRole session name: "USER-XXXXXXXX", 8 random hex digits
 * (not the pid: a caller in a child pid namespace would learn its pid in the
 * agent's from the session name), 2..64 characters of IAM's alphabet.
 */
static void default_session_name(const char *user, char out[PROTO_ROLE_NAME_MAX + 1])
{
        uint8_t rnd[4];
        char hex[sizeof(rnd) * 2 + 1];
        size_t n;

        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        n = (size_t)snprintf(out, PROTO_ROLE_NAME_MAX + 1, "%.55s-%s", user, hex);
        for (size_t i = 0; i < n; i++)
                if (!name_char_valid(out[i], NAME_IAM_EXTRA))
                        out[i] = '-';
}

static int read_session_name(Request *req, ProtoStr name, Ask *ask)
{
        const char *s = name.ptr;
        size_t n = name.len;

        if (!s) {
                default_session_name(req->id->user, ask->session_name);
                return 0;
        }
        if (!session_name_valid(s, n))
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "sessionName must be 2..64 characters of [A-Za-z0-9_+=,.@-]");
        /*
         * An aws session's RoleSessionName is what CloudTrail shows; the agent's
         * own names are USER or USER@PROGRAM (the program checked for the
         * request), so a caller's name with '@' would pass for one of them.
         */
        if (ask->role->issuer == ROLE_ISSUER_AWS && memchr(s, '@', n))
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE,
                                    "role %s: sessionName must not contain '@' (the agent's own "
                                    "names for aws sessions are USER@PROGRAM)",
                                    ask->role->name);
        memcpy(ask->session_name, s, n);
        ask->session_name[n] = '\0';
        return 0;
}

int handle_AssumeRole(Request *req, const ProtoAssumeRoleReq *in)
{
        _cleanup_(ask_deinit) Ask ask = { .source = TOKEN_CLAIMS_INIT };
        const Session *s;
        int r;

        if ((r = read_role(req, in->role, &ask)) ||
            (r = read_chaining(req, in->session_token, &ask)) || (r = check_trust(req, &ask)) ||
            (r = read_duration(req, in->duration_seconds, &ask)) ||
            (r = read_session_name(req, in->session_name, &ask)) ||
            (r = read_policy(req, in->policy, &ask)) || (r = check_session_limit(req)))
                return r;
        r = issue(req, &ask, NULL, NULL, &s);
        if (r == FLIGHTS_E_WAIT)
                return 0;
        if (r)
                return r;
        pack_credentials(req, ask.role, &s->creds);
        return 0;
}

/*
 * notify_revoked() - tell every connection of @uid that its sessions (of
 * @role, or all) are gone, so libroled drops them from its cache at once
 * (SessionsRevoked, PROTOCOL.md section 5a).  Best effort: without memory
 * the clients find out when they next renew.
 */
void notify_revoked(Request *req, uint32_t uid, const char *role)
{
        ProtoBuf b;

        proto_buf_init(&b, false);
        proto_pack_notification(&b, PROTO_NOTE_SESSIONS_REVOKED);
        codec_encode_SessionsRevokedNote(
                &b, &(ProtoSessionsRevokedNote){ .uid = uid, .role = proto_str(role) });
        if (!b.is_oom)
                conn_notify_uid(req->agent, uid, req->conn, &b);
        proto_buf_deinit(&b);
}

/*
 * Read a sessionId parameter into @sid: 1..PROTO_SESSION_ID_MAX bytes without
 * NUL.  Every session id the agent makes is 32 hex digits; other text simply
 * matches no session.
 */
static int read_session_id(Request *req, ProtoStr in, const char *name,
                           char sid[PROTO_SESSION_ID_MAX + 1])
{
        if (in.len == 0 || in.len > PROTO_SESSION_ID_MAX || memchr(in.ptr, '\0', in.len))
                return request_param_error(req, RPC_E_TYPE, name);
        memcpy(sid, in.ptr, in.len);
        sid[in.len] = '\0';
        return 0;
}

/*
 * Revoke with sessionId: exactly that session, for its owner or an admin.
 * Another uid's session answers as an unknown one would, so a caller learns
 * nothing about sessions that are not theirs.
 */
static int revoke_one(Request *req, ProtoStr in_sid, uint32_t *uidp, char *role, size_t role_size,
                      size_t *np)
{
        Agent *a = req->agent;
        char sid[PROTO_SESSION_ID_MAX + 1];
        const Session *s;
        int r;

        if ((r = read_session_id(req, in_sid, "sessionId", sid)))
                return r;
        s = sessions_find_id(a->sessions, sid);
        if (s && s->creds.expires <= agent_now(a))
                s = NULL;
        if (!s || (s->uid != req->id->uid && !agent_is_admin(a, req->id->uid)))
                return request_fail(req, PROTO_NO_SUCH_ENTITY, "no live session %s of uid %u", sid,
                                    (unsigned)req->id->uid);
        *uidp = s->uid;
        snprintf(role, role_size, "%s", s->role);
        return sessions_revoke_id(a->sessions, sid, a->revoked, np);
}

int handle_Revoke(Request *req, const ProtoRevokeReq *in)
{
        _cleanup_free_ char *role = NULL;
        uint64_t uid = in->uid.is_set ? in->uid.value : req->id->uid;
        char one_role[PROTO_ROLE_NAME_MAX + 1] = "";
        uint32_t one_uid = 0;
        int64_t now = agent_now(req->agent);
        bool is_cut = false;
        size_t n = 0;
        int r;

        if (in->session_id.ptr) {
                if (in->role.ptr || in->uid.is_set)
                        return request_fail(
                                req, PROTO_INVALID_PARAMETER_VALUE,
                                "sessionId names one session: give it without role or uid");
                r = revoke_one(req, in->session_id, &one_uid, one_role, sizeof(one_role), &n);
                if (r)
                        return r;
                uid = one_uid;
                role = strdup(one_role);
                if (!role)
                        return -ENOMEM;
                goto save;
        }
        if (in->role.ptr) {
                if (memchr(in->role.ptr, '\0', in->role.len))
                        return request_param_error(req, RPC_E_TYPE, "role");
                role = strndup(in->role.ptr, in->role.len);
                if (!role)
                        return -ENOMEM;
        }
        if (uid > UINT32_MAX)
                return request_fail(req, PROTO_INVALID_PARAMETER_VALUE, "uid is out of range");
        if (uid != req->id->uid && !agent_is_admin(req->agent, req->id->uid))
                return request_fail(
                        req, PROTO_ACCESS_DENIED,
                        "only root and the agent's user may revoke another uid's sessions");
        r = sessions_revoke(req->agent->sessions, (uint32_t)uid, role, req->agent->revoked, &n);
        if (r < 0)
                return r;
        /*
         * Sessions issued before a restart are not in the cache: a cut revokes
         * every session of the uid (and role) issued before now, until the
         * longest of them would have expired.
         */
        /* No session can have a role that is no valid role name: nothing to cut (nor to write
         * down). */
        if (!role || config_role_name_valid(role, strlen(role))) {
                r = revocation_cut(req->agent->revoked, (uint32_t)uid, role ? role : "", now,
                                   now + PROTO_DURATION_MAX);
                if (r < 0)
                        return r;
                if (r == REVOCATION_E_FULL)
                        return request_fail(req, PROTO_THROTTLING,
                                            "too many revocations by uid and role are in force; "
                                            "try again later");
                is_cut = r == 0;
        }
save:
        /* The answer promises the revocation holds across restarts: write it down first. */
        if ((n || is_cut) && req->agent->key_dir) {
                _cleanup_free_ char *err = NULL;

                r = revfile_save(req->agent->key_dir, req->agent->revoked, now, &err);
                if (r) {
                        log_error("revoke: %s", err ? err : strerror(-r));
                        return request_fail(
                                req, PROTO_INTERNAL,
                                "the sessions are revoked, but only until the agent restarts: "
                                "the revocation list could not be written");
                }
        }
        codec_encode_RevokeRep(req->out, &(ProtoRevokeRep){ .revoked = n });
        /* Sessions from before a restart may have ended too: their holders are told as well. */
        if (n > 0 || is_cut)
                notify_revoked(req, (uint32_t)uid, role);
        return 0;
}
