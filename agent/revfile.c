/* SPDX-License-Identifier: MIT */
/*
 * revfile.c - revoked.list in the key directory (see revfile.h).
 *
 * Lines: "AKID EXPIRES" for a revoked session, "@UID BEFORE UNTIL ROLE" for
 * a cut (revocations.h; ROLE "*" for every role).  Version 1 files (no cuts)
 * still load.
 *
 * Every access goes through a directory fd with O_NOFOLLOW, as keys.c does,
 * and the file is checked (regular, ours, no group/other bits) before a byte
 * of it is believed.  Lines are read one at a time with a fixed bound, so a
 * long file costs time, never a large buffer.
 */
#include "revfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "safefile.h"
#include "util.h"

#define HEADER "roled-revoked 2\n"
#define HEADER_V1 "roled-revoked 1\n"

static void set_error(char **errorp, const char *fmt, ...) _printf_(2, 3);

static void set_error(char **errorp, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        if (!errorp)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*errorp);
        *errorp = s;
}

static int open_dir(const char *dir, int *fdp, char **errorp)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0) {
                int r = -errno;

                set_error(errorp, "%s: %s", dir, strerror(-r));
                return r;
        }
        *fdp = fd;
        return 0;
}

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

int revfile_load(const char *dir, RevocationSet *set, int64_t now, char **errorp)
{
        _cleanup_close_ int dir_fd = -1, fd = -1;
        _cleanup_fclose_ FILE *f = NULL;
        char line[REVFILE_LINE_MAX + 2];
        unsigned line_no = 0;
        struct stat st;
        int r;

        r = open_dir(dir, &dir_fd, errorp);
        if (r)
                return r;
        fd = openat(dir_fd, REVFILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                set_error(errorp, "%s/%s: %s", dir, REVFILE_NAME, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                set_error(errorp, "%s/%s: %s", dir, REVFILE_NAME, strerror(-r));
                return r;
        }
        if (safefile_check(&st, &(SafeFileRule){
                                        .type = S_IFREG, .owner = geteuid(), .forbidden = 0077 })) {
                set_error(errorp, "%s/%s: not a regular file owned by uid %u with mode 0600", dir,
                          REVFILE_NAME, (unsigned)geteuid());
                return REVFILE_E_INSECURE;
        }
        f = fdopen(fd, "r");
        if (!f)
                return -errno;
        fd = -1; /* f owns it now */
        while (fgets(line, sizeof(line), f)) {
                size_t len = strlen(line);
                const char *akid;
                int64_t expires;

                line_no++;
                if (line_no == 1) {
                        if (strcmp(line, HEADER) != 0 && strcmp(line, HEADER_V1) != 0)
                                goto corrupt;
                        continue;
                }
                if (line[0] == '@') {
                        const char *role;
                        uint32_t uid;
                        int64_t before;

                        if (parse_cut(line, len, &uid, &before, &expires, &role) != 0)
                                goto corrupt;
                        if (expires <= now)
                                continue;
                        r = revocation_cut(set, uid, role, before, expires);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (parse_line(line, len, &akid, &expires) != 0)
                        goto corrupt;
                if (expires <= now)
                        continue;
                r = revocation_add(set, akid, expires);
                if (r < 0)
                        return r;
        }
        if (ferror(f)) {
                r = -EIO;
                set_error(errorp, "%s/%s: read error", dir, REVFILE_NAME);
                return r;
        }
        if (line_no == 0)
                goto corrupt;
        return 0;
corrupt:
        set_error(errorp, "%s/%s:%u: not a revocation list written by roled", dir, REVFILE_NAME,
                  line_no);
        return REVFILE_E_CORRUPT;
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
