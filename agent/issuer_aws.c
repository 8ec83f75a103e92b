/* SPDX-License-Identifier: MIT */
/*
 * issuer_aws.c - the aws issuer (see issuer_aws.h).
 *
 * An issue() builds and signs the STS request at once and posts it through
 * http.c; the answer comes back on the loop and goes to IssueDone.  A
 * chained role first needs its source role's session: one AssumeRole per
 * source role at a time (single flight), cached until five minutes before
 * it expires, with the calls that wait on it queued on the Source and
 * signed once it arrives.  With mfa_serial every call is signed with the
 * MFA session (GetSessionToken with a code), whose code comes from
 * mfa_process or from the Mfa method (rolectl mfa CODE): calls that need it
 * and find none wait for the code.  Every buffer that held a secret is wiped.
 */
#include "issuer_aws.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "imds.h"
#include "log.h"
#include "mfa.h"
#include "sts.h"
#include "names.h"
#include "util.h"

/* Seconds: renew a chaining source session this long before it expires. */
#define SOURCE_MARGIN 300
#define SOURCE_DURATION 3600
#define SOURCE_SESSION_NAME "roled-chain"
/* Seconds: fetch the instance role's credentials again this long before they expire. */
#define IMDS_REFRESH_MARGIN 300
#define IMDS_MIN_LEFT 60 /* seconds: never sign with instance credentials that end sooner */
/*
 * Wrong MFA codes STS refused from users other than root and the agent's
 * user, per window: a user who can make a request wait must not be able to
 * guess codes (10^6 of them) at STS's pace.  Five per five minutes is a
 * typist's worth of mistakes.
 */
#define MFA_WRONG_MAX 5
#define MFA_WRONG_WINDOW 300 /* seconds */

typedef struct AwsState AwsState;
typedef struct Source Source;

/* One STS call: for a caller (done set) or for a Source (source_fetch set). */
typedef struct AwsCall {
        struct AwsCall *next; /* Source.waiting */
        AwsState *st;
        IssueDone done;
        void *userdata;
        uint32_t uid;         /* the caller it is for (who may supply an MFA code) */
        Source *source_fetch; /* this call fetches that source's session */
        AwsMfaDone mfa_done;  /* this call checks an Mfa method's code */
        void *mfa_userdata;
        bool is_admin; /* ... sent by root or the agent's user */
        char *url;
        char *region;
        char *ca_file;
        char *body; /* the form body (may hold a policy): wiped */
        size_t body_len;
        char *what; /* "sts:AssumeRole of arn:..." for messages */
        int64_t started;
} AwsCall;

/* The cached session of a chaining source role, keyed by its role ARN. */
struct Source {
        struct Source *next;
        char *role_arn;
        Credentials creds;
        bool has_creds;
        bool is_in_flight;
        AwsCall *waiting; /* calls to sign with creds once they arrive */
};

/*
 * The MFA session (GetSessionToken with a code), the source of every call
 * when mfa_serial is set.  While mfa_process runs, its call's parameters
 * wait here (copies; the secret wiped).  Without mfa_process the calls that
 * need a session wait for a code from the Mfa method, at most
 * MFA_TIMEOUT_MS from the first of them (timer).
 */
typedef struct MfaState {
        Source source;
        MfaRun *run;
        uv_timer_t *timer; /* heap: freed in its close callback */
        AwsCall *check;    /* the GetSessionToken of an Mfa method's code in flight */
        bool has_process;  /* mfa_process was configured when the check started */
        char *url, *region, *ca_file, *serial;
        char *akid, *secret, *token;
        uint64_t n_prompts;  /* mfa_process runs started */
        uint64_t n_codes;    /* codes taken from the Mfa method */
        int64_t wrong_since; /* start of the window of ... */
        unsigned n_wrong;    /* ... wrong codes from other users (MFA_WRONG_MAX) */
} MfaState;

struct AwsState {
        Agent *agent;
        Http *http;
        Imds *imds;
        Source imds_source; /* the instance role's credentials ([aws] imds = on, no
                               credentials_file) */
        Source *sources;
        MfaState mfa;
        uint64_t n_calls;
        int64_t last_success, last_failure;
        bool is_failing; /* the last call failed */
        char last_error[512];
};

static void call_free(AwsCall *c)
{
        if (!c)
                return;
        if (c->body) {
                sodium_memzero(c->body, c->body_len);
                free(c->body);
        }
        free(c->url);
        free(c->region);
        free(c->ca_file);
        free(c->what);
        free(c);
}

/* ---- caller-derived names ---------------------------------------------------- */

static bool sts_name_char(char c)
{
        return name_char_valid(c, NAME_IAM_EXTRA);
}

void issuer_aws_session_name(const char *user, const char *exe, char out[65])
{
        const char *base = exe ? strrchr(exe, '/') : NULL;
        size_t n = 0;

        base = base ? base + 1 : exe ? exe : "";
        /* No program named is not a program called "unknown" (a caller may run one). */
        snprintf(out, 65, "%s%s%s", user && *user ? user : "nobody", *base ? "@" : "", base);
        for (; out[n]; n++)
                if (!sts_name_char(out[n]))
                        out[n] = '-';
        if (n < 2)
                snprintf(out, 65, "roled-caller");
}

