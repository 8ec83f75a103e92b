/* SPDX-License-Identifier: MIT */
/*
 * issuer_local.c - minting and online verification of local credentials (see issuer_local.h).
 *
 * Randomness and HMAC come from libsodium; the token format from proto/token.c.
 * Temporaries that held secret bytes are wiped before returning.
 */
#include "issuer_local.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "principal.h"
#include "revocations.h"

/* make_akid() - "ASIA" + 16 characters of RFC 4648 base32 from 80 random bits. */
static void make_akid(char out[ISSUER_AKID_LEN + 1])
{
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        uint8_t rnd[10];
        unsigned acc = 0, bits = 0;
        size_t o = 4;

        randombytes_buf(rnd, sizeof(rnd));
        memcpy(out, "ASIA", 4);
        for (size_t i = 0; i < sizeof(rnd); i++) {
                acc = (acc << 8 | rnd[i]) & 0xfff;
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        out[o++] = alphabet[(acc >> bits) & 31];
                }
        }
        out[o] = '\0';
}

void issuer_local_secret_for(const Keys *keys, const char *akid, char out[ISSUER_SECRET_LEN + 1])
{
        uint8_t mac[crypto_auth_hmacsha256_BYTES];

        crypto_auth_hmacsha256(mac, (const unsigned char *)akid, strlen(akid), keys_hmac(keys));
        /* 30 bytes are exactly 40 base64 characters, no padding. */
        sodium_bin2base64(out, ISSUER_SECRET_LEN + 1, mac, 30, sodium_base64_VARIANT_ORIGINAL);
        sodium_memzero(mac, sizeof(mac));
}

/* The claims of a token minted for @req, but for its akid, sid and times (borrowed from @req). */
static void claims_of(const MintRequest *req, TokenClaims *claims)
{
        claims->role = (char *)req->role;
        claims->arn = (char *)req->role_arn;
        claims->uid = req->uid;
        claims->gid = req->gid;
        claims->user = (char *)req->user;
        claims->exe = (char *)req->exe;
        claims->unit = (char *)req->unit;
        claims->source_role = (char *)req->source_role;
        claims->gids = (uint32_t *)req->gids;
        claims->n_gids = req->n_gids;
        if (req->exe_sha256) {
                claims->has_exe_sha256 = true;
                memcpy(claims->exe_sha256, req->exe_sha256, sizeof(claims->exe_sha256));
        }
        /* NULL: the agent did not read it; "" it read none (no cgroup v2 on the host). */
        claims->cgroup = (char *)req->cgroup;
        if (req->policy_digest) {
                claims->has_policy = true;
                memcpy(claims->policy_digest, req->policy_digest, TOKEN_DIGEST_SIZE);
        }
}

const char *issuer_local_unfit(const MintRequest *req, size_t *maxp)
{
        /* In words, the claims a caller's identity or request can make too long. */
        static const struct {
                const char *claim, *what;
        } words[] = {
                { "exe", "executable path" }, { "cg", "cgroup path" }, { "user", "user name" },
                { "unit", "unit name" },      { "arn", "role ARN" },   { "src", "source role" },
                { "gids", "group list" },
        };
        TokenClaims claims = TOKEN_CLAIMS_INIT;
        const char *name;

        claims_of(req, &claims);
        name = token_claim_unfit(&claims, maxp);
        if (!name)
                return NULL;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strcmp(words[i].claim, name) == 0)
                        return words[i].what;
        return name;
}

int issuer_local_mint(const Keys *keys, const MintRequest *req, Credentials *out)
{
        Credentials c = CREDENTIALS_INIT;
        TokenClaims claims = TOKEN_CLAIMS_INIT;
        uint8_t sid[ISSUER_SID_LEN / 2];
        const char *session;
        int r;

        if (!req->role || !req->role_arn || !req->account || req->now < 0 ||
            req->duration < PROTO_DURATION_MIN || req->duration > PROTO_DURATION_MAX)
                return -EINVAL;
        session = req->session_name ? req->session_name : req->user ? req->user : "roled";

        make_akid(c.akid);
        randombytes_buf(sid, sizeof(sid));
        sodium_bin2hex(c.sid, sizeof(c.sid), sid, sizeof(sid));
        issuer_local_secret_for(keys, c.akid, c.secret);
        c.issuer = "local";
        c.issued = req->now;
        c.expires = req->now + req->duration;
        if (asprintf(&c.assumed_role_arn, "arn:aws:sts::%s:assumed-role/%s/%s", req->account,
                     req->role, session) < 0) {
                c.assumed_role_arn = NULL;
                r = -ENOMEM;
                goto fail;
        }

        claims_of(req, &claims);
        claims.akid = c.akid;
        claims.sid = c.sid;
        claims.issued = c.issued;
        claims.expires = c.expires;
        r = token_encode(&claims, keys_signing_id(keys), keys_signing_sk(keys), &c.token);
        if (r == TOKEN_E_TOO_LONG)
                r = ISSUER_E_TOO_LONG;
        if (r)
                goto fail;
        c.token_len = strlen(c.token);
        *out = c;
        return 0;
fail:
        credentials_deinit(&c);
        return r;
}

