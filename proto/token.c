/* SPDX-License-Identifier: MIT */
/*
 * token.c - session token encoding, parsing and offline verification (see token.h).
 *
 * The claims map is checked by the bounded scanner before msgpack-c sees it.
 * The scanner only accepts an array at the top level, so the claims are
 * copied behind a one-byte fixarray header ([claims]) and scanned and unpacked
 * in that form; the copy is bounded by PROTO_TOKEN_MAX and lives on the stack.
 */
#include "token.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.h"
#include "scan.h"

/* Largest decoded token: PROTO_TOKEN_MAX base64 characters. */
#define TOKEN_BIN_MAX (PROTO_TOKEN_MAX / 4 * 3)
#define TOKEN_HEAD_SIZE (1 + TOKEN_KEY_ID_SIZE)

/* The claim names, in the order they are encoded. */
enum {
        C_AKID,
        C_SID,
        C_ROLE,
        C_ARN,
        C_UID,
        C_GID,
        C_USER,
        C_EXE,
        C_UNIT,
        C_IAT,
        C_EXP,
        C_POL,
        C_SRC,
        C_GIDS,
        C_XSH,
        C_CG,
        C_COUNT,
};

static const char *const claim_names[C_COUNT] = {
        [C_AKID] = "akid", [C_SID] = "sid",   [C_ROLE] = "role", [C_ARN] = "arn",
        [C_UID] = "uid",   [C_GID] = "gid",   [C_USER] = "user", [C_EXE] = "exe",
        [C_UNIT] = "unit", [C_IAT] = "iat",   [C_EXP] = "exp",   [C_POL] = "pol",
        [C_SRC] = "src",   [C_GIDS] = "gids", [C_XSH] = "xsh",   [C_CG] = "cg",
};

/* Bound of each string claim (0 for claims that are not strings). */
static const size_t claim_max[C_COUNT] = {
        [C_AKID] = TOKEN_AKID_MAX, [C_SID] = TOKEN_SID_MAX,   [C_ROLE] = TOKEN_ROLE_MAX,
        [C_ARN] = TOKEN_ARN_MAX,   [C_USER] = TOKEN_USER_MAX, [C_EXE] = TOKEN_EXE_MAX,
        [C_UNIT] = TOKEN_UNIT_MAX, [C_SRC] = TOKEN_ROLE_MAX,  [C_CG] = TOKEN_CGROUP_MAX,
};

/* Claims every version-1 token carries; pol, src, gids, xsh and cg are optional. */
#define REQUIRED_CLAIMS                                                                            \
        ((1u << C_AKID) | (1u << C_SID) | (1u << C_ROLE) | (1u << C_ARN) | (1u << C_UID) |         \
         (1u << C_GID) | (1u << C_USER) | (1u << C_EXE) | (1u << C_UNIT) | (1u << C_IAT) |         \
         (1u << C_EXP))

void token_claims_deinit(TokenClaims *c)
{
        free(c->akid);
        free(c->sid);
        free(c->role);
        free(c->arn);
        free(c->user);
        free(c->exe);
        free(c->unit);
        free(c->source_role);
        free(c->gids);
        free(c->cgroup);
        *c = (TokenClaims)TOKEN_CLAIMS_INIT;
}

void token_key_id(const uint8_t pk[TOKEN_PUBLIC_KEY_SIZE], uint8_t id[TOKEN_KEY_ID_SIZE])
{
        uint8_t h[crypto_hash_sha256_BYTES];

        crypto_hash_sha256(h, pk, TOKEN_PUBLIC_KEY_SIZE);
        memcpy(id, h, TOKEN_KEY_ID_SIZE);
}

/* A string claim is encodable when it fits its bound and holds no NUL (it is a C string). */
static bool str_ok(const char *s, size_t max)
{
        return s == NULL || strnlen(s, max + 1) <= max;
}

