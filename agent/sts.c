/* SPDX-License-Identifier: MIT */
/*
 * sts.c - STS requests and answers (see sts.h).
 *
 * Answers are read with expat in namespace mode, so element names compare
 * by local name whatever prefix STS uses; children are found by name under
 * their parent, in any order (aws-compat.md 3.3).  Text of secret elements
 * is kept only in buffers that are wiped.
 */
#include "sts.h"

#include <errno.h>
#include <expat.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "jsonw.h"
#include "sigv4.h"

/* ---- form body ------------------------------------------------------------ */

/* The body is built in a JsonBuf (jsonw.h): the growable buffer that is wiped as it grows. */

/* RFC 3986 unreserved characters stay; everything else is %XX (the SigV4 and AWS query rule). */
static void form_encoded(JsonBuf *f, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~') {
                        json_raw(f, (const char *)&c, 1);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };

                        json_raw(f, e, 3);
                }
        }
}

static void form_param(JsonBuf *f, const char *name, const char *value)
{
        if (!value)
                return;
        if (f->len)
                json_raw(f, "&", 1);
        form_encoded(f, name);
        json_raw(f, "=", 1);
        form_encoded(f, value);
}

int sts_body(const StsParams *p, char **bodyp, size_t *lenp)
{
        JsonBuf f = JSON_BUF_INIT;
        char num[32];

        if (p->n_tags > STS_TAGS_MAX)
                return -EINVAL;
        form_param(&f, "Action", p->action == STS_ASSUME_ROLE ? "AssumeRole" : "GetSessionToken");
        form_param(&f, "Version", STS_VERSION);
        form_param(&f, "RoleArn", p->role_arn);
        form_param(&f, "RoleSessionName", p->session_name);
        if (p->duration) {
                snprintf(num, sizeof(num), "%u", (unsigned)p->duration);
                form_param(&f, "DurationSeconds", num);
        }
        form_param(&f, "Policy", p->policy);
        form_param(&f, "ExternalId", p->external_id);
        form_param(&f, "SourceIdentity", p->source_identity);
        for (size_t i = 0; i < p->n_tags; i++) {
                char name[64];

                snprintf(name, sizeof(name), "Tags.member.%zu.Key", i + 1);
                form_param(&f, name, p->tag_keys[i]);
                snprintf(name, sizeof(name), "Tags.member.%zu.Value", i + 1);
                form_param(&f, name, p->tag_values[i]);
        }
        form_param(&f, "SerialNumber", p->serial_number);
        form_param(&f, "TokenCode", p->token_code);
        if (f.is_oom) {
                json_buf_deinit(&f);
                return -ENOMEM;
        }
        *bodyp = f.data;
        *lenp = f.len;
        return 0;
}

/* ---- signing ---------------------------------------------------------------- */

/* The authority (host[:port]) and path of @url; the path defaults to "/". */
static int split_url(const char *url, char *host, size_t host_size, const char **pathp)
{
        const char *h = strstr(url, "://"), *slash;
        size_t n;

        if (!h)
                return -EINVAL;
        h += 3;
        slash = strchr(h, '/');
        n = slash ? (size_t)(slash - h) : strlen(h);
        if (n == 0 || n >= host_size)
                return -EINVAL;
        memcpy(host, h, n);
        host[n] = '\0';
        *pathp = slash ? slash : "/";
        return 0;
}

static int header(char **slot, const char *name, const char *value)
{
        return asprintf(slot, "%s: %s", name, value) < 0 ? (*slot = NULL, -ENOMEM) : 0;
}

void sts_headers_free(char *headers[STS_HEADERS_MAX + 1])
{
        for (size_t i = 0; i < STS_HEADERS_MAX + 1; i++) {
                if (headers[i]) {
                        sodium_memzero(headers[i], strlen(headers[i]));
                        free(headers[i]);
                        headers[i] = NULL;
                }
        }
}

