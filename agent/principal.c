/* SPDX-License-Identifier: MIT */
/*
 * principal.c - the attested context keys of a principal (principal.h).
 * One builder, so a trust decision, Authorize and Simulate can never
 * disagree about what a key holds for the same principal.
 */
#include "principal.h"

#include <errno.h>
#include <grp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "util.h"

void principal_from_identity(const Identity *id, Principal *p)
{
        *p = (Principal){
                .uid = id->uid,
                .gid = id->gid,
                .user = id->has_user_name ? id->user : NULL,
                .group = id->has_group_name ? id->group : NULL,
                .gids = id->gids,
                .gid_names = id->gid_names,
                .n_gids = id->n_gids,
                /* The path means something only when it names, in the agent's namespace, the file
                   the process runs. */
                .exe = id->is_exe_path_verified ? id->exe : NULL,
                .exe_sha256 = id->has_exe_sha256 ? id->exe_sha256 : NULL,
                .cgroup = id->cgroup,
        };
        p->unit = principal_unit(id, p->unit_buf, sizeof(p->unit_buf));
}

void principal_from_claims(const TokenClaims *cl, bool is_named_groups, Principal *p)
{
        *p = (Principal){
                .uid = cl->uid,
                .gid = cl->gid,
                .user = cl->user,
                .gids = cl->gids,
                .n_gids = cl->n_gids,
                .is_named_groups = is_named_groups,
                .exe = cl->exe,
                .exe_sha256 = cl->has_exe_sha256 ? cl->exe_sha256 : NULL,
                .unit = cl->unit,
                .cgroup = cl->cgroup,
                .held_role = cl->source_role,
        };
}

const char *principal_unit(const Identity *id, char *buf, size_t size)
{
        if (!id->unit[0])
                return "";
        snprintf(buf, size, "%s%s", id->is_user_unit ? "user:" : "", id->unit);
        return buf;
}

static int set_u32(PolicyContext *ctx, const char *key, uint32_t v)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%u", v);
        return policy_context_set(ctx, key, buf, true);
}

static int set_if(PolicyContext *ctx, const char *key, const char *value)
{
        return value && value[0] ? policy_context_set(ctx, key, value, true) : 0;
}

/* roled:groups for @gid: the given name, or NSS's when asked to look it up. */
static int group_name(PolicyContext *ctx, const Principal *p, uint32_t gid, const char *given)
{
        char scratch[4096];
        struct group gr, *grp = NULL;

        if (given)
                return policy_context_set(ctx, "roled:groups", given, true);
        if (!p->gid_names && p->is_named_groups &&
            getgrgid_r(gid, &gr, scratch, sizeof(scratch), &grp) == 0 && grp)
                return policy_context_set(ctx, "roled:groups", grp->gr_name, true);
        return 0;
}

/* roled:gids and roled:groups: the primary group first, then the others (as id(1) lists them). */
static int group_keys(PolicyContext *ctx, const Principal *p)
{
        int r;

        if ((r = set_u32(ctx, "roled:gids", p->gid)) || (r = group_name(ctx, p, p->gid, p->group)))
                return r;
        for (size_t i = 0; i < p->n_gids; i++) {
                if (p->gids[i] == p->gid)
                        continue;
                if ((r = set_u32(ctx, "roled:gids", p->gids[i])) ||
                    (r = group_name(ctx, p, p->gids[i], p->gid_names ? p->gid_names[i] : NULL)))
                        return r;
        }
        return 0;
}

int principal_session_keys(PolicyContext *ctx, const PrincipalSession *s)
{
        char buf[256], iso[CIVIL_ISO8601_SIZE];
        int r;

        if ((r = policy_context_set(ctx, "roled:role", s->role->name, true)) ||
            (r = policy_context_set(ctx, "aws:PrincipalArn", s->role->arn, true)))
                return r;
        snprintf(buf, sizeof(buf), "%s:%s", s->role->role_id, s->sid);
        if ((r = policy_context_set(ctx, "aws:userid", buf, true)))
                return r;
        /* The role's tags are the session principal's tags. */
        for (size_t i = 0; i < s->role->n_tags; i++) {
                snprintf(buf, sizeof(buf), "aws:PrincipalTag/%s", s->role->tag_keys[i]);
                if ((r = policy_context_set(ctx, buf, s->role->tag_values[i], true)))
                        return r;
        }
        if ((r = civil_format_iso8601(s->issued, iso)))
                return r;
        return policy_context_set(ctx, "aws:TokenIssueTime", iso, true);
}

/* The keys of the caller itself, before it assumes anything. */
static int caller_keys(PolicyContext *ctx, const Config *config, const Principal *p)
{
        char buf[IDENTITY_NAME_MAX + 128];
        int r;

        if ((r = set_if(ctx, "roled:role", p->held_role)) ||
            (r = set_u32(ctx, "aws:userid", p->uid)))
                return r;
        if (p->user)
                snprintf(buf, sizeof(buf), "arn:aws:iam::%s:user/%s", config->account, p->user);
        else
                snprintf(buf, sizeof(buf), "arn:aws:iam::%s:user/%u", config->account, p->uid);
        return policy_context_set(ctx, "aws:PrincipalArn", buf, true);
}

int principal_context_set_time(PolicyContext *ctx, int64_t now)
{
        char buf[32];
        int r;

        policy_context_unset(ctx, "aws:CurrentTime");
        policy_context_unset(ctx, "aws:EpochTime");
        if ((r = civil_format_iso8601(now, buf)) ||
            (r = policy_context_set(ctx, "aws:CurrentTime", buf, true)))
                return r;
        snprintf(buf, sizeof(buf), "%lld", (long long)now);
        return policy_context_set(ctx, "aws:EpochTime", buf, true);
}

int principal_context(const Config *config, const Principal *p, const PrincipalSession *session,
                      int64_t now, PolicyContext **ctxp)
{
        _cleanup_(policy_context_freep) PolicyContext *ctx = NULL;
        char hex[2 * EXEHASH_SIZE + 1];
        int r;

        r = policy_context_new(&ctx);
        if (r)
                return r;
        if ((r = set_u32(ctx, "roled:uid", p->uid)) || (r = set_u32(ctx, "roled:gid", p->gid)) ||
            (r = group_keys(ctx, p)) || (r = set_if(ctx, "roled:user", p->user)) ||
            (r = set_if(ctx, "aws:username", p->user)) || (r = set_if(ctx, "roled:exe", p->exe)) ||
            (r = set_if(ctx, "roled:unit", p->unit)) ||
            (r = set_if(ctx, "roled:cgroup", p->cgroup)))
                return r;
        if (p->exe_sha256) {
                sodium_bin2hex(hex, sizeof(hex), p->exe_sha256, EXEHASH_SIZE);
                if ((r = policy_context_set(ctx, "roled:exe-sha256", hex, true)))
                        return r;
        }
        if (session) {
                if ((r = set_if(ctx, "aws:SourceIdentity", p->held_role)) ||
                    (r = principal_session_keys(ctx, session)))
                        return r;
        } else if ((r = caller_keys(ctx, config, p))) {
                return r;
        }
        if ((r = policy_context_set(ctx, "aws:SecureTransport", "true", true)) ||
            (r = policy_context_set(ctx, "aws:MultiFactorAuthPresent", "false", true)))
                return r;
        if (now >= 0 && (r = principal_context_set_time(ctx, now)))
                return r;
        *ctxp = steal_pointer(&ctx);
        return 0;
}
