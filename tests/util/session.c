/* SPDX-License-Identifier: MIT */
/*
 * session.c - minting sessions as a test user and asking Authorize about
 * their tokens, over raw connections (see session.h).
 */
#include "session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *config_shared(const char *trust_fmt, ...)
{
        const char *cfg = config_new(NULL);
        char *trust;
        va_list ap;

        va_start(ap, trust_fmt);
        CHECK(vasprintf(&trust, trust_fmt, ap) >= 0);
        va_end(ap);
        config_put(cfg, "roles.d/p.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}");
        config_put(cfg, "roles.d/shared.ini",
                   "[role]\nname = shared\npermissions = p.json\n[trust]\n%s", trust);
        free(trust);
        return cfg;
}

void session_rpc(const char *socket, const msgpack_sbuffer *sb, Resp *r, TestSession *s)
{
        msgpack_unpacker up;
        msgpack_unpacked u;
        int fd = raw_connect(socket);

        /* A ListSessions page of 100 sessions is larger than call_raw()'s buffer. */
        CHECK(msgpack_unpacker_init(&up, 65536));
        msgpack_unpacked_init(&u);
        CHECK(raw_send(fd, sb->data, sb->size) == 0);
        CHECK_INT(raw_recv(fd, &up, &u, 10000), ==, 1);
        CHECK_MSG(resp_parse(&u.data, r), "not a response envelope");
        if (s && !r->code[0]) {
                resp_str(&r->result, "accessKeyId", s->akid, sizeof(s->akid));
                resp_str(&r->result, "sessionId", s->sid, sizeof(s->sid));
                resp_str(&r->result, "secretAccessKey", s->secret, sizeof(s->secret));
                resp_str(&r->result, "sessionToken", s->token, sizeof(s->token));
                CHECK(s->akid[0] && s->sid[0] && s->secret[0] && s->token[0]);
        }
        r->result.type = MSGPACK_OBJECT_NIL;
        msgpack_unpacked_destroy(&u);
        msgpack_unpacker_destroy(&up);
        close(fd);
}

/* What the child of mint_as() needs: where to ask, for what, where to write the answer. */
typedef struct MintArg {
        const char *socket, *role;
        int wfd;
} MintArg;

static int mint(void *arg)
{
        const MintArg *a = arg;
        Minted m = { 0 };
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 1, "GetCredentials", 1, "role", a->role);
        session_rpc(a->socket, &sb, &r, &m.get);
        CHECK_MSG(!r.code[0], "GetCredentials %s: %s (%s)", a->role, r.code, r.message);
        msgpack_sbuffer_clear(&sb);
        pack_request(&sb, 2, "AssumeRole", 1, "role", a->role);
        session_rpc(a->socket, &sb, &r, &m.assumed);
        CHECK_MSG(!r.code[0], "AssumeRole %s: %s (%s)", a->role, r.code, r.message);
        msgpack_sbuffer_destroy(&sb);
        /* Under the pipe's capacity, so the child never blocks here before it exits. */
        CHECK(write(a->wfd, &m, sizeof(m)) == (ssize_t)sizeof(m));
        return 0;
}

void mint_as(const char *socket, uid_t uid, const char *role, Minted *m)
{
        MintArg a = { .socket = socket, .role = role };
        int p[2];

        _Static_assert(sizeof(Minted) < 65536, "a Minted fits in a pipe's default capacity");
        CHECK(pipe(p) == 0);
        a.wfd = p[1];
        CHECK_INT(run_as(uid, mint, &a), ==, 0);
        CHECK(read(p[0], m, sizeof(*m)) == (ssize_t)sizeof(*m));
        close(p[0]);
        close(p[1]);
}

void authorize_code(const char *socket, const char *token, char *code, size_t size)
{
        msgpack_sbuffer sb;
        Resp r;

        msgpack_sbuffer_init(&sb);
        pack_request(&sb, 4, "Authorize", 3, "sessionToken", token, "action", "s3:GetObject",
                     "resource", "arn:aws:s3:::b/k");
        session_rpc(socket, &sb, &r, NULL);
        msgpack_sbuffer_destroy(&sb);
        snprintf(code, size, "%s", r.code);
}

void check_token(const char *socket, const char *token, bool is_valid)
{
        char code[64];

        authorize_code(socket, token, code, sizeof(code));
        CHECK_MSG(strcmp(code, is_valid ? "" : "InvalidClientTokenId") == 0,
                  "Authorize of a token %s: got '%s', want '%s'",
                  is_valid ? "that should verify" : "revoked", code,
                  is_valid ? "" : "InvalidClientTokenId");
}