int token_encode(const TokenClaims *claims, const uint8_t key_id[TOKEN_KEY_ID_SIZE],
                 const uint8_t sk[crypto_sign_SECRETKEYBYTES], char **tokenp)
{
        const TokenClaims *c = claims;
        ProtoBuf b;
        uint8_t version = TOKEN_VERSION;
        uint8_t sig[TOKEN_SIGNATURE_SIZE];
        size_t b64_size;
        char *tok;
        int r;

        if (!c->akid || !c->sid || !c->role || !c->arn || c->issued < 0 || c->expires < c->issued)
                return -EINVAL;
        if (!str_ok(c->akid, TOKEN_AKID_MAX) || !str_ok(c->sid, TOKEN_SID_MAX) ||
            !str_ok(c->role, TOKEN_ROLE_MAX) || !str_ok(c->arn, TOKEN_ARN_MAX) ||
            !str_ok(c->user, TOKEN_USER_MAX) || !str_ok(c->exe, TOKEN_EXE_MAX) ||
            !str_ok(c->unit, TOKEN_UNIT_MAX) || !str_ok(c->source_role, TOKEN_ROLE_MAX) ||
            !str_ok(c->cgroup, TOKEN_CGROUP_MAX) || c->n_gids > TOKEN_GIDS_MAX)
                return TOKEN_E_TOO_LONG;

        proto_buf_init(&b, false);
        r = proto_buf_append(&b, &version, 1);
        if (r == 0)
                r = proto_buf_append(&b, key_id, TOKEN_KEY_ID_SIZE);
        if (r < 0)
                goto out;
        msgpack_pack_map(&b.pk, 11 + (c->has_policy ? 1 : 0) + (c->source_role ? 1 : 0) +
                                        (c->n_gids ? 1 : 0) + (c->has_exe_sha256 ? 1 : 0) +
                                        (c->cgroup ? 1 : 0));
        proto_pack_kv_str(&b, claim_names[C_AKID], c->akid);
        proto_pack_kv_str(&b, claim_names[C_SID], c->sid);
        proto_pack_kv_str(&b, claim_names[C_ROLE], c->role);
        proto_pack_kv_str(&b, claim_names[C_ARN], c->arn);
        proto_pack_kv_uint(&b, claim_names[C_UID], c->uid);
        proto_pack_kv_uint(&b, claim_names[C_GID], c->gid);
        proto_pack_kv_str(&b, claim_names[C_USER], c->user ? c->user : "");
        proto_pack_kv_str(&b, claim_names[C_EXE], c->exe ? c->exe : "");
        proto_pack_kv_str(&b, claim_names[C_UNIT], c->unit ? c->unit : "");
        proto_pack_kv_uint(&b, claim_names[C_IAT], (uint64_t)c->issued);
        proto_pack_kv_uint(&b, claim_names[C_EXP], (uint64_t)c->expires);
        if (c->has_policy)
                proto_pack_kv_bin(&b, claim_names[C_POL], c->policy_digest, TOKEN_DIGEST_SIZE);
        if (c->source_role)
                proto_pack_kv_str(&b, claim_names[C_SRC], c->source_role);
        if (c->n_gids) {
                proto_pack_str(&b, claim_names[C_GIDS]);
                msgpack_pack_array(&b.pk, c->n_gids);
                for (size_t i = 0; i < c->n_gids; i++)
                        msgpack_pack_uint32(&b.pk, c->gids[i]);
        }
        if (c->has_exe_sha256)
                proto_pack_kv_bin(&b, claim_names[C_XSH], c->exe_sha256, sizeof(c->exe_sha256));
        if (c->cgroup)
                proto_pack_kv_str(&b, claim_names[C_CG], c->cgroup);
        if (b.is_oom) {
                r = -ENOMEM;
                goto out;
        }
        crypto_sign_detached(sig, NULL, b.data, b.len, sk);
        r = proto_buf_append(&b, sig, sizeof(sig));
        if (r < 0)
                goto out;
        /* The claim bounds keep every encodable token under the protocol limit. */
        if (sodium_base64_encoded_len(b.len, sodium_base64_VARIANT_ORIGINAL) >
            PROTO_TOKEN_MAX + 1) {
                r = TOKEN_E_TOO_LONG;
                goto out;
        }
        b64_size = sodium_base64_encoded_len(b.len, sodium_base64_VARIANT_ORIGINAL);
        tok = malloc(b64_size);
        if (!tok) {
                r = -ENOMEM;
                goto out;
        }
        sodium_bin2base64(tok, b64_size, b.data, b.len, sodium_base64_VARIANT_ORIGINAL);
        *tokenp = tok;
        r = 0;
out:
        proto_buf_deinit(&b);
        return r;
}

