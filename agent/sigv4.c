/* SPDX-License-Identifier: MIT */
/*
 * sigv4.c - AWS Signature Version 4 over a request the agent was handed:
 * strict parsing of the Authorization header and presigned query, the
 * canonical request and string to sign (aws-compat 4.1), key derivation and a
 * constant-time signature check.  Scratch space is one fixed-size heap block
 * per call; nothing is sized by the input.  Which secret belongs to an access
 * key id, and whether the session token is genuine, is decided by the caller.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "sigv4.h"
#include "util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define SHA256_HEX_LEN (crypto_hash_sha256_BYTES * 2)

/* An output buffer that records overflow instead of writing past its end. */
typedef struct Buf {
        char *p;
        size_t len;
        size_t cap; /* bytes usable, excluding the terminating NUL */
        bool is_full;
} Buf;

/* One canonical query parameter: offsets of its encoded name and value in Scratch.qbuf. */
typedef struct QPair {
        uint32_t name_off, name_len;
        uint32_t value_off, value_len;
} QPair;

/* A path segment kept by normalization: offset and length in the raw path. */
typedef struct Seg {
        uint16_t off, len;
} Seg;

/* Per-call scratch space, allocated once with a fixed size. */
typedef struct Scratch {
        char qbuf[SIGV4_CANONICAL_MAX];
        QPair pairs[SIGV4_QUERY_PARAMS_MAX];
        char dec[SIGV4_QUERY_MAX];
        Seg segs[SIGV4_PATH_MAX / 2 + 1];
        char canonical[SIGV4_CANONICAL_MAX + 1];
        char sts[SIGV4_STRING_TO_SIGN_MAX + 1];
        Sigv4Result res;
} Scratch;

static void put(Buf *b, const void *s, size_t n)
{
        if (b->is_full || n > b->cap - b->len) {
                b->is_full = true;
                return;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static void put_str(Buf *b, const char *s)
{
        put(b, s, strlen(s));
}

static void put_char(Buf *b, char c)
{
        put(b, &c, 1);
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_lower_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_unreserved(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit((char)c) || c == '-' ||
               c == '_' || c == '.' || c == '~';
}

/* RFC 9110 token characters (header names, methods). */
static bool is_tchar(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit((char)c) ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hex_value(char c)
{
        if (is_digit(c))
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int cmp_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
        int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

        if (c)
                return c;
        return a_len < b_len ? -1 : a_len > b_len;
}

static bool bytes_eq(const char *a, size_t a_len, const char *b)
{
        return strlen(b) == a_len && memcmp(a, b, a_len) == 0;
}

/* Percent-encode bytes; unreserved characters (and '/' when keep_slash) stay as they are. */
static void put_encoded(Buf *b, const char *s, size_t n, bool keep_slash)
{
        static const char hex[] = "0123456789ABCDEF";

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (is_unreserved(c) || (keep_slash && c == '/')) {
                        put_char(b, (char)c);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };

                        put(b, e, sizeof(e));
                }
        }
}

/* Percent-decode s into out ('+' stays '+'). */
static int decode(const char *s, size_t n, char *out, size_t out_size, size_t *out_lenp)
{
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '%') {
                        int hi, lo;

                        if (n - i < 3)
                                return SIGV4_E_MALFORMED;
                        hi = hex_value(s[i + 1]);
                        lo = hex_value(s[i + 2]);
                        if (hi < 0 || lo < 0)
                                return SIGV4_E_MALFORMED;
                        c = (char)(hi << 4 | lo);
                        i += 2;
                }
                if (len >= out_size)
                        return SIGV4_E_TOO_LARGE;
                out[len++] = c;
        }
        *out_lenp = len;
        return 0;
}

/* Walks "a=1&b&&c=" as (a,1) (b,"") (c,""), skipping empty pieces. */
typedef struct QueryIter {
        const char *p, *end;
} QueryIter;

/* query_iter() - an iterator over query[0, len); a NULL query (no query at all) is empty. */
static QueryIter query_iter(const char *query, size_t len)
{
        return query ? (QueryIter){ query, query + len } : (QueryIter){ NULL, NULL };
}

static bool query_next(QueryIter *it, const char **namep, size_t *name_lenp, const char **valuep,
                       size_t *value_lenp)
{
        while (it->p && it->p < it->end) {
                const char *amp = memchr(it->p, '&', (size_t)(it->end - it->p));
                const char *piece = it->p, *piece_end = amp ? amp : it->end;
                const char *eq;

                it->p = amp ? amp + 1 : it->end;
                if (piece == piece_end)
                        continue;
                eq = memchr(piece, '=', (size_t)(piece_end - piece));
                *namep = piece;
                *name_lenp = (size_t)((eq ? eq : piece_end) - piece);
                *valuep = eq ? eq + 1 : piece_end;
                *value_lenp = eq ? (size_t)(piece_end - eq - 1) : 0;
                return true;
        }
        return false;
}

/* Is the decoded form of the raw parameter name equal to want? */
static bool param_is(const char *name, size_t name_len, const char *want)
{
        char tmp[64];
        size_t len;

        if (decode(name, name_len, tmp, sizeof(tmp), &len) != 0)
                return false;
        return bytes_eq(tmp, len, want);
}

