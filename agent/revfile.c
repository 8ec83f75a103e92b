/* SPDX-License-Identifier: MIT */
/*
 * revfile.c - revoked.list in the key directory (see revfile.h).
 *
 * Lines: "AKID EXPIRES" for a revoked session, "@UID BEFORE UNTIL ROLE" for
 * a cut (revocations.h; ROLE "*" for every role).  Version 1 files (no cuts)
 * still load.
 *
 * The file is read through statefile.c, which checks it (regular, ours, no
 * group/other bits) before a byte of it is believed and hands it over one
 * bounded line at a time.
 */
#include "revfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "atomicfile.h"
#include "statefile.h"
#include "util.h"

#define HEADER "roled-revoked 2\n"
#define HEADER_V1 "roled-revoked 1\n"

/* parse_line() - "AKID EXPIRES\n" into its parts.  Return: 0 or REVFILE_E_CORRUPT. */
static int parse_line(char *line, size_t len, const char **akidp, int64_t *expiresp)
{
        char *sp, *end;
        long long v;

        if (len < 3 || line[len - 1] != '\n')
                return REVFILE_E_CORRUPT;
        line[len - 1] = '\0';
        sp = strchr(line, ' ');
        if (!sp || sp == line || (size_t)(sp - line) > TOKEN_AKID_MAX)
                return REVFILE_E_CORRUPT;
        *sp = '\0';
        for (const char *p = line; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                        return REVFILE_E_CORRUPT;
        if (sp[1] < '0' || sp[1] > '9')
                return REVFILE_E_CORRUPT;
        errno = 0;
        v = strtoll(sp + 1, &end, 10);
        if (errno || *end || v <= 0)
                return REVFILE_E_CORRUPT;
        *akidp = line;
        *expiresp = v;
        return 0;
}

static bool is_role_char(char ch)
{
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
               strchr("+=,.@_-", ch) != NULL;
}

/* parse_cut() - "@UID BEFORE UNTIL ROLE\n" into its parts.  Return: 0 or REVFILE_E_CORRUPT. */
static int parse_cut(char *line, size_t len, uint32_t *uidp, int64_t *beforep, int64_t *untilp,
                     const char **rolep)
{
        unsigned long long uid;
        long long before, until;
        int role_at = 0;
        char *role;

        if (len < 3 || line[0] != '@' || line[len - 1] != '\n')
                return REVFILE_E_CORRUPT;
        line[len - 1] = '\0';
        if (sscanf(line, "@%llu %lld %lld %n", &uid, &before, &until, &role_at) != 3 ||
            role_at == 0 || uid > UINT32_MAX || before <= 0 || until <= 0)
                return REVFILE_E_CORRUPT;
        role = line + role_at;
        if (strcmp(role, "*") == 0) {
                role[0] = '\0';
        } else {
                if (!role[0] || strlen(role) > PROTO_ROLE_NAME_MAX)
                        return REVFILE_E_CORRUPT;
                for (const char *p = role; *p; p++)
                        if (!is_role_char(*p))
                                return REVFILE_E_CORRUPT;
        }
        *uidp = (uint32_t)uid;
        *beforep = before;
        *untilp = until;
        *rolep = role;
        return 0;
}

/* What load_line() adds to, and what it leaves out. */
typedef struct LoadCtx {
        RevocationSet *set;
        int64_t now;
} LoadCtx;

/* load_line() - one line of the file into the set.  Return: 0, STATEFILE_E_CORRUPT or -errno. */
static int load_line(char *line, unsigned line_no, void *arg)
{
        const LoadCtx *ctx = arg;
        size_t len = strlen(line);
        int64_t expires;
        int r;

        if (line_no == 1)
                return strcmp(line, HEADER) == 0 || strcmp(line, HEADER_V1) == 0
                               ? 0
                               : STATEFILE_E_CORRUPT;
        if (line[0] == '@') {
                const char *role;
                uint32_t uid;
                int64_t before;

                if (parse_cut(line, len, &uid, &before, &expires, &role) != 0)
                        return STATEFILE_E_CORRUPT;
                if (expires <= ctx->now)
                        return 0;
                r = revocation_cut(ctx->set, uid, role, before, expires);
        } else {
                const char *akid;

                if (parse_line(line, len, &akid, &expires) != 0)
                        return STATEFILE_E_CORRUPT;
                if (expires <= ctx->now)
                        return 0;
                r = revocation_add(ctx->set, akid, expires);
        }
        return r < 0 ? r : 0;
}

int revfile_load(const char *dir, RevocationSet *set, int64_t now, char **errorp)
{
        LoadCtx ctx = { set, now };
        char line[REVFILE_LINE_MAX + 2];

        return statefile_read(dir, REVFILE_NAME, "revocation list", line, sizeof(line), load_line,
                              &ctx, errorp);
}

typedef struct SaveCtx {
        FILE *f;
        const RevocationSet *set;
        int64_t now;
} SaveCtx;

static int put_entry(const char *akid, int64_t expires, void *arg)
{
        SaveCtx *s = arg;

        if (expires <= s->now)
                return 0;
        return fprintf(s->f, "%s %" PRId64 "\n", akid, expires) < 0 ? -EIO : 0;
}

static int put_cut(uint32_t uid, const char *role, int64_t before, int64_t until, void *arg)
{
        SaveCtx *s = arg;

        if (until <= s->now)
                return 0;
        return fprintf(s->f, "@%" PRIu32 " %" PRId64 " %" PRId64 " %s\n", uid, before, until,
                       role[0] ? role : "*") < 0
                       ? -EIO
                       : 0;
}

/* The list's text, for atomicfile_replace(). */
static int write_list(FILE *f, void *arg)
{
        SaveCtx *s = arg;
        int r;

        s->f = f;
        r = fputs(HEADER, f) < 0 ? -EIO : revocation_foreach(s->set, put_entry, s);
        if (r == 0)
                r = revocation_foreach_cut(s->set, put_cut, s);
        return r;
}

int revfile_save(const char *dir, const RevocationSet *set, int64_t now, char **errorp)
{
        SaveCtx ctx = { .set = set, .now = now };

        return atomicfile_replace(dir, REVFILE_NAME, write_list, &ctx, errorp);
}