/* claim_index() - which claim the map key @k names, or -1. */
static int claim_index(const msgpack_object *k)
{
        if (k->type != MSGPACK_OBJECT_STR)
                return -1;
        for (int i = 0; i < C_COUNT; i++)
                if (proto_str_eq(k, claim_names[i]))
                        return i;
        return -1;
}

/* dup_str() - copy string object @v (at most @max bytes, no NUL) into *@sp. */
static int dup_str(const msgpack_object *v, size_t max, char **sp)
{
        char *s;

        if (v->type != MSGPACK_OBJECT_STR || v->via.str.size > max ||
            memchr(v->via.str.ptr, 0, v->via.str.size))
                return TOKEN_E_MALFORMED;
        s = strndup(v->via.str.ptr, v->via.str.size);
        if (!s)
                return -ENOMEM;
        *sp = s;
        return 0;
}

/* claims_from_map() - fill @c from the decoded claims map @m; @c is deinit'ed by the caller. */
static int claims_from_map(const msgpack_object *m, TokenClaims *c)
{
        uint32_t seen = 0;

        if (m->type != MSGPACK_OBJECT_MAP)
                return TOKEN_E_MALFORMED;
        for (uint32_t i = 0; i < m->via.map.size; i++) {
                const msgpack_object *k = &m->via.map.ptr[i].key;
                const msgpack_object *v = &m->via.map.ptr[i].val;
                int idx = claim_index(k);
                char **sp = NULL;
                int r;

                /* Unknown claims are refused: a verifier must never skip a restriction. */
                if (idx < 0 || (seen & (1u << idx)))
                        return TOKEN_E_MALFORMED;
                seen |= 1u << idx;
                switch (idx) {
                case C_AKID:
                        sp = &c->akid;
                        break;
                case C_SID:
                        sp = &c->sid;
                        break;
                case C_ROLE:
                        sp = &c->role;
                        break;
                case C_ARN:
                        sp = &c->arn;
                        break;
                case C_USER:
                        sp = &c->user;
                        break;
                case C_EXE:
                        sp = &c->exe;
                        break;
                case C_UNIT:
                        sp = &c->unit;
                        break;
                case C_SRC:
                        sp = &c->source_role;
                        break;
                case C_CG:
                        sp = &c->cgroup;
                        break;
                case C_GIDS:
                        if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size == 0 ||
                            v->via.array.size > TOKEN_GIDS_MAX)
                                return TOKEN_E_MALFORMED;
                        c->gids = calloc(v->via.array.size, sizeof(*c->gids));
                        if (!c->gids)
                                return -ENOMEM;
                        for (uint32_t j = 0; j < v->via.array.size; j++) {
                                const msgpack_object *g = &v->via.array.ptr[j];

                                if (g->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                                    g->via.u64 > UINT32_MAX)
                                        return TOKEN_E_MALFORMED;
                                c->gids[j] = (uint32_t)g->via.u64;
                        }
                        c->n_gids = v->via.array.size;
                        break;
                case C_XSH:
                        if (v->type != MSGPACK_OBJECT_BIN ||
                            v->via.bin.size != sizeof(c->exe_sha256))
                                return TOKEN_E_MALFORMED;
                        memcpy(c->exe_sha256, v->via.bin.ptr, sizeof(c->exe_sha256));
                        c->has_exe_sha256 = true;
                        break;
                case C_UID:
                case C_GID:
                        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 > UINT32_MAX)
                                return TOKEN_E_MALFORMED;
                        *(idx == C_UID ? &c->uid : &c->gid) = (uint32_t)v->via.u64;
                        break;
                case C_IAT:
                case C_EXP:
                        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 > INT64_MAX)
                                return TOKEN_E_MALFORMED;
                        *(idx == C_IAT ? &c->issued : &c->expires) = (int64_t)v->via.u64;
                        break;
                case C_POL:
                        if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != TOKEN_DIGEST_SIZE)
                                return TOKEN_E_MALFORMED;
                        memcpy(c->policy_digest, v->via.bin.ptr, TOKEN_DIGEST_SIZE);
                        c->has_policy = true;
                        break;
                default:
                        return TOKEN_E_MALFORMED;
                }
                if (sp) {
                        r = dup_str(v, claim_max[idx], sp);
                        if (r)
                                return r;
                }
        }
        if ((seen & REQUIRED_CLAIMS) != REQUIRED_CLAIMS || c->expires < c->issued)
                return TOKEN_E_MALFORMED;
        return 0;
}