/* How many parameters of the raw query are named want (after decoding). */
static size_t query_count(const char *query, size_t query_len, const char *want)
{
        QueryIter it = query_iter(query, query_len);
        const char *n, *v;
        size_t n_len, v_len, count = 0;

        while (query_next(&it, &n, &n_len, &v, &v_len))
                if (param_is(n, n_len, want))
                        count++;
        return count;
}

static int days_in_month(int y, int m)
{
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool is_leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && is_leap ? 29 : days[m - 1];
}

static int digits(const char *s, size_t n)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* Check YYYYMMDD and return its day number. */
static int parse_date8(const char *s, int64_t *daysp)
{
        int y = digits(s, 4), m = digits(s + 4, 2), d = digits(s + 6, 2);

        if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
                return SIGV4_E_MALFORMED;
        *daysp = civil_to_days(y, m, d);
        return 0;
}

/* Parse YYYYMMDDTHHMMSSZ exactly. */
static int parse_amz_date(const char *s, size_t n, int64_t *tp)
{
        int64_t days;
        int hh, mm, ss;

        if (n != SIGV4_AMZ_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
                return SIGV4_E_MALFORMED;
        if (parse_date8(s, &days) != 0)
                return SIGV4_E_MALFORMED;
        hh = digits(s + 9, 2);
        mm = digits(s + 11, 2);
        ss = digits(s + 13, 2);
        if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
                return SIGV4_E_MALFORMED;
        *tp = days * 86400 + hh * 3600 + mm * 60 + ss;
        return 0;
}

/* Parse an IMF-fixdate ("Sun, 30 Aug 2015 12:36:00 GMT") into YYYYMMDDTHHMMSSZ. */
static int parse_http_date(const char *s, size_t n, char amz[SIGV4_AMZ_DATE_LEN + 1], int64_t *tp)
{
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        static const char wdays[] = "MonTueWedThuFriSatSun";
        const char *mp;
        int m;

        if (n != 29 || memcmp(s + 3, ", ", 2) != 0 || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
            s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
                return SIGV4_E_MALFORMED;
        for (mp = wdays; *mp; mp += 3)
                if (memcmp(mp, s, 3) == 0)
                        break;
        if (!*mp)
                return SIGV4_E_MALFORMED;
        for (mp = months; *mp; mp += 3)
                if (memcmp(mp, s + 8, 3) == 0)
                        break;
        if (!*mp)
                return SIGV4_E_MALFORMED;
        m = (int)(mp - months) / 3 + 1;
        memcpy(amz, s + 12, 4);
        amz[4] = (char)('0' + m / 10);
        amz[5] = (char)('0' + m % 10);
        memcpy(amz + 6, s + 5, 2);
        amz[8] = 'T';
        memcpy(amz + 9, s + 17, 2);
        memcpy(amz + 11, s + 20, 2);
        memcpy(amz + 13, s + 23, 2);
        amz[15] = 'Z';
        amz[16] = '\0';
        return parse_amz_date(amz, SIGV4_AMZ_DATE_LEN, tp);
}

/* Trim the ends of a header value and fold inner whitespace runs (and line folds) to one space. */
static void put_folded(Buf *b, const char *v, size_t n)
{
        bool is_pending = false, has_any = false;

        for (size_t i = 0; i < n; i++) {
                if (is_ows(v[i])) {
                        is_pending = true;
                        continue;
                }
                if (is_pending && has_any)
                        put_char(b, ' ');
                put_char(b, v[i]);
                is_pending = false;
                has_any = true;
        }
}

static bool name_is(const Sigv4Header *h, const char *lower, size_t lower_len)
{
        return h->name_len == lower_len && strncasecmp(h->name, lower, lower_len) == 0;
}

/* Count headers named `lower`; *firstp gets the first (if any). */
static size_t header_count(const Sigv4Request *req, const char *lower, const Sigv4Header **firstp)
{
        size_t count = 0, len = strlen(lower);

        for (size_t i = 0; i < req->n_headers; i++) {
                if (!name_is(&req->headers[i], lower, len))
                        continue;
                if (count++ == 0 && firstp)
                        *firstp = &req->headers[i];
        }
        return count;
}

/* Bounds and syntax of the request fields that are not auth data. */
static int check_request(const Sigv4Request *req)
{
        if (req->method_len == 0 || req->method_len > SIGV4_METHOD_MAX || !req->path ||
            req->path_len == 0 || req->path[0] != '/' || (req->query_len && !req->query))
                return req->method_len > SIGV4_METHOD_MAX ? SIGV4_E_TOO_LARGE : SIGV4_E_MALFORMED;
        for (size_t i = 0; i < req->method_len; i++)
                if (!is_tchar((unsigned char)req->method[i]))
                        return SIGV4_E_MALFORMED;
        if (req->path_len > SIGV4_PATH_MAX || req->query_len > SIGV4_QUERY_MAX ||
            req->n_headers > SIGV4_HEADERS_MAX)
                return SIGV4_E_TOO_LARGE;
        for (size_t i = 0; i < req->n_headers; i++) {
                const Sigv4Header *h = &req->headers[i];

                if (h->name_len > SIGV4_HEADER_NAME_MAX || h->value_len > SIGV4_HEADER_VALUE_MAX)
                        return SIGV4_E_TOO_LARGE;
                if (h->name_len == 0 || (h->value_len && !h->value))
                        return SIGV4_E_MALFORMED;
                for (size_t j = 0; j < h->name_len; j++)
                        if (!is_tchar((unsigned char)h->name[j]))
                                return SIGV4_E_MALFORMED;
                /* Control bytes other than whitespace and line folds cannot be canonicalized. */
                for (size_t j = 0; j < h->value_len; j++) {
                        unsigned char c = (unsigned char)h->value[j];

                        if ((c < 0x20 && !is_ows((char)c)) || c == 0x7f)
                                return SIGV4_E_MALFORMED;
                }
        }
        return 0;
}

/* Parse AKID/YYYYMMDD/region/service/aws4_request. */
static int parse_credential(const char *s, size_t n, Sigv4Auth *a)
{
        const char *parts[5];
        size_t lens[5], n_parts = 0;
        const char *p = s, *end = s + n;
        int64_t days;

        while (n_parts < 5) {
                const char *slash = memchr(p, '/', (size_t)(end - p));

                parts[n_parts] = p;
                lens[n_parts++] = (size_t)((slash ? slash : end) - p);
                if (!slash)
                        break;
                p = slash + 1;
        }
        if (n_parts != 5 || parts[4] + lens[4] != end || !bytes_eq(parts[4], lens[4], TERMINATOR))
                return SIGV4_E_MALFORMED;

        if (lens[0] > SIGV4_ACCESS_KEY_ID_MAX || lens[2] > SIGV4_REGION_MAX ||
            lens[3] > SIGV4_SERVICE_MAX)
                return SIGV4_E_TOO_LARGE;
        if (lens[0] == 0 || lens[1] != SIGV4_DATE_LEN || lens[2] == 0 || lens[3] == 0)
                return SIGV4_E_MALFORMED;
        for (size_t i = 0; i < lens[0]; i++)
                if (!((parts[0][i] >= 'A' && parts[0][i] <= 'Z') || is_digit(parts[0][i])))
                        return SIGV4_E_MALFORMED;
        if (parse_date8(parts[1], &days) != 0)
                return SIGV4_E_MALFORMED;
        for (size_t k = 2; k <= 3; k++)
                for (size_t i = 0; i < lens[k]; i++) {
                        char c = parts[k][i];

                        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
                                return SIGV4_E_MALFORMED;
                }

        memcpy(a->access_key_id, parts[0], lens[0]);
        a->access_key_id[lens[0]] = '\0';
        memcpy(a->date, parts[1], lens[1]);
        a->date[lens[1]] = '\0';
        memcpy(a->region, parts[2], lens[2]);
        a->region[lens[2]] = '\0';
        memcpy(a->service, parts[3], lens[3]);
        a->service[lens[3]] = '\0';
        return 0;
}

/* Parse "a;b;c": lowercase token names, strictly ascending, host among them. */
static int parse_signed_headers(const char *s, size_t n, Sigv4Auth *a)
{
        const char *p = s, *end = s + n, *prev = NULL;
        size_t prev_len = 0, count = 0;
        bool has_host = false;

        if (n > SIGV4_SIGNED_HEADERS_LEN_MAX)
                return SIGV4_E_TOO_LARGE;
        if (n == 0)
                return SIGV4_E_MALFORMED;
        for (;;) {
                const char *semi = memchr(p, ';', (size_t)(end - p));
                size_t len = (size_t)((semi ? semi : end) - p);

                if (len == 0 || len > SIGV4_HEADER_NAME_MAX)
                        return SIGV4_E_MALFORMED;
                for (size_t i = 0; i < len; i++)
                        if (!is_tchar((unsigned char)p[i]) || (p[i] >= 'A' && p[i] <= 'Z'))
                                return SIGV4_E_MALFORMED;
                if (prev && cmp_bytes(prev, prev_len, p, len) >= 0)
                        return SIGV4_E_MALFORMED;
                if (bytes_eq(p, len, "authorization"))
                        return SIGV4_E_MALFORMED;
                if (bytes_eq(p, len, "host"))
                        has_host = true;
                if (++count > SIGV4_HEADERS_MAX)
                        return SIGV4_E_TOO_LARGE;
                prev = p;
                prev_len = len;
                if (!semi)
                        break;
                p = semi + 1;
        }
        if (!has_host)
                return SIGV4_E_MALFORMED;
        memcpy(a->signed_headers, s, n);
        a->signed_headers[n] = '\0';
        a->n_signed_headers = count;
        return 0;
}

static bool is_signed(const Sigv4Auth *a, const char *name)
{
        const char *p = a->signed_headers;
        size_t len = strlen(name);

        for (;;) {
                const char *semi = strchr(p, ';');
                size_t n = semi ? (size_t)(semi - p) : strlen(p);

                if (n == len && memcmp(p, name, len) == 0)
                        return true;
                if (!semi)
                        return false;
                p = semi + 1;
        }
}

static int parse_signature(const char *s, size_t n, Sigv4Auth *a)
{
        if (n != SIGV4_SIGNATURE_HEX_LEN)
                return SIGV4_E_MALFORMED;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_hex(s[i]))
                        return SIGV4_E_MALFORMED;
        memcpy(a->signature, s, n);
        a->signature[n] = '\0';
        return 0;
}

int sigv4_parse_authorization(const char *value, size_t value_len, Sigv4Auth *authp)
{
        Sigv4Auth a = { .form = SIGV4_FORM_HEADER };
        const char *p = value, *end = value + value_len;
        bool has_cred = false, has_sh = false, has_sig = false;
        int r;

        if (!value)
                return SIGV4_E_MALFORMED;
        while (p < end && is_ows(*p))
                p++;
        while (end > p && is_ows(end[-1]))
                end--;
        if ((size_t)(end - p) > SIGV4_AUTHORIZATION_MAX)
                return SIGV4_E_TOO_LARGE;
        if ((size_t)(end - p) <= strlen(ALGORITHM) ||
            memcmp(p, ALGORITHM, strlen(ALGORITHM)) != 0 || p[strlen(ALGORITHM)] != ' ')
                return SIGV4_E_MALFORMED;
        p += strlen(ALGORITHM);
        while (p < end && *p == ' ')
                p++;

        /* Elements are "Name=value", separated by ',' and optional spaces, each exactly once. */
        while (p < end) {
                const char *eq = memchr(p, '=', (size_t)(end - p)), *v, *v_end;
                size_t name_len;

                if (!eq)
                        return SIGV4_E_MALFORMED;
                name_len = (size_t)(eq - p);
                v = eq + 1;
                v_end = v;
                while (v_end < end && *v_end != ',' && *v_end != ' ')
                        v_end++;

                if (bytes_eq(p, name_len, "Credential")) {
                        if (has_cred)
                                return SIGV4_E_MALFORMED;
                        has_cred = true;
                        r = parse_credential(v, (size_t)(v_end - v), &a);
                } else if (bytes_eq(p, name_len, "SignedHeaders")) {
                        if (has_sh)
                                return SIGV4_E_MALFORMED;
                        has_sh = true;
                        r = parse_signed_headers(v, (size_t)(v_end - v), &a);
                } else if (bytes_eq(p, name_len, "Signature")) {
                        if (has_sig)
                                return SIGV4_E_MALFORMED;
                        has_sig = true;
                        r = parse_signature(v, (size_t)(v_end - v), &a);
                } else {
                        return SIGV4_E_MALFORMED;
                }
                if (r != 0)
                        return r;

                p = v_end;
                while (p < end && *p == ' ')
                        p++;
                if (p == end)
                        break;
                if (*p != ',')
                        return SIGV4_E_MALFORMED;
                p++;
                while (p < end && *p == ' ')
                        p++;
                if (p == end)
                        return SIGV4_E_MALFORMED;
        }
        if (!has_cred || !has_sh || !has_sig)
                return SIGV4_E_MALFORMED;
        *authp = a;
        return 0;
}

int sigv4_parse_presigned(const char *query, size_t query_len, Sigv4Auth *authp)
{
        Sigv4Auth a = { .form = SIGV4_FORM_QUERY };
        QueryIter it = query_iter(query, query_len);
        const char *n, *v;
        size_t n_len, v_len;
        unsigned seen = 0;
        char val[SIGV4_AUTHORIZATION_MAX];
        int r;
        enum { ALG = 1, CRED = 2, DATE = 4, EXPIRES = 8, SH = 16, SIG = 32, TOKEN = 64 };
        /* The parameters read, each at most once, in the order of the bits above. */
        static const char *const params[] = { "X-Amz-Algorithm",     "X-Amz-Credential",
                                              "X-Amz-Date",          "X-Amz-Expires",
                                              "X-Amz-SignedHeaders", "X-Amz-Signature",
                                              "X-Amz-Security-Token" };

        if (query_len > SIGV4_QUERY_MAX)
                return SIGV4_E_TOO_LARGE;
        if (query_count(query, query_len, "X-Amz-Algorithm") == 0)
                return SIGV4_E_MISSING;
        while (query_next(&it, &n, &n_len, &v, &v_len)) {
                unsigned bit = 0;
                size_t len;

                for (size_t i = 0; i < ELEMENTSOF(params) && !bit; i++)
                        if (param_is(n, n_len, params[i]))
                                bit = 1u << i;
                if (!bit)
                        continue;
                if (seen & bit)
                        return SIGV4_E_MALFORMED;
                seen |= bit;
                if (bit == TOKEN)
                        continue;
                r = decode(v, v_len, val, sizeof(val), &len);
                if (r != 0)
                        return r;

                switch (bit) {
                case ALG:
                        r = bytes_eq(val, len, ALGORITHM) ? 0 : SIGV4_E_MALFORMED;
                        break;
                case CRED:
                        r = parse_credential(val, len, &a);
                        break;
                case DATE: {
                        int64_t t;

                        r = parse_amz_date(val, len, &t);
                        if (r == 0) {
                                memcpy(a.amz_date, val, len);
                                a.amz_date[len] = '\0';
                        }
                        break;
                }
                case EXPIRES: {
                        int e = len >= 1 && len <= 6 && val[0] != '0' ? digits(val, len) : -1;

                        r = e >= 1 && e <= SIGV4_EXPIRES_MAX ? 0 : SIGV4_E_MALFORMED;
                        a.expires = e;
                        break;
                }
                case SH:
                        r = parse_signed_headers(val, len, &a);
                        break;
                default:
                        r = parse_signature(val, len, &a);
                        break;
                }
                if (r != 0)
                        return r;
        }
        if ((seen & (ALG | CRED | DATE | EXPIRES | SH | SIG)) !=
            (ALG | CRED | DATE | EXPIRES | SH | SIG))
                return SIGV4_E_MALFORMED;
        *authp = a;
        return 0;
}

/*
 * request_time() - the request time the string to sign uses: X-Amz-Date in the
 * query form; in the header form the x-amz-date header, or else date.
 */
static int request_time(const Sigv4Request *req, const Sigv4Auth *a,
                        char amz[SIGV4_AMZ_DATE_LEN + 1], int64_t *tp)
{
        const Sigv4Header *h = NULL;
        char tmp[64];
        Buf b = { tmp, 0, sizeof(tmp) - 1, false };

        if (a->form == SIGV4_FORM_QUERY) {
                memcpy(amz, a->amz_date, sizeof(a->amz_date));
                return parse_amz_date(amz, strlen(amz), tp);
        }
        if (header_count(req, "x-amz-date", &h) > 1 || (!h && header_count(req, "date", &h) != 1))
                return SIGV4_E_MALFORMED;
        put_folded(&b, h->value, h->value_len);
        if (b.is_full)
                return SIGV4_E_MALFORMED;
        if (name_is(h, "date", 4))
                return parse_http_date(tmp, b.len, amz, tp);
        if (parse_amz_date(tmp, b.len, tp) != 0)
                return SIGV4_E_MALFORMED;
        memcpy(amz, tmp, SIGV4_AMZ_DATE_LEN + 1);
        return 0;
}

int sigv4_parse_request(const Sigv4Request *req, Sigv4Result *resp)
{
        const Sigv4Header *auth_h = NULL, *token_h = NULL;
        size_t n_query_tokens, n_token_h;
        int r;
        /* A Sigv4Result is large (it holds a token), so it is built on the heap. */
        Sigv4Result *res = calloc(1, sizeof(*res));

        if (!res)
                return -ENOMEM;
        r = check_request(req);
        if (r != 0)
                goto out;

        if (header_count(req, "authorization", &auth_h) > 1) {
                r = SIGV4_E_MALFORMED;
                goto out;
        }
        n_query_tokens = query_count(req->query, req->query_len, "X-Amz-Security-Token");
        n_token_h = header_count(req, "x-amz-security-token", &token_h);
        if (n_token_h > 1 || n_query_tokens > 1 || (n_token_h && n_query_tokens)) {
                r = SIGV4_E_MALFORMED;
                goto out;
        }

        if (auth_h) {
                /* One auth mechanism per request: no presigned parameters beside the header. */
                if (query_count(req->query, req->query_len, "X-Amz-Algorithm") ||
                    query_count(req->query, req->query_len, "X-Amz-Credential") ||
                    query_count(req->query, req->query_len, "X-Amz-Signature") || n_query_tokens) {
                        r = SIGV4_E_MALFORMED;
                        goto out;
                }
                r = sigv4_parse_authorization(auth_h->value, auth_h->value_len, &res->auth);
        } else {
                r = sigv4_parse_presigned(req->query, req->query_len, &res->auth);
        }
        if (r == 0)
                r = request_time(req, &res->auth, res->amz_date, &res->time);
        if (r != 0)
                goto out;
        /* With the header, the time the signature covers must itself be signed. */
        if (auth_h &&
            !is_signed(&res->auth, header_count(req, "x-amz-date", NULL) ? "x-amz-date" : "date")) {
                r = SIGV4_E_MALFORMED;
                goto out;
        }
        if (memcmp(res->amz_date, res->auth.date, SIGV4_DATE_LEN) != 0) {
                r = SIGV4_E_MALFORMED;
                goto out;
        }

        /* Agent rule: a session token sent as a header must be covered by the signature. */
        if (token_h) {
                Buf b = { res->security_token, 0, SIGV4_TOKEN_MAX, false };

                if (!is_signed(&res->auth, "x-amz-security-token")) {
                        r = SIGV4_E_UNSIGNED_TOKEN;
                        goto out;
                }
                put_folded(&b, token_h->value, token_h->value_len);
                res->security_token[b.len] = '\0';
                res->security_token_len = b.len;
                res->has_security_token = true;
        } else if (n_query_tokens) {
                QueryIter it = query_iter(req->query, req->query_len);
                const char *n, *v;
                size_t n_len, v_len;

                while (query_next(&it, &n, &n_len, &v, &v_len)) {
                        if (!param_is(n, n_len, "X-Amz-Security-Token"))
                                continue;
                        r = decode(v, v_len, res->security_token, SIGV4_TOKEN_MAX,
                                   &res->security_token_len);
                        if (r != 0)
                                goto out;
                        res->security_token[res->security_token_len] = '\0';
                        res->has_security_token = true;
                }
        }
        if (res->has_security_token && memchr(res->security_token, '\0', res->security_token_len)) {
                r = SIGV4_E_MALFORMED;
                goto out;
        }
        *resp = *res;
        r = 0;
out:
        free(res);
        return r;
}

/* Canonical URI per the path rules (see sigv4.h Sigv4Options). */
static void put_canonical_uri(Buf *b, Scratch *s, const Sigv4Request *req, const Sigv4Auth *a,
                              unsigned flags)
{
        const char *path = req->path;
        size_t n = req->path_len, n_segs = 0;

        if ((flags & SIGV4_F_S3_PATH) || strcmp(a->service, "s3") == 0) {
                put(b, path, n);
                return;
        }
        if (flags & SIGV4_F_NO_NORMALIZE) {
                put_encoded(b, path, n, true);
                return;
        }

        /* RFC 3986 dot-segment removal, with empty segments dropped (botocore's
         * remove_dot_segments). */
        for (size_t i = 0; i < n;) {
                size_t j = i;

                while (j < n && path[j] != '/')
                        j++;
                if (j > i && !bytes_eq(path + i, j - i, ".")) {
                        if (bytes_eq(path + i, j - i, "..")) {
                                if (n_segs)
                                        n_segs--;
                        } else {
                                s->segs[n_segs].off = (uint16_t)i;
                                s->segs[n_segs].len = (uint16_t)(j - i);
                                n_segs++;
                        }
                }
                i = j + 1;
        }
        put_char(b, '/');
        for (size_t k = 0; k < n_segs; k++) {
                if (k)
                        put_char(b, '/');
                put_encoded(b, path + s->segs[k].off, s->segs[k].len, false);
        }
        if (n_segs && path[n - 1] == '/')
                put_char(b, '/');
}

/*
 * put_requoted() - decode the query name or value @p[0..@n) and append it to
 * @q encoded the canonical way; *@offp and *@lenp say where it went.
 */
static int put_requoted(Buf *q, Scratch *s, const char *p, size_t n, uint32_t *offp, uint32_t *lenp)
{
        size_t len;
        int r = decode(p, n, s->dec, sizeof(s->dec), &len);

        if (r != 0)
                return r;
        *offp = (uint32_t)q->len;
        put_encoded(q, s->dec, len, false);
        *lenp = (uint32_t)(q->len - *offp);
        return 0;
}

static int put_canonical_query(Buf *b, Scratch *s, const Sigv4Request *req, const Sigv4Auth *a)
{
        QueryIter it = query_iter(req->query, req->query_len);
        Buf q = { s->qbuf, 0, sizeof(s->qbuf) - 1, false };
        const char *n, *v;
        size_t n_len, v_len, n_pairs = 0;
        int r;

        while (query_next(&it, &n, &n_len, &v, &v_len)) {
                QPair *pr;

                if (a->form == SIGV4_FORM_QUERY && param_is(n, n_len, "X-Amz-Signature"))
                        continue;
                if (n_pairs == SIGV4_QUERY_PARAMS_MAX)
                        return SIGV4_E_TOO_LARGE;
                pr = &s->pairs[n_pairs++];
                r = put_requoted(&q, s, n, n_len, &pr->name_off, &pr->name_len);
                if (r == 0)
                        r = put_requoted(&q, s, v, v_len, &pr->value_off, &pr->value_len);
                if (r != 0)
                        return r;
                if (q.is_full)
                        return SIGV4_E_TOO_LARGE;
        }

        /* Insertion sort by encoded name, then encoded value; n_pairs is at most 64. */
        for (size_t i = 1; i < n_pairs; i++) {
                QPair x = s->pairs[i];
                size_t j = i;

                while (j > 0) {
                        const QPair *y = &s->pairs[j - 1];
                        int c = cmp_bytes(s->qbuf + y->name_off, y->name_len, s->qbuf + x.name_off,
                                          x.name_len);

                        if (c == 0)
                                c = cmp_bytes(s->qbuf + y->value_off, y->value_len,
                                              s->qbuf + x.value_off, x.value_len);
                        if (c <= 0)
                                break;
                        s->pairs[j] = s->pairs[j - 1];
                        j--;
                }
                s->pairs[j] = x;
        }
        for (size_t i = 0; i < n_pairs; i++) {
                if (i)
                        put_char(b, '&');
                put(b, s->qbuf + s->pairs[i].name_off, s->pairs[i].name_len);
                put_char(b, '=');
                put(b, s->qbuf + s->pairs[i].value_off, s->pairs[i].value_len);
        }
        return 0;
}

static int put_payload_hash(Buf *b, const Sigv4Request *req)
{
        if (req->payload_hash && req->payload)
                return -EINVAL;
        if (req->payload_hash) {
                size_t len = strlen(req->payload_hash);

                if (len > SIGV4_PAYLOAD_HASH_MAX)
                        return SIGV4_E_TOO_LARGE;
                if (len == 0)
                        return SIGV4_E_MALFORMED;
                for (size_t i = 0; i < len; i++)
                        if ((unsigned char)req->payload_hash[i] <= ' ' ||
                            (unsigned char)req->payload_hash[i] >= 0x7f)
                                return SIGV4_E_MALFORMED;
                put(b, req->payload_hash, len);
        } else {
                uint8_t digest[crypto_hash_sha256_BYTES];
                char hex[SHA256_HEX_LEN + 1];

                crypto_hash_sha256(digest, req->payload ? req->payload : (const uint8_t *)"",
                                   req->payload_len);
                sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
                put(b, hex, SHA256_HEX_LEN);
        }
        return 0;
}

/* Build the canonical request into b (capped at SIGV4_CANONICAL_MAX). */
static int build_canonical(const Sigv4Request *req, const Sigv4Auth *a, const Sigv4Options *opt,
                           Scratch *s, Buf *b)
{
        const char *p = a->signed_headers;
        int r;

        r = check_request(req);
        if (r != 0)
                return r;
        if (b->cap > SIGV4_CANONICAL_MAX)
                b->cap = SIGV4_CANONICAL_MAX;

        put(b, req->method, req->method_len);
        put_char(b, '\n');
        put_canonical_uri(b, s, req, a, opt ? opt->flags : 0);
        put_char(b, '\n');
        r = put_canonical_query(b, s, req, a);
        if (r != 0)
                return r;
        put_char(b, '\n');

        /* One line per signed header: repeated headers joined by ',' in the order sent. */
        while (*p) {
                const char *semi = strchr(p, ';');
                size_t len = semi ? (size_t)(semi - p) : strlen(p);
                bool has_any = false;

                put(b, p, len);
                put_char(b, ':');
                for (size_t i = 0; i < req->n_headers; i++) {
                        const Sigv4Header *h = &req->headers[i];

                        if (!name_is(h, p, len))
                                continue;
                        if (has_any)
                                put_char(b, ',');
                        put_folded(b, h->value, h->value_len);
                        has_any = true;
                }
                if (!has_any)
                        return SIGV4_E_MALFORMED;
                put_char(b, '\n');
                p += len + (semi ? 1 : 0);
        }
        put_char(b, '\n');
        put_str(b, a->signed_headers);
        put_char(b, '\n');
        r = put_payload_hash(b, req);
        if (r != 0)
                return r;
        return b->is_full ? SIGV4_E_TOO_LARGE : 0;
}

static int build_string_to_sign(const Sigv4Request *req, const Sigv4Auth *a,
                                const Sigv4Options *opt, Scratch *s, Buf *b)
{
        Buf c = { s->canonical, 0, sizeof(s->canonical) - 1, false };
        uint8_t digest[crypto_hash_sha256_BYTES];
        char hex[SHA256_HEX_LEN + 1], amz[SIGV4_AMZ_DATE_LEN + 1];
        int64_t t;
        int r;

        r = build_canonical(req, a, opt, s, &c);
        if (r != 0)
                return r;
        r = request_time(req, a, amz, &t);
        if (r != 0)
                return r;
        crypto_hash_sha256(digest, (const uint8_t *)c.p, c.len);
        sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));

        put_str(b, ALGORITHM "\n");
        put_str(b, amz);
        put_char(b, '\n');
        put_str(b, a->date);
        put_char(b, '/');
        put_str(b, a->region);
        put_char(b, '/');
        put_str(b, a->service);
        put_str(b, "/" TERMINATOR "\n");
        put_str(b, hex);
        return b->is_full ? SIGV4_E_TOO_LARGE : 0;
}

