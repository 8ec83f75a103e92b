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

/* How a claim is kept in TokenClaims and written on the wire. */
typedef enum ClaimKind {
        CLAIM_STR,  /* char *: at most .size bytes, no NUL */
        CLAIM_U32,  /* uint32_t */
        CLAIM_TIME, /* int64_t Unix seconds, a non-negative integer on the wire */
        CLAIM_BIN,  /* uint8_t[.size], carried when the bool at .flag is set */
        CLAIM_GIDS, /* gids[n_gids] (at most .size), carried when there are any */
} ClaimKind;

typedef struct Claim {
        const char *name;
        ClaimKind kind;
        bool is_required; /* every version-1 token carries it */
        size_t offset;    /* of its member in TokenClaims */
        size_t size;      /* see ClaimKind */
        size_t flag;      /* CLAIM_BIN: offset of its has_* member */
} Claim;

#define AT(member) offsetof(TokenClaims, member)

/* The claims, in the order they are encoded; 32 at most (claims_from_map()'s bit set). */
static const Claim claims_table[] = {
        { "akid", CLAIM_STR, true, AT(akid), TOKEN_AKID_MAX, 0 },
        { "sid", CLAIM_STR, true, AT(sid), TOKEN_SID_MAX, 0 },
        { "role", CLAIM_STR, true, AT(role), TOKEN_ROLE_MAX, 0 },
        { "arn", CLAIM_STR, true, AT(arn), TOKEN_ARN_MAX, 0 },
        { "uid", CLAIM_U32, true, AT(uid), 0, 0 },
        { "gid", CLAIM_U32, true, AT(gid), 0, 0 },
        { "user", CLAIM_STR, true, AT(user), TOKEN_USER_MAX, 0 },
        { "exe", CLAIM_STR, true, AT(exe), TOKEN_EXE_MAX, 0 },
        { "unit", CLAIM_STR, true, AT(unit), TOKEN_UNIT_MAX, 0 },
        { "iat", CLAIM_TIME, true, AT(issued), 0, 0 },
        { "exp", CLAIM_TIME, true, AT(expires), 0, 0 },
        { "pol", CLAIM_BIN, false, AT(policy_digest), TOKEN_DIGEST_SIZE, AT(has_policy) },
        { "src", CLAIM_STR, false, AT(source_role), TOKEN_ROLE_MAX, 0 },
        { "gids", CLAIM_GIDS, false, AT(gids), TOKEN_GIDS_MAX, 0 },
        { "xsh", CLAIM_BIN, false, AT(exe_sha256), sizeof(((TokenClaims *)0)->exe_sha256),
          AT(has_exe_sha256) },
        { "cg", CLAIM_STR, false, AT(cgroup), TOKEN_CGROUP_MAX, 0 },
};
#define N_CLAIMS (sizeof(claims_table) / sizeof(claims_table[0]))
_Static_assert(N_CLAIMS <= 32, "claims_from_map() keeps the claims seen in a uint32_t");

/* The member of @c that claim @cl describes. */
#define MEMBER(type, c, cl) ((type *)((char *)(c) + (cl)->offset))
#define CMEMBER(type, c, cl) ((const type *)((const char *)(c) + (cl)->offset))

void token_claims_deinit(TokenClaims *c)
{
        for (size_t i = 0; i < N_CLAIMS; i++)
                if (claims_table[i].kind == CLAIM_STR)
                        free(*MEMBER(char *, c, &claims_table[i]));
        free(c->gids);
        *c = (TokenClaims)TOKEN_CLAIMS_INIT;
}

void token_key_id(const uint8_t pk[TOKEN_PUBLIC_KEY_SIZE], uint8_t id[TOKEN_KEY_ID_SIZE])
{
        uint8_t h[crypto_hash_sha256_BYTES];

        crypto_hash_sha256(h, pk, TOKEN_PUBLIC_KEY_SIZE);
        memcpy(id, h, TOKEN_KEY_ID_SIZE);
}

/*
 * is_carried() - does a token of @c hold claim @cl? Required claims always
 * are (a NULL user, exe or unit is written as ""); optional ones when set.
 */
static bool is_carried(const TokenClaims *c, const Claim *cl)
{
        if (cl->is_required)
                return true;
        switch (cl->kind) {
        case CLAIM_STR:
                return *CMEMBER(char *, c, cl) != NULL;
        case CLAIM_BIN:
                return *(const bool *)((const char *)c + cl->flag);
        case CLAIM_GIDS:
                return c->n_gids > 0;
        default:
                return true;
        }
}

/* Does claim @cl of @c fit its bound? A string must also hold no NUL (it is a C string). */
static bool fits(const TokenClaims *c, const Claim *cl)
{
        const char *s;

        switch (cl->kind) {
        case CLAIM_STR:
                s = *CMEMBER(char *, c, cl);
                return s == NULL || strnlen(s, cl->size + 1) <= cl->size;
        case CLAIM_GIDS:
                return c->n_gids <= cl->size;
        default:
                return true;
        }
}

