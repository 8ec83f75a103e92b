/* SPDX-License-Identifier: MIT */
/*
 * imds.c - IMDSv2 client (see imds.h).
 *
 * A fetch is a small state machine over three requests: TOKEN (skipped while
 * the session token is fresh), ROLE and CREDS.  A 401 on ROLE or CREDS means
 * the token was refused (expired, or IMDS restarted): it is dropped and the
 * fetch starts over once.  The token and the credentials' JSON are wiped
 * when no longer needed.
 */
#include "imds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "sts.h"

#define TOKEN_MAX 1024  /* bytes of an IMDS session token we accept */
#define TOKEN_MARGIN 60 /* seconds: ask for a new token this long before the old one ends */

typedef enum Step { STEP_TOKEN, STEP_ROLE, STEP_CREDS } Step;

struct Imds {
        Http *http;
        char endpoint[256];
        char token[TOKEN_MAX + 1];
        int64_t token_expires;
        int64_t now;
        Step step;
        bool is_busy, has_retried;
        char role[IMDS_ROLE_MAX + 1];
        ImdsDone done;
        void *userdata;
};

/* An override must stay on this host's own link: loopback or link-local, plain http:// like IMDS
 * itself. */
static bool endpoint_usable(const char *url)
{
        char host[128];
        const char *p, *end;
        struct in_addr a4;
        struct in6_addr a6;
        size_t n;

        if (strncmp(url, "http://", 7) != 0)
                return false;
        p = url + 7;
        if (*p == '[') {
                end = strchr(p, ']');
                if (!end)
                        return false;
                n = (size_t)(end - p - 1);
                if (n >= sizeof(host))
                        return false;
                memcpy(host, p + 1, n);
                host[n] = '\0';
                end++;
                if (inet_pton(AF_INET6, host, &a6) != 1)
                        return false;
                if (!IN6_IS_ADDR_LOOPBACK(&a6) && !IN6_IS_ADDR_LINKLOCAL(&a6) &&
                    strcmp(host, "fd00:ec2::254") != 0)
                        return false;
        } else {
                end = p + strcspn(p, ":/");
                n = (size_t)(end - p);
                if (n >= sizeof(host))
                        return false;
                memcpy(host, p, n);
                host[n] = '\0';
                if (inet_pton(AF_INET, host, &a4) != 1)
                        return false;
                /* 127.0.0.0/8 or 169.254.0.0/16 */
                if ((ntohl(a4.s_addr) >> 24) != 127 && (ntohl(a4.s_addr) >> 16) != 0xa9fe)
                        return false;
        }
        if (*end == ':') {
                end++;
                if (strspn(end, "0123456789") == 0)
                        return false;
                end += strspn(end, "0123456789");
        }
        return *end == '\0' || strcmp(end, "/") == 0;
}

int imds_new(Http *http, Imds **ip)
{
        Imds *i = calloc(1, sizeof(*i));
        const char *env = getenv(IMDS_ENDPOINT_ENV);

        if (!i)
                return -ENOMEM;
        i->http = http;
        if (env && *env) {
                if (endpoint_usable(env) && strlen(env) < sizeof(i->endpoint)) {
                        snprintf(i->endpoint, sizeof(i->endpoint), "%s", env);
                        /* No trailing slash: paths are appended with their own. */
                        if (i->endpoint[strlen(i->endpoint) - 1] == '/')
                                i->endpoint[strlen(i->endpoint) - 1] = '\0';
                } else {
                        log_error(
                                "%s=%s is not http:// on a loopback or link-local address; IMDS is "
                                "not used",
                                IMDS_ENDPOINT_ENV, env);
                }
        } else {
                snprintf(i->endpoint, sizeof(i->endpoint), "%s", IMDS_ENDPOINT_DEFAULT);
        }
        *ip = i;
        return 0;
}

Imds *imds_free(Imds *i)
{
        if (i) {
                sodium_memzero(i->token, sizeof(i->token));
                free(i);
        }
        return NULL;
}

const char *imds_endpoint(const Imds *i)
{
        return i->endpoint;
}

static void on_answer(void *userdata, int r, long status, const char *body, size_t len,
                      const char *error);

