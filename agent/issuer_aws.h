/* SPDX-License-Identifier: MIT */
/*
 * issuer_aws.h - the aws issuer: credentials from AWS STS AssumeRole, called
 * with the agent's own source credentials (roled.ini [aws]) on behalf of the
 * attested caller, whose user, program and host travel as RoleSessionName,
 * SourceIdentity and session tags.  Role chaining ([aws] source_role) goes
 * through a cached session of the source role.  Single flight, caching and
 * backoff per caller are flights.c's; this driver makes one STS call per
 * issue() and reports its health.
 */
#pragma once

#include "issuer.h"

/* The driver (issuer.h). */
extern const IssuerDriver issuer_aws_driver;

/*
 * issuer_aws_session_name() - RoleSessionName for a caller: "USER@PROGRAM",
 * characters outside STS's [\w+=,.@-] replaced by '-', 2..64 characters.
 * @out: at least 65 bytes
 */
void issuer_aws_session_name(const char *user, const char *exe, char out[65]);