static void scratch_freep(Scratch **sp)
{
        if (*sp) {
                sodium_memzero(*sp, sizeof(**sp));
                free(*sp);
        }
}

/* Run one of the builders into the caller's buffer, with its own scratch space. */
static int build_into(int (*build)(const Sigv4Request *, const Sigv4Auth *, const Sigv4Options *,
                                   Scratch *, Buf *),
                      const Sigv4Request *req, const Sigv4Auth *auth, const Sigv4Options *opt,
                      char *buf, size_t size, size_t *lenp)
{
        _cleanup_(scratch_freep) Scratch *s = NULL;
        Buf b = { buf, 0, size ? size - 1 : 0, size == 0 };
        int r;

        s = malloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        if (size)
                buf[0] = '\0';
        r = build(req, auth, opt, s, &b);
        if (r != 0)
                return r;
        if (lenp)
                *lenp = b.len;
        return 0;
}

int sigv4_canonical_request(const Sigv4Request *req, const Sigv4Auth *auth, const Sigv4Options *opt,
                            char *buf, size_t size, size_t *lenp)
{
        return build_into(build_canonical, req, auth, opt, buf, size, lenp);
}

int sigv4_string_to_sign(const Sigv4Request *req, const Sigv4Auth *auth, const Sigv4Options *opt,
                         char *buf, size_t size, size_t *lenp)
{
        return build_into(build_string_to_sign, req, auth, opt, buf, size, lenp);
}