/* SourceIdentity: the user name when it fits STS's rule, else "uid-N". */
static void source_identity(const Identity *id, char out[65])
{
        size_t n = strlen(id->user);
        bool ok = n >= 2 && n <= 64;

        for (size_t i = 0; ok && i < n; i++)
                ok = sts_name_char(id->user[i]);
        if (ok)
                snprintf(out, 65, "%s", id->user);
        else
                snprintf(out, 65, "uid-%u", (unsigned)id->uid);
}

/* A session tag value: STS's [\p{L}\p{Z}\p{N}_.:/=+\-@], at most 256 (the end of a long path). */
static void tag_value(const char *s, char out[257])
{
        size_t n = strlen(s);

        if (n > 256)
                s += n - 256;
        snprintf(out, 257, "%s", s);
        for (char *p = out; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr(" _.:/=+-@", *p)))
                        *p = '_';
}

/* ---- errors and health --------------------------------------------------------- */

/* set_msg() - the message of @e (cut at its size, which is fine for one log-sized line). */
__attribute__((format(printf, 2, 3))) static void set_msg(IssueError *e, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
}

/* STS's error code as the caller sees it; STS's own code and message stay in the message. */
static void map_error(const char *code, long status, IssueError *e)
{
        static const struct {
                const char *sts;
                ProtoError code;
                bool is_transient;
        } map[] = {
                { "AccessDenied", PROTO_ACCESS_DENIED, false },
                { "ExpiredToken", PROTO_EXPIRED_TOKEN, false },
                { "ExpiredTokenException", PROTO_EXPIRED_TOKEN, false },
                { "RegionDisabledException", PROTO_REGION_DISABLED, false },
                { "MalformedPolicyDocument", PROTO_MALFORMED_POLICY_DOCUMENT, false },
                { "PackedPolicyTooLarge", PROTO_INVALID_PARAMETER_VALUE, false },
                { "ValidationError", PROTO_INVALID_PARAMETER_VALUE, false },
                { "InvalidClientTokenId", PROTO_INVALID_TOKEN, false },
                { "SignatureDoesNotMatch", PROTO_SIGNATURE_DOES_NOT_MATCH, false },
                { "IncompleteSignature", PROTO_INCOMPLETE_SIGNATURE, false },
                { "RequestExpired", PROTO_REQUEST_EXPIRED, true },
                { "Throttling", PROTO_THROTTLING, true },
                { "ThrottlingException", PROTO_THROTTLING, true },
                { "RequestLimitExceeded", PROTO_THROTTLING, true },
                { "InternalFailure", PROTO_UPSTREAM_UNAVAILABLE, true },
                { "ServiceUnavailable", PROTO_UPSTREAM_UNAVAILABLE, true },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(code, map[i].sts) == 0) {
                        e->code = map[i].code;
                        e->is_transient = map[i].is_transient;
                        return;
                }
        e->is_transient = status >= 500 || status == 429;
        e->code = e->is_transient ? PROTO_UPSTREAM_UNAVAILABLE
                  : status == 403 ? PROTO_ACCESS_DENIED
                                  : PROTO_INVALID_PARAMETER_VALUE;
}

static void note_failure(AwsState *st, const IssueError *e)
{
        st->last_failure = agent_now(st->agent);
        st->is_failing = true;
        snprintf(st->last_error, sizeof(st->last_error), "%s", e->message);
}

static void finish(AwsCall *c, int r, Credentials *cr, const IssueError *e);

/* ---- sources (role chaining) -------------------------------------------------- */

static Source *source_find(AwsState *st, const char *arn)
{
        for (Source *s = st->sources; s; s = s->next)
                if (strcmp(s->role_arn, arn) == 0)
                        return s;
        return NULL;
}

static void source_free(Source *s)
{
        credentials_deinit(&s->creds);
        free(s->role_arn);
        free(s);
}

/* ---- the call ----------------------------------------------------------------- */

static void on_http(void *userdata, int r, long status, const char *body, size_t len,
                    const char *error);

/*
 * Sign @c with @src now and post it.  Return: 0 (on_http() will finish it),
 * or ISSUER_E_FAILED with *@e set: then the caller still owns @c.
 */
static int send_call(AwsCall *c, const StsSource *src, IssueError *e)
{
        AwsState *st = c->st;
        char *headers[STS_HEADERS_MAX + 1];
        HttpPost post;
        int r;

        r = sts_sign(c->url, c->region, src, c->body, c->body_len, agent_now(st->agent), headers);
        if (r < 0) {
                *e = (IssueError){ .code = PROTO_INTERNAL };
                set_msg(e, "%s: cannot sign the request: %s", c->what, strerror(-r));
                note_failure(st, e);
                return ISSUER_E_FAILED;
        }
        post = (HttpPost){
                .url = c->url,
                .headers = (const char *const *)headers,
                .body = c->body,
                .body_len = c->body_len,
                .ca_file = c->ca_file,
        };
        c->started = agent_now(st->agent);
        r = http_post(st->http, &post, on_http, c);
        sts_headers_free(headers);
        if (r < 0) {
                *e = (IssueError){ .code = PROTO_UPSTREAM_UNAVAILABLE, .is_transient = true };
                set_msg(e, "%s: cannot start the request: %s", c->what, strerror(-r));
                note_failure(st, e);
                return ISSUER_E_FAILED;
        }
        st->n_calls++;
        return 0;
}

