/* SPDX-License-Identifier: MIT */
/*
 * sts.h - the AWS STS query protocol (aws-compat.md section 3): the form
 * body of AssumeRole and GetSessionToken, the SigV4-signed headers of a POST
 * (signed by sigv4.c), and expat parsing of the XML answers, errors
 * included.  No I/O: http.c carries the bytes, issuer_aws.c decides.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"

#define STS_VERSION "2011-06-15"
#define STS_TAGS_MAX 50
#define STS_HEADERS_MAX 8
#define STS_CODE_MAX 128
#define STS_MESSAGE_MAX 1024
#define STS_TOKEN_MAX 8192

enum {
        STS_E_MALFORMED = 1, /* parse: not an STS answer we understand */
        STS_E_ERROR,         /* parse: an ErrorResponse; code and message are set */
        STS_E_TOO_LONG,      /* build: a parameter is out of STS's bounds */
};

typedef enum StsAction {
        STS_ASSUME_ROLE,
        STS_GET_SESSION_TOKEN,
} StsAction;

/* StsParams - one call's parameters; NULL / 0 leaves a parameter out.  Borrowed. */
typedef struct StsParams {
        StsAction action;
        const char *role_arn;
        const char *session_name;
        uint32_t duration;
        const char *policy;
        const char *external_id;
        const char *source_identity;
        const char *const *tag_keys;
        const char *const *tag_values;
        size_t n_tags;
        const char *serial_number;
        const char *token_code;
} StsParams;

/* StsSource - the credentials a call is signed with; borrowed. */
typedef struct StsSource {
        const char *access_key_id;
        const char *secret_access_key;
        const char *session_token; /* NULL for long-term keys */
} StsSource;

/*
 * StsAnswer - a parsed answer: credentials (AssumeRole, GetSessionToken) or
 * an error's code and message (control characters replaced, so one line).
 */
typedef struct StsAnswer {
        Credentials creds; /* akid, secret, token, assumed_role_arn, expires */
        char code[STS_CODE_MAX];
        char message[STS_MESSAGE_MAX];
} StsAnswer;

/*
 * sts_body() - the form body of @p ("Action=...&Version=...&...").
 * Return: 0 with *@bodyp (the caller wipes and frees it), -ENOMEM or -EINVAL.
 */
int sts_body(const StsParams *p, char **bodyp, size_t *lenp);

/*
 * sts_sign() - the headers of a signed POST of @body to @url.
 * @url:    https://HOST[:PORT]/PATH as configured
 * @region: the signing region
 * @src:    the signing credentials
 * @now:    Unix seconds (X-Amz-Date)
 * @headers: receives STS_HEADERS_MAX "Name: value" lines and a NULL, each
 *          heap-allocated (sts_headers_free() wipes them)
 * Return: 0, -EINVAL (a URL without a host, or over-long credentials) or -ENOMEM.
 */
int sts_sign(const char *url, const char *region, const StsSource *src, const char *body,
             size_t len, int64_t now, char *headers[STS_HEADERS_MAX + 1]);

/*
 * sts_parse_time() - STS's (and IMDS's) Expiration, "YYYY-MM-DDTHH:MM:SS[.fff]Z"
 * (fractions dropped), in Unix seconds.  Return: 0 or -EINVAL.
 */
int sts_parse_time(const char *s, int64_t *tp);

/* sts_headers_free() - wipe and free what sts_sign() made. */
void sts_headers_free(char *headers[STS_HEADERS_MAX + 1]);

/*
 * sts_parse() - parse an answer.
 * @status: the HTTP status
 * @a:      receives the answer; on 0 a->creds is filled (the caller deinits it)
 * Return: 0, STS_E_ERROR (code and message set), STS_E_MALFORMED or -ENOMEM.
 */
int sts_parse(long status, const char *body, size_t len, StsAnswer *a);
