/* SPDX-License-Identifier: MIT */
/*
 * bench-proto.c - in-process cost of the proto/ hot paths the agent runs on
 * every request: scan_feed() over a typical AssumeRole request (whole, and
 * dribbled one byte per call), and a session token's claims (token_parse(),
 * token_verify() with its Ed25519 check, token_encode() with its signature).
 * Prints the median over rounds of the mean CPU time per call (this thread's,
 * so other load on the machine counts less); nothing here asserts on time.
 * Usage: bench-proto [ITERATIONS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-clock.h"
#include "codec.h"
#include "rpc.h"
#include "scan.h"
#include "token.h"

#define ROUNDS 9

/* What every timed call works on: a packed request, and a token, its claims and its key pair. */
typedef struct Bench {
        ProtoBuf msg;
        char *tok;
        size_t tok_len;
        TokenClaims claims;
        TokenPublicKey key;
        uint8_t sk[crypto_sign_SECRETKEYBYTES];
} Bench;

static volatile size_t sink;

static void scan_whole(const Bench *b)
{
        Scan s;
        size_t len = 0;

        scan_init(&s, PROTO_MESSAGE_MAX);
        if (scan_feed(&s, b->msg.data, b->msg.len, &len) != 0)
                abort();
        sink += len;
}

static void scan_dribbled(const Bench *b)
{
        Scan s;
        size_t len = 0;
        int r = SCAN_E_INCOMPLETE;

        scan_init(&s, PROTO_MESSAGE_MAX);
        for (size_t n = 1; n <= b->msg.len && r == SCAN_E_INCOMPLETE; n++)
                r = scan_feed(&s, b->msg.data, n, &len);
        if (r != 0)
                abort();
        sink += len;
}

static void parse(const Bench *b)
{
        TokenClaims c = TOKEN_CLAIMS_INIT;

        if (token_parse(b->tok, b->tok_len, &c, NULL) != 0)
                abort();
        sink += c.uid;
        token_claims_deinit(&c);
}

static void verify(const Bench *b)
{
        TokenClaims c = TOKEN_CLAIMS_INIT;

        if (token_verify(b->tok, b->tok_len, &b->key, 1, 1700000001, &c) != 0)
                abort();
        sink += c.uid;
        token_claims_deinit(&c);
}

static void encode(const Bench *b)
{
        char *tok = NULL;

        if (token_encode(&b->claims, b->key.id, b->sk, &tok) != 0)
                abort();
        sink += strlen(tok);
        free(tok);
}

static void run(const char *name, void (*fn)(const Bench *), const Bench *b, size_t iters)
{
        uint64_t per[ROUNDS];

        for (int r = 0; r < ROUNDS; r++) {
                uint64_t t0 = cpu_ns();
                for (size_t i = 0; i < iters; i++)
                        fn(b);
                per[r] = (cpu_ns() - t0) / iters;
        }
        qsort(per, ROUNDS, sizeof(per[0]), cmp_u64);
        printf("%-34s %8llu ns CPU per call (median of %d rounds of %zu)\n", name,
               (unsigned long long)per[ROUNDS / 2], ROUNDS, iters);
}

int main(int argc, char **argv)
{
        size_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
        uint32_t gids[] = { 100, 4, 24, 27, 1000 };
        Bench b = {
                .claims = {
                        .akid = (char *)"ASIAABCDEFGHIJKLMNOP",
                        .sid = (char *)"00112233445566778899aabbccddeeff",
                        .role = (char *)"web",
                        .arn = (char *)"arn:aws:iam::000000000000:role/web",
                        .uid = 1000,
                        .gid = 100,
                        .user = (char *)"alice",
                        .exe = (char *)"/usr/bin/curl",
                        .unit = (char *)"web.service",
                        .issued = 1700000000,
                        .expires = 1700003600,
                        .has_policy = true,
                        .policy_digest = { 1 },
                        .source_role = (char *)"base",
                        .gids = gids,
                        .n_gids = sizeof(gids) / sizeof(gids[0]),
                        .has_exe_sha256 = true,
                        .cgroup = (char *)"/system.slice/web.service",
                },
        };
        ProtoAssumeRoleReq req = {
                .role = proto_str("web"),
                .duration_seconds = { 3600, true },
                .policy = proto_str("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                                    "\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"),
                .session_name = proto_str("bench"),
        };

        if (sodium_init() < 0)
                return 1;
        crypto_sign_keypair(b.key.pk, b.sk);
        token_key_id(b.key.pk, b.key.id);
        if (token_encode(&b.claims, b.key.id, b.sk, &b.tok) != 0)
                return 1;
        b.tok_len = strlen(b.tok);
        req.session_token = proto_str(b.tok);
        proto_buf_init(&b.msg, false);
        proto_pack_request(&b.msg, 7, "AssumeRole");
        codec_encode_AssumeRoleReq(&b.msg, &req);
        if (b.msg.is_oom)
                return 1;

        printf("request %zu bytes, token %zu bytes\n", b.msg.len, b.tok_len);
        run("scan_feed whole request", scan_whole, &b, iters);
        run("scan_feed one byte per call", scan_dribbled, &b, iters / 20 ? iters / 20 : 1);
        run("token_parse", parse, &b, iters);
        run("token_verify (Ed25519 included)", verify, &b, iters / 20 ? iters / 20 : 1);
        run("token_encode (Ed25519 included)", encode, &b, iters / 20 ? iters / 20 : 1);
        proto_buf_deinit(&b.msg);
        free(b.tok);
        return 0;
}