/*
 * decode() - base64-decode @tok into @bin and parse its claims.
 * On success *@bin_lenp is the decoded length (signature included).
 */
static int decode(const char *tok, size_t len, uint8_t bin[TOKEN_BIN_MAX], size_t *bin_lenp,
                  TokenClaims *claims)
{
        uint8_t wrap[1 + TOKEN_BIN_MAX];
        const char *end = NULL;
        size_t bin_len = 0, n_claims, msg_len = 0, off = 0;
        TokenClaims c = TOKEN_CLAIMS_INIT;
        msgpack_zone zone;
        msgpack_object root;
        Scan s;
        int r;

        if (len == 0 || len > PROTO_TOKEN_MAX)
                return TOKEN_E_MALFORMED;
        if (sodium_base642bin(bin, TOKEN_BIN_MAX, tok, len, NULL, &bin_len, &end,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            end != tok + len)
                return TOKEN_E_MALFORMED;
        if (bin_len < TOKEN_HEAD_SIZE + 1 + TOKEN_SIGNATURE_SIZE || bin[0] != TOKEN_VERSION)
                return TOKEN_E_MALFORMED;
        n_claims = bin_len - TOKEN_HEAD_SIZE - TOKEN_SIGNATURE_SIZE;

        /* [claims]: the scanner insists on an array at the top level. */
        wrap[0] = 0x91;
        memcpy(wrap + 1, bin + TOKEN_HEAD_SIZE, n_claims);
        scan_init(&s, 1 + n_claims);
        r = scan_feed(&s, wrap, 1 + n_claims, &msg_len);
        if (r != 0 || msg_len != 1 + n_claims)
                return TOKEN_E_MALFORMED;

        if (!msgpack_zone_init(&zone, 1024))
                return -ENOMEM;
        switch (msgpack_unpack((const char *)wrap, msg_len, &off, &zone, &root)) {
        case MSGPACK_UNPACK_SUCCESS:
                if (off != msg_len || root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size != 1)
                        r = TOKEN_E_MALFORMED;
                else
                        r = claims_from_map(&root.via.array.ptr[0], &c);
                break;
        case MSGPACK_UNPACK_NOMEM_ERROR:
                r = -ENOMEM;
                break;
        default:
                r = TOKEN_E_MALFORMED;
                break;
        }
        msgpack_zone_destroy(&zone);
        if (r) {
                token_claims_deinit(&c);
                return r;
        }
        *bin_lenp = bin_len;
        *claims = c;
        return 0;
}

int token_parse(const char *tok, size_t len, TokenClaims *claims, uint8_t key_id[TOKEN_KEY_ID_SIZE])
{
        uint8_t bin[TOKEN_BIN_MAX];
        size_t bin_len;
        int r;

        r = decode(tok, len, bin, &bin_len, claims);
        if (r)
                return r;
        if (key_id)
                memcpy(key_id, bin + 1, TOKEN_KEY_ID_SIZE);
        return 0;
}

int token_verify(const char *tok, size_t len, const TokenPublicKey *keys, size_t n_keys,
                 int64_t now, TokenClaims *claims)
{
        uint8_t bin[TOKEN_BIN_MAX];
        size_t bin_len, signed_len;
        TokenClaims c = TOKEN_CLAIMS_INIT;
        const TokenPublicKey *key = NULL;
        int r;

        r = decode(tok, len, bin, &bin_len, &c);
        if (r)
                return r;
        for (size_t i = 0; i < n_keys; i++)
                if (memcmp(keys[i].id, bin + 1, TOKEN_KEY_ID_SIZE) == 0) {
                        key = &keys[i];
                        break;
                }
        if (!key || (key->not_after != 0 && now >= key->not_after)) {
                r = TOKEN_E_UNKNOWN_KEY;
                goto fail;
        }
        signed_len = bin_len - TOKEN_SIGNATURE_SIZE;
        if (crypto_sign_verify_detached(bin + signed_len, bin, signed_len, key->pk) != 0) {
                r = TOKEN_E_BAD_SIGNATURE;
                goto fail;
        }
        if (now >= c.expires) {
                r = TOKEN_E_EXPIRED;
                goto fail;
        }
        if (claims)
                *claims = c;
        else
                token_claims_deinit(&c);
        return 0;
fail:
        token_claims_deinit(&c);
        return r;
}