static int via_mfa(AwsState *st, const Config *config, AwsCall *c, IssueError *e);
static int via_imds(AwsState *st, AwsCall *c, IssueError *e);

/*
 * Send @c with the agent's own credentials (credentials_file, or the
 * instance role's from IMDS), or, with mfa_serial, with the MFA session made
 * from them.  Return: as send_call(), or 0 when @c waits (taken).
 */
static int send_base(AwsState *st, const Config *config, AwsCall *c, IssueError *e)
{
        StsSource base = { config->aws.access_key_id, config->aws.secret_access_key,
                           config->aws.session_token };

        if (config->aws.mfa_serial)
                return via_mfa(st, config, c, e);
        if (!config->aws.access_key_id && config->aws.imds)
                return via_imds(st, c, e);
        return send_call(c, &base, e);
}

/* The source session arrived (r == 0) or failed: sign the waiting calls or fail them. */
static void source_done(Source *s, AwsState *st, int r, const IssueError *e)
{
        AwsCall *c = s->waiting;

        s->waiting = NULL;
        s->is_in_flight = false;
        while (c) {
                AwsCall *next = c->next;

                c->next = NULL;
                if (r == 0) {
                        StsSource src = { s->creds.akid, s->creds.secret, s->creds.token };
                        IssueError se;

                        if (send_call(c, &src, &se))
                                finish(c, ISSUER_E_FAILED, NULL, &se);
                } else {
                        IssueError ce = *e;

                        set_msg(&ce, "%s: its source session: %s", c->what, e->message);
                        finish(c, r > 0 ? ISSUER_E_FAILED : r, NULL, &ce);
                }
                c = next;
        }
        (void)st;
}

static void mfa_checked(AwsCall *c, int r, Credentials *cr, const IssueError *e);

static void finish(AwsCall *c, int r, Credentials *cr, const IssueError *e)
{
        AwsState *st = c->st;

        if (r == ISSUER_E_FAILED && c->started)
                note_failure(st, e);
        if (c->mfa_done) {
                mfa_checked(c, r, cr, e);
        } else if (c->source_fetch) {
                Source *s = c->source_fetch;

                if (r == 0) {
                        credentials_deinit(&s->creds);
                        s->creds = *cr;
                        *cr = (Credentials)CREDENTIALS_INIT;
                        s->has_creds = true;
                }
                source_done(s, st, r, e);
        } else {
                c->done(c->userdata, r, cr, e);
        }
        if (cr)
                credentials_deinit(cr);
        call_free(c);
}

static void on_http(void *userdata, int r, long status, const char *body, size_t len,
                    const char *error)
{
        AwsCall *c = userdata;
        AwsState *st = c->st;
        IssueError e = { .code = PROTO_UPSTREAM_UNAVAILABLE, .is_transient = true };
        StsAnswer a;
        uint8_t rnd[16];
        int64_t now = agent_now(st->agent);

        if (r == -ECANCELED) {
                set_msg(&e, "%s: cancelled: the agent is stopping", c->what);
                finish(c, -ECANCELED, NULL, &e);
                return;
        }
        if (r) {
                set_msg(&e, "%s: STS at %s did not answer: %s", c->what, c->url, error);
                log_warning("%s", e.message);
                finish(c, ISSUER_E_FAILED, NULL, &e);
                return;
        }
        r = sts_parse(status, body, len, &a);
        if (r == STS_E_ERROR) {
                map_error(a.code, status, &e);
                set_msg(&e, "%s: STS answered %s: %s", c->what, a.code, a.message);
                log_warning("%s (HTTP %ld)", e.message, status);
                finish(c, ISSUER_E_FAILED, NULL, &e);
                return;
        }
        if (r == 0 && a.creds.expires <= now) {
                credentials_deinit(&a.creds);
                r = STS_E_MALFORMED;
        }
        if (r) {
                snprintf(e.message, sizeof(e.message),
                         "%s: STS at %s gave an answer that is not STS XML with credentials (HTTP "
                         "%ld)",
                         c->what, c->url, status);
                log_warning("%s", e.message);
                finish(c, r < 0 ? r : ISSUER_E_FAILED, NULL, &e);
                return;
        }
        st->last_success = now;
        st->is_failing = false;
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(a.creds.sid, sizeof(a.creds.sid), rnd, sizeof(rnd));
        a.creds.issuer = "aws";
        a.creds.issued = now;
        log_debug("%s: STS issued %s until %lld", c->what, a.creds.akid,
                  (long long)a.creds.expires);
        finish(c, 0, &a.creds, NULL);
}