int sts_sign(const char *url, const char *region, const StsSource *src, const char *body,
             size_t len, int64_t now, char *headers[STS_HEADERS_MAX + 1])
{
        static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
        char host[300], amz_date[SIGV4_AMZ_DATE_LEN + 1], authz[SIGV4_AUTHORIZATION_MAX + 1];
        const char *path;
        char iso[CIVIL_ISO8601_SIZE];
        Sigv4Header hs[4];
        size_t n_hs = 0;
        Sigv4Auth auth = { .form = SIGV4_FORM_HEADER };
        Sigv4Request req;
        int r;

        memset(headers, 0, (STS_HEADERS_MAX + 1) * sizeof(*headers));
        if (split_url(url, host, sizeof(host), &path) < 0 || civil_format_iso8601(now, iso) < 0 ||
            strlen(src->access_key_id) > SIGV4_ACCESS_KEY_ID_MAX ||
            strlen(region) > SIGV4_REGION_MAX)
                return -EINVAL;
        /* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYYMMDDTHHMMSSZ" */
        snprintf(amz_date, sizeof(amz_date), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
                 iso + 11, iso + 14, iso + 17);

        /* Sorted by name, as SignedHeaders lists them. */
        hs[n_hs++] = (Sigv4Header){ "content-type", 12, content_type, strlen(content_type) };
        hs[n_hs++] = (Sigv4Header){ "host", 4, host, strlen(host) };
        hs[n_hs++] = (Sigv4Header){ "x-amz-date", 10, amz_date, strlen(amz_date) };
        if (src->session_token)
                hs[n_hs++] = (Sigv4Header){ "x-amz-security-token", 20, src->session_token,
                                            strlen(src->session_token) };
        snprintf(auth.access_key_id, sizeof(auth.access_key_id), "%s", src->access_key_id);
        memcpy(auth.date, amz_date, SIGV4_DATE_LEN);
        auth.date[SIGV4_DATE_LEN] = '\0';
        snprintf(auth.region, sizeof(auth.region), "%s", region);
        snprintf(auth.service, sizeof(auth.service), "sts");
        snprintf(auth.signed_headers, sizeof(auth.signed_headers), "%s",
                 src->session_token ? "content-type;host;x-amz-date;x-amz-security-token"
                                    : "content-type;host;x-amz-date");
        auth.n_signed_headers = n_hs;
        req = (Sigv4Request){
                .method = "POST",
                .method_len = 4,
                .path = path,
                .path_len = strlen(path),
                .query = "",
                .query_len = 0,
                .headers = hs,
                .n_headers = n_hs,
                .payload = (const uint8_t *)body,
                .payload_len = len,
                .now = now,
        };
        r = sigv4_sign(&req, &auth, src->secret_access_key, NULL, auth.signature);
        if (r < 0)
                return r;
        if (r > 0 || sigv4_format_authorization(&auth, authz, sizeof(authz), NULL) != 0)
                return -EINVAL;
        n_hs = 0;
        if ((r = header(&headers[n_hs++], "Host", host)) ||
            (r = header(&headers[n_hs++], "Content-Type", content_type)) ||
            (r = header(&headers[n_hs++], "X-Amz-Date", amz_date)) ||
            (src->session_token &&
             (r = header(&headers[n_hs++], "X-Amz-Security-Token", src->session_token))) ||
            (r = header(&headers[n_hs++], "Authorization", authz)) ||
            (r = header(&headers[n_hs++], "Accept", "text/xml")) ||
            /* No "Expect: 100-continue" round trip. */
            !(headers[n_hs++] = strdup("Expect:"))) {
                sts_headers_free(headers);
                return r ? r : -ENOMEM;
        }
        return 0;
}

/* ---- answers ----------------------------------------------------------------- */

static int digits(const char *s, int n, int *vp)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *vp = v;
        return 0;
}

int sts_parse_time(const char *s, int64_t *tp)
{
        int y, mo, d, h, mi, se;
        const char *p = s + 19;

        if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
            s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
            digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
                return -EINVAL;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
            se > 59)
                return -EINVAL;
        *tp = civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
        return 0;
}

typedef enum Field {
        F_NONE,
        F_AKID,
        F_SECRET,
        F_TOKEN,
        F_EXPIRATION,
        F_ARN,
        F_CODE,
        F_MESSAGE,
        F_COUNT,
} Field;

typedef struct Parse {
        XML_Parser x;
        char parent[64], current[64];
        unsigned depth;
        Field field;
        char *text[F_COUNT];
        size_t len[F_COUNT];
        size_t max[F_COUNT];
        bool is_oom, is_too_long;
        bool has_root_error, has_root_result;
} Parse;

static const char *local_name(const char *name)
{
        const char *bar = strrchr(name, '|');

        return bar ? bar + 1 : name;
}

static Field field_of(const char *parent, const char *name)
{
        if (strcmp(parent, "Credentials") == 0) {
                if (strcmp(name, "AccessKeyId") == 0)
                        return F_AKID;
                if (strcmp(name, "SecretAccessKey") == 0)
                        return F_SECRET;
                if (strcmp(name, "SessionToken") == 0)
                        return F_TOKEN;
                if (strcmp(name, "Expiration") == 0)
                        return F_EXPIRATION;
        }
        if (strcmp(parent, "AssumedRoleUser") == 0 && strcmp(name, "Arn") == 0)
                return F_ARN;
        if (strcmp(parent, "Error") == 0) {
                if (strcmp(name, "Code") == 0)
                        return F_CODE;
                if (strcmp(name, "Message") == 0)
                        return F_MESSAGE;
        }
        return F_NONE;
}

static void on_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
        Parse *p = user;
        const char *n = local_name(name);

        (void)attrs;
        if (p->depth == 0) {
                p->has_root_error = strcmp(n, "ErrorResponse") == 0;
                p->has_root_result = strcmp(n, "AssumeRoleResponse") == 0 ||
                                     strcmp(n, "GetSessionTokenResponse") == 0;
        }
        p->depth++;
        snprintf(p->parent, sizeof(p->parent), "%s", p->current);
        snprintf(p->current, sizeof(p->current), "%s", n);
        p->field = field_of(p->parent, p->current);
}