int issuer_local_verify(const Keys *keys, const char *token, size_t len, int64_t now,
                        const RevocationSet *revoked, TokenClaims *claims)
{
        TokenClaims c = TOKEN_CLAIMS_INIT;
        const TokenPublicKey *pub;
        size_t n_pub;
        int r;

        keys_public(keys, &pub, &n_pub);
        r = token_verify(token, len, pub, n_pub, now, &c);
        switch (r) {
        case 0:
                break;
        case TOKEN_E_MALFORMED:
                return ISSUER_E_MALFORMED;
        case TOKEN_E_UNKNOWN_KEY:
                return ISSUER_E_UNKNOWN_KEY;
        case TOKEN_E_BAD_SIGNATURE:
                return ISSUER_E_BAD_SIGNATURE;
        case TOKEN_E_EXPIRED:
                return ISSUER_E_EXPIRED;
        default:
                return r < 0 ? r : ISSUER_E_MALFORMED;
        }
        if (revoked && revocation_revokes(revoked, &c, now)) {
                token_claims_deinit(&c);
                return ISSUER_E_REVOKED;
        }
        if (claims)
                *claims = c;
        else
                token_claims_deinit(&c);
        return 0;
}

/* The driver: the old mint() of handlers_session.c, behind issuer.h. */
static int local_init(Agent *agent, void **statep)
{
        *statep = agent;
        return 0;
}

static void local_fini(void *state)
{
        (void)state;
}

static int local_issue(void *state, const IssueRequest *req, Credentials *out, IssueError *err,
                       IssueDone done, void *userdata)
{
        Agent *agent = state;
        const Identity *id = req->id;
        uint32_t gids[TOKEN_GIDS_MAX];
        char unit[IDENTITY_UNIT_MAX + 5];
        size_t n_gids = 0;
        int r;
        MintRequest m = {
                .role = req->role->name,
                .role_arn = req->role->arn,
                .account = req->config->account,
                .session_name = req->session_name,
                .uid = id->uid,
                .gid = id->gid,
                .user = id->user,
                /* Only an executable checked for this request, by a path naming the running
                   file in the agent's namespace (issuer.h). */
                .exe = issuer_exe(req),
                /* As rules spell it, so a session's roled:unit is the caller's (principal.c). */
                .unit = principal_unit(id, unit, sizeof(unit)),
                .duration = req->duration,
                .policy_digest = req->policy_digest,
                .source_role = req->source_role,
                .exe_sha256 = issuer_exe_sha256(req),
                .cgroup = id->has_cgroup ? id->cgroup : NULL,
                .now = req->now,
        };

        (void)done;
        (void)userdata;
        /* The token carries every group, so Authorize can see them; the primary one first. */
        gids[n_gids++] = id->gid;
        for (size_t i = 0; i < id->n_gids; i++) {
                if (id->gids[i] == id->gid)
                        continue;
                if (n_gids == TOKEN_GIDS_MAX)
                        return ISSUER_E_TOO_MANY_GROUPS;
                gids[n_gids++] = id->gids[i];
        }
        m.gids = gids;
        m.n_gids = n_gids;
        r = issuer_local_mint(agent->keys, &m, out);
        if (r == ISSUER_E_TOO_LONG) {
                size_t max = 0;
                const char *what = issuer_local_unfit(&m, &max);

                if (what)
                        snprintf(err->message, sizeof(err->message),
                                 "the caller's identity does not fit in a session token: its %s "
                                 "is longer than a token carries (%zu bytes)",
                                 what, max);
        }
        return r;
}

static int local_verify(void *state, const char *token, size_t len, int64_t now,
                        TokenClaims *claims)
{
        Agent *agent = state;

        return issuer_local_verify(agent->keys, token, len, now, agent->revoked, claims);
}

static void local_describe(void *state, const Role *role, IssuerHealth *h)
{
        (void)state;
        (void)role;
        *h = (IssuerHealth){ .state = "local" };
}

const IssuerDriver issuer_local_driver = {
        .name = "local",
        .init = local_init,
        .fini = local_fini,
        .issue = local_issue,
        .verify = local_verify,
        .describe = local_describe,
};