/* A call to STS for @role (its endpoint, region and CA), with the body of @p. */
static int new_call(AwsState *st, const Config *config, const Role *role, const StsParams *p,
                    const char *what, AwsCall **cp)
{
        AwsCall *c = calloc(1, sizeof(*c));
        char url[600];
        const char *region;
        int r;

        if (!c)
                return -ENOMEM;
        c->st = st;
        config_aws_endpoint(config, role, url, sizeof(url), &region);
        c->url = strdup(url);
        c->region = strdup(region);
        c->what = strdup(what);
        c->ca_file = config->aws.ca_file ? strdup(config->aws.ca_file) : NULL;
        if (!c->url || !c->region || !c->what || (config->aws.ca_file && !c->ca_file)) {
                call_free(c);
                return -ENOMEM;
        }
        r = sts_body(p, &c->body, &c->body_len);
        if (r < 0) {
                call_free(c);
                return r;
        }
        *cp = c;
        return 0;
}

/* The session policy to send: compact JSON of the role's permissions (or its own file). */
static int session_policy(const Role *role, const IssueRequest *req, char **policyp,
                          IssueError *err)
{
        const char *text = NULL;
        size_t len = 0;
        json_t *doc;

        *policyp = NULL;
        if (req->policy && role->aws.session_policy != AWS_SESSION_POLICY_NONE) {
                err->code = PROTO_INVALID_PARAMETER_VALUE;
                snprintf(err->message, sizeof(err->message),
                         "role %s already sends its own session policy to STS (session_policy = "
                         "%s); a caller's session policy is only taken for session_policy = none",
                         role->name,
                         role->aws.session_policy == AWS_SESSION_POLICY_INHERIT ? "inherit"
                                                                                : "FILE");
                return ISSUER_E_FAILED;
        }
        if (req->policy) {
                text = req->policy;
                len = req->policy_len;
        } else if (role->aws.session_policy == AWS_SESSION_POLICY_INHERIT) {
                text = role->permissions;
                len = role->permissions_len;
        } else if (role->aws.session_policy == AWS_SESSION_POLICY_FILE) {
                text = role->aws.policy;
                len = role->aws.policy_len;
        }
        if (!text)
                return 0;
        /* STS counts the policy's characters: send it without the indentation. */
        doc = json_loadb(text, len, 0, NULL);
        if (!doc)
                return -EINVAL;
        *policyp = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        return *policyp ? 0 : -ENOMEM;
}

/*
 * Send @c with @src_role's cached session, or queue it until the session
 * arrives (starting the fetch).  Return: 0 (@c is taken), ISSUER_E_FAILED
 * with *@e set or -errno (the caller still owns @c).
 */
static int via_source(AwsState *st, const Config *config, const Role *src_role, AwsCall *c,
                      IssueError *e)
{
        Source *s = source_find(st, src_role->aws.role_arn);
        int64_t now = agent_now(st->agent);
        StsParams p = {
                .action = STS_ASSUME_ROLE,
                .role_arn = src_role->aws.role_arn,
                .session_name = SOURCE_SESSION_NAME,
                .duration = SOURCE_DURATION,
                .external_id = src_role->aws.external_id,
        };
        char what[700];
        AwsCall *fetch;
        int r;

        if (s && s->has_creds && now < s->creds.expires - SOURCE_MARGIN) {
                StsSource src = { s->creds.akid, s->creds.secret, s->creds.token };

                return send_call(c, &src, e);
        }
        if (!s) {
                s = calloc(1, sizeof(*s));
                if (!s || !(s->role_arn = strdup(src_role->aws.role_arn))) {
                        free(s);
                        return -ENOMEM;
                }
                s->next = st->sources;
                st->sources = s;
        }
        c->next = s->waiting;
        s->waiting = c;
        if (s->is_in_flight)
                return 0;
        snprintf(what, sizeof(what), "sts:AssumeRole of source role %s (%s)", src_role->name,
                 src_role->aws.role_arn);
        r = new_call(st, config, src_role, &p, what, &fetch);
        if (r < 0) {
                s->waiting = c->next;
                c->next = NULL;
                return r;
        }
        fetch->source_fetch = s;
        r = send_base(st, config, fetch, e);
        if (r) {
                /* Nobody else waited (it was not in flight): hand @c back to the caller. */
                s->waiting = c->next;
                c->next = NULL;
                call_free(fetch);
                return r;
        }
        s->is_in_flight = true;
        return 0;
}

/* ---- IMDS ---------------------------------------------------------------------- */

static void on_imds(void *userdata, int r, Credentials *take, const char *why)
{
        AwsState *st = userdata;
        Source *s = &st->imds_source;
        IssueError e = { .code = PROTO_UPSTREAM_UNAVAILABLE, .is_transient = true };

        s->is_in_flight = false;
        if (r == 0) {
                credentials_deinit(&s->creds);
                s->creds = *take;
                *take = (Credentials)CREDENTIALS_INIT;
                s->has_creds = true;
                source_done(s, st, 0, NULL);
                return;
        }
        set_msg(&e, "the agent's source credentials: %s", why);
        if (r != -ECANCELED) {
                log_warning("%s", e.message);
                note_failure(st, &e);
        }
        /* Credentials fetched before and still good go on serving until shortly before they end. */
        if (r != -ECANCELED && s->has_creds &&
            agent_now(st->agent) < s->creds.expires - IMDS_MIN_LEFT)
                source_done(s, st, 0, NULL);
        else
                source_done(s, st, r == -ECANCELED ? -ECANCELED : ISSUER_E_FAILED, &e);
}