static void on_end(void *user, const XML_Char *name)
{
        Parse *p = user;

        (void)name;
        p->depth--;
        p->field = F_NONE;
        /* Only leaves are read, so the parent of what comes next is the closed element's parent. */
        snprintf(p->current, sizeof(p->current), "%s", p->parent);
        p->parent[0] = '\0';
}

static void on_text(void *user, const XML_Char *s, int n)
{
        Parse *p = user;
        Field f = p->field;
        char *t;

        if (f == F_NONE || n <= 0)
                return;
        if (p->len[f] + (size_t)n > p->max[f]) {
                p->is_too_long = true;
                return;
        }
        t = malloc(p->len[f] + (size_t)n + 1);
        if (!t) {
                p->is_oom = true;
                return;
        }
        if (p->text[f]) {
                memcpy(t, p->text[f], p->len[f]);
                sodium_memzero(p->text[f], p->len[f]);
                free(p->text[f]);
        }
        memcpy(t + p->len[f], s, (size_t)n);
        p->len[f] += (size_t)n;
        t[p->len[f]] = '\0';
        p->text[f] = t;
}

/* STS never sends a DTD: one means entity tricks, so stop at once. */
static void on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
        Parse *p = user;

        (void)name;
        (void)sysid;
        (void)pubid;
        (void)has_internal_subset;
        XML_StopParser(p->x, XML_FALSE);
}

static void parse_done(Parse *p)
{
        for (int i = 0; i < F_COUNT; i++) {
                if (p->text[i]) {
                        sodium_memzero(p->text[i], p->len[i]);
                        free(p->text[i]);
                }
        }
}

/* Copy @s into @out as one line: control characters become spaces. */
static void one_line(char *out, size_t size, const char *s)
{
        size_t i = 0;

        for (; s && *s && i + 1 < size; s++)
                out[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
        out[i] = '\0';
}

int sts_parse(long status, const char *body, size_t len, StsAnswer *a)
{
        Parse p = { .depth = 0 };
        XML_Parser x;
        Credentials c = CREDENTIALS_INIT;
        int r;

        memset(a, 0, sizeof(*a));
        for (int i = 0; i < F_COUNT; i++)
                p.max[i] = 2048;
        p.max[F_TOKEN] = STS_TOKEN_MAX;
        p.max[F_MESSAGE] = STS_MESSAGE_MAX;
        x = XML_ParserCreateNS(NULL, '|');
        if (!x)
                return -ENOMEM;
        p.x = x;
        XML_SetUserData(x, &p);
        XML_SetStartDoctypeDeclHandler(x, on_doctype);
        XML_SetElementHandler(x, on_start, on_end);
        XML_SetCharacterDataHandler(x, on_text);
        if (len > INT32_MAX || XML_Parse(x, body, (int)len, 1) != XML_STATUS_OK) {
                XML_ParserFree(x);
                parse_done(&p);
                return p.is_oom ? -ENOMEM : STS_E_MALFORMED;
        }
        XML_ParserFree(x);
        if (p.is_oom) {
                parse_done(&p);
                return -ENOMEM;
        }
        if (p.has_root_error || status >= 300) {
                if (p.is_too_long) {
                        parse_done(&p);
                        return STS_E_MALFORMED;
                }
                one_line(a->code, sizeof(a->code), p.text[F_CODE] ? p.text[F_CODE] : "");
                one_line(a->message, sizeof(a->message),
                         p.text[F_MESSAGE] ? p.text[F_MESSAGE] : "");
                parse_done(&p);
                return a->code[0] ? STS_E_ERROR : STS_E_MALFORMED;
        }
        r = STS_E_MALFORMED;
        if (!p.has_root_result || p.is_too_long || !p.text[F_AKID] || !p.text[F_SECRET] ||
            !p.text[F_TOKEN] || !p.text[F_EXPIRATION] || p.len[F_AKID] > CREDENTIALS_AKID_MAX ||
            p.len[F_SECRET] > CREDENTIALS_SECRET_MAX ||
            sts_parse_time(p.text[F_EXPIRATION], &c.expires) < 0)
                goto out;
        memcpy(c.akid, p.text[F_AKID], p.len[F_AKID] + 1);
        memcpy(c.secret, p.text[F_SECRET], p.len[F_SECRET] + 1);
        c.token = p.text[F_TOKEN];
        c.token_len = p.len[F_TOKEN];
        p.text[F_TOKEN] = NULL;
        if (p.text[F_ARN]) {
                c.assumed_role_arn = p.text[F_ARN];
                p.text[F_ARN] = NULL;
        }
        a->creds = c;
        r = 0;
out:
        parse_done(&p);
        return r;
}