static void hmac(const uint8_t *key, size_t key_len, const char *msg, uint8_t out[SIGV4_KEY_LEN])
{
        crypto_auth_hmacsha256_state st;

        crypto_auth_hmacsha256_init(&st, key, key_len);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg, strlen(msg));
        crypto_auth_hmacsha256_final(&st, out);
        sodium_memzero(&st, sizeof(st));
}

int sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                      uint8_t key[SIGV4_KEY_LEN])
{
        uint8_t k_secret[4 + SIGV4_SECRET_MAX], k[SIGV4_KEY_LEN];
        size_t len = strlen(secret);

        if (len > SIGV4_SECRET_MAX)
                return -EINVAL;
        /* "AWS4" + secret is 44 bytes for AWS secrets: longer than one-shot HMAC's 32-byte key. */
        memcpy(k_secret, "AWS4", 4);
        memcpy(k_secret + 4, secret, len);
        hmac(k_secret, 4 + len, date, k);
        hmac(k, sizeof(k), region, k);
        hmac(k, sizeof(k), service, k);
        hmac(k, sizeof(k), TERMINATOR, key);
        sodium_memzero(k_secret, sizeof(k_secret));
        sodium_memzero(k, sizeof(k));
        return 0;
}

/* sign_with() - the signature of a request, using caller-provided scratch. */
static int sign_with(const Sigv4Request *req, const Sigv4Auth *a, const char *secret,
                     const Sigv4Options *opt, Scratch *s,
                     char signature[SIGV4_SIGNATURE_HEX_LEN + 1])
{
        Buf b = { s->sts, 0, sizeof(s->sts) - 1, false };
        uint8_t key[SIGV4_KEY_LEN], mac[crypto_auth_hmacsha256_BYTES];
        int r;

        if (strlen(secret) > SIGV4_SECRET_MAX)
                return -EINVAL;
        r = build_string_to_sign(req, a, opt, s, &b);
        if (r != 0)
                return r;
        r = sigv4_signing_key(secret, a->date, a->region, a->service, key);
        if (r != 0)
                return r;
        hmac(key, sizeof(key), s->sts, mac);
        sodium_bin2hex(signature, SIGV4_SIGNATURE_HEX_LEN + 1, mac, sizeof(mac));
        sodium_memzero(key, sizeof(key));
        sodium_memzero(mac, sizeof(mac));
        return 0;
}