static void pack_claim(ProtoBuf *b, const TokenClaims *c, const Claim *cl)
{
        const char *s;

        switch (cl->kind) {
        case CLAIM_STR:
                s = *CMEMBER(char *, c, cl);
                proto_pack_kv_str(b, cl->name, s ? s : "");
                break;
        case CLAIM_U32:
                proto_pack_kv_uint(b, cl->name, *CMEMBER(uint32_t, c, cl));
                break;
        case CLAIM_TIME:
                proto_pack_kv_uint(b, cl->name, (uint64_t)*CMEMBER(int64_t, c, cl));
                break;
        case CLAIM_BIN:
                proto_pack_kv_bin(b, cl->name, CMEMBER(uint8_t, c, cl), cl->size);
                break;
        case CLAIM_GIDS:
                proto_pack_str(b, cl->name);
                msgpack_pack_array(&b->pk, c->n_gids);
                for (size_t i = 0; i < c->n_gids; i++)
                        msgpack_pack_uint32(&b->pk, c->gids[i]);
                break;
        }
}

const char *token_claim_unfit(const TokenClaims *claims, size_t *maxp)
{
        for (size_t i = 0; i < N_CLAIMS; i++)
                if (!fits(claims, &claims_table[i])) {
                        if (maxp)
                                *maxp = claims_table[i].size;
                        return claims_table[i].name;
                }
        return NULL;
}

int token_encode(const TokenClaims *claims, const uint8_t key_id[TOKEN_KEY_ID_SIZE],
                 const uint8_t sk[crypto_sign_SECRETKEYBYTES], char **tokenp)
{
        const TokenClaims *c = claims;
        ProtoBuf b;
        uint8_t version = TOKEN_VERSION;
        uint8_t sig[TOKEN_SIGNATURE_SIZE];
        size_t b64_size, n_carried = 0;
        char *tok;
        int r;

        if (!c->akid || !c->sid || !c->role || !c->arn || c->issued < 0 || c->expires < c->issued)
                return -EINVAL;
        if (token_claim_unfit(c, NULL))
                return TOKEN_E_TOO_LONG;
        for (size_t i = 0; i < N_CLAIMS; i++)
                n_carried += is_carried(c, &claims_table[i]);

        proto_buf_init(&b, false);
        r = proto_buf_append(&b, &version, 1);
        if (r == 0)
                r = proto_buf_append(&b, key_id, TOKEN_KEY_ID_SIZE);
        if (r < 0)
                goto out;
        msgpack_pack_map(&b.pk, n_carried);
        for (size_t i = 0; i < N_CLAIMS; i++)
                if (is_carried(c, &claims_table[i]))
                        pack_claim(&b, c, &claims_table[i]);
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
        for (size_t i = 0; i < N_CLAIMS; i++)
                if (proto_str_eq(k, claims_table[i].name))
                        return (int)i;
        return -1;
}

/* A non-negative integer object of at most @max. */
static bool is_uint(const msgpack_object *v, uint64_t max)
{
        return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= max;
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

/* dup_gids() - copy the non-empty array @v of at most @max gids into @c. */
static int dup_gids(const msgpack_object *v, size_t max, TokenClaims *c)
{
        if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size == 0 || v->via.array.size > max)
                return TOKEN_E_MALFORMED;
        c->gids = calloc(v->via.array.size, sizeof(*c->gids));
        if (!c->gids)
                return -ENOMEM;
        for (uint32_t j = 0; j < v->via.array.size; j++) {
                if (!is_uint(&v->via.array.ptr[j], UINT32_MAX))
                        return TOKEN_E_MALFORMED;
                c->gids[j] = (uint32_t)v->via.array.ptr[j].via.u64;
        }
        c->n_gids = v->via.array.size;
        return 0;
}

/* read_claim() - claim @cl of @c from its value @v. Return: 0, TOKEN_E_MALFORMED or -ENOMEM. */
static int read_claim(const msgpack_object *v, const Claim *cl, TokenClaims *c)
{
        switch (cl->kind) {
        case CLAIM_STR:
                return dup_str(v, cl->size, MEMBER(char *, c, cl));
        case CLAIM_U32:
                if (!is_uint(v, UINT32_MAX))
                        return TOKEN_E_MALFORMED;
                *MEMBER(uint32_t, c, cl) = (uint32_t)v->via.u64;
                return 0;
        case CLAIM_TIME:
                if (!is_uint(v, INT64_MAX))
                        return TOKEN_E_MALFORMED;
                *MEMBER(int64_t, c, cl) = (int64_t)v->via.u64;
                return 0;
        case CLAIM_BIN:
                if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != cl->size)
                        return TOKEN_E_MALFORMED;
                memcpy(MEMBER(uint8_t, c, cl), v->via.bin.ptr, cl->size);
                *(bool *)((char *)c + cl->flag) = true;
                return 0;
        case CLAIM_GIDS:
                return dup_gids(v, cl->size, c);
        }
        return TOKEN_E_MALFORMED;
}

/* claims_from_map() - fill @c from the decoded claims map @m; @c is deinit'ed by the caller. */
static int claims_from_map(const msgpack_object *m, TokenClaims *c)
{
        uint32_t seen = 0;

        if (m->type != MSGPACK_OBJECT_MAP)
                return TOKEN_E_MALFORMED;
        for (uint32_t i = 0; i < m->via.map.size; i++) {
                int idx = claim_index(&m->via.map.ptr[i].key);
                int r;

                /* Unknown claims are refused: a verifier must never skip a restriction. */
                if (idx < 0 || (seen & (1u << idx)))
                        return TOKEN_E_MALFORMED;
                seen |= 1u << idx;
                r = read_claim(&m->via.map.ptr[i].val, &claims_table[idx], c);
                if (r)
                        return r;
        }
        for (size_t i = 0; i < N_CLAIMS; i++)
                if (claims_table[i].is_required && !(seen & (1u << i)))
                        return TOKEN_E_MALFORMED;
        if (c->expires < c->issued)
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
