/* SPDX-License-Identifier: MIT */
/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256): parse the
 * Authorization header or the presigned query, build the canonical request
 * and string to sign, derive the signing key, sign and verify.  A pure module:
 * no I/O, no clock (the caller passes `now`); finding the secret for an
 * access key id and checking the session token are the caller's job.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what a request may carry; anything larger is SIGV4_E_TOO_LARGE. */
#define SIGV4_HEADERS_MAX 64        /* header lines in a request */
#define SIGV4_HEADER_NAME_MAX 128   /* bytes in one header name */
#define SIGV4_HEADER_VALUE_MAX 8192 /* bytes in one header value */
#define SIGV4_METHOD_MAX 32
#define SIGV4_PATH_MAX 4096   /* raw path as sent */
#define SIGV4_QUERY_MAX 12288 /* raw query string as sent */
#define SIGV4_QUERY_PARAMS_MAX 64
#define SIGV4_CANONICAL_MAX 16384 /* canonical request, bytes */
#define SIGV4_STRING_TO_SIGN_MAX 512
#define SIGV4_AUTHORIZATION_MAX 2048      /* Authorization header value */
#define SIGV4_SIGNED_HEADERS_LEN_MAX 1024 /* "a;b;c" */
#define SIGV4_ACCESS_KEY_ID_MAX 128
#define SIGV4_REGION_MAX 32
#define SIGV4_SERVICE_MAX 64
#define SIGV4_SECRET_MAX 128
#define SIGV4_TOKEN_MAX 8192       /* decoded x-amz-security-token */
#define SIGV4_PAYLOAD_HASH_MAX 128 /* hex digest or e.g. UNSIGNED-PAYLOAD */
#define SIGV4_EXPIRES_MAX 604800   /* X-Amz-Expires: seven days */
#define SIGV4_SKEW_DEFAULT 900     /* X-Amz-Date may be 15 minutes off `now` */

#define SIGV4_SIGNATURE_HEX_LEN 64
#define SIGV4_AMZ_DATE_LEN 16 /* YYYYMMDDTHHMMSSZ */
#define SIGV4_DATE_LEN 8      /* YYYYMMDD */
#define SIGV4_KEY_LEN 32

/* Positive outcomes; the comment names the AWS error code a peer should see. */
enum {
        SIGV4_E_MALFORMED = 1,  /* IncompleteSignature: unparsable or incomplete auth data */
        SIGV4_E_MISMATCH,       /* SignatureDoesNotMatch */
        SIGV4_E_EXPIRED,        /* RequestExpired: outside the skew window or past X-Amz-Expires */
        SIGV4_E_UNSIGNED_TOKEN, /* IncompleteSignature: x-amz-security-token sent but not signed */
        SIGV4_E_TOO_LARGE,      /* IncompleteSignature: a SIGV4_*_MAX bound was exceeded */
        SIGV4_E_MISSING,        /* MissingAuthenticationToken: neither header nor presigned query */
};

typedef enum Sigv4Form {
        SIGV4_FORM_HEADER = 1, /* Authorization: AWS4-HMAC-SHA256 ... */
        SIGV4_FORM_QUERY,      /* presigned: X-Amz-Algorithm=... in the query */
} Sigv4Form;

/* One header line as received; names compare case-insensitively, order is kept. */
typedef struct Sigv4Header {
        const char *name;
        size_t name_len;
        const char *value;
        size_t value_len;
} Sigv4Header;

/*
 * Sigv4Request - a request as the agent receives it; everything is borrowed
 * for the duration of a call.  Exactly one of payload_hash and payload may be
 * set; with neither, the payload is empty.
 */
typedef struct Sigv4Request {
        const char *method; /* "GET", "POST", ... */
        size_t method_len;
        const char *path; /* raw, as sent: "/a%20b/" */
        size_t path_len;
        const char *query; /* raw, as sent, without '?'; may be NULL */
        size_t query_len;
        const Sigv4Header *headers;
        size_t n_headers;
        const char *payload_hash; /* NUL-terminated hex digest or UNSIGNED-PAYLOAD, or NULL */
        const uint8_t *payload;   /* the body, hashed here when payload_hash is NULL */
        size_t payload_len;
        int64_t now; /* Unix seconds, for the time check */
} Sigv4Request;

/* Path rules; by default they follow the service in the credential scope. */
enum {
        SIGV4_F_S3_PATH = 1u << 0, /* S3 rules for any service: path as sent, no normalization */
        SIGV4_F_NO_NORMALIZE = 1u << 1, /* encode the path but keep '.', '..' and '//' */
};