static void finish(Imds *i, int r, Credentials *cr, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void finish(Imds *i, int r, Credentials *cr, const char *fmt, ...)
{
        char why[512] = "";
        ImdsDone done = i->done;
        va_list ap;

        if (fmt) {
                va_start(ap, fmt);
                vsnprintf(why, sizeof(why), fmt, ap);
                va_end(ap);
        }
        i->is_busy = false;
        i->done = NULL;
        done(i->userdata, r, cr, why);
}

/* Start the request of the current step.  Return: 0 or -errno. */
static int send_step(Imds *i)
{
        char url[512], auth[TOKEN_MAX + 64];
        const char *headers[2] = { NULL, NULL };
        HttpPost req = {
                .method = "GET",
                .url = url,
                .headers = headers,
                .connect_timeout_ms = IMDS_TIMEOUT_MS,
                .timeout_ms = IMDS_TIMEOUT_MS,
        };
        int r;

        switch (i->step) {
        case STEP_TOKEN:
                snprintf(url, sizeof(url), "%s/latest/api/token", i->endpoint);
                snprintf(auth, sizeof(auth), "X-aws-ec2-metadata-token-ttl-seconds: %d",
                         IMDS_TOKEN_TTL);
                req.method = "PUT";
                break;
        case STEP_ROLE:
                snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/",
                         i->endpoint);
                snprintf(auth, sizeof(auth), "X-aws-ec2-metadata-token: %s", i->token);
                break;
        case STEP_CREDS:
                snprintf(url, sizeof(url), "%s/latest/meta-data/iam/security-credentials/%s",
                         i->endpoint, i->role);
                snprintf(auth, sizeof(auth), "X-aws-ec2-metadata-token: %s", i->token);
                break;
        }
        headers[0] = auth;
        r = http_post(i->http, &req, on_answer, i);
        sodium_memzero(auth, sizeof(auth));
        return r;
}

static bool role_name_ok(const char *s, size_t n)
{
        return name_valid(s, n, 1, IMDS_ROLE_MAX, NAME_IAM_EXTRA);
}

/* The credentials document: {"Code": "Success", "AccessKeyId", "SecretAccessKey", "Token",
 * "Expiration"}. */
static int parse_creds(const char *body, size_t len, Credentials *cr, char *why, size_t why_len)
{
        json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        const char *code = NULL, *akid = NULL, *secret = NULL, *token = NULL, *exp = NULL;
        Credentials c = CREDENTIALS_INIT;
        int r = IMDS_E_FAILED;

        if (!doc ||
            json_unpack(doc, "{s?s, s:s, s:s, s:s, s:s}", "Code", &code, "AccessKeyId", &akid,
                        "SecretAccessKey", &secret, "Token", &token, "Expiration", &exp) < 0) {
                snprintf(why, why_len,
                         "the credentials document is not JSON with AccessKeyId, "
                         "SecretAccessKey, Token and Expiration");
                goto out;
        }
        if (code && strcmp(code, "Success") != 0) {
                snprintf(why, why_len, "the credentials document says Code %.64s", code);
                goto out;
        }
        if (strlen(akid) < 16 || strlen(akid) > CREDENTIALS_AKID_MAX || strlen(secret) < 1 ||
            strlen(secret) > CREDENTIALS_SECRET_MAX || !*token || strlen(token) > 8192 ||
            sts_parse_time(exp, &c.expires) < 0) {
                snprintf(why, why_len,
                         "the credentials document holds a malformed key, token or Expiration");
                goto out;
        }
        c.token = strdup(token);
        if (!c.token) {
                r = -ENOMEM;
                goto out;
        }
        c.token_len = strlen(token);
        snprintf(c.akid, sizeof(c.akid), "%s", akid);
        snprintf(c.secret, sizeof(c.secret), "%s", secret);
        c.issuer = "aws";
        *cr = c;
        c = (Credentials)CREDENTIALS_INIT;
        r = 0;
out:
        credentials_deinit(&c);
        /* jansson keeps the strings in the document: wipe them before it is freed. */
        if (secret)
                sodium_memzero((char *)secret, strlen(secret));
        if (token)
                sodium_memzero((char *)token, strlen(token));
        json_decref(doc);
        return r;
}