/* Start fetching the instance role's credentials.  Return: 0, or ISSUER_E_FAILED with *@e set. */
static int imds_start(AwsState *st, IssueError *e)
{
        Source *s = &st->imds_source;
        int r;

        if (s->is_in_flight)
                return 0;
        r = imds_fetch(st->imds, agent_now(st->agent), on_imds, st);
        if (r < 0) {
                *e = (IssueError){ .code = PROTO_UPSTREAM_UNAVAILABLE, .is_transient = true };
                if (r == -EINVAL)
                        set_msg(e,
                                "the agent's source credentials: %s names no usable IMDS endpoint",
                                IMDS_ENDPOINT_ENV);
                else
                        set_msg(e, "the agent's source credentials: cannot ask IMDS: %s",
                                strerror(-r));
                note_failure(st, e);
                return ISSUER_E_FAILED;
        }
        s->is_in_flight = true;
        return 0;
}

/*
 * Send @c with the instance role's credentials from IMDS: at once while they
 * have more than IMDS_REFRESH_MARGIN left; with the current ones and a fetch
 * started in the background when fewer (but more than IMDS_MIN_LEFT) remain;
 * else after a fetch (queued; one fetch at a time).  Return: as via_source().
 */
static int via_imds(AwsState *st, AwsCall *c, IssueError *e)
{
        Source *s = &st->imds_source;
        int64_t now = agent_now(st->agent);
        int r;

        if (s->has_creds && now < s->creds.expires - IMDS_MIN_LEFT) {
                StsSource src = { s->creds.akid, s->creds.secret, s->creds.token };

                if (now >= s->creds.expires - IMDS_REFRESH_MARGIN && imds_start(st, e) != 0)
                        log_warning("%s", e->message);
                return send_call(c, &src, e);
        }
        r = imds_start(st, e);
        if (r)
                return r;
        c->next = s->waiting;
        s->waiting = c;
        return 0;
}

/* ---- MFA ---------------------------------------------------------------------- */

static void free_str(char **p)
{
        if (*p) {
                sodium_memzero(*p, strlen(*p));
                free(*p);
                *p = NULL;
        }
}

static void mfa_clear(MfaState *m)
{
        free_str(&m->url);
        free_str(&m->region);
        free_str(&m->ca_file);
        free_str(&m->serial);
        free_str(&m->akid);
        free_str(&m->secret);
        free_str(&m->token);
}

/* The code arrived (or not): GetSessionToken with it, or fail every waiting call. */
static void on_mfa_code(void *userdata, int r, const char *code, const char *why)
{
        AwsState *st = userdata;
        MfaState *m = &st->mfa;
        IssueError e = { .code = PROTO_ACCESS_DENIED };
        StsParams p = {
                .action = STS_GET_SESSION_TOKEN,
                .duration = 43200,
                .serial_number = m->serial,
                .token_code = code,
        };
        StsSource base = { m->akid, m->secret, m->token };
        AwsCall *c = NULL;

        m->run = NULL;
        if (r) {
                if (r == -ECANCELED)
                        e = (IssueError){ .code = PROTO_UPSTREAM_UNAVAILABLE,
                                          .is_transient = true };
                set_msg(&e, "MFA: mfa_process gave no code: %s", why);
                log_warning("%s", e.message);
                note_failure(st, &e);
                source_done(&m->source, st, r == -ECANCELED ? -ECANCELED : ISSUER_E_FAILED, &e);
                mfa_clear(m);
                return;
        }
        c = calloc(1, sizeof(*c));
        if (c) {
                c->st = st;
                c->url = strdup(m->url);
                c->region = strdup(m->region);
                c->ca_file = m->ca_file ? strdup(m->ca_file) : NULL;
                c->what = strdup("sts:GetSessionToken with MFA");
                c->source_fetch = &m->source;
        }
        if (!c || !c->url || !c->region || !c->what || (m->ca_file && !c->ca_file) ||
            sts_body(&p, &c->body, &c->body_len) < 0) {
                call_free(c);
                e = (IssueError){ .code = PROTO_INTERNAL };
                set_msg(&e, "MFA: out of memory");
                source_done(&m->source, st, ISSUER_E_FAILED, &e);
                mfa_clear(m);
                return;
        }
        r = send_call(c, &base, &e);
        mfa_clear(m);
        if (r) {
                call_free(c);
                source_done(&m->source, st, ISSUER_E_FAILED, &e);
        }
}

static void on_mfa_timer_closed(uv_handle_t *h)
{
        free(h);
}

/* No code came from the Mfa method in time: fail every call that waited for one. */
static void on_mfa_timeout(uv_timer_t *t)
{
        AwsState *st = t->data;
        IssueError e = { .code = PROTO_ACCESS_DENIED };

        set_msg(&e,
                "MFA: no code arrived within %d s; supply one with 'rolectl mfa CODE' "
                "([aws] mfa_serial is set and there is no mfa_process)",
                MFA_TIMEOUT_MS / 1000);
        log_warning("%s", e.message);
        note_failure(st, &e);
        source_done(&st->mfa.source, st, ISSUER_E_FAILED, &e);
}