/* Sigv4Options - knobs; a NULL Sigv4Options * means all defaults. */
typedef struct Sigv4Options {
        unsigned flags;   /* SIGV4_F_* */
        int64_t max_skew; /* seconds; 0 means SIGV4_SKEW_DEFAULT */
} Sigv4Options;

/* Sigv4Auth - the parsed Authorization header or presigned query parameters. */
typedef struct Sigv4Auth {
        Sigv4Form form;
        char access_key_id[SIGV4_ACCESS_KEY_ID_MAX + 1];
        char date[SIGV4_DATE_LEN + 1]; /* credential scope date */
        char region[SIGV4_REGION_MAX + 1];
        char service[SIGV4_SERVICE_MAX + 1];
        char signed_headers[SIGV4_SIGNED_HEADERS_LEN_MAX + 1]; /* sorted, unique, "a;b;c" */
        size_t n_signed_headers;
        char signature[SIGV4_SIGNATURE_HEX_LEN + 1];
        char amz_date[SIGV4_AMZ_DATE_LEN + 1]; /* query form: X-Amz-Date; header form: "" */
        int64_t expires;                       /* query form: X-Amz-Expires; header form: 0 */
} Sigv4Auth;

/*
 * Sigv4Result - what a request claims: the parsed auth data, its time and
 * session token.  After sigv4_verify() returns 0 the claims are proven by the
 * secret; after sigv4_parse_request() they are only well-formed.
 */
typedef struct Sigv4Result {
        Sigv4Auth auth;
        char amz_date[SIGV4_AMZ_DATE_LEN + 1]; /* request time, YYYYMMDDTHHMMSSZ */
        int64_t time;                          /* the same, Unix seconds */
        bool has_security_token;
        size_t security_token_len;
        char security_token[SIGV4_TOKEN_MAX + 1]; /* decoded; NUL-terminated */
} Sigv4Result;

/*
 * sigv4_parse_authorization() - parse an Authorization header value strictly.
 * @value: the header value (surrounding whitespace is ignored); borrowed
 * @value_len: its length in bytes
 * @authp: filled on success (form SIGV4_FORM_HEADER)
 *
 * Requires exactly one Credential (AKID/YYYYMMDD/region/service/aws4_request),
 * SignedHeaders (lowercase, sorted, unique, including host) and Signature (64
 * lowercase hex digits).
 * Return: 0, SIGV4_E_MALFORMED, or SIGV4_E_TOO_LARGE.
 */
int sigv4_parse_authorization(const char *value, size_t value_len, Sigv4Auth *authp);

/*
 * sigv4_parse_presigned() - parse the X-Amz-* parameters of a presigned query.
 * @query: the raw query string, without '?'; borrowed
 * @query_len: its length in bytes
 * @authp: filled on success (form SIGV4_FORM_QUERY)
 *
 * X-Amz-Algorithm, -Credential, -Date, -Expires (1..SIGV4_EXPIRES_MAX),
 * -SignedHeaders and -Signature must each appear exactly once;
 * X-Amz-Security-Token at most once (it is read by sigv4_parse_request()).
 * Return: 0, SIGV4_E_MALFORMED, SIGV4_E_TOO_LARGE, or SIGV4_E_MISSING when
 * the query carries no X-Amz-Algorithm.
 */
int sigv4_parse_presigned(const char *query, size_t query_len, Sigv4Auth *authp);

/*
 * sigv4_parse_request() - find and check a request's auth data without the secret.
 * @req: the request; borrowed
 * @resp: filled on success: auth data, request time, session token
 *
 * Chooses the header or presigned form (both at once is malformed), checks
 * the request time's syntax and that it matches the scope date, and applies
 * the agent rules: host and x-amz-date (or date) signed, and a sent
 * x-amz-security-token header signed.  Use it to learn the access key id and
 * token before the secret is known; it does not check time or signature.
 * Return: 0, SIGV4_E_MALFORMED, SIGV4_E_TOO_LARGE, SIGV4_E_UNSIGNED_TOKEN or
 * SIGV4_E_MISSING.
 */
int sigv4_parse_request(const Sigv4Request *req, Sigv4Result *resp);

