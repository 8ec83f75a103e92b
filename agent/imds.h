/* SPDX-License-Identifier: MIT */
/*
 * imds.h - the host's role credentials from the EC2 instance metadata
 * service, IMDSv2 only: PUT /latest/api/token (a session token with a TTL),
 * then GET /latest/meta-data/iam/security-credentials/ (the role's name)
 * and GET .../ROLE (its credentials), each with the token.  All on the loop
 * through http.c.  When to fetch, and what the credentials sign, is
 * issuer_aws.c's business.
 *
 * The endpoint is http://169.254.169.254 unless the environment variable
 * AWS_EC2_METADATA_SERVICE_ENDPOINT (the name AWS's SDKs read) names another,
 * which must be http:// on a loopback or link-local address (tests run a
 * fake IMDS on 127.0.0.1).
 */
#pragma once

#include <stdint.h>

#include "credentials.h"
#include "http.h"

#define IMDS_ENDPOINT_DEFAULT "http://169.254.169.254"
#define IMDS_ENDPOINT_ENV "AWS_EC2_METADATA_SERVICE_ENDPOINT"
#define IMDS_TOKEN_TTL 21600 /* seconds asked for the session token (the most IMDS grants) */
#define IMDS_TIMEOUT_MS 2000 /* each request; IMDS answers on the host's own link */
#define IMDS_ROLE_MAX 64     /* IAM role name */

enum {
        IMDS_E_FAILED =
                1, /* no credentials: the message says why (unreachable, no role, bad answer) */
};

typedef struct Imds Imds;

/*
 * ImdsDone - the outcome of imds_fetch(), called once from the loop.
 * @r:     0 (*@take holds the credentials; the callee moves or deinits
 *         them), IMDS_E_FAILED (@why says why) or -errno (-ECANCELED when
 *         http_free() cancelled the request)
 */
typedef void (*ImdsDone)(void *userdata, int r, Credentials *take, const char *why);

/* imds_new() - a client using @http (borrowed; it must outlive the Imds).  Return: 0 or -ENOMEM. */
int imds_new(Http *http, Imds **ip);

/* imds_free() - free (NULL is fine; no fetch may be running: free the Http first).  Return: NULL.
 */
Imds *imds_free(Imds *i);

/*
 * imds_fetch() - fetch the role's credentials; one fetch at a time.
 * @now:  Unix seconds (the session token is reused until shortly before its TTL ends)
 * Return: 0 (@done will be called), -EBUSY (a fetch is running), -ENOMEM or -EIO.
 */
int imds_fetch(Imds *i, int64_t now, ImdsDone done, void *userdata);

/* imds_endpoint() - the endpoint in use ("" when the environment names an unusable one). */
const char *imds_endpoint(const Imds *i);