/*
 * Send @c with the cached MFA session, or queue it until there is one: with
 * mfa_process the first caller starts it and everyone else waits for that
 * one code; without, every caller waits for a code from the Mfa method (at
 * most MFA_TIMEOUT_MS from the first).  Return: as via_source().
 */
static int via_mfa(AwsState *st, const Config *config, AwsCall *c, IssueError *e)
{
        MfaState *m = &st->mfa;
        Source *s = &m->source;
        int64_t now = agent_now(st->agent);
        char url[600];
        const char *region;
        int r;

        if (s->has_creds && now < s->creds.expires - SOURCE_MARGIN) {
                StsSource src = { s->creds.akid, s->creds.secret, s->creds.token };

                return send_call(c, &src, e);
        }
        c->next = s->waiting;
        s->waiting = c;
        if (!config->aws.mfa_process) {
                if (!uv_is_active((uv_handle_t *)m->timer)) {
                        uv_timer_start(m->timer, on_mfa_timeout, MFA_TIMEOUT_MS, 0);
                        log_warning("MFA: a call to STS waits for a code: supply it with 'rolectl "
                                    "mfa CODE' "
                                    "within %d s",
                                    MFA_TIMEOUT_MS / 1000);
                }
                return 0;
        }
        if (s->is_in_flight)
                return 0;
        config_aws_endpoint(config, NULL, url, sizeof(url), &region);
        m->url = strdup(url);
        m->region = strdup(region);
        m->ca_file = config->aws.ca_file ? strdup(config->aws.ca_file) : NULL;
        m->serial = strdup(config->aws.mfa_serial);
        m->akid = strdup(config->aws.access_key_id);
        m->secret = strdup(config->aws.secret_access_key);
        m->token = config->aws.session_token ? strdup(config->aws.session_token) : NULL;
        r = -ENOMEM;
        if (m->url && m->region && m->serial && m->akid && m->secret &&
            (!config->aws.ca_file || m->ca_file) && (!config->aws.session_token || m->token))
                r = mfa_run(st->agent->loop, config->aws.mfa_process, on_mfa_code, st, &m->run);
        if (r < 0) {
                mfa_clear(m);
                s->waiting = c->next;
                c->next = NULL;
                *e = (IssueError){ .code = PROTO_ACCESS_DENIED };
                set_msg(e, "MFA: cannot run mfa_process: %s", strerror(-r));
                note_failure(st, e);
                return ISSUER_E_FAILED;
        }
        m->n_prompts++;
        log_info("MFA: running mfa_process for a code (%llu so far)",
                 (unsigned long long)m->n_prompts);
        s->is_in_flight = true;
        return 0;
}

/* Does a call of @uid wait for the MFA session (itself, or through a source role's fetch)? */
static bool mfa_is_waited_for_by(const MfaState *m, uint32_t uid)
{
        for (const AwsCall *c = m->source.waiting; c; c = c->next) {
                if (!c->source_fetch && c->uid == uid)
                        return true;
                if (c->source_fetch)
                        for (const AwsCall *w = c->source_fetch->waiting; w; w = w->next)
                                if (w->uid == uid)
                                        return true;
        }
        return false;
}

/*
 * The GetSessionToken of an Mfa method's code was answered.  Right: the
 * session is kept and every waiting call goes out with it.  Wrong (or no
 * answer): the supplier is told STS's error; callers waiting for a code from
 * the Mfa method keep waiting for a better one, while with mfa_process
 * (whose run this check stood in for) they get the error too.
 */
static void mfa_checked(AwsCall *c, int r, Credentials *cr, const IssueError *e)
{
        AwsState *st = c->st;
        MfaState *m = &st->mfa;
        Source *s = &m->source;
        size_t n = 0;
        int64_t expires;

        m->check = NULL;
        if (r == ISSUER_E_FAILED && !c->is_admin && e->code == PROTO_ACCESS_DENIED) {
                int64_t now = agent_now(st->agent);

                if (now >= m->wrong_since + MFA_WRONG_WINDOW) {
                        m->wrong_since = now;
                        m->n_wrong = 0;
                }
                m->n_wrong++;
                log_warning("MFA: STS refused the code uid %u sent (%u from users other than root "
                            "and the agent's user in %d s)",
                            (unsigned)c->uid, m->n_wrong, MFA_WRONG_WINDOW);
        }
        if (r != 0) {
                if (m->has_process && s->waiting) {
                        IssueError ce = *e;

                        source_done(s, st, r > 0 ? ISSUER_E_FAILED : r, &ce);
                }
                s->is_in_flight = false;
                c->mfa_done(c->mfa_userdata, r, 0, 0, e);
                return;
        }
        expires = cr->expires;
        credentials_deinit(&s->creds);
        s->creds = *cr;
        *cr = (Credentials)CREDENTIALS_INIT;
        s->has_creds = true;
        for (const AwsCall *w = s->waiting; w; w = w->next)
                n++;
        uv_timer_stop(m->timer);
        log_info("MFA: the code was accepted; the MFA session lasts until %lld; %zu waiting "
                 "call(s) go out",
                 (long long)expires, n);
        source_done(s, st, 0, NULL);
        c->mfa_done(c->mfa_userdata, 0, expires, n, NULL);
}