int sigv4_sign(const Sigv4Request *req, const Sigv4Auth *auth, const char *secret,
               const Sigv4Options *opt, char signature[SIGV4_SIGNATURE_HEX_LEN + 1])
{
        _cleanup_(scratch_freep) Scratch *s = NULL;

        s = malloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        return sign_with(req, auth, secret, opt, s, signature);
}

int sigv4_format_authorization(const Sigv4Auth *auth, char *buf, size_t size, size_t *lenp)
{
        int n = snprintf(buf, size,
                         ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR
                                   ", SignedHeaders=%s, Signature=%s",
                         auth->access_key_id, auth->date, auth->region, auth->service,
                         auth->signed_headers, auth->signature);

        if (n < 0 || (size_t)n >= size)
                return SIGV4_E_TOO_LARGE;
        if (lenp)
                *lenp = (size_t)n;
        return 0;
}

/* Is t acceptable at now? Differences that overflow are simply too far off. */
static bool within(int64_t now, int64_t t, int64_t before, int64_t after)
{
        int64_t d;

        if (__builtin_sub_overflow(now, t, &d))
                return false;
        return d >= -before && d <= after;
}

int sigv4_verify(const Sigv4Request *req, const char *secret, const Sigv4Options *opt,
                 Sigv4Result *res)
{
        _cleanup_(scratch_freep) Scratch *s = NULL;
        char sig[SIGV4_SIGNATURE_HEX_LEN + 1];
        int64_t skew = opt && opt->max_skew > 0 ? opt->max_skew : SIGV4_SKEW_DEFAULT;
        int r;

        s = malloc(sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = sigv4_parse_request(req, &s->res);
        if (r != 0)
                return r;
        if (s->res.auth.form == SIGV4_FORM_QUERY) {
                if (!within(req->now, s->res.time, skew, s->res.auth.expires))
                        return SIGV4_E_EXPIRED;
        } else if (!within(req->now, s->res.time, skew, skew)) {
                return SIGV4_E_EXPIRED;
        }
        r = sign_with(req, &s->res.auth, secret, opt, s, sig);
        if (r != 0)
                return r;
        if (sodium_memcmp(sig, s->res.auth.signature, SIGV4_SIGNATURE_HEX_LEN) != 0)
                return SIGV4_E_MISMATCH;
        *res = s->res;
        return 0;
}

const char *sigv4_error_code(int r)
{
        switch (r) {
        case SIGV4_E_MALFORMED:
        case SIGV4_E_UNSIGNED_TOKEN:
        case SIGV4_E_TOO_LARGE:
                return "IncompleteSignature";
        case SIGV4_E_MISMATCH:
                return "SignatureDoesNotMatch";
        case SIGV4_E_EXPIRED:
                return "RequestExpired";
        case SIGV4_E_MISSING:
                return "MissingAuthenticationToken";
        default:
                return NULL;
        }
}