/*
 * sigv4_canonical_request() - build the canonical request.
 * @req: the request; borrowed
 * @auth: signed headers, form and service (for the path rules); borrowed
 * @opt: options, or NULL for defaults
 * @buf: output, NUL-terminated
 * @size: size of @buf; SIGV4_CANONICAL_MAX + 1 always suffices
 * @lenp: set to the length without the NUL; may be NULL
 *
 * In the query form X-Amz-Signature is left out of the canonical query.
 * On failure @buf holds nothing meaningful (the same for sigv4_string_to_sign()).
 * Return: 0, SIGV4_E_MALFORMED (e.g. a signed header is absent, a bad
 * %-escape), SIGV4_E_TOO_LARGE (a bound, or @buf too small), or -EINVAL when
 * both payload_hash and payload are set.
 */
int sigv4_canonical_request(const Sigv4Request *req, const Sigv4Auth *auth, const Sigv4Options *opt,
                            char *buf, size_t size, size_t *lenp);

/*
 * sigv4_string_to_sign() - build the string to sign.
 * @req, @auth, @opt: as for sigv4_canonical_request()
 * @buf: output, NUL-terminated
 * @size: size of @buf; SIGV4_STRING_TO_SIGN_MAX + 1 always suffices
 * @lenp: set to the length without the NUL; may be NULL
 *
 * The request time comes from X-Amz-Date (query form) or the x-amz-date or
 * date header (header form).
 * Return: as sigv4_canonical_request(), SIGV4_E_MALFORMED also for a missing
 * or unparsable request time.
 */
int sigv4_string_to_sign(const Sigv4Request *req, const Sigv4Auth *auth, const Sigv4Options *opt,
                         char *buf, size_t size, size_t *lenp);

/*
 * sigv4_signing_key() - derive kSigning from the secret and the credential scope.
 * @secret: secret access key, NUL-terminated, at most SIGV4_SECRET_MAX bytes
 * @date: YYYYMMDD
 * @region: e.g. "us-east-1"
 * @service: e.g. "sts"
 * @key: output; the caller wipes it
 *
 * Return: 0, or -EINVAL when @secret is over SIGV4_SECRET_MAX.
 */
int sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                      uint8_t key[SIGV4_KEY_LEN]);

/*
 * sigv4_sign() - compute a request's signature.
 * @req: the request with every header to be signed (x-amz-date, the token)
 *       already in place, and for the query form the X-Amz-* parameters in
 *       its query; borrowed
 * @auth: form, credential scope and signed headers; its signature is ignored
 * @secret: the secret access key, NUL-terminated
 * @opt: options, or NULL for defaults
 * @signature: output, 64 lowercase hex digits and a NUL
 *
 * Return: as sigv4_string_to_sign(), or -EINVAL for an over-long secret.
 */
int sigv4_sign(const Sigv4Request *req, const Sigv4Auth *auth, const char *secret,
               const Sigv4Options *opt, char signature[SIGV4_SIGNATURE_HEX_LEN + 1]);

/*
 * sigv4_format_authorization() - write the Authorization header value for @auth.
 * @auth: credential scope, signed headers and signature
 * @buf: output, NUL-terminated
 * @size: size of @buf; SIGV4_AUTHORIZATION_MAX + 1 always suffices
 * @lenp: set to the length without the NUL; may be NULL
 *
 * Return: 0, or SIGV4_E_TOO_LARGE when @buf is too small.
 */
int sigv4_format_authorization(const Sigv4Auth *auth, char *buf, size_t size, size_t *lenp);

/*
 * sigv4_verify() - check a signed request against the secret of its access key.
 * @req: the request; borrowed
 * @secret: the secret for the request's access key id, NUL-terminated
 * @opt: options, or NULL for defaults
 * @res: filled on success as by sigv4_parse_request()
 *
 * Checks in this order: sigv4_parse_request(), the time (|now - time| within
 * the skew; presigned: not before time - skew nor after time + X-Amz-Expires),
 * then the signature, compared in constant time.
 * Return: 0 when the signature matches; SIGV4_E_MALFORMED,
 * SIGV4_E_TOO_LARGE, SIGV4_E_UNSIGNED_TOKEN, SIGV4_E_MISSING,
 * SIGV4_E_EXPIRED or SIGV4_E_MISMATCH; -ENOMEM; -EINVAL for an over-long
 * secret or both payload_hash and payload set.
 */
int sigv4_verify(const Sigv4Request *req, const char *secret, const Sigv4Options *opt,
                 Sigv4Result *res);

/*
 * sigv4_error_code() - the AWS error code for a positive SIGV4_E_* value.
 * Return: a static string ("IncompleteSignature", "SignatureDoesNotMatch",
 * "RequestExpired", "MissingAuthenticationToken"), or NULL for other values.
 */
const char *sigv4_error_code(int r);