int issuer_aws_mfa(Agent *agent, const Config *config, uint32_t uid, const char *code,
                   AwsMfaDone done, void *userdata, IssueError *err)
{
        AwsState *st = agent->issuer_state[ROLE_ISSUER_AWS];
        MfaState *m = &st->mfa;
        StsParams p = {
                .action = STS_GET_SESSION_TOKEN,
                .duration = 43200,
                .serial_number = config->aws.mfa_serial,
                .token_code = code,
        };
        StsSource base = { config->aws.access_key_id, config->aws.secret_access_key,
                           config->aws.session_token };
        AwsCall *c;
        int r;

        if (!config->aws.mfa_serial) {
                err->code = PROTO_NO_SUCH_ENTITY;
                set_msg(err, "the agent has no [aws] mfa_serial, so it needs no MFA code");
                return ISSUER_E_FAILED;
        }
        if (!config->aws.access_key_id) {
                err->code = PROTO_UPSTREAM_UNAVAILABLE;
                set_msg(err, "the agent has no AWS source credentials to use the MFA code with");
                return ISSUER_E_FAILED;
        }
        /*
         * The MFA session serves every local caller, so a code is taken from
         * root and the agent's user, and from a user only while a request of
         * theirs waits for one; anyone else's never reaches STS.
         */
        if (!agent_is_admin(agent, uid) && !mfa_is_waited_for_by(m, uid)) {
                err->code = PROTO_ACCESS_DENIED;
                set_msg(err,
                        "an MFA code is taken from root, the agent's user, or a user whose request "
                        "waits for one; no request of uid %u waits for one",
                        (unsigned)uid);
                return ISSUER_E_FAILED;
        }
        if (!agent_is_admin(agent, uid) && m->n_wrong >= MFA_WRONG_MAX &&
            agent_now(agent) < m->wrong_since + MFA_WRONG_WINDOW) {
                err->code = PROTO_THROTTLING;
                set_msg(err,
                        "%u wrong MFA codes from users other than root and the agent's user "
                        "in %d s; try again in %lld s, or have root send the code",
                        m->n_wrong, MFA_WRONG_WINDOW,
                        (long long)(m->wrong_since + MFA_WRONG_WINDOW - agent_now(agent)));
                return ISSUER_E_FAILED;
        }
        if (m->check || m->run) {
                err->code = PROTO_THROTTLING;
                set_msg(err, "%s; try again once it has answered",
                        m->check ? "another MFA code is being checked with STS"
                                 : "mfa_process is running for a code");
                return ISSUER_E_FAILED;
        }
        r = new_call(st, config, NULL, &p, "sts:GetSessionToken with an MFA code from rolectl mfa",
                     &c);
        if (r < 0)
                return r;
        c->uid = uid;
        c->is_admin = agent_is_admin(agent, uid);
        c->mfa_done = done;
        c->mfa_userdata = userdata;
        r = send_call(c, &base, err);
        if (r) {
                call_free(c);
                return r;
        }
        m->check = c;
        m->has_process = config->aws.mfa_process != NULL;
        /* With mfa_process, callers that come meanwhile wait for this code instead of starting it.
         */
        if (m->has_process)
                m->source.is_in_flight = true;
        m->n_codes++;
        log_info("MFA: uid %u supplied a code; checking it with sts:GetSessionToken",
                 (unsigned)uid);
        return 0;
}

static int aws_issue(void *state, const IssueRequest *req, Credentials *out, IssueError *err,
                     IssueDone done, void *userdata)
{
        AwsState *st = state;
        const Role *role = req->role;
        const Config *config = req->config;
        const Identity *id = req->id;
        _cleanup_free_ char *policy = NULL;
        char session[65], sid[65], host[65] = "", uid[16];
        char v_user[257], v_exe[257], v_host[257], v_unit[257];
        const char *keys[5], *values[5];
        size_t n_tags = 0;
        char what[700];
        StsParams p;
        AwsCall *c;
        int r;

        (void)out;
        if (!config->aws.access_key_id && !config->aws.imds) {
                err->code = PROTO_UPSTREAM_UNAVAILABLE;
                snprintf(err->message, sizeof(err->message),
                         "role %s: the agent has no AWS source credentials ([aws] credentials_file "
                         "or imds = on)",
                         role->name);
                return ISSUER_E_FAILED;
        }
        r = session_policy(role, req, &policy, err);
        if (r)
                return r;
        if (req->session_name)
                snprintf(session, sizeof(session), "%s", req->session_name);
        else
                issuer_aws_session_name(id->user, issuer_exe(req), session);
        source_identity(id, sid);
        gethostname(host, sizeof(host) - 1);
        snprintf(uid, sizeof(uid), "%u", (unsigned)id->uid);
        tag_value(id->user, v_user);
        tag_value(host, v_host);
        keys[n_tags] = "roled:uid", values[n_tags++] = uid;
        keys[n_tags] = "roled:user", values[n_tags++] = v_user;
        /*
         * Only an executable checked for this request, by a path naming the
         * running file in the agent's namespace (issuer.h); otherwise no tag,
         * so aws:PrincipalTag/roled:exe is absent rather than "" (which a
         * StringLike "*" would match).
         */
        if (issuer_exe(req)[0]) {
                tag_value(issuer_exe(req), v_exe);
                keys[n_tags] = "roled:exe", values[n_tags++] = v_exe;
        }
        keys[n_tags] = "roled:host", values[n_tags++] = v_host;
        if (id->unit[0]) {
                tag_value(id->unit, v_unit);
                keys[n_tags] = "roled:unit", values[n_tags++] = v_unit;
        }
        p = (StsParams){
                .action = STS_ASSUME_ROLE,
                .role_arn = role->aws.role_arn,
                .session_name = session,
                .duration = req->duration,
                .policy = policy,
                .external_id = role->aws.external_id,
                .source_identity = sid,
                .tag_keys = keys,
                .tag_values = values,
                .n_tags = n_tags,
        };
        snprintf(what, sizeof(what), "sts:AssumeRole of %s (%s) for %s", role->name,
                 role->aws.role_arn, session);
        r = new_call(st, config, role, &p, what, &c);
        if (policy)
                sodium_memzero(policy, strlen(policy));
        if (r < 0)
                return r;
        c->done = done;
        c->userdata = userdata;
        c->uid = (uint32_t)id->uid;
        if (role->aws.source_role) {
                const Role *src = config_find_role(config, role->aws.source_role,
                                                   strlen(role->aws.source_role));

                r = src ? via_source(st, config, src, c, err) : -ENOENT;
        } else {
                r = send_base(st, config, c, err);
        }
        if (r) {
                call_free(c);
                return r;
        }
        return ISSUER_E_PENDING;
}