static const char *step_name(Step s)
{
        return s == STEP_TOKEN  ? "PUT /latest/api/token"
               : s == STEP_ROLE ? "GET /latest/meta-data/iam/security-credentials/"
                                : "GET /latest/meta-data/iam/security-credentials/ROLE";
}

static void on_answer(void *userdata, int r, long status, const char *body, size_t len,
                      const char *error)
{
        Imds *i = userdata;
        Credentials cr = CREDENTIALS_INIT;
        char why[256];
        size_t n;

        if (r == -ECANCELED) {
                finish(i, -ECANCELED, NULL, "cancelled: the agent is stopping");
                return;
        }
        if (r) {
                finish(i, IMDS_E_FAILED, NULL, "IMDS at %s did not answer %s: %s", i->endpoint,
                       step_name(i->step), error);
                return;
        }
        if (status == 401 && i->step != STEP_TOKEN && !i->has_retried) {
                /* The session token was refused: a new one, once. */
                i->has_retried = true;
                sodium_memzero(i->token, sizeof(i->token));
                i->token_expires = 0;
                i->step = STEP_TOKEN;
                if ((r = send_step(i)) < 0)
                        finish(i, r, NULL, "cannot start an IMDS request");
                return;
        }
        if (status == 404 && i->step == STEP_ROLE) {
                finish(i, IMDS_E_FAILED, NULL, "IMDS at %s: the instance has no IAM role",
                       i->endpoint);
                return;
        }
        if (status != 200) {
                finish(i, IMDS_E_FAILED, NULL, "IMDS at %s answered %s with HTTP %ld", i->endpoint,
                       step_name(i->step), status);
                return;
        }
        switch (i->step) {
        case STEP_TOKEN:
                n = strcspn(body, "\r\n");
                if (n == 0 || n > TOKEN_MAX || n + strspn(body + n, "\r\n") != len) {
                        finish(i, IMDS_E_FAILED, NULL, "IMDS at %s sent an unusable session token",
                               i->endpoint);
                        return;
                }
                memcpy(i->token, body, n);
                i->token[n] = '\0';
                i->token_expires = i->now + IMDS_TOKEN_TTL;
                i->step = STEP_ROLE;
                break;
        case STEP_ROLE:
                /* One role per instance profile: the first line. */
                n = strcspn(body, "\r\n");
                if (!role_name_ok(body, n)) {
                        finish(i, IMDS_E_FAILED, NULL, "IMDS at %s named no usable IAM role",
                               i->endpoint);
                        return;
                }
                memcpy(i->role, body, n);
                i->role[n] = '\0';
                i->step = STEP_CREDS;
                break;
        case STEP_CREDS:
                r = parse_creds(body, len, &cr, why, sizeof(why));
                if (r == 0 && cr.expires <= i->now) {
                        credentials_deinit(&cr);
                        r = IMDS_E_FAILED;
                        snprintf(why, sizeof(why), "the credentials have already expired");
                }
                if (r) {
                        finish(i, r, NULL, "IMDS at %s, role %s: %s", i->endpoint, i->role, why);
                        return;
                }
                log_info("IMDS: credentials %s of instance role %s until %lld", cr.akid, i->role,
                         (long long)cr.expires);
                finish(i, 0, &cr, NULL);
                credentials_deinit(&cr);
                return;
        }
        if ((r = send_step(i)) < 0)
                finish(i, r, NULL, "cannot start an IMDS request");
}

int imds_fetch(Imds *i, int64_t now, ImdsDone done, void *userdata)
{
        int r;

        if (i->is_busy)
                return -EBUSY;
        if (!i->endpoint[0])
                return -EINVAL;
        i->now = now;
        i->has_retried = false;
        i->step = i->token[0] && now < i->token_expires - TOKEN_MARGIN ? STEP_ROLE : STEP_TOKEN;
        i->done = done;
        i->userdata = userdata;
        r = send_step(i);
        if (r < 0)
                return r;
        i->is_busy = true;
        return 0;
}
