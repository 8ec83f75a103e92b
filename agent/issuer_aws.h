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
 * or "USER" when @exe is NULL or "" (the session names no program),
 * characters outside STS's [\w+=,.@-] replaced by '-', 2..64 characters.
 * @out: at least 65 bytes
 */
void issuer_aws_session_name(const char *user, const char *exe, char out[65]);

/*
 * AwsMfaDone - the outcome of issuer_aws_mfa(), called once from the loop.
 * @r:        0 (@expires: when the MFA session ends; @n_released: calls that
 *            waited for it and went out), ISSUER_E_FAILED with @err set (STS's
 *            code and message kept), or -errno (-ECANCELED at shutdown)
 */
typedef void (*AwsMfaDone)(void *userdata, int r, int64_t expires, size_t n_released,
                           const IssueError *err);

/*
 * issuer_aws_mfa() - an MFA code from the Mfa method (rolectl mfa CODE):
 * exchange the agent's source credentials for an MFA session with
 * GetSessionToken (SerialNumber = [aws] mfa_serial, TokenCode = @code) and,
 * when STS takes it, send every call waiting for that session.  The code is
 * taken from root and the agent's user, and from @uid only while a request
 * of @uid waits for the session; it is never logged.
 * @code:     six digits (the caller checked them)
 * Return: 0 (@done will be called), ISSUER_E_FAILED with *@err set (no
 * mfa_serial: NoSuchEntity; not allowed: AccessDenied; a code or mfa_process
 * already in progress: Throttling), or -errno.
 */
int issuer_aws_mfa(Agent *agent, const Config *config, uint32_t uid, const char *code,
                   AwsMfaDone done, void *userdata, IssueError *err);