static bool has_aws_role(const Config *config)
{
        for (size_t i = 0; config && i < config->n_roles; i++)
                if (config->roles[i].issuer == ROLE_ISSUER_AWS)
                        return true;
        return false;
}

static int aws_init(Agent *agent, void **statep)
{
        AwsState *st = calloc(1, sizeof(*st));
        int r;

        if (!st)
                return -ENOMEM;
        st->agent = agent;
        st->mfa.timer = malloc(sizeof(*st->mfa.timer));
        if (!st->mfa.timer) {
                free(st);
                return -ENOMEM;
        }
        uv_timer_init(agent->loop, st->mfa.timer);
        st->mfa.timer->data = st;
        r = http_new(agent->loop, &st->http);
        if (r == 0) {
                r = imds_new(st->http, &st->imds);
                if (r < 0)
                        http_free(st->http);
        }
        /* With aws roles configured, load libcurl before serving (a failure is logged). */
        if (r == 0 && has_aws_role(agent->config))
                (void)http_prepare(st->http);
        if (r < 0) {
                uv_close((uv_handle_t *)st->mfa.timer, on_mfa_timer_closed);
                free(st);
                return r;
        }
        *statep = st;
        return 0;
}

static void aws_fini(void *state)
{
        AwsState *st = state;

        /* Cancels every call: callers get -ECANCELED, sources fail their waiters. */
        if (st->mfa.run)
                mfa_cancel(st->mfa.run);
        http_free(st->http);
        /* Calls that waited for a code from the Mfa method (none is coming now). */
        if (st->mfa.source.waiting) {
                IssueError e = { .code = PROTO_UPSTREAM_UNAVAILABLE, .is_transient = true };

                set_msg(&e, "MFA: cancelled: the agent is stopping");
                source_done(&st->mfa.source, st, -ECANCELED, &e);
        }
        uv_close((uv_handle_t *)st->mfa.timer, on_mfa_timer_closed);
        st->imds = imds_free(st->imds);
        credentials_deinit(&st->imds_source.creds);
        credentials_deinit(&st->mfa.source.creds);
        while (st->sources) {
                Source *s = st->sources;

                st->sources = s->next;
                source_free(s);
        }
        free(st);
}

static void aws_describe(void *state, const Role *role, IssuerHealth *h)
{
        AwsState *st = state;

        (void)role;
        *h = (IssuerHealth){
                .state = st->n_calls == 0 ? "unknown"
                         : st->is_failing ? "failing"
                                          : "ok",
                .last_success = st->last_success,
                .last_failure = st->last_failure,
                .n_calls = st->n_calls,
        };
        snprintf(h->last_error, sizeof(h->last_error), "%s", st->last_error);
        if (st->agent->config && st->agent->config->aws.is_set) {
                const ConfigAws *a = &st->agent->config->aws;
                const Source *s = &st->mfa.source;

                h->source = a->credentials_file ? "credentials_file" : a->imds ? "imds" : NULL;
                h->has_mfa = a->mfa_serial != NULL;
                if (h->has_mfa && s->has_creds && agent_now(st->agent) < s->creds.expires)
                        h->mfa_expires = s->creds.expires;
                /* The calls of the waiting requests (a source role's fetch stands for its own
                 * waiters). */
                for (const AwsCall *c = s->waiting; c; c = c->next) {
                        if (!c->source_fetch) {
                                h->n_mfa_waiting++;
                                continue;
                        }
                        for (const AwsCall *w = c->source_fetch->waiting; w; w = w->next)
                                h->n_mfa_waiting++;
                }
        }
}

const IssuerDriver issuer_aws_driver = {
        .name = "aws",
        .init = aws_init,
        .fini = aws_fini,
        .issue = aws_issue,
        .verify = NULL,
        .describe = aws_describe,
};
