/* SPDX-License-Identifier: MIT */
/*
 * session.h - sessions as a test user gets them over raw MessagePack-RPC,
 * and whether the agent still accepts them: GetCredentials and AssumeRole
 * of a role as a uid (in a forked child, the answers sent back through a
 * pipe), one request on a fresh connection that keeps a session's fields,
 * and Authorize's verdict on a session token, against a role "shared" that
 * config_shared() writes.  For the tests of revocation
 * and of the session listing.
 */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent.h"

#define TEST_TOKEN_MAX 8192

/* The fields of one GetCredentials or AssumeRole answer that tests compare. */
typedef struct TestSession {
        char akid[64];
        char sid[80];
        char secret[128];
        char token[TEST_TOKEN_MAX];
} TestSession;

/* What mint_as() got: the cached session (GetCredentials) and a fresh one (AssumeRole). */
typedef struct Minted {
        TestSession get, assumed;
} Minted;

/*
 * config_shared() - a new configuration (config_new()) with one role,
 * "shared": its [trust] section holds the lines @trust_fmt makes, and its
 * permissions allow s3:GetObject on everything (what authorize_code() asks).
 * Return: its folder (static storage).
 */
const char *config_shared(const char *trust_fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * session_rpc() - send @sb on a fresh connection to @socket and read its
 * answer into @r (strings copied, the result map not kept).  When it
 * succeeded and @s is not NULL, @s gets its access key id, session id,
 * secret and token, which must all be there.
 */
void session_rpc(const char *socket, const msgpack_sbuffer *sb, Resp *r, TestSession *s);

/* mint_as() - as @uid, GetCredentials and then AssumeRole of @role; both must succeed. */
void mint_as(const char *socket, uid_t uid, const char *role, Minted *m);

/*
 * authorize_code() - Authorize of s3:GetObject on arn:aws:s3:::b/k with
 * @token: its error code into @code ("" when answered with a decision).
 */
void authorize_code(const char *socket, const char *token, char *code, size_t size);

/* check_token() - Authorize accepts @token (@is_valid) or refuses it as InvalidClientTokenId. */
void check_token(const char *socket, const char *token, bool is_valid);
